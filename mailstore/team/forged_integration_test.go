//go:build integration

package team

import (
	"context"
	"fmt"
	"path/filepath"
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
		if tok, held, err := a.Claim(ctx, ref(i), false, false); err != nil || tok != "" || held.State != reforward.SharedUncertain {
			t.Errorf("claim of forged %d without --retry-uncertain: %q %+v %v", i, tok, held, err)
		}
	}
	// --retry-uncertain takes one over, and its own outcome is trusted.
	tok, _, err := a.Claim(ctx, ref(3), false, true)
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
		tok, _, err := old.Claim(ctx, ref(i), false, false)
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
	if tok, _, err := newStore(db.Client(), table, owner("b", 201)).Claim(ctx, ref(7), false, false); err != nil || tok == "" {
		t.Fatalf("claim 7: %q %v", tok, err)
	}
	for i, want := range map[int]string{6: reforward.SharedSent, 9: reforward.SharedSent, 7: reforward.SharedClaimed} {
		if st, err := a.Lookup(ctx, ref(i)); err != nil || st.State != want || st.Suspect != "" {
			t.Errorf("sesbox's own claim %d: %+v %v, want %s", i, st, err, want)
		}
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
			!strings.Contains(x.Reason, "not written by a sesbox") {
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
