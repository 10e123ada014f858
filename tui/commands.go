package tui

import (
	"errors"
	"fmt"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/sesbox/sesbox/mailstore/drafts"
	"github.com/sesbox/sesbox/mailstore/query"
	"github.com/sesbox/sesbox/mailstore/sanitize"
	"github.com/sesbox/sesbox/tui/cmdline"
	"github.com/sesbox/sesbox/tui/tab"
	"github.com/sesbox/sesbox/tui/viewer"
)

func commandHelp() string { return cmdline.Help() }

// openCommandLine opens the `:` line with the mailbox names to complete.
func (m Model) openCommandLine() (Model, tea.Cmd) {
	m.cmd = cmdline.New(m.c, m.c.Width)
	var names []string
	for _, t := range m.tabs {
		names = append(names, t.Name)
	}
	m.cmd.SetValues("mailbox", names)
	return m, m.cmd.Focus()
}

// DraftsListedMsg is sent when the kept drafts of a mailbox have been read
// (for `:drafts`); with Want set, the one to resume.
type DraftsListedMsg struct {
	Box    int
	Want   string
	Drafts []*drafts.Draft
	Err    error
}

// runCommand runs a `:` line with the same calls as the CLI verb it names.
func (m Model) runCommand(args []string) (tea.Model, tea.Cmd) {
	spec, ok := cmdline.Lookup(args[0])
	if !ok {
		m.pushErr(fmt.Errorf("unknown command %q (: then Tab lists them)", sanitize.Line(args[0])))
		return m, nil
	}
	flags := map[string]bool{}
	var words []string
	for _, a := range args[1:] {
		if strings.HasPrefix(a, "--") && !spec.Rest {
			if !contains(spec.Flags, a) {
				m.pushErr(fmt.Errorf(":%s: unknown flag %s", spec.Verb, sanitize.Line(a)))
				return m, nil
			}
			flags[a] = true
			continue
		}
		words = append(words, a)
	}
	arg := strings.Join(words, " ")
	t := m.cur()
	// The marked messages, else the one shown or under the cursor.
	keys := t.List().Marked()
	if k, ok := m.target(); len(keys) == 0 && ok {
		keys = []string{k}
	}
	need := func(what string) bool {
		if arg == "" {
			m.pushErr(fmt.Errorf(":%s needs %s", spec.Verb, what))
			return false
		}
		return true
	}
	switch spec.Verb {
	case "quit":
		return m.quit()
	case "save":
		if !need("a directory") || len(keys) == 0 {
			return m, nil
		}
		m.notice = "saving attachments of " + itoa(len(keys)) + " message(s)…"
		return m, tab.SaveCmd(m.ctx, m.active, t.Mailbox, keys, arg)
	case "export":
		if !need("an mbox file: :export --mbox FILE") || len(keys) == 0 {
			return m, nil
		}
		if t.Audit == nil {
			m.notice = unavailable("export", t.Name, t.AuditErr)
			return m, nil
		}
		m.notice = "exporting " + itoa(len(keys)) + " message(s)…"
		return m, tab.ExportCmd(m.ctx, m.active, t.Audit.Bucket, keys, arg, "chosen in the TUI")
	case "forward":
		return m.startForward()
	case "reply":
		return m.reply(flags["--all"])
	case "read", "unread":
		k, ok := m.target()
		if !ok {
			return m, nil
		}
		return m, t.SetReadCmd(k, spec.Verb == "read")
	case "audit":
		return m.openAudit()
	case "refresh":
		if cmd := t.Refresh(); cmd != nil {
			return m, cmd
		}
		m.notice = "already re-indexing"
		return m, nil
	case "filter", "search":
		m.leave(viewer.Kind)
		var err error
		if spec.Verb == "filter" {
			err = t.List().ApplyFilter(arg)
		} else {
			err = t.List().ApplySearch(arg)
		}
		if err != nil {
			m.pushErr(err) // as sesbox ls --query reports it
		}
		return m, nil
	case "sort":
		by, err := query.ParseSort(arg)
		if err != nil {
			m.pushErr(err)
			return m, nil
		}
		t.List().SetSort(by, flags["--reverse"])
		return m, nil
	case "mailbox":
		for i, x := range m.tabs {
			if x.Name == arg {
				m.active = i
				m.stack = nil
				return m, nil
			}
		}
		m.pushErr(fmt.Errorf("mailbox %q is not defined (the config file defines %s)", sanitize.Line(arg), m.boxNames()))
		return m, nil
	case "drafts":
		if t.Reply == nil {
			m.notice = unavailable("reply", t.Name, t.ReplyErr)
			return m, nil
		}
		return m, listDraftsCmd(m.active, t.Reply.Outbox.Drafts, t.Reply.Mailbox, arg)
	}
	return m, nil
}

func (m Model) boxNames() string {
	var n []string
	for _, t := range m.tabs {
		n = append(n, fmt.Sprintf("%q", t.Name))
	}
	return strings.Join(n, ", ")
}

// draftsListed shows the kept drafts, or resumes the one asked for.
func (m Model) draftsListed(msg DraftsListedMsg) (tea.Model, tea.Cmd) {
	if msg.Err != nil {
		m.pushErr(msg.Err)
		return m, nil
	}
	if msg.Box != m.active {
		return m, nil
	}
	if msg.Want != "" {
		for _, d := range msg.Drafts {
			if d.ID == msg.Want {
				return m.resume(d)
			}
		}
		m.pushErr(fmt.Errorf("no kept draft %q in mailbox %s", sanitize.Line(msg.Want), m.cur().Name))
		return m, nil
	}
	if len(msg.Drafts) == 0 {
		m.notice = "no kept drafts in mailbox " + m.cur().Name
		return m, nil
	}
	var parts []string
	for i := len(msg.Drafts) - 1; i >= 0; i-- {
		parts = append(parts, msg.Drafts[i].ID+" "+sanitize.Line(draftSubject(msg.Drafts[i])))
	}
	m.notice = "drafts (:drafts ID resumes one): " + strings.Join(parts, "; ")
	return m, nil
}

func draftSubject(d *drafts.Draft) string {
	for _, l := range strings.Split(string(d.Text), "\n") {
		if s, ok := strings.CutPrefix(l, "Subject:"); ok {
			return strings.TrimSpace(s)
		}
		if l == "" {
			break
		}
	}
	return "(no subject)"
}

// listDraftsCmd reads the kept drafts of mailbox name.
func listDraftsCmd(box int, st *drafts.Store, name, want string) tea.Cmd {
	return func() tea.Msg {
		if st == nil {
			return DraftsListedMsg{Box: box, Err: errors.New("drafts: no drafts directory")}
		}
		all, err := st.List()
		var mine []*drafts.Draft
		for _, d := range all {
			if d.Meta.Mailbox == name || name == "" {
				mine = append(mine, d)
			}
		}
		return DraftsListedMsg{Box: box, Want: want, Drafts: mine, Err: err}
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func itoa(n int) string { return fmt.Sprint(n) }
