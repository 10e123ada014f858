// Package tui is sesbox's terminal mail client. The root model here only
// routes: it keeps the mailbox switcher (one tui/tab page per mailbox) and
// a stack of pages shown over the active mailbox's list (the viewer, the
// composer, the forward screen, the audit view, the help), the global
// keys, the `:` command line, the status line and the error history.
// Pages implement common.Page; results name the page they answer
// (common.Addressed), so the root routes them without knowing them; the
// pages that act on a mailbox are opened through tab.Screens.
// Components never import each other or the root.
package tui

import (
	"context"
	"io"
	"log"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/sanitize"
	"github.com/sesbox/sesbox/tui/cmdline"
	"github.com/sesbox/sesbox/tui/common"
	"github.com/sesbox/sesbox/tui/internal/stack"
	"github.com/sesbox/sesbox/tui/list"
	"github.com/sesbox/sesbox/tui/tab"
	"github.com/sesbox/sesbox/tui/textpage"
	"github.com/sesbox/sesbox/tui/viewer"
)

// Box, Mailbox and ForwardEnv describe a mailbox of the switcher (see
// tui/tab); cmd/ builds them.
type (
	Box        = tab.Box
	Mailbox    = tab.Mailbox
	ForwardEnv = tab.ForwardEnv
)

// Model is the root model.
type Model struct {
	c   common.Common
	ctx context.Context
	log *log.Logger

	tabs   []*tab.Model
	active int
	viewer *viewer.Page
	st     stack.Stack    // the pages over the list
	cmd    *cmdline.Model // the `:` line while it is open
	// cmdHist is what was entered on the `:` line, for Up/Down there.
	cmdHist *common.History
	held    []tea.KeyMsg // keys typed while a result was on its way (see settling)
	// sized is set by the first WindowSizeMsg: until then the model is
	// 0x0, and keys are held (see settling).
	sized  bool
	typing common.Kind // the page keys are held for while it reads (Opening.Typing)

	errs    textpage.History
	notes   textpage.History // every notice, errors too (:notices)
	showErr bool             // the last error is on the status line until a key
	notice  string           // likewise, for news that is not an error
	tmpDirs []string
	// quitting blanks the last frame (View): tmux, resized while sesbox
	// ran, showed the rows left on the alternate screen over the shell's
	// screen after it.
	quitting bool
	// ending is set by a signal: the program quits once the built-in
	// editor's text is kept (kept) and nothing is busy (a forward run,
	// stopped after the send in progress, has journaled its outcome).
	ending, kept bool
}

// New builds the root model. ctx bounds every mailbox call (cancel it to
// stop refreshes); refresh lists each bucket after its index has been
// read, and again every so often (every > 0).
func New(ctx context.Context, c common.Common, boxes []Box, refresh bool, every time.Duration, logger *log.Logger) Model {
	if logger == nil {
		logger = log.New(io.Discard, "", 0)
	}
	m := Model{
		c: c, ctx: ctx, log: logger,
		viewer: viewer.NewPage(viewer.New(c)), cmdHist: &common.History{},
	}
	m.st = stack.New(viewer.Kind, m.viewer)
	for i, b := range boxes {
		m.tabs = append(m.tabs, tab.New(ctx, c, i, b, refresh && every >= 0, max(every, 0)))
	}
	return m
}

// Init reads every mailbox's index.
func (m Model) Init() tea.Cmd {
	var cmds []tea.Cmd
	for _, t := range m.tabs {
		cmds = append(cmds, t.Init())
	}
	return tea.Batch(cmds...)
}

func (m Model) cur() *tab.Model { return m.tabs[m.active] }

func (m Model) tooSmall() bool { return common.TooSmall(m.c.Width, m.c.Height) }

// bodyHeight is what is left for the page: the switcher line above, the
// status line and the key hints below.
func (m Model) bodyHeight() int { return max(m.c.Height-3, 1) }

// top is the kind of the page shown, "" for the list.
func (m Model) top() common.Kind { return m.st.Top() }

// shown is the page on screen.
func (m Model) shown() common.Page {
	if k := m.top(); k != "" {
		return m.st.Page(k)
	}
	return m.cur()
}

// page finds the page of kind k: a mailbox's, or an open one.
func (m Model) page(k common.Kind) common.Page {
	for i, t := range m.tabs {
		if common.MailboxKind(i) == k {
			return t
		}
	}
	return m.st.Page(k)
}

// push opens p (of kind k, on the active mailbox) on top of the stack.
func (m *Model) push(k common.Kind, p common.Page) {
	m.st.Push(k, p, m.active, m.c.Width, m.bodyHeight())
}

// Update routes, then replays the keys held while a result was on its
// way once it has come (see settling).
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	nm, cmd := m.update(msg)
	if _, ok := msg.(tea.KeyMsg); !ok {
		nm, cmd = nm.(Model).release(cmd)
	}
	r := nm.(Model).noted(m.notice)
	if r.ending && r.kept && !r.quitting && r.st.Busy() == "" {
		r.quitting = true
		return r, tea.Batch(cmd, tea.Quit)
	}
	return r, cmd
}

// noted keeps a notice new on the status line in the history :notices
// shows (errors are kept as they come, pushErr).
func (m Model) noted(was string) Model {
	if m.notice != "" && m.notice != was {
		m.notes.Add(m.c.Now(), textpage.LevelInfo, sanitize.Line(m.notice))
	}
	return m
}

func (m Model) update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.c.Width, m.c.Height, m.sized = msg.Width, msg.Height, true
		for _, t := range m.tabs {
			t.SetSize(msg.Width, m.bodyHeight())
		}
		var cmds []tea.Cmd
		for _, p := range m.st.Pages() {
			if r, ok := p.(common.Resizer); ok {
				cmds = append(cmds, r.Resize(msg.Width, m.bodyHeight()))
				continue
			}
			p.SetSize(msg.Width, m.bodyHeight())
		}
		if m.cmd != nil {
			m.cmd.SetWidth(msg.Width)
		}
		return m, tea.Batch(cmds...)
	case tea.KeyMsg:
		if msg.Type == tea.KeyCtrlJ && !msg.Alt {
			// A line feed is Enter typed before the terminal was put
			// in raw mode (the line discipline turned its CR into LF:
			// j j Enter sent as sesbox starts moved the cursor and did
			// not open), or ctrl+j, which terminals and mutt take for
			// Enter too.
			msg.Type = tea.KeyEnter
		}
		return m.updateKeys(msg)
	case tea.MouseMsg:
		return m.updateMouse(msg)
	case common.NoticePostedMsg:
		m.notice = msg.Text
		return m, nil
	case common.ErrorPostedMsg:
		m.pushErr(msg.Err)
		return m, nil
	case common.TempDirCreatedMsg:
		m.tmpDirs = append(m.tmpDirs, msg.Dir)
		return m, nil
	case signalledMsg:
		// Nothing asks before this quit (a hung-up terminal cannot
		// answer a question), but the built-in editor's text is kept
		// first, and a forward run is stopped after the send in
		// progress and waited for (Update quits then): cut off, that
		// send stayed "sending" in the journal, uncertain, when SES had
		// taken it.
		m.log.Printf("quit: %v", msg.sig)
		var keep func() error
		if _, kp, ok := m.st.Keeper(); ok {
			keep = kp.KeepNow()
		}
		m.st.Stop()
		m.ending = true
		if m.notice = m.st.Busy(); m.notice != "" {
			m.notice = "ending (" + msg.sig.String() + "): the forward stops after the send in progress"
			m.log.Printf("quit: waiting for the forward run to stop after the send in progress")
		}
		if keep == nil {
			m.kept = true
			return m, nil
		}
		logger := m.log
		return m, func() tea.Msg {
			if err := keep(); err != nil {
				logger.Printf("quit: the reply being written is not kept: %v", err)
			}
			return keptMsg{}
		}
	case keptMsg:
		m.kept = true
		return m, nil
	case common.QuitConfirmedMsg:
		m.log.Printf("quit: %s", msg.Notice)
		if m.notice = m.st.Busy(); m.notice != "" {
			return m, nil
		}
		return m.quitNow()
	case common.PageClosedMsg:
		m.st.Close(msg.Kind)
		m.notice = msg.Notice
		return m, nil
	case common.MarksSetMsg:
		_, cmd := m.cur().Update(msg)
		return m, tea.Batch(cmd, msg.Then)
	case common.OpeningReadyMsg:
		return m.ready(msg)
	case list.MessageChosenMsg:
		return m.open(msg.Key)
	case viewer.NeighbourRequestedMsg:
		return m.step(msg)
	case tab.QueuePolledMsg:
		// What the queue held and was not indexed goes to the log, as
		// index --watch says it on stderr: a message deleted unindexed, or
		// one that comes back every visibility timeout, is never silent.
		if msg.Box >= 0 && msg.Box < len(m.tabs) {
			for _, p := range msg.Problems {
				m.log.Printf("queue of %s: ignored: %s", sanitize.Line(m.tabs[msg.Box].Name), sanitize.Line(p))
			}
		}
	}
	if a, ok := msg.(common.Addressed); ok {
		p := m.page(a.PageKind())
		if f, ok := msg.(common.ForActive); ok && f.ActiveBox() != m.active {
			p = nil
		}
		if p == nil {
			if o, ok := msg.(common.Orphan); ok {
				o.Orphaned()
			}
			return m, nil // its page is gone: a stale answer
		}
		_, cmd := p.Update(msg)
		return m, cmd
	}
	return m.route(msg)
}

// route hands a message to the page on screen.
func (m Model) route(msg tea.Msg) (tea.Model, tea.Cmd) {
	_, cmd := m.shown().Update(msg)
	return m, cmd
}

// pushErr records an error: on the status line until the next key, in the
// history (E) and in the log. The hint, when the error has one, comes first.
func (m *Model) pushErr(err error) {
	text := sanitize.Line(mailstore.Explain(err))
	m.errs.Add(m.c.Now(), textpage.LevelError, text)
	m.notes.Add(m.c.Now(), textpage.LevelError, text)
	m.showErr = true
	m.log.Printf("error: %s", text)
}

// quit ends the program, unless a page must not be cut off: the user is
// told how to let it finish first. A page holding unsaved text (the
// composer's built-in editor) is shown and asked first: it answers with
// QuitConfirmedMsg when the text is safe, or the user keeps editing.
func (m Model) quit() (tea.Model, tea.Cmd) {
	if m.notice = m.st.Busy(); m.notice != "" {
		return m, nil
	}
	if k, kp, ok := m.st.Keeper(); ok {
		if held, cmd := kp.HoldQuit(); held {
			if m.top() != k {
				m.st.Push(k, m.st.Page(k), m.st.Box(k), m.c.Width, m.bodyHeight())
			}
			return m, cmd
		}
	}
	return m.quitNow()
}

// quitNow ends the program.
func (m Model) quitNow() (tea.Model, tea.Cmd) {
	m.st.Stop()
	m.quitting = true
	return m, tea.Quit
}

// TempDirs returns the private directories attachments were opened from;
// Run removes them on exit.
func (m Model) TempDirs() []string { return m.tmpDirs }
