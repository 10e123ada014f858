package tui

import (
	"context"
	"fmt"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/sesbox/sesbox/mailstore/drafts"
	"github.com/sesbox/sesbox/mailstore/mailbox"
	"github.com/sesbox/sesbox/tui/audit"
	"github.com/sesbox/sesbox/tui/compose"
	"github.com/sesbox/sesbox/tui/forward"
	"github.com/sesbox/sesbox/tui/list"
	"github.com/sesbox/sesbox/tui/viewer"
)

// The list and the viewer are siblings: the root carries the message
// chosen in one to the other, and opens the pages that act on a message.

// MessageLoadedMsg is sent when message Key of mailbox Box has been read and
// parsed (or could not be).
type MessageLoadedMsg struct {
	Box     int
	Key     string
	Message *mailbox.Message
	Err     error
}

// OriginalLoadedMsg is sent when message Key of mailbox Box, which the
// user asked to reply to (to all when All), has been read.
type OriginalLoadedMsg struct {
	Box     int
	Key     string
	All     bool
	Message *mailbox.Message
	Err     error
}

func (m Model) updateMail(msg tea.Msg) (_ tea.Model, _ tea.Cmd, ok bool) {
	switch msg := msg.(type) {
	case list.MessageChosenMsg:
		nm, cmd := m.open(msg.Key)
		return nm, cmd, true
	case viewer.NeighbourRequestedMsg:
		if m.top() != viewer.Kind || msg.Key != m.viewer.Viewer().Key() {
			return m, nil, true
		}
		s, ok := m.cur().List().Step(msg.Delta)
		if !ok {
			m.notice = "no more messages"
			return m, nil, true
		}
		nm, cmd := m.open(s.Key)
		return nm, cmd, true
	case MessageLoadedMsg:
		v := m.viewer.Viewer()
		if msg.Box != m.active || msg.Key != v.Key() {
			return m, nil, true // the user moved on: a stale answer
		}
		if msg.Err != nil {
			m.pushErr(msg.Err)
			v.SetError(msg.Err)
			return m, nil, true
		}
		v.SetMessage(msg.Message)
		// Opening counted the attachments exactly (and saved the count).
		s := msg.Message.Summary
		m.cur().List().SetAttachments(msg.Key, s.Attachments, s.AttachmentsExact)
		if !msg.Message.Summary.Read {
			return m, m.cur().SetReadCmd(msg.Key, true), true
		}
		return m, nil, true
	case OriginalLoadedMsg:
		if msg.Key != m.want || m.pages[compose.Kind] != nil {
			return m, nil, true // the user asked for another since
		}
		m.want = ""
		if msg.Err != nil {
			m.pushErr(msg.Err)
			return m, nil, true
		}
		nm, cmd := m.startCompose(msg.Box, msg.Message, msg.All)
		return nm, cmd, true
	}
	return m, nil, false
}

// open shows key in the viewer at once (its header from the list) and reads
// the message in a Cmd.
func (m Model) open(key string) (tea.Model, tea.Cmd) {
	s, ok := m.cur().List().Summary(key)
	if !ok {
		return m, nil
	}
	m.viewer.Viewer().SetLoading(s)
	m.push(viewer.Kind, m.viewer)
	return m, openCmd(m.ctx, m.active, m.cur().Mailbox, key)
}

// mailKey handles the keys that act on a message in the list and the
// viewer; ok is false for any other key.
func (m Model) mailKey(msg tea.KeyMsg) (_ tea.Model, _ tea.Cmd, ok bool) {
	mk := m.c.Keys.Mail
	var nm tea.Model
	var cmd tea.Cmd
	switch {
	case key.Matches(msg, mk.Reply, mk.ReplyAll):
		nm, cmd = m.reply(key.Matches(msg, mk.ReplyAll))
	case key.Matches(msg, mk.Forward):
		nm, cmd = m.startForward()
	case key.Matches(msg, m.c.Keys.Global.Audit):
		nm, cmd = m.openAudit()
	case key.Matches(msg, mk.ToggleRead):
		nm, cmd = m.toggleRead()
	default:
		return m, nil, false
	}
	return nm, cmd, true
}

// target is the message a key acts on: the one shown in the viewer, else
// the one under the list's cursor.
func (m Model) target() (string, bool) {
	if m.top() == viewer.Kind {
		k := m.viewer.Viewer().Key()
		return k, k != ""
	}
	s, ok := m.cur().List().Selected()
	return s.Key, ok
}

// toggleRead marks the target message read or unread by hand.
func (m Model) toggleRead() (tea.Model, tea.Cmd) {
	k, ok := m.target()
	if !ok {
		return m, nil
	}
	s, _ := m.cur().List().Summary(k)
	return m, m.cur().SetReadCmd(k, !s.Read)
}

// reply starts a reply to the target message: at once in the viewer, which
// has it read; from the list after reading it in a Cmd.
func (m Model) reply(all bool) (tea.Model, tea.Cmd) {
	t := m.cur()
	if t.Reply == nil {
		m.notice = unavailable("reply", t.Name, t.ReplyErr)
		return m, nil
	}
	k, ok := m.target()
	if !ok {
		m.notice = "no message to reply to"
		return m, nil
	}
	if msg := m.viewer.Viewer().Message(); m.top() == viewer.Kind && msg != nil {
		return m.startCompose(m.active, msg, all)
	}
	m.want = k
	m.notice = "reading the message to reply to…"
	return m, loadOriginalCmd(m.ctx, m.active, t.Mailbox, k, all)
}

func (m Model) startCompose(box int, msg *mailbox.Message, all bool) (tea.Model, tea.Cmd) {
	m.want, m.notice = "", ""
	env := *m.tabs[box].Reply
	env.Ctx = m.ctx
	c, err := compose.New(m.c, env, msg, all, "")
	if err != nil {
		m.pushErr(err)
		return m, nil
	}
	m.push(compose.Kind, compose.NewPage(c))
	return m, c.Init()
}

// resume opens the composer on a kept draft of the active mailbox.
func (m Model) resume(d *drafts.Draft) (tea.Model, tea.Cmd) {
	t := m.cur()
	if t.Reply == nil {
		m.notice = unavailable("reply", t.Name, t.ReplyErr)
		return m, nil
	}
	env := *t.Reply
	env.Ctx = m.ctx
	c := compose.Resume(m.c, env, d)
	m.push(compose.Kind, compose.NewPage(c))
	return m, c.Init()
}

// startForward opens the forward screen on the marked messages, else the
// target one.
func (m Model) startForward() (tea.Model, tea.Cmd) {
	t := m.cur()
	if t.Forward == nil {
		m.notice = unavailable("re-forwarding", t.Name, t.ForwardErr)
		return m, nil
	}
	var keys []string
	if m.top() == "" {
		keys = t.List().Marked()
	}
	if len(keys) == 0 {
		if k, ok := m.target(); ok {
			keys = []string{k}
		}
	}
	if len(keys) == 0 {
		m.notice = "no message to forward"
		return m, nil
	}
	f := forward.New(m.ctx, m.c, t.Forward.Forwarder, keys, t.Forward.Options)
	m.push(forward.Kind, forward.NewPage(f))
	return m, f.Init()
}

// openAudit shows the audit view of the active mailbox, the one already
// open when it is this mailbox's.
func (m Model) openAudit() (tea.Model, tea.Cmd) {
	t := m.cur()
	if t.Audit == nil {
		m.notice = unavailable("the audit view", t.Name, t.AuditErr)
		return m, nil
	}
	if o := m.pages[audit.Kind]; o != nil && o.box == m.active {
		m.push(audit.Kind, o.page)
		return m, nil
	}
	a := audit.New(m.c, *t.Audit)
	m.push(audit.Kind, audit.NewPage(a)) // stops the view it replaces
	return m, a.Init()
}

func openCmd(ctx context.Context, box int, mb Mailbox, key string) tea.Cmd {
	return func() tea.Msg {
		msg, err := mb.Open(ctx, key)
		if err != nil {
			err = fmt.Errorf("open %s: %w", key, err)
		}
		return MessageLoadedMsg{Box: box, Key: key, Message: msg, Err: err}
	}
}

// loadOriginalCmd reads the message a reply answers: the composer quotes
// it and threads the reply under it.
func loadOriginalCmd(ctx context.Context, box int, mb Mailbox, key string, all bool) tea.Cmd {
	return func() tea.Msg {
		msg, err := mb.Open(ctx, key)
		if err != nil {
			err = fmt.Errorf("reply: open %s: %w", key, err)
		}
		return OriginalLoadedMsg{Box: box, Key: key, All: all, Message: msg, Err: err}
	}
}
