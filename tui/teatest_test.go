package tui

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/sesbox/sesbox/mailstore/mailbox"
	"github.com/sesbox/sesbox/tui/common"
	"github.com/sesbox/sesbox/tui/internal/fixture"
)

// demoCommon is the Common of the demo tests: Ascii, UTC, the clock a few
// days after the newest demo message.
func demoCommon(w, h int, saveDir string) common.Common {
	c := fixture.Common(w, h)
	c.Now = func() time.Time { return fixture.DemoNow }
	c.SaveDir = saveDir
	return c
}

// demoModel is the root over the real mailbox (real index, real refresh)
// of the demo messages.
func demoModel(t *testing.T, c common.Common) Model {
	t.Helper()
	mb, closeIdx, err := fixture.DemoMailbox(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); closeIdx() })
	return New(ctx, c, []Box{{Name: "demo", Mailbox: mb}}, true, 0, nil)
}

func start(t *testing.T, m tea.Model, w, h int) *teatest.TestModel {
	t.Helper()
	return teatest.NewTestModel(t, m, teatest.WithInitialTermSize(w, h))
}

func waitFor(t *testing.T, tm *teatest.TestModel, texts ...string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		for _, s := range texts {
			if !bytes.Contains(b, []byte(s)) {
				return false
			}
		}
		return true
	}, teatest.WithDuration(25*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
}

func send(tm *teatest.TestModel, keys ...string) {
	for _, k := range keys {
		tm.Send(fixture.Key(k))
	}
}

// finish quits and returns the final root model.
func finish(t *testing.T, tm *teatest.TestModel) Model {
	t.Helper()
	tm.Send(fixture.Key("ctrl+c"))
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(15*time.Second))
	m, ok := fm.(Model)
	if !ok {
		t.Fatalf("final model is %T", fm)
	}
	m.quitting = false // the screen as it was when ctrl+c was typed
	return m
}

// golden compares the final screen with testdata/<test>.golden and checks
// its layout.
func golden(t *testing.T, m Model) {
	t.Helper()
	v := m.View()
	checkScreen(t, v, m.c.Width, m.c.Height)
	teatest.RequireEqualOutput(t, []byte(v))
}

// indexed waits for the demo refresh to finish: the list holds every demo
// message and the switcher no longer shows "…".
func indexed(t *testing.T, tm *teatest.TestModel) {
	t.Helper()
	// One wait: each WaitFor sees only output that came after the last.
	// The switcher shows "…" after the count until the refresh is done.
	waitFor(t, tm, "Updated payroll schedule", "demo 54 (54 new)  ")
}

func TestGoldenDemoList(t *testing.T) {
	tm := start(t, demoModel(t, demoCommon(120, 36, "")), 120, 36)
	// indexed, and the rows of the screen drawn: under load one row was
	// still being read ("…") when the model quit. One wait, as indexed's.
	waitFor(t, tm, "Updated payroll schedule", "demo 54 (54 new)  ", "Northeast Widget Expo", "佐藤 健")
	send(tm, "j", "j")
	golden(t, finish(t, tm))
}

func TestGoldenDemoSearch(t *testing.T) {
	tm := start(t, demoModel(t, demoCommon(100, 30, "")), 100, 30)
	indexed(t, tm)
	send(tm, "/")
	for _, k := range fixture.Keys("order -is:read") {
		tm.Send(k)
	}
	waitFor(t, tm, "/order -is:read", "5/54") // the matches are read from the index
	golden(t, finish(t, tm))
}

func TestGoldenDemoKoreanSearchAndViewer(t *testing.T) {
	tm := start(t, demoModel(t, demoCommon(100, 30, "")), 100, 30)
	indexed(t, tm)
	send(tm, "/")
	for _, k := range fixture.Keys("배송") {
		tm.Send(k)
	}
	send(tm, "enter")
	waitFor(t, tm, "filter: 배송")
	send(tm, "enter")
	// Opening marks the message read: the count changes when that write
	// has answered, after the viewer first drew.
	waitFor(t, tm, "한빛무역", "(53 new)")
	golden(t, finish(t, tm))
}

func TestGoldenDemoThreads(t *testing.T) {
	for _, tc := range []struct {
		name string
		keys []string
	}{
		{"open", []string{"g"}},
		{"folded", []string{"g", "z"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tm := start(t, demoModel(t, demoCommon(100, 30, "")), 100, 30)
			indexed(t, tm)
			send(tm, "T", "/")
			for _, k := range fixture.Keys("charged") {
				tm.Send(k)
			}
			send(tm, "enter")
			waitFor(t, tm, "filter: charged", "5/54") // the matches are read from the index
			send(tm, tc.keys...)
			golden(t, finish(t, tm))
		})
	}
}

func TestGoldenDemoHelp(t *testing.T) {
	tm := start(t, demoModel(t, demoCommon(100, 30, "")), 100, 30)
	indexed(t, tm)
	send(tm, "?")
	waitFor(t, tm, "Keys: message list")
	golden(t, finish(t, tm))
}

// TestGoldenWideRows proves the alignment of Korean, Japanese and emoji
// rows at 80 and 120 columns (checkScreen also measures every line).
func TestGoldenWideRows(t *testing.T) {
	for _, w := range []int{80, 120} {
		t.Run(fmt.Sprintf("w%d", w), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			m := New(ctx, fixture.Common(w, 24), []Box{{Name: "inbox", Mailbox: fixture.NewFake("a")}}, false, 0, nil)
			tm := start(t, m, w, 24)
			waitFor(t, tm, "請求書")
			send(tm, "j", "j", "j")
			golden(t, finish(t, tm))
		})
	}
}

// TestGoldenProgress shows the list filling in while the index refresh
// runs: half the messages there, the bar, count and rate.
func TestGoldenProgress(t *testing.T) {
	fake := fixture.NewFake("a")
	all := fake.Sums
	fake.Sums = nil
	release := make(chan struct{})
	fake.RefreshFn = func(ctx context.Context, progress func(mailbox.Progress)) error {
		started := fixture.Now.Add(-20 * time.Second)
		fake.Put(all[:6]...) // written to the index, then reported
		progress(mailbox.Progress{Listed: 10_000, ToFetch: 8_000, Fetched: 3_000, Started: started, New: all[:6]})
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	defer close(release)
	m := New(ctx, fixture.Common(100, 24), []Box{{Name: "inbox", Mailbox: fake}}, true, 0, nil)
	tm := start(t, m, 100, 24)
	waitFor(t, tm, "3,000/8,000 150/s", "6/6")
	golden(t, finish(t, tm))
}

// TestFlowDemo is a user's session: open the demo mailbox, search, open a
// message, save its attachments, go back, quit.
func TestFlowDemo(t *testing.T) {
	saveDir := t.TempDir()
	tm := start(t, demoModel(t, demoCommon(120, 36, saveDir)), 120, 36)
	indexed(t, tm)

	send(tm, "/")
	for _, k := range fixture.Keys("has:attachment payroll") {
		tm.Send(k)
	}
	send(tm, "enter")
	waitFor(t, tm, "filter: has:attachment payroll", "1/54")

	send(tm, "enter")
	waitFor(t, tm, "Attached:", "statement_gpj.exe")

	send(tm, "s")
	waitFor(t, tm, "save 3 attachments to:")
	send(tm, "enter")
	waitFor(t, tm, "saved 3 files")

	send(tm, "q")
	waitFor(t, tm, "enter open")
	send(tm, "q")
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(15*time.Second)).(Model)

	if fm.top() != "" || len(fm.errs) != 0 {
		t.Fatalf("ended on screen %q with errors %v", fm.top(), fm.errs)
	}
	got, err := os.ReadDir(saveDir)
	if err != nil || len(got) != 3 {
		t.Fatalf("saved %v, %v", got, err)
	}
	for _, e := range got {
		if strings.HasPrefix(e.Name(), ".") || strings.ContainsAny(e.Name(), "/\\") {
			t.Errorf("unsafe name %q", e.Name())
		}
		if _, err := os.Stat(filepath.Join(saveDir, e.Name())); err != nil {
			t.Error(err)
		}
	}
	if s, ok := fm.cur().List().Summary(fm.viewer.Viewer().Key()); !ok || !s.Read {
		t.Error("the opened message is not marked read")
	}
}
