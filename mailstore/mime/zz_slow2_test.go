package mime

import (
	"os"
	"testing"
	"time"
)

func TestZZSeeds(t *testing.T) {
	for _, p := range corpusFiles(t) {
		raw, _ := os.ReadFile(p)
		raw = raw[:min(len(raw), maxSeed)]
		start := time.Now()
		for range 10 {
			Parse(raw)
		}
		if d := time.Since(start) / 10; d > time.Millisecond {
			t.Logf("%s %v", p, d)
		}
	}
}
