package main

import (
	"os"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore/testutil/fakes3"
)

// TestShowNotesAfterTheBody: enmime's warnings on how the text was read
// (stray characters in base64, an unknown charset) come after the body and
// attachments under their own heading, not as warnings in the header block;
// a warning that matters (a forged SES field) stays there
// (TestForgedSESHeadersShowWarns).
func TestShowNotesAfterTheBody(t *testing.T) {
	isolate(t)
	srv := fakes3.Start(t, "mail")
	raw, err := os.ReadFile("../../mailstore/demo/messages/ths366cuecr3mni1hpb725v0p9ies8vt0hb1b953.eml")
	if err != nil {
		t.Fatal(err)
	}
	srv.Put(t, "mail", "in/q5521", raw)
	out, errOut, code := sesbox(t, "--endpoint", srv.URL, "--bucket", "mail", "--prefix", "in/", "show", "q5521")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	head, rest, _ := strings.Cut(out, "\n\n")
	if strings.Contains(head, "Warning:") {
		t.Errorf("library notes as warnings in the header block:\n%s", head)
	}
	body := strings.Index(rest, "Following up on quote Q-5521")
	notes := strings.Index(rest, "\nNotes on how the message was read:\n")
	note := strings.Index(rest, "\n  [W] Malformed Base64: unexpected '!' in base64 stream\n")
	if body < 0 || notes < body || note < notes {
		t.Errorf("want the body, then the notes:\n%s", out)
	}
}
