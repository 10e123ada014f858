package compose

import (
	"errors"
	"fmt"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/drafts"
	"github.com/sesbox/sesbox/mailstore/mailbox"
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
	choice := drafts.ReplyChoice{All: t.Flags["--all"]}
	if t.Flags["--to"] {
		// :reply --to ADDR, as sesbox reply --to ADDR: to another
		// address than the original's sender, without Cc.
		// Commas part addresses: a name has spaces ("Ops <ops@x>").
		for a := range strings.SplitSeq(t.Arg, ",") {
			if a = strings.TrimSpace(a); a != "" {
				choice.To = append(choice.To, a)
			}
		}
		if len(choice.To) == 0 {
			return common.Opening{Err: &mailstore.HintError{Hint: "give the address after --to: :reply --to ADDR (several: a,b)",
				Err: errors.New("reply: --to needs an address")}}
		}
	}
	if t.Shown != nil {
		return opened(c, e, t.Shown, choice)
	}
	return common.Opening{Kind: Kind, Want: t.Key, Typing: true, Notice: "reading the message to reply to…",
		Cmd: loadOriginalCmd(c, e, t.Mailbox, t.Key, choice)}
}

func opened(c common.Common, env Env, msg *mailbox.Message, choice drafts.ReplyChoice) common.Opening {
	m, err := New(c, env, msg, choice)
	if err != nil {
		return common.Opening{Err: err}
	}
	return common.Opening{Kind: Kind, Page: NewPage(m), Cmd: m.Init()}
}

// loadOriginalCmd reads the message a reply answers: the composer quotes
// it and threads the reply under it.
func loadOriginalCmd(c common.Common, env Env, mb common.Reader, key string, choice drafts.ReplyChoice) tea.Cmd {
	return func() tea.Msg {
		msg, err := mb.Open(env.Ctx, key)
		return common.OpeningReadyMsg{Kind: Kind, Want: key, Open: func(common.Target) common.Opening {
			if err != nil {
				return common.Opening{Err: fmt.Errorf("reply: open %s: %w", key, err)}
			}
			return opened(c, env, msg, choice)
		}}
	}
}

// OpenDrafts opens the page of t's mailbox's kept drafts (`:drafts`), or
// resumes the one t.Arg names (its id, or the id's first characters).
func OpenDrafts(c common.Common, env *Env, why error, t common.Target) common.Opening {
	if env == nil {
		return common.Opening{Notice: common.Unavailable("reply", t.Name, why)}
	}
	e := *env
	e.Ctx = t.Ctx
	if t.Arg == "" {
		p := NewDraftsPage(c, e, t.Box, t.Name)
		return common.Opening{Kind: DraftsKind, Page: p, Cmd: p.Init()}
	}
	return common.Opening{Cmd: findDraftCmd(c, t.Box, e, t.Arg)}
}

// findDraftCmd reads the kept drafts of the mailbox of env (of box, the
// switcher's index) and resumes the one want names.
func findDraftCmd(c common.Common, box int, env Env, want string) tea.Cmd {
	return func() tea.Msg {
		msg := listDrafts(box, env, env.Mailbox, want)
		if _, err := drafts.Match(msg.Drafts, want); errors.Is(err, mailstore.ErrNotFound) && msg.Err == nil {
			// Sent, or never kept: the action log says which, as
			// `reply --draft` says it (it said only "no kept draft").
			msg.NotKept = drafts.NotKeptHere(err, want)
		}
		return common.OpeningReadyMsg{Open: func(now common.Target) common.Opening {
			return msg.open(c, env, now)
		}}
	}
}

// open resumes the draft asked for.
func (msg draftList) open(c common.Common, env Env, now common.Target) common.Opening {
	if msg.Box != now.Box {
		return common.Opening{}
	}
	d, err := drafts.Match(msg.Drafts, msg.Want)
	if err != nil {
		if msg.NotKept != nil {
			err = msg.NotKept
		}
		if msg.Err != nil {
			err = errors.Join(err, msg.Err) // the one meant may be unreadable
		}
		return common.Opening{Err: fmt.Errorf("%w in mailbox %s", err, now.Name)}
	}
	m := Resume(c, env, d)
	return common.Opening{Kind: Kind, Page: NewPage(m), Cmd: m.Init()}
}
