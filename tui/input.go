package tui

import (
	"slices"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/sesbox/sesbox/mailstore/sanitize"
	"github.com/sesbox/sesbox/tui/cmdline"
	"github.com/sesbox/sesbox/tui/common"
	"github.com/sesbox/sesbox/tui/keys"
	"github.com/sesbox/sesbox/tui/textpage"
	"github.com/sesbox/sesbox/tui/viewer"
)

// The overlays: pages of text over the page they describe.
const (
	helpKind   common.Kind = "help"
	errorsKind common.Kind = "errors"
	notesKind  common.Kind = "notices"
)

// updateKeys splits a burst of keys (see keys.SplitBurst).
func (m Model) updateKeys(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	// In a text input alt+b, alt+f and alt+d move and delete by word;
	// another Alt key there is Esc (cancel) then the key, as outside one.
	// The built-in editor takes every Alt key itself.
	if esc, rest, ok := m.c.Keys.SplitAlt(msg); ok && !(m.capturing() && (keys.EditsText(msg) || m.takesAltKeys())) {
		nm, cmd := m.updateKeys(esc)
		nm, rcmd := nm.(Model).updateKeys(rest)
		return nm, tea.Batch(cmd, rcmd)
	}
	return keys.SplitBurst(m, msg, Model.capturing, Model.updateKey)
}

// takesAltKeys reports whether the shown page's editor takes Alt keys
// whole (common.AltKeys).
func (m Model) takesAltKeys() bool {
	a, ok := m.shown().(common.AltKeys)
	return ok && a.TakesAltKeys()
}

// capturing reports whether a text input has the keyboard.
func (m Model) capturing() bool { return m.cmd != nil || m.shown().Capturing() }

func (m Model) updateKey(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	g := m.c.Keys.Global
	m.notice, m.showErr = "", false
	if key.Matches(msg, g.Quit) {
		return m.quit()
	}
	if key.Matches(msg, g.Redraw) {
		return m, tea.ClearScreen
	}
	if key.Matches(msg, g.Suspend) {
		if !m.c.JobControl {
			// Stopped, nothing would ever resume it (SIGTSTP to an
			// orphaned group is dropped, and bubbletea would wait).
			m.notice = "not suspended: no shell with job control to resume sesbox"
			return m, nil
		}
		return m, tea.Suspend
	}
	if m.typing != "" && len(m.held) == 0 && key.Matches(msg, g.Back) {
		// Esc before anything was typed gives up waiting.
		m.st.Unwant(m.typing)
		m.typing, m.notice = "", "cancelled"
		return m, nil
	}
	if len(m.held) > 0 && m.overtakesHeld(msg) {
		m.held = nil
	}
	if len(m.held) > 0 || (m.settling() && !m.passesLoading(msg)) {
		m.held = append(m.held, msg)
		return m, nil
	}
	if m.tooSmall() {
		// q quits here as on the list; the clear-filter key (esc) does
		// not: one esc too many while the terminal is being resized
		// must not end the session (TestTooSmallEscDoesNotQuit).
		if key.Matches(msg, keys.Without(g.Back, m.c.Keys.List.ClearFilter), g.QuitNow) {
			return m.quit()
		}
		return m, nil
	}
	if m.cmd != nil {
		var cmd tea.Cmd
		var args []string
		if m.cmd, args, cmd = m.cmd.Update(msg); len(args) > 0 {
			return m.runCommand(args)
		}
		return m, cmd
	}
	p := m.shown()
	if p.Capturing() {
		return m.route(msg)
	}
	top := m.top()
	switch {
	case key.Matches(msg, g.QuitNow):
		// From any screen at once, asking only what q and ctrl+c ask
		// (a forward running, the built-in editor's unsaved text).
		return m.quit()
	case top == helpKind || top == errorsKind || top == notesKind:
		if key.Matches(msg, g.Back, g.Help, g.Errors) {
			m.st.Leave(top)
			return m, nil
		}
		return m.route(msg)
	case key.Matches(msg, g.Help):
		return m.openHelp(), nil
	case key.Matches(msg, g.Errors):
		return m.openErrors(), nil
	}
	if _, modal := p.(common.Modal); modal {
		if b, ok := p.(common.Busy); ok && key.Matches(msg, g.Back) && b.Busy() != "" {
			m.notice = b.Busy()
			return m, nil
		}
		return m.route(msg)
	}
	switch {
	case key.Matches(msg, g.Back):
		if b, ok := p.(common.Backer); ok {
			if used, cmd := b.Back(msg); used {
				return m, cmd
			}
		}
		if top == "" {
			return m.quit()
		}
		m.st.Leave(top)
		return m, nil
	case key.Matches(msg, g.Command):
		return m.openCommandLine()
	}
	// Opening and stepping are done here, not through the list's and the
	// viewer's Cmds: keys read in the same burst are handled before any Cmd
	// answers, so a J after J would find the first step's answer stale and
	// be dropped, and a p after Enter would land in the list.
	switch {
	case top == "" && key.Matches(msg, m.c.Keys.List.Open):
		if k, ok := m.cur().List().Choose(); ok {
			return m.open(k)
		}
		return m, nil
	case top == viewer.Kind && key.Matches(msg, m.c.Keys.Viewer.Next, m.c.Keys.Viewer.Prev):
		d := 1
		if key.Matches(msg, m.c.Keys.Viewer.Prev) {
			d = -1
		}
		return m.step(viewer.NeighbourRequestedMsg{Key: m.viewer.Viewer().Key(), Delta: d})
	}
	if top == "" || top == viewer.Kind {
		if nm, cmd, ok := m.mailKey(msg); ok {
			return nm, cmd
		}
	}
	if top == "" {
		switch {
		case key.Matches(msg, g.NextBox, g.PrevBox):
			if len(m.tabs) == 1 {
				m.notice = "only one mailbox is configured (add [mailbox.NAME] sections to the config file)"
				return m, nil
			}
			d := 1
			if key.Matches(msg, g.PrevBox) {
				d = len(m.tabs) - 1
			}
			m.active = (m.active + d) % len(m.tabs)
			return m, nil
		}
	}
	if (top == "" || top == viewer.Kind) && !msg.Paste && !m.acts(msg) {
		// As mutt's "Key is not bound": a key that did nothing said
		// nothing, a mistyped one read as one that failed silently.
		m.notice = sanitize.Line(msg.String()) + " does nothing here (" + g.Help.Help().Key + " lists the keys)"
		if slices.Contains(deleteKeys, msg.String()) {
			// mutt's and aerc's delete keys: say why, not only that.
			m.notice = msg.String() + " does nothing: sesbox never deletes mail from the bucket (" + g.Help.Help().Key + " lists the keys)"
		}
	}
	return m.route(msg)
}

// deleteKeys are the keys that delete messages in mutt and aerc (d, D)
// and the Delete key: a user of those expects them to act, and the
// notice says why they do not, as the README does.
var deleteKeys = []string{"d", "D", "delete"}

// acts reports whether k is one of the keys the help of the page shown
// lists (activeKeys): every key that does something there.
func (m Model) acts(k tea.KeyMsg) bool {
	km := m.activeKeys()
	if slices.ContainsFunc(km.Short, func(b key.Binding) bool { return key.Matches(k, b) }) {
		return true
	}
	return slices.ContainsFunc(km.Full, func(bs []key.Binding) bool {
		return slices.ContainsFunc(bs, func(b key.Binding) bool { return key.Matches(k, b) })
	})
}

// settling reports whether keys must wait for a result on its way: the
// list's rows about to be replaced by a filter's, a sort's or the thread
// view's, or its cursor about to jump to a search's match
// (list.Settling), or the message the viewer was opened on. Such keys are
// held and replayed in order once it has come, as mutt and aerc, whose
// limit, sort and open do not return before they are done, read keys
// typed meanwhile: the same keys act on the same rows and message whether
// typed fast or slowly (/x Enter Enter p opens the first match and shows
// its parts). Dropping them would lose typing (a / dropped in a viewer
// still loading made the search text that followed commands: the r of
// "priya" opened a reply); acting on the rows shown would open a message
// the filter hides. So does the terminal's size, until bubbletea's first
// WindowSizeMsg: the model is 0x0 before it, too small for any key (keys
// typed as sesbox starts were dropped there). The list's first messages count too (tab.Filling):
// on a mailbox's first open, keys typed before a refresh's first batch
// came moved over an empty list and opened nothing; they act on the rows
// as the batches bring them, as aerc shows and moves over rows as they
// arrive. ctrl+c (Quit) and ctrl+l always pass, so a stuck read
// never takes the keyboard. A page that has asked to be closed
// (common.Closer: the composer after p) holds keys for the page under it.
// Pages that ask to confirm (the forward
// screen's y) are not waited for: as mutt flushes type-ahead before a
// yes/no question, a y typed before the plan was shown must not send it.
// A page whose opening reads first for its text editor (Opening.Typing:
// the reply) is waited for, and its keys go to it or nowhere (ready).
func (m Model) settling() bool {
	if m.typing != "" || !m.sized {
		return true
	}
	if m.cmd != nil || m.tooSmall() || m.shown().Capturing() {
		return false
	}
	if c, ok := m.shown().(common.Closer); ok && c.Closing() {
		return true
	}
	switch m.top() {
	case "":
		return m.cur().List().Settling() || m.cur().Filling()
	case viewer.Kind:
		return m.viewer.Viewer().Loading()
	}
	return false
}

// passesLoading reports whether k acts at once while the page waits, as
// long as no key is held before it. In a viewer whose message is still
// read: leaving it, and stepping to the next or previous message (JJJ
// skips three at once, without waiting for the two messages passed),
// need no body. Over a list waiting for its first messages (tab.Filling,
// which on a large bucket's first open may take minutes): q quits, ?, E
// and : open the help, the errors and the command line, Tab and
// Shift-Tab switch to another mailbox, / and Esc change and clear a
// filter (one that matches none of the rows indexed so far waits too);
// the keys that act on messages wait for them.
func (m Model) passesLoading(k tea.KeyMsg) bool {
	g, v, l := m.c.Keys.Global, m.c.Keys.Viewer, m.c.Keys.List
	if !m.sized {
		return false
	}
	switch m.top() {
	case viewer.Kind:
		return key.Matches(k, g.Back, v.Next, v.Prev)
	case "":
		return m.cur().Filling() && key.Matches(k, g.Back, g.Help, g.Errors, g.Command, g.NextBox, g.PrevBox, l.Filter, l.ClearFilter)
	}
	return false
}

// overtakesHeld reports whether k acts at once although keys are held
// before it, which it drops: over a list waiting for its first messages
// with a filter set, the held keys wait for that filter's first match
// (/zzzz Enter j), which may come only when the index is built; / (a new
// filter) and Esc (none) replace the filter they wait for, and waited
// behind them until then. With no filter set the held keys wait for the
// first rows and an Esc keeps its place (j Enter Esc leaves the message
// it opens; at once it would quit).
func (m Model) overtakesHeld(k tea.KeyMsg) bool {
	l := m.c.Keys.List
	return m.sized && m.cmd == nil && m.top() == "" && !m.shown().Capturing() &&
		m.cur().Filling() && m.cur().List().HasFilter() && key.Matches(k, l.Filter, l.ClearFilter)
}

// release replays the held keys once nothing is settling; a key among
// them that starts a wait again (o, a sort) holds the rest once more.
func (m Model) release(cmd tea.Cmd) (tea.Model, tea.Cmd) {
	if len(m.held) == 0 || m.settling() {
		return m, cmd
	}
	held := m.held
	m.held = nil
	cmds := []tea.Cmd{cmd}
	var cur tea.Model = m
	for _, k := range held {
		var c tea.Cmd
		cur, c = cur.(Model).updateKeys(k)
		cmds = append(cmds, c)
	}
	return cur, tea.Batch(cmds...)
}

func (m Model) openHelp() Model {
	p := m.shown()
	sections := []common.HelpSection{{Title: "Commands (:, Tab completes):", Body: cmdline.Help(), Hang: cmdline.HelpColumn}}
	if h, ok := p.(common.Helper); ok {
		sections = append(sections, h.HelpSections()...)
	}
	m.push(helpKind, textpage.NewHelp(m.c, helpKind, p.Title(), m.activeKeys(), sections...))
	return m
}

func (m Model) openNotes() Model {
	m.push(notesKind, textpage.NewNotices(m.c, notesKind, m.notes))
	return m
}

func (m Model) openErrors() Model {
	m.push(errorsKind, textpage.NewErrors(m.c, errorsKind, m.errs))
	return m
}

func (m Model) updateMouse(msg tea.MouseMsg) (tea.Model, tea.Cmd) {
	if m.tooSmall() {
		return m, nil
	}
	msg.Y-- // the switcher line
	return m.route(msg)
}
