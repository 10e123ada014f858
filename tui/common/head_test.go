package common

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/rivo/uniseg"

	"github.com/sesbox/sesbox/mailstore/sanitize"
)

// clusterEnds are the byte offsets at which s's grapheme clusters and
// escape sequences end, 0 included.
func clusterEnds(s string) map[int]bool {
	ends := map[int]bool{0: true}
	var state byte
	for at := 0; at < len(s); {
		_, _, n, next := ansi.DecodeSequence(s[at:], state, nil)
		state, at = next, at+n
		ends[at] = true
	}
	return ends
}

// cells is the width of s's grapheme clusters, blanks and escape
// sequences not counted.
func cells(s string) int {
	n := 0
	var state byte
	for s != "" {
		c, w, cn, next := ansi.DecodeSequence(s, state, nil)
		if !blank(c) {
			n += w
		}
		s, state = s[cn:], next
	}
	return n
}

// headPieces are what random subjects are made of: ASCII, combining marks
// (Zalgo), ZWJ emoji sequences, flags, skin tones, variation selectors,
// wide CJK, Hangul jamo, controls and escape sequences.
var headPieces = []string{
	"a", "Re: ", " ", "\u0301", "\u0336\u0337\u0338", "\u0489", "e\u0301\u0302\u0303",
	"👩\u200d💻", "👨\u200d👩\u200d👧", "🇰🇷", "👍🏽", "❤\ufe0f", "1\ufe0f\u20e3",
	"界", "견적", "\u1100\u1161\u11a8", "\u00ad", "\u200b", "\t", "\n", "  ", "\x1b[31m", "\x1b]8;;https://x.example/\x07", "\u202e",
}

// TestHeadCutsWholeClustersByWidth: a subject of heavily combining text
// (Zalgo) was cut at a byte budget, so a line of 40 cells showed a few
// letters and split the last from its marks; Head now keeps whole grapheme
// clusters while they fit w cells. For random text of every kind, what it
// keeps is a prefix of s ending on a cluster boundary (an escape sequence
// is one), at most w cells
// wide (blanks, which sanitize.Line trims and folds, not counted),
// followed by "…" exactly when s goes on, and as long as its byte
// bound allows.
func TestHeadCutsWholeClustersByWidth(t *testing.T) {
	zalgo := strings.Repeat("Z\u0336\u0337\u0338\u0335\u0334\u0321\u0322\u0327\u0328\u031b\u0316\u0317\u0318\u0319\u031c\u031d\u031e\u031f\u0320\u0323\u0324\u0325\u0326\u0329", 200)
	h := strings.TrimSuffix(Head(zalgo, 40), "…")
	if n := uniseg.GraphemeClusterCount(h); n != 40 || !clusterEnds(zalgo)[len(h)] {
		t.Fatalf("Head(zalgo, 40) kept %d letters (want 40), ending on a cluster boundary: %v", n, clusterEnds(zalgo)[len(h)])
	}

	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 5000 {
		var b strings.Builder
		for range rng.IntN(120) {
			b.WriteString(headPieces[rng.IntN(len(headPieces))])
		}
		s, w := b.String(), rng.IntN(60)
		got := Head(s, w)
		kept, cut := strings.CutSuffix(got, "…")
		if !cut {
			kept = got
		}
		switch {
		case !strings.HasPrefix(s, kept):
			t.Fatalf("%d: Head(%q, %d) = %q, not a prefix", i, s, w, got)
		case !clusterEnds(s)[len(kept)]:
			t.Fatalf("%d: Head(%q, %d) = %q splits a cluster", i, s, w, got)
		case cells(kept) > w:
			t.Fatalf("%d: Head(%q, %d) = %q is %d cells wide", i, s, w, got, cells(kept))
		case cut == (kept == s):
			t.Fatalf("%d: Head(%q, %d) = %q: … says cut %v", i, s, w, got, cut)
		}
		if cut && len(kept) < HeadBytes(w)-64 {
			// The next cluster would not fit.
			next, nw, _, _ := ansi.DecodeSequence(s[len(kept):], 0, nil)
			if blank(next) {
				nw = 0
			}
			if cells(kept)+nw <= w && len(kept)+len(next) <= HeadBytes(w) {
				t.Fatalf("%d: Head(%q, %d) = %q stops before %q, which fits", i, s, w, got, next)
			}
		}
		// Drawn from its head, a line looks as drawn whole.
		if a, b := Fit(sanitize.Line(got), w), Fit(sanitize.Line(s), w); a != b {
			t.Fatalf("%d: width %d (%q): drawn from the head %q, whole %q", i, w, s, a, b)
		}
	}
}
