//go:build integration

package team

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/forward"
	"github.com/sesbox/sesbox/mailstore/reforward"
	"github.com/sesbox/sesbox/mailstore/testutil/dynfault"
	"github.com/sesbox/sesbox/mailstore/testutil/peer"
	"github.com/sesbox/sesbox/mailstore/testutil/sesfault"
)

// isClaim tells a claim's PutItem (a new "sending" item, still pending)
// from the other writes: a renewal or a start names the claim's token in
// its condition.
func isClaim(op string, body []byte) bool {
	return op == "PutItem" && bytes.Contains(body, []byte(`{"S":"pending"}`)) && !bytes.Contains(body, []byte(":tok"))
}

// testTableFaultsMidForward: a team forward through a fault proxy in
// front of dynalite. Every claim's first attempt meets a fault (a
// connection reset after dynalite applied it, one before, a
// ProvisionedThroughputExceededException, a ThrottlingException), and
// every fifth read is throttled: the run retries, recognises its own
// claims, and sends each of 8 messages once, as aws-ses-v2-local counts
// them. Then the table throttles everything from the fourth claim of a
// second run on (that claim applied and its answer reset): the run stops
// at once, the hint first, with 3 of 6 sent; run again (another process of
// the same machine, the table back) it sends the other 3 and skips the
// sent ones: each of the 14 messages reached SES once.
func testTableFaultsMidForward(t *testing.T, db *peer.DynamoDB) {
	_, table := newTable(t, db)
	ses := peer.StartSES(t)
	sesPx := sesfault.Start(t, ses.URL, nil)
	var (
		mu          sync.Mutex
		seen        = map[string]bool{}
		claims      int
		faults      = map[dynfault.Fault]int{}
		throttleAll bool
		stopAfter   = -1 // the claim from which the table throttles everything
	)
	cycle := []dynfault.Fault{dynfault.Reset, dynfault.ResetBefore, dynfault.Throttle, dynfault.ThrottlingException}
	px := dynfault.StartBody(t, db.URL, func(n int, op string, body []byte) dynfault.Fault {
		mu.Lock()
		defer mu.Unlock()
		if throttleAll {
			faults[dynfault.ThrottlingException]++
			return dynfault.ThrottlingException
		}
		f := dynfault.Pass
		switch {
		case isClaim(op, body) && !seen[string(body)]:
			seen[string(body)] = true // the client's retries send the same bytes
			if claims == stopAfter {
				throttleAll = true
				f = dynfault.Reset
			} else {
				f = cycle[claims%len(cycle)]
			}
			claims++
		case op == "GetItem" && n%5 == 0:
			f = dynfault.ThrottlingException
		}
		if f != dynfault.Pass {
			faults[f]++
		}
		return f
	})
	src := memSource{}
	var keys []string
	for i := range 14 {
		k := fmt.Sprintf("inbox/m%02d", i)
		src[k], keys = mail(i), append(keys, k)
	}
	cfg := forward.Config{FromEmail: "fwd@acme.example", ForwardMapping: map[string][]string{"info@acme.example": {"ops@team.example"}}}
	journal := filepath.Join(t.TempDir(), "journal.jsonl")
	runner := func(s *Store) *reforward.Runner {
		return &reforward.Runner{Source: src, Sender: sesSender(sesPx.URL), JournalPath: journal,
			Claims: s, Log: s, Backoff: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond}
	}
	run := func(r *reforward.Runner, keys []string) (map[string]reforward.Result, error) {
		t.Helper()
		p, err := r.Plan(context.Background(), keys, reforward.Options{Config: cfg})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]reforward.Result{}
		_, err = r.Run(context.Background(), p, func(x reforward.Result) { out[x.Key] = x }, nil)
		return out, err
	}
	sentOnce := func(n int) {
		t.Helper()
		count := map[string]int{}
		for _, e := range sesPx.Emails() {
			count[subjectOf(e.Raw)]++
		}
		if len(sesPx.Emails()) != n || len(count) != n {
			t.Fatalf("%d emails reached SES for %d messages, want %d, each once: %v", len(sesPx.Emails()), len(count), n, count)
		}
	}

	first, err := run(runner(newStore(client(px.URL), table, owner("a", 1))), keys[:8])
	if err != nil {
		t.Fatalf("a run through throttling and resets: %v", err)
	}
	for _, k := range keys[:8] {
		if first[k].Status != reforward.StatusSent {
			t.Errorf("%s: %+v", k, first[k])
		}
	}
	sentOnce(8)
	mu.Lock()
	for _, f := range cycle {
		if faults[f] < 2 {
			t.Errorf("fault %d injected %d times, want 2 (%v)", f, faults[f], px.Ops())
		}
	}
	stopAfter = claims + 3
	mu.Unlock()

	s := newStore(client(px.URL), table, owner("a", 1))
	second, err := run(runner(s), keys[8:])
	want := "run the same command again in a minute (what was sent is skipped): team table " + table + " throttled every one of 8 attempts (ThrottlingException"
	if got := mailstore.Explain(err); !strings.HasPrefix(got, want) {
		t.Fatalf("a run out of retries: %q, want it to start %q", got, want)
	}
	for i, k := range keys[8:] {
		if x := second[k]; (i < 3) != (x.Status == reforward.StatusSent) {
			t.Errorf("%s when the table throttled all: %+v", k, x)
		}
	}
	sentOnce(11)

	mu.Lock()
	throttleAll = false
	mu.Unlock()
	again := newStore(client(px.URL), table, owner("a", 2)) // the same machine's next process
	again.alive = func(pid int) bool { return pid != 1 }
	third, err := run(runner(again), keys)
	if err != nil {
		t.Fatalf("the run again: %v", err)
	}
	for i, k := range keys {
		want := reforward.StatusSkipped
		if i >= 11 {
			want = reforward.StatusSent
		}
		if third[k].Status != want {
			t.Errorf("%s run again: %+v, want %s", k, third[k], want)
		}
	}
	sentOnce(14)
}

func subjectOf(raw []byte) string {
	for _, l := range strings.Split(string(raw), "\r\n") {
		if strings.HasPrefix(l, "Subject: ") {
			return l
		}
	}
	return ""
}
