package bounces

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/actionlog"
	"github.com/sesbox/sesbox/mailstore/index"
	"github.com/sesbox/sesbox/mailstore/mailbox"
	"github.com/sesbox/sesbox/mailstore/report"
	"github.com/sesbox/sesbox/mailstore/s3store"
	"github.com/sesbox/sesbox/mailstore/testutil/fakes3"
)

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "reports", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The action log of a few sends, with the SES message ids the fixtures'
// reports quote.
var actions = []actionlog.Action{
	{Seq: 1, Command: "reply", Result: "sent", SESMessageID: "0101018f2c5d6f11-9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d-000000",
		Destinations: []string{"nobody@customer-gone.example"}},
	{Seq: 2, Command: "forward", Result: "sent", SESMessageID: "0100018f44b2c3d4-12345678-9abc-def0-1234-56789abcdef0-000000"},
	{Seq: 3, Command: "forward", Result: "failed: MessageRejected", SESMessageID: ""},
	{Seq: 4, Command: "reply", Result: "sent", SESMessageID: "0102018f000000aa-unrelated-000000", MessageID: "K7QX2MB4NDA3YV9T5WZPHC6E.sesbox@acme.example"},
	{Seq: 5, Command: "forward", Result: "sent", SESMessageID: "0102018f3a11bb22-aaaabbbb-cccc-dddd-eeee-ffff00001111-000000"},
}

func parse(t *testing.T, name string, raw []byte) Found {
	t.Helper()
	r, ok := report.Parse(raw)
	if !ok {
		t.Fatalf("%s: not a report", name)
	}
	return Found{Key: "in/" + name, Report: r}
}

func TestMatch(t *testing.T) {
	ownID := []byte("Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n--b\n" +
		"Content-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example\n\nFinal-Recipient: rfc822; x@y.example\nAction: failed\nStatus: 5.7.1\n" +
		"--b\nContent-Type: text/rfc822-headers\n\nMessage-ID: <k7qx2mb4nda3yv9t5wzphc6e.sesbox@acme.example>\n--b--\n")
	found := []Found{
		parse(t, "ses-bounce", fixture(t, "ses-bounce.eml")),       // -> 1 (Message-ID, region domain)
		parse(t, "ses-complaint", fixture(t, "ses-complaint.eml")), // -> 1 (Message-ID)
		parse(t, "postfix-multi", fixture(t, "postfix-multi.eml")), // -> 2 (@email.amazonses.com)
		parse(t, "yahoo-arf", fixture(t, "yahoo-arf.eml")),         // -> 2
		parse(t, "gmail-delay", fixture(t, "gmail-delay.eml")),     // -> 5
		parse(t, "own", ownID),                                     // -> 4 (the reply's own Message-ID, case aside)
		parse(t, "gmail-bounce", fixture(t, "gmail-bounce.eml")),   // about a send not in the log
	}
	for i := range found[:2] {
		found[i].Verified = true // SES's own feedback (TestSignedBySES)
	}
	got := Match(actions, found)
	want := map[int64][]string{
		1: {"bounce in/ses-bounce", "complaint in/ses-complaint"},
		2: {"bounce in/postfix-multi", "complaint in/yahoo-arf"},
		4: {"bounce in/own"},
		5: {"delay in/gmail-delay"},
	}
	if len(got) != len(want) {
		t.Errorf("linked %d sends, want %d: %+v", len(got), len(want), got)
	}
	for seq, w := range want {
		var g []string
		for _, l := range got[seq] {
			g = append(g, l.Kind+" "+l.Key)
		}
		if !slices.Equal(g, w) {
			t.Errorf("send %d: %v, want %v", seq, g, w)
		}
	}
	if r := got[2][0].Recipients; !slices.Equal(r, []string{"orders+eu@partner-shop.example 5.2.2", "old-buyer@partner-shop.example 5.1.1", "returns@partner-shop.example 5.4.6"}) {
		t.Errorf("recipients %v", r)
	}
	if r := got[2][1].Recipients; !slices.Equal(r, []string{"buyer.kim@yahoo.com"}) {
		t.Errorf("complaint recipients %v", r)
	}
	for seq, verified := range map[int64][]bool{1: {true, true}, 2: {false, false}, 4: {false}, 5: {false}} {
		for i, l := range got[seq] {
			if l.Verified != verified[i] {
				t.Errorf("send %d, %s: verified %v, want %v", seq, l.Key, l.Verified, verified[i])
			}
		}
	}
	// A domain that is not SES's does not make an SES id match.
	spoof := Found{Key: "in/spoof", Report: &report.Report{Kind: mailstore.ReportBounce,
		Original: report.Original{MessageID: actions[0].SESMessageID + "@evil.example"}}}
	if l := Match(actions, []Found{spoof}); len(l) != 0 {
		t.Errorf("spoofed id matched: %+v", l)
	}
}

func TestCollect(t *testing.T) {
	ctx := context.Background()
	srv := fakes3.Start(t, "mail")
	for _, f := range []string{"ses-bounce.eml", "yahoo-arf.eml"} {
		srv.Put(t, "mail", "in/"+f, fixture(t, f))
	}
	srv.Put(t, "mail", "in/plain", []byte("From: a@b.example\r\nSubject: hi\r\n\r\nhello\r\n"))
	idx, err := index.Open(filepath.Join(t.TempDir(), "i.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	m := mailbox.New("t", s3store.New(srv.Client(nil), mailstore.Location{Bucket: "mail", Prefix: "in/"}), idx)
	if err := m.Refresh(ctx, nil); err != nil {
		t.Fatal(err)
	}
	found, skipped, err := Collect(ctx, m, 0)
	if err != nil || skipped != 0 || len(found) != 2 {
		t.Fatalf("found %d, skipped %d, %v", len(found), skipped, err)
	}
	links := Match(actions, found)
	if len(links[1]) != 1 || links[1][0].Kind != mailstore.ReportBounce || len(links[2]) != 1 || Word(links[2][0].Kind) != "complained" {
		t.Errorf("links %+v", links)
	}
	if found, _, _ := Collect(ctx, m, 1); len(found) != 1 {
		t.Errorf("limit 1 read %d", len(found))
	}
}

// TestSignedBySES: a report is SES's only when SES's own receipt block
// says a DKIM signature of amazonses.com passed. A report's ids are seen
// by every recipient of the send, so anyone could mail one: a forged
// "Authentication-Results: amazonses.com" below the block, a signature
// of the sender's own domain, a failed one, or a look-alike domain do not
// make it SES's.
func TestSignedBySES(t *testing.T) {
	block := "Return-Path: <>\r\nReceived: from mx.example (mx.example [192.0.2.1])\r\n by inbound-smtp.us-east-1.amazonaws.com with SMTP id abc\r\n for support@acme.example;\r\n Tue, 03 Nov 2026 09:14:22 +0000 (UTC)\r\n" +
		"X-SES-Spam-Verdict: PASS\r\nX-SES-Virus-Verdict: PASS\r\n"
	auth := func(v string) string {
		return "Authentication-Results: amazonses.com;\r\n spf=pass smtp.mailfrom=x;\r\n " + v + "\r\n"
	}
	rest := "From: MAILER-DAEMON@amazonses.com\r\nSubject: Delivery Status Notification (Failure)\r\n\r\nbody\r\n"
	for _, tc := range []struct {
		name string
		raw  string
		want bool
	}{
		{"SES's bounce fixture", string(fixture(t, "ses-bounce.eml")), true},
		{"SES's complaint fixture", string(fixture(t, "ses-complaint.eml")), true},
		{"Gmail's bounce, no SES signature", string(fixture(t, "gmail-bounce.eml")), false},
		{"header.i of amazonses.com", block + auth("dkim=pass header.i=@amazonses.com;") + rest, true},
		{"header.d of a subdomain", block + auth("dkim=pass (good signature) header.d=email.amazonses.com header.s=x;") + rest, true},
		{"second signature is SES's", block + auth("dkim=pass header.d=acme.example; dkim=pass header.d=amazonses.com;") + rest, true},
		{"no Authentication-Results", block + rest, false},
		{"the sender's own signature", block + auth("dkim=pass header.d=evil.example;") + rest, false},
		{"a look-alike domain", block + auth("dkim=pass header.d=notamazonses.com;") + rest, false},
		{"a failed signature", block + auth("dkim=fail header.i=@amazonses.com;") + rest, false},
		{"a pass only in a comment", block + auth("dkim=fail (dkim=pass header.d=amazonses.com) header.d=amazonses.com;") + rest, false},
		{"forged below the block", block + "From: MAILER-DAEMON@amazonses.com\r\n" + auth("dkim=pass header.i=@amazonses.com;") + "Subject: x\r\n\r\nbody\r\n", false},
		{"no SES block at all", auth("dkim=pass header.i=@amazonses.com;") + rest, false},
	} {
		if got := SignedBySES([]byte(tc.raw)); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
