package mailbox

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/fwdlog"
	"github.com/sesbox/sesbox/mailstore/query"
)

// memLogs is a fwdlog.Source in memory (the CloudWatch client behind
// cwlogs is tested against fakelogs there, and end to end in cmd/sesbox).
type memLogs struct {
	group   fwdlog.Group
	events  []fwdlog.Event
	fetches [][2]time.Time
	err     error
}

func (l *memLogs) DescribeGroup(_ context.Context, name string) (fwdlog.Group, error) {
	if l.err != nil {
		return fwdlog.Group{}, l.err
	}
	return l.group, nil
}

func (l *memLogs) Fetch(_ context.Context, name string, from, to time.Time, fn func([]fwdlog.Event) error) error {
	l.fetches = append(l.fetches, [2]time.Time{from, to})
	var page []fwdlog.Event
	for _, e := range l.events {
		if !e.Time.Before(from) && !e.Time.After(to) {
			page = append(page, e)
		}
	}
	return fn(page)
}

// invocation is the log of one invocation for message id: sent or failed.
func invocation(n int, id string, at time.Time, sent bool) []fwdlog.Event {
	req := fmt.Sprintf("0a0b0c0d-0000-4000-a000-%012d", n)
	line := func(i int, text string) fwdlog.Event {
		t := at.Add(time.Duration(i) * time.Millisecond)
		return fwdlog.Event{ID: fmt.Sprintf("%s-%d", req, i), Time: t, Message: text}
	}
	rt := func(i int, obj string) fwdlog.Event {
		t := at.Add(time.Duration(i) * time.Millisecond)
		return line(i, t.Format("2006-01-02T15:04:05.000Z")+"\t"+req+"\tINFO\t"+obj+"\n")
	}
	out := []fwdlog.Event{
		line(0, "START RequestId: "+req+" Version: $LATEST\n"),
		rt(1, "{ level: 'info', message: 'Fetching email at s3://mail/in/"+id+"' }"),
		rt(2, "{\n  level: 'info',\n  message: 'sendMessage: Sending email via SES. Original recipients: info@example.com. Transformed recipients: jim@example.com.'\n}"),
	}
	if sent {
		out = append(out, rt(3, "{ level: 'info', message: 'SendEmailCommand() successful.' }"))
	} else {
		out = append(out, rt(3, "{\n  level: 'error',\n  message: 'SendEmailCommand() returned error.',\n  error: TooManyRequestsException: Maximum sending rate exceeded.\n      at x {\n  }\n}"),
			rt(4, "{ level: 'error', message: 'Step returned error: Error: Email sending failed.' }"))
	}
	return append(out, line(5, "END RequestId: "+req+"\n"), line(6, "REPORT RequestId: "+req+"\tDuration: 5.00 ms\t\n"))
}

func TestRefreshReadsForwarderLogIncrementally(t *testing.T) {
	m, srv := newMailbox(t)
	ctx := context.Background()
	srv.Put(t, "mail", "in/m1", []byte("Subject: one\r\n\r\nx"))
	srv.Put(t, "mail", "in/m2", []byte("Subject: two\r\n\r\nx"))
	stored := time.Now().UTC()
	now := stored.Add(10 * time.Minute)
	logs := &memLogs{group: fwdlog.Group{Name: "/aws/lambda/F", Created: stored.Add(-24 * time.Hour)}}
	logs.events = invocation(1, "m1", stored.Add(2*time.Second), false)
	m.ReadForwarderLogs(ForwarderLogs{API: logs, Group: "/aws/lambda/F", Now: func() time.Time { return now }})

	status := func() map[string]mailstore.Forward {
		out := map[string]mailstore.Forward{}
		sums, err := m.Summaries(ctx, query.Query{}, query.ByDate, false)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range sums {
			out[s.Key] = s.Forward
		}
		return out
	}
	if err := m.Refresh(ctx, nil); err != nil {
		t.Fatal(err)
	}
	st := status()
	if st["in/m1"].Status != mailstore.ForwardFailed || st["in/m1"].Error == "" || st["in/m2"].Status != mailstore.ForwardNone {
		t.Fatalf("first read: %+v", st)
	}
	// The first read started at the oldest message, less the skip window.
	if from := logs.fetches[0][0]; from.After(stored.Add(-fwdlog.SkipWindow)) || from.Before(stored.Add(-fwdlog.SkipWindow-time.Minute)) {
		t.Errorf("first read from %v, message stored %v", from, stored)
	}

	// Lambda's retry succeeded; the next read starts where the last ended
	// less the overlap, and the events read twice are stored once.
	logs.events = append(logs.events, invocation(2, "m1", now.Add(-time.Minute), true)...)
	first := now
	now = now.Add(20 * time.Minute)
	if err := m.Refresh(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if from := logs.fetches[1][0]; !from.Equal(first.Add(-LogOverlap)) {
		t.Errorf("second read from %v, want %v", from, first.Add(-LogOverlap))
	}
	st = status()
	if f := st["in/m1"]; f.Status != mailstore.ForwardForwarded || f.Error != "" || len(f.Requests) != 2 || f.Destinations[0] != "jim@example.com" {
		t.Fatalf("after the retry: %+v", f)
	}
	evs, err := m.idx.LogEvents(ctx, "/aws/lambda/F")
	if err != nil || len(evs) != len(logs.events) {
		t.Fatalf("%d events stored, %d in the log (%v)", len(evs), len(logs.events), err)
	}
	sum, _, _ := m.idx.Get(ctx, "mail", "in/m1")
	lines, err := m.ForwardLog(ctx, sum)
	if err != nil || len(lines) != len(logs.events) {
		t.Fatalf("ForwardLog: %d lines, %v", len(lines), err)
	}
	msg, err := m.Open(ctx, "in/m1")
	if err != nil || msg.Summary.Forward.Status != mailstore.ForwardForwarded || len(msg.ForwardLog) != len(lines) {
		t.Fatalf("Open: %+v, %v", msg, err)
	}

	// A log that cannot be read fails the refresh with a LogError.
	logs.err = errors.New("AccessDeniedException")
	var le *LogError
	if err := m.Refresh(ctx, nil); !errors.As(err, &le) {
		t.Fatalf("unreadable log: %v", err)
	}
}
