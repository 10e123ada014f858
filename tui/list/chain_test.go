package list

import (
	"fmt"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore/index"
	"github.com/sesbox/sesbox/mailstore/testutil/cpubudget"
)

// TestAChainOfRepliesThreadsInLinearTime: a sender's chain of replies,
// each In-Reply-To the one before, makes a thread as deep as it is long.
// Finding each message's root by walking up from it was quadratic: 50,000
// such messages took 2.3 s of CPU every time the thread view was built,
// 100,000 nine. Now it is one pass, and the walk that lays the rows out
// keeps its own stack.
func TestAChainOfRepliesThreadsInLinearTime(t *testing.T) {
	const n = 100_000
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	all := make([]index.Thread, n+1)
	for i := 0; i < n; i++ { // newest first: message i replies to i+1
		all[i] = index.Thread{ID: int64(i + 1), MessageID: fmt.Sprintf("<m%d@x.example>", i),
			InReplyTo: fmt.Sprintf("<m%d@x.example>", i+1), Date: base.Add(time.Duration(n-i) * time.Second)}
	}
	all[n] = index.Thread{ID: n + 1, MessageID: "<alone@y.example>", Date: base}
	var ti *threadIndex
	used := cpubudget.Used(func() {
		ti = buildThreads(all)
		ti.byNewest(all, false)
	})
	if used > 2*time.Second {
		t.Errorf("threading a chain of %d replies took %v of CPU", n, used)
	}
	// The oldest of the chain (n-1) is its root, the lone message another.
	if len(ti.roots) != 2 || ti.roots[0] != n-1 || ti.roots[1] != n {
		t.Fatalf("roots %v, want [%d %d]", ti.roots, n-1, n)
	}
	if ti.size[n-1] != n || ti.size[n] != 1 {
		t.Errorf("sizes %d and %d, want %d and 1", ti.size[n-1], ti.size[n], n)
	}
	for i := 0; i < n; i++ {
		if ti.top[i] != n-1 {
			t.Fatalf("message %d: root %d, want %d", i, ti.top[i], n-1)
		}
	}
	// Laid out from the root down, each one deeper.
	want := int32(n - 1)
	ti.walk(n-1, 0, func(i int32, depth int) {
		if i != want || depth != n-1-int(i) {
			t.Fatalf("walk gave message %d at depth %d, want %d at %d", i, depth, want, n-1-int(want))
		}
		want--
	})
	if want != -1 {
		t.Errorf("walk stopped before message %d", want)
	}
}
