package mailstore

import (
	"strings"

	"github.com/dustin/go-humanize"
)

// Count says how many of noun there are, as every count in sesbox's text
// is written (the CLI's lines, the forward screen, the TUI): "1 match",
// "2 matches", "12,345 messages". The plural adds "es" after s, x, ch and
// sh, makes a y after a consonant "ies" and else adds "s": enough for the
// nouns sesbox counts (message, file, match, entry, recipient, ...).
func Count[N ~int | ~int64](n N, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	pl := noun + "s"
	switch {
	case strings.HasSuffix(noun, "s"), strings.HasSuffix(noun, "x"),
		strings.HasSuffix(noun, "ch"), strings.HasSuffix(noun, "sh"):
		pl = noun + "es"
	case strings.HasSuffix(noun, "y") && len(noun) > 1 && !strings.ContainsRune("aeiou", rune(noun[len(noun)-2])):
		pl = noun[:len(noun)-1] + "ies"
	}
	return Thousands(n) + " " + pl
}

// Thousands writes 12345 as 12,345.
func Thousands[N ~int | ~int64](n N) string { return humanize.Comma(int64(n)) }
