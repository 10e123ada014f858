package audit

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/quick"
)

// TestManifestHeaderRoundTripProperty: every string of a manifest's
// header (the bucket's, the query's, and the warning and Object Lock the
// run read from the bucket's settings: a lifecycle rule's ID is anyone's
// who may set rules) is written with no character that acts on a
// terminal as it is, and CheckManifest reads the header back exactly,
// the manifest intact.
func TestManifestHeaderRoundTripProperty(t *testing.T) {
	pool := []rune("\x00\x1b\x7f\u0080\u0085\u009f\u061c\u200e\u200f\u202a\u202e\u2066\u2069\u2028\"\\/aé文\U0001F600")
	str := func(picks []uint8) string {
		var b strings.Builder
		for _, p := range picks {
			b.WriteRune(pool[int(p)%len(pool)])
		}
		return b.String()
	}
	dir := t.TempDir()
	n := 0
	prop := func(bucket, prefix, query, lock, warning, region []uint8, mfa bool) bool {
		n++
		want := Header{Kind: "export", Export: "mbox", Bucket: str(bucket), Prefix: str(prefix), Query: str(query), Region: str(region),
			Versioning: "Enabled", ObjectLock: str(lock), MFADelete: mfa, Warning: str(warning)}
		var buf bytes.Buffer
		mw := newManifestWriter(&buf)
		if err := mw.header(want); err != nil {
			t.Fatal(err)
		}
		if err := mw.entry(Entry{Key: want.Prefix + "a", SHA256: "00", Metadata: map[string]string{}}); err != nil {
			t.Fatal(err)
		}
		if _, err := mw.trailer(Trailer{}); err != nil {
			t.Fatal(err)
		}
		first, _, _ := bytes.Cut(buf.Bytes(), []byte("\n"))
		if i := bytes.IndexFunc(first, func(r rune) bool {
			return r < 0x20 || (r >= 0x7f && r <= 0x9f) || strings.ContainsRune("\u061c\u200e\u200f\u202a\u202e\u2066\u2069", r)
		}); i >= 0 {
			t.Errorf("header line holds a control or bidi character at %d: %q", i, first)
			return false
		}
		path := filepath.Join(dir, fmt.Sprintf("m%d.jsonl", n))
		if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := CheckManifest(path)
		want.Record, want.Format, want.TrailerHashed = "header", ManifestFormat, true
		if err != nil || !c.OK() || c.Header != want {
			t.Errorf("header read back as %+v (%v, %v), written %+v", c.Header, err, c.Problems, want)
			return false
		}
		return true
	}
	if err := quick.Check(prop, &quick.Config{MaxCount: 500}); err != nil {
		t.Error(err)
	}
}
