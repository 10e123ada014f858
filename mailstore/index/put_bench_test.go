package index

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore"
)

// BenchmarkPut is a cold index's writing: Put of the summaries of the demo
// mailbox's messages (the bench's buckets are made of them), each under
// keys of its own, 150 to a batch (what the collector's 200 ms tick
// gathers at a cold index's pace), into a new index. Its instructions a
// message (valgrind --tool=callgrind on the test binary, two -benchtime
// counts, the difference) do not move with the machine's load.
func BenchmarkPut(b *testing.B) {
	const n, batch = 3000, 150
	files, _ := filepath.Glob("../demo/messages/*.eml")
	var demo []mailstore.Summary
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		demo = append(demo, summarize(raw[:min(len(raw), 16<<10)], mailstore.Object{Size: int64(len(raw)), ETag: "e", LastModified: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}))
	}
	sums := make([]mailstore.Summary, n)
	for i := range sums {
		sums[i] = demo[i%len(demo)]
		sums[i].Key = fmt.Sprintf("inbox/%040d", i)
		sums[i].Date = sums[i].Date.Add(time.Duration(i) * time.Minute)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		x, err := Open(filepath.Join(b.TempDir(), "i.db"))
		if err != nil {
			b.Fatal(err)
		}
		for c := range slices.Chunk(sums, batch) {
			if err := x.Put(ctx, "mail", c); err != nil {
				b.Fatal(err)
			}
		}
		x.Close()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n)/1e3, "µs/message")
}
