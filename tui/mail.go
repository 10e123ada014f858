package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/sesbox/sesbox/tui/cmdline"
	"github.com/sesbox/sesbox/tui/common"
	"github.com/sesbox/sesbox/tui/tab"
	"github.com/sesbox/sesbox/tui/viewer"
)

// The list and the viewer are siblings: the root carries the message
// chosen in one to the other, and opens the pages that act on a message.

// step opens the message delta away from the viewer's in the list, if the
// viewer still shows the message asked from.
func (m Model) step(msg viewer.NeighbourRequestedMsg) (tea.Model, tea.Cmd) {
	if m.top() != viewer.Kind || msg.Key != m.viewer.Viewer().Key() {
		return m, nil
	}
	s, ok := m.cur().List().Step(msg.Delta)
	if !ok {
		m.notice = "no more messages"
		return m, nil
	}
	nm, cmd := m.open(s.Key)
	return nm, tea.Batch(cmd, m.cur().List().Fetch())
}

// open shows key in the viewer at once (its header from the list) and reads
// the message in a Cmd.
func (m Model) open(key string) (tea.Model, tea.Cmd) {
	s, ok := m.cur().List().Summary(key)
	if !ok {
		return m, nil
	}
	cmd := m.viewer.Open(m.ctx, m.active, m.cur().Mailbox, s)
	m.push(viewer.Kind, m.viewer)
	return m, cmd
}

// mailKeys are the keys that act on a message, in the order the help
// shows them: the screens' (tab.Screens), then the read flag's.
func (m Model) mailKeys() []key.Binding {
	var out []key.Binding
	for _, s := range tab.Screens {
		if s.Key != nil {
			out = append(out, s.Key(m.c.Keys))
		}
	}
	return append(out, m.c.Keys.Mail.ToggleRead)
}

// mailKey runs the `:` line of a screen's key, or flips the read flag
// (no `:` line: :read and :unread set it); ok is false for any other key.
func (m Model) mailKey(msg tea.KeyMsg) (_ tea.Model, _ tea.Cmd, ok bool) {
	for _, s := range tab.Screens {
		if s.Key != nil && key.Matches(msg, s.Key(m.c.Keys)) {
			if s.Ask {
				nm, cmd := m.openCommandLine()
				nm.cmd.Type(s.Line)
				return nm, cmd, true
			}
			nm, cmd := m.runCommand(strings.Fields(s.Line))
			return nm, cmd, true
		}
	}
	if key.Matches(msg, m.c.Keys.Mail.ToggleRead) {
		t, _ := m.target()
		return m, m.cur().ToggleReadCmd(t), true
	}
	return m, nil, false
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

// targetOf is what a page opened now acts on.
func (m Model) targetOf(l cmdline.Line) common.Target {
	t := m.cur()
	g := common.Target{Ctx: m.ctx, Box: m.active, Name: t.Name, Mailbox: t.Mailbox, Flags: l.Flags, Values: l.Values, Arg: l.Arg}
	g.Key, _ = m.target()
	switch m.top() {
	case "":
		g.Marked = t.List().Marked()
		g.ChosenBy, g.RefreshErr = t.List().MarkedBy(), t.Err()
		if len(g.Marked) == 0 && g.Key == "" {
			// Nothing shown: the filter chose none, which from a log
			// never read is no answer (mailbox.RefuseForward says why).
			g.ChosenBy = t.List().Queries()
		}
	case viewer.Kind:
		g.Shown = m.viewer.Viewer().Message()
	}
	return g
}

// apply shows what an opener returned.
func (m Model) apply(op common.Opening) (tea.Model, tea.Cmd) {
	switch {
	case op.Err != nil:
		m.pushErr(op.Err)
		return m, nil
	case op.Page != nil:
		m.notice = ""
		return m, m.st.Show(op, m.active, m.c.Width, m.bodyHeight())
	}
	m.st.Want(op)
	if op.Want != "" && op.Typing {
		m.typing = op.Kind
	}
	if op.Notice != "" {
		m.notice = op.Notice
	}
	return m, op.Cmd
}

// ready shows a page that had to read first, unless another was asked for
// since.
func (m Model) ready(msg common.OpeningReadyMsg) (tea.Model, tea.Cmd) {
	if !m.st.Ready(msg) {
		return m, nil
	}
	op := msg.Open(m.targetOf(cmdline.Line{}))
	if msg.Kind == m.typing && msg.Want != "" {
		// The keys held for the page go to it (release), or nowhere:
		// typed as text, they are not commands for the list.
		m.typing = ""
		if op.Page == nil {
			m.held = nil
		}
	}
	return m.apply(op)
}
