package s3store

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/smithy-go/middleware"
)

// aimd bounds how many requests the store has in flight, by additive
// increase and multiplicative decrease, as TCP does: every request that
// completes raises the limit by 1/limit (one per window of limit
// requests), a throttle answer (503 SlowDown: the prefix is over its
// request rate) halves it, at most once per cooldown so that one burst of
// SlowDowns answering the same window counts once. The SDK's retryer
// still backs off and retries each throttled request; the limit keeps the
// next ones from making it worse.
type aimd struct {
	mu       sync.Mutex
	limit    float64
	min, max float64
	inflight int
	wake     chan struct{} // closed and replaced when a slot frees
	lastCut  time.Time
	cooldown time.Duration
	cuts     int
	// lastAnswer is when an attempt last had its answer (UnixNano; 0:
	// none yet): the endpoint is the server's (see Retryer's refused
	// connections).
	lastAnswer atomic.Int64
}

// restartWait is how long after the endpoint's last answer a refused
// connection is taken for its server restarting, and retried in full:
// past it the server is gone, and each read fails after two attempts
// again, so that a run does not wait out every read of the index.
const restartWait = 30 * time.Second

// answeredLately says whether an attempt had its answer within
// restartWait.
func (a *aimd) answeredLately() bool {
	t := a.lastAnswer.Load()
	return t != 0 && time.Since(time.Unix(0, t)) < restartWait
}

func newAIMD(min, max int) *aimd {
	return &aimd{limit: float64(max), min: float64(min), max: float64(max), wake: make(chan struct{}), cooldown: 50 * time.Millisecond}
}

// acquire waits for a slot under the current limit.
func (a *aimd) acquire(ctx context.Context) error {
	for {
		a.mu.Lock()
		if float64(a.inflight) < a.limit {
			a.inflight++
			a.mu.Unlock()
			return nil
		}
		wake := a.wake
		a.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// release frees a slot; a request that succeeded raises the limit.
func (a *aimd) release(ok bool) {
	a.mu.Lock()
	a.inflight--
	if ok {
		a.limit = min(a.max, a.limit+1/a.limit)
	}
	close(a.wake)
	a.wake = make(chan struct{})
	a.mu.Unlock()
}

// throttled is told of a throttle answer, after the attempt gave its slot
// back (the retryer judges it then). It halves the limit (once per
// cooldown), and in any case brings it down to the attempts still in
// flight, the level the server did accept:
// otherwise each throttled attempt's slot would go straight to the next
// waiting request, into the same SlowDown. Never below min.
func (a *aimd) throttled() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if now := time.Now(); now.Sub(a.lastCut) >= a.cooldown {
		a.limit /= 2
		a.lastCut = now
		a.cuts++
	}
	a.limit = max(a.min, min(a.limit, float64(a.inflight)))
}

// addToStack puts the limit around each attempt of a call, inside the
// SDK's retry loop: a retry waits for a slot like any request, and the
// back-off before it holds none.
func (a *aimd) addToStack(stack *middleware.Stack) error {
	return stack.Finalize.Insert(middleware.FinalizeMiddlewareFunc("sesbox/aimd",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			if err := a.acquire(ctx); err != nil {
				return middleware.FinalizeOutput{}, middleware.Metadata{}, err
			}
			out, md, err := next.HandleFinalize(ctx, in)
			if err == nil {
				a.lastAnswer.Store(time.Now().UnixNano())
			}
			a.release(err == nil)
			return out, md, err
		}), "Retry", middleware.After)
}

// state returns the limit and how many times it was cut.
func (a *aimd) state() (limit float64, cuts int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.limit, a.cuts
}
