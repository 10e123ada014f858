package tui

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/mailbox"
	"github.com/sesbox/sesbox/tui/internal/fixture"
	"github.com/sesbox/sesbox/tui/viewer"
)

// coldMailbox is a fake mailbox with an empty index whose first refresh
// indexes its messages only once gate is closed, reported in two batches
// as a refresh reports them (two, then the rest).
func coldMailbox(gate <-chan struct{}) *fixture.FakeMailbox {
	fake := fixture.NewFake("a")
	all := fake.Sums
	fake.Sums = nil
	fake.RefreshFn = func(ctx context.Context, progress func(mailbox.Progress)) error {
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
		for _, batch := range [][]mailstore.Summary{all[:3], all[3:]} {
			fake.Put(batch...)
			progress(mailbox.Progress{Listed: len(all), ToFetch: len(all), New: batch})
		}
		return nil
	}
	return fake
}

// TestKeysTypedBeforeTheFirstRowsAreHeld: a mailbox's first open (no
// index yet) showed an empty list until its refresh's first batch came,
// and j j Enter typed meanwhile moved over nothing and opened nothing.
// They are held and act, in order, on the first rows that come, as if
// typed once they were shown: the third message (by date) opens.
func TestKeysTypedBeforeTheFirstRowsAreHeld(t *testing.T) {
	gate := make(chan struct{})
	fake := coldMailbox(gate)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tm := start(t, New(ctx, fixture.Common(80, 24), []Box{{Name: "inbox", Mailbox: fake}}, true, 0, nil), 80, 24)
	waitFor(t, tm, "indexing")
	send(tm, "j", "j", "enter")
	close(gate)
	waitFor(t, tm, "viewing inbox/a1")
	fm := finish(t, tm)
	if fm.top() != viewer.Kind || fm.viewer.Viewer().Key() != "inbox/a1" {
		t.Fatalf("j j Enter typed before the first rows: screen %q shows %q, want the viewer on inbox/a1", fm.top(), fm.viewer.Viewer().Key())
	}
}

// TestQuitHelpAndCommandActAtOnceBeforeTheFirstRows: while the first
// rows are awaited, ? opens the help, : the command line and q quits at
// once (nothing waits for a bucket that may take minutes to list).
func TestQuitHelpAndCommandActAtOnceBeforeTheFirstRows(t *testing.T) {
	for _, tc := range []struct {
		keys []string
		want string
	}{
		{[]string{"?"}, "Keys: message list"},
		{[]string{":", "q", "u"}, ":qu"},
	} {
		t.Run(tc.keys[0], func(t *testing.T) {
			gate := make(chan struct{})
			defer close(gate)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			tm := start(t, New(ctx, fixture.Common(80, 24), []Box{{Name: "inbox", Mailbox: coldMailbox(gate)}}, true, 0, nil), 80, 24)
			waitFor(t, tm, "indexing")
			send(tm, tc.keys...)
			waitFor(t, tm, tc.want)
			finish(t, tm)
		})
	}
	t.Run("q", func(t *testing.T) {
		gate := make(chan struct{})
		defer close(gate)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		tm := start(t, New(ctx, fixture.Common(80, 24), []Box{{Name: "inbox", Mailbox: coldMailbox(gate)}}, true, 0, nil), 80, 24)
		waitFor(t, tm, "indexing")
		send(tm, "q")
		tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
	})
}

// TestHeldKeysWaitOnlyForTheFirstRows: an empty mailbox whose refresh
// finds nothing lets the held keys go when it ends (nothing waits
// forever), and a mailbox with rows holds nothing during a refresh.
func TestHeldKeysWaitOnlyForTheFirstRows(t *testing.T) {
	fake := fixture.NewFake("a")
	fake.Sums = nil
	h := newHarness(t, 80, 24, true, Box{Name: "inbox", Mailbox: fake})
	if h.m.cur().Filling() {
		t.Fatal("an empty mailbox whose refresh ended still waits for its first rows")
	}
	h.press("/")
	if !h.m.capturing() || len(h.m.held) != 0 {
		t.Fatalf("/ on an empty, indexed mailbox: prompt %v, %d keys held", h.m.capturing(), len(h.m.held))
	}
	if !strings.Contains(h.view(), "no messages under") {
		t.Fatalf("the empty mailbox is not said:\n%s", h.view())
	}
}

// TestFirstOpenIsNotSaidEmpty: while a mailbox's first refresh builds its
// index, the empty list said "no messages under s3://..." (the index was
// read, and empty) until the first batch came; it says it is reading.
func TestFirstOpenIsNotSaidEmpty(t *testing.T) {
	gate := make(chan struct{})
	defer close(gate)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tm := start(t, New(ctx, fixture.Common(80, 24), []Box{{Name: "inbox", Mailbox: coldMailbox(gate)}}, true, 0, nil), 80, 24)
	waitFor(t, tm, "indexing")
	fm := finish(t, tm)
	if v := fm.View(); strings.Contains(v, "no messages") || !strings.Contains(v, "reading s3://mail-a/inbox/") {
		t.Fatalf("the list of a mailbox whose first refresh runs:\n%s", v)
	}
}

// TestKeysTypedBeforeTheFirstSizeAreHeld: bubbletea sends the terminal's
// size after the program starts, and the model is 0x0 until then: keys
// read before it (a burst as sesbox starts) were dropped as typed into a
// terminal too small. They wait for the size and act in order; ctrl+c
// quits at once.
func TestKeysTypedBeforeTheFirstSizeAreHeld(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h := &harness{t: t, m: New(ctx, fixture.Common(0, 0), []Box{{Name: "inbox", Mailbox: fixture.NewFake("a")}}, false, 0, nil)}
	h.settle(h.m.Init())
	h.burst(fixture.Key("j"), fixture.Key("j"), fixture.Key("enter"))
	if h.m.top() != "" {
		t.Fatalf("keys acted before the size: screen %q", h.m.top())
	}
	h.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	if got := h.openedKey(t); got != "inbox/a1" {
		t.Fatalf("j j Enter typed before the size opened %s, want inbox/a1", got)
	}

	h = &harness{t: t, m: New(ctx, fixture.Common(0, 0), []Box{{Name: "inbox", Mailbox: fixture.NewFake("a")}}, false, 0, nil)}
	h.settle(h.m.Init())
	h.burst(fixture.Key("j"), fixture.Key("ctrl+c"))
	if !h.quit {
		t.Fatal("ctrl+c before the size did not quit")
	}
}

// TestTabLeavesAMailboxWaitingForItsFirstRows: Tab, typed while the
// mailbox shown waits for its first rows, was held with the list's keys
// until they came (a large bucket's first refresh: minutes); it switches
// to the next mailbox at once, and keys typed there act there.
func TestTabLeavesAMailboxWaitingForItsFirstRows(t *testing.T) {
	gate := make(chan struct{})
	defer close(gate)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	boxes := []Box{{Name: "cold", Mailbox: coldMailbox(gate)}, {Name: "warm", Mailbox: fixture.NewFake("b")}}
	tm := start(t, New(ctx, fixture.Common(80, 24), boxes, true, 0, nil), 80, 24)
	waitFor(t, tm, "indexing")
	send(tm, "tab", "j", "j", "enter")
	waitFor(t, tm, "viewing inbox/a1")
	fm := finish(t, tm)
	if fm.active != 1 || fm.top() != viewer.Kind {
		t.Fatalf("tab j j Enter over a mailbox waiting for its rows: mailbox %d, screen %q", fm.active, fm.top())
	}
}

// TestFilterTypedBeforeTheFirstRowsWaitsForAMatch: a filter typed before
// a mailbox's first rows matched none of the first batch, and the Enter
// typed after it (as one burst) acted on the empty result and opened
// nothing; the filter follows the index as batches come, and the Enter
// waits for its first match: the invoice of the second batch opens.
func TestFilterTypedBeforeTheFirstRowsWaitsForAMatch(t *testing.T) {
	gate1, gate2 := make(chan struct{}), make(chan struct{})
	fake := fixture.NewFake("a")
	all := fake.Sums
	fake.Sums = nil
	fake.RefreshFn = func(ctx context.Context, progress func(mailbox.Progress)) error {
		for i, gate := range []chan struct{}{gate1, gate2} {
			select {
			case <-gate:
			case <-ctx.Done():
				return ctx.Err()
			}
			batch := [][]mailstore.Summary{all[:3], all[3:]}[i]
			fake.Put(batch...)
			progress(mailbox.Progress{Listed: len(all), ToFetch: len(all), New: batch})
		}
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tm := start(t, New(ctx, fixture.Common(80, 24), []Box{{Name: "inbox", Mailbox: fake}}, true, 0, nil), 80, 24)
	waitFor(t, tm, "indexing")
	send(tm, append(append([]string{"/"}, strings.Split("invoice", "")...), "enter", "enter")...)
	close(gate1)
	waitFor(t, tm, "0/3")
	close(gate2)
	waitFor(t, tm, "viewing inbox/v1")
	fm := finish(t, tm)
	if fm.top() != viewer.Kind || fm.viewer.Viewer().Key() != "inbox/v1" {
		t.Fatalf("/invoice Enter Enter typed before the first rows: screen %q shows %q, want the viewer on inbox/v1", fm.top(), fm.viewer.Viewer().Key())
	}
}

// TestEscAndFilterActAtOnceOverKeysHeldForAFilter: during a mailbox's
// first open, the keys typed after a filter wait for its first match
// (/zzzz Enter j), and an Esc or a / typed after them waited behind them
// (held keys keep their order) until the index was built: the filter
// could be neither cleared nor changed. Both act at once and drop the
// keys held before them, which waited for the filter they clear or
// replace.
func TestEscAndFilterActAtOnceOverKeysHeldForAFilter(t *testing.T) {
	for _, tc := range []struct {
		key, filter string
		prompt      bool
	}{{"esc", "", false}, {"/", "zzzz", true}} {
		t.Run(tc.key, func(t *testing.T) {
			gate := make(chan struct{})
			defer close(gate)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			tm := start(t, New(ctx, fixture.Common(80, 24), []Box{{Name: "inbox", Mailbox: coldMailbox(gate)}}, true, 0, nil), 80, 24)
			waitFor(t, tm, "indexing")
			send(tm, "/", "z", "z", "z", "z", "enter", "j", tc.key)
			fm := finish(t, tm)
			l := fm.cur().List()
			if f, _ := l.Filter(); f != tc.filter || l.Capturing() != tc.prompt || len(fm.held) != 0 || !fm.cur().Filling() {
				t.Fatalf("/zzzz Enter j %s while the index is built: filter %q (want %q), prompt %v, %d keys held, still filling %v",
					tc.key, f, tc.filter, l.Capturing(), len(fm.held), fm.cur().Filling())
			}
		})
	}
	// With no filter set the held keys wait for the first rows, and an
	// Esc after them keeps its place: j Enter Esc opens and leaves the
	// message (at once it would quit).
	gate := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tm := start(t, New(ctx, fixture.Common(80, 24), []Box{{Name: "inbox", Mailbox: coldMailbox(gate)}}, true, 0, nil), 80, 24)
	waitFor(t, tm, "indexing")
	send(tm, "j", "enter", "esc")
	close(gate)
	waitFor(t, tm, "10/10") // quit at once, sesbox would not show the rows
	fm := finish(t, tm)
	if s, _ := fm.cur().List().Selected(); fm.top() != "" || len(fm.held) != 0 || s.Key != "inbox/a2" {
		t.Fatalf("j Enter Esc before the first rows: screen %q on %s, %d keys held", fm.top(), s.Key, len(fm.held))
	}
}
