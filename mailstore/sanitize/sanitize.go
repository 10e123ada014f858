// Package sanitize makes untrusted message text safe to print on a terminal
// and to reuse in the header fields and file names sesbox writes.
//
// Everything that reaches the screen from a message (subjects, names, bodies,
// file names) is attacker-controlled. A terminal obeys escape sequences in
// what it prints: they can recolour, move the cursor to overwrite lines, set
// the window title, or write the clipboard (OSC 52). So this package removes
// whole sequences, not just the ESC byte, and leaves the rest of the text
// (any script, emoji, combining marks) alone.
package sanitize

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

const (
	esc = 0x1b
	bel = 0x07
	del = 0x7f
)

// C1 controls that open a sequence when a terminal reads them as 8-bit
// introducers (U+0080..U+009F encoded in UTF-8).
const (
	c1DCS = '\u0090'
	c1SOS = '\u0098'
	c1CSI = '\u009b'
	c1ST  = '\u009c'
	c1OSC = '\u009d'
	c1PM  = '\u009e'
	c1APC = '\u009f'
)

// Text makes multi-line text safe for a terminal. It keeps newlines and tabs,
// turns CRLF (and U+2028, U+2029) into LF, and removes every other C0 and C1
// control, DEL and whole
// escape sequences (CSI, OSC, DCS, SOS, PM, APC, two-byte ESC x, a lone ESC).
// Invalid UTF-8 becomes U+FFFD. Bidirectional embeddings, overrides and
// isolates are shown, not applied: each becomes a visible marker (see
// BidiMarker). The marks LRM, RLM and ALM are removed (see isBidiMark).
func Text(s string) string {
	if isPlain(s) {
		// The common case: nothing to remove, no allocation.
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	// marks counts the combining marks on the last character that
	// carries them (carriesMarks), dropped those past maxMarks; the next
	// such character ends the run, after the marker of what it dropped.
	marks, dropped := 0, 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if isMark(r) {
			if marks < maxMarks {
				b.WriteString(s[i : i+size])
			} else {
				dropped++
			}
			marks++
			i += size
			continue
		}
		if carriesMarks(r, s[i+size:]) {
			if dropped > 0 {
				fmt.Fprintf(&b, "<+%d marks>", dropped)
			}
			marks, dropped = 0, 0
		}
		switch {
		case r == utf8.RuneError && size <= 1:
			b.WriteRune(utf8.RuneError)
			i++
		case r == esc:
			i = skipEscape(s, i+1)
		case r == c1CSI:
			i = skipCSI(s, i+size)
		case r == c1OSC, r == c1DCS, r == c1SOS, r == c1PM, r == c1APC:
			i = skipString(s, i+size)
		case r == '\r':
			// CRLF is a line end; a lone CR returns the cursor to the start of
			// the line, which lets a message overwrite what was printed before
			// it ("safe\rEVIL"), so it goes.
			if i+1 < len(s) && s[i+1] == '\n' {
				b.WriteByte('\n')
				i += 2
			} else {
				i++
			}
		case r == '\n', r == '\t':
			b.WriteRune(r)
			i += size
		case r == '\u2028', r == '\u2029':
			// Line and paragraph separators: a line end, said so, rather
			// than a character each terminal (and width count) treats
			// its own way.
			b.WriteByte('\n')
			i += size
		case isControl(r), isBidiMark(r):
			i += size
		case isBidiControl(r), isInvisible(r):
			b.WriteString(BidiMarker(r))
			i += size
		case isTag(r):
			i += size
		default:
			b.WriteString(s[i : i+size])
			i += size
		}
	}
	if dropped > 0 {
		fmt.Fprintf(&b, "<+%d marks>", dropped)
	}
	return b.String()
}

// maxMarks is how many combining marks Text keeps on one character. A
// letter carrying hundreds ("Zalgo" text: 2 KB of them in a subject or an
// S3 key) is drawn by many terminals as a column of marks over the lines
// above and below it: the list's other rows, the flags, the verdicts.
// Real scripts stack fewer: Vietnamese two, pointed and cantillated
// Hebrew four, the deepest Tibetan stacks six.
const maxMarks = 8

// isMark reports a combining mark that draws on the character before it
// (nonspacing and enclosing marks, Unicode categories Mn and Me).
func isMark(r rune) bool {
	return r >= 0x300 && unicode.In(r, unicode.Mn, unicode.Me)
}

// carriesMarks reports whether r, followed by next, is a character the
// marks after it draw on, which ends the run of the marks before it: not
// a mark, not what Text removes (a control, the ESC that starts a
// sequence, a lone CR, a bidi mark) and not a format character (a
// zero-width space): marks on either side of those stack on one letter.
func carriesMarks(r rune, next string) bool {
	switch {
	case r == '\n', r == '\t':
		return true
	case r == '\r':
		return strings.HasPrefix(next, "\n")
	case isMark(r), isControl(r), isBidiMark(r), unicode.Is(unicode.Cf, r):
		return false
	}
	return true
}

// dropMarks is s with no more than maxMarks combining marks on one
// character, the rest dropped without a marker (for a file name).
func dropMarks(s string) string {
	marks := 0
	return strings.Map(func(r rune) rune {
		if !isMark(r) {
			if carriesMarks(r, "") {
				marks = 0
			}
			return r
		}
		if marks++; marks > maxMarks {
			return -1
		}
		return r
	}, s)
}

// BidiMarker is what Text shows in place of an explicit bidirectional
// control (the embeddings and overrides U+202A..U+202E, the isolates
// U+2066..U+2069): its code point spelled out in ASCII, "<U+202E>". Applied, these
// reorder what follows them, so that "invoice\u202Egpj.exe" reads
// "invoiceexe.jpg" and a quoted line can say something else than its
// bytes; removed, they would leave no trace of the trick. Spelled out, the
// reader sees both the text in its real order and that someone tried.
// ASCII, so every terminal and font shows it.
func BidiMarker(r rune) string {
	return fmt.Sprintf("<U+%04X>", r)
}

// isPlain reports whether Text would return s unchanged.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return plainUnicode(s[i:])
		}
		if (c < 0x20 && c != '\n' && c != '\t') || c == del {
			return false
		}
	}
	return true
}

func plainUnicode(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	marks := 0
	for _, r := range s {
		if (isControl(r) && r != '\n' && r != '\t') || isBidiControl(r) || isInvisible(r) || isTag(r) || r == '\u2028' || r == '\u2029' {
			return false
		}
		if !isMark(r) {
			if carriesMarks(r, "") {
				marks = 0
			}
		} else if marks++; marks > maxMarks {
			return false
		}
	}
	return true
}

// isControl reports C0 controls, DEL and C1 controls.
func isControl(r rune) bool {
	return r < 0x20 || (r >= del && r <= 0x9f)
}

// skipEscape returns the index just past the escape sequence whose ESC is
// just before i. The sequence kinds follow ECMA-48 as xterm reads it.
func skipEscape(s string, i int) int {
	if i >= len(s) {
		return i // lone ESC at the end
	}
	switch c := s[i]; {
	case c == '[':
		return skipCSI(s, i+1)
	case c == ']', c == 'P', c == 'X', c == '^', c == '_':
		// OSC, DCS, SOS, PM, APC: control strings running to a terminator.
		return skipString(s, i+1)
	case c >= 0x20 && c <= 0x2f:
		// nF: intermediates then one final byte (ESC ( B selects a charset).
		for i < len(s) && s[i] >= 0x20 && s[i] <= 0x2f {
			i++
		}
		if i < len(s) && s[i] >= 0x30 && s[i] <= 0x7e {
			i++
		}
		return i
	case c >= 0x30 && c <= 0x7e:
		return i + 1 // two-byte ESC x (ESC 7, ESC c, ESC M, ...)
	default:
		// ESC followed by a control or non-ASCII: drop the ESC alone and let
		// the next character be judged on its own.
		return i
	}
}

// skipCSI skips the parameter and intermediate bytes and the final byte of a
// control sequence whose introducer ends just before i. A byte that cannot
// belong to the sequence ends it early and is left for the caller.
func skipCSI(s string, i int) int {
	for i < len(s) && s[i] >= 0x20 && s[i] <= 0x3f {
		i++
	}
	if i < len(s) && s[i] >= 0x40 && s[i] <= 0x7e {
		i++
	}
	return i
}

// skipString skips a control string (OSC, DCS, SOS, PM, APC) up to and
// including its terminator: BEL, ESC \ or the 8-bit ST. An unterminated
// string runs to the end of s, as it would swallow the rest on a terminal.
func skipString(s string, i int) int {
	for i < len(s) {
		switch {
		case s[i] == bel:
			return i + 1
		case s[i] == esc && i+1 < len(s) && s[i+1] == '\\':
			return i + 2
		case strings.HasPrefix(s[i:], string(c1ST)):
			return i + len(string(c1ST))
		}
		i++
	}
	return i
}

// Line makes a one-line field (subject, display name, file name in a list)
// safe: Text (so bidirectional overrides and isolates, which can make
// "exe.pdf" look like "fdp.exe", show as markers, and the marks LRM, RLM
// and ALM are removed), then newlines and tabs fold into one space, and
// surrounding space is trimmed.
func Line(s string) string {
	s = Text(s)
	var b strings.Builder
	b.Grow(len(s))
	folding := false // inside a run of blanks that held a newline or tab
	pending := 0     // plain spaces seen in the current run
	for _, r := range s {
		switch {
		case r == ' ':
			pending++
			continue
		case r == '\n', r == '\t', r == '\u2028', r == '\u2029':
			folding = true
			continue
		}
		flushBlanks(&b, folding, pending)
		folding, pending = false, 0
		b.WriteRune(r)
	}
	flushBlanks(&b, folding, pending)
	return strings.TrimSpace(b.String())
}

// Cell is Line for a column of a table, where each cell must take the
// width a width count gives it: the characters that draw nothing and that
// a terminal and a count read differently are removed too. The zero-width
// space, word joiner and BOM draw nothing but some terminals give them a
// cell; ZWNJ and ZWJ join characters, and an emoji sequence joined by ZWJ
// (a family, a rainbow flag) is counted as one emoji while many terminals
// (and tmux) draw each of its emoji, pushing the columns after it right.
// The bidi controls are Line's markers already. A cluster that is still
// one glyph in layout and several, or a narrower one, in a terminal (a
// variation selector, a skin-tone modifier, a keycap) is drawn as its
// first character in the cells layout gives it (Cluster), so the TUI's
// list and `sesbox ls` line up alike. Data (--json) keeps them all.
func Cell(s string) string {
	return clusters(strings.Map(func(r rune) rune {
		switch r {
		case '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff':
			return -1
		}
		return r
	}, Line(s)))
}

// Key shows an object key where one key must not pass for another (an
// audit's changed, deleted and new objects): a key of printable ASCII
// without spaces is shown as it is, any other is quoted with every byte
// outside printable ASCII escaped (strconv.QuoteToASCII), so a trailing
// space, a Cyrillic "а" for a Latin "a", a bidi control or invalid UTF-8
// shows, and two different keys never show the same. A key that starts
// with a double quote is quoted too, so a quoted key is never mistaken
// for a plain one.
func Key(k string) string {
	for i := 0; i < len(k); i++ {
		if k[i] <= ' ' || k[i] >= del || (i == 0 && k[i] == '"') {
			return strconv.QuoteToASCII(k)
		}
	}
	if k == "" {
		return `""`
	}
	return k
}

// flushBlanks writes a run of blanks: one space if it held a line break or
// tab, else the spaces as they were (two spaces in a subject are the
// sender's choice).
func flushBlanks(b *strings.Builder, folding bool, spaces int) {
	if folding {
		b.WriteByte(' ')
		return
	}
	for range spaces {
		b.WriteByte(' ')
	}
}

// isBidiMark reports the bidi marks LRM, RLM and ALM, which Text removes
// rather than marks. They are invisible and cannot move a letter, but on a
// terminal that applies bidi they still move digits and punctuation
// ("12\u200F 34" shows as "1234 "), so they are never passed through.
// Hebrew and Arabic mail holds them by the hundred (Outlook's &rlm;), where
// markers would bury the text, and without bidi on the screen they have
// nothing left to do. sanitize.JSON still escapes them, so data keeps them.
func isBidiMark(r rune) bool {
	return r == '\u200e' || r == '\u200f' || r == '\u061c'
}

// isInvisible reports characters that draw nothing and have no use in a
// subject, a name or a body line but to hide or blank text: the
// interlinear annotation controls (U+FFF9..U+FFFB), the deprecated format
// characters (U+206A..U+206F), the invisible operators (U+2061..U+2064),
// the musical format controls (U+1D173..U+1D17A) and the Hangul fillers
// (U+115F, U+1160, U+3164, U+FFA0), with which a display name looks blank.
// Text shows them as their code point (BidiMarker). The invisibles real
// text needs (ZWJ in emoji, variation selectors, ZWNJ in Persian, the
// word joiner) are kept; Cell drops the ones a terminal miscounts.
func isInvisible(r rune) bool {
	return (r >= '\ufff9' && r <= '\ufffb') || (r >= '\u206a' && r <= '\u206f') || (r >= '\u2061' && r <= '\u2064') ||
		(r >= 0x1d173 && r <= 0x1d17a) || r == '\u115f' || r == '\u1160' || r == '\u3164' || r == '\uffa0'
}

// isTag reports the tag characters (U+E0000..U+E007F): invisible copies of
// ASCII, which can carry text no reader sees. Text drops them, as Filename
// does and as the list's cells did; an emoji tag sequence (a subdivision
// flag) shows as its base flag.
func isTag(r rune) bool {
	return r >= 0xe0000 && r <= 0xe007f
}

// isBidiControl reports Unicode's Bidi_Control characters: the explicit
// embeddings, overrides and isolates (LRE RLE PDF LRO RLO, LRI RLI FSI
// PDI) and the marks (ALM U+061C, LRM U+200E, RLM U+200F).
func isBidiControl(r rune) bool {
	return (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069') ||
		r == '\u200e' || r == '\u200f' || r == '\u061c'
}

// HeaderValue makes s safe to write as the value of a header field in a
// message we build: a single line with no CR or LF, so a crafted subject or
// name cannot end the field and start another one. Bidirectional
// controls (overrides, isolates, marks) and the invisibles Text marks or
// drops are removed (stripMarked): the value is not for the screen, and a
// marker would put our notation into someone else's mail.
func HeaderValue(s string) string {
	// Line already folds line breaks; the explicit pass states the guarantee
	// this function exists for and keeps it if Line ever changes.
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, Line(stripMarked(s)))
}

// stripMarked removes what Text would show as a marker (bidirectional
// controls, isInvisible) or drop (isTag): a value written into mail gets
// none of our notation.
func stripMarked(s string) string {
	return strings.Map(func(r rune) rune {
		if isBidiControl(r) || isInvisible(r) || isTag(r) {
			return -1
		}
		return r
	}, s)
}

// maxFilenameBytes leaves room under the common 255-byte name limit for a
// " (2)" suffix a caller may add to avoid overwriting a file.
const maxFilenameBytes = 200

// maxExtBytes is the longest tail after the last dot that still counts as an
// extension worth keeping when a name is cut.
const maxExtBytes = 16

// Filename turns the name a sender gave an attachment into a safe base name
// for saving it: never a path, no characters that are invalid on Windows,
// macOS or Linux, no leading dot (hidden or "..") and at most 200 bytes with
// the extension kept. It returns "attachment" when nothing usable remains.
func Filename(name string) string {
	// A name on disk gets no markers: the overrides and the invisibles go
	// (a listing shows them, through Line).
	name = Line(dropMarks(strings.Map(func(r rune) rune {
		if isBidiControl(r) || isInvisibleInName(r) {
			return -1
		}
		return r
	}, name)))
	// Only the last path segment counts, for both separators: a name of
	// "../../etc/passwd" or "C:\x\y.exe" must not choose the directory.
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`:*?"<>|`, r) || isControl(r) || isInvisibleInName(r) {
			return -1
		}
		return r
	}, name)
	// One spelling of each name: "é" composed and decomposed look the
	// same, and two files that look the same in one directory (or one
	// saved over the other on macOS) is a trap.
	name = norm.NFC.String(foldBlanks(name))
	// Leading dots make hidden files (or "..");  Windows drops trailing
	// dots and spaces, so a name ending in them would not be the name saved.
	name = strings.TrimLeft(name, ". ")
	name = strings.TrimRight(name, ". ")
	// A name starting with '-' reads as an option to the command a shell
	// user hands it to ("rm -rf.bin"); '_' in front, as for a reserved
	// name, keeps the rest as sent.
	if isReservedWindowsName(name) || strings.HasPrefix(name, "-") {
		name = "_" + name
	}
	name = truncateName(name, maxFilenameBytes)
	if name == "" {
		return "attachment"
	}
	return name
}

// foldBlanks writes each run of blanks in a file name (spaces of any
// width, the braille blank U+2800, which draws as one) as one space: a
// name of "invoice.pdf", a hundred spaces and ".exe" is shown cut at the
// screen's edge as "invoice.pdf", the ".exe" pushed off it, in a file
// manager as in sesbox's parts list.
func foldBlanks(name string) string {
	var b strings.Builder
	blank := false
	for _, r := range name {
		if unicode.IsSpace(r) || r == '\u2800' {
			if !blank {
				b.WriteByte(' ')
			}
			blank = true
			continue
		}
		blank = false
		b.WriteRune(r)
	}
	return b.String()
}

// isInvisibleInName reports characters that draw nothing and so make a
// file name look like another ("invoice.pdf\u200b.exe" reads
// "invoice.pdf.exe" only once they are gone, "\u3164.txt" looks nameless):
// format characters (zero-width space, word joiner, BOM, soft hyphen, tag
// characters...), the combining grapheme joiner and the Hangul fillers.
// The joiners U+200C and U+200D stay: Persian words and emoji need them.
func isInvisibleInName(r rune) bool {
	switch r {
	case '\u200c', '\u200d':
		return false
	case '\u034f', '\u115f', '\u1160', '\u3164', '\uffa0':
		return true
	}
	return unicode.Is(unicode.Cf, r)
}

// truncateName cuts name to at most limit bytes on a rune boundary, keeping
// a short extension.
func truncateName(name string, limit int) string {
	if len(name) <= limit {
		return name
	}
	ext := ""
	if i := strings.LastIndexByte(name, '.'); i > 0 && len(name)-i <= maxExtBytes {
		ext = name[i:]
	}
	stem := name[:len(name)-len(ext)]
	stem = cutUTF8(stem, limit-len(ext))
	return strings.TrimRight(stem, ". ") + ext
}

// cutUTF8 returns the longest prefix of s of at most n bytes that does not
// split a rune.
func cutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// isReservedWindowsName reports device names Windows will not create as
// files, in any case, with or without an extension and with blanks before
// it (CON, nul.txt, "con .txt", NUL.tar.gz, COM0, LPT¹, CONIN$): Windows
// names the device by the part before the first dot, blanks trimmed.
func isReservedWindowsName(name string) bool {
	stem, _, _ := strings.Cut(name, ".")
	stem = strings.ToUpper(strings.TrimRight(stem, " "))
	switch stem {
	case "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$":
		return true
	}
	port, ok := strings.CutPrefix(stem, "COM")
	if !ok {
		port, ok = strings.CutPrefix(stem, "LPT")
	}
	// COM0-9 and LPT0-9; Windows also reads superscript one to three
	// (ISO 8859-1's only superscript digits) as the digit.
	return ok && (len(port) == 1 && '0' <= port[0] && port[0] <= '9' ||
		port == "\u00b9" || port == "\u00b2" || port == "\u00b3")
}

// JSON returns JSON text b with every character that acts on a terminal
// (DEL, C1 controls, any bidirectional control, the marks included)
// written as a \uXXXX escape:
// encoding/json escapes C0 controls but writes those as they are. A value
// can then be exact (an S3 key a script passes back) and still never act
// on the terminal that shows the output. Outside strings JSON text is
// ASCII without DEL, so every such character is inside a string, where
// the escape is the same character to any JSON reader.
func JSON(b []byte) []byte {
	i := 0
	for i < len(b) && b[i] < utf8.RuneSelf && b[i] != del {
		i++
	}
	if i == len(b) {
		return b
	}
	out := append(make([]byte, 0, len(b)+16), b[:i]...)
	for i < len(b) {
		r, n := utf8.DecodeRune(b[i:])
		if (isControl(r) && r >= del) || unicode.Is(unicode.Bidi_Control, r) {
			out = fmt.Appendf(out, `\u%04x`, r)
		} else {
			out = append(out, b[i:i+n]...)
		}
		i += n
	}
	return out
}
