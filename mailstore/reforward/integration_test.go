//go:build integration

package reforward

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/forward"
	"github.com/sesbox/sesbox/mailstore/sessend"
	"github.com/sesbox/sesbox/mailstore/testutil/peer"
	"github.com/sesbox/sesbox/mailstore/testutil/sesfault"
)

// sesSender is the production sender over endpoint, with the SDK's own
// retries off as `sesbox forward` has them: the run retries throttling
// itself and must never repeat a send whose answer was lost.
func sesSender(endpoint string) *sessend.Sender {
	return sessend.New(sesClient(endpoint), "")
}

func sesClient(endpoint string) *sesv2.Client {
	return sesv2.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(peer.AccessKey, peer.SecretKey, ""),
	}, func(o *sesv2.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.RetryMaxAttempts = 1
	})
}

// TestBulkAgainstSESLocal runs 200 messages through the real SDK into
// aws-ses-v2-local, with a throttling burst (HTTP 429
// TooManyRequestsException) and a connection cut after SES took a message
// while the process "dies"; then runs again. Every message reached SES
// exactly once, by the bytes SES received, and the one in doubt is reported.
func TestBulkAgainstSESLocal(t *testing.T) {
	ses := peer.StartSES(t)
	ctx, kill := context.WithCancel(context.Background())
	proxy := sesfault.Start(t, ses.URL, func(n int) sesfault.Fault {
		switch {
		case n >= 40 && n < 45:
			return sesfault.Throttle
		case n == 120:
			kill()
			return sesfault.Drop
		}
		return sesfault.Pass
	})
	e := newEnv(t)
	var keys []string
	for i, id := range ids(200) {
		keys = append(keys, e.src.put(id, message(fmt.Sprint("bulk ", i), "info@acme.example", "PASS")))
	}
	runner := func() *Runner {
		r := e.runner()
		r.Sender = sesSender(proxy.URL)
		return r
	}
	r := runner()
	p, err := r.Plan(context.Background(), keys, Options{Config: testConfig})
	if err != nil {
		t.Fatal(err)
	}
	var first []Result
	tot, err := r.Run(ctx, p, func(x Result) { first = append(first, x) }, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("first run: %v", err)
	}
	// Requests 1-39 sent messages 0-38, 40-44 throttled message 39 (sent
	// by request 45), so request 120 carried message 114.
	const cut = 114
	if tot != (Totals{Sent: cut, Uncertain: 1, NotAttempted: 200 - cut - 1}) || first[cut].Status != StatusUncertain {
		t.Fatalf("first run: %+v; message %d: %+v", tot, cut, first[cut])
	}
	if e.clock.slept < (1+2+4+8+16)*1e9 {
		t.Errorf("backed off only %v", e.clock.slept)
	}

	second, tot, err := func() ([]Result, Totals, error) {
		r := runner()
		p, err := r.Plan(context.Background(), keys, Options{Config: testConfig})
		if err != nil {
			t.Fatal(err)
		}
		var out []Result
		tot, err := r.Run(context.Background(), p, func(x Result) { out = append(out, x) }, nil)
		return out, tot, err
	}()
	if err != nil || tot != (Totals{Sent: 200 - cut - 1, Skipped: cut, Uncertain: 1}) {
		t.Fatalf("second run: %v %+v", err, tot)
	}
	if second[cut].Status != StatusUncertain || second[cut].Key != keys[cut] {
		t.Errorf("the uncertain message is not reported: %+v", second[cut])
	}

	// What SES received: each message once, to the mapped envelope, with
	// exactly the bytes Rewrite makes.
	count := map[string]int{}
	for _, em := range proxy.Emails() {
		s := subjectOf(em.Raw)
		count[s]++
		if strings.Join(em.To, ",") != "ops@team.example,lead@team.example" {
			t.Errorf("%s: envelope %v", s, em.To)
		}
	}
	for i := range 200 {
		if n := count[fmt.Sprint("bulk ", i)]; n != 1 {
			t.Errorf("message %d reached SES %d times", i, n)
		}
	}
	if got := proxy.Requests(); got != 200+5 {
		t.Errorf("%d SendEmail requests, want 205 (200 + 5 throttled)", got)
	}
}

// TestRejectedSendSaysWhatToDo: a message SES rejects (an address not
// verified that is not the one forwards are sent as) is failed with
// SES's hint first, naming the address, and the next message is sent.
func TestRejectedSendSaysWhatToDo(t *testing.T) {
	ses := peer.StartSES(t)
	proxy := sesfault.Start(t, ses.URL, func(n int) sesfault.Fault {
		if n == 1 {
			return sesfault.Reject
		}
		return sesfault.Pass
	})
	e := newEnv(t)
	keys := []string{
		e.src.put("rejected-1", message("rejected", "info@acme.example", "PASS")),
		e.src.put("accepted-2", message("accepted", "info@acme.example", "PASS")),
	}
	r := e.runner()
	r.Sender = sesSender(proxy.URL)
	p, err := r.Plan(context.Background(), keys, Options{Config: testConfig})
	if err != nil {
		t.Fatal(err)
	}
	var out []Result
	tot, err := r.Run(context.Background(), p, func(x Result) { out = append(out, x) }, nil)
	if err != nil || tot != (Totals{Sent: 1, Failed: 1}) {
		t.Fatalf("run: %v %+v", err, tot)
	}
	const hint = "SES rejected the message: info@acme.example not verified in US-EAST-1 — verify it"
	if out[0].Status != StatusFailed || !strings.HasPrefix(out[0].Reason, hint) || !strings.Contains(out[0].Reason, "Email address is not verified") {
		t.Errorf("rejected: %+v, want failed, the reason starting %q and keeping SES's message", out[0], hint)
	}
	if len(proxy.Emails()) != 1 || subjectOf(proxy.Emails()[0].Raw) != "accepted" {
		t.Errorf("SES received %d messages, want the accepted one", len(proxy.Emails()))
	}
}

// TestQuotaRefusedAgainstSESLocal reads a small quota from GetAccount and
// refuses the run before any SendEmail.
func TestQuotaRefusedAgainstSESLocal(t *testing.T) {
	acct := `{"DedicatedIpAutoWarmupEnabled":false,"Details":{"AdditionalContactEmailAddresses":[],"ContactLanguage":"EN","MailType":"TRANSACTIONAL","ReviewDetails":{"CaseId":"local","Status":"GRANTED"},"UseCaseDescription":"local tests","WebsiteURL":"https://example.com"},"EnforcementStatus":"HEALTHY","ProductionAccessEnabled":true,"SendingEnabled":true,"SendQuota":{"Max24HourSend":200,"MaxSendRate":1,"SentLast24Hours":195},"SuppressionAttributes":{"SuppressedReasons":["BOUNCE","COMPLAINT"]}}`
	ses := peer.StartSESWithAccount(t, acct)
	proxy := sesfault.Start(t, ses.URL, nil)
	e := newEnv(t)
	var keys []string
	for i, id := range ids(3) {
		keys = append(keys, e.src.put(id, message(fmt.Sprint("q", i), "info@acme.example", "PASS")))
	}
	r := e.runner()
	r.Sender = sesSender(proxy.URL)
	p, err := r.Plan(context.Background(), keys, Options{Config: testConfig})
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Run(context.Background(), p, nil, nil)
	if !errors.Is(err, ErrQuotaExceeded) || !strings.Contains(err.Error(), "6 recipients to send to, 5 of 200 left") {
		t.Fatalf("run: %v", err)
	}
	const hint = "the run needs 6 recipients and the account has 5 of its 200 left today — run the same command again once sesbox account shows 6 left"
	if h := mailstore.Hint(err); !strings.HasPrefix(h, hint) {
		t.Errorf("hint %q, want it to start %q", h, hint)
	}
	if proxy.Requests() != 0 {
		t.Errorf("%d SendEmail requests after a refusal", proxy.Requests())
	}
}

// TestRunAfterAnotherRunSinceThePlan: a plan is made (the journal lock is
// released while the user reads it and confirms), then another run on
// this machine sends one of its messages and is cut off on another
// (uncertain: the journal says "sending"). When the first run then goes
// ahead it must neither send the first again nor the second.
func TestRunAfterAnotherRunSinceThePlan(t *testing.T) {
	ses := peer.StartSES(t)
	proxy := sesfault.Start(t, ses.URL, func(n int) sesfault.Fault {
		if n == 2 {
			return sesfault.Drop // SES took it, the answer is lost
		}
		return sesfault.Pass
	})
	e := newEnv(t)
	var keys []string
	for i, id := range ids(3) {
		keys = append(keys, e.src.put(id, message(fmt.Sprint("race ", i), "info@acme.example", "PASS")))
	}
	runner := func() *Runner {
		r := e.runner()
		r.Sender = sesSender(proxy.URL)
		return r
	}
	slow := runner()
	p, err := slow.Plan(context.Background(), keys, Options{Config: testConfig})
	if err != nil {
		t.Fatal(err)
	}
	// Meanwhile: another run sends keys[0] and loses the answer for keys[1].
	fast := runner()
	fp, err := fast.Plan(context.Background(), keys[:2], Options{Config: testConfig})
	if err != nil {
		t.Fatal(err)
	}
	if tot, err := fast.Run(context.Background(), fp, nil, nil); err != nil || tot != (Totals{Sent: 1, Uncertain: 1}) {
		t.Fatalf("the other run: %+v %v", tot, err)
	}
	var res []Result
	if _, err := slow.Run(context.Background(), p, func(x Result) { res = append(res, x) }, nil); err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, em := range proxy.Emails() {
		count[subjectOf(em.Raw)]++
	}
	for i := range 3 {
		if n := count[fmt.Sprint("race ", i)]; n != 1 {
			t.Errorf("message %d reached SES %d times (run after the plan: %+v)", i, n, res[i])
		}
	}
	if res[0].Status != StatusSkipped || res[1].Status != StatusUncertain || res[2].Status != StatusSent {
		t.Errorf("results %+v", res)
	}
	// And the journal still says so: a later run sends nothing.
	again := runner()
	ap, err := again.Plan(context.Background(), keys, Options{Config: testConfig})
	if err != nil {
		t.Fatal(err)
	}
	if tot, err := again.Run(context.Background(), ap, nil, nil); err != nil || tot != (Totals{Skipped: 2, Uncertain: 1}) {
		t.Errorf("a later run: %+v %v", tot, err)
	}
}

// TestDailyQuotaUsedUpStopsTheRun: SES answers "Daily message quota
// exceeded." from the fifth send on (another sender used the quota up
// after the run checked it). That is no rate to back off from: the run
// stops at once, the message SES refused failed, the rest not attempted,
// the operator told hint first what to run and when; the same command
// run again once the quota is back sends the six and skips the four.
func TestDailyQuotaUsedUpStopsTheRun(t *testing.T) {
	ses := peer.StartSES(t)
	var usedUp atomic.Bool
	usedUp.Store(true)
	proxy := sesfault.Start(t, ses.URL, func(n int) sesfault.Fault {
		if n >= 5 && usedUp.Load() {
			return sesfault.QuotaUsedUp
		}
		return sesfault.Pass
	})
	e := newEnv(t)
	var keys []string
	for i, id := range ids(10) {
		keys = append(keys, e.src.put(id, message(fmt.Sprint("daily ", i), "info@acme.example", "PASS")))
	}
	var firstPlan *Plan
	runOnce := func() ([]Result, Totals, error) {
		r := e.runner()
		r.Sender = sesSender(proxy.URL)
		p, err := r.Plan(context.Background(), keys, Options{Config: testConfig})
		if err != nil {
			t.Fatal(err)
		}
		if firstPlan == nil {
			firstPlan = p
		}
		var out []Result
		tot, err := r.Run(context.Background(), p, func(x Result) { out = append(out, x) }, nil)
		return out, tot, err
	}
	first, tot, err := runOnce()
	if !errors.Is(err, ErrQuotaUsedUp) {
		t.Fatalf("run: %v, want ErrQuotaUsedUp (%+v, %d SendEmail requests, backed off %v)", err, tot, proxy.Requests(), e.clock.slept)
	}
	const hint = "the account's 24-hour sending quota is used up"
	if h := mailstore.Hint(err); !strings.HasPrefix(h, hint) || !strings.Contains(h, "sesbox account") || !strings.Contains(h, "run the same command again") {
		t.Errorf("the stop's hint %q, want it to start %q and name sesbox account and the rerun", h, hint)
	}
	if tot != (Totals{Sent: 4, Failed: 1, NotAttempted: 5}) {
		t.Errorf("first run: %+v", tot)
	}
	// What the CLI tells the operator a rerun sends: the five not
	// attempted and the one SES refused, as the second run does below.
	if n, err := e.runner().Resend(firstPlan); err != nil || n != 6 {
		t.Errorf("Resend after the stop: %d, %v; want 6 (5 not attempted + the refused one)", n, err)
	}
	if first[4].Status != StatusFailed || !strings.HasPrefix(first[4].Reason, hint) || !strings.Contains(first[4].Reason, "Daily message quota exceeded") {
		t.Errorf("the refused message: %+v", first[4])
	}
	if got := proxy.Requests(); got != 5 {
		t.Errorf("%d SendEmail requests, want 5: no retry of a used-up quota", got)
	}
	if e.clock.slept > 10*time.Second {
		t.Errorf("backed off %v on a used-up quota", e.clock.slept)
	}

	usedUp.Store(false)
	second, tot, err := runOnce()
	if err != nil || tot != (Totals{Sent: 6, Skipped: 4}) {
		t.Fatalf("second run: %v %+v", err, tot)
	}
	count := map[string]int{}
	for _, em := range proxy.Emails() {
		count[subjectOf(em.Raw)]++
	}
	for i := range 10 {
		if n := count[fmt.Sprint("daily ", i)]; n != 1 {
			t.Errorf("message %d reached SES %d times (%+v)", i, n, second[i])
		}
	}
}

// TestEverySendRefusedStopsTheRun: SES refuses a send for a reason every
// other send meets too (sending paused for the account; a configuration
// set the region does not have): the run stops at the first, the rest
// not attempted, hint first with what to do and the rerun. Before, it
// failed each message in turn, one request and one pacing slot each.
func TestEverySendRefusedStopsTheRun(t *testing.T) {
	ses := peer.StartSES(t)
	for _, tc := range []struct {
		name   string
		fault  sesfault.Fault
		config string
		hint   string
	}{
		{"paused", sesfault.Paused, "", "sending is paused or suspended for this account or configuration set — see sesbox account"},
		{"no configuration set", sesfault.NoConfigSet, "missing-set", "the configuration set missing-set does not exist in this region — create it (aws sesv2 create-configuration-set --configuration-set-name missing-set) or remove configuration_set from the mailbox's config"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			proxy := sesfault.Start(t, ses.URL, func(n int) sesfault.Fault {
				if n >= 2 {
					return tc.fault
				}
				return sesfault.Pass
			})
			e := newEnv(t)
			var keys []string
			for i, id := range ids(5) {
				keys = append(keys, e.src.put(id, message(fmt.Sprint("refused ", i), "info@acme.example", "PASS")))
			}
			r := e.runner()
			s := sesSender(proxy.URL)
			s.ConfigurationSet = tc.config
			r.Sender = s
			p, err := r.Plan(context.Background(), keys, Options{Config: testConfig})
			if err != nil {
				t.Fatal(err)
			}
			var out []Result
			tot, err := r.Run(context.Background(), p, func(x Result) { out = append(out, x) }, nil)
			if !errors.Is(err, mailstore.ErrEverySendRefused) {
				t.Fatalf("run: %v (%+v, %d SendEmail requests), want it stopped", err, tot, proxy.Requests())
			}
			if h := mailstore.Hint(err); !strings.HasPrefix(h, tc.hint) || !strings.Contains(h, "run the same command again") {
				t.Errorf("the stop's hint %q, want it to start %q and name the rerun", h, tc.hint)
			}
			if tot != (Totals{Sent: 1, Failed: 1, NotAttempted: 3}) || proxy.Requests() != 2 {
				t.Errorf("%+v, %d SendEmail requests", tot, proxy.Requests())
			}
			if !strings.HasPrefix(out[1].Reason, tc.hint) {
				t.Errorf("the refused message: %+v", out[1])
			}
		})
	}
}

// TestPausedAccountRefusedBeforeSending: GetAccount says sending is
// paused for the account. The preview said "every send will fail" and
// the run then sent each message to have it refused; it is now refused
// before any SendEmail, hint first.
func TestPausedAccountRefusedBeforeSending(t *testing.T) {
	acct := `{"DedicatedIpAutoWarmupEnabled":false,"Details":{"AdditionalContactEmailAddresses":[],"ContactLanguage":"EN","MailType":"TRANSACTIONAL","ReviewDetails":{"CaseId":"local","Status":"GRANTED"},"UseCaseDescription":"local tests","WebsiteURL":"https://example.com"},"EnforcementStatus":"HEALTHY","ProductionAccessEnabled":true,"SendingEnabled":false,"SendQuota":{"Max24HourSend":200,"MaxSendRate":1,"SentLast24Hours":0},"SuppressionAttributes":{"SuppressedReasons":["BOUNCE","COMPLAINT"]}}`
	ses := peer.StartSESWithAccount(t, acct)
	proxy := sesfault.Start(t, ses.URL, nil)
	e := newEnv(t)
	var keys []string
	for i, id := range ids(3) {
		keys = append(keys, e.src.put(id, message(fmt.Sprint("p", i), "info@acme.example", "PASS")))
	}
	r := e.runner()
	r.Sender, r.Account = sesSender(proxy.URL), sessend.NewAccountReader(sesClient(proxy.URL))
	p, err := r.Prepare(context.Background(), keys, Options{Config: testConfig})
	const hint = "sending is paused for this account"
	if !errors.Is(err, mailstore.ErrEverySendRefused) || !strings.HasPrefix(mailstore.Hint(err), hint) || !strings.Contains(mailstore.Hint(err), "run the same command again") {
		t.Fatalf("prepare: %v (hint %q), want it refused, the hint starting %q", err, mailstore.Hint(err), hint)
	}
	if p == nil || !strings.Contains(strings.Join(p.Preview().Lines(), "\n"), "SES sending is PAUSED for this account: the run will be refused") {
		t.Errorf("preview: %v", p.Preview().Lines())
	}
	if proxy.Requests() != 0 {
		t.Errorf("%d SendEmail requests", proxy.Requests())
	}
}

// TestPlanFailsWhatSESRefuses runs header shapes through the plan and,
// for each it lets through, the send into aws-ses-v2-local: the peer
// refuses exactly the messages whose rewrite has no From it can read
// (no From field, a message that starts with its empty line), and the
// plan fails those first, with a reason that says what to do, so no
// request reaches SES for them, on the first run or a rerun. Every other
// shape (no Date, no To, a From with no address or a group, a From with
// blanks before its colon or a NUL) is sent and taken. Fields SES's
// documentation lists as allowed once (two Subject, two Reply-To), and a
// field without a name, which the peer takes and SES refuses, are failed
// by the plan too.
func TestPlanFailsWhatSESRefuses(t *testing.T) {
	ses := peer.StartSES(t)
	proxy := sesfault.Start(t, ses.URL, nil)
	base := string(message("shape", "info@acme.example", "PASS"))
	with := func(old, new string) []byte {
		if !strings.Contains(base, old) {
			t.Fatalf("message has no %q", old)
		}
		return []byte(strings.Replace(base, old, new, 1))
	}
	shapes := []struct {
		name   string
		raw    []byte
		reason string // the plan's reason starts so; "" when it is sent
	}{
		{"no From", with("From: Alice <alice@sender.example>\r\n", ""), "send it from a mail client"},
		{"leading empty line", append([]byte("\r\n"), base...), "send it from a mail client"},
		{"two Subject", with("Subject: shape", "Subject: shape\r\nsubject: again"), "read it with sesbox show inbox/shape02, which shows both: it has two subject fields"},
		{"a field without a name", with("MIME-Version: 1.0", "MIME-Version: 1.0\r\n: no name"), "send it from a mail client"},
		{"two Reply-To", with("Subject: shape", "Subject: shape\r\nReply-To: a@x.example\r\nReply-To: b@x.example"), "read it with sesbox show inbox/shape04, which shows both: it has two Reply-To fields"},
		{"no Date", with("Date: ", "X-Was-Date: "), ""},
		{"no To", with("To: info@acme.example\r\n", ""), ""},
		{"From with no address", with("From: Alice <alice@sender.example>", "From: Alice"), ""},
		{"From empty", with("From: Alice <alice@sender.example>", "From:"), ""},
		{"From empty angle", with("From: Alice <alice@sender.example>", "From: <>"), ""},
		{"From group", with("From: Alice <alice@sender.example>", "From: undisclosed-recipients:;"), ""},
		{"From with blanks before the colon", with("From: Alice", "From : Alice"), ""},
		{"From with a NUL", with("From: Alice", "From: Al\x00ice"), ""},
		{"two To", with("To: info@acme.example", "To: info@acme.example\r\nTo: other@acme.example"), ""},
		{"lines ended by a bare CR", []byte(strings.ReplaceAll(strings.Replace(base, "Subject: shape", "Subject: classic Mac", 1), "\r\n", "\r")), ""},
		{"CR, LF and CRLF mixed", []byte(strings.Replace(strings.Replace(base, "Subject: shape\r\n", "Subject: mixed endings\r", 1), "MIME-Version: 1.0\r\n", "MIME-Version: 1.0\n", 1)), ""},
	}
	if !strings.Contains(base, "Date: ") {
		t.Fatal("the test message has no Date")
	}
	e := newEnv(t)
	var keys []string
	for i, s := range shapes {
		keys = append(keys, e.src.put(fmt.Sprintf("shape%02d", i), s.raw))
	}
	for run := range 2 {
		r := e.runner()
		r.Sender = sesSender(proxy.URL)
		before := proxy.Requests()
		p, err := r.Plan(context.Background(), keys, Options{Config: testConfig, Recipients: []string{"info@acme.example"}})
		if err != nil {
			t.Fatal(err)
		}
		var out []Result
		if _, err := r.Run(context.Background(), p, func(x Result) { out = append(out, x) }, nil); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		refused := 0
		for i, s := range shapes {
			got := out[i]
			if s.reason != "" {
				refused++
				if got.Status != StatusFailed || !strings.HasPrefix(got.Reason, s.reason) {
					t.Errorf("run %d, %s: %s %q, want failed, the reason starting %q", run, s.name, got.Status, got.Reason, s.reason)
				}
				continue
			}
			if want := []Status{StatusSent, StatusSkipped}[run]; got.Status != want {
				t.Errorf("run %d, %s: %s %q, want %s (SES took it)", run, s.name, got.Status, got.Reason, want)
			}
		}
		// The rerun sends nothing: what was sent is skipped, and what SES
		// refuses is failed by the plan again, not sent again.
		if n, want := proxy.Requests()-before, []int{len(shapes) - refused, 0}[run]; n != want {
			t.Errorf("run %d: %d SendEmail requests, want %d", run, n, want)
		}
	}
	// The peer reads the Subject and the body of the messages whose lines
	// end in bare CRs (the whole header was one From field before).
	resp, err := http.Get(ses.URL + "/store")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var store struct {
		Emails []struct {
			Subject string
			Body    struct{ Text string }
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&store); err != nil {
		t.Fatal(err)
	}
	for _, subj := range []string{"classic Mac", "mixed endings"} {
		if !slices.ContainsFunc(store.Emails, func(e struct {
			Subject string
			Body    struct{ Text string }
		}) bool {
			return e.Subject == subj && strings.Contains(e.Body.Text, "Hello, this is shape.")
		}) {
			t.Errorf("SES read no message with Subject %q and its body: %+v", subj, store.Emails)
		}
	}
	// What the plan fails for a missing From is what the peer refuses:
	// Rewrite passes such a message on, as the Lambda does, and SES says no.
	for i, s := range shapes[:2] {
		out, err := forward.Rewrite(testConfig, s.raw, "info@acme.example")
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if _, err := sesSender(proxy.URL).SendRaw(context.Background(), []string{"ops@team.example"}, out); err == nil || !strings.Contains(err.Error(), "Bad Request") {
			t.Errorf("%s (shape %d): SES took the rewritten message (%v), so the plan need not fail it", s.name, i, err)
		}
	}
}

// TestSESRefusalsByClass answers sends with each class of SES refusal,
// aws-ses-v2-local behind the fault proxy, and runs the same forward
// again (and, for a refusal of the message, once more with
// RetryRefused), checking what each run sent, how it ended, and that no
// message reached SES twice:
//   - transient (throttling): backed off and retried in the run;
//   - the message itself (MessageRejected for its content or a sandbox
//     recipient, BadRequestException): failed with SES's reason, hint
//     first, the run goes on; the rerun sends nothing and fails it again
//     with that reason, RetryRefused sends it. Before, every rerun sent it
//     to be refused again;
//   - every send (the address forwards are sent as not verified, sending
//     paused by SES v1's code, the account suspended): the run stops at
//     the first, hint first, nothing more sent; the rerun after the fix
//     sends the rest. Before, the first and last of these failed every
//     message in its turn.
func TestSESRefusalsByClass(t *testing.T) {
	ses := peer.StartSES(t)
	for _, tc := range []struct {
		name  string
		fault sesfault.Fault
		class string // "transient", "message" or "every"
		hint  string // the refused message's reason (and a stop's hint) starts so
		ses   string // and holds SES's words
	}{
		{"throttled", sesfault.Throttle, "transient", "", ""},
		{"content rejected", sesfault.RejectContent, "message", "SES rejected this message, not the account — sent again as it is, it would be refused again", "Illegal address"},
		{"sandbox recipient", sesfault.RejectRecipient, "message", "SES rejected the message: ops@team.example not verified in US-EAST-1 — verify it", "Email address is not verified"},
		{"malformed", sesfault.BadRequest, "message", "SES refused this message as malformed — sent again as it is, it would be refused again", "Duplicate header 'Subject'"},
		{"sender not verified", sesfault.RejectSender, "every", "the address forwards are sent as, forwarder@acme.example, is not verified in SES (US-EAST-1) — verify it or its domain", "Email address is not verified"},
		{"sending paused (SES v1 code)", sesfault.AccountPausedV1, "every", "sending is paused or suspended for this account or configuration set — see sesbox account", "Email sending is disabled"},
		{"account suspended", sesfault.Suspended, "every", "sending is paused or suspended for this account or configuration set — see sesbox account", "Sending suspended for this account"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var fixed atomic.Bool
			proxy := sesfault.Start(t, ses.URL, func(n int) sesfault.Fault {
				switch {
				case fixed.Load():
					return sesfault.Pass
				case n == 2, tc.class == "every" && n > 2:
					return tc.fault
				}
				return sesfault.Pass
			})
			e := newEnv(t)
			var keys []string
			for i, id := range ids(5) {
				keys = append(keys, e.src.put(id, message(fmt.Sprint(tc.name, " ", i), "info@acme.example", "PASS")))
			}
			runOnce := func(opts Options) ([]Result, Totals, int, error) {
				r := e.runner()
				r.Sender = sesSender(proxy.URL)
				before := proxy.Requests()
				p, err := r.Plan(context.Background(), keys, opts)
				if err != nil {
					t.Fatal(err)
				}
				var out []Result
				tot, err := r.Run(context.Background(), p, func(x Result) { out = append(out, x) }, nil)
				return out, tot, proxy.Requests() - before, err
			}
			opts := Options{Config: testConfig}
			out, tot, n, err := runOnce(opts)
			switch tc.class {
			case "transient":
				if err != nil || tot != (Totals{Sent: 5}) || n != 6 {
					t.Fatalf("run: %v %+v, %d requests; want 5 sent by 6 requests", err, tot, n)
				}
			case "message":
				if err != nil || tot != (Totals{Sent: 4, Failed: 1}) || n != 5 {
					t.Fatalf("run: %v %+v, %d requests; want 4 sent, 1 failed, the run going on", err, tot, n)
				}
				if r := out[1]; r.Status != StatusFailed || !r.Refused || !strings.HasPrefix(r.Reason, tc.hint) || !strings.Contains(r.Reason, tc.ses) ||
					!strings.Contains(r.Reason, "a rerun does not send it again: once it is fixed, sesbox forward --retry-refused sends it") {
					t.Errorf("the refused message: %+v; want failed, the reason starting %q, holding %q and naming --retry-refused", r, tc.hint, tc.ses)
				}
				j, jerr := forward.ReadJournal(e.runner().JournalPath)
				if jerr != nil {
					t.Fatal(jerr)
				}
				p := mustPlan(t, e, keys, opts)
				it := p.Items[1]
				if en, ok := j.Lookup(p.Location.Bucket, it.Key, it.ETag, it.Destinations); !ok || en.State != forward.StateFailed || !en.Refused || !strings.Contains(en.Error, tc.ses) {
					t.Errorf("the journal says %+v, want failed, refused, with SES's reason", en)
				}
				// The rerun: nothing to SES, the refused one failed again
				// with SES's reason and the way to send it.
				out, tot, n, err = runOnce(opts)
				if err != nil || tot != (Totals{Skipped: 4, Failed: 1}) || n != 0 {
					t.Fatalf("rerun: %v %+v, %d requests; want 4 skipped, 1 failed, none sent", err, tot, n)
				}
				if r := out[1]; r.Status != StatusFailed || !r.Refused || !strings.HasPrefix(r.Reason, tc.hint) || !strings.Contains(r.Reason, tc.ses) ||
					!strings.Contains(r.Reason, "not sent again, as SES would refuse it again: once it is fixed, sesbox forward --retry-refused sends it") {
					t.Errorf("rerun, the refused message: %+v", r)
				}
				if c, err := e.runner().Resend(mustPlan(t, e, keys, opts)); err != nil || c != 0 {
					t.Errorf("Resend after the rerun: %d %v; want 0 (a rerun sends nothing)", c, err)
				}
				// The preview says so before anything is asked.
				if l := strings.Join(mustPlan(t, e, keys, opts).Preview().Lines(), "\n"); !strings.Contains(l, "1 message refused by SES before, not sent again (sesbox forward --retry-refused sends them once fixed)") {
					t.Errorf("the rerun's preview:\n%s", l)
				}
				// Asked for, once SES would take it.
				fixed.Store(true)
				out, tot, n, err = runOnce(Options{Config: testConfig, RetryRefused: true})
				if err != nil || tot != (Totals{Sent: 1, Skipped: 4}) || n != 1 || out[1].Status != StatusSent {
					t.Fatalf("--retry-refused: %v %+v, %d requests; want the refused one sent", err, tot, n)
				}
			case "every":
				if !errors.Is(err, mailstore.ErrEverySendRefused) || tot != (Totals{Sent: 1, Failed: 1, NotAttempted: 3}) || n != 2 {
					t.Fatalf("run: %v %+v, %d requests; want it stopped at the first refusal", err, tot, n)
				}
				if h := mailstore.Hint(err); !strings.HasPrefix(h, tc.hint) || !strings.Contains(h, "run the same command again") {
					t.Errorf("the stop's hint %q, want it to start %q and name the rerun", h, tc.hint)
				}
				if !strings.Contains(out[1].Reason, tc.ses) || out[1].Refused {
					t.Errorf("the refused message: %+v, want SES's words %q", out[1], tc.ses)
				}
				if c, err := e.runner().Resend(mustPlan(t, e, keys, opts)); err != nil || c != 4 {
					t.Errorf("Resend after the stop: %d %v; want 4 (the refused one and the 3 not attempted)", c, err)
				}
				fixed.Store(true)
				_, tot, n, err = runOnce(opts)
				if err != nil || tot != (Totals{Sent: 4, Skipped: 1}) || n != 4 {
					t.Fatalf("rerun after the fix: %v %+v, %d requests; want the 4 left sent", err, tot, n)
				}
			}
			count := map[string]int{}
			for _, em := range proxy.Emails() {
				count[subjectOf(em.Raw)]++
			}
			for i := range 5 {
				if c := count[fmt.Sprint(tc.name, " ", i)]; c != 1 {
					t.Errorf("message %d reached SES %d times", i, c)
				}
			}
		})
	}
}

// mustPlan plans keys with opts on a runner of e (no sender needed
// beyond e's).
func mustPlan(t *testing.T, e *env, keys []string, opts Options) *Plan {
	t.Helper()
	p, err := e.runner().Plan(context.Background(), keys, opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
