// Package list is the message list: columns, sorting, the live filter (the
// query syntax of `sesbox ls --query`), marking and threads. It renders only
// the rows on screen, so it stays quick with 100k messages.
package list

import (
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/sesbox/sesbox/mailstore"
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

// sortOrder is what `o` cycles through.
var sortOrder = []query.SortField{query.ByDate, query.ByFrom, query.BySubject, query.BySize}

// row is one line of the list.
type row struct {
	idx     int32 // into Model.all
	depth   int32 // thread depth; 0 for roots and in flat mode
	kids    int32 // thread size - 1, on roots in thread mode
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
)

// Model is the message list.
type Model struct {
	c             common.Common
	width, height int

	// all is the list in sort order (by, rev). It holds pointers so that
	// merging a refresh report moves 8 bytes per message, not a Summary;
	// a full sort copies the summaries once into a fresh backing array.
	all    []*mailstore.Summary
	pos    map[string]int // key -> index into all
	unread int
	by     query.SortField
	rev    bool

	filter    string
	q         query.Query
	filterErr error
	matches   int // summaries matching the filter

	threaded bool
	threads  *threadIndex    // nil until needed; dropped when all or the sort changes
	toggled  map[string]bool // thread roots whose fold differs from foldAll
	foldAll  bool

	rows           []row
	cursor, offset int
	// moved is set once the user moved the cursor: from then on it
	// follows its message through refreshes, sorts and filters; until
	// then it stays on the first row, as in mutt and aerc.
	moved bool

	marked map[string]struct{}

	prompt promptKind
	input  textinput.Model

	// empty is what an empty list says (set by its mailbox page).
	empty string

	// search is the query n/N move between without hiding the others.
	search    string
	sq        query.Query
	searchErr error
	lastClick time.Time // for double clicks
	lastRow   int
}

// New returns an empty list sorted newest first.
func New(c common.Common) Model {
	return Model{
		c:       c,
		pos:     map[string]int{},
		by:      query.ByDate,
		toggled: map[string]bool{},
		marked:  map[string]struct{}{},
		input:   common.NewInput(c.Styles, "/"),
	}
}

// SetSize sets the area the list draws in.
func (m *Model) SetSize(w, h int) {
	m.width, m.height = w, h
	// The prompt and the cursor cell take the rest of the line.
	m.input.Width = max(1, w-common.Width(m.input.Prompt)-1)
	m.scroll()
}

// SetSummaries replaces the messages shown.
func (m *Model) SetSummaries(s []mailstore.Summary) {
	keep := m.anchor()
	m.all = make([]*mailstore.Summary, len(s))
	for i := range s {
		m.all[i] = &s[i]
	}
	m.resort(keep)
}

// Add merges summaries into the list (as an index refresh reports them):
// known keys are replaced, new ones inserted in sort order. A report is a
// few hundred summaries against up to 100k listed, so the new ones are
// sorted alone and merged in, instead of sorting everything again.
func (m *Model) Add(s []mailstore.Summary) {
	if len(s) == 0 {
		return
	}
	keep := m.anchor()
	s = append([]mailstore.Summary(nil), s...) // ours from here on
	var fresh []mailstore.Summary
	seen := make(map[string]int, len(s))
	moved := false
	for _, x := range s {
		if i, ok := m.pos[x.Key]; ok {
			*m.all[i] = x
			moved = moved || !m.inPlace(i)
			continue
		}
		if j, dup := seen[x.Key]; dup {
			fresh[j] = x
			continue
		}
		seen[x.Key] = len(fresh)
		fresh = append(fresh, x)
	}
	if moved || len(fresh) > len(m.all) {
		for i := range fresh {
			m.all = append(m.all, &fresh[i])
		}
		m.resort(keep)
		return
	}
	query.Sort(fresh, m.by, m.rev)
	merged := make([]*mailstore.Summary, 0, len(m.all)+len(fresh))
	i := 0
	for f := range fresh {
		// The first listed summary that sorts after fresh[f].
		n := sort.Search(len(m.all)-i, func(k int) bool { return m.before(&fresh[f], m.all[i+k]) })
		merged = append(merged, m.all[i:i+n]...)
		merged = append(merged, &fresh[f])
		i += n
	}
	m.all = append(merged, m.all[i:]...)
	m.reindex()
	m.threads = nil
	m.rebuildKeeping(keep)
}

// before reports whether a sorts before b, by the same query.Compare that
// `sesbox ls --sort` uses, so the two orders never drift.
func (m *Model) before(a, b *mailstore.Summary) bool {
	return query.Compare(a, b, m.by, m.rev) < 0
}

// inPlace reports whether all[i] is still in order with its neighbours.
func (m *Model) inPlace(i int) bool {
	return (i == 0 || m.before(m.all[i-1], m.all[i])) &&
		(i == len(m.all)-1 || m.before(m.all[i], m.all[i+1]))
}

// SetRead records a message's read state (after the index saved it).
func (m *Model) SetRead(key string, read bool) {
	if i, ok := m.pos[key]; ok && m.all[i].Read != read {
		m.all[i].Read = read
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
	if i, ok := m.pos[key]; ok {
		m.all[i].Attachments, m.all[i].AttachmentsExact = n, exact
	}
}

// Summary returns the summary of key.
func (m Model) Summary(key string) (mailstore.Summary, bool) {
	if i, ok := m.pos[key]; ok {
		return *m.all[i], true
	}
	return mailstore.Summary{}, false
}

// Selected returns the message under the cursor.
func (m Model) Selected() (mailstore.Summary, bool) {
	if m.cursor < 0 || m.cursor >= len(m.rows) {
		return mailstore.Summary{}, false
	}
	return *m.all[m.rows[m.cursor].idx], true
}

// Select moves the cursor to key, if it is shown.
func (m *Model) Select(key string) bool {
	i, ok := m.pos[key]
	if !ok {
		return false
	}
	for r := range m.rows {
		if int(m.rows[r].idx) == i {
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
	if n < 0 || n >= len(m.rows) {
		return mailstore.Summary{}, false
	}
	m.cursor, m.moved = n, true
	m.scroll()
	return *m.all[m.rows[n].idx], true
}

// Counts are the numbers the status line and the mailbox switcher show.
type Counts struct {
	Total, Shown, Marked, Unread int
}

// Counts returns the list's counts.
func (m Model) Counts() Counts {
	shown := len(m.all)
	if m.filter != "" {
		shown = m.matches
	}
	return Counts{Total: len(m.all), Shown: shown, Marked: len(m.marked), Unread: m.unread}
}

// Filter returns the active filter as typed, and its parse error if any.
func (m Model) Filter() (string, error) { return m.filter, m.filterErr }

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
func (m *Model) ClearFilter() { m.setFilter("") }

// ApplyFilter limits the list to the messages matching s ("" shows all);
// an error is what `sesbox ls --query` reports for s.
func (m *Model) ApplyFilter(s string) error {
	m.setFilter(s)
	return m.filterErr
}

// ApplySearch moves the cursor to the first message from it that matches
// s, without hiding the others; n and N then move between matches. ""
// ends the search; an error is what `sesbox ls --query` reports for s.
func (m *Model) ApplySearch(s string) error {
	m.search, m.searchErr = s, nil
	if s == "" {
		m.sq = query.Query{}
		return nil
	}
	q, err := query.Parse(s, m.c.Now())
	if err != nil {
		m.search, m.searchErr = "", err
		return err
	}
	m.sq = q
	if !m.rowMatches(m.cursor) {
		m.jumpSearch(1)
	}
	return nil
}

// SearchText is the search n/N move between ("" for none).
func (m Model) SearchText() string { return m.search }

// SetSort sorts the list by by (reversed with rev), as `sesbox ls --sort`.
func (m *Model) SetSort(by query.SortField, rev bool) {
	m.by, m.rev = by, rev
	m.resort(m.anchor())
}

// SetEmptyText sets what the list says when the mailbox has no message
// ("" for nothing: the mailbox page shows why above the list).
func (m *Model) SetEmptyText(s string) { m.empty = s }

// Width is the width the list draws in.
func (m Model) Width() int { return m.width }

// Marked returns the keys of the marked messages in list order.
func (m Model) Marked() []string {
	out := make([]string, 0, len(m.marked))
	for i := range m.all {
		if _, ok := m.marked[m.all[i].Key]; ok {
			out = append(out, m.all[i].Key)
		}
	}
	return out
}

// SetMarked replaces the marks with keys (those in the list; others are
// ignored) and returns how many are marked: the root marks the messages a
// forward failed on, so that forwarding the marked set tries them again.
func (m *Model) SetMarked(keys []string) int {
	clear(m.marked)
	for _, k := range keys {
		if _, ok := m.pos[k]; ok {
			m.marked[k] = struct{}{}
		}
	}
	return len(m.marked)
}

// Init implements tea.Model.
func (m Model) Init() tea.Cmd { return nil }

// Update handles keys (and the mouse, when the root enables it).
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.KeyMsg:
		if m.prompt != promptNone {
			return m.updatePrompt(msg)
		}
		return m.updateKey(msg)
	case tea.MouseMsg:
		return m.updateMouse(msg)
	}
	return m, nil
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
	case key.Matches(msg, k.Bottom):
		m.move(len(m.rows))
	case key.Matches(msg, k.Open):
		if s, ok := m.Selected(); ok {
			m.moved = true // the user chose this message: keep it
			return m, chosen(s.Key)
		}
	case key.Matches(msg, k.Mark):
		m.toggleMark()
	case key.Matches(msg, k.MarkAll):
		m.markAllMatching()
	case key.Matches(msg, k.Unmark):
		clear(m.marked)
	case key.Matches(msg, k.Sort):
		m.by = nextSort(m.by)
		m.resort(m.anchor())
	case key.Matches(msg, k.Reverse):
		m.rev = !m.rev
		m.resort(m.anchor())
	case key.Matches(msg, k.Search):
		m.prompt = promptSearch
		m.input.Prompt = "search: "
		m.input.SetValue(m.search)
		m.input.CursorEnd()
		m.SetSize(m.width, m.height)
		return m, m.input.Focus()
	case key.Matches(msg, k.Filter):
		m.prompt = promptFilter
		m.input.Prompt = "/"
		m.input.SetValue(m.filter)
		m.input.CursorEnd()
		m.SetSize(m.width, m.height)
		return m, m.input.Focus()
	case key.Matches(msg, k.ClearFilter):
		m.setFilter("")
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
		m.rebuild()
	case key.Matches(msg, k.Fold):
		m.toggleFold()
	case key.Matches(msg, k.FoldAll):
		m.foldAll = !m.foldAll
		clear(m.toggled)
		m.rebuild()
	case key.Matches(msg, k.SaveMarked):
		if len(m.marked) > 0 {
			m.prompt = promptSave
			m.input.Prompt = "save attachments of " + strconv.Itoa(len(m.marked)) + " marked to: "
			m.input.SetValue(m.c.SaveDir)
			m.input.CursorEnd()
			m.SetSize(m.width, m.height)
			return m, m.input.Focus()
		}
	case key.Matches(msg, k.ExportMarked):
		if len(m.marked) > 0 {
			m.prompt = promptExport
			m.input.Prompt = "export " + strconv.Itoa(len(m.marked)) + " marked to mbox: "
			m.input.SetValue(filepath.Join(m.c.SaveDir, "sesbox-export.mbox"))
			m.input.CursorEnd()
			m.SetSize(m.width, m.height)
			return m, m.input.Focus()
		}
	}
	return m, nil
}

func (m Model) updatePrompt(msg tea.KeyMsg) (Model, tea.Cmd) {
	p := m.c.Keys.Prompt
	switch {
	case key.Matches(msg, p.Accept):
		kind, val := m.prompt, strings.TrimSpace(m.input.Value())
		m.closePrompt()
		if kind == promptFilter && m.filterErr != nil {
			// A filter that does not parse is an error, said as
			// `sesbox ls --query` says it.
			err := m.filterErr
			return m, func() tea.Msg { return common.ErrorPostedMsg{Err: err} }
		}
		if kind == promptSearch {
			if err := m.ApplySearch(val); err != nil {
				return m, func() tea.Msg { return common.ErrorPostedMsg{Err: err} }
			}
			if val != "" && !m.rowMatches(m.cursor) {
				return m, notice("no message matches " + val)
			}
			return m, nil
		}
		if kind == promptSave && val != "" {
			keys, dir := m.Marked(), val
			return m, func() tea.Msg { return MarkedSaveRequestedMsg{Keys: keys, Dir: dir} }
		}
		if kind == promptExport && val != "" {
			keys, file := m.Marked(), val
			return m, func() tea.Msg { return MarkedExportRequestedMsg{Keys: keys, File: file} }
		}
		return m, nil
	case key.Matches(msg, p.Cancel):
		if m.prompt == promptFilter {
			m.setFilter("")
		}
		m.closePrompt()
		return m, nil
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(msg)
	if m.prompt == promptFilter && m.input.Value() != m.filter {
		m.setFilter(m.input.Value())
	}
	return m, cmd
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
			if double {
				m.lastClick = time.Time{}
				return m, chosen(m.all[m.rows[r].idx].Key)
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
	return r >= 0 && r < len(m.rows) && m.sq.Match(m.all[m.rows[r].idx])
}

// jumpSearch moves to the next (dir 1) or previous (-1) row matching the
// search, wrapping around the list once, as a pager does.
func (m *Model) jumpSearch(dir int) tea.Cmd {
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
	m.moved = true
	m.cursor = min(max(m.cursor+delta, 0), max(len(m.rows)-1, 0))
	m.scroll()
}

// scroll keeps the cursor on screen.
func (m *Model) scroll() {
	h := max(1, m.rowsHeight())
	m.cursor = min(max(m.cursor, 0), max(len(m.rows)-1, 0))
	if m.cursor < m.offset {
		m.offset = m.cursor
	}
	if m.cursor >= m.offset+h {
		m.offset = m.cursor - h + 1
	}
	m.offset = min(m.offset, max(len(m.rows)-h, 0))
	m.offset = max(m.offset, 0)
}

// rowsHeight is the number of message rows on screen: the height less the
// column header and the prompt line.
// PendingOnScreen returns the keys of the rows on screen whose header
// block is not read yet (rows from an inventory), for their mailbox to
// read before the others.
func (m *Model) PendingOnScreen() []string {
	var out []string
	for r := m.offset; r < min(m.offset+m.rowsHeight(), len(m.rows)); r++ {
		if s := m.all[m.rows[r].idx]; s.HeadersPending {
			out = append(out, s.Key)
		}
	}
	return out
}

func (m Model) rowsHeight() int {
	h := m.height - 1
	if m.prompt != promptNone || m.filterErr != nil {
		h--
	}
	return max(h, 0)
}

func (m *Model) toggleMark() {
	if len(m.rows) == 0 {
		return
	}
	r := m.rows[m.cursor]
	k := m.all[r.idx].Key
	_, on := m.marked[k]
	mark := func(i int32) {
		if on {
			delete(m.marked, m.all[i].Key)
		} else {
			m.marked[m.all[i].Key] = struct{}{}
		}
	}
	if r.folded {
		// A folded thread is marked whole: its members cannot be reached
		// one by one.
		m.threadIndex().walk(r.idx, 0, func(i int32, _ int) { mark(i) })
	} else {
		mark(r.idx)
	}
	m.move(1)
}

func (m *Model) markAllMatching() {
	for i := range m.all {
		if m.filter == "" || m.filterErr != nil || m.q.Match(m.all[i]) {
			m.marked[m.all[i].Key] = struct{}{}
		}
	}
}

func (m *Model) jumpMatch(dir int) {
	if m.filter == "" {
		return
	}
	for r := m.cursor + dir; r >= 0 && r < len(m.rows); r += dir {
		if !m.rows[r].context {
			m.cursor, m.moved = r, true
			m.scroll()
			return
		}
	}
}

func (m *Model) toggleFold() {
	if !m.threaded || len(m.rows) == 0 {
		return
	}
	t := m.threadIndex()
	root := t.root(m.rows[m.cursor].idx)
	if t.size[root] <= 1 {
		return
	}
	k := m.all[root].Key
	m.toggled[k] = !m.toggled[k]
	m.rebuild()
	m.Select(k)
}

// setFilter parses and applies a filter. A filter that does not parse yet
// (the user is still typing) leaves the previous result on screen.
func (m *Model) setFilter(s string) {
	m.filter = s
	if s == "" {
		m.q, m.filterErr = query.Query{}, nil
		m.rebuild()
		return
	}
	q, err := query.Parse(s, m.c.Now())
	if err != nil {
		m.filterErr = err
		return
	}
	m.q, m.filterErr = q, nil
	m.rebuild()
}

// resort sorts all by the current field, then rebuilds everything derived,
// keeping the cursor on keep.
func (m *Model) resort(keep string) {
	sorted := make([]mailstore.Summary, len(m.all))
	for i, s := range m.all {
		sorted[i] = *s
	}
	query.Sort(sorted, m.by, m.rev)
	for i := range sorted {
		m.all[i] = &sorted[i]
	}
	m.reindex()
	m.threads = nil
	m.rebuildKeeping(keep)
}

// reindex rebuilds the key positions and the unread count.
func (m *Model) reindex() {
	clear(m.pos)
	m.unread = 0
	for i := range m.all {
		m.pos[m.all[i].Key] = i
		if !m.all[i].Read {
			m.unread++
		}
	}
}

func (m *Model) threadIndex() *threadIndex {
	if m.threads == nil {
		m.threads = buildThreads(m.all)
		if m.by == query.ByDate {
			m.threads.byNewest(m.all, m.rev)
		}
	}
	return m.threads
}

// rebuild recomputes the rows from all, the filter and the thread state,
// keeping the cursor on the same message when it is still shown.
func (m *Model) rebuild() { m.rebuildKeeping(m.anchor()) }

// anchor is the message the cursor keeps when the rows change: the one
// under it once the user moved it, else none, so that the cursor stays
// on the first row while an index fill inserts newer messages above.
func (m *Model) anchor() string {
	if !m.moved {
		return ""
	}
	return m.selectedKey()
}

func (m *Model) selectedKey() string {
	if s, ok := m.Selected(); ok {
		return s.Key
	}
	return ""
}

func (m *Model) rebuildKeeping(keep string) {
	m.rows = m.rows[:0]
	filtering := m.filter != "" && m.filterErr == nil
	m.matches = 0
	if !m.threaded {
		for i := range m.all {
			if !filtering || m.q.Match(m.all[i]) {
				m.rows = append(m.rows, row{idx: int32(i)})
			}
		}
		m.matches = len(m.rows)
	} else {
		m.buildThreadRows(filtering)
	}
	if keep == "" {
		m.cursor = 0
	}
	if keep == "" || !m.Select(keep) {
		m.scroll()
	}
}

func (m *Model) buildThreadRows(filtering bool) {
	t := m.threadIndex()
	var match []bool
	if filtering {
		match = make([]bool, len(m.all))
		for i := range m.all {
			if m.q.Match(m.all[i]) {
				match[i] = true
				m.matches++
			}
		}
	} else {
		m.matches = len(m.all)
	}
	for _, r := range t.roots {
		if filtering {
			any := false
			t.walk(r, 0, func(i int32, _ int) { any = any || match[i] })
			if !any {
				continue
			}
		}
		folded := t.size[r] > 1 && m.foldAll != m.toggled[m.all[r].Key]
		if folded {
			m.rows = append(m.rows, row{idx: r, kids: t.size[r] - 1, folded: true, context: filtering && !match[r]})
			continue
		}
		t.walk(r, 0, func(i int32, depth int) {
			rw := row{idx: i, depth: int32(depth), context: filtering && !match[i]}
			if i == r {
				rw.kids = t.size[r] - 1
			}
			m.rows = append(m.rows, rw)
		})
	}
}

// ShortHelp implements help.KeyMap.
func (m Model) ShortHelp() []key.Binding {
	k := m.c.Keys.List
	if m.prompt != promptNone {
		p := m.c.Keys.Prompt
		return []key.Binding{p.Accept, p.Cancel}
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
	return [][]key.Binding{
		{k.Down, k.Up, k.HalfDown, k.HalfUp, k.PageDown, k.PageUp, k.Top, k.Bottom, k.Open},
		{k.Filter, k.Search, k.NextMatch, k.PrevMatch, k.ClearFilter, k.Sort, k.Reverse, k.Threads, k.Fold, k.FoldAll},
		{k.Mark, k.MarkAll, k.Unmark, k.SaveMarked, k.ExportMarked},
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
