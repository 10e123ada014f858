// Package dynfault is a reverse proxy for tests, put in front of a real
// DynamoDB peer (dynalite) or an SQS one (fauxqs): it injects the faults the team table must
// survive or stop on. Throttling answers as DynamoDB gives them,
// connections cut after dynalite applied the write (so the client's retry
// meets its own earlier write), and a table that stops answering.
package dynfault

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore/testutil/httprec"
)

// Fault is what the proxy does with one request.
type Fault int

const (
	// Pass forwards the request and its answer.
	Pass Fault = iota
	// Throttle answers HTTP 400 with the throttling error of the service
	// the request is for, without forwarding: DynamoDB's
	// ProvisionedThroughputExceededException, CloudWatch Logs'
	// ThrottlingException ("Rate exceeded").
	Throttle
	// Drop forwards the request (dynalite applies it) and then closes the
	// connection without an answer.
	Drop
	// Refuse closes the connection without forwarding: the table is
	// unreachable.
	Refuse
	// Delay forwards the request and holds dynalite's answer back for
	// Proxy.Delay before passing it on: a slow network, whose answer
	// carries a Date older than its arrival.
	Delay
	// RejectCredentials answers HTTP 400 UnrecognizedClientException
	// without forwarding, as DynamoDB (and SQS, whose JSON protocol this
	// proxy passes as well) does for a request signed with a key it does
	// not know: the peers accept any key.
	RejectCredentials
)

// Proxy is a running fault proxy.
type Proxy struct {
	URL string
	// Delay is how long a Delay answer is held back.
	Delay  time.Duration
	target *url.URL
	mu     sync.Mutex
	fault  func(n int, op string) Fault
	n      int
	ops    map[string]int
}

// Start starts a proxy to target. fault decides each request by its
// 1-based number and operation ("PutItem", "Query", ...); nil passes all.
func Start(t testing.TB, target string, fault func(n int, op string) Fault) *Proxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	if fault == nil {
		fault = func(int, string) Fault { return Pass }
	}
	p := &Proxy{target: u, fault: fault, ops: map[string]int{}}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// SetFault replaces the fault function.
func (p *Proxy) SetFault(f func(n int, op string) Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fault = f
}

// Ops counts the requests seen by operation, faulted ones included.
func (p *Proxy) Ops() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]int{}
	for k, v := range p.ops {
		out[k] = v
	}
	return out
}

// ServeHTTP implements http.Handler.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	_, op, _ := strings.Cut(r.Header.Get("X-Amz-Target"), ".")
	p.mu.Lock()
	p.n++
	p.ops[op]++
	fault := p.fault(p.n, op)
	p.mu.Unlock()
	switch fault {
	case Throttle:
		if strings.HasPrefix(r.Header.Get("X-Amz-Target"), "Logs_") {
			// What CloudWatch Logs sends over an account's request rate.
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"__type":"ThrottlingException","message":"Rate exceeded"}`)
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"The level of configured provisioned throughput for the table was exceeded."}`)
		return
	case RejectCredentials:
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"The security token included in the request is invalid."}`)
		return
	case Refuse:
		cut(w)
		return
	}
	resp, respBody, ok := httprec.Relay(w, r, p.target, body)
	if !ok {
		return
	}
	switch fault {
	case Drop:
		cut(w)
		return
	case Delay:
		time.Sleep(p.Delay)
	}
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	w.Write(respBody)
}

func cut(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("dynfault: the server cannot hijack connections")
	}
	if conn, _, err := hj.Hijack(); err == nil {
		conn.Close()
	}
}
