//go:build integration

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore/testutil/fakelogs"
	"github.com/sesbox/sesbox/mailstore/testutil/fakes3"
	"github.com/sesbox/sesbox/mailstore/testutil/peer"
)

// TestEndpointKeysStandBetweenFlagAndEnvironment: the team table's and
// the forwarder log's endpoints had a flag (--dynamodb-endpoint,
// --logs-endpoint) and the SDK's variables but no config key, so a
// mailbox in the config file could not name a local DynamoDB or
// CloudWatch Logs as it names its S3 and SES (endpoint, ses_endpoint).
// dynamodb_endpoint and logs_endpoint take their place as those do: the
// flag over the key, the key over AWS_ENDPOINT_URL_DYNAMODB and
// AWS_ENDPOINT_URL_CLOUDWATCH_LOGS, the variable when neither is given;
// a key that is no URL is refused naming it.
func TestEndpointKeysStandBetweenFlagAndEnvironment(t *testing.T) {
	dir := isolate(t)
	db := peer.StartDynamoDB(t)
	logs := fakelogs.Start(t)
	logs.CreateGroup(fwdGroup, time.Now().Add(-24*time.Hour), 30)
	s3 := fakes3.Start(t, "mail")
	raw, err := os.ReadFile("../../testdata/forwarder/message.txt")
	if err != nil {
		t.Fatal(err)
	}
	s3.Put(t, "mail", "inbox/m-1", raw)
	dead := deadEndpoint(t)
	if _, errOut, code := sesbox(t, "--dynamodb-endpoint", db.URL, "team", "init", "--table", "sesbox-team"); code != 0 {
		t.Fatalf("team init: exit %d: %s", code, errOut)
	}
	conf := filepath.Join(dir, "config.toml")
	config := func(dynamo, logsURL string) {
		t.Helper()
		body := "[mailbox.m]\nbucket = \"mail\"\nprefix = \"inbox/\"\nendpoint = \"" + s3.URL + "\"\nteam_table = \"sesbox-team\"\nforwarder_logs = \"" + fwdGroup + "\"\n"
		if dynamo != "" {
			body += "dynamodb_endpoint = \"" + dynamo + "\"\n"
		}
		if logsURL != "" {
			body += "logs_endpoint = \"" + logsURL + "\"\n"
		}
		if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// Each case reaches the table (team status) and the log group (ls of
	// a forward: term, which exits 1 when the log could not be read).
	for _, tc := range []struct {
		name                string
		dynamoKey, logsKey  string
		dynamoEnv, logsEnv  string
		flags               []string
		tableOK, logsOK     bool
		dynamoWhere, logsAt string // where the failure says it looked
	}{
		{name: "the key over the environment", dynamoKey: db.URL, logsKey: logs.URL, dynamoEnv: dead, logsEnv: dead, tableOK: true, logsOK: true},
		{name: "the flag over the key", dynamoKey: db.URL, logsKey: logs.URL,
			flags: []string{"--dynamodb-endpoint", dead, "--logs-endpoint", dead}, dynamoWhere: dead},
		{name: "the flag over a wrong key", dynamoKey: dead, logsKey: dead,
			flags: []string{"--dynamodb-endpoint", db.URL, "--logs-endpoint", logs.URL}, tableOK: true, logsOK: true},
		{name: "a wrong key over the environment", dynamoKey: dead, logsKey: dead, dynamoEnv: db.URL, logsEnv: logs.URL, dynamoWhere: dead},
		{name: "the environment without a key", dynamoEnv: db.URL, logsEnv: logs.URL, tableOK: true, logsOK: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			config(tc.dynamoKey, tc.logsKey)
			t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", tc.dynamoEnv)
			t.Setenv("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", tc.logsEnv)
			args := append([]string{"--config", conf}, tc.flags...)
			out, errOut, code := sesbox(t, append(args, "team", "status")...)
			if got := code == 0 && strings.Contains(out, "table:   sesbox-team (ACTIVE"); got != tc.tableOK {
				t.Errorf("team status: exit %d, %q, stderr %q; want reached %v", code, out, errOut, tc.tableOK)
			}
			if tc.dynamoWhere != "" && !strings.Contains(errOut, "cannot reach team table sesbox-team: connection refused: "+tc.dynamoWhere) {
				t.Errorf("team status: stderr %q, want it to name %s", errOut, tc.dynamoWhere)
			}
			calls := len(logs.Calls())
			_, errOut, code = sesbox(t, append(args, "ls", "--query", "forward:failed")...)
			if got := code == 0 && len(logs.Calls()) > calls; got != tc.logsOK {
				t.Errorf("ls of forward:failed: exit %d, %d calls reached the log, stderr %q; want reached %v", code, len(logs.Calls())-calls, errOut, tc.logsOK)
			}
		})
	}
	for _, key := range []string{"dynamodb_endpoint", "logs_endpoint"} {
		if err := os.WriteFile(conf, []byte("[mailbox.m]\nbucket = \"mail\"\nteam_table = \"t\"\n"+key+" = \"localhost:8000\"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, errOut, code := sesbox(t, "--config", conf, "ls")
		if code != 1 || !strings.HasPrefix(errOut, `sesbox: fix mailbox.m.`+key+` at line 4 of `+conf+` — want an http:// or https:// URL`) || !strings.Contains(errOut, `(`+key+` = "localhost:8000")`) {
			t.Errorf("%s: exit %d, %q", key, code, errOut)
		}
	}
}
