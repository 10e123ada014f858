package theme

import (
	"io"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

func TestNoColor(t *testing.T) {
	t.Setenv("NO_COLOR", "1")
	s := New(NewRenderer(io.Discard, false))
	if !s.Ascii || s.Fail.Render("x") != "x" {
		t.Fatal("NO_COLOR still draws colour")
	}
	t.Setenv("NO_COLOR", "")
	if !New(NewRenderer(io.Discard, true)).Ascii {
		t.Fatal("the no-color option is ignored")
	}
}

// Selection is a background colour: freeze (screenshots) drops reverse
// video.
func TestSelectionIsABackground(t *testing.T) {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.TrueColor)
	s := New(r)
	out := s.Row.Inherit(s.RowSelected).Render("x")
	if !strings.Contains(out, "48;2;") || strings.Contains(out, "\x1b[7m") || strings.Contains(out, ";7m") {
		t.Fatalf("selection rendered as %q", out)
	}
	if s.RowSelected.GetReverse() {
		t.Fatal("selection uses reverse video")
	}
}

func TestAdaptiveColours(t *testing.T) {
	dark, light := lipgloss.NewRenderer(io.Discard), lipgloss.NewRenderer(io.Discard)
	for _, r := range []*lipgloss.Renderer{dark, light} {
		r.SetColorProfile(termenv.TrueColor)
	}
	dark.SetHasDarkBackground(true)
	light.SetHasDarkBackground(false)
	if New(dark).Fail.Render("x") == New(light).Fail.Render("x") {
		t.Fatal("the same colours on light and dark terminals")
	}
}

func TestHighlightAndQuotes(t *testing.T) {
	t.Setenv("NO_COLOR", "1")
	plain := New(NewRenderer(io.Discard, false))
	// Without colour a hit is reverse video (an attribute, not a colour).
	if got := plain.Highlight("x", false); got != "\x1b[7mx\x1b[27m" {
		t.Fatalf("NO_COLOR hit %q", got)
	}
	if plain.QuoteStyle(2).Render("> > x") != "> > x" {
		t.Fatal("NO_COLOR quote has colour")
	}
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.TrueColor)
	s := New(r)
	if h := s.Highlight("x", false); !strings.Contains(h, "48;2;") || strings.Contains(h, "\x1b[7m") {
		t.Fatalf("colour hit %q is not a background", h)
	}
	if s.Highlight("x", true) == s.Highlight("x", false) {
		t.Fatal("the current hit looks like the others")
	}
	if s.QuoteStyle(0).Render("x") != s.Normal.Render("x") {
		t.Fatal("an unquoted line is not Normal")
	}
}
