package forward

import (
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/quick"
	"unicode"
)

// TestJournalEscapesAndRoundTrips: a key or error holding controls or
// bidirectional characters is written spelled out (\uXXXX), never as it
// is, and the reopened journal finds the entry under exactly that key.
func TestJournalEscapesAndRoundTrips(t *testing.T) {
	path := filepath.Join(t.TempDir(), "forward.jsonl")
	j := openTestJournal(t, path)
	alphabet := []rune("a/. \"\\\t\x1b\x7f\u0080\u0085\u009b\u061c\u200e\u202a\u202e\u2066\u2069\u00e9\U0001F600")
	r := rand.New(rand.NewSource(1))
	var keys []string
	record := func(n uint8) bool {
		var b strings.Builder
		b.WriteString("p/")
		for range int(n) % 40 {
			b.WriteRune(alphabet[r.Intn(len(alphabet))])
		}
		key := b.String()
		keys = append(keys, key)
		return j.Record(Entry{Bucket: "b", Key: key, ETag: "e", Destinations: []string{"a@example.com"}, State: StateFailed, Error: key}) == nil
	}
	if err := quick.Check(record, &quick.Config{MaxCount: 200, Rand: r}); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range strings.ReplaceAll(string(data), "\n", "") {
		if c < 0x20 || (c >= 0x7f && c <= 0x9f) || unicode.Is(unicode.Bidi_Control, c) {
			t.Fatalf("the journal holds %U as it is", c)
		}
	}
	j = openTestJournal(t, path)
	for _, k := range keys {
		if e, ok := j.Lookup("b", k, "e", []string{"a@example.com"}); !ok || e.Error != k {
			t.Fatalf("Lookup(%q) = %+v, %v after reopening", k, e, ok)
		}
	}
}
