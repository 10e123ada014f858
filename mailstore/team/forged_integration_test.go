//go:build integration

package team

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sesbox/sesbox/mailstore/actionlog"
	"github.com/sesbox/sesbox/mailstore/forward"
	"github.com/sesbox/sesbox/mailstore/reforward"
	"github.com/sesbox/sesbox/mailstore/testutil/peer"
	"github.com/sesbox/sesbox/mailstore/testutil/sesfault"
)

// forgeClaim puts a claim item for r under the key of at, as anyone with
// write access to the table can: fields a sesbox's claim has, then edit.
func forgeClaim(t *testing.T, db *peer.DynamoDB, table string, r, at reforward.SendRef, edit func(map[string]types.AttributeValue)) {
	t.Helper()
	now := time.Now()
	item := map[string]types.AttributeValue{
		"pk": str(claimPK(at.Bucket, at.Key, at.ETag, at.Destinations)), "sk": str("claim"), "kind": str("claim"),
		"bucket": str(r.Bucket), "key": str(r.Key), "etag": str(strings.Trim(r.ETag, `"`)), "destinations": list(sendSet(r.Destinations)),
		"token": str("forged"), "owner_host": str("elsewhere"), "owner_user": str("mallory"), "owner_pid": num(7), "owner_boot": str("b"),
		"claimed_at": timeAttr(now), "updated_at": timeAttr(now), "lease_until": timeAttr(now.Add(time.Minute)), "ver": num(1),
	}
	edit(item)
	if _, err := db.Client().PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: item}); err != nil {
		t.Fatal(err)
	}
}

var year2261 = time.Date(2261, 1, 1, 0, 0, 0, 0, time.UTC)

// testForgedClaimsAreNotTrusted: claims no sesbox wrote, put by anyone
// with write access to the table: a "sent" without an SES message id, one
// naming no run, one whose fields are another send's than its key's, and
// "sending" claims whose lease ends in 2261 (started, and still pending).
// Each reads uncertain and says why: before, every operator skipped the
// "sent" ones as forwarded (they never were), and a lease in 2261 held its
// message as being forwarded right now, for good, --retry-uncertain
// included. A claim is refused without --retry-uncertain and taken with
// it. sesbox's own sent and running claims are trusted as before. Status
// names each forged claim, and a sent claim whose send the shared log
// lacks.
func testForgedClaimsAreNotTrusted(t *testing.T, db *peer.DynamoDB) {
	db, table := newTable(t, db)
	ctx := context.Background()
	sent := func(id string) func(map[string]types.AttributeValue) {
		return func(it map[string]types.AttributeValue) {
			it["state"] = str(claimSent)
			if id != "" {
				it["ses_message_id"] = str(id)
			}
		}
	}
	forgeClaim(t, db, table, ref(1), ref(1), sent(""))
	forgeClaim(t, db, table, ref(12), ref(2), sent("0100-forged"))
	forgeClaim(t, db, table, ref(3), ref(3), func(it map[string]types.AttributeValue) {
		it["state"], it["start"], it["lease_until"] = str(claimSending), str(startStarted), timeAttr(year2261)
	})
	forgeClaim(t, db, table, ref(5), ref(5), func(it map[string]types.AttributeValue) {
		it["state"], it["start"], it["lease_until"] = str(claimSending), str(startPending), timeAttr(year2261)
	})
	forgeClaim(t, db, table, ref(8), ref(8), func(it map[string]types.AttributeValue) {
		sent("0100-forged-too")(it)
		delete(it, "token")
		delete(it, "owner_pid")
	})
	why := map[int]string{1: "no SES message id", 2: "not the send its key stands for", 3: "lease runs until 2261-01-01T00:00:00Z",
		5: "lease runs until 2261", 8: "names no run"}
	a := newStore(db.Client(), table, owner("a", 100))
	for i, w := range why {
		st, err := a.Lookup(ctx, ref(i))
		if err != nil || st.State != reforward.SharedUncertain || !strings.Contains(st.Suspect, w) {
			t.Errorf("forged claim %d: %+v %v, want uncertain saying %q", i, st, err, w)
		}
		if tok, held, err := a.Claim(ctx, ref(i), false, false, false); err != nil || tok != "" || held.State != reforward.SharedUncertain {
			t.Errorf("claim of forged %d without --retry-uncertain: %q %+v %v", i, tok, held, err)
		}
	}
	// --retry-uncertain takes one over, and its own outcome is trusted.
	tok, _, err := a.Claim(ctx, ref(3), false, true, false)
	if err != nil || tok == "" {
		t.Fatalf("--retry-uncertain over the lease of 2261: %q %v", tok, err)
	}
	if err := a.Settle(ctx, ref(3), tok, reforward.Outcome{Sent: true, SESMessageID: "0100-real-3"}); err != nil {
		t.Fatal(err)
	}
	if st, _ := a.Lookup(ctx, ref(3)); st.State != reforward.SharedSent || st.Suspect != "" || st.SESMessageID != "0100-real-3" {
		t.Errorf("after --retry-uncertain: %+v", st)
	}

	// sesbox's own: a send an hour ago, logged and not; one running now.
	old := newStore(db.Client(), table, owner("b", 200))
	old.Now = func() time.Time { return time.Now().Add(-time.Hour) }
	for _, i := range []int{6, 9} {
		tok, _, err := old.Claim(ctx, ref(i), false, false, false)
		if err != nil || tok == "" {
			t.Fatalf("claim %d: %q %v", i, tok, err)
		}
		if err := old.Settle(ctx, ref(i), tok, reforward.Outcome{Sent: true, SESMessageID: fmt.Sprint("0100-real-", i)}); err != nil {
			t.Fatal(err)
		}
	}
	r9 := ref(9)
	if err := old.Append(actionlog.Action{Command: "forward", Bucket: r9.Bucket, Key: r9.Key, ETag: r9.ETag, Destinations: r9.Destinations,
		SESMessageID: "0100-real-9", Result: "sent"}); err != nil {
		t.Fatal(err)
	}
	if tok, _, err := newStore(db.Client(), table, owner("b", 201)).Claim(ctx, ref(7), false, false, false); err != nil || tok == "" {
		t.Fatalf("claim 7: %q %v", tok, err)
	}
	for i, want := range map[int]string{9: reforward.SharedSent, 7: reforward.SharedClaimed} {
		if st, err := a.Lookup(ctx, ref(i)); err != nil || st.State != want || st.Suspect != "" {
			t.Errorf("sesbox's own claim %d: %+v %v, want %s", i, st, err, want)
		}
	}
	// A sent claim the shared log does not bear out is in doubt for a run
	// as for status (TestTeam/UnloggedSentClaimIsInDoubt).
	if st, err := a.Lookup(ctx, ref(6)); err != nil || st.State != reforward.SharedUncertain ||
		!strings.Contains(st.Suspect, "SES message id 0100-real-6), and the shared action log holds no such send") {
		t.Errorf("sesbox's own sent claim the log lacks: %+v %v, want uncertain saying so", st, err)
	}

	st, err := a.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	suspect := map[string]string{}
	for _, c := range st.Claims {
		if c.Suspect != "" {
			suspect[c.Key] = c.Suspect
		}
		if c.Key == ref(7).Key && (c.State != reforward.SharedClaimed || c.Suspect != "") {
			t.Errorf("status of a running claim: %+v", c)
		}
	}
	if len(suspect) != 4 || suspect[ref(1).Key] == "" || suspect[ref(12).Key] == "" || suspect[ref(5).Key] == "" || suspect[ref(8).Key] == "" {
		t.Errorf("status names %v, want the forged claims of m01, m12, m05, m08", suspect)
	}
	if len(st.Unlogged) != 1 || st.Unlogged[0].Key != ref(6).Key || st.Unlogged[0].SESMessageID != "0100-real-6" {
		t.Errorf("unlogged sends %+v, want m06's alone (m09's is logged, m03's settled a moment ago)", st.Unlogged)
	}
}

// testForgedClaimsDoNotSteerARun: a forward run over three messages, one
// with a forged "sent" (no SES message id) and one held by a forged lease
// that ends in 2261. Both are reported uncertain with what to check first,
// at once, the third sent; --retry-uncertain sends the two, and a third
// run sends nothing: each message reaches SES once. Before, the first was
// skipped as forwarded, and the second waited out a lease and was never
// sent, --retry-uncertain or not.
func testForgedClaimsDoNotSteerARun(t *testing.T, db *peer.DynamoDB) {
	db, table := newTable(t, db)
	ses := peer.StartSES(t)
	proxy := sesfault.Start(t, ses.URL, nil)
	src := memSource{}
	var keys []string
	for i := range 3 {
		k := fmt.Sprintf("inbox/m%d", i)
		src[k], keys = mail(i), append(keys, k)
	}
	ref := func(k string) reforward.SendRef {
		return reforward.SendRef{Bucket: "mail", Key: k, ETag: src.obj(k).ETag, Destinations: []string{"ops@team.example"}}
	}
	forgeClaim(t, db, table, ref(keys[0]), ref(keys[0]), func(it map[string]types.AttributeValue) { it["state"] = str(claimSent) })
	forgeClaim(t, db, table, ref(keys[1]), ref(keys[1]), func(it map[string]types.AttributeValue) {
		it["state"], it["start"], it["lease_until"] = str(claimSending), str(startStarted), timeAttr(year2261)
	})
	cfg := forward.Config{FromEmail: "fwd@acme.example", ForwardMapping: map[string][]string{"info@acme.example": {"ops@team.example"}}}
	s := newStore(db.Client(), table, owner("a", 1))
	s.Lease = 6 * time.Second // so that a wait for the forged lease would end
	r := &reforward.Runner{Source: src, Sender: sesSender(proxy.URL), JournalPath: filepath.Join(t.TempDir(), "journal.jsonl"),
		Claims: s, Log: &memLog{}, Backoff: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond, SendTimeout: 2 * time.Second}
	run := func(opts reforward.Options) map[string]reforward.Result {
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
	first := run(reforward.Options{Config: cfg})
	for _, k := range keys[:2] {
		if x := first[k]; x.Status != reforward.StatusUncertain || !strings.HasPrefix(x.Reason, "check whether it was forwarded, then use sesbox forward --retry-uncertain") ||
			!strings.Contains(x.Reason, "cannot be trusted") {
			t.Errorf("%s with a forged claim: %+v", k, x)
		}
	}
	if first[keys[2]].Status != reforward.StatusSent || len(proxy.Emails()) != 1 {
		t.Fatalf("first run: %+v, %d emails", first[keys[2]], len(proxy.Emails()))
	}
	second := run(reforward.Options{Config: cfg, RetryUncertain: true})
	for _, k := range keys[:2] {
		if second[k].Status != reforward.StatusSent {
			t.Errorf("%s with --retry-uncertain: %+v", k, second[k])
		}
	}
	third := run(reforward.Options{Config: cfg})
	for _, k := range keys {
		if third[k].Status != reforward.StatusSkipped {
			t.Errorf("%s on the third run: %+v", k, third[k])
		}
	}
	if n := len(proxy.Emails()); n != 3 {
		t.Fatalf("%d emails reached SES, want one for each of 3 messages", n)
	}
}

// testPaceFromTheFutureIsNoRuns: anyone with write access to the table
// puts the next send's start in 2261. No run's slots reach so far: the
// next send starts now, not in 2261, and its slot replaces the forged
// start; the one after follows it as usual.
func testPaceFromTheFutureIsNoRuns(t *testing.T, db *peer.DynamoDB) {
	db, table := newTable(t, db)
	ctx := context.Background()
	if _, err := db.Client().PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]types.AttributeValue{
		"pk": str(pacePK), "sk": str(paceSK), "kind": str("pace"), "next": timeAttr(year2261), "ver": num(7), "token": str("forged"),
	}}); err != nil {
		t.Fatal(err)
	}
	s := newStore(db.Client(), table, owner("a", 1))
	at, err := s.PaceSend(ctx, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(at); d > 5*time.Second {
		t.Fatalf("the next send waits %v for a start put in 2261", d)
	}
	next, err := s.PaceSend(ctx, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if d := next.Sub(at); d < 2*time.Second-time.Millisecond || d > 2*time.Second+time.Millisecond {
		t.Errorf("the send after starts %v after it, want its 2 s", d)
	}
}

// brokenLog is a shared log every append to fails, as a table that went
// away after the send did.
type brokenLog struct{}

func (brokenLog) Append(actionlog.Action) error { return errors.New("the action log is unreachable") }

// testUnloggedSentClaimIsInDoubt: a "sent" claim forged to the letter
// (its send's fields under the key they hash to, an SES message id, a
// token, an owner with a pid) and one settled in 2261 are what sesbox
// writes, but the shared action log holds no send of either; a send by
// operator B that could not be logged looks the same. A forward run by A
// reports the three uncertain, what to check first, and sends the message
// B sent and logged not again; with --retry-uncertain A sends the forged
// two, and the logged one still not. Each message reaches SES once. Before,
// a run skipped the forged claims as forwarded (team status listed them
// unlogged), and no operator's run forwarded those messages.
func testUnloggedSentClaimIsInDoubt(t *testing.T, db *peer.DynamoDB) {
	db, table := newTable(t, db)
	ses := peer.StartSES(t)
	proxy := sesfault.Start(t, ses.URL, nil)
	src := memSource{}
	var keys []string
	for i := range 5 {
		k := fmt.Sprintf("inbox/m%d", i)
		src[k], keys = mail(i), append(keys, k)
	}
	ref := func(k string) reforward.SendRef {
		return reforward.SendRef{Bucket: "mail", Key: k, ETag: src.obj(k).ETag, Destinations: []string{"ops@team.example"}}
	}
	cfg := forward.Config{FromEmail: "fwd@acme.example", ForwardMapping: map[string][]string{"info@acme.example": {"ops@team.example"}}}
	runner := func(s *Store, lg reforward.ActionLog, clk reforward.Clock) *reforward.Runner {
		return &reforward.Runner{Source: src, Sender: sesSender(proxy.URL), JournalPath: filepath.Join(t.TempDir(), "journal.jsonl"),
			Claims: s, Log: lg, Clock: clk, Backoff: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond}
	}
	run := func(r *reforward.Runner, keys []string, opts reforward.Options) (map[string]reforward.Result, error) {
		t.Helper()
		p, err := r.Plan(context.Background(), keys, opts)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]reforward.Result{}
		_, err = r.Run(context.Background(), p, func(x reforward.Result) { out[x.Key] = x }, nil)
		return out, err
	}

	// B sends m1 and logs it; B's next run sends m2 and cannot log it.
	b := newStore(db.Client(), table, owner("b", 1))
	if res, err := run(runner(b, actionlog.Tee{b}, nil), keys[1:2], reforward.Options{Config: cfg}); err != nil || res[keys[1]].Status != reforward.StatusSent {
		t.Fatalf("B's run: %+v %v", res, err)
	}
	b2 := newStore(db.Client(), table, owner("b", 2))
	if res, err := run(runner(b2, brokenLog{}, nil), keys[2:3], reforward.Options{Config: cfg}); err == nil || res[keys[2]].Status != reforward.StatusSent {
		t.Fatalf("B's run that could not log its send: %+v %v", res, err)
	}
	// Claims forged exactly as sesbox writes a sent one.
	forgeClaim(t, db, table, ref(keys[0]), ref(keys[0]), func(it map[string]types.AttributeValue) {
		it["state"], it["ses_message_id"], it["start"] = str(claimSent), str("0100-forged"), str(startStarted)
		it["claimed_at"], it["updated_at"] = timeAttr(time.Now().Add(-time.Hour)), timeAttr(time.Now().Add(-time.Hour))
	})
	forgeClaim(t, db, table, ref(keys[3]), ref(keys[3]), func(it map[string]types.AttributeValue) {
		it["state"], it["ses_message_id"], it["start"] = str(claimSent), str("0100-forged-too"), str(startStarted)
		it["updated_at"] = timeAttr(year2261)
	})

	// A runs a minute on, past the time B's entry of m2 could be on its way.
	later := func(host string) (*Store, *pausedClock) {
		s := newStore(db.Client(), table, owner(host, 1))
		s.Now = func() time.Time { return time.Now().Add(time.Minute) }
		return s, &pausedClock{off: time.Minute}
	}
	a, clk := later("a")
	ra := runner(a, actionlog.Tee{a}, clk)
	first, err := run(ra, keys, reforward.Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{keys[0], keys[2], keys[3]} {
		if x := first[k]; x.Status != reforward.StatusUncertain ||
			!strings.HasPrefix(x.Reason, "check whether it was forwarded, then use sesbox forward --retry-uncertain") ||
			!strings.Contains(x.Reason, "and the shared action log holds no such send") {
			t.Errorf("%s, sent by a claim the shared log lacks: %+v", k, x)
		}
	}
	if x := first[keys[1]]; x.Status != reforward.StatusSkipped || !strings.Contains(x.Reason, "op@b pid 1") {
		t.Errorf("%s, sent and logged by B: %+v", keys[1], x)
	}
	if x := first[keys[4]]; x.Status != reforward.StatusSent {
		t.Errorf("%s: %+v", keys[4], x)
	}
	st, err := a.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var unlogged []string
	for _, c := range st.Unlogged {
		unlogged = append(unlogged, c.Key)
	}
	slices.Sort(unlogged)
	if fmt.Sprint(unlogged) != fmt.Sprint([]string{keys[0], keys[2], keys[3]}) {
		t.Errorf("status lists %v unlogged, want m0, m2 and m3, as the run found them", unlogged)
	}

	// The operator checks: m0 and m3 were never forwarded.
	second, err := run(ra, []string{keys[0], keys[1], keys[3]}, reforward.Options{Config: cfg, RetryUncertain: true})
	if err != nil {
		t.Fatal(err)
	}
	if second[keys[0]].Status != reforward.StatusSent || second[keys[3]].Status != reforward.StatusSent || second[keys[1]].Status != reforward.StatusSkipped {
		t.Errorf("with --retry-uncertain: %+v", second)
	}
	c, cclk := later("c")
	third, err := run(runner(c, actionlog.Tee{c}, cclk), keys, reforward.Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		want := reforward.StatusSkipped
		if k == keys[2] {
			want = reforward.StatusUncertain
		}
		if third[k].Status != want {
			t.Errorf("%s, a third operator's run: %+v, want %s", k, third[k], want)
		}
	}
	count := map[string]int{}
	for _, e := range proxy.Emails() {
		count[subjectOf(e.Raw)]++
	}
	if len(proxy.Emails()) != 5 || len(count) != 5 {
		t.Errorf("%d emails reached SES, want one for each of 5 messages: %v", len(proxy.Emails()), count)
	}
}
