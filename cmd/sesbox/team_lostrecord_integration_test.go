//go:build integration

package main

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore/testutil/dynfault"
	"github.com/sesbox/sesbox/mailstore/testutil/peer"
	"github.com/sesbox/sesbox/mailstore/testutil/sesfault"
)

// TestTeamLostRecordIsRepaired: two operators (two processes, their own
// XDG dirs and configs) on one team table, with the real binary,
// dynalite and aws-ses-v2-local behind recording proxies. Three sends
// lose their record, as a send whose record is lost stayed "uncertain"
// for every operator for good:
//
//   - alice's shared log entry of a send is cut by the fault proxy in
//     front of dynalite (every attempt): bob calls it uncertain; alice's
//     next forward republishes it from her journal, and both skip it;
//   - alice is killed while SES holds the answer to a send it took:
//     neither journal knows; team resolve on her machine says so and
//     leaves it in doubt (exit 1); bob, having checked, resolves it sent,
//     and both skip it;
//   - alice is killed while her send waits before SES (never taken): bob
//     resolves it not sent, and alice's next forward sends it, once.
//
// Each message reaches SES once; the decisions are in the action log with
// who made them, and nothing is left in doubt in team status.
func TestTeamLostRecordIsRepaired(t *testing.T) {
	bin := buildSesbox(t)
	dir := t.TempDir()
	fwdPath, cfg := teamForwarder(t, dir)
	s3srv, keys, msgs := teamBucket(t, cfg)
	ses := peer.StartSES(t)
	db := peer.StartDynamoDB(t)
	var aFault atomic.Int32 // what alice's SES does with her next sends
	sesA := sesfault.Start(t, ses.URL, func(int) sesfault.Fault { return sesfault.Fault(aFault.Load()) })
	sesB := sesfault.Start(t, ses.URL, nil)
	var cutLog atomic.Bool
	dynA := dynfault.StartBody(t, db.URL, func(_ int, op string, body []byte) dynfault.Fault {
		if cutLog.Load() && op == "PutItem" && bytes.Contains(body, []byte(`"kind":{"S":"log"}`)) {
			return dynfault.ResetBefore
		}
		return dynfault.Pass
	})
	// Bob's machine reads the table's clock two minutes ahead of its own:
	// alice's sends are past the 30 s their log entries may take to come.
	dynB := peer.SkewedDynamoDB(t, db, -2*time.Minute)
	const table = "sesbox-team"
	opA := newOperator(t, "alice", teamConfig(s3srv.URL, sesA.URL, fwdPath, table))
	opB := newOperator(t, "bob", teamConfig(s3srv.URL, sesB.URL, fwdPath, table))
	dA, dB := []string{"--dynamodb-endpoint", dynA.URL}, []string{"--dynamodb-endpoint", dynB.URL}
	if _, stderr, code := opB.run(t, bin, nil, append(slices.Clone(dB), "team", "init")...); code != 0 {
		t.Fatalf("team init: exit %d: %s", code, stderr)
	}
	forwardOne := func(op operator, d []string, key string, wantCode int) map[string]any {
		t.Helper()
		out, stderr, code := op.run(t, bin, nil, append(slices.Clone(d), "forward", "--yes", key)...)
		rows := forwardRows(t, out)
		if code != wantCode || len(rows) != 1 {
			t.Fatalf("%s forward %s: exit %d (want %d), %d rows: %s\n%s", op.name, key, code, wantCode, len(rows), out, stderr)
		}
		return rows[0]
	}
	emails := func(key string) (n int, id string) {
		for _, em := range append(sesA.Emails(), sesB.Emails()...) {
			if keyOfForward(t, cfg, msgs, em.Raw) == key {
				n, id = n+1, em.ID
			}
		}
		return n, id
	}
	killMidSend := func(key string) {
		t.Helper()
		a := opA.command(bin, nil, append(slices.Clone(dA), "forward", "--yes", key)...)
		if err := a.Start(); err != nil {
			t.Fatal(err)
		}
		select {
		case <-sesA.Held:
		case <-time.After(60 * time.Second):
			a.Process.Kill()
			a.Wait()
			t.Fatalf("alice never reached the send of %s", key)
		}
		if err := a.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		a.Wait()
		aFault.Store(int32(sesfault.Pass))
	}
	reason := func(row map[string]any) string { s, _ := row["reason"].(string); return s }

	// 1. The log entry cut: alice's run stops after the send, exit 1.
	k1 := keys[0]
	cutLog.Store(true)
	if r := forwardOne(opA, dA, k1, 1); r["status"] != "sent" {
		t.Fatalf("alice, her log entry cut: %v", r)
	}
	cutLog.Store(false)
	if r := forwardOne(opB, dB, k1, 2); r["status"] != "uncertain" || !strings.Contains(reason(r), "the shared action log holds no such send") {
		t.Errorf("bob before alice runs again: %v", r)
	}
	if r := forwardOne(opA, dA, k1, 0); r["status"] != "skipped" || !strings.Contains(reason(r), "its lost record in the team table was written again") {
		t.Errorf("alice's next run: %v", r)
	}
	if r := forwardOne(opB, dB, k1, 0); r["status"] != "skipped" {
		t.Errorf("bob after alice's next run: %v", r)
	}

	// 2. Alice killed while SES holds the answer to a send it took.
	k2 := keys[1]
	aFault.Store(int32(sesfault.Hold))
	killMidSend(k2)
	n, id := emails(k2)
	if n != 1 {
		t.Fatalf("SES got %s %d times before the kill", k2, n)
	}
	if r := forwardOne(opB, dB, k2, 2); r["status"] != "uncertain" {
		t.Errorf("bob after the kill: %v", r)
	}
	out, _, code := opA.run(t, bin, nil, append(slices.Clone(dA), "team", "resolve", k2)...)
	if code != 1 || !strings.Contains(out, "this machine's forward journal says a send started") || !strings.Contains(out, "left in doubt: check whether it was forwarded") {
		t.Errorf("team resolve on alice's machine: exit %d: %s", code, out)
	}
	if out, _, code := opA.run(t, bin, nil, append(slices.Clone(dA), "team", "resolve")...); code != 1 || !strings.Contains(out, k2+" to desk@team.example\n") {
		t.Errorf("team resolve of every send in doubt: exit %d: %s", code, out)
	}
	out, stderr, code := opB.run(t, bin, nil, append(slices.Clone(dB), "team", "resolve", "s3://mail/"+k2, "--sent", "--ses-message-id", id, "--json")...)
	var doubt struct{ Key, Done, Why string }
	if err := json.Unmarshal([]byte(out), &doubt); code != 0 || err != nil || doubt.Key != k2 || doubt.Done != "resolved sent" {
		t.Fatalf("bob resolves it sent: exit %d %v: %s\n%s", code, err, out, stderr)
	}
	for _, op := range []struct {
		o operator
		d []string
	}{{opA, dA}, {opB, dB}} {
		if r := forwardOne(op.o, op.d, k2, 0); r["status"] != "skipped" || r["sesMessageId"] != id {
			t.Errorf("%s after the decision: %v", op.o.name, r)
		}
	}

	// 3. Alice killed while her send waits before SES: never taken.
	k3 := keys[2]
	aFault.Store(int32(sesfault.HoldBefore))
	killMidSend(k3)
	if n, _ := emails(k3); n != 0 {
		t.Fatalf("SES got %s %d times", k3, n)
	}
	if r := forwardOne(opB, dB, k3, 2); r["status"] != "uncertain" {
		t.Errorf("bob after the kill: %v", r)
	}
	out, stderr, code = opB.run(t, bin, nil, append(slices.Clone(dB), "team", "resolve", k3, "--not-sent")...)
	if code != 0 || !strings.Contains(out, "done:     resolved not sent, recorded in the action logs and the claim") {
		t.Fatalf("bob resolves it not sent: exit %d: %s\n%s", code, out, stderr)
	}
	if r := forwardOne(opA, dA, k3, 0); r["status"] != "sent" {
		t.Errorf("alice after the decision: %v", r)
	}
	if r := forwardOne(opB, dB, k3, 0); r["status"] != "skipped" {
		t.Errorf("bob after alice sent it: %v", r)
	}

	for _, k := range []string{k1, k2, k3} {
		if n, _ := emails(k); n != 1 {
			t.Errorf("%s reached SES %d times", k, n)
		}
	}
	// Settled: said what it is; a key of no send: a typo, exit 3.
	if _, stderr, code := opB.run(t, bin, nil, append(slices.Clone(dB), "team", "resolve", k3)...); code != 0 ||
		!strings.Contains(stderr, k3+": nothing in doubt") || !strings.Contains(stderr, "its send to desk@team.example is sent by ") {
		t.Errorf("team resolve of a settled send: exit %d: %s", code, stderr)
	}
	if _, stderr, code := opB.run(t, bin, nil, append(slices.Clone(dB), "team", "resolve", "inbox/typo", "--sent")...); code != 3 ||
		!strings.HasPrefix(stderr, "sesbox: check the key") {
		t.Errorf("team resolve of a key no send was claimed of: exit %d: %s", code, stderr)
	}
	out, stderr, code = opB.run(t, bin, nil, append(slices.Clone(dB), "team", "status", "--json")...)
	var st struct {
		Claims, Unlogged []struct{ Key string }
	}
	if err := json.Unmarshal([]byte(out), &st); code != 0 || err != nil || len(st.Claims) != 0 || len(st.Unlogged) != 0 {
		t.Errorf("team status: exit %d %v: %s\n%s", code, err, out, stderr)
	}
	// Who decided, when and on what, in the log of every machine; on
	// alice's, her send and its republished copy are one.
	type logLine struct{ Command, Key, Result, User, Note string }
	auditLog := func(op operator, d []string) []logLine {
		t.Helper()
		out, stderr, code := op.run(t, bin, nil, append(slices.Clone(d), "audit", "log", "--json", "--verify", "--reports=false")...)
		if code != 0 {
			t.Errorf("audit log --verify on %s's machine: exit %d: %s", op.name, code, stderr)
		}
		var lines []logLine
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			var a logLine
			if json.Unmarshal([]byte(line), &a) == nil && a.Command != "" {
				lines = append(lines, a)
			}
		}
		return lines
	}
	var resolved, republished []string
	for _, a := range auditLog(opB, dB) {
		switch {
		case a.Command == "resolve" && strings.HasPrefix(a.Note, "decided by "):
			resolved = append(resolved, a.Key+" "+a.Result)
		case a.Command == "forward" && strings.HasPrefix(a.Note, "republished by "):
			republished = append(republished, a.Key)
		}
	}
	if slices.Compare(resolved, []string{k2 + " sent", k3 + " not sent"}) != 0 || slices.Compare(republished, []string{k1}) != 0 {
		t.Errorf("bob's audit log: resolved %q, republished %q", resolved, republished)
	}
	sends := 0
	for _, a := range auditLog(opA, dA) {
		if a.Command == "forward" && a.Result == "sent" && a.Key == k1 {
			sends++
		}
	}
	if sends != 1 {
		t.Errorf("alice's audit log lists the send of %s %d times", k1, sends)
	}
}
