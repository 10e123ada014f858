package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/sanitize"
	"github.com/sesbox/sesbox/mailstore/testutil/gensum"
)

// tableInvisibles are the characters that draw nothing, or join or
// reorder what they stand among, which a terminal and a width count read
// differently: zero-width space and joiners, the bidi marks, embeddings,
// overrides and isolates, and the byte-order mark.
func tableInvisible(r rune) bool {
	return r >= '\u200b' && r <= '\u200f' || r >= '\u202a' && r <= '\u202e' || r >= '\u2066' && r <= '\u2069' || r == '\ufeff'
}

// TestLsTableAlignsProperty: for any summary, with zero-width characters,
// joiners (an emoji family joined by ZWJ, which a terminal may draw as its
// three emoji), bidi controls and BOMs strewn into the sender and the
// subject, and clusters a terminal draws apart or narrower (a variation
// selector, a skin-tone modifier, a keycap), every row of `ls`'s table has
// the size column at the same display width, counted by grapheme clusters
// and rune by rune as tmux draws, and none of those characters reaches
// the table raw. 1,000 generated summaries, a fixed seed.
func TestLsTableAlignsProperty(t *testing.T) {
	src := gensum.NewRand(11)
	strew := []string{"\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
		"\u2066", "\u2067", "\u2068", "\u2069", "\ufeff", "👨\u200d👩\u200d👧", "🏳\ufe0f\u200d🌈", "é", "日本", "x",
		"\u2764\ufe0f", "👍\U0001F3FD", "1\ufe0f\u20e3", "\u263a\ufe0e"}
	spoil := func(s string) string {
		var b strings.Builder
		for _, r := range s {
			if src.IntN(3) == 0 {
				b.WriteString(strew[src.IntN(len(strew))])
			}
			b.WriteRune(r)
		}
		for range src.IntN(6) {
			b.WriteString(strew[src.IntN(len(strew))])
		}
		return b.String()
	}
	for i := range 1000 {
		s := gensum.Summary(src, i)
		s.Forward = mailstore.Forward{}
		s.Report = ""
		s.Key = "inbox/k" // a key of its own spelling: the row's end is found by its last two blanks
		s.From.Name, s.Subject = spoil(s.From.Name), spoil(s.Subject)
		var b bytes.Buffer
		if err := printTable(&b, []mailstore.Summary{s}); err != nil {
			t.Fatal(err)
		}
		row := strings.TrimSuffix(b.String(), "\n")
		id := strings.TrimSpace(row[strings.LastIndex(row, "  ")+2:])
		// flags, date, sender, subject, size: 3+2+16+2+24+2+50+2+7+2 cells.
		before := strings.TrimSuffix(row, id)
		if w := ansi.StringWidth(before); w != 110 {
			t.Errorf("row %d: %d cells before the id, want 110:\n%q", i, w, row)
		}
		// And as tmux draws it, rune by rune.
		if w := sanitize.DrawnWidth(before); w != 110 {
			t.Errorf("row %d: drawn %d cells wide before the id, want 110:\n%q", i, w, row)
		}
		if j := strings.IndexFunc(before, tableInvisible); j >= 0 {
			t.Errorf("row %d: %U reached the table:\n%q", i, []rune(before[j:])[0], row)
		}
		if strings.Contains(before, "\u200d") {
			t.Errorf("row %d: a joiner reached the table", i)
		}
	}
}
