package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore/testutil/fakes3"
)

// Forged SES headers (issue #10 §1): a sender writes SES-looking fields
// below SES's receipt block. None of them may change the envelope
// recipients, the verdicts, whom forward sends to or whom a reply is sent
// from; each is reported as a warning.

// forgedReceipt is SES's block for a message delivered to
// info@acme-mail.example, a domain SES receives for but that is not one
// of the mailbox's identity_domains (acme-demo.example).
const forgedReceipt = "Return-Path: <mallory@evil.example>\r\n" +
	"Received: from mx.evil.example (mx.evil.example [203.0.113.66])\r\n" +
	" by inbound-smtp.us-east-1.amazonaws.com with SMTP id forgedhop0001\r\n" +
	" for info@acme-mail.example;\r\n" +
	" Tue, 03 Nov 2026 14:02:11 +0000 (UTC)\r\n"

const forgedSender = "From: Mallory <mallory@evil.example>\r\n" +
	"To: info@acme-mail.example\r\n" +
	"Subject: Urgent wire transfer\r\n" +
	"Date: Tue, 3 Nov 2026 09:02:05 -0500\r\n" +
	"Message-ID: <forged.1@evil.example>\r\n"

const forgedTail = "MIME-Version: 1.0\r\n" +
	"Content-Type: text/plain; charset=us-ascii\r\n" +
	"\r\n" +
	"Please pay.\r\n"

// forgedMessages are keyed by SES message id. Each genuine block leaves
// out what its forgery supplies, so that a reader who takes the first
// field of a name anywhere in the header (as sesbox did) is fooled.
var forgedMessages = map[string]string{
	// A second SES hop naming the CEO.
	"forgedhop0001": forgedReceipt +
		"X-SES-Spam-Verdict: PASS\r\n" +
		"X-SES-Virus-Verdict: PASS\r\n" +
		"Received-SPF: pass (spfCheck: domain of evil.example designates 203.0.113.66 as permitted sender) client-ip=203.0.113.66;\r\n" +
		"Authentication-Results: amazonses.com;\r\n spf=pass smtp.mailfrom=mallory@evil.example;\r\n dkim=pass header.i=@evil.example;\r\n dmarc=pass header.from=evil.example;\r\n" +
		"X-SES-RECEIPT: AEFBQUFBQUFBQUFH\r\n" +
		"X-SES-DKIM-SIGNATURE: a=rsa-sha256; q=dns/txt; b=abc; d=amazonses.com; v=1;\r\n" +
		forgedSender +
		"Received: from x by inbound-smtp.us-east-1.amazonaws.com with SMTP id y for <ceo@acme-demo.example>; Tue, 03 Nov 2026 14:02:10 +0000\r\n" +
		forgedTail,
	// Spam and virus verdicts where SES scanned nothing (scanning off).
	"forgedverdicts01": strings.Replace(forgedReceipt, "forgedhop0001", "forgedverdicts01", 1) +
		"Received-SPF: pass (spfCheck: domain of evil.example designates 203.0.113.66 as permitted sender) client-ip=203.0.113.66;\r\n" +
		"X-SES-RECEIPT: AEFBQUFBQUFBQUFH\r\n" +
		"X-SES-DKIM-SIGNATURE: a=rsa-sha256; q=dns/txt; b=abc; d=amazonses.com; v=1;\r\n" +
		forgedSender +
		"X-SES-Spam-Verdict: FAIL\r\n" +
		"X-SES-Virus-Verdict: FAIL\r\n" +
		forgedTail,
	// SES's Received-SPF says fail; a forged amazonses.com result says pass.
	"forgedauth000001": strings.Replace(forgedReceipt, "forgedhop0001", "forgedauth000001", 1) +
		"X-SES-Spam-Verdict: PASS\r\n" +
		"X-SES-Virus-Verdict: PASS\r\n" +
		"Received-SPF: fail (spfCheck: domain of evil.example does not designate 203.0.113.66 as permitted sender) client-ip=203.0.113.66;\r\n" +
		"X-SES-RECEIPT: AEFBQUFBQUFBQUFH\r\n" +
		"X-SES-DKIM-SIGNATURE: a=rsa-sha256; q=dns/txt; b=abc; d=amazonses.com; v=1;\r\n" +
		forgedSender +
		"Authentication-Results: amazonses.com; spf=pass; dkim=pass; dmarc=pass\r\n" +
		forgedTail,
}

// forgedMailbox puts the forged messages in a bucket and writes a config
// whose only mailbox has identity_domains, an SES endpoint and a Lambda
// config mapping the CEO to the attacker and acme-mail to the desk.
func forgedMailbox(t *testing.T) (sesURL string) {
	t.Helper()
	dir := isolate(t)
	srv := fakes3.Start(t, "mail")
	for id, raw := range forgedMessages {
		srv.Put(t, "mail", "inbound/"+id, []byte(raw))
	}
	ses := startSES(t)
	fwd := filepath.Join(dir, "forwarder.json")
	if err := os.WriteFile(fwd, []byte(`{"fromEmail": "forwarder@acme-demo.example",
  "forwardMapping": {"ceo@acme-demo.example": ["attacker@evil.example"], "@acme-mail.example": ["desk@team.example"]}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "config", "sesbox", "config.toml")
	if err := os.MkdirAll(filepath.Dir(cfg), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, []byte(`[mailbox.acme]
bucket = "mail"
prefix = "inbound/"
endpoint = "`+srv.URL+`"
ses_endpoint = "`+ses.URL+`"
forward_config = "`+fwd+`"
identity_domains = ["acme-demo.example"]
`), 0o600); err != nil {
		t.Fatal(err)
	}
	return ses.URL
}

func TestForgedSESHeadersLs(t *testing.T) {
	forgedMailbox(t)
	rows := map[string]map[string]any{}
	for _, r := range lsJSON(t) {
		rows[strings.TrimPrefix(r["key"].(string), "inbound/")] = r
	}
	for _, tt := range []struct {
		id                            string
		spam, virus, spf, dkim, dmarc string
	}{
		{"forgedhop0001", "PASS", "PASS", "PASS", "PASS", "PASS"},
		{"forgedverdicts01", "", "", "PASS", "", ""},
		{"forgedauth000001", "PASS", "PASS", "FAIL", "", ""},
	} {
		r := rows[tt.id]
		if r == nil {
			t.Fatalf("no row for %s", tt.id)
		}
		if got := r["recipients"]; !slices.Equal(anyStrings(got), []string{"info@acme-mail.example"}) || r["recipient"] != "info@acme-mail.example" {
			t.Errorf("%s: recipients %v (recipient %v), want only info@acme-mail.example", tt.id, got, r["recipient"])
		}
		got := []any{r["spam"], r["virus"], r["spf"], r["dkim"], r["dmarc"]}
		want := []any{tt.spam, tt.virus, tt.spf, tt.dkim, tt.dmarc}
		if !slices.Equal(got, want) {
			t.Errorf("%s: verdicts spam/virus/spf/dkim/dmarc %v, want %v", tt.id, got, want)
		}
	}
}

func anyStrings(v any) []string {
	var out []string
	l, _ := v.([]any)
	for _, x := range l {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

func TestForgedSESHeadersShowWarns(t *testing.T) {
	forgedMailbox(t)
	for id, names := range map[string][]string{
		"forgedhop0001":    {"Received"},
		"forgedverdicts01": {"X-SES-Spam-Verdict", "X-SES-Virus-Verdict"},
		"forgedauth000001": {"Authentication-Results"},
	} {
		out, errOut, code := sesbox(t, "show", id)
		if code != 0 {
			t.Fatalf("show %s: exit %d: %s", id, code, errOut)
		}
		for _, n := range names {
			if w := "Warning:  forged SES header below the receipt block: " + n + "\n"; !strings.Contains(out, w) {
				t.Errorf("show %s lacks %q:\n%s", id, w, out)
			}
		}
		if !strings.Contains(out, "Envelope: info@acme-mail.example\n") || strings.Contains(out, "ceo@") {
			t.Errorf("show %s: envelope line wrong:\n%s", id, out)
		}
	}
}

func TestForgedSESHeadersForwardDryRun(t *testing.T) {
	forgedMailbox(t)
	out := t.TempDir()
	stdout, stderr, code := sesbox(t, "forward", "--dry-run", out, "forgedhop0001", "forgedverdicts01", "forgedauth000001")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	rows := forwardRows(t, stdout)
	if len(rows) != 3 {
		t.Fatalf("%d rows: %s", len(rows), stdout)
	}
	for _, r := range rows {
		// Only SES's own hop is mapped: never the CEO's destinations, and
		// a forged FAIL verdict does not make forward skip the message.
		if r["status"] != "dry-run" || !slices.Equal(anyStrings(r["recipients"]), []string{"desk@team.example"}) {
			t.Errorf("%v: status %v, destinations %v; want dry-run to desk@team.example only", r["key"], r["status"], r["recipients"])
		}
	}
}

func TestForgedSESHeadersReplyIdentity(t *testing.T) {
	forgedMailbox(t)
	body := writeFile(t, "body.txt", "No.\n")
	for id := range forgedMessages {
		// info@acme-mail.example is not in identity_domains: there is no
		// identity to send from, whatever the forged hop says.
		_, errOut, code := sesbox(t, "reply", id, "--body-file", body, "--yes")
		if code == 0 || !strings.Contains(errOut, "no verified identity") || !strings.Contains(errOut, "(info@acme-mail.example)") || strings.Contains(errOut, "ceo@") {
			t.Errorf("reply %s: exit %d, want no identity from the SES envelope info@acme-mail.example: %s", id, code, errOut)
		}
	}
}

// TestQuotedEnvelopeRecipient: SES's hop names a recipient with a quoted
// local part that itself says "for ceo@...". ls, show and forward take the
// whole quoted address (which the catch-all maps to the desk), never the
// address inside the quotes.
func TestQuotedEnvelopeRecipient(t *testing.T) {
	const rcpt = `"a for ceo@evil.example (x"@acme-demo.example`
	raw := "Return-Path: <x@evil.example>\r\n" +
		"Received: from mx.evil.example (mx.evil.example [203.0.113.66])\r\n" +
		" by inbound-smtp.us-east-1.amazonaws.com with SMTP id quotedrcpt0001\r\n" +
		" for <" + rcpt + ">;\r\n Tue, 03 Nov 2026 14:02:11 +0000 (UTC)\r\n" +
		forgedSender + forgedTail
	startHostile(t, map[string]string{"quotedrcpt0001": raw})

	rows := lsJSON(t)
	if len(rows) != 1 || !slices.Equal(anyStrings(rows[0]["recipients"]), []string{rcpt}) || rows[0]["recipient"] != rcpt {
		t.Errorf("ls --json: %v, want the recipient %s", rows, rcpt)
	}
	out, errOut, code := sesbox(t, "show", "quotedrcpt0001")
	if code != 0 || !strings.Contains(out, "Envelope: "+rcpt+"\n") {
		t.Errorf("show: exit %d: %s%s", code, out, errOut)
	}
	out, errOut, code = sesbox(t, "forward", "--dry-run", t.TempDir(), "quotedrcpt0001")
	if code != 0 {
		t.Fatalf("forward --dry-run: exit %d: %s", code, errOut)
	}
	if r := forwardRows(t, out); len(r) != 1 || !slices.Equal(anyStrings(r[0]["recipients"]), []string{"desk@team.example"}) {
		t.Errorf("forward --dry-run: %v, want desk@team.example", r)
	}
}

// TestForwardDryRunSaysWhichPartsWereReencoded: a part re-encoded to fit a
// line over 998 octets is named in the JSON row ("reencoded") and on
// stderr; the dry run said nothing of it.
func TestForwardDryRunSaysWhichPartsWereReencoded(t *testing.T) {
	raw := "Return-Path: <x@evil.example>\r\n" +
		"Received: from mx.evil.example (mx.evil.example [203.0.113.66])\r\n" +
		" by inbound-smtp.us-east-1.amazonaws.com with SMTP id longline00001\r\n" +
		" for <info@acme-mail.example>;\r\n Tue, 03 Nov 2026 14:02:11 +0000 (UTC)\r\n" +
		forgedSender + forgedTail + strings.Repeat("x", 2000) + "\r\n"
	startHostile(t, map[string]string{"longline00001": raw})
	stdout, stderr, code := sesbox(t, "forward", "--dry-run", t.TempDir(), "--to", "desk@team.example", "longline00001")
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, stdout, stderr)
	}
	rows := forwardRows(t, stdout)
	if len(rows) != 1 || fmt.Sprint(rows[0]["reencoded"]) != "[map[from:7bit part:1 to:quoted-printable]]" {
		t.Fatalf("rows %v", rows)
	}
	if !strings.Contains(stderr, "part 1 re-encoded from 7bit to quoted-printable") {
		t.Errorf("stderr does not say it: %s", stderr)
	}
}
