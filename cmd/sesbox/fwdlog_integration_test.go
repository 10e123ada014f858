//go:build integration

package main

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/sesbox/sesbox/mailstore/testutil/fakelogs"
	"github.com/sesbox/sesbox/mailstore/testutil/fakes3"
	"github.com/sesbox/sesbox/mailstore/testutil/lambdafwd"
	"github.com/sesbox/sesbox/mailstore/testutil/peer"
	"github.com/sesbox/sesbox/mailstore/testutil/sesfault"
)

const fwdGroup = "/aws/lambda/SesForwarder"

// TestForwarderLogsEndToEnd: messages in S3 (gofakes3), the real Lambda
// (aws-lambda-ses-forwarder 6.0.0 under Node, stubbed clients) run over
// them with mixed outcomes, its log events served by the fake CloudWatch
// Logs (no emulator exists among the reachable registries: see
// testutil/fakelogs), then the real sesbox: `index --forwarder-logs`,
// `ls --query forward:failed` lists exactly the failures with their
// reasons, `forward --query forward:failed` plans and sends exactly those
// through aws-ses-v2-local, once, and never re-sends what the Lambda
// delivered.
func TestForwarderLogsEndToEnd(t *testing.T) {
	dir := isolate(t)
	now := time.Now().UTC().Truncate(time.Millisecond)
	t0 := now.Add(-30 * time.Minute)

	// S3, with the objects' LastModified set by a clock the test moves.
	clock := gofakes3.FixedTimeSource(t0.Add(-40 * 24 * time.Hour))
	backend := s3mem.New(s3mem.WithTimeSource(clock))
	s3srv := httptest.NewServer(gofakes3.New(backend, gofakes3.WithLogger(gofakes3.DiscardLog())).Server())
	t.Cleanup(s3srv.Close)
	s3 := &fakes3.Server{URL: s3srv.URL, Backend: backend}
	s3.Admin = s3.Client(nil)
	if err := backend.CreateBucket("mail"); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile("../../testdata/forwarder/message.txt")
	if err != nil {
		t.Fatal(err)
	}
	forRcpt := func(rcpt string) []byte {
		return []byte(strings.Replace(string(raw), "for info@example.com;", "for "+rcpt+";", 1))
	}
	// Older than the log group's retention: unknown.
	s3.Put(t, "mail", "inbound/m-old", raw)
	clock.Advance(40 * 24 * time.Hour)

	cfg := `{"fromEmail": "noreply@example.com", "emailBucket": "mail", "emailKeyPrefix": "inbound/", "forwardMapping": {"info@example.com": ["jim@example.com"], "sales@example.com": ["sales-team@example.com"]}}`
	info := []string{"info@example.com"}
	type msg struct {
		id       string
		rcpt     []string
		attempts []string
		status   string
		reason   string
	}
	msgs := []msg{
		{"m-ok", info, []string{lambdafwd.Success}, "forwarded", ""},
		{"m-unverified", []string{"sales@example.com"}, []string{lambdafwd.RejectedUnverified}, "failed", "MessageRejected: Email address is not verified"},
		{"m-size", info, []string{lambdafwd.RejectedSize, lambdafwd.RejectedSize, lambdafwd.RejectedSize}, "failed", "MessageRejected: Message length is more than"},
		{"m-denied", info, []string{lambdafwd.S3AccessDenied}, "failed", "AccessDenied: Access Denied"},
		{"m-timeout", info, []string{lambdafwd.Timeout}, "failed", "Task timed out after 3.00 seconds"},
		{"m-retry", info, []string{lambdafwd.Throttled, lambdafwd.Success}, "forwarded", ""},
		{"m-dup", info, []string{lambdafwd.Success, lambdafwd.Success}, "forwarded", ""},
		{"m-skip", []string{"nobody@elsewhere.example"}, []string{lambdafwd.Success}, "skipped", "no forward mapping for nobody@elsewhere.example"},
		{"m-never", info, nil, "none", ""},
	}
	var cases []lambdafwd.LogCase
	for i, m := range msgs {
		clock.Advance(10 * time.Second)
		body := forRcpt(m.rcpt[0])
		s3.Put(t, "mail", "inbound/"+m.id, body)
		if m.attempts != nil {
			cases = append(cases, lambdafwd.LogCase{MessageID: m.id, Raw: body, Recipients: m.rcpt, Config: []byte(cfg),
				Start: lambdafwd.StartAt(t0.Add(time.Duration(i+1)*10*time.Second + 800*time.Millisecond)), Attempts: m.attempts})
		}
	}
	logs := fakelogs.Start(t)
	logs.PageSize = 9
	logs.CreateGroup(fwdGroup, now.Add(-90*24*time.Hour), 30)
	for _, e := range lambdafwd.RunLogs(t, cases) {
		logs.Put(fwdGroup, fakelogs.Event(e))
	}

	base := []string{"--endpoint", s3.URL, "--bucket", "mail", "--prefix", "inbound/"}
	if _, stderr, code := sesbox(t, append(base, "--logs-endpoint", logs.URL, "index", "--forwarder-logs", fwdGroup)...); code != 0 {
		t.Fatalf("index: exit %d: %s", code, stderr)
	}
	filters := 0
	for _, c := range logs.Calls() {
		if c.Operation == "FilterLogEvents" {
			filters++
		}
	}
	if filters < 3 {
		t.Errorf("%d FilterLogEvents calls: the pages of 9 events were not all read", filters)
	}

	// ls reads the log too when given the group (incrementally: nothing
	// new here).
	rows := lsJSON(t, append(base, "--logs-endpoint", logs.URL, "--forwarder-logs", fwdGroup, "--query", "")...)
	status := map[string]map[string]any{}
	for _, r := range rows {
		status[strings.TrimPrefix(r["key"].(string), "inbound/")] = r
	}
	want := append(msgs, msg{id: "m-old", status: "unknown"})
	var wantFailed []string
	for _, m := range want {
		r := status[m.id]
		got, _ := r["forwardStatus"].(string)
		reason, _ := r["forwardError"].(string)
		if got != m.status || !strings.Contains(reason, m.reason) || (m.reason == "" && reason != "") {
			t.Errorf("%s: forwardStatus %q, forwardError %q; want %q with %q", m.id, got, reason, m.status, m.reason)
		}
		if m.status == "failed" {
			wantFailed = append(wantFailed, m.id)
		}
	}

	// ls --query forward:failed: exactly the failures, with their reasons.
	var failed []string
	for _, r := range lsJSON(t, append(base, "--query", "forward:failed")...) {
		failed = append(failed, strings.TrimPrefix(r["key"].(string), "inbound/"))
		if r["forwardError"] == "" {
			t.Errorf("%s: no reason", r["key"])
		}
	}
	slices.Sort(failed)
	slices.Sort(wantFailed)
	if !slices.Equal(failed, wantFailed) {
		t.Errorf("forward:failed listed %v, want %v", failed, wantFailed)
	}
	table, _, code := sesbox(t, append(base, "ls", "--cached")...)
	if code != 0 || strings.Count(table, "[fwd failed]") != len(wantFailed) || strings.Count(table, "[fwd none]") != 1 ||
		strings.Count(table, "forward failed: ") != len(wantFailed) || !strings.Contains(table, "forward failed: Task timed out after 3.00 seconds") {
		t.Errorf("ls table badges:\n%s", table)
	}

	show, _, code := sesbox(t, append(base, "show", "m-denied")...)
	if code != 0 || !strings.Contains(show, "Forward:  failed ") || !strings.Contains(show, "AccessDenied: Access Denied") {
		t.Errorf("show of a failed forward:\n%s", show)
	}

	// The config file names the log group; the SDK takes the endpoint from
	// AWS_ENDPOINT_URL_CLOUDWATCH_LOGS. The second read starts where the
	// first ended, less the overlap.
	cfgPath := filepath.Join(dir, "forwarder.json")
	os.WriteFile(cfgPath, []byte(cfg), 0o600)
	conf := filepath.Join(dir, "config.toml")
	os.WriteFile(conf, []byte(`[mailbox.inbox]
bucket = "mail"
prefix = "inbound/"
endpoint = "`+s3.URL+`"
forward_config = "`+cfgPath+`"
forwarder_logs = "`+fwdGroup+`"
`), 0o600)
	t.Setenv("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", logs.URL)
	before := len(logs.Calls())
	if _, stderr, code := sesbox(t, "--config", conf, "index"); code != 0 {
		t.Fatalf("second index: exit %d: %s", code, stderr)
	}
	var starts []float64
	for _, c := range logs.Calls()[before:] {
		if c.Operation == "FilterLogEvents" {
			starts = append(starts, c.Body["startTime"].(float64))
		}
	}
	if len(starts) == 0 || time.UnixMilli(int64(starts[0])).Before(now.Add(-15*time.Minute)) {
		t.Errorf("second read did not start near the end of the first: %v", starts)
	}

	// forward --query forward:failed --dry-run plans exactly the failures.
	dry := filepath.Join(dir, "dry")
	if _, stderr, code := sesbox(t, "--config", conf, "forward", "--query", "forward:failed", "--dry-run", dry); code != 0 {
		t.Fatalf("forward --dry-run: exit %d: %s", code, stderr)
	}
	var planned []string
	ents, _ := os.ReadDir(dry)
	for _, e := range ents {
		planned = append(planned, strings.TrimSuffix(e.Name(), ".eml"))
	}
	slices.Sort(planned)
	if !slices.Equal(planned, wantFailed) {
		t.Errorf("dry run wrote %v, want %v", planned, wantFailed)
	}

	// The real re-forward sends each failure once, and a second run none.
	ses := peer.StartSES(t)
	proxy := sesfault.Start(t, ses.URL, nil)
	for run := range 2 {
		stdout, stderr, code := sesbox(t, "--config", conf, "--ses-endpoint", proxy.URL, "forward", "--query", "forward:failed", "--yes")
		if code != 0 {
			t.Fatalf("forward run %d: exit %d: %s", run, code, stderr)
		}
		sent := 0
		for _, r := range forwardRows(t, stdout) {
			if r["status"] == "sent" {
				sent++
			}
		}
		if want := []int{len(wantFailed), 0}[run]; sent != want {
			t.Errorf("run %d sent %d, want %d:\n%s", run, sent, want, stdout)
		}
	}
	if n := len(proxy.Emails()); n != len(wantFailed) {
		t.Errorf("SES received %d messages, want %d", n, len(wantFailed))
	}
	// What the Lambda delivered is not sent again, unless --again.
	stdout, _, _ := sesbox(t, "--config", conf, "--ses-endpoint", proxy.URL, "forward", "--yes", "m-ok")
	if rows := forwardRows(t, stdout); len(rows) != 1 || rows[0]["status"] != "skipped" || !strings.Contains(rows[0]["reason"].(string), "the forwarding Lambda delivered it") {
		t.Errorf("forward of a delivered message: %s", stdout)
	}
	if n := len(proxy.Emails()); n != len(wantFailed) {
		t.Errorf("a delivered message was sent again: %d emails", n)
	}
	stdout, _, _ = sesbox(t, "--config", conf, "--ses-endpoint", proxy.URL, "forward", "--yes", "--again", "m-ok")
	if rows := forwardRows(t, stdout); len(rows) != 1 || rows[0]["status"] != "sent" {
		t.Errorf("forward --again of a delivered message: %s", stdout)
	}
}

// TestLsOfForwardTermsWithTheLogUnreadExitsNonZero: with the forwarding
// Lambda's log group out of reach (a mistyped region or endpoint), `ls
// --query forward:failed` on a mailbox whose log was never read printed
// nothing, a warning, and exit status 0: a script took it for "no forward
// failed". The statuses forward: terms match come from the log, so such an
// answer may lack messages: it says so and exits 1, as for headers it
// could not read. A query without forward: terms is answered as before.
func TestLsOfForwardTermsWithTheLogUnreadExitsNonZero(t *testing.T) {
	isolate(t)
	s3 := fakes3.Start(t, "mail")
	raw, err := os.ReadFile("../../testdata/forwarder/message.txt")
	if err != nil {
		t.Fatal(err)
	}
	s3.Put(t, "mail", "inbox/m-1", raw)
	logs := deadEndpoint(t)
	base := []string{"--endpoint", s3.URL, "--bucket", "mail", "--prefix", "inbox/", "--logs-endpoint", logs, "ls", "--forwarder-logs", fwdGroup}
	stdout, stderr, code := sesbox(t, append(base, "--query", "forward:failed")...)
	const want = "sesbox: the list may lack messages: the forwarder log could not be read, so forward: terms matched the statuses last read from it (none, for a log never read)"
	if code != 1 || stdout != "" || !strings.Contains(stderr, want) {
		t.Errorf("forward:failed: exit %d, stdout %q, stderr:\n%s\nwant exit 1 and:\n%s", code, stdout, stderr, want)
	}
	stdout, stderr, code = sesbox(t, append(base, "--query", "")...)
	if code != 0 || !strings.Contains(stdout, "m-1") || strings.Contains(stderr, "may lack") {
		t.Errorf("no forward: term: exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
	}
}

// TestForwardByForwardTermsWithTheLogUnreadIsRefused: with the Lambda's
// log out of reach, `forward --query forward:failed` said "no messages to
// forward" for a log never read, naming nothing, and with a log read
// before it planned from those statuses, so a message the Lambda had
// delivered since was sent again. The plan is refused, hint first, and
// nothing is written; a query without forward: terms plans as before.
func TestForwardByForwardTermsWithTheLogUnreadIsRefused(t *testing.T) {
	dir := isolate(t)
	s3 := fakes3.Start(t, "mail")
	raw, err := os.ReadFile("../../testdata/forwarder/message.txt")
	if err != nil {
		t.Fatal(err)
	}
	s3.Put(t, "mail", "inbound/m-1", raw)
	t.Setenv("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", deadEndpoint(t))
	cfgPath := filepath.Join(dir, "forwarder.json")
	conf := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(cfgPath, []byte(`{"fromEmail": "noreply@example.com", "emailBucket": "mail", "emailKeyPrefix": "inbound/", "forwardMapping": {"info@example.com": ["jim@example.com"]}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(conf, []byte("[mailbox.inbox]\nbucket = \"mail\"\nprefix = \"inbound/\"\nendpoint = \""+s3.URL+
		"\"\nforward_config = \""+cfgPath+"\"\nforwarder_logs = \""+fwdGroup+"\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dry := filepath.Join(dir, "dry")
	_, stderr, code := sesbox(t, "--config", conf, "forward", "--query", "forward:failed", "--dry-run", dry)
	if code != 1 || !strings.Contains(stderr, "\nsesbox: fix what the warning above names") || !strings.Contains(stderr, "forward: terms would choose from the statuses last read") {
		t.Errorf("forward:failed: exit %d, stderr:\n%s", code, stderr)
	}
	if ents, _ := os.ReadDir(dry); len(ents) != 0 {
		t.Errorf("refused, yet wrote %d files", len(ents))
	}
	dry2 := filepath.Join(dir, "dry2")
	if _, stderr, code := sesbox(t, "--config", conf, "forward", "--query", "", "--dry-run", dry2); code != 0 || strings.Contains(stderr, "not planned") {
		t.Errorf("no forward: term: exit %d, stderr:\n%s", code, stderr)
	}
	if ents, _ := os.ReadDir(dry2); len(ents) != 1 {
		t.Errorf("no forward: term: %d files, want 1", len(ents))
	}
}
