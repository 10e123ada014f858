package common

import (
	"testing"

	"github.com/charmbracelet/x/ansi"
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
