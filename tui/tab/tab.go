// Package tab is one mailbox of the switcher as a root page: its message
// list, the index reads and refreshes behind it (periodic too), the save
// and export of marked messages, and the failure of the last listing,
// which stays in the list area until a refresh succeeds.
package tab

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/mailbox"
	"github.com/sesbox/sesbox/mailstore/notify"
	"github.com/sesbox/sesbox/mailstore/query"
	"github.com/sesbox/sesbox/mailstore/sanitize"
	"github.com/sesbox/sesbox/tui/audit"
	"github.com/sesbox/sesbox/tui/common"
	"github.com/sesbox/sesbox/tui/compose"
	"github.com/sesbox/sesbox/tui/forward"
	"github.com/sesbox/sesbox/tui/keys"
	"github.com/sesbox/sesbox/tui/list"
)

// Mailbox is what the TUI calls on a mailbox; *mailbox.Mailbox satisfies it.
// Every call runs inside a tea.Cmd, never on the UI loop. Refresh may call
// progress from any goroutine but not concurrently, and must not reuse the
// Progress.New slice after the call: the UI keeps it.
type Mailbox interface {
	list.Source // the list reads its rows through it
	Location() mailstore.Location
	Refresh(ctx context.Context, progress func(mailbox.Progress)) error
	Open(ctx context.Context, key string) (*mailbox.Message, error)
	SetRead(ctx context.Context, key string, read bool) error
}

var _ Mailbox = (*mailbox.Mailbox)(nil)

// Box is one mailbox of the switcher: a display name, the mailbox, and
// what the mailbox can do besides being read. cmd/ fills each of those in
// from the config file; one left nil makes its key explain, on the status
// line, why it is not available (its Err, when set, says why).
type Box struct {
	Name    string
	Mailbox Mailbox

	// Reply is what r and R write replies with (Ctx is the root's).
	Reply    *compose.Env
	ReplyErr error
	// Forward is what f re-forwards with.
	Forward    *ForwardEnv
	ForwardErr error
	// Audit is what A's audit view reads.
	Audit    *audit.Env
	AuditErr error
	// Queue, when set, is one poll of the mailbox's queue_url
	// (mailbox.Poll, which writes the new messages to the index): the page
	// polls it in the background, one poll after another, so new mail
	// shows without a listing.
	Queue func(ctx context.Context) (notify.Batch, error)
	// FillHeaders, when set, reads the header blocks of rows that have
	// none yet (rows from an inventory, or from a queue notification
	// without usable headers; mailbox.FillHeaders): the page
	// asks it for the rows on screen (FillOptions.Keys), ahead of the
	// refresh's background fill, newest first.
	FillHeaders func(ctx context.Context, opt mailbox.FillOptions, progress func(mailbox.Progress)) error
}

// ForwardEnv is a mailbox's re-forward setup.
type ForwardEnv = forward.Env

// Model is one mailbox's page.
type Model struct {
	Box
	c     common.Common
	ctx   context.Context
	index int
	list  list.Model

	loaded     bool
	refreshing bool
	// opened is set once the index was read, the first refresh (if any)
	// ended and the rows it brought were read: the end of Filling.
	opened   bool
	progress mailbox.Progress
	// waitTicking is set while a WaitReloadDueMsg is scheduled.
	waitTicking bool
	events      chan refreshEvent
	every       time.Duration // periodic refresh; 0 = none
	// refreshOnLoad lists the bucket once the index has been read.
	refreshOnLoad bool
	// err is the last failure to read or list the mailbox: it stays in the
	// list area until a refresh succeeds.
	err  error
	w, h int
	// asked are the rows on screen whose headers were asked for (once
	// each: a read that fails is left to the background fill).
	asked map[string]bool
}

var (
	_ common.Page   = (*Model)(nil)
	_ common.Backer = (*Model)(nil)
	_ common.Helper = (*Model)(nil)
)

// New returns the page of mailbox b, the index-th of the switcher. With
// refresh, the bucket is listed once the index has been read, and again
// every so often after that (0: never again).
func New(ctx context.Context, c common.Common, index int, b Box, refresh bool, every time.Duration) *Model {
	m := &Model{Box: b, c: c, ctx: ctx, index: index, list: list.New(ctx, c, b.Mailbox, index),
		events: make(chan refreshEvent, 64), every: every, refreshOnLoad: refresh}
	m.setEmptyText()
	return m
}

// List returns the message list.
func (m *Model) List() *list.Model { return &m.list }

// Loaded reports whether the index has been read once.
func (m *Model) Loaded() bool { return m.loaded }

// Filling reports whether the list waits for its first messages: the
// index is being read, or built by a refresh (a mailbox's first open), or
// the rows a refresh brought are, and no message is shown yet. The root
// holds the keys typed meanwhile and replays them on the first rows. A
// filter counts too: one set while the index is built matches only the
// rows indexed so far, and its matches come as later batches do (the
// Enter of "/x Enter Enter" typed at once opened nothing while the first
// batches held no match).
// Only the first read and refresh count: a later refresh of a mailbox
// shown empty (a filter that matches nothing, an empty bucket) may take
// as long as listing the bucket, and holds nothing.
func (m *Model) Filling() bool {
	if _, ok := m.list.Selected(); ok {
		return false
	}
	return !m.opened
}

// Refreshing reports whether an index refresh runs, with its progress.
func (m *Model) Refreshing() (bool, mailbox.Progress) { return m.refreshing, m.progress }

// Err is the failure shown in the list area, nil when the last refresh
// succeeded.
func (m *Model) Err() error { return m.err }

// Init reads the index: the newest page first, then all of it.
func (m *Model) Init() tea.Cmd {
	return tea.Batch(m.list.Load(), m.pollQueue())
}

// pollQueue is the next poll of the mailbox's queue (nil without one).
func (m *Model) pollQueue() tea.Cmd {
	if m.Queue == nil {
		return nil
	}
	return pollQueueCmd(m.ctx, m.index, m.Queue)
}

// Refresh starts an index refresh unless one runs; the Cmd is nil then.
func (m *Model) Refresh() tea.Cmd {
	if m.refreshing {
		return nil
	}
	m.refreshing = true
	m.progress = mailbox.Progress{Started: m.c.Now()}
	return startRefreshCmd(m.ctx, m.index, m.Mailbox, m.events)
}

// Update handles the list's keys and the mailbox's results; then, when
// rows on screen have no headers yet, asks for theirs.
func (m *Model) Update(msg tea.Msg) (common.Page, tea.Cmd) {
	p, cmd := m.update(msg)
	if m.loaded && !m.refreshOnLoad && !m.refreshing && !m.list.Loading() {
		m.opened = true
	}
	if fill := m.fillOnScreen(); fill != nil {
		cmd = tea.Batch(cmd, fill)
	}
	return p, cmd
}

// fillOnScreen reads the headers of the rows on screen that have none and
// were not asked for yet (nil: none, or no FillHeaders).
func (m *Model) fillOnScreen() tea.Cmd {
	if m.FillHeaders == nil {
		return nil
	}
	var keys []string
	for _, k := range m.list.PendingOnScreen() {
		if !m.asked[k] {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	if m.asked == nil {
		m.asked = map[string]bool{}
	}
	for _, k := range keys {
		m.asked[k] = true
	}
	return fillHeadersCmd(m.ctx, m.index, m.FillHeaders, keys)
}

func (m *Model) update(msg tea.Msg) (common.Page, tea.Cmd) {
	switch msg := msg.(type) {
	case HeadersFilledMsg:
		add := m.list.Add(msg.Summaries)
		if msg.Err != nil && m.ctx.Err() == nil {
			return m, tea.Batch(add, common.Error(msg.Err))
		}
		return m, add
	case list.RowsListedMsg:
		var cmd tea.Cmd
		m.list, cmd = m.list.Update(msg)
		if msg.Err == nil && (m.loaded || !m.list.Full()) {
			return m, cmd
		}
		m.loaded = true
		if msg.Err != nil {
			err := fmt.Errorf("read index of %s: %w", m.Mailbox.Location(), msg.Err)
			m.setErr(err)
			cmd = tea.Batch(cmd, common.Error(err))
			if m.refreshOnLoad {
				// A broken index heals from the bucket.
				m.refreshOnLoad = false
				cmd = tea.Batch(cmd, m.Refresh())
			}
			return m, cmd
		}
		if m.refreshOnLoad {
			m.refreshOnLoad = false
			cmd = tea.Batch(cmd, m.Refresh())
		}
		// After Refresh: an empty index being built is not yet an empty
		// mailbox.
		m.setEmptyText()
		return m, cmd
	case RefreshProgressedMsg:
		add := m.list.Add(msg.Progress.New)
		msg.Progress.New = nil
		if !msg.Finished {
			m.progress = msg.Progress
			return m, tea.Batch(add, waitRefreshCmd(m.ctx, m.index, m.events), m.waitTick())
		}
		m.refreshing = false
		m.setErr(msg.Err)
		// Reread the index: a refresh also marks vanished messages.
		cmds := []tea.Cmd{add, m.list.Reload(), m.tick()}
		if msg.Err != nil {
			cmds = append(cmds, common.Error(msg.Err))
		}
		return m, tea.Batch(cmds...)
	case refreshDueMsg:
		return m, m.Refresh()
	case WaitReloadDueMsg:
		m.waitTicking = false
		if !m.refreshing || !m.progress.Waiting {
			return m, nil
		}
		// Another sesbox refreshes the mailbox and writes the index as
		// it goes: its rows show now, not once its lock frees.
		return m, tea.Batch(m.list.Reload(), m.waitTick())
	case QueuePolledMsg:
		add := m.list.Add(msg.New)
		if msg.Err == nil {
			return m, tea.Batch(add, m.pollQueue())
		}
		if m.ctx.Err() != nil {
			return m, nil // quitting
		}
		if hint := notify.Permanent(msg.Err); hint != "" {
			// Waiting will not cure it (as index --watch): say what to
			// do, and stop polling.
			return m, common.Error(&mailstore.HintError{Hint: hint, Err: msg.Err})
		}
		// Said as index --watch says it: what happens next first, then
		// the error's own hint and the SDK's detail.
		i := m.index
		return m, tea.Batch(add, common.Error(notify.Retried(msg.Err, queueRetry)), tea.Tick(queueRetry, func(time.Time) tea.Msg { return queueDueMsg{Box: i} }))
	case queueDueMsg:
		return m, m.pollQueue()
	case ReadStateSavedMsg:
		if msg.Err != nil {
			return m, common.Error(msg.Err)
		}
		m.list.SetRead(msg.Key, msg.Read)
		changed := common.ReadChangedMsg{Box: msg.Box, Key: msg.Key, Read: msg.Read}
		return m, func() tea.Msg { return changed }
	case common.MessageShownMsg:
		// Opening counted the attachments exactly (and saved the count).
		m.list.SetAttachments(msg.Key, msg.Summary.Attachments, msg.Summary.AttachmentsExact)
		if !msg.Summary.Read {
			return m, m.SetReadCmd(msg.Key, true)
		}
		return m, nil
	case MarkedExportedMsg:
		if msg.Err != nil {
			return m, common.Error(msg.Err)
		}
		text := "exported " + mailstore.Count(int(msg.Count), "message") + " to " + sanitize.Line(msg.File) + " (manifest beside it)"
		if msg.Vanished != "" {
			text += "; " + msg.Vanished
		}
		return m, common.Notice(text)
	case MarkedSavedMsg:
		text := "saved " + mailstore.Count(len(msg.Paths), "file") + " from " + strconv.Itoa(msg.Keys-msg.Skipped) + " of " +
			mailstore.Count(msg.Keys, "message") + " to " + sanitize.Line(msg.Dir)
		// Parts not read (too many, too deep: the message is shown as its
		// source) may hold attachments: said, with the key that shows it.
		raw := m.c.Keys.Viewer.Raw.Help().Key
		switch {
		case msg.Err != nil || msg.Skipped < msg.Keys:
		case msg.Keys == 1 && msg.Unread == 1:
			text = "nothing saved: the message's parts could not be read; " + raw + " in the viewer shows its source"
		case msg.Keys == 1:
			text = "nothing saved: the message has no attachments"
		default:
			text = "nothing saved: none of the " + strconv.Itoa(msg.Keys) + " messages has attachments"
		}
		if msg.Unread > 0 && msg.Keys > 1 {
			text += "; the parts of " + mailstore.Count(msg.Unread, "message") + " could not be read (" + raw + " in the viewer shows the source)"
		}
		n := common.Notice(text)
		if msg.Err != nil {
			return m, tea.Batch(n, common.Error(msg.Err))
		}
		return m, n
	case common.MarksSetMsg:
		return m, m.list.SetMarked(msg.Keys, msg.Why)
	case list.MarkedSaveRequestedMsg:
		return m, tea.Batch(common.Notice("saving attachments of "+mailstore.Count(len(msg.Keys), "message")+"…"),
			SaveCmd(m.ctx, m.index, m.Mailbox, msg.Keys, msg.Dir))
	case list.PipeRequestedMsg:
		return m, tea.Batch(common.Notice("reading "+mailstore.Count(len(msg.Keys), "message")+" to pipe…"),
			pipeReadCmd(m.ctx, m.index, m.Mailbox, msg.Keys, msg.Command, msg.Raw))
	case PipeReadMsg:
		if msg.Err != nil {
			return m, common.Error(msg.Err)
		}
		return m, pipeCmd(m.index, msg.Command, msg.File)
	case PipeExitedMsg:
		if msg.Err != nil {
			return m, common.Error(fmt.Errorf("%s: %w", msg.Command, msg.Err))
		}
		return m, common.Notice(sanitize.Line(msg.Command) + " finished")
	case list.MarkedExportRequestedMsg:
		if m.Audit == nil {
			return m, common.Notice(common.Unavailable("export", m.Name, m.AuditErr))
		}
		return m, tea.Batch(common.Notice("exporting "+mailstore.Count(len(msg.Keys), "message")+"…"),
			ExportCmd(m.ctx, m.index, m.Audit.Bucket, m.Audit.Export, msg.Keys, msg.File, false, "marked in the TUI"))
	case tea.KeyMsg:
		if !m.list.Capturing() && key.Matches(msg, m.c.Keys.Global.Refresh) {
			if cmd := m.Refresh(); cmd != nil {
				return m, cmd
			}
			return m, common.Notice("already re-indexing")
		}
	}
	var cmd tea.Cmd
	m.list, cmd = m.list.Update(msg)
	return m, cmd
}

// waitReload is how often the index is read again while the refresh
// waits for another sesbox's: a read of rows, no request to the bucket.
const waitReload = 2 * time.Second

// waitTick schedules the next read of the index while the refresh waits
// for another sesbox's, unless one is scheduled or it does not wait.
func (m *Model) waitTick() tea.Cmd {
	if m.waitTicking || !m.refreshing || !m.progress.Waiting {
		return nil
	}
	m.waitTicking = true
	i := m.index
	return tea.Tick(waitReload, func(time.Time) tea.Msg { return WaitReloadDueMsg{Box: i} })
}

// tick schedules the next periodic refresh.
func (m *Model) tick() tea.Cmd {
	if m.every <= 0 {
		return nil
	}
	i := m.index
	return tea.Tick(m.every, func(time.Time) tea.Msg { return refreshDueMsg{Box: i} })
}

// setEmptyText says what an empty list means: still reading, a failure
// (with what to do about it first), or a mailbox with nothing in it.
func (m *Model) setEmptyText() {
	switch {
	case m.err != nil:
		m.list.SetEmptyText("")
	case !m.loaded || m.refreshing:
		m.list.SetEmptyText("reading " + sanitize.Line(m.Mailbox.Location().String()) + "…")
	default:
		m.list.SetEmptyText("no messages under " + sanitize.Line(m.Mailbox.Location().String()))
	}
}

// View is the list, under the failure of the last listing when there is one.
func (m *Model) View() string {
	if m.err == nil {
		return m.list.View()
	}
	return strings.Join(m.errLines(), "\n") + "\n" + m.list.View()
}

// errLines is the failure, hint first, wrapped to at most three lines.
func (m *Model) errLines() []string {
	if m.err == nil {
		return nil
	}
	w := max(m.w, 1)
	lines := strings.Split(common.Wrap(" "+sanitize.Line(mailstore.Explain(m.err)), w-1), "\n")
	if len(lines) > 3 {
		lines = lines[:3]
		lines[2] = common.Truncate(lines[2]+" …", w-1)
	}
	for i, l := range lines {
		lines[i] = m.c.Styles.Warning.Render(common.Fit(l, w))
	}
	return lines
}

// SetSize sizes the list (less the lines of a failure shown above it).
func (m *Model) SetSize(w, h int) {
	m.w, m.h = w, h
	m.list.SetSize(w, max(h-len(m.errLines()), 1))
}

// Back clears the filter when there is one and k is the clear-filter key,
// else the search (esc after S quit sesbox); with neither, that key quits
// nothing (esc at the top of the list ended the session, where aerc and
// neomutt do nothing) and says which key does. Any other back key (q)
// returns false: the root quits.
func (m *Model) Back(k tea.KeyMsg) (bool, tea.Cmd) {
	if !key.Matches(k, m.c.Keys.List.ClearFilter) {
		return false, nil
	}
	switch {
	case m.list.HasFilter():
		return true, tea.Batch(m.list.ClearFilter(), m.list.Fetch())
	case m.list.HasSearch():
		cmd, _ := m.list.ApplySearch("")
		return true, tea.Batch(cmd, common.Notice("search cleared"))
	}
	g := m.c.Keys.Global
	quit := keys.Without(g.Back, m.c.Keys.List.ClearFilter)
	if !quit.Enabled() {
		quit = g.QuitNow
	}
	return true, common.Notice("no filter or search to clear (" + quit.Help().Key + " quits)")
}

func (m *Model) Capturing() bool           { return m.list.Capturing() }
func (m *Model) Title() string             { return "message list" }
func (m *Model) ShortHelp() []key.Binding  { return m.list.ShortHelp() }
func (m *Model) FullHelp() [][]key.Binding { return m.list.FullHelp() }

// HelpSections adds the query syntax of the list's filter and search.
func (m *Model) HelpSections() []common.HelpSection {
	return []common.HelpSection{{
		Title: "Filter (/: shows only the matches) and search (S: n/N move between them), as sesbox ls --query:",
		Body:  query.Help, Hang: 2}}
}

// setErr records the failure of the last read or listing (nil: success).
func (m *Model) setErr(err error) {
	m.err = err
	m.SetSize(m.w, m.h)
	m.setEmptyText()
}
