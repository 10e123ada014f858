package reforward

import (
	"context"
	"strings"
	"testing"
)

func TestTotalsString(t *testing.T) {
	rs := []Result{{Status: StatusSent}, {Status: StatusSkipped}, {Status: StatusSent}, {Status: StatusUncertain}}
	if got, want := Count(rs).String(), "2 sent, 1 skipped, 1 uncertain"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := (Totals{DryRun: 3, Failed: 1}).String(), "3 written (dry run), 1 failed"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := Count(nil).String(); got != "" {
		t.Errorf("no results: %q", got)
	}
}

// TestInterruptedRunCountsNotAttempted: a run interrupted during its
// first send sums up as "1 sent, 2 not attempted", not "1 sent, 2
// failed": nothing went wrong with those two, and the same command sends
// them. (Their JSON status stays "failed", with the reason.)
func TestInterruptedRunCountsNotAttempted(t *testing.T) {
	e := newEnv(t)
	a := e.src.put("a", message("a", "info@acme.example", "PASS"))
	b := e.src.put("b", message("b", "info@acme.example", "PASS"))
	c := e.src.put("c", message("c", "info@acme.example", "PASS"))
	ctx, cancel := context.WithCancel(context.Background())
	r := e.runner()
	p, err := r.Plan(ctx, []string{a, b, c}, Options{Config: testConfig})
	if err != nil {
		t.Fatal(err)
	}
	e.ses.fault = func(int, []string) (error, bool) {
		cancel() // interrupted while SES takes a
		return nil, false
	}
	var res []Result
	tot, _ := r.Run(ctx, p, func(x Result) { res = append(res, x) }, nil)
	if got, want := tot.String(), "1 sent, 2 not attempted"; got != want {
		t.Errorf("totals %q, want %q", got, want)
	}
	if got := Count(res); got != tot {
		t.Errorf("Count %+v, Run %+v", got, tot)
	}
	if res[1].Status != StatusFailed {
		t.Errorf("JSON status %q", res[1].Status)
	}
}

// TestStoppedRunReportsPlannedSkipsAsPlanned: a run stopped before it
// reached a message the plan skips (a spam FAIL verdict, one sent before)
// reports it skipped, with the plan's reason. It reported it "not
// attempted" (failed): `forward` summed it into the messages to run again,
// the TUI's head counted it failed and m marked it, and the next run then
// skipped it anyway (tried in tmux: 43 "failed" after x, 6 of them never
// to be sent).
func TestStoppedRunReportsPlannedSkipsAsPlanned(t *testing.T) {
	e := newEnv(t)
	a := e.src.put("a", message("a", "info@acme.example", "PASS"))
	b := e.src.put("b", message("b", "info@acme.example", "PASS"))
	spam := e.src.put("s", message("s", "info@acme.example", "FAIL"))
	ctx, cancel := context.WithCancel(context.Background())
	r := e.runner()
	p, err := r.Plan(ctx, []string{a, b, spam}, Options{Config: testConfig})
	if err != nil {
		t.Fatal(err)
	}
	e.ses.fault = func(int, []string) (error, bool) {
		cancel() // interrupted while SES takes a
		return nil, false
	}
	var res []Result
	tot, _ := r.Run(ctx, p, func(x Result) { res = append(res, x) }, nil)
	if got, want := tot.String(), "1 sent, 1 skipped, 1 not attempted"; got != want {
		t.Errorf("totals %q, want %q", got, want)
	}
	if len(res) != 3 || res[2].Key != spam || res[2].Status != StatusSkipped || !strings.Contains(res[2].Reason, "spam") {
		t.Errorf("results %+v: want the spam message skipped as planned", res)
	}
}
