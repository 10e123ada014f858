package mime

import (
	"strings"
	"testing"
)

// TestPartWithoutContentTypeIsText: a part of a multipart that declares no
// Content-Type is text/plain in US-ASCII (RFC 2045 5.2, RFC 2046 5.1.1,
// whose own example begins with such a part), as Python's email package,
// mutt and MIME-tools read it. sesbox listed it as an attachment of no
// name and left its text out of the body (MIME-tools' multi-simple.msg,
// enmime's parts/missing-ctype.raw); two delimiter lines in a row, or one
// just before the end, made an empty "(no name) 0B" attachment.
func TestPartWithoutContentTypeIsText(t *testing.T) {
	head := "From: a@example.com\r\nTo: b@example.com\r\nSubject: s\r\nDate: Tue, 3 Nov 2026 09:02:05 -0500\r\nMIME-Version: 1.0\r\n"
	tests := []struct {
		name, ctype, body string
		text, html        string // Text holds text, HTML holds html
		parts             []string
	}{
		{name: "headerless first part", ctype: "multipart/mixed; boundary=\"simple boundary\"",
			body: "preamble\r\n--simple boundary\r\n\r\nImplicitly typed plain text.\r\n--simple boundary\r\n" +
				"Content-Type: text/plain; charset=us-ascii\r\n\r\nExplicitly typed text.\r\n--simple boundary--\r\nepilogue\r\n",
			text: "Implicitly typed plain text.\n--\nExplicitly typed text."},
		{name: "transfer encoding alone, in an alternative", ctype: "multipart/alternative; boundary=B",
			body: "--B\r\nContent-Transfer-Encoding: base64\r\n\r\nQSB0ZXh0IHNlY3Rpb24=\r\n--B\r\n" +
				"Content-Type: text/html; charset=us-ascii\r\n\r\n<p>An HTML section</p>\r\n--B--\r\n",
			text: "A text section", html: "An HTML section"},
		{name: "8-bit UTF-8 under no header", ctype: "multipart/mixed; boundary=B",
			body: "--B\r\n\r\ncafé — 日本語\r\n--B--\r\n", text: "café — 日本語"},
		{name: "empty parts", ctype: "multipart/mixed; boundary=B",
			body: "--B\r\nContent-Type: text/plain\r\n\r\nhello\r\n--B\r\n--B\r\nContent-Type: application/zip; name=a.zip\r\n\r\nPK\r\n--B\r\n\r\n",
			text: "hello", parts: []string{"application/zip a.zip"}},
		{name: "digest keeps message/rfc822", ctype: "multipart/digest; boundary=B",
			body:  "--B\r\n\r\nFrom: c@example.com\r\nSubject: inner\r\n\r\ninner body\r\n--B--\r\n",
			parts: []string{"message/rfc822 "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := []byte(head + "Content-Type: " + tt.ctype + "\r\n\r\n" + tt.body)
			v := Parse(raw)
			checkView(t, v)
			if strings.TrimSpace(v.Text) != tt.text {
				t.Errorf("Text = %q, want %q", v.Text, tt.text)
			}
			if !strings.Contains(v.HTMLText, tt.html) {
				t.Errorf("HTMLText = %q, want %q in it", v.HTMLText, tt.html)
			}
			var parts []string
			for _, p := range v.Attachments() {
				parts = append(parts, p.ContentType+" "+p.Filename)
			}
			if strings.Join(parts, "|") != strings.Join(tt.parts, "|") {
				t.Errorf("attachments %q, want %q", parts, tt.parts)
			}
			if containsWarning(v.Warnings, "Content-Type") {
				t.Errorf("warnings %q: a part may declare no Content-Type", v.Warnings)
			}
			if n, exact := CountAttachments(raw, int64(len(raw))); n != len(tt.parts) || !exact || n != v.Summary.Attachments {
				t.Errorf("CountAttachments = %d, %v; Parse counts %d", n, exact, v.Summary.Attachments)
			}
		})
	}
}

// TestContentTypeTextWithoutSubtype: "Content-Type: text" (old mailers;
// Python's msg_14.txt) is text/plain, as mutt reads it. sesbox listed the
// body as an attachment of type "text" and said "no text body".
func TestContentTypeTextWithoutSubtype(t *testing.T) {
	head := "From: a@example.com\r\nSubject: s\r\nMIME-Version: 1.0\r\n"
	for name, raw := range map[string]string{
		"message": head + "Content-Type: text; charset=us-ascii\r\n\r\nHi,\r\nplain text.\r\n",
		"part":    head + "Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: TEXT\r\n\r\nHi,\r\nplain text.\r\n--B--\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			v := Parse([]byte(raw))
			checkView(t, v)
			if strings.TrimSpace(v.Text) != "Hi,\nplain text." || len(v.Attachments()) != 0 || v.Summary.Attachments != 0 {
				t.Errorf("Text %q, attachments %+v", v.Text, v.Attachments())
			}
		})
	}
}
