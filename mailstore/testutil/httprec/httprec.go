// Package httprec records the HTTP requests a real SDK client sends, either
// as its transport or through a reverse proxy in front of a real peer, so
// tests can assert what reached S3 or SES: methods, call counts, and exact
// request bodies.
package httprec

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// Request is one recorded request.
type Request struct {
	Method string
	Path   string // request URI
	Body   []byte
}

// Recorder is an http.RoundTripper that records each request and passes
// it on to http.DefaultTransport.
type Recorder struct {
	mu   sync.Mutex
	reqs []Request
}

// RoundTrip implements http.RoundTripper.
func (r *Recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := Request{Method: req.Method, Path: req.URL.RequestURI()}
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		rec.Body = b
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	r.mu.Lock()
	r.reqs = append(r.reqs, rec)
	r.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

// Requests returns a copy of what was recorded.
func (r *Recorder) Requests() []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Request(nil), r.reqs...)
}

// Methods counts the recorded requests by method.
func (r *Recorder) Methods() map[string]int {
	out := map[string]int{}
	for _, q := range r.Requests() {
		out[q.Method]++
	}
	return out
}

// ObjectGets counts GETs of S3 objects (path-style /bucket/key), as opposed
// to listings (/bucket?list-type=2).
func (r *Recorder) ObjectGets() int {
	n := 0
	for _, q := range r.Requests() {
		path, _, _ := strings.Cut(q.Path, "?")
		if q.Method == http.MethodGet && strings.Contains(strings.Trim(path, "/"), "/") {
			n++
		}
	}
	return n
}

// Proxy starts a reverse proxy to target that records every request, for
// tests that run code which builds its own client (the whole CLI).
func Proxy(t testing.TB, target string) (string, *Recorder) {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rec := &Recorder{}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.Transport = rec
	srv := httptest.NewServer(rp)
	t.Cleanup(srv.Close)
	return srv.URL, rec
}

// Relay sends r, with its body already read into body, on to target and
// reads the whole answer, for a proxy that decides what to do with it (a
// fault proxy drops or rewrites it). When it fails it has answered w with
// 502 and ok is false.
func Relay(w http.ResponseWriter, r *http.Request, target *url.URL, body []byte) (resp *http.Response, respBody []byte, ok bool) {
	out := r.Clone(r.Context())
	out.RequestURI = ""
	out.URL.Scheme, out.URL.Host = target.Scheme, target.Host
	out.Host = target.Host
	out.Body = io.NopCloser(bytes.NewReader(body))
	out.ContentLength = int64(len(body))
	resp, err := http.DefaultTransport.RoundTrip(out)
	if err == nil {
		respBody, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return nil, nil, false
	}
	return resp, respBody, true
}
