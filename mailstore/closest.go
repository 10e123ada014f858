package mailstore

import "github.com/agnivade/levenshtein"

// Closest is the one word of among that word is a typo of (one or two
// edits: frm, form, bukcet, josn), for a "did you mean" after a mistyped
// query term, config key or flag; "" when none is that close, when two
// are equally close, or when word is so short that every word is near it.
func Closest(word string, among []string) string {
	best, bestD, ties := "", 3, 0
	for _, w := range among {
		switch d := levenshtein.ComputeDistance(word, w); {
		case d < bestD:
			best, bestD, ties = w, d, 0
		case d == bestD && w != best:
			ties++
		}
	}
	if best == "" || ties > 0 || bestD >= len(word) {
		return ""
	}
	return best
}
