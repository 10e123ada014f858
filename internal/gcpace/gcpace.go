// Package gcpace paces the garbage collector through a burst of
// allocation over a small live heap: a cold index allocates some 50 KB a
// message (each ranged read, its parse, the SQL rows) and keeps almost
// none of it, so at the default GOGC=100 the collector ran every time
// the heap grew by its small live part, 12-15% of the process's
// instructions (callgrind of a cold `sesbox index` of 1,000 messages:
// 4.48M instructions a message, 3.93M with GOGC=200, 3.79M with 400).
// A fixed higher GOGC is not the answer: its heap goal grows with the
// live heap, which at 10^6 keys holds the listing's key sets.
//
// During lets the heap grow by Headroom between collections while the
// live heap is smaller than that, and by the live heap (GOGC=100's goal)
// once it is larger: it sets the runtime's memory limit to live +
// max(live, Headroom) after every collection, with GOGC off meanwhile,
// and puts both settings back when the work ends. RSS grows by Headroom
// at the most, and not at all past a live heap of Headroom.
package gcpace

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// Headroom is how far the heap may grow past its live part between two
// collections while During runs, at the least.
const Headroom = 64 << 20

// mu keeps two Durings (the CLI runs one refresh at a time; tests may
// not) from restoring each other's settings.
var mu sync.Mutex

// During runs work with the collector paced (see the package comment).
// With GOGC or GOMEMLIMIT set in the environment, the user's choice
// stands and work runs as it is.
func During(work func()) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		work()
		return
	}
	mu.Lock()
	defer mu.Unlock()
	p := &pacer{}
	oldLimit := debug.SetMemoryLimit(-1)
	p.setLimit()
	oldPercent := debug.SetGCPercent(-1)
	p.arm()
	defer func() {
		p.mu.Lock()
		p.done = true
		p.mu.Unlock()
		debug.SetGCPercent(oldPercent)
		debug.SetMemoryLimit(oldLimit)
	}()
	work()
}

// pacer sets the memory limit after each collection, until done.
type pacer struct {
	mu   sync.Mutex
	done bool
}

// sentinel is an object whose collection marks the end of a GC cycle; it
// is large enough not to share a block with other small objects.
type sentinel struct{ _ [64]byte }

// arm asks to be called back (afterGC) once the next cycle has run.
func (p *pacer) arm() {
	runtime.AddCleanup(new(sentinel), func(p *pacer) { p.afterGC() }, p)
}

func (p *pacer) afterGC() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return
	}
	p.setLimit()
	p.arm()
}

// setLimit sets the memory limit to live + max(live, Headroom).
func (p *pacer) setLimit() {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	live := int64(0)
	if s[0].Value.Kind() == metrics.KindUint64 {
		live = int64(min(s[0].Value.Uint64(), math.MaxInt64/4))
	}
	debug.SetMemoryLimit(live + max(live, Headroom))
}
