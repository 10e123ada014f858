package tui

import (
	"context"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/sesbox/sesbox/tui/common"
	"github.com/sesbox/sesbox/tui/internal/fixture"
)

// TestASCIITerminalGetsOnlyASCII: with a locale that is not UTF-8 (LANG=C
// over SSH, a serial console) every frame is plain ASCII, each line as
// wide as the terminal: the rules are '-', a cut is '~', accented letters
// lose their accents and what has no ASCII form is '?' for each cell it
// was laid out in (a Korean syllable '??').
func TestASCIITerminalGetsOnlyASCII(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := fixture.Common(80, 24)
	c.ASCII = true
	h := &harness{t: t, m: New(ctx, c, []Box{box("inbox", widthsFake(t))}, false, 0, nil)}
	h.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	h.settle(h.m.Init())

	check := func(what string) string {
		t.Helper()
		v := h.view()
		for i := 0; i < len(v); i++ {
			if v[i] >= 0x80 {
				t.Fatalf("%s: byte %#x at %d, not ASCII:\n%s", what, v[i], i, v)
			}
		}
		lines := strings.Split(v, "\n")
		if len(lines) != 24 {
			t.Fatalf("%s: %d lines:\n%s", what, len(lines), v)
		}
		for i, l := range lines {
			if len(l) != 80 {
				t.Fatalf("%s: line %d is %d wide:\n%s", what, i, len(l), v)
			}
		}
		return v
	}
	check("list")
	h.press("enter")
	if v := check("viewer"); !strings.Contains(v, "-----") {
		t.Fatalf("the rule under the header is not drawn with '-':\n%s", v)
	}
	h.press("?")
	check("help")
	h.press("q", "E")
	check("error history")
	h.send(tea.WindowSizeMsg{Width: 30, Height: 5})
	if v := h.view(); !strings.HasPrefix(v, "too small: 30x5, needs 40x10") {
		t.Fatalf("too small: %q", v)
	}

	for _, tc := range []struct{ in, want string }{
		{"Tidewater Logist… ─── │ · • ↑↓ — “x”", "Tidewater Logist~ --- | . * ^v - \"x\""},
		{"Rosa Álvarez, Müller, Ørsted", "Rosa Alvarez, Muller, Orsted"},
		{"한국어 日本 🎉 ok", "?????? ???? ?? ok"},
		{"\x1b[1mbold é\x1b[0m", "\x1b[1mbold e\x1b[0m"},
	} {
		if got := common.ASCII(tc.in); got != tc.want {
			t.Errorf("ASCII(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
