package fwdlog

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore"
)

// fixtureMessages are the stored messages of fixtureCases: keys under
// inbound/, stored a second before their first invocation.
func fixtureMessages(t testing.TB) []Message {
	var out []Message
	for _, c := range fixtureCases(t) {
		out = append(out, Message{Key: "inbound/" + c.MessageID, Stored: time.UnixMilli(c.Start).Add(-time.Second).UTC(), Recipients: c.Recipients})
	}
	return out
}

func TestParseFixtureOutcomes(t *testing.T) {
	invs := Parse(fixtureEvents(t))
	msgs := append(fixtureMessages(t),
		// Stored while the log covers it, never invoked.
		Message{Key: "inbound/msg-never", Stored: fixtureBase.Add(5 * time.Minute), Recipients: []string{"info@example.com"}},
		// Stored before the log's retention.
		Message{Key: "inbound/msg-old", Stored: fixtureBase.Add(-48 * time.Hour), Recipients: []string{"info@example.com"}},
		// Stored just before the read ended: its invocation may be on its way.
		Message{Key: "inbound/msg-recent", Stored: fixtureBase.Add(119 * time.Minute), Recipients: []string{"info@example.com"}},
	)
	cov := Coverage{From: fixtureBase.Add(-24 * time.Hour), To: fixtureBase.Add(2 * time.Hour)}
	got := Outcomes(invs, msgs, cov)

	type want struct {
		status, errPart string
		requests        int
	}
	wants := map[string]want{
		"msg-ok":           {mailstore.ForwardForwarded, "", 1},
		"msg-size":         {mailstore.ForwardFailed, "MessageRejected: Message length is more than 41943040 bytes", 3},
		"msg-unverified":   {mailstore.ForwardFailed, "MessageRejected: Email address is not verified. The following identities failed the check in region US-EAST-1: sales@example.org; Step returned error: Error: Email sending failed.", 1},
		"msg-denied":       {mailstore.ForwardFailed, "AccessDenied: Access Denied; Step returned error: Error: Could not make readable copy of email.", 1},
		"msg-nokey":        {mailstore.ForwardFailed, "NoSuchKey: The specified key does not exist.", 1},
		"msg-skip":         {mailstore.ForwardSkipped, "no forward mapping for nobody@elsewhere.example", 1},
		"msg-timeout":      {mailstore.ForwardFailed, "Task timed out after 3.00 seconds", 1},
		"msg-retry":        {mailstore.ForwardForwarded, "", 2},
		"msg-dup":          {mailstore.ForwardForwarded, "", 2},
		"msg-fail-then-ok": {mailstore.ForwardForwarded, "", 3},
		"msg-ok-then-fail": {mailstore.ForwardForwarded, "", 2},
		"msg-hostile":      {mailstore.ForwardFailed, "MessageRejected: Email address is not verified.", 1},
		"msg-skip-hostile": {mailstore.ForwardSkipped, "no forward mapping for x'\"`", 1},
		"msg-never":        {mailstore.ForwardNone, "", 0},
		"msg-old":          {mailstore.ForwardUnknown, "", 0},
		"msg-recent":       {mailstore.ForwardUnknown, "", 0},
	}
	if len(got) != len(wants) {
		t.Errorf("%d outcomes, want %d", len(got), len(wants))
	}
	for id, w := range wants {
		f := got["inbound/"+id]
		if f.Status != w.status || !strings.Contains(f.Error, w.errPart) || len(f.Requests) != w.requests {
			t.Errorf("%s: got %s %q (%d requests), want %s containing %q (%d requests)", id, f.Status, f.Error, len(f.Requests), w.status, w.errPart, w.requests)
		}
		if w.errPart == "" && f.Error != "" {
			t.Errorf("%s: error %q, want none", id, f.Error)
		}
		if strings.ContainsAny(f.Error, "\x1b\x07\n\u202e") {
			t.Errorf("%s: error not sanitized: %q", id, f.Error)
		}
	}
	// The forged "SendEmailCommand() successful." inside the hostile SES
	// error did not count, and the forged request id made no invocation.
	for _, inv := range invs {
		if inv.RequestID == "11111111-2222-4333-a444-555555555555" {
			t.Errorf("a forged line inside an error made invocation %s", inv.RequestID)
		}
	}
	if f := got["inbound/msg-ok"]; !reflect.DeepEqual(f.Destinations, []string{"jim@example.com", "jane@example.com"}) || f.Time.IsZero() {
		t.Errorf("msg-ok: destinations %q at %v", f.Destinations, f.Time)
	}
	if f := got["inbound/msg-timeout"]; !reflect.DeepEqual(f.Destinations, []string{"jim@example.com", "jane@example.com"}) {
		t.Errorf("msg-timeout: destinations %q", f.Destinations)
	}
}

func TestRunningInvocationIsUnknown(t *testing.T) {
	id := "0a0b0c0d-0000-4000-a000-000000000001"
	t0 := fixtureBase
	events := []Event{
		{ID: "1", Time: t0, Message: "START RequestId: " + id + " Version: $LATEST\n"},
		{ID: "2", Time: t0.Add(time.Millisecond), Message: "2026-12-01T10:00:00.001Z\t" + id + "\tINFO\t{ level: 'info', message: 'Fetching email at s3://b/in/m1' }\n"},
	}
	got := Outcomes(Parse(events), []Message{{Key: "in/m1", Stored: t0}}, Coverage{From: t0.Add(-time.Hour), To: t0.Add(time.Hour)})
	if got["in/m1"].Status != mailstore.ForwardUnknown {
		t.Fatalf("an invocation without an end: %+v, want unknown", got["in/m1"])
	}
}

// TestLookAlikesRefused feeds lines that resemble the runtime's but are
// not its structure: none may make or change an invocation.
func TestLookAlikesRefused(t *testing.T) {
	id := "0a0b0c0d-0000-4000-a000-000000000002"
	t0 := fixtureBase
	good := []Event{
		{ID: "1", Time: t0, Message: "START RequestId: " + id + " Version: $LATEST\n"},
		{ID: "2", Time: t0, Message: "2026-12-01T10:00:00.001Z\t" + id + "\tINFO\t{ level: 'info', message: 'Fetching email at s3://b/in/m1' }\n"},
	}
	fake := []string{
		// Not at the start of the event.
		" 2026-12-01T10:00:00.002Z\t" + id + "\tINFO\t{ level: 'info', message: 'SendEmailCommand() successful.' }",
		"x\n2026-12-01T10:00:00.002Z\t" + id + "\tINFO\t{ level: 'info', message: 'SendEmailCommand() successful.' }",
		// Not a request id, not a time, not INFO.
		"2026-12-01T10:00:00.002Z\tnot-a-request-id\tINFO\t{ level: 'info', message: 'SendEmailCommand() successful.' }",
		"2026-12-01 10:00:00\t" + id + "\tINFO\t{ level: 'info', message: 'SendEmailCommand() successful.' }",
		"2026-12-01T10:00:00.002Z\t" + id + "\tWARN\t{ level: 'info', message: 'SendEmailCommand() successful.' }",
		// A plain string, not the Lambda's log object.
		"2026-12-01T10:00:00.002Z\t" + id + "\tINFO\tSendEmailCommand() successful.",
		"2026-12-01T10:00:00.002Z\t" + id + "\tINFO\t{ message: 'SendEmailCommand() successful.' }",
		"2026-12-01T10:00:00.002Z\t" + id + "\tINFO\t{ level: 'debug', message: 'SendEmailCommand() successful.' }",
		"2026-12-01T10:00:00.002Z\t" + id + "\tINFO\t{ level: 'info', message: 'SendEmailCommand() successful. ' }",
		"2026-12-01T10:00:00.002Z\t" + id + "\tINFO\t{ level: 'info', note: 'x', message: 'SendEmailCommand() successful.' }",
		"2026-12-01T10:00:00.002Z\t" + id + "\tINFO\t{ level: 'info', message: 'SendEmailCommand() successful.\n' }",
		"2026-12-01T10:00:00.002Z\t" + id + "\tINFO\t{ level: 'info', message: 'SendEmailCommand() successful.' } trailing",
		"2026-12-01T10:00:00.002Z\t" + id + "\tINFO\t{ level: 'info', message: 'SendEmailCommand() successful.' + x }",
		"2026-12-01T10:00:00.002Z\t" + id + "\tINFO\t{ level: 'info', message: 'Process finished successfully.\\' }",
		// A logged string holding a line, quoted as util.inspect does.
		"2026-12-01T10:00:00.002Z\t" + id + "\tINFO\t{ level: 'info', message: 'x\\n2026-12-01T10:00:00.002Z\\t" + id + "\\tINFO\\t{ level: \\'info\\', message: \\'SendEmailCommand() successful.\\' }' }",
		"START RequestId: " + strings.ToUpper(id) + " Version: $LATEST",
		"REPORTRequestId: " + id,
		"2026-12-01T10:00:00.002Z\t" + id + " Task timed out after 3.00 seconds",
		"2026-12-01T10:00:00.002Z " + id + " Task timed out after 3.00 seconds, really",
	}
	base := Parse(good)
	for i, f := range fake {
		got := Parse(append(good, Event{ID: "f", Time: t0.Add(time.Second), Message: f}))
		if len(got) != 1 || got[0].Sent || got[0].Finished || got[0].TimedOut != "" || got[0].Ended || got[0].outcome() != outcomeNone {
			t.Errorf("look-alike %d changed the invocations: %q\n%+v", i, f, got)
			continue
		}
		got[0].Lines, base[0].Lines = nil, nil
		if !reflect.DeepEqual(got, base) {
			t.Errorf("look-alike %d changed the invocation: %q", i, f)
		}
	}
	// The real thing does count (the test can fail).
	real := Parse(append(good, Event{ID: "r", Time: t0.Add(time.Second), Message: "2026-12-01T10:00:00.002Z\t" + id + "\tINFO\t{\n  level: 'info',\n  message: 'SendEmailCommand() successful.',\n  result: { MessageId: 'x' }\n}\n"}))
	if !real[0].Sent {
		t.Fatal("the runtime's own line was not read")
	}
}

func TestStringLiterals(t *testing.T) {
	for in, want := range map[string]string{
		`{ level: 'info', message: 'a\'b' }`:                                 `a'b`,
		`{ level: 'info', message: "a'b" }`:                                  `a'b`,
		"{ level: 'info', message: `a'\"b` }":                                `a'"b`,
		`{ level: 'info', message: 'x\x1B[2J\u00e9\\' }`:                     "x\x1b[2Jé\\",
		"{\n  level: 'info',\n  message: 'line one\\n' +\n    'line two'\n}": "line one\nline two",
		`{ message: 'm', level: 'error' }`:                                   "m",
	} {
		_, msg, _, ok := parseLogObject(in)
		if !ok || msg != want {
			t.Errorf("parseLogObject(%q) = %q, %v; want %q", in, msg, ok, want)
		}
	}
}

var uuidOnly = regexp.MustCompile(`^` + uuidRE + `$`)

// FuzzParse: on any events, Parse does not panic, every invocation has a
// request id of the runtime's form, the result does not depend on the
// order of the events or on repeated deliveries of the same event, and
// every failure reason Outcomes gives is one sanitized line.
func FuzzParse(f *testing.F) {
	for _, e := range fixtureEvents(f) {
		f.Add(e.Message, "")
	}
	f.Add("2026-12-01T10:00:00.002Z\t0a0b0c0d-0000-4000-a000-000000000002\tINFO\t{ level: 'error', message: 'Step returned error: x',\n  error: \x1b[31mBoom\n}", "START RequestId: 0a0b0c0d-0000-4000-a000-000000000002 Version: $LATEST")
	f.Fuzz(func(t *testing.T, a, b string) {
		var events []Event
		for i, m := range append(strings.Split(a, "\x00"), strings.Split(b, "\x00")...) {
			events = append(events, Event{ID: fmt.Sprint(i), Time: fixtureBase.Add(time.Duration(i) * time.Millisecond), Message: m})
		}
		invs := Parse(events)
		ids := map[string]bool{}
		for _, inv := range invs {
			if !uuidOnly.MatchString(inv.RequestID) {
				t.Fatalf("request id %q", inv.RequestID)
			}
			ids[inv.RequestID] = true
		}
		// RequestID (what the index files each event under) agrees with
		// Parse's grouping.
		for _, e := range events {
			if id := RequestID(e.Message); id != "" && !ids[id] {
				t.Fatalf("RequestID(%q) = %q, an invocation Parse does not know", e.Message, id)
			}
		}
		shuffled := append([]Event{}, events...)
		rand.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		shuffled = append(shuffled, events...)
		if again := Parse(shuffled); !reflect.DeepEqual(summarize(again), summarize(invs)) {
			t.Fatalf("order or repeats changed the result:\n%+v\n%+v", again, invs)
		}
		var msgs []Message
		for _, inv := range invs {
			msgs = append(msgs, Message{Key: "p/" + inv.MessageID, Stored: inv.Start, Recipients: inv.Original})
		}
		for _, o := range Outcomes(invs, msgs, Coverage{From: fixtureBase, To: fixtureBase.Add(time.Hour)}) {
			if strings.ContainsAny(o.Error, "\x1b\n\r\t\x07") {
				t.Fatalf("unsanitized reason %q", o.Error)
			}
		}
	})
}

// summarize is an invocation without its lines' order among events of the
// same time (a sort that is stable only for the input order).
func summarize(invs []Invocation) []Invocation {
	out := make([]Invocation, len(invs))
	for i, inv := range invs {
		inv.Lines = nil
		out[i] = inv
	}
	return out
}

// TestRequestIDOfEveryFixtureLine: every event of the real Lambda's log
// but the cold start's is filed under its invocation, as Parse groups it.
func TestRequestIDOfEveryFixtureLine(t *testing.T) {
	byLine := map[string]string{}
	for _, inv := range Parse(fixtureEvents(t)) {
		for _, l := range inv.Lines {
			byLine[l.Text] = inv.RequestID
		}
	}
	for _, e := range fixtureEvents(t) {
		got := RequestID(e.Message)
		if strings.HasPrefix(e.Message, "INIT_START") || strings.Contains(e.Message, "\tundefined\t") {
			if got != "" {
				t.Errorf("cold start line filed under %q", got)
			}
			continue
		}
		if want := byLine[strings.TrimRight(e.Message, "\n")]; got == "" || got != want {
			t.Errorf("RequestID(%q) = %q, want %q", e.Message, got, want)
		}
	}
}

// TestCarriageReturnLayout: the runtime's older stdout format, one line
// with carriage returns for the object's newlines, reads the same.
func TestCarriageReturnLayout(t *testing.T) {
	id := "0a0b0c0d-0000-4000-a000-000000000003"
	events := []Event{
		{ID: "1", Time: fixtureBase, Message: "START RequestId: " + id + " Version: $LATEST\n"},
		{ID: "2", Time: fixtureBase, Message: "2026-12-01T10:00:00.001Z\t" + id + "\tINFO\t{\r  level: 'info',\r  message: 'Fetching email at s3://b/in/m1'\r}\n"},
		{ID: "3", Time: fixtureBase, Message: "2026-12-01T10:00:00.002Z\t" + id + "\tINFO\t{\r  level: 'error',\r  message: 'SendEmailCommand() returned error.',\r  error: MessageRejected: nope\r      at x\r}\n"},
	}
	invs := Parse(events)
	if len(invs) != 1 || invs[0].MessageID != "m1" || invs[0].Cause != "MessageRejected: nope" {
		t.Fatalf("%+v", invs)
	}
}
