package main

import (
	"context"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/actionlog"
	"github.com/sesbox/sesbox/mailstore/audit"
	"github.com/sesbox/sesbox/mailstore/demo"
	"github.com/sesbox/sesbox/mailstore/mailbox"
	"github.com/sesbox/sesbox/tui"
	"github.com/sesbox/sesbox/tui/common"
	"github.com/sesbox/sesbox/tui/keys"
	"github.com/sesbox/sesbox/tui/theme"
)

// The README's screenshots are 120x36 screens of `sesbox demo`.
const shotW, shotH = 120, 36

// TestScreenshots drives the TUI of `sesbox demo` — the mailboxes
// tuiBoxes opens for the demo flag, the root model the binary runs — with
// key presses through Update, and checks each state the README shows. With
// $SESBOX_SCREENSHOTS set it writes each screen in true colour to
// DIR/NAME.ansi, which `make screenshots` draws as PNGs (internal/tools/termpng).
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("SESBOX_SCREENSHOTS")
	shots := []struct {
		name string
		keys []string
		// pause holds the demo's first index refresh once it has read the
		// headers of this many messages, and stop ends the run on a screen
		// it passes through.
		pause int
		stop  func(screen string) bool
		// stableState puts the demo's state directory, which the screen
		// shows, at the same path on every run.
		stableState bool
		want        []string
	}{
		{name: "list", keys: []string{"g", "j", "j", " ", "j", " ", "j"},
			want: []string{"demo 54", "2 marked", "Елена Кузнецова", "山田 花子", "이서연"}},
		// The first index refresh, after 20 of its header reads.
		// The list shows them once it has read them from the index.
		{name: "progress", pause: 20, stop: regexp.MustCompile(`(?s)demo 20 .*indexing .* 20/\d+`).MatchString, keys: []string{"g"},
			want: []string{"indexing", "demo 20 (20 new)"}},
		{name: "viewer-korean", keys: []string{"/", "배송", "enter", "g", "enter"},
			want: []string{"배송 지연 문의"}},
		// The pager searching a reply that quotes two earlier messages.
		{name: "pager-search", keys: []string{"/", "Charged twice", "enter", "g", "enter", "/", "INV-2026-1042", "enter", "n"},
			want: []string{"INV-2026-1042", "match 2/4"}},
		{name: "search", keys: []string{"T", "/", "invoice -spf:fail"},
			want: []string{"invoice -spf:fail"}},
		// The : line, its verb and flag completed with Tab, on two marked
		// messages.
		{name: "command-line", keys: []string{"g", "j", " ", "j", "j", " ", ":", "e", "tab", "--mb", "tab", "invoices.mbox"},
			want: []string{":export --mbox invoices.mbox"}},
		{name: "help", keys: []string{"?"}, want: []string{"threads"}},
		// The review screen of a reply (built-in editor) to the Korean
		// quotation request: the demo keeps it as a draft.
		{name: "reply", keys: []string{"/", "견적 요청", "enter", "g", "enter", "r", "이서연 님, 견적서를 첨부해 드립니다. 납기는 12월 4일입니다.", "esc"},
			want: []string{"이서연"}},
		// The confirmation of a forward of two marked messages with the
		// demo's built-in config: a dry run, with the rewritten header.
		{name: "forward", keys: []string{"g", " ", " ", "f"}, stableState: true,
			want: []string{"desk@team.example", "/sesbox-demo/state/sesbox/demo-forward"}},
		// The audit view of the demo bucket, verifying it against the
		// manifest of an export of every message. The action log's
		// entry it shows is stamped with the driver's clock and operator
		// (before, the run's time and this machine's user@host: the PNG
		// changed on every run).
		{name: "audit", keys: []string{"V", ":", "export --mbox demo.mbox", "enter", "A", "v", "demo.mbox.manifest.jsonl", "enter"},
			want: []string{"sesbox-demo", "OK: nothing changed or deleted", "54 unchanged", "export by auditor@demo-host at 2026-11-23T12:00:00Z"}},
	}
	// The shots press g before they mark or open: after the first refresh
	// the cursor is on whichever message was first when the list was
	// drawn, which depends on the order the index filled in, and a filter
	// keeps the cursor's message when it matches.
	for _, s := range shots {
		t.Run(s.name, func(t *testing.T) {
			isolate(t)
			if s.stableState {
				t.Setenv("XDG_STATE_HOME", stableStateDir(t))
			}
			d := newDemoDriver(t, s.pause)
			d.stop = s.stop
			d.settle(d.m.Init())
			for _, k := range s.keys {
				d.press(k)
			}
			v := d.m.View()
			checkShot(t, v)
			plain := ansi.Strip(v)
			for _, w := range s.want {
				if !strings.Contains(plain, w) {
					t.Errorf("screen lacks %q:\n%s", w, plain)
				}
			}
			if dir == "" {
				return
			}
			if err := os.WriteFile(filepath.Join(dir, s.name+".ansi"), []byte(v+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// demoDriver runs the root model of `sesbox demo` synchronously: every Cmd
// is run and its message fed back until nothing is left (or stop says the
// screen is the one wanted), so the screen after a key press shows all
// the I/O the key caused.
type demoDriver struct {
	t    *testing.T
	m    tea.Model
	stop func(screen string) bool
}

// newDemoDriver opens the demo as `sesbox demo` does, in the XDG dirs the
// caller set (isolate), from a fresh temporary working directory.
func newDemoDriver(t *testing.T, pause int) *demoDriver {
	t.Helper()
	a, _ := tuiApp(t, globalFlags{demo: true})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	boxes, closeBoxes, err := a.tuiBoxes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeBoxes)
	if pause > 0 {
		m := boxes[0].Mailbox.(*mailbox.Mailbox)
		if len(a.indexes) != 1 {
			t.Fatalf("%d indexes open", len(a.indexes))
		}
		for _, idx := range a.indexes {
			boxes[0].Mailbox = mailbox.New(m.Name, newPausedStore(ctx, m.Store(), pause), idx)
		}
	}
	// A day after the newest demo message.
	now := func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) }
	// The audit view shows who exported, and when, from the action log:
	// the same on every run.
	for _, b := range boxes {
		if b.Audit != nil {
			b.Audit.Export.Now = now
			b.Audit.Export.Log = stampedLog{ActionLog: b.Audit.Export.Log, now: now, user: "auditor", host: "demo-host"}
		}
	}
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.TrueColor)
	r.SetHasDarkBackground(true)
	c := common.Common{
		Styles: theme.New(r),
		Keys:   keys.DefaultKeyMap(),
		Now:    now,
		Loc:    time.UTC,
		Opener: "true",
	}
	// As sesbox does: saves go to the directory it was started in.
	t.Chdir(t.TempDir())
	if c.SaveDir, err = os.Getwd(); err != nil {
		t.Fatal(err)
	}
	d := &demoDriver{t: t, m: tui.New(ctx, c, boxes, true, 0, nil)}
	d.send(tea.WindowSizeMsg{Width: shotW, Height: shotH})
	return d
}

// stampedLog writes every action with the same time, user and host.
type stampedLog struct {
	audit.ActionLog
	now        func() time.Time
	user, host string
}

func (l stampedLog) Append(a actionlog.Action) error {
	a.Time, a.User, a.Host = l.now(), l.user, l.host
	return l.ActionLog.Append(a)
}

func (d *demoDriver) send(msg tea.Msg) {
	d.t.Helper()
	m, cmd := d.m.Update(msg)
	d.m = m
	d.settle(cmd)
}

// press sends a named key ("enter", "esc", " ") or types text, one key
// per rune.
func (d *demoDriver) press(k string) {
	d.t.Helper()
	named := map[string]tea.KeyType{"enter": tea.KeyEnter, "esc": tea.KeyEscape, " ": tea.KeySpace, "tab": tea.KeyTab}
	if kt, ok := named[k]; ok {
		d.send(tea.KeyMsg{Type: kt})
		return
	}
	for _, r := range k {
		d.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
}

func (d *demoDriver) settle(cmd tea.Cmd) {
	d.t.Helper()
	queue := []tea.Cmd{cmd}
	for steps := 0; len(queue) > 0; steps++ {
		if steps > 10_000 {
			d.t.Fatal("commands never settle")
		}
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		switch msg := c().(type) {
		case nil, tea.QuitMsg:
		case tea.BatchMsg:
			queue = append(queue, msg...)
		default:
			m, next := d.m.Update(msg)
			d.m = m
			if d.stop != nil && d.stop(ansi.Strip(d.m.View())) {
				d.stop = func(string) bool { return true } // and no further
				return
			}
			queue = append(queue, next)
		}
	}
}

// stableStateDir is $TMPDIR/sesbox-demo/state, held by this test alone
// (a concurrent run waits for it) and removed at its end.
func stableStateDir(t *testing.T) string {
	t.Helper()
	base := filepath.Join(os.TempDir(), "sesbox-demo")
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := os.Mkdir(base, 0o700)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%v: another run holds it (remove it if none does)", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	return filepath.Join(base, "state")
}

// pausedStore is a store that reads the headers of the first `first` keys
// (in listing order, the order the refresh's workers take them) and holds
// the others until ctx ends (or 20 seconds pass, so a test that waits for
// the pause in vain fails instead of hanging): every run stops on the same
// messages read.
type pausedStore struct {
	mailstore.Store
	first map[string]bool
	ctx   context.Context
}

func newPausedStore(ctx context.Context, st mailstore.Store, first int) *pausedStore {
	keys := slices.Sorted(maps.Keys(demo.Messages()))
	s := &pausedStore{Store: st, first: map[string]bool{}, ctx: ctx}
	for _, k := range keys[:first] {
		s.first[k] = true
	}
	return s
}

// List delivers the whole listing at once in key order: the store's own
// parallel listing sends its parts as they come, and the workers must
// take the first keys first for the pause to fall on the same messages.
func (s *pausedStore) List(ctx context.Context, fn func([]mailstore.Object) error) error {
	var all []mailstore.Object
	if err := s.Store.List(ctx, func(p []mailstore.Object) error { all = append(all, p...); return nil }); err != nil {
		return err
	}
	slices.SortFunc(all, func(a, b mailstore.Object) int { return strings.Compare(a.Key, b.Key) })
	return fn(all)
}

func (s *pausedStore) ReadHeader(ctx context.Context, key string) ([]byte, mailstore.Object, error) {
	if !s.first[key] {
		select {
		case <-s.ctx.Done():
		case <-ctx.Done():
		case <-time.After(20 * time.Second):
		}
	}
	return s.Store.ReadHeader(ctx, key)
}

// checkShot: the screen is exactly the terminal's size.
func checkShot(t *testing.T, v string) {
	t.Helper()
	lines := strings.Split(v, "\n")
	if len(lines) != shotH {
		t.Errorf("screen has %d lines, want %d", len(lines), shotH)
	}
	for i, l := range lines {
		if w := ansi.StringWidth(l); w > shotW {
			t.Errorf("line %d is %d cells wide: %q", i, w, l)
		}
	}
}
