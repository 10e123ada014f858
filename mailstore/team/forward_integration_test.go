//go:build integration

package team

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/actionlog"
	"github.com/sesbox/sesbox/mailstore/forward"
	"github.com/sesbox/sesbox/mailstore/reforward"
	"github.com/sesbox/sesbox/mailstore/s3store"
	"github.com/sesbox/sesbox/mailstore/sessend"
	"github.com/sesbox/sesbox/mailstore/testutil/dynfault"
	"github.com/sesbox/sesbox/mailstore/testutil/peer"
	"github.com/sesbox/sesbox/mailstore/testutil/sesfault"
)

// memSource is a read-only reforward.Source over messages held in memory
// (not an AWS API: the stored mail is beside the point here).
type memSource map[string][]byte

func (m memSource) Location() mailstore.Location {
	return mailstore.Location{Bucket: "mail", Prefix: "inbox/"}
}
func (m memSource) Resolve(_ context.Context, k string) (string, error) {
	if strings.HasPrefix(k, "inbox/") {
		return k, nil
	}
	return "inbox/" + k, nil
}
func (m memSource) obj(k string) mailstore.Object {
	sum := md5.Sum(m[k])
	return mailstore.Object{Key: k, ETag: `"` + hex.EncodeToString(sum[:]) + `"`, Size: int64(len(m[k]))}
}
func (m memSource) ReadHeader(_ context.Context, k string) ([]byte, mailstore.Object, error) {
	raw, ok := m[k]
	if !ok {
		return nil, mailstore.Object{}, mailstore.ErrNotFound
	}
	return raw, m.obj(k), nil
}
func (m memSource) Read(ctx context.Context, k string) ([]byte, mailstore.Object, error) {
	return m.ReadHeader(ctx, k)
}

func mail(i int) []byte {
	return []byte(strings.Join([]string{
		"Received: from mail.sender.example (mail.sender.example [203.0.113.5])",
		" by inbound-smtp.us-east-1.amazonaws.com with SMTP id x",
		" for info@acme.example;",
		" Fri, 14 Mar 2025 10:00:00 +0000 (UTC)",
		"X-SES-Spam-Verdict: PASS",
		"X-SES-Virus-Verdict: PASS",
		"From: Alice <alice@sender.example>",
		"To: info@acme.example",
		fmt.Sprintf("Subject: message %d", i),
		fmt.Sprintf("Message-ID: <m%d@sender.example>", i),
		"Date: Fri, 14 Mar 2025 10:00:00 +0000",
		"",
		fmt.Sprintf("Hello %d.", i),
		"",
	}, "\r\n"))
}

func sesSender(endpoint string) *sessend.Sender {
	return sessend.New(sesv2.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(peer.AccessKey, peer.SecretKey, ""),
	}, func(o *sesv2.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.RetryMaxAttempts = 1
	}), "")
}

type memLog struct{ n int }

func (l *memLog) Append(actionlog.Action) error { l.n++; return nil }

// testForwardRunsShareClaims runs reforward with the store as its Claims
// against aws-ses-v2-local: a throttled send gives its claim back and
// takes it again, a lost answer leaves the send uncertain for every
// machine, and a second "machine" (its own journal) sends nothing twice
// until --retry-uncertain.
func testForwardRunsShareClaims(t *testing.T, db *peer.DynamoDB) {
	_, table := newTable(t, db)
	ses := peer.StartSES(t)
	proxy := sesfault.Start(t, ses.URL, func(n int) sesfault.Fault {
		switch n {
		case 2:
			return sesfault.Throttle
		case 5:
			return sesfault.Drop
		}
		return sesfault.Pass
	})
	src := memSource{}
	var keys []string
	for i := range 6 {
		k := fmt.Sprintf("inbox/m%d", i)
		src[k] = mail(i)
		keys = append(keys, k)
	}
	cfg := forward.Config{FromEmail: "fwd@acme.example", ForwardMapping: map[string][]string{"info@acme.example": {"ops@team.example"}}}
	runner := func(host string) (*reforward.Runner, *Store, *memLog) {
		s := newStore(db.Client(), table, owner(host, 1))
		lg := &memLog{}
		return &reforward.Runner{Source: src, Sender: sesSender(proxy.URL), JournalPath: filepath.Join(t.TempDir(), "journal.jsonl"),
			Claims: s, Log: actionlog.Tee{lg, s}, Backoff: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond}, s, lg
	}
	run := func(r *reforward.Runner, opts reforward.Options) map[string]reforward.Result {
		t.Helper()
		p, err := r.Plan(context.Background(), keys, opts)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]reforward.Result{}
		if _, err := r.Run(context.Background(), p, func(x reforward.Result) { out[x.Key] = x }, nil); err != nil {
			t.Fatal(err)
		}
		return out
	}
	ra, sa, lga := runner("a")
	first := run(ra, reforward.Options{Config: cfg})
	// Requests: 1 m0, 2 m1 throttled, 3 m1, 4 m2, 5 m3 dropped, 6 m4, 7 m5.
	for i, k := range keys {
		want := reforward.StatusSent
		if i == 3 {
			want = reforward.StatusUncertain
		}
		if first[k].Status != want {
			t.Errorf("first run %s: %+v", k, first[k])
		}
	}
	if len(proxy.Emails()) != 6 || lga.n != 6 {
		t.Fatalf("%d emails, %d actions", len(proxy.Emails()), lga.n)
	}
	ref := func(k string) reforward.SendRef {
		o := src.obj(k)
		return reforward.SendRef{Bucket: "mail", Key: k, ETag: o.ETag, Destinations: []string{"ops@team.example"}}
	}
	if st, _ := sa.Lookup(context.Background(), ref(keys[1])); st.State != reforward.SharedSent || st.SESMessageID != first[keys[1]].SESMessageID {
		t.Errorf("the throttled send: %+v", st)
	}
	if st, _ := sa.Lookup(context.Background(), ref(keys[3])); st.State != reforward.SharedUncertain || !strings.Contains(st.Reason, "no answer") {
		t.Errorf("the dropped send: %+v", st)
	}

	// Another machine, its own empty journal: nothing is sent again.
	rb, _, _ := runner("b")
	second := run(rb, reforward.Options{Config: cfg})
	for i, k := range keys {
		x := second[k]
		switch {
		case i == 3 && (x.Status != reforward.StatusUncertain || !strings.Contains(x.Reason, "op@a pid 1")):
			t.Errorf("second machine, the uncertain send: %+v", x)
		case i != 3 && (x.Status != reforward.StatusSkipped || x.SESMessageID != first[k].SESMessageID || !strings.Contains(x.Reason, "op@a pid 1")):
			t.Errorf("second machine %s: %+v", k, x)
		}
	}
	if len(proxy.Emails()) != 6 {
		t.Fatalf("the second machine sent: %d emails", len(proxy.Emails()))
	}
	// --retry-uncertain from the second machine sends that one only.
	third := run(rb, reforward.Options{Config: cfg, RetryUncertain: true})
	if third[keys[3]].Status != reforward.StatusSent || len(proxy.Emails()) != 7 {
		t.Fatalf("--retry-uncertain: %+v, %d emails", third[keys[3]], len(proxy.Emails()))
	}
	if st, _ := sa.Lookup(context.Background(), ref(keys[3])); st.State != reforward.SharedSent || !strings.Contains(st.Owner, "op@b") {
		t.Errorf("after --retry-uncertain: %+v", st)
	}
}

// pausedClock is a run's clock that a test moves (a process stopped and
// resumed); Sleep returns at once.
type pausedClock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *pausedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}
func (c *pausedClock) Sleep(ctx context.Context, _ time.Duration) error { return ctx.Err() }
func (c *pausedClock) pause(d time.Duration) {
	c.mu.Lock()
	c.off += d
	c.mu.Unlock()
}

// pausingClaims is machine A's team store; right after its first claim
// the process "stops" (SIGSTOP) for longer than the lease, and meanwhile
// machine B runs.
type pausingClaims struct {
	*Store
	once   sync.Once
	paused func()
}

func (p *pausingClaims) Claim(ctx context.Context, ref reforward.SendRef, again, retry, retryRefused bool) (string, reforward.SharedState, error) {
	tok, held, err := p.Store.Claim(ctx, ref, again, retry, retryRefused)
	if tok != "" {
		p.once.Do(p.paused)
	}
	return tok, held, err
}

// testPausedPastLeaseDoesNotSend: machine A claims a send and is stopped
// before it calls SES, for longer than the lease. Machine B reads the
// claim as what it is, a send never started (before StartSend marks it),
// and sends it, with no flag. A then resumes: it must not send too. A
// real SES (aws-ses-v2-local) counts the emails.
func testPausedPastLeaseDoesNotSend(t *testing.T, db *peer.DynamoDB) {
	pausedMachineA(t, db, func(s *Store, paused func()) reforward.Claims {
		return &pausingClaims{Store: s, paused: paused}
	}, func(runB func(reforward.Options) (reforward.Result, error), cfg forward.Config) (fromB reforward.Result) {
		var err error
		if fromB, err = runB(reforward.Options{Config: cfg}); err != nil || fromB.Status != reforward.StatusSent {
			t.Errorf("B: %+v %v", fromB, err)
		}
		return fromB
	})
}

// pausedMachineA is the paused-machine tests' run: one stored message, a
// real SES (aws-ses-v2-local) behind the fault proxy counting the emails,
// machine A's claims wrapped by wrap, which calls paused where A stops.
// While A is stopped the clock jumps past the lease and machineB runs
// machine B (runB plans and runs the message with a runner of its own),
// returning B's send. A then resumes: it must not send too (one email,
// A's run stops as taken over, the table holds B's send).
func pausedMachineA(t *testing.T, db *peer.DynamoDB, wrap func(s *Store, paused func()) reforward.Claims,
	machineB func(runB func(reforward.Options) (reforward.Result, error), cfg forward.Config) reforward.Result) {
	_, table := newTable(t, db)
	ses := peer.StartSES(t)
	proxy := sesfault.Start(t, ses.URL, nil)
	src := memSource{"inbox/m0": mail(0)}
	cfg := forward.Config{FromEmail: "fwd@acme.example", ForwardMapping: map[string][]string{"info@acme.example": {"ops@team.example"}}}
	clk := &pausedClock{}
	newRunner := func(host string) (*reforward.Runner, *Store) {
		s := newStore(db.Client(), table, owner(host, 1))
		s.Now = clk.Now
		return &reforward.Runner{Source: src, Sender: sesSender(proxy.URL), JournalPath: filepath.Join(t.TempDir(), "journal.jsonl"),
			Claims: s, Log: actionlog.Tee{&memLog{}, s}, Clock: clk}, s
	}
	run := func(r *reforward.Runner, opts reforward.Options) (reforward.Result, error) {
		t.Helper()
		p, err := r.Plan(context.Background(), []string{"inbox/m0"}, opts)
		if err != nil {
			t.Fatal(err)
		}
		var res reforward.Result
		_, err = r.Run(context.Background(), p, func(x reforward.Result) { res = x }, nil)
		return res, err
	}
	ra, sa := newRunner("a")
	var fromB reforward.Result
	ra.Claims = wrap(sa, func() {
		clk.pause(sa.Lease + time.Minute)
		rb, _ := newRunner("b")
		fromB = machineB(func(opts reforward.Options) (reforward.Result, error) { return run(rb, opts) }, cfg)
	})
	res, err := run(ra, reforward.Options{Config: cfg})
	if n := len(proxy.Emails()); n != 1 {
		t.Fatalf("%d emails reached SES: the paused run sent after its lease ran out (A: %+v, %v)", n, res, err)
	}
	if res.Status != reforward.StatusFailed || !strings.Contains(res.Reason, "paused") {
		t.Errorf("A after the pause: %+v", res)
	}
	if err == nil || !strings.Contains(err.Error(), "taken over") {
		t.Errorf("A's run should stop, its claim taken over: %v", err)
	}
	if st, _ := sa.Lookup(context.Background(), reforward.SendRef{Bucket: "mail", Key: "inbox/m0", ETag: src.obj("inbox/m0").ETag,
		Destinations: []string{"ops@team.example"}}); st.State != reforward.SharedSent || st.SESMessageID != fromB.SESMessageID {
		t.Errorf("the table after both: %+v (B sent %s)", st, fromB.SESMessageID)
	}
}

// testClockSkewDoesNotTakeOverALiveClaim: machine A claims a send and,
// before it calls SES, machine B runs with --retry-uncertain. B's clock
// is ten minutes ahead (then, in a second round, A's is ten minutes
// behind): by its own clock A's lease of five minutes has run out, but it
// has not. Leases are stamped and judged by the table's clock (the Date
// of its answers), so B sees the send as another run's and skips it; A
// sends it. One email reaches SES each round. Before, B read the claim as
// uncertain, took it over and sent it while A sent it too: two emails.
func testClockSkewDoesNotTakeOverALiveClaim(t *testing.T, db *peer.DynamoDB) {
	_, table := newTable(t, db)
	ses := peer.StartSES(t)
	proxy := sesfault.Start(t, ses.URL, nil)
	cfg := forward.Config{FromEmail: "fwd@acme.example", ForwardMapping: map[string][]string{"info@acme.example": {"ops@team.example"}}}
	for round, skew := range []struct{ a, b time.Duration }{{0, 10 * time.Minute}, {-10 * time.Minute, 0}} {
		key := fmt.Sprintf("inbox/m%d", round)
		src := memSource{key: mail(round)}
		newRunner := func(host string, off time.Duration) (*reforward.Runner, *Store) {
			s := newStore(peer.SkewedDynamoDB(t, db, off).Client(), table, owner(host, 1))
			s.Now = func() time.Time { return time.Now().Add(off) }
			clk := &pausedClock{off: off}
			return &reforward.Runner{Source: src, Sender: sesSender(proxy.URL), JournalPath: filepath.Join(t.TempDir(), "journal.jsonl"),
				Claims: s, Log: actionlog.Tee{&memLog{}, s}, Clock: clk}, s
		}
		run := func(r *reforward.Runner, opts reforward.Options) (reforward.Result, error) {
			t.Helper()
			p, err := r.Plan(context.Background(), []string{key}, opts)
			if err != nil {
				t.Fatal(err)
			}
			var res reforward.Result
			_, err = r.Run(context.Background(), p, func(x reforward.Result) { res = x }, nil)
			return res, err
		}
		before := len(proxy.Emails())
		ra, sa := newRunner("a", skew.a)
		var fromB reforward.Result
		bDone := make(chan struct{})
		ra.Claims = &pausingClaims{Store: sa, paused: func() {
			// B runs beside A; A goes on once B has decided on the claim.
			rb, sb := newRunner("b", skew.b)
			decided := &firstClaim{Store: sb, done: make(chan struct{})}
			rb.Claims = decided
			go func() {
				defer close(bDone)
				fromB, _ = run(rb, reforward.Options{Config: cfg, RetryUncertain: true})
			}()
			<-decided.done
		}}
		res, err := run(ra, reforward.Options{Config: cfg})
		<-bDone
		if n := len(proxy.Emails()) - before; n != 1 {
			t.Fatalf("round %d (A's clock %v, B's %v): %d emails reached SES (A: %+v, %v; B: %+v)", round, skew.a, skew.b, n, res, err, fromB)
		}
		if res.Status != reforward.StatusSent || err != nil {
			t.Errorf("round %d: A: %+v, %v", round, res, err)
		}
		if fromB.Status != reforward.StatusSkipped || !strings.Contains(fromB.Reason, "op@a pid 1") {
			t.Errorf("round %d: B: %+v, want skipped as A's", round, fromB)
		}
	}
}

// firstClaim is a run's team store that says when its first claim was
// decided, won or not (or its nth, when n is set).
type firstClaim struct {
	*Store
	n, seen int
	once    sync.Once
	done    chan struct{}
}

func (f *firstClaim) Claim(ctx context.Context, ref reforward.SendRef, again, retry, retryRefused bool) (string, reforward.SharedState, error) {
	tok, held, err := f.Store.Claim(ctx, ref, again, retry, retryRefused)
	if f.seen++; f.seen >= f.n {
		f.once.Do(func() { close(f.done) })
	}
	return tok, held, err
}

// testARunWaitsForTheClaimItMeets: machine B meets a send machine A is
// making right now. B waits for A's outcome instead of skipping it: A's
// send is throttled past its one attempt (certainly not sent, and not
// refused for the message itself, which B would report refused:
// testRefusedIsRefusedOnEveryMachine), so B sends it, and one email
// reaches SES; B's result is sent. Before, B reported it skipped
// ("being forwarded right now by ...") and exited 0, A reported it
// failed, and no one sent it.
func testARunWaitsForTheClaimItMeets(t *testing.T, db *peer.DynamoDB) {
	_, table := newTable(t, db)
	ses := peer.StartSES(t)
	proxy := sesfault.Start(t, ses.URL, func(n int) sesfault.Fault {
		if n == 1 {
			return sesfault.Throttle
		}
		return sesfault.Pass
	})
	cfg := forward.Config{FromEmail: "fwd@acme.example", ForwardMapping: map[string][]string{"info@acme.example": {"ops@team.example"}}}
	src := memSource{"inbox/m0": mail(0)}
	newRunner := func(host string) (*reforward.Runner, *Store) {
		s := newStore(db.Client(), table, owner(host, 1))
		return &reforward.Runner{Source: src, Sender: sesSender(proxy.URL), JournalPath: filepath.Join(t.TempDir(), "journal.jsonl"),
			Claims: s, Log: actionlog.Tee{&memLog{}, s}}, s
	}
	var waitedFor []string // B's progress
	ra, sa := newRunner("a")
	ra.MaxAttempts = 1
	run := func(r *reforward.Runner) (reforward.Result, error) {
		p, err := r.Plan(context.Background(), []string{"inbox/m0"}, reforward.Options{Config: cfg})
		if err != nil {
			return reforward.Result{}, err
		}
		var res reforward.Result
		_, err = r.Run(context.Background(), p, func(x reforward.Result) { res = x }, func(pr reforward.Progress) {
			if r != ra {
				waitedFor = append(waitedFor, pr.WaitingFor)
			}
		})
		return res, err
	}
	var fromB reforward.Result
	var errB error
	bDone := make(chan struct{})
	ra.Claims = &pausingClaims{Store: sa, paused: func() {
		rb, sb := newRunner("b")
		// B's first claim puts the message off to the end of its run (it
		// has no other); the second, there, waits for A's outcome.
		decided := &firstClaim{Store: sb, n: 2, done: make(chan struct{})}
		rb.Claims = decided
		go func() {
			defer close(bDone)
			fromB, errB = run(rb)
		}()
		<-decided.done
	}}
	res, err := run(ra)
	select {
	case <-bDone:
	case <-time.After(time.Minute):
		t.Fatal("B still waits a minute after A's outcome")
	}
	if res.Status != reforward.StatusFailed || err != nil {
		t.Errorf("A: %+v, %v; want failed (SES throttled it)", res, err)
	}
	if fromB.Status != reforward.StatusSent || errB != nil {
		t.Errorf("B: %+v, %v; want sent", fromB, errB)
	}
	if n := len(proxy.Emails()); n != 1 {
		t.Fatalf("%d emails reached SES, want 1", n)
	}
	if !slices.Contains(waitedFor, "op@a pid 1") || waitedFor[len(waitedFor)-1] != "" {
		t.Errorf("B's progress said it waited for %q", waitedFor)
	}
}

// claimLog is a run's team store that records every claim it decides, in
// order, and says when it first wins one.
type claimLog struct {
	*Store
	mu     sync.Mutex
	claims []string // "key won", "key held: STATE"
	once   sync.Once
	won    chan struct{}
	first  func() // called once, after the run's first won claim
}

func (c *claimLog) Claim(ctx context.Context, ref reforward.SendRef, again, retry, retryRefused bool) (string, reforward.SharedState, error) {
	tok, held, err := c.Store.Claim(ctx, ref, again, retry, retryRefused)
	c.mu.Lock()
	if tok != "" {
		c.claims = append(c.claims, ref.Key+" won")
	} else {
		c.claims = append(c.claims, ref.Key+" held: "+held.State)
	}
	c.mu.Unlock()
	if tok != "" {
		c.once.Do(func() {
			if c.won != nil {
				close(c.won)
			}
			if c.first != nil {
				c.first()
			}
		})
	}
	return tok, held, err
}

func (c *claimLog) firstWon() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, x := range c.claims {
		if k, ok := strings.CutSuffix(x, " won"); ok {
			return k
		}
	}
	return ""
}

// testTwoRunsDoNotMoveInLockstep: two operators forward the same 20
// messages at once. B starts while A holds its claim of the first one,
// and A goes on only once B has won a claim (or after 10 s). A run that
// meets another's live claim moves on to the messages no one holds and
// comes back to the contested ones at the end: B's first claim won is
// not the message A holds. Before, B waited for A's outcome on every
// message A held, so the two moved in lockstep (and here B won nothing
// before A went on). A's send of the first message is throttled past
// its one attempt (certainly not sent, not refused for the message
// itself): B, coming back to it, sends it. 20 emails reach SES, one per
// message.
func testTwoRunsDoNotMoveInLockstep(t *testing.T, db *peer.DynamoDB) {
	_, table := newTable(t, db)
	ses := peer.StartSES(t)
	proxyA := sesfault.Start(t, ses.URL, func(n int) sesfault.Fault {
		if n == 1 {
			return sesfault.Throttle
		}
		return sesfault.Pass
	})
	proxyB := sesfault.Start(t, ses.URL, nil)
	cfg := forward.Config{FromEmail: "fwd@acme.example", ForwardMapping: map[string][]string{"info@acme.example": {"ops@team.example"}}}
	src := memSource{}
	var keys []string
	for i := range 20 {
		k := fmt.Sprintf("inbox/m%02d", i)
		src[k] = mail(i)
		keys = append(keys, k)
	}
	newRunner := func(host, endpoint string) (*reforward.Runner, *claimLog) {
		c := &claimLog{Store: newStore(db.Client(), table, owner(host, 1))}
		return &reforward.Runner{Source: src, Sender: sesSender(endpoint), JournalPath: filepath.Join(t.TempDir(), "journal.jsonl"),
			Claims: c, Log: actionlog.Tee{&memLog{}, c.Store}}, c
	}
	run := func(r *reforward.Runner) (map[string]reforward.Result, error) {
		p, err := r.Plan(context.Background(), keys, reforward.Options{Config: cfg})
		if err != nil {
			return nil, err
		}
		out := map[string]reforward.Result{}
		_, err = r.Run(context.Background(), p, func(x reforward.Result) { out[x.Key] = x }, nil)
		return out, err
	}
	ra, ca := newRunner("a", proxyA.URL)
	ra.MaxAttempts = 1
	rb, cb := newRunner("b", proxyB.URL)
	cb.won = make(chan struct{})
	var fromB map[string]reforward.Result
	var errB error
	bDone := make(chan struct{})
	ca.first = func() {
		go func() {
			defer close(bDone)
			fromB, errB = run(rb)
		}()
		select {
		case <-cb.won:
		case <-time.After(10 * time.Second):
		}
	}
	fromA, errA := run(ra)
	<-bDone
	if errA != nil || errB != nil {
		t.Fatalf("A: %v; B: %v", errA, errB)
	}
	if got := cb.firstWon(); got == keys[0] || got == "" {
		t.Errorf("B's first claim won is %q, the message A held (B's claims: %q)", got, cb.claims)
	}
	subjects := map[string]int{}
	for _, e := range append(proxyA.Emails(), proxyB.Emails()...) {
		for _, l := range strings.Split(string(e.Raw), "\r\n") {
			if s, ok := strings.CutPrefix(l, "Subject: "); ok {
				subjects[s]++
			}
		}
	}
	for i, k := range keys {
		if n := subjects[fmt.Sprintf("message %d", i)]; n != 1 {
			t.Errorf("%s reached SES %d times (A: %+v, B: %+v)", k, n, fromA[k], fromB[k])
		}
	}
	if fromB[keys[0]].Status != reforward.StatusSent || fromA[keys[0]].Status != reforward.StatusFailed {
		t.Errorf("the message A's send failed: A %+v, B %+v", fromA[keys[0]], fromB[keys[0]])
	}
	sentA, sentB := len(proxyA.Emails()), len(proxyB.Emails())
	if sentA+sentB != 20 || sentA == 0 || sentB < 2 {
		t.Errorf("A sent %d, B %d; want 20 between them, both taking part", sentA, sentB)
	}
	for _, res := range []map[string]reforward.Result{fromA, fromB} {
		if len(res) != 20 {
			t.Errorf("%d results, want one per message", len(res))
		}
	}
}

// testDelayedAnswerIsNoClockSkew: the read a claim makes first is answered
// 3 s late (dynfault holds dynalite's answer back), so its Date is 3 s old
// when it arrives. That is no clock difference: the lease stamped on the
// claim still runs a whole Lease from when it was taken. Before, the late
// Date was taken for a table clock 3 s behind, and the claim's lease
// ended 3 s early by the table's clock: by a slow answer of a minute, a
// minute early, while the run still counted on it (another machine with
// --retry-uncertain could take the send over while it was being sent).
func testDelayedAnswerIsNoClockSkew(t *testing.T, db *peer.DynamoDB) {
	_, table := newTable(t, db)
	proxy := dynfault.Start(t, db.URL, func(_ int, op string) dynfault.Fault {
		if op == "GetItem" {
			return dynfault.Delay
		}
		return dynfault.Pass
	})
	proxy.Delay = 3 * time.Second
	s := newStore(client(proxy.URL), table, owner("a", 1))
	r := ref(0)
	tok, _, err := s.Claim(context.Background(), r, false, false, false)
	claimed := time.Now()
	if err != nil || tok == "" {
		t.Fatalf("claim: %q, %v", tok, err)
	}
	c, ok, err := newStore(db.Client(), table, owner("b", 1)).getClaim(context.Background(), claimPK(r.Bucket, r.Key, r.ETag, r.Destinations))
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	// The Date counts whole seconds: a second either way is the clock.
	if short := claimed.Add(s.Lease).Sub(c.leaseUntil); short > time.Second {
		t.Errorf("the lease ends %v early: until %v, claimed by %v", short, c.leaseUntil, claimed)
	}
}

// testFirstReadMarkByTheTableClock: B's clock runs ten minutes ahead, and
// its very first call to the table is a read mark (no refresh before it
// read the table's clock). A marks the message unread a moment later: A's
// change is the later and wins. Before, B's first mark carried B's own
// clock, ten minutes ahead, and A's unread was dropped as older.
func testFirstReadMarkByTheTableClock(t *testing.T, db *peer.DynamoDB) {
	db, table := newTable(t, db)
	ctx := context.Background()
	a := newStore(db.Client(), table, owner("a", 1))
	b := newStore(peer.SkewedDynamoDB(t, db, 10*time.Minute).Client(), table, owner("b", 2))
	b.Now = func() time.Time { return time.Now().Add(10 * time.Minute) }
	if err := b.SetRead(ctx, "mail", "inbox/1", true); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)
	if err := a.SetRead(ctx, "mail", "inbox/1", false); err != nil {
		t.Fatal(err)
	}
	got, err := a.ReadStates(ctx, "mail")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Read || got[0].ReadBy != "op@a" {
		t.Fatalf("read states %+v: A's later unread lost to B's first mark", got)
	}
}

// testTwoPacedRunsShareTheWork: two runs over the same 20 messages, both
// paced (10 messages a second), B started 50 ms (half a slot) after A. Each sends a
// share. Before, a run took its pacing slot before it claimed, so B,
// a slot behind A, met every message A had just claimed or sent and sent
// none: two operators were no faster than one.
func testTwoPacedRunsShareTheWork(t *testing.T, db *peer.DynamoDB) {
	_, table := newTable(t, db)
	ses := peer.StartSES(t)
	proxyA, proxyB := sesfault.Start(t, ses.URL, nil), sesfault.Start(t, ses.URL, nil)
	cfg := forward.Config{FromEmail: "fwd@acme.example", ForwardMapping: map[string][]string{"info@acme.example": {"ops@team.example"}}}
	src := memSource{}
	var keys []string
	for i := range 20 {
		k := fmt.Sprintf("inbox/m%02d", i)
		src[k] = mail(i)
		keys = append(keys, k)
	}
	run := func(host, endpoint string) error {
		s := newStore(db.Client(), table, owner(host, 1))
		r := &reforward.Runner{Source: src, Sender: sesSender(endpoint), JournalPath: filepath.Join(t.TempDir(), "journal.jsonl"),
			Claims: s, Log: actionlog.Tee{&memLog{}, s}, SendRate: 10}
		p, err := r.Plan(context.Background(), keys, reforward.Options{Config: cfg})
		if err != nil {
			return err
		}
		_, err = r.Run(context.Background(), p, func(reforward.Result) {}, nil)
		return err
	}
	errs := make(chan error, 2)
	go func() { errs <- run("a", proxyA.URL) }()
	time.Sleep(50 * time.Millisecond) // half a pacing slot
	go func() { errs <- run("b", proxyB.URL) }()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	a, b := len(proxyA.Emails()), len(proxyB.Emails())
	t.Logf("A sent %d, B %d", a, b)
	if a+b != 20 || a < 4 || b < 4 {
		t.Errorf("A sent %d, B %d: want 20 between them, each a share", a, b)
	}
}

// localPaced is the team store without its shared pacing: the run paces
// by itself (reforward's own pacer) while it claims through the table.
type localPaced struct {
	reforward.Claims
	reforward.Leased
}

// testLongPaceWaitKeepsTheClaim: a low send_rate makes the run wait for
// its second send's slot (10 s) longer than the claim's lease leaves before
// the send's time-out (6 s - 2 s): as at send_rate = 0.2 with 50
// recipients (250 s of a 5-minute lease). The run renews the claim as it
// waits: another machine reads the send as claimed throughout (not
// uncertain, which --retry-uncertain would take over), and the message is
// sent once. Before, the send was given up, "was the process paused?".
// With the table's pacing and with the run's own.
func testLongPaceWaitKeepsTheClaim(t *testing.T, db *peer.DynamoDB) {
	for _, shared := range []bool{true, false} {
		t.Run(fmt.Sprint("shared pace ", shared), func(t *testing.T) {
			_, table := newTable(t, db)
			ses := peer.StartSES(t)
			proxy := sesfault.Start(t, ses.URL, nil)
			cfg := forward.Config{FromEmail: "fwd@acme.example", ForwardMapping: map[string][]string{"info@acme.example": {"ops@team.example"}}}
			src := memSource{"inbox/m0": mail(0), "inbox/m1": mail(1)}
			s := newStore(db.Client(), table, owner("a", 1))
			s.Lease = 6 * time.Second
			var claims reforward.Claims = s
			if !shared {
				claims = localPaced{s, s}
			}
			r := &reforward.Runner{Source: src, Sender: sesSender(proxy.URL), JournalPath: filepath.Join(t.TempDir(), "journal.jsonl"),
				Claims: claims, Log: actionlog.Tee{&memLog{}, s}, SendRate: 1.0 / 10, SendTimeout: 2 * time.Second}
			p, err := r.Plan(context.Background(), []string{"inbox/m0", "inbox/m1"}, reforward.Options{Config: cfg})
			if err != nil {
				t.Fatal(err)
			}
			var results []reforward.Result
			done := make(chan error, 1)
			go func() {
				_, err := r.Run(context.Background(), p, func(x reforward.Result) { results = append(results, x) }, nil)
				done <- err
			}()
			for deadline := time.Now().Add(10 * time.Second); len(proxy.Emails()) == 0; time.Sleep(20 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("no first send in 10 s")
				}
			}
			// Past the lease the second claim was taken with (and the
			// table's clock the lease is stamped and judged by, to its
			// Date's whole second), before its slot.
			time.Sleep(s.Lease + 2500*time.Millisecond)
			b := newStore(db.Client(), table, owner("b", 1))
			second := reforward.SendRef{Bucket: "mail", Key: "inbox/m1", ETag: src.obj("inbox/m1").ETag, Destinations: []string{"ops@team.example"}}
			if st, err := b.Lookup(context.Background(), second); err != nil || st.State != reforward.SharedClaimed {
				t.Errorf("during the wait another machine reads the second send as %+v, %v; want claimed", st, err)
			}
			if err := <-done; err != nil {
				t.Fatalf("run: %v (results %+v)", err, results)
			}
			emails := proxy.Emails()
			if len(results) != 2 || results[1].Status != reforward.StatusSent || len(emails) != 2 {
				t.Fatalf("%d emails, results %+v", len(emails), results)
			}
			if gap := emails[1].At.Sub(emails[0].At); gap < 10*time.Second-100*time.Millisecond {
				t.Errorf("sends %s apart at 1/10 a second", gap)
			}
		})
	}
}

// testTwoRunsKeepToTheAccountRateTogether: two operators without
// send_rate forward the same 25 messages at once through one SES account
// whose GetAccount says 5 recipients a second. Each paced by itself at
// the whole rate, so together they sent up to twice it (18 in a second at
// 10 a second) and leaned on SES's throttling; the table now paces them
// as one: in no second (as the recording proxy in front of
// aws-ses-v2-local saw the requests arrive) more than 5, and each
// message once.
func testTwoRunsKeepToTheAccountRateTogether(t *testing.T, db *peer.DynamoDB) {
	const rate, messages = 5, 25
	_, table := newTable(t, db)
	acct, err := os.ReadFile("../../testdata/peers/ses-account.json")
	if err != nil {
		t.Fatal(err)
	}
	ses := peer.StartSESWithAccount(t, strings.Replace(string(acct), `"MaxSendRate":50`, fmt.Sprintf(`"MaxSendRate":%d`, rate), 1))
	proxy := sesfault.Start(t, ses.URL, nil)
	cfg := forward.Config{FromEmail: "fwd@acme.example", ForwardMapping: map[string][]string{"info@acme.example": {"ops@team.example"}}}
	src := memSource{}
	var keys []string
	for i := range messages {
		k := fmt.Sprintf("inbox/m%02d", i)
		src[k] = mail(i)
		keys = append(keys, k)
	}
	run := func(host string) error {
		s := newStore(db.Client(), table, owner(host, 1))
		r := &reforward.Runner{Source: src, Sender: sesSender(proxy.URL), JournalPath: filepath.Join(t.TempDir(), "journal.jsonl"),
			Claims: s, Log: actionlog.Tee{&memLog{}, s}}
		p, err := r.Prepare(context.Background(), keys, reforward.Options{Config: cfg})
		if err != nil {
			return err
		}
		_, err = r.Run(context.Background(), p, func(reforward.Result) {}, nil)
		return err
	}
	errs := make(chan error, 2)
	go func() { errs <- run("a") }()
	time.Sleep(30 * time.Millisecond)
	go func() { errs <- run("b") }()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	emails := proxy.Emails() // in the order SES answered
	slices.SortFunc(emails, func(a, b sesfault.Email) int { return a.At.Compare(b.At) })
	subjects := map[string]int{}
	for _, e := range emails {
		_, rest, _ := strings.Cut(string(e.Raw), "Subject: ")
		subject, _, _ := strings.Cut(rest, "\r\n")
		subjects[subject]++
	}
	if len(emails) != messages || len(subjects) != messages {
		t.Fatalf("%d emails of %d messages reached SES, want each of the %d once", len(emails), len(subjects), messages)
	}
	// A window of a second less one send's spacing: sends spaced exactly
	// 1/rate apart put the 6th a second after the first, and any
	// lateness of the first (a timer woken late on a loaded machine, a
	// slow sync of the journal) would count it.
	const jitter = time.Second / rate
	most := 0
	for _, first := range emails {
		n := 0
		for _, e := range emails {
			if d := e.At.Sub(first.At); d >= 0 && d < time.Second-jitter {
				n++
			}
		}
		most = max(most, n)
	}
	t.Logf("at most %d sends in a second, %v for %d", most, emails[len(emails)-1].At.Sub(emails[0].At), messages)
	if most > rate {
		var gaps []string
		for i := 1; i < len(emails); i++ {
			gaps = append(gaps, emails[i].At.Sub(emails[i-1].At).Round(time.Millisecond).String())
		}
		t.Errorf("%d sends reached SES within a second, over the account's rate of %d (gaps %s)", most, rate, strings.Join(gaps, " "))
	}
}

// TestTableRestartMidRunIsWaitedOut: dynalite (its data on disk) is
// killed after the fifth of twelve messages and started again 3 s later.
// The client is built as sesbox builds it (a refused connection tried
// twice: a wrong endpoint fails fast at start), so the run stopped at the
// next claim, every later message not attempted. Now a store that has
// talked to the table waits a refused connection out: every message
// reaches SES once, and the wait was reported.
func TestTableRestartMidRunIsWaitedOut(t *testing.T) {
	db := peer.StartDynamoDBOnDisk(t)
	_, table := newTable(t, db)
	ses := peer.StartSES(t)
	proxy := sesfault.Start(t, ses.URL, nil)
	src := memSource{}
	var keys []string
	for i := range 12 {
		k := fmt.Sprintf("inbox/m%d", i)
		src[k] = mail(i)
		keys = append(keys, k)
	}
	c := dynamodb.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(peer.AccessKey, peer.SecretKey, ""),
	}, func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(db.URL)
		o.Retryer = s3store.FailFastRefused(NewRetryer(0, 2*time.Second).(aws.RetryerV2))
	})
	s := newStore(c, table, owner("a", 1))
	var waits atomic.Int32
	s.OnWait = func(error) { waits.Add(1) }
	r := &reforward.Runner{Source: src, Sender: sesSender(proxy.URL), JournalPath: filepath.Join(t.TempDir(), "journal.jsonl"),
		Claims: s, Log: &memLog{}, Backoff: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond}
	cfg := forward.Config{FromEmail: "fwd@acme.example", ForwardMapping: map[string][]string{"info@acme.example": {"ops@team.example"}}}
	p, err := r.Plan(context.Background(), keys, reforward.Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	restarted := make(chan struct{})
	n := 0
	tot, err := r.Run(context.Background(), p, func(reforward.Result) {
		if n++; n == 5 {
			db.Kill(t)
			go func() {
				defer close(restarted)
				time.Sleep(3 * time.Second)
				db.Restart(t)
			}()
		}
	}, nil)
	<-restarted
	if err != nil || tot != (reforward.Totals{Sent: 12}) {
		t.Fatalf("run: %v, %+v", err, tot)
	}
	count := map[string]int{}
	for _, em := range proxy.Emails() {
		count[string(em.Raw)]++
	}
	if len(proxy.Emails()) != 12 || len(count) != 12 {
		t.Errorf("%d emails reached SES (%d distinct), want each of the 12 once", len(proxy.Emails()), len(count))
	}
	if waits.Load() == 0 {
		t.Error("the wait for the table was not reported")
	}
}

// testAgainSendsOnceAcrossTheTeam: --again asks for one more send of what
// the plan saw. Two operators plan --again over a message sent once; A
// runs first and sends it again; B's run then finds A's send, not the one
// it planned over, and reports it skipped. And B plans --again over a
// message not sent yet while A forwards it plainly: B skips it. Before,
// B sent each again: 6 emails where 4 were asked for.
func testAgainSendsOnceAcrossTheTeam(t *testing.T, db *peer.DynamoDB) {
	_, table := newTable(t, db)
	ses := peer.StartSES(t)
	proxy := sesfault.Start(t, ses.URL, nil)
	src := memSource{"inbox/m0": mail(0), "inbox/m1": mail(1)}
	cfg := forward.Config{FromEmail: "fwd@acme.example", ForwardMapping: map[string][]string{"info@acme.example": {"ops@team.example"}}}
	runner := func(host string) *reforward.Runner {
		s := newStore(db.Client(), table, owner(host, 1))
		return &reforward.Runner{Source: src, Sender: sesSender(proxy.URL), JournalPath: filepath.Join(t.TempDir(), "journal.jsonl"),
			Claims: s, Log: actionlog.Tee{&memLog{}, s}}
	}
	ra, rb := runner("a"), runner("b")
	plan := func(r *reforward.Runner, key string, again bool) *reforward.Plan {
		t.Helper()
		p, err := r.Plan(context.Background(), []string{key}, reforward.Options{Config: cfg, Again: again})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	run := func(r *reforward.Runner, p *reforward.Plan) reforward.Result {
		t.Helper()
		var out reforward.Result
		if _, err := r.Run(context.Background(), p, func(x reforward.Result) { out = x }, nil); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if x := run(ra, plan(ra, "inbox/m0", false)); x.Status != reforward.StatusSent {
		t.Fatalf("the first send: %+v", x)
	}
	pa, pb := plan(ra, "inbox/m0", true), plan(rb, "inbox/m0", true)
	if x := run(ra, pa); x.Status != reforward.StatusSent {
		t.Fatalf("A's --again: %+v", x)
	}
	if x := run(rb, pb); x.Status != reforward.StatusSkipped || !strings.Contains(x.Reason, "op@a pid 1") {
		t.Errorf("B's --again after A's: %+v", x)
	}
	pb = plan(rb, "inbox/m1", true)
	if x := run(ra, plan(ra, "inbox/m1", false)); x.Status != reforward.StatusSent {
		t.Fatalf("A's first send of m1: %+v", x)
	}
	if x := run(rb, pb); x.Status != reforward.StatusSkipped || !strings.Contains(x.Reason, "op@a pid 1") {
		t.Errorf("B's --again planned before A sent m1: %+v", x)
	}
	// What B's plan saw is still sent again: --again made now sends.
	if x := run(rb, plan(rb, "inbox/m1", true)); x.Status != reforward.StatusSent {
		t.Errorf("B's --again planned after A's send: %+v", x)
	}
	if n := len(proxy.Emails()); n != 4 {
		t.Fatalf("%d emails reached SES, want 4: m0 twice, m1 twice", n)
	}
}

// pausingStart is machine A's team store; right after its first send is
// marked started (StartSend: SES is called next) the process "stops"
// for longer than the lease, and meanwhile machine B runs.
type pausingStart struct {
	*Store
	once   sync.Once
	paused func()
}

func (p *pausingStart) StartSend(ctx context.Context, ref reforward.SendRef, token string) error {
	err := p.Store.StartSend(ctx, ref, token)
	if err == nil {
		p.once.Do(p.paused)
	}
	return err
}

// testPausedAfterStartingDoesNotSend: machine A marks its send started
// and is stopped before it calls SES, for longer than the lease. Machine B
// reads the send as in doubt and does not send it; its operator checks
// that it never went out and runs --retry-uncertain, which sends it. A
// then resumes: it must not send too. Before, the lease was checked only
// before the send was marked started, so A, resumed, sent it a second
// time and only then found its claim taken over.
func testPausedAfterStartingDoesNotSend(t *testing.T, db *peer.DynamoDB) {
	pausedMachineA(t, db, func(s *Store, paused func()) reforward.Claims {
		return &pausingStart{Store: s, paused: paused}
	}, func(runB func(reforward.Options) (reforward.Result, error), cfg forward.Config) (fromB reforward.Result) {
		if res, err := runB(reforward.Options{Config: cfg}); err != nil || res.Status != reforward.StatusUncertain {
			t.Errorf("B without --retry-uncertain: %+v %v", res, err)
		}
		var err error
		if fromB, err = runB(reforward.Options{Config: cfg, RetryUncertain: true}); err != nil || fromB.Status != reforward.StatusSent {
			t.Errorf("B with --retry-uncertain: %+v %v", fromB, err)
		}
		return fromB
	})
}

// testRefusedIsRefusedOnEveryMachine: SES refuses A's send of m0 for the
// message itself. The claim says so, and B's runs go by it as A's
// journal does: a plan made after the refusal reports it failed and
// refused (counted in the preview) and sends nothing; a plan B made
// before it, run after, is stopped by the claim; --retry-refused on B
// sends it, once. Before, the claim said only "failed", and B's next
// bulk run sent the message A's runs skip.
func testRefusedIsRefusedOnEveryMachine(t *testing.T, db *peer.DynamoDB) {
	_, table := newTable(t, db)
	ses := peer.StartSES(t)
	var reject atomic.Bool
	reject.Store(true)
	proxy := sesfault.Start(t, ses.URL, func(int) sesfault.Fault {
		if reject.Load() {
			return sesfault.RejectContent
		}
		return sesfault.Pass
	})
	src := memSource{"inbox/m0": mail(0)}
	keys := []string{"inbox/m0"}
	cfg := forward.Config{FromEmail: "fwd@acme.example", ForwardMapping: map[string][]string{"info@acme.example": {"ops@team.example"}}}
	runner := func(host string) *reforward.Runner {
		s := newStore(db.Client(), table, owner(host, 1))
		return &reforward.Runner{Source: src, Sender: sesSender(proxy.URL), JournalPath: filepath.Join(t.TempDir(), "journal.jsonl"),
			Claims: s, Log: actionlog.Tee{&memLog{}, s}, Backoff: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond}
	}
	plan := func(r *reforward.Runner, opts reforward.Options) *reforward.Plan {
		t.Helper()
		p, err := r.Plan(context.Background(), keys, opts)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	run := func(r *reforward.Runner, p *reforward.Plan) reforward.Result {
		t.Helper()
		var res reforward.Result
		if _, err := r.Run(context.Background(), p, func(x reforward.Result) { res = x }, nil); err != nil {
			t.Fatal(err)
		}
		return res
	}
	ra, rb := runner("a"), runner("b")
	early := plan(rb, reforward.Options{Config: cfg}) // B's plan, before A's send
	if it := early.Items[0]; it.Status != "" {
		t.Fatalf("B's early plan: %s %s", it.Status, it.Reason)
	}

	if res := run(ra, plan(ra, reforward.Options{Config: cfg})); res.Status != reforward.StatusFailed || !res.Refused || !strings.Contains(res.Reason, "Illegal address") {
		t.Fatalf("A's send: %+v", res)
	}
	if proxy.Requests() != 1 {
		t.Fatalf("A's send: %d requests", proxy.Requests())
	}
	reject.Store(false) // SES would take it now: only the claim stops B

	// A's own journal and B's claim say the same.
	if p := plan(ra, reforward.Options{Config: cfg}); !p.Items[0].Refused || p.Preview().Refused != 1 {
		t.Errorf("A's next plan: %+v", p.Items[0])
	}
	p := plan(rb, reforward.Options{Config: cfg})
	it := p.Items[0]
	if it.Status != reforward.StatusFailed || !it.Refused || !strings.Contains(it.Reason, "Illegal address") ||
		!strings.Contains(it.Reason, "to the run of op@a pid 1, team table") || !strings.Contains(it.Reason, "sesbox forward --retry-refused") {
		t.Errorf("B's plan: %s %v %s", it.Status, it.Refused, it.Reason)
	}
	if pv := p.Preview(); pv.Refused != 1 || pv.Messages != 0 {
		t.Errorf("B's preview: %+v", pv)
	}
	if res := run(rb, p); res.Status != reforward.StatusFailed || !res.Refused {
		t.Errorf("B's run: %+v", res)
	}
	// B's plan from before the refusal: the claim stops its send.
	if res := run(rb, early); res.Status != reforward.StatusFailed || !res.Refused || !strings.Contains(res.Reason, "op@a pid 1") {
		t.Errorf("B's early plan, run after A's refusal: %+v", res)
	}
	if proxy.Requests() != 1 || len(proxy.Emails()) != 0 {
		t.Fatalf("B sent what SES refused A: %d requests, %d emails", proxy.Requests(), len(proxy.Emails()))
	}
	// team resolve on B says what it is: nothing in doubt, refused.
	_, err := rb.Claims.(*Store).Resolve(context.Background(), "m0", nil, Decision{}, &memLog{})
	if !errors.Is(err, ErrNoDoubt) || !strings.Contains(err.Error(), "its send to ops@team.example is refused by SES at ") ||
		!strings.Contains(err.Error(), "to the run of op@a pid 1 (") || !strings.Contains(err.Error(), "once it is fixed, sesbox forward --retry-refused sends it") {
		t.Errorf("team resolve of the refused send: %v", err)
	}

	// --retry-refused on B sends it, once; then every machine skips it.
	retry := reforward.Options{Config: cfg, RetryRefused: true}
	if res := run(rb, plan(rb, retry)); res.Status != reforward.StatusSent {
		t.Fatalf("B's --retry-refused: %+v", res)
	}
	if len(proxy.Emails()) != 1 {
		t.Fatalf("after --retry-refused: %d emails", len(proxy.Emails()))
	}
	for name, r := range map[string]*reforward.Runner{"A": ra, "B": rb} {
		for _, opts := range []reforward.Options{{Config: cfg}, retry} {
			if res := run(r, plan(r, opts)); res.Status != reforward.StatusSkipped {
				t.Errorf("%s after B's send (retry refused %v): %+v", name, opts.RetryRefused, res)
			}
		}
	}
	if len(proxy.Emails()) != 1 {
		t.Fatalf("sent %d times", len(proxy.Emails()))
	}
}
