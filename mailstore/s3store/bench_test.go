package s3store

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
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
