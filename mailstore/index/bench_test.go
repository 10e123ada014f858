package index

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/query"
	"github.com/sesbox/sesbox/mailstore/s3store"
	"github.com/sesbox/sesbox/mailstore/testutil/fakes3"
)

// BenchmarkRefreshWarm measures a refresh of an unchanged 5,000-message
// bucket (list calls only) against the cold refresh that read every header,
// both over a transport adding 5 ms per request, and reports the speed-up.
func BenchmarkRefreshWarm(b *testing.B) {
	const n = 5000
	srv := fakes3.Start(b, "mail")
	for i := range n {
		srv.PutDirect(b, "mail", fmt.Sprintf("inbox/%05dmsg", i), msg(i, fmt.Sprintf("Subject %d", i), "Alice <alice@example.com>"))
	}
	loc := mailstore.Location{Bucket: "mail", Prefix: "inbox/"}
	st := s3store.New(srv.ClientWith(fakes3.Latency{Delay: 5 * time.Millisecond, Next: http.DefaultTransport}), loc)
	x, err := Open(filepath.Join(b.TempDir(), "i.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer x.Close()
	ctx := context.Background()
	start := time.Now()
	if err := Refresh(ctx, x, st, Options{}, nil); err != nil {
		b.Fatal(err)
	}
	cold := time.Since(start)

	var warm time.Duration
	runs := 0
	for b.Loop() {
		t0 := time.Now()
		if err := Refresh(ctx, x, st, Options{}, nil); err != nil {
			b.Fatal(err)
		}
		warm += time.Since(t0)
		runs++
	}
	b.ReportMetric(float64(cold)/float64(warm/time.Duration(runs)), "x_vs_cold")
}

// BenchmarkQuery100k runs `from:x` over 100,000 indexed summaries through
// Query (what `ls --query` does), and reports its time against loading
// every summary (what it did before the terms ran in SQL) as the baseline.
func BenchmarkQuery100k(b *testing.B) {
	const n = 100000
	x, err := Open(filepath.Join(b.TempDir(), "i.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer x.Close()
	ctx := context.Background()
	loc := mailstore.Location{Bucket: "mail", Prefix: "inbox/"}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	batch := make([]mailstore.Summary, 0, 1000)
	for i := range n {
		batch = append(batch, mailstore.Summary{
			Object:  mailstore.Object{Key: fmt.Sprintf("inbox/%06d", i), ETag: "e", Size: int64(i)},
			Subject: fmt.Sprintf("Order %d shipped", i), From: mailstore.Address{Name: "Shop", Address: fmt.Sprintf("s%d@shop.example", i%97)},
			Date: base.Add(time.Duration(i) * time.Minute), Recipients: []string{"support@acme.example"},
			Verdicts: mailstore.Verdicts{Spam: "PASS"},
		})
		if len(batch) == cap(batch) {
			if err := x.Put(ctx, "mail", batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	start := time.Now()
	all, err := x.Summaries(ctx, loc)
	if err != nil || len(all) != n {
		b.Fatalf("%d summaries, %v", len(all), err)
	}
	load := time.Since(start)
	q, _ := query.Parse("from:s42@shop -spam:fail", base)
	var total time.Duration
	runs := 0
	for b.Loop() {
		t0 := time.Now()
		s, err := x.Query(ctx, loc, q, query.ByDate, false, 0)
		if err != nil || len(s) != (n-42+96)/97 {
			b.Fatalf("%d rows, %v", len(s), err)
		}
		total += time.Since(t0)
		runs++
	}
	b.ReportMetric(float64(total/time.Duration(runs))/float64(load), "x_of_load")
}
