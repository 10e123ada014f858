package s3store

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/testutil/fakes3"
)

// TestRefusedConnectionIsTriedTwice: a request to a port where nothing
// listens is sent RefusedAttempts times, not MaxAttempts (10, with up to 8 s
// between two: ls against a wrong --endpoint took 50 s), and fails with the
// refusal in its chain, so the hint still says "connection refused". A
// reset or a timeout is still retried up to MaxAttempts.
func TestRefusedConnectionIsTriedTwice(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String()
	l.Close()
	var attempts atomic.Int32
	client := s3.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("k", "s", ""),
	}, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(dead)
		o.UsePathStyle = true
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Finalize.Add(middleware.FinalizeMiddlewareFunc("count", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				attempts.Add(1)
				return next.HandleFinalize(ctx, in)
			}), middleware.After)
		})
	})
	st := New(client, mailstore.Location{Bucket: "mail"}).WithRetry(testPolicy())
	if _, _, err := st.Read(context.Background(), "k"); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("Read from a closed port: %v, want ECONNREFUSED in the chain", err)
	}
	if got := attempts.Load(); got != RefusedAttempts {
		t.Errorf("a refused GET was sent %d times, want %d", got, RefusedAttempts)
	}

	r := DefaultRetryPolicy().Retryer(nil, nil)
	for _, err := range []error{syscall.ECONNRESET, os.ErrDeadlineExceeded} {
		opErr := &net.OpError{Op: "read", Net: "tcp", Err: err}
		if !r.IsErrorRetryable(opErr) {
			t.Errorf("%v is not retried", err)
		}
		if _, derr := r.RetryDelay(RefusedAttempts+3, opErr); derr != nil {
			t.Errorf("%v at attempt %d: %v, want a delay", err, RefusedAttempts+3, derr)
		}
	}
}

// TestRefusedAfterAnAnswerIsAServerRestarting: once the endpoint has
// answered, a refused connection is its server restarting (versitygw
// killed mid-index and started again 3 s later: 90 of 4,000 header reads
// failed "connection refused — check --endpoint", tried twice each), and
// is retried as a reset is: the read goes through once the server is
// back (here after four refused attempts, reopened by the attempt
// counter, not by time).
func TestRefusedAfterAnAnswerIsAServerRestarting(t *testing.T) {
	srv := fakes3.Start(t, "mail")
	srv.Put(t, "mail", "k", []byte("Subject: x\r\n\r\nbody\r\n"))
	target, _ := url.Parse(srv.URL)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	proxy := httputil.NewSingleHostReverseProxy(target)
	var mu sync.Mutex
	var front *http.Server
	serve := func(l net.Listener) {
		mu.Lock()
		defer mu.Unlock()
		front = &http.Server{Handler: proxy}
		go front.Serve(l)
	}
	serve(l)
	t.Cleanup(func() { mu.Lock(); front.Close(); mu.Unlock() })
	var attempts, down atomic.Int32
	client := s3.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("k", "s", ""),
	}, func(o *s3.Options) {
		o.BaseEndpoint = aws.String("http://" + addr)
		o.UsePathStyle = true
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Finalize.Add(middleware.FinalizeMiddlewareFunc("count", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				attempts.Add(1)
				out, md, err := next.HandleFinalize(ctx, in)
				if errors.Is(err, syscall.ECONNREFUSED) && down.Add(1) == 4 {
					// Started again: listening on its port once more.
					l, lerr := net.Listen("tcp", addr)
					if lerr != nil {
						t.Errorf("listen again on %s: %v", addr, lerr)
					} else {
						serve(l)
					}
				}
				return out, md, err
			}), middleware.After)
		})
	})
	st := New(client, mailstore.Location{Bucket: "mail"}).WithRetry(testPolicy())
	if _, _, err := st.Read(context.Background(), "k"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	front.Close() // stopped: its port refuses connections
	mu.Unlock()
	attempts.Store(0)
	raw, _, err := st.Read(context.Background(), "k")
	if err != nil || string(raw) != "Subject: x\r\n\r\nbody\r\n" {
		t.Fatalf("read while the server restarted: %q, %v", raw, err)
	}
	if a, d := attempts.Load(), down.Load(); d != 4 || a != 5 {
		t.Errorf("%d attempts, %d refused: want 4 refused, then the answer", a, d)
	}
}
