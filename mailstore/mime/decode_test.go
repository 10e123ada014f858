package mime

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/testutil/cpubudget"
)

// encode returns s in the given charset, as a sender's mailer would write it.
func encode(t testing.TB, e encoding.Encoding, s string) []byte {
	t.Helper()
	b, err := e.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatalf("encode %q: %v", s, err)
	}
	return b
}

// bWord builds an RFC 2047 B encoded-word from raw bytes.
func bWord(label string, b []byte) string {
	return "=?" + label + "?B?" + base64.StdEncoding.EncodeToString(b) + "?="
}

// charsetCases are the charsets the brief names, each with a label as it
// appears in mail, the encoder that makes the bytes, and sample text.
var charsetCases = []struct {
	label string
	enc   encoding.Encoding
	text  string
}{
	{"EUC-KR", korean.EUCKR, "한국어 메일 제목"},
	{"ks_c_5601-1987", korean.EUCKR, "안녕하세요 여러분"},
	{"ISO-2022-JP", japanese.ISO2022JP, "日本語の件名です"},
	{"Shift_JIS", japanese.ShiftJIS, "シフトジスの本文"},
	// GBK is a superset of GB2312 and what mailers labelling GB2312 emit.
	{"GB2312", simplifiedchinese.GBK, "代开各地发票"},
	{"GBK", simplifiedchinese.GBK, "简体中文邮件"},
	{"GB18030", simplifiedchinese.GB18030, "中文𠀀测试"},
	{"Big5", traditionalchinese.Big5, "繁體中文郵件"},
	{"windows-1251", charmap.Windows1251, "Привет, мир"},
	{"KOI8-R", charmap.KOI8R, "Список дел"},
	{"iso-8859-1", charmap.ISO8859_1, "Grüße aus Köln"},
}

func TestWordsCharsets(t *testing.T) {
	for _, c := range charsetCases {
		t.Run(c.label, func(t *testing.T) {
			d := &decoder{}
			in := "Re: " + bWord(c.label, encode(t, c.enc, c.text))
			if got, want := d.text(in), "Re: "+c.text; got != want {
				t.Errorf("text(%q) = %q, want %q", in, got, want)
			}
			if len(d.warnings) != 0 {
				t.Errorf("warnings = %q, want none", d.warnings)
			}
		})
	}
}

func TestWords(t *testing.T) {
	euro := encode(t, charmap.Windows1252, "€")
	tests := []struct {
		name     string
		in       string
		want     string
		warnings int
	}{
		{"plain text untouched", "Hello there", "Hello there", 0},
		{"q with underscores", "=?utf-8?q?caf=C3=A9_cr=C3=A8me?=", "café crème", 0},
		{"lower-case b", "=?utf-8?b?w7xiZXI=?=", "über", 0},
		{"space between words dropped", "=?utf-8?q?a?= =?utf-8?q?b?=", "ab", 0},
		{"fold between words dropped", "=?utf-8?q?a?=\r\n\t=?utf-8?q?b?=", "ab", 0},
		{"space to text kept", "=?utf-8?q?a?= b", "a b", 0},
		{"utf-8 split across words", "=?utf-8?B?5pel?= =?utf-8?B?5pys?=" + " =?utf-8?B?6Kqe?=", "日本語", 0},
		{"multibyte split mid-character", bWord("utf-8", []byte{0xe6, 0x97}) + " " + bWord("UTF-8", []byte{0xa5}), "日", 0},
		{"charset with language", "=?utf-8*en?q?hi?=", "hi", 0},
		{"missing base64 padding", "=?utf-8?B?VEVTVA?=", "TEST", 0},
		{"bad base64 padding, unknown charset", "=?NONE?B?VEVTVA=?=", "TEST", 1},
		{"unknown charset utf-8 bytes", "=?X-IAS-German?B?bXlHb3Y=?=", "myGov", 1},
		{"unknown charset latin bytes", bWord("x-made-up", euro), "€", 1},
		{"unknown encoding letter left alone", "=?utf-8?X?abc?=", "=?utf-8?X?abc?=", 0},
		{"unterminated word left alone", "=?utf-8?q?abc", "=?utf-8?q?abc", 0},
		{"stray equals in q", "=?utf-8?q?100=_sure?=", "100= sure", 0},
		{"different charsets adjacent", "=?iso-8859-1?q?caf=E9?= =?utf-8?q?_ok?=", "café ok", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &decoder{}
			if got := d.text(tt.in); got != tt.want {
				t.Errorf("text(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if len(d.warnings) != tt.warnings {
				t.Errorf("warnings = %q, want %d", d.warnings, tt.warnings)
			}
		})
	}
}

func TestRaw8bitHeader(t *testing.T) {
	cp1251 := string(encode(t, charmap.Windows1251, "Тема письма"))
	tests := []struct {
		name     string
		fallback encoding.Encoding
		in       string
		want     string
	}{
		{"utf-8 is RFC 6532", nil, "Säying Hello", "Säying Hello"},
		{"body charset decodes raw 8-bit", charmap.Windows1251, cp1251, "Тема письма"},
		{"no fallback reads windows-1252", nil, "J\xfcrgen \x93Q\x94", "Jürgen “Q”"},
		{"a fallback that fails reads windows-1252", japanese.ShiftJIS, "Fr\xf6sche\x80", "Frösche€"},
		{"raw bytes in an encoded-word are in its charset", nil, "=?iso-8859-1?Q?J\xfcrgen?= M\xfcller", "Jürgen Müller"},
		{"and in a word's koi8-r", charmap.Windows1251, "=?koi8-r?Q?" + string(encode(t, charmap.KOI8R, "тема")) + "?= " + cp1251, "тема Тема письма"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &decoder{fallback: tt.fallback}
			if got := d.text(tt.in); got != tt.want {
				t.Errorf("text(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestLookupCharset(t *testing.T) {
	for _, label := range []string{"ks_c_5601-1987", "X-GBK", "gb2312", "cp1251", "CP936", "koi8-u", "Windows-31J", `"utf-8"`, "iso-2022-jp", "big5-hkscs", "UTF-7", "unicode-1-1-utf-7"} {
		if lookupCharset(label) == nil {
			t.Errorf("lookupCharset(%q) = nil, want an encoding", label)
		}
	}
	for _, label := range []string{"", "x-ias-german", "none", "unknown-8bit", "8859-", "8859-x", "iso8859_99"} {
		if lookupCharset(label) != nil {
			t.Errorf("lookupCharset(%q) found an encoding, want nil", label)
		}
	}
	// The labels enmime's own table decodes a body in are read as it
	// reads them, so a Subject in one is not an unknown charset.
	for label, want := range map[string]encoding.Encoding{
		"8859-2": charmap.ISO8859_2, "8859_15": charmap.ISO8859_15, "iso8859_7": charmap.ISO8859_7,
		"8859-1": charmap.Windows1252, "cp-850": charmap.CodePage850, "136": traditionalchinese.Big5,
		"238": charmap.Windows1250, "WE8ISO8859P1": charmap.Windows1252,
	} {
		if got := lookupCharset(label); got != want {
			t.Errorf("lookupCharset(%q) = %v, want %v", label, got, want)
		}
	}
}

func TestDecodeBodyUnknownCharset(t *testing.T) {
	d := &decoder{}
	latin := encode(t, charmap.Windows1252, "naïve café")
	if got := d.decodeBody("x-unknown", latin); got != "naïve café" {
		t.Errorf("decodeBody = %q", got)
	}
	if len(d.warnings) != 1 || !strings.Contains(d.warnings[0], "x-unknown") {
		t.Errorf("warnings = %q, want one naming the charset", d.warnings)
	}
}

// TestRaw8bitNamesInMessages: raw 8-bit bytes in a message's header and in
// its parts' file names are read with the nearest declared charset (the
// part's own for a file name), else as windows-1252, never as U+FFFD.
func TestRaw8bitNamesInMessages(t *testing.T) {
	koi8 := string(encode(t, charmap.KOI8R, "отчёт.txt"))
	raw := "From: J\xfcrgen <j@example.com>\r\nTo: M\xfcller <m@example.com>\r\nSubject: Fr\xf6sche\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nhi\r\n" +
		"--b\r\nContent-Type: text/plain; charset=koi8-r; name=\"" + koi8 + "\"\r\nContent-Disposition: attachment; filename=\"" + koi8 + "\"\r\n\r\nx\r\n" +
		"--b\r\nContent-Type: application/octet-stream; name=\"Fr\xf6sche.bin\"\r\nContent-Disposition: attachment; filename=\"Fr\xf6sche.bin\"\r\n\r\nx\r\n" +
		"--b--\r\n"
	s := Summarize([]byte(raw))
	if s.From.Name != "Jürgen" || len(s.To) != 1 || s.To[0].Name != "Müller" || s.Subject != "Frösche" {
		t.Errorf("summary From %q To %q Subject %q, want Jürgen, Müller, Frösche", s.From.Name, s.To, s.Subject)
	}
	v := Parse([]byte(raw))
	var names []string
	for _, p := range v.Attachments() {
		names = append(names, p.Filename)
	}
	if want := []string{"отчёт.txt", "Frösche.bin"}; strings.Join(names, "|") != strings.Join(want, "|") {
		t.Errorf("attachment names %q, want %q", names, want)
	}
	if !strings.Contains(strings.Join(v.Warnings, "\n"), "windows-1252") {
		t.Errorf("warnings %q do not say the header was read as windows-1252", v.Warnings)
	}
}

// TestRaw8bitEnvelopeIsNotGuessed: SES's Received line speaks for SES, so
// bytes in its recipient that are not UTF-8 name no address; the sender's
// charset (or windows-1252) never turns them into one.
func TestRaw8bitEnvelopeIsNotGuessed(t *testing.T) {
	for _, ctype := range []string{"text/plain; charset=windows-1251", "text/plain"} {
		raw := "Received: from x by inbound-smtp.us-east-1.amazonaws.com with SMTP id q for <a\xe0b@example.com>; Fri, 11 Mar 2016 06:20:55 +0000\r\n" +
			"X-SES-Spam-Verdict: PASS\r\nFrom: a@example.com\r\nContent-Type: " + ctype + "\r\n\r\nhi\r\n"
		if s := Summarize([]byte(raw)); len(s.Recipients) != 0 {
			t.Errorf("%s: Recipients = %q, want none", ctype, s.Recipients)
		}
	}
}

// TestUTF7Words: UTF-7 encoded-words (old Outlook, some webmail) decode as
// the body in that charset already did, in names and subjects.
func TestUTF7Words(t *testing.T) {
	raw := "From: =?utf-7?Q?J+APw-rgen?= <j@example.com>\r\nSubject: =?UTF-7?B?R3IrQVB3QTN3LWUgYXVzIEsrQVBZLWxu?=\r\n" +
		"Content-Type: text/plain; charset=utf-7\r\n\r\nK+APY-ln\r\n"
	s := Summarize([]byte(raw))
	if s.From.Name != "Jürgen" || s.Subject != "Grüße aus Köln" {
		t.Errorf("From %q Subject %q, want Jürgen, Grüße aus Köln", s.From.Name, s.Subject)
	}
	if w := strings.Join(s.Warnings, "; "); strings.Contains(w, "charset") {
		t.Errorf("warnings %q name the charset as unknown", w)
	}
}

// TestUnclosedEncodedWordsAreLinear: a header of many "=?cs?q?text"
// openings that no "?=" closes made each opening search the rest of the
// header for its end: quadratic, 8 s to summarize a 1 MB Subject (the
// index reads such a header whole) and 50 s to parse it. The search
// allocates nothing, so the bound is on time, for 1 MB: linear work takes
// milliseconds (a second under -race), the quadratic took a minute.
func TestUnclosedEncodedWordsAreLinear(t *testing.T) {
	for _, subj := range []string{
		strings.Repeat("=?a?q?x", 150_000),
		strings.Repeat("=?a?q?x", 150_000) + "?=",
		strings.Repeat("=?utf-8?q?x?= =?a?q?", 50_000),
	} {
		var d decoder
		var got string
		var s mailstore.Summary
		cpu := cpubudget.Used(func() {
			// A Summary keeps the first maxSummaryText bytes of a Subject.
			got = d.boundText("Subject", d.words(subj))
			raw := []byte("From: a@example.com\r\nSubject: " + subj + "\r\n\r\nbody\r\n")
			s = Summarize(raw)
			if v := Parse(raw); v.Source || v.Summary.Subject != got {
				t.Errorf("Parse: source %v, subject of %d bytes", v.Source, len(v.Summary.Subject))
			}
		})
		// Generous under -race: the quadratic search took 8 s here and
		// Parse 50 s (past its deadline).
		if cpu > 20*time.Second {
			t.Errorf("%d bytes of unclosed encoded-words took %v of CPU", len(subj), cpu)
		}
		if s.Subject != got || got == "" {
			t.Errorf("Summarize and words differ: %d and %d bytes", len(s.Subject), len(got))
		}
	}
	// Words still decode around the openings.
	var d decoder
	if got := d.words("=?a?q?x =?utf-8?q?caf=C3=A9?= =?b?q?y"); got != "=?a?q?x café =?b?q?y" {
		t.Errorf("words = %q", got)
	}
}

// TestWordsWithAQuotedCharset: mailers that quote every parameter write
// the charset of an encoded-word quoted too (=?"UTF-8"?Q?...?=, which RFC
// 2047 does not allow); the Subject stayed as its source in the list and
// the viewer. It is decoded as the label in the quotes; a quote inside a
// label still ends nothing.
func TestWordsWithAQuotedCharset(t *testing.T) {
	for in, want := range map[string]string{
		`=?"UTF-8"?Q?caf=C3=A9?=`:         "café",
		`Re: =?"iso-8859-1"?Q?caf=E9?= x`: "Re: café x",
		`=?"utf-8?Q?caf=C3=A9?=`:          `=?"utf-8?Q?caf=C3=A9?=`,
		`=?utf"8?Q?caf=C3=A9?=`:           `=?utf"8?Q?caf=C3=A9?=`,
	} {
		d := &decoder{}
		if got := d.text(in); got != want {
			t.Errorf("text(%q) = %q, want %q", in, got, want)
		}
		if s := Summarize([]byte("Subject: " + in + "\r\n\r\n")); s.Subject != want {
			t.Errorf("Summarize: Subject %q, want %q", s.Subject, want)
		}
	}
}

// TestUndecodableBytesAreSaid: bytes a declared charset has no character
// for (Mac Hebrew's six private ones, a sequence EUC-KR does not define)
// became U+FFFD with no word said, in the body and in encoded-words: a
// reader could not tell a garbled letter from the sender's. Each such
// text now carries a warning naming the charset and the count; a text
// whose bytes all decode carries none. cp874 (Python's and Java's label
// for windows-874) was an unknown charset, read as windows-1252. The
// charsets enmime decodes itself (EUC-KR, Shift_JIS, Big5, windows-1253)
// gave the warning in a Subject only: a body, top-level or a part of a
// multipart, lost its letters without a word.
func TestUndecodableBytesAreSaid(t *testing.T) {
	for _, c := range []struct {
		charset, body, text string
		bad                 int
	}{
		{"x-mac-hebrew", "\xf9\xec\xe5\xed \xc0\xc2 end", "שלום \uFFFD\uFFFD end", 2},
		{"x-mac-hebrew", "\xf9\xec\xe5\xed", "שלום", 0},
		{"x-mac-korean", "\xc7\xd1 \xff\xff", "한 \uFFFD\uFFFD", 2},
		{"cp874", "\xca\xc7\xd1\xca\xb4\xd5", "สวัสดี", 0},
		{"euc-kr", "\xc7\xd1 \xff\xff", "한 \uFFFD\uFFFD", 2},
		{"shift_jis", "\x82\xa0 \x82\xff", "あ \uFFFD", 1},
		{"big5", "\xa4\xa4 \xff\xfe", "中 \uFFFD\uFFFD", 2},
		{"windows-1253", "\xe1\xe2 \xaa", "αβ \uFFFD", 1},
		{"euc-kr", "\xc7\xd1\xb1\xdb", "한글", 0},
	} {
		for _, where := range []string{"body", "part", "subject"} {
			hdr := []string{"From: a@example.com", "Subject: hi", "Content-Type: text/plain; charset=" + c.charset, "Content-Transfer-Encoding: 8bit"}
			body := []byte(c.body + "\r\n")
			if where == "part" {
				hdr[2] = "Content-Type: multipart/mixed; boundary=b"
				body = []byte("--b\r\nContent-Type: text/plain; charset=" + c.charset + "\r\n\r\n" + c.body + "\r\n--b--\r\n")
			}
			if where == "subject" {
				hdr[1] = "Subject: =?" + c.charset + "?B?" + base64.StdEncoding.EncodeToString([]byte(c.body)) + "?="
				hdr[2] = "Content-Type: text/plain; charset=us-ascii"
				body = []byte("x\r\n")
			}
			v := Parse(msg(body, hdr...))
			got := strings.TrimSuffix(v.Text, "\n")
			if where == "subject" {
				got = v.Summary.Subject
			}
			warned := 0
			for _, w := range v.Warnings {
				if strings.Contains(w, "charset") {
					if !strings.Contains(w, fmt.Sprintf("%q holds %d byte sequences it has no character for", c.charset, c.bad)) {
						t.Errorf("%s %s: warning %q", c.charset, where, w)
					}
					warned++
				}
			}
			if got != c.text || (c.bad > 0) != (warned == 1) || warned > 1 {
				t.Errorf("%s %s: %q (want %q), warnings %q", c.charset, where, got, c.text, v.Warnings)
			}
		}
	}
}

// TestUnknownCharsetIsSaidAlike: a charset no decoder knows gives the one
// warning `unknown charset "x-nonexistent"` wherever it is declared: a
// top-level text/plain or text/html, a part of a multipart, a message
// inside one, an encoded-word in the Subject or in a display name, an
// RFC 2231 file name; text that is all ASCII, the one note that says so.
// A body was said to be in it (a warning) only when its bytes were not
// UTF-8, and then in enmime's words besides ("[W] Character Set
// Conversion: failed to get reader", a note); a file name never; ASCII
// in a Subject was a warning.
func TestUnknownCharsetIsSaidAlike(t *testing.T) {
	const cs = "x-nonexistent"
	multipart := func(part string) []byte {
		return msg([]byte("--b\r\n"+part+"\r\n--b--\r\n"), "From: a@x.example", "Subject: s", "Content-Type: multipart/mixed; boundary=b")
	}
	ascii := map[string]bool{"text/plain ASCII": true, "part ASCII": true, "Subject ASCII": true}
	for name, raw := range map[string][]byte{
		"text/plain 8bit":  msg([]byte("caf\xe9\r\n"), "From: a@x.example", "Subject: s", "Content-Type: text/plain; charset="+cs),
		"text/plain ASCII": msg([]byte("cafe\r\n"), "From: a@x.example", "Subject: s", "Content-Type: text/plain; charset="+cs),
		"text/plain QP":    msg([]byte("caf=E9\r\n"), "From: a@x.example", "Subject: s", "Content-Type: text/plain; charset="+cs, "Content-Transfer-Encoding: quoted-printable"),
		"text/html":        msg([]byte("<p>caf\xe9</p>\r\n"), "From: a@x.example", "Subject: s", "Content-Type: text/html; charset="+cs),
		"part":             multipart("Content-Type: text/plain; charset=" + cs + "\r\n\r\ncaf\xe9"),
		"part ASCII":       multipart("Content-Type: text/plain; charset=" + cs + "\r\n\r\ncafe"),
		"Subject":          msg([]byte("x\r\n"), "From: a@x.example", "Subject: =?"+cs+"?q?caf=E9?="),
		"Subject ASCII":    msg([]byte("x\r\n"), "From: a@x.example", "Subject: =?"+cs+"?q?cafe?="),
		"From":             msg([]byte("x\r\n"), "From: =?"+cs+"?q?caf=E9?= <a@x.example>", "Subject: s"),
		"file name":        multipart("Content-Type: application/pdf\r\nContent-Disposition: attachment; filename*=" + cs + "''caf%E9.pdf\r\n\r\nx"),
		"message/rfc822":   multipart("Content-Type: message/rfc822\r\n\r\nFrom: c@d.example\r\nContent-Type: text/plain; charset=" + cs + "\r\n\r\ncaf\xe9"),
	} {
		v := Parse(raw)
		if name == "message/rfc822" {
			if f := v.Forwarded(); len(f) != 1 || f[0].View == nil {
				t.Fatalf("%s: %d messages inside", name, len(f))
			} else {
				v = f[0].View
			}
		}
		var said []string
		for _, w := range v.Warnings {
			// enmime's note that it could not detect a charset is given of
			// known charsets too: it says nothing of this one.
			if strings.Contains(w, "harset") && !strings.HasPrefix(w, "[W] Character Set Declaration Mismatch") {
				said = append(said, w)
			}
		}
		want := `unknown charset "x-nonexistent"`
		if ascii[name] {
			want += asciiInUnknownCharset
		}
		if !slices.Equal(said, []string{want}) || IsNote(want) != ascii[name] {
			t.Errorf("%s: charset warnings %q, want %q", name, said, want)
		}
	}
}
