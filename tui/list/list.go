// Package list is the message list: columns, sorting, the live filter (the
// query syntax of `sesbox ls --query`), marking and threads. It holds the
// row ids of its messages and reads the summaries of the rows on screen
// only, so it stays quick and small with a million messages.
package list

import (
	"context"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/index"
	"github.com/sesbox/sesbox/mailstore/query"
	"github.com/sesbox/sesbox/tui/common"
)

// MessageChosenMsg is sent when the user opens the message under the cursor.
type MessageChosenMsg struct {
	Key string
}

// MarkedSaveRequestedMsg is sent when the user confirms saving the
// attachments of the marked messages into Dir.
type MarkedSaveRequestedMsg struct {
	Keys []string
	Dir  string
}

// MarkedExportRequestedMsg is sent when the user confirms exporting the
// marked messages into the mbox File.
type MarkedExportRequestedMsg struct {
	Keys []string
	File string
}

// PipeRequestedMsg is sent when the user confirms piping messages (the
// marked ones, else the one under the cursor) to the shell command
// Command: their stored bytes (Raw) or their decoded text.
type PipeRequestedMsg struct {
	Keys    []string
	Command string
	Raw     bool
}

// sortOrder is what `o` cycles through.
var sortOrder = []query.SortField{query.ByDate, query.ByFrom, query.BySubject, query.BySize}

// Source is where the list reads its messages (tab.Mailbox: the index).
// Every call runs inside a tea.Cmd, never on the UI loop.
type Source interface {
	// IDs lists the row ids of the messages q matches, in order.
	IDs(ctx context.Context, q query.Query, by query.SortField, reverse bool, limit int) (index.Listing, error)
	// IDsAround lists those around message anchor, limit either side,
	// and the row of the first at or after it.
	IDsAround(ctx context.Context, q query.Query, by query.SortField, reverse bool, anchor int64, limit int) (index.Listing, int, error)
	// Rows reads the summaries of ids.
	Rows(ctx context.Context, ids []int64) ([]index.Row, error)
	// RowsByKey reads the summaries of keys.
	RowsByKey(ctx context.Context, keys []string) ([]index.Row, error)
	// Threading reads every message in order with what threads need.
	Threading(ctx context.Context, by query.SortField, reverse bool) ([]index.Thread, error)
}

// meta is what a row of the thread view adds to its message.
type meta struct {
	idx     int32 // into Model.tall
	depth   int32 // thread depth; 0 for roots
	kids    int32 // thread size - 1, on roots
	folded  bool
	context bool // shown only because a thread member matched the filter
}

type promptKind int

const (
	promptNone promptKind = iota
	promptFilter
	promptSearch
	promptSave
	promptExport
	promptPipe
)

// Model is the message list. It holds the row ids of the list in order (8
// bytes a message) and the summaries of the rows on screen and around
// them only: what it shows is read from its Source in Cmds, a screenful at
// a time, so a mailbox of a million messages costs what one screen does.
type Model struct {
	c common.Common
	// hist is what was entered in each prompt, for Up/Down to recall.
	hist          map[promptKind]*common.History
	ctx           context.Context
	src           Source
	box           int // the mailbox page the list's messages go back to
	width, height int

	// all is every message in sort order (by, rev); full is set once it
	// is all of them, not the first page or the page around the cursor
	// that a new sort shows first. total is how many the last full read
	// had, said while a page is shown.
	all    []int64
	full   bool
	total  int
	unread int
	by     query.SortField
	rev    bool
	// seq numbers the reads of all; a listing of an older one is dropped.
	// lcancel stops the read in flight when a new one replaces it (a sort
	// while the whole list of the last is read: at 1M messages, a second
	// of a core that the new first page waits for).
	seq     int
	lcancel context.CancelFunc
	// loading is set while all is read; dirty when the index changed
	// meanwhile, so it is read once more after. paged is set once the
	// first read (Load) has answered, rows or an error.
	loading, dirty, paged bool

	// sums are the summaries read, of the rows on screen and around them;
	// ids maps their keys to their row ids.
	sums  map[int64]*mailstore.Summary
	ids   map[string]int64
	asked map[int64]bool // being read

	filter    string
	q         query.Query
	filterErr error
	matched   *index.Listing     // of q (of an earlier filter while q's is read)
	mpartial  bool               // matched is the page around the cursor, all of them being read
	fseq      int                // numbers the reads of matches
	mseq      int                // the read matched came from
	fctx      context.Context    // of the filter's reads, which cancel stops
	cancel    context.CancelFunc // of the filter's read in flight
	// fkeep is the cursor's message when the filter began to be typed
	// (0: none chosen), kept by the filter's results that match it even
	// after one typed on the way hid it (see filterAnchor).
	fkeep int64
	// resorted is the thread view of the order before a sort: its links
	// do not depend on the order, so the reads of the new order put its
	// threads in that order (threadSet.reorder) instead of reading and
	// linking every message again. Data read since (Add) clears it.
	resorted *threadSet
	// reordering is set while the rows of a new order are read: those
	// shown are the old order's (see Settling).
	reordering bool
	// marking counts the reads of marks in flight, V's (mark all shown)
	// and a page's (SetMarked): a key typed meanwhile (the e of "V e",
	// the f after a forward screen's "m q") acts on the marks (see
	// Settling).
	marking int

	threaded bool
	tall     []index.Thread  // every message, in order
	tpos     map[int64]int32 // row id -> index into tall
	threads  *threadIndex    // of tall
	toggled  map[string]bool // thread roots whose fold differs from foldAll
	foldAll  bool

	rows           []int64 // the row ids shown
	meta           []meta  // of each row in thread view, else nil
	matches        int     // messages matching the filter
	cursor, offset int
	// moved is set once the user moved the cursor: from then on it
	// follows its message through refreshes, sorts and filters; until
	// then it stays on the first row, as in mutt and aerc.
	moved bool
	// edge is a g (-1) or G (+1) pressed while only a page of the list
	// was read, or while a new order's was: the rows shown then are not
	// the list's, so the cursor goes to the edge again each time rows
	// come, until the whole list has (0: none).
	edge int

	marked map[string]int64 // key -> row id
	// markedBy are the filters under which V marked (MarkedBy).
	markedBy []query.Query

	prompt promptKind
	input  textinput.Model
	// pipeRaw makes the pipe prompt send the stored bytes (else the
	// decoded text), as in the viewer.
	pipeRaw bool

	// empty is what an empty list says (set by its mailbox page).
	empty string

	// search is the query n/N move between without hiding the others.
	search    string
	sq        query.Query
	searchErr error
	found     map[int64]bool // the row ids the search matches; nil while read
	sseq      int
	jump      int       // a jump (1, -1) waiting for found; 0 for none
	lastClick time.Time // for double clicks
	lastRow   int
}

// fetchMargin is how many rows above and below the screen are read ahead,
// so that scrolling a page at a time rarely waits for the index.
const fetchMargin = 200

// New returns an empty list sorted newest first, reading from src; its
// messages name mailbox page box.
func New(ctx context.Context, c common.Common, src Source, box int) Model {
	return Model{
		c:       c,
		ctx:     ctx,
		src:     src,
		box:     box,
		by:      query.ByDate,
		sums:    map[int64]*mailstore.Summary{},
		ids:     map[string]int64{},
		asked:   map[int64]bool{},
		toggled: map[string]bool{},
		marked:  map[string]int64{},
		input:   common.NewInput(c.Styles, "/"),
		hist:    map[promptKind]*common.History{promptFilter: {}, promptSearch: {}, promptSave: {}, promptExport: {}, promptPipe: {}},
	}
}

// SetSize sets the area the list draws in.
func (m *Model) SetSize(w, h int) {
	m.width, m.height = w, h
	// The prompt and the cursor cell take the rest of the line.
	m.input.Width = max(1, w-common.Width(m.input.Prompt)-1)
	m.scroll()
}

// FirstPage is how many of the first messages are read before the rest, so
// the first screen does not wait for the whole index: more than a
// screenful on any terminal, a few milliseconds from the date index.
const FirstPage = 300

// Load reads the first page of the list, then (once it is shown) all of
// it.
func (m *Model) Load() tea.Cmd {
	m.seq++
	m.loading = true
	return listCmd(m.readCtx(), m.src, m.box, m.seq, listing{by: m.by, rev: m.rev, limit: FirstPage, near: m.near()})
}

// near is how many rows either side of the cursor's are read with a page
// of the list: the screen's, wherever the cursor is on it (a page before
// the first size of the window: all of it).
func (m *Model) near() int {
	if h := m.rowsHeight(); h > 0 {
		return h
	}
	return FirstPage
}

// readCtx is the context of a new read of the list, which stops the one
// before.
func (m *Model) readCtx() context.Context {
	if m.lcancel != nil {
		m.lcancel()
	}
	var ctx context.Context
	ctx, m.lcancel = context.WithCancel(m.ctx)
	return ctx
}

// Reload reads the list again (after a refresh of the index): at once,
// or after the read in flight when there is one.
func (m *Model) Reload() tea.Cmd {
	if m.loading {
		m.dirty = true
		return nil
	}
	m.seq++
	m.loading, m.dirty = true, false
	l := listing{by: m.by, rev: m.rev, threads: m.threaded, reuse: m.resorted}
	if m.filterSet() {
		m.fseq++
		l.filter, l.fseq = ptr(m.q), m.fseq
	}
	if m.search != "" {
		m.sseq++
		l.search, l.sseq = ptr(m.sq), m.sseq
	}
	lo, hi := m.window()
	l.reread = m.rows[lo:hi]
	return listCmd(m.readCtx(), m.src, m.box, m.seq, l)
}

// Add takes summaries as an index refresh reports them, after it wrote
// them: rows shown are updated at once, and the list is read again for
// the new ones (one read at a time, however many reports come).
func (m *Model) Add(s []mailstore.Summary) tea.Cmd {
	if len(s) == 0 {
		return nil
	}
	m.resorted = nil // the threads are read and linked again
	for i := range s {
		if id, ok := m.ids[s[i].Key]; ok {
			x := s[i]
			x.Read = m.sums[id].Read // the index's own state, as Put keeps it
			m.sums[id] = &x
		}
	}
	return m.Reload()
}

// SetRead records a message's read state (after the index saved it).
func (m *Model) SetRead(key string, read bool) {
	if s := m.cached(key); s != nil && s.Read != read {
		s.Read = read
		// The rows stay as they are even when a filter says is:unread:
		// the message leaves the list when the filter next changes, not
		// under the user's cursor.
		if read {
			m.unread--
		} else {
			m.unread++
		}
	}
}

// SetAttachments records a message's attachment count as opening it
// found it (exact), so an "@+" row becomes "@" without a reload.
func (m *Model) SetAttachments(key string, n int, exact bool) {
	if s := m.cached(key); s != nil {
		s.Attachments, s.AttachmentsExact = n, exact
	}
}

func (m Model) cached(key string) *mailstore.Summary {
	if id, ok := m.ids[key]; ok {
		return m.sums[id]
	}
	return nil
}

// Summary returns the summary of key, if it is on screen or near it.
func (m Model) Summary(key string) (mailstore.Summary, bool) {
	if s := m.cached(key); s != nil {
		return *s, true
	}
	return mailstore.Summary{}, false
}

// Selected returns the message under the cursor.
func (m Model) Selected() (mailstore.Summary, bool) {
	if m.cursor < 0 || m.cursor >= len(m.rows) {
		return mailstore.Summary{}, false
	}
	if s := m.sums[m.rows[m.cursor]]; s != nil {
		return *s, true
	}
	return mailstore.Summary{}, false
}

// Select moves the cursor to key, if it is shown.
func (m *Model) Select(key string) bool {
	id, ok := m.ids[key]
	if !ok && m.tpos != nil {
		// A thread member folded away is not read: its key is in tall.
		for i := range m.tall {
			if m.tall[i].Key == key {
				id, ok = m.tall[i].ID, true
				break
			}
		}
	}
	return ok && m.selectID(id)
}

func (m *Model) selectID(id int64) bool {
	for r, x := range m.rows {
		if x == id {
			m.cursor = r
			m.scroll()
			return true
		}
	}
	return false
}

// Step moves the cursor delta rows and returns the message there; ok is
// false when there is no such row (the cursor stays). The viewer's next and
// previous message go through it.
func (m *Model) Step(delta int) (mailstore.Summary, bool) {
	n := m.cursor + delta
	if n < 0 || n >= len(m.rows) || m.sums[m.rows[n]] == nil {
		return mailstore.Summary{}, false
	}
	m.cursor, m.moved = n, true
	m.scroll()
	return *m.sums[m.rows[n]], true
}

// Loading reports whether a read of the list's rows is in flight (after
// a refresh's batch, the rows it brought).
func (m Model) Loading() bool { return m.loading }

// Full reports whether the list holds every message (not the first page
// only, nor nothing yet).
func (m Model) Full() bool { return m.full }

// Counts are the numbers the status line and the mailbox switcher show;
// Partial while a page of the list or of the filter's matches is shown and
// all of them are read (Shown is the page's then, Total the last count).
type Counts struct {
	Total, Shown, Marked, Unread int
	Partial                      bool
}

// Counts returns the list's counts.
func (m Model) Counts() Counts {
	total := len(m.all)
	if !m.full && m.total > 0 {
		total = m.total
	}
	shown, filtering := total, m.filter != ""
	if filtering {
		shown = m.matches
	}
	return Counts{Total: total, Shown: shown, Marked: len(m.marked), Unread: m.unread,
		Partial: !m.full || (filtering && m.mpartial)}
}

// Filter returns the active filter as typed, and its parse error if any.
func (m Model) Filter() (string, error) { return m.filter, m.filterErr }

// Queries are the filter's and the search's queries that are set: what
// chose the rows shown.
func (m Model) Queries() []query.Query {
	var out []query.Query
	if m.filterSet() {
		out = append(out, m.q)
	}
	if m.search != "" && m.searchErr == nil {
		out = append(out, m.sq)
	}
	return out
}

// Sort returns the sort field and direction.
func (m Model) Sort() (query.SortField, bool) { return m.by, m.rev }

// Threaded reports whether threads are shown.
func (m Model) Threaded() bool { return m.threaded }

// Capturing reports whether a prompt has the keyboard: the root then passes
// every key (except ctrl+c) to the list.
func (m Model) Capturing() bool { return m.prompt != promptNone }

// HasFilter reports whether Esc has a filter to clear.
func (m Model) HasFilter() bool { return m.filter != "" }

// ClearFilter drops the filter.
func (m *Model) ClearFilter() tea.Cmd { return m.setFilter("") }

// HasSearch reports whether a search (S) is set.
func (m Model) HasSearch() bool { return m.search != "" }

// Clearing is the clear-filter key as it acts now: it clears the
// filter, else the search ("clear search"); disabled with neither.
func (m Model) Clearing() key.Binding {
	b := m.c.Keys.List.ClearFilter
	switch {
	case m.HasFilter():
	case m.HasSearch():
		b.SetHelp(b.Help().Key, "clear search")
	default:
		b.SetEnabled(false)
	}
	return b
}

// ApplyFilter limits the list to the messages matching s ("" shows all);
// an error is what `sesbox ls --query` reports for s.
func (m *Model) ApplyFilter(s string) (tea.Cmd, error) {
	m.fkeep = m.anchor()
	cmd := m.setFilter(s)
	return cmd, m.filterErr
}

// ApplySearch moves the cursor to the first message from it that matches
// s, without hiding the others; n and N then move between matches. ""
// ends the search; an error is what `sesbox ls --query` reports for s.
func (m *Model) ApplySearch(s string) (tea.Cmd, error) {
	m.search, m.searchErr = s, nil
	m.found, m.jump = nil, 0
	m.sseq++
	if s == "" {
		m.sq = query.Query{}
		return nil, nil
	}
	q, err := query.Parse(s, m.c.Now())
	if err != nil {
		m.search, m.searchErr = "", err
		return nil, err
	}
	m.sq = q
	// Once the matches are read: to the first from the cursor on, unless
	// the cursor is on one.
	m.jump = 2
	return searchCmd(m.ctx, m.src, m.box, m.sseq, q, m.by, m.rev), nil
}

// SearchText is the search n/N move between ("" for none).
func (m Model) SearchText() string { return m.search }

// SetSort sorts the list by by (reversed with rev), as `sesbox ls --sort`.
func (m *Model) SetSort(by query.SortField, rev bool) tea.Cmd {
	m.by, m.rev = by, rev
	return m.resort()
}

// resort reads the list again in the new order; the cursor keeps its
// message (once moved) when the rows come. A long list shows the page
// around that message first (from the order's index), then all of it.
func (m *Model) resort() tea.Cmd {
	m.loading, m.edge = false, 0 // the read in flight is of the old order
	m.resorted = nil
	if m.threads != nil {
		m.resorted = &threadSet{tall: m.tall, tpos: m.tpos, index: m.threads}
	}
	m.tall, m.tpos, m.threads = nil, nil, nil
	m.reordering = true
	if !m.long() {
		return m.Reload()
	}
	m.seq++
	m.loading, m.dirty = true, false
	l := listing{by: m.by, rev: m.rev, limit: FirstPage, anchor: m.anchor(), near: m.near(), threads: m.threaded, reuse: m.resorted}
	if m.filterSet() {
		m.fseq++
		l.filter, l.fseq = ptr(m.q), m.fseq
	}
	return listCmd(m.readCtx(), m.src, m.box, m.seq, l)
}

// reverseRead shows the rows already read in the reversed order at once,
// the cursor on its message and line: every order ends in the key, so its
// reverse is the rows read backwards (the reads resort starts then
// replace them). At 1M messages the reversed order's page took 30-45 ms
// to show while the whole list of the order before was still read. Not
// for threads, nor for a page when the cursor has not moved: the page
// backwards is not the top of the reversed order.
func (m *Model) reverseRead() {
	keep := m.anchor()
	if m.threaded || !m.long() || (keep == 0 && m.partial()) {
		return
	}
	m.all = slices.Clone(m.all)
	slices.Reverse(m.all)
	if m.matched != nil {
		l := *m.matched
		l.IDs = slices.Clone(l.IDs)
		slices.Reverse(l.IDs)
		m.matched = &l
	}
	m.rebuildKeeping(keep, -1)
}

// long reports whether the list is long enough that a new sort or filter
// shows a page of it first.
func (m *Model) long() bool { return !m.full || len(m.all) > FirstPage }

// SetEmptyText sets what the list says when the mailbox has no message
// ("" for nothing: the mailbox page shows why above the list).
func (m *Model) SetEmptyText(s string) { m.empty = s }

// Width is the width the list draws in.
func (m Model) Width() int { return m.width }

// Marked returns the keys of the marked messages in list order.
func (m Model) Marked() []string {
	if len(m.marked) == 0 {
		return []string{}
	}
	byID := make(map[int64]string, len(m.marked))
	for k, id := range m.marked {
		byID[id] = k
	}
	out := make([]string, 0, len(m.marked))
	for _, id := range m.all {
		if k, ok := byID[id]; ok {
			out = append(out, k)
			delete(byID, id)
		}
	}
	// Marks off the page shown while the list is read, by key.
	rest := slices.Sorted(maps.Values(byID))
	return append(out, rest...)
}

// MarkedBy returns the filters under which V (mark all shown) marked
// the marked messages, kept when the filter is cleared: they chose the
// marks, which a forward weighs as sesbox forward --query does
// (mailbox.RefuseForward). Marks made by hand are chosen by key; u
// (unmark all) forgets the filters.
func (m Model) MarkedBy() []query.Query {
	if len(m.marked) == 0 {
		return nil
	}
	return m.markedBy
}

// SetMarked replaces the marks with keys (those in the list; others are
// ignored), then says how many it marked and why: the root marks the
// messages a forward failed on, so that forwarding the marked set tries
// them again.
func (m *Model) SetMarked(keys []string, why string) tea.Cmd {
	ctx, src, box := m.ctx, m.src, m.box
	m.marking++
	return func() tea.Msg {
		rows, err := src.RowsByKey(ctx, keys)
		return MarksFoundMsg{Box: box, Rows: rows, Why: why, Replace: true, Awaited: true, Err: err}
	}
}

// Init implements tea.Model.
func (m Model) Init() tea.Cmd { return nil }

// Update handles keys (and the mouse, when the root enables it) and the
// list's reads; then it reads the summaries the screen now needs.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case tea.KeyMsg:
		if m.prompt != promptNone {
			m, cmd = m.updatePrompt(msg)
		} else {
			m, cmd = m.updateKey(msg)
		}
	case tea.MouseMsg:
		m, cmd = m.updateMouse(msg)
	case RowsListedMsg:
		cmd = m.listed(msg)
	case MatchesListedMsg:
		if msg.Seq == m.fseq && msg.Err != nil {
			m.mseq = msg.Seq // settled: the rows stay, the error is said
		}
		if msg.Seq == m.fseq && msg.Err == nil {
			// As mutt's limit: the cursor keeps its message when it
			// matches, else goes to the first match and stays on the
			// first row until moved, as on a fresh list (the row number
			// it had means nothing in the new rows).
			keep := m.filterAnchor()
			if !slices.Contains(msg.Listing.IDs, keep) {
				keep = 0
			}
			m.moved = keep != 0
			m.matched, m.mseq, m.mpartial = &msg.Listing, msg.Seq, msg.Partial
			m.rebuildKeeping(keep, -1)
			if msg.Partial {
				cmd = matchCmd(m.fctx, m.src, m.box, m.fseq, m.q, listing{by: m.by, rev: m.rev})
			}
		}
		if msg.Err != nil && msg.Seq == m.fseq {
			cmd = common.Error(msg.Err)
		}
	case ThreadsListedMsg:
		if msg.Seq == m.seq && msg.Err == nil {
			m.setThreads(msg.threads)
			m.rebuild()
		}
		if msg.Err != nil && msg.Seq == m.seq {
			m.threaded = false // the rows stay flat; the error says why
			cmd = common.Error(msg.Err)
		}
	case FoundMsg:
		cmd = m.foundMsg(msg)
	case SummariesReadMsg:
		if msg.Err != nil {
			for _, id := range msg.IDs {
				delete(m.asked, id)
			}
			return m, common.Error(msg.Err)
		}
		m.keep(msg.IDs, msg.Rows)
	case MarksFoundMsg:
		cmd = m.marksFound(msg)
	}
	return m, tea.Batch(cmd, m.Fetch())
}

// Settling reports whether a read whose answer replaces the rows shown is
// in flight (the filter's matches, a new order's rows or the thread
// view), or one whose answer moves the cursor (a search's matches, which
// the cursor jumps to) or sets the marks (V's, which the e of "V e"
// exports). A key typed meanwhile would act on a row that is about to go
// (the Enter of "/x Enter Enter" on the unfiltered list), so the root
// holds keys until the list has settled. These are reads of the
// local index, milliseconds, unlike a refresh of the bucket, which does
// not replace the rows and holds nothing. The first page counts too:
// keys typed as sesbox starts (j j Enter in one burst, or over a slow
// link) acted on the empty list shown before it and were lost. So does
// the summary of the row under the cursor while it is read (rows come
// before their summaries: a refresh's batch, a jump): Enter opens a
// message by its summary, and opened nothing there.
func (m Model) Settling() bool {
	return m.filtering() || m.reordering || (m.threaded && m.threads == nil) || m.jump != 0 || m.marking > 0 ||
		(m.seq > 0 && !m.paged) || m.cursorReading()
}

// cursorReading reports whether the summary of the row under the cursor
// is being read (a read that fails is no longer: nothing waits for it).
func (m Model) cursorReading() bool {
	if m.cursor < 0 || m.cursor >= len(m.rows) {
		return false
	}
	id := m.rows[m.cursor]
	return m.sums[id] == nil && m.asked[id]
}

// filterSet reports whether a filter that parses is set.
func (m Model) filterSet() bool { return m.filter != "" && m.filterErr == nil }

// filtering reports whether the matches of the filter are being read.
func (m Model) filtering() bool {
	return m.filterSet() && m.mseq != m.fseq
}

// listed takes a reading of the whole list.
func (m *Model) listed(msg RowsListedMsg) tea.Cmd {
	if msg.Seq != m.seq {
		return nil
	}
	m.reordering, m.paged = false, true
	if msg.Err != nil {
		m.loading, m.edge = false, 0
		// Settled (see Settling): the rows shown stay.
		if msg.FSeq == m.fseq {
			m.mseq = m.fseq
		}
		if msg.SSeq == m.sseq {
			m.jump = 0
		}
		if m.threads == nil {
			m.threaded = false
		}
		return nil // the mailbox page shows it
	}
	keep := m.anchor()
	if !msg.Partial || m.total == 0 {
		m.unread = msg.All.Unread // a page's unread are not the list's
	}
	m.all, m.full = msg.All.IDs, !msg.Partial
	if m.full {
		m.total = len(m.all)
	}
	if msg.Matches != nil && msg.FSeq == m.fseq {
		m.matched, m.mseq, m.mpartial = msg.Matches, msg.FSeq, msg.Partial
	}
	if msg.threads != nil {
		m.setThreads(msg.threads)
	}
	if !msg.Partial {
		m.resorted = nil
	}
	at := -1
	if msg.Partial {
		at = msg.At
	}
	m.loading = false
	m.rebuildKeeping(keep, at)
	// The rows that were on screen, read again (a refresh, a read mark);
	// the others read before stay until they are far from the screen, so
	// that nothing on it blanks while the new rows are read.
	m.keep(nil, msg.Rows)
	var jumped tea.Cmd
	if msg.Found != nil && msg.SSeq == m.sseq {
		// As the search's FoundMsg, which this read made stale, would
		// have: the jump waiting for it is made, on the new rows.
		jumped = m.foundMsg(FoundMsg{Seq: msg.SSeq, Found: msg.Found})
	}
	if msg.Partial || m.dirty {
		return tea.Batch(jumped, m.Reload())
	}
	return jumped
}

// keep caches rows read (ids asked for them are no longer in flight), and
// forgets summaries far from the screen.
func (m *Model) keep(ids []int64, rows []index.Row) {
	for _, id := range ids {
		delete(m.asked, id)
	}
	for i := range rows {
		r := &rows[i]
		m.sums[r.ID] = &r.Summary
		m.ids[r.Key] = r.ID
	}
	lo, hi := m.window()
	if len(m.sums) <= 4*(hi-lo)+64 {
		return
	}
	near := make(map[int64]bool, hi-lo)
	for _, id := range m.rows[lo:hi] {
		near[id] = true
	}
	for id, s := range m.sums {
		if !near[id] {
			delete(m.sums, id)
			delete(m.ids, s.Key)
		}
	}
}

// window is the rows whose summaries are kept: the screen and a margin.
func (m *Model) window() (lo, hi int) {
	return max(0, m.offset-fetchMargin), min(len(m.rows), m.offset+m.rowsHeight()+fetchMargin)
}

// Fetch reads the summaries of the rows near the screen that are not read
// yet (nil when none are missing).
func (m *Model) Fetch() tea.Cmd {
	lo, hi := m.window()
	// Read when a row on screen, or half of the margin, is missing.
	need := false
	for r := max(lo, m.offset-fetchMargin/2); r < min(hi, m.offset+m.rowsHeight()+fetchMargin/2); r++ {
		if id := m.rows[r]; m.sums[id] == nil && !m.asked[id] {
			need = true
			break
		}
	}
	if !need {
		return nil
	}
	// The screen's rows in a read of their own, ahead of the margin's: a
	// jump (G, a sort, a filter cleared) shows in the next frame, not
	// after some 400 rows are read (0.3 ms against 5-13 at 1M messages).
	top, bottom := min(hi, max(lo, m.offset)), min(hi, m.offset+m.rowsHeight())
	return tea.Batch(m.fetch(m.rows[top:bottom]), m.fetch(slices.Concat(m.rows[lo:top], m.rows[bottom:hi])))
}

// fetch reads the summaries of those of rows not read nor asked for yet
// (nil when there are none).
func (m *Model) fetch(rows []int64) tea.Cmd {
	var ids []int64
	for _, id := range rows {
		if m.sums[id] == nil && !m.asked[id] {
			m.asked[id] = true
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	ctx, src, box := m.ctx, m.src, m.box
	return func() tea.Msg {
		rows, err := src.Rows(ctx, ids)
		return SummariesReadMsg{Box: box, IDs: ids, Rows: rows, Err: err}
	}
}

func (m Model) updateKey(msg tea.KeyMsg) (Model, tea.Cmd) {
	k := m.c.Keys.List
	page := max(1, m.rowsHeight())
	switch {
	case key.Matches(msg, k.Down):
		m.move(1)
	case key.Matches(msg, k.Up):
		m.move(-1)
	case key.Matches(msg, k.HalfDown):
		m.move(max(1, page/2))
	case key.Matches(msg, k.HalfUp):
		m.move(-max(1, page/2))
	case key.Matches(msg, k.PageDown):
		m.move(page)
	case key.Matches(msg, k.PageUp):
		m.move(-page)
	case key.Matches(msg, k.Top):
		m.move(-len(m.rows))
		m.edgeWhenRead(-1)
	case key.Matches(msg, k.Bottom):
		m.move(len(m.rows))
		m.edgeWhenRead(1)
	case key.Matches(msg, k.Open):
		if k, ok := m.Choose(); ok {
			return m, chosen(k)
		}
	case key.Matches(msg, k.Mark):
		return m, m.toggleMark()
	case key.Matches(msg, k.MarkAll):
		cmd := m.markAllMatching()
		return m, cmd
	case key.Matches(msg, k.Unmark):
		clear(m.marked)
		m.markedBy = nil
	case key.Matches(msg, k.Sort):
		m.by = nextSort(m.by)
		return m, m.resort()
	case key.Matches(msg, k.Reverse):
		m.rev = !m.rev
		m.reverseRead()
		return m, m.resort()
	case key.Matches(msg, k.Search):
		m.prompt = promptSearch
		m.input.Prompt = "search: "
		// Empty, as the viewer's / (the last search is a ↑ away): text
		// typed after the last one searched for both run together.
		m.input.SetValue("")
		m.SetSize(m.width, m.height)
		return m, m.focusPrompt()
	case key.Matches(msg, k.Filter):
		m.fkeep = m.anchor()
		m.prompt = promptFilter
		m.input.Prompt = "/"
		m.input.SetValue(m.filter)
		m.input.CursorEnd()
		m.SetSize(m.width, m.height)
		return m, m.focusPrompt()
	case key.Matches(msg, k.ClearFilter):
		return m, m.setFilter("")
	case key.Matches(msg, k.NextMatch, k.PrevMatch) && m.search == "" && m.filter == "":
		// As mutt's "No search pattern.": n did nothing, unsaid.
		return m, notice("no search yet: " + k.Search.Help().Key + " searches, " + k.Filter.Help().Key + " filters")
	case key.Matches(msg, k.NextMatch):
		if m.search != "" {
			return m, m.jumpSearch(1)
		}
		m.jumpMatch(1)
	case key.Matches(msg, k.PrevMatch):
		if m.search != "" {
			return m, m.jumpSearch(-1)
		}
		m.jumpMatch(-1)
	case key.Matches(msg, k.Threads):
		m.threaded = !m.threaded
		if m.threaded && m.tall == nil {
			return m, threadCmd(m.ctx, m.src, m.box, m.seq, m.by, m.rev)
		}
		m.rebuild()
	case key.Matches(msg, k.Fold):
		return m, m.toggleFold()
	case key.Matches(msg, k.FoldAll):
		m.foldAll = !m.foldAll
		clear(m.toggled)
		m.rebuild()
	case key.Matches(msg, k.Pipe):
		if len(m.pipeKeys()) == 0 {
			return m, nil
		}
		m.prompt = promptPipe
		m.input.Prompt = m.pipePrompt()
		m.input.SetValue("")
		m.SetSize(m.width, m.height)
		return m, m.focusPrompt()
	case key.Matches(msg, k.SaveMarked, k.ExportMarked) && len(m.marked) == 0:
		// Said, not ignored: s and e act on the marked messages only.
		return m, notice("no message is marked: " + k.Mark.Help().Key + " marks one, " + k.MarkAll.Help().Key + " all shown")
	case key.Matches(msg, k.SaveMarked):
		if len(m.marked) > 0 {
			m.prompt = promptSave
			m.input.Prompt = "save attachments of " + strconv.Itoa(len(m.marked)) + " marked to: "
			m.input.SetValue(m.c.SaveDir)
			m.input.CursorEnd()
			m.SetSize(m.width, m.height)
			return m, m.focusPrompt()
		}
	case key.Matches(msg, k.ExportMarked):
		if len(m.marked) > 0 {
			m.prompt = promptExport
			m.input.Prompt = "export " + strconv.Itoa(len(m.marked)) + " marked to mbox: "
			m.input.SetValue(filepath.Join(m.c.SaveDir, "sesbox-export.mbox"))
			m.input.CursorEnd()
			m.SetSize(m.width, m.height)
			return m, m.focusPrompt()
		}
	}
	return m, nil
}

func (m Model) updatePrompt(msg tea.KeyMsg) (Model, tea.Cmd) {
	p := m.c.Keys.Prompt
	switch {
	case key.Matches(msg, p.Accept):
		kind, val := m.prompt, strings.TrimSpace(m.input.Value())
		m.hist[kind].Add(val)
		m.closePrompt()
		if kind == promptFilter && m.filterErr != nil {
			// A filter that does not parse is an error, said as
			// `sesbox ls --query` says it.
			err := m.filterErr
			return m, func() tea.Msg { return common.ErrorPostedMsg{Err: err} }
		}
		if kind == promptSearch {
			cmd, err := m.ApplySearch(val)
			if err != nil {
				return m, func() tea.Msg { return common.ErrorPostedMsg{Err: err} }
			}
			return m, cmd
		}
		if kind == promptSave && val != "" {
			keys, dir := m.Marked(), val
			return m, func() tea.Msg { return MarkedSaveRequestedMsg{Keys: keys, Dir: dir} }
		}
		if kind == promptExport && val != "" {
			keys, file := m.Marked(), val
			return m, func() tea.Msg { return MarkedExportRequestedMsg{Keys: keys, File: file} }
		}
		if kind == promptPipe && val != "" {
			keys, raw := m.pipeKeys(), m.pipeRaw
			return m, func() tea.Msg { return PipeRequestedMsg{Keys: keys, Command: val, Raw: raw} }
		}
		return m, nil
	case m.prompt == promptPipe && key.Matches(msg, m.c.Keys.List.PipeMode):
		m.pipeRaw = !m.pipeRaw
		m.input.Prompt = m.pipePrompt()
		return m, nil
	case key.Matches(msg, p.Older, p.Newer):
		line, ok := m.hist[m.prompt].Recall(msg, p, &m.input)
		if ok && m.prompt == promptFilter {
			return m, m.setFilter(line)
		}
		return m, nil
	case key.Matches(msg, p.Cancel):
		var cmd tea.Cmd
		if m.prompt == promptFilter {
			cmd = m.setFilter("")
		}
		m.closePrompt()
		return m, cmd
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(msg)
	if m.prompt == promptFilter && m.input.Value() != m.filter {
		cmd = tea.Batch(cmd, m.setFilter(m.input.Value()))
	}
	return m, cmd
}

// pipeKeys are what | pipes: the marked messages, else the one under the
// cursor.
func (m Model) pipeKeys() []string {
	if keys := m.Marked(); len(keys) > 0 {
		return keys
	}
	if s, ok := m.Selected(); ok {
		return []string{s.Key}
	}
	return nil
}

// pipePrompt says what the pipe prompt sends (Tab switches it).
func (m Model) pipePrompt() string {
	n := len(m.pipeKeys())
	switch {
	case m.pipeRaw && n == 1:
		return "pipe raw message to: "
	case m.pipeRaw:
		return "pipe " + strconv.Itoa(n) + " raw messages (mbox) to: "
	case n == 1:
		return "pipe decoded text to: "
	}
	return "pipe decoded text of " + strconv.Itoa(n) + " messages (mbox) to: "
}

// focusPrompt gives the prompt just opened the keyboard; Up recalls its
// newest entry first.
func (m *Model) focusPrompt() tea.Cmd {
	m.hist[m.prompt].Reset()
	return m.input.Focus()
}

func (m *Model) closePrompt() {
	m.prompt = promptNone
	m.input.Blur()
	m.SetSize(m.width, m.height)
}

func (m Model) updateMouse(msg tea.MouseMsg) (Model, tea.Cmd) {
	if msg.Action != tea.MouseActionPress {
		return m, nil
	}
	switch msg.Button {
	case tea.MouseButtonWheelDown:
		m.move(3)
	case tea.MouseButtonWheelUp:
		m.move(-3)
	case tea.MouseButtonLeft:
		// Row 0 is the column header.
		if r := m.offset + msg.Y - 1; msg.Y >= 1 && r < len(m.rows) && msg.Y <= m.rowsHeight() {
			now := m.c.Now()
			double := r == m.lastRow && now.Sub(m.lastClick) < doubleClick
			m.cursor, m.lastRow, m.lastClick, m.moved = r, r, now, true
			if s := m.sums[m.rows[r]]; double && s != nil {
				m.lastClick = time.Time{}
				return m, chosen(s.Key)
			}
		}
	}
	return m, nil
}

// doubleClick is the longest gap between two clicks on a row that opens it.
const doubleClick = 400 * time.Millisecond

func notice(text string) tea.Cmd {
	return func() tea.Msg { return common.NoticePostedMsg{Text: text} }
}

// rowMatches reports whether row r matches the search.
func (m *Model) rowMatches(r int) bool {
	return r >= 0 && r < len(m.rows) && m.found[m.rows[r]]
}

// foundMsg takes the matches of the search, and makes the jump that
// waited for them.
func (m *Model) foundMsg(msg FoundMsg) tea.Cmd {
	if msg.Seq != m.sseq {
		return nil
	}
	if msg.Err != nil {
		m.jump = 0
		return common.Error(msg.Err)
	}
	m.found = msg.Found
	dir := m.jump
	m.jump = 0
	switch {
	case dir == 2 && m.rowMatches(m.cursor):
		return nil
	case dir == 2 && len(m.found) == 0:
		return notice("no message matches " + m.search)
	case dir == 2:
		m.jumpSearch(1) // from the cursor on: a wrap is no news here
		return nil
	case dir != 0:
		return m.jumpSearch(dir)
	}
	return nil
}

// jumpSearch moves to the next (dir 1) or previous (-1) row matching the
// search, wrapping around the list once, as a pager does.
func (m *Model) jumpSearch(dir int) tea.Cmd {
	if m.found == nil {
		m.jump = dir // when the matches come
		return nil
	}
	n := len(m.rows)
	for i := 1; i <= n; i++ {
		r := ((m.cursor+dir*i)%n + n) % n
		if m.rowMatches(r) {
			wrapped := (dir > 0 && r < m.cursor) || (dir < 0 && r > m.cursor)
			m.cursor, m.moved = r, true
			m.scroll()
			if wrapped {
				return notice("search wrapped around")
			}
			return nil
		}
	}
	return notice("no message matches " + m.search)
}

// Choose is what the open key does: it returns the message under the
// cursor to open now, or ok false when there is none, or none yet: while
// the list is Settling the row under the cursor is about to go (the root
// holds keys until then). The root calls it for the key itself, so that a
// key typed right after Enter acts in the viewer rather than in the list.
func (m *Model) Choose() (key string, ok bool) {
	if m.Settling() {
		return "", false
	}
	s, ok := m.Selected()
	if !ok {
		return "", false
	}
	m.moved = true // the user chose this message: keep it
	return s.Key, true
}

func chosen(key string) tea.Cmd {
	return func() tea.Msg { return MessageChosenMsg{Key: key} }
}

func nextSort(by query.SortField) query.SortField {
	for i, f := range sortOrder {
		if f == by {
			return sortOrder[(i+1)%len(sortOrder)]
		}
	}
	return query.ByDate
}

func (m *Model) move(delta int) {
	m.moved, m.edge = true, 0
	m.cursor = min(max(m.cursor+delta, 0), max(len(m.rows)-1, 0))
	m.scroll()
}

// edgeWhenRead keeps a jump to the first (-1) or last (+1) row for when
// the whole list is read, if only a page of it is.
func (m *Model) edgeWhenRead(dir int) {
	if m.partial() {
		m.edge = dir
	}
}

// partial reports whether the rows shown are a page of the list only, or
// of an order or a filter before its rows are read.
func (m *Model) partial() bool {
	if m.filterSet() {
		return m.mpartial || m.mseq != m.fseq
	}
	return !m.full || m.loading
}

// scroll keeps the cursor on screen.
func (m *Model) scroll() {
	m.cursor = min(max(m.cursor, 0), max(len(m.rows)-1, 0))
	m.offset = common.KeepInView(m.cursor, m.offset, m.rowsHeight(), len(m.rows))
}

// PendingOnScreen returns the keys of the rows on screen whose header
// block is not read yet (rows from an inventory), for their mailbox to
// read before the others.
func (m *Model) PendingOnScreen() []string {
	var out []string
	for r := m.offset; r < min(m.offset+m.rowsHeight(), len(m.rows)); r++ {
		if s := m.sums[m.rows[r]]; s != nil && s.HeadersPending {
			out = append(out, s.Key)
		}
	}
	return out
}

// rowsHeight is the number of message rows on screen: the height less the
// column header and the prompt line.
func (m Model) rowsHeight() int {
	h := m.height - 1
	if m.prompt != promptNone || m.filterErr != nil {
		h--
	}
	return max(h, 0)
}

func (m *Model) toggleMark() tea.Cmd {
	if len(m.rows) == 0 {
		return nil
	}
	var ids []int64
	var keys []string
	if mt := m.rowMeta(m.cursor); mt.folded {
		// A folded thread is marked whole: its members cannot be reached
		// one by one.
		m.threads.walk(mt.idx, 0, func(i int32, _ int) {
			ids, keys = append(ids, m.tall[i].ID), append(keys, m.tall[i].Key)
		})
	} else if s := m.sums[m.rows[m.cursor]]; s != nil {
		ids, keys = []int64{m.rows[m.cursor]}, []string{s.Key}
	} else {
		return nil // not read yet: nothing to show marked
	}
	_, on := m.marked[keys[0]]
	for i, k := range keys {
		if on {
			delete(m.marked, k)
		} else {
			m.marked[k] = ids[i]
		}
	}
	m.move(1)
	return nil
}

// markAllMatching marks every message the filter matches (all without
// one): their keys are read from the index, a chunk at a time.
func (m *Model) markAllMatching() tea.Cmd {
	ids, q, partial := m.all, query.Query{}, !m.full
	var chose *query.Query
	if m.filterSet() && m.matched != nil {
		ids, q, partial, chose = m.matched.IDs, m.q, m.mpartial, ptr(m.q)
	}
	ctx, src, box, by, rev := m.ctx, m.src, m.box, m.by, m.rev
	m.marking++
	return func() tea.Msg {
		if partial { // a page is shown: mark every match, not the page
			l, err := src.IDs(ctx, q, by, rev, 0)
			if err != nil {
				return MarksFoundMsg{Box: box, Err: err, Awaited: true}
			}
			ids = l.IDs
		}
		var out []index.Row
		for len(ids) > 0 {
			n := min(len(ids), 5000)
			rows, err := src.Rows(ctx, ids[:n])
			if err != nil {
				return MarksFoundMsg{Box: box, Err: err, Awaited: true}
			}
			for _, r := range rows {
				out = append(out, index.Row{ID: r.ID, Summary: mailstore.Summary{Object: mailstore.Object{Key: r.Key}}})
			}
			ids = ids[n:]
		}
		return MarksFoundMsg{Box: box, Rows: out, By: chose, Awaited: true}
	}
}

func (m *Model) marksFound(msg MarksFoundMsg) tea.Cmd {
	if msg.Awaited {
		m.marking = max(m.marking-1, 0)
	}
	if msg.Err != nil {
		return common.Error(msg.Err)
	}
	if msg.Replace {
		clear(m.marked)
		m.markedBy = nil
	}
	if msg.By != nil {
		m.markedBy = append(m.markedBy, *msg.By)
	}
	for _, r := range msg.Rows {
		m.marked[r.Key] = r.ID
	}
	if msg.Why != "" {
		return notice("marked " + mailstore.Count(len(m.marked), "message") + " " + msg.Why)
	}
	return nil
}

func (m *Model) jumpMatch(dir int) {
	if m.filter == "" {
		return
	}
	for r := m.cursor + dir; r >= 0 && r < len(m.rows); r += dir {
		if !m.rowMeta(r).context {
			m.cursor, m.moved = r, true
			m.scroll()
			return
		}
	}
}

// firstMatch is the first row the filter matches: 0, unless the thread
// view shows a thread's non-matching messages above it as context.
func (m *Model) firstMatch() int {
	for r := range m.rows {
		if !m.rowMeta(r).context {
			return r
		}
	}
	return 0
}

// rowMeta is the thread view's account of row r (zero in the flat list).
func (m *Model) rowMeta(r int) meta {
	if m.meta == nil {
		return meta{}
	}
	return m.meta[r]
}

func (m *Model) toggleFold() tea.Cmd {
	k := m.c.Keys.List
	switch {
	case len(m.rows) == 0:
		return nil
	case m.meta == nil:
		// Said, as mutt's "Threading is not enabled.": z did nothing.
		return notice("not in threads: " + k.Threads.Help().Key + " shows them, " + k.Fold.Help().Key + " folds one")
	}
	t := m.threads
	root := t.top[m.meta[m.cursor].idx]
	if t.size[root] <= 1 {
		return notice("nothing to fold: this message is alone in its thread")
	}
	rk := m.tall[root].Key
	m.toggled[rk] = !m.toggled[rk]
	m.rebuild()
	m.selectID(m.tall[root].ID)
	return nil
}

// setFilter parses and applies a filter: the matches are read from the
// index, and the rows change when they come. A filter that does not parse
// yet (the user is still typing) leaves the previous result on screen.
func (m *Model) setFilter(s string) tea.Cmd {
	m.filter, m.edge = s, 0
	if m.cancel != nil {
		m.cancel() // a read of the filter typed before is not wanted now
		m.cancel = nil
	}
	m.fseq++
	if s == "" {
		m.q, m.filterErr, m.matched = query.Query{}, nil, nil
		m.rebuild()
		return nil
	}
	q, err := query.Parse(s, m.c.Now())
	if err != nil {
		m.filterErr = err
		return nil
	}
	m.q, m.filterErr = q, nil
	ctx, cancel := context.WithCancel(m.ctx)
	m.cancel, m.fctx = cancel, ctx
	l := listing{by: m.by, rev: m.rev}
	if m.long() {
		// The matches around the message the cursor keeps first, then
		// all.
		l.limit, l.anchor = FirstPage, m.filterAnchor()
	}
	return matchCmd(ctx, m.src, m.box, m.fseq, q, l)
}

// filterAnchor is the message a filter's result keeps the cursor on if it
// matches: the cursor's once moved, else the one it was on when the filter
// began to be typed (a filter typed on the way, "f" of "from:", may have
// hidden it and put the cursor on the first row).
func (m *Model) filterAnchor() int64 {
	if a := m.anchor(); a != 0 {
		return a
	}
	return m.fkeep
}

// threadSet is every message with its thread fields and the threads they
// make, built in the Cmd that read them: at 1M messages, seconds that
// must not stop the keys.
type threadSet struct {
	tall  []index.Thread
	tpos  map[int64]int32
	index *threadIndex
}

func readThreads(ctx context.Context, src Source, by query.SortField, rev bool) (*threadSet, error) {
	rows, err := src.Threading(ctx, by, rev)
	if err != nil {
		return nil, err
	}
	t := &threadSet{tall: rows, tpos: make(map[int64]int32, len(rows)), index: buildThreads(rows)}
	for i := range rows {
		t.tpos[rows[i].ID] = int32(i)
	}
	if by == query.ByDate {
		t.index.byNewest(rows, rev)
	}
	return t, nil
}

func (m *Model) setThreads(t *threadSet) {
	m.tall, m.tpos, m.threads = t.tall, t.tpos, t.index
}

// rebuild recomputes the rows from all, the filter and the thread state,
// keeping the cursor on the same message when it is still shown.
func (m *Model) rebuild() { m.rebuildKeeping(m.anchor(), -1) }

// anchor is the message the cursor keeps when the rows change: the one
// under it once the user moved it, else none (0), so that the cursor
// stays on the first row while an index fill inserts newer messages above.
func (m *Model) anchor() int64 {
	if !m.moved || m.cursor < 0 || m.cursor >= len(m.rows) {
		return 0
	}
	return m.rows[m.cursor]
}

// rebuildKeeping makes the rows again, the cursor on message keep (0:
// the first row, or match: firstMatch) on the same line of the screen;
// when keep is not shown, on row at of a page read around it (at >= 0:
// the next message), else where it was.
func (m *Model) rebuildKeeping(keep int64, at int) {
	filtering := m.filterSet()
	if filtering && m.matched == nil {
		return // the rows change when the matches come
	}
	line := m.cursor - m.offset
	if m.threaded && m.threads != nil {
		m.buildThreadRows(filtering)
	} else {
		m.meta = nil
		m.rows = m.all
		if filtering {
			m.rows = m.matched.IDs
		}
		m.matches = len(m.rows)
	}
	switch {
	case keep == 0:
		m.cursor = m.firstMatch()
	case m.selectID(keep):
		m.offset = m.cursor - line
	case at >= 0:
		m.cursor, m.offset = at, at-line
	}
	m.scroll()
	if edge := m.edge; edge != 0 {
		m.move(edge * len(m.rows))
		m.edgeWhenRead(edge)
	}
}

func (m *Model) buildThreadRows(filtering bool) {
	t := m.threads
	var match []bool
	m.rows, m.meta = nil, nil
	m.matches = len(m.tall)
	if filtering {
		match = make([]bool, len(m.tall))
		m.matches = 0
		for _, id := range m.matched.IDs {
			if i, ok := m.tpos[id]; ok {
				match[i] = true
				m.matches++
			}
		}
	}
	add := func(i int32, mt meta) {
		mt.idx = i
		m.rows = append(m.rows, m.tall[i].ID)
		m.meta = append(m.meta, mt)
	}
	for _, r := range t.roots {
		if filtering {
			any := false
			t.walk(r, 0, func(i int32, _ int) { any = any || match[i] })
			if !any {
				continue
			}
		}
		folded := t.size[r] > 1 && m.foldAll != m.toggled[m.tall[r].Key]
		if folded {
			add(r, meta{kids: t.size[r] - 1, folded: true, context: filtering && !match[r]})
			continue
		}
		t.walk(r, 0, func(i int32, depth int) {
			mt := meta{depth: int32(depth), context: filtering && !match[i]}
			if i == r {
				mt.kids = t.size[r] - 1
			}
			add(i, mt)
		})
	}
}

// ShortHelp implements help.KeyMap.
func (m Model) ShortHelp() []key.Binding {
	k := m.c.Keys.List
	if m.prompt != promptNone {
		p := m.c.Keys.Prompt
		if m.prompt == promptPipe {
			return []key.Binding{p.Accept, p.Cancel, k.PipeMode, p.Older}
		}
		return []key.Binding{p.Accept, p.Cancel, p.Older}
	}
	return []key.Binding{k.Open, k.Filter, k.Mark, k.Threads, k.Sort}
}

// legend documents the verdict column in the full help; its "key" can never
// be typed.
var legend = []key.Binding{
	key.NewBinding(key.WithKeys("\x00legend1"), key.WithHelp("N @ *", "unread, attachment, marked")),
	key.NewBinding(key.WithKeys("\x00legend5"), key.WithHelp("@+", "maybe more attachments")),
	key.NewBinding(key.WithKeys("\x00legend2"), key.WithHelp("S D M", "SPF DKIM DMARC pass")),
	key.NewBinding(key.WithKeys("\x00legend3"), key.WithHelp("s d m", "... failed; - gray/none")),
	key.NewBinding(key.WithKeys("\x00legend4"), key.WithHelp("!", "SES spam or virus FAIL")),
}

// FullHelp implements help.KeyMap.
func (m Model) FullHelp() [][]key.Binding {
	k := m.c.Keys.List
	// PipeMode is on the pipe prompt's key line: here, tab is the next
	// mailbox's.
	find := []key.Binding{k.Filter, k.Search, k.NextMatch, k.PrevMatch}
	c := m.Clearing()
	if !c.Enabled() {
		// Without a filter or a search esc clears nothing and quits
		// nothing (tab.Back): the help says what it is for.
		c = k.ClearFilter
		c.SetHelp(c.Help().Key, "clear filter/search")
	}
	find = append(find, c)
	return [][]key.Binding{
		{k.Down, k.Up, k.HalfDown, k.HalfUp, k.PageDown, k.PageUp, k.Top, k.Bottom, k.Open},
		append(find, k.Sort, k.Reverse, k.Threads, k.Fold, k.FoldAll),
		{k.Mark, k.MarkAll, k.Unmark, k.SaveMarked, k.ExportMarked, k.Pipe},
		legend,
	}
}

// formatDate shows the time for today, "Jan 02" for this year and the full
// date otherwise, in the zone of c.
func formatDate(t, now time.Time, loc *time.Location) string {
	if loc != nil {
		t, now = t.In(loc), now.In(loc)
	}
	y1, m1, d1 := t.Date()
	y2, m2, d2 := now.Date()
	switch {
	case y1 == y2 && m1 == m2 && d1 == d2:
		return t.Format("15:04")
	case y1 == y2:
		return t.Format("Jan 02")
	default:
		return t.Format("2006-01-02")
	}
}
