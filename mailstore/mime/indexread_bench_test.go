package mime

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkIndexRead is a cold index's reading of each new message, less
// the request: Summarize and CountAttachments on its first range (16 KiB,
// as s3store.ReadHeader reads it), over the demo mailbox, whose messages
// the bench's generated buckets are made of. Its instructions a message
// (valgrind --tool=callgrind on the test binary, two -benchtime counts,
// the difference) do not move with the machine's load, as its time does.
func BenchmarkIndexRead(b *testing.B) {
	files, _ := filepath.Glob("../demo/messages/*.eml")
	var heads [][]byte
	var sizes []int64
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		sizes = append(sizes, int64(len(raw)))
		heads = append(heads, raw[:min(len(raw), indexReadRange)])
	}
	b.ReportAllocs()
	for b.Loop() {
		for i, head := range heads {
			Summarize(head)
			CountAttachments(head, sizes[i])
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(heads))/1e3, "µs/message")
}
