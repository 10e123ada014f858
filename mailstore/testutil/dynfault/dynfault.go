// Package dynfault is a reverse proxy for tests, put in front of a real
// DynamoDB peer (dynalite) or an SQS one (fauxqs): it injects the faults the team table must
// survive or stop on. Throttling answers as DynamoDB gives them,
// connections cut after dynalite applied the write (so the client's retry
// meets its own earlier write), and a table that stops answering.
package dynfault

import (
	"encoding/json"
	"io"
	"net"
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
	// ThrottlingException answers HTTP 400 ThrottlingException without
	// forwarding: DynamoDB's answer when its control plane, or an
	// account's request rate, is over its limit.
	ThrottlingException
	// Reset forwards the request (dynalite applies it) and then resets
	// the connection (TCP RST) without an answer.
	Reset
	// ResetBefore resets the connection (TCP RST) without forwarding.
	ResetBefore
	// TTLEnabled answers a DescribeTimeToLive with a TTL enabled on
	// Proxy.TTLAttribute, as DynamoDB does for a table whose TTL was
	// turned on: dynalite has no UpdateTimeToLive, and says DISABLED.
	TTLEnabled
)

// Proxy is a running fault proxy.
type Proxy struct {
	URL string
	// Delay is how long a Delay answer is held back.
	Delay time.Duration
	// TTLAttribute is the attribute a TTLEnabled answer names.
	TTLAttribute string
	target       *url.URL
	mu           sync.Mutex
	fault        func(n int, op string, body []byte) Fault
	n            int
	ops          map[string]int
}

// Start starts a proxy to target. fault decides each request by its
// 1-based number and operation ("PutItem", "Query", ...); nil passes all.
func Start(t testing.TB, target string, fault func(n int, op string) Fault) *Proxy {
	t.Helper()
	if fault == nil {
		fault = func(int, string) Fault { return Pass }
	}
	return StartBody(t, target, func(n int, op string, _ []byte) Fault { return fault(n, op) })
}

// StartBody is Start with a fault function that also reads the request's
// body (to tell a claim's PutItem from the other writes, say).
func StartBody(t testing.TB, target string, fault func(n int, op string, body []byte) Fault) *Proxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
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
	p.fault = func(n int, op string, _ []byte) Fault { return f(n, op) }
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
	fault := p.fault(p.n, op, body)
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
	case TTLEnabled:
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		json.NewEncoder(w).Encode(map[string]any{"TimeToLiveDescription": map[string]string{
			"AttributeName": p.TTLAttribute, "TimeToLiveStatus": "ENABLED"}})
		return
	case ThrottlingException:
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"__type":"com.amazon.coral.availability#ThrottlingException","message":"Rate of requests exceeds the allowed throughput."}`)
		return
	case Refuse:
		cut(w)
		return
	case ResetBefore:
		reset(w)
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
	case Reset:
		reset(w)
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

// reset closes the connection with a TCP RST (no lingering): the client
// reads "connection reset by peer".
func reset(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("dynfault: the server cannot hijack connections")
	}
	if conn, _, err := hj.Hijack(); err == nil {
		if tc, ok := conn.(*net.TCPConn); ok {
			tc.SetLinger(0)
		}
		conn.Close()
	}
}
