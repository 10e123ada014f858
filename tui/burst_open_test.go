package tui

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/mailbox"
	"github.com/sesbox/sesbox/mailstore/mime"
	"github.com/sesbox/sesbox/tui/compose"
	"github.com/sesbox/sesbox/tui/internal/fixture"
	"github.com/sesbox/sesbox/tui/viewer"
)

// pressAll sends keys the way a fast typist (or a held key) does: every key
// is read before the Cmds of the ones before it have answered.
func (h *harness) pressAll(keys ...string) {
	h.t.Helper()
	var msgs []tea.KeyMsg
	for _, k := range keys {
		msgs = append(msgs, fixture.Key(k))
	}
	h.burst(msgs...)
}

// burst is pressAll of KeyMsgs (fixture.Keys for typed text).
func (h *harness) burst(keys ...tea.KeyMsg) {
	h.t.Helper()
	var cmds []tea.Cmd
	for _, k := range keys {
		nm, cmd := h.m.Update(k)
		h.m = nm.(Model)
		cmds = append(cmds, cmd)
	}
	h.settle(tea.Batch(cmds...))
}

// openedKey fails t unless the viewer is on top, and returns the key of
// the message it shows.
func (h *harness) openedKey(t *testing.T) string {
	t.Helper()
	if h.m.top() != viewer.Kind {
		t.Fatalf("top %q, want the viewer", h.m.top())
	}
	return h.m.viewer.Viewer().Key()
}

// J pressed three times in a row moves three messages on, as in mutt: the
// step must not wait for a Cmd whose answer the next J makes stale.
func TestRootViewerNextMessageKeysTypedFastAllAct(t *testing.T) {
	h := newHarness(t, 100, 30, false, box("inbox", fixture.NewFake("a")))
	h.press("enter")
	first := h.m.viewer.Viewer().Key()
	h.pressAll("J", "J", "J")
	l := h.m.cur().List()
	want, _ := l.Summary(first)
	l.Select(first)
	for range 3 {
		want, _ = l.Step(1)
	}
	if got := h.m.viewer.Viewer().Key(); got != want.Key {
		t.Fatalf("JJJ from %s shows %s, want %s (three messages on)", first, got, want.Key)
	}
	h.pressAll("K", "K")
	l.Select(want.Key)
	l.Step(-1)
	back, _ := l.Step(-1)
	if got := h.m.viewer.Viewer().Key(); got != back.Key {
		t.Fatalf("KK shows %s, want %s", got, back.Key)
	}
}

// A key typed right after Enter acts in the viewer it opened, not in the
// list (Enter then p shows the parts).
func TestRootKeyTypedRightAfterOpenActsInTheViewer(t *testing.T) {
	h := newHarness(t, 100, 30, false, box("inbox", fixture.NewFake("a")))
	h.pressAll("enter", "p")
	if h.m.top() != viewer.Kind {
		t.Fatalf("top %q, want the viewer", h.m.top())
	}
	if v := h.view(); !strings.Contains(v, "parts (") {
		t.Fatalf("p typed right after enter did not show the parts:\n%s", v)
	}
}

// A burst typed while the filter's matches are read (/x Enter Enter p)
// acts once they come, on the message they put under the cursor: the
// Enter opens the first match and the p shows its parts, as it would had
// the user typed slower.
func TestRootKeysTypedWhileFilterIsReadAreNotDropped(t *testing.T) {
	h := newHarness(t, 100, 30, false, box("inbox", fixture.NewFake("a")))
	enter := fixture.Key("enter")
	h.burst(append(fixture.Keys("/lottery"), enter, enter, fixture.Key("p"))...)
	if got := h.openedKey(t); got != "inbox/s1" {
		t.Fatalf("opened %q, want the only match inbox/s1", got)
	}
	if v := h.view(); !strings.Contains(v, "parts (") {
		t.Fatalf("p typed before the filter's matches came was dropped:\n%s", v)
	}
}

// Enter typed right after o (the next sort) opens the first message of
// the new order, as when typed slowly, not the old order's first row.
func TestRootOpenTypedWhileSortIsReadOpensInTheNewOrder(t *testing.T) {
	slow := newHarness(t, 100, 30, false, box("inbox", fixture.NewFake("a")))
	old, _ := slow.m.cur().List().Selected()
	slow.press("o")
	want, _ := slow.m.cur().List().Selected()
	if want.Key == old.Key {
		t.Fatalf("the fixture's first row %s is the same in both orders", old.Key)
	}
	fast := newHarness(t, 100, 30, false, box("inbox", fixture.NewFake("a")))
	fast.pressAll("o", "enter")
	if got := fast.openedKey(t); got != want.Key {
		t.Fatalf("o Enter opened %s, want %s (the new order's first row)", got, want.Key)
	}
}

// A `:` command runs before the keys typed after its Enter: ":sort from"
// Enter Enter opens the first message sorted by sender.
func TestRootKeysTypedAfterACommandActAfterIt(t *testing.T) {
	slow := newHarness(t, 100, 30, false, box("inbox", fixture.NewFake("a")))
	slow.press(":")
	slow.typeText("sort from")
	slow.press("enter")
	want, _ := slow.m.cur().List().Selected()
	fast := newHarness(t, 100, 30, false, box("inbox", fixture.NewFake("a")))
	enter := fixture.Key("enter")
	fast.burst(append(fixture.Keys(":sort from"), enter, enter)...)
	if got := fast.openedKey(t); got != want.Key {
		t.Fatalf(":sort from Enter Enter opened %s, want %s", got, want.Key)
	}
}

// Enter typed right after a search's Enter opens the message the search
// moves to once its matches are read, not the one under the cursor before.
func TestRootOpenTypedWhileSearchIsReadOpensTheMatch(t *testing.T) {
	h := newHarness(t, 100, 30, false, box("inbox", fixture.NewFake("a")))
	enter := fixture.Key("enter")
	h.burst(append(fixture.Keys("Slottery"), enter, enter)...)
	if got := h.openedKey(t); got != "inbox/s1" {
		t.Fatalf("opened %q, want the search's match inbox/s1", got)
	}
}

// Keys typed while the viewer reads the message it opened on act once it
// is read: a / typed then opens the search, and the text after it is
// searched for, not run as commands (the r of "priya" opened a reply).
func TestRootKeysTypedWhileTheMessageIsReadActOnIt(t *testing.T) {
	h := newHarness(t, 100, 30, false, box("inbox", fixture.NewFake("a")))
	h.burst(append([]tea.KeyMsg{fixture.Key("enter")}, append(fixture.Keys("/priya"), fixture.Key("enter"))...)...)
	if h.m.top() != viewer.Kind {
		t.Fatalf("top %q, want the viewer (not a reply)", h.m.top())
	}
	if v := h.view(); !strings.Contains(v, "match") {
		t.Fatalf("the search typed while the message was read did not run:\n%s", v)
	}
}

// Keys typed right after Enter on a nested message wait for it to be
// parsed (renderPartCmd), as they wait for a message being read: G went to
// "loading…", and the part then opened at its top.
func TestRootKeysTypedWhileAPartRendersWaitForIt(t *testing.T) {
	inner := "From: a@x.example\r\nSubject: inner\r\n\r\n" + strings.Repeat("inner line\r\n", 200) + "the last inner line\r\n"
	raw := []byte("From: b@y.example\r\nSubject: outer\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n" +
		"--XX\r\nContent-Type: text/plain\r\n\r\nouter body\r\n--XX\r\nContent-Type: message/rfc822\r\n\r\n" + inner + "--XX--\r\n")
	v := mime.Parse(raw)
	s := v.Summary
	s.Key, s.Size, s.ETag, s.Date = "inbox/nested", int64(len(raw)), "n", fixture.Now.Add(-time.Minute)
	v.Summary = s
	fake := fixture.NewFake("a")
	fake.Sums = append([]mailstore.Summary{s}, fake.Sums...)
	fake.Messages = map[string]*mailbox.Message{s.Key: {Summary: s, Raw: raw, View: v}}
	h := newHarness(t, 80, 24, false, box("inbox", fake))
	h.press("enter")
	if got := h.openedKey(t); got != s.Key {
		t.Fatalf("opened %s", got)
	}
	h.press("p")
	h.press("j")
	h.pressAll("enter", "G")
	if out := h.view(); !strings.Contains(out, "the last inner line") {
		t.Fatalf("G typed while the part was parsed did not act on it:\n%s", out)
	}
}

// Esc and a key typed right after it arrive in one read as an Alt key
// (bubbletea v1); bound to nothing, it is Esc then the key: Esc j in the
// viewer closes it and moves down the list. Both were lost.
func TestRootEscThenKeyReadAsAltActsAsBoth(t *testing.T) {
	h := newHarness(t, 100, 30, false, box("inbox", fixture.NewFake("a")))
	first, _ := h.m.cur().List().Selected()
	h.press("enter")
	h.openedKey(t)
	h.burst(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("jj"), Alt: true})
	if h.m.top() != "" {
		t.Fatalf("top %q: esc did not close the viewer", h.m.top())
	}
	got, _ := h.m.cur().List().Selected()
	l := h.m.cur().List()
	l.Select(first.Key)
	l.Step(1)
	want, _ := l.Step(1)
	if got.Key != want.Key || got.Key == first.Key {
		t.Fatalf("cursor on %s, want %s (two down)", got.Key, want.Key)
	}
}

// TestRootEscThenKeyInAPromptCancelsIt: inside a text prompt, Esc then a
// key read as one alt+key (fast typing, SSH) cancels the prompt, as Esc
// does, then acts on the key, as it does outside one: the key was typed
// into the prompt and the Esc lost. alt+b, alt+f and alt+d stay the
// prompt's word motions, as in readline.
func TestRootEscThenKeyInAPromptCancelsIt(t *testing.T) {
	h := newHarness(t, 100, 30, false, box("inbox", fixture.NewFake("a")))
	first, _ := h.m.cur().List().Selected()
	h.press("enter")
	h.openedKey(t)
	h.press("/")
	h.typeText("zz")
	h.burst(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q"), Alt: true})
	if h.m.capturing() || h.m.top() != "" {
		t.Fatalf("esc q in the viewer's search: capturing %v, top %q:\n%s", h.m.capturing(), h.m.top(), h.view())
	}
	// The list's filter: esc j closes it and moves the cursor.
	h.press("/")
	h.typeText("x")
	h.burst(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("j"), Alt: true})
	got, _ := h.m.cur().List().Selected()
	if h.m.capturing() || got.Key == first.Key || strings.Contains(h.view(), "xj") {
		t.Fatalf("esc j in the filter: capturing %v, cursor on %s (first %s):\n%s", h.m.capturing(), got.Key, first.Key, h.view())
	}
	// alt+b in a prompt moves by word and keeps the prompt.
	h.press(":")
	h.typeText("sort date")
	h.burst(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("b"), Alt: true})
	h.typeText("x")
	if !h.m.capturing() || !strings.Contains(h.view(), "sort xdate") {
		t.Fatalf("alt+b in the command line:\n%s", h.view())
	}
}

// TestRootEscEscReadAsAltEscActsTwice: Esc typed twice fast reaches
// bubbletea v1 as one alt+esc, which no binding has: both were lost (the
// parts list stayed open). It is Esc, then Esc: out of the parts list and
// out of the viewer.
func TestRootEscEscReadAsAltEscActsTwice(t *testing.T) {
	h := newHarness(t, 100, 30, false, box("inbox", fixture.NewFake("a")))
	h.press("enter")
	h.openedKey(t)
	h.press("p")
	if !strings.Contains(h.view(), "parts (") {
		t.Fatalf("p opened no parts list:\n%s", h.view())
	}
	h.burst(tea.KeyMsg{Type: tea.KeyEsc, Alt: true})
	if h.m.top() != "" {
		t.Fatalf("top %q after esc esc, want the list:\n%s", h.m.top(), h.view())
	}
}

// TestRootAltKeyInTheEditorStaysInIt: in the built-in editor an Alt key
// is the editor's, as every key is the embedded editor's in aerc: alt+s
// (or Esc then s typed fast) types s and the editor stays open. It was
// read as Esc then s: Esc finished editing and s, on the review, sent
// the reply. Esc typed twice fast (alt+esc) finishes editing, once.
func TestRootAltKeyInTheEditorStaysInIt(t *testing.T) {
	h, env := replyInEditor(t, "thanks")
	h.burst(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("s"), Alt: true})
	if h.m.top() != compose.Kind || !h.m.capturing() {
		t.Fatalf("alt+s left the editor (screen %q, capturing %v):\n%s", h.m.top(), h.m.capturing(), h.view())
	}
	if ses := env.Outbox.Sender.(*fakeSES); ses.raw != nil {
		t.Fatalf("alt+s in the editor sent the reply")
	}
	if v := h.view(); !strings.Contains(v, "thankss") {
		t.Errorf("alt+s did not type s:\n%s", v)
	}
	h.burst(tea.KeyMsg{Type: tea.KeyEsc, Alt: true})
	if h.m.top() != compose.Kind || h.m.capturing() {
		t.Fatalf("alt+esc in the editor: screen %q, capturing %v, want the review:\n%s", h.m.top(), h.m.capturing(), h.view())
	}
}

// TestRootResizeRewrapsABigBodyInACmd: a width change with a body over a
// megabyte open wraps it again in a Cmd, as opening it does, not in
// Update (a second with the screen frozen); the viewer says "formatting"
// meanwhile, and only the newest resize's result is shown.
func TestRootResizeRewrapsABigBodyInACmd(t *testing.T) {
	h := newHarness(t, 100, 30, false, box("inbox", fixture.NewFake("a")))
	h.press("enter")
	key := h.openedKey(t)
	raw := []byte("From: a@x.example\r\nSubject: long\r\n\r\n" + strings.Repeat("abcdefghi ", 200000) + "needle\r\n")
	v := mime.Parse(raw)
	s := v.Summary
	s.Key = key
	h.send(viewer.MessageLoadedMsg{Key: key, Message: &mailbox.Message{Summary: s, Raw: raw, View: v}})
	if v := h.view(); !strings.Contains(v, "abcdefghi") {
		t.Fatalf("the body is not shown:\n%s", v)
	}
	resize := func(w int) tea.Cmd {
		t.Helper()
		nm, cmd := h.m.Update(tea.WindowSizeMsg{Width: w, Height: 30})
		h.m = nm.(Model)
		if v := h.view(); cmd == nil || !strings.Contains(v, "formatting") || strings.Contains(v, "abcdefghi") {
			t.Fatalf("resized to %d columns: wrapped in Update (Cmd %v):\n%s", w, cmd != nil, v)
		}
		return cmd
	}
	older := resize(120)
	newer := resize(90)
	h.settle(older)
	if v := h.view(); !strings.Contains(v, "formatting") {
		t.Fatalf("an older resize's result was shown:\n%s", v)
	}
	h.settle(newer)
	out := h.view()
	if strings.Contains(out, "formatting") || !strings.Contains(out, "abcdefghi") {
		t.Fatalf("the newest resize's result is not shown:\n%s", out)
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "abcdefghi") && len(strings.TrimRight(l, " ")) > 90 {
			t.Errorf("a line wider than 90 columns: %q", l)
		}
	}
}

// V then e typed fast (or over SSH) exports every message: V's marks are
// read in a Cmd, and the e that came before them said "no message is
// marked" (then the path typed for it went to the list as keys).
func TestRootKeysTypedRightAfterMarkAllActOnTheMarks(t *testing.T) {
	h := newHarness(t, 100, 30, false, box("inbox", fixture.NewFake("a")))
	h.pressAll("V", "e")
	if v := h.view(); !strings.Contains(v, "export 10 marked to mbox:") {
		t.Fatalf("V e did not ask where to export the 10 marked:\n%s", v)
	}
	h.press("esc", "u")
	h.pressAll("*", "s")
	if v := h.view(); !strings.Contains(v, "save attachments of 10 marked to:") {
		t.Fatalf("* s did not ask where to save:\n%s", v)
	}
}

// TestRootKeysTypedBeforeTheFirstPageActOnIt: j j Enter typed as sesbox
// starts (one burst, or over a slow link), before the list's first page
// has been read, open the message they open once it is shown: they acted
// on the empty list and were lost (tmux: `sesbox demo`, then send-keys
// j j Enter within 0.15 s, and the list stayed).
func TestRootKeysTypedBeforeTheFirstPageActOnIt(t *testing.T) {
	after := newHarness(t, 100, 30, false, box("inbox", fixture.NewFake("a")))
	after.press("j", "j", "enter")
	want := after.openedKey(t)

	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	h := &harness{t: t, m: New(ctx, fixture.Common(100, 30), []Box{box("inbox", fixture.NewFake("a"))}, false, 0, nil)}
	nm, sized := h.m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	h.m = nm.(Model)
	// The answers of the first Cmds (the first page among them) come
	// after the keys.
	var answers []tea.Msg
	var run func(tea.Cmd)
	run = func(c tea.Cmd) {
		if c == nil {
			return
		}
		switch msg := c().(type) {
		case nil:
		case tea.BatchMsg:
			for _, c := range msg {
				run(c)
			}
		default:
			answers = append(answers, msg)
		}
	}
	run(tea.Batch(sized, h.m.Init()))
	h.pressAll("j", "j", "enter")
	if h.m.top() == viewer.Kind {
		t.Fatal("a message opened before the list was read")
	}
	for _, msg := range answers {
		h.send(msg)
	}
	if got := h.openedKey(t); got != want {
		t.Errorf("opened %q, want %q (j j Enter once the list is shown)", got, want)
	}
}

// TestRootLineFeedIsEnter: Enter typed before the terminal is raw comes
// as a line feed (ctrl+j; the line discipline turns CR into LF): it opens
// the message as Enter does, as in mutt, which binds both.
func TestRootLineFeedIsEnter(t *testing.T) {
	h := newHarness(t, 100, 30, false, box("inbox", fixture.NewFake("a")))
	h.press("j", "ctrl+j")
	got := h.openedKey(t)
	h2 := newHarness(t, 100, 30, false, box("inbox", fixture.NewFake("a")))
	h2.press("j", "enter")
	if want := h2.openedKey(t); got != want {
		t.Errorf("ctrl+j opened %q, Enter %q", got, want)
	}
}

// TestRootEscEnterReadAsAltEnterActsTwice: Esc then Enter typed fast (a
// search prompt left, then the message under the cursor opened; tmux
// send-keys Escape Enter) reach bubbletea v1 as one alt+enter, which no
// binding has: both were lost and the prompt stayed open, taking the
// keys typed next as text. It is Esc, then Enter.
func TestRootEscEnterReadAsAltEnterActsTwice(t *testing.T) {
	h := newHarness(t, 100, 30, false, box("inbox", fixture.NewFake("a")))
	h.press("S")
	h.typeText("Quarterly")
	h.burst(tea.KeyMsg{Type: tea.KeyEnter, Alt: true})
	if h.m.capturing() || h.m.top() != viewer.Kind {
		t.Fatalf("esc enter in the search prompt: capturing %v, top %q:\n%s", h.m.capturing(), h.m.top(), h.view())
	}
}

// TestRootEscTabAndEscSpaceActTwice: Esc then Tab typed fast (a filter
// cleared, then the next mailbox; tmux send-keys Escape Tab at 80x23)
// reach bubbletea v1 as one alt+tab, which said "alt+tab does nothing
// here" and did neither; Esc then space (then a mark) likewise. Each is
// Esc, then the key.
func TestRootEscTabAndEscSpaceActTwice(t *testing.T) {
	h := newHarness(t, 100, 30, false, box("inbox", fixture.NewFake("a")), box("sales", fixture.NewFake("b")))
	h.press("/")
	h.typeText("zzz-no-match")
	h.press("enter")
	h.burst(tea.KeyMsg{Type: tea.KeyTab, Alt: true})
	if h.m.active != 1 || strings.Contains(h.view(), "does nothing here") {
		t.Fatalf("esc tab: mailbox %d:\n%s", h.m.active, h.view())
	}
	h.press("shift+tab")
	if f, _ := h.m.cur().List().Filter(); f != "" {
		t.Fatalf("esc tab left the filter %q", f)
	}
	h.press("S")
	h.typeText("Quarterly")
	h.burst(tea.KeyMsg{Type: tea.KeySpace, Alt: true})
	if h.m.capturing() || len(h.m.cur().List().Marked()) != 1 {
		t.Fatalf("esc space in the search prompt: capturing %v, %d marked:\n%s", h.m.capturing(), len(h.m.cur().List().Marked()), h.view())
	}
}
