//go:build bench

package bench

import (
	"io"
	"log"
	"math/rand/v2"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// netProxy stands for the network between sesbox and S3: every request
// waits one round trip (with jitter) before it is forwarded, and response
// bodies share one link of a fixed bandwidth. It counts what went through.
type netProxy struct {
	rtt    time.Duration
	jitter time.Duration
	link   *link

	lists, gets, rangedGets atomic.Int64
	bytes                   atomic.Int64
}

func newNetProxy(target string, rtt time.Duration, bytesPerSec float64) (*netProxy, http.Handler) {
	u, err := url.Parse(target)
	if err != nil {
		panic(err)
	}
	p := &netProxy{rtt: rtt, jitter: rtt / 5, link: &link{rate: bytesPerSec}}
	rp := httputil.NewSingleHostReverseProxy(u)
	// A client that gives up on a request (sesbox ending its listing early)
	// is not news.
	rp.ErrorLog = log.New(io.Discard, "", 0)
	rp.ModifyResponse = func(r *http.Response) error {
		r.Body = &meteredBody{ReadCloser: r.Body, p: p}
		return nil
	}
	return p, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodGet && (r.URL.Query().Has("list-type") || r.URL.Query().Has("versions")):
			p.lists.Add(1)
		case r.Method == http.MethodGet && r.Header.Get("Range") != "":
			p.rangedGets.Add(1)
		case r.Method == http.MethodGet:
			p.gets.Add(1)
		}
		d := p.rtt
		if p.jitter > 0 {
			d += time.Duration(rand.Int64N(int64(2*p.jitter))) - p.jitter
		}
		time.Sleep(d)
		rp.ServeHTTP(w, r)
	})
}

func (p *netProxy) reset() {
	p.lists.Store(0)
	p.gets.Store(0)
	p.rangedGets.Store(0)
	p.bytes.Store(0)
}

type counts struct {
	Lists      int64 `json:"lists"`
	Gets       int64 `json:"gets"`
	RangedGets int64 `json:"rangedGets"`
	Bytes      int64 `json:"bytes"`
}

func (p *netProxy) counts() counts {
	return counts{p.lists.Load(), p.gets.Load(), p.rangedGets.Load(), p.bytes.Load()}
}

type meteredBody struct {
	io.ReadCloser
	p *netProxy
}

func (b *meteredBody) Read(buf []byte) (int, error) {
	n, err := b.ReadCloser.Read(buf)
	if n > 0 {
		b.p.bytes.Add(int64(n))
		b.p.link.take(n)
	}
	return n, err
}

// link is a shared token bucket: bytes wait for their turn on the wire.
type link struct {
	rate float64 // bytes per second; 0 = unlimited
	mu   sync.Mutex
	next time.Time
}

func (l *link) take(n int) {
	if l.rate <= 0 {
		return
	}
	l.mu.Lock()
	now := time.Now()
	if l.next.Before(now) {
		l.next = now
	}
	l.next = l.next.Add(time.Duration(float64(n) / l.rate * float64(time.Second)))
	wait := l.next.Sub(now)
	l.mu.Unlock()
	if wait > time.Millisecond {
		time.Sleep(wait)
	}
}
