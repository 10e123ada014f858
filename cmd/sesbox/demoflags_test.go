package main

import (
	"strings"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore/testutil/fakelogs"
)

// TestDemoRefusesFlagsItWouldIgnore: the demo mailbox dropped
// --forwarder-logs, --bucket, --prefix, --endpoint, --mailbox and
// --inventory without a word; each is now a usage error that says why.
func TestDemoRefusesFlagsItWouldIgnore(t *testing.T) {
	isolate(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--demo", "ls", "--forwarder-logs", "/aws/lambda/F"}, "--forwarder-logs with the demo mailbox needs --logs-endpoint URL"},
		{[]string{"--demo", "index", "--forwarder-logs", "/aws/lambda/F"}, "--forwarder-logs with the demo mailbox needs --logs-endpoint URL"},
		{[]string{"--demo", "--bucket", "b", "ls"}, "--bucket does not apply to the demo mailbox"},
		{[]string{"--demo", "--prefix", "p/", "ls"}, "--prefix does not apply to the demo mailbox"},
		{[]string{"--demo", "--endpoint", "http://127.0.0.1:1", "ls"}, "--endpoint does not apply to the demo mailbox"},
		{[]string{"--demo", "--mailbox", "m", "ls"}, "--mailbox does not apply to the demo mailbox"},
		{[]string{"--demo", "index", "--inventory", "s3://inv/x/"}, "--inventory does not apply to the demo mailbox"},
		{[]string{"--bucket", "b", "demo"}, "--bucket does not apply to the demo mailbox"},
	} {
		out, errOut, code := sesbox(t, tc.args...)
		if code != exitUsage || out != "" || !strings.HasPrefix(errOut, "sesbox: "+tc.want) || !strings.Contains(errOut, "\nusage: sesbox ") {
			t.Errorf("%v: exit %d, stdout %q, stderr:\n%s", tc.args, code, out, errOut)
		}
	}
}

// TestDemoReadsForwarderLogsFromLogsEndpoint: with --logs-endpoint (a
// local CloudWatch Logs, as --ses-endpoint is for sending), the demo reads
// the log group and every row gets a forward status.
func TestDemoReadsForwarderLogsFromLogsEndpoint(t *testing.T) {
	isolate(t)
	logs := fakelogs.Start(t)
	logs.CreateGroup("/aws/lambda/F", time.Now().Add(-24*time.Hour), 30)
	rows := lsJSON(t, "--demo", "--logs-endpoint", logs.URL, "--forwarder-logs", "/aws/lambda/F")
	if len(rows) == 0 {
		t.Fatal("no rows")
	}
	for _, r := range rows {
		// The SES setup notification (kind) is never forwarded.
		if s, _ := r["forwardStatus"].(string); s == "" && r["kind"] == nil {
			t.Errorf("%v: no forwardStatus", r["key"])
		}
	}
	called := false
	for _, c := range logs.Calls() {
		called = called || c.Operation == "FilterLogEvents"
	}
	if !called {
		t.Error("the log group was not read")
	}
}
