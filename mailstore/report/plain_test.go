package report

import (
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore"
)

// TestParsePlain: a bounce written as text had no per-recipient summary in
// show and the viewer (a multipart/report had one): 58 of the 66 text
// bounces sesbox lists as bounces in flufl.bounce's corpus (Debian's
// python3-flufl.bounce 4.0) now name their recipients. The shapes
// are those the corpus holds, written anew: qmail, Exim (its indented
// RCPT TO address is no second recipient, nor is an IP address a status),
// old Postfix, Sendmail, Exchange's text NDR, SMTP32, a bulleted list, and
// an address in the returned message below the copy marker, which is
// not a recipient.
func TestParsePlain(t *testing.T) {
	for _, c := range []struct {
		name, kind, text string
		want             []Recipient
		mta              string
		original         Original
	}{
		{name: "qmail", kind: mailstore.ReportBounce,
			text: "Hi. This is the qmail-send program at mx.x.example.\nI'm afraid I wasn't able to deliver your message to the following addresses.\n\n" +
				"<a@x.example>:\n192.0.2.1 does not like recipient.\nRemote host said: 550 5.1.1 <a@x.example>: User unknown\nGiving up on 192.0.2.1.\n\n" +
				"<b@x.example>:\nSorry, no mailbox here by that name. (#5.1.1)\n\n--- Below this line is a copy of the message.\n\n" +
				"Return-Path: <me@acme.example>\nSubject: Price list\nMessage-ID: <p1@acme.example>\n\nWrite to c@acme.example\n",
			want: []Recipient{
				{FinalRecipient: "a@x.example", Action: "failed", Status: "5.1.1", DiagnosticCode: "192.0.2.1 does not like recipient. Remote host said: 550 5.1.1 <a@x.example>: User unknown Giving up on 192.0.2.1."},
				{FinalRecipient: "b@x.example", Action: "failed", Status: "5.1.1", DiagnosticCode: "Sorry, no mailbox here by that name. (#5.1.1)"},
			},
			mta: "mx.x.example", original: Original{Subject: "Price list", MessageID: "p1@acme.example"}},
		{name: "Exim", kind: mailstore.ReportBounce,
			text: "This message was created automatically by mail delivery software.\n\nA message that you sent could not be delivered to one or more of its\nrecipients. The following address(es) failed:\n\n" +
				"  a@x.example\n    SMTP error from remote mail server after RCPT TO:\n    <a@x.example>:\n    host mx.x.example [10.5.1.1]: 550 Unknown user\n\n" +
				"------ This is a copy of the message, including all the headers. ------\n\nSubject: Hi\n",
			want: []Recipient{{FinalRecipient: "a@x.example", Action: "failed",
				DiagnosticCode: "SMTP error from remote mail server after RCPT TO: <a@x.example>: host mx.x.example [10.5.1.1]: 550 Unknown user"}},
			original: Original{Subject: "Hi"}},
		{name: "old Postfix, delayed", kind: mailstore.ReportDelay,
			text: "This is the Postfix program at host mail.x.example.\n\n#######\n\n<a@y.example>: host mx.y.example[192.0.2.9] said: 452 4.2.2\n    Mailbox full (in reply to RCPT TO command)\n",
			want: []Recipient{{FinalRecipient: "a@y.example", Action: "delayed", Status: "4.2.2",
				DiagnosticCode: "host mx.y.example[192.0.2.9] said: 452 4.2.2 Mailbox full (in reply to RCPT TO command)"}},
			mta: "mail.x.example"},
		{name: "Sendmail", kind: mailstore.ReportBounce,
			text: "   ----- The following addresses had permanent fatal errors -----\nz@y.example\n    (expanded from: list@y.example)\n\n   ----- Transcript of session follows -----\n554 Too many hops\n",
			want: []Recipient{{FinalRecipient: "z@y.example", Action: "failed", DiagnosticCode: "(expanded from: list@y.example)"}}},
		{name: "Exchange text", kind: mailstore.ReportBounce,
			text: "Your message\n\n  To:      Kim <kim@y.example>\n  Subject: Offer\n\ndid not reach the following recipient(s):\n\nkim@y.example on Fri, 18 Oct 2002 09:13:24 -0600\n    The recipient name is not recognized\n    <mx.y.example #5.1.1>\n",
			want: []Recipient{{FinalRecipient: "kim@y.example", Action: "failed", Status: "5.1.1",
				DiagnosticCode: "The recipient name is not recognized <mx.y.example #5.1.1>"}}},
		{name: "SMTP32 and a bullet", kind: mailstore.ReportBounce,
			text: "Delivery failed 20 attempts: a@y.example\n\nDelivery to the following recipients failed permanently:\n\n   * b@y.example\n\nSystem Contact: postmaster@y.example\n\nOriginal message follows.\n\nc@y.example\n",
			want: []Recipient{
				{FinalRecipient: "a@y.example", Action: "failed", DiagnosticCode: "Delivery failed 20 attempts"},
				{FinalRecipient: "b@y.example", Action: "failed"},
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, nl := range []string{"\n", "\r\n"} {
				r := ParsePlain(c.kind, strings.ReplaceAll(c.text, "\n", nl))
				if r == nil {
					t.Fatal("no report")
				}
				if !reflect.DeepEqual(r.Recipients, c.want) {
					t.Errorf("recipients\n%+v\nwant\n%+v", r.Recipients, c.want)
				}
				if r.Kind != c.kind || r.ReportingMTA != c.mta || r.Original != c.original || len(r.Warnings) != 1 || r.Warnings[0] != PlainNote {
					t.Errorf("kind %q, MTA %q, original %+v, warnings %q", r.Kind, r.ReportingMTA, r.Original, r.Warnings)
				}
			}
		})
	}
	// Not a bounce, or no recipient named: nothing to add to the text.
	for _, c := range []struct{ kind, text string }{
		{"", "<a@x.example>:\nUser unknown\n"},
		{mailstore.ReportComplaint, "<a@x.example>:\nUser unknown\n"},
		{mailstore.ReportBounce, "Your message could not be delivered.\nPlease contact <postmaster@x.example> for help.\n"},
	} {
		if r := ParsePlain(c.kind, c.text); r != nil {
			t.Errorf("ParsePlain(%q, %.40q) = %+v, want nil", c.kind, c.text, r)
		}
	}
}

// TestParsePlainBounded: a text of many recipients keeps maxRecipients,
// and one of many megabytes is read only as far as maxPlainText.
func TestParsePlainBounded(t *testing.T) {
	var b strings.Builder
	for i := range maxRecipients + 10 {
		b.WriteString("<u" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + strconv.Itoa(i) + "@x.example>:\nUser unknown\n\n")
	}
	if r := ParsePlain(mailstore.ReportBounce, b.String()); r == nil || len(r.Recipients) != maxRecipients {
		t.Fatalf("recipients: %v", r)
	}
	long := strings.Repeat("x", maxPlainText) + "\n<late@x.example>:\nUser unknown\n"
	if r := ParsePlain(mailstore.ReportBounce, long); r != nil {
		t.Errorf("read past %d bytes: %+v", maxPlainText, r.Recipients)
	}
	diag := "<a@x.example>:\n" + strings.Repeat("User unknown ", maxFieldLen) + "\n"
	if r := ParsePlain(mailstore.ReportBounce, diag); r == nil || len(r.Recipients[0].DiagnosticCode) > maxFieldLen {
		t.Errorf("diagnostic not bounded: %v", r)
	}
}
