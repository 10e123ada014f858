package mime

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/sesbox/sesbox/mailstore"
	"golang.org/x/text/encoding/japanese"
)

// readDir holds messages of the kinds an SES inbox gets that the public
// corpus lacks, written for these tests; they seed FuzzParse too.
const readDir = "testdata/read"

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(readDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestBareCRLineEndings: a header whose lines end in a bare CR (old Mac
// mailers, some gateways), or mixes CR, LF and CRLF, is read field by
// field, as Python's email package reads it; a bare CR was read as part
// of the value, so such a header became one field and lost its Subject,
// Date and body.
func TestBareCRLineEndings(t *testing.T) {
	tests := []struct {
		file, subject, date, body string
	}{
		{"bare-cr-header.eml", "bare cr", "2026-11-02", "Hello body\nline2"},
		{"mixed-eol-header.eml", "mixed", "2026-11-02", "Hello body"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			raw := readTestdata(t, tt.file)
			for name, s := range map[string]mailstore.Summary{"Summarize": Summarize(raw), "Parse": Parse(raw).Summary} {
				if s.Subject != tt.subject || s.From.Address != "a@x.example" || s.Date.Format("2006-01-02") != tt.date {
					t.Errorf("%s: subject %q, from %q, date %v; want %q, a@x.example, %s", name, s.Subject, s.From.Address, s.Date, tt.subject, tt.date)
				}
			}
			v := Parse(raw)
			if got := strings.TrimSpace(v.Body()); got != tt.body {
				t.Errorf("body = %q, want %q", got, tt.body)
			}
			if end := HeaderEnd(raw); end < 0 || !strings.HasPrefix(string(raw[end:]), "Hello") {
				t.Errorf("HeaderEnd = %d, want the start of the body", end)
			}
		})
	}
	// The ends a partial read must not take for a whole header.
	for _, in := range []string{"A: 1\r", "A: 1\r\r", "A: 1\rB: 2\r"} {
		if got := HeaderEnd([]byte(in)); got != -1 {
			t.Errorf("HeaderEnd(%q) = %d, want -1 (a LF may follow)", in, got)
		}
	}
}

// TestHTMLReadsAsAMailClientShowsIt: the HTML body as text shows what a
// graphical client shows, and no more: an image by its alt text, as
// mature clients do ("[image: alt]"; it was dropped, and a mail of images
// read as nothing), each table row on its own line (rows ran together),
// and no text the HTML hides (a display:none preheader was shown) or that
// is not text (style, script). A link shows its label and, in a footnote,
// where it really goes.
func TestHTMLReadsAsAMailClientShowsIt(t *testing.T) {
	v := Parse(readTestdata(t, "html-newsletter.eml"))
	text := v.Body()
	for _, want := range []string{"[image: Company logo]", "\nItem Price\n", "\nBook $10\n", "https://paypal.com/login [1]",
		"[1] https://evil.example/login", "  code   line\n    indented"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	for _, unwanted := range []string{"PREHEADER", "alert", "color:red", "[image: ]", "p.gif"} {
		if strings.Contains(text, unwanted) {
			t.Errorf("text shows %q:\n%s", unwanted, text)
		}
	}
}

// TestFlatHTMLShowsImagesByAlt: HTML nested too deeply for the parser is
// read token by token, and shows an image by its alt text too.
func TestFlatHTMLShowsImagesByAlt(t *testing.T) {
	text, _, err := htmlToText(strings.Repeat("<div>", 600) + `x <img src="a.png" alt=" Sale  banner "><img alt="">y`)
	if err == nil || !strings.Contains(text, "x [image: Sale banner] y") {
		t.Errorf("flat text = %q (err %v), want the image's alt between x and y", text, err)
	}
}

// TestCharsetsTheWebReplaces: ISO-2022-KR (still written by old Korean
// mailers) and HZ-GB-2312 are labels the WHATWG index, which enmime reads
// bodies with, maps to its "replacement" encoding: the whole part became
// one U+FFFD, and a Subject in encoded-words too.
func TestCharsetsTheWebReplaces(t *testing.T) {
	v := Parse(readTestdata(t, "iso-2022-kr.eml"))
	if want := "회의 안내"; v.Summary.Subject != want {
		t.Errorf("subject = %q, want %q", v.Summary.Subject, want)
	}
	if want := "안녕하세요, 회의는 3시입니다.\n두 번째 줄"; strings.TrimSpace(v.Text) != want {
		t.Errorf("text = %q, want %q", v.Text, want)
	}
	if want := "中文测试 ok"; v.HTMLText != want {
		t.Errorf("HTML as text = %q, want %q", v.HTMLText, want)
	}
	for label, want := range map[string]string{
		"iso-2022-kr": "\x1b$)C\x0e\x3e\x48\x0f a", // 안 a
		"csISO2022KR": "\x1b$)C\x0e\x3e\x48\x0f a",
		"hz-gb-2312":  "~{VP~} a", // 中 a
	} {
		d := &decoder{}
		if got := d.bytesIn(label, []byte(want)); strings.ContainsRune(got, '\uFFFD') || !strings.HasSuffix(got, " a") || len(d.warnings) > 0 {
			t.Errorf("%s: %q (warnings %q)", label, got, d.warnings)
		}
	}
	// ISO-2022-CN has no decoder here: its bytes (7-bit) are kept, not
	// replaced by a single U+FFFD.
	d := &decoder{}
	if got := d.bytesIn("iso-2022-cn", []byte("abc \x1b$)A\x0e\x56\x50\x0f")); !strings.HasPrefix(got, "abc ") {
		t.Errorf("iso-2022-cn: %q", got)
	}
}

// TestISO2022KRDecoderStreams: the decoder gives the same text however
// its input is cut (a reader feeds it in pieces).
func TestISO2022KRDecoderStreams(t *testing.T) {
	in := "\x1b$)C\x0e\x3e\x48\x33\x67\x0f ok\r\n\x0e\x35\x4e\x0f"
	whole, err := iso2022KR.NewDecoder().String(in)
	if err != nil || whole != "안녕 ok\r\n두" {
		t.Fatalf("whole = %q, %v", whole, err)
	}
	for cut := range len(in) {
		r := iso2022KR.NewDecoder().Reader(io.MultiReader(strings.NewReader(in[:cut]), strings.NewReader(in[cut:])))
		b, err := io.ReadAll(iotest.OneByteReader(r))
		if err != nil || string(b) != whole {
			t.Errorf("cut at %d: %q, %v", cut, b, err)
		}
	}
}

// TestMultipartWithoutBoundary: a multipart whose Content-Type names no
// boundary (a broken mailer, or a header rewritten on the way) showed
// nothing at all: no body, no parts. Its parts are read at the delimiter
// lines its body starts with, as the sender meant, with a warning; a body
// without any is shown as text.
func TestMultipartWithoutBoundary(t *testing.T) {
	raw := readTestdata(t, "multipart-without-boundary.eml")
	v := Parse(raw)
	if got := strings.TrimSpace(v.Body()); got != "hello, the invoice is attached" {
		t.Errorf("body = %q", got)
	}
	att := v.Attachments()
	if len(att) != 1 || att[0].Filename != "invoice.pdf" || string(att[0].Content) != "%PDF-1.4\n" {
		t.Errorf("attachments = %+v", att)
	}
	if !slices.ContainsFunc(v.Warnings, func(w string) bool { return strings.Contains(w, "no boundary") }) {
		t.Errorf("no warning of the missing boundary: %q", v.Warnings)
	}
	if n, exact := CountAttachments(raw, int64(len(raw))); n != 1 || !exact {
		t.Errorf("CountAttachments = %d, %v; want 1, exact", n, exact)
	}

	v = Parse(readTestdata(t, "multipart-without-delimiters.eml"))
	if got := strings.TrimSpace(v.Body()); got != "Just text, though the header says multipart." {
		t.Errorf("body of a multipart without delimiters = %q", got)
	}
}

// TestUuencodedParts: a part with Content-Transfer-Encoding x-uuencode
// (old Mac and Windows mailers, some gateways) is decoded, as mature
// clients do: its content was the encoded text, which save wrote to disk
// as it was.
func TestUuencodedParts(t *testing.T) {
	v := Parse(readTestdata(t, "x-uuencode.eml"))
	att := v.Attachments()
	if len(att) != 1 || string(att[0].Content) != "Hello uuencoded world, this is a file!\n" || att[0].Size != 39 {
		t.Fatalf("attachments = %+v", att)
	}
	for _, w := range v.Warnings {
		if strings.Contains(w, "x-uuencode") {
			t.Errorf("warning of an encoding that was decoded: %q", w)
		}
	}
	for in, want := range map[string]string{
		"begin 644 a\n#86)C\n`\nend\n":             "abc",
		"junk\nbegin 600 a b\r\n#86)C\r\n \r\nend": "abc", // CRLF, a blank length line
		"begin 644 a\n$86)C\n":                     "abc", // the line is short; no end
	} {
		if got, ok := uudecode([]byte(in)); !ok || string(got) != want {
			t.Errorf("uudecode(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	if _, ok := uudecode([]byte("no begin line\n#86)C\n")); ok {
		t.Error("uudecode decoded data without a begin line")
	}
}

// TestNoticesOfStructure: what a message's structure means for reading
// it is said in Notices: a signature was an attachment like any other, as
// if it vouched for the sender; an encrypted message read as an empty
// one; an invitation was a part without a word of what, when and who.
func TestNoticesOfStructure(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"notice-signed.eml", []string{"Signed with S/MIME: sesbox does not verify signatures"}},
		{"notice-pgpsigned.eml", []string{"Signed with OpenPGP: sesbox does not verify"}},
		{"notice-smimeenc.eml", []string{"Encrypted with S/MIME (part 1): sesbox cannot decrypt it"}},
		{"notice-pgpenc.eml", []string{"Encrypted with OpenPGP: sesbox cannot decrypt it"}},
		{"notice-pgpinline.eml", []string{"The text holds an OpenPGP encrypted block"}},
		{"notice-cal.eml", []string{"Invitation (part 2): Quarterly review", "  When:  Tue 10 Nov 2026 15:00 UTC to Tue 10 Nov 2026 16:00 UTC",
			"  Where: Room 1", "  By:    Bob <bob@x.example>"}},
		{"notice-calonly.eml", []string{"Invitation (part 1): Quarterly review", "  When:  Tue 10 Nov 2026 15:00 CET (14:00 UTC) to Tue 10 Nov 2026 16:00 CET (15:00 UTC)",
			"  By:    Bob \x1b[31mBoss <bob@x.example>"}},
		{"notice-tnef.eml", []string{"Part 2 is Outlook's TNEF wrapping (winmail.dat)"}},
		{"notice-partial.eml", []string{"Piece 1 of 2 of a message the sender split"}},
		{"html-newsletter.eml", nil},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			v := Parse(readTestdata(t, tt.file))
			got := strings.Join(v.Notices, "\n")
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("notices lack %q:\n%s", w, got)
				}
			}
			if tt.want == nil && len(v.Notices) > 0 {
				t.Errorf("notices of a plain message: %q", v.Notices)
			}
		})
	}
}

// TestCalendarThatPanicsTheParserKeepsTheMessage: go-ical panics on a
// parameter value with escaped quotes inside its quotes, and the panic
// took the whole parse: show printed the header alone ("message parser
// failed: ical: unexpected character"), without the body, the calendar
// or the PDF, and save had no part to write. The message is read as any
// other, and the notice says the calendar cannot be read.
func TestCalendarThatPanicsTheParserKeepsTheMessage(t *testing.T) {
	v := Parse(readTestdata(t, "notice-cal-quoted-param.eml"))
	if !strings.Contains(v.Text, "The agenda is attached.") || len(v.Parts) != 3 || v.Summary.Attachments != 2 {
		t.Errorf("text %q, %d parts, %d attachments; warnings %q", v.Text, len(v.Parts), v.Summary.Attachments, v.Warnings)
	}
	if got := strings.Join(v.Notices, "\n"); !strings.Contains(got, "Calendar part 2 cannot be read (ical: unexpected character") {
		t.Errorf("notices %q", v.Notices)
	}
}

// TestBareCRMultipartIsRead: a multipart whose lines end in a bare CR
// (classic Mac OS mailers) showed nothing: no text, no parts, "no text
// body", and a warning that it had no boundary parameter. Its text and
// its attachment are read, and the list's count is the View's.
func TestBareCRMultipartIsRead(t *testing.T) {
	raw := readTestdata(t, "bare-cr-multipart.eml")
	v := Parse(raw)
	if v.Text != "Hello from System 7.\nSecond line." || len(v.Parts) != 2 || string(v.Parts[1].Bytes()) != "hello notes" {
		t.Errorf("text %q, %d parts, warnings %q", v.Text, len(v.Parts), v.Warnings)
	}
	if n, exact := CountAttachments(raw, int64(len(raw))); n != 1 || !exact || v.Summary.Attachments != 1 {
		t.Errorf("CountAttachments = %d, %v; View %d", n, exact, v.Summary.Attachments)
	}
}

// TestUTF16Bodies: text labelled UTF-16 is read in the byte order its
// BOM gives, else the one its bytes show (RFC 2781 says big-endian; the
// WHATWG index enmime reads with says little-endian, and garbled every
// big-endian part), and the BOM is not text (it was a U+FEFF before the
// first word). Windows labels UTF-16 "unicode".
func TestUTF16Bodies(t *testing.T) {
	for _, f := range []string{"utf-16-be-no-bom.eml", "utf-16-le-bom.eml", "utf-16-unicode-label.eml"} {
		v := Parse(readTestdata(t, f))
		if v.Text != "hello ünï 日本\n" {
			t.Errorf("%s: text = %q", f, v.Text)
		}
		for _, w := range v.Warnings {
			if strings.Contains(w, "charset") {
				t.Errorf("%s: warning %q", f, w)
			}
		}
	}
	d := &decoder{}
	for label, in := range map[string]string{
		"utf-16":   "\x00h\x00i",
		"UTF-16":   "h\x00i\x00",
		"utf-16le": "\xff\xfeh\x00i\x00",
		"utf-16be": "\x00h\x00i",
		"unicode":  "\xfe\xff\x00h\x00i",
	} {
		if got := d.bytesIn(label, []byte(in)); got != "hi" {
			t.Errorf("%s %q: %q", label, in, got)
		}
	}
}

// TestHiddenTextOfEveryKind: the ways bulk mail hides a preheader or
// filter bait besides display:none (opacity, a zero font size, a box of
// no height or no width that hides what overflows, a <template>, which
// no browser draws) hide it here too; a small font or a box that shows
// its overflow does not. A box of height:0 or width:0 (not max-height)
// and a <template> showed their text.
func TestHiddenTextOfEveryKind(t *testing.T) {
	for _, style := range []string{"opacity:0", "opacity: 0.0", "font-size:0px;line-height:0", "FONT-SIZE: 0",
		"max-height:0px; overflow:hidden", "overflow: hidden; max-height: 0", "display : none !important",
		"height:0;overflow:hidden", "width: 0px; overflow: hidden", "max-width:0;overflow:hidden"} {
		text, _, err := htmlToText(`<p>shown</p><div style="` + style + `">BAIT</div>`)
		if err != nil || strings.Contains(text, "BAIT") || !strings.Contains(text, "shown") {
			t.Errorf("style %q: %q, %v", style, text, err)
		}
	}
	if text, _, _ := htmlToText(`<p>shown</p><template><p>BAIT</p></template><TEMPLATE>BAIT</TEMPLATE>`); strings.Contains(text, "BAIT") || !strings.Contains(text, "shown") {
		t.Errorf("a template: %q", text)
	}
	for _, style := range []string{"font-size:0.9em", "opacity:0.5", "max-height:0; overflow:visible", "font-size:10px", "height:0", "width:0; overflow:visible"} {
		if text, _, _ := htmlToText(`<div style="` + style + `">SHOWN</div>`); !strings.Contains(text, "SHOWN") {
			t.Errorf("style %q hid the text: %q", style, text)
		}
	}
}

// TestZeroFontWrapperKeepsItsColumns: a zero font size on a wrapper is a
// layout trick (no gaps between inline-block columns); the columns set
// their own size and show.
func TestZeroFontWrapperKeepsItsColumns(t *testing.T) {
	text, _, _ := htmlToText(`<div style="font-size:0"><div style="display:inline-block;font-size:14px">Left column</div>` +
		`<div style="display:inline-block"><span style="font-size:14px">Right column</span></div></div>`)
	if !strings.Contains(text, "Left column") || !strings.Contains(text, "Right column") {
		t.Errorf("the columns of a zero-font wrapper are hidden: %q", text)
	}
}

// TestLinkWhoseLabelNamesAnotherSite: a link whose label reads as an
// address of one site but that leads to another says where it goes
// right after its label, where the reader looks (the footnote alone,
// at the end of the text, left "https://paypal.com/login [1]" reading as
// a link to PayPal).
func TestLinkWhoseLabelNamesAnotherSite(t *testing.T) {
	for _, tt := range []struct{ html, want string }{
		{`<a href="https://evil.example/login">https://paypal.com/login</a>`, "https://paypal.com/login [1] (goes to evil.example)"},
		{`<a href="http://paypal.com.evil.example/">www.paypal.com</a>`, "www.paypal.com [1] (goes to paypal.com.evil.example)"},
		{`<a href="https://click.mailer.example/t/1">acme.example</a>`, "acme.example [1] (goes to click.mailer.example)"},
		// A label that reads as a site's address, on a link to no site.
		{`<a href="javascript:alert(document.cookie)">https://bank.example</a>`, "https://bank.example [1] (goes to a javascript: link)"},
		{`<a href=" JavaScript:alert('%zz')">bank.example</a>`, "bank.example [1] (goes to a javascript: link)"},
		{"<a href=\"java\tscript:x()\">bank.example</a>", "bank.example [1] (goes to a javascript: link)"},
		{`<a href="data:text/html;base64,PHNjcmlwdD4=">https://bank.example/login</a>`, "https://bank.example/login [1] (goes to a data: link)"},
		{`<a href="mailto:a@evil.example">https://bank.example</a>`, "https://bank.example [1] (goes to a mailto: link)"},
	} {
		if text, _, _ := htmlToText(tt.html); !strings.Contains(text, tt.want) {
			t.Errorf("%s: %q, want %q", tt.html, text, tt.want)
		}
	}
	for _, h := range []string{
		`<a href="https://accounts.google.com/x">mail.google.com</a>`, // the same site
		`<a href="https://www.paypal.com/x">paypal.com</a>`,
		`<a href="https://evil.example/">Log in here</a>`, // a label that names no site
		`<a href="https://evil.example/">version 1.2</a>`,
		`<a href="mailto:a@evil.example">help@paypal.com</a>`,
		`<a href="javascript:x()">Log in here</a>`, // no site named, none implied
		`<a href="/relative">https://bank.example</a>`,
	} {
		if text, _, _ := htmlToText(h); strings.Contains(text, "goes to") {
			t.Errorf("%s: %q", h, text)
		}
	}
}

// TestTextAttachmentsKeepTheirBytes: a text attachment is saved (and
// handed to other programs) as the sender wrote it: in its own charset.
// Its Content is UTF-8 for reading, and was what save wrote: a Shift_JIS
// CSV became UTF-8, which a spreadsheet expecting Shift_JIS garbles, and
// an HTML file declaring <meta charset="shift_jis"> was garbled in any
// browser.
func TestTextAttachmentsKeepTheirBytes(t *testing.T) {
	v := Parse(readTestdata(t, "text-attachments-in-their-charset.eml"))
	att := v.Attachments()
	if len(att) != 2 {
		t.Fatalf("attachments = %+v", att)
	}
	csv, _ := japanese.ShiftJIS.NewEncoder().String("品名,数量\r\nりんご,3\r\n")
	if string(att[0].Content) != "品名,数量\r\nりんご,3\r\n" || string(att[0].Bytes()) != csv {
		t.Errorf("csv: content %q, bytes %q; want %q", att[0].Content, att[0].Bytes(), csv)
	}
	page, _ := japanese.ShiftJIS.NewEncoder().String("日本語")
	if !strings.Contains(string(att[1].Bytes()), page) || !strings.Contains(string(att[1].Content), "日本語") {
		t.Errorf("html: content %q, bytes %q", att[1].Content, att[1].Bytes())
	}
	if p := v.Parts[0]; string(p.Bytes()) != string(p.Content) {
		t.Errorf("a UTF-8 part's bytes differ from its content: %q", p.Bytes())
	}
}

// TestDataURIFootnotes: a link to a data: URI is footnoted by its media
// type and size, not its whole content (a 220 KB data: link was a 220 KB
// line at the end of the text); Links keeps it whole.
func TestDataURIFootnotes(t *testing.T) {
	uri := "data:text/html;base64," + strings.Repeat("PHNjcmlwdD5", 20000)
	text, links, _ := htmlToText(`<a href="` + uri + `">open the form</a>`)
	if !strings.Contains(text, "[1] data:text/html;base64,… ("+mailstore.FormatSize(220000)+")") || len(text) > 200 {
		t.Errorf("footnote: %.300q", text)
	}
	if len(links) != 1 || links[0] != uri {
		t.Errorf("links lost the URI")
	}
	if text, _, _ := htmlToText(`<a href="data:,hi">x</a>`); !strings.Contains(text, "[1] data:,hi") {
		t.Errorf("a short data: URI: %q", text)
	}
}

// TestLabelsEnmimeReadsOtherwise: a text part whose label enmime does not
// know ("unicode-1-1-utf-7", a quoted label with blanks), or decodes with
// a weaker decoder than the label means (GBK for gb2312, where mailers
// write GB18030's four-byte sequences, as browsers read them; an
// ISO-2022-JP line left in JIS X 0208 before a CRLF, which then garbled
// every line after it), reads as the Subject in the same label reads, and
// with no warning that no longer holds.
func TestLabelsEnmimeReadsOtherwise(t *testing.T) {
	for _, c := range []struct{ label, body, want string }{
		{"unicode-1-1-utf-7", "Hi +AOk-", "Hi é"},
		{`" iso-8859-1 "`, "caf\xe9", "café"},
		{"gb2312", "\x81\x40 \x95\x32\x82\x36", "丂 𠀀"},
		{"GBK", "\x95\x32\x82\x36", "𠀀"},
		{"iso-2022-jp", "\x1b$B$H\r\nsecond line\r\n\x1b$B$H\x1b(B ok", "と\nsecond line\nと ok"},
	} {
		raw := msg([]byte(c.body+"\r\n"), "From: a@example.com", "Subject: x",
			"Content-Type: text/plain; charset="+c.label)
		v := Parse(raw)
		if got := strings.TrimSuffix(v.Text, "\n"); got != c.want {
			t.Errorf("%s: text = %q, want %q", c.label, got, c.want)
		}
		for _, w := range v.Warnings {
			if strings.Contains(w, "Character Set Conversion") {
				t.Errorf("%s: warning %q, yet the text was read", c.label, w)
			}
		}
	}
}

// TestFormatFlowedIsJoined: a format=flowed text (RFC 3676: Thunderbird,
// Apple Mail, iOS) is read as its paragraphs, not as the lines it was
// sent in: with DelSp=yes (CJK text, words cut at any character) a word
// or a sentence was shown cut in two by a space and a line break.
// Space-stuffing goes, quote depths are kept and never joined across,
// and the signature separator and fixed lines stay as they are.
func TestFormatFlowedIsJoined(t *testing.T) {
	for _, c := range []struct{ params, body, want string }{
		{"; format=flowed", "This is a long line that is \r\nwrapped.\r\nFixed line.\r\n", "This is a long line that is wrapped.\nFixed line.\n"},
		{"; format=flowed; delsp=yes", "A word spl \r\nit in two.\r\n日本語の \r\n文章です。\r\n", "A word split in two.\n日本語の文章です。\n"},
		{"; format=Flowed; DelSp=Yes", "a \r\nb\r\n", "ab\n"},
		{"; format=flowed", ">> quoted \r\n>> more\r\n> outer \r\nbody \r\n-- \r\nsig\r\n", ">> quoted more\n> outer\nbody\n-- \nsig\n"},
		{"; format=flowed", " From the start, \r\n stuffed.\r\n", "From the start, stuffed.\n"},
		{"", "not flowed \r\nkept.\r\n", "not flowed \nkept.\n"},
	} {
		raw := msg([]byte(c.body), "From: a@example.com", "Subject: x", "Content-Type: text/plain; charset=utf-8"+c.params)
		if got := Parse(raw).Text; got != c.want {
			t.Errorf("%s %q: text = %q, want %q", c.params, c.body, got, c.want)
		}
	}
}
