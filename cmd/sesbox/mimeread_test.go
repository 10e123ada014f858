package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore/testutil/fakes3"
)

// corpusBucket stores testdata/corpus messages as SES stores them (its
// receipt block first) under in/, keyed by id, and returns the flags that
// point sesbox at them.
func corpusBucket(t *testing.T, files map[string]string) []string {
	t.Helper()
	srv := fakes3.Start(t, "mail")
	for id, f := range files {
		b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "corpus", f))
		if err != nil {
			t.Fatal(err)
		}
		srv.Put(t, "mail", "in/"+id, append([]byte(hostileReceipt(id)), b...))
	}
	return []string{"--endpoint", srv.URL, "--bucket", "mail", "--prefix", "in/"}
}

// TestShowPrintsForwardedMessages: show prints each message a message
// holds (message/rfc822 inline and as an attachment, message/global,
// text/rfc822-headers) after the body, as mutt does: under a rule naming
// its part, its From, To, Date and Subject and its body decoded in its own
// charsets, its attachments listed. save still writes each such part as
// it is, the messages as .eml. show listed them as attachments only.
func TestShowPrintsForwardedMessages(t *testing.T) {
	dir := isolate(t)
	flags := corpusBucket(t, map[string]string{"fwd0000000001": "sesbox-forwarded_messages_charsets.eml"})
	for _, html := range []bool{false, true} {
		args := append(flags, "show", "fwd0000000001")
		if html {
			args = append(flags, "show", "--html", "fwd0000000001")
		}
		out, errOut, code := sesbox(t, args...)
		if code != 0 {
			t.Fatalf("show: exit %d: %s", code, errOut)
		}
		at := 0
		for _, want := range []string{
			"See the messages below.",
			"----- message in part 2 -----", "From:     Jürgen Müller <juergen@example.de>", "Subject:  Grüße", "Grüße aus Köln, voilà.",
			"Attached to the message in part 2:", "[2] bericht.pdf  application/pdf",
			"----- message in part 3 -----", "From:     Иван <ivan@example.ru>", "Subject:  Отчёт", "Привет, это пересланное письмо.\nВторая строка.",
			"----- message in part 4 -----", "Subject:  Bücher für Zoë", "Das Bücherregal ist fertig.",
			"----- message header in part 5 -----", "From:     Original Sender <orig@example.org>", "Subject:  the returned header",
			"Attachments:", "[2] (no name)  message/rfc822", "[3] report.eml  message/rfc822", "[4] (no name)  message/global", "[5] (no name)  text/rfc822-headers",
		} {
			i := strings.Index(out[at:], want)
			if i < 0 {
				t.Fatalf("show (html %v) lacks %q after byte %d:\n%s", html, want, at, out)
			}
			at += i + len(want)
		}
		if strings.Contains(out, "no text body") {
			t.Errorf("show says there is no text body:\n%s", out)
		}
	}

	saved := filepath.Join(dir, "saved")
	out, errOut, code := sesbox(t, append(flags, "save", "fwd0000000001", "--dir", saved)...)
	if code != 0 {
		t.Fatalf("save: exit %d: %s", code, errOut)
	}
	var names []string
	for _, p := range strings.Fields(out) {
		names = append(names, filepath.Base(p))
	}
	sort.Strings(names)
	if strings.Join(names, " ") != "part-2.eml part-4.eml part-5.txt report.eml" {
		t.Errorf("save wrote %v", names)
	}
	b, err := os.ReadFile(filepath.Join(saved, "part-2.eml"))
	if err != nil || !strings.HasPrefix(string(b), "From: =?ISO-8859-1?Q?J=FCrgen_M=FCller?=") || !strings.HasSuffix(string(b), "--in1--\r\n") {
		t.Errorf("part-2.eml: %v %q", err, b)
	}
}

// TestSaveWritesNamedTextParts: text parts with a name= and no
// Content-Disposition (Pine, old Outlook) are shown in the body and listed
// and saved as attachments, as mutt does; ls counts them, before and after
// the message is opened. save said the message had no attachments.
func TestSaveWritesNamedTextParts(t *testing.T) {
	dir := isolate(t)
	flags := corpusBucket(t, map[string]string{"named00000001": "cpython-named_text_parts_no_disposition.eml"})
	count := func() any {
		rows := lsJSON(t, flags...)
		if len(rows) != 1 || rows[0]["attachmentsExact"] != true {
			t.Fatalf("ls --json: %v", rows)
		}
		return rows[0]["attachments"]
	}
	if n := count(); n != 2.0 {
		t.Errorf("ls counts %v attachments, want 2", n)
	}
	out, errOut, code := sesbox(t, append(flags, "show", "named00000001")...)
	if code != 0 || !strings.Contains(out, "a simple kind of mirror\nto reflect upon our own") ||
		!strings.Contains(out, "Attachments:\n  [1] msg.txt  text/plain  48B\n  [2] msg.txt  text/plain  48B\n") {
		t.Fatalf("show: exit %d: %s%s", code, out, errOut)
	}
	saved := filepath.Join(dir, "saved")
	out, errOut, code = sesbox(t, append(flags, "save", "named00000001", "--dir", saved)...)
	if code != 0 {
		t.Fatalf("save: exit %d: %s", code, errOut)
	}
	if got := strings.Fields(out); len(got) != 2 || filepath.Base(got[0]) != "msg.txt" || filepath.Base(got[1]) != "msg-1.txt" {
		t.Fatalf("save wrote %q", got)
	}
	if b, err := os.ReadFile(filepath.Join(saved, "msg.txt")); err != nil || string(b) != "a simple kind of mirror\nto reflect upon our own\n" {
		t.Errorf("msg.txt: %v %q", err, b)
	}
	if n := count(); n != 2.0 {
		t.Errorf("ls counts %v attachments after opening, want 2", n)
	}
}

// digest is a multipart/digest of n short messages, as a mailing list
// sends them: each an implicit message/rfc822 part.
func digest(n int) []byte {
	var b strings.Builder
	b.WriteString("From: list@example.com\r\nTo: info@acme-demo.example\r\nSubject: digest\r\nDate: Mon, 2 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/digest; boundary=D\r\n\r\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "--D\r\n\r\nFrom: user%d@example.com\r\nSubject: post %d\r\nDate: Mon, 2 Nov 2026 09:00:00 +0000\r\n\r\nThe text of post %d.\r\n\r\n", i, i, i)
	}
	b.WriteString("--D--\r\n")
	return []byte(b.String())
}

// TestDigestOfHundredsOfMessages: a digest of 1,000 messages (the most
// parts a message may have: a guard against parse bombs, which a digest
// of tens to hundreds of messages stays under) is shown message by
// message and save writes each as a .eml; one of 1,001 is shown as its
// source, and save says first what to do (write the source whole with
// show --raw, for a mail client), where it said only that the parts could
// not be read.
func TestDigestOfHundredsOfMessages(t *testing.T) {
	dir := isolate(t)
	srv := fakes3.Start(t, "mail")
	srv.Put(t, "mail", "in/digest0001000", append([]byte(hostileReceipt("digest0001000")), digest(1000)...))
	srv.Put(t, "mail", "in/digest0001001", append([]byte(hostileReceipt("digest0001001")), digest(1001)...))
	flags := []string{"--endpoint", srv.URL, "--bucket", "mail", "--prefix", "in/"}

	out, errOut, code := sesbox(t, append(flags, "show", "digest0001000")...)
	if code != 0 || !strings.Contains(out, "----- message in part 1000 -----\nFrom:     user1000@example.com\n") || !strings.Contains(out, "The text of post 1000.") {
		t.Fatalf("show of 1,000 messages: exit %d: %.2000s%s", code, out, errOut)
	}
	saved := filepath.Join(dir, "saved")
	out, errOut, code = sesbox(t, append(flags, "save", "digest0001000", "--dir", saved)...)
	if n := len(strings.Fields(out)); code != 0 || n != 1000 {
		t.Fatalf("save: exit %d, %d files: %s", code, n, errOut)
	}
	if b, err := os.ReadFile(filepath.Join(saved, "part-1000.eml")); err != nil || !strings.HasPrefix(string(b), "From: user1000@example.com\r\n") {
		t.Errorf("part-1000.eml: %v %q", err, b)
	}

	out, _, code = sesbox(t, append(flags, "show", "digest0001001")...)
	if code != 0 || !strings.Contains(out, "more than 1000 MIME parts") || !strings.Contains(out, "--D\n\nFrom: user1001@example.com") {
		t.Errorf("show of 1,001 messages: exit %d: %.1000s", code, out)
	}
	_, errOut, code = sesbox(t, append(flags, "save", "digest0001001", "--dir", saved)...)
	if code != 1 || !strings.HasPrefix(errOut, `sesbox: sesbox show --raw "in/digest0001001" > message.eml writes its source whole`) {
		t.Errorf("save of 1,001 parts: exit %d: %s", code, errOut)
	}
}
