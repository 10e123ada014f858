package reforward

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/forward"
)

func ids(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("m%039d", i)
	}
	return out
}

func TestSendOne(t *testing.T) {
	e := newEnv(t)
	raw := message("hello", "info@acme.example", "PASS")
	key := e.src.put("abc", raw)
	res, tot, err := e.run(t, []string{"abc"}, Options{Config: testConfig})
	if err != nil {
		t.Fatal(err)
	}
	want := Result{Key: key, Recipients: []string{"ops@team.example", "lead@team.example"}, Status: StatusSent, SESMessageID: "ses-0001"}
	if !reflect.DeepEqual(res[0], want) {
		t.Fatalf("result %+v, want %+v", res[0], want)
	}
	if tot != (Totals{Sent: 1}) {
		t.Errorf("totals %+v", tot)
	}
	wantRaw, err := forward.Rewrite(testConfig, raw, "info@acme.example")
	if err != nil {
		t.Fatal(err)
	}
	s := e.ses.sends[0]
	if !bytes.Equal(s.raw, wantRaw) {
		t.Errorf("sent bytes differ from Rewrite:\n%q\n%q", s.raw, wantRaw)
	}
	if !slices.Equal(s.dests, want.Recipients) {
		t.Errorf("envelope %v", s.dests)
	}
	// The action log has the send, with the digest of the bytes sent.
	sum := sha256.Sum256(wantRaw)
	a := e.log.actions
	if len(a) != 1 || a[0].Command != "forward" || a[0].Key != key || a[0].Bucket != "mail" || a[0].ETag == "" ||
		a[0].SHA256 != hex.EncodeToString(sum[:]) || a[0].SESMessageID != "ses-0001" || a[0].Result != "sent" ||
		!slices.Equal(a[0].Destinations, want.Recipients) {
		t.Errorf("action log %+v", a)
	}
	// The journal says sent; the file is private.
	j, err := forward.OpenJournal(e.r.JournalPath)
	if err != nil {
		t.Fatal(err)
	}
	entry, ok := j.Lookup("mail", key, a[0].ETag, want.Recipients)
	j.Close()
	if !ok || entry.State != forward.StateSent || entry.SESMessageID != "ses-0001" {
		t.Errorf("journal %+v %v", entry, ok)
	}
	if st, _ := os.Stat(e.r.JournalPath); st.Mode().Perm() != 0o600 {
		t.Errorf("journal mode %v", st.Mode())
	}
}

func TestAlreadySentIsSkippedUnlessAgain(t *testing.T) {
	e := newEnv(t)
	key := e.src.put("abc", message("hello", "info@acme.example", "PASS"))
	e.run(t, []string{key}, Options{Config: testConfig})
	e.clock.Sleep(context.Background(), time.Hour)

	res, _, err := e.run(t, []string{"abc", key}, Options{Config: testConfig}) // the same message twice
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 {
		t.Fatalf("a repeated input gave %d results", len(res))
	}
	r := res[0]
	if r.Status != StatusSkipped || r.SESMessageID != "ses-0001" ||
		!strings.Contains(r.Reason, "already forwarded 2025-03-14T12:00:00Z") || !strings.Contains(r.Reason, "--again") {
		t.Errorf("second run: %+v", r)
	}
	if len(e.ses.sends) != 1 {
		t.Fatalf("sent %d times", len(e.ses.sends))
	}
	res, _, _ = e.run(t, []string{key}, Options{Config: testConfig, Again: true})
	if res[0].Status != StatusSent || res[0].SESMessageID != "ses-0002" || len(e.ses.sends) != 2 {
		t.Errorf("--again: %+v, %d sends", res[0], len(e.ses.sends))
	}
}

func TestSkipSpamUnlessIncluded(t *testing.T) {
	e := newEnv(t)
	key := e.src.put("spam", message("win", "info@acme.example", "FAIL"))
	res, _, _ := e.run(t, []string{key}, Options{Config: testConfig})
	if r := res[0]; r.Status != StatusSkipped || !strings.Contains(r.Reason, "spam verdict FAIL") ||
		!strings.Contains(r.Reason, "--include-spam") || len(r.Recipients) != 2 {
		t.Errorf("spam: %+v", r)
	}
	if len(e.ses.sends) != 0 || e.src.reads[key] != 0 {
		t.Errorf("spam was read (%d) or sent (%d)", e.src.reads[key], len(e.ses.sends))
	}
	res, _, _ = e.run(t, []string{key}, Options{Config: testConfig, IncludeSpam: true})
	if res[0].Status != StatusSent {
		t.Errorf("--include-spam: %+v", res[0])
	}
}

func TestRecipientsToAndMappingErrors(t *testing.T) {
	e := newEnv(t)
	info := e.src.put("info", message("one", "info@acme.example", "PASS"))
	other := e.src.put("other", message("two", "nobody@acme.example", "PASS"))
	noRcpt := e.src.put("norcpt", []byte("From: a@b.example\r\nSubject: x\r\n\r\nhi\r\n"))

	res, tot, err := e.run(t, []string{info, other, noRcpt, "missing"}, Options{Config: testConfig})
	if err != nil {
		t.Fatal(err)
	}
	if tot != (Totals{Sent: 1, Failed: 3}) {
		t.Errorf("totals %+v", tot)
	}
	if !strings.Contains(res[1].Reason, "no forward destinations for nobody@acme.example") {
		t.Errorf("no mapping: %+v", res[1])
	}
	if !strings.Contains(res[2].Reason, "--recipient") {
		t.Errorf("no recipient: %+v", res[2])
	}
	if res[3].Key != "inbox/missing" || !strings.Contains(res[3].Reason, "no such message") {
		t.Errorf("missing: %+v", res[3])
	}
	for _, r := range res[1:] {
		if r.Recipients == nil || r.Status != StatusFailed {
			t.Errorf("%+v", r)
		}
	}

	// --recipient overrides the envelope; --to skips the mapping.
	res, _, _ = e.run(t, []string{other}, Options{Config: testConfig, Recipients: []string{"Sales@acme.example"}})
	if res[0].Status != StatusSent || !slices.Equal(res[0].Recipients, []string{"sales@team.example"}) {
		t.Errorf("--recipient: %+v", res[0])
	}
	res, _, _ = e.run(t, []string{noRcpt}, Options{To: []string{"x@y.example", "x@y.example", "z@y.example"}})
	if res[0].Status != StatusFailed || !strings.Contains(res[0].Reason, "fromEmail") {
		t.Errorf("--to without a recipient or fromEmail: %+v", res[0])
	}
	res, _, _ = e.run(t, []string{noRcpt}, Options{To: []string{"x@y.example", "x@y.example", "z@y.example"}, Recipients: []string{"me@acme.example"}})
	if res[0].Status != StatusSent || !slices.Equal(res[0].Recipients, []string{"x@y.example", "z@y.example"}) {
		t.Fatalf("--to: %+v", res[0])
	}
	last := e.ses.sends[len(e.ses.sends)-1]
	if !bytes.Contains(last.raw, []byte("From: a at b.example <me@acme.example>\r\n")) {
		t.Errorf("--to: From not rewritten to the recipient:\n%s", last.raw)
	}
}

func TestSplitOver50Destinations(t *testing.T) {
	e := newEnv(t)
	var dests []string
	for i := range 120 {
		dests = append(dests, fmt.Sprintf("d%03d@team.example", i))
	}
	cfg := forward.Config{FromEmail: "f@acme.example", ForwardMapping: map[string][]string{"@": dests}}
	key := e.src.put("big", message("fanout", "all@acme.example", "PASS"))
	// The second send is refused once.
	e.ses.fault = func(call int, _ []string) (error, bool) {
		if call == 2 {
			return &httpErr{400, "MessageRejected"}, false
		}
		return nil, false
	}
	res, _, _ := e.run(t, []string{key}, Options{Config: cfg})
	r := res[0]
	if r.Status != StatusFailed || r.SESMessageID != "ses-0001,ses-0002" || !strings.Contains(r.Reason, "send 2 of 3 (50 destinations): api error MessageRejected") {
		t.Errorf("partly failed: %+v", r)
	}
	if len(r.Recipients) != 120 {
		t.Errorf("%d recipients", len(r.Recipients))
	}
	var sizes []int
	for _, s := range e.ses.sends {
		sizes = append(sizes, len(s.dests))
	}
	if !slices.Equal(sizes, []int{50, 20}) {
		t.Errorf("send sizes %v", sizes)
	}
	// Run again: only the failed part goes.
	res, _, _ = e.run(t, []string{key}, Options{Config: cfg})
	r = res[0]
	if r.Status != StatusSent || r.SESMessageID != "ses-0001,ses-0003,ses-0002" ||
		!strings.Contains(r.Reason, "send 1 of 3 (50 destinations): already forwarded") {
		t.Errorf("rerun: %+v", r)
	}
	seen := map[string]int{}
	for _, s := range e.ses.sends {
		for _, d := range s.dests {
			seen[d]++
		}
	}
	for _, d := range dests {
		if seen[d] != 1 {
			t.Errorf("%s got %d copies", d, seen[d])
		}
	}
}

func TestTooLarge(t *testing.T) {
	e := newEnv(t)
	// The body alone is over the limit: skipped without being downloaded.
	huge := append(message("huge", "info@acme.example", "PASS"), bytes.Repeat([]byte("x"), MaxMessageSize)...)
	hugeKey := e.src.put("huge", huge)
	// Under the limit as stored, over it once Reply-To is added.
	edge := []byte("Received: from x by inbound-smtp.us-east-1.amazonaws.com\r\n for info@acme.example;\r\n" +
		"From: Alice <alice@sender.example>\r\nSubject: edge\r\n\r\n")
	edge = append(edge, bytes.Repeat([]byte("y"), MaxMessageSize-len(edge))...)
	edgeKey := e.src.put("edge", edge)

	res, _, _ := e.run(t, []string{hugeKey, edgeKey}, Options{Config: testConfig})
	for _, r := range res {
		if r.Status != StatusSkipped || !strings.Contains(r.Reason, "over SES's 40 MB limit") {
			t.Errorf("%s: %+v", r.Key, r)
		}
	}
	if e.src.reads[hugeKey] != 0 {
		t.Error("the oversized object was downloaded")
	}
	if len(e.ses.sends) != 0 {
		t.Error("an oversized message was sent")
	}
}

func TestDryRunWritesRewriteOutput(t *testing.T) {
	e := newEnv(t)
	e.r.Sender, e.r.JournalPath = nil, "" // a dry run needs neither
	a := message("one", "info@acme.example", "PASS")
	b := message("two", "sales@acme.example", "PASS")
	ka, kb := e.src.put("aaa", a), e.src.put("bbb", b)
	ks := e.src.put("spam", message("s", "info@acme.example", "FAIL"))
	dir := filepath.Join(t.TempDir(), "out")

	p, err := e.r.Plan(context.Background(), []string{ka, kb, ks}, Options{Config: testConfig, DryRunDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	var res []Result
	tot, err := e.r.Run(context.Background(), p, func(r Result) { res = append(res, r) }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tot != (Totals{DryRun: 2, Skipped: 1}) {
		t.Errorf("totals %+v", tot)
	}
	for i, raw := range [][]byte{a, b} {
		want, _ := forward.Rewrite(testConfig, raw, []string{"info@acme.example", "sales@acme.example"}[i])
		r := res[i]
		if r.Status != StatusDryRun || r.File != filepath.Join(dir, []string{"aaa", "bbb"}[i]+".eml") || r.SESMessageID != "" {
			t.Errorf("%+v", r)
		}
		got, err := os.ReadFile(r.File)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s differs from Rewrite (%v)", r.File, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "spam.eml")); err == nil {
		t.Error("a spam message was written")
	}
	if len(e.ses.sends) != 0 || len(e.log.actions) != 0 {
		t.Error("a dry run sent or logged")
	}
	if _, err := os.Stat(filepath.Join(e.dir, "state")); err == nil {
		t.Error("a dry run touched the journal")
	}
}

func TestQuotaRefusal(t *testing.T) {
	e := newEnv(t)
	var keys []string
	for i, id := range ids(10) {
		keys = append(keys, e.src.put(id, message(fmt.Sprint("q", i), "info@acme.example", "PASS")))
	}
	// 10 messages to 2 destinations each is 20 recipients; 15 are left.
	e.ses.quota = mailstore.Quota{MaxSendRate: 10, Max24HourSend: 200, SentLast24Hours: 185}
	r := e.runner()
	p, err := r.Plan(context.Background(), keys, Options{Config: testConfig})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.CheckQuota(context.Background(), p); !errors.Is(err, ErrQuotaExceeded) || !strings.Contains(err.Error(), "20 recipients to send to, 15 of 200 left") {
		t.Fatalf("CheckQuota: %v", err)
	}
	n := 0
	_, err = r.Run(context.Background(), p, func(Result) { n++ }, nil)
	if !errors.Is(err, ErrQuotaExceeded) || n != 0 || len(e.ses.sends) != 0 {
		t.Fatalf("Run: %v, %d results, %d sends", err, n, len(e.ses.sends))
	}
	// Nothing was journaled either: no "planned" for a refused run.
	if data, _ := os.ReadFile(r.JournalPath); len(data) != 0 {
		t.Errorf("journal written: %s", data)
	}
	// Exactly the remaining quota is fine; -1 is unlimited.
	e.ses.quota.SentLast24Hours = 180
	if _, err := r.CheckQuota(context.Background(), p); err != nil {
		t.Error(err)
	}
	e.ses.quota = mailstore.Quota{MaxSendRate: 1, Max24HourSend: -1, SentLast24Hours: 1e9}
	if _, err := r.CheckQuota(context.Background(), p); err != nil {
		t.Error(err)
	}
}

func TestPacingUnderSendRate(t *testing.T) {
	e := newEnv(t)
	e.ses.quota.MaxSendRate = 4 // recipients per second
	var keys []string
	for i, id := range ids(20) {
		keys = append(keys, e.src.put(id, message(fmt.Sprint("p", i), "info@acme.example", "PASS")))
	}
	start := e.clock.Now()
	if _, _, err := e.run(t, keys, Options{Config: testConfig}); err != nil {
		t.Fatal(err)
	}
	// Each send carries 2 recipients: one send per half second at most.
	sends := e.ses.sends
	for i := 1; i < len(sends); i++ {
		if gap := sends[i].at.Sub(sends[i-1].at); gap < 500*time.Millisecond {
			t.Fatalf("sends %d and %d are %v apart", i-1, i, gap)
		}
	}
	// Each send starts sendLag after its slot.
	if took := sends[len(sends)-1].at.Sub(start); took != 19*500*time.Millisecond+sendLag {
		t.Errorf("20 sends took %v of fake time", took)
	}
}

// TestPacingHoldsAcrossRuns: a run started right after another (a
// resume, a second batch) keeps to the rate from the other's last send:
// the first send of the second run does not go out at once.
func TestPacingHoldsAcrossRuns(t *testing.T) {
	e := newEnv(t)
	e.ses.quota.MaxSendRate = 4 // recipients per second
	var keys []string
	for i, id := range ids(10) {
		keys = append(keys, e.src.put(id, message(fmt.Sprint("r", i), "info@acme.example", "PASS")))
	}
	for _, batch := range [][]string{keys[:5], keys[5:]} {
		if _, _, err := e.run(t, batch, Options{Config: testConfig}); err != nil {
			t.Fatal(err)
		}
	}
	sends := e.ses.sends
	if len(sends) != 10 {
		t.Fatalf("%d sends", len(sends))
	}
	for i := 1; i < len(sends); i++ {
		if gap := sends[i].at.Sub(sends[i-1].at); gap < 500*time.Millisecond {
			t.Errorf("sends %d and %d are %v apart (2 recipients at 4/s)", i-1, i, gap)
		}
	}
}

// TestBulkThrottleAndCrash is the bulk case with fakes: 200
// messages, a throttling burst in the middle, a process that dies in the
// middle of a send SES did receive; after re-running, every message went
// out exactly once, the one in doubt is reported, none is dropped.
func TestBulkThrottleAndCrash(t *testing.T) {
	e := newEnv(t)
	e.ses.quota.MaxSendRate = 50
	var keys []string
	for i, id := range ids(200) {
		keys = append(keys, e.src.put(id, message(fmt.Sprint("bulk ", i), "info@acme.example", "PASS")))
	}
	ctx, kill := context.WithCancel(context.Background())
	throttled := 0
	e.ses.fault = func(call int, _ []string) (error, bool) {
		switch {
		case call >= 60 && call < 66: // a burst of 6 throttling answers
			throttled++
			return &httpErr{429, "TooManyRequestsException"}, false
		case call == 150: // SES takes it, then the process dies before the answer
			kill()
			return errors.New("connection reset by peer"), true
		}
		return nil, false
	}
	r := e.runner()
	p, err := r.Plan(context.Background(), keys, Options{Config: testConfig})
	if err != nil {
		t.Fatal(err)
	}
	var first []Result
	var last Progress
	tot, err := r.Run(ctx, p, func(res Result) { first = append(first, res) }, func(pr Progress) { last = pr })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("first run: %v", err)
	}
	// Calls 1-59 sent messages 0-58; message 59 was throttled on calls
	// 60-65 and sent on call 66; call 150 is message 143: uncertain.
	const cut = 143
	if tot != (Totals{Sent: cut, Uncertain: 1, NotAttempted: 200 - cut - 1}) || len(first) != 200 {
		t.Fatalf("first run totals %+v (%d results)", tot, len(first))
	}
	if first[cut].Status != StatusUncertain || !strings.Contains(first[cut].Reason, "--retry-uncertain") {
		t.Errorf("the cut-off send: %+v", first[cut])
	}
	if first[cut+1].Reason != "not attempted: the run was interrupted" {
		t.Errorf("after the kill: %+v", first[cut+1])
	}
	if last.Throttles != 6 || last.Done != 200 || last.Sent != cut {
		t.Errorf("progress %+v", last)
	}
	if throttled != 6 || e.clock.slept < (1+2+4+8+16+30)*time.Second {
		t.Errorf("throttled %d times, backed off %v", throttled, e.clock.slept)
	}

	// A new process runs the same input.
	e.ses.fault = nil
	second, tot, err := e.run(t, keys, Options{Config: testConfig})
	if err != nil {
		t.Fatal(err)
	}
	if tot != (Totals{Sent: 200 - cut - 1, Skipped: cut, Uncertain: 1}) {
		t.Errorf("second run totals %+v", tot)
	}
	if second[cut].Status != StatusUncertain || !strings.Contains(second[cut].Reason, "cut off") {
		t.Errorf("the uncertain one on the rerun: %+v", second[cut])
	}
	counts := e.ses.perSubject()
	for i := range 200 {
		if n := counts[fmt.Sprint("bulk ", i)]; n != 1 {
			t.Errorf("message %d delivered %d times", i, n)
		}
	}
	// The operator checked: --retry-uncertain sends it (again, knowingly).
	third, _, _ := e.run(t, keys[cut:cut+2], Options{Config: testConfig, RetryUncertain: true})
	if third[0].Status != StatusSent || third[1].Status != StatusSkipped {
		t.Errorf("--retry-uncertain: %+v", third)
	}
}

func TestThrottledTooLongFails(t *testing.T) {
	e := newEnv(t)
	e.r.MaxAttempts = 3
	keys := []string{e.src.put("a", message("a", "info@acme.example", "PASS")), e.src.put("b", message("b", "info@acme.example", "PASS"))}
	e.ses.fault = func(call int, _ []string) (error, bool) {
		if call <= 3 {
			return &httpErr{400, "TooManyRequestsException"}, false
		}
		return nil, false
	}
	r := e.runner()
	r.MaxAttempts, r.Backoff, r.MaxBackoff = 3, 10*time.Second, 15*time.Second
	p, _ := r.Plan(context.Background(), keys, Options{Config: testConfig})
	var res []Result
	tot, err := r.Run(context.Background(), p, func(x Result) { res = append(res, x) }, nil)
	if err != nil || tot != (Totals{Sent: 1, Failed: 1}) || !strings.Contains(res[0].Reason, "still throttled after 3 attempts") {
		t.Fatalf("%v %+v %+v", err, tot, res)
	}
	if e.clock.slept < 25*time.Second || e.clock.slept > 26*time.Second {
		t.Errorf("backed off %v, want 10s + 15s (+ pacing)", e.clock.slept)
	}
}

func TestRefusedSendFailsAndRunGoesOn(t *testing.T) {
	e := newEnv(t)
	var keys []string
	for i, id := range ids(3) {
		keys = append(keys, e.src.put(id, message(fmt.Sprint("r", i), "info@acme.example", "PASS")))
	}
	e.ses.fault = func(call int, _ []string) (error, bool) {
		if call == 1 {
			return &httpErr{400, "MessageRejected"}, false
		}
		return nil, false
	}
	res, tot, err := e.run(t, keys, Options{Config: testConfig})
	if err != nil || tot != (Totals{Sent: 2, Failed: 1}) || !strings.Contains(res[0].Reason, "MessageRejected") {
		t.Fatalf("%v %+v %+v", err, tot, res)
	}
	if a := e.log.actions[0]; a.Result != "failed: api error MessageRejected (HTTP 400)" || a.SESMessageID != "" {
		t.Errorf("action log %+v", a)
	}
	// A failed send is retried by the next run; the others are not.
	e.ses.fault = nil
	res, tot, _ = e.run(t, keys, Options{Config: testConfig})
	if tot != (Totals{Sent: 1, Skipped: 2}) || res[0].Status != StatusSent {
		t.Errorf("rerun %+v %+v", tot, res)
	}
}

func TestNoAnswerStopsAfterThree(t *testing.T) {
	e := newEnv(t)
	var keys []string
	for i, id := range ids(6) {
		keys = append(keys, e.src.put(id, message(fmt.Sprint("n", i), "info@acme.example", "PASS")))
	}
	e.ses.fault = func(call int, _ []string) (error, bool) {
		switch call {
		case 1:
			return &httpErr{503, "ServiceUnavailable"}, false // a server fault: outcome unknown
		case 2:
			return nil, false
		}
		return io.ErrUnexpectedEOF, false
	}
	res, tot, err := e.run(t, keys, Options{Config: testConfig})
	if err == nil || !strings.Contains(err.Error(), "3 sends in a row got no answer") {
		t.Fatalf("err %v", err)
	}
	if tot != (Totals{Sent: 1, Uncertain: 4, NotAttempted: 1}) {
		t.Errorf("totals %+v %+v", tot, res)
	}
	if res[0].Status != StatusUncertain || res[5].Status != StatusFailed {
		t.Errorf("%+v", res)
	}
}

func TestInterruptFinishesTheSendInProgress(t *testing.T) {
	e := newEnv(t)
	var keys []string
	for i, id := range ids(5) {
		keys = append(keys, e.src.put(id, message(fmt.Sprint("i", i), "info@acme.example", "PASS")))
	}
	ctx, cancel := context.WithCancel(context.Background())
	e.ses.fault = func(call int, _ []string) (error, bool) {
		if call == 2 {
			cancel() // Ctrl-C while SES is working on the second message
		}
		return nil, false
	}
	r := e.runner()
	p, _ := r.Plan(context.Background(), keys, Options{Config: testConfig})
	var res []Result
	tot, err := r.Run(ctx, p, func(x Result) { res = append(res, x) }, nil)
	if !errors.Is(err, context.Canceled) || tot != (Totals{Sent: 2, NotAttempted: 3}) {
		t.Fatalf("%v %+v", err, tot)
	}
	e.ses.fault = nil
	_, tot, _ = e.run(t, keys, Options{Config: testConfig})
	if tot != (Totals{Sent: 3, Skipped: 2}) || len(e.ses.sends) != 5 {
		t.Errorf("rerun %+v, %d sends", tot, len(e.ses.sends))
	}
}

func TestJournalLeftSendingIsUncertain(t *testing.T) {
	e := newEnv(t)
	key := e.src.put("abc", message("x", "info@acme.example", "PASS"))
	// A process was killed between "sending" and SES's answer.
	p, _ := e.runner().Plan(context.Background(), []string{key}, Options{Config: testConfig})
	j, err := forward.OpenJournal(e.r.JournalPath)
	if err != nil {
		t.Fatal(err)
	}
	it := p.Items[0]
	j.Record(forward.Entry{Bucket: "mail", Key: key, ETag: it.ETag, Destinations: it.Destinations, State: forward.StateSending,
		Time: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)})
	j.Close()

	res, tot, _ := e.run(t, []string{key}, Options{Config: testConfig})
	if tot != (Totals{Uncertain: 1}) || !strings.Contains(res[0].Reason, "2025-03-01T09:00:00Z") || len(e.ses.sends) != 0 {
		t.Errorf("%+v %+v", tot, res)
	}
	res, _, _ = e.run(t, []string{key}, Options{Config: testConfig, Again: true})
	if res[0].Status != StatusSent {
		t.Errorf("--again: %+v", res[0])
	}
}

func TestChangedObjectAndBusyJournal(t *testing.T) {
	e := newEnv(t)
	key := e.src.put("abc", message("x", "info@acme.example", "PASS"))
	r := e.runner()
	p, _ := r.Plan(context.Background(), []string{key}, Options{Config: testConfig})
	e.src.etags[key] = "changed"
	var res []Result
	r.Run(context.Background(), p, func(x Result) { res = append(res, x) }, nil)
	if res[0].Status != StatusFailed || !strings.Contains(res[0].Reason, "changed after the run was planned") {
		t.Errorf("%+v", res[0])
	}
	// Another process holds the journal: no plan, no run.
	j, err := forward.OpenJournal(r.JournalPath)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if _, err := r.Plan(context.Background(), []string{key}, Options{Config: testConfig}); !errors.Is(err, forward.ErrJournalBusy) {
		t.Errorf("busy journal: %v", err)
	}
}

func TestActionLogFailureStops(t *testing.T) {
	e := newEnv(t)
	var keys []string
	for i, id := range ids(3) {
		keys = append(keys, e.src.put(id, message(fmt.Sprint("l", i), "info@acme.example", "PASS")))
	}
	e.log.err = errors.New("disk full")
	res, tot, err := e.run(t, keys, Options{Config: testConfig})
	if err == nil || tot != (Totals{Sent: 1, NotAttempted: 2}) || !strings.Contains(res[0].Reason, "action log could not record it") {
		t.Errorf("%v %+v %+v", err, tot, res)
	}
	if len(e.ses.sends) != 1 {
		t.Errorf("%d sends after the log failed", len(e.ses.sends))
	}
}

func TestSetupNotificationSkipped(t *testing.T) {
	e := newEnv(t)
	key := e.src.put("AMAZON_SES_SETUP_NOTIFICATION", []byte("From: no-reply@amazonaws.com\r\nSubject: Amazon SES Setup Notification\r\n\r\nhi\r\n"))
	res, _, _ := e.run(t, []string{"AMAZON_SES_SETUP_NOTIFICATION"}, Options{To: []string{"x@y.example"}, Recipients: []string{"a@b.example"}})
	if res[0].Key != key || res[0].Status != StatusSkipped {
		t.Errorf("%+v", res[0])
	}
}

// TestLeadingEmptyLineHasNoFrom: a message whose first line is empty
// has an empty header; Rewrite passes it on unchanged, as the Lambda's
// regular expressions would have it if they did not duplicate it, and
// SES refuses it for want of a From (it was sent, and refused, on every
// run: TestPlanFailsWhatSESRefuses has the peer's answer). The plan fails
// it, saying what to do, and nothing is sent.
func TestLeadingEmptyLineHasNoFrom(t *testing.T) {
	e := newEnv(t)
	raw := []byte("\r\nFrom: a@b.example\r\nSubject: x\r\n\r\nhi\r\n")
	key := e.src.put("leading", raw)
	if got, err := forward.Rewrite(testConfig, raw, "info@acme.example"); err != nil || !bytes.Equal(got, raw) {
		t.Errorf("Rewrite: %q %v, want the message unchanged", got, err)
	}
	res, _, err := e.run(t, []string{key}, Options{Config: testConfig, Recipients: []string{"info@acme.example"}})
	if err != nil {
		t.Fatal(err)
	}
	want := strings.ReplaceAll(forward.ErrNoFrom.Error(), "sesbox show KEY", "sesbox show inbox/leading")
	if r := res[0]; r.Status != StatusFailed || !errors.Is(forward.CheckHeader(raw), forward.ErrNoFrom) || r.Reason != want || len(e.ses.sends) != 0 {
		t.Fatalf("%+v (%d sends), want failed for want of a From, nothing sent", r, len(e.ses.sends))
	}
	// Foreign objects that do not start with an empty line are skipped.
	other := e.src.put("foreign", []byte("\x00\x01binary junk"))
	res, _, _ = e.run(t, []string{other}, Options{Config: testConfig, Recipients: []string{"info@acme.example"}})
	if res[0].Status != StatusSkipped {
		t.Errorf("foreign object: %+v", res[0])
	}
}

func TestReadKeyList(t *testing.T) {
	got, err := ReadKeyList(strings.NewReader("# from the Lambda's log\r\n  abc123  \r\n\r\ninbox/def456\n#x\nlast"))
	if err != nil || !slices.Equal(got, []string{"abc123", "inbox/def456", "last"}) {
		t.Errorf("%q %v", got, err)
	}
}

func TestPlanCounts(t *testing.T) {
	e := newEnv(t)
	a := e.src.put("a", message("a", "info@acme.example", "PASS"))
	b := e.src.put("b", message("b", "sales@acme.example", "PASS"))
	s := e.src.put("s", message("s", "info@acme.example", "FAIL"))
	p, err := e.r.Plan(context.Background(), []string{a, b, s}, Options{Config: testConfig})
	if err != nil {
		t.Fatal(err)
	}
	m, sends, rcpts := p.ToSend()
	if m != 2 || sends != 2 || rcpts != 3 {
		t.Errorf("ToSend %d %d %d", m, sends, rcpts)
	}
	if d := p.Destinations(); !slices.Equal(d, []string{"lead@team.example", "ops@team.example", "sales@team.example"}) {
		t.Errorf("destinations %v", d)
	}
	if d := p.Decided(); d[StatusSkipped] != 1 || len(d) != 1 {
		t.Errorf("decided %v", d)
	}
	pv, err := e.r.Preview(context.Background(), p)
	key, hdr := pv.Key, pv.Header
	if err != nil || key != a || !bytes.HasPrefix(hdr, []byte("Received:")) || !bytes.Contains(hdr, []byte("From: Alice <forwarder@acme.example>\r\n")) ||
		!bytes.HasSuffix(hdr, []byte("Reply-To: Alice <alice@sender.example>\r\n\r\n")) || bytes.Contains(hdr, []byte("Hello")) {
		t.Errorf("preview %s %q %v", key, hdr, err)
	}
}

func TestHeaderBlockSplitsLikeRewrite(t *testing.T) {
	for in, want := range map[string]string{
		"A: 1\r\nB: 2\r\n\r\nbody":          "A: 1\r\nB: 2\r\n\r\n",
		"A: 1\nnot a field\n\nbody\n\nmore": "A: 1\nnot a field\n\n", // the Lambda's split, not a MIME parser's
		"A: 1\nB: 2":                        "A: 1\nB: 2",
		"\r\nbody":                          "\r\n",
	} {
		if got := string(headerBlock([]byte(in))); got != want {
			t.Errorf("headerBlock(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestAgainThatDoesNotHappenKeepsSent: an --again (or --retry-uncertain)
// send that SES refuses, or that an interrupted run never reaches, leaves
// the journal saying what it said before, so a plain run still skips it.
func TestAgainThatDoesNotHappenKeepsSent(t *testing.T) {
	e := newEnv(t)
	a := e.src.put("a", message("a", "info@acme.example", "PASS"))
	b := e.src.put("b", message("b", "info@acme.example", "PASS"))
	e.run(t, []string{a, b}, Options{Config: testConfig})

	e.ses.fault = func(int, []string) (error, bool) { return &httpErr{400, "MessageRejected"}, false }
	ctx, cancel := context.WithCancel(context.Background())
	r := e.runner()
	p, _ := r.Plan(ctx, []string{a, b}, Options{Config: testConfig, Again: true})
	var res []Result
	e.ses.fault = func(int, []string) (error, bool) {
		cancel() // refused, and the run is interrupted before b
		return &httpErr{400, "MessageRejected"}, false
	}
	r.Run(ctx, p, func(x Result) { res = append(res, x) }, nil)
	if res[0].Status != StatusFailed || res[1].Reason != "not attempted: the run was interrupted" {
		t.Fatalf("--again run: %+v", res)
	}
	e.ses.fault = nil
	res, tot, _ := e.run(t, []string{a, b}, Options{Config: testConfig})
	if tot != (Totals{Skipped: 2}) || res[0].SESMessageID != "ses-0001" || res[1].SESMessageID != "ses-0002" {
		t.Errorf("plain run after a failed --again: %+v %+v", tot, res)
	}
}

// TestDryRunCollidingNames: two keys whose dry-run files would share a
// name (the same last segment under another folder, a ":" dropped) each
// get their own file, and none is reported failed.
func TestDryRunCollidingNames(t *testing.T) {
	e := newEnv(t)
	e.r.Sender, e.r.JournalPath = nil, ""
	keys := []string{
		e.src.put("a:b", message("two", "info@acme.example", "PASS")),
		e.src.put("ab", message("one", "info@acme.example", "PASS")),
		e.src.put("sub/ab", message("three", "info@acme.example", "PASS")),
	}
	dir := filepath.Join(t.TempDir(), "out")
	run := func() map[string]string {
		p, err := e.r.Plan(context.Background(), keys, Options{Config: testConfig, DryRunDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		fileOf := map[string]string{}
		tot, err := e.r.Run(context.Background(), p, func(r Result) {
			if r.Status != StatusDryRun {
				t.Errorf("%s: %+v", r.Key, r)
			}
			fileOf[r.Key] = r.File
		}, nil)
		if err != nil || tot != (Totals{DryRun: 3}) {
			t.Fatalf("totals %+v, %v", tot, err)
		}
		return fileOf
	}
	first := run()
	seen := map[string]bool{}
	for _, k := range keys {
		f := first[k]
		if seen[f] || !strings.HasSuffix(f, ".eml") {
			t.Errorf("%s: file %s (given twice, or not .eml)", k, f)
		}
		seen[f] = true
		want, _ := forward.Rewrite(testConfig, e.src.objs[k], "info@acme.example")
		if got, err := os.ReadFile(f); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: %s is not its rewrite (%v)", k, f, err)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 3 {
		t.Errorf("%d files in the dry-run directory", len(ents))
	}
	if again := run(); !maps.Equal(again, first) {
		t.Errorf("second run's files %v, first %v", again, first)
	}
}

// TestPreviewSaysWhatTheRewriteChanged: the preview names the fields the
// rewrite added, changed and dropped, and says when the body was
// re-encoded for a line over 998 octets (difference 31): the TUI said
// "other fields unchanged" when the Content-Transfer-Encoding was.
func TestPreviewSaysWhatTheRewriteChanged(t *testing.T) {
	e := newEnv(t)
	short := e.src.put("short", message("short", "info@acme.example", "PASS"))
	raw := message("long", "info@acme.example", "PASS")
	raw = append(raw, []byte(strings.Repeat("word ", 300)+"\r\n")...)
	long := e.src.put("long", raw)
	for _, tc := range []struct {
		key       string
		reencoded bool
		changed   []string
	}{
		{short, false, []string{"From", "Reply-To"}},
		{long, true, []string{"From", "Reply-To", "Content-Transfer-Encoding"}},
	} {
		p, err := e.r.Plan(context.Background(), []string{tc.key}, Options{Config: testConfig})
		if err != nil {
			t.Fatal(err)
		}
		pv, err := e.r.Preview(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		if pv.BodyReencoded() != tc.reencoded {
			t.Errorf("%s: body re-encoded %v, want %v", tc.key, pv.BodyReencoded(), tc.reencoded)
		}
		for _, f := range tc.changed {
			if !slices.Contains(pv.Changed, f) {
				t.Errorf("%s: changed %q, want %s among them", tc.key, pv.Changed, f)
			}
		}
		if !slices.Contains(pv.Removed, "Return-Path") || !slices.Contains(pv.Removed, "DKIM-Signature") || slices.Contains(pv.Changed, "Received") || slices.Contains(pv.Changed, "Subject") {
			t.Errorf("%s: changed %q, removed %q", tc.key, pv.Changed, pv.Removed)
		}
	}
}

// TestDryRunSaysWhichPartsWereReencoded: a message with a body line over
// 998 octets has that part re-encoded (difference 31); the preview names
// it and every result, dry run or send, names the part
// and its old and new encodings. Nothing said so before.
func TestDryRunSaysWhichPartsWereReencoded(t *testing.T) {
	e := newEnv(t)
	e.r.Sender, e.r.JournalPath = nil, ""
	long := append(message("long", "info@acme.example", "PASS"), strings.Repeat("y", 1500)+"\r\n"...)
	k := e.src.put("long", long)
	want := []forward.Reencoding{{Part: "1", From: "7bit", To: "quoted-printable"}}
	p, err := e.r.Plan(context.Background(), []string{k}, Options{Config: testConfig, DryRunDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if pv, err := e.r.Preview(context.Background(), p); err != nil || !slices.Equal(pv.Reencoded, want) {
		t.Errorf("preview: re-encoded %v (%v), want %v", pv.Reencoded, err, want)
	}
	var res []Result
	if _, err := e.r.Run(context.Background(), p, func(r Result) { res = append(res, r) }, nil); err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].Status != StatusDryRun || !slices.Equal(res[0].Reencoded, want) {
		t.Fatalf("results %+v", res)
	}
	if b, _ := json.Marshal(res[0]); !bytes.Contains(b, []byte(`"reencoded":[{"part":"1","from":"7bit","to":"quoted-printable"}]`)) {
		t.Errorf("JSON %s", b)
	}
}

// TestDryRunSaysWhatARunWouldSkip: a dry run reads the journal (without
// its lock, never writing it) and reports a message a run would skip as
// skipped, with the same reason ("already forwarded ...; --again sends
// it again"), writing no file for it. It wrote every message and said
// "reason":"" for each, the already forwarded ones included. A journal
// that another run holds open is read all the same.
func TestDryRunSaysWhatARunWouldSkip(t *testing.T) {
	e := newEnv(t)
	sent := e.src.put("abc", message("hello", "info@acme.example", "PASS"))
	fresh := e.src.put("def", message("again", "info@acme.example", "PASS"))
	e.run(t, []string{sent}, Options{Config: testConfig})
	before, err := os.ReadFile(e.r.JournalPath)
	if err != nil {
		t.Fatal(err)
	}
	held, err := forward.OpenJournal(e.r.JournalPath) // a run in progress
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()

	dir := filepath.Join(t.TempDir(), "out")
	r := e.runner()
	r.Sender = nil
	p, err := r.Plan(context.Background(), []string{sent, fresh}, Options{Config: testConfig, DryRunDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	var res []Result
	tot, err := r.Run(context.Background(), p, func(r Result) { res = append(res, r) }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tot != (Totals{DryRun: 1, Skipped: 1}) || len(res) != 2 {
		t.Fatalf("totals %+v, results %+v", tot, res)
	}
	if r := res[0]; r.Status != StatusSkipped || r.SESMessageID != "ses-0001" || r.File != "" ||
		!strings.Contains(r.Reason, "already forwarded") || !strings.Contains(r.Reason, "--again") {
		t.Errorf("the message already forwarded: %+v", r)
	}
	if r := res[1]; r.Status != StatusDryRun || r.Reason != "" || r.File == "" {
		t.Errorf("the message not yet forwarded: %+v", r)
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "*.eml")); len(files) != 1 {
		t.Errorf("files written: %v", files)
	}
	if after, _ := os.ReadFile(e.r.JournalPath); !bytes.Equal(after, before) {
		t.Errorf("the dry run changed the journal:\n%s\n---\n%s", before, after)
	}
	// --again writes it too, as a run with --again would send it.
	p, err = r.Plan(context.Background(), []string{sent}, Options{Config: testConfig, DryRunDir: dir, Again: true})
	if err != nil || p.Items[0].Status != "" {
		t.Errorf("--again: %+v %v", p.Items, err)
	}
}

// TestReasonsNameTheCommandOfTheirFlags: a reason or a preview line that
// names a flag names the command it belongs to ("sesbox forward
// --again"): the TUI's forward screen shows the same texts, and a bare
// "--again sends it again" there named a flag the screen has no way to
// give. So did the reasons of a message without an envelope recipient
// ("give --recipient or --to", which the TUI's results listed as is).
func TestReasonsNameTheCommandOfTheirFlags(t *testing.T) {
	e := newEnv(t)
	sent := e.src.put("abc", message("hello", "info@acme.example", "PASS"))
	spam := e.src.put("spam", message("s", "info@acme.example", "FAIL"))
	cut := e.src.put("cut", message("x", "info@acme.example", "PASS"))
	noRcpt := e.src.put("norcpt", []byte("From: a@b.example\r\nSubject: x\r\n\r\nhi\r\n"))
	e.run(t, []string{sent}, Options{Config: testConfig})
	p, _ := e.runner().Plan(context.Background(), []string{cut}, Options{Config: testConfig})
	j, err := forward.OpenJournal(e.r.JournalPath)
	if err != nil {
		t.Fatal(err)
	}
	it := p.Items[0]
	j.Record(forward.Entry{Bucket: "mail", Key: cut, ETag: it.ETag, Destinations: it.Destinations, State: forward.StateSending,
		Time: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)})
	j.Close()

	p, err = e.runner().Plan(context.Background(), []string{sent, spam, cut, noRcpt}, Options{Config: testConfig})
	if err != nil {
		t.Fatal(err)
	}
	texts := p.Preview().Lines()
	for _, it := range p.Items {
		texts = append(texts, it.Reason)
	}
	// --to without a recipient or fromEmail.
	pt, err := e.runner().Plan(context.Background(), []string{noRcpt}, Options{To: []string{"x@y.example"}})
	if err != nil || len(pt.Items) != 1 || pt.Items[0].Reason == "" {
		t.Fatalf("--to without a recipient: %+v, %v", pt.Items, err)
	}
	texts = append(texts, pt.Items[0].Reason)
	if !slices.ContainsFunc(texts, func(s string) bool {
		return strings.Contains(s, "sesbox forward --recipient ADDR (or sesbox forward --to ADDR)")
	}) {
		t.Errorf("no reason says how to forward a message without an envelope recipient: %q", texts)
	}
	flags := 0
	for _, s := range texts {
		for i := strings.Index(s, "--"); i >= 0; i = next(s, i) {
			flags++
			if !strings.HasSuffix(s[:i], "sesbox forward ") {
				t.Errorf("a flag without its command: %q", s)
				break
			}
		}
	}
	if flags < 3 {
		t.Errorf("%d flags named in %q", flags, texts)
	}
}

// next is the index of the next "--" in s after the one at i, -1 if none.
func next(s string, i int) int {
	j := strings.Index(s[i+2:], "--")
	if j < 0 {
		return -1
	}
	return i + 2 + j
}

// TestPacingKeepsToTheConfiguredRate: a send rate set for the mailbox
// (send_rate, for operators sharing one account) paces below the
// account's MaxSendRate; one above it does not raise it.
func TestPacingKeepsToTheConfiguredRate(t *testing.T) {
	for _, tc := range []struct {
		configured float64
		gap        time.Duration
	}{{2, time.Second}, {100, 500 * time.Millisecond}} {
		e := newEnv(t)
		e.ses.quota.MaxSendRate = 4 // recipients per second
		var keys []string
		for i, id := range ids(6) {
			keys = append(keys, e.src.put(id, message(fmt.Sprint("c", i), "info@acme.example", "PASS")))
		}
		r := e.runner()
		r.SendRate = tc.configured
		p, err := r.Plan(context.Background(), keys, Options{Config: testConfig})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Run(context.Background(), p, func(Result) {}, nil); err != nil {
			t.Fatal(err)
		}
		sends := e.ses.sends
		if len(sends) != 6 {
			t.Fatalf("%d sends", len(sends))
		}
		for i := 1; i < len(sends); i++ {
			if gap := sends[i].at.Sub(sends[i-1].at); gap != tc.gap {
				t.Errorf("send_rate %v, account 4/s: sends %d and %d are %v apart, want %v (2 recipients each)", tc.configured, i-1, i, gap, tc.gap)
			}
		}
	}
}

// heldClaims is a team table in which another run holds every claim and
// never writes an outcome, and that has no lease to end it.
type heldClaims struct{ asked int }

func (h *heldClaims) Lookup(context.Context, SendRef) (SharedState, error) { return SharedState{}, nil }
func (h *heldClaims) Claim(context.Context, SendRef, bool, bool, bool) (string, SharedState, error) {
	h.asked++
	return "", SharedState{State: SharedClaimed, Owner: "op@elsewhere pid 7"}, nil
}
func (h *heldClaims) Settle(context.Context, SendRef, string, Outcome) error { return nil }

// TestWaitForAnotherRunsClaimIsBounded: a run waits for a claim another
// run holds at most 5 minutes (the lease, for a store with one), then
// reports the message uncertain and goes on; it waited for ever on a
// store whose claims never expire.
func TestWaitForAnotherRunsClaimIsBounded(t *testing.T) {
	e := newEnv(t)
	key := e.src.put(ids(1)[0], message("w", "info@acme.example", "PASS"))
	r := e.runner()
	h := &heldClaims{}
	r.Claims = h
	p, err := r.Plan(context.Background(), []string{key}, Options{Config: testConfig})
	if err != nil {
		t.Fatal(err)
	}
	var res Result
	start := e.clock.Now()
	if _, err := r.Run(context.Background(), p, func(x Result) { res = x }, nil); err != nil {
		t.Fatal(err)
	}
	if res.Status != StatusUncertain || !strings.Contains(res.Reason, "op@elsewhere pid 7") || len(e.ses.sends) != 0 {
		t.Fatalf("result %+v, %d sends", res, len(e.ses.sends))
	}
	if waited := e.clock.Now().Sub(start); waited < 5*time.Minute || waited > 6*time.Minute {
		t.Errorf("waited %v of fake time (%d claims asked)", waited, h.asked)
	}
}

// TestDestinationsDifferingOnlyInTheDomainsCaseAreOne: --to c@X.example
// --to c@x.example were two destinations, so SES got (and counted) the
// same mailbox twice; a domain is case-insensitive (RFC 5321 2.4), a local
// part is not, so repeats are dropped by sesaccount.AddressKey, the first
// spelling kept.
func TestDestinationsDifferingOnlyInTheDomainsCaseAreOne(t *testing.T) {
	e := newEnv(t)
	key := e.src.put("abc", message("hello", "info@acme.example", "PASS"))
	to := []string{"c@X.example", "c@x.example", "C@x.example", "c@X.EXAMPLE"}
	res, _, err := e.run(t, []string{key}, Options{Config: testConfig, To: to})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"c@X.example", "C@x.example"}
	if !slices.Equal(res[0].Recipients, want) || len(e.ses.sends) != 1 || !slices.Equal(e.ses.sends[0].dests, want) {
		t.Errorf("recipients %v, %d sends; want %v once", res[0].Recipients, len(e.ses.sends), want)
	}
}

// TestPlanDestinationsAreDistinctMailboxes: the destinations a run asks to
// confirm listed c@X.example and c@x.example (two messages' spellings) as
// two; they are one mailbox (sesaccount.AddressKey).
func TestPlanDestinationsAreDistinctMailboxes(t *testing.T) {
	p := &Plan{Items: []Item{
		{Destinations: []string{"c@X.example", "b@y.example"}},
		{Destinations: []string{"c@x.example", "C@x.example"}},
		{Destinations: []string{"skipped@z.example"}, Status: StatusSkipped},
	}}
	if got, want := p.Destinations(), []string{"C@x.example", "b@y.example", "c@X.example"}; !slices.Equal(got, want) {
		t.Errorf("Destinations() = %v, want %v", got, want)
	}
}

// TestPlanSaysHowFarItGot: planning reads every message's header first
// (3,000 took 12 s against a local S3), and said nothing meanwhile: a
// forward sat silent after its index. PlanProgress is told after each
// message, the count rising to the total.
func TestPlanSaysHowFarItGot(t *testing.T) {
	e := newEnv(t)
	var inputs []string
	for i := range 20 {
		inputs = append(inputs, e.src.put(fmt.Sprintf("m%02d", i), message(fmt.Sprintf("m%02d", i), "info@acme.example", "PASS")))
	}
	var mu sync.Mutex
	var done []int
	e.r.PlanProgress = func(n, total int) {
		mu.Lock()
		defer mu.Unlock()
		if total != len(inputs) {
			t.Errorf("total %d, want %d", total, len(inputs))
		}
		done = append(done, n)
	}
	if _, err := e.r.Plan(context.Background(), inputs, Options{Config: testConfig}); err != nil {
		t.Fatal(err)
	}
	if len(done) != len(inputs) || !slices.IsSorted(done) || done[0] != 1 || done[len(done)-1] != len(inputs) {
		t.Errorf("PlanProgress told %v, want 1..%d", done, len(inputs))
	}
}

// TestPlanMarksHeaderRefusals: a message with two From fields forwarded
// with three good ones was counted "4 messages to send", then reported 1
// failed. The plan now asks forward.CheckHeader, as Rewrite does, and marks
// it failed, with the reason Rewrite gives, before anything is sent; so is
// a header line that cannot be folded to 998 octets.
func TestPlanMarksHeaderRefusals(t *testing.T) {
	e := newEnv(t)
	var keys []string
	for _, s := range []string{"a", "b", "c"} {
		keys = append(keys, e.src.put(s, message(s, "info@acme.example", "PASS")))
	}
	two := bytes.Replace(message("two", "info@acme.example", "PASS"), []byte("From: Alice"), []byte("From: Boss <boss@bank.example>\r\nFrom: Alice"), 1)
	long := bytes.Replace(message("long", "info@acme.example", "PASS"), []byte("MIME-Version"), []byte("X-Long: "+strings.Repeat("x", 1200)+"\r\nMIME-Version"), 1)
	noFrom := bytes.Replace(message("nofrom", "info@acme.example", "PASS"), []byte("From: Alice <alice@sender.example>\r\n"), nil, 1)
	twoSubjects := bytes.Replace(message("twosubj", "info@acme.example", "PASS"), []byte("Subject: "), []byte("Subject: one\r\nSubject: "), 1)
	keys = append(keys, e.src.put("two", two), e.src.put("long", long), e.src.put("nofrom", noFrom), e.src.put("twosubj", twoSubjects))
	p, err := e.r.Plan(context.Background(), keys, Options{Config: testConfig})
	if err != nil {
		t.Fatal(err)
	}
	if m, _, _ := p.ToSend(); m != 3 {
		t.Errorf("ToSend counts %d messages, want 3", m)
	}
	for i, raw := range [][]byte{two, long} {
		it := p.Items[3+i]
		_, rerr := forward.Rewrite(testConfig, raw, "info@acme.example")
		if it.Status != StatusFailed || rerr == nil || it.Reason != strings.ReplaceAll(rerr.Error(), "sesbox show KEY", "sesbox show "+it.Key) {
			t.Errorf("%s: status %q reason %q, want failed with Rewrite's %v", it.Key, it.Status, it.Reason, rerr)
		}
	}
	if !strings.Contains(p.Items[3].Reason, "more than one From") || !strings.Contains(p.Items[4].Reason, "998") {
		t.Errorf("reasons %q, %q", p.Items[3].Reason, p.Items[4].Reason)
	}
	// What SES refuses of what Rewrite makes (it passes these on, as the
	// Lambda does): the reason leads with what to do.
	for i, want := range []string{"send it from a mail client, as an attachment: it has no From field", "read it with sesbox show inbox/twosubj, which shows both: it has two Subject fields"} {
		if it := p.Items[5+i]; it.Status != StatusFailed || !strings.HasPrefix(it.Reason, want) {
			t.Errorf("%s: status %q reason %q, want failed, the reason starting %q", it.Key, it.Status, it.Reason, want)
		}
	}
	if l := p.Preview().Lines(); !strings.HasPrefix(l[0], "3 messages to send") || !slices.Contains(l, "4 messages cannot be sent (the results say why)") {
		t.Errorf("preview %q", l)
	}
}

// stoppedClock is a fakeClock whose stop-th sleep lasts two minutes
// longer than asked: the process was stopped there (SIGSTOP, a laptop
// put to sleep) and continued.
type stoppedClock struct {
	*fakeClock
	stop, sleeps int
}

func (c *stoppedClock) Sleep(ctx context.Context, d time.Duration) error {
	if d > 0 {
		c.sleeps++
		if c.sleeps == c.stop {
			d += 2 * time.Minute
		}
	}
	return c.fakeClock.Sleep(ctx, d)
}

// TestPacingHoldsAfterTheProcessWasStopped: a run stopped for two
// minutes as it waited for a send's slot kept to the rate when it was
// continued. The send it waited for went out late, and the next one's
// slot, reserved from the late send's slot, had passed too, so the two
// went out together: 4 recipients 75 ms apart at 2 a second, seen with
// sesbox forward stopped by SIGSTOP against aws-ses-v2-local.
func TestPacingHoldsAfterTheProcessWasStopped(t *testing.T) {
	for stop := 1; stop <= 6; stop++ {
		e := newEnv(t)
		e.ses.quota.MaxSendRate = 2 // recipients per second
		var keys []string
		for i, id := range ids(6) {
			keys = append(keys, e.src.put(id, message(fmt.Sprint("s", i), "info@acme.example", "PASS")))
		}
		r := e.runner()
		r.Clock = &stoppedClock{fakeClock: e.clock, stop: stop}
		p, err := r.Plan(context.Background(), keys, Options{Config: testConfig})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Run(context.Background(), p, func(Result) {}, nil); err != nil {
			t.Fatal(err)
		}
		sends := e.ses.sends
		if len(sends) != 6 {
			t.Fatalf("%d sends", len(sends))
		}
		for i := 1; i < len(sends); i++ {
			if gap := sends[i].at.Sub(sends[i-1].at); gap < time.Second {
				t.Errorf("stopped at sleep %d: sends %d and %d are %v apart (2 recipients each at 2/s)", stop, i-1, i, gap)
			}
		}
	}
}
