//go:build integration

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore/forward"
	"github.com/sesbox/sesbox/mailstore/team"
	"github.com/sesbox/sesbox/mailstore/testutil/dynfault"
	"github.com/sesbox/sesbox/mailstore/testutil/peer"
	"github.com/sesbox/sesbox/mailstore/testutil/sesfault"
)

// TestTeamOperatorsAtOnceThroughFaults: two, then three operators
// (separate processes, separate XDG dirs) forward the same 30 messages
// at once, through a team table behind a fault proxy (every 9th PutItem
// applied and its answer dropped, every 13th GetItem throttled, every
// 11th Query reset), each through an SES of its own faults: alice's
// second send taken by SES and answered 500, her fourth taken and its
// answer held while she is killed (SES answered; her claim never got
// the outcome); bob's second taken and its connection cut, every send of
// his slow; carol's fourth throttled, her fifth taken and answered 500.
// Alice starts first, the others once she has sent. Then each runs the
// same command again. Every message reaches SES
// exactly once, and the four sends whose answer was lost are the ones
// every rerun and team status call uncertain, with the hint to check:
// nothing is sent twice, nothing in doubt is called sent or skipped.
func TestTeamOperatorsAtOnceThroughFaults(t *testing.T) {
	bin := buildSesbox(t)
	for _, n := range []int{2, 3} {
		t.Run(fmt.Sprintf("%d operators", n), func(t *testing.T) { teamThroughFaults(t, bin, n) })
	}
}

func teamThroughFaults(t *testing.T, bin string, n int) {
	dir := t.TempDir()
	cfgJSON := `{"fromEmail": "forwarder@acme-demo.example", "forwardMapping": {"@": ["desk@team.example"]}}`
	fwdPath := filepath.Join(dir, "forwarder.json")
	if err := os.WriteFile(fwdPath, []byte(cfgJSON), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _ := forward.ParseConfig([]byte(cfgJSON))
	s3srv, keys, msgs := teamBucket(t, cfg)
	ses := peer.StartSES(t)
	db := peer.StartDynamoDB(t)
	const table = "sesbox-team"
	if _, err := team.Init(context.Background(), db.Client(), table); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	injected, seen := map[dynfault.Fault]int{}, map[string]int{}
	dyn := dynfault.Start(t, db.URL, func(_ int, op string) dynfault.Fault {
		mu.Lock()
		defer mu.Unlock()
		seen[op]++
		f := dynfault.Pass
		switch i := seen[op]; {
		case op == "PutItem" && i%9 == 0:
			f = dynfault.Drop
		case op == "GetItem" && i%13 == 0:
			f = dynfault.Throttle
		case op == "Query" && i%11 == 0:
			f = dynfault.Reset
		}
		injected[f]++
		return f
	})
	faults := []map[int]sesfault.Fault{
		{2: sesfault.ServerError, 4: sesfault.Delay},
		{2: sesfault.Drop},
		{4: sesfault.Throttle, 5: sesfault.ServerError},
	}[:n]
	// The sends in doubt, as each operator's proxy records them: the
	// index among the emails SES took of each lost answer.
	inDoubt := [][]int{{1, 3}, {1}, {3}}[:n]
	names := []string{"alice", "bob", "carol"}[:n]
	var proxies []*sesfault.Proxy
	var ops []operator
	for i, name := range names {
		px := sesfault.Start(t, ses.URL, func(k int) sesfault.Fault {
			if f, ok := faults[i][k]; ok {
				return f
			}
			if name == "bob" {
				return sesfault.Slow
			}
			return sesfault.Pass
		})
		proxies = append(proxies, px)
		ops = append(ops, newOperator(t, name, teamConfig(s3srv.URL, px.URL, fwdPath, table)))
	}
	keysFile := filepath.Join(dir, "keys.txt")
	if err := os.WriteFile(keysFile, []byte(strings.Join(keys, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fwd := []string{"--dynamodb-endpoint", dyn.URL, "forward", "--yes", "--keys-from", keysFile}

	cmds := make([]*exec.Cmd, n)
	outs, errs := make([]bytes.Buffer, n), make([]bytes.Buffer, n)
	killAll := func() {
		for _, c := range cmds {
			if c != nil && c.Process != nil {
				c.Process.Kill()
			}
		}
	}
	for i := range ops {
		cmds[i] = ops[i].command(bin, nil, fwd...)
		cmds[i].Stdout, cmds[i].Stderr = &outs[i], &errs[i]
		if err := cmds[i].Start(); err != nil {
			killAll()
			t.Fatal(err)
		}
		if i > 0 {
			continue
		}
		// The others start once alice has sent, so that a loaded machine
		// starting her last does not leave her nothing to send.
		for deadline := time.Now().Add(time.Minute); len(proxies[0].Emails()) == 0; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				killAll()
				cmds[0].Wait()
				t.Fatalf("alice sent nothing:\n%s\n%s", outs[0].String(), errs[0].String())
			}
		}
	}
	// Alice is killed while SES holds the answer to her fourth send.
	select {
	case <-proxies[0].Held:
	case <-time.After(2 * time.Minute):
		killAll()
		for _, c := range cmds {
			c.Wait()
		}
		t.Fatalf("alice never reached her fourth send:\n%s\n%s", outs[0].String(), errs[0].String())
	}
	if err := cmds[0].Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmds[0].Wait()
	for i := 1; i < n; i++ {
		if err := cmds[i].Wait(); err != nil {
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
				t.Errorf("%s: %v\n%s", names[i], err, errs[i].String())
			}
		}
	}
	sent := func() []sesfault.Email {
		var all []sesfault.Email
		for _, px := range proxies {
			all = append(all, px.Emails()...)
		}
		return all
	}
	first := len(sent())
	var doubt []string
	for i, px := range proxies {
		ems := px.Emails()
		for _, j := range inDoubt[i] {
			if j >= len(ems) {
				t.Fatalf("%s's proxy recorded %d emails, want its send %d in doubt", names[i], len(ems), j+1)
			}
			doubt = append(doubt, keyOfForward(t, cfg, msgs, ems[j].Raw))
		}
	}
	slices.Sort(doubt)
	t.Logf("at once: %d emails (%v by operator), in doubt %v", first, func() (c []int) {
		for _, px := range proxies {
			c = append(c, len(px.Emails()))
		}
		return c
	}(), doubt)

	// Each operator runs the same command again, alice first.
	for i, op := range ops {
		out, stderr, code := op.run(t, bin, nil, fwd...)
		rows := forwardRows(t, out)
		if code != 2 || len(rows) != len(keys) {
			t.Errorf("%s's rerun: exit %d, %d rows:\n%s", names[i], code, len(rows), stderr)
		}
		var uncertain []string
		for _, r := range rows {
			key, status := r["key"].(string), r["status"].(string)
			switch status {
			case "uncertain":
				uncertain = append(uncertain, key)
				if !strings.Contains(r["reason"].(string), "--retry-uncertain") {
					t.Errorf("%s's rerun: %s uncertain without the hint: %v", names[i], key, r["reason"])
				}
			case "skipped", "sent":
			default:
				t.Errorf("%s's rerun: %v", names[i], r)
			}
		}
		slices.Sort(uncertain)
		if !slices.Equal(uncertain, doubt) {
			t.Errorf("%s's rerun calls %v uncertain, want the sends whose answer was lost, %v", names[i], uncertain, doubt)
		}
	}
	count := map[string]int{}
	for _, em := range sent() {
		count[keyOfForward(t, cfg, msgs, em.Raw)]++
	}
	for _, k := range keys {
		if count[k] != 1 {
			t.Errorf("%s reached SES %d times", k, count[k])
		}
	}
	if len(sent()) != len(keys) {
		t.Errorf("%d emails reached SES for %d messages (%d before the reruns)", len(sent()), len(keys), first)
	}

	out, stderr, code := ops[n-1].run(t, bin, nil, "--dynamodb-endpoint", db.URL, "team", "status", "--json")
	var st struct {
		Claims   []struct{ Key, State string }
		Unlogged []struct{ Key string }
	}
	if err := json.Unmarshal([]byte(out), &st); code != 0 || err != nil {
		t.Fatalf("status: exit %d %v: %s", code, err, stderr)
	}
	var claimed []string
	for _, c := range st.Claims {
		if c.State == "uncertain" {
			claimed = append(claimed, c.Key)
		}
	}
	slices.Sort(claimed)
	if !slices.Equal(claimed, doubt) || len(st.Claims) != len(doubt) || len(st.Unlogged) != 0 {
		t.Errorf("status: claims %+v, unlogged %+v; want %v uncertain and nothing unlogged", st.Claims, st.Unlogged, doubt)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, f := range []dynfault.Fault{dynfault.Drop, dynfault.Throttle, dynfault.Reset} {
		if injected[f] == 0 {
			t.Errorf("table fault %d never injected: %v", f, injected)
		}
	}
}
