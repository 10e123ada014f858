package tui

import (
	"context"
	"log"
	"slices"
	"strings"
	"testing"

	"github.com/aws/smithy-go"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/mailbox"
	"github.com/sesbox/sesbox/mailstore/notify"
	"github.com/sesbox/sesbox/tui/internal/fixture"
)

// A mailbox with a queue polls it in the background, one poll after
// another, and a message a poll indexed shows in the list with no listing
// (the fake's Refresh fails the test if called). The queue itself is the
// mailbox's Poll, tested against fauxqs in cmd/sesbox (TestIndexWatch).
func TestRootShowsQueuedMailWithoutListing(t *testing.T) {
	fake := fixture.NewFake("a")
	fake.RefreshFn = func(context.Context, func(mailbox.Progress)) error {
		t.Error("the bucket was listed")
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fresh := mailstore.Summary{Object: mailstore.Object{Key: "inbox/queued0000000000000000000000000000000"},
		Date: fixture.Now, From: mailstore.Address{Address: "new@example.com"}, Subject: "Arrived through the queue"}
	polls := 0
	b := box("inbox", fake)
	b.Queue = func(ctx context.Context) (notify.Batch, error) {
		polls++
		switch polls {
		case 1:
			return notify.Batch{}, nil // a long poll that found nothing
		case 2:
			fake.Put(fresh) // Poll writes it to the index, then reports it
			return notify.Batch{New: []mailstore.Summary{fresh}}, nil
		}
		cancel() // the program quits: the last poll ends with ctx's error
		return notify.Batch{}, ctx.Err()
	}
	indexed := len(fake.Sums)
	h := &harness{t: t, m: New(ctx, fixture.Common(100, 30), []Box{b}, false, 0, nil)}
	h.send(tea.WindowSizeMsg{Width: 100, Height: 30})
	h.settle(h.m.Init())
	if polls != 3 {
		t.Fatalf("%d polls, want one after another until the context ended (3)", polls)
	}
	if got := h.m.cur().List().Counts().Total; got != indexed+1 {
		t.Fatalf("list has %d rows, want the %d indexed and the queued one", got, indexed)
	}
	if v := h.view(); !strings.Contains(v, "Arrived through the queue") {
		t.Fatalf("the queued message is not on screen:\n%s", v)
	}
}

// Rows from an inventory, with no headers yet, are read first when they
// are on screen: the page asks its FillHeaders for exactly those (once),
// and their summaries replace them, ahead of any background fill.
func TestRootFillsHeadersOnScreen(t *testing.T) {
	fake := fixture.NewFake("a")
	var pending []string
	for i := range fake.Sums[:3] {
		s := &fake.Sums[i]
		pending = append(pending, s.Key)
		*s = mailstore.Summary{Object: s.Object, Date: s.Date, DateFromStore: true, HeadersPending: true}
	}
	var asked [][]string
	b := box("inbox", fake)
	b.FillHeaders = func(ctx context.Context, opt mailbox.FillOptions, progress func(mailbox.Progress)) error {
		asked = append(asked, opt.Keys)
		var filled []mailstore.Summary
		for _, k := range opt.Keys {
			for i := range fake.Sums {
				if s := &fake.Sums[i]; s.Key == k {
					// Written to the index, as mailbox.FillHeaders does.
					s.HeadersPending, s.Subject, s.From = false, "filled "+k[len(k)-4:], mailstore.Address{Address: "x@example.com"}
					filled = append(filled, *s)
				}
			}
		}
		progress(mailbox.Progress{New: filled})
		return nil
	}
	h := &harness{t: t, m: New(context.Background(), fixture.Common(100, 30), []Box{b}, false, 0, nil)}
	h.send(tea.WindowSizeMsg{Width: 100, Height: 30})
	h.settle(h.m.Init())
	if v := h.view(); strings.Contains(v, "(headers not read yet)") || !strings.Contains(v, "filled ") {
		t.Fatalf("rows on screen not filled:\n%s", v)
	}
	var all []string
	for _, a := range asked {
		all = append(all, a...)
	}
	slices.Sort(all)
	slices.Sort(pending)
	if !slices.Equal(all, pending) {
		t.Fatalf("asked for %v, want each pending row on screen once: %v", asked, pending)
	}
}

// A queue that does not exist is not polled again every 10 s: the status
// line says what to do (as `index --watch` does) and polling stops.
func TestRootStopsPollingAMissingQueue(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	polls := 0
	b := box("inbox", fixture.NewFake("a"))
	b.Queue = func(ctx context.Context) (notify.Batch, error) {
		polls++
		if polls > 1 {
			cancel() // the program quits: the loop ends
			return notify.Batch{}, ctx.Err()
		}
		return notify.Batch{}, &smithy.GenericAPIError{Code: "AWS.SimpleQueueService.NonExistentQueue", Message: "The specified queue does not exist."}
	}
	h := &harness{t: t, m: New(ctx, fixture.Common(120, 30), []Box{b}, false, 0, nil)}
	h.send(tea.WindowSizeMsg{Width: 120, Height: 30})
	h.settle(h.m.Init())
	if polls != 1 {
		t.Fatalf("%d polls of a queue that does not exist, want 1", polls)
	}
	if v := h.view(); !strings.Contains(v, "check the mailbox's queue_url") {
		t.Fatalf("no hint on screen:\n%s", v)
	}
}

// A queue message the poll did not index (deleted, or left for another
// consumer and so coming back) is written to the TUI's log, sanitized, as
// index --watch writes it to stderr: it was dropped without a trace.
func TestRootLogsIgnoredQueueMessages(t *testing.T) {
	fake := fixture.NewFake("a")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	polls := 0
	b := box("inbox", fake)
	b.Queue = func(ctx context.Context) (notify.Batch, error) {
		polls++
		if polls == 1 {
			return notify.Batch{Ignored: 2, Problems: []string{
				"object key \"inbox/\\x1b[2J\" is not one SES writes (deleted)",
				"notification for s3://mail/sales/x\x1b]0;evil\x07, outside s3://mail/inbox/ (left in the queue for its consumer)",
			}}, nil
		}
		cancel()
		return notify.Batch{}, ctx.Err()
	}
	var logged strings.Builder
	h := &harness{t: t, m: New(ctx, fixture.Common(100, 30), []Box{b}, false, 0, log.New(&logged, "", 0))}
	h.send(tea.WindowSizeMsg{Width: 100, Height: 30})
	h.settle(h.m.Init())
	got := logged.String()
	if !strings.Contains(got, "queue of inbox: ignored: object key") || !strings.Contains(got, "(deleted)") || !strings.Contains(got, "(left in the queue for its consumer)") {
		t.Fatalf("log %q: want a line per ignored queue message", got)
	}
	if strings.ContainsAny(got, "\x1b\x07") {
		t.Fatalf("log %q holds a control character", got)
	}
}
