package forward

import (
	"bytes"
	"encoding/base64"
	"errors"
	"mime"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore/headerfold"
)

// fixtures is the upstream conformance data, copied byte for byte from the
// Lambda's test/assets (see testdata/forwarder/CASES.md).
const fixtures = "../../testdata/forwarder"

const orig = "info@example.com"

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtures, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func toCRLF(b []byte) []byte { return bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n")) }

func mustRewrite(t *testing.T, cfg Config, in string) string {
	t.Helper()
	out, err := Rewrite(cfg, []byte(in), orig)
	if err != nil {
		t.Fatalf("Rewrite: %v", err)
	}
	return string(out)
}

// TestRewriteConformance runs the upstream cases P1-P7: the output must equal
// the Lambda's expected file byte for byte, and so must the CRLF versions of
// both files (real SES objects use CRLF; no upstream fixture does).
func TestRewriteConformance(t *testing.T) {
	cases := []struct {
		name    string
		cfg     Config
		in, out string
	}{
		{"P1 base", Config{}, "message.txt", "message.processed.txt"},
		{"P2 existing Reply-To", Config{}, "message.replyto.txt", "message.processed.txt"},
		{"P3 Reply-to in other case", Config{}, "message.replyto_case.txt", "message.replyto_case.processed.txt"},
		{"P4 fromEmail", Config{FromEmail: "noreply@example.com"}, "message.txt", "message.fromemail.txt"},
		{"P5 folded From", Config{FromEmail: "noreply@example.com"}, "message.from_multiline.source.txt", "message.from_multiline.processed.txt"},
		{"P6 subjectPrefix", Config{SubjectPrefix: "[PREFIX] "}, "message.txt", "message.subjectprefix.txt"},
		{"P7 toEmail", Config{ToEmail: "actualTarget@example.com"}, "message.txt", "message.toemail.txt"},
	}
	for _, c := range cases {
		in, want := readFixture(t, c.in), readFixture(t, c.out)
		for _, variant := range []struct {
			name string
			conv func([]byte) []byte
		}{{"LF", func(b []byte) []byte { return b }}, {"CRLF", toCRLF}} {
			t.Run(c.name+"/"+variant.name, func(t *testing.T) {
				got, err := Rewrite(c.cfg, variant.conv(in), orig)
				if err != nil {
					t.Fatal(err)
				}
				if w := variant.conv(want); !bytes.Equal(got, w) {
					t.Errorf("output differs from %s\n got: %q\nwant: %q", c.out, got, w)
				}
			})
		}
	}
}

// TestRewriteCRLF is X1: a CRLF message keeps CRLF everywhere, and the added
// Reply-To ends in CRLF too.
func TestRewriteCRLF(t *testing.T) {
	got := mustRewrite(t, Config{}, "From: Betsy <b@x.com>\r\nSubject: s\r\n\r\nbody\r\n")
	want := "From: Betsy at b@x.com <info@example.com>\r\nSubject: s\r\nReply-To: Betsy <b@x.com>\r\n\r\nbody\r\n"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// TestRewriteFrom covers the From forms of X2-X4 and X7, and the QuoteFromName
// opt-in. A mailbox without a display name (X2, X3), or whose display name is
// an address, is shown as "a at x.com": the Lambda's "a@x.com <verified>"
// makes SES read the bare address as the sender (upstream issue #114).
func TestRewriteFrom(t *testing.T) {
	noreply := "noreply@example.com"
	cases := []struct {
		name      string
		from      string
		fromEmail string
		quote     bool
		want      string
	}{
		{"named", "Betsy <b@x.com>", "", false, "Betsy at b@x.com <info@example.com>"},
		{"named fromEmail", "Betsy <b@x.com>", noreply, false, "Betsy <noreply@example.com>"},
		{"X2 bare address", "a@x.com", "", false, "a at x.com <info@example.com>"},
		{"X2 bare address fromEmail", "a@x.com", noreply, false, "a at x.com <noreply@example.com>"},
		{"X2 bare address quoted", "a@x.com", noreply, true, `"a at x.com" <noreply@example.com>`},
		{"X3 angle only", "<a@x.com>", "", false, "a at x.com <info@example.com>"},
		{"X3 angle only fromEmail", "<a@x.com>", noreply, false, "a at x.com <noreply@example.com>"},
		{"X4 quoted name", `"Doe, Jane" <jane@x.com>`, "", false, `"Doe, Jane" at jane@x.com <info@example.com>`},
		{"X4 quoted name fromEmail", `"Doe, Jane" <jane@x.com>`, noreply, false, `"Doe, Jane" <noreply@example.com>`},
		{"X7 two mailboxes", "A <a@x.com>, B <b@x.com>", "", false, "A at a@x.com <info@example.com>"},
		{"X7 two mailboxes fromEmail", "A <a@x.com>, B <b@x.com>", noreply, false, "A <noreply@example.com>"},
		{"X7 bare list", "a@x.com, b@x.com", noreply, false, "a at x.com <noreply@example.com>"},
		{"X7 list without its comma", "Bob <bob@x.com> Bobby <bobby@x.com>", "", false, "Bob at bob@x.com <info@example.com>"},
		{"X7 list without its comma fromEmail", "Bob <bob@x.com> Bobby <bobby@x.com>", noreply, false, "Bob <noreply@example.com>"},
		{"name is the address", "a@x.com <a@x.com>", noreply, false, "a at x.com <noreply@example.com>"},
		{"quoted name is an address", `"boss@bank.com" <a@x.com>`, "", false, "a at x.com <info@example.com>"},
		{"comma and angle in quotes", `"Doe, <J>" <j@x.com>`, noreply, false, `"Doe, <J>" <noreply@example.com>`},
		{"comment after address", "a@x.com (Alice)", noreply, false, "a at x.com (Alice) <noreply@example.com>"},
		{"encoded word kept", "=?UTF-8?B?8J+Yig==?= <s@x.com>", noreply, false, "=?UTF-8?B?8J+Yig==?= <noreply@example.com>"},
		{"8-bit name kept", "J\xf6rg <j@x.com>", noreply, false, "J\xf6rg <noreply@example.com>"},
		{"quote plain", "Betsy <b@x.com>", "", true, `"Betsy at b@x.com" <info@example.com>`},
		{"quote unquotes first", `"Doe, Jane" <jane@x.com>`, "", true, `"Doe, Jane at jane@x.com" <info@example.com>`},
		{"quote escapes", `"A \"B\" C\\D" <a@x.com>`, noreply, true, `"A \"B\" C\\D" <noreply@example.com>`},
		{"empty quoted name", `"" <a@x.com>`, "", false, "a at x.com <info@example.com>"},
		{"empty list members first", " , ,B <b@x.com>", noreply, false, "B <noreply@example.com>"},
		{"angles in a quoted name", `"A <b@evil.example> C" <a@x.com>`, "", false, `"A <b@evil.example> C" at a@x.com <info@example.com>`},
		{"angles in a quoted name fromEmail", `"A <b@evil.example> C" <a@x.com>`, noreply, false, `"A <b@evil.example> C" <noreply@example.com>`},
		{"no blank before angle", "=?UTF-8?B?8J+Yig==?=<s@x.com>", "", false, "=?UTF-8?B?8J+Yig==?= at s@x.com <info@example.com>"},
		{"blanks around the name", "   Extra   Blanks   <e@x.com>   ", "", false, "Extra   Blanks at e@x.com <info@example.com>"},
		{"comment after angle address", `"Q" <q@x.com> (comment)`, "", false, `"Q" at q@x.com <info@example.com>`},
		{"empty", "", "", false, "<info@example.com>"},
		{"empty fromEmail", "", noreply, false, "<noreply@example.com>"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := Config{FromEmail: c.fromEmail, QuoteFromName: c.quote}
			got := mustRewrite(t, cfg, "From: "+c.from+"\nSubject: s\n\nbody\n")
			first, _, _ := strings.Cut(got, "\n")
			if want := "From: " + c.want; first != want {
				t.Errorf("got  %q\nwant %q", first, want)
			}
		})
	}
}

// TestRewriteFoldedFrom: the new From is always one line, whatever the old
// one's folding, and a bare CR in the old value never reaches it.
func TestRewriteFoldedFrom(t *testing.T) {
	in := "From: Jane\r\n Q\rDoe\r\n\t<j@x.com>\r\nTo: t@x.com\r\n\r\nb\r\n"
	want := "From: Jane Q Doe at j@x.com <info@example.com>\r\n"
	got := mustRewrite(t, Config{}, in)
	if first, _, _ := strings.Cut(got, "\n"); first+"\n" != want {
		t.Errorf("got  %q\nwant %q", first+"\n", want)
	}
	if !strings.Contains(got, "Reply-To: Jane\r\n Q Doe\r\n\t<j@x.com>\r\n\r\n") {
		t.Errorf("Reply-To should copy the folded value, bare CR as a space: %q", got)
	}
}

// TestRewriteNoFrom is X5: no From, nothing added.
func TestRewriteNoFrom(t *testing.T) {
	in := "To: t@x.com\nSubject: s\n\nbody\n"
	if got := mustRewrite(t, Config{}, in); got != in {
		t.Errorf("got %q, want the input unchanged", got)
	}
}

// TestCheckHeaderFailsWhatSESRefuses: what Rewrite passes on as the
// Lambda does but SES refuses, no From field and a field SES takes once
// written twice, is failed by CheckHeader (the plan's check) before
// anything is sent; fields SES takes more than once, and those Rewrite
// removes, are not.
func TestCheckHeaderFailsWhatSESRefuses(t *testing.T) {
	for _, c := range []struct {
		header string
		want   error
	}{
		{"To: t@x.com\nSubject: s\n\nbody\n", ErrNoFrom},
		{"\r\nFrom: a@x.com\r\n\r\nbody\r\n", ErrNoFrom}, // the header is empty
		{"X-From: a@x.com\nSubject: s\n", ErrNoFrom},
		{"From: a@x.com\nSubject: s\nSUBJECT : again\n\n", ErrDuplicateField},
		{"From: a@x.com\nDate: Mon, 7 Dec 2026 10:00:00 +0000\nDate: Mon, 7 Dec 2026 10:00:00 +0000\n", ErrDuplicateField},
		{"From: a@x.com\nReply-To: a@x.com\nreply-to: b@x.com\n", ErrDuplicateField},
		{"From: a@x.com\nContent-Type: text/plain\nContent-Type: text/html\n", ErrDuplicateField},
		{"From: a@x.com\nFrom: b@x.com\n", ErrSeveralFrom},
		{"From: a@x.com\n: no name\n\n", ErrEmptyFieldName},
		{"From: a@x.com\nX: 1\r : no name either\n\n", nil}, // a continuation line
		{"From: a@x.com\nX: 1\r: text\n\n", nil},            // no field name after the CR: it stays in its line, a blank
		{"From: a@x.com\nTo: t@x.com\nTo: u@x.com\nCc: c@x.com\nCc: d@x.com\nReceived: a\nReceived: b\n\n", nil},
		{"From: a@x.com\nDKIM-Signature: a\nDKIM-Signature: b\nMessage-ID: <a@x>\nMessage-ID: <b@x>\nReturn-Path: <a@x>\nReturn-Path: <b@x>\n\n", nil},
		{"From: a@x.com\nSubject: s\n\nSubject: in the body\n", nil},
	} {
		err := CheckHeader([]byte(c.header))
		if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("%q: %v, want %v", c.header, err, c.want)
		}
	}
	err := CheckHeader([]byte("From: a@x.com\nSubject: s\nSUBJECT : again\n\n"))
	if want := "read it with sesbox show KEY, which shows both: it has two SUBJECT fields, and SES refuses"; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("%v, want it to start %q", err, want)
	}
	if !strings.HasPrefix(ErrNoFrom.Error(), "send it from a mail client") {
		t.Errorf("%q does not lead with what to do", ErrNoFrom)
	}
}

// TestRewriteTwoFroms is X6: the Lambda rewrites both From fields and SES
// refuses the message; Rewrite refuses it first, saying why (difference
// 29), whatever the spelling of the second field name.
func TestRewriteTwoFroms(t *testing.T) {
	for _, in := range []string{
		"From: A <a@x.com>\nFrom: B <b@x.com>\n\nbody\n",
		"From: A <a@x.com>\r\nSubject: s\r\nfrom : B <b@x.com>\r\n\r\nbody\r\n",
	} {
		out, err := Rewrite(Config{}, []byte(in), "info@example.com")
		// The command it names is one there is (it said "sesbox read").
		if !errors.Is(err, ErrSeveralFrom) || out != nil || !strings.Contains(err.Error(), "it has 2") || !strings.Contains(err.Error(), "sesbox show KEY") {
			t.Errorf("%q: %q, %v; want ErrSeveralFrom", in, out, err)
		}
	}
}

// TestRewriteDropsControlsFromWrittenLines: a NUL, an escape, a DEL in the
// From's display name went into the new From and the Reply-To made from it,
// and in the Subject into the prefixed Subject (difference 30). They are
// dropped there; a field passed on keeps them.
func TestRewriteDropsControlsFromWrittenLines(t *testing.T) {
	in := "From: Bo\x00b\x1b[31m \x7fSmith\x01 <b@x.com>\r\nSubject: hi\x00 there\x1b\r\nX-Other: a\x00b\r\n\r\nbody\x00\r\n"
	want := "From: Bob[31m Smith at b@x.com <info@example.com>\r\nSubject: [P] hi there\r\nX-Other: a\x00b\r\nReply-To: Bob[31m Smith <b@x.com>\r\n\r\nbody\x00\r\n"
	if got := mustRewrite(t, Config{SubjectPrefix: "[P] "}, in); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// TestRewriteFoldedTo is X8: toEmail replaces the whole folded To field (the
// Lambda left "  two@x.com" hanging under the new To). Cc is not touched.
func TestRewriteFoldedTo(t *testing.T) {
	in := "From: A <a@x.com>\nTo: one@x.com,\n  two@x.com\nCc: c@x.com,\n d@x.com\nReply-To: a@x.com\n\nbody\n"
	want := "From: A at a@x.com <info@example.com>\nTo: new@example.com\nCc: c@x.com,\n d@x.com\nReply-To: a@x.com\n\nbody\n"
	if got := mustRewrite(t, Config{ToEmail: "new@example.com"}, in); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// TestRewriteFoldedSubject is X9: as the Lambda does, one blank after the
// colon is the separator and the prefix stands in its place; further blanks
// and a fold before the text are the value's (they may be all that sets an
// encoded word apart from the prefix: TestRewritePrefixBeforeAnEncodedWord).
// A blank-only continuation line is left out (row 23).
func TestRewriteFoldedSubject(t *testing.T) {
	cfg := Config{SubjectPrefix: "[P] "}
	cases := []struct{ in, want string }{
		{"Subject: Hello\n", "Subject: [P] Hello\n"},
		{"subject:Hello\n", "Subject: [P] Hello\n"},
		{"Subject:  s\n", "Subject: [P]  s\n"},
		{"Subject: long\n subject\n", "Subject: [P] long\n subject\n"},
		{"Subject:\n\tlong\n subject\n", "Subject: [P] \n\tlong\n subject\n"},
		{"Subject:\r\n \r\n\tx\r\n", "Subject: [P] \r\n\tx\r\n"},
		{"Subject:\n", "Subject: [P] \n"},
	}
	for _, c := range cases {
		in := "X-A: 1\n" + c.in + "Reply-To: r@x.com\n\nbody\n"
		want := "X-A: 1\n" + c.want + "Reply-To: r@x.com\n\nbody\n"
		if got := mustRewrite(t, cfg, in); got != want {
			t.Errorf("%q:\n got  %q\n want %q", c.in, got, want)
		}
	}
}

// TestRewriteFoldedRemovedFields is X10: removed fields go with their
// continuation lines (the Lambda left them glued to the previous field, the
// likely cause of SES's "Extra route-addr" and "Empty header names").
func TestRewriteFoldedRemovedFields(t *testing.T) {
	in := "X-A: 1\n" +
		"Message-ID:\n <id@x.com>\n" +
		"Return-Path:\n\t<bounce@x.com>\n" +
		"X-B: 2\n" +
		"sender: S\n <s@x.com>\n" +
		"dkim-signature: v=1;\n\tb=abc\n" +
		"Reply-To: r@x.com\n" +
		"\nbody\n"
	want := "X-A: 1\nX-B: 2\nReply-To: r@x.com\n\nbody\n"
	if got := mustRewrite(t, Config{}, in); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// TestRewriteBodyWithoutFinalNewline is X11: the Lambda lost the last word.
func TestRewriteBodyWithoutFinalNewline(t *testing.T) {
	got := mustRewrite(t, Config{}, "From: a@x.com\n\nfirst line\nlast line no newline")
	if !strings.HasSuffix(got, "\n\nfirst line\nlast line no newline") {
		t.Errorf("body changed: %q", got)
	}
}

// TestRewriteHeaderOnly is X12: without an empty line the whole message is
// header, and it is still rewritten; an unterminated last line gets a line
// ending before the added Reply-To.
func TestRewriteHeaderOnly(t *testing.T) {
	cases := []struct{ in, want string }{
		{"Subject: s\nFrom: a@x.com\n", "Subject: s\nFrom: a at x.com <info@example.com>\nReply-To: a@x.com\n"},
		{"Subject: s\r\nFrom: a@x.com", "Subject: s\r\nFrom: a at x.com <info@example.com>\r\nReply-To: a@x.com\r\n"},
		{"From: a@x.com", "From: a at x.com <info@example.com>\r\nReply-To: a@x.com\r\n"},
		// Difference 21: a CRLF message without an empty line is all header,
		// sent once (the Lambda repeats all but its first line).
		{"From: a@x.com\r\nSubject: s\r\n", "From: a at x.com <info@example.com>\r\nSubject: s\r\nReply-To: a@x.com\r\n"},
		{"From: a@x.com\nMessage-ID: <m>", "From: a at x.com <info@example.com>\nReply-To: a@x.com\n"},
		// Found by FuzzRewrite: a line ending added after a last line ending in
		// CR must not make an empty line, and a lone CR ending the message is
		// an empty line cut short (body "\r"), as net/mail reads it.
		{"From: a@x.com\n\r", "From: a at x.com <info@example.com>\nReply-To: a@x.com\n\r"},
		// The CR ending the header is no line ending of its own: dropped
		// (difference 5), the line ends in the message's style.
		{"From: a@x.com\nX: y\r", "From: a at x.com <info@example.com>\nX: y\nReply-To: a@x.com\n"},
		// Found by FuzzRewrite: the From ends in an unterminated blank-only
		// continuation line, which the Reply-To copy leaves out: the copy
		// already ends in a line ending, and a second one was an empty line.
		{"From: a@x.com\n ", "From: a at x.com <info@example.com>\nReply-To: a@x.com\n"},
		{"X: 1\r\nFrom: a@x.com\r\n \t", "X: 1\r\nFrom: a at x.com <info@example.com>\r\nReply-To: a@x.com\r\n"},
	}
	for _, c := range cases {
		if got := mustRewrite(t, Config{}, c.in); got != c.want {
			t.Errorf("%q:\n got  %q\n want %q", c.in, got, c.want)
		}
	}
}

// TestRewriteBareCR is X13: a bare CR is an ordinary byte of its line. The
// Lambda started the message after it and dropped everything before.
func TestRewriteBareCR(t *testing.T) {
	in := "Received: from a\rby b\nX-A: 1\r2\nFrom: a@x.com\nReply-To: a@x.com\n\nbo\rdy\n"
	want := "Received: from a by b\nX-A: 1 2\nFrom: a at x.com <info@example.com>\nReply-To: a@x.com\n\nbo\rdy\n"
	if got := mustRewrite(t, Config{}, in); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// TestRewriteFoldsNotAtBareCR: a fold Rewrite makes never follows or
// precedes a bare CR. A reader that ends lines at a bare CR too (the Lambda's
// own expressions, Python's email) read "ab\r ab" as a field and its
// continuation; a fold after the CR, "ab\r\r\n ab", is to it a line, an
// empty line (the end of the header) and the rest of the header as body.
func TestRewriteFoldsNotAtBareCR(t *testing.T) {
	long := strings.Repeat("ab\r ", 400)
	for _, cfg := range []Config{{}, {SubjectPrefix: "[P] "}} {
		for _, in := range []string{
			"From: a@x.com\r\nSubject: " + long + "\r\nContent-Type: text/plain\r\n\r\nbody\r\n",
			"From: a@x.com\nX-Long: " + strings.Repeat("word \r", 400) + "\nContent-Type: text/plain\n\nbody\n",
		} {
			out := mustRewrite(t, cfg, in)
			if !crReaderSameHeaderEnd(in, out) {
				t.Errorf("%+v: a reader ending lines at CR finds the header's end elsewhere:\n%.300q", cfg, out)
			}
			checkLineLengths(t, cfg, []byte(in), []byte(out))
		}
	}
}

// crReaderSameHeaderEnd reports whether a reader that ends lines at CR, LF
// or CRLF (Python's email) finds no empty line in out's header unless it
// finds one in in's header.
func crReaderSameHeaderEnd(in, out string) bool {
	empty := func(msg string) bool {
		h, _ := splitMessage([]byte(msg))
		h = bytes.TrimSuffix(h, []byte("\n"))
		h = bytes.TrimSuffix(h, []byte("\r"))
		if len(h) == 0 {
			return false // no header (every field removed): nothing to end
		}
		for _, l := range regexp.MustCompile(`\r\n|\r|\n`).Split(string(h), -1) {
			if l == "" {
				return true
			}
		}
		return false
	}
	return empty(in) || !empty(out)
}

// TestRewrite8Bit is X14: 8-bit bytes in any charset survive byte for byte,
// in the body and in the header fields that are copied.
func TestRewrite8Bit(t *testing.T) {
	latin1 := "caf\xe9 \xa0\xff"
	utf8 := "café 😊"
	in := "From: a@x.com\nX-Latin1: " + latin1 + "\nSubject: " + utf8 + "\n\n" + latin1 + "\n" + utf8 + "\n\x00\x80\xfe"
	want := "From: a at x.com <info@example.com>\nX-Latin1: " + latin1 + "\nSubject: [P] " + utf8 + "\nReply-To: a@x.com\n\n" + latin1 + "\n" + utf8 + "\n\x00\x80\xfe"
	if got := mustRewrite(t, Config{SubjectPrefix: "[P] "}, in); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// TestRewriteFieldNames: names match case-insensitively in ASCII only, and
// obsolete blanks before the colon do not hide a field.
func TestRewriteFieldNames(t *testing.T) {
	in := "FROM : a@x.com\nMESSAGE-ID : <m>\n\u017fubject: s\nReply-To: r@x.com\n\nb\n"
	want := "From: a at x.com <info@example.com>\n\u017fubject: s\nReply-To: r@x.com\n\nb\n"
	if got := mustRewrite(t, Config{SubjectPrefix: "[P] "}, in); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// TestRewriteOddHeaders: lines that are not fields are kept as they are.
func TestRewriteOddHeaders(t *testing.T) {
	in := " orphan continuation\nnot a field\n\tits continuation\nFrom: a@x.com\n\nb\n"
	want := " orphan continuation\nnot a field\n\tits continuation\nFrom: a at x.com <info@example.com>\nReply-To: a@x.com\n\nb\n"
	if got := mustRewrite(t, Config{}, in); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	// A message that starts with its empty line has no header at all.
	in = "\nFrom: a@x.com\n"
	if got := mustRewrite(t, Config{}, in); got != in {
		t.Errorf("got %q, want the input unchanged", got)
	}
	// A blank From gets no Reply-To (the Lambda added an empty one).
	got := mustRewrite(t, Config{}, "From:\nTo: t@x.com\n\nb\n")
	if want := "From: <info@example.com>\nTo: t@x.com\n\nb\n"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// TestRewriteRejectsLineBreaks: config values and the original recipient are
// written into header lines, so a line break in any of them is an error, not
// a forged field.
func TestRewriteRejectsLineBreaks(t *testing.T) {
	msg := []byte("From: a@x.com\n\nb\n")
	for _, c := range []struct {
		name string
		cfg  Config
		orig string
	}{
		{"fromEmail", Config{FromEmail: "n@x.com\r\nBcc: evil@x.com"}, orig},
		{"toEmail", Config{ToEmail: "t@x.com\nBcc: evil@x.com"}, orig},
		{"subjectPrefix", Config{SubjectPrefix: "[P]\r"}, orig},
		{"original recipient", Config{}, "info@example.com\nBcc: evil@x.com"},
		{"no sender at all", Config{}, ""},
	} {
		if out, err := Rewrite(c.cfg, msg, c.orig); err == nil {
			t.Errorf("%s: no error, got %q", c.name, out)
		}
	}
}

// TestRewriteDoesNotAlias: the result never shares memory with the input.
func TestRewriteDoesNotAlias(t *testing.T) {
	in := []byte("From: a@x.com\n\nbody\n")
	out, err := Rewrite(Config{}, in, orig)
	if err != nil {
		t.Fatal(err)
	}
	before := string(in)
	for i := range out {
		out[i] = 'x'
	}
	if string(in) != before {
		t.Error("writing to the output changed the input")
	}
}

// TestRewriteLineSeparators: JavaScript's regular expressions treat U+2028
// and U+2029 as line breaks, so the Lambda saw a From field inside another
// field's value. Lines end at LF only here.
func TestRewriteLineSeparators(t *testing.T) {
	in := "X-A: a\u2028From: B <b@x.com>\nX-B: b\u2029Message-ID: <m>\nReply-To: r@x.com\n\nb\n"
	if got := mustRewrite(t, Config{}, in); got != in {
		t.Errorf("got %q, want the input unchanged", got)
	}
}

// TestRewriteOddWhitespaceLines: differences 20 and 23. A line that starts
// with white space other than space or tab is a line of its own (RFC 5322
// folds only at those two), and a line of blanks is a continuation of the
// field before; neither takes the next line into that field.
func TestRewriteOddWhitespaceLines(t *testing.T) {
	cases := []struct{ in, want string }{
		{"From: A <a@x.com>\r\n\u00a0X-NBSP: 1\r\nSubject: s\r\n\r\nbody\r\n",
			"From: A at a@x.com <info@example.com>\r\n\u00a0X-NBSP: 1\r\nSubject: s\r\nReply-To: A <a@x.com>\r\n\r\nbody\r\n"},
		{"DKIM-Signature: v=1\n\u3000X-Ideo: 2\nFrom: a@x.com\n\nbody\n",
			"\u3000X-Ideo: 2\nFrom: a at x.com <info@example.com>\nReply-To: a@x.com\n\nbody\n"},
		{"From: A <a@x.com>\r\n \r\nTo: t@x.com\r\n\r\nbody\r\n",
			"From: A at a@x.com <info@example.com>\r\nTo: t@x.com\r\nReply-To: A <a@x.com>\r\n\r\nbody\r\n"},
		{"dkim-signature: v=1\r\n\t\r\nTo: t@x.com\r\nFrom: a@x.com\r\n\r\nb\r\n",
			"To: t@x.com\r\nFrom: a at x.com <info@example.com>\r\nReply-To: a@x.com\r\n\r\nb\r\n"},
	}
	for _, c := range cases {
		if got := mustRewrite(t, Config{}, c.in); got != c.want {
			t.Errorf("%q:\n got  %q\n want %q", c.in, got, c.want)
		}
	}
	// A Subject Rewrite writes leaves a blank-only line out too.
	in := "From: a@x.com\nSubject: one\n \n two\n\nbody\n"
	want := "From: a at x.com <info@example.com>\nSubject: [P] one\n two\nReply-To: a@x.com\n\nbody\n"
	if got := mustRewrite(t, Config{SubjectPrefix: "[P] "}, in); got != want {
		t.Errorf("%q:\n got  %q\n want %q", in, got, want)
	}
}

// TestRewritePassedLongLines: difference 26. A field Rewrite passes on is
// left byte for byte unless a line is over 998 octets; then it is folded at
// single spaces when that brings every line within 998. One that cannot be
// was passed on, as the Lambda does, and SES refused the message; it is
// refused with ErrUnfoldable, naming the field.
func TestRewritePassedLongLines(t *testing.T) {
	words := "X-Words: " + strings.Repeat("word ", 300) + "end"
	medium := "X-Medium: " + strings.Repeat("m ", 100)
	in := "From: a@x.com\r\n" + words + "\r\n" + medium + "\r\n\r\nbody\r\n"
	got := mustRewrite(t, Config{}, in)
	if !strings.Contains(got, "\r\n"+medium+"\r\n") {
		t.Errorf("a line within 998 was changed:\n%q", got)
	}
	if strings.Contains(got, words) || !strings.Contains(string(unfoldRFC([]byte(got))), words+"\r\n") {
		t.Errorf("the 1,500-octet line of words is not folded, or folding changed it:\n%q", got)
	}
	for _, l := range strings.Split(got, "\r\n") {
		if len(l) > 998 {
			t.Errorf("%d-octet line: %.80q", len(l), l)
		}
	}
	// A Subject and a Reply-To name are written as RFC 2047 words instead.
	in = "From: a@x.com\r\nSubject: " + strings.Repeat("s", 1200) + " s\r\nReply-To: " + strings.Repeat("N", 1100) + " <r@x.com>\r\n\r\nbody\r\n"
	out := mustRewrite(t, Config{}, in)
	m, err := mail.ReadMessage(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	subj, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	rt, err := m.Header.AddressList("Reply-To")
	if headerfold.LongestLine([]byte(out)) > 998 || subj != strings.Repeat("s", 1200)+" s" || err != nil || rt[0].Name != strings.Repeat("N", 1100) || rt[0].Address != "r@x.com" {
		t.Errorf("long Subject and Reply-To: %q, %v %v\n%.300q", subj, rt, err, out)
	}
	for _, field := range []string{"X-Run: " + strings.Repeat("z", 1200), "Reply-To: <" + strings.Repeat("r", 1000) + "@x.com>"} {
		out, err := Rewrite(Config{}, []byte("From: a@x.com\r\n"+field+"\r\n\r\nbody\r\n"), "info@example.com")
		if name, _, _ := strings.Cut(field, ":"); !errors.Is(err, ErrUnfoldable) || out != nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%.20q: %v, want ErrUnfoldable naming %s", field, err, name)
		}
	}
}

// TestRewritePrefixBeforeAnEncodedWord: with a subjectPrefix that does not
// end in a blank, a Subject whose encoded word stood after more than one
// blank or after a fold lost the blank that set the word apart ("[P]=?...?=",
// which most readers show as written, RFC 2047 5); the Lambda takes one
// blank after the colon and keeps the rest of the line and its folds, and
// so does Rewrite, byte for byte.
func TestRewritePrefixBeforeAnEncodedWord(t *testing.T) {
	cfg := Config{SubjectPrefix: "[P]"}
	cases := []struct{ in, want string }{
		{"Subject:\r\n =?utf-8?Q?caf=C3=A9?=\r\n", "Subject: [P]\r\n =?utf-8?Q?caf=C3=A9?=\r\n"},
		{"Subject:  =?utf-8?Q?caf=C3=A9?=\r\n", "Subject: [P] =?utf-8?Q?caf=C3=A9?=\r\n"},
		{"Subject:\t\t=?utf-8?Q?caf=C3=A9?=\r\n", "Subject: [P]\t=?utf-8?Q?caf=C3=A9?=\r\n"},
		{"Subject: =?utf-8?Q?caf=C3=A9?=\r\n", "Subject: [P]=?utf-8?Q?caf=C3=A9?=\r\n"}, // glued, as the Lambda writes it
	}
	for _, c := range cases {
		in := "X-A: 1\r\n" + c.in + "Reply-To: r@x.com\r\n\r\nbody\r\n"
		want := "X-A: 1\r\n" + c.want + "Reply-To: r@x.com\r\n\r\nbody\r\n"
		if got := mustRewrite(t, cfg, in); got != want {
			t.Errorf("%q:\n got  %q\n want %q", c.in, got, want)
		}
	}
}

// TestRewriteEncodedPrefixOverALongSubject: a subjectPrefix written as an
// RFC 2047 word (the Lambda writes it as it is, and so does Rewrite while
// the Subject folds) was taken as literal text when a Subject with a run
// too long to fold is written again as words: "=?utf-8?Q?[R=C3=A9]?="
// before 2,000 x read "=?utf-8?Q?[R=C3=A9]?=xxx…", and with a blank after
// it the blank was lost between two words ("[Ré]xxx…"). The prefix is now
// decoded with the text, so the Subject reads as the Lambda's line does.
func TestRewriteEncodedPrefixOverALongSubject(t *testing.T) {
	dec := new(mime.WordDecoder)
	for _, prefix := range []string{"=?utf-8?Q?[R=C3=A9]?= ", "=?utf-8?Q?[R=C3=A9]?=", "=?ISO-8859-1?Q?[R=E9]?= [P] ", "[R\u00e9union] "} {
		for _, value := range []string{strings.Repeat("x", 2000), "=?utf-8?q?caf=C3=A9?= " + strings.Repeat("y", 1500)} {
			out := mustRewrite(t, Config{SubjectPrefix: prefix}, "From: a@x.com\r\nSubject: "+value+"\r\n\r\nbody\r\n")
			m, err := mail.ReadMessage(strings.NewReader(out))
			if err != nil {
				t.Fatal(err)
			}
			got, err := dec.DecodeHeader(m.Header.Get("Subject"))
			want, _ := dec.DecodeHeader(prefix + value) // the Lambda's line
			if err != nil || got != want {
				t.Errorf("prefix %q, %.20q…: reads %.40q…, the Lambda's %.40q… (%v)", prefix, value, got, want, err)
			}
			if n := headerfold.LongestLine([]byte(out)); n > 998 {
				t.Errorf("prefix %q: a %d-octet line", prefix, n)
			}
		}
	}
}

// TestRewriteToEmailIsWrittenAsGiven: the Lambda hands toEmail to
// String.prototype.replace as the replacement string, so "$1", "$&", "$'"
// and "$$" in it (a "$" is allowed in a local part) are expanded: "a$1b@"
// writes the old To value into the new one, "$'" the rest of the header.
// Rewrite writes the value as given (difference 33).
func TestRewriteToEmailIsWrittenAsGiven(t *testing.T) {
	for _, to := range []string{"a$1b@example.com", "x$'@example.com", "y$&@example.com", "z$$@example.com", "w$`@example.com"} {
		got := mustRewrite(t, Config{ToEmail: to}, "From: a@x.com\r\nTo: info@example.com\r\nSubject: s\r\n\r\nbody\r\n")
		want := "From: a at x.com <info@example.com>\r\nTo: " + to + "\r\nSubject: s\r\nReply-To: a@x.com\r\n\r\nbody\r\n"
		if got != want {
			t.Errorf("toEmail %q:\n got  %q\n want %q", to, got, want)
		}
	}
}

// TestQuotedFromNameKeepsEncodedWordsReadable: with sesboxQuoteFromName a
// display name written as RFC 2047 words went inside the quoted string
// ("=?utf-8?q?J=C3=B6rg?= at j@x.com"), where RFC 2047 5 (3) forbids
// them and readers such as Go's net/mail show them as written. Such a
// phrase is now written as RFC 2047 words of its decoded text, which read
// the same as the quoted phrase of a plain name does.
func TestQuotedFromNameKeepsEncodedWordsReadable(t *testing.T) {
	for _, c := range []struct {
		cfg        Config
		from, name string
	}{
		{Config{QuoteFromName: true}, "=?utf-8?q?J=C3=B6rg?= <j@x.com>", "Jörg at j@x.com"},
		{Config{QuoteFromName: true}, `"Unicode =?UTF-8?B?8J+YiiBuYW1l?=" <m@x.com>`, "Unicode =?UTF-8?B?8J+YiiBuYW1l?= at m@x.com"},
		{Config{QuoteFromName: true, FromEmail: "noreply@example.com"}, "=?KOI8-R?Q?=F0=D2=C9=D7=C5=D4?= <r@x.ru>", "Привет"},
		{Config{QuoteFromName: true}, `"Doe, Jane" <j@x.com>`, "Doe, Jane at j@x.com"},
		// Control characters decoded from the words are not written again
		// (difference 30): "A", NUL, CR, LF, "B" in UTF-16.
		{Config{QuoteFromName: true}, "=?utf-16be?b?AEEAAAANAAoAQg==?= <j@x.com>", "AB at j@x.com"},
	} {
		out := mustRewrite(t, c.cfg, "From: "+c.from+"\r\nSubject: s\r\n\r\nbody\r\n")
		m, err := mail.ReadMessage(strings.NewReader(out))
		if err != nil {
			t.Fatal(err)
		}
		a, err := m.Header.AddressList("From")
		if err != nil || len(a) != 1 || a[0].Name != c.name {
			t.Errorf("%s: From reads %v (%v), want the name %q\n%q", c.from, a, err, c.name, out)
		}
	}
}

// TestRewriteLongSubjectInAnotherCharset: a Subject with a run too long to
// fold, written as RFC 2047 words in KOI8-R, was refused ("its encoded
// words cannot be re-encoded: mime: unhandled charset"), Go's decoder
// knowing only UTF-8 and Latin-1; it is written again as UTF-8 words that
// read the same. An unknown charset is still refused.
func TestRewriteLongSubjectInAnotherCharset(t *testing.T) {
	word := "=?KOI8-R?Q?" + strings.Repeat("=F0=D2=C9=D7=C5=D4", 60) + "?="
	out := mustRewrite(t, Config{}, "From: a@x.com\r\nSubject: "+word+"\r\n\r\nbody\r\n")
	m, err := mail.ReadMessage(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject")); err != nil || got != strings.Repeat("Привет", 60) || headerfold.LongestLine([]byte(out)) > 998 {
		t.Errorf("Subject reads %q (%v)\n%.300q", got, err, out)
	}
	unknown := "=?x-unknown?q?" + strings.Repeat("A", 1000) + "?="
	if _, err := Rewrite(Config{}, []byte("From: a@x.com\r\nSubject: "+unknown+"\r\n\r\nbody\r\n"), "info@example.com"); !errors.Is(err, ErrUnfoldable) {
		t.Errorf("unknown charset: %v, want ErrUnfoldable", err)
	}
}

// TestDecodedNamesWrittenAgainHoldNoControls: since display names decode
// in every charset sesbox reads, a UTF-16 name can decode to NUL, CR and
// LF; where Rewrite writes a name again as RFC 2047 words of its decoded
// text (a From or Reply-To with a run too long to fold), those would be
// written into the words, and so into a Subject written again as words
// (with "[P]": "[P]A\x00\r\nBNNN…"). They are dropped as difference 30
// drops them.
func TestDecodedNamesWrittenAgainHoldNoControls(t *testing.T) {
	u := []byte{0, 'A', 0, 0, 0, '\r', 0, '\n', 0, 'B'}
	for range 1000 {
		u = append(u, 0, 'N')
	}
	word := "=?utf-16be?b?" + base64.StdEncoding.EncodeToString(u) + "?="
	out := mustRewrite(t, Config{}, "From: "+word+" <j@x.com>\r\n\r\nbody\r\n")
	m, err := mail.ReadMessage(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"From", "Reply-To"} {
		a, err := m.Header.AddressList(f)
		if err != nil || len(a) != 1 || strings.ContainsAny(a[0].Name, "\x00\r\n") || !strings.HasPrefix(a[0].Name, "ABNNN") {
			t.Errorf("%s reads %q (%v)", f, a, err)
		}
	}
	// A Subject written again as words, with a subjectPrefix or without.
	for _, cfg := range []Config{{}, {SubjectPrefix: "[P]"}} {
		out := mustRewrite(t, cfg, "From: j@x.com\r\nSubject: "+word+"\r\n\r\nbody\r\n")
		m, err := mail.ReadMessage(strings.NewReader(out))
		if err != nil {
			t.Fatal(err)
		}
		if s, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject")); err != nil || s != cfg.SubjectPrefix+"AB"+strings.Repeat("N", 1000) {
			t.Errorf("prefix %q: Subject reads %.20q… (%v)", cfg.SubjectPrefix, s, err)
		}
	}
}
