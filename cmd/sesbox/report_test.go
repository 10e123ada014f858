package main

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore/actionlog"
	"github.com/sesbox/sesbox/mailstore/testutil/fakes3"
)

// reportBucket is a bucket holding the report fixtures and one ordinary
// message.
func reportBucket(t *testing.T) []string {
	t.Helper()
	srv := fakes3.Start(t, "mail")
	dir := filepath.Join("..", "..", "testdata", "reports")
	for _, f := range []string{"ses-bounce.eml", "gmail-delay.eml", "yahoo-arf.eml", "postfix-multi.eml"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		srv.Put(t, "mail", "in/"+strings.TrimSuffix(f, ".eml"), b)
	}
	srv.Put(t, "mail", "in/plain", []byte("From: a@example.com\r\nTo: b@example.com\r\nSubject: hello\r\nDate: Mon, 2 Nov 2026 10:00:00 +0000\r\n\r\nhi\r\n"))
	return []string{"--endpoint", srv.URL, "--bucket", "mail", "--prefix", "in/"}
}

func TestLsShowsReports(t *testing.T) {
	isolate(t)
	flags := reportBucket(t)
	got := map[string]any{}
	for _, r := range lsJSON(t, flags...) {
		got[r["key"].(string)] = r["report"]
	}
	want := map[string]any{
		"in/ses-bounce": "bounce", "in/gmail-delay": "delay", "in/yahoo-arf": "complaint",
		"in/postfix-multi": "bounce", "in/plain": nil,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: report %v, want %v", k, got[k], v)
		}
	}
	// The query syntax finds them.
	for q, keys := range map[string]string{
		"is:bounce": "in/postfix-multi,in/ses-bounce", "is:complaint": "in/yahoo-arf", "is:delay": "in/gmail-delay",
		"-is:report": "in/plain",
	} {
		out, errOut, code := sesbox(t, append(flags, "ls", "--json", "--query", q)...)
		if code != 0 {
			t.Fatalf("ls %q: %s", q, errOut)
		}
		var ks []string
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			if i := strings.Index(line, `"key":"`); i >= 0 {
				rest := line[i+7:]
				ks = append(ks, rest[:strings.IndexByte(rest, '"')])
			}
		}
		sort.Strings(ks)
		if strings.Join(ks, ",") != keys {
			t.Errorf("ls --query %q = %v, want %s", q, ks, keys)
		}
	}
	// The table marks them.
	out, _, _ := sesbox(t, append(flags, "ls")...)
	if !strings.Contains(out, "[bounce] Delivery Status Notification") || !strings.Contains(out, "[complaint] FW: Price list") {
		t.Errorf("ls table without badges:\n%s", out)
	}
}

func TestShowReportSummary(t *testing.T) {
	isolate(t)
	flags := reportBucket(t)
	out, errOut, code := sesbox(t, append(flags, "show", "postfix-multi")...)
	if code != 0 {
		t.Fatalf("show: %s", errOut)
	}
	for _, want := range []string{
		"Bounce: delivery failed (reported by mx1.partner-shop.example)",
		"  orders+eu@partner-shop.example: failed 5.2.2\n    552 5.2.2 <orders+eu@partner-shop.example>: Mailbox full",
		"  returns@partner-shop.example: failed 5.4.6",
		"Original Message-ID: <0100018f44b2c3d4-12345678-9abc-def0-1234-56789abcdef0-000000@email.amazonses.com>",
		"Original Subject: Price list November",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	// The block comes before the body.
	if strings.Index(out, "Bounce: delivery failed") > strings.Index(out, "This is the mail system") {
		t.Error("summary block after the body")
	}
}

// TestShowPlainBounceSummary: a bounce written as text (qmail's, Exim's)
// was shown as its text alone, where a multipart/report gets the summary
// block: which recipient failed, with which status, and why. It gets the
// block now, read from the words, saying so; the returned message's
// addresses are no recipients. The Exim bounce's Date is German ("Mi, 4
// Nov 2026 11:00:02 MEZ"), read as 10:00:02 UTC, not the stored time.
func TestShowPlainBounceSummary(t *testing.T) {
	isolate(t)
	srv := fakes3.Start(t, "mail")
	for _, f := range []string{"qmail-text.eml", "exim-text.eml"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "reports", f))
		if err != nil {
			t.Fatal(err)
		}
		srv.Put(t, "mail", "in/"+strings.TrimSuffix(f, ".eml"), b)
	}
	flags := []string{"--endpoint", srv.URL, "--bucket", "mail", "--prefix", "in/"}
	for key, want := range map[string][]string{
		"qmail-text": {
			"Bounce: delivery failed (reported by mx.partner-shop.example)\n" +
				"  orders@partner-shop.example: failed 5.1.1\n" +
				"    198.51.100.20 does not like recipient. Remote host said: 550 5.1.1 <orders@partner-shop.example>: Recipient address rejected: User unknown Giving up on 198.51.100.20.\n" +
				"  returns@partner-shop.example: failed 5.1.1\n" +
				"    Sorry, no mailbox here by that name. (#5.1.1)\n" +
				"Original Message-ID: <0100018f44b2c3d4-qmail-000000@email.amazonses.com>\n" +
				"Original Subject: Price list November\n" +
				"Original Date: Tue, 3 Nov 2026 09:14:19 +0000\n" +
				"! read from the report's text",
		},
		"exim-text": {
			"Date:     Wed, 04 Nov 2026 11:00:02 +0100\n",
			"Bounce: delivery failed\n" +
				"  einkauf@kunde.example: failed 5.2.2\n" +
				"    SMTP error from remote mail server after RCPT TO: <einkauf@kunde.example>: host mx.kunde.example [10.5.1.1]: 552 5.2.2 Mailbox full\n" +
				"Original Message-ID: <angebot-4471@acme.example>\nOriginal Subject: Angebot 4471\n",
		},
	} {
		out, errOut, code := sesbox(t, append(flags, "show", key)...)
		if code != 0 {
			t.Fatalf("show %s: %s", key, errOut)
		}
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("show %s lacks %q:\n%s", key, w, out)
			}
		}
		if strings.Contains(out, "acme.example: failed") || strings.Contains(out, "stored time") {
			t.Errorf("show %s: a returned message's address taken for a recipient, or the Date not read:\n%s", key, out)
		}
	}
	rows := lsJSON(t, flags...)
	if len(rows) != 2 || rows[0]["report"] != "bounce" || rows[1]["report"] != "bounce" || rows[0]["dateSource"] != nil || rows[1]["dateSource"] != nil {
		t.Errorf("ls --json: %v", rows)
	}
}

// A bounce and a complaint in the mailbox about sends sesbox made show up
// next to those sends in `audit log`.
func TestAuditLogLinksReports(t *testing.T) {
	dir := isolate(t)
	flags := reportBucket(t)
	lg, err := actionlog.OpenLog(filepath.Join(dir, "state", "sesbox", "actions.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range []actionlog.Action{
		{Command: "reply", Key: "in/x", Destinations: []string{"nobody@customer-gone.example"}, Result: "sent",
			SESMessageID: "0101018f2c5d6f11-9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d-000000"},
		{Command: "forward", Key: "in/y", Destinations: []string{"buyer.kim@yahoo.com"}, Result: "sent",
			SESMessageID: "0100018f44b2c3d4-12345678-9abc-def0-1234-56789abcdef0-000000"},
		{Command: "forward", Key: "in/z", Destinations: []string{"ok@example.com"}, Result: "sent", SESMessageID: "0100018f-unrelated"},
	} {
		if err := lg.Append(x); err != nil {
			t.Fatal(err)
		}
	}
	lg.Close()
	out, errOut, code := sesbox(t, append(flags, "audit", "log")...)
	if code != 0 {
		t.Fatalf("audit log: %s", errOut)
	}
	lines := strings.Split(out, "\n")
	if len(lines) < 4 || !strings.Contains(lines[1], "sent; bounced: nobody@customer-gone.example 5.1.1") ||
		!strings.Contains(lines[2], "sent; bounced (unverified report): orders+eu@partner-shop.example 5.2.2, old-buyer@partner-shop.example 5.1.1, returns@partner-shop.example 5.4.6; complained (unverified report): buyer.kim@yahoo.com") ||
		strings.Contains(lines[3], "bounced") {
		t.Errorf("audit log:\n%s", out)
	}
	// --json adds "report" records only when asked.
	out, _, _ = sesbox(t, append(flags, "audit", "log", "--json")...)
	if strings.Contains(out, `"record":"report"`) {
		t.Errorf("report records without --reports:\n%s", out)
	}
	out, _, code = sesbox(t, append(flags, "audit", "log", "--json", "--reports")...)
	if code != 0 || strings.Count(out, `"record":"report"`) != 3 || !strings.Contains(out, `"kind":"complaint"`) ||
		strings.Count(out, `"verified":true`) != 1 || strings.Count(out, `"verified":false`) != 2 {
		t.Errorf("--json --reports:\n%s", out)
	}
	// Without a mailbox, the log alone, as before.
	out, _, code = sesbox(t, "audit", "log")
	if code != 0 || strings.Contains(out, "bounced") || !strings.Contains(out, "forward") {
		t.Errorf("no mailbox:\n%s", out)
	}
}

// TestAuditLogSaysWhyItIndexes: `audit log` on a cold cache printed
// "indexed 91 new or changed..." without saying why a log reader reads
// the bucket; the line is now preceded by why (the bounces and complaints
// it links to the sends) and how to skip it, and a warm run, which reads
// nothing, says nothing.
func TestAuditLogSaysWhyItIndexes(t *testing.T) {
	dir := isolate(t)
	flags := reportBucket(t)
	lg, err := actionlog.OpenLog(filepath.Join(dir, "state", "sesbox", "actions.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if err := lg.Append(actionlog.Action{Command: "forward", Key: "in/z", Destinations: []string{"ok@example.com"}, Result: "sent"}); err != nil {
		t.Fatal(err)
	}
	lg.Close()
	_, errOut, code := sesbox(t, append(flags, "audit", "log")...)
	why := "sesbox: note: indexing the mailbox to link the log's sends to their bounces and complaints (--reports=false skips it)\nindexed "
	if code != 0 || !strings.HasPrefix(errOut, why) {
		t.Errorf("cold: exit %d, stderr %q\nwant it to start %q", code, errOut, why)
	}
	if _, errOut, code = sesbox(t, append(flags, "audit", "log")...); code != 0 || errOut != "" {
		t.Errorf("warm: exit %d, stderr %q, want nothing", code, errOut)
	}
}
