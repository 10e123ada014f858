//go:build integration

package team

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/actionlog"
	"github.com/sesbox/sesbox/mailstore/reforward"
	"github.com/sesbox/sesbox/mailstore/testutil/dynfault"
	"github.com/sesbox/sesbox/mailstore/testutil/peer"
)

// The tests here run against dynalite 4.0.0, which enforces condition
// expressions like DynamoDB; faults come from a proxy in front of it.

// client is a client with the retries sesbox uses, with short waits.
func client(url string) *dynamodb.Client {
	return dynamodb.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(peer.AccessKey, peer.SecretKey, ""),
	}, func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(url)
		o.Retryer = NewRetryer(0, 50*time.Millisecond)
	})
}

// newStore is New for a made-up owner whose process counts as running
// (the made-up pids are not this machine's).
func newStore(c dynamoAPI, table string, o Owner) *Store {
	s := New(c, table, o)
	s.alive = func(int) bool { return true }
	return s
}

// newTable creates a table of its own for the test in the shared dynalite.
func newTable(t *testing.T, db *peer.DynamoDB) (*peer.DynamoDB, string) {
	t.Helper()
	name := "sesbox-" + strings.NewReplacer("/", "-", "_", "-").Replace(t.Name())
	res, err := Init(context.Background(), db.Client(), name)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Created || !strings.Contains(res.ARN, "table/"+name) {
		t.Errorf("init: %+v", res)
	}
	return db, name
}

func owner(host string, pid int) Owner {
	return Owner{Host: host, User: "op", PID: pid, Boot: "boot-" + host}
}

func ref(i int) reforward.SendRef {
	return reforward.SendRef{Bucket: "mail", Key: fmt.Sprintf("inbox/m%02d", i), ETag: `"e` + fmt.Sprint(i) + `"`,
		Destinations: []string{"b@x.example", "a@x.example"}}
}

// TestTeam runs every test against one dynalite (starting one takes a
// second or two), each in a table of its own.
func TestTeam(t *testing.T) {
	db := peer.StartDynamoDB(t)
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, *peer.DynamoDB)
	}{
		{"InitOfAnExistingTable", testInitOfAnExistingTable},
		{"MissingTableSaysHowToCreateIt", testMissingTableSaysHowToCreateIt},
		{"ClaimsRace", testClaimsRace},
		{"ClaimLifecycle", testClaimLifecycle},
		{"DomainCaseIsOneSend", testDomainCaseIsOneSend},
		{"ExpiredLeaseAndDeadOwnerAreUncertain", testExpiredLeaseAndDeadOwnerAreUncertain},
		{"RetriedWritesAreRecognised", testRetriedWritesAreRecognised},
		{"UnreachableTableIsAnError", testUnreachableTableIsAnError},
		{"ReadStateLastWriterWins", testReadStateLastWriterWins},
		{"ReadStateByTheTableClock", testReadStateByTheTableClock},
		{"ReadMarkFromTheFutureIsNoWriters", testReadMarkFromTheFutureIsNoWriters},
		{"OwnPIDOfAnEarlierProcess", testOwnPIDOfAnEarlierProcess},
		{"SharedLogTwoWriters", testSharedLogTwoWriters},
		{"LocalLogCutOffIsSeenInTheSharedLog", testLocalLogCutOffIsSeenInTheSharedLog},
		{"StatusShowsClaimsAndKinds", testStatusShowsClaimsAndKinds},
		{"PolicyIsLeastPrivilege", testPolicyIsLeastPrivilege},
		{"ForwardRunsShareClaims", testForwardRunsShareClaims},
		{"RefusedIsRefusedOnEveryMachine", testRefusedIsRefusedOnEveryMachine},
		{"PausedPastLeaseDoesNotSend", testPausedPastLeaseDoesNotSend},
		{"PausedAfterStartingDoesNotSend", testPausedAfterStartingDoesNotSend},
		{"ClockSkewDoesNotTakeOverALiveClaim", testClockSkewDoesNotTakeOverALiveClaim},
		{"ARunWaitsForTheClaimItMeets", testARunWaitsForTheClaimItMeets},
		{"TwoRunsDoNotMoveInLockstep", testTwoRunsDoNotMoveInLockstep},
		{"DelayedAnswerIsNoClockSkew", testDelayedAnswerIsNoClockSkew},
		{"TwoPacedRunsShareTheWork", testTwoPacedRunsShareTheWork},
		{"LongPaceWaitKeepsTheClaim", testLongPaceWaitKeepsTheClaim},
		{"TwoRunsKeepToTheAccountRateTogether", testTwoRunsKeepToTheAccountRateTogether},
		{"FirstReadMarkByTheTableClock", testFirstReadMarkByTheTableClock},
		{"MailboxesShareReadState", testMailboxesShareReadState},
		{"ForgedClaimsAreNotTrusted", testForgedClaimsAreNotTrusted},
		{"ForgedClaimsDoNotSteerARun", testForgedClaimsDoNotSteerARun},
		{"UnloggedSentClaimIsInDoubt", testUnloggedSentClaimIsInDoubt},
		{"TableFaultsMidForward", testTableFaultsMidForward},
		{"PaceFromTheFutureIsNoRuns", testPaceFromTheFutureIsNoRuns},
		{"AgainSendsOnceAcrossTheTeam", testAgainSendsOnceAcrossTheTeam},
		{"LostRecordNeverSendsTwice", testLostRecordNeverSendsTwice},
		{"ResolveRecordsWhoDecided", testResolveRecordsWhoDecided},
		{"ResolveKeepsARefusal", testResolveKeepsARefusal},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, db) })
	}
}

// testInitOfAnExistingTable: a second operator runs the documented
// setup, team init, on the table the first created: it is told the table
// is fit and nothing changes (before: "already exists", exit 1). A table
// made by hand with the right keys is fit too and gets its meta record.
// A table with other keys, one with a TTL on an attribute sesbox writes
// (DynamoDB would delete claims by it) and one set up for another schema
// each fail, hint first, and nothing changes.
func testInitOfAnExistingTable(t *testing.T, db *peer.DynamoDB) {
	db, table := newTable(t, db)
	ctx := context.Background()
	s := newStore(db.Client(), table, owner("h", 1))
	tok, _, err := s.Claim(ctx, ref(1), false, false, false)
	if err != nil || tok == "" {
		t.Fatal(err)
	}
	res, err := Init(ctx, db.Client(), table)
	if err != nil || res.Created || !strings.Contains(res.ARN, "table/"+table) {
		t.Fatalf("second init: %+v %v", res, err)
	}
	for _, want := range []string{"keys pk, sk (strings)", "no TTL", "schema 1, set up by ", "ACTIVE, PAY_PER_REQUEST"} {
		if !strings.Contains(res.Fit, want) {
			t.Errorf("fit %q lacks %q", res.Fit, want)
		}
	}
	st, err := s.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.State != "ACTIVE" || st.Billing != "PAY_PER_REQUEST" || st.Counts["meta"] != 1 || st.Counts["claim"] != 1 || len(st.Claims) != 1 {
		t.Errorf("status after the second init %+v", st)
	}
	// Every kind is counted, none included as 0 (--json left it out:
	// counts.read was null to a script).
	b, _ := json.Marshal(st.Counts)
	if want := `{"claim":1,"head":0,"log":0,"meta":1,"read":0}`; string(b) != want {
		t.Errorf("counts %s, want %s", b, want)
	}
	d, err := db.Client().DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Table.KeySchema) != 2 || aws.ToString(d.Table.KeySchema[0].AttributeName) != "pk" || aws.ToString(d.Table.KeySchema[1].AttributeName) != "sk" {
		t.Errorf("key schema %+v", d.Table.KeySchema)
	}

	create := func(name string, keys ...string) {
		t.Helper()
		in := &dynamodb.CreateTableInput{TableName: aws.String(name), BillingMode: types.BillingModePayPerRequest}
		for i, k := range keys {
			kt := types.KeyTypeHash
			if i == 1 {
				kt = types.KeyTypeRange
			}
			name, typ, _ := strings.Cut(k, ":")
			in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{AttributeName: aws.String(name), AttributeType: types.ScalarAttributeType(typ)})
			in.KeySchema = append(in.KeySchema, types.KeySchemaElement{AttributeName: aws.String(name), KeyType: kt})
		}
		if _, err := db.Client().CreateTable(ctx, in); err != nil {
			t.Fatal(err)
		}
		w := dynamodb.NewTableExistsWaiter(db.Client(), func(o *dynamodb.TableExistsWaiterOptions) { o.MinDelay = 100 * time.Millisecond })
		if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	byHand := table + "-by-hand"
	create(byHand, "pk:S", "sk:S")
	if res, err := Init(ctx, db.Client(), byHand); err != nil || res.Created || !strings.Contains(res.Fit, "keys pk, sk") {
		t.Fatalf("init of a table made by hand: %+v %v", res, err)
	}
	if st, err := newStore(db.Client(), byHand, owner("h", 1)).Status(ctx); err != nil || st.Counts["meta"] != 1 {
		t.Errorf("the meta record of a table made by hand: %+v %v", st, err)
	}

	unfit := func(name, hint string) {
		t.Helper()
		before, _ := db.Client().DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		_, err := Init(ctx, db.Client(), name)
		if got := mailstore.Explain(err); err == nil || !strings.HasPrefix(got, hint) || !strings.Contains(got, "nothing was changed") {
			t.Errorf("init of %s: %q, want it to start %q", name, got, hint)
		}
		after, _ := db.Client().DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		if aws.ToInt64(after.Table.ItemCount) != aws.ToInt64(before.Table.ItemCount) {
			t.Errorf("init of %s wrote to it", name)
		}
	}
	create(table+"-id", "id:S")
	unfit(table+"-id", "give another table's name (--table or team_table): team table "+table+"-id exists with keys HASH id (S), and sesbox needs")
	create(table+"-numbers", "pk:N", "sk:S")
	unfit(table+"-numbers", "give another table's name (--table or team_table): team table "+table+"-numbers exists with keys HASH pk (N), RANGE sk (S)")
	create(table+"-newer", "pk:S", "sk:S")
	if _, err := db.Client().PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table + "-newer"),
		Item: map[string]types.AttributeValue{"pk": str("meta"), "sk": str("table"), "kind": str("meta"), "schema": num(2)}}); err != nil {
		t.Fatal(err)
	}
	unfit(table+"-newer", "use a sesbox that knows schema 2, or give another table")

	// A TTL on "ver" would delete claims: dynalite cannot have one, the
	// proxy answers as DynamoDB does for a table that has.
	px := dynfault.Start(t, db.URL, func(_ int, op string) dynfault.Fault {
		if op == "DescribeTimeToLive" {
			return dynfault.TTLEnabled
		}
		return dynfault.Pass
	})
	px.TTLAttribute = "ver"
	_, err = Init(ctx, client(px.URL), table)
	if got := mailstore.Explain(err); !strings.HasPrefix(got, "turn the TTL off (aws dynamodb update-time-to-live --table-name "+table) {
		t.Errorf("init of a table with a TTL on ver: %q", got)
	}
	px.TTLAttribute = "expires_at"
	if res, err := Init(ctx, client(px.URL), table); err != nil || !strings.Contains(res.Fit, `TTL on "expires_at", which sesbox never writes`) {
		t.Errorf("init of a table with a TTL on an attribute of its own: %+v %v", res, err)
	}
}

func testMissingTableSaysHowToCreateIt(t *testing.T, db *peer.DynamoDB) {
	s := newStore(db.Client(), "nope", owner("h", 1))
	_, err := s.Lookup(context.Background(), ref(1))
	if err == nil || !strings.Contains(err.Error(), "sesbox team init --table nope") {
		t.Fatalf("lookup on a missing table: %v", err)
	}
}

// TestClaimsRace: two "machines", four goroutines each, all claim the
// same 30 sends at once: each send is won exactly once.
func testClaimsRace(t *testing.T, db *peer.DynamoDB) {
	db, table := newTable(t, db)
	stores := []*Store{newStore(db.Client(), table, owner("a", 100)), newStore(db.Client(), table, owner("b", 200))}
	var (
		mu   sync.Mutex
		wins = map[int]int{}
		wg   sync.WaitGroup
	)
	for g := range 8 {
		s := stores[g%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 30 {
				tok, held, err := s.Claim(context.Background(), ref(i), false, false, false)
				if err != nil {
					t.Error(err)
					return
				}
				if tok == "" {
					if held.State != reforward.SharedClaimed {
						t.Errorf("refused with %+v", held)
					}
					continue
				}
				mu.Lock()
				wins[i]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for i := range 30 {
		if wins[i] != 1 {
			t.Errorf("send %d claimed %d times", i, wins[i])
		}
	}
	st, err := stores[0].Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Counts["claim"] != 30 || len(st.Claims) != 30 || st.Claims[0].State != reforward.SharedClaimed {
		t.Errorf("status: %v, %d claims", st.Counts, len(st.Claims))
	}
}

func testClaimLifecycle(t *testing.T, db *peer.DynamoDB) {
	db, table := newTable(t, db)
	ctx := context.Background()
	a := newStore(db.Client(), table, owner("a", 100))
	b := newStore(db.Client(), table, owner("b", 200))
	r := ref(1)

	tok, _, err := a.Claim(ctx, r, false, false, false)
	if err != nil || tok == "" {
		t.Fatalf("claim: %q %v", tok, err)
	}
	// The same send with the destinations in another order is the same send.
	r2 := r
	r2.Destinations = []string{"a@x.example", "b@x.example", "a@x.example"}
	r2.ETag = "e1"
	if st, err := b.Lookup(ctx, r2); err != nil || st.State != reforward.SharedClaimed || st.Owner != "op@a pid 100" {
		t.Fatalf("b sees %+v %v", st, err)
	}
	// Only the claim's own token settles it.
	if err := b.Settle(ctx, r, "not-the-token", reforward.Outcome{Sent: true, SESMessageID: "x"}); err == nil {
		t.Fatal("a foreign token settled the claim")
	}
	if err := a.Settle(ctx, r, tok, reforward.Outcome{Sent: true, SESMessageID: "ses-1"}); err != nil {
		t.Fatal(err)
	}
	st, err := b.Lookup(ctx, r)
	if err != nil || st.State != reforward.SharedSent || st.SESMessageID != "ses-1" {
		t.Fatalf("after sent: %+v %v", st, err)
	}
	if tok, held, _ := b.Claim(ctx, r, false, true, false); tok != "" || held.State != reforward.SharedSent {
		t.Fatalf("a sent send was claimed again without --again: %q %+v", tok, held)
	}
	// --again over the send its plan saw claims it; when that send
	// certainly fails, it is sent again as before (with the first id),
	// not failed.
	seen := r
	seen.Seen = "ses-1"
	tok2, _, err := b.Claim(ctx, seen, true, false, false)
	if err != nil || tok2 == "" {
		t.Fatalf("--again: %q %v", tok2, err)
	}
	if err := b.Settle(ctx, r, tok2, reforward.Outcome{NotSent: true, Reason: "400"}); err != nil {
		t.Fatal(err)
	}
	if st, _ := a.Lookup(ctx, r); st.State != reforward.SharedSent || st.SESMessageID != "ses-1" {
		t.Fatalf("after a failed --again: %+v", st)
	}
	// A failed send may be claimed by anyone.
	r3 := ref(3)
	tok3, _, _ := a.Claim(ctx, r3, false, false, false)
	if err := a.Settle(ctx, r3, tok3, reforward.Outcome{NotSent: true, Reason: "MessageRejected"}); err != nil {
		t.Fatal(err)
	}
	if tok, _, err := b.Claim(ctx, r3, false, false, false); tok == "" || err != nil {
		t.Fatalf("a failed send could not be claimed: %v", err)
	}
	// An outcome nobody knows is uncertain for everyone.
	r4 := ref(4)
	tok4, _, _ := a.Claim(ctx, r4, false, false, false)
	if err := a.Settle(ctx, r4, tok4, reforward.Outcome{Reason: "connection reset"}); err != nil {
		t.Fatal(err)
	}
	if tok, held, _ := b.Claim(ctx, r4, false, false, false); tok != "" || held.State != reforward.SharedUncertain || !strings.Contains(held.Reason, "connection reset") {
		t.Fatalf("uncertain send claimed: %q %+v", tok, held)
	}
	if tok, _, _ := b.Claim(ctx, r4, false, true, false); tok == "" {
		t.Fatal("--retry-uncertain could not claim an uncertain send")
	}
}

func testExpiredLeaseAndDeadOwnerAreUncertain(t *testing.T, db *peer.DynamoDB) {
	db, table := newTable(t, db)
	ctx := context.Background()
	a := newStore(db.Client(), table, owner("a", 100))
	a.Lease = time.Minute
	tok, _, _ := a.Claim(ctx, ref(1), false, false, false)
	if tok == "" {
		t.Fatal("no claim")
	}
	b := newStore(db.Client(), table, owner("b", 200))
	if st, _ := b.Lookup(ctx, ref(1)); st.State != reforward.SharedClaimed {
		t.Fatalf("fresh claim: %+v", st)
	}
	b.Now = func() time.Time { return time.Now().Add(2 * time.Minute) }
	// Its run never called SES: past its lease, it is no send at all.
	if st, _ := b.Lookup(ctx, ref(1)); st.State != reforward.SharedNone {
		t.Fatalf("claim past its lease, its send never started: %+v", st)
	}
	if err := a.StartSend(ctx, ref(1), tok); err != nil {
		t.Fatal(err)
	}
	if st, _ := b.Lookup(ctx, ref(1)); st.State != reforward.SharedUncertain {
		t.Fatalf("claim past its lease, its send started: %+v", st)
	}
	// An --again claim never started is the send it was made over.
	t3, _, _ := a.Claim(ctx, ref(3), false, false, false)
	if err := a.Settle(ctx, ref(3), t3, reforward.Outcome{Sent: true, SESMessageID: "ses-first"}); err != nil {
		t.Fatal(err)
	}
	// Logged, as a run logs each send: a sent claim is trusted as far
	// as the shared log bears it out (confirmed).
	if err := a.Append(actionlog.Action{Command: "forward", Bucket: "mail", Key: ref(3).Key, ETag: ref(3).ETag, SESMessageID: "ses-first", Result: "sent"}); err != nil {
		t.Fatal(err)
	}
	again := ref(3)
	again.Seen = "ses-first"
	if t3, _, _ = a.Claim(ctx, again, true, false, false); t3 == "" {
		t.Fatal("no --again claim")
	}
	if st, _ := b.Lookup(ctx, ref(3)); st.State != reforward.SharedSent || st.SESMessageID != "ses-first" {
		t.Fatalf("an --again claim past its lease, never started: %+v, want sent as ses-first", st)
	}
	if t4, _, _ := b.Claim(ctx, ref(3), false, false, false); t4 != "" {
		t.Fatal("a run without --again claimed a message sent before")
	}

	// Two machines taking over the same expired claim: one wins.
	c := newStore(db.Client(), table, owner("c", 300))
	c.Now = b.Now
	var wins int
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, s := range []*Store{b, c, b, c} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if tok, _, err := s.Claim(ctx, ref(1), false, true, false); err == nil && tok != "" {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("%d runs took over the expired claim", wins)
	}

	// On the owner's own machine a dead owner is known at once.
	tok2, _, _ := a.Claim(ctx, ref(2), false, false, false)
	if tok2 == "" {
		t.Fatal("no claim")
	}
	same := newStore(db.Client(), table, owner("a", 101))
	same.alive = func(pid int) bool { return pid != 100 }
	if st, _ := same.Lookup(ctx, ref(2)); st.State != reforward.SharedNone {
		t.Fatalf("claim of a dead process on this machine, its send never started: %+v", st)
	}
	if err := a.StartSend(ctx, ref(2), tok2); err != nil {
		t.Fatal(err)
	}
	if st, _ := same.Lookup(ctx, ref(2)); st.State != reforward.SharedUncertain {
		t.Fatalf("claim of a dead process on this machine, its send started: %+v", st)
	}
	// Another machine cannot tell: it waits for the lease.
	other := newStore(db.Client(), table, owner("z", 100))
	other.alive = func(int) bool { return false }
	if st, _ := other.Lookup(ctx, ref(2)); st.State != reforward.SharedClaimed {
		t.Fatalf("another machine judged the pid: %+v", st)
	}
}

// TestRetriedWritesAreRecognised: the connection is cut after dynalite
// applied each write; the client's retry then fails its condition, and
// the store must recognise its own write rather than report a lost race.
func testRetriedWritesAreRecognised(t *testing.T, db *peer.DynamoDB) {
	db, table := newTable(t, db)
	ctx := context.Background()
	var drops, throttles atomic.Int32
	px := dynfault.Start(t, db.URL, func(n int, op string) dynfault.Fault {
		if op == "PutItem" && n%2 == 1 {
			drops.Add(1)
			return dynfault.Drop
		}
		if op == "UpdateItem" && n%3 == 0 {
			throttles.Add(1)
			return dynfault.Throttle
		}
		return dynfault.Pass
	})
	s := newStore(client(px.URL), table, owner("a", 100))
	// A pace write the client retries is the run's own: the sends' slots
	// follow each other, none taken twice (one a second). Every first
	// attempt of a pace write is applied and its answer cut.
	var puts atomic.Int32
	pacePx := dynfault.Start(t, db.URL, func(_ int, op string) dynfault.Fault {
		if op == "PutItem" && puts.Add(1)%2 == 1 {
			return dynfault.Drop
		}
		return dynfault.Pass
	})
	ps := newStore(client(pacePx.URL), table, owner("a", 100))
	var slot time.Time
	for i := range 4 {
		at, err := ps.PaceSend(ctx, 1, 1)
		if err != nil {
			t.Fatalf("pace %d through a dropping proxy: %v", i, err)
		}
		if d := at.Sub(slot) - time.Second; !slot.IsZero() && (d > time.Millisecond || d < -time.Millisecond) {
			t.Errorf("slot %d is %v after the one before, want 1s", i, at.Sub(slot))
		}
		slot = at
	}
	for i := range 6 {
		tok, held, err := s.Claim(ctx, ref(i), false, false, false)
		if err != nil || tok == "" {
			t.Fatalf("claim %d through a dropping proxy: %q %+v %v", i, tok, held, err)
		}
		if err := s.Settle(ctx, ref(i), tok, reforward.Outcome{Sent: true, SESMessageID: fmt.Sprint("id", i)}); err != nil {
			t.Fatalf("settle %d: %v", i, err)
		}
		if err := s.Append(actionlog.Action{Command: "forward", Bucket: "mail", Key: ref(i).Key, Result: "sent"}); err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
	}
	_, problems, head, err := newStore(db.Client(), table, owner("v", 1)).VerifyLog(ctx)
	if err != nil || len(problems) > 0 || head == nil || head.Count != 6 {
		t.Fatalf("log after dropped writes: %v %v %+v", problems, err, head)
	}
	if drops.Load() < 6 || throttles.Load() < 1 {
		t.Errorf("%d drops, %d throttles (%v): faults not exercised", drops.Load(), throttles.Load(), px.Ops())
	}
}

// TestUnreachableTableIsAnError: a table that stops answering makes every
// call fail (after the client's retries) instead of hanging or passing.
func testUnreachableTableIsAnError(t *testing.T, db *peer.DynamoDB) {
	db, table := newTable(t, db)
	px := dynfault.Start(t, db.URL, func(int, string) dynfault.Fault { return dynfault.Refuse })
	s := newStore(client(px.URL), table, owner("a", 100))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if tok, _, err := s.Claim(ctx, ref(1), false, false, false); err == nil || tok != "" {
		t.Fatalf("claim on an unreachable table: %q %v", tok, err)
	}
	if err := s.AppendContext(ctx, actionlog.Action{Command: "forward"}); err == nil {
		t.Fatal("append on an unreachable table passed")
	}
	if err := s.SetRead(ctx, "mail", "k", true); err == nil || !strings.Contains(err.Error(), "unreachable (earlier in this run") {
		t.Fatalf("set read after the table was found unreachable: %v", err)
	}
}

func testReadStateLastWriterWins(t *testing.T, db *peer.DynamoDB) {
	db, table := newTable(t, db)
	ctx := context.Background()
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	a := newStore(db.Client(), table, owner("a", 1))
	b := newStore(db.Client(), table, owner("b", 2))
	a.Now = func() time.Time { return t0.Add(time.Second) }
	b.Now = func() time.Time { return t0 } // b's write is older, though it arrives later
	if err := a.SetRead(ctx, "mail", "inbox/1", true); err != nil {
		t.Fatal(err)
	}
	if err := b.SetRead(ctx, "mail", "inbox/1", false); err != nil {
		t.Fatal(err)
	}
	if err := b.SetRead(ctx, "mail", "inbox/2", true); err != nil {
		t.Fatal(err)
	}
	if err := b.SetAnswered(ctx, "mail", "inbox/1", true); err != nil {
		t.Fatal(err)
	}
	if err := b.SetRead(ctx, "other", "inbox/1", false); err != nil {
		t.Fatal(err)
	}
	got, err := b.ReadStates(ctx, "mail")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Key != "inbox/1" || !got[0].Read || !got[0].ReadAt.Equal(t0.Add(time.Second)) ||
		got[0].ReadBy != "op@a" || !got[0].Answered || !got[1].Read {
		t.Fatalf("read states %+v", got)
	}
	// A newer write wins.
	b.Now = func() time.Time { return t0.Add(time.Minute) }
	b.SetRead(ctx, "mail", "inbox/1", false)
	if got, _ := a.ReadStates(ctx, "mail"); got[0].Read {
		t.Fatalf("newer unread lost: %+v", got[0])
	}
}

// testReadStateByTheTableClock: B's clock runs ten minutes ahead. B marks
// a message read, then A, a moment later, marks it unread: A's change is
// the later and wins. The flags carry the table's time (the Date of its
// answers), not the writers': before, B's mark carried a time ten minutes
// ahead and A's unread was dropped as older, for ten minutes.
func testReadStateByTheTableClock(t *testing.T, db *peer.DynamoDB) {
	db, table := newTable(t, db)
	ctx := context.Background()
	a := newStore(db.Client(), table, owner("a", 1))
	b := newStore(peer.SkewedDynamoDB(t, db, 10*time.Minute).Client(), table, owner("b", 2))
	b.Now = func() time.Time { return time.Now().Add(10 * time.Minute) }
	if _, err := b.ReadStates(ctx, "mail"); err != nil { // a refresh comes first
		t.Fatal(err)
	}
	if err := b.SetRead(ctx, "mail", "inbox/1", true); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)
	if err := a.SetRead(ctx, "mail", "inbox/1", false); err != nil {
		t.Fatal(err)
	}
	got, err := b.ReadStates(ctx, "mail")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Read || got[0].ReadBy != "op@a" {
		t.Fatalf("read states %+v: A's later unread lost to B's clock", got)
	}
	if d := time.Since(got[0].ReadAt).Abs(); d > 5*time.Second {
		t.Errorf("read_at %v is %v from the table's clock", got[0].ReadAt, d)
	}
}

// testReadMarkFromTheFutureIsNoWriters: anyone with write access to the
// table puts a read mark stamped in 2261. No writer stamps so (every one
// stamps by the table's clock): it is not applied, and the next change
// writes over it. Before, it won over every later change for good
// (SetRead's condition failed in silence) and each refresh put it back.
func testReadMarkFromTheFutureIsNoWriters(t *testing.T, db *peer.DynamoDB) {
	db, table := newTable(t, db)
	ctx := context.Background()
	far := time.Date(2261, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	_, err := db.Client().PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]types.AttributeValue{
		"pk": str(readPK("mail")), "sk": str("inbox/1"), "kind": str("read"), "bucket": str("mail"),
		"read": &types.AttributeValueMemberBOOL{Value: true}, "read_at": num(far), "read_by": str("mallory@elsewhere"),
		"answered": &types.AttributeValueMemberBOOL{Value: true}, "answered_at": num(far),
	}})
	if err != nil {
		t.Fatal(err)
	}
	a := newStore(db.Client(), table, owner("a", 1))
	got, err := a.ReadStates(ctx, "mail")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].HasRead || got[0].Answered {
		t.Fatalf("read states %+v: a mark from 2261 was taken", got)
	}
	if err := a.SetRead(ctx, "mail", "inbox/1", false); err != nil {
		t.Fatal(err)
	}
	got, err = a.ReadStates(ctx, "mail")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !got[0].HasRead || got[0].Read || got[0].ReadBy != "op@a" || time.Since(got[0].ReadAt).Abs() > time.Minute {
		t.Fatalf("read states %+v: the mark from 2261 still stands over A's unread", got)
	}
}

// testOwnPIDOfAnEarlierProcess: a claim left "sending" by a process that
// died, whose pid this process now has (same host, same boot). Its owner
// reads as alive (it is this process), but this process holds no such
// claim: it is uncertain at once. Before, it read as "being forwarded
// right now" until its lease ran out, and a run waited for it.
func testOwnPIDOfAnEarlierProcess(t *testing.T, db *peer.DynamoDB) {
	db, table := newTable(t, db)
	ctx := context.Background()
	earlier := New(db.Client(), table, CurrentOwner())
	tok, _, err := earlier.Claim(ctx, ref(1), false, false, false)
	if err != nil || tok == "" {
		t.Fatalf("claim: %q %v", tok, err)
	}
	if err := earlier.StartSend(ctx, ref(1), tok); err != nil {
		t.Fatal(err)
	}
	live.Delete(tok) // the earlier process is gone
	now := New(db.Client(), table, CurrentOwner())
	if st, err := now.Lookup(ctx, ref(1)); err != nil || st.State != reforward.SharedUncertain {
		t.Fatalf("the dead process's claim: %+v %v", st, err)
	}
	// A claim this process does hold is its own, running.
	tok2, _, err := now.Claim(ctx, ref(2), false, false, false)
	if err != nil || tok2 == "" {
		t.Fatal(err)
	}
	if st, _ := New(db.Client(), table, CurrentOwner()).Lookup(ctx, ref(2)); st.State != reforward.SharedClaimed {
		t.Fatalf("this process's own claim: %+v", st)
	}
	if err := now.Settle(ctx, ref(2), tok2, reforward.Outcome{Sent: true, SESMessageID: "x"}); err != nil {
		t.Fatal(err)
	}
	if _, ok := live.Load(tok2); ok {
		t.Error("a settled claim is still held")
	}
}

// TestSharedLogTwoWriters: two machines append at once; the chain has no
// fork and no gap, and each kind of tampering is named by item.
func testSharedLogTwoWriters(t *testing.T, db *peer.DynamoDB) {
	db, table := newTable(t, db)
	ctx := context.Background()
	var wg sync.WaitGroup
	for g := range 8 {
		s := newStore(db.Client(), table, owner(fmt.Sprint("m", g%2), g))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 5 {
				if err := s.Append(actionlog.Action{Command: "forward", Bucket: "mail", Key: fmt.Sprintf("k%d-%d", g, i),
					Destinations: []string{"d@x.example"}, Result: "sent"}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	v := newStore(db.Client(), table, owner("auditor", 1))
	actions, problems, head, err := v.VerifyLog(ctx)
	if err != nil || len(problems) > 0 {
		t.Fatalf("verify: %v %v", problems, err)
	}
	if len(actions) != 40 || head.Count != 40 {
		t.Fatalf("%d entries, head %d", len(actions), head.Count)
	}
	keys := map[string]bool{}
	for i, a := range actions {
		if a.Seq != int64(i+1) {
			t.Errorf("entry %d has seq %d", i+1, a.Seq)
		}
		keys[a.Key] = true
	}
	if len(keys) != 40 {
		t.Errorf("%d distinct entries", len(keys))
	}

	// Edit entry 7 in place (as anyone with PutItem could).
	entries, _, _ := v.ReadLog(ctx)
	edited := strings.Replace(string(entries[6].Raw), "d@x.example", "evil@x.example", 1)
	put := func(sk, entry string) {
		t.Helper()
		_, err := db.Client().PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]types.AttributeValue{
			"pk": str("log"), "sk": str(sk), "kind": str("log"), "entry": str(entry)}})
		if err != nil {
			t.Fatal(err)
		}
	}
	put(seqSK(7), edited)
	_, problems, _, _ = v.VerifyLog(ctx)
	if len(problems) != 1 || problems[0].Item != "log/00000000000000000007" || problems[0].Kind != "edited" || problems[0].Line != 7 {
		t.Fatalf("edited entry 7: %v", problems)
	}
	put(seqSK(7), string(entries[6].Raw))
	// Edit the last entry: only the head can tell.
	put(seqSK(40), strings.Replace(string(entries[39].Raw), `"sent"`, `"failed: no"`, 1))
	_, problems, _, _ = v.VerifyLog(ctx)
	if len(problems) != 1 || problems[0].Item != "log/00000000000000000040" {
		t.Fatalf("edited last entry: %v", problems)
	}
	put(seqSK(40), string(entries[39].Raw))
	// Remove entries (the test's own client may delete; sesbox's policy has no DeleteItem).
	del := func(n int64) {
		if _, err := db.Client().DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: keyOf("log", seqSK(n))}); err != nil {
			t.Fatal(err)
		}
	}
	del(12)
	del(40)
	_, problems, _, _ = v.VerifyLog(ctx)
	var kinds []string
	for _, p := range problems {
		kinds = append(kinds, p.Kind+"@"+p.Item)
	}
	if strings.Join(kinds, " ") != "truncated@loghead/head removed@log/00000000000000000013" {
		t.Fatalf("removed entries 12 and 40: %v", problems)
	}
}

func testStatusShowsClaimsAndKinds(t *testing.T, db *peer.DynamoDB) {
	db, table := newTable(t, db)
	ctx := context.Background()
	s := newStore(db.Client(), table, owner("a", 100))
	tok, _, _ := s.Claim(ctx, ref(1), false, false, false)
	s.Claim(ctx, ref(2), false, false, false)
	s.Settle(ctx, ref(1), tok, reforward.Outcome{Sent: true, SESMessageID: "id"})
	s.SetRead(ctx, "mail", "inbox/m01", true)
	s.Append(actionlog.Action{Command: "forward"})
	// A reply that went out marks its message answered for everyone.
	if err := s.Append(actionlog.Action{Command: "reply", Bucket: "mail", Key: "inbox/m03", Result: "sent"}); err != nil {
		t.Fatal(err)
	}
	s.Append(actionlog.Action{Command: "reply", Bucket: "mail", Key: "inbox/m04", Result: "failed: no"})
	rs, err := s.ReadStates(ctx, "mail")
	if err != nil || len(rs) != 2 || rs[1].Key != "inbox/m03" || !rs[1].Answered || rs[1].HasRead || rs[0].Answered {
		t.Fatalf("read states after replies: %+v %v", rs, err)
	}
	st, err := s.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"meta": 1, "claim": 2, "read": 2, "log": 3, "head": 1}
	for k, n := range want {
		if st.Counts[k] != n {
			t.Errorf("%s: %d, want %d (%v)", k, st.Counts[k], n, st.Counts)
		}
	}
	if len(st.Claims) != 1 || st.Claims[0].Key != "inbox/m02" || st.Claims[0].Owner != "op@a pid 100" ||
		len(st.Claims[0].Destinations) != 2 || st.Claims[0].ETag != "e2" {
		t.Errorf("claims %+v", st.Claims)
	}
}

func testPolicyIsLeastPrivilege(t *testing.T, _ *peer.DynamoDB) {
	p := Policy("eu-west-1", "123456789012", "t")
	for _, want := range []string{`"arn:aws:dynamodb:eu-west-1:123456789012:table/t"`, `"dynamodb:PutItem"`, `"dynamodb:Query"`} {
		if !strings.Contains(p, want) {
			t.Errorf("policy lacks %s", want)
		}
	}
	for _, never := range []string{"DeleteItem", "DeleteTable", "CreateTable", `"*"`, "dynamodb:*"} {
		if strings.Contains(p, never) {
			t.Errorf("policy grants %s", never)
		}
	}
}

// testLocalLogCutOffIsSeenInTheSharedLog: an operator cuts the last
// entries off the local action log and writes the head that matches;
// the local check alone passes, the shared copy in dynalite shows it.
func testLocalLogCutOffIsSeenInTheSharedLog(t *testing.T, db *peer.DynamoDB) {
	db, table := newTable(t, db)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "actions.jsonl")
	local, err := actionlog.OpenLog(path)
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	s := newStore(db.Client(), table, owner("a", 1))
	tee := actionlog.Tee{local, s}
	for i := range 4 {
		if err := tee.Append(actionlog.Action{Command: "forward", Bucket: "mail", Key: fmt.Sprint("inbox/k", i), Result: "sent"}); err != nil {
			t.Fatal(err)
		}
	}
	// Another machine's entry, of another log.
	if err := newStore(db.Client(), table, owner("b", 2)).Append(actionlog.Action{Command: "reply", Key: "inbox/x", Result: "sent"}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	cut := bytes.Join(lines[:2], nil)
	last := sha256.Sum256(bytes.TrimSuffix(lines[1], []byte("\n")))
	if err := os.WriteFile(path, cut, 0o600); err != nil {
		t.Fatal(err)
	}
	h := fmt.Sprintf(`{"count":2,"last":%q,"size":%d}`, hex.EncodeToString(last[:]), len(cut))
	if err := os.WriteFile(actionlog.HeadPath(path), []byte(h), 0o600); err != nil {
		t.Fatal(err)
	}
	actions, problems, err := actionlog.VerifyLog(path)
	if err != nil || len(problems) != 0 {
		t.Fatalf("the cut local log alone: %v %v", problems, err)
	}
	shared, sharedProblems, _, err := s.VerifyLog(ctx)
	if err != nil || len(sharedProblems) != 0 || len(shared) != 5 {
		t.Fatalf("shared log: %d entries, %v %v", len(shared), sharedProblems, err)
	}
	p, err := actionlog.VerifyAgainstShared(path, actions, shared)
	if err != nil {
		t.Fatal(err)
	}
	if len(p) != 2 || p[0].Kind != "removed" || !strings.Contains(p[0].Detail, "inbox/k2") || !strings.Contains(p[1].Detail, "inbox/k3") {
		t.Errorf("against the shared log: %v", p)
	}
}

// testDomainCaseIsOneSend: the claim of a send was keyed by its
// destinations byte for byte, so an operator forwarding with --to
// c@X.example and another with --to c@x.example (one mailbox: a domain
// has no case) each won a claim and SES sent the message twice. The
// destinations are keyed as mailboxes (sesaccount.AddressKey); a claim an
// earlier sesbox wrote under the old key is still found.
func testDomainCaseIsOneSend(t *testing.T, db *peer.DynamoDB) {
	db, table := newTable(t, db)
	ctx := context.Background()
	a := newStore(db.Client(), table, owner("a", 100))
	b := newStore(db.Client(), table, owner("b", 200))
	r := ref(1)
	r.Destinations = []string{"c@X.example"}
	if tok, _, err := a.Claim(ctx, r, false, false, false); err != nil || tok == "" {
		t.Fatalf("claim: %q %v", tok, err)
	}
	r2 := r
	r2.Destinations = []string{"c@x.EXAMPLE"}
	if tok, held, err := b.Claim(ctx, r2, false, false, false); err != nil || tok != "" || held.State != reforward.SharedClaimed {
		t.Fatalf("the same mailbox spelled otherwise was claimed again: %q %+v %v", tok, held, err)
	}
	// A local part has case: c@x.example and C@x.example are two.
	r3 := r
	r3.Destinations = []string{"C@x.example"}
	if tok, _, err := b.Claim(ctx, r3, false, false, false); err != nil || tok == "" {
		t.Fatalf("another local part: %q %v", tok, err)
	}

	// A send an earlier sesbox recorded under the byte-for-byte key.
	old := ref(2)
	old.Destinations = []string{"d@Y.example"}
	legacy := legacyClaimPK(old.Bucket, old.Key, old.ETag, old.Destinations)
	if legacy == "" || legacy == claimPK(old.Bucket, old.Key, old.ETag, old.Destinations) {
		t.Fatalf("legacy key %q", legacy)
	}
	now := time.Now().UTC()
	_, err := db.Client().PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]types.AttributeValue{
		"pk": str(legacy), "sk": str("claim"), "kind": str("claim"),
		"bucket": str(old.Bucket), "key": str(old.Key), "etag": str("e2"),
		"destinations": list(old.Destinations), "state": str(claimSent), "token": str("t"),
		"owner_host": str("old"), "owner_user": str("op"), "owner_pid": num(7), "owner_boot": str("boot-old"),
		"claimed_at": timeAttr(now), "lease_until": timeAttr(now), "updated_at": timeAttr(now),
		"ver": num(2), "ses_message_id": str("ses-old"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if st, err := b.Lookup(ctx, old); err != nil || st.State != reforward.SharedSent {
		t.Fatalf("lookup of a send recorded by an earlier sesbox: %+v %v", st, err)
	}
	if tok, held, err := b.Claim(ctx, old, false, true, false); err != nil || tok != "" || held.State != reforward.SharedSent {
		t.Fatalf("a send recorded by an earlier sesbox was claimed again: %q %+v %v", tok, held, err)
	}
}
