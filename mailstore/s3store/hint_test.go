package s3store

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sesbox/sesbox/mailstore"
)

// TestListHintsFirst: a listing that fails says what to check first, in
// the flags' words, once; the SDK's error stays in the chain after it. A
// missing bucket said "check --bucket and --region" twice, first and
// again at the end (Explain's note inside the hint's chain).
func TestListHintsFirst(t *testing.T) {
	c := fakeS3(t, "mail")
	st := New(c, mailstore.Location{Bucket: "nosuch", Prefix: "inbox/"})
	err := st.List(context.Background(), func([]mailstore.Object) error { return nil })
	got := mailstore.Explain(err)
	want := `no such bucket "nosuch" in ` + c.Options().Region + ` — check --bucket and --region (list s3://nosuch/inbox/: `
	if !strings.HasPrefix(got, want) || !strings.Contains(got, "NoSuchBucket") || strings.Count(got, "--bucket") != 1 {
		t.Fatalf("got %q", got)
	}
	_, _, err = st.Read(context.Background(), "inbox/k")
	if got := mailstore.Explain(err); !strings.HasPrefix(got, `no such bucket "nosuch"`) || strings.Count(got, "--bucket") != 1 {
		t.Fatalf("read: got %q", got)
	}

	// Nothing listens on port 9 (discard) on loopback.
	refused := s3.New(s3.Options{Region: "eu-west-1", BaseEndpoint: aws.String("http://127.0.0.1:9"), UsePathStyle: true,
		Credentials: aws.AnonymousCredentials{}, RetryMaxAttempts: 1})
	st = New(refused, mailstore.Location{Bucket: "b"})
	err = st.List(context.Background(), func([]mailstore.Object) error { return nil })
	if got := mailstore.Explain(err); !strings.HasPrefix(got, "connection refused: http://127.0.0.1:9 — check --endpoint (list s3://b/: ") {
		t.Fatalf("got %q", got)
	}
}

// TestListHintsNotS3: an endpoint that is a web server, not S3 (an HTML
// 404 page, a redirect), says to check --endpoint first.
func TestListHintsNotS3(t *testing.T) {
	for _, h := range []http.HandlerFunc{
		func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, "<html><head><meta charset=utf-8></head><body>Not Found</body></html>")
		},
		func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/b/", http.StatusMovedPermanently) },
		func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) },
		func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "<html><body><p>It works!</body></html>")
		},
	} {
		srv := httptest.NewServer(h)
		c := s3.New(s3.Options{Region: "eu-west-1", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true,
			Credentials: aws.AnonymousCredentials{}, RetryMaxAttempts: 1})
		err := New(c, mailstore.Location{Bucket: "b"}).List(context.Background(), func([]mailstore.Object) error { return nil })
		if got := mailstore.Explain(err); !strings.HasPrefix(got, srv.URL+" does not answer like S3 (HTTP ") || !strings.Contains(got, "check --endpoint") {
			t.Errorf("got %q", got)
		}
		srv.Close()
	}
}

// TestWrongRegionNamesTheBucketsRegion: S3 answers a request signed for
// the wrong region with PermanentRedirect (301) or
// AuthorizationHeaderMalformed (400), and the bucket's region in the
// x-amz-bucket-region header; sesbox said only "bucket is in another
// region — check --region", leaving the user to find which. It names the
// region to set. (S3's answers as documented, from a test server: no
// local S3 server redirects by region.)
func TestWrongRegionNamesTheBucketsRegion(t *testing.T) {
	for code, body := range map[int]string{
		http.StatusMovedPermanently: `<Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.</Message><Endpoint>inbound.s3.eu-west-1.amazonaws.com</Endpoint><Bucket>inbound</Bucket></Error>`,
		http.StatusBadRequest:       `<Error><Code>AuthorizationHeaderMalformed</Code><Message>The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-west-1'</Message><Region>eu-west-1</Region></Error>`,
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/xml")
			w.Header().Set("x-amz-bucket-region", "eu-west-1")
			w.WriteHeader(code)
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+body)
		}))
		c := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true,
			Credentials: aws.AnonymousCredentials{}, RetryMaxAttempts: 1})
		st := New(c, mailstore.Location{Bucket: "inbound", Prefix: "inbox/"}).WithOrigins(mailstore.Origins{Region: "AWS_REGION"})
		err := st.List(context.Background(), func([]mailstore.Object) error { return nil })
		want := `bucket "inbound" is in eu-west-1, not us-east-1 — set AWS_REGION to eu-west-1 (list s3://inbound/inbox/: `
		if got := mailstore.Explain(err); !strings.HasPrefix(got, want) {
			t.Errorf("HTTP %d: got %q, want %q", code, got, want)
		}
		srv.Close()
	}
}
