package audit

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore"
)

// flakyBucket lists two keys more than it holds: one whose GET says it is
// gone (the snapshot's vanished) and one whose GET fails (its failed), so
// every field of a trailer is written.
type flakyBucket struct{ memBucket }

func (f flakyBucket) ListSorted(ctx context.Context, after string, fn func([]mailstore.Object) error) error {
	return f.memBucket.ListSorted(ctx, after, func(page []mailstore.Object) error {
		return fn(append(page, mailstore.Object{Key: "p/y-gone"}, mailstore.Object{Key: "p/z-broken"}))
	})
}

func (f flakyBucket) Open(ctx context.Context, key, v string) (io.ReadCloser, mailstore.Object, error) {
	if key == "p/z-broken" {
		return nil, mailstore.Object{Key: key}, errors.New("connection reset")
	}
	return f.memBucket.Open(ctx, key, v)
}

// TestEveryByteFlipIsDetected: each single-bit change of each byte of a
// manifest (header, entries, trailer) makes CheckManifest fail it, or
// refuse the file, and name what is wrong. Before, a flip in the
// trailer's bytes, finished, vanished, resumed or failed list, or in the
// name of its headerSha256 (which then checked no header), read as intact.
func TestEveryByteFlipIsDetected(t *testing.T) {
	b := flakyBucket{memBucket{pageSize: 10, objs: map[string][]byte{
		"p/a": []byte("From: a@example.com\nSubject: one\n\nbody\n"),
		"p/b": []byte("From: b@example.com\nSubject: two\n\nbody\n"),
	}}}
	dir := t.TempDir()
	path := filepath.Join(dir, "m.jsonl")
	clock := func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC) }
	if _, err := WriteSnapshot(context.Background(), b, path, SnapshotOptions{Now: clock, SesboxVersion: "test"}); !errors.Is(err, ErrIncomplete) {
		t.Fatalf("snapshot: %v, want ErrIncomplete (one object failed)", err)
	}
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := CheckManifest(path); err != nil || !c.OK() || c.Trailer.Vanished != 1 || len(c.Trailer.Failed) != 1 {
		t.Fatalf("the manifest as written: %+v, %v", c, err)
	}
	flipped := filepath.Join(dir, "flipped.jsonl")
	missed := 0
	for i := range orig {
		for _, bit := range []byte{0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80} {
			data := append([]byte(nil), orig...)
			data[i] ^= bit
			if err := os.WriteFile(flipped, data, 0o600); err != nil {
				t.Fatal(err)
			}
			c, err := CheckManifest(flipped)
			if err != nil {
				continue // refused as no manifest, which says so
			}
			if c.OK() {
				missed++
				if missed <= 10 {
					line := strings.Count(string(orig[:i]), "\n") + 1
					start := strings.LastIndexByte(string(orig[:i]), '\n') + 1
					t.Errorf("byte %d (line %d, %q) ^ %#x: %q -> %q reads as intact", i, line, orig[start:i], bit, orig[i], data[i])
				}
				continue
			}
			for _, p := range c.Problems {
				if !strings.Contains(p, "line ") && !strings.Contains(p, "trailer") && !strings.Contains(p, "header") {
					t.Errorf("byte %d ^ %#x: problem %q names no line, header or trailer", i, bit, p)
				}
			}
		}
	}
	if missed > 0 {
		t.Errorf("%d of %d single-bit flips read as intact", missed, 8*len(orig))
	}
}

// FuzzCheckManifest: whatever the bytes of a manifest (a written one,
// flipped, cut or spliced), CheckManifest ends without a panic, and one it
// passes has a trailer that counts the entries it holds.
func FuzzCheckManifest(f *testing.F) {
	b := flakyBucket{memBucket{pageSize: 10, objs: map[string][]byte{"p/a": []byte("Subject: one\n\nbody\n")}}}
	path := filepath.Join(f.TempDir(), "m.jsonl")
	if _, err := WriteSnapshot(context.Background(), b, path, SnapshotOptions{}); !errors.Is(err, ErrIncomplete) {
		f.Fatal(err)
	}
	orig, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(orig)
	f.Add(orig[:len(orig)-40])
	f.Add([]byte(`{"record":"header","trailerHashed":true}` + "\n" + `{"record":"trailer"}` + "\n"))
	f.Add([]byte(`{"record":"header"}` + "\n" + `{"record":"trailer","trailerSha256":"` + "\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "f.jsonl")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := CheckManifest(p)
		if err == nil && c.OK() && (c.Trailer == nil || c.Trailer.Count != c.Entries) {
			t.Errorf("passed without a trailer that counts its %d entries: %+v", c.Entries, c.Trailer)
		}
	})
}
