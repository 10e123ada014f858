package mime

import (
	"bytes"
	"encoding/base64"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sesbox/sesbox/mailstore"
	"golang.org/x/text/encoding/charmap"
)

// msg joins header lines and a body into a CRLF message.
func msg(body []byte, header ...string) []byte {
	var b bytes.Buffer
	for _, h := range header {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("\r\n")
	b.Write(body)
	return b.Bytes()
}

func TestParseCharsets(t *testing.T) {
	for _, c := range charsetCases {
		t.Run(c.label, func(t *testing.T) {
			body := encode(t, c.enc, c.text+"\r\n")
			raw := msg(body,
				"From: "+bWord(c.label, encode(t, c.enc, c.text))+" <a@example.com>",
				"Subject: "+bWord(c.label, encode(t, c.enc, c.text)),
				"Content-Type: text/plain; charset=\""+c.label+"\"",
				"Content-Transfer-Encoding: 8bit",
			)
			v := Parse(raw)
			if v.Summary.Subject != c.text {
				t.Errorf("Subject = %q, want %q", v.Summary.Subject, c.text)
			}
			if v.Summary.From.Name != c.text {
				t.Errorf("From name = %q, want %q", v.Summary.From.Name, c.text)
			}
			if v.Text != c.text+"\n" {
				t.Errorf("Text = %q, want %q", v.Text, c.text+"\n")
			}
			if got := fieldValue(v, "subject"); got != c.text {
				t.Errorf("Header Subject = %q, want %q", got, c.text)
			}
		})
	}
}

func fieldValue(v *View, name string) string {
	for _, f := range v.Header {
		if strings.EqualFold(f.Name, name) {
			return f.Value
		}
	}
	return ""
}

func TestParseUnknownCharsetBody(t *testing.T) {
	raw := msg(encode(t, charmap.Windows1252, "Grüße\r\n"),
		"Subject: x", "Content-Type: text/plain; charset=x-ias-german")
	v := Parse(raw)
	if v.Text != "Grüße\n" {
		t.Errorf("Text = %q, want the best-effort Latin reading", v.Text)
	}
	if !containsWarning(v.Warnings, "x-ias-german") {
		t.Errorf("warnings %q do not name the unknown charset", v.Warnings)
	}
}

func TestParseMislabelledUTF8(t *testing.T) {
	raw := msg([]byte("你好，世界\r\n"), "Subject: x", "Content-Type: text/plain; charset=GB2312", "Content-Transfer-Encoding: 8bit")
	v := Parse(raw)
	if v.Text != "你好，世界\n" {
		t.Errorf("Text = %q, want the UTF-8 bytes read as UTF-8", v.Text)
	}
	if !containsWarning(v.Warnings, "holds UTF-8") {
		t.Errorf("warnings %q do not mention the mislabel", v.Warnings)
	}
	// Real GB2312 bytes stay GB2312: the heuristic must not fire on them.
	raw = msg(encode(t, charsetCases[4].enc, "你好，世界\r\n"), "Subject: x", "Content-Type: text/plain; charset=GB2312")
	if v := Parse(raw); v.Text != "你好，世界\n" || containsWarning(v.Warnings, "holds UTF-8") {
		t.Errorf("real GB2312: Text %q, warnings %q", v.Text, v.Warnings)
	}
}

func TestParseAlternative(t *testing.T) {
	raw := msg([]byte(strings.Join([]string{
		"--b1",
		"Content-Type: text/plain; charset=utf-8",
		"",
		"Plain body",
		"--b1",
		"Content-Type: text/html; charset=utf-8",
		"",
		`<html><head><style>p{}</style></head><body><p>Visit <a href="https://example.com/a">our site</a> or <a href="https://evil.example/x">https://bank.example</a>.</p>` +
			`<p>Again <a href="https://example.com/a">here</a>, <a href="#top">top</a>, <a href="mailto:x@example.com">mail</a>.</p></body></html>`,
		"--b1--",
		"",
	}, "\r\n")), "Subject: alt", "Content-Type: multipart/alternative; boundary=b1")
	v := Parse(raw)
	if v.Text != "Plain body" {
		t.Errorf("Text = %q", v.Text)
	}
	wantLinks := []string{"https://example.com/a", "https://evil.example/x", "mailto:x@example.com"}
	if !reflect.DeepEqual(v.Links, wantLinks) {
		t.Errorf("Links = %q, want %q", v.Links, wantLinks)
	}
	for _, want := range []string{
		"Visit our site [1] or https://bank.example [2] (goes to evil.example).", // a label naming another site says where it goes
		"Again here [1], top, mail [3].",
		"[1] https://example.com/a\n[2] https://evil.example/x\n[3] mailto:x@example.com",
	} {
		if !strings.Contains(v.HTMLText, want) {
			t.Errorf("HTMLText lacks %q:\n%s", want, v.HTMLText)
		}
	}
	if strings.Contains(v.HTMLText, "( https") || strings.Contains(v.HTMLText, "p{}") {
		t.Errorf("HTMLText holds inline links or style:\n%s", v.HTMLText)
	}
	if len(v.Parts) != 2 || v.Parts[0].IsAttachment || v.Parts[1].IsAttachment {
		t.Errorf("Parts = %+v, want two bodies, no attachments", v.Parts)
	}
	if v.Summary.Attachments != 0 || !v.Summary.AttachmentsExact {
		t.Errorf("Attachments = %d exact=%v, want 0 exact", v.Summary.Attachments, v.Summary.AttachmentsExact)
	}
}

func TestParseHTMLOnly(t *testing.T) {
	raw := msg([]byte(`<p>Only <b>HTML</b> here, <a href="https://x.example/">link</a></p>`),
		"Subject: html", "Content-Type: text/html; charset=utf-8")
	v := Parse(raw)
	if v.Text != "" {
		t.Errorf("Text = %q, want empty so Body prefers HTMLText", v.Text)
	}
	if !strings.Contains(v.HTMLText, "Only *HTML* here, link [1]") {
		t.Errorf("HTMLText = %q", v.HTMLText)
	}
	if v.Body() != v.HTMLText {
		t.Error("Body() is not HTMLText for an HTML-only message")
	}
}

func TestParseAttachments(t *testing.T) {
	pdf := []byte("%PDF-1.4 fake\x00\x01\x02")
	png := []byte("\x89PNG\r\n\x1a\nfake")
	raw := msg([]byte(strings.Join([]string{
		"--outer",
		"Content-Type: multipart/related; boundary=rel",
		"",
		"--rel",
		"Content-Type: multipart/alternative; boundary=alt",
		"",
		"--alt",
		"Content-Type: text/plain; charset=utf-8",
		"Content-Disposition: inline",
		"",
		"See the logo.",
		"--alt",
		"Content-Type: text/html; charset=utf-8",
		"",
		`<p>See <img src="cid:logo@x"></p>`,
		"--alt--",
		"--rel",
		"Content-Type: image/png",
		"Content-ID: <logo@x>",
		"Content-Transfer-Encoding: base64",
		"",
		base64.StdEncoding.EncodeToString(png),
		"--rel--",
		"--outer",
		"Content-Type: application/pdf; name=\"=?utf-8?q?R=C3=A9sum=C3=A9.pdf?=\"",
		"Content-Disposition: attachment; filename*=utf-8''R%C3%A9sum%C3%A9.pdf",
		"Content-Transfer-Encoding: base64",
		"",
		base64.StdEncoding.EncodeToString(pdf),
		"--outer",
		"Content-Type: text/plain; charset=utf-8",
		"Content-Disposition: attachment; filename=notes.txt",
		"",
		"attached notes",
		"--outer--",
		"",
	}, "\r\n")), "Subject: files", "Content-Type: multipart/mixed; boundary=outer")
	v := Parse(raw)
	type brief struct {
		Index       int
		ContentType string
		Filename    string
		Disposition string
		ContentID   string
		Attachment  bool
	}
	var got []brief
	for _, p := range v.Parts {
		got = append(got, brief{p.Index, p.ContentType, p.Filename, p.Disposition, p.ContentID, p.IsAttachment})
		if p.Size != len(p.Content) {
			t.Errorf("part %d Size %d != len(Content) %d", p.Index, p.Size, len(p.Content))
		}
	}
	want := []brief{
		{1, "text/plain", "", "inline", "", false},
		{2, "text/html", "", "", "", false},
		{3, "image/png", "", "", "logo@x", true},
		{4, "application/pdf", "Résumé.pdf", "attachment", "", true},
		{5, "text/plain", "notes.txt", "attachment", "", true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Parts:\n got %+v\nwant %+v", got, want)
	}
	if len(v.Parts) == 5 {
		if !bytes.Equal(v.Parts[3].Content, pdf) || !bytes.Equal(v.Parts[2].Content, png) {
			t.Error("attachment content is not the decoded bytes")
		}
	}
	if v.Summary.Attachments != 3 || !v.Summary.AttachmentsExact {
		t.Errorf("Attachments = %d exact=%v, want 3 exact", v.Summary.Attachments, v.Summary.AttachmentsExact)
	}
	if v.Text != "See the logo." {
		t.Errorf("Text = %q: the attached text/plain must not join the body", v.Text)
	}
}

func TestParseBrokenShapes(t *testing.T) {
	tests := []struct {
		name     string
		raw      string
		subject  string
		text     string
		warning  string
		foreign  bool
		noHeader bool
	}{
		{
			name:    "no blank line after the header",
			raw:     "From: a@b.example\nSubject: here's something\ncounter to RFC 5322, no separating newline\n",
			subject: "here's something", text: "counter to RFC 5322, no separating newline\n",
			warning: "header not ended by a blank line",
		},
		{
			name:    "mbox From line first",
			raw:     "From jamis@example.com Mon May  2 16:07:05 2005\r\nSubject: mbox\r\n\r\nbody\r\n",
			subject: "mbox", text: "body\n",
		},
		{
			name:    "unknown transfer encoding",
			raw:     "Subject: cte\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: foobar\r\n\r\nraw\r\n",
			subject: "cte", text: "raw\n", warning: "foobar",
		},
		{
			name:    "multipart without boundary",
			raw:     "Subject: nb\r\nContent-Type: multipart/mixed\r\n\r\njust text\r\n",
			subject: "nb",
		},
		{
			name:    "not mail",
			raw:     "\x00\x01binary\xff junk",
			foreign: true, noHeader: true, warning: "not a mail message",
		},
		{name: "empty", raw: "", foreign: true, noHeader: true, warning: "not a mail message"},
		{name: "header only", raw: "Subject: only\r\n", subject: "only", warning: "no text body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Parse([]byte(tt.raw))
			if v == nil {
				t.Fatal("Parse returned nil")
			}
			if v.Summary.Subject != tt.subject {
				t.Errorf("Subject = %q, want %q", v.Summary.Subject, tt.subject)
			}
			if tt.text != "" && v.Text != tt.text {
				t.Errorf("Text = %q, want %q", v.Text, tt.text)
			}
			if tt.warning != "" && !containsWarning(v.Warnings, tt.warning) {
				t.Errorf("warnings %q lack %q", v.Warnings, tt.warning)
			}
			if (v.Summary.Kind == mailstore.KindForeign) != tt.foreign {
				t.Errorf("Kind = %v, foreign want %v", v.Summary.Kind, tt.foreign)
			}
			if (len(v.Header) == 0) != tt.noHeader {
				t.Errorf("Header = %q", v.Header)
			}
		})
	}
}

func TestParseHeaderFieldsInOrder(t *testing.T) {
	raw := msg([]byte("x"),
		"Received: from a by b",
		"X-SES-Spam-Verdict: PASS",
		"subject: =?utf-8?q?caf=C3=A9?=",
		"Received: from c by d",
	)
	want := []Field{
		{"Received", "from a by b"},
		{"X-SES-Spam-Verdict", "PASS"},
		{"subject", "café"},
		{"Received", "from c by d"},
	}
	if v := Parse(raw); !reflect.DeepEqual(v.Header, want) {
		t.Errorf("Header = %q, want %q", v.Header, want)
	}
}

// TestHeaderOnlyView covers the recovery path Parse takes after a panic.
func TestHeaderOnlyView(t *testing.T) {
	v := headerOnlyView([]byte("Subject: boom\r\nContent-Type: text/plain; charset=koi8-r\r\n\r\n"+
		string(encode(t, charmap.KOI8R, "тело"))), "message parser failed: test")
	if v.Summary.Subject != "boom" || v.Text != "тело" {
		t.Errorf("Subject %q Text %q", v.Summary.Subject, v.Text)
	}
	if len(v.Warnings) == 0 || v.Warnings[0] != "message parser failed: test" {
		t.Errorf("warnings = %q, want the failure first", v.Warnings)
	}
	if !v.Source || v.Summary.AttachmentsExact {
		t.Errorf("Source %v, AttachmentsExact %v: want a source view without an exact count", v.Source, v.Summary.AttachmentsExact)
	}
}

// checkView asserts what every View promises whatever the input.
func checkView(t testing.TB, v *View) {
	t.Helper()
	if v == nil {
		t.Fatal("Parse returned nil")
	}
	for name, s := range map[string]string{"Subject": v.Summary.Subject, "Text": v.Text, "HTML": v.HTML, "HTMLText": v.HTMLText, "From": v.Summary.From.String()} {
		if !utf8.ValidString(s) {
			t.Errorf("%s is not valid UTF-8: %q", name, s)
		}
	}
	for _, f := range v.Header {
		if !utf8.ValidString(f.Name) || !utf8.ValidString(f.Value) {
			t.Errorf("header field %q is not valid UTF-8", f)
		}
	}
	n := 0
	for i, p := range v.Parts {
		if p.Index != i+1 {
			t.Errorf("part %d has Index %d", i, p.Index)
		}
		if !utf8.ValidString(p.Filename) {
			t.Errorf("part %d filename %q is not valid UTF-8", p.Index, p.Filename)
		}
		if p.IsAttachment && (!p.Embedded || p.uuencoded) {
			n++
		}
		if p.Embedded && i < len(v.Parts)-1 && !v.Parts[i+1].Embedded {
			t.Errorf("embedded part %d is not after the MIME parts", p.Index)
		}
	}
	if v.Source {
		// The structure was not read: no parts, and no exact count.
		if len(v.Parts) != 0 || v.Summary.AttachmentsExact {
			t.Errorf("source view with %d parts, exact=%v", len(v.Parts), v.Summary.AttachmentsExact)
		}
		return
	}
	if !v.Summary.AttachmentsExact || v.Summary.Attachments != n {
		t.Errorf("Summary.Attachments = %d exact=%v, parts say %d", v.Summary.Attachments, v.Summary.AttachmentsExact, n)
	}
}

// TestParseDeepHTMLKeepsItsText: HTML nested deeper than the HTML parser
// takes (x/net/html refuses more than 512 open elements; a mailer that
// never closes its <div> or <font> gets there) is still read: its text and
// links, without layout, with a warning, instead of an empty body.
func TestParseDeepHTMLKeepsItsText(t *testing.T) {
	for _, open := range []string{"<div>", "<font color=red>", "<table><tr><td>", "<blockquote>"} {
		html := "<html><head><style>p{}</style><script>evil()</script></head><body>" +
			strings.Repeat(open, 600) + "<p>Your invoice</p>is <a href=\"https://pay.example/x\">here</a>.<br>Thanks"
		v := Parse(msg([]byte(html), "Subject: deep", "Content-Type: text/html; charset=utf-8"))
		body := v.Body()
		for _, want := range []string{"Your invoice", "here [1]", "Thanks", "[1] https://pay.example/x"} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: body %q lacks %q", open, body, want)
			}
		}
		if strings.Contains(body, "evil") || strings.Contains(body, "p{}") {
			t.Errorf("%s: body %q holds script or style", open, body)
		}
		if len(v.Links) != 1 {
			t.Errorf("%s: links %q", open, v.Links)
		}
		if !slices.ContainsFunc(v.Warnings, func(w string) bool { return strings.Contains(w, "HTML") && !IsNote(w) }) {
			t.Errorf("%s: no warning: %q", open, v.Warnings)
		}
		if text, _, err := HTMLText(html); err != nil || !strings.Contains(text, "Your invoice") {
			t.Errorf("%s: HTMLText = %q, %v", open, text, err)
		}
	}
}

// TestParseTextThatDoesNotDecode: a text part whose bytes its charset's
// decoder rejects (UTF-7 with a stray "+", as in "+49 30 1234" written by
// a mailer that labels plain ASCII UTF-7, or a shift left open at the
// end) keeps its text and its attachments: enmime dropped the part (and,
// for a message of one part, read no MIME at all). What decodes is
// decoded; what does not stays as written.
func TestParseTextThatDoesNotDecode(t *testing.T) {
	text := "Call +49 30 1234, or +AOk-crivez: caf+AOk- +!!- end +AGEA"
	want := "Call +49 30 1234, or écrivez: café +!!- end a"
	multi := msg([]byte("--b\r\nContent-Type: text/plain; charset=utf-7\r\n\r\n"+text+"\r\n"+
		"--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=a.pdf\r\n\r\n%PDF\r\n--b--\r\n"),
		"Subject: utf7", "Content-Type: multipart/mixed; boundary=b")
	single := msg([]byte(text+"\r\n"), "Subject: utf7", "Content-Type: text/plain; charset=utf-7")
	for name, raw := range map[string][]byte{"multipart": multi, "single part": single} {
		v := Parse(raw)
		if got := strings.TrimSpace(v.Text); got != want {
			t.Errorf("%s: Text = %q, want %q (warnings %q)", name, got, want, v.Warnings)
		}
		if v.Source {
			t.Errorf("%s: MIME not read: %q", name, v.Warnings)
		}
		if name == "multipart" && len(v.Attachments()) != 1 {
			t.Errorf("%s: %d attachments", name, len(v.Attachments()))
		}
	}
	var d decoder
	if got := d.words("=?utf-7?Q?caf+AOk- +!!-?="); got != "café +!!-" {
		t.Errorf("encoded-word: %q", got)
	}
}

// TestParseDigestPartsAreMessages: in a multipart/digest a part without a
// Content-Type is a message/rfc822 (RFC 2046 5.1.5), as mailing-list
// digests write them, so that it is shown and saved as a message.
func TestParseDigestPartsAreMessages(t *testing.T) {
	raw := msg([]byte("--d\r\n\r\nFrom: one@x.example\r\nSubject: first\r\n\r\nbody 1\r\n"+
		"--d\r\nContent-Type: text/plain\r\n\r\na note\r\n"+
		"--d\r\n\r\nFrom: two@x.example\r\nSubject: second\r\n\r\nbody 2\r\n--d--\r\n"),
		"Subject: digest", "Content-Type: multipart/digest; boundary=d")
	v := Parse(raw)
	var got []string
	for _, p := range v.Parts {
		got = append(got, p.ContentType)
	}
	if want := []string{"message/rfc822", "text/plain", "message/rfc822"}; !reflect.DeepEqual(got, want) {
		t.Errorf("content types %q, want %q", got, want)
	}
	if len(v.Parts) == 3 {
		if inner := Parse(v.Parts[2].Content); inner.Summary.Subject != "second" {
			t.Errorf("third part read as a message: subject %q", inner.Summary.Subject)
		}
	}
	// Elsewhere a part without a Content-Type is still what enmime says.
	mixed := Parse(msg([]byte("--d\r\n\r\nplain text\r\n--d--\r\n"), "Subject: mixed", "Content-Type: multipart/mixed; boundary=d"))
	if len(mixed.Parts) != 1 || mixed.Parts[0].ContentType == "message/rfc822" {
		t.Errorf("multipart/mixed: %+v", mixed.Parts)
	}
}

// TestParseHTMLLayoutDoesNotAmplify: laid out, deeply nested HTML grows
// by its depth on every line (html2text prefixes each line with one ">"
// per open blockquote, indents each list level): 66 KB of
// "<blockquote>" x 500 and "<br>x" made 6.4 MB of text, which the
// viewer then wrapped and searched for links for 14 s. A layout many
// times larger than its source is dropped for the text without layout.
func TestParseHTMLLayoutDoesNotAmplify(t *testing.T) {
	for _, open := range []string{"<blockquote>", "<ul><li>", "<ol><li>", "<div style='margin-left:9px'><blockquote>"} {
		html := strings.Repeat(open, 500/strings.Count(open, "<")*2) + strings.Repeat("<br>line", 8000) + "<a href=\"https://x.example/\">end</a>"
		v := Parse(msg([]byte(html), "Subject: amplified", "Content-Type: text/html; charset=utf-8"))
		if limit := maxLayoutGrowth*len(html) + layoutSlack; len(v.HTMLText) > limit {
			t.Errorf("%s: %d bytes of HTML gave %d bytes of text (limit %d)", open, len(html), len(v.HTMLText), limit)
		}
		if strings.Count(v.HTMLText, "line") != 8000 || !strings.Contains(v.HTMLText, "end [1]") {
			t.Errorf("%s: the text is not all there: %.200q", open, v.HTMLText)
		}
		if !slices.ContainsFunc(v.Warnings, func(w string) bool { return strings.Contains(w, "HTML") }) {
			t.Errorf("%s: no warning: %q", open, v.Warnings)
		}
	}
	// Ordinary HTML keeps its layout.
	v := Parse(msg([]byte("<blockquote><blockquote>quoted</blockquote></blockquote><ul><li>item</li></ul>"),
		"Subject: plain", "Content-Type: text/html; charset=utf-8"))
	if !strings.Contains(v.HTMLText, "> > quoted") && !strings.Contains(v.HTMLText, ">> quoted") {
		t.Errorf("layout lost: %q", v.HTMLText)
	}
}

// TestParseHTMLCharsetFromMeta: an HTML part whose Content-Type names no
// charset is read in the charset its <meta> declares (bulk mailers
// declare it only there), and valid UTF-8 as UTF-8 whatever the <meta>
// says. enmime decoded a single HTML part twice (its guess, then the
// <meta> charset over the result: "CafÃ©" for "Café") and ignored the
// <meta> of an HTML part in a multipart.
func TestParseHTMLCharsetFromMeta(t *testing.T) {
	latin1 := "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=iso-8859-1\"></head><body><p>Caf\xe9 cr\xe8me br\xfbl\xe9e</p></body></html>"
	koi8 := "<meta charset=koi8-r><p>\xf0\xd2\xc9\xd7\xc5\xd4 \xcd\xc9\xd2</p>"
	sjis := "<meta http-equiv=Content-Type content=\"text/html; charset=Shift_JIS\"><p>\x82\xb1\x82\xf1\x82\xc9\x82\xbf\x82\xcd</p>"
	utf8Meta := "<meta charset=\"iso-8859-1\"><p>Caf\xc3\xa9 cr\xc3\xa8me</p>"
	for _, tc := range []struct {
		name, html, want string
	}{
		{"latin1", latin1, "Café crème brûlée"},
		{"koi8-r", koi8, "Привет мир"},
		{"shift_jis", sjis, "こんにちは"},
		{"utf-8 under a latin-1 meta", utf8Meta, "Café crème"},
	} {
		single := msg([]byte(tc.html), "Subject: meta", "Content-Type: text/html")
		multi := msg([]byte("--b\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"+tc.html+"\r\n--b--\r\n"),
			"Subject: meta", "Content-Type: multipart/alternative; boundary=b")
		for shape, raw := range map[string][]byte{"single": single, "multipart": multi} {
			v := Parse(raw)
			if !strings.Contains(v.HTMLText, tc.want) || !strings.Contains(v.HTML, tc.want) {
				t.Errorf("%s, %s: HTMLText %q", tc.name, shape, v.HTMLText)
			}
		}
	}
	// A charset in the Content-Type wins over the <meta>.
	v := Parse(msg([]byte(koi8), "Subject: meta", "Content-Type: text/html; charset=windows-1251"))
	if !strings.Contains(v.HTMLText, "рТЙЧЕФ") {
		t.Errorf("declared charset: %q", v.HTMLText)
	}
}

// TestBodyOfABlankTextAlternative: a text/plain alternative that holds
// only blanks (mailers that write HTML send one) does not hide the HTML:
// the reader saw an empty message.
func TestBodyOfABlankTextAlternative(t *testing.T) {
	for _, blank := range []string{" \r\n\r\n", "\r\n", "\u00a0\r\n\t\r\n"} {
		raw := msg([]byte("--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"+blank+"\r\n"+
			"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Real content</p>\r\n--b--\r\n"),
			"Subject: alt", "Content-Type: multipart/alternative; boundary=b")
		v := Parse(raw)
		if !strings.Contains(v.Body(), "Real content") {
			t.Errorf("%q: Body() = %q", blank, v.Body())
		}
	}
	v := &View{Text: "text", HTMLText: "html"}
	if v.Body() != "text" {
		t.Errorf("Body() = %q, want the text", v.Body())
	}
	v = &View{Text: " \n"}
	if v.Body() != " \n" {
		t.Errorf("Body() = %q, want the blank text when there is no HTML", v.Body())
	}
}

// TestParseSingleHTMLAttachmentStaysAnAttachment: the <meta> charset fix
// for a single HTML part does not make an HTML attachment the body.
func TestParseSingleHTMLAttachmentStaysAnAttachment(t *testing.T) {
	v := Parse(msg([]byte("<meta charset=iso-8859-1><p>caf\xe9</p>"), "Subject: att",
		"Content-Type: text/html", "Content-Disposition: attachment; filename=page.html"))
	if v.HTML != "" || len(v.Attachments()) != 1 {
		t.Errorf("HTML %q, %d attachments", v.HTML, len(v.Attachments()))
	}
}

// TestParseUTF8UnderASCIIOrNoCharset: a body of UTF-8 with no charset at
// all, or labelled US-ASCII (scripts and cron mail send it so), showed as
// mojibake ("cafÃ© â€” æ—¥æœ¬èªž"): the 8-bit bytes were read as
// windows-1252, WHATWG's reading of US-ASCII. Valid multi-byte UTF-8
// practically never arises from windows-1252 text, so it is read as UTF-8,
// said in a warning; real Latin-1 bytes keep the windows-1252 reading.
func TestParseUTF8UnderASCIIOrNoCharset(t *testing.T) {
	const body = "café ünïcödé — 日本語\r\n"
	for name, headers := range map[string][]string{
		"no Content-Type": {"Subject: x"},
		"no charset":      {"Subject: x", "MIME-Version: 1.0", "Content-Type: text/plain"},
		"us-ascii":        {"Subject: x", "MIME-Version: 1.0", "Content-Type: text/plain; charset=us-ascii"},
		"us-ascii, 8bit":  {"Subject: x", "MIME-Version: 1.0", "Content-Type: text/plain; charset=\"US-ASCII\"", "Content-Transfer-Encoding: 8bit"},
	} {
		v := Parse(msg([]byte(body), headers...))
		if v.Text != "café ünïcödé — 日本語\n" {
			t.Errorf("%s: Text = %q", name, v.Text)
		}
		// The note says what was declared: a charset, or none.
		want := `declared charset "us-ascii" but holds UTF-8`
		if !strings.Contains(strings.ToLower(strings.Join(headers, "\n")), "charset") {
			want = "declares no charset but holds UTF-8"
		}
		if !containsWarning(strings.Split(strings.ToLower(strings.Join(v.Warnings, "\n")), "\n"), strings.ToLower(want)) {
			t.Errorf("%s: warnings %q, want one saying %q", name, v.Warnings, want)
		}
	}
	latin1 := msg(encode(t, charmap.Windows1252, "Grüße\r\n"), "Subject: x", "MIME-Version: 1.0", "Content-Type: text/plain; charset=us-ascii")
	if v := Parse(latin1); v.Text != "Grüße\n" {
		t.Errorf("windows-1252 under us-ascii: Text = %q", v.Text)
	}
}

// TestParseDeclaredUTF8IsNotOverriddenByTheDetector: an HTML body declared
// UTF-8, mostly ASCII with one "漢字", read "Col 1 æ¼¢å\u00ad—" in show and
// the viewer (enmime's chardet: windows-1252, confidence 98), with the
// note 'declared charset "utf-8", detected "windows-1252"'. Valid UTF-8
// under a UTF-8 label is read as UTF-8, without the note.
func TestParseDeclaredUTF8IsNotOverriddenByTheDetector(t *testing.T) {
	html := "<html><body><h1>Hello</h1><table><tr><td>Col 1 漢字</td><td>Col2 <a href='https://example.com/a'>link</a></td></tr></table><p>" +
		strings.Repeat("para ", 200) + "</p></body></html>\r\n"
	for _, ct := range []string{"text/html; charset=utf-8", `text/html; charset="UTF-8"`} {
		v := Parse(msg([]byte(html), "Subject: x", "MIME-Version: 1.0", "Content-Type: "+ct))
		if !strings.Contains(v.HTMLText, "Col 1 漢字") {
			t.Errorf("%s: HTML as text %q", ct, v.HTMLText[:min(len(v.HTMLText), 80)])
		}
		for _, w := range v.Warnings {
			if strings.Contains(w, "detected") {
				t.Errorf("%s: warning %q", ct, w)
			}
		}
	}
}
