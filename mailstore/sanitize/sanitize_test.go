package sanitize

import (
	"encoding/json"
	"strings"
	"testing"
	"testing/quick"
	"unicode"
	"unicode/utf8"
)

func TestText(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"plain ascii unchanged", "Hello, world\n", "Hello, world\n"},
		{"cjk emoji combining kept", "안녕 日本語 😀 e\u0301", "안녕 日本語 😀 e\u0301"},
		{"tab and newline kept", "a\tb\nc", "a\tb\nc"},
		{"crlf becomes lf", "a\r\nb\r\n", "a\nb\n"},
		{"lone cr overwrite trick", "Your bank\rEVIL", "Your bankEVIL"},
		{"cr at end", "x\r", "x"},
		{"line and paragraph separators end lines", "a\u2028b\u2029c", "a\nb\nc"},
		{"csi colour", "\x1b[31mred\x1b[0m text", "red text"},
		{"csi cursor up and erase", "ok\x1b[1A\x1b[2Kfake", "okfake"},
		{"csi private mode", "\x1b[?1049hx\x1b[?25l", "x"},
		{"csi aborted by newline keeps newline", "\x1b[12\nnext", "\nnext"},
		{"8-bit csi", "a\u009b31mb", "ab"},
		{"osc 0 title with bel", "\x1b]0;pwned\x07after", "after"},
		{"osc 0 title with st", "\x1b]0;pwned\x1b\\after", "after"},
		{"osc with 8-bit st", "\x1b]0;pwned\u009cafter", "after"},
		{"8-bit osc", "\u009d0;pwned\x07after", "after"},
		{"osc 52 clipboard write", "x\x1b]52;c;cm0gLXJmIH4=\x07y", "xy"},
		{"osc 8 hyperlink", "\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\", "click"},
		{"unterminated osc runs to end", "keep\x1b]0;title never ends\nmore", "keep"},
		{"dcs", "a\x1bP1$qm\x1b\\b", "ab"},
		{"8-bit dcs", "a\u0090payload\u009cb", "ab"},
		{"apc", "a\x1b_Gf=100;AAAA\x1b\\b", "ab"},
		{"pm", "a\x1b^private\x1b\\b", "ab"},
		{"sos", "a\x1bXstring\x1b\\b", "ab"},
		{"two byte esc", "a\x1b7b\x1bcc\x1bMd", "abcd"},
		{"charset designation", "\x1b$B$9$_\x1b(Bx", "$9$_x"},
		{"lone esc at end", "abc\x1b", "abc"},
		{"esc before newline", "a\x1b\nb", "a\nb"},
		{"nul and bell", "a\x00b\x07c", "abc"},
		{"del", "a\x7fb", "ab"},
		{"other c1", "a\u0085b\u0080c", "abc"},
		{"backspace", "abc\b\b\bxyz", "abcxyz"},
		{"invalid utf8", "a\xffb\xc3", "a\ufffdb\ufffd"},
		{"rlo shown as a marker", "a\u202eb", "a<U+202E>b"},
		{"every override and isolate shown", "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069", "<U+202A><U+202B><U+202C><U+202D><U+202E><U+2066><U+2067><U+2068><U+2069>"},
		{"lrm rlm alm removed", "a\u200eb\u200fc\u061cd", "abcd"},
		{"rlm cannot move digits", "12\u200f 34", "12 34"},
		{"hebrew with marks reads plainly", "\u200fשלום\u200f, 100\u200e ₪", "שלום, 100 ₪"},
		{"marker survives a line break", "x\u2067\r\ny", "x<U+2067>\ny"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Text(tt.in); got != tt.want {
				t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestLine(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"plain", "Re: hello", "Re: hello"},
		{"trims", "  hi  ", "hi"},
		{"newlines fold to one space", "a\r\n\r\nb", "a b"},
		{"tab folds", "a\t\tb", "a b"},
		{"spaces next to newline fold", "a \n b", "a b"},
		{"double space kept", "a  b", "a  b"},
		{"rlo override shown", "invoice\u202egpj.exe", "invoice<U+202E>gpj.exe"},
		{"all overrides and isolates shown", "\u202a\u202b\u202c\u202d\u202ex\u2066\u2067\u2068\u2069", "<U+202A><U+202B><U+202C><U+202D><U+202E>x<U+2066><U+2067><U+2068><U+2069>"},
		{"lrm rlm alm removed", "a\u200eb\u200fc\u061cd", "abcd"},
		{"escape removed", "\x1b[2J\x1b[HSubject", "Subject"},
		{"title set removed", "hi\x1b]0;evil\x07", "hi"},
		{"line separator folds", "a\u2028b", "a b"},
		{"cjk kept", "  日本語の件名 ", "日本語の件名"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Line(tt.in); got != tt.want {
				t.Errorf("Line(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestHeaderValue(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"plain", "Re: report", "Re: report"},
		{"crlf injection", "hi\r\nBcc: victim@example.com", "hi Bcc: victim@example.com"},
		{"lf injection", "hi\nBcc: x@example.com", "hi Bcc: x@example.com"},
		{"lone cr", "hi\rBcc: x", "hiBcc: x"},
		{"nul", "a\x00b", "ab"},
		{"8-bit nel", "a\u0085b", "ab"},
		{"bidi removed, no marker", "Re: \u202eevil\u2069", "Re: evil"},
		{"marks removed, no marker", "Re: \u200fx\u200e\u061c", "Re: x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := HeaderValue(tt.in)
			if got != tt.want {
				t.Errorf("HeaderValue(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if strings.ContainsAny(got, "\r\n") {
				t.Errorf("HeaderValue(%q) = %q still holds a line break", tt.in, got)
			}
		})
	}
}

func TestFilename(t *testing.T) {
	long := strings.Repeat("a", 300) + ".pdf"
	longCJK := strings.Repeat("日", 100) + ".pdf" // 196 bytes left for the stem: mid-rune
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"plain", "report.pdf", "report.pdf"},
		{"unix traversal", "../../etc/passwd", "passwd"},
		{"windows path", `C:\x\y.exe`, "y.exe"},
		{"mixed separators", `..\../a/b\c.txt`, "c.txt"},
		{"dot dot only", "..", "attachment"},
		{"trailing slash", "dir/", "attachment"},
		{"hidden file", ".bashrc", "bashrc"},
		{"empty", "", "attachment"},
		{"only spaces", "   ", "attachment"},
		// A run of blanks pushed the real extension off the screen.
		{"run of spaces", "invoice.pdf" + strings.Repeat(" ", 100) + ".exe", "invoice.pdf .exe"},
		{"run of wide blanks", "a.pdf\u3000\u2800\u00a0\u2003.scr", "a.pdf .scr"},
		{"invalid characters", `a:b*c?d"e<f>g|h.txt`, "abcdefgh.txt"},
		{"controls and escapes", "a\x00b\x1b[31mc\x1b]0;t\x07.txt", "abc.txt"},
		{"bidi override removed, no marker", "invoice\u202egpj.exe", "invoicegpj.exe"},
		{"bidi override", "invoice\u202egpj.exe", "invoicegpj.exe"},
		{"newline", "a\nb.txt", "a b.txt"},
		{"trailing dots and spaces", "name.txt. . ", "name.txt"},
		{"reserved device name", "CON.txt", "_CON.txt"},
		{"reserved lower case", "nul", "_nul"},
		{"reserved COM0", "COM0", "_COM0"},
		{"reserved LPT0", "lpt0.log", "_lpt0.log"},
		{"reserved COM superscript one", "COM\u00b9", "_COM\u00b9"},
		{"reserved COM superscript two", "com\u00b2.txt", "_com\u00b2.txt"},
		{"reserved LPT superscript three", "LPT\u00b3", "_LPT\u00b3"},
		{"reserved CONIN$", "CONIN$", "_CONIN$"},
		{"reserved CONOUT$", "conout$.txt", "_conout$.txt"},
		{"reserved blank before extension", "con .txt", "_con .txt"},
		{"reserved double extension", "NUL.tar.gz", "_NUL.tar.gz"},
		{"reserved trailing dot and space", "aux. ", "_aux"},
		{"reserved after path", "../../PRN.txt", "_PRN.txt"},
		{"not reserved COM10", "COM10", "COM10"},
		// A name a shell user passes on would read as an option.
		{"leading dash", "-rf.bin", "_-rf.bin"},
		{"leading double dash", "--help", "_--help"},
		{"dash only", "-", "_-"},
		{"dash after path", "../-n.txt", "_-n.txt"},
		{"dash after dots and blanks", ". -x.sh", "_-x.sh"},
		{"inner dash kept", "a-b.txt", "a-b.txt"},
		{"not reserved superscript four", "COM\u2074", "COM\u2074"},
		{"not reserved CONSOLE", "console.txt", "console.txt"},
		{"NUL byte", "a\x00b.txt", "ab.txt"},
		{"absolute unix", "/etc/passwd", "passwd"},
		{"absolute windows UNC", `\\server\share\x.exe`, "x.exe"},
		{"dot dot slash only", "../..", "attachment"},
		{"dots and blanks only", ". . .", "attachment"},
		{"controls only", "\x00\x1b[31m\x07", "attachment"},
		{"cjk kept", "報告書.pdf", "報告書.pdf"},
		{"long keeps extension", long, strings.Repeat("a", 196) + ".pdf"},
		{"long cjk cut on rune boundary", longCJK, strings.Repeat("日", 65) + ".pdf"},
		{"long without extension", strings.Repeat("b", 250), strings.Repeat("b", 200)},
		// Two names that look the same are one name on disk.
		{"decomposed accent composed", "e\u0301te\u0301.pdf", "\u00e9t\u00e9.pdf"},
		{"invisible characters removed", "in\u200bvoice\u2060.pdf\ufeff\u00ad", "invoice.pdf"},
		{"invisible before extension", "invoice.pdf\u200b.exe", "invoice.pdf.exe"},
		{"tag characters removed", "a\U000E0041\U000E007F.txt", "a.txt"},
		{"hangul filler removed", "\u3164\u115f.txt", "txt"},
		{"joiners kept in emoji", "\U0001F468\u200d\U0001F4BB.png", "\U0001F468\u200d\U0001F4BB.png"},
		{"zwnj kept in persian", "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645.pdf", "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645.pdf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Filename(tt.in)
			if got != tt.want {
				t.Errorf("Filename(%q) = %q, want %q", tt.in, got, tt.want)
			}
			checkFilename(t, tt.in, got)
		})
	}
}

// checkFilename asserts the guarantees Filename gives for any input.
func checkFilename(t *testing.T, in, got string) {
	t.Helper()
	if got == "" || len(got) > maxFilenameBytes || !utf8.ValidString(got) {
		t.Errorf("Filename(%q) = %q: empty, too long or invalid UTF-8", in, got)
	}
	if strings.ContainsAny(got, "/\\:*?\"<>|") || strings.HasPrefix(got, ".") || isReservedWindowsName(got) {
		t.Errorf("Filename(%q) = %q: holds a separator, reserved character or leading dot", in, got)
	}
	for _, r := range got {
		if isControl(r) || isBidiControl(r) {
			t.Errorf("Filename(%q) = %q: holds control %U", in, got, r)
		}
	}
}

// checkText asserts what Text guarantees for any input: valid UTF-8 with no
// control character but newline and tab.
func checkText(t *testing.T, in, got string) {
	t.Helper()
	if !utf8.ValidString(got) {
		t.Fatalf("Text(%q) = %q is not valid UTF-8", in, got)
	}
	for _, r := range got {
		if (isControl(r) && r != '\n' && r != '\t') || unicode.Is(unicode.Bidi_Control, r) {
			t.Fatalf("Text(%q) = %q holds control %U", in, got, r)
		}
	}
}

var fuzzSeeds = []string{
	"",
	"plain",
	"\x1b[31mred\x1b[0m",
	"\x1b]0;title\x07",
	"\x1b]52;c;Zm9v\x1b\\",
	"\x1bP1$q\x1b\\",
	"\u009b2J",
	"\u009d0;x\u009c",
	"a\r\nb\rc",
	"\xff\xfe\x1b",
	"x\u202ey\u2066z",
	"12\u200f 34\u200e\u061c",
	"../../etc/passwd",
	`C:\x\y.exe`,
}

func FuzzText(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Text(s)
		checkText(t, s, got)
		if again := Text(got); again != got {
			t.Fatalf("Text is not idempotent: %q -> %q -> %q", s, got, again)
		}
		// Text without controls changes only by its bidi controls (every
		// one of Unicode's Bidi_Control): the marks removed, the others
		// shown as their marker, in place.
		if utf8.ValidString(s) && !strings.ContainsFunc(s, isControl) && !strings.ContainsAny(s, "\u2028\u2029") {
			var want strings.Builder
			for _, r := range s {
				switch {
				case isBidiMark(r): // removed
				case unicode.Is(unicode.Bidi_Control, r):
					want.WriteString(BidiMarker(r))
				default:
					want.WriteRune(r)
				}
			}
			if got != want.String() {
				t.Fatalf("Text(%q) = %q, want %q", s, got, want.String())
			}
		}
	})
}

func FuzzLine(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Line(s)
		checkText(t, s, got)
		if strings.ContainsAny(got, "\n\t") {
			t.Fatalf("Line(%q) = %q holds a newline or tab", s, got)
		}
		for _, r := range got {
			if unicode.Is(unicode.Bidi_Control, r) {
				t.Fatalf("Line(%q) = %q holds bidi control %U", s, got, r)
			}
		}
		if got != strings.TrimSpace(got) {
			t.Fatalf("Line(%q) = %q is not trimmed", s, got)
		}
		if again := Line(got); again != got {
			t.Fatalf("Line is not idempotent: %q -> %q -> %q", s, got, again)
		}
		if hv := HeaderValue(s); strings.ContainsAny(hv, "\r\n") || strings.ContainsFunc(hv, func(r rune) bool { return unicode.Is(unicode.Bidi_Control, r) }) {
			t.Fatalf("HeaderValue(%q) = %q holds a line break or bidi control", s, hv)
		}
	})
}

func FuzzFilename(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkFilename(t, s, Filename(s))
	})
}

// FuzzJSON: for any string, the JSON text of it after JSON decodes to
// what the JSON text before did (the string itself, when it is UTF-8),
// and holds nothing Text would change: no character that acts on a
// terminal.
func FuzzJSON(f *testing.F) {
	for _, s := range []string{"inbox/abc", "a\u202egpj.exe", "\x1b[31m\u009b2J\x7f", "x\u2066y\u2069", "\xff\xfe", "日本\t\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := json.Marshal(map[string]string{"key": s})
		if err != nil {
			t.Fatal(err)
		}
		out := JSON(b)
		var before, after map[string]string
		if err := json.Unmarshal(b, &before); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(out, &after); err != nil {
			t.Fatalf("JSON(%q) = %q: %v", b, out, err)
		}
		if after["key"] != before["key"] || (utf8.ValidString(s) && after["key"] != s) {
			t.Fatalf("JSON(%q) decodes to %q, want %q", b, after["key"], before["key"])
		}
		if !isPlain(string(out)) || strings.ContainsFunc(string(out), func(r rune) bool { return unicode.Is(unicode.Bidi_Control, r) }) {
			t.Fatalf("JSON(%q) = %q still holds a control", b, out)
		}
	})
}

// TestBidiControlIsUnicodes checks that what Text marks and HeaderValue
// strips is exactly Unicode's Bidi_Control, so no bidi control reaches a
// terminal raw (LRM, RLM and ALM did).
func TestBidiControlIsUnicodes(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if isBidiControl(r) != unicode.Is(unicode.Bidi_Control, r) {
			t.Errorf("isBidiControl(%U) = %v, Unicode's Bidi_Control says %v", r, isBidiControl(r), !isBidiControl(r))
		}
	}
}

// TestCombiningMarksAreCapped: a letter carrying hundreds of combining
// marks ("Zalgo" text, 2 KB of them in a subject or an S3 key) is drawn
// by many terminals as a column of marks over the lines above and below:
// over the list's other rows, the flags and the verdicts. A letter keeps
// its first maxMarks marks, and a marker says how many more there were;
// a file name keeps them without a marker. Real scripts stack fewer.
func TestCombiningMarksAreCapped(t *testing.T) {
	zalgo := "a" + strings.Repeat("\u0301", 2000) + "b"
	want := "a" + strings.Repeat("\u0301", maxMarks) + "<+1992 marks>b"
	if got := Text(zalgo); got != want {
		t.Errorf("Text = %q, want %q", got, want)
	}
	if got := Line(zalgo + "\n"); got != want {
		t.Errorf("Line = %q, want %q", got, want)
	}
	if got := Filename("a" + strings.Repeat("\u0301", 600) + ".txt"); got != "\u00e1"+strings.Repeat("\u0301", maxMarks-1)+".txt" {
		t.Errorf("Filename = %q", got)
	}
	// What Text removes, or draws no cell, between runs of marks does not
	// part them: they would stack on the same letter.
	for _, sep := range []string{"\x07", "\r", "\x1b[31m", "\u200b", "\u200f"} {
		s := "a" + strings.Repeat(strings.Repeat("\u0301", maxMarks)+sep, 50) + "b"
		if got := strings.Count(Text(s), "\u0301"); got != maxMarks {
			t.Errorf("marks parted by %q: %d kept, want %d", sep, got, maxMarks)
		}
	}
	for _, real := range []string{
		"Vie\u0302\u0323t",                     // Vietnamese, decomposed
		"\u05e9\u05c1\u05bc\u05b8\u0591\u05c3", // Hebrew: shin dot, dagesh, qamats, a cantillation mark
		"\u0f67\u0fb5\u0fb1\u0fad\u0f74\u0f7e", // a Tibetan stack
		"1\ufe0f\u20e3",                        // a keycap emoji
	} {
		if got := Text(real); got != real {
			t.Errorf("Text(%q) = %q: real text changed", real, got)
		}
	}
}

// TestKeyShowsEveryKeyApart: Line trims a key's trailing space and
// drops a bidi mark, and shows a Cyrillic look-alike as the Latin letter
// it imitates: an audit listed "new inbox/abc " as "new inbox/abc", the
// key it passes for. Key shows every key apart, in printable ASCII, and
// leaves a plain key as it is.
func TestKeyShowsEveryKeyApart(t *testing.T) {
	for in, want := range map[string]string{
		"inbox/0vneinmetj3r4m9ltdtl5drpnghlppk2eqp3vjne": "inbox/0vneinmetj3r4m9ltdtl5drpnghlppk2eqp3vjne",
		"inbox/abc ":       `"inbox/abc "`,
		" inbox/abc":       `" inbox/abc"`,
		"inbox/\u0430bc":   `"inbox/\u0430bc"`,
		"inbox/abc\u200e":  `"inbox/abc\u200e"`,
		"inbox/a\x1b[31mb": `"inbox/a\x1b[31mb"`,
		"inbox/a\xffb":     `"inbox/a\xffb"`,
		`"inbox/abc"`:      `"\"inbox/abc\""`,
		"inbox%2Fabc":      "inbox%2Fabc",
		"":                 `""`,
	} {
		if got := Key(in); got != want {
			t.Errorf("Key(%q) = %s, want %s", in, got, want)
		}
	}
	f := func(a, b string) bool {
		ka, kb := Key(a), Key(b)
		for _, r := range ka {
			if r < ' ' || r > '~' {
				return false
			}
		}
		return (a == b) == (ka == kb)
	}
	if err := quick.Check(f, &quick.Config{MaxCount: 5000}); err != nil {
		t.Error(err)
	}
	for _, pair := range [][2]string{{"inbox/abc", "inbox/abc "}, {"inbox/abc", `"inbox/abc"`}, {"inbox/abc", "inbox/\u0430bc"}} {
		if !f(pair[0], pair[1]) {
			t.Errorf("%q and %q show the same", pair[0], pair[1])
		}
	}
}

// TestInvisibleCharactersShowOrGo: characters that draw nothing at all
// reached `show`'s header lines and the viewer, where the list (through
// Cell's clusters) already dropped some of them: tag characters (ASCII
// smuggled invisibly), the interlinear annotation controls, the deprecated
// format characters and the Hangul fillers, which make a display name look
// blank. Tags go (as Filename drops them); the others show as their
// code point, as the bidi controls do, so a name of fillers is not blank.
func TestInvisibleCharactersShowOrGo(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"a\U000E0041\U000E0042b", "ab"},
		{"\ufff9x\ufffay\ufffb", "<U+FFF9>x<U+FFFA>y<U+FFFB>"},
		{"a\u206ab\u206f", "a<U+206A>b<U+206F>"},
		{"\u3164", "<U+3164>"},
		{"\u115f\u1160\uffa0", "<U+115F><U+1160><U+FFA0>"},
		{"a\u2061b\u2064", "a<U+2061>b<U+2064>"},
		{"\U0001D173x\U0001D17A", "<U+1D173>x<U+1D17A>"},
		{"한국어 👍🏽 e\u0301", "한국어 👍🏽 e\u0301"}, // real text untouched
	} {
		if got := Text(tc.in); got != tc.want {
			t.Errorf("Text(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := Line(tc.in); got != strings.TrimSpace(tc.want) {
			t.Errorf("Line(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := Line("\u3164 \u3164"); strings.TrimSpace(got) == "" {
		t.Errorf("a name of Hangul fillers shows blank: %q", got)
	}
}

// TestHeaderValueGetsNoMarkers: what Text marks or drops is removed from a
// value written into mail, never written as our "<U+...>" notation.
func TestHeaderValueGetsNoMarkers(t *testing.T) {
	if got := HeaderValue("Re: a\ufff9b\u3164c\U000E0041\u202ed"); got != "Re: abcd" {
		t.Errorf("HeaderValue = %q", got)
	}
}
