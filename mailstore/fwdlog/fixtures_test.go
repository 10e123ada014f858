package fwdlog

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore/testutil/lambdafwd"
)

var update = flag.Bool("update", false, "rewrite testdata/lambda-events.jsonl from the real Lambda")

const fixturePath = "testdata/lambda-events.jsonl"

// fixtureBase is the simulated time of the first fixture invocation.
var fixtureBase = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// hostileSESError is an SES error text carrying a forged log line, escape
// sequences, quotes of every kind and a bidi override.
const hostileSESError = "Email address is not verified.\n2026-12-01T10:00:00.000Z\t11111111-2222-4333-a444-555555555555\tINFO\t{ level: 'info', message: 'SendEmailCommand() successful.' }\n\x1b[2J\x1b]0;owned\x07 '\"` \u202egpj.exe"

// fixtureCases are the invocations the checked-in fixture was made from:
// every outcome of issue #16 on a real message, with three invocations
// starting in the same millisecond (their lines interleave), a retried one
// (throttled, then sent), a duplicate delivery and hostile error text.
func fixtureCases(t testing.TB) []lambdafwd.LogCase {
	raw, err := os.ReadFile("../../testdata/forwarder/message.txt")
	if err != nil {
		t.Fatal(err)
	}
	cfg := json.RawMessage(`{"fromEmail": "noreply@example.com", "emailBucket": "mail-bucket", "emailKeyPrefix": "inbound/", "forwardMapping": {"info@example.com": ["jim@example.com", "jane@example.com"], "@example.org": ["org@example.com"]}}`)
	at := func(min int) int64 { return lambdafwd.StartAt(fixtureBase.Add(time.Duration(min) * time.Minute)) }
	c := func(id string, start int64, rcpt []string, attempts ...string) lambdafwd.LogCase {
		return lambdafwd.LogCase{MessageID: id, Raw: raw, Recipients: rcpt, Config: cfg, Start: start, Attempts: attempts}
	}
	info := []string{"info@example.com"}
	cases := []lambdafwd.LogCase{
		c("msg-ok", at(0), info, lambdafwd.Success),
		c("msg-size", at(0), info, lambdafwd.RejectedSize, lambdafwd.RejectedSize, lambdafwd.RejectedSize),
		c("msg-unverified", at(0), []string{"sales@example.org"}, lambdafwd.RejectedUnverified),
		c("msg-denied", at(10), info, lambdafwd.S3AccessDenied),
		c("msg-nokey", at(11), info, lambdafwd.S3NoSuchKey),
		c("msg-skip", at(12), []string{"nobody@elsewhere.example"}, lambdafwd.Success),
		c("msg-timeout", at(13), info, lambdafwd.Timeout),
		c("msg-retry", at(20), info, lambdafwd.Throttled, lambdafwd.Success),
		c("msg-dup", at(30), info, lambdafwd.Success, lambdafwd.Success),
		c("msg-fail-then-ok", at(40), info, lambdafwd.S3AccessDenied, lambdafwd.Throttled, lambdafwd.Success),
		c("msg-ok-then-fail", at(50), info, lambdafwd.Success, lambdafwd.Throttled),
	}
	h := c("msg-hostile", at(60), info, lambdafwd.RejectedUnverified)
	h.SESError = hostileSESError
	cases = append(cases, h, c("msg-skip-hostile", at(61), []string{"x'\"`\x1b[2J@elsewhere.example"}, lambdafwd.Success))
	return cases
}

// stackFrame matches the "at ..." lines of a stack trace, which name Node's
// own files and line numbers (another Node release, other numbers).
var stackFrame = regexp.MustCompile(`(?m)^.*\bat \S.*\(?(node:internal|/var/task|/var/runtime)[^\n]*$`)

func normalize(events []lambdafwd.LogEvent) []lambdafwd.LogEvent {
	out := make([]lambdafwd.LogEvent, len(events))
	for i, e := range events {
		e.Message = stackFrame.ReplaceAllString(e.Message, "<frame>")
		out[i] = e
	}
	return out
}

// TestFixtureFromRealLambda runs the real Lambda (aws-lambda-ses-forwarder
// 6.0.0 under Node) on fixtureCases and compares its log with the
// checked-in fixture (stack frames aside): the fixture the parser is tested
// on is what the Lambda writes. -update rewrites the fixture.
func TestFixtureFromRealLambda(t *testing.T) {
	got := lambdafwd.RunLogs(t, fixtureCases(t))
	if *update {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		for _, e := range got {
			if err := enc.Encode(e); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(fixturePath, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want := loadFixture(t)
	g, w := normalize(got), normalize(want)
	if len(g) != len(w) {
		t.Fatalf("the Lambda wrote %d events, the fixture has %d (go test -run TestFixtureFromRealLambda -update)", len(g), len(w))
	}
	for i := range g {
		if g[i] != w[i] {
			t.Fatalf("event %d differs from the fixture (go test -run TestFixtureFromRealLambda -update):\n got %q\nwant %q", i, g[i].Message, w[i].Message)
		}
	}
}

func loadFixture(t testing.TB) []lambdafwd.LogEvent {
	t.Helper()
	f, err := os.Open(fixturePath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []lambdafwd.LogEvent
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var e lambdafwd.LogEvent
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) < 50 {
		t.Fatalf("fixture has only %d events", len(out))
	}
	return out
}

func fixtureEvents(t testing.TB) []Event {
	var out []Event
	for _, e := range loadFixture(t) {
		out = append(out, Event{ID: e.EventID, Time: time.UnixMilli(e.Timestamp).UTC(), Message: e.Message})
	}
	return out
}

func TestFixtureIsInterleaved(t *testing.T) {
	// The first three invocations start together: their lines must
	// alternate in the log, or the fixture tests nothing of the grouping.
	var ids []string
	for _, e := range fixtureEvents(t) {
		if m := runtimeRE().FindStringSubmatch(e.Message); m != nil && strings.Contains(e.Message, "Fetching email") {
			ids = append(ids, m[2])
		}
	}
	if len(ids) < 3 || ids[0] == ids[1] || ids[1] == ids[2] {
		t.Fatalf("fetch lines of the first invocations are not interleaved: %v", ids)
	}
}
