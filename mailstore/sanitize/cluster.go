package sanitize

import (
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
	"github.com/mattn/go-runewidth"
)

// wc is wcwidth as terminals apply it: rune by rune, East Asian ambiguous
// characters narrow (as in every non-CJK locale).
var wc = &runewidth.Condition{EastAsianWidth: false}

// disputed are the characters that make one glyph of several in layout
// (grapheme clusters) but not in many terminals: variation selectors, the
// zero-width joiner, the keycap and the skin-tone modifiers.
const disputed = "\ufe0e\ufe0f\u200d\u20e3\U0001F3FB\U0001F3FC\U0001F3FD\U0001F3FE\U0001F3FF"

// DrawnWidth is the width of s drawn rune by rune, as wcwidth says and
// many terminals (tmux among them) draw it.
func DrawnWidth(s string) int {
	n := 0
	for _, r := range s {
		n += wc.RuneWidth(r)
	}
	return n
}

// Cluster is the grapheme cluster c, given w cells by layout, as a
// terminal drawing rune by rune draws it in the same w cells: c itself
// when the two measures agree, else its first character padded with
// spaces ("❤️" is "❤ ", "👍🏽" is "👍", "1️⃣" is "1"), or spaces only
// when that character is itself disputed. Both the TUI's frames
// (common.Terminal) and every table cell (Cell) go through it, so the two
// show such a cluster alike.
func Cluster(c string, w int) string {
	if DrawnWidth(c) == w && !strings.ContainsAny(c, disputed) {
		return c
	}
	var b strings.Builder
	r, _ := utf8.DecodeRuneInString(c)
	// The character kept must be as wide to both measures itself, or
	// the cell measured again (a table's padding) would be off: a lone
	// regional indicator is two cells in layout and one in wcwidth.
	if fw := wc.RuneWidth(r); fw > 0 && fw <= w && fw == ansi.StringWidth(string(r)) {
		b.WriteRune(r)
		w -= fw
	}
	b.WriteString(strings.Repeat(" ", w))
	return b.String()
}

// clusters is s, without escape sequences, with each grapheme cluster
// through Cluster.
func clusters(s string) string {
	if isPrintableASCII(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	// Measured as layout measures (x/ansi, which lipgloss and the
	// tables' padding use), one cluster at a time; Line left no escape
	// sequence to decode.
	var state byte
	for s != "" {
		c, w, n, next := ansi.DecodeSequence(s, state, nil)
		s, state = s[n:], next
		b.WriteString(Cluster(c, w))
	}
	return b.String()
}

func isPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] >= del {
			return false
		}
	}
	return true
}
