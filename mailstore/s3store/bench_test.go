package s3store

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/testutil/fakes3"
)

// BenchmarkList lists 20,000 SES-like keys over a transport that adds 30 ms
// per request (S3 takes tens of milliseconds per page of 1,000 keys), and reports how many times faster
// the split, parallel listing is than one plain ListObjectsV2 paginator
// measured in the same run.
func BenchmarkList(b *testing.B) {
	const n = 20000
	srv := fakes3.Start(b, "mail")
	for i := range n {
		srv.PutDirect(b, "mail", "inbox/"+sesID(sesIDAlphabet[i%32], i)+fmt.Sprint(i), []byte("x"))
	}
	client := srv.ClientWith(fakes3.Latency{Delay: 30 * time.Millisecond, Next: http.DefaultTransport})
	ctx := context.Background()

	serial := func() int {
		p := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: aws.String("mail"), Prefix: aws.String("inbox/")})
		c := 0
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				b.Fatal(err)
			}
			c += len(out.Contents)
		}
		return c
	}
	start := time.Now()
	if got := serial(); got != n {
		b.Fatalf("serial listing saw %d keys", got)
	}
	baseline := time.Since(start)

	st := New(client, mailstore.Location{Bucket: "mail", Prefix: "inbox/"})
	var total time.Duration
	runs := 0
	for b.Loop() {
		t0 := time.Now()
		c := 0
		if err := st.List(ctx, func(p []mailstore.Object) error { c += len(p); return nil }); err != nil {
			b.Fatal(err)
		}
		if c != n {
			b.Fatalf("parallel listing saw %d keys", c)
		}
		total += time.Since(t0)
		runs++
	}
	b.ReportMetric(float64(baseline)/float64(total/time.Duration(runs)), "x_vs_serial")
}

// BenchmarkRangedReadCPU is the floor under the CPU an index spends per
// message on reading it: the process CPU time (client and an in-process
// server answering 16 KiB) of one ranged read through Store (the SDK:
// middleware, signing, retries, checksums), next to the same read as one
// plain net/http GET measured in the same run. Their difference is the
// SDK's own cost per request.
func BenchmarkRangedReadCPU(b *testing.B) {
	body := strings.Repeat("x", 16<<10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"e"`)
		w.Header().Set("Content-Range", "bytes 0-16383/50000")
		w.Header().Set("Content-Length", "16384")
		w.Header().Set("Last-Modified", "Sun, 01 Nov 2026 00:00:00 GMT")
		w.WriteHeader(http.StatusPartialContent)
		io.WriteString(w, body)
	}))
	defer srv.Close()
	cpu := func(n int, fn func()) time.Duration {
		var before, after syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &before)
		for range n {
			fn()
		}
		syscall.Getrusage(syscall.RUSAGE_SELF, &after)
		used := after.Utime.Nano() + after.Stime.Nano() - before.Utime.Nano() - before.Stime.Nano()
		return time.Duration(used / int64(n))
	}
	plain := cpu(2000, func() {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/mail/inbox/x", nil)
		req.Header.Set("Range", "bytes=0-16383")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	})
	client := s3.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")},
		func(o *s3.Options) { o.BaseEndpoint = aws.String(srv.URL); o.UsePathStyle = true })
	st := New(client, mailstore.Location{Bucket: "mail", Prefix: "inbox/"})
	ctx := context.Background()
	var sdk time.Duration
	for b.Loop() {
		sdk = cpu(2000, func() {
			if _, _, err := st.get(ctx, "inbox/x", "bytes=0-16383"); err != nil {
				b.Fatal(err)
			}
		})
	}
	b.ReportMetric(float64(sdk.Microseconds()), "µs_cpu/read")
	b.ReportMetric(float64(plain.Microseconds()), "µs_cpu/plain_GET")
}
