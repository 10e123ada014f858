//go:build integration

package main

import (
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sesbox/sesbox/mailstore/testutil/peer"
	"github.com/sesbox/sesbox/mailstore/testutil/sesfault"
)

// TestTeamRefusedOnEveryMachine: two operators (two processes, their own
// XDG dirs and configs) on one team table, the real binary, dynalite and
// aws-ses-v2-local behind the fault proxy. SES refuses alice's send of a
// message for the message itself; bob's bulk forward over it and another
// message reports it refused, as alice's does, and sends the other only;
// bob's --retry-refused sends it, once. Before, the claim said only
// "failed", and bob's run sent it.
func TestTeamRefusedOnEveryMachine(t *testing.T) {
	bin := buildSesbox(t)
	dir := t.TempDir()
	fwdPath, cfg := teamForwarder(t, dir)
	s3srv, keys, msgs := teamBucket(t, cfg)
	ses := peer.StartSES(t)
	db := peer.StartDynamoDB(t)
	var refuse atomic.Bool
	refuse.Store(true)
	proxy := sesfault.Start(t, ses.URL, func(int) sesfault.Fault {
		if refuse.Load() {
			return sesfault.RejectContent
		}
		return sesfault.Pass
	})
	const table = "sesbox-team"
	opA := newOperator(t, "alice", teamConfig(s3srv.URL, proxy.URL, fwdPath, table))
	opB := newOperator(t, "bob", teamConfig(s3srv.URL, proxy.URL, fwdPath, table))
	dyn := []string{"--dynamodb-endpoint", db.URL}
	if _, stderr, code := opA.run(t, bin, nil, append(slices.Clone(dyn), "team", "init")...); code != 0 {
		t.Fatalf("team init: exit %d: %s", code, stderr)
	}
	forward := func(op operator, wantCode int, args ...string) (map[string]map[string]any, string) {
		t.Helper()
		out, stderr, code := op.run(t, bin, nil, append(append(slices.Clone(dyn), "forward", "--yes"), args...)...)
		rows := map[string]map[string]any{}
		for _, r := range forwardRows(t, out) {
			k, _ := r["key"].(string)
			rows[k] = r
		}
		if code != wantCode {
			t.Fatalf("%s forward %v: exit %d (want %d): %s\n%s", op.name, args, code, wantCode, out, stderr)
		}
		return rows, stderr
	}
	emails := func(key string) (n int) {
		for _, em := range proxy.Emails() {
			if keyOfForward(t, cfg, msgs, em.Raw) == key {
				n++
			}
		}
		return n
	}
	k0, k1 := keys[0], keys[1]
	rows, _ := forward(opA, 2, k0)
	if r := rows[k0]; r["status"] != "failed" || r["refused"] != true {
		t.Fatalf("alice's send: %v", r)
	}
	refuse.Store(false) // SES would take it now: only the claim stops bob
	requests := proxy.Requests()

	rows, stderr := forward(opB, 2, k0, k1)
	if r := rows[k0]; r["status"] != "failed" || r["refused"] != true || !strings.Contains(r["reason"].(string), "to the run of ") ||
		!strings.Contains(r["reason"].(string), "sesbox forward --retry-refused sends it") {
		t.Errorf("bob's bulk forward, the refused message: %v", r)
	}
	if r := rows[k1]; r["status"] != "sent" {
		t.Errorf("bob's bulk forward, the other message: %v", r)
	}
	if !strings.Contains(stderr, "refused by SES before, not sent again") {
		t.Errorf("bob's preview does not count the refused message:\n%s", stderr)
	}
	if n := proxy.Requests() - requests; n != 1 || emails(k0) != 0 {
		t.Fatalf("bob's bulk forward: %d requests, %s sent %d times", n, k0, emails(k0))
	}
	if _, stderr, code := opB.run(t, bin, nil, append(slices.Clone(dyn), "team", "resolve", k0)...); code != 0 ||
		!strings.Contains(stderr, "nothing in doubt") || !strings.Contains(stderr, " is refused by SES at ") {
		t.Errorf("team resolve of the refused message: exit %d: %s", code, stderr)
	}

	rows, _ = forward(opB, 0, "--retry-refused", k0)
	if r := rows[k0]; r["status"] != "sent" || emails(k0) != 1 {
		t.Fatalf("bob's --retry-refused: %v, %d emails", r, emails(k0))
	}
	for _, op := range []operator{opA, opB} {
		rows, _ = forward(op, 0, "--retry-refused", k0, k1)
		if rows[k0]["status"] != "skipped" || rows[k1]["status"] != "skipped" {
			t.Errorf("%s after bob's send: %v", op.name, rows)
		}
	}
	if emails(k0) != 1 || emails(k1) != 1 {
		t.Errorf("SES got %s %d times, %s %d times", k0, emails(k0), k1, emails(k1))
	}
}
