package tui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/mailbox"
	"github.com/sesbox/sesbox/mailstore/mime"
	"github.com/sesbox/sesbox/mailstore/query"
	"github.com/sesbox/sesbox/tui/internal/fixture"
)

// widthsFake is a mailbox whose newest message (testdata/widths.eml) holds
// every character terminals measure differently from layout: soft
// hyphens, zero-width spaces, ZWJ emoji, variation selectors, skin tones,
// combining marks, tabs and fullwidth forms, in the header and the body.
func widthsFake(t *testing.T) *fixture.FakeMailbox {
	t.Helper()
	raw, err := os.ReadFile("testdata/widths.eml")
	if err != nil {
		t.Fatal(err)
	}
	v := mime.Parse(raw)
	s := v.Summary
	s.Key, s.Size, s.ETag, s.Date = "inbox/widths", int64(len(raw)), "w", fixture.Now.Add(-time.Hour)
	v.Summary = s
	fake := fixture.NewFake("a")
	fake.Sums = append([]mailstore.Summary{s}, fake.Sums...)
	fake.Messages = map[string]*mailbox.Message{s.Key: {Summary: s, Raw: raw, View: v}}
	return fake
}

// TestGoldenWidths: the list and the widths message in the viewer at the
// sizes people run in (80x23 is tmux in an 80x24 terminal). checkScreen
// measures every line both as layout does and as a terminal drawing rune
// by rune does: nothing may push the status or help line off the screen.
func TestGoldenWidths(t *testing.T) {
	for _, size := range [][2]int{{80, 23}, {80, 24}, {120, 36}} {
		w, h := size[0], size[1]
		t.Run(fmt.Sprintf("%dx%d", w, h), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			m := New(ctx, fixture.Common(w, h), []Box{{Name: "inbox", Mailbox: widthsFake(t)}}, false, 0, nil)
			tm := start(t, m, w, h)
			waitFor(t, tm, "Versicherungs")
			send(tm, "enter")
			waitFor(t, tm, "Kalen")
			golden(t, finish(t, tm))
		})
	}
}

// TestNarrowTerminals: from 120 columns down to 40x10 every screen lays
// out, dropping the size, verdict and date columns in turn; below that
// one line says so.
func TestNarrowTerminals(t *testing.T) {
	h := newHarness(t, 120, 36, false, box("inbox", widthsFake(t)))
	for _, size := range [][2]int{{80, 23}, {69, 20}, {59, 16}, {49, 12}, {40, 10}} {
		h.send(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		v := h.view()
		header := strings.Split(v, "\n")[1]
		for col, shown := range map[string]bool{"Size": size[0] >= 70, "! S D M": size[0] >= 60, "Date": size[0] >= 50} {
			if strings.Contains(header, col) != shown {
				t.Errorf("%dx%d: column %q shown %v:\n%s", size[0], size[1], col, !shown, v)
			}
		}
		for _, k := range []string{"enter", "h", "h", "p", "p", "q", "?", "j", "?", "E", "E", ":", "esc"} {
			h.press(k)
			h.view()
		}
		if h.m.top() != "" {
			t.Fatalf("%dx%d: ended on %q", size[0], size[1], h.m.top())
		}
	}
	h.send(tea.WindowSizeMsg{Width: 39, Height: 10})
	if v := h.view(); !strings.HasPrefix(v, "too small: 39x10, needs 40x10 (q quits)") {
		t.Fatalf("too small:\n%s", v)
	}
}

// TestBurstOfKeysAllAct: 200 j typed faster than a frame arrive in
// bubbletea v1 as one KeyMsg of 200 runes; each must move the cursor. In a
// text input the burst is typed as it came.
func TestBurstOfKeysAllAct(t *testing.T) {
	fake := fixture.NewFake("a")
	base := fake.Sums[0]
	fake.Sums = nil
	for i := range 300 {
		s := base
		s.Key = fmt.Sprintf("inbox/m%03d", i)
		s.MessageID = s.Key + "@x"
		s.Date = fixture.Now.Add(-time.Duration(i) * time.Minute)
		fake.Sums = append(fake.Sums, s)
	}
	h := newHarness(t, 100, 30, false, box("inbox", fake))
	h.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(strings.Repeat("j", 200))})
	if s, _ := h.m.cur().List().Selected(); s.Key != "inbox/m200" {
		t.Fatalf("after 200 j in one read the cursor is on %s, want inbox/m200", s.Key)
	}
	// A burst that opens a prompt: the rest is typed into it.
	h.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("kk/quarterly")})
	if s, _ := h.m.cur().List().Selected(); s.Key != "inbox/m198" || !h.m.capturing() {
		t.Fatalf("cursor %s, capturing %v", s.Key, h.m.capturing())
	}
	if v := h.view(); !strings.Contains(v, "/quarterly") {
		t.Fatalf("the rest of the burst was not typed into the filter:\n%s", v)
	}
	// A paste is text, never keys.
	h.press("esc")
	h.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("jjjj"), Paste: true})
	if s, _ := h.m.cur().List().Selected(); s.Key != "inbox/m198" {
		t.Fatalf("a paste moved the cursor to %s", s.Key)
	}
}

// TestBurstInRealProgram: the same through a real program reading a pipe,
// 200 j in one write.
func TestBurstInRealProgram(t *testing.T) {
	fake := fixture.NewFake("a")
	base := fake.Sums[0]
	fake.Sums = nil
	for i := range 250 {
		s := base
		s.Key = fmt.Sprintf("inbox/m%03d", i)
		s.Subject = fmt.Sprintf("message %03d", i)
		s.MessageID = s.Key + "@x"
		s.Date = fixture.Now.Add(-time.Duration(i) * time.Minute)
		fake.Sums = append(fake.Sums, s)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tm := start(t, New(ctx, fixture.Common(100, 30), []Box{box("inbox", fake)}, false, 0, nil), 100, 30)
	waitFor(t, tm, "message 000")
	tm.Type(strings.Repeat("j", 200))
	waitFor(t, tm, "message 200")
	fm := finish(t, tm)
	if s, _ := fm.cur().List().Selected(); s.Key != "inbox/m200" {
		t.Fatalf("cursor on %s, want inbox/m200", s.Key)
	}
}

// TestListFailureStaysInTheListArea: a mailbox that cannot be listed says
// so where the messages would be, hint first, never "no messages"; the
// failure stays until a refresh succeeds; an empty prefix says so.
func TestListFailureStaysInTheListArea(t *testing.T) {
	fake := fixture.NewFake("a")
	fake.Sums = nil
	fail := true
	fake.RefreshFn = func(ctx context.Context, progress func(mailbox.Progress)) error {
		if fail {
			return &mailstore.HintError{Hint: `no such bucket "x" in eu-west-1 — check --bucket and --region`,
				Err: errors.New("api error NoSuchBucket: The specified bucket does not exist")}
		}
		progress(mailbox.Progress{Done: true})
		return nil
	}
	h := newHarness(t, 100, 30, true, box("inbox", fake))
	h.press("j") // a key clears the status line, not the list area
	v := h.view()
	lines := strings.Split(v, "\n")
	if !strings.HasPrefix(lines[1], ` no such bucket "x" in eu-west-1 — check --bucket and --region (refresh`) ||
		!strings.Contains(lines[1]+lines[2], "NoSuchBucket: The specified bucket does not exist") {
		t.Fatalf("no hint-first failure in the list area:\n%s", v)
	}
	if strings.Contains(v, "no messages") || !strings.Contains(lines[0], "inbox 0 !") {
		t.Fatalf("failure shown as an empty mailbox:\n%s", v)
	}
	h.press("E")
	if v := h.view(); !strings.Contains(v, `no such bucket "x"`) {
		t.Fatalf("not in the error history:\n%s", v)
	}
	h.press("q")
	if v := h.view(); !strings.Contains(v, `no such bucket "x"`) {
		t.Fatal("the failure left the list area after E was visited")
	}
	fail = false
	h.press("ctrl+r")
	if v := h.view(); strings.Contains(v, "no such bucket") || !strings.Contains(v, "no messages under s3://mail-a/inbox/") {
		t.Fatalf("after a successful refresh:\n%s", v)
	}
}

// TestSearchWithoutLimit: S searches without hiding anything; n and N
// move between the matches, wrapping; a bad query is an error said as
// sesbox ls --query says it.
func TestSearchWithoutLimit(t *testing.T) {
	h := newHarness(t, 240, 30, false, box("inbox", fixture.NewFake("a"))) // wide enough for the whole "is not a term" error, every term named
	h.press("S")
	h.typeText("quarterly")
	h.press("enter")
	c := h.m.cur().List().Counts()
	first, _ := h.m.cur().List().Selected()
	if c.Shown != c.Total || !strings.Contains(strings.ToLower(first.Subject), "quarterly") {
		t.Fatalf("search limited the list (%d/%d) or missed: %q", c.Shown, c.Total, first.Subject)
	}
	seen := map[string]bool{first.Key: true}
	for range 3 {
		h.press("n")
		s, _ := h.m.cur().List().Selected()
		if !strings.Contains(strings.ToLower(s.Subject), "quarterly") {
			t.Fatalf("n moved to %q", s.Subject)
		}
		seen[s.Key] = true
	}
	if len(seen) != 3 {
		t.Fatalf("n visited %d matches, want all 3 (wrapping)", len(seen))
	}
	h.press("N")
	// The TUI says what query.Parse (the CLI's parser) says, no more: a
	// query it accepts (foo:bar, today free text) is no error here either.
	for _, q := range []string{"after:notadate", "foo:bar", "before:2025-13-01"} {
		want, err := mailstoreQueryError(q)
		if err == nil {
			n := len(h.m.errs)
			h.press("S", "ctrl+u")
			h.typeText(q)
			h.press("enter")
			if len(h.m.errs) != n || h.m.showErr {
				t.Errorf("%s: the CLI accepts it, the TUI said %v", q, h.m.errs[n:])
			}
			h.press("S", "ctrl+u", "enter")
			continue
		}
		h.press("S", "ctrl+u")
		h.typeText(q)
		h.press("enter")
		if v := h.view(); !strings.Contains(v, "error: "+want) {
			t.Errorf("%s: want %q on the status line:\n%s", q, want, v)
		}
		h.press("/")
		h.typeText(q)
		h.press("enter")
		if v := h.view(); !strings.Contains(v, "error: "+want) {
			t.Errorf("filter %s: want %q on the status line:\n%s", q, want, v)
		}
		h.press("esc")
	}
}

// TestToggleReadAndOneMailbox: U marks a message unread and read again by
// hand; Tab with one mailbox says so; ctrl+l asks for a redraw.
func TestToggleReadAndOneMailbox(t *testing.T) {
	fake := fixture.NewFake("a")
	h := newHarness(t, 100, 30, false, box("inbox", fake))
	s, _ := h.m.cur().List().Selected()
	h.press("U")
	if got, _ := h.m.cur().List().Summary(s.Key); got.Read == s.Read || fake.IsRead(s.Key) == s.Read {
		t.Fatalf("U did not toggle %s (read %v)", s.Key, got.Read)
	}
	h.press("U")
	if got, _ := h.m.cur().List().Summary(s.Key); got.Read != s.Read {
		t.Fatal("U did not toggle back")
	}
	h.press("tab")
	if v := h.view(); !strings.Contains(v, "only one mailbox is configured") {
		t.Fatalf("tab with one mailbox:\n%s", v)
	}
	_, cmd := h.m.Update(fixture.Key("ctrl+l"))
	if cmd == nil || fmt.Sprint(cmd()) != fmt.Sprint(tea.ClearScreen()) {
		t.Fatal("ctrl+l does not clear the screen")
	}
}

// TestCommandLine: : with Tab completion runs the CLI's verbs.
func TestCommandLine(t *testing.T) {
	dir := t.TempDir()
	fake := fixture.NewFake("a")
	photo := fixture.DemoMessage("fj01tteur6ih0omhtnnq3l49c328ov13esdvhqmk")
	fake.Messages = map[string]*mailbox.Message{"inbox/a3": photo}
	h := newHarness(t, 100, 30, false, box("inbox", fake), box("other", fixture.NewFake("b")))
	h.press(":")
	h.typeText("so")
	h.press("tab")
	h.typeText("siz")
	h.press("tab")
	if v := h.view(); !strings.Contains(v, ":sort size ") {
		t.Fatalf("completion:\n%s", v)
	}
	h.press("enter")
	if by, _ := h.m.cur().List().Sort(); by != "size" {
		t.Fatalf("sorted by %s", by)
	}
	h.press(":")
	h.typeText("mailbox ot")
	h.press("tab", "enter")
	if h.m.active != 1 {
		t.Fatal(":mailbox other did not switch")
	}
	h.press(":")
	h.typeText("mailbox nope")
	h.press("enter")
	// What to do first (it said the error, then the names).
	if v, last := h.view(), h.m.errs[len(h.m.errs)-1].Text; !strings.Contains(v, "error: choose a mailbox the config file defines: inbox, other") ||
		!strings.Contains(last, `mailbox "nope" is not defined`) {
		t.Fatalf(":mailbox nope (%q):\n%s", last, v)
	}
	h.press(":")
	h.typeText("mailbox inbox")
	h.press("enter", ":")
	h.typeText("filter from:alice")
	h.press("enter")
	if f, _ := h.m.cur().List().Filter(); f != "from:alice" {
		t.Fatalf("filter %q", f)
	}
	h.press(":")
	h.typeText("filter")
	h.press("enter")
	h.m.cur().List().Select("inbox/a3")
	h.press(":")
	h.typeText("save " + dir)
	h.press("enter")
	if v := h.view(); !strings.Contains(v, "saved 1 file from 1 of 1 message to "+dir) {
		t.Fatalf(":save:\n%s", v)
	}
	h.press(":")
	h.typeText("frobnicate")
	h.press("enter")
	if v := h.view(); !strings.Contains(v, `unknown command "frobnicate"`) {
		t.Fatalf("unknown command:\n%s", v)
	}
	h.press(":")
	h.typeText("quit")
	h.press("enter")
	if !h.quit {
		t.Fatal(":quit did not quit")
	}
}

// mailstoreQueryError is what `sesbox ls --query q` prints after "sesbox: ".
func mailstoreQueryError(q string) (string, error) {
	_, err := query.Parse(q, fixture.Now)
	if err == nil {
		return "", nil
	}
	return err.Error(), err
}
