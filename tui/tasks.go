package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/sesbox/sesbox/mailstore/mailbox"
	"github.com/sesbox/sesbox/mailstore/reforward"
	"github.com/sesbox/sesbox/tui/audit"
	"github.com/sesbox/sesbox/tui/compose"
	"github.com/sesbox/sesbox/tui/forward"
)

// The screens that act on a mailbox rather than show it: the composer (r,
// R), the forward screen (f) and the audit view (A). Each is opened from
// the list or the viewer, on the active mailbox, and at most one of each
// exists. Their results are routed by message type, whichever screen is
// shown: a send or a verify goes on while the help is up, and a verify
// goes on after the audit view was left.

// composeTask is the composer, while a reply is being written.
type composeTask struct {
	on   bool
	m    compose.Model
	back screen // list or viewer: where closing it returns
	// want is the message whose original is being read for a reply (r was
	// pressed, the composer is not open yet); other answers are stale.
	want    string
	wantBox int
}

// forwardTask is the forward screen, from f until it is closed.
type forwardTask struct {
	on   bool
	m    forward.Model
	box  int // whose list FailuresMarkedMsg marks
	back screen
}

// auditTask is the audit view of mailbox box. It is kept when the user
// leaves it (A shows it again, a verify goes on) and stopped when an
// audit of another mailbox replaces it.
type auditTask struct {
	on   bool
	m    audit.Model
	box  int
	back screen
}

// updateMailKey handles the keys that act on a message in the list and
// the viewer; ok is false for any other key.
func (m Model) updateMailKey(msg tea.KeyMsg) (_ tea.Model, _ tea.Cmd, ok bool) {
	mk := m.c.Keys.Mail
	switch {
	case key.Matches(msg, mk.Reply), key.Matches(msg, mk.ReplyAll):
		nm, cmd := m.reply(key.Matches(msg, mk.ReplyAll))
		return nm, cmd, true
	case key.Matches(msg, mk.Forward):
		nm, cmd := m.startForward()
		return nm, cmd, true
	case key.Matches(msg, m.c.Keys.Global.Audit):
		nm, cmd := m.openAudit()
		return nm, cmd, true
	}
	return m, nil, false
}

// unavailable explains why a mailbox cannot do what was asked.
func unavailable(what, box string, why error) string {
	s := what + " is not set up for mailbox " + box
	if why != nil {
		s += ": " + why.Error()
	}
	return s
}

// target is the message a key acts on: the one shown in the viewer, else
// the one under the list's cursor.
func (m Model) target() (string, bool) {
	if m.screen == screenViewer {
		return m.viewer.Key(), m.viewer.Key() != ""
	}
	s, ok := m.cur().list.Selected()
	return s.Key, ok
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
	if msg := m.viewer.Message(); m.screen == screenViewer && msg != nil {
		return m.startCompose(m.active, msg, all)
	}
	m.composing.want, m.composing.wantBox = k, m.active
	m.notice = "reading the message to reply to…"
	return m, loadOriginalCmd(m.ctx, m.active, t.Mailbox, k, all)
}

func (m Model) startCompose(box int, msg *mailbox.Message, all bool) (tea.Model, tea.Cmd) {
	m.composing.want, m.notice = "", ""
	env := *m.tabs[box].Reply
	env.Ctx = m.ctx
	c, err := compose.New(m.c, env, msg, all, "")
	if err != nil {
		m.pushErr(err)
		return m, nil
	}
	c.SetSize(m.c.Width, m.bodyHeight())
	back := m.screen
	if back != screenViewer {
		back = screenList
	}
	m.composing = composeTask{on: true, m: c, back: back}
	m.screen = screenCompose
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
	if m.screen == screenList {
		keys = t.list.Marked()
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
	f.SetSize(m.c.Width, m.bodyHeight())
	m.forwarding = forwardTask{on: true, m: f, box: m.active, back: m.screen}
	m.screen = screenForward
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
	if m.auditing.on && m.auditing.box == m.active {
		m.auditing.back = m.screen
		m.screen = screenAudit
		return m, nil
	}
	if m.auditing.on {
		m.auditing.m.Stop()
	}
	a := audit.New(m.c, *t.Audit)
	a.SetSize(m.c.Width, m.bodyHeight())
	m.auditing = auditTask{on: true, m: a, box: m.active, back: m.screen}
	m.screen = screenAudit
	return m, a.Init()
}

// sizeTasks passes the body's size on to the open ones (a zero component
// cannot be sized).
func (m *Model) sizeTasks() {
	w, h := m.c.Width, m.bodyHeight()
	if m.composing.on {
		m.composing.m.SetSize(w, h)
	}
	if m.forwarding.on {
		m.forwarding.m.SetSize(w, h)
	}
	if m.auditing.on {
		m.auditing.m.SetSize(w, h)
	}
}

// leave replaces screen s, wherever it is (shown, or under the help), with
// back.
func (m *Model) leave(s, back screen) {
	if m.screen == s {
		m.screen = back
	}
	if m.under == s {
		m.under = back
	}
}

// updateTask routes the results of the composer, the forward screen and
// the audit view; ok is false for any other message.
func (m Model) updateTask(msg tea.Msg) (_ tea.Model, _ tea.Cmd, ok bool) {
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case OriginalLoadedMsg:
		if msg.Key != m.composing.want || msg.Box != m.composing.wantBox || m.composing.on {
			return m, nil, true // the user asked for another since
		}
		m.composing.want = ""
		if msg.Err != nil {
			m.pushErr(msg.Err)
			return m, nil, true
		}
		nm, cmd := m.startCompose(msg.Box, msg.Message, msg.All)
		return nm, cmd, true
	case compose.DraftCreatedMsg, compose.DraftEditedMsg, compose.DraftSavedMsg,
		compose.DraftPreparedMsg, compose.ReplySentMsg, compose.DraftDiscardedMsg:
		if m.composing.on {
			m.composing.m, cmd = m.composing.m.Update(msg)
		}
	case compose.ComposeClosedMsg:
		if !m.composing.on || msg.ID != m.composing.m.DraftID() {
			return m, nil, true
		}
		m.leave(screenCompose, m.composing.back)
		m.composing = composeTask{}
		m.notice = msg.Text

	case forward.ForwardPlannedMsg, forward.ForwardProgressedMsg, forward.ForwardFinishedMsg:
		if m.forwarding.on { // the screen drops another screen's results
			m.forwarding.m, cmd = m.forwarding.m.Update(msg)
		}
	case forward.FailuresMarkedMsg:
		if !m.forwarding.on || msg.ID != m.forwarding.m.ID() {
			return m, nil, true
		}
		n := m.tabs[m.forwarding.box].list.SetMarked(msg.Keys)
		m.notice = "marked " + itoa(n) + " failed message(s) in the list: " +
			m.c.Keys.Mail.Forward.Help().Key + " there forwards them again"
	case forward.ForwardClosedMsg:
		if !m.forwarding.on || msg.ID != m.forwarding.m.ID() {
			return m, nil, true
		}
		m.notice = forwardSummary(m.forwarding.m.Results())
		m.leave(screenForward, m.forwarding.back)
		m.forwarding = forwardTask{}

	case audit.PostureReadMsg:
		// Posture reads carry no run: an earlier view's (of another
		// mailbox) is told apart by its bucket.
		if cfg := m.tabs[m.auditing.box].Audit; m.auditing.on && cfg.Config != nil && msg.Location == cfg.Config.Location() {
			m.auditing.m, cmd = m.auditing.m.Update(msg)
		}
	case audit.VerifyStartedMsg:
		if !m.auditing.on {
			msg.Cancel() // its view is gone: let the run end
			return m, nil, true
		}
		m.auditing.m, cmd = m.auditing.m.Update(msg)
	case audit.VerifyProgressedMsg:
		if m.auditing.on {
			m.auditing.m, cmd = m.auditing.m.Update(msg)
		}
	case audit.VerifyFinishedMsg:
		if !m.auditing.on {
			return m, nil, true
		}
		was := m.auditing.m.Running()
		m.auditing.m, cmd = m.auditing.m.Update(msg)
		if was && !m.auditing.m.Running() && m.screen != screenAudit {
			m.notice = "audit: the verify has finished (" + m.c.Keys.Global.Audit.Help().Key + " shows it)"
		}
	default:
		return m, nil, false
	}
	return m, cmd, true
}

// forwardSummary is the status line after the forward screen closes.
func forwardSummary(rs []reforward.Result) string {
	if len(rs) == 0 {
		return "forward: nothing sent"
	}
	n := map[reforward.Status]int{}
	for _, r := range rs {
		n[r.Status]++
	}
	var parts []string
	for _, s := range []reforward.Status{reforward.StatusSent, reforward.StatusDryRun, reforward.StatusSkipped,
		reforward.StatusFailed, reforward.StatusUncertain} {
		if n[s] > 0 {
			what := string(s)
			if s == reforward.StatusDryRun {
				what = "written (dry run)"
			}
			parts = append(parts, itoa(n[s])+" "+what)
		}
	}
	return "forward: " + strings.Join(parts, ", ")
}

// quit ends the program, unless a forward is running: it would be cut off
// unseen, so the user is told how to stop it first.
func (m Model) quit() (tea.Model, tea.Cmd) {
	if m.forwarding.on && m.forwarding.m.Running() {
		m.notice = "a forward is running: " + m.c.Keys.Forward.Stop.Help().Key +
			" stops it after the send in progress, then it can be closed"
		return m, nil
	}
	if m.auditing.on {
		m.auditing.m.Stop()
	}
	return m, tea.Quit
}
