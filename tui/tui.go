// Package tui is sesbox's terminal mail client. The root model here only
// routes: it owns the screen state (which mailbox, which screen), the global
// keys, the status line and the error history, runs every mailbox call in a
// tea.Cmd, and hands messages to the component on screen (tui/list,
// tui/viewer, and the screens tasks.go opens: tui/compose, tui/forward,
// tui/audit). Components never import each other or the root.
package tui

import (
	"context"
	"log"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/progress"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/sesbox/sesbox/mailstore/mailbox"
	"github.com/sesbox/sesbox/mailstore/sanitize"
	"github.com/sesbox/sesbox/tui/common"
	"github.com/sesbox/sesbox/tui/list"
	"github.com/sesbox/sesbox/tui/viewer"
)

// MinWidth and MinHeight are the smallest terminal the TUI lays out in.
const (
	MinWidth  = 80
	MinHeight = 24
)

type screen int

const (
	screenList screen = iota
	screenViewer
	screenCompose
	screenForward
	screenAudit
	screenHelp
	screenErrors
)

// tab is one mailbox of the switcher with its own list, so switching keeps
// each mailbox's cursor, filter and marks.
type tab struct {
	Box        // the mailbox and what it can do
	list       list.Model
	loaded     bool
	refreshing bool
	progress   mailbox.Progress
	events     chan refreshEvent
}

type errEntry struct {
	at   time.Time
	text string
}

// Model is the root model.
type Model struct {
	c   common.Common
	ctx context.Context
	log *log.Logger

	tabs   []tab
	active int
	screen screen
	under  screen // what help and the error history return to

	viewer     viewer.Model
	composing  composeTask
	forwarding forwardTask
	auditing   auditTask
	help       help.Model
	bar        progress.Model

	errs    []errEntry
	showErr bool   // the last error is on the status line until a key
	notice  string // likewise, for news that is not an error
	tmpDirs []string
	refresh bool // refresh mailboxes after loading their index
}

// New builds the root model. ctx bounds every mailbox call (cancel it to
// stop refreshes); refresh starts an index refresh of every mailbox after
// its index has been read.
func New(ctx context.Context, c common.Common, boxes []Box, refresh bool, logger *log.Logger) Model {
	if logger == nil {
		logger = log.New(discard{}, "", 0)
	}
	m := Model{
		c: c, ctx: ctx, log: logger, refresh: refresh,
		viewer: viewer.New(c),
		help:   help.New(),
		bar: progress.New(progress.WithWidth(16), progress.WithoutPercentage(),
			progress.WithSolidFill(c.Styles.ProgressFull), progress.WithColorProfile(c.Styles.Profile)),
	}
	m.bar.EmptyColor = c.Styles.ProgressEmpty
	m.help.Styles = c.Styles.Help
	for _, b := range boxes {
		m.tabs = append(m.tabs, tab{Box: b, list: list.New(c), events: make(chan refreshEvent, 64)})
	}
	return m
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// Init reads every mailbox's index.
func (m Model) Init() tea.Cmd {
	var cmds []tea.Cmd
	for i, t := range m.tabs {
		cmds = append(cmds, loadSummariesCmd(m.ctx, i, t.Mailbox))
	}
	return tea.Batch(cmds...)
}

func (m *Model) cur() *tab { return &m.tabs[m.active] }

func (m Model) tooSmall() bool { return m.c.Width < MinWidth || m.c.Height < MinHeight }

// bodyHeight is what is left for the list or viewer: the switcher line
// above, the status line and the key hints below.
func (m Model) bodyHeight() int { return max(m.c.Height-3, 1) }

// Update routes.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.c.Width, m.c.Height = msg.Width, msg.Height
		for i := range m.tabs {
			m.tabs[i].list.SetSize(msg.Width, m.bodyHeight())
		}
		m.viewer.SetSize(msg.Width, m.bodyHeight())
		m.sizeTasks()
		m.help.Width = msg.Width
		return m, nil
	case tea.KeyMsg:
		return m.updateKey(msg)
	case tea.MouseMsg:
		return m.updateMouse(msg)
	case SummariesLoadedMsg:
		t := &m.tabs[msg.Box]
		if msg.Err != nil {
			m.pushErr(msg.Err)
		} else {
			t.list.SetSummaries(msg.Summaries)
		}
		first := !t.loaded
		t.loaded = true
		if first && m.refresh && !t.refreshing {
			t.refreshing = true
			return m, startRefreshCmd(m.ctx, msg.Box, t.Mailbox, t.events)
		}
	case RefreshProgressedMsg:
		t := &m.tabs[msg.Box]
		t.list.Add(msg.Progress.New)
		msg.Progress.New = nil
		if !msg.Finished {
			t.progress = msg.Progress
			return m, waitRefreshCmd(m.ctx, msg.Box, t.events)
		}
		t.refreshing = false
		if msg.Err != nil {
			m.pushErr(msg.Err)
		}
		// Reread the index: a refresh also marks vanished messages.
		return m, loadSummariesCmd(m.ctx, msg.Box, t.Mailbox)
	case list.MessageChosenMsg:
		return m.open(msg.Key)
	case viewer.NeighbourRequestedMsg:
		if m.screen != screenViewer || msg.Key != m.viewer.Key() {
			return m, nil
		}
		s, ok := m.cur().list.Step(msg.Delta)
		if !ok {
			m.notice = "no more messages"
			return m, nil
		}
		return m.open(s.Key)
	case MessageLoadedMsg:
		if msg.Box != m.active || msg.Key != m.viewer.Key() {
			return m, nil // the user moved on: a stale answer
		}
		if msg.Err != nil {
			m.pushErr(msg.Err)
			m.viewer.SetError(msg.Err)
			return m, nil
		}
		m.viewer.SetMessage(msg.Message)
		if !msg.Message.Summary.Read {
			return m, setReadCmd(m.ctx, msg.Box, m.cur().Mailbox, msg.Key, true)
		}
	case ReadStateSavedMsg:
		if msg.Err != nil {
			m.pushErr(msg.Err)
			return m, nil
		}
		m.tabs[msg.Box].list.SetRead(msg.Key, msg.Read)
		if msg.Box == m.active && msg.Key == m.viewer.Key() {
			m.viewer.SetRead(msg.Read)
		}
	case list.MarkedSaveRequestedMsg:
		m.notice = "saving attachments of " + itoa(len(msg.Keys)) + " messages…"
		return m, saveMarkedCmd(m.ctx, m.active, m.cur().Mailbox, msg.Keys, msg.Dir)
	case list.MarkedExportRequestedMsg:
		box := m.cur()
		if box.Audit == nil {
			m.notice = unavailable("export", box.Name, box.AuditErr)
			return m, nil
		}
		m.notice = "exporting " + itoa(len(msg.Keys)) + " messages…"
		return m, exportMarkedCmd(m.ctx, m.active, box.Audit.Bucket, msg.Keys, msg.File)
	case MarkedExportedMsg:
		if msg.Err != nil {
			m.pushErr(msg.Err)
			return m, nil
		}
		m.notice = "exported " + itoa(int(msg.Count)) + " messages to " + sanitize.Line(msg.File) + " (manifest beside it)"
	case MarkedSavedMsg:
		m.notice = "saved " + itoa(len(msg.Paths)) + " files from " + itoa(msg.Keys-msg.Skipped) + " of " +
			itoa(msg.Keys) + " marked messages to " + sanitize.Line(msg.Dir)
		if msg.Err != nil {
			m.pushErr(msg.Err)
		}
	case viewer.AttachmentsSavedMsg:
		if msg.Err != nil {
			m.pushErr(msg.Err)
		} else {
			m.notice = "saved " + itoa(len(msg.Paths)) + " file(s) to " + sanitize.Line(msg.Dir)
		}
	case viewer.AttachmentOpenedMsg:
		if msg.Dir != "" {
			m.tmpDirs = append(m.tmpDirs, msg.Dir)
		}
		if msg.Err != nil {
			m.pushErr(msg.Err)
		} else {
			m.notice = "opened " + sanitize.Line(msg.Path)
		}
	case viewer.ClipboardCopiedMsg:
		if msg.Err != nil {
			m.pushErr(msg.Err)
		} else {
			m.notice = "copied the " + msg.What + " (OSC 52)"
		}
	case common.NoticePostedMsg:
		m.notice = msg.Text
	case common.ErrorReportedMsg:
		m.pushErr(msg.Err)
	default:
		if viewer.Owns(msg) { // the pager's own results (links, parts, pipes)
			var cmd tea.Cmd
			m.viewer, cmd = m.viewer.Update(msg)
			return m, cmd
		}
		if nm, cmd, ok := m.updateTask(msg); ok {
			return nm, cmd
		}
	}
	return m, nil
}

// open shows key in the viewer at once (its header from the list) and reads
// the message in a Cmd.
func (m Model) open(key string) (tea.Model, tea.Cmd) {
	s, ok := m.cur().list.Summary(key)
	if !ok {
		return m, nil
	}
	m.viewer.SetLoading(s)
	m.screen = screenViewer
	return m, openCmd(m.ctx, m.active, m.cur().Mailbox, key)
}

func (m Model) updateKey(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	g := m.c.Keys.Global
	m.notice, m.showErr = "", false
	if key.Matches(msg, g.Quit) {
		return m.quit()
	}
	if m.tooSmall() {
		if key.Matches(msg, g.Back) {
			return m.quit()
		}
		return m, nil
	}
	overlay := !m.capturing() && key.Matches(msg, g.Help, g.Errors)
	switch m.screen {
	case screenHelp, screenErrors:
		if key.Matches(msg, g.Back, g.Help, g.Errors) {
			m.screen = m.under
		}
		return m, nil
	case screenCompose, screenForward:
		// Modal: they have their own keys to leave by.
		if overlay {
			return m.overlay(msg), nil
		}
		if m.screen == screenForward && m.forwarding.m.Running() && key.Matches(msg, g.Back) {
			return m.quit() // refused, with the way to stop it
		}
	case screenAudit:
		switch {
		case m.capturing():
		case key.Matches(msg, g.Back):
			m.screen = m.auditing.back
			return m, nil
		case overlay:
			return m.overlay(msg), nil
		}
	case screenViewer:
		if m.viewer.Capturing() {
			break
		}
		switch {
		case key.Matches(msg, g.Back):
			if !m.viewer.Back() {
				m.screen = screenList
			}
			return m, nil
		case overlay:
			return m.overlay(msg), nil
		}
		if nm, cmd, ok := m.updateMailKey(msg); ok {
			return nm, cmd
		}
	case screenList:
		l := &m.cur().list
		if l.Capturing() || (l.HasFilter() && key.Matches(msg, m.c.Keys.List.ClearFilter)) {
			break
		}
		if nm, cmd, ok := m.updateMailKey(msg); ok {
			return nm, cmd
		}
		switch {
		case key.Matches(msg, g.Back):
			return m.quit()
		case overlay:
			return m.overlay(msg), nil
		case key.Matches(msg, g.NextBox):
			m.active = (m.active + 1) % len(m.tabs)
			return m, nil
		case key.Matches(msg, g.PrevBox):
			m.active = (m.active + len(m.tabs) - 1) % len(m.tabs)
			return m, nil
		case key.Matches(msg, g.Refresh):
			t := m.cur()
			if t.refreshing {
				m.notice = "already re-indexing"
				return m, nil
			}
			t.refreshing = true
			t.progress = mailbox.Progress{Started: m.c.Now()}
			return m, startRefreshCmd(m.ctx, m.active, t.Mailbox, t.events)
		}
	}
	return m.route(msg)
}

func (m Model) overlay(msg tea.KeyMsg) Model {
	m.under = m.screen
	m.screen = screenHelp
	if key.Matches(msg, m.c.Keys.Global.Errors) {
		m.screen = screenErrors
	}
	return m
}

// route hands a message to the component on screen.
func (m Model) route(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	switch m.screen {
	case screenList:
		t := m.cur()
		t.list, cmd = t.list.Update(msg)
	case screenViewer:
		m.viewer, cmd = m.viewer.Update(msg)
	case screenCompose:
		m.composing.m, cmd = m.composing.m.Update(msg)
	case screenForward:
		m.forwarding.m, cmd = m.forwarding.m.Update(msg)
	case screenAudit:
		m.auditing.m, cmd = m.auditing.m.Update(msg)
	}
	return m, cmd
}

// capturing reports whether the component on screen has a prompt or an
// editor open: every key but ctrl+c goes to it then.
func (m Model) capturing() bool {
	switch m.screen {
	case screenList:
		return m.tabs[m.active].list.Capturing()
	case screenViewer:
		return m.viewer.Capturing()
	case screenCompose:
		return m.composing.m.Capturing()
	case screenAudit:
		return m.auditing.m.Capturing()
	}
	return false
}

func (m Model) updateMouse(msg tea.MouseMsg) (tea.Model, tea.Cmd) {
	if m.tooSmall() {
		return m, nil
	}
	msg.Y-- // the switcher line
	return m.route(msg)
}

// pushErr records an error: on the status line until the next key, in the
// history (E) and in the log.
func (m *Model) pushErr(err error) {
	text := sanitize.Line(err.Error())
	m.errs = append(m.errs, errEntry{at: m.c.Now(), text: text})
	if len(m.errs) > 200 {
		m.errs = m.errs[len(m.errs)-200:]
	}
	m.showErr = true
	m.log.Printf("error: %s", text)
}

// TempDirs returns the private directories attachments were opened from;
// Run removes them on exit.
func (m Model) TempDirs() []string { return m.tmpDirs }
