//go:build integration

package team

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/actionlog"
	"github.com/sesbox/sesbox/mailstore/forward"
	"github.com/sesbox/sesbox/mailstore/reforward"
	"github.com/sesbox/sesbox/mailstore/testutil/dynfault"
	"github.com/sesbox/sesbox/mailstore/testutil/peer"
	"github.com/sesbox/sesbox/mailstore/testutil/sesfault"
)

// crashPoint is where operator A's forward run stops for good, as a
// process killed there does: what it wrote until then (table, journal,
// SES) stays, and nothing after.
type crashPoint int

const (
	cpClaimed     crashPoint = iota + 1 // the claim written, SES not called (pending)
	cpStarted                           // the claim marked started, SES not called
	cpSESTook                           // SES took the message, the journal still says sending
	cpJournalSent                       // the journal says sent, the claim has no outcome
	cpSettled                           // the claim says sent, no log entry
	cpLogCut                            // the log entry's write cut by the fault proxy every time (the run stops, alive)
	cpLogDeleted                        // everything written, then the log entry deleted from the table
	cpAnswerLost                        // SES took it and its answer was lost (the run goes on: uncertain)
)

func (p crashPoint) String() string {
	return [...]string{"", "claimed", "started", "SES took it", "journal sent", "settled", "log entry cut", "log entry deleted", "answer lost"}[p]
}

// journalKnows: the points after which A's journal says sent, with the
// SES message id.
func (p crashPoint) journalKnows() bool {
	return p == cpJournalSent || p == cpSettled || p == cpLogCut || p == cpLogDeleted
}

var errDied = errors.New("the process died")

// crashing is A's process: its claims, SES and action log stop at the
// crash point, and its journal file is kept as it was then (the run's
// own error handling writes on to a file no later process reads).
type crashing struct {
	*Store
	at      crashPoint
	dead    atomic.Bool
	journal string
	snap    []byte
}

func (c *crashing) die() error {
	b, err := os.ReadFile(c.journal)
	if err != nil {
		panic(err)
	}
	c.snap = b
	c.dead.Store(true)
	return errDied
}

func (c *crashing) Claim(ctx context.Context, ref reforward.SendRef, again, retry, retryRefused bool) (string, reforward.SharedState, error) {
	if c.dead.Load() {
		return "", reforward.SharedState{}, errDied
	}
	tok, held, err := c.Store.Claim(ctx, ref, again, retry, retryRefused)
	if err == nil && tok != "" && c.at == cpClaimed {
		return "", reforward.SharedState{}, c.die()
	}
	return tok, held, err
}

func (c *crashing) StartSend(ctx context.Context, ref reforward.SendRef, token string) error {
	if c.dead.Load() {
		return errDied
	}
	if err := c.Store.StartSend(ctx, ref, token); err != nil || c.at != cpStarted {
		return err
	}
	return c.die()
}

func (c *crashing) Settle(ctx context.Context, ref reforward.SendRef, token string, o reforward.Outcome) error {
	if c.dead.Load() {
		return errDied
	}
	if c.at == cpJournalSent && o.Sent {
		return c.die()
	}
	return c.Store.Settle(ctx, ref, token, o)
}

type crashSender struct {
	mailstore.Sender
	c *crashing
}

func (s crashSender) SendRaw(ctx context.Context, dests []string, raw []byte) (string, error) {
	if s.c.dead.Load() {
		return "", errDied
	}
	id, err := s.Sender.SendRaw(ctx, dests, raw)
	if err == nil && s.c.at == cpSESTook {
		return "", s.c.die()
	}
	return id, err
}

type crashLog struct {
	reforward.ActionLog
	c *crashing
}

func (l crashLog) Append(a actionlog.Action) error {
	if l.c.dead.Load() {
		return errDied
	}
	if l.c.at == cpSettled {
		return l.c.die()
	}
	return l.ActionLog.Append(a)
}

// testLostRecordNeverSendsTwice is the property over crash points: A's
// forward of one message stops at each point a process can die at (or
// its log entry's write is cut by the fault proxy in front of dynalite,
// or deleted after, or SES's answer is lost), then the team goes on in
// an order drawn at random: A's next process (its journal as the crash
// left it) runs the forward, B (another machine) runs it, and an
// operator on B's machine runs team resolve, deciding by what SES got
// (the recording proxy) as an operator checking the recipients' mail
// would. Then B and A run the forward once more. However it went, the
// message reaches SES at most once at every step; where A's journal
// knew the outcome and A ran, or the operator decided, the job is done:
// it reached SES once and no run calls it uncertain. Without either, a
// message SES may have is never sent again: it stays uncertain.
func testLostRecordNeverSendsTwice(t *testing.T, db *peer.DynamoDB) {
	ses := peer.StartSES(t)
	pass := sesfault.Start(t, ses.URL, nil)
	drop := sesfault.Start(t, ses.URL, func(int) sesfault.Fault { return sesfault.Drop })
	var cutLog atomic.Bool
	dyn := dynfault.StartBody(t, db.URL, func(_ int, op string, body []byte) dynfault.Fault {
		if cutLog.Load() && op == "PutItem" && bytes.Contains(body, []byte(`"kind":{"S":"log"}`)) {
			return dynfault.ResetBefore
		}
		return dynfault.Pass
	})
	cfg := forward.Config{FromEmail: "fwd@acme.example", ForwardMapping: map[string][]string{"info@acme.example": {"ops@team.example"}}}
	emails := func(subject string) int {
		n := 0
		for _, e := range append(pass.Emails(), drop.Emails()...) {
			if subjectOf(e.Raw) == subject {
				n++
			}
		}
		return n
	}
	type actor int
	const (
		ownerRuns actor = iota
		teammateRuns
		operatorDecides
	)
	names := []string{"A's next process runs the forward", "B runs the forward", "an operator on B decides"}
	seed := time.Now().UnixNano()
	rng := rand.New(rand.NewSource(seed))
	t.Logf("seed %d", seed)
	n := 0
	for p := cpClaimed; p <= cpAnswerLost; p++ {
		orders := [][]actor{{ownerRuns}, {teammateRuns}, {operatorDecides}}
		for range 3 {
			order := []actor{}
			for _, i := range rng.Perm(3)[:1+rng.Intn(3)] {
				order = append(order, actor(i))
			}
			orders = append(orders, order)
		}
		for _, order := range orders {
			n++
			// A's next process comes at once (the claim settled a moment
			// ago, its lease running) or a minute on.
			aOff := []time.Duration{0, time.Minute}[rng.Intn(2)]
			var steps []string
			for _, a := range order {
				steps = append(steps, names[a])
			}
			label := fmt.Sprintf("crash at %s, then %s (A's next process %v on)", p, strings.Join(steps, ", "), aOff)
			t.Run(fmt.Sprintf("%d", n), func(t *testing.T) {
				t.Log(label)
				_, table := newTable(t, db)
				key := fmt.Sprintf("inbox/c%d", n)
				src := memSource{key: mail(1000 + n)}
				subject := fmt.Sprintf("Subject: message %d", 1000+n)
				ctx := context.Background()
				runner := func(claims reforward.Claims, sender mailstore.Sender, lg reforward.ActionLog, journal string, clk reforward.Clock) *reforward.Runner {
					return &reforward.Runner{Source: src, Sender: sender, JournalPath: journal, Claims: claims, Log: lg, Clock: clk,
						SendTimeout: 2 * time.Second, Backoff: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond}
				}
				forwardOnce := func(r *reforward.Runner) (reforward.Result, error) {
					t.Helper()
					plan, err := r.Plan(ctx, []string{key}, reforward.Options{Config: cfg})
					if err != nil {
						return reforward.Result{}, err
					}
					var res reforward.Result
					_, err = r.Run(ctx, plan, func(x reforward.Result) { res = x }, nil)
					return res, err
				}

				// A's run, stopped at p.
				aStore := newStore(client(dyn.URL), table, owner("a", 1))
				aStore.Lease = 6 * time.Second
				aJournal := filepath.Join(t.TempDir(), "a-journal.jsonl")
				c := &crashing{Store: aStore, at: p, journal: aJournal}
				sender := mailstore.Sender(sesSender(pass.URL))
				if p == cpAnswerLost {
					sender = sesSender(drop.URL)
				}
				cutLog.Store(p == cpLogCut)
				_, aerr := forwardOnce(runner(c, crashSender{sender, c}, crashLog{actionlog.Tee{aStore}, c}, aJournal, nil))
				cutLog.Store(false)
				if c.snap == nil {
					// The points that are no death: the journal as the run left it.
					_ = c.die()
				}
				if p == cpLogDeleted {
					deleteLogEntries(t, db, table, key)
				}
				t.Logf("A's run: %v; SES has it %d times", aerr, emails(subject))
				took := emails(subject) == 1

				// A's next process: its journal as the crash left it; the
				// crashed process (pid 1) is gone. B is another machine.
				// Both run a minute on, past A's lease.
				aNext := newStore(db.Client(), table, owner("a", 2))
				aNext.alive = func(pid int) bool { return pid != 1 }
				aNext.Now = func() time.Time { return time.Now().Add(aOff) }
				aNextJournal := filepath.Join(t.TempDir(), "a-next-journal.jsonl")
				if err := os.WriteFile(aNextJournal, c.snap, 0o600); err != nil {
					t.Fatal(err)
				}
				b := newStore(db.Client(), table, owner("b", 1))
				b.Now = func() time.Time { return time.Now().Add(time.Minute) }
				bJournal := filepath.Join(t.TempDir(), "b-journal.jsonl")
				runA := func() reforward.Result {
					res, err := forwardOnce(runner(aNext, sesSender(pass.URL), actionlog.Tee{aNext}, aNextJournal, &pausedClock{off: aOff}))
					if err != nil {
						t.Fatalf("A's next run: %v", err)
					}
					return res
				}
				runB := func() reforward.Result {
					res, err := forwardOnce(runner(b, sesSender(pass.URL), actionlog.Tee{b}, bJournal, &pausedClock{off: time.Minute}))
					if err != nil {
						t.Fatalf("B's run: %v", err)
					}
					return res
				}
				decided, healed := false, false
				for _, a := range order {
					switch a {
					case ownerRuns:
						res := runA()
						healed = healed || p.journalKnows()
						t.Logf("A's next run: %s %s", res.Status, res.Reason)
					case teammateRuns:
						res := runB()
						t.Logf("B's run: %s %s", res.Status, res.Reason)
					case operatorDecides:
						j, err := forward.ReadJournal(bJournal)
						if err != nil {
							t.Fatal(err)
						}
						// The operator knows (took): "not sent" of A's send
						// takes --force on B.
						d := Decision{Sent: took, NotSent: !took, Force: !took}
						doubts, err := b.Resolve(ctx, key, j, d, actionlog.Tee{b})
						switch {
						case errors.Is(err, ErrNoDoubt):
							t.Log("the operator finds nothing in doubt")
						case err != nil:
							t.Fatalf("resolve: %v", err)
						default:
							for _, x := range doubts {
								t.Logf("resolve: %s; known: %s; done %q refused %q", x.Why, x.Known(), x.Done, x.Refused)
								if x.Done == "" {
									t.Errorf("the operator's decision (sent: %v) was not recorded: %+v", took, x)
								}
							}
						}
						decided = true
					}
					if got := emails(subject); got > 1 {
						t.Fatalf("after %s: SES got the message %d times", names[a], got)
					}
				}
				lastB, lastA := runB(), runA()
				got := emails(subject)
				if got > 1 {
					t.Fatalf("SES got the message %d times", got)
				}
				switch {
				case decided || healed || p == cpClaimed:
					// The job is done: sent once, and no run calls it in doubt.
					if got != 1 || lastB.Status == reforward.StatusUncertain || lastA.Status == reforward.StatusUncertain {
						t.Errorf("not finished: SES got it %d times; B: %s %s; A: %s %s", got, lastB.Status, lastB.Reason, lastA.Status, lastA.Reason)
					}
				case lastB.Status != reforward.StatusUncertain:
					// No journal told, no one decided: never sent on a guess.
					t.Errorf("in doubt, and B's run says %s %s (SES got it %d times)", lastB.Status, lastB.Reason, got)
				}
			})
		}
	}
}

// deleteLogEntries removes the shared log's entries of key, as a table
// that lost them (a restore from a backup taken before, an item deleted
// by hand): the test's own client, not sesbox, which never deletes.
func deleteLogEntries(t *testing.T, db *peer.DynamoDB, table, key string) {
	t.Helper()
	out, err := db.Client().Query(context.Background(), &dynamodb.QueryInput{
		TableName: aws.String(table), KeyConditionExpression: aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(logPK)},
	})
	if err != nil {
		t.Fatal(err)
	}
	deleted := 0
	for _, it := range out.Items {
		var a actionlog.Action
		if json.Unmarshal([]byte(getS(it, "entry")), &a) != nil || a.Key != key {
			continue
		}
		if _, err := db.Client().DeleteItem(context.Background(), &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: keyOf(logPK, getS(it, "sk"))}); err != nil {
			t.Fatal(err)
		}
		deleted++
	}
	if deleted == 0 {
		t.Fatal("no log entry of the send to delete")
	}
}

// testResolveRecordsWhoDecided: an operator's decision on a send in
// doubt goes to the local and the shared action log first, with who
// decided, when and what was known, and then to the claim; "not sent" is
// refused where the claim says sent with an SES message id, and a
// message with two sends in doubt takes a decision only for the send its
// destinations name. The decision is what every run then goes by.
func testResolveRecordsWhoDecided(t *testing.T, db *peer.DynamoDB) {
	_, table := newTable(t, db)
	ctx := context.Background()
	b := newStore(db.Client(), table, owner("b", 1))
	b.Now = func() time.Time { return time.Now().Add(time.Minute) }
	k := "inbox/0vneinmetj3r4m9ltdtl5drpnghlppk2eqp3vjne"
	send := func(dests ...string) reforward.SendRef {
		return reforward.SendRef{Bucket: "mail", Key: k, ETag: `"e1"`, Destinations: dests}
	}
	// A sent to ops and lost its log entry; A's send to audit lost its
	// answer: each in doubt.
	forgeClaim(t, db, table, send("ops@team.example"), send("ops@team.example"), func(it map[string]types.AttributeValue) {
		it["state"], it["ses_message_id"], it["start"], it["owner_host"], it["owner_user"] = str(claimSent), str("0100-sent"), str(startStarted), str("a"), str("op")
		it["updated_at"] = timeAttr(time.Now().Add(-time.Hour))
	})
	forgeClaim(t, db, table, send("audit@team.example"), send("audit@team.example"), func(it map[string]types.AttributeValue) {
		it["state"], it["start"], it["owner_host"], it["owner_user"] = str(claimUncertain), str(startStarted), str("a"), str("op")
		it["claimed_at"], it["reason"] = timeAttr(time.Now().Add(-time.Hour)), str("no answer from SES: connection reset")
	})
	localPath := filepath.Join(t.TempDir(), "actions.jsonl")
	local, err := actionlog.OpenLog(localPath)
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	lg := actionlog.Tee{local, b}

	// By its SES message id, without destinations: two sends in doubt.
	doubts, err := b.Resolve(ctx, "0vneinmetj3r4m9ltdtl5drpnghlppk2eqp3vjne", nil, Decision{NotSent: true}, lg)
	if h := mailstore.Hint(err); len(doubts) != 2 || !strings.HasPrefix(h, "give the destinations of the send you decide on (--to ") {
		t.Fatalf("two sends in doubt, no destinations: %d, %v", len(doubts), err)
	}
	// Every send in doubt, of any message: no decision is taken of all.
	if all, err := b.Resolve(ctx, "", nil, Decision{}, lg); err != nil || len(all) != 2 {
		t.Fatalf("every send in doubt: %+v %v", all, err)
	}
	if _, err := b.Resolve(ctx, "", nil, Decision{Sent: true}, lg); err == nil {
		t.Fatal("a decision of every send in doubt was taken")
	}
	// Without a decision: what is known, nothing done.
	doubts, err = b.Resolve(ctx, k, nil, Decision{}, lg)
	if err != nil || len(doubts) != 2 || doubts[0].Done != "" || doubts[1].Done != "" {
		t.Fatalf("no decision: %+v %v", doubts, err)
	}
	if kn := doubts[0].Known() + doubts[1].Known(); !strings.Contains(kn, "the claim says sent by op@a pid 7 (SES message id 0100-sent)") ||
		!strings.Contains(kn, "this machine's forward journal has no record of it") {
		t.Errorf("what is known: %s", kn)
	}
	// "Not sent" of the send the claim calls sent is refused: the claim
	// and the log stay as they were.
	doubts, err = b.Resolve(ctx, k, nil, Decision{NotSent: true, Destinations: []string{"ops@TEAM.example"}}, lg)
	if err != nil || len(doubts) != 1 || doubts[0].Done != "" || !strings.Contains(doubts[0].Refused, "the claim says it was sent by op@a pid 7 (SES message id 0100-sent)") {
		t.Fatalf("not sent over a sent claim: %+v %v", doubts, err)
	}
	if st, _ := b.Lookup(ctx, send("ops@team.example")); st.State != reforward.SharedUncertain {
		t.Errorf("after the refusal: %+v", st)
	}
	// The operator decides: ops got it, audit did not.
	if doubts, err = b.Resolve(ctx, k, nil, Decision{Sent: true, Destinations: []string{"ops@team.example"}}, lg); err != nil || doubts[0].Done != "resolved sent" {
		t.Fatalf("sent: %+v %v", doubts, err)
	}
	// "Not sent" of a send A started is refused on B, whose journal
	// cannot know what A's does, unless forced.
	doubts, err = b.Resolve(ctx, k, nil, Decision{NotSent: true, Destinations: []string{"audit@team.example"}}, lg)
	if err != nil || len(doubts) != 1 || doubts[0].Done != "" || doubts[0].StartedBy != "op@a pid 7" ||
		!strings.Contains(doubts[0].Refused, "the send was started by op@a pid 7, not on this machine") ||
		!strings.Contains(doubts[0].Hint, "run sesbox team resolve inbox/0vneinmetj3r4m9ltdtl5drpnghlppk2eqp3vjne on that machine") ||
		!strings.Contains(doubts[0].Hint, "--not-sent --force") {
		t.Fatalf("not sent of another machine's send: %+v %v", doubts, err)
	}
	if st, _ := b.Lookup(ctx, send("audit@team.example")); st.State != reforward.SharedUncertain {
		t.Errorf("after the refusal: %+v", st)
	}
	if doubts, err = b.Resolve(ctx, k, nil, Decision{NotSent: true, Force: true, Destinations: []string{"audit@team.example"}}, lg); err != nil || doubts[0].Done != "resolved not sent" {
		t.Fatalf("not sent, forced: %+v %v", doubts, err)
	}
	if _, err := b.Resolve(ctx, k, nil, Decision{}, lg); !errors.Is(err, ErrNoDoubt) ||
		!strings.Contains(err.Error(), "its send to ops@team.example is resolved as sent by op@b pid 1 at ") ||
		!strings.Contains(err.Error(), "its send to audit@team.example is resolved as not sent by op@b pid 1 at ") {
		t.Errorf("after both decisions: %v", err)
	}
	// A key no send was claimed of: a typo, named as one.
	if _, err := b.Resolve(ctx, "inbox/typo", nil, Decision{Sent: true}, lg); !errors.Is(err, mailstore.ErrNotFound) ||
		!strings.HasPrefix(mailstore.Hint(err), "check the key") {
		t.Errorf("a key without a claim: %v", err)
	}
	// Every run goes by them: ops skipped, with who decided; audit free
	// to claim, with the decision told.
	c := newStore(db.Client(), table, owner("c", 1))
	c.Now = b.Now
	if st, err := c.Lookup(ctx, send("ops@team.example")); err != nil || st.State != reforward.SharedSent || st.SESMessageID != "0100-sent" ||
		st.Resolution != reforward.ResolvedSent || st.ResolvedBy != "op@b pid 1" {
		t.Errorf("ops after the decision: %+v %v", st, err)
	}
	if st, err := c.Lookup(ctx, send("audit@team.example")); err != nil || st.State != reforward.SharedNone || st.Resolution != reforward.ResolvedNotSent {
		t.Errorf("audit after the decision: %+v %v", st, err)
	}
	if st, err := c.Status(ctx); err != nil || len(st.Claims) != 0 || len(st.Unlogged) != 0 {
		t.Errorf("status after the decisions: %+v %v", st, err)
	}
	// Both logs hold both decisions, who made them and what was known.
	localActions, problems, err := actionlog.VerifyLog(localPath)
	if err != nil || len(problems) != 0 {
		t.Fatalf("local log: %v %v", problems, err)
	}
	shared, sharedProblems, _, err := b.VerifyLog(ctx)
	if err != nil || len(sharedProblems) != 0 {
		t.Fatalf("shared log: %v %v", sharedProblems, err)
	}
	for name, actions := range map[string][]actionlog.Action{"local": localActions, "shared": shared} {
		var got []string
		for _, a := range actions {
			got = append(got, fmt.Sprintf("%s %s@%s %s %s %s", a.Command, a.User, a.Host, a.Destinations, a.Result, a.SESMessageID))
			if !strings.HasPrefix(a.Note, "decided by op@b pid 1") || !strings.Contains(a.Note, ": what was known: the claim says ") || a.Time.IsZero() {
				t.Errorf("%s log: %+v", name, a)
			}
		}
		if n := actions[len(actions)-1].Note; !strings.HasPrefix(n, "decided by op@b pid 1 with --force (the send was started by op@a pid 7): ") {
			t.Errorf("%s log: the forced decision: %s", name, n)
		}
		want := []string{"resolve op@b [ops@team.example] sent 0100-sent", "resolve op@b [audit@team.example] not sent "}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s log: %q, want %q", name, got, want)
		}
	}
}

// testResolveKeepsARefusal: A's run got SES's refusal of the message
// itself and its journal says so, but the claim's outcome was lost (the
// send reads uncertain everywhere). "Not sent" decided on A keeps the
// refusal in the claim, as A's journal has it: B does not send it
// without --retry-refused. Decided as "not sent" alone, B's next run
// sent it to be refused again. A refusal older than the claim is an
// earlier attempt's: "not sent" is all that is recorded.
func testResolveKeepsARefusal(t *testing.T, db *peer.DynamoDB) {
	_, table := newTable(t, db)
	ctx := context.Background()
	a, b := newStore(db.Client(), table, owner("a", 1)), newStore(db.Client(), table, owner("b", 1))
	k := "inbox/0vneinmetj3r4m9ltdtl5drpnghlppk2eqp3vjne"
	send := func(dest string) reforward.SendRef {
		return reforward.SendRef{Bucket: "mail", Key: k, ETag: `"e1"`, Destinations: []string{dest}}
	}
	claimed := time.Now().Add(-time.Hour).UTC()
	j, err := forward.OpenJournal(filepath.Join(t.TempDir(), "journal.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	for dest, at := range map[string]time.Time{"ops@team.example": claimed.Add(time.Minute), "audit@team.example": claimed.Add(-time.Minute)} {
		forgeClaim(t, db, table, send(dest), send(dest), func(it map[string]types.AttributeValue) {
			it["state"], it["start"], it["owner_host"], it["owner_user"], it["owner_pid"] = str(claimUncertain), str(startStarted), str("a"), str("op"), num(1)
			it["claimed_at"], it["reason"] = timeAttr(claimed), str("the team table could not record the outcome")
		})
		if err := j.Record(forward.Entry{Bucket: "mail", Key: k, ETag: "e1", Destinations: []string{dest}, State: forward.StateFailed,
			Refused: true, Error: "SES rejected this message: Illegal address", Time: at}); err != nil {
			t.Fatal(err)
		}
	}
	for _, dest := range []string{"ops@team.example", "audit@team.example"} {
		doubts, err := a.Resolve(ctx, k, j, Decision{NotSent: true, Destinations: []string{dest}}, &memLog{})
		if err != nil || len(doubts) != 1 || doubts[0].Done != "resolved not sent" || doubts[0].StartedBy != "" ||
			!strings.Contains(doubts[0].Known(), "this machine's forward journal says SES refused it for the message itself ") {
			t.Fatalf("%s: not sent on A: %+v %v", dest, doubts, err)
		}
	}
	st, err := b.Lookup(ctx, send("ops@team.example"))
	if err != nil || st.State != reforward.SharedNone || !st.Refused || st.Reason != "SES rejected this message: Illegal address" {
		t.Errorf("B's view of the refused send: %+v %v", st, err)
	}
	if tok, held, err := b.Claim(ctx, send("ops@team.example"), false, false, false); err != nil || tok != "" || !held.Refused {
		t.Errorf("B claims the refused send: %q %+v %v", tok, held, err)
	}
	if tok, _, err := b.Claim(ctx, send("ops@team.example"), false, false, true); err != nil || tok == "" {
		t.Errorf("B claims the refused send with --retry-refused: %q %v", tok, err)
	}
	// The refusal before the claim was an earlier attempt.
	if st, err := b.Lookup(ctx, send("audit@team.example")); err != nil || st.State != reforward.SharedNone || st.Refused {
		t.Errorf("B's view of the send refused before its claim: %+v %v", st, err)
	}
}
