package common

import (
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
	"github.com/mattn/go-runewidth"
)

// Terminal makes a rendered line occupy on a terminal the cells it was laid
// out in. Layout measures grapheme clusters (x/ansi over uniseg), but many
// terminals, tmux among them, draw rune by rune as wcwidth says: a soft
// hyphen (U+00AD) takes a cell there and none in layout, a ZWJ emoji
// sequence or a skin-tone modifier two glyphs instead of one, "❤️" one cell
// instead of two. One such character per line pushes the status line off
// the screen or leaves fragments of the previous frame. So every cluster on
// which the two measures disagree is replaced by what both agree on, of the
// width layout gave it: invisible ones are dropped, others keep their first
// character, padded with spaces. Escape sequences (styles) pass unchanged,
// and control characters (a stray tab) are dropped: layout gave them no
// cell. Lines that are plain ASCII, the usual case, are returned as they are.
func Terminal(line string) string {
	if isASCIIText(line) {
		return line
	}
	var b strings.Builder
	b.Grow(len(line))
	var state byte
	for len(line) > 0 {
		seq, w, n, next := ansi.DecodeSequence(line, state, nil)
		state = next
		line = line[n:]
		switch {
		case seq == "":
			continue
		case seq[0] == ansi.ESC || seq[0] == 0x9b || seq[0] == 0x9d:
			b.WriteString(seq) // our own styling
		case w == 0:
			// Layout gave it no cell: a combining mark after ASCII is
			// kept; controls, soft hyphens, zero-width spaces and
			// joiners go.
			if seq[0] >= 0x80 && runeWidths(seq) == 0 && !strings.ContainsAny(seq, invisible) {
				b.WriteString(seq)
			}
		case runeWidths(seq) == w && !strings.ContainsAny(seq, disputed):
			b.WriteString(seq)
		default:
			r, _ := utf8.DecodeRuneInString(seq)
			if fw := wc.RuneWidth(r); fw > 0 && fw <= w {
				b.WriteRune(r)
				w -= fw
			}
			b.WriteString(strings.Repeat(" ", w))
		}
	}
	return b.String()
}

// wc is wcwidth as terminals apply it: rune by rune, East Asian ambiguous
// characters narrow (as in every non-CJK locale).
var wc = &runewidth.Condition{EastAsianWidth: false}

// invisible are the format characters terminals disagree on: some draw
// them, some give them a cell.
const invisible = "\u00ad\u200b\u200c\u200d\u2060\ufeff"

// disputed are the characters that make one glyph of several in layout but
// not in many terminals: variation selectors, the zero-width joiner, the
// keycap and the skin-tone modifiers.
const disputed = "\ufe0e\ufe0f\u200d\u20e3\U0001F3FB\U0001F3FC\U0001F3FD\U0001F3FE\U0001F3FF"

// runeWidths is the width of s drawn rune by rune.
func runeWidths(s string) int {
	n := 0
	for _, r := range s {
		n += wc.RuneWidth(r)
	}
	return n
}

// isASCIIText reports whether s is printable ASCII and escape sequences
// only (nothing to measure twice).
func isASCIIText(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 || (c < 0x20 && c != ansi.ESC) || c == 0x7f {
			return false
		}
	}
	return true
}

// DrawnWidth is how many cells a terminal that draws rune by rune gives s
// (styling left out): tests check every line of a frame with it.
func DrawnWidth(s string) int { return runeWidths(ansi.Strip(s)) }
