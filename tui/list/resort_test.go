package list

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/sesbox/sesbox/mailstore/index"
	"github.com/sesbox/sesbox/mailstore/query"
	"github.com/sesbox/sesbox/tui/internal/fixture"
)

// countingSource counts the reads of every message's thread fields.
type countingSource struct {
	*fixture.FakeMailbox
	threading atomic.Int32
}

func (c *countingSource) Threading(ctx context.Context, by query.SortField, rev bool) ([]index.Thread, error) {
	c.threading.Add(1)
	return c.FakeMailbox.Threading(ctx, by, rev)
}

// threadedList is a list of n messages in threads of four (a root and a
// chain of three replies), shown as threads.
func threadedList(t *testing.T, n int) (Model, *countingSource) {
	t.Helper()
	sums := fixture.Many(n)
	for i := range sums {
		sums[i].MessageID = fmt.Sprintf("<m%d@x.example>", i)
		if i%4 != 0 {
			sums[i].InReplyTo = fmt.Sprintf("<m%d@x.example>", i-1)
		}
	}
	src := &countingSource{FakeMailbox: &fixture.FakeMailbox{Sums: sums}}
	m := New(context.Background(), fixture.Common(100, 30), src, 0)
	m.SetSize(100, 30)
	m, _ = settle(m, m.Load())
	m, _ = press(t, m, "T")
	if !m.Threaded() || m.threads == nil {
		t.Fatal("T did not thread")
	}
	return m, src
}

// TestThreadsResortReusesLinks: a sort in the thread view puts the threads
// already linked in the new order instead of reading and linking every
// message again (seconds at 10^6), and shows exactly what a fresh thread
// view of that order shows; a list changed since is read again.
func TestThreadsResortReusesLinks(t *testing.T) {
	for _, n := range []int{40, 4 * FirstPage} { // a short list, and one read a page first
		m, src := threadedList(t, n)
		for _, s := range []struct {
			by  query.SortField
			rev bool
		}{{query.ByFrom, false}, {query.BySubject, true}, {query.BySize, false}, {query.ByDate, true}, {query.ByDate, false}} {
			before := src.threading.Load()
			m, _ = settle(m, m.SetSort(s.by, s.rev))
			if got := src.threading.Load() - before; got != 0 {
				t.Errorf("n=%d sort %v/%v: every message read again (%d reads)", n, s.by, s.rev, got)
			}
			// A fresh thread view of the same order.
			f, _ := threadedList(t, n)
			f, _ = press(t, f, "T")
			f, _ = settle(f, f.SetSort(s.by, s.rev))
			f, _ = press(t, f, "T")
			if !slices.Equal(m.rows, f.rows) || m.Settling() {
				t.Fatalf("n=%d sort %v/%v: rows differ from a fresh thread view (settling %v)", n, s.by, s.rev, m.Settling())
			}
		}
		// Mail that came since: the next sort reads the threads again.
		before := src.threading.Load()
		src.Sums = append(src.Sums, fixture.Many(n + 1)[n])
		m, _ = settle(m, m.Reload())
		m, _ = settle(m, m.SetSort(query.ByFrom, false))
		if src.threading.Load() == before || len(m.rows) != n+1 {
			t.Errorf("n=%d: the new message is not threaded (%d rows)", n, len(m.rows))
		}
	}
}
