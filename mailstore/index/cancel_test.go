package index

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore"
)

// cancelAfterDone is a context that is cancelled at the k-th time anyone
// asks for its Done channel: database/sql asks at each statement it runs,
// so a Put is cancelled part of the way through its batch.
type cancelAfterDone struct {
	context.Context
	cancel context.CancelFunc
	asked  atomic.Int32
	k      int32
}

func (c *cancelAfterDone) Done() <-chan struct{} {
	if c.asked.Add(1) == c.k {
		c.cancel()
	}
	return c.Context.Done()
}

// TestPutCancelledSaysCancelled: database/sql rolls a transaction back
// when its context is cancelled, closing the statements prepared in it,
// so a Put stopped by Ctrl-C part of the way through a batch failed with
// "sql: statement is closed" (or "transaction has already been committed
// or rolled back") whenever the rollback won the race with the next
// statement: sesbox index then printed that, exit 1, instead of saying it
// was interrupted and what it kept (TestIndexInterruptedMidFetchSaysWhatIsKept
// failed so under load). A Put stopped so fails with the context's error,
// and stores nothing of the batch.
func TestPutCancelledSaysCancelled(t *testing.T) {
	x, err := Open(filepath.Join(t.TempDir(), "i.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	sums := make([]mailstore.Summary, 50)
	for i := range sums {
		sums[i] = mailstore.Summary{Subject: fmt.Sprintf("s%d", i)}
		sums[i].Key, sums[i].ETag, sums[i].Size, sums[i].LastModified = fmt.Sprintf("k%03d", i), "e", 10, time.Unix(1e9, 0)
	}
	other := 0
	for k := int32(1); k <= 200; k++ {
		ctx, cancel := context.WithCancel(context.Background())
		c := &cancelAfterDone{Context: ctx, cancel: cancel, k: k}
		err := x.Put(c, "b", sums)
		cancel()
		switch {
		case err == nil && c.asked.Load() >= k:
			t.Errorf("cancelled at the %dth Done: no error", k)
		case err != nil && !errors.Is(err, context.Canceled):
			other++
			if other <= 3 {
				t.Errorf("cancelled at the %dth Done: %v, want context.Canceled", k, err)
			}
		}
		if err != nil {
			got, qerr := x.Summaries(context.Background(), mailstore.Location{Bucket: "b"})
			if qerr != nil || len(got) != 0 {
				t.Fatalf("cancelled at the %dth Done: %d rows stored (%v), want none", k, len(got), qerr)
			}
		}
		if err == nil {
			break // Put ended before the k-th Done
		}
	}
	if other > 0 {
		t.Errorf("%d cancelled Puts failed with another error than context.Canceled", other)
	}
}
