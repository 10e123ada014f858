// Package common is the small value every TUI component is built with
// (styles, keys, clock, size) and the text helpers they share. It imports no
// component, so every component may import it.
package common

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/textinput"
	"github.com/charmbracelet/x/ansi"

	"github.com/sesbox/sesbox/tui/keys"
	"github.com/sesbox/sesbox/tui/theme"
)

// Common is shared by the root and every component.
type Common struct {
	Styles theme.Styles
	Keys   keys.KeyMap
	// Now is the clock (fixed in tests); Loc is the zone dates are shown in.
	Now func() time.Time
	Loc *time.Location
	// Width and Height are the size of the whole terminal.
	Width, Height int
	// Terminal receives our own control sequences (OSC 52 clipboard); it is
	// the program's output. Nil disables copying.
	Terminal io.Writer
	// Opener is the command that opens a file ($OPENER, else xdg-open).
	Opener string
	// SaveDir is the directory the save prompt offers first.
	SaveDir string
	// ASCII draws every frame in ASCII (ForTerminal): the locale's
	// character set is not UTF-8 (LANG=C), so the terminal would show
	// UTF-8 as several wrong characters each and break the layout.
	ASCII bool
	// JobControl is set when a shell with job control started sesbox, so
	// that something resumes it after ctrl+z (Keys.Global.Suspend).
	JobControl bool
}

// Fit truncates s (already sanitized, one line) to exactly w terminal cells,
// ending in "…" when it was cut and padding with spaces when it is short.
// Widths are display widths: a Korean syllable counts two.
func Fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if ansi.StringWidth(s) > w {
		s = ansi.Truncate(s, w, "…")
	}
	if n := w - ansi.StringWidth(s); n > 0 {
		s += strings.Repeat(" ", n)
	}
	return s
}

// Head is the start of sender text s (not yet sanitized) that fills w
// cells of one line, with "…" after it when s goes on. Blanks are not
// counted: sanitize.Line trims them and folds their runs. The rest could
// never show, and a Subject of megabytes sanitized and measured in whole
// at every frame held the list 180 ms a key. It keeps whole grapheme
// clusters while they fit w cells (a byte bound cut heavily combining
// text, Zalgo, to a few letters and split the last from its marks),
// escape sequences whole and of no width (sanitize drops them), and
// reads at most HeadBytes(w) bytes: a cluster that does not end within
// them is left out whole. Text the sanitizer spells out (<U+202E>) makes
// the line longer, for Fit to cut.
func Head(s string, w int) string {
	if len(s) <= w && isASCIIText(s) {
		return s
	}
	limit := min(len(s), HeadBytes(w))
	for limit > 0 && limit < len(s) && !utf8.RuneStart(s[limit]) {
		limit--
	}
	rest, width, n := s[:limit], 0, 0
	var state byte
	for rest != "" {
		c, cw, cn, st := ansi.DecodeSequence(rest, state, nil)
		if blank(c) {
			cw = 0
		}
		if width+cw > w || (cn == len(rest) && limit < len(s)) {
			// Too wide, or it may go on past the bytes read.
			break
		}
		rest, state, width, n = rest[cn:], st, width+cw, n+cn
	}
	if n == len(s) {
		return s
	}
	return s[:n] + "…"
}

// blank reports whether cluster c is a blank sanitize.Line trims or folds.
func blank(c string) bool {
	return c == " " || c == "\t" || c == "\n" || c == "\r\n" || c == "\r" || c == "\u2028" || c == "\u2029"
}

// HeadBytes is how many bytes of sender text Head reads for w cells: a
// cell of Zalgo text takes some 60.
func HeadBytes(w int) int { return 1024 + 64*max(w, 0) }

// Truncate cuts s, which may hold styling, to at most w cells, ending in
// "…" when it was cut.
func Truncate(s string, w int) string { return ansi.Truncate(s, w, "…") }

// Wrap wraps s to w cells by display width, at spaces only (WrapWords); a
// word wider than w is cut where the line ends.
func Wrap(s string, w int) string {
	w = max(w, 1)
	lines := WrapWords(s, w)
	for i, l := range lines {
		if ansi.StringWidth(l) > w {
			lines[i] = ansi.Hardwrap(l, w, true)
		}
	}
	return strings.Join(lines, "\n")
}

// WrapWords wraps s to w cells by display width at spaces only, never
// inside a word: a word wider than w is left whole on a line of its own,
// for the caller to place or cut. ansi.Wrap also breaks after every
// hyphen, which cut the commands, addresses, keys and dates the TUI shows
// (aws s3api put-bucket-versioning, seoyeon.lee@daehan-logis.example)
// so that they could neither be read nor copied. The spaces where a line
// breaks go; those at its start stay.
func WrapWords(s string, w int) []string {
	var out []string
	// cur is a Builder, not a string grown by +: a run of blanks with no
	// word to break before (a line of tabs, expanded) made that quadratic.
	var cur strings.Builder
	for _, line := range strings.Split(s, "\n") {
		cur.Reset()
		cw, hasWord, broke := 0, false, false
		for i, word := range strings.Split(line, " ") {
			ww := ansi.StringWidth(word)
			if hasWord && cw+1+ww > w {
				out = append(out, cur.String())
				cur.Reset()
				cw, hasWord, broke = 0, false, true
			}
			switch {
			case broke && word == "":
				continue
			case i > 0 && !broke:
				cur.WriteByte(' ')
				cw++
			}
			cur.WriteString(word)
			cw += ww
			hasWord, broke = hasWord || word != "", false
		}
		out = append(out, cur.String())
	}
	return out
}

// Clip cuts s to h lines of at most w cells.
func Clip(s string, w, h int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		if ansi.StringWidth(l) > w {
			lines[i] = Truncate(l, w)
		}
	}
	return strings.Join(lines, "\n")
}

// FitRight is Fit with the padding on the left (for numbers).
func FitRight(s string, w int) string {
	if ansi.StringWidth(s) >= w {
		return Fit(s, w)
	}
	return strings.Repeat(" ", w-ansi.StringWidth(s)) + s
}

// ExpandTabs replaces tabs with spaces up to the next multiple of 8 columns:
// a terminal's tab stops are not measured by width functions, so a tab left
// in place would misalign what follows it.
func ExpandTabs(line string) string {
	if !strings.Contains(line, "\t") {
		return line
	}
	var b strings.Builder
	col := 0
	for _, seg := range strings.SplitAfter(line, "\t") {
		text, tab := strings.CutSuffix(seg, "\t")
		b.WriteString(text)
		col += ansi.StringWidth(text)
		if tab {
			n := 8 - col%8
			b.WriteString(strings.Repeat(" ", n))
			col += n
		}
	}
	return b.String()
}

// NewInput returns a one-line text input drawn with st (never the default
// renderer, which would probe the terminal) and a steady cursor.
func NewInput(st theme.Styles, prompt string) textinput.Model {
	in := textinput.New()
	in.Prompt = prompt
	in.PromptStyle = st.Prompt
	in.TextStyle = st.Normal
	in.PlaceholderStyle = st.Faint
	in.CompletionStyle = st.Faint
	in.Cursor.Style = st.Accent
	in.Cursor.TextStyle = st.Normal
	in.Cursor.SetMode(cursor.CursorStatic)
	in.CharLimit = 1024
	return in
}

// NoticePostedMsg is sent when a component has something to tell the user
// that is not an error (the status line shows it until the next key).
type NoticePostedMsg struct {
	Text string
}

// Location is the zone dates are shown in (Local when unset).
func (c Common) Location() *time.Location {
	if c.Loc != nil {
		return c.Loc
	}
	return time.Local
}

// Width is the width of s in terminal cells, styling left out.
func Width(s string) int { return ansi.StringWidth(s) }

// MinWidth and MinHeight are the smallest terminal the TUI lays out in;
// below it, one line says so (TooSmallView).
const (
	MinWidth  = 40
	MinHeight = 10
)

// TooSmall reports whether a w x h terminal is below MinWidth x MinHeight.
func TooSmall(w, h int) bool { return w < MinWidth || h < MinHeight }

// TooSmallView is the screen of a terminal too small: what it needs and how
// to quit, wrapped over as many lines as it takes (cut only when h is
// smaller), then blank ones, so the terminal keeps its size promise.
func TooSmallView(w, h int) string {
	msg := fmt.Sprintf("too small: %dx%d, needs %dx%d (q quits)", w, h, MinWidth, MinHeight)
	lines := strings.Split(Wrap(msg, w), "\n")
	if len(lines) > h {
		lines = lines[:h]
		lines[h-1] = Truncate(lines[h-1]+" …", w)
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	for i, l := range lines {
		lines[i] = Fit(l, w)
	}
	return strings.Join(lines, "\n")
}

// KeepInView returns the first row to show of a list of n rows, height of
// them on screen, so that the cursor is seen and the screen stays as full
// as the list allows; offset is the first row shown before.
func KeepInView(cursor, offset, height, n int) int {
	height = max(height, 1)
	offset = min(offset, cursor)
	if cursor >= offset+height {
		offset = cursor - height + 1
	}
	return max(min(offset, n-height), 0)
}
