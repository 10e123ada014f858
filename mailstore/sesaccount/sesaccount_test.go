package sesaccount

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand"
	"reflect"
	"sync"
	"testing"
	"testing/quick"
	"time"
)

// `sesbox account --json` round-trips: decoding what was encoded gives the
// same Account, for any values (finite numbers: JSON has no NaN).
func TestAccountJSONRoundTrip(t *testing.T) {
	finite := func(r *rand.Rand) float64 {
		switch r.Intn(4) {
		case 0:
			return -1
		case 1:
			return float64(r.Intn(1_000_000))
		default:
			f := r.NormFloat64() * math.Pow(10, float64(r.Intn(30)-10))
			return f
		}
	}
	str := func(r *rand.Rand) string {
		b := make([]rune, r.Intn(12))
		for i := range b {
			b[i] = rune(r.Intn(0x3000)) // control characters, quotes, non-ASCII
		}
		return string(b)
	}
	gen := func(r *rand.Rand) Account {
		a := Account{
			Sandbox: r.Intn(2) == 0, SendingEnabled: r.Intn(2) == 0, EnforcementStatus: str(r),
			Max24HourSend: finite(r), SentLast24Hours: finite(r), Remaining24Hours: finite(r), MaxSendRate: finite(r),
			ReviewStatus: str(r),
		}
		if r.Intn(3) > 0 {
			for range r.Intn(3) {
				a.SuppressedReasons = append(a.SuppressedReasons, str(r))
			}
		}
		for range r.Intn(4) {
			a.Identities = append(a.Identities, Identity{Name: str(r), Type: str(r), Status: str(r),
				VerifiedForSending: r.Intn(2) == 0, DKIMStatus: str(r), Error: str(r)})
		}
		return a
	}
	check := func(seed int64) bool {
		r := rand.New(rand.NewSource(seed))
		a := gen(r).Normalize()
		b, err := json.Marshal(a)
		if err != nil {
			t.Logf("marshal: %v", err)
			return false
		}
		var back Account
		if err := json.Unmarshal(b, &back); err != nil {
			t.Logf("unmarshal: %v", err)
			return false
		}
		if !reflect.DeepEqual(a, back) {
			t.Logf("\n in %+v\nout %+v\n%s", a, back, b)
			return false
		}
		return true
	}
	if err := quick.Check(check, &quick.Config{MaxCount: 2000}); err != nil {
		t.Fatal(err)
	}
	// The lists are never null.
	b, _ := json.Marshal(Account{}.Normalize())
	if string(b) != `{"sandbox":false,"sendingEnabled":false,"enforcementStatus":"","max24HourSend":0,"sentLast24Hours":0,"remaining24Hours":0,"maxSendRate":0,"suppressedReasons":[],"identities":[]}` {
		t.Errorf("field set changed: %s", b)
	}
}

func TestIsSimulator(t *testing.T) {
	for addr, want := range map[string]bool{
		"success@simulator.amazonses.com":            true,
		"bounce@simulator.amazonses.com":             true,
		"ooto@simulator.amazonses.com":               true,
		"complaint@simulator.amazonses.com":          true,
		"suppressionlist@simulator.amazonses.com":    true,
		"Success+run-7@Simulator.AmazonSES.com":      true,
		"Rehearsal <bounce@simulator.amazonses.com>": true,
		"other@simulator.amazonses.com":              false,
		"success@amazonses.com":                      false,
		"success@simulator.amazonses.com.evil":       false,
		"success":                                    false,
		"":                                           false,
	} {
		if got := IsSimulator(addr); got != want {
			t.Errorf("IsSimulator(%q) = %v", addr, got)
		}
	}
	if !AllSimulator([]string{"success@simulator.amazonses.com", "bounce+x@simulator.amazonses.com"}) ||
		AllSimulator([]string{"success@simulator.amazonses.com", "a@b.example"}) || AllSimulator(nil) {
		t.Error("AllSimulator")
	}
}

func TestIdentityNames(t *testing.T) {
	got := IdentityNames([]string{"Acme Support <support@acme.example>", "", "noreply@acme.example"}, []string{"ACME.example", "other.example"})
	want := []string{"support@acme.example", "acme.example", "noreply@acme.example", "other.example"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// fakeAPI is sesaccount.API (sesbox's own interface, not SES's) for the
// rules; the SDK side is tested in sessend against aws-ses-v2-local and
// sesident.
type fakeAPI struct {
	mu         sync.Mutex
	account    Account
	suppressed map[string]Suppression
	identities map[string]Identity
	supErr     error
	calls      map[string]int
}

func (f *fakeAPI) Account(context.Context) (Account, error) { return f.account, nil }

func (f *fakeAPI) Identity(_ context.Context, name string) (Identity, error) {
	f.count("id " + name)
	if id, ok := f.identities[name]; ok {
		return id, nil
	}
	return Identity{Name: name, Status: StatusNotFound}, nil
}

func (f *fakeAPI) Suppressed(_ context.Context, addr string) (Suppression, bool, error) {
	f.count("sup " + addr)
	if f.supErr != nil {
		return Suppression{}, false, f.supErr
	}
	s, ok := f.suppressed[addr]
	return s, ok, nil
}

func (f *fakeAPI) count(k string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.calls == nil {
		f.calls = map[string]int{}
	}
	f.calls[k]++
}

func TestScreen(t *testing.T) {
	ctx := context.Background()
	since := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	api := &fakeAPI{
		account:    Account{Sandbox: true},
		suppressed: map[string]Suppression{"gone@x.example": {Address: "gone@x.example", Reason: "BOUNCE", Since: since}},
		identities: map[string]Identity{"x.example": {Name: "x.example", Status: "SUCCESS", VerifiedForSending: true},
			"me@y.example": {Name: "me@y.example", Status: "SUCCESS", VerifiedForSending: true}},
	}
	sc, err := NewScreen(ctx, api)
	if err != nil {
		t.Fatal(err)
	}
	dests := []string{"gone@x.example", "ok@x.example", "me@y.example", "other@y.example", "ooto@simulator.amazonses.com", "Gone@X.example"}
	var vs []Verdict
	var wg sync.WaitGroup
	for range 4 { // concurrent checks share one call per address
		wg.Add(1)
		go func() { defer wg.Done(); sc.Check(ctx, dests) }()
	}
	wg.Wait()
	vs = sc.Check(ctx, dests)
	send, blocked := Filter(vs, false)
	if !reflect.DeepEqual(send, []string{"ok@x.example", "me@y.example", "ooto@simulator.amazonses.com"}) {
		t.Errorf("send %q", send)
	}
	if len(blocked) != 3 || blocked[0].Reason() != "suppressed: BOUNCE since 2026-11-02" || !blocked[1].Unverified ||
		blocked[2].Suppressed == nil {
		t.Errorf("blocked %+v", blocked)
	}
	// --include-suppressed sends to suppressed addresses, never to ones the
	// sandbox refuses.
	send, _ = Filter(vs, true)
	if !reflect.DeepEqual(send, []string{"gone@x.example", "ok@x.example", "me@y.example", "ooto@simulator.amazonses.com", "Gone@X.example"}) {
		t.Errorf("include-suppressed send %q", send)
	}
	for k, n := range api.calls {
		if n != 1 {
			t.Errorf("%s asked %d times", k, n)
		}
	}
	if api.calls["sup ooto@simulator.amazonses.com"] != 0 || api.calls["sup gone@x.example"] != 1 {
		t.Errorf("calls %v", api.calls)
	}

	// A failed check does not block (SES drops suppressed addresses
	// itself) but is reported.
	api2 := &fakeAPI{account: Account{}, supErr: errors.New("AccessDeniedException")}
	sc2, _ := NewScreen(ctx, api2)
	v := sc2.Check(ctx, []string{"a@b.example"})[0]
	if v.Blocked(false) || v.Err == nil || v.Reason() != "not checked against the suppression list: AccessDeniedException" {
		t.Errorf("failed check: %+v %q", v, v.Reason())
	}
}

func (*fakeAPI) ConfigurationSet(context.Context) (ConfigurationSet, bool, error) {
	return ConfigurationSet{}, false, nil
}
