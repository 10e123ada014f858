package sesaccount

import (
	"context"
	"errors"
	"sync"
)

// cache remembers every answer (errors included, so a missing permission
// costs one call, not one per message) for the length of a run. Concurrent
// askers of the same key wait for the one call in flight.
type cache struct {
	mu   sync.Mutex
	sup  map[string]*entry[supAnswer]
	idty map[string]*entry[idAnswer]
	// probe is held for the first GetSuppressedDestination, which goes
	// alone (probed: it was made); notOffered is its answer when the
	// endpoint has no such operation (NotOfferedError), which every later
	// address gets without a call: a run to 500 addresses asked 500 times.
	probe      sync.Mutex
	probed     bool
	notOffered error
}

type supAnswer struct {
	s  Suppression
	ok bool
}

type idAnswer struct{ id Identity }

type entry[T any] struct {
	done chan struct{}
	v    T
	err  error
}

func newCache() *cache {
	return &cache{sup: map[string]*entry[supAnswer]{}, idty: map[string]*entry[idAnswer]{}}
}

func lookup[T any](c *cache, m map[string]*entry[T], key string, call func() (T, error)) (T, error) {
	c.mu.Lock()
	e, ok := m[key]
	if !ok {
		e = &entry[T]{done: make(chan struct{})}
		m[key] = e
	}
	c.mu.Unlock()
	if !ok {
		e.v, e.err = call()
		close(e.done)
	}
	<-e.done
	return e.v, e.err
}

func (c *cache) suppressed(ctx context.Context, api API, addr string) (Suppression, bool, error) {
	a, err := lookup(c, c.sup, addr, func() (supAnswer, error) {
		c.probe.Lock()
		if c.probed {
			c.probe.Unlock()
			if c.notOffered != nil {
				return supAnswer{}, c.notOffered
			}
			s, ok, err := api.Suppressed(ctx, addr)
			return supAnswer{s, ok}, err
		}
		defer c.probe.Unlock()
		s, ok, err := api.Suppressed(ctx, addr)
		if noe := (*NotOfferedError)(nil); errors.As(err, &noe) {
			c.notOffered = err
		}
		c.probed = ctx.Err() == nil // a call cut off by the run's end tells nothing
		return supAnswer{s, ok}, err
	})
	return a.s, a.ok, err
}

func (c *cache) identity(ctx context.Context, api API, name string) (Identity, error) {
	a, err := lookup(c, c.idty, name, func() (idAnswer, error) {
		id, err := api.Identity(ctx, name)
		return idAnswer{id}, err
	})
	return a.id, err
}
