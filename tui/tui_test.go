package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/mailbox"
	"github.com/sesbox/sesbox/mailstore/mime"
	"github.com/sesbox/sesbox/tui/common"
	"github.com/sesbox/sesbox/tui/forward"
	"github.com/sesbox/sesbox/tui/internal/fixture"
	"github.com/sesbox/sesbox/tui/list"
	"github.com/sesbox/sesbox/tui/tab"
	"github.com/sesbox/sesbox/tui/viewer"
)

// harness drives the root model synchronously: every Cmd is run and its
// message fed back until nothing is left, so a test sees the state after a
// key press and all the I/O it caused.
type harness struct {
	t    *testing.T
	m    Model
	msgs []tea.Msg
	quit bool
}

func newHarness(t *testing.T, w, h int, refresh bool, boxes ...Box) *harness {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	hs := &harness{t: t, m: New(ctx, fixture.Common(w, h), boxes, refresh, 0, nil)}
	hs.send(tea.WindowSizeMsg{Width: w, Height: h})
	hs.settle(hs.m.Init())
	return hs
}

func (h *harness) send(msg tea.Msg) {
	h.t.Helper()
	nm, cmd := h.m.Update(msg)
	h.m = nm.(Model)
	h.settle(cmd)
}

func (h *harness) press(keys ...string) {
	h.t.Helper()
	for _, k := range keys {
		h.send(fixture.Key(k))
	}
}

func (h *harness) typeText(s string) {
	h.t.Helper()
	for _, k := range fixture.Keys(s) {
		h.send(k)
	}
}

func (h *harness) settle(cmd tea.Cmd) {
	h.t.Helper()
	queue := []tea.Cmd{cmd}
	for steps := 0; len(queue) > 0; steps++ {
		if steps > 10_000 {
			h.t.Fatal("commands never settle")
		}
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		switch msg := c().(type) {
		case nil:
		case tea.BatchMsg:
			queue = append(queue, msg...)
		case tea.QuitMsg:
			h.quit = true
		default:
			h.msgs = append(h.msgs, msg)
			nm, next := h.m.Update(msg)
			h.m = nm.(Model)
			queue = append(queue, next)
		}
	}
}

func (h *harness) view() string {
	h.t.Helper()
	v := h.m.View()
	checkScreen(h.t, v, h.m.c.Width, h.m.c.Height)
	return v
}

// checkScreen asserts the layout promise: exactly the terminal's height,
// no line wider than the terminal, no control characters but our own.
func checkScreen(t testing.TB, v string, w, h int) {
	t.Helper()
	lines := strings.Split(v, "\n")
	if len(lines) != h {
		t.Errorf("screen has %d lines, want %d:\n%s", len(lines), h, v)
	}
	for i, l := range lines {
		if got := ansi.StringWidth(l); got > w {
			t.Errorf("line %d is %d cells, terminal is %d: %q", i, got, w, l)
		}
		// As a terminal that draws rune by rune (tmux) measures it.
		if got := common.DrawnWidth(l); got > w {
			t.Errorf("line %d is drawn in %d cells, terminal is %d: %q", i, got, w, l)
		}
	}
	if strings.ContainsRune(ansi.Strip(v), '\x1b') || strings.ContainsRune(v, '\x07') {
		t.Errorf("control characters on screen: %q", v)
	}
}

func box(name string, mb Mailbox) Box { return Box{Name: name, Mailbox: mb} }

func TestRootLoadsAndShowsTheList(t *testing.T) {
	h := newHarness(t, 100, 30, false, box("inbox", fixture.NewFake("a")))
	v := h.view()
	for _, want := range []string{"inbox 10 (2 new)", "Quarterly report", "s3://mail-a/inbox/", "10/10", "sort: date (newest first)", "? help"} {
		if !strings.Contains(v, want) {
			t.Errorf("screen lacks %q:\n%s", want, v)
		}
	}
}

func TestRootRefreshFillsTheListAsProgressArrives(t *testing.T) {
	fake := fixture.NewFake("a")
	all := fake.Sums
	fake.Sums = nil
	step := make(chan int)
	fake.RefreshFn = func(ctx context.Context, progress func(mailbox.Progress)) error {
		started := fixture.Now.Add(-10 * time.Second)
		progress(mailbox.Progress{Listed: 10, ToFetch: 10, Started: started})
		<-step
		fake.Put(all[:4]...) // written to the index, then reported
		progress(mailbox.Progress{Listed: 10, ToFetch: 10, Fetched: 4, Started: started, New: all[:4]})
		<-step
		fake.Put(all[4:]...)
		progress(mailbox.Progress{Listed: 10, ToFetch: 10, Fetched: 10, Started: started, New: all[4:], Done: true})
		// What only a reread after the end shows: a message gone from
		// the bucket, marked so without a report.
		gone := all[0]
		gone.Missing = true
		fake.Put(gone)
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m := New(ctx, fixture.Common(100, 30), []Box{box("inbox", fake)}, true, 0, nil)
	m = update(t, m, tea.WindowSizeMsg{Width: 100, Height: 30})
	p := newPump(t)
	m = p.run(m, m.Init()) // the index (empty), then the refresh's first report
	if !strings.Contains(m.View(), "0/10") || !strings.Contains(m.View(), "indexing") {
		t.Fatalf("no progress shown:\n%s", m.View())
	}
	step <- 1
	m = p.run(m, nil)
	v := m.View()
	if !strings.Contains(v, "4/10") || !strings.Contains(v, "0.4/s") && !strings.Contains(v, "/s") {
		t.Fatalf("progress not updated:\n%s", v)
	}
	if got := m.cur().List().Counts().Total; got != 4 {
		t.Fatalf("list has %d rows while indexing, want 4", got)
	}
	step <- 2
	m = p.run(m, nil)
	if isRefreshing(m) {
		t.Fatal("the refresh did not end")
	}
	if got := m.cur().List().Counts().Total; got != 10 {
		t.Fatalf("list has %d rows after indexing", got)
	}
	if s, _ := m.cur().List().Summary(all[0].Key); !s.Missing {
		t.Fatal("the refresh did not end with a reread of the index")
	}
	checkScreen(t, m.View(), 100, 30)
}

// pump runs commands as the program does, each in a goroutine of its own,
// and gives every message to the model, until none is left but commands
// that wait for the test's next step (a refresh blocked on it): those go
// on running, and the next run takes their messages.
type pump struct {
	t       *testing.T
	ch      chan tea.Msg
	running int
}

func newPump(t *testing.T) *pump { return &pump{t: t, ch: make(chan tea.Msg)} }

func (p *pump) start(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	p.running++
	go func() { p.ch <- cmd() }()
}

// quiet is how long a command may take before it counts as waiting for
// the test: the fake mailbox answers in microseconds.
const quiet = 300 * time.Millisecond

func (p *pump) run(m Model, cmd tea.Cmd) Model {
	p.t.Helper()
	p.start(cmd)
	for p.running > 0 {
		select {
		case msg := <-p.ch:
			p.running--
			switch msg := msg.(type) {
			case nil:
			case tea.BatchMsg:
				for _, c := range msg {
					p.start(c)
				}
			default:
				nm, next := m.Update(msg)
				m = nm.(Model)
				p.start(next)
			}
		case <-time.After(quiet):
			return m
		}
	}
	return m
}

func update(t *testing.T, m Model, msg tea.Msg) Model {
	t.Helper()
	m, _ = updateCmd(t, m, msg)
	return m
}

func updateCmd(t *testing.T, m Model, msg tea.Msg) (Model, tea.Cmd) {
	t.Helper()
	nm, cmd := m.Update(msg)
	return nm.(Model), cmd
}

func TestRootOpenMarksReadAndGoesBack(t *testing.T) {
	fake := fixture.NewFake("a")
	h := newHarness(t, 100, 30, false, box("inbox", fake))
	h.press("j", "enter") // a2, unread
	if h.m.top() != viewer.Kind {
		t.Fatal("enter did not open the viewer")
	}
	v := h.view()
	if !strings.Contains(v, "Re: Quarterly report") || !strings.Contains(v, "배송") {
		t.Fatalf("viewer does not show the message:\n%s", v)
	}
	if !fake.IsRead("inbox/a2") {
		t.Fatal("SetRead was not called")
	}
	if s, _ := h.m.cur().List().Summary("inbox/a2"); !s.Read {
		t.Fatal("the list still shows the message unread")
	}
	h.press("J")
	if h.m.viewer.Viewer().Key() != "inbox/a1" {
		t.Fatalf("J opened %s", h.m.viewer.Viewer().Key())
	}
	h.press("K", "K")
	if h.m.viewer.Viewer().Key() != "inbox/a3" {
		t.Fatalf("K K opened %s", h.m.viewer.Viewer().Key())
	}
	h.press("K")
	if !strings.Contains(h.view(), "no more messages") {
		t.Fatal("K at the top did not say so")
	}
	h.press("h", "esc")
	if h.m.top() != viewer.Kind {
		t.Fatal("esc from full headers left the viewer")
	}
	h.press("q")
	if h.m.top() != "" || h.quit {
		t.Fatal("q did not go back to the list")
	}
	if s, _ := h.m.cur().List().Selected(); s.Key != "inbox/a3" {
		t.Fatalf("list cursor at %s, want the last message viewed", s.Key)
	}
	h.press("q")
	if !h.quit {
		t.Fatal("q on the list did not quit")
	}
}

func TestRootDropsStaleMessages(t *testing.T) {
	h := newHarness(t, 100, 30, false, box("inbox", fixture.NewFake("a")))
	h.press("enter")
	stale := fixture.DemoMessage("n3j33daps35in03q84ekkphp4a0lka9bc46b21bh")
	h.send(viewer.MessageLoadedMsg{Box: 0, Key: stale.Summary.Key, Message: stale})
	if strings.Contains(h.view(), "payroll") {
		t.Fatal("a stale answer replaced the message on screen")
	}
}

func TestRootErrorsGoToStatusAndHistory(t *testing.T) {
	fake := fixture.NewFake("a")
	fake.SumErr = fixture.ErrAccessDenied
	h := newHarness(t, 100, 30, false, box("inbox", fake))
	v := h.view()
	if !strings.Contains(v, "error: read index of s3://mail-a/inbox/: list s3://mail/inbox/: AccessDenied") {
		t.Fatalf("error not on the status line:\n%s", v)
	}
	h.press("j")
	if strings.Contains(h.view(), "error:") {
		t.Fatal("the error stayed on the status line after a key")
	}
	h.press("E")
	v = h.view()
	if h.m.top() != errorsKind || !strings.Contains(v, "AccessDenied") || !strings.Contains(v, "s3:ListBucket") {
		t.Fatalf("history does not show the error:\n%s", v)
	}
	h.press("esc")
	if h.m.top() != "" {
		t.Fatal("esc did not close the history")
	}
}

// A Cmd that fails must come back as a message carrying Err (not be
// swallowed): SetRead and Open failures reach the user.
func TestRootCommandFailuresAreReported(t *testing.T) {
	fake := fixture.NewFake("a")
	fake.ReadErr = errors.New("index is read-only")
	h := newHarness(t, 100, 30, false, box("inbox", fake))
	h.press("j", "enter")
	if !strings.Contains(h.view(), "error: mark inbox/a2 read: index is read-only") {
		t.Fatalf("SetRead failure not shown:\n%s", h.view())
	}
	fake.OpenErr = errors.New("NoSuchKey")
	h.press("J")
	v := h.view()
	if !strings.Contains(v, "could not read this message") || !strings.Contains(v, "NoSuchKey") {
		t.Fatalf("Open failure not shown:\n%s", v)
	}
	if len(h.m.errs) != 2 {
		t.Fatalf("history has %d errors, want 2", len(h.m.errs))
	}
}

func TestRootMailboxSwitcher(t *testing.T) {
	b := fixture.NewFake("b")
	b.Sums = b.Sums[:3]
	h := newHarness(t, 100, 30, false, box("inbox", fixture.NewFake("a")), box("support", b))
	if v := h.view(); !strings.Contains(v, "inbox 10 (2 new)") || !strings.Contains(v, "support 3 (1 new)") {
		t.Fatalf("switcher lacks counts:\n%s", v)
	}
	h.press("j", "tab")
	if h.m.active != 1 || !strings.Contains(h.view(), "s3://mail-b/inbox/") {
		t.Fatal("tab did not switch")
	}
	h.press("shift+tab")
	if h.m.active != 0 {
		t.Fatal("shift+tab did not switch back")
	}
	if s, _ := h.m.cur().List().Selected(); s.Key != "inbox/a2" {
		t.Fatal("switching lost the cursor")
	}
	h.press("shift+tab")
	if h.m.active != 1 {
		t.Fatal("shift+tab does not wrap")
	}
}

func TestRootFilterKeysDoNotLeak(t *testing.T) {
	h := newHarness(t, 100, 30, false, box("inbox", fixture.NewFake("a")))
	h.press("/")
	h.typeText("q?E")
	if h.quit || h.m.top() != "" {
		t.Fatal("typing in the filter triggered global keys")
	}
	h.press("enter")
	if !strings.Contains(h.view(), "filter: q?E") {
		t.Fatalf("filter not in the status line:\n%s", h.view())
	}
	h.press("esc")
	if h.quit || h.m.cur().List().HasFilter() {
		t.Fatal("esc with a filter should clear it, not quit")
	}
	h.press("esc")
	if h.quit {
		t.Fatal("esc without a filter quit sesbox: only q quits from the list")
	}
}

func TestRootHelpIsGeneratedFromKeys(t *testing.T) {
	c := fixture.Common(100, 30)
	if err := c.Keys.Apply(map[string][]string{"list.down": {"ctrl+n"}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h := &harness{t: t, m: New(ctx, c, []Box{box("inbox", fixture.NewFake("a"))}, false, 0, nil)}
	h.send(tea.WindowSizeMsg{Width: 100, Height: 30})
	h.settle(h.m.Init())
	h.press("?")
	v := h.view()
	// The help scrolls: the query syntax is below the first screen, the
	// commands in between.
	for range 200 {
		h.press("j")
		v += h.view()
	}
	for _, want := range []string{"Keys: message list", "ctrl+n", "mark all shown", "fold thread", "has:attachment", "error history", ":export [--mbox] [--maildir] [--parents] [--force] FILE|DIR"} {
		if !strings.Contains(v, want) {
			t.Errorf("help lacks %q:\n%s", want, v)
		}
	}
	// Nothing is cut: long lines wrap (the help scrolls).
	for _, l := range strings.Split(v, "\n") {
		if strings.Contains(l, "…") {
			t.Errorf("a help line is cut: %q", l)
		}
	}
	h.press("?")
	if h.m.top() != "" {
		t.Fatal("? did not close help")
	}
	h.press("ctrl+n")
	if s, _ := h.m.cur().List().Selected(); s.Key != "inbox/a2" {
		t.Fatal("rebound key does not move")
	}
	h.press("enter", "?")
	if v := h.view(); !strings.Contains(v, "Keys: message viewer") || !strings.Contains(v, "copy Message-ID") {
		t.Fatalf("viewer help wrong:\n%s", v)
	}
}

// TestTooSmallSaysItAll: a terminal too small for the list still shows
// the whole message, wrapped over the lines it has (at 20x5 it was cut
// to "too small: 20x5, ne…", hiding the size needed and how to quit),
// every line as wide as the terminal.
func TestTooSmallSaysItAll(t *testing.T) {
	for _, size := range [][2]int{{20, 5}, {12, 4}, {39, 1}} {
		w, ht := size[0], size[1]
		h := newHarness(t, w, ht, false, box("inbox", fixture.NewFake("a")))
		v := h.view()
		lines := strings.Split(v, "\n")
		if len(lines) != ht {
			t.Fatalf("%dx%d: %d lines:\n%s", w, ht, len(lines), v)
		}
		for _, l := range lines {
			if ansi.StringWidth(l) != w {
				t.Fatalf("%dx%d: a line %d wide:\n%s", w, ht, ansi.StringWidth(l), v)
			}
		}
		want := fmt.Sprintf("too small: %dx%d, needs 40x10 (q quits)", w, ht)
		if got := strings.Join(strings.Fields(v), " "); ht > 1 && got != want {
			t.Errorf("%dx%d: says %q, want %q", w, ht, got, want)
		}
	}
}

func TestRootTooSmallAndResize(t *testing.T) {
	h := newHarness(t, 39, 24, false, box("inbox", fixture.NewFake("a")))
	if v := h.view(); !strings.Contains(v, "too small: 39x24, needs 40x10") {
		t.Fatalf("no too-small message:\n%s", v)
	}
	h.press("j")
	h.send(tea.WindowSizeMsg{Width: 80, Height: 9})
	if v := h.view(); !strings.Contains(v, "too small: 80x9, needs 40x10") {
		t.Fatalf("no too-small message:\n%s", v)
	}
	h.send(tea.WindowSizeMsg{Width: 80, Height: 23})
	v := h.view()
	if !strings.Contains(v, "Quarterly report") {
		t.Fatalf("not usable at 80x23:\n%s", v)
	}
	for _, size := range [][2]int{{120, 36}, {80, 24}, {200, 60}, {81, 25}, {80, 23}, {60, 15}, {45, 12}, {40, 10}} {
		h.send(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		for _, k := range []string{"enter", "p", "q", "q", "T", "?", "?", "/"} {
			h.press(k)
			h.view()
		}
		h.press("esc")
	}
	h.send(tea.WindowSizeMsg{Width: 30, Height: 8})
	h.view()
	h.press("q")
	if !h.quit {
		t.Fatal("q does not quit from the too-small screen")
	}
}

func TestRootSaveMarked(t *testing.T) {
	dir := t.TempDir()
	fake := fixture.NewFake("a")
	photo := fixture.DemoMessage("fj01tteur6ih0omhtnnq3l49c328ov13esdvhqmk")
	fake.Messages = map[string]*mailbox.Message{"inbox/a3": photo}
	h := newHarness(t, 100, 30, false, box("inbox", fake))
	h.press(" ", " ", "s")
	for range 4 {
		h.press("backspace")
	}
	h.typeText(dir)
	h.press("enter")
	var saved tab.MarkedSavedMsg
	for _, m := range h.msgs {
		if s, ok := m.(tab.MarkedSavedMsg); ok {
			saved = s
		}
	}
	if saved.Err != nil || len(saved.Paths) != 1 || saved.Skipped != 1 || saved.Keys != 2 {
		t.Fatalf("got %+v", saved)
	}
	if !strings.Contains(h.view(), "saved 1 file from 1 of 2 messages") {
		t.Fatalf("no confirmation:\n%s", h.view())
	}
}

// Saving from messages without attachments said "saved 0 files from 0 of
// 1 message to DIR", as if something had gone to DIR.
func TestRootSaveWithoutAttachmentsSaysSo(t *testing.T) {
	h := newHarness(t, 100, 30, false, box("inbox", fixture.NewFake("a")))
	h.press(":")
	h.typeText("save " + t.TempDir())
	h.press("enter")
	if v := h.view(); !strings.Contains(v, "nothing saved: the message has no attachments") {
		t.Fatalf("one message:\n%s", v)
	}
	h.press(" ", " ", "s", "enter")
	if v := h.view(); !strings.Contains(v, "nothing saved: none of the 2 messages has attachments") {
		t.Fatalf("two messages:\n%s", v)
	}
}

func TestRootMouse(t *testing.T) {
	h := newHarness(t, 100, 30, false, box("inbox", fixture.NewFake("a")))
	h.send(tea.MouseMsg{X: 10, Y: 4, Action: tea.MouseActionPress, Button: tea.MouseButtonLeft})
	// Screen row 4 = switcher, column header, then the third message.
	if s, _ := h.m.cur().List().Selected(); s.Key != "inbox/a1" {
		t.Fatalf("click selected %s", s.Key)
	}
	h.send(tea.MouseMsg{Action: tea.MouseActionPress, Button: tea.MouseButtonWheelDown})
	if s, _ := h.m.cur().List().Selected(); s.Key != "inbox/e1" {
		t.Fatalf("wheel moved to %s", s.Key)
	}
}

func TestRootViewerNotices(t *testing.T) {
	h := newHarness(t, 100, 30, false, box("inbox", fixture.NewFake("a")))
	h.press("enter")
	h.send(viewer.ClipboardCopiedMsg{What: "S3 key"})
	if !strings.Contains(h.view(), "copied the S3 key") {
		t.Fatal("no copy notice")
	}
	h.send(viewer.AttachmentOpenedMsg{Key: "inbox/a3", Path: "/tmp/x/y.pdf", Dir: "/tmp/x"})
	if got := h.m.TempDirs(); len(got) != 1 || got[0] != "/tmp/x" {
		t.Fatalf("temp dirs %v", got)
	}
	h.send(list.MessageChosenMsg{Key: "inbox/nope"})
	h.view()
	_ = mailstore.Summary{}
}

func teaSize(w, h int) tea.WindowSizeMsg { return tea.WindowSizeMsg{Width: w, Height: h} }

func isRefreshing(m Model) bool {
	r, _ := m.cur().Refreshing()
	return r
}

func fwd(m Model) forward.Model { return m.st.Page(forward.Kind).(*forward.Page).Model() }

// TestRootShowsTheNewestPageFirst: the first screen comes from the newest
// page of the index (marked as still reading), the whole index after it.
func TestRootShowsTheNewestPageFirst(t *testing.T) {
	fake := fixture.NewFake("a")
	base := fake.Sums[0]
	fake.Sums = nil
	for i := range 1000 {
		s := base
		s.Key = fmt.Sprintf("inbox/%04d", i)
		s.Subject = fmt.Sprintf("message %04d", i)
		s.Date = fixture.Now.Add(-time.Duration(i) * time.Minute)
		fake.Sums = append(fake.Sums, s)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m := New(ctx, fixture.Common(100, 30), []Box{box("inbox", fake)}, false, 0, nil)
	m = update(t, m, tea.WindowSizeMsg{Width: 100, Height: 30})
	first, ok := m.Init()().(list.RowsListedMsg)
	if !ok || !first.Partial || len(first.All.IDs) >= 1000 || len(first.Rows) == 0 || first.Rows[0].Key != "inbox/0000" {
		t.Fatalf("first load: page=%v, %d ids", first.Partial, len(first.All.IDs))
	}
	m, cmd := updateCmd(t, m, first)
	if v := m.View(); !strings.Contains(v, "message 0000") || !strings.Contains(v, "…") {
		t.Fatalf("the newest page is not shown as still reading:\n%s", v)
	}
	m = newPump(t).run(m, cmd)
	if v := m.View(); !strings.Contains(v, "1,000") || strings.Contains(v, "…") {
		t.Fatalf("the whole index is not shown:\n%s", v)
	}
}

// Opening a message whose list row shows a lower bound ("@+") puts the
// exact count the full read found into the row.
func TestRootOpeningMakesAttachmentCountExact(t *testing.T) {
	fake := fixture.NewFake("a")
	opened := fixture.DemoMessage("nq3c59klugu1sbtuk6u4rvhn5oml53ueksrds9dq")
	for _, s := range fake.Sums {
		if s.Key == "inbox/j1" {
			opened.Summary = s
		}
	}
	opened.Summary.Attachments, opened.Summary.AttachmentsExact = 3, true
	opened.View.Summary = opened.Summary
	fake.Messages = map[string]*mailbox.Message{"inbox/j1": opened}
	h := newHarness(t, 120, 30, false, box("inbox", fake))
	if before, _ := h.m.cur().List().Summary("inbox/j1"); before.AttachmentsExact || !h.m.cur().List().Select("inbox/j1") {
		t.Fatalf("fixture: j1 %d exact=%v", before.Attachments, before.AttachmentsExact)
	}
	h.press("enter")
	if h.m.viewer.Viewer().Key() != "inbox/j1" {
		t.Fatalf("opened %s", h.m.viewer.Viewer().Key())
	}
	if after, _ := h.m.cur().List().Summary("inbox/j1"); after.Attachments != 3 || !after.AttachmentsExact {
		t.Errorf("list row after opening: %d exact=%v, want 3 exact", after.Attachments, after.AttachmentsExact)
	}
}

// Over a filter, Esc clears it and only q quits: the key hints say so
// rather than "q/esc quit"; without one too, esc quitting nothing.
func TestRootHintsSayEscClearsTheFilter(t *testing.T) {
	h := newHarness(t, 100, 30, false, box("inbox", fixture.NewFake("a")))
	if v := h.view(); !strings.Contains(v, "q quit") || strings.Contains(v, "esc quit") {
		t.Fatalf("no filter: hints should say q quit, and not esc:\n%s", v)
	}
	h.burst(append(fixture.Keys("/alice"), fixture.Key("enter"))...)
	v := h.view()
	if strings.Contains(v, "q/esc quit") || !strings.Contains(v, "esc clear filter") || !strings.Contains(v, "q quit") {
		t.Fatalf("over a filter the hints should say esc clear filter, q quit:\n%s", v)
	}
	h.press("esc")
	if h.m.cur().List().HasFilter() || h.quit {
		t.Fatalf("esc over a filter: filter %v, quit %v", h.m.cur().List().HasFilter(), h.quit)
	}
}

// A long error is cut on the status line, never the pointer to where it
// can be read whole.
func TestRootLongErrorKeepsThePointerToTheHistory(t *testing.T) {
	h := newHarness(t, 80, 24, false, box("inbox", fixture.NewFake("a")))
	h.send(common.ErrorPostedMsg{Err: errors.New("xdg-open is not installed: set $BROWSER or $OPENER to a program that opens files (exec: \"xdg-open\": executable file not found in $PATH)")})
	lines := strings.Split(h.view(), "\n")
	if status := lines[len(lines)-2]; !strings.Contains(status, "(E: history)") || !strings.Contains(status, "error: xdg-open is not installed") {
		t.Fatalf("status line %q", status)
	}
}

// The `:` line recalls the lines entered before with Up/Down (ctrl+p,
// ctrl+n), as neomutt's and vim's do; each `:` opened an empty line.
func TestCommandLineRecallsEarlierLines(t *testing.T) {
	h := newHarness(t, 100, 30, false, box("inbox", fixture.NewFake("a")))
	for _, line := range []string{"sort subject", "filter is:unread", "sort subject"} {
		h.press(":")
		h.typeText(line)
		h.press("enter")
	}
	h.press(":")
	h.typeText("ex")
	for _, step := range []struct{ key, want string }{
		{"up", ":sort subject"}, {"up", ":filter is:unread"}, {"ctrl+n", ":sort subject"}, {"down", ":ex"},
	} {
		h.press(step.key)
		lines := strings.Split(h.view(), "\n")
		if got := strings.TrimSpace(lines[len(lines)-2]); got != step.want {
			t.Fatalf("after %s the line is %q, want %q", step.key, got, step.want)
		}
	}
}

// Saving from a message whose parts could not be read (over 1000 parts:
// shown as its source) said "nothing saved: the message has no
// attachments"; it says why, and which key shows the source, alone and
// among others.
func TestRootSaveOfUnreadPartsSaysSo(t *testing.T) {
	var b strings.Builder
	b.WriteString("From: a@example.com\r\nSubject: many\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n")
	for i := range 1001 {
		fmt.Fprintf(&b, "--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=f%d.bin\r\n\r\nx\r\n", i)
	}
	b.WriteString("--b--\r\n")
	fake := fixture.NewFake("a")
	// Wide enough for the whole notice (a cut one ends in "… (:notices)").
	h := newHarness(t, 140, 30, false, box("inbox", fake))
	s, _ := h.m.cur().List().Selected()
	fake.Messages = map[string]*mailbox.Message{s.Key: {Summary: s, Raw: []byte(b.String()), View: mime.Parse([]byte(b.String()))}}
	h.press(":")
	h.typeText("save " + t.TempDir())
	h.press("enter")
	if v := h.view(); !strings.Contains(v, "nothing saved: the message's parts could not be read; H in the viewer shows its source") {
		t.Fatalf("one message:\n%s", v)
	}
	h.press(" ", " ", "s", "enter")
	if v := h.view(); !strings.Contains(v, "nothing saved: none of the 2 messages has attachments; the parts of 1 message could not be read") {
		t.Fatalf("two messages:\n%s", v)
	}
}

// TestRootEscClearsASearchBeforeQuitting: with a search set (S, n/N
// moving between its matches) esc quit sesbox, as if nothing were set,
// where it clears a filter; a mutt or aerc user pressing esc to drop the
// search lost the session. It clears the search first, and the key line
// says so; the next esc quits nothing either (TestRootEscNeverQuits).
func TestRootEscClearsASearchBeforeQuitting(t *testing.T) {
	h := newHarness(t, 100, 30, false, box("inbox", fixture.NewFake("a")))
	h.press("S")
	h.typeText("Quarterly")
	h.press("enter")
	if !strings.Contains(h.view(), "search: Quarterly") || !strings.Contains(h.view(), "esc clear search") {
		t.Fatalf("search not set, or the key line does not say what esc does:\n%s", h.view())
	}
	h.press("esc")
	if h.quit || strings.Contains(h.view(), "search: Quarterly") {
		t.Fatalf("esc with a search should clear it, not quit (quit %v):\n%s", h.quit, h.view())
	}
	h.press("esc")
	if h.quit {
		t.Fatal("esc without a search quit sesbox: only q quits from the list")
	}
}

// TestRootEscNeverQuits: esc at the top of the list, with nothing to
// clear, quit sesbox (the key line said "q/esc quit"); in aerc and
// neomutt esc there does nothing, and a user pressing it once too many
// to leave a filter, a message or a prompt lost the session. It says
// what it would clear and which key quits; the marks stay; q quits; with
// esc rebound as the only back key, Q is named.
func TestRootEscNeverQuits(t *testing.T) {
	h := newHarness(t, 100, 30, false, box("inbox", fixture.NewFake("a")))
	h.press(" ")
	h.press("j", "enter", "esc", "esc", "esc")
	if h.quit || h.m.top() != "" {
		t.Fatalf("esc esc esc from a message: quit %v, screen %q", h.quit, h.m.top())
	}
	v := h.view()
	if !strings.Contains(v, "no filter or search to clear (q quits)") {
		t.Fatalf("esc at the top should say what quits:\n%s", v)
	}
	if n := len(h.m.cur().List().Marked()); n != 1 {
		t.Errorf("esc at the top dropped the marks: %d marked, want 1", n)
	}
	h.press("?")
	if v := h.view(); !strings.Contains(v, "clear filter/search") {
		t.Errorf("the help does not say what esc is for:\n%s", v)
	}
	h.press("esc", "q")
	if !h.quit {
		t.Fatal("q at the top of the list should quit")
	}

	c := fixture.Common(100, 30)
	if err := c.Keys.Apply(map[string][]string{"global.back": {"esc"}}); err != nil {
		t.Fatal(err)
	}
	h2 := &harness{t: t, m: New(t.Context(), c, []Box{box("inbox", fixture.NewFake("a"))}, false, 0, nil)}
	h2.send(tea.WindowSizeMsg{Width: 100, Height: 30})
	h2.settle(h2.m.Init())
	h2.press("esc")
	if h2.quit || !strings.Contains(h2.view(), "no filter or search to clear (Q quits)") {
		t.Fatalf("back bound to esc alone: quit %v\n%s", h2.quit, h2.view())
	}
}

// TestViewerEscClearsASearchBeforeLeaving: in the viewer esc left the
// message with a search highlighted (/ WX-200 Enter), where the list's
// esc clears its search first. Esc now clears the highlight ('search
// cleared'), the key line saying 'esc clear search' while one is set; the
// next esc leaves the message.
func TestViewerEscClearsASearchBeforeLeaving(t *testing.T) {
	h := newHarness(t, 100, 30, false, box("inbox", fixture.NewFake("a")))
	h.press("j", "enter")
	h.press("/")
	h.typeText("WX-200")
	h.press("enter")
	if v := h.view(); !strings.Contains(v, "match 1/") || !strings.Contains(v, "esc clear search") {
		t.Fatalf("search not set, or the key line does not say what esc does:\n%s", v)
	}
	h.press("esc")
	if v := h.view(); h.m.top() != viewer.Kind || strings.Contains(v, "match") || strings.Contains(v, "esc clear search") {
		t.Fatalf("esc with a search should clear it and stay in the viewer (top %q):\n%s", h.m.top(), v)
	}
	h.press("esc")
	if h.m.top() != "" || h.quit {
		t.Fatalf("esc without a search should go back to the list (top %q, quit %v)", h.m.top(), h.quit)
	}
}

// TestTooSmallEscDoesNotQuit: below the smallest size, esc quit sesbox
// (the screen said "q quits") while the list above it no longer does
// (TestRootEscNeverQuits): an esc typed while resizing a pane ended the
// session. q still quits there.
func TestTooSmallEscDoesNotQuit(t *testing.T) {
	h := newHarness(t, 39, 9, false, box("inbox", fixture.NewFake("a")))
	h.press("esc", "esc")
	if h.quit {
		t.Fatal("esc on the too-small screen quit sesbox")
	}
	h.press("q")
	if !h.quit {
		t.Fatal("q on the too-small screen should quit")
	}
}
