package tui

import (
	"context"
	"strings"
	"testing"

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
