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

// TestPipeTextDecoded: decoded, one message is its header fields a
// reader wants and its body text; several are an mboxrd stream of those
// texts (a message that could not be parsed: its stored bytes), each
// after a From_ line naming its envelope sender and when SES stored it.
func TestPipeTextDecoded(t *testing.T) {
	a := []byte("Return-Path: <a@example.com>\nFrom: A <a@example.com>\nSubject: =?UTF-8?B?7ZWc6rWt?=\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n7JWI64WV\n")
	b := []byte("From: b@example.com\nSubject: two\n\nFrom the start\nsecond body\n")
	va, vb := mime.Parse(a), mime.Parse(b)
	stored := time.Date(2026, 11, 2, 9, 3, 4, 0, time.UTC)
	sum := mailstore.Summary{Object: mailstore.Object{LastModified: stored}}
	if got, want := string(PipeText([]*Message{{Raw: a, View: va}}, false)), "From: A <a@example.com>\nSubject: 한국\n\n안녕\n"; got != want {
		t.Fatalf("decoded pipe of one:\n%q\nwant\n%q", got, want)
	}
	got := string(PipeText([]*Message{{Raw: a, View: va, Summary: sum}, {Raw: b, View: vb, Summary: sum}, {Raw: []byte("unparsed"), Summary: sum}}, false))
	want := "From a@example.com Mon Nov  2 09:03:04 2026\nFrom: A <a@example.com>\nSubject: 한국\n\n안녕\n\n" +
		"From MAILER-DAEMON Mon Nov  2 09:03:04 2026\nFrom: b@example.com\nSubject: two\n\n>From the start\nsecond body\n\n" +
		"From MAILER-DAEMON Mon Nov  2 09:03:04 2026\nunparsed\n\n"
	if got != want {
		t.Fatalf("decoded pipe:\n%q\nwant\n%q", got, want)
	}
}

// TestPipeTextDecodedSplitsBackExactly: a decoded pipe of several
// messages was their texts with a blank line between, which a script
// could not split (a body holds blank lines, and any line a separator
// would be). It is an mboxrd stream a reader splits back into exactly
// each message's decoded text, whatever From_ lines, quoted ones, blank
// lines, CRLFs or bytes that are no UTF-8 the bodies hold (a message
// that could not be parsed: its stored bytes, ending in a newline).
func TestPipeTextDecodedSplitsBackExactly(t *testing.T) {
	check := func(seed uint64, n uint8) bool {
		r := rand.New(rand.NewPCG(seed, 2))
		msgs := make([]*Message, int(n%5)+2)
		want := make([][]byte, len(msgs))
		for i := range msgs {
			var b bytes.Buffer
			b.WriteString("Return-Path: <x@example.com>\nFrom: x@example.com\nSubject: s\n\n")
			for range r.IntN(12) {
				b.WriteString(pipeLines[r.IntN(len(pipeLines))])
			}
			msgs[i] = &Message{Raw: b.Bytes(), Summary: mailstore.Summary{Object: mailstore.Object{
				Key: "in/k", LastModified: time.Unix(r.Int64N(2e9), 0)}}}
			want[i] = b.Bytes()
			if r.IntN(4) > 0 {
				msgs[i].View = mime.Parse(msgs[i].Raw)
				want[i] = mime.DecodedText(msgs[i].View)
			} else if !bytes.HasSuffix(want[i], []byte("\n")) {
				want[i] = append(want[i], '\n')
			}
		}
		got, err := mboxrd.Read(bytes.NewReader(PipeText(msgs, false)))
		if err != nil || len(got) != len(msgs) {
			t.Logf("read back %d of %d messages: %v", len(got), len(msgs), err)
			return false
		}
		for i := range msgs {
			if !bytes.Equal(got[i], want[i]) {
				t.Logf("message %d: piped %q, decoded %q", i, got[i], want[i])
				return false
			}
		}
		return true
	}
	if err := quick.Check(check, &quick.Config{MaxCount: 500}); err != nil {
		t.Fatal(err)
	}
}
