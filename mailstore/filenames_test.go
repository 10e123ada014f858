package mailstore

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

// TestFileNamesUniquePerKey: colliding keys get their own names, the first
// keeps the plain one, a key asked again gets its name again, and the
// same keys in the same order get the same names on another run.
func TestFileNamesUniquePerKey(t *testing.T) {
	keys := []string{"inbox/ab", "inbox/a:b", "other/ab", "inbox/ab", "inbox/cd"}
	run := func() []string {
		var n FileNames
		var out []string
		for _, k := range keys {
			stem := map[string]string{"inbox/cd": "cd"}[k]
			if stem == "" {
				stem = "ab"
			}
			out = append(out, n.Name(k, stem, ".eml"))
		}
		return out
	}
	got := run()
	if got[0] != "ab.eml" || got[3] != got[0] || got[4] != "cd.eml" {
		t.Errorf("names %q", got)
	}
	seen := map[string]bool{}
	for _, name := range got[:3] {
		if seen[name] {
			t.Errorf("name %s given twice: %q", name, got)
		}
		seen[name] = true
	}
	if sum := sha256.Sum256([]byte("inbox/a:b")); got[1] != "ab-"+hex.EncodeToString(sum[:4])+".eml" {
		t.Errorf("%q, want ab-<8 hex of the key's sha256>.eml", got[1])
	}
	if again := run(); len(again) != len(got) || again[1] != got[1] || again[2] != got[2] {
		t.Errorf("second run %q, first %q", again, got)
	}
	// A key whose plain name is another's suffixed one still gets its own.
	var n FileNames
	a := n.Name("k1", "x", "")
	b := n.Name("k2", "x", "")
	c := n.Name("k3", b, "")
	d := n.Name("k4", b, "")
	if a == b || c == b || d == b || c == d {
		t.Errorf("names %q %q %q %q", a, b, c, d)
	}
}
