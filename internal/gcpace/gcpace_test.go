package gcpace

import (
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"slices"
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

// grownBetween allocates n bytes as churn does and returns how many bytes
// were allocated between each two collections that ran meanwhile.
func grownBetween(n int) []int {
	s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	cycles := func() uint64 { metrics.Read(s); return s[0].Value.Uint64() }
	var grown []int
	last, since := cycles(), 0
	for range n / (16 << 10) {
		sink = make([]byte, 16<<10)
		since += 16 << 10
		if c := cycles(); c != last {
			grown = append(grown, since)
			last, since = c, 0
		}
	}
	sink = nil
	return grown
}

// median is the middle of xs (sorted in place).
func median(xs []int) int {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	return xs[len(xs)/2]
}

// TestPacedCollectsLessOften: 1 GB of garbage over a small live heap is
// collected about once per Headroom paced, where GOGC=100 collects every
// few MB here. It asserts on how far the heap grew between two
// collections, the median of them, not on how many there were: when the
// collector runs concurrently with the allocation, as it does on a loaded
// machine, the runtime starts some cycles early to finish before the
// limit, and the count moved with the load (16 collections on a quiet
// machine, 18 to 22 with four copies of the package's tests running, where
// the bound was 20). The limit counts all of the runtime's memory, not
// only the heap, so the heap grows by less than Headroom between two
// collections: a median of 45 to 66 MB under that load, 3 MB at GOGC=100.
func TestPacedCollectsLessOften(t *testing.T) {
	runtime.GC()
	plain := grownBetween(1 << 30)
	runtime.GC()
	var paced []int
	During(func() { paced = grownBetween(1 << 30) })
	mp, mg := median(paced), median(plain)
	t.Logf("%d collections paced, median %d MB between them; %d at GOGC=100, median %d MB", len(paced), mp>>20, len(plain), mg>>20)
	if len(paced) == 0 || mp < Headroom/2 || mp <= mg || len(paced) > (1<<30)/(Headroom/2) {
		t.Errorf("1 GB of garbage: %d collections paced, median %d MB between them; %d at GOGC=100, median %d MB", len(paced), mp>>20, len(plain), mg>>20)
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
