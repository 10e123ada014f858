package list

import (
	"context"
	"errors"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/index"
	"github.com/sesbox/sesbox/mailstore/query"
	"github.com/sesbox/sesbox/mailstore/sanitize"
	"github.com/sesbox/sesbox/tui/common"
	"github.com/sesbox/sesbox/tui/internal/fixture"
)

func newList(t testing.TB, w, h int) Model {
	t.Helper()
	m, _ := newListOf(t, w, h, fixture.Summaries())
	return m
}

// newListOf is a list of sums (read through a fake mailbox, which it also
// returns), loaded.
func newListOf(t testing.TB, w, h int, sums []mailstore.Summary) (Model, *fixture.FakeMailbox) {
	t.Helper()
	src := &fixture.FakeMailbox{Sums: sums}
	m := New(context.Background(), fixture.Common(w, h), src, 0)
	m.SetSize(w, h)
	cmd := m.Load()
	m, _ = settle(m, cmd)
	return m, src
}

// press feeds keys to m and returns the messages its commands produced.
func press(t testing.TB, m Model, keys ...string) (Model, []tea.Msg) {
	t.Helper()
	var msgs []tea.Msg
	for _, k := range keys {
		var cmd tea.Cmd
		var out []tea.Msg
		m, cmd = m.Update(fixture.Key(k))
		m, out = settle(m, cmd)
		msgs = append(msgs, out...)
	}
	return m, msgs
}

func typeText(t testing.TB, m Model, s string) Model {
	t.Helper()
	for _, k := range fixture.Keys(s) {
		var cmd tea.Cmd
		m, cmd = m.Update(k)
		m, _ = settle(m, cmd)
	}
	return m
}

// settle runs cmd and what it leads to, as the program would: the list's
// own reads go back to it; what it sends out to act (a chosen message, a
// save request) is returned. The textinput's cursor blinks are dropped.
func settle(m Model, cmd tea.Cmd) (Model, []tea.Msg) {
	var out []tea.Msg
	queue := []tea.Cmd{cmd}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		switch msg := c().(type) {
		case tea.BatchMsg:
			queue = append(queue, msg...)
		case RowsListedMsg, MatchesListedMsg, FoundMsg, ThreadsListedMsg, SummariesReadMsg, MarksFoundMsg:
			var next tea.Cmd
			m, next = m.Update(msg)
			queue = append(queue, next)
		case MessageChosenMsg, MarkedSaveRequestedMsg:
			out = append(out, msg)
		}
	}
	return m, out
}

func selectedKey(t testing.TB, m Model) string {
	t.Helper()
	s, ok := m.Selected()
	if !ok {
		t.Fatal("nothing selected")
	}
	return strings.TrimPrefix(s.Key, "inbox/")
}

func shownKeys(m Model) []string {
	var out []string
	for _, id := range m.rows {
		out = append(out, strings.TrimPrefix(m.sums[id].Key, "inbox/"))
	}
	return out
}

// checkWidths asserts the promise the list makes: every line is exactly
// the terminal width, so nothing wraps and columns line up.
func checkWidths(t *testing.T, view string, w, h int) {
	t.Helper()
	lines := strings.Split(view, "\n")
	if len(lines) != h {
		t.Errorf("view has %d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if got := ansi.StringWidth(l); got != w {
			t.Errorf("line %d is %d cells wide, want %d: %q", i, got, w, l)
		}
	}
}

func TestListNewestFirstAndNavigation(t *testing.T) {
	m := newList(t, 100, 8)
	if got := selectedKey(t, m); got != "a3" {
		t.Fatalf("first row = %s, want newest a3", got)
	}
	steps := []struct {
		key  string
		want string
	}{
		{"j", "a2"}, {"down", "a1"}, {"k", "a2"}, {"up", "a3"}, {"k", "a3"},
		{"G", "o1"}, {"g", "a3"}, {"end", "o1"}, {"home", "a3"},
		{"ctrl+d", "k1"}, {"ctrl+u", "a3"}, {"pgdown", "v1"}, {"pgup", "a3"},
	}
	for _, s := range steps {
		m, _ = press(t, m, s.key)
		if got := selectedKey(t, m); got != s.want {
			t.Fatalf("after %q selected %s, want %s", s.key, got, s.want)
		}
	}
}

func TestListScrollsToKeepCursorVisible(t *testing.T) {
	m, _ := newListOf(t, 80, 10, fixture.Many(1000))
	m, _ = press(t, m, "G")
	v := m.View()
	if !strings.Contains(v, ">") || !strings.Contains(v, "Message number 999 ") {
		t.Fatalf("last row not on screen after G:\n%s", v)
	}
	checkWidths(t, v, 80, 10)
	m, _ = press(t, m, "g")
	if !strings.Contains(m.View(), "메시지 0 번") {
		t.Fatalf("first row not on screen after g:\n%s", m.View())
	}
}

func TestListOpenSendsChosen(t *testing.T) {
	m := newList(t, 100, 10)
	_, msgs := press(t, m, "j", "enter")
	want := []tea.Msg{MessageChosenMsg{Key: "inbox/a2"}}
	if !reflect.DeepEqual(msgs, want) {
		t.Fatalf("got %#v, want %#v", msgs, want)
	}
	empty, _ := newListOf(t, 80, 10, nil)
	if _, msgs = press(t, empty, "enter"); len(msgs) != 0 {
		t.Fatalf("enter on an empty list sent %v", msgs)
	}
}

func TestListMarking(t *testing.T) {
	m := newList(t, 100, 12)
	m, _ = press(t, m, " ", " ")
	if got := m.Counts().Marked; got != 2 {
		t.Fatalf("marked %d, want 2", got)
	}
	if got := selectedKey(t, m); got != "a1" {
		t.Fatalf("space did not move down: at %s", got)
	}
	m, _ = press(t, m, "k", " ") // unmark a2
	if got := m.Marked(); !reflect.DeepEqual(got, []string{"inbox/a3"}) {
		t.Fatalf("marked %v", got)
	}
	m, _ = press(t, m, "u")
	if m.Counts().Marked != 0 {
		t.Fatal("u did not unmark")
	}
	m, _ = press(t, m, "/")
	m = typeText(t, m, "from:alice")
	m, _ = press(t, m, "enter", "V")
	if got := m.Marked(); !reflect.DeepEqual(got, []string{"inbox/a3", "inbox/a1"}) {
		t.Fatalf("V marked %v, want the two from alice", got)
	}
	m, _ = press(t, m, "esc", "*")
	if got := m.Counts().Marked; got != 10 {
		t.Fatalf("* without a filter marked %d, want all 10", got)
	}
}

func TestListSortCycle(t *testing.T) {
	m := newList(t, 100, 12)
	want := []struct {
		by    query.SortField
		first string
	}{
		{query.ByFrom, "h1"}, // the hostile name starts with ESC
		{query.BySubject, "h1"},
		{query.BySize, "v1"}, // largest first
		{query.ByDate, "a3"},
	}
	for _, w := range want {
		m, _ = press(t, m, "g", "o", "g")
		if by, _ := m.Sort(); by != w.by {
			t.Fatalf("sort = %s, want %s", by, w.by)
		}
		if got := selectedKey(t, m); got != w.first {
			t.Errorf("sorted by %s first row %s, want %s", w.by, got, w.first)
		}
	}
	m, _ = press(t, m, "O", "g")
	if got := selectedKey(t, m); got != "o1" {
		t.Fatalf("reversed date sort starts with %s, want the oldest o1", got)
	}
}

func TestListSortKeepsCursorOnMessage(t *testing.T) {
	m := newList(t, 100, 12)
	m, _ = press(t, m, "j", "j", "j") // k1
	m, _ = press(t, m, "o")
	if got := selectedKey(t, m); got != "k1" {
		t.Fatalf("cursor moved to %s on re-sort", got)
	}
}

func TestListLiveFilter(t *testing.T) {
	m := newList(t, 100, 12)
	m, _ = press(t, m, "/")
	if !m.Capturing() {
		t.Fatal("/ did not open the filter")
	}
	m = typeText(t, m, "회의")
	if got := shownKeys(m); !reflect.DeepEqual(got, []string{"k1"}) {
		t.Fatalf("live filter shows %v", got)
	}
	// A half-typed field keeps the last good result.
	m, _ = press(t, m, "backspace", "backspace")
	m = typeText(t, m, "from:alice -subject:re:")
	if got := shownKeys(m); !reflect.DeepEqual(got, []string{"a1"}) {
		t.Fatalf("filter shows %v", got)
	}
	m, _ = press(t, m, "enter")
	if m.Capturing() {
		t.Fatal("enter left the filter open")
	}
	if f, err := m.Filter(); f != "from:alice -subject:re:" || err != nil {
		t.Fatalf("filter = %q, %v", f, err)
	}
	if c := m.Counts(); c.Shown != 1 || c.Total != 10 {
		t.Fatalf("counts %+v", c)
	}
	m, _ = press(t, m, "esc")
	if got := len(shownKeys(m)); got != 10 || m.HasFilter() {
		t.Fatalf("esc left %d rows, filter %v", got, m.HasFilter())
	}
}

func TestListFilterErrorShown(t *testing.T) {
	m := newList(t, 100, 12)
	m, _ = press(t, m, "/")
	m = typeText(t, m, "after:notadate")
	if _, err := m.Filter(); err == nil {
		t.Fatal("bad date accepted")
	}
	v := m.View()
	if !strings.Contains(v, "/after:notadate") {
		t.Fatalf("prompt not shown:\n%s", v)
	}
	checkWidths(t, v, 100, 12)
	// The rows are those of the last filter that parsed ("after" as
	// free text), not an empty list.
	if !strings.Contains(v, "filter:") && !strings.Contains(v, "after") {
		t.Fatalf("error not shown:\n%s", v)
	}
}

func TestListNextMatchInThreads(t *testing.T) {
	m := newList(t, 100, 14)
	m, _ = press(t, m, "T", "/")
	m = typeText(t, m, "from:bob")
	m, _ = press(t, m, "enter")
	// The whole thread is shown as context for the one match.
	if got := shownKeys(m); !reflect.DeepEqual(got, []string{"a1", "a2", "a3"}) {
		t.Fatalf("thread rows %v", got)
	}
	m, _ = press(t, m, "g", "n")
	if got := selectedKey(t, m); got != "a2" {
		t.Fatalf("n went to %s, want the match a2", got)
	}
	m, _ = press(t, m, "n")
	if got := selectedKey(t, m); got != "a2" {
		t.Fatalf("n past the last match moved to %s", got)
	}
	m, _ = press(t, m, "G", "N")
	if got := selectedKey(t, m); got != "a2" {
		t.Fatalf("N went to %s", got)
	}
	if c := m.Counts(); c.Shown != 1 {
		t.Fatalf("shown counts context rows: %+v", c)
	}
}

func TestListThreadsAndFolding(t *testing.T) {
	m := newList(t, 100, 14)
	m, _ = press(t, m, "T")
	if !m.Threaded() {
		t.Fatal("T did not thread")
	}
	got := shownKeys(m)
	if !reflect.DeepEqual(got[:3], []string{"a1", "a2", "a3"}) {
		t.Fatalf("thread order %v", got)
	}
	if m.meta[1].depth != 1 || m.meta[2].depth != 2 {
		t.Fatalf("depths %d %d", m.meta[1].depth, m.meta[2].depth)
	}
	m, _ = press(t, m, "g", "j", "z")
	if got := shownKeys(m); len(got) != 8 || got[0] != "a1" || !m.meta[0].folded {
		t.Fatalf("after z rows %v", got)
	}
	if !strings.Contains(m.View(), "[+2] Quarterly report") {
		t.Fatalf("folded root not drawn:\n%s", m.View())
	}
	m, _ = press(t, m, " ") // marks the folded thread whole
	if got := m.Counts().Marked; got != 3 {
		t.Fatalf("marking a folded thread marked %d", got)
	}
	m, _ = press(t, m, "g", "z")
	if len(shownKeys(m)) != 10 {
		t.Fatal("z did not unfold")
	}
	m, _ = press(t, m, "Z")
	if len(shownKeys(m)) != 8 {
		t.Fatal("Z did not fold all")
	}
	m, _ = press(t, m, "T")
	if m.Threaded() || len(shownKeys(m)) != 10 {
		t.Fatal("T did not go back to the flat list")
	}
}

func TestThreadsSubjectFallbackAndCycles(t *testing.T) {
	s := fixture.Summaries()
	// No ids: "Re: Quarterly report" must still find its thread by subject.
	for i := range s {
		s[i].InReplyTo, s[i].References = "", nil
	}
	// A loop: k1 replies to j1 and j1 to k1.
	s[3].InReplyTo = s[4].MessageID
	s[4].InReplyTo = s[3].MessageID
	rows := make([]index.Row, len(s))
	for i := range s {
		rows[i] = index.Row{ID: int64(i + 1), Summary: s[i]}
	}
	tr := buildThreads(fixture.Threads(rows))
	a1 := int32(0)
	if tr.size[a1] != 3 {
		t.Fatalf("subject fallback thread size %d, want 3", tr.size[a1])
	}
	if tr.top[3] != tr.top[4] {
		t.Fatal("the loop was split")
	}
	for i := range s {
		if r := tr.top[i]; tr.parent[r] >= 0 {
			t.Errorf("message %d: its root %d has a parent", i, r)
		}
	}
}

func TestNormSubject(t *testing.T) {
	for in, want := range map[string]string{
		"Re: RE: Fwd: Hello": "hello",
		"Re[2]: Hello":       "hello",
		"답장: 회의":             "회의",
		"Hello":              "hello",
	} {
		if got, _ := normSubject(in); got != want {
			t.Errorf("normSubject(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestListAddMergesAndKeepsCursor(t *testing.T) {
	m, src := newListOf(t, 100, 12, fixture.Summaries())
	m, _ = press(t, m, "j") // a2
	more := fixture.Many(3)
	src.Sums = append(src.Sums, more...) // the index has them, then the list is told
	m, _ = settle(m, m.Add(more))
	if c := m.Counts(); c.Total != 13 {
		t.Fatalf("total %d", c.Total)
	}
	if got := selectedKey(t, m); got != "a2" {
		t.Fatalf("cursor jumped to %s", got)
	}
	upd := fixture.Summaries()[1]
	upd.Subject = "changed"
	src.Sums[1] = upd
	m, _ = settle(m, m.Add([]mailstore.Summary{upd}))
	if c := m.Counts(); c.Total != 13 {
		t.Fatalf("an update added a row: %d", c.Total)
	}
	if s, _ := m.Summary("inbox/a2"); s.Subject != "changed" {
		t.Fatal("update not applied")
	}
	before := m.Counts().Unread
	m.SetRead("inbox/a2", true)
	if m.Counts().Unread != before-1 {
		t.Fatal("unread count not updated")
	}
}

func TestListSavePromptSendsRequest(t *testing.T) {
	m := newList(t, 100, 12)
	m, msgs := press(t, m, "s")
	if m.Capturing() || len(msgs) != 0 {
		t.Fatal("s with nothing marked opened a prompt")
	}
	m, _ = press(t, m, " ", " ", "s")
	if !m.Capturing() || !strings.Contains(m.View(), "save attachments of 2 marked to: /tmp") {
		t.Fatalf("no save prompt:\n%s", m.View())
	}
	for range 4 {
		m, _ = press(t, m, "backspace")
	}
	m = typeText(t, m, "/saved")
	_, msgs = press(t, m, "enter")
	want := []tea.Msg{MarkedSaveRequestedMsg{Keys: []string{"inbox/a3", "inbox/a2"}, Dir: "/saved"}}
	if !reflect.DeepEqual(msgs, want) {
		t.Fatalf("got %#v", msgs)
	}
}

func TestListRowsAlignWithWideCharacters(t *testing.T) {
	for _, w := range []int{80, 120} {
		m := newList(t, w, 14)
		m, _ = press(t, m, "j", "j", "j")
		v := m.View()
		checkWidths(t, v, w, 14)
		// The hostile subject lost its escape sequences.
		if strings.ContainsRune(v, '\x1b') || strings.ContainsRune(v, '\x07') {
			t.Fatalf("control characters reached the screen: %q", v)
		}
	}
}

func TestListGoldens(t *testing.T) {
	for _, tc := range []struct {
		name string
		w, h int
		keys []string
		text string
	}{
		{name: "flat80", w: 80, h: 14},
		{name: "flat120", w: 120, h: 14, keys: []string{"j", "j", "j", "j"}},
		{name: "threads", w: 100, h: 14, keys: []string{"T", "j"}},
		{name: "filter", w: 100, h: 8, keys: []string{"/"}, text: "before:2025-03-01"},
		{name: "marked", w: 80, h: 8, keys: []string{" ", "j", " "}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newList(t, tc.w, tc.h)
			m, _ = press(t, m, tc.keys...)
			m = typeText(t, m, tc.text)
			v := m.View()
			checkWidths(t, v, tc.w, tc.h)
			golden.RequireEqual(t, []byte(v))
		})
	}
}

// A lower bound shows as "@+" until opening the message counts its
// attachments exactly.
func TestListAttachmentLowerBoundThenExact(t *testing.T) {
	m := newList(t, 120, 20)
	s := fixture.Summaries()[4] // 2 attachments at least
	if s.AttachmentsExact || s.Attachments == 0 {
		t.Fatalf("fixture: %d exact=%v", s.Attachments, s.AttachmentsExact)
	}
	row := func() string {
		for _, l := range strings.Split(m.View(), "\n") {
			if strings.Contains(l, "Mar 11") {
				return l
			}
		}
		t.Fatalf("no row for %s:\n%s", s.Key, m.View())
		return ""
	}
	if !strings.Contains(row(), "@+") {
		t.Errorf("lower bound not shown as @+: %q", row())
	}
	m.SetAttachments(s.Key, 3, true)
	if r := row(); strings.Contains(r, "@+") || !strings.Contains(r, "@") {
		t.Errorf("exact count still shown as a lower bound: %q", r)
	}
	if got, _ := m.Summary(s.Key); got.Attachments != 3 || !got.AttachmentsExact {
		t.Errorf("summary %d exact=%v", got.Attachments, got.AttachmentsExact)
	}
}

// TestListCursorStaysOnFirstRowUntilMoved fills the list as an index
// refresh does, in bucket order and not sort order: the cursor stays on the
// first row of the sort until the user moves it, and from then on stays on
// its message through refreshes and filters (as mutt and aerc).
func TestListCursorStaysOnFirstRowUntilMoved(t *testing.T) {
	all := fixture.Summaries()
	m, src := newListOf(t, 100, 12, nil)
	add := func(s []mailstore.Summary) {
		src.Sums = append(src.Sums, s...)
		m, _ = settle(m, m.Add(s))
	}
	for _, i := range []int{5, 3, 9, 0, 2, 7} { // e1, k1, o1, a1, a3, s1
		add(all[i : i+1])
		if !strings.HasPrefix(strings.Split(m.View(), "\n")[1], ">") {
			t.Fatalf("after adding %s the cursor is not on the first row:\n%s", all[i].Key, m.View())
		}
	}
	if got := selectedKey(t, m); got != "a3" {
		t.Fatalf("cursor on %s after the fill, want the newest a3", got)
	}
	m, _ = press(t, m, "o") // by sender: the first row again
	if got, want := selectedKey(t, m), shownKeys(m)[0]; got != want {
		t.Fatalf("cursor on %s after sorting, want the first row %s", got, want)
	}
	m, _ = press(t, m, "O", "O", "o", "o", "o") // by date, newest first
	m = typeText(t, m, "/alice")
	m, _ = press(t, m, "enter", "esc")
	if got := selectedKey(t, m); got != "a3" {
		t.Fatalf("cursor on %s after a filter, want the first row a3", got)
	}

	m, _ = press(t, m, "j", "j", "j") // a3 -> a1 -> k1 -> e1
	add(all[1:2])                     // a2 arrives above the cursor
	if got := selectedKey(t, m); got != "e1" {
		t.Fatalf("cursor on %s after a refresh, want e1 the user moved to", got)
	}
	m = typeText(t, m, "/party")
	if got := selectedKey(t, m); got != "e1" {
		t.Fatalf("filter moved the cursor to %s, want e1", got)
	}
	m, _ = press(t, m, "esc")
	for _, i := range []int{4, 6, 8} { // a reread finds the rest
		src.Sums = append(src.Sums, all[i])
	}
	m, _ = settle(m, m.Reload())
	if c := m.Counts(); c.Total != len(all) {
		t.Fatalf("reread shows %d messages, want %d", c.Total, len(all))
	}
	if got := selectedKey(t, m); got != "e1" {
		t.Fatalf("reread moved the cursor to %s, want e1", got)
	}
}

// TestListReadsOnlyNearTheScreen: whatever the keys, the list reads and
// keeps the summaries of the rows on screen and near it, never those of
// the whole mailbox (50,000 here).
func TestListReadsOnlyNearTheScreen(t *testing.T) {
	const n = 50_000
	m, src := newListOf(t, 120, 40, fixture.Many(n))
	window := m.rowsHeight() + 2*fetchMargin
	steps := [][]string{{"j", "j", "j"}, {"G"}, {"k", "k"}, {"g"}, {"pgdown", "pgdown", "pgdown"}, {"ctrl+d"},
		{"o"}, {"G"}, {"O"}, {"/", "topic 4"}, {"G"}, {"esc"}, {"T"}, {"G"}, {"T"}}
	for _, keys := range steps {
		if keys[0] == "/" {
			m, _ = press(t, m, "/")
			m = typeText(t, m, keys[1])
			m, _ = press(t, m, "enter")
		} else {
			m, _ = press(t, m, keys...)
		}
		if got := len(m.sums); got > 4*window+64 {
			t.Fatalf("after %v the list holds %d summaries; the screen and its margin are %d rows", keys, got, window)
		}
		if r := m.offset; len(m.rows) == 0 || m.sums[m.rows[r]] == nil {
			t.Fatalf("after %v the first row on screen is not read (%d rows, filter %q, offset %d, %d cached)", keys, len(m.rows), m.filter, m.offset, len(m.sums))
		}
	}
	if got := src.RowReads.Load(); got > int64(len(steps)*window) {
		t.Fatalf("%d summaries read for %d steps of a %d-row window (%d messages)", got, len(steps), window, n)
	}
	if c := m.Counts(); c.Total != n {
		t.Fatalf("counts %+v", c)
	}
}

// TestLongListShowsThePageAroundTheCursorFirst: a new sort or filter of a
// long list shows the rows around the cursor's message at once (one read
// of the order's index), the cursor on that message and on the same line
// of the screen, then all of them, nothing moving; counts say a page is
// shown, and marks off that page are still marked.
func TestLongListShowsThePageAroundTheCursorFirst(t *testing.T) {
	const n = 3 * FirstPage
	m, src := newListOf(t, 120, 30, fixture.Many(n))
	m, _ = press(t, m, "G", "k", "k", "k", "k", "k", "k", "k", "k", "k", "k", "k", "k", "k", "k", "k", "k", "k", "k", "k", "k")
	want, line := selectedKey(t, m), m.cursor-m.offset
	far := m.all[0]
	m.marked[m.sums[far].Key] = far
	check := func(step string, partial bool) {
		t.Helper()
		if got := selectedKey(t, m); got != want || m.cursor-m.offset != line {
			t.Fatalf("%s: cursor on %s at line %d, want %s at line %d", step, got, m.cursor-m.offset, want, line)
		}
		if c := m.Counts(); c.Partial != partial || c.Total != n {
			t.Fatalf("%s: counts %+v (partial %v)", step, c, partial)
		}
		if got := m.Marked(); len(got) != 1 || got[0] != "inbox/m0000000" {
			t.Fatalf("%s: marked %v", step, got)
		}
	}
	for _, k := range []string{"o", "o", "O", "o", "O"} {
		m2, cmd := m.Update(fixture.Key(k))
		if k == "O" {
			// Reversed at once, before any read: the row above the
			// cursor is the one that was below it.
			if got := selectedKey(t, m2); got != want || m2.cursor-m2.offset != line || m2.rows[m2.cursor-1] != m.rows[m.cursor+1] {
				t.Fatalf("O: before the read, cursor on %s at line %d, rows %v around it (were %v)", got, m2.cursor-m2.offset,
					m2.rows[m2.cursor-1:m2.cursor+2], m.rows[m.cursor-1:m.cursor+2])
			}
		}
		msg, ok := cmd().(RowsListedMsg)
		if !ok || !msg.Partial || len(msg.All.IDs) > 2*FirstPage {
			t.Fatalf("%s: first read %T partial=%v of %d ids", k, msg, msg.Partial, len(msg.All.IDs))
		}
		// Read with the page: the summaries of the screen's rows, not
		// all of the page's (the margin's come by Fetch, after).
		if len(msg.Rows) > 2*m.rowsHeight()+1 {
			t.Fatalf("%s: the page read %d summaries, the screen has %d rows", k, len(msg.Rows), m.rowsHeight())
		}
		clear(m2.sums)
		m2, next := m2.Update(msg)
		m = m2
		check(k+" (page)", true)
		for _, id := range m.rows[m.offset:min(len(m.rows), m.offset+m.rowsHeight())] {
			if m.sums[id] == nil {
				t.Fatalf("%s (page): message %d on screen has no summary", k, id)
			}
		}
		m, _ = settle(m, next)
		check(k+" (all)", false)
		if len(m.rows) != n {
			t.Fatalf("%s: %d rows", k, len(m.rows))
		}
	}
	// A read replaced by a newer one is stopped and says nothing (its
	// error would show as the mailbox's).
	m2, stale := m.Update(fixture.Key("o"))
	m2, fresh := m2.Update(fixture.Key("o"))
	if msg := stale(); msg != nil {
		t.Fatalf("a replaced read sent %T %+v", msg, msg)
	}
	m, _ = settle(m2, fresh)
	m, _ = press(t, m, "o")
	check("after a replaced read", false)
	// A filter the cursor's message matches: the same, through the
	// filter's matches.
	cmd := m.setFilter("number")
	msg, ok := cmd().(MatchesListedMsg)
	if !ok || !msg.Partial {
		t.Fatalf("filter: first read %T partial=%v", msg, msg.Partial)
	}
	m2, next := m.Update(msg)
	m = m2
	if got := selectedKey(t, m); got != want || !m.Counts().Partial {
		t.Fatalf("filter page: cursor on %s, want %s; counts %+v", got, want, m.Counts())
	}
	m, _ = settle(m, next)
	if c := m.Counts(); c.Partial || selectedKey(t, m) != want {
		t.Fatalf("filter: counts %+v, cursor on %s", c, selectedKey(t, m))
	}
	whole, _ := src.IDs(context.Background(), m.q, m.by, m.rev, 0)
	if len(m.rows) != len(whole.IDs) {
		t.Fatalf("filter: %d rows, %d matches", len(m.rows), len(whole.IDs))
	}
}

// The rows on screen are read in a read of their own, ahead of the
// margin's: a jump shows in the next frame.
func TestFetchReadsTheScreenFirst(t *testing.T) {
	m, _ := newListOf(t, 120, 30, fixture.Many(3*FirstPage))
	m, _ = press(t, m, "G")
	clear(m.sums)
	clear(m.asked)
	batch, ok := m.Fetch()().(tea.BatchMsg)
	if !ok {
		t.Fatal("Fetch did not batch its reads")
	}
	screen := m.rows[m.offset:min(len(m.rows), m.offset+m.rowsHeight())]
	lo, hi := m.window()
	var got []int64
	for i, cmd := range batch {
		if cmd == nil {
			continue
		}
		msg := cmd().(SummariesReadMsg)
		if i == 0 && !slices.Equal(msg.IDs, screen) {
			t.Fatalf("first read: %d ids, the screen has %d rows", len(msg.IDs), len(screen))
		}
		got = append(got, msg.IDs...)
	}
	if !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(m.rows[lo:hi]))) {
		t.Fatalf("the reads cover %d ids, the window %d", len(got), hi-lo)
	}
	if m.Fetch() != nil {
		t.Fatal("a second Fetch reads again what is asked for")
	}
}

// A g or G pressed while only a page of a long list is read (or before
// the page of a new order comes) goes to the edge of the rows shown at
// once and to the list's when the whole list comes; a key that moves the
// cursor after it drops it.
func TestEdgeKeysOnAPageGoToTheListsEdge(t *testing.T) {
	const n = 3 * FirstPage
	m, _ := newListOf(t, 120, 30, fixture.Many(n))
	m, _ = press(t, m, "j", "j")
	for _, tc := range []struct {
		keys   []string
		edge   int  // 0: the cursor stays where the keys left it
		before bool // pressed before the page of the new order comes
	}{
		{[]string{"G"}, 1, false},
		{[]string{"g"}, -1, false},
		{[]string{"G", "k"}, 0, false},
		{[]string{"G"}, 1, true},
		{[]string{"g"}, -1, true},
	} {
		m2, cmd := m.Update(fixture.Key("o"))
		if tc.before {
			m2, _ = press(t, m2, tc.keys...)
		}
		msg, ok := cmd().(RowsListedMsg)
		if !ok || !msg.Partial {
			t.Fatalf("%v: first read %T partial=%v", tc.keys, msg, msg.Partial)
		}
		m2, next := m2.Update(msg)
		if !tc.before {
			m2, _ = press(t, m2, tc.keys...)
		}
		var onPage string
		if tc.edge == 0 {
			onPage = selectedKey(t, m2)
		}
		m2, _ = settle(m2, next)
		if len(m2.rows) != n || m2.Counts().Partial {
			t.Fatalf("%v: %d rows after the whole list, partial %v", tc.keys, len(m2.rows), m2.Counts().Partial)
		}
		switch want := map[int]int{1: n - 1, -1: 0}[tc.edge]; {
		case tc.edge == 0 && selectedKey(t, m2) != onPage:
			t.Fatalf("%v: cursor on %s after the whole list, was on %s", tc.keys, selectedKey(t, m2), onPage)
		case tc.edge != 0 && m2.cursor != want:
			t.Fatalf("%v: cursor on row %d after the whole list, want %d", tc.keys, m2.cursor, want)
		}
		m = m2
	}
}

// A read that replaces the rows or moves the cursor makes the list
// Settling (the root holds keys meanwhile); its answer settles it, even
// when it fails or comes in another read, or keys would be held for good.
func TestListSettlesWhenItsReadsAnswer(t *testing.T) {
	fail := errors.New("index: disk I/O error")
	for _, tc := range []struct {
		name   string
		start  func(m *Model)
		answer func(m Model) tea.Msg
	}{
		{"filter", func(m *Model) { m.ApplyFilter("from:alice") },
			func(m Model) tea.Msg { return MatchesListedMsg{Seq: m.fseq, Err: fail} }},
		{"sort", func(m *Model) { m.SetSort(query.BySubject, false) },
			func(m Model) tea.Msg { return RowsListedMsg{Seq: m.seq, FSeq: m.fseq, Err: fail} }},
		{"sort, filtered", func(m *Model) { m.ApplyFilter("from:alice"); m.mseq = m.fseq; m.SetSort(query.BySubject, false) },
			func(m Model) tea.Msg { return RowsListedMsg{Seq: m.seq, FSeq: m.fseq, Err: fail} }},
		{"threads", func(m *Model) { *m, _ = m.Update(fixture.Key("T")) },
			func(m Model) tea.Msg { return ThreadsListedMsg{Seq: m.seq, Err: fail} }},
		{"search", func(m *Model) { m.ApplySearch("lottery") },
			func(m Model) tea.Msg { return FoundMsg{Seq: m.sseq, Err: fail} }},
		// A refresh's read, which makes the search's FoundMsg stale,
		// brings the matches and makes the jump.
		{"search, then a refresh", func(m *Model) { m.ApplySearch("lottery"); m.Reload() },
			func(m Model) tea.Msg {
				return RowsListedMsg{Seq: m.seq, All: index.Listing{IDs: m.all}, SSeq: m.sseq, Found: map[int64]bool{m.all[6]: true}}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newList(t, 100, 10)
			tc.start(&m)
			if !m.Settling() {
				t.Fatal("not settling while the rows that replace those shown are read")
			}
			m, _ = m.Update(tc.answer(m))
			if m.Settling() {
				t.Fatal("still settling after the read failed: the root would hold every key")
			}
		})
	}
}

// As mutt's limit: a filter keeps the cursor on its message when that
// matches, else puts it on the first match (not on the row number it
// had, nor on the match after its message), in a short list and in a
// long one whose matches come a page first.
func TestListFilterPutsTheCursorOnTheFirstMatchUnlessItsMessageMatches(t *testing.T) {
	for _, tc := range []struct {
		name        string
		sums        []mailstore.Summary
		down        int
		filter      string
		command     bool // :filter, set at once, not typed
		want, where string
	}{
		{"short, cursor's message does not match", fixture.Summaries(), 3, "from:alice", false, "a3", "the first match"},
		{"short, :filter hides the cursor's message", fixture.Summaries(), 1, "-from:bob", true, "a3", "the first match"},
		{"short, cursor's message matches", fixture.Summaries(), 2, "from:alice", false, "a1", "its message"},
		{"long, cursor's message does not match", fixture.Many(1000), 5, "메시지", false, "m0000000", "the first match"},
		{"long, cursor's message matches", fixture.Many(1000), 20, "메시지", false, "m0000020", "its message"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, _ := newListOf(t, 100, 10, tc.sums)
			for range tc.down {
				m, _ = press(t, m, "j")
			}
			if tc.command {
				cmd, _ := m.ApplyFilter(tc.filter)
				m, _ = settle(m, cmd)
			} else {
				m, _ = press(t, m, "/")
				m = typeText(t, m, tc.filter)
				m, _ = press(t, m, "enter")
			}
			if got := selectedKey(t, m); got != tc.want {
				t.Fatalf("cursor on %s after /%s, want %s (%s); rows %v", got, tc.filter, tc.want, tc.where, shownKeys(m)[:min(5, len(m.rows))])
			}
		})
	}
}

// In the thread view a filter shows the matches' threads whole, the
// others dimmed as context: the cursor goes to the first match, not to a
// context row above it.
func TestListFilterInThreadsPutsTheCursorOnAMatch(t *testing.T) {
	m := newList(t, 100, 20)
	m, _ = press(t, m, "T")
	m, _ = press(t, m, "/")
	m = typeText(t, m, "from:bob")
	m, _ = press(t, m, "enter")
	if got := selectedKey(t, m); got != "a2" {
		t.Fatalf("cursor on %s, want a2 (the match; rows %v)", got, shownKeys(m))
	}
}

// s and e with nothing marked say why nothing happens.
func TestListSaveAndExportWithNothingMarkedSaySo(t *testing.T) {
	m := newList(t, 100, 10)
	for _, k := range []string{"s", "e"} {
		var cmd tea.Cmd
		m, cmd = m.Update(fixture.Key(k))
		if m.Capturing() || cmd == nil {
			t.Fatalf("%s with nothing marked: prompt %v, cmd %v", k, m.Capturing(), cmd)
		}
		if n, ok := cmd().(common.NoticePostedMsg); !ok || !strings.Contains(n.Text, "no message is marked: space marks one") {
			t.Fatalf("%s with nothing marked: %#v", k, n)
		}
	}
}

// n and N with no search nor filter say so, as mutt's "No search
// pattern.", rather than nothing.
func TestListNextMatchWithoutASearchSaysSo(t *testing.T) {
	m := newList(t, 100, 10)
	for _, k := range []string{"n", "N"} {
		_, cmd := m.Update(fixture.Key(k))
		if cmd == nil {
			t.Fatalf("%s without a search: nothing said", k)
		}
		if n, ok := cmd().(common.NoticePostedMsg); !ok || !strings.HasPrefix(n.Text, "no search yet: S searches, / filters") {
			t.Fatalf("%s without a search: %#v", k, n)
		}
	}
}

// A sender's Subject or name of megabytes is drawn from its head
// (common.Head): sanitized and measured whole at every frame, three of
// them held the list 180 ms a key, allocating megabytes a frame.
func TestHugeSubjectsAreDrawnFromTheirHead(t *testing.T) {
	sums := fixture.Summaries()
	for i := range 3 {
		sums[i].Subject = strings.Repeat("S", 1<<20)
		sums[i].From.Name = strings.Repeat("界", 100000)
	}
	m, _ := newListOf(t, 80, 22, sums)
	var v string
	if n := allocated(func() { v = m.View() }); n > 512<<10 {
		t.Errorf("a frame allocates %d KB", n>>10)
	}
	checkWidths(t, v, 80, 22)
	if !strings.Contains(v, strings.Repeat("S", 30)+"…") || !strings.Contains(v, strings.Repeat("界", 7)+"…") {
		t.Errorf("the long subjects and names are not shown cut:\n%s", v)
	}
}

// allocated is how many bytes fn allocates.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// The filter and search prompts recall what was entered in them before
// with Up/Down, as the viewer's and the `:` line do; a recalled filter
// shows its rows at once, as a typed one does.
func TestListPromptsRecallEarlierEntries(t *testing.T) {
	m := newList(t, 100, 12)
	m, _ = press(t, m, "/")
	m = typeText(t, m, "회의")
	m, _ = press(t, m, "enter", "esc", "/")
	m = typeText(t, m, "from:alice")
	m, _ = press(t, m, "enter", "esc", "/", "up")
	if v := m.input.Value(); v != "from:alice" {
		t.Fatalf("up recalls %q", v)
	}
	m, _ = press(t, m, "up")
	if got := shownKeys(m); m.input.Value() != "회의" || !reflect.DeepEqual(got, []string{"k1"}) {
		t.Fatalf("up again: %q showing %v", m.input.Value(), got)
	}
	m, _ = press(t, m, "down", "down")
	if got := len(shownKeys(m)); m.input.Value() != "" || got != 10 {
		t.Fatalf("below the newest: %q showing %d", m.input.Value(), got)
	}
	m, _ = press(t, m, "esc", "S", "up")
	if v := m.input.Value(); v != "" {
		t.Fatalf("the search prompt recalls the filter's %q", v)
	}
}

// TestListShowsZWJSequencesAsTheCLITableDoes: a family emoji (man, ZWJ,
// woman, ZWJ, girl) in a sender or a subject showed as its first emoji
// only in the list (the terminal's width pass keeps a cluster's first
// character when terminals and layout disagree on it), while `sesbox ls`
// showed all three (sanitize.Cell drops the joiners); the list makes its
// cells with sanitize.Cell too, and every line still takes the width a
// terminal drawing rune by rune gives it.
func TestListShowsZWJSequencesAsTheCLITableDoes(t *testing.T) {
	family := "\U0001F468\u200d\U0001F469\u200d\U0001F467"
	sums := fixture.Summaries()
	sums[0].From.Name = "The " + family + " Family"
	sums[0].Subject = "photos " + family + " from the trip"
	for _, w := range []int{80, 120} {
		m, _ := newListOf(t, w, 14, sums)
		v := m.View()
		checkWidths(t, v, w, 14)
		lines := strings.Split(v, "\n")
		for i, l := range lines {
			lines[i] = common.Terminal(l) // as the root draws each line
		}
		drawn := strings.Join(lines, "\n")
		for _, want := range []string{sanitize.Cell(sums[0].From.Name), sanitize.Cell(sums[0].Subject)} {
			if !strings.Contains(drawn, want) {
				t.Errorf("%d columns: %q is not on the screen:\n%s", w, want, drawn)
			}
		}
		for i, l := range lines {
			if got := common.DrawnWidth(l); got != w {
				t.Errorf("%d columns: line %d is drawn %d cells wide: %q", w, i, got, l)
			}
		}
	}
}

// TestSearchPromptStartsEmpty: S opened its prompt holding the last
// search, so typing a new one after it searched for both run together
// ("Parcelwise" then S zzzz: "Parcelwisezzzz", no match, tried in tmux);
// it starts empty as the viewer's / does (and mutt's, aerc's, less's
// search), the last one a ↑ away.
func TestSearchPromptStartsEmpty(t *testing.T) {
	m := newList(t, 100, 10)
	m, _ = press(t, m, "S")
	m = typeText(t, m, "Quarterly")
	m, _ = press(t, m, "enter", "S")
	if v := m.input.Value(); v != "" {
		t.Fatalf("S after a search opened with %q", v)
	}
	m, _ = press(t, m, "up")
	if v := m.input.Value(); v != "Quarterly" {
		t.Fatalf("↑ in the search prompt recalled %q", v)
	}
}

// TestFoldSaysWhyItDidNothing: z folded nothing, unsaid, outside threads
// (T) and on a message alone in its thread (tried in tmux on the demo);
// as mutt's "Threading is not enabled." it says why.
func TestFoldSaysWhyItDidNothing(t *testing.T) {
	said := func(m Model) tea.Msg {
		t.Helper()
		_, cmd := m.Update(fixture.Key("z"))
		if cmd == nil {
			return nil
		}
		return cmd()
	}
	m := newList(t, 100, 10)
	if got := said(m); got != (common.NoticePostedMsg{Text: "not in threads: T shows them, z folds one"}) {
		t.Errorf("z outside threads: %#v", got)
	}
	m, _ = press(t, m, "T", "G")
	if got := said(m); got != (common.NoticePostedMsg{Text: "nothing to fold: this message is alone in its thread"}) {
		t.Errorf("z on a message alone: %#v", got)
	}
}

// TestListShowsTheAddressOfANamePosingAsOne: a sender named
// "security@bank.example" (or "PayPal.com") writing from evil.example was
// listed by that name alone, so evil.example passed for bank.example; the
// list shows its address then, as `sesbox ls` does (sanitize.Sender), and
// a confusable domain in its ASCII form.
func TestListShowsTheAddressOfANamePosingAsOne(t *testing.T) {
	sums := fixture.Summaries()
	sums[0].From = mailstore.Address{Name: "security＠bank.example", Address: "evil@evil.example"}
	sums[1].From = mailstore.Address{Name: "Bank.example", Address: "support@bаnk.example"} // a Cyrillic а
	for _, w := range []int{80, 120} {
		m, _ := newListOf(t, w, 14, sums)
		v := m.View()
		for _, want := range []string{"evil@evil.example", "-bnk-6cd.example"} {
			if !strings.Contains(v, want) {
				t.Errorf("%d columns: %q is not on the screen:\n%s", w, want, v)
			}
		}
		for _, not := range []string{"bank.example", "Bank.example", "bаnk"} {
			if strings.Contains(v, not) {
				t.Errorf("%d columns: %q is on the screen:\n%s", w, not, v)
			}
		}
	}
}
