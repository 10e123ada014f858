package reforward

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/sesaccount"
)

// fakeAccount is sesaccount.API, sesbox's own interface (the SES side is
// tested in sessend and, end to end, in cmd/sesbox against aws-ses-v2-local
// with sesident).
type fakeAccount struct {
	mu         sync.Mutex
	account    sesaccount.Account
	suppressed map[string]sesaccount.Suppression
	verified   map[string]bool
	asked      map[string]int
}

func (f *fakeAccount) Account(context.Context) (sesaccount.Account, error) { return f.account, nil }

func (f *fakeAccount) Identity(_ context.Context, name string) (sesaccount.Identity, error) {
	f.count("id " + name)
	if f.verified[name] {
		return sesaccount.Identity{Name: name, Status: "SUCCESS", VerifiedForSending: true}, nil
	}
	return sesaccount.Identity{Name: name, Status: sesaccount.StatusNotFound}, nil
}

func (f *fakeAccount) Suppressed(_ context.Context, addr string) (sesaccount.Suppression, bool, error) {
	f.count("sup " + addr)
	s, ok := f.suppressed[addr]
	return s, ok, nil
}

func (f *fakeAccount) count(k string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.asked == nil {
		f.asked = map[string]int{}
	}
	f.asked[k]++
}

var nov2 = time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)

func production() *fakeAccount {
	return &fakeAccount{
		account: sesaccount.Account{SendingEnabled: true, EnforcementStatus: "HEALTHY", Max24HourSend: 200,
			SentLast24Hours: 190, Remaining24Hours: 10, MaxSendRate: 14},
		suppressed: map[string]sesaccount.Suppression{
			"lead@team.example":  {Address: "lead@team.example", Reason: "BOUNCE", Since: nov2},
			"sales@team.example": {Address: "sales@team.example", Reason: "COMPLAINT", Since: nov2},
		},
	}
}

func TestSuppressedDestinationsAreNeverSent(t *testing.T) {
	e := newEnv(t)
	acct := production()
	a := e.src.put("a", message("a", "info@acme.example", "PASS"))  // ops + lead (suppressed)
	b := e.src.put("b", message("b", "sales@acme.example", "PASS")) // sales (suppressed)
	s := e.src.put("s", message("s", "info@acme.example", "FAIL"))  // spam
	a2 := e.src.put("a2", message("a2", "info@acme.example", "PASS"))
	r := e.runner()
	r.Account = acct
	p, err := r.Plan(context.Background(), []string{a, b, s, a2}, Options{Config: testConfig})
	if err != nil {
		t.Fatal(err)
	}
	pv := p.Preview()
	if pv.Messages != 2 || pv.Recipients != 2 || pv.SkippedSuppressed != 1 || pv.SkippedSpam != 1 || pv.SuppressedRecipients != 3 || pv.SuppressedAddresses != 2 {
		t.Errorf("preview %+v", pv)
	}
	if fits, ok := pv.FitsQuota(); !fits || !ok {
		t.Error("2 recipients should fit in 10")
	}
	lines := strings.Join(pv.Lines(), "\n")
	for _, want := range []string{"2 messages to send (2 sends, 2 recipients)", "1 message skipped: every destination suppressed",
		"1 message skipped as spam", "2 destinations left out (3 times over the messages): on the account's suppression list", "quota: fits (2 of 10 left today)"} {
		if !strings.Contains(lines, want) {
			t.Errorf("preview lacks %q:\n%s", want, lines)
		}
	}
	// A plan with nothing to send has no quota line.
	if none, err := r.Plan(context.Background(), []string{s}, Options{Config: testConfig}); err != nil {
		t.Fatal(err)
	} else if l := strings.Join(none.Preview().Lines(), "\n"); strings.Contains(l, "quota") {
		t.Errorf("a preview with nothing to send speaks of the quota:\n%s", l)
	}
	var res []Result
	if _, err := r.Run(context.Background(), p, func(x Result) { res = append(res, x) }, nil); err != nil {
		t.Fatal(err)
	}
	for _, snt := range e.ses.sends {
		if slices.Contains(snt.dests, "lead@team.example") || slices.Contains(snt.dests, "sales@team.example") {
			t.Errorf("a suppressed address reached SES: %v", snt.dests)
		}
	}
	if len(e.ses.sends) != 2 {
		t.Errorf("%d sends", len(e.ses.sends))
	}
	if res[0].Status != StatusSent || !slices.Equal(res[0].Recipients, []string{"ops@team.example"}) ||
		!slices.Equal(res[0].SkippedRecipients, []string{"lead@team.example: suppressed: BOUNCE since 2026-11-02"}) {
		t.Errorf("a: %+v", res[0])
	}
	if res[1].Status != StatusSkipped || !strings.Contains(res[1].Reason, "sales@team.example: suppressed: COMPLAINT since 2026-11-02") {
		t.Errorf("b: %+v", res[1])
	}
	// One question per address for the whole run.
	for k, n := range acct.asked {
		if n != 1 {
			t.Errorf("%s asked %d times", k, n)
		}
	}

	// A run over the quota says so in the preview.
	acct.account.Remaining24Hours = 0
	p, _ = r.Plan(context.Background(), []string{a2}, Options{Config: testConfig, Again: true})
	if fits, _ := p.Preview().FitsQuota(); fits || !strings.Contains(strings.Join(p.Preview().Lines(), "\n"), "DOES NOT FIT") {
		t.Errorf("over quota: %q", p.Preview().Lines())
	}
}

func TestIncludeSuppressedSendsWithWarning(t *testing.T) {
	e := newEnv(t)
	a := e.src.put("a", message("a", "info@acme.example", "PASS"))
	r := e.runner()
	r.Account = production()
	p, err := r.Plan(context.Background(), []string{a}, Options{Config: testConfig, IncludeSuppressed: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(p.Preview().Lines(), "\n"), "WARNING: 1 destination on the suppression list") {
		t.Errorf("preview %q", p.Preview().Lines())
	}
	var res []Result
	r.Run(context.Background(), p, func(x Result) { res = append(res, x) }, nil)
	if len(e.ses.sends) != 1 || len(e.ses.sends[0].dests) != 2 || len(res[0].Warnings) != 1 ||
		!strings.Contains(res[0].Warnings[0], "lead@team.example: suppressed: BOUNCE") {
		t.Errorf("sends %v, result %+v", e.ses.sends, res[0])
	}
}

// In the sandbox only verified identities and the mailbox simulator can
// receive: unverified destinations are left out before sending, and a send
// to the simulator only is flagged in the result, the journal and the
// action log.
func TestSandboxAndSimulator(t *testing.T) {
	e := newEnv(t)
	acct := &fakeAccount{account: sesaccount.Account{Sandbox: true, SendingEnabled: true, Max24HourSend: 200, Remaining24Hours: 200, MaxSendRate: 1},
		verified: map[string]bool{"team.example": true}}
	a := e.src.put("a", message("a", "info@acme.example", "PASS"))
	r := e.runner()
	r.Account = acct
	opts := Options{Config: testConfig, To: []string{"success@simulator.amazonses.com", "bounce+run1@simulator.amazonses.com", "kim@unverified.example"}}
	p, err := r.Plan(context.Background(), []string{a}, opts)
	if err != nil {
		t.Fatal(err)
	}
	pv := p.Preview()
	if pv.SandboxRecipients != 1 || pv.SimulatorSends != 1 || !strings.Contains(strings.Join(pv.Lines(), "\n"), "SES sandbox: only verified addresses") {
		t.Errorf("preview %+v %q", pv, pv.Lines())
	}
	var res []Result
	r.Run(context.Background(), p, func(x Result) { res = append(res, x) }, nil)
	if len(e.ses.sends) != 1 || slices.Contains(e.ses.sends[0].dests, "kim@unverified.example") {
		t.Fatalf("sends %v", e.ses.sends)
	}
	if !res[0].Simulator || len(res[0].SkippedRecipients) != 1 || !strings.HasPrefix(res[0].SkippedRecipients[0], "sandbox: kim@unverified.example") {
		t.Errorf("result %+v", res[0])
	}
	if len(e.log.actions) != 1 || !e.log.actions[0].Simulator {
		t.Errorf("action log %+v", e.log.actions)
	}
	j, err := os.ReadFile(filepath.Join(e.dir, "state", "forward-journal.jsonl"))
	if err != nil || !regexp.MustCompile(`"state":"sent","sesMessageId":"ses-0001","time":"[^"]+","simulator":true`).Match(j) {
		t.Errorf("journal: %v\n%s", err, j)
	}
	if acct.asked["sup success@simulator.amazonses.com"] != 0 {
		t.Error("the simulator was looked up on the suppression list")
	}
}

// TestUncheckedSaysTheHintFirst: a suppression list that cannot be read
// (access denied) is said in the preview with its hint first, as every
// error. The preview took the error's Error(), which is the detail
// alone: "the credentials need ses:GetSuppressedDestination" was lost.
func TestUncheckedSaysTheHintFirst(t *testing.T) {
	p := &Plan{Items: []Item{{Sends: []Send{{Destinations: []string{"a@x.example"}}}, Unchecked: []sesaccount.Verdict{{Address: "a@x.example",
		Err: &mailstore.HintError{Hint: "access denied by SES — the credentials need ses:GetSuppressedDestination", Err: errors.New("api error AccessDenied")}}}}}}
	var line string
	for _, l := range p.Preview().Lines() {
		if strings.Contains(l, "could not be checked") {
			line = l
		}
	}
	if !strings.HasSuffix(line, ": access denied by SES — the credentials need ses:GetSuppressedDestination (api error AccessDenied)") {
		t.Errorf("preview line %q", line)
	}
}

// TestUncheckedCountsOnlyWhatThePlanSends: the warning about destinations
// that could not be checked counts those of the sends the plan makes, as
// the quota line does. It counted every message's: a second operator on
// the same selection, most of it sent already, read "51 destinations
// could not be checked" beside "quota: fits (34 ...)".
func TestUncheckedCountsOnlyWhatThePlanSends(t *testing.T) {
	down := errors.New("api error AccessDenied")
	unchecked := func(addrs ...string) []sesaccount.Verdict {
		var vs []sesaccount.Verdict
		for _, a := range addrs {
			vs = append(vs, sesaccount.Verdict{Address: a, Err: down})
		}
		return vs
	}
	p := &Plan{Items: []Item{
		// Sent: two destinations, one checked.
		{Destinations: []string{"a@x.example", "b@x.example", "c@x.example"}, Sends: []Send{{Destinations: []string{"a@x.example", "b@x.example", "c@x.example"}}},
			Unchecked: unchecked("a@x.example", "b@x.example")},
		// Sent by another run already: skipped.
		{Status: StatusSkipped, Destinations: []string{"d@x.example"}, Sends: []Send{{Destinations: []string{"d@x.example"}, State: "sent"}},
			Unchecked: unchecked("d@x.example")},
		// One send of two made already (the journal): only the other's.
		{Destinations: []string{"e@x.example", "f@x.example"}, Sends: []Send{{Destinations: []string{"e@x.example"}, State: "sent"}, {Destinations: []string{"f@x.example"}}},
			Unchecked: unchecked("e@x.example", "f@x.example")},
	}}
	pv := p.Preview()
	if _, _, recipients := p.ToSend(); pv.Unchecked != 3 || recipients != 4 {
		t.Errorf("%d unchecked of %d recipients sent to, want 3 of 4", pv.Unchecked, recipients)
	}
	if !slices.ContainsFunc(pv.Lines(), func(l string) bool { return strings.HasPrefix(l, "WARNING: 3 destinations could not be checked") }) {
		t.Errorf("preview %q", pv.Lines())
	}
}

// TestUncheckedCountsEachAddressOnce: the warning counts distinct
// destination addresses (the domain compared case-insensitively), not one
// per message: the demo forwarded --to three addresses through an
// endpoint without GetSuppressedDestination said "153 destinations could
// not be checked" for 51 messages to the same 3.
func TestUncheckedCountsEachAddressOnce(t *testing.T) {
	down := errors.New("api error AccessDenied")
	item := func(addrs ...string) Item {
		it := Item{Destinations: addrs, Sends: []Send{{Destinations: addrs}}}
		for _, a := range addrs {
			it.Unchecked = append(it.Unchecked, sesaccount.Verdict{Address: a, Err: down})
		}
		return it
	}
	p := &Plan{Items: []Item{
		item("a@x.example", "b@x.example", "c@x.example"),
		item("a@x.example", "b@X.Example", "c@x.example"),
		item("a@x.example", "B@x.example"), // another local part: another address
	}}
	pv := p.Preview()
	if pv.Unchecked != 4 {
		t.Errorf("%d unchecked destinations, want 4 (a, b, c and B at x.example)", pv.Unchecked)
	}
	if !slices.ContainsFunc(pv.Lines(), func(l string) bool { return strings.HasPrefix(l, "WARNING: 4 destinations could not be checked") }) {
		t.Errorf("preview %q", pv.Lines())
	}
}

// TestPreviewCountsEachAddressOnce: the suppression and sandbox lines
// counted one per message and address ("3 destinations left out" for one
// suppressed address in 3 messages), as the unchecked count did before
// a19df33. The preview now counts addresses (sesaccount.AddressKey) and
// says how often they occur; the per-message counts stay.
func TestPreviewCountsEachAddressOnce(t *testing.T) {
	e := newEnv(t)
	var keys []string
	for _, k := range []string{"a1", "a2", "a3"} {
		keys = append(keys, e.src.put(k, message(k, "info@acme.example", "PASS"))) // ops + lead (suppressed)
	}
	r := e.runner()
	r.Account = production()
	for _, include := range []bool{false, true} {
		p, err := r.Plan(context.Background(), keys, Options{Config: testConfig, IncludeSuppressed: include})
		if err != nil {
			t.Fatal(err)
		}
		pv := p.Preview()
		lines := strings.Join(pv.Lines(), "\n")
		want := "1 destination left out (3 times over the messages): on the account's suppression list"
		if !include && (pv.SuppressedRecipients != 3 || pv.SuppressedAddresses != 1 || !strings.Contains(lines, want)) {
			t.Errorf("suppressed: %d, %d addresses, want 3, 1 and %q:\n%s", pv.SuppressedRecipients, pv.SuppressedAddresses, want, lines)
		}
		if !include {
			continue
		}
		want = "WARNING: 1 destination (3 times over the messages) on the suppression list (or not checked) will be sent to"
		if pv.IncludedSuppressed != 3 || pv.IncludedSuppressedAddresses != 1 || !strings.Contains(lines, want) {
			t.Errorf("included: %d, %d addresses, want 3, 1 and %q:\n%s", pv.IncludedSuppressed, pv.IncludedSuppressedAddresses, want, lines)
		}
	}

	r.Account = &fakeAccount{account: sesaccount.Account{Sandbox: true, SendingEnabled: true, Max24HourSend: 200, Remaining24Hours: 200, MaxSendRate: 1},
		verified: map[string]bool{"team.example": true}}
	p, err := r.Plan(context.Background(), keys, Options{Config: testConfig, To: []string{"ops@team.example", "kim@unverified.example"}})
	if err != nil {
		t.Fatal(err)
	}
	pv := p.Preview()
	want := "1 destination left out as unverified (3 times over the messages)"
	if lines := strings.Join(pv.Lines(), "\n"); pv.SandboxRecipients != 3 || pv.SandboxAddresses != 1 || !strings.Contains(lines, want) {
		t.Errorf("sandbox: %d, %d addresses, want 3, 1 and %q:\n%s", pv.SandboxRecipients, pv.SandboxAddresses, want, lines)
	}
}

func (*fakeAccount) ConfigurationSet(context.Context) (sesaccount.ConfigurationSet, bool, error) {
	return sesaccount.ConfigurationSet{}, false, nil
}

// TestPreviewEstimatesTheRunsLength: the preview said how many recipients
// a run sends to and whether they fit the quota, not how long it would
// take at the account's send rate (70 messages to 140 recipients at 14 a
// second is 10 s; 7,000 are 17 minutes the operator should know of before
// confirming). It says "time: about 10s at 14 recipients/s (the account's
// max send rate)", by send_rate when that is lower, and the run paced on
// the test's clock takes that long, less the first send's share.
func TestPreviewEstimatesTheRunsLength(t *testing.T) {
	for _, tc := range []struct {
		sendRate float64
		want     string
		took     time.Duration
	}{
		{0, "time: about 10s at 14 recipients/s (the account's max send rate)", 10 * time.Second},
		{4, "time: about 35s at 4 recipients/s (send_rate in the config)", 35 * time.Second},
		{20, "time: about 10s at 14 recipients/s (the account's max send rate)", 10 * time.Second},
	} {
		e := newEnv(t)
		var keys []string
		for i := range 70 {
			keys = append(keys, e.src.put(fmt.Sprint("m", i), message(fmt.Sprint("m", i), "info@acme.example", "PASS")))
		}
		acct := &fakeAccount{account: sesaccount.Account{SendingEnabled: true, EnforcementStatus: "HEALTHY",
			Max24HourSend: 50000, Remaining24Hours: 50000, MaxSendRate: 14}}
		r := e.runner()
		r.Account, r.SendRate = acct, tc.sendRate
		p, err := r.Prepare(context.Background(), keys, Options{Config: testConfig})
		if err != nil {
			t.Fatal(err)
		}
		if lines := p.Preview().Lines(); !slices.Contains(lines, tc.want) {
			t.Errorf("send_rate %v: preview lacks %q:\n%s", tc.sendRate, tc.want, strings.Join(lines, "\n"))
		}
		start := e.clock.Now()
		if _, err := r.Run(context.Background(), p, func(Result) {}, nil); err != nil {
			t.Fatal(err)
		}
		// 140 recipients, 2 a send: the last send starts one send's
		// share before the estimate ends.
		rate := paceRate(14, tc.sendRate)
		last := time.Duration(2 / rate * float64(time.Second))
		if took := e.clock.Now().Sub(start); (took + last).Round(time.Second) != tc.took {
			t.Errorf("send_rate %v: the run took %v, the preview said %v", tc.sendRate, took+last, tc.took)
		}
	}

	// A single message: under a second; nothing to send: no estimate.
	e := newEnv(t)
	k := e.src.put("one", message("one", "info@acme.example", "PASS"))
	r := e.runner()
	r.Account = production()
	r.Account.(*fakeAccount).suppressed = nil
	p, err := r.Prepare(context.Background(), []string{k}, Options{Config: testConfig})
	if err != nil {
		t.Fatal(err)
	}
	if lines := p.Preview().Lines(); !slices.Contains(lines, "time: under a second at 14 recipients/s (the account's max send rate)") {
		t.Errorf("one message: %q", lines)
	}
	if _, err := r.Run(context.Background(), p, func(Result) {}, nil); err != nil {
		t.Fatal(err)
	}
	p, err = r.Prepare(context.Background(), []string{k}, Options{Config: testConfig})
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Join(p.Preview().Lines(), "\n"); strings.Contains(lines, "time:") {
		t.Errorf("nothing to send, yet an estimate:\n%s", lines)
	}
}
