//go:build integration

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore/testutil/httprec"
	"github.com/sesbox/sesbox/mailstore/testutil/peer"
	"github.com/sesbox/sesbox/mailstore/testutil/sesident"
)

// Sends go to aws-ses-v2-local; GetSuppressedDestination and
// GetEmailIdentity, which no emulator offers, are answered by sesident's
// fake in front of it; a recording proxy in front of both shows exactly
// which destinations reached SES.
func TestSuppressionAndSimulatorEndToEnd(t *testing.T) {
	dir := isolate(t)
	ses := peer.StartSES(t)
	fake := sesident.Start(t, ses.URL)
	fake.Suppress("lead@team.example", "BOUNCE", time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	url, rec := httprec.Proxy(t, fake.URL)
	cfgPath, _ := writeForwardConfig(t, dir)
	key := "0jj4e27lu21n9b5o46bc5c4av11ubslmtgiuc1dk" // to info@: ops@ and lead@

	out, errOut, code := sesbox(t, "--demo", "--ses-endpoint", url, "forward", "--forward-config", cfgPath, "--yes", key)
	if code != 0 {
		t.Fatalf("forward: exit %d\n%s\n%s", code, out, errOut)
	}
	var row struct {
		Status            string
		Recipients        []string
		SkippedRecipients []string `json:"skippedRecipients"`
	}
	if err := json.Unmarshal([]byte(out), &row); err != nil {
		t.Fatal(err)
	}
	if row.Status != "sent" || !slices.Equal(row.Recipients, []string{"ops@team.example"}) ||
		!slices.Equal(row.SkippedRecipients, []string{"lead@team.example: suppressed: BOUNCE since 2026-11-02"}) {
		t.Errorf("row %+v", row)
	}
	if !strings.Contains(errOut, "forward: 1 destination left out: on the account's suppression list") ||
		!strings.Contains(errOut, "forward: quota: fits (1 of 50000 left today)") {
		t.Errorf("no preview on stderr:\n%s", errOut)
	}
	for _, s := range recordedSends(t, rec) {
		if slices.Contains(s.Destination.ToAddresses, "lead@team.example") {
			t.Errorf("the suppressed address reached SES: %v", s.Destination.ToAddresses)
		}
	}
	if n := fake.Count("GetSuppressedDestination lead@team.example"); n != 1 {
		t.Errorf("lead@ checked %d times", n)
	}

	// A rehearsal: the mailbox simulator, flagged in the journal and the
	// action log.
	out, errOut, code = sesbox(t, "--demo", "--ses-endpoint", url, "forward", "--yes", "--to", "bounce@simulator.amazonses.com", key)
	if code != 0 || !strings.Contains(out, `"simulator":true`) {
		t.Fatalf("simulator forward: exit %d\n%s\n%s", code, out, errOut)
	}
	journal, _ := os.ReadFile(filepath.Join(dir, "state", "sesbox", "forward-journal.jsonl"))
	if !strings.Contains(string(journal), `"destinations":["bounce@simulator.amazonses.com"],"state":"sent"`) ||
		!strings.Contains(string(journal), `"simulator":true`) {
		t.Errorf("journal:\n%s", journal)
	}

	// A reply to a suppressed address is not sent at all; --to the
	// simulator is.
	body := writeFile(t, "body.txt", "Thanks.\n")
	out, errOut, code = sesbox(t, "--demo", "--ses-endpoint", url, "reply", key, "--to", "lead@team.example", "--body-file", body, "--yes")
	if code == 0 || !strings.Contains(errOut, "lead@team.example: suppressed: BOUNCE since 2026-11-02") {
		t.Errorf("reply to a suppressed address: exit %d\n%s\n%s", code, out, errOut)
	}
	// What to do comes first, in the preview and in the error.
	if !strings.Contains(errOut, "Skip:     lead@team.example: --include-suppressed sends to lead@team.example anyway, or take it off the account's list: aws sesv2 delete-suppressed-destination --email-address lead@team.example (suppressed: BOUNCE since 2026-11-02)\n") ||
		!strings.Contains(errOut, "\nsesbox: --include-suppressed sends to lead@team.example anyway, ") ||
		!strings.Contains(errOut, "; then send the kept draft: sesbox reply --draft ") {
		t.Errorf("reply to a suppressed address does not lead with the action:\n%s", errOut)
	}
	before := len(recordedSends(t, rec))
	out, errOut, code = sesbox(t, "--demo", "--ses-endpoint", url, "reply", key, "--to", "success@simulator.amazonses.com", "--body-file", body, "--yes")
	if code != 0 || !strings.Contains(out, "Sent to success@simulator.amazonses.com") ||
		!strings.Contains(errOut, "success@simulator.amazonses.com is the SES mailbox simulator") {
		t.Fatalf("simulator reply: exit %d\n%s\n%s", code, out, errOut)
	}
	if len(recordedSends(t, rec)) != before+1 {
		t.Error("the simulator reply did not reach SES")
	}
	log, _ := os.ReadFile(filepath.Join(dir, "state", "sesbox", "actions.jsonl"))
	lines := strings.Split(strings.TrimSpace(string(log)), "\n")
	last := lines[len(lines)-1]
	if !strings.Contains(last, `"command":"reply"`) || !strings.Contains(last, `"simulator":true`) || !strings.Contains(last, `"messageId":"`) {
		t.Errorf("action log line %s", last)
	}
}

// TestDryRunSaysWhatTheSendingRunWouldRefuse: `forward --dry-run` checks
// the destinations as a sending run does. The account is in the sandbox
// (aws-ses-v2-local answers GetAccount); GetSuppressedDestination and
// GetEmailIdentity, which it does not offer, come from sesident's fake in
// front of it. lead@ (verified) is suppressed, ops@ unverified: the message is
// skipped with both reasons and no file is written; once ops@ is verified
// it is written, its reason naming lead@ left out. Before, the dry run
// wrote the message for both, reasons empty, and only the real run
// refused them.
func TestDryRunSaysWhatTheSendingRunWouldRefuse(t *testing.T) {
	dir := isolate(t)
	ses := peer.StartSESWithAccount(t, `{"DedicatedIpAutoWarmupEnabled":false,"Details":{"AdditionalContactEmailAddresses":[],"ContactLanguage":"EN","MailType":"TRANSACTIONAL","ReviewDetails":{"CaseId":"c1","Status":"PENDING"},"UseCaseDescription":"t","WebsiteURL":"https://example.com"},"EnforcementStatus":"HEALTHY","ProductionAccessEnabled":false,"SendingEnabled":true,"SendQuota":{"Max24HourSend":200,"MaxSendRate":1,"SentLast24Hours":0},"SuppressionAttributes":{"SuppressedReasons":["BOUNCE"]}}`)
	fake := sesident.Start(t, ses.URL)
	fake.Suppress("lead@team.example", "BOUNCE", time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	fake.SetIdentity("lead@team.example", "EMAIL_ADDRESS", "SUCCESS", true)
	cfgPath, _ := writeForwardConfig(t, dir)
	key := "0jj4e27lu21n9b5o46bc5c4av11ubslmtgiuc1dk" // to info@: ops@ and lead@

	type row struct {
		Status            string
		Reason            string
		File              string
		Recipients        []string
		SkippedRecipients []string `json:"skippedRecipients"`
	}
	dryRun := func() (row, string) {
		t.Helper()
		out := filepath.Join(t.TempDir(), "dry")
		stdout, errOut, code := sesbox(t, "--demo", "--ses-endpoint", fake.URL, "forward", "--forward-config", cfgPath, "--dry-run", out, key)
		if code != 0 {
			t.Fatalf("dry run: exit %d\n%s\n%s", code, stdout, errOut)
		}
		var r row
		if err := json.Unmarshal([]byte(stdout), &r); err != nil {
			t.Fatalf("%v: %s", err, stdout)
		}
		return r, errOut
	}

	r, errOut := dryRun()
	if r.Status != "skipped" || r.File != "" ||
		!strings.Contains(r.Reason, "lead@team.example: suppressed: BOUNCE since 2026-11-02") ||
		!strings.Contains(r.Reason, "sandbox: ops@team.example is not a verified identity") {
		t.Errorf("all destinations refused: %+v", r)
	}
	if !strings.Contains(errOut, "SES sandbox") || !strings.Contains(errOut, "1 message skipped: every destination suppressed or not allowed from the sandbox") ||
		!strings.Contains(errOut, "1 destination left out as unverified: verify each (aws sesv2 create-email-identity --email-identity ADDRESS)") {
		t.Errorf("the dry run's preview:\n%s", errOut)
	}

	fake.SetIdentity("ops@team.example", "EMAIL_ADDRESS", "SUCCESS", true)
	r, _ = dryRun()
	if r.Status != "dry-run" || r.File == "" || !slices.Equal(r.Recipients, []string{"ops@team.example"}) ||
		!strings.Contains(r.Reason, "lead@team.example: suppressed: BOUNCE since 2026-11-02") ||
		!slices.Equal(r.SkippedRecipients, []string{"lead@team.example: suppressed: BOUNCE since 2026-11-02"}) {
		t.Errorf("one destination refused: %+v", r)
	}
	if n := fake.Count("POST"); n != 0 {
		t.Errorf("the dry run sent: %q", fake.Requests())
	}
}

// TestSuppressedAddressCountedOnceEndToEnd: the preview counted a
// suppressed address once per message it was left out of ("2
// destinations left out" for lead@ in 2 messages); it counts addresses
// and says how often (aws-ses-v2-local, sesident's suppression list).
func TestSuppressedAddressCountedOnceEndToEnd(t *testing.T) {
	isolate(t)
	ses := peer.StartSES(t)
	fake := sesident.Start(t, ses.URL)
	fake.Suppress("lead@team.example", "BOUNCE", time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	out, errOut, code := sesbox(t, "--demo", "--ses-endpoint", fake.URL, "forward", "--dry-run", t.TempDir(),
		"--to", "ops@team.example", "--to", "lead@team.example", "--to", "LEAD@Team.Example",
		"9654fpu9mcqevtjmtg6bhd7d9jlr34udr0ifb8ba", "kv4il7ee85m8h9sv192csrd9v14soi8vfht8nikd")
	if code != 0 || !strings.Contains(errOut, "forward: 2 destinations left out (4 times over the messages): on the account's suppression list") {
		t.Errorf("exit %d\n%s\n%s", code, out, errOut)
	}
}

// TestLocalSESWarnsOnceInALine: aws-ses-v2-local has no
// GetSuppressedDestination. Every forward through it printed a warning of
// 430 characters (five lines at 80 columns: the hint, then the SDK's
// "deserialization failed, failed to decode response body, invalid
// character '<' ..."), asked the endpoint once for each destination, and
// a reply printed one such line per recipient. The preview says it in
// one line within 80 columns, once, hint first; the endpoint is asked once a run; a reply
// says it once for all its recipients. The preview also says how long
// the run takes at the account's send rate (aws-ses-v2-local's 50 a
// second).
func TestLocalSESWarnsOnceInALine(t *testing.T) {
	dir := isolate(t)
	ses := peer.StartSES(t)
	url, rec := httprec.Proxy(t, ses.URL)
	cfgPath, _ := writeForwardConfig(t, dir) // info@ to ops@ and lead@, the rest to desk@
	suppressionChecks := func() int {
		n := 0
		for _, r := range rec.Requests() {
			if strings.Contains(r.Path, "/v2/email/suppression/addresses/") {
				n++
			}
		}
		return n
	}
	const warning = "suppression list not checked: the SES endpoint has no GetSuppressedDestination"
	for _, args := range [][]string{{"--dry-run", filepath.Join(dir, "dry")}, {"--yes"}} {
		before := suppressionChecks()
		out, errOut, code := sesbox(t, append([]string{"--demo", "--ses-endpoint", url, "forward", "--forward-config", cfgPath, "--query", ""}, args...)...)
		if code != 0 || len(forwardRows(t, out)) < 50 {
			t.Fatalf("forward %v: exit %d\n%s", args, code, errOut)
		}
		var about []string
		for _, l := range strings.Split(errOut, "\n") {
			if strings.Contains(l, "uppression") || strings.Contains(l, "deserialization") {
				about = append(about, l)
			}
		}
		if len(about) != 1 || about[0] != "forward: "+warning {
			t.Errorf("forward %v: the lines about the suppression list are %q, want the one %q", args, about, "forward: "+warning)
		}
		if n := suppressionChecks() - before; n != 1 {
			t.Errorf("forward %v: GetSuppressedDestination asked %d times, want once", args, n)
		}
		if !regexp.MustCompile(`(?m)^forward: time: (under a second|about \d+s) at 50 recipients/s \(the account's max send rate\)$`).MatchString(errOut) {
			t.Errorf("forward %v: no estimate of the run's length:\n%s", args, errOut)
		}
	}

	body := writeFile(t, "body.txt", "Thanks.\n")
	key := "0jj4e27lu21n9b5o46bc5c4av11ubslmtgiuc1dk"
	_, errOut, code := sesbox(t, "--demo", "--ses-endpoint", url, "reply", key, "--to", "a@team.example", "--to", "b@team.example", "--body-file", body, "--dry-run")
	want := "sesbox: warning: suppression list not checked for a@team.example, b@team.example: the SES endpoint has no GetSuppressedDestination\n"
	if code != 0 || strings.Count(errOut, "uppression") != 1 || !strings.Contains(errOut, want) {
		t.Errorf("reply: exit %d, want the one line %q:\n%s", code, want, errOut)
	}
}
