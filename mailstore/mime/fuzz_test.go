package mime

import (
	"os"
	"path/filepath"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sesbox/sesbox/mailstore/testutil/hostilemail"
)

// maxSeed keeps fuzz seeds small enough to mutate quickly; the 1.8 MB
// torture test contributes its first part.
const maxSeed = 64 << 10

func addCorpusSeeds(f *testing.F) {
	ours, _ := filepath.Glob(filepath.Join(readDir, "*.eml"))
	for _, path := range append(corpusFiles(f), ours...) {
		raw, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw[:min(len(raw), maxSeed)])
	}
}

// FuzzParse checks that any input yields a sound View, that the parse is
// bounded in time (one input over a second, ten under the race detector,
// fails: enmime was exponential on nested unclosed multiparts), and that after the pre-scan enmime never
// nests deeper than maxMIMEDepth.
func FuzzParse(f *testing.F) {
	addCorpusSeeds(f)
	for _, raw := range hostilemail.Shapes() {
		f.Add(raw)
	}
	f.Add(withWinmail("", readTNEF(f, "attachments.dat")[:maxSeed/2]))
	f.Add(nestedUnclosed(40))
	f.Add(nestedClosedByOuter(20))
	f.Add(siblingChains(3, 14))
	f.Fuzz(func(t *testing.T, raw []byte) {
		start := time.Now()
		v := safeParse(raw) // not Parse: its deadline would hide a slow parse
		if d := time.Since(start); d > slowdown*time.Second {
			t.Errorf("parsing %d bytes took %v", len(raw), d)
		}
		checkView(t, v)
		if h := scanHeader(raw); len(h.Fields) > 0 {
			if depth, _ := boundedDepth(t, enmimeInput(raw, h)); depth > maxMIMEDepth {
				t.Errorf("enmime nests %d levels after the pre-scan, more than %d", depth, maxMIMEDepth)
			}
		}
	})
}

func FuzzSummarize(f *testing.F) {
	addCorpusSeeds(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		s := Summarize(raw)
		if !utf8.ValidString(s.Subject) || !utf8.ValidString(s.From.String()) {
			t.Errorf("invalid UTF-8: Subject %q From %q", s.Subject, s.From)
		}
		// The decoder's, the header scan's two and "no header fields".
		if len(s.Warnings) > maxHeaderWarnings+4 {
			t.Errorf("%d warnings", len(s.Warnings))
		}
		end := HeaderEnd(raw)
		if end < -1 || end > len(raw) {
			t.Fatalf("HeaderEnd = %d for %d bytes", end, len(raw))
		}
		if end < 0 {
			return
		}
		// The S3 reader summarizes only raw[:end]: it must see the same.
		h := Summarize(raw[:end])
		if h.Subject != s.Subject || h.From != s.From || !h.Date.Equal(s.Date) || h.Kind != s.Kind {
			t.Errorf("header block and whole input differ: %+v vs %+v", h, s)
		}
		// No shorter prefix may claim a complete header block, or the S3
		// reader would stop reading too early.
		for _, k := range []int{end - 1, end - 2, end / 2} {
			if k >= 0 && k < end {
				if got := HeaderEnd(raw[:k]); got != -1 {
					t.Errorf("HeaderEnd(raw[:%d]) = %d, want -1 (full input: %d)", k, got, end)
				}
			}
		}
	})
}
