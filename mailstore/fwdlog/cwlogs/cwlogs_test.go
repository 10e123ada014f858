package cwlogs

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/fwdlog"
	"github.com/sesbox/sesbox/mailstore/testutil/dynfault"
	"github.com/sesbox/sesbox/mailstore/testutil/fakelogs"
	"github.com/sesbox/sesbox/mailstore/testutil/faultproxy"
	"github.com/sesbox/sesbox/mailstore/testutil/lambdafwd"
)

var fixtureBase = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// fixture is the checked-in log of the real Lambda (mailstore/fwdlog).
func fixture(t *testing.T) []fakelogs.Event {
	t.Helper()
	b, err := os.ReadFile("../testdata/lambda-events.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var out []fakelogs.Event
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var e lambdafwd.LogEvent
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatal(err)
		}
		out = append(out, fakelogs.Event(e))
	}
	return out
}

// logsClient is the real SDK client pointed at the fake (no CloudWatch
// Logs emulator exists among the reachable registries: see fakelogs).
func logsClient(url string) *cloudwatchlogs.Client {
	return cloudwatchlogs.New(cloudwatchlogs.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
}

func TestFetchPaginatesWithinBounds(t *testing.T) {
	srv := fakelogs.Start(t)
	srv.PageSize, srv.EmptyPages = 7, true
	srv.Now = func() time.Time { return fixtureBase.Add(3 * time.Hour) }
	const grp = "/aws/lambda/SesForwarder"
	srv.CreateGroup(grp, fixtureBase.Add(-time.Hour), 30)
	srv.CreateGroup(grp+"-other", fixtureBase, 0)
	all := fixture(t)
	srv.Put(grp, all...)
	api := New(logsClient(srv.URL))
	ctx := context.Background()

	var got []fwdlog.Event
	pages := 0
	err := api.Fetch(ctx, grp, fixtureBase.Add(-time.Hour), fixtureBase.Add(2*time.Hour), func(p []fwdlog.Event) error {
		pages++
		got = append(got, p...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(all) || pages < len(all)/7 {
		t.Fatalf("fetched %d events in %d pages, want %d in pages of 7", len(got), pages, len(all))
	}
	for i := range got {
		if got[i].ID != all[i].EventID || got[i].Message != all[i].Message || got[i].Time.UnixMilli() != all[i].Timestamp {
			t.Fatalf("event %d: %+v, want %+v", i, got[i], all[i])
		}
	}
	// Bounds are inclusive, to the millisecond.
	from, to := time.UnixMilli(all[10].Timestamp), time.UnixMilli(all[20].Timestamp)
	var n int
	api.Fetch(ctx, grp, from, to, func(p []fwdlog.Event) error {
		for _, e := range p {
			if e.Time.Before(from) || e.Time.After(to) {
				t.Errorf("event at %v outside [%v, %v]", e.Time, from, to)
			}
			n++
		}
		return nil
	})
	if n < 11 {
		t.Errorf("%d events in the bounds, want at least 11", n)
	}

	g, err := api.DescribeGroup(ctx, grp)
	if err != nil || g.RetentionDays != 30 || !g.Created.Equal(fixtureBase.Add(-time.Hour)) {
		t.Fatalf("describe: %+v, %v", g, err)
	}
	if got := g.CoveredFrom(fixtureBase.Add(40 * 24 * time.Hour)); !got.Equal(fixtureBase.Add(10 * 24 * time.Hour)) {
		t.Errorf("covered from %v: retention ignored", got)
	}
	if g2, err := api.DescribeGroup(ctx, grp+"-other"); err != nil || g2.RetentionDays != 0 {
		t.Fatalf("second page of groups: %+v, %v", g2, err)
	}
	if _, err := api.DescribeGroup(ctx, "/aws/lambda/None"); !errors.Is(err, fwdlog.ErrNoGroup) {
		t.Errorf("missing group: %v", err)
	}
	err = api.Fetch(ctx, "/aws/lambda/None", from, to, func([]fwdlog.Event) error { return nil })
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) || !strings.Contains(mailstore.Explain(err), "check forwarder_logs") {
		t.Errorf("missing group: %v, want ResourceNotFoundException with a hint", mailstore.Explain(err))
	}
}

// TestRejectedCredentialsSayWhereTheyCameFrom: CloudWatch Logs refusing
// the key (UnrecognizedClientException, from the fault proxy in front of
// the fake) said only "read log group G: ... api error
// UnrecognizedClientException", where S3's and SES's hints say the
// credentials were rejected and where they came from; it says both.
func TestRejectedCredentialsSayWhereTheyCameFrom(t *testing.T) {
	srv := fakelogs.Start(t)
	const grp = "/aws/lambda/SesForwarder"
	srv.CreateGroup(grp, fixtureBase, 30)
	px := dynfault.Start(t, srv.URL, func(int, string) dynfault.Fault { return dynfault.RejectCredentials })
	r := New(logsClient(px.URL)).WithProfile("work")
	want := "credentials rejected by CloudWatch Logs — they came from static credentials given to sesbox; check them"
	_, err := r.DescribeGroup(context.Background(), grp)
	if got := mailstore.Explain(err); !strings.HasPrefix(got, want) || !strings.Contains(got, grp) {
		t.Errorf("describe: %q\nwant %q first, then the group", got, want)
	}
	err = r.Fetch(context.Background(), grp, fixtureBase, fixtureBase.Add(time.Hour), func([]fwdlog.Event) error { return nil })
	if got := mailstore.Explain(err); !strings.HasPrefix(got, want) || !strings.Contains(got, grp) {
		t.Errorf("fetch: %q\nwant %q first, then the group", got, want)
	}
}

// TestUnreachableEndpointSaysWhatToCheckFirst: a log endpoint nothing
// answers at said only the SDK's error ("describe log group G: operation
// error CloudWatch Logs: DescribeLogGroups, ... request send failed, ...
// connection refused"), where the team table and S3 name what to check;
// seen with sesbox index and forwarder_logs set but no --logs-endpoint
// for a local S3 ("no such host: logs.us-east-1.amazonaws.com").
func TestUnreachableEndpointSaysWhatToCheckFirst(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String()
	l.Close() // nothing listens there now
	const grp = "/aws/lambda/SesForwarder"
	r := New(logsClient(url))
	want := "cannot reach the forwarder's log group " + grp + ": connection refused: " + url + " — check --logs-endpoint or logs_endpoint (or AWS_ENDPOINT_URL_CLOUDWATCH_LOGS)"
	_, err = r.DescribeGroup(context.Background(), grp)
	if got := mailstore.Explain(err); !strings.HasPrefix(got, want) {
		t.Errorf("describe: %q\nwant %q first", got, want)
	}
	err = r.Fetch(context.Background(), grp, fixtureBase, fixtureBase.Add(time.Hour), func([]fwdlog.Event) error { return nil })
	if got := mailstore.Explain(err); !strings.HasPrefix(got, want) {
		t.Errorf("fetch: %q\nwant %q first", got, want)
	}
}

// TestFetchEndsOnARepeatedPageToken: a server that answers the second
// page with the token it was asked with (stuck on one page). Fetch sent
// that token again and again and handed the same events on each time:
// stopped here after 100 pages, the loop had no end. It ends at the
// repeat with an error, hint first, having read each page once.
func TestFetchEndsOnARepeatedPageToken(t *testing.T) {
	srv := fakelogs.Start(t)
	srv.PageSize, srv.RepeatToken = 7, true
	srv.Now = func() time.Time { return fixtureBase.Add(3 * time.Hour) }
	const grp = "/aws/lambda/SesForwarder"
	srv.CreateGroup(grp, fixtureBase.Add(-time.Hour), 30)
	srv.Put(grp, fixture(t)...)
	api := New(logsClient(srv.URL))
	pages := 0
	err := api.Fetch(context.Background(), grp, fixtureBase.Add(-time.Hour), fixtureBase.Add(2*time.Hour), func([]fwdlog.Event) error {
		if pages++; pages >= 100 {
			return errors.New("100 pages and no end")
		}
		return nil
	})
	if h := mailstore.Hint(err); pages != 2 || !strings.Contains(h, "a page token it gave before") {
		t.Fatalf("%d pages handed on, hint %q, err %v; want 2 (the first, and the second, which gave its own token back) and the hint", pages, h, err)
	}
}

// TestThrottledReadsBackOffThenSayWhatToDo: CloudWatch Logs throttling
// the reads (ThrottlingException, from the fault proxy in front of the
// fake: no CloudWatch Logs emulator is available, see fakelogs, so the
// fake stays minimal and the faults are the proxy's). A throttle now
// and then is backed off and read again: every event arrives once. A
// read throttled on every attempt fails with what to do first, where it
// said "read log group G: operation error CloudWatch Logs:
// FilterLogEvents, exceeded maximum attempts, 3, ... ThrottlingException:
// Rate exceeded" alone; the mailbox then counts the log as unread
// (mailbox.LogError).
func TestThrottledReadsBackOffThenSayWhatToDo(t *testing.T) {
	srv := fakelogs.Start(t)
	srv.PageSize = 7
	srv.Now = func() time.Time { return fixtureBase.Add(3 * time.Hour) }
	const grp = "/aws/lambda/SesForwarder"
	srv.CreateGroup(grp, fixtureBase.Add(-time.Hour), 30)
	events := fixture(t)
	srv.Put(grp, events...)
	// Every other request throttled.
	px := dynfault.Start(t, srv.URL, func(n int, _ string) dynfault.Fault {
		if n%2 == 1 {
			return dynfault.Throttle
		}
		return dynfault.Pass
	})
	r := New(logsClient(px.URL))
	ctx := context.Background()
	if _, err := r.DescribeGroup(ctx, grp); err != nil {
		t.Fatalf("describe, throttled once: %v", err)
	}
	seen := map[string]int{}
	err := r.Fetch(ctx, grp, fixtureBase.Add(-time.Hour), fixtureBase.Add(2*time.Hour), func(page []fwdlog.Event) error {
		for _, e := range page {
			seen[e.ID]++
		}
		return nil
	})
	if err != nil {
		t.Fatalf("fetch, every other request throttled: %v", err)
	}
	for _, e := range events {
		if seen[e.EventID] != 1 {
			t.Errorf("event %s read %d times", e.EventID, seen[e.EventID])
		}
	}
	ops := px.Ops()
	if len(seen) != len(events) || ops["FilterLogEvents"] < 2*((len(events)+6)/7) {
		t.Errorf("%d events of %d read, %v requests: want each page throttled once and asked again", len(seen), len(events), ops)
	}

	px.SetFault(func(int, string) dynfault.Fault { return dynfault.Throttle })
	before := px.Ops()["FilterLogEvents"]
	err = r.Fetch(ctx, grp, fixtureBase.Add(-time.Hour), fixtureBase.Add(2*time.Hour), func([]fwdlog.Event) error { return nil })
	want := "CloudWatch Logs is throttling the reads of the forwarder's log group " + grp
	if got := mailstore.Explain(err); !strings.HasPrefix(got, want) || !strings.Contains(got, "ThrottlingException") {
		t.Errorf("fetch, every request throttled: %q\nwant %q first, then the SDK's error", got, want)
	}
	if n := px.Ops()["FilterLogEvents"] - before; n != 3 {
		t.Errorf("every request throttled: %d attempts, want the SDK's 3", n)
	}
	_, err = r.DescribeGroup(ctx, grp)
	if got := mailstore.Explain(err); !strings.HasPrefix(got, want) {
		t.Errorf("describe, every request throttled: %q\nwant %q first", got, want)
	}
}

// TestAClockOffIsCorrectedOrNamed: CloudWatch Logs refusing a request
// signed 20 minutes from its time (the fault proxy's ServerClock, in
// front of the fake). With the answer's Date the SDK sets its clock by it
// and the read goes through; without one the read fails naming the
// clock first.
func TestAClockOffIsCorrectedOrNamed(t *testing.T) {
	srv := fakelogs.Start(t)
	srv.Now = func() time.Time { return fixtureBase.Add(3 * time.Hour) }
	const grp = "/aws/lambda/SesForwarder"
	srv.CreateGroup(grp, fixtureBase.Add(-time.Hour), 30)
	events := fixture(t)
	srv.Put(grp, events...)
	px := faultproxy.Start(t, srv.URL, faultproxy.Config{ServerClock: 20 * time.Minute})
	r := New(logsClient(px.URL))
	ctx := context.Background()
	n := 0
	err := r.Fetch(ctx, grp, fixtureBase.Add(-time.Hour), fixtureBase.Add(2*time.Hour), func(page []fwdlog.Event) error {
		n += len(page)
		return nil
	})
	if err != nil || n != len(events) || px.Stats().Skewed == 0 {
		t.Errorf("with the clock off and a Date: %d events of %d, %d refused for their time, %v", n, len(events), px.Stats().Skewed, err)
	}
	px.SetConfig(faultproxy.Config{ServerClock: 20 * time.Minute, NoDate: true})
	r = New(logsClient(px.URL)) // a new client: its clock not yet set
	const want = "cannot read the forwarder's log group " + grp + ": AWS refused the request for the time it was signed at: this machine's clock is off"
	_, err = r.DescribeGroup(ctx, grp)
	if got := mailstore.Explain(err); !strings.HasPrefix(got, want) {
		t.Errorf("describe, no Date: %q\nwant %q first", got, want)
	}
	err = r.Fetch(ctx, grp, fixtureBase.Add(-time.Hour), fixtureBase.Add(2*time.Hour), func([]fwdlog.Event) error { return nil })
	if got := mailstore.Explain(err); !strings.HasPrefix(got, want) {
		t.Errorf("fetch, no Date: %q\nwant %q first", got, want)
	}
}
