package report

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sesbox/sesbox/mailstore"
)

// The reports in testdata/reports are written in the shapes SES
// (MAILER-DAEMON@amazonses.com and its complaint forwarding), Gmail,
// Outlook/Exchange Online, Postfix and the Yahoo and AOL feedback loops
// send; gmail-bounce and outlook-ndr have CRLF line endings, as they
// arrive.
func readReport(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "reports", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParse(t *testing.T) {
	tests := []struct {
		file       string
		kind       string
		reportType string
		mta        string
		recipients []Recipient
		feedback   *Feedback
		original   Original
	}{
		{
			file: "ses-bounce.eml", kind: mailstore.ReportBounce, reportType: "delivery-status",
			mta: "a27-31.smtp-out.us-west-2.amazonses.com",
			recipients: []Recipient{{
				FinalRecipient: "nobody@customer-gone.example", Action: "failed", Status: "5.1.1",
				DiagnosticCode: "550 5.1.1 <nobody@customer-gone.example>: Recipient address rejected: User unknown in virtual mailbox table",
			}},
			original: Original{
				MessageID: "0101018f2c5d6f11-9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d-000000@us-west-2.amazonses.com",
				Subject:   "Re: Order #4471 shipped?", From: "Acme Support <support@acme.example>",
				To: "nobody@customer-gone.example", Date: "Tue, 3 Nov 2026 09:14:19 +0000",
			},
		},
		{
			file: "gmail-bounce.eml", kind: mailstore.ReportBounce, reportType: "delivery-status", mta: "googlemail.com",
			recipients: []Recipient{{
				FinalRecipient: "jane.doe.typo@gmail.com", Action: "failed", Status: "5.1.1",
				DiagnosticCode: "550-5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces. For more information, go to https://support.google.com/mail/?p=NoSuchUser 2adb3069b0e04-53b2c1d2e3fsi1234567e87.101 - gsmtp",
				RemoteMTA:      "gmail-smtp-in.l.google.com. (2a00:1450:400c:c0b::1b, the server for the domain gmail.com.)",
				LastAttempt:    "Wed, 04 Nov 2026 08:02:11 -0800 (PST)",
			}},
			original: Original{
				MessageID: "0102018f31aa2c01-11112222-3333-4444-5555-666677778888-000000@eu-west-1.amazonses.com",
				Subject:   "Re: Your réservation", From: `"Acme Support" <support@acme.example>`,
				To: "jane.doe.typo@gmail.com", Date: "Wed, 4 Nov 2026 16:02:09 +0000",
			},
		},
		{
			file: "gmail-delay.eml", kind: mailstore.ReportDelay, reportType: "delivery-status", mta: "googlemail.com",
			recipients: []Recipient{{
				FinalRecipient: "ops@slow-mx.example", Action: "delayed", Status: "4.4.1",
				DiagnosticCode: "The recipient server did not accept our requests to connect. [slow-mx.example 203.0.113.25: timed out]",
				LastAttempt:    "Thu, 05 Nov 2026 02:15:40 -0800 (PST)",
				WillRetryUntil: "Fri, 06 Nov 2026 22:11:03 -0800 (PST)",
			}},
			original: Original{
				MessageID: "0102018f3a11bb22-aaaabbbb-cccc-dddd-eeee-ffff00001111-000000@eu-west-1.amazonses.com",
				Subject:   "Weekly stock report", From: "Acme Support <support@acme.example>", To: "ops@slow-mx.example",
				Date: "Thu, 5 Nov 2026 06:11:01 +0000",
			},
		},
		{
			file: "outlook-ndr.eml", kind: mailstore.ReportBounce, reportType: "delivery-status",
			mta: "AM6PR05MB1234.eurprd05.prod.outlook.com",
			recipients: []Recipient{{
				FinalRecipient: "k.mueller@contoso-logistics.example", Action: "failed", Status: "5.1.10",
				DiagnosticCode: "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient k.mueller@contoso-logistics.example not found by SMTP address lookup",
			}},
			original: Original{
				MessageID: "0102018f3f0e1d2c-aaaa1111-bbbb-2222-cccc-3333dddd4444-000000@eu-west-1.amazonses.com",
				Subject:   "Invoice 2026-1187", From: "Acme Billing <billing@acme.example>",
				To: "Katrin Mueller <k.mueller@contoso-logistics.example>", Date: "Fri, 6 Nov 2026 12:30:01 +0000",
			},
		},
		{
			file: "postfix-multi.eml", kind: mailstore.ReportBounce, reportType: "delivery-status", mta: "mx1.partner-shop.example",
			recipients: []Recipient{
				{FinalRecipient: "orders+eu@partner-shop.example", OriginalRecipient: "orders+eu@partner-shop.example",
					Action: "failed", Status: "5.2.2", RemoteMTA: "mailstore.partner-shop.example",
					DiagnosticCode: "552 5.2.2 <orders+eu@partner-shop.example>: Mailbox full"},
				{FinalRecipient: "old-buyer@partner-shop.example", OriginalRecipient: "old-buyer@partner-shop.example",
					Action: "failed", Status: "5.1.1", DiagnosticCode: `unknown user: "old-buyer"`},
				{FinalRecipient: "returns@partner-shop.example", OriginalRecipient: "returns@partner-shop.example",
					Action: "failed", Status: "5.4.6", DiagnosticCode: "mail forwarding loop for returns@partner-shop.example"},
			},
			original: Original{
				MessageID: "0100018f44b2c3d4-12345678-9abc-def0-1234-56789abcdef0-000000@email.amazonses.com",
				Subject:   "Price list November", From: "Acme Sales <sales@acme.example>",
				To:   "orders+eu@partner-shop.example, old-buyer@partner-shop.example, returns@partner-shop.example",
				Date: "Sat, 7 Nov 2026 08:00:07 +0000",
			},
		},
		{
			file: "postfix-delay.eml", kind: mailstore.ReportDelay, reportType: "delivery-status", mta: "mx1.partner-shop.example",
			recipients: []Recipient{{
				FinalRecipient: "archive@partner-shop.example", OriginalRecipient: "archive@partner-shop.example",
				Action: "delayed", Status: "4.4.2",
				DiagnosticCode: "conversation with archive.partner-shop.example[10.0.0.9] timed out while receiving the initial server greeting",
				WillRetryUntil: "Thu, 12 Nov 2026 09:00:01 +0100 (CET)",
			}},
			original: Original{
				MessageID: "0100018f49c0ffee-0badc0de-1234-5678-9abc-def012345678-000000@email.amazonses.com",
				Subject:   "Contract draft v3", From: "Acme Sales <sales@acme.example>", To: "archive@partner-shop.example",
				Date: "Sun, 8 Nov 2026 08:00:00 +0000",
			},
		},
		{
			file: "global-dsn-utf8.eml", kind: mailstore.ReportBounce, reportType: "delivery-status", mta: "mx.beispiel-gmbh.example",
			recipients: []Recipient{
				{FinalRecipient: "jürgen.groß@beispiel-gmbh.example", OriginalRecipient: "jürgen.groß@beispiel-gmbh.example",
					Action: "failed", Status: "5.1.1",
					DiagnosticCode: "550 5.1.1 Empfänger unbekannt: Postfach „jürgen.groß“ existiert nicht"},
				{FinalRecipient: "김민수@대한물류.example", Action: "failed", Status: "5.2.1",
					DiagnosticCode: "550 5.2.1 사서함이 비활성화되었습니다 (mailbox disabled)"},
			},
			original: Original{
				MessageID: "0107018f4e5d6c7b-a1b2c3d4-e5f6-4789-9abc-0123456789ab-000000@eu-central-1.amazonses.com",
				Subject:   "Bestätigung Ihrer Anfrage / 문의 확인", From: "Acme Support <support@acme.example>",
				To: "jürgen.groß@beispiel-gmbh.example, 김민수@대한물류.example", Date: "Mon, 9 Nov 2026 07:45:28 +0000",
			},
		},
		{
			file: "yahoo-arf.eml", kind: mailstore.ReportComplaint, reportType: "feedback-report",
			feedback: &Feedback{Type: "abuse", UserAgent: "Yahoo!-Mail-Feedback/2.0",
				OriginalMailFrom: "0100018f44b2c3d4-12345678-9abc-def0-1234-56789abcdef0-000000@amazonses.com",
				OriginalRcptTo:   []string{"buyer.kim@yahoo.com"}, ArrivalDate: "Tue, 10 Nov 2026 14:20:11 +0000",
				ReportedDomain: "acme.example"},
			original: Original{
				MessageID: "0100018f44b2c3d4-12345678-9abc-def0-1234-56789abcdef0-000000@email.amazonses.com",
				Subject:   "Price list November", From: "Acme Sales <sales@acme.example>", To: "buyer.kim@yahoo.com",
				Date: "Sat, 7 Nov 2026 08:00:07 +0000",
			},
		},
		{
			file: "aol-arf.eml", kind: mailstore.ReportComplaint, reportType: "feedback-report",
			feedback: &Feedback{Type: "abuse", UserAgent: "AOL SComp", ArrivalDate: "Tue, 10 Nov 2026 22:08:00 -0500 (EST)",
				SourceIP: "54.240.8.31", ReportedDomain: "acme.example"},
			original: Original{
				MessageID: "0100018f50aa0001-aaaabbbb-cccc-dddd-eeee-000011112222-000000@email.amazonses.com",
				Subject:   "November deals 🎁", From: `"Acme Newsletter" <news@acme.example>`, To: "redacted@aol.com",
				Date: "Wed, 11 Nov 2026 03:07:58 +0000",
			},
		},
		{
			file: "ses-complaint.eml", kind: mailstore.ReportComplaint, reportType: "feedback-report",
			feedback: &Feedback{Type: "abuse", UserAgent: "Amazon SES Feedback Forwarding",
				OriginalMailFrom: "0101018f2c5d6f11-9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d-000000@us-west-2.amazonses.com",
				OriginalRcptTo:   []string{"angry.customer@hotmail.example"}, ArrivalDate: "Thu, 12 Nov 2026 18:39:50 +0000",
				SourceIP: "54.240.27.31", ReportedDomain: "acme.example"},
			original: Original{
				MessageID: "0101018f2c5d6f11-9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d-000000@us-west-2.amazonses.com",
				Subject:   "Re: Order #4471 shipped?", From: "Acme Support <support@acme.example>",
				To: "angry.customer@hotmail.example", Date: "Thu, 12 Nov 2026 18:39:48 +0000",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			raw := readReport(t, tc.file)
			r, ok := Parse(raw)
			if !ok {
				t.Fatal("not recognised as a report")
			}
			if len(r.Warnings) > 0 {
				t.Errorf("warnings: %q", r.Warnings)
			}
			if r.Kind != tc.kind || r.ReportType != tc.reportType {
				t.Errorf("kind %q type %q, want %q %q", r.Kind, r.ReportType, tc.kind, tc.reportType)
			}
			if tc.mta != "" && r.ReportingMTA != tc.mta {
				t.Errorf("reporting MTA %q, want %q", r.ReportingMTA, tc.mta)
			}
			if !reflect.DeepEqual(r.Recipients, tc.recipients) {
				t.Errorf("recipients\n got %+v\nwant %+v", r.Recipients, tc.recipients)
			}
			if !reflect.DeepEqual(r.Feedback, tc.feedback) {
				t.Errorf("feedback\n got %+v\nwant %+v", r.Feedback, tc.feedback)
			}
			if r.Original != tc.original {
				t.Errorf("original\n got %+v\nwant %+v", r.Original, tc.original)
			}
			// The list sees the header alone: it must agree with the body.
			hdr, _ := splitHeader(raw)
			f := parseFields(hdr)
			if k := KindOfHeader(f.get("content-type"), decodeWords(f.get("subject"))); k != tc.kind {
				t.Errorf("KindOfHeader = %q, the body says %q", k, tc.kind)
			}
		})
	}
}

func TestParseNotAReport(t *testing.T) {
	for _, raw := range [][]byte{
		readReport(t, "read-receipt.eml"),
		[]byte("From: a@example.com\nSubject: hi\n\nbody\n"),
		[]byte("Content-Type: multipart/mixed; boundary=x\n\n--x\n\nhi\n--x--\n"),
		nil,
	} {
		if r, ok := Parse(raw); ok {
			t.Errorf("Parse(%.40q) = %+v, want not a report", raw, r)
		}
	}
}

func TestKindOfHeader(t *testing.T) {
	tests := []struct{ ctype, subject, want string }{
		{`multipart/report; report-type=delivery-status; boundary="x"`, "Undelivered Mail Returned to Sender", mailstore.ReportBounce},
		{`multipart/report; report-type="delivery-status"; boundary="x"`, "Delivery Status Notification (Delay)", mailstore.ReportDelay},
		{`Multipart/Report; Report-Type=Delivery-Status`, "Delayed Mail (still being retried)", mailstore.ReportDelay},
		{`multipart/report; report-type=delivery-status`, "Warning: could not send message for past 4 hours", mailstore.ReportDelay},
		{`multipart/report; report-type=delivery-status`, "Delivery delayed: Invoice", mailstore.ReportDelay},
		{`multipart/report; report-type=delivery-status`, "Delivery Status Notification (Success)", mailstore.ReportDelivered},
		{`multipart/report; report-type=delivery-status`, "Delivered: Invoice", mailstore.ReportDelivered},
		{`multipart/report; report-type=feedback-report; boundary=b`, "FW: x", mailstore.ReportComplaint},
		{`multipart/report; report-type=global-delivery-status; boundary=b`, "Undelivered Mail Returned to Sender", mailstore.ReportBounce},
		// A broken parameter elsewhere does not hide the report-type.
		{`multipart/report; report-type=delivery-status; boundary="unclosed`, "x", mailstore.ReportBounce},
		{`multipart/report; report-type=disposition-notification`, "Read: x", ""},
		{`multipart/mixed; report-type=delivery-status`, "x", ""},
		{`text/plain`, "Undelivered Mail Returned to Sender", ""},
		{``, "", ""},
	}
	for _, tc := range tests {
		if got := KindOfHeader(tc.ctype, tc.subject); got != tc.want {
			t.Errorf("KindOfHeader(%q, %q) = %q, want %q", tc.ctype, tc.subject, got, tc.want)
		}
	}
}

// TestParseGlobalReportType: a DSN whose report-type is
// global-delivery-status (RFC 6522's rule for RFC 6533's status part) is
// read as a DSN; it was no report at all, so show gave no per-recipient
// status and the list no bounce.
func TestParseGlobalReportType(t *testing.T) {
	raw := "Subject: Undelivered\r\nContent-Type: multipart/report; report-type=global-delivery-status; boundary=r\r\n\r\n" +
		"--r\r\nContent-Type: text/plain\r\n\r\nFailed.\r\n--r\r\nContent-Type: message/global-delivery-status\r\n\r\n" +
		"Reporting-MTA: dns; mx.x.example\r\n\r\nFinal-Recipient: utf-8; jürgen@y.example\r\nAction: failed\r\nStatus: 5.1.1\r\n--r--\r\n"
	r, ok := Parse([]byte(raw))
	if !ok || r.Kind != mailstore.ReportBounce || r.ReportType != "global-delivery-status" || len(r.Recipients) != 1 ||
		r.Recipients[0].FinalRecipient != "jürgen@y.example" || r.Recipients[0].Status != "5.1.1" {
		t.Fatalf("Parse = %+v, %v", r, ok)
	}
}

// TestParseUnnamedReportType: a multipart/report that names no report-type
// (7 of the 24 multipart/reports of flufl.bounce's corpus: Mirapoint's "Delivery
// Report (failure)", amenworld's "Delivery status notification") was no
// report: no [bounce], no per-recipient status in show. It is read by its
// status part, RFC 6522's rule for the report-type; without one (a read
// receipt that left it out) it is none.
func TestParseUnnamedReportType(t *testing.T) {
	const ctype = "Content-Type: multipart/report;\r\n\tboundary=\"---Multi-Part-Report-Level-1-1-13166\"\r\n"
	raw := "From: postmaster@hud.example\r\nSubject: Delivery Report (failure) for a@x.example\r\n" + ctype + "\r\n" +
		"-----Multi-Part-Report-Level-1-1-13166\r\nContent-Type: text/plain\r\n\r\nThis report relates to your message.\r\n" +
		"-----Multi-Part-Report-Level-1-1-13166\r\nContent-Type: message/delivery-status\r\n\r\n" +
		"Reporting-MTA: dns; mail.hud.example\r\n\r\nFinal-Recipient: rfc822; a@x.example\r\nAction: failed\r\nStatus: 5.0.0\r\n" +
		"-----Multi-Part-Report-Level-1-1-13166--\r\n"
	r, ok := Parse([]byte(raw))
	if !ok || r.Kind != mailstore.ReportBounce || r.ReportType != "delivery-status" || len(r.Recipients) != 1 ||
		r.Recipients[0].FinalRecipient != "a@x.example" || r.ReportingMTA != "mail.hud.example" || len(r.Warnings) != 0 {
		t.Fatalf("Parse = %+v, %v", r, ok)
	}
	if k := KindOfHeader("multipart/report; boundary=b", "Delivery Report (failure) for a@x.example"); k != mailstore.ReportBounce {
		t.Errorf("KindOfHeader without a report-type = %q, want a bounce", k)
	}
	mdn := "Content-Type: multipart/report; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nRead.\r\n" +
		"--b\r\nContent-Type: message/disposition-notification\r\n\r\nDisposition: manual-action/MDN-sent-manually; displayed\r\n--b--\r\n"
	for _, raw := range []string{mdn, "Content-Type: multipart/report\r\n\r\nx\r\n"} {
		if r, ok := Parse([]byte(raw)); ok {
			t.Errorf("Parse(%.50q) = %+v, want no report", raw, r)
		}
	}
}

// A DSN without per-message fields, with statuses but no actions, and a
// base64 status part still reads.
func TestParseOddShapes(t *testing.T) {
	raw := "Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: message/delivery-status\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		"RmluYWwtUmVjaXBpZW50OiByZmM4MjI7IGFAeC5leGFtcGxlDQpTdGF0dXM6IDQuMi4yDQo=\r\n--b--\r\n"
	r, ok := Parse([]byte(raw))
	if !ok {
		t.Fatal("not a report")
	}
	want := []Recipient{{FinalRecipient: "a@x.example", Status: "4.2.2"}}
	if !reflect.DeepEqual(r.Recipients, want) || r.Kind != mailstore.ReportDelay {
		t.Errorf("got %+v kind %q, want %+v delay", r.Recipients, r.Kind, want)
	}
	// No boundary: recognised from the header, with a warning.
	r, ok = Parse([]byte("Content-Type: multipart/report; report-type=delivery-status\n\nx\n"))
	if !ok || r.Kind != mailstore.ReportBounce || len(r.Warnings) == 0 {
		t.Errorf("no boundary: %+v %v", r, ok)
	}
}

func TestParseBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; x\n")
	for range maxRecipients + 50 {
		b.WriteString("\nFinal-Recipient: rfc822; a@x.example\nAction: failed\nStatus: 5.1.1\n")
	}
	b.WriteString("--b--\n")
	r, ok := Parse([]byte(b.String()))
	if !ok || len(r.Recipients) != maxRecipients || len(r.Warnings) != 1 {
		t.Fatalf("got %d recipients, warnings %q", len(r.Recipients), r.Warnings)
	}
}

func FuzzParse(f *testing.F) {
	entries, err := os.ReadDir(filepath.Join("..", "..", "testdata", "reports"))
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		f.Add(readReport(f, e.Name()))
	}
	f.Add([]byte("Content-Type: multipart/report; report-type=feedback-report; boundary=b\n\n--b\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\n--b--\n"))
	kinds := map[string]bool{mailstore.ReportBounce: true, mailstore.ReportDelay: true,
		mailstore.ReportDelivered: true, mailstore.ReportComplaint: true}
	f.Fuzz(func(t *testing.T, raw []byte) {
		r, ok := Parse(raw)
		if !ok {
			if r != nil {
				t.Fatal("not a report, but a Report returned")
			}
			return
		}
		if !kinds[r.Kind] {
			t.Fatalf("kind %q", r.Kind)
		}
		if (r.ReportType == "feedback-report") != (r.Kind == mailstore.ReportComplaint) {
			t.Fatalf("type %q with kind %q", r.ReportType, r.Kind)
		}
		if len(r.Recipients) > maxRecipients {
			t.Fatalf("%d recipients", len(r.Recipients))
		}
		for _, rc := range r.Recipients {
			for _, v := range []string{rc.FinalRecipient, rc.DiagnosticCode, rc.Action, rc.Status} {
				if len(v) > maxFieldLen {
					t.Fatalf("field of %d bytes", len(v))
				}
			}
		}
		// Decoding never invents invalid UTF-8 from valid input.
		if utf8.Valid(raw) && !utf8.ValidString(r.Original.Subject) {
			t.Fatalf("subject %q", r.Original.Subject)
		}
	})
}

// TestKindOfPlainBounce: a bounce written as plain text (qmail, Postfix
// and Exchange setups that send no multipart/report) is one when a mailer
// daemon or postmaster sends it with a subject saying delivery failed;
// neither alone makes one. They had no [bounce].
func TestKindOfPlainBounce(t *testing.T) {
	for _, c := range []struct {
		from    mailstore.Address
		subject string
		want    string
	}{
		{mailstore.Address{Address: "MAILER-DAEMON@qmail.example"}, "failure notice", mailstore.ReportBounce},
		{mailstore.Address{Name: "Mail Delivery System", Address: "MAILER-DAEMON@mail.example"}, "Undelivered Mail Returned to Sender", mailstore.ReportBounce},
		{mailstore.Address{Name: "Microsoft Outlook", Address: "postmaster@corp.example"}, "Undeliverable: Angebot", mailstore.ReportBounce},
		{mailstore.Address{Name: "Mail Delivery System", Address: "root@host.example"}, "Mail delivery failed: returning message to sender", mailstore.ReportBounce},
		{mailstore.Address{Address: "postmaster@x.example"}, "Unzustellbar: Rechnung", mailstore.ReportBounce},
		{mailstore.Address{Address: "mailer-daemon@x.example"}, "Delivery Status Notification (Delay)", mailstore.ReportDelay},
		{mailstore.Address{Address: "mailer-daemon@x.example"}, "Warning: message delayed 4 hours", mailstore.ReportDelay},
		// Subjects of text bounces in flufl.bounce's corpus that were not
		// taken for one (85 of its 116 messages were reports, 96 now).
		{mailstore.Address{Address: "POSTMASTER@x.example"}, "Message Delivery Failure", mailstore.ReportBounce},
		{mailstore.Address{Address: "mailer-daemon@x.example"}, "[Postmaster] Email Delivery Failure", mailstore.ReportBounce},
		{mailstore.Address{Address: "MAILER-DAEMON@AOL.com"}, "Mail Delivery Problem", mailstore.ReportBounce},
		{mailstore.Address{Address: "MAILER-DAEMON@x.example"}, "Mail Not Delivered", mailstore.ReportBounce},
		{mailstore.Address{Address: "MAILER-DAEMON@x.example"}, "mail failed, returning to sender", mailstore.ReportBounce},
		{mailstore.Address{Address: "MAILER-DAEMON@yahoo.com"}, "failure delivery", mailstore.ReportBounce},
		{mailstore.Address{Address: "MAILER-DAEMON@x.example"}, "Your message to a@x.example could not be delivered.", mailstore.ReportBounce},
		{mailstore.Address{Address: "MAILER-DAEMON@x.example"}, "Delivery status notification: error", mailstore.ReportBounce},
		{mailstore.Address{Address: "Mailer-Daemon@mx.example"}, "Ваше сообщение не доставлено. Mail failure.", mailstore.ReportBounce},
		{mailstore.Address{Name: "Eve", Address: "eve@x.example"}, "Mail Delivery Problem", ""},
		{mailstore.Address{Name: "Frank", Address: "frank@x.example"}, "Undeliverable packages at the dock", ""},
		{mailstore.Address{Address: "postmaster@x.example"}, "Our new spam policy", ""},
		{mailstore.Address{Address: "daemon-fan@x.example"}, "failure notice", ""},
	} {
		if got := KindOfPlainBounce(c.from, c.subject); got != c.want {
			t.Errorf("%v %q: %q, want %q", c.from, c.subject, got, c.want)
		}
		if got := KindOfMessage("text/plain; charset=us-ascii", c.subject, c.from); got != c.want {
			t.Errorf("KindOfMessage %v %q: %q, want %q", c.from, c.subject, got, c.want)
		}
	}
	// A multipart/report says what it is, whoever sends it.
	if got := KindOfMessage("multipart/report; report-type=feedback-report", "failure notice", mailstore.Address{Address: "mailer-daemon@x.example"}); got != mailstore.ReportComplaint {
		t.Errorf("a feedback report from a mailer daemon: %q", got)
	}
}
