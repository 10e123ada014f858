package gcpace

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
)

var sink []byte

// churn allocates n bytes in 16 KiB pieces, none kept: a cold index's
// ranged reads.
func churn(n int) {
	for range n / (16 << 10) {
		sink = make([]byte, 16<<10)
	}
	sink = nil
}

func numGC() uint32 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.NumGC
}

// TestPacedCollectsLessOften: 1 GB of garbage over a small live heap is
// collected about once per Headroom paced (16 times), where GOGC=100
// collects every 30 MB or so here (34 times).
func TestPacedCollectsLessOften(t *testing.T) {
	runtime.GC()
	before := numGC()
	churn(1 << 30)
	plain := numGC() - before

	runtime.GC()
	before = numGC()
	During(func() { churn(1 << 30) })
	paced := numGC() - before
	if paced > (1<<30)/Headroom+4 || 3*paced > 2*plain {
		t.Errorf("1 GB of garbage: %d collections paced, %d at GOGC=100", paced, plain)
	}
}

// TestPacedHeapFollowsALargeLiveHeap: past Headroom, the limit is twice
// the live heap, GOGC=100's goal, so a large live heap (the key sets at
// 10^6 messages) costs no more memory paced than not.
func TestPacedHeapFollowsALargeLiveHeap(t *testing.T) {
	live := make([][]byte, 0, 96)
	for range cap(live) {
		live = append(live, make([]byte, 1<<20))
	}
	var limit int64
	During(func() {
		runtime.GC()
		// The limit is set by a cleanup after the cycle: wait for it.
		for range 1000 {
			if limit = debug.SetMemoryLimit(-1); limit >= 2*96<<20 {
				break
			}
			runtime.Gosched()
			churn(1 << 20)
		}
	})
	runtime.KeepAlive(live)
	if limit < 2*96<<20 || limit > 2*110<<20 {
		t.Errorf("with 96 MB live the memory limit was %d MB, want twice the live heap", limit>>20)
	}
}

// TestSettingsComeBack: GOGC and the memory limit are the process's own
// again once the work ends.
func TestSettingsComeBack(t *testing.T) {
	During(func() {
		if p := debug.SetGCPercent(-1); p != -1 {
			t.Errorf("GOGC during the work: %d, want off", p)
		}
		churn(256 << 20)
	})
	if p := debug.SetGCPercent(100); p != 100 {
		t.Errorf("GOGC after: %d, want 100", p)
	}
	if l := debug.SetMemoryLimit(-1); l != math.MaxInt64 {
		t.Errorf("memory limit after: %d, want none", l)
	}
}
