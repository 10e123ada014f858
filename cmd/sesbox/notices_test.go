package main

import (
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore/mailbox"
	"github.com/sesbox/sesbox/mailstore/mime"
)

// TestShowPrintsNotices: show says what the structure means above the
// body, as the viewer does (an invitation's what and when; a signature it
// did not verify), sanitized: the summary is the sender's text.
func TestShowPrintsNotices(t *testing.T) {
	raw := "From: a@x.example\r\nSubject: invite\r\nDate: Tue, 3 Nov 2026 09:02:05 -0500\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; boundary=S\r\n\r\n" +
		"--S\r\nContent-Type: text/calendar; method=REQUEST\r\n\r\n" +
		"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nSUMMARY:Review \x1b]0;pwned\a\r\n" +
		"DTSTART:20261110T150000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n" +
		"--S\r\nContent-Type: application/pkcs7-signature; name=smime.p7s\r\n\r\nMIIG\r\n--S--\r\n"
	v := mime.Parse([]byte(raw))
	var b strings.Builder
	if err := printMessage(&b, &mailbox.Message{Summary: v.Summary, Raw: []byte(raw), View: v}, false); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"Signed with S/MIME: sesbox does not verify signatures", "Invitation (part 1): Review", "When:  Tue 10 Nov 2026 15:00 UTC"} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b") {
		t.Errorf("show printed an escape sequence:\n%q", out)
	}
}
