//go:build integration

package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sesbox/sesbox/mailstore/forward"
	"github.com/sesbox/sesbox/mailstore/team"
	"github.com/sesbox/sesbox/mailstore/testutil/peer"
	"github.com/sesbox/sesbox/mailstore/testutil/sesfault"
)

// TestTeamKilledBeforeItsSendIsNoSendInDoubt: alice, forwarding at one
// recipient in 4 seconds, is killed with SIGKILL while she waits for the
// slot of her second send, holding its claim. She never called SES for
// it (her journal says "planned", nothing more), so it is no send in
// doubt: bob, run next, sends it, and every message reaches SES exactly
// once, none reported uncertain. Before, her claim read "uncertain"
// on every machine, so no run would send the message without
// --retry-uncertain, the flag for sends that may have gone out.
//
// She is killed once the table holds her claim of the second send, not
// yet started (waitForPendingClaim): the test slept 400 ms after her
// first email and killed her then, which a loaded machine made too late
// (her send started) or too early (nothing claimed yet).
func TestTeamKilledBeforeItsSendIsNoSendInDoubt(t *testing.T) {
	bin := buildSesbox(t)
	dir := t.TempDir()
	cfgJSON := `{"fromEmail": "forwarder@acme-demo.example", "forwardMapping": {"@": ["desk@team.example"]}}`
	fwdPath := filepath.Join(dir, "forwarder.json")
	if err := os.WriteFile(fwdPath, []byte(cfgJSON), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _ := forward.ParseConfig([]byte(cfgJSON))
	s3srv, keys, msgs := teamBucket(t, cfg)
	keys = keys[:5]
	ses := peer.StartSES(t)
	db := peer.StartDynamoDB(t)
	const table = "sesbox-team"
	if _, err := team.Init(context.Background(), db.Client(), table); err != nil {
		t.Fatal(err)
	}
	proxy := sesfault.Start(t, ses.URL, nil)
	conf := teamConfig(s3srv.URL, proxy.URL, fwdPath, table)
	alice := newOperator(t, "alice", conf+"send_rate = 0.25\n")
	bob := newOperator(t, "bob", conf+"send_rate = 5\n")
	keysFile := filepath.Join(dir, "keys.txt")
	if err := os.WriteFile(keysFile, []byte(strings.Join(keys, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fwd := []string{"--dynamodb-endpoint", db.URL, "forward", "--yes", "--keys-from", keysFile}

	a := alice.command(bin, nil, fwd...)
	var aOut, aErr bytes.Buffer
	a.Stdout, a.Stderr = &aOut, &aErr
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	// Her next send's slot is 4 s after the first: she claims it and waits.
	if err := waitForPendingClaim(db, table, a.Process.Pid); err != nil {
		a.Process.Kill()
		a.Wait()
		t.Fatalf("%v:\n%s\n%s", err, aOut.String(), aErr.String())
	}
	if err := a.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	a.Wait()
	if err := waitForPendingClaim(db, table, a.Process.Pid); err != nil {
		t.Fatalf("alice's claim, after she was killed: %v (the test kills her while she waits for her second send's slot)", err)
	}
	if n := len(proxy.Emails()); n != 1 {
		t.Fatalf("alice sent %d before the kill, want 1 (the test kills her while she waits for her second)", n)
	}
	var state string
	for _, e := range alice.env {
		if v, ok := strings.CutPrefix(e, "XDG_STATE_HOME="); ok {
			state = v
		}
	}
	journal, err := os.ReadFile(filepath.Join(state, "sesbox", "forward-journal.jsonl"))
	if err != nil || bytes.Count(journal, []byte(`"state":"sending"`)) != 1 {
		t.Fatalf("alice's journal should show one send started, her first: %v\n%s", err, journal)
	}

	out, stderr, code := bob.run(t, bin, nil, fwd...)
	rows := forwardRows(t, out)
	if code != 0 || len(rows) != len(keys) {
		t.Errorf("bob: exit %d, %d rows:\n%s\n%s", code, len(rows), out, stderr)
	}
	for _, r := range rows {
		if r["status"] == "uncertain" {
			t.Errorf("bob calls a send alice never started uncertain: %v", r)
		}
	}
	count := map[string]int{}
	for _, em := range proxy.Emails() {
		count[keyOfForward(t, cfg, msgs, em.Raw)]++
	}
	for _, k := range keys {
		if count[k] != 1 {
			t.Errorf("%s reached SES %d times", k, count[k])
		}
	}
	// Alice again: everything was sent, by her or by bob.
	out, stderr, code = alice.run(t, bin, nil, fwd...)
	for _, r := range forwardRows(t, out) {
		if r["status"] != "skipped" {
			t.Errorf("alice's rerun: %v (exit %d: %s)", r, code, stderr)
		}
	}
	if n := len(proxy.Emails()); n != len(keys) || code != 0 {
		t.Errorf("%d sends reached SES, want %d; alice's rerun exit %d", n, len(keys), code)
	}
}

// waitForPendingClaim waits until the team table holds, of the process
// pid, one claim sent and one it has not started to send (start
// "pending": claimed, SES not called), and fails once that process has
// started a second send, or after a minute.
func waitForPendingClaim(db *peer.DynamoDB, table string, pid int) error {
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		out, err := db.Client().Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true)})
		if err != nil {
			return err
		}
		var pending, sent, started int
		for _, it := range out.Items {
			owner, _ := it["owner_pid"].(*types.AttributeValueMemberN)
			start, _ := it["start"].(*types.AttributeValueMemberS)
			state, _ := it["state"].(*types.AttributeValueMemberS)
			if owner == nil || start == nil || state == nil || owner.Value != strconv.Itoa(pid) {
				continue
			}
			switch {
			case start.Value == "pending":
				pending++
			case state.Value == "sent":
				sent++
			default:
				started++
			}
		}
		if sent+started > 1 {
			return fmt.Errorf("process %d started %d sends before the table showed its second claim pending", pid, sent+started)
		}
		if sent == 1 && pending == 1 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("process %d: after a minute %d claims pending, %d sent, %d started", pid, pending, sent, started)
		}
	}
}
