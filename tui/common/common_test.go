package common

import (
	"runtime"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"

	"github.com/sesbox/sesbox/mailstore/sanitize"
)

func TestFit(t *testing.T) {
	for _, tc := range []struct {
		in   string
		w    int
		want string
	}{
		{"abc", 5, "abc  "},
		{"abcdef", 4, "abc…"},
		{"한국어입니다", 7, "한국어…"},
		{"한국어", 5, "한국…"},
		{"한국어", 4, "한… "}, // a wide rune never straddles the edge
		{"日本", 4, "日本"},
		{"x", 0, ""},
	} {
		got := Fit(tc.in, tc.w)
		if got != tc.want || ansi.StringWidth(got) != tc.w {
			t.Errorf("Fit(%q, %d) = %q (%d cells), want %q", tc.in, tc.w, got, ansi.StringWidth(got), tc.want)
		}
	}
	if got := FitRight("12K", 5); got != "  12K" {
		t.Errorf("FitRight = %q", got)
	}
}

func TestExpandTabs(t *testing.T) {
	if got := ExpandTabs("a\tb\t한\tc"); got != "a       b       한      c" {
		t.Errorf("got %q", got)
	}
}

// TestKeepInView: for every list, screen height, cursor and previous
// offset, the cursor is on screen, and the screen is as full as the list
// allows; an offset that already showed the cursor on a full screen stays.
func TestKeepInView(t *testing.T) {
	for n := 0; n <= 6; n++ {
		for h := 0; h <= 4; h++ {
			for cursor := 0; cursor < max(n, 1); cursor++ {
				for offset := 0; offset <= n; offset++ {
					got := KeepInView(cursor, offset, h, n)
					rows := max(h, 1)
					if got < 0 || (n > 0 && (cursor < got || cursor >= got+rows)) || (n >= rows && got > n-rows) {
						t.Fatalf("KeepInView(%d, %d, %d, %d) = %d", cursor, offset, h, n, got)
					}
					if offset <= cursor && cursor < offset+rows && offset+rows <= n && got != offset {
						t.Fatalf("KeepInView(%d, %d, %d, %d) = %d, moved a screen that showed the cursor", cursor, offset, h, n, got)
					}
				}
			}
		}
	}
}

// TestWrapIsLinear: wrapping costs in proportion to the line, whatever it
// holds. A line of blanks (a body of 60,000 tabs expands to 480,000
// spaces) has no word to break before, and was built by concatenating one
// space at a time: 64 KB of mail held the TUI for minutes.
func TestWrapIsLinear(t *testing.T) {
	const n = 50_000
	for name, s := range map[string]string{
		"spaces":       strings.Repeat(" ", n),
		"spaces, word": strings.Repeat(" ", n) + "word",
		"tabs":         ExpandTabs(strings.Repeat("\t", n/8)),
		"words":        strings.Repeat("ab ", n/3),
		"long word":    strings.Repeat("x", n),
	} {
		var got string
		alloc := allocated(func() { got = Wrap(s, 80) })
		if alloc > 64*n {
			t.Errorf("%s: Wrap of %d bytes allocated %d bytes", name, len(s), alloc)
		}
		for _, l := range strings.Split(got, "\n") {
			if w := ansi.StringWidth(l); w > 80 {
				t.Fatalf("%s: a line of %d cells", name, w)
			}
		}
		if strings.ReplaceAll(got, "\n", "") == "" && strings.TrimSpace(s) != "" {
			t.Errorf("%s: the text is gone", name)
		}
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

// Head keeps what a line of w cells can show: drawn from its head, a long
// text looks as it does drawn whole, and short texts are kept as they are.
func TestHead(t *testing.T) {
	for _, s := range []string{
		strings.Repeat("S", 1<<20),
		strings.Repeat("界", 100000),
		strings.Repeat("e\u0301\u0302", 50000),
		strings.Repeat("\u202eab\tc ", 40000),
		strings.Repeat("👨\u200d👩\u200d👧", 30000),
	} {
		for _, w := range []int{1, 10, 40, 200} {
			h := Head(s, w)
			if len(h) > HeadBytes(w)+len("…") || !utf8.ValidString(h) || !strings.HasSuffix(h, "…") {
				t.Fatalf("Head(%.10q, %d) = %d bytes, valid %v", s, w, len(h), utf8.ValidString(h))
			}
			if got, want := Fit(sanitize.Line(h), w), Fit(sanitize.Line(s), w); got != want {
				t.Errorf("width %d: drawn from the head %q, whole %q", w, got, want)
			}
		}
	}
	if s := "short 界"; Head(s, 8) != s || Head(s, 3) != "sho…" {
		t.Errorf("Head(%q, 8) = %q, Head(%[1]q, 3) = %q", s, Head(s, 8), Head(s, 3))
	}
}

func TestHistoryKeepsTheNewestHundred(t *testing.T) {
	var h History
	for i := range 150 {
		h.Add(strconv.Itoa(i))
	}
	h.Add("")
	line, _ := h.Step(-1, "typed")
	if line != "149" || len(h.entries) != 100 || h.entries[0] != "50" {
		t.Fatalf("newest %q, %d kept from %q", line, len(h.entries), h.entries[0])
	}
	if line, ok := h.Step(1, line); !ok || line != "typed" {
		t.Fatalf("below the newest: %q %v", line, ok)
	}
}
