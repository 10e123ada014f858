package viewer

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore/mailbox"
	"github.com/sesbox/sesbox/mailstore/mime"
	"github.com/sesbox/sesbox/tui/internal/fixture"
)

// viewRaw shows a message parsed from raw, as mailbox.Open would give it.
func viewRaw(t *testing.T, w, h int, raw string) string {
	t.Helper()
	c := fixture.Common(w, h)
	c.Now = func() time.Time { return fixture.DemoNow }
	m := New(c)
	m.SetSize(w, h)
	v := mime.Parse([]byte(raw))
	v.Summary.Key = "inbound/test"
	m.SetMessage(&mailbox.Message{Summary: v.Summary, Raw: []byte(raw), View: v})
	return m.View()
}

func TestViewerShowsForgedSESHeaders(t *testing.T) {
	raw := "Received: from a by inbound-smtp.us-east-1.amazonaws.com with SMTP id q for info@acme-demo.example; Tue, 3 Nov 2026 14:02:11 +0000\r\n" +
		"From: Mallory <mallory@evil.example>\r\nSubject: pay\r\nDate: Tue, 3 Nov 2026 09:02:05 -0500\r\n" +
		"Received: from x by inbound-smtp.us-east-1.amazonaws.com with SMTP id y for <ceo@acme-demo.example>;\r\n" +
		"\r\nPlease pay.\r\n"
	view := viewRaw(t, 100, 30, raw)
	if !strings.Contains(view, "! forged SES header below the receipt block: Received") {
		t.Errorf("no forged-header warning:\n%s", view)
	}
	if strings.Contains(view, "ceo@") {
		t.Errorf("the forged envelope recipient is shown:\n%s", view)
	}
}

func TestViewerShowsBidiAsMarkers(t *testing.T) {
	raw := "From: a@example.com\r\nSubject: invoice \u202egpj.exe\r\nContent-Type: text/plain; charset=utf-8\r\n\r\npay to \u2067account\u2069 now\r\n"
	view := viewRaw(t, 100, 30, raw)
	for _, want := range []string{"invoice <U+202E>gpj.exe", "pay to <U+2067>account<U+2069> now"} {
		if !strings.Contains(view, want) {
			t.Errorf("view lacks %q:\n%s", want, view)
		}
	}
	if strings.ContainsAny(view, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069") {
		t.Errorf("a bidi control reached the screen:\n%s", view)
	}
}

// TestViewerQuotesANamePosingAsAnAddress: the From line showed
// `security＠bank.example <security@bank.example> <evil@evil.example>`,
// a name written to read as the address; the name is quoted, so the
// sender's address is the only one outside quotes, and a domain with a
// Cyrillic letter among Latin ones is shown in its ASCII form.
func TestViewerQuotesANamePosingAsAnAddress(t *testing.T) {
	raw := "From: =?utf-8?q?security=EF=BC=A0bank=2Eexample_<security@bank.example>?= <evil@evil.example>\r\n" +
		"To: Bank <help@b\xd0\xb0nk.example>\r\nSubject: verify\r\n\r\nbody\r\n"
	view := viewRaw(t, 120, 30, raw)
	for _, want := range []string{`"security＠bank.example <security@bank.example>" <evil@evil.example>`, "Bank <help@xn--bnk-6cd.example>"} {
		if !strings.Contains(view, want) {
			t.Errorf("view lacks %q:\n%s", want, view)
		}
	}
}

// TestPartNamesShowTheirExtension: an attachment named "invoice.pdf", a
// hundred blanks (spaces, ideographic spaces, braille blanks) or
// underscores, and ".exe" showed as "invoice.pdf" in the header's
// Attached line and the parts list, cut at the screen's edge with its
// extension; each run of blanks is one space, as the file is saved, and
// a name past 40 cells is cut in its middle.
func TestPartNamesShowTheirExtension(t *testing.T) {
	for name, want := range map[string]string{
		"invoice.pdf" + strings.Repeat(" ", 100) + ".exe":             "invoice.pdf .exe",
		"statement.pdf" + strings.Repeat("\u3000\u2800", 50) + ".scr": "statement.pdf .scr",
		"receipt.pdf" + strings.Repeat("_", 100) + ".js":              "receipt.pdf" + strings.Repeat("_", 25) + "….js",
	} {
		raw := "From: a@example.com\r\nSubject: invoice\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
			"--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n" +
			"--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"" + name + "\"\r\n\r\nMZ\r\n--b--\r\n"
		if view := viewRaw(t, 80, 24, raw); !strings.Contains(view, "Attached: [2] "+want+" (2B)") {
			t.Errorf("the header does not show %q:\n%s", want, view)
		}
		c := fixture.Common(80, 24)
		m := New(c)
		m.SetSize(80, 24)
		v := mime.Parse([]byte(raw))
		v.Summary.Key = "inbound/test"
		m.SetMessage(&mailbox.Message{Summary: v.Summary, Raw: []byte(raw), View: v})
		m, _ = press(t, m, "p")
		if view := m.View(); !strings.Contains(view, want) {
			t.Errorf("the parts list does not show %q:\n%s", want, view)
		}
	}
}

// TestViewerSourceFallback: a message the parser refuses (here: too many
// parts) is shown as its sanitized source, with the reason.
func TestViewerSourceFallback(t *testing.T) {
	var b strings.Builder
	b.WriteString("From: a@example.com\r\nSubject: many\r\nContent-Type: multipart/mixed; boundary=p\r\n\r\n")
	for i := range 1001 {
		fmt.Fprintf(&b, "--p\r\nContent-Type: text/plain\r\n\r\npart %d \x1b]0;title\x07\r\n", i)
	}
	view := viewRaw(t, 100, 30, b.String())
	if !strings.Contains(view, "! more than 1000 MIME parts (a guard") || !strings.Contains(view, "--p") {
		t.Errorf("no source fallback:\n%s", view)
	}
	if strings.ContainsAny(view, "\x07") || strings.Contains(view, "\x1b]") {
		t.Errorf("the source was not sanitized:\n%q", view)
	}
}

// TestViewerShowsNotices: an invitation says what, when and who above the
// body (sanitized: its fields are the sender's), and an encrypted message
// says why it has no text.
func TestViewerShowsNotices(t *testing.T) {
	raw := "From: a@x.example\r\nSubject: invite\r\nDate: Tue, 3 Nov 2026 09:02:05 -0500\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: text/calendar; method=REQUEST\r\n\r\n" +
		"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nSUMMARY:Review \x1b[2J\x1b]0;pwned\a\r\n" +
		"DTSTART:20261110T150000Z\r\nORGANIZER;CN=Bob:mailto:bob@x.example\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	view := viewRaw(t, 100, 30, raw)
	for _, want := range []string{"Invitation (part 1): Review", "When:  Tue 10 Nov 2026 15:00 UTC", "By:    Bob <bob@x.example>"} {
		if !strings.Contains(view, want) {
			t.Errorf("view lacks %q:\n%s", want, view)
		}
	}
	if strings.Contains(view, "\x1b]0") || strings.Contains(view, "\x1b[2J") {
		t.Errorf("the notice reached the screen unsanitized:\n%q", view)
	}
	raw = "From: a@x.example\r\nSubject: secret\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\r\nContent-Transfer-Encoding: base64\r\n\r\nMIAGCSqGSIb3DQEHA6CAMIACAQAx\r\n"
	if view := viewRaw(t, 100, 30, raw); !strings.Contains(view, "Encrypted with S/MIME (part 1): sesbox cannot decrypt it") {
		t.Errorf("no notice of encryption:\n%s", view)
	}
}
