package mailstore

import (
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/quick"
)

// stemOf is a lossy stem as the callers make one: the last segment, with
// ":" dropped.
func stemOf(key string) string { return strings.ReplaceAll(SESMessageID(key), ":", "") }

// TestFileNamesUniquePerKey: a key that is the prefix and a segment the
// stem keeps whole gets the plain name; a key the stem loses something of
// (a ":", another folder) gets its hash in its name; a key asked again
// gets its name again.
func TestFileNamesUniquePerKey(t *testing.T) {
	n := FileNames{Prefix: "inbox/"}
	hash8 := func(k string) string { s := sha256.Sum256([]byte(k)); return hex.EncodeToString(s[:4]) }
	for _, c := range []struct{ key, want string }{
		{"inbox/a:b", "ab-" + hash8("inbox/a:b") + ".eml"},
		{"inbox/ab", "ab.eml"},
		{"other/ab", "ab-" + hash8("other/ab") + ".eml"},
		{"inbox/sub/ab", "ab-" + hash8("inbox/sub/ab") + ".eml"},
		{"inbox/ab", "ab.eml"},
		{"inbox/cd", "cd.eml"},
	} {
		if got := n.Name(c.key, stemOf(c.key), ".eml"); got != c.want {
			t.Errorf("%s: %s, want %s", c.key, got, c.want)
		}
	}
	// A key whose plain name is another's hashed one still gets its own.
	n = FileNames{Prefix: "p/"}
	a := n.Name("p/x:", "x", "")
	b := n.Name("p/"+a, a, "")
	c := n.Name("q/"+a, a, "")
	if a == b || b == c || a == c || b != a+"-"+hash8("p/"+a) {
		t.Errorf("names %q %q %q", a, b, c)
	}
}

// TestFileNamesDependOnTheKeyAlone: whichever keys are named with it, and
// in whatever order, a key gets the name it gets among all of them, and
// no two keys of a run share a name. (Before, a key that lost a collision
// kept its hashed name only while the other key was named too: exported
// alone into the same directory, it took the other's name.)
func TestFileNamesDependOnTheKeyAlone(t *testing.T) {
	segs := []string{"ab", "a:b", "ab:", "cd", "c:d", "0000018b2c1f"}
	folders := []string{"inbox/", "inbox/sub/", "other/", ""}
	prop := func(seed uint64) bool {
		r := rand.New(rand.NewPCG(seed, 1))
		var keys []string
		for range 1 + r.IntN(12) {
			keys = append(keys, folders[r.IntN(len(folders))]+segs[r.IntN(len(segs))])
		}
		all := FileNames{Prefix: "inbox/"}
		want := map[string]string{}
		for _, k := range keys {
			want[k] = all.Name(k, stemOf(k), ".eml")
		}
		sub := FileNames{Prefix: "inbox/"}
		given := map[string]string{}
		for _, i := range r.Perm(len(keys))[:1+r.IntN(len(keys))] {
			k := keys[i]
			got := sub.Name(k, stemOf(k), ".eml")
			if got != want[k] {
				t.Logf("seed %d: %s named %s among %q, %s among fewer", seed, k, want[k], keys, got)
				return false
			}
			if other, ok := given[got]; ok && other != k {
				t.Logf("seed %d: %s and %s share %s", seed, k, other, got)
				return false
			}
			given[got] = k
		}
		return true
	}
	if err := quick.Check(prop, &quick.Config{MaxCount: 2000}); err != nil {
		t.Error(err)
	}
}
