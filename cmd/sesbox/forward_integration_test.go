//go:build integration

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/demo"
	"github.com/sesbox/sesbox/mailstore/forward"
	"github.com/sesbox/sesbox/mailstore/mime"
	"github.com/sesbox/sesbox/mailstore/reforward"
	"github.com/sesbox/sesbox/mailstore/testutil/fakes3"
	"github.com/sesbox/sesbox/mailstore/testutil/faultproxy"
	"github.com/sesbox/sesbox/mailstore/testutil/peer"
	"github.com/sesbox/sesbox/mailstore/testutil/sesfault"
)

// TestForwardEndToEndSESLocal forwards the Lambda's own fixture (P1) and a
// demo message through the CLI into aws-ses-v2-local, and checks the
// envelope and the exact bytes SES received.
func TestForwardEndToEndSESLocal(t *testing.T) {
	dir := isolate(t)
	ses := peer.StartSES(t)
	proxy := sesfault.Start(t, ses.URL, nil)
	s3 := fakes3.Start(t, "mail")
	fixture, err := os.ReadFile("../../testdata/forwarder/message.txt")
	if err != nil {
		t.Fatal(err)
	}
	wantFixture, err := os.ReadFile("../../testdata/forwarder/message.processed.txt")
	if err != nil {
		t.Fatal(err)
	}
	const fixtureID = "81fu1unjk93bm5cb0jlk23fll33spcvf3633l8qg1"
	s3.Put(t, "mail", "inbox/"+fixtureID, fixture)
	var demoKey string
	var demoRaw []byte
	for k, raw := range demo.Messages() {
		if s := mime.Summarize(raw); len(s.Recipients) == 1 && s.Recipients[0] == "support@acme-demo.example" && !s.Verdicts.Failed() && (demoKey == "" || k < demoKey) {
			demoKey, demoRaw = k, raw
		}
	}
	s3.Put(t, "mail", demoKey, demoRaw)

	cfgJSON := `{"forwardMapping": {"info@example.com": ["jim@example.com"], "@acme-demo.example": ["desk@team.example", "lead@team.example"]}}`
	cfgPath := filepath.Join(dir, "forwarder.json")
	os.WriteFile(cfgPath, []byte(cfgJSON), 0o600)
	cfg, _ := forward.ParseConfig([]byte(cfgJSON))
	wantDemo, err := forward.Rewrite(cfg, demoRaw, "support@acme-demo.example")
	if err != nil {
		t.Fatal(err)
	}

	stdout, stderr, code := sesbox(t, "--endpoint", s3.URL, "--bucket", "mail", "--prefix", demo.Prefix, "--ses-endpoint", proxy.URL,
		"forward", "--forward-config", cfgPath, "--yes", fixtureID, mailstore.SESMessageID(demoKey))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	rows := forwardRows(t, stdout)
	emails := proxy.Emails()
	if len(rows) != 2 || len(emails) != 2 {
		t.Fatalf("%d rows, %d emails: %s", len(rows), len(emails), stdout)
	}
	// The Lambda's fixture comes out as the Lambda's expected output, to
	// the mapped envelope.
	if !bytes.Equal(emails[0].Raw, wantFixture) {
		t.Errorf("SES received for the fixture:\n%s\nwant (message.processed.txt):\n%s", emails[0].Raw, wantFixture)
	}
	if !slices.Equal(emails[0].To, []string{"jim@example.com"}) {
		t.Errorf("fixture envelope %v", emails[0].To)
	}
	if !bytes.Equal(emails[1].Raw, wantDemo) || !slices.Equal(emails[1].To, []string{"desk@team.example", "lead@team.example"}) {
		t.Errorf("demo message: envelope %v, bytes equal %v", emails[1].To, bytes.Equal(emails[1].Raw, wantDemo))
	}
	for i, r := range rows {
		if r["status"] != "sent" || r["sesMessageId"] != emails[i].ID || emails[i].ID == "" {
			t.Errorf("row %d %v, SES id %q", i, r, emails[i].ID)
		}
	}
	// The emulator's own store has both, parsed.
	resp, err := http.Get(ses.URL + "/store")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var store struct {
		Emails []struct{ MessageID, Subject string }
	}
	if err := json.Unmarshal(body, &store); err != nil || len(store.Emails) != 2 || store.Emails[0].Subject != "Test message from Betsy" ||
		store.Emails[1].Subject != mime.Summarize(demoRaw).Subject || store.Emails[0].MessageID != emails[0].ID {
		t.Errorf("aws-ses-v2-local's store (%v): %.500s", err, body)
	}
}

// TestForwardHelperProcess is not a test: it is the sesbox process that
// TestForwardKilledMidSend starts and kills (the test binary run again with
// SESBOX_FORWARD_HELPER set to the arguments). Without that variable it
// returns at once.
func TestForwardHelperProcess(t *testing.T) {
	argsJSON := os.Getenv("SESBOX_FORWARD_HELPER")
	if argsJSON == "" {
		return
	}
	var args []string
	if err := json.Unmarshal([]byte(argsJSON), &args); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	os.Exit(run(context.Background(), args, os.Stdin, os.Stdout, os.Stderr))
}

// TestForwardKilledMidSend runs `sesbox forward` over the demo mailbox in a
// separate process, kills it (SIGKILL) while SES holds the answer to its
// twelfth send, then runs the same command again: every message reached SES
// exactly once, the one whose answer was lost is reported uncertain and not
// resent, and every message has a line.
func TestForwardKilledMidSend(t *testing.T) {
	dir := isolate(t)
	ses := peer.StartSES(t)
	const held = 12
	proxy := sesfault.Start(t, ses.URL, func(n int) sesfault.Fault {
		if n == held {
			return sesfault.Hold
		}
		return sesfault.Pass
	})
	flags, _, msgs := demoBucket(t)
	flags = append(flags, "--ses-endpoint", proxy.URL)
	cfgPath, cfg := teamForwarder(t, dir)
	keysFile, keys := demoKeysFile(t, msgs)
	args := append(slices.Clone(flags), "forward", "--forward-config", cfgPath, "--yes", "--keys-from", keysFile)

	argsJSON, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0], "-test.run=^TestForwardHelperProcess$")
	cmd.Env = append(os.Environ(), "SESBOX_FORWARD_HELPER="+string(argsJSON))
	var firstOut, firstErr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &firstOut, &firstErr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-proxy.Held:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the child never reached send %d:\n%s\n%s", held, firstOut.String(), firstErr.String())
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if got := len(forwardRows(t, firstOut.String())); got >= len(keys) {
		t.Fatalf("the child finished (%d lines) before it was killed", got)
	}

	// Which message was in flight: match what SES received to the keys.
	want := map[string][]byte{}
	for _, k := range keys {
		if out, _ := expectedForward(t, cfg, msgs[k]); out != nil {
			want[k] = out
		}
	}
	keyOf := func(raw []byte) string {
		for k, w := range want {
			if bytes.Equal(w, raw) {
				return k
			}
		}
		return ""
	}
	emails := proxy.Emails()
	if len(emails) != held {
		t.Fatalf("SES received %d messages before the kill, want %d", len(emails), held)
	}
	inFlight := keyOf(emails[held-1].Raw)

	stdout, stderr, code := sesbox(t, args...)
	rows := forwardRows(t, stdout)
	if code != 2 || len(rows) != len(keys) {
		t.Fatalf("rerun: exit %d, %d rows for %d keys: %s", code, len(rows), len(keys), stderr)
	}
	status := map[string]int{}
	for i, r := range rows {
		status[r["status"].(string)]++
		if r["key"] != keys[i] {
			t.Errorf("row %d is %v, want %s", i, r["key"], keys[i])
		}
		if r["key"] == inFlight {
			if r["status"] != "uncertain" || !strings.Contains(r["reason"].(string), "--retry-uncertain") {
				t.Errorf("the message killed mid-send: %v", r)
			}
		} else if r["status"] == "uncertain" {
			t.Errorf("another message is uncertain: %v", r)
		}
	}
	t.Logf("killed while sending %s; rerun: %v", inFlight, status)
	if inFlight == "" {
		t.Fatal("the message in flight is no message's rewrite")
	}
	if status["uncertain"] != 1 || status["skipped"] < held-1 || status["failed"] > 1 {
		t.Errorf("statuses %v", status)
	}
	count := map[string]int{}
	for _, em := range proxy.Emails() {
		k := keyOf(em.Raw)
		if k == "" {
			t.Errorf("SES received bytes that are no message's rewrite: %.200q", em.Raw)
		}
		if !slices.Equal(em.To, []string{"desk@team.example"}) {
			t.Errorf("%s: envelope %v", k, em.To)
		}
		count[k]++
	}
	for k := range want {
		s := mime.Summarize(msgs[k])
		if s.Verdicts.Failed() {
			if count[k] != 0 {
				t.Errorf("%s: spam sent", k)
			}
			continue
		}
		if count[k] != 1 {
			t.Errorf("%s reached SES %d times", k, count[k])
		}
	}
}

// TestForwardStoppedSaysWhatARerunSends: SES says the daily quota is used
// up from the second send on, so the run stops with one sent, one refused
// and two not attempted. The CLI said "run the same command again to send
// the 2 not attempted" though the rerun also sends the refused one: it
// now counts, from the journal the rerun reads, the three it sends, and
// the rerun sends exactly those.
func TestForwardStoppedSaysWhatARerunSends(t *testing.T) {
	dir := isolate(t)
	ses := peer.StartSES(t)
	var usedUp atomic.Bool
	usedUp.Store(true)
	proxy := sesfault.Start(t, ses.URL, func(n int) sesfault.Fault {
		if n >= 2 && usedUp.Load() {
			return sesfault.QuotaUsedUp
		}
		return sesfault.Pass
	})
	args := forwardOfSamples(t, dir, proxy.URL, "stopped", 4)

	_, stderr, code := sesbox(t, args...)
	const want = "forward: run the same command again to send the 3 not sent (2 not attempted, 1 that failed): what was sent is skipped\n"
	if code == 0 || !strings.Contains(stderr, want) {
		t.Errorf("exit %d, stderr:\n%s\nwant it to say:\n%s", code, stderr, want)
	}
	before := proxy.Requests()
	usedUp.Store(false)
	if _, stderr, code := sesbox(t, args...); code != 0 {
		t.Fatalf("rerun: exit %d: %s", code, stderr)
	}
	if got := proxy.Requests() - before; got != 3 {
		t.Errorf("the rerun made %d SendEmail requests, want the 3 it was said to send", got)
	}
}

// TestForwardStopsWhenS3RejectsTheCredentials: credentials that expire
// mid-run (an SSO or assumed-role session) made S3 refuse each message's
// read in turn: "6 sent, 24 failed", each reason the SDK's "read ...:
// operation error S3: GetObject, ... ExpiredToken", no hint and nothing
// said of a rerun (tried against versitygw). The first read S3 refuses
// the credentials of stops the run as an SES refusal of every send does:
// hint first, the rest not attempted, and the rerun sends what is left.
func TestForwardStopsWhenS3RejectsTheCredentials(t *testing.T) {
	dir := isolate(t)
	ses := peer.StartSES(t)
	proxy := sesfault.Start(t, ses.URL, nil)
	srv := peer.StartS3(t, false)
	cl := srv.CreateBuckets(t, "mail")
	t.Setenv("AWS_ACCESS_KEY_ID", peer.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", peer.SecretKey)
	fixture, err := os.ReadFile("../../testdata/forwarder/message.txt")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 4 {
		id := fmt.Sprintf("expired%035d", i)
		if _, err := cl.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("mail"), Key: aws.String("inbox/" + id), Body: bytes.NewReader(fixture)}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	// The plan reads each header (a ranged GET); the run reads each
	// message whole. The session expires after the first whole read.
	var whole atomic.Int32
	s3p := faultproxy.Start(t, srv.URL, faultproxy.Config{Expired: 1, Match: func(r *http.Request) bool {
		return r.Method == http.MethodGet && r.Header.Get("Range") == "" && strings.Contains(r.URL.Path, "/inbox/") && whole.Add(1) > 1
	}})
	cfgPath := filepath.Join(dir, "forwarder.json")
	os.WriteFile(cfgPath, []byte(`{"forwardMapping": {"info@example.com": ["jim@example.com"]}}`), 0o600)
	args := append([]string{"--endpoint", s3p.URL, "--bucket", "mail", "--prefix", "inbox/", "--ses-endpoint", proxy.URL,
		"forward", "--forward-config", cfgPath, "--yes"}, ids...)

	stdout, stderr, code := sesbox(t, args...)
	const hint = "sesbox: credentials rejected — they have expired: refresh them (aws sso login for an SSO profile; for temporary keys, new ones with their session token from what issued them, in AWS_SESSION_TOKEN or the profile's aws_session_token); they came from the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY); then run the same command again: what was sent is skipped"
	if code == 0 || !strings.Contains(stderr, hint) || !strings.Contains(stderr, "forward: 1 sent, 1 failed, 2 not attempted\n") {
		t.Errorf("exit %d, stderr:\n%s\nwant it stopped, saying:\n%s", code, stderr, hint)
	}
	var results []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("%v: %q", err, l)
		}
		results = append(results, m)
	}
	if len(results) != 4 || results[0]["status"] != "sent" || !strings.HasPrefix(results[1]["reason"].(string), "credentials rejected") ||
		!strings.HasPrefix(results[2]["reason"].(string), "not attempted") {
		t.Errorf("results: %v", results)
	}
	if n := len(proxy.Emails()); n != 1 {
		t.Errorf("%d emails reached SES, want the 1 sent before the credentials expired", n)
	}
	whole.Store(-1000) // new credentials
	if _, stderr, code := sesbox(t, args...); code != 0 {
		t.Fatalf("rerun: exit %d: %s", code, stderr)
	}
	if n := len(proxy.Emails()); n != 4 {
		t.Errorf("%d emails reached SES after the rerun, want 4, one a message", n)
	}
}

// forwardOfSamples stores n copies of the forwarder's sample message in
// an in-process S3 bucket "mail" under inbox/, each under an id of
// idPrefix and its number (41 characters, as SES's), writes a forwarder
// config sending info@example.com's mail to jim@example.com, and returns
// the arguments of a forward --yes of them all through sesURL.
func forwardOfSamples(t *testing.T, dir, sesURL, idPrefix string, n int) []string {
	t.Helper()
	s3 := fakes3.Start(t, "mail")
	fixture, err := os.ReadFile("../../testdata/forwarder/message.txt")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range n {
		id := fmt.Sprintf("%s%0*d", idPrefix, 41-len(idPrefix), i)
		s3.Put(t, "mail", "inbox/"+id, fixture)
		ids = append(ids, id)
	}
	cfgPath := filepath.Join(dir, "forwarder.json")
	if err := os.WriteFile(cfgPath, []byte(`{"forwardMapping": {"info@example.com": ["jim@example.com"]}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	return append([]string{"--endpoint", s3.URL, "--bucket", "mail", "--prefix", "inbox/", "--ses-endpoint", sesURL,
		"forward", "--forward-config", cfgPath, "--yes"}, ids...)
}

// TestForwardRefusalsExitAndJSON: the CLI contract of the classes of SES
// refusal (aws-ses-v2-local behind the fault proxy). A refusal of the
// message itself (MessageRejected "Illegal address"): exit 2, its JSON
// line failed with SES's reason, hint first; the rerun sends nothing,
// exits 2 and says the same and how to send it; --retry-refused sends
// it, once. A refusal of every send (the fromEmail not verified): exit 1,
// the hint first on stderr, the rest not attempted; the same command
// after the fix sends the rest. No message reaches SES twice.
func TestForwardRefusalsExitAndJSON(t *testing.T) {
	ses := peer.StartSES(t)
	results := func(t *testing.T, stdout string) []reforward.Result {
		t.Helper()
		var out []reforward.Result
		for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
			var r reforward.Result
			if err := json.Unmarshal([]byte(l), &r); err != nil {
				t.Fatalf("%v: %q", err, l)
			}
			out = append(out, r)
		}
		return out
	}
	t.Run("message", func(t *testing.T) {
		dir := isolate(t)
		var fixed atomic.Bool
		proxy := sesfault.Start(t, ses.URL, func(n int) sesfault.Fault {
			if n == 2 && !fixed.Load() {
				return sesfault.RejectContent
			}
			return sesfault.Pass
		})
		args := forwardOfSamples(t, dir, proxy.URL, "refused", 3)
		stdout, stderr, code := sesbox(t, args...)
		res := results(t, stdout)
		const hint = "SES rejected this message, not the account — sent again as it is, it would be refused again"
		if code != 2 || len(res) != 3 || res[0].Status != "sent" || res[2].Status != "sent" || res[1].Status != "failed" || !res[1].Refused || !strings.Contains(stdout, `"refused":true`) ||
			!strings.HasPrefix(res[1].Reason, hint) || !strings.Contains(res[1].Reason, "Illegal address") || !strings.Contains(stderr, "forward: 2 sent, 1 failed\n") {
			t.Fatalf("exit %d, stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
		before := proxy.Requests()
		stdout, stderr, code = sesbox(t, args...)
		res = results(t, stdout)
		if n := proxy.Requests() - before; code != 2 || n != 0 || res[1].Status != "failed" || !res[1].Refused || !strings.HasPrefix(res[1].Reason, hint) ||
			!strings.Contains(res[1].Reason, "once it is fixed, sesbox forward --retry-refused sends it") || !strings.Contains(stderr, "forward: 2 skipped, 1 failed\n") {
			t.Fatalf("rerun: exit %d, %d requests, stdout:\n%s\nstderr:\n%s", code, n, stdout, stderr)
		}
		fixed.Store(true)
		before = proxy.Requests()
		stdout, stderr, code = sesbox(t, append(args, "--retry-refused")...)
		res = results(t, stdout)
		if n := proxy.Requests() - before; code != 0 || n != 1 || res[1].Status != "sent" {
			t.Fatalf("--retry-refused: exit %d, %d requests, stdout:\n%s\nstderr:\n%s", code, n, stdout, stderr)
		}
		if got := len(proxy.Emails()); got != 3 {
			t.Errorf("SES took %d messages, want each of the 3 once", got)
		}
	})
	t.Run("every send", func(t *testing.T) {
		dir := isolate(t)
		var fixed atomic.Bool
		proxy := sesfault.Start(t, ses.URL, func(n int) sesfault.Fault {
			if n >= 2 && !fixed.Load() {
				return sesfault.RejectSender
			}
			return sesfault.Pass
		})
		args := forwardOfSamples(t, dir, proxy.URL, "sender", 4)
		if err := os.WriteFile(filepath.Join(dir, "forwarder.json"), []byte(`{"fromEmail": "`+sesfault.SenderAddress+`", "forwardMapping": {"info@example.com": ["jim@example.com"]}}`), 0o600); err != nil {
			t.Fatal(err)
		}
		stdout, stderr, code := sesbox(t, args...)
		res := results(t, stdout)
		const hint = "\nsesbox: the address forwards are sent as, forwarder@acme.example, is not verified in SES (US-EAST-1) — verify it or its domain"
		if code != 1 || len(res) != 4 || res[0].Status != "sent" || res[1].Status != "failed" || res[1].Refused || !res[2].NotAttempted() || !res[3].NotAttempted() ||
			!strings.Contains(stderr, hint) || proxy.Requests() != 2 ||
			!strings.Contains(stderr, "forward: run the same command again to send the 3 not sent (2 not attempted, 1 that failed): what was sent is skipped\n") {
			t.Fatalf("exit %d, %d requests, stdout:\n%s\nstderr:\n%s", code, proxy.Requests(), stdout, stderr)
		}
		fixed.Store(true)
		before := proxy.Requests()
		stdout, stderr, code = sesbox(t, args...)
		if n := proxy.Requests() - before; code != 0 || n != 3 {
			t.Fatalf("rerun after the fix: exit %d, %d requests, stdout:\n%s\nstderr:\n%s", code, n, stdout, stderr)
		}
		if got := len(proxy.Emails()); got != 4 {
			t.Errorf("SES took %d messages, want each of the 4 once", got)
		}
	})
}
