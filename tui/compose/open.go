package compose

import (
	"fmt"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/sesbox/sesbox/mailstore/mailbox"
	"github.com/sesbox/sesbox/mailstore/sanitize"
	"github.com/sesbox/sesbox/tui/common"
)

// Open starts a reply to t's message (to all with --all): at once when the
// viewer has read it, else after reading it in a Cmd. env is the
// mailbox's reply setup; nil means there is none (why says why).
func Open(c common.Common, env *Env, why error, t common.Target) common.Opening {
	if env == nil {
		return common.Opening{Notice: common.Unavailable("reply", t.Name, why)}
	}
	if t.Key == "" {
		return common.Opening{Notice: "no message to reply to"}
	}
	e := *env
	e.Ctx = t.Ctx
	all := t.Flags["--all"]
	if t.Shown != nil {
		return opened(c, e, t.Shown, all)
	}
	return common.Opening{Kind: Kind, Want: t.Key, Notice: "reading the message to reply to…",
		Cmd: loadOriginalCmd(c, e, t.Mailbox, t.Key, all)}
}

func opened(c common.Common, env Env, msg *mailbox.Message, all bool) common.Opening {
	m, err := New(c, env, msg, all, "")
	if err != nil {
		return common.Opening{Err: err}
	}
	return common.Opening{Kind: Kind, Page: NewPage(m), Cmd: m.Init()}
}

// loadOriginalCmd reads the message a reply answers: the composer quotes
// it and threads the reply under it.
func loadOriginalCmd(c common.Common, env Env, mb common.Reader, key string, all bool) tea.Cmd {
	return func() tea.Msg {
		msg, err := mb.Open(env.Ctx, key)
		return common.OpeningReadyMsg{Kind: Kind, Want: key, Open: func(common.Target) common.Opening {
			if err != nil {
				return common.Opening{Err: fmt.Errorf("reply: open %s: %w", key, err)}
			}
			return opened(c, env, msg, all)
		}}
	}
}

// OpenDrafts lists the kept drafts of t's mailbox (`:drafts`), or resumes
// the one t.Arg names.
func OpenDrafts(c common.Common, env *Env, why error, t common.Target) common.Opening {
	if env == nil {
		return common.Opening{Notice: common.Unavailable("reply", t.Name, why)}
	}
	e := *env
	e.Ctx = t.Ctx
	return common.Opening{Cmd: listDraftsCmd(c, t.Box, e, t.Arg)}
}

// listDraftsCmd reads the kept drafts of the mailbox of env (of box, the
// switcher's index): it lists them on the status line, or resumes the one
// want names.
func listDraftsCmd(c common.Common, box int, env Env, want string) tea.Cmd {
	return func() tea.Msg {
		msg := listDrafts(box, env, env.Mailbox, want)
		return common.OpeningReadyMsg{Open: func(now common.Target) common.Opening {
			return msg.open(c, env, now)
		}}
	}
}

// open shows the kept drafts, or resumes the one asked for.
func (msg draftList) open(c common.Common, env Env, now common.Target) common.Opening {
	switch {
	case msg.Err != nil:
		return common.Opening{Err: msg.Err}
	case msg.Box != now.Box:
		return common.Opening{}
	case msg.Want != "":
		if d, ok := msg.Find(); ok {
			m := Resume(c, env, d)
			return common.Opening{Kind: Kind, Page: NewPage(m), Cmd: m.Init()}
		}
		return common.Opening{Err: fmt.Errorf("no kept draft %q in mailbox %s", sanitize.Line(msg.Want), now.Name)}
	case len(msg.Drafts) == 0:
		return common.Opening{Notice: "no kept drafts in mailbox " + now.Name}
	}
	return common.Opening{Notice: "drafts (:drafts ID resumes one): " + msg.Describe()}
}
