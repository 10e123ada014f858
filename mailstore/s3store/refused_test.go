package s3store

import (
	"context"
	"errors"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"

	"github.com/sesbox/sesbox/mailstore"
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

	r := DefaultRetryPolicy().Retryer(nil)
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
