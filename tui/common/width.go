package common

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
	"golang.org/x/text/unicode/norm"

	"github.com/sesbox/sesbox/mailstore/sanitize"
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
	return eachCluster(line, func(b *strings.Builder, seq string, w int) {
		switch {
		case seq[0] == ansi.ESC || seq[0] == 0x9b || seq[0] == 0x9d:
			b.WriteString(seq) // our own styling
		case w == 0:
			// Layout gave it no cell: a combining mark after ASCII is
			// kept; controls, soft hyphens, zero-width spaces and
			// joiners go.
			if seq[0] >= 0x80 && runeWidths(seq) == 0 && !strings.ContainsAny(seq, invisible) {
				b.WriteString(seq)
			}
		default:
			b.WriteString(sanitize.Cluster(seq, w))
		}
	})
}

// eachCluster returns what draw writes for the grapheme clusters and
// escape sequences of line, each with the cells layout gives it.
func eachCluster(line string, draw func(b *strings.Builder, seq string, w int)) string {
	var b strings.Builder
	b.Grow(len(line))
	var state byte
	for len(line) > 0 {
		seq, w, n, next := ansi.DecodeSequence(line, state, nil)
		state, line = next, line[n:]
		if seq != "" {
			draw(&b, seq, w)
		}
	}
	return b.String()
}

// invisible are the format characters terminals disagree on: some draw
// them, some give them a cell.
const invisible = "\u00ad\u200b\u200c\u200d\u2060\ufeff"

// runeWidths is the width of s drawn rune by rune.
func runeWidths(s string) int { return sanitize.DrawnWidth(s) }

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

// ForTerminal is a rendered frame as the terminal must get it: each line
// through Terminal, or through ASCII when the terminal shows ASCII only.
func (c Common) ForTerminal(frame string) string {
	draw := Terminal
	if c.ASCII {
		draw = ASCII
	}
	lines := strings.Split(frame, "\n")
	for i, l := range lines {
		lines[i] = draw(l)
	}
	return strings.Join(lines, "\n")
}

// ASCII is line for a terminal that shows ASCII only (Common.ASCII: the
// locale is not UTF-8), each character in the cells layout gave it: the
// UI's own marks have ASCII forms ('─' '-', '…' '~', '•' '*', '↑' '^'), a
// letter loses its accents (é e, ｆ f), and anything else is '?' in each
// of its cells (a Korean syllable '??'), as aerc and neomutt draw it.
// Escape sequences (styles) pass unchanged; controls and zero-width
// characters are dropped, as Terminal drops them.
func ASCII(line string) string {
	if isASCIIText(line) {
		return line
	}
	return eachCluster(line, func(b *strings.Builder, seq string, w int) {
		switch {
		case seq[0] == ansi.ESC:
			b.WriteString(seq) // our own styling
		case w == 0:
		case len(seq) == 1 && seq[0] < 0x80:
			b.WriteString(seq)
		default:
			b.WriteString(asciiForm(seq, w))
		}
	})
}

// asciiFallback are the ASCII forms of the characters sesbox draws itself
// (rules, cuts, separators, arrows in the help) and of common punctuation.
var asciiFallback = map[rune]byte{
	'─': '-', '━': '-', '═': '-', '—': '-', '–': '-', '‐': '-', '−': '-',
	'│': '|', '┃': '|', '║': '|',
	'┌': '+', '┐': '+', '└': '+', '┘': '+', '├': '+', '┤': '+', '┬': '+', '┴': '+', '┼': '+',
	'╭': '+', '╮': '+', '╯': '+', '╰': '+',
	'…': '~', '·': '.', '•': '*', '↑': '^', '↓': 'v', '←': '<', '→': '>', '▶': '>', '▸': '>',
	'“': '"', '”': '"', '„': '"', '«': '"', '»': '"', '‘': '\'', '’': '\'', '‚': '\'',
	'\u00a0': ' ', '␠': '_',
	'Ø': 'O', 'ø': 'o', 'Đ': 'D', 'đ': 'd', 'Ł': 'L', 'ł': 'l', 'Æ': 'A', 'æ': 'a', 'Œ': 'O', 'œ': 'o',
	'ß': 's', 'Þ': 'T', 'þ': 't', 'ı': 'i',
}

// asciiForm draws the cluster seq, laid out in w cells, in ASCII.
func asciiForm(seq string, w int) string {
	r, size := utf8.DecodeRuneInString(seq)
	if c, ok := asciiFallback[r]; ok && size == len(seq) && w == 1 {
		return string(c)
	}
	var plain []byte
	for _, d := range norm.NFKD.String(seq) {
		switch {
		case d >= 0x20 && d < 0x7f:
			plain = append(plain, byte(d))
		case unicode.Is(unicode.Mn, d):
		default:
			plain = nil
		}
		if plain == nil {
			break
		}
	}
	if len(plain) > 0 && len(plain) <= w {
		return string(plain) + strings.Repeat(" ", w-len(plain))
	}
	return strings.Repeat("?", w)
}
