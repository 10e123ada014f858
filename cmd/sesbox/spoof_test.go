package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/mailbox"
	"github.com/sesbox/sesbox/mailstore/mime"
)

// TestSenderNamesCannotPassForAnotherDomain: ls's table showed a sender
// by its name alone, so mail from evil@evil.example named
// "security＠bank.example" (a fullwidth @) was listed as from
// bank.example, and show printed that name before the address as if it
// were one. The table shows the address then, cut in its local part
// rather than its domain; show quotes the name; a domain with a
// Cyrillic letter among Latin ones shows in its ASCII form; --json
// keeps every value exact.
func TestSenderNamesCannotPassForAnotherDomain(t *testing.T) {
	raw := []byte("Received: from x by inbound-smtp.us-east-1.amazonaws.com with SMTP id k for me@example.com; Mon, 02 Nov 2026 10:00:00 +0000\r\n" +
		"From: =?utf-8?q?security=EF=BC=A0bank=2Eexample_<security@bank.example>?= <evil@evil.example>\r\n" +
		"To: me@example.com\r\nReply-To: Bank <help@b\xd0\xb0nk.example>\r\nSubject: verify\r\n" +
		"Date: Mon, 02 Nov 2026 10:00:00 +0000\r\n\r\nbody\r\n")
	v := mime.Parse(raw)
	if v.Summary.From.Name != "security＠bank.example <security@bank.example>" || v.Summary.From.Address != "evil@evil.example" {
		t.Fatalf("the From parsed as %+v", v.Summary.From)
	}
	var table bytes.Buffer
	if err := printTable(&table, []mailstore.Summary{v.Summary}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table.String(), "evil@evil.example") || strings.Contains(table.String(), "bank.example") {
		t.Errorf("ls's table does not show the sender's address alone:\n%s", table.String())
	}
	long := v.Summary
	long.From.Name, long.From.Address = "", "bank.example.account.verify@evil.example"
	table.Reset()
	if err := printTable(&table, []mailstore.Summary{long}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table.String(), "…@evil.example") {
		t.Errorf("ls's table cut the domain of a long address:\n%s", table.String())
	}
	var show bytes.Buffer
	if err := printMessage(&show, &mailbox.Message{Summary: v.Summary, Raw: raw, View: v}, false); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`From:     "security＠bank.example <security@bank.example>" <evil@evil.example>`,
		"Reply-To: Bank <help@xn--bnk-6cd.example>",
	} {
		if !strings.Contains(show.String(), want+"\n") {
			t.Errorf("show does not say %q:\n%s", want, show.String())
		}
	}
	if row := lsRowOf(&v.Summary); row.FromName != v.Summary.From.Name || row.FromAddress != "evil@evil.example" || row.From != v.Summary.From.String() {
		t.Errorf("ls --json changed the sender: %q, %q, %q", row.From, row.FromName, row.FromAddress)
	}
}
