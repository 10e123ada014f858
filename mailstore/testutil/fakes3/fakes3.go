// Package fakes3 runs an in-process gofakes3 for unit tests and gives a real
// aws-sdk-go-v2 client for it, optionally recording every request the
// client sends (see httprec).
package fakes3

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/sesbox/sesbox/mailstore/testutil/httprec"
)

// Server is a running gofakes3.
type Server struct {
	URL     string
	Backend *s3mem.Backend
	// Admin is a client for setting up fixtures; its requests are not recorded.
	Admin *s3.Client
}

// Start starts a server with the given buckets and stops it when t ends.
func Start(t testing.TB, buckets ...string) *Server {
	t.Helper()
	backend := s3mem.New()
	srv := httptest.NewServer(gofakes3.New(backend, gofakes3.WithLogger(gofakes3.DiscardLog())).Server())
	t.Cleanup(srv.Close)
	s := &Server{URL: srv.URL, Backend: backend}
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
func (s *Server) Client(rec *httprec.Recorder) *s3.Client {
	if rec == nil {
		return s.ClientWith(http.DefaultTransport)
	}
	return s.ClientWith(rec)
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

// PutMeta stores body under bucket/key with user metadata (names without
// "x-amz-meta-"), as SES does for client-side encrypted mail.
func (s *Server) PutMeta(t testing.TB, bucket, key string, body []byte, meta map[string]string) {
	t.Helper()
	_, err := s.Admin.PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body), Metadata: meta})
	if err != nil {
		t.Fatal(err)
	}
}

// PutDirect stores body straight into the backend, skipping HTTP: for
// benchmarks that need tens of thousands of objects.
func (s *Server) PutDirect(t testing.TB, bucket, key string, body []byte) {
	t.Helper()
	if _, err := s.Backend.PutObject(bucket, key, map[string]string{}, bytes.NewReader(body), int64(len(body)), nil); err != nil {
		t.Fatal(err)
	}
}

// Latency is an http.RoundTripper that delays every request, so benchmarks
// against an in-process server see something like a network round trip.
type Latency struct {
	Delay time.Duration
	Next  http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (l Latency) RoundTrip(req *http.Request) (*http.Response, error) {
	time.Sleep(l.Delay)
	return l.Next.RoundTrip(req)
}

// ClientWith returns a path-style SDK client over transport rt.
func (s *Server) ClientWith(rt http.RoundTripper) *s3.Client {
	return s3.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("k", "s", ""),
	}, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(s.URL)
		o.UsePathStyle = true
		o.HTTPClient = &http.Client{Transport: rt}
	})
}
