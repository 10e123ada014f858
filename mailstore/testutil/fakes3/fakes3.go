// Package fakes3 runs an in-process gofakes3 for unit tests and gives a real
// aws-sdk-go-v2 client for it, optionally recording every request the
// client sends (to prove sesbox never writes to a bucket, or counts calls).
package fakes3

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// Server is a running gofakes3.
type Server struct {
	URL string
	// Admin is a client for setting up fixtures; its requests are not recorded.
	Admin *s3.Client
}

// Start starts a server with the given buckets and stops it when t ends.
func Start(t testing.TB, buckets ...string) *Server {
	t.Helper()
	srv := httptest.NewServer(gofakes3.New(s3mem.New(), gofakes3.WithLogger(gofakes3.DiscardLog())).Server())
	t.Cleanup(srv.Close)
	s := &Server{URL: srv.URL}
	s.Admin = s.Client(nil)
	for _, b := range buckets {
		if _, err := s.Admin.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// Client returns a path-style SDK client; requests go through rec when it
// is not nil.
func (s *Server) Client(rec *Recorder) *s3.Client {
	return s3.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("k", "s", ""),
	}, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(s.URL)
		o.UsePathStyle = true
		if rec != nil {
			o.HTTPClient = &http.Client{Transport: rec}
		}
	})
}

// Put stores body under bucket/key through the admin client.
func (s *Server) Put(t testing.TB, bucket, key string, body []byte) {
	t.Helper()
	_, err := s.Admin.PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)})
	if err != nil {
		t.Fatal(err)
	}
}

// Recorder is an http.RoundTripper that records each request's method and
// whether it was a listing.
type Recorder struct {
	mu       sync.Mutex
	Methods  map[string]int
	Lists    int
	Gets     int // GETs of objects (not listings)
	Requests []string
}

// RoundTrip implements http.RoundTripper.
func (r *Recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	if r.Methods == nil {
		r.Methods = map[string]int{}
	}
	r.Methods[req.Method]++
	isList := req.Method == http.MethodGet && req.URL.Query().Get("list-type") != "" ||
		req.Method == http.MethodGet && strings.Count(strings.Trim(req.URL.Path, "/"), "/") == 0
	if isList {
		r.Lists++
	} else if req.Method == http.MethodGet {
		r.Gets++
	}
	r.Requests = append(r.Requests, req.Method+" "+req.URL.RequestURI())
	r.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

// Snapshot returns copies of the counters.
func (r *Recorder) Snapshot() (methods map[string]int, lists, gets int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	methods = map[string]int{}
	for k, v := range r.Methods {
		methods[k] = v
	}
	return methods, r.Lists, r.Gets
}

// Proxy starts a reverse proxy to target that records every request, for
// tests that run the whole CLI (which builds its own client) against a
// server.
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
