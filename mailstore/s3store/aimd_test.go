package s3store

import (
	"context"
	"testing"
	"time"
)

func TestAIMDLimit(t *testing.T) {
	a := newAIMD(2, 16)
	ctx := context.Background()
	for range 16 {
		if err := a.acquire(ctx); err != nil {
			t.Fatal(err)
		}
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := a.acquire(short); err == nil {
		t.Fatal("a 17th slot under a limit of 16")
	}
	// A throttle answer: the attempt gave its slot back, then the limit
	// halves and comes down to the 15 still in flight.
	a.release(false)
	a.throttled()
	if l, cuts := a.state(); l != 8 || cuts != 1 {
		t.Fatalf("limit %.1f after %d cuts, want 8 after 1", l, cuts)
	}
	// Within the cooldown a second throttle does not halve again, but
	// still holds the limit to what is in flight.
	for range 10 {
		a.release(true)
	}
	a.throttled()
	if l, cuts := a.state(); l != 5 || cuts != 1 {
		t.Fatalf("limit %.2f after %d cuts, want 5 (in flight) after 1", l, cuts)
	}
	// Additive increase: limit successes raise it by about one.
	for range 5 {
		a.release(true)
	}
	if l, _ := a.state(); l < 5.9 || l > 6.1 {
		t.Fatalf("limit %.2f after 5 successes at 5", l)
	}
	// Never below the floor.
	a.lastCut = time.Time{}
	a.throttled()
	if l, _ := a.state(); l != 2 {
		t.Fatalf("limit %.2f, want the floor 2", l)
	}
}
