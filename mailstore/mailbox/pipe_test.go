package mailbox

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"testing/quick"
	"time"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/mime"
	"github.com/sesbox/sesbox/mailstore/testutil/mboxrd"
)

// pipeLines are the lines the messages are drawn from: From_ lines and
// their quoted forms, which mboxrd quotes, blank lines, CRLF, and bytes
// that are no UTF-8.
var pipeLines = []string{
	"From: a@example.com\n", "From a@example.com Mon Dec  7 10:00:00 2026\n", ">From here\n",
	">>From there\n", "\n", "\r\n", "Subject: x\r\n", "body\n", "\xff\xfe raw\n", "From\n", " From indented\n",
}

// TestPipeTextRawRoundTripsExactly: a pipe of several messages, raw, is
// an mbox stream a reader splits back into exactly the stored bytes of
// each, in order (a message ending in a newline, as SES stores them); a
// pipe of one is its stored bytes as they are, a final newline or none.
func TestPipeTextRawRoundTripsExactly(t *testing.T) {
	check := func(seed uint64, n uint8) bool {
		r := rand.New(rand.NewPCG(seed, 1))
		msgs := make([]*Message, int(n%5)+2)
		for i := range msgs {
			var b bytes.Buffer
			b.WriteString("Return-Path: <x@example.com>\n")
			for range r.IntN(12) {
				b.WriteString(pipeLines[r.IntN(len(pipeLines))])
			}
			msgs[i] = &Message{Raw: b.Bytes(), Summary: mailstore.Summary{Object: mailstore.Object{
				Key: "in/k", LastModified: time.Unix(r.Int64N(2e9), 0)}}}
		}
		got, err := mboxrd.Read(bytes.NewReader(PipeText(msgs, true)))
		if err != nil || len(got) != len(msgs) {
			t.Logf("read back %d of %d messages: %v", len(got), len(msgs), err)
			return false
		}
		for i := range msgs {
			if !bytes.Equal(got[i], msgs[i].Raw) {
				t.Logf("message %d: piped %q, stored %q", i, got[i], msgs[i].Raw)
				return false
			}
		}
		one := msgs[0].Raw[:len(msgs[0].Raw)-r.IntN(2)] // with or without its newline
		return bytes.Equal(PipeText([]*Message{{Raw: one}}, true), one)
	}
	if err := quick.Check(check, &quick.Config{MaxCount: 500}); err != nil {
		t.Fatal(err)
	}
}

// TestPipeTextDecoded: decoded, each message is its header fields a
// reader wants and its body text, in order, a blank line between; one
// that could not be parsed is its stored bytes.
func TestPipeTextDecoded(t *testing.T) {
	a := []byte("From: A <a@example.com>\nSubject: =?UTF-8?B?7ZWc6rWt?=\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n7JWI64WV\n")
	b := []byte("From: b@example.com\nSubject: two\n\nsecond body\n")
	va, vb := mime.Parse(a), mime.Parse(b)
	got := string(PipeText([]*Message{{Raw: a, View: va}, {Raw: b, View: vb}, {Raw: []byte("unparsed\n")}}, false))
	want := "From: A <a@example.com>\nSubject: 한국\n\n안녕\n" + "\n" + "From: b@example.com\nSubject: two\n\nsecond body\n" + "\n" + "unparsed\n"
	if got != want {
		t.Fatalf("decoded pipe:\n%q\nwant\n%q", got, want)
	}
}
