package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"testing/quick"
	"time"
	"unicode"
	"unicode/utf8"
)

// actsOnTerminal reports a character a manifest must never hold as it is:
// C0 controls (the line's own newline aside), DEL, C1 controls and the
// bidi controls, marks included.
func actsOnTerminal(r rune) bool {
	return r < 0x20 || (r >= 0x7f && r <= 0x9f) || unicode.Is(unicode.Bidi_Control, r)
}

// checkKeyLine writes an entry for key as a manifest line and checks that
// the line holds no character that acts on a terminal and decodes back to
// exactly key.
func checkKeyLine(t *testing.T, key string) {
	t.Helper()
	line, err := marshalLine(Entry{Key: key, Subject: key, Metadata: map[string]string{key: key, "x-amz-meta-k": key}})
	if err != nil {
		t.Fatal(err)
	}
	body, ok := bytes.CutSuffix(line, []byte("\n"))
	if !ok {
		t.Fatalf("line for %q does not end in a newline", key)
	}
	for _, r := range string(body) {
		if actsOnTerminal(r) {
			t.Fatalf("line for %q holds %U as it is: %s", key, r, body)
		}
	}
	var e Entry
	if err := json.Unmarshal(line, &e); err != nil || e.Key != key || e.Subject != key ||
		!maps.Equal(e.Metadata, map[string]string{key: key, "x-amz-meta-k": key}) {
		t.Fatalf("line for %q decodes to %q, %q, %q (%v)", key, e.Key, e.Subject, e.Metadata, err)
	}
}

// dangerousKeys hold every character that must be escaped, and their
// neighbours that must not change.
var dangerousKeys = []string{
	"p/\u202eexe.txt", "p/a\u202a\u202b\u202c\u202d\u202eb", "p/\u2066\u2067\u2068\u2069",
	"p/\u200e\u200f\u061c", "p/\u0080\u0085\u009b[2J\u009f", "p/del\x7f", "p/\x1b]0;x\x07",
	"p/\u2028\u2029", `p/"\u202e"\`, "p/ok-\u00a0\u00ff\u0100\u200d\U0001F600",
}

func FuzzManifestKeyRoundTrip(f *testing.F) {
	for _, k := range dangerousKeys {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		if !utf8.ValidString(key) {
			t.Skip("S3 keys are UTF-8")
		}
		checkKeyLine(t, key)
	})
}

// TestManifestKeyRoundTripProperty: any valid UTF-8 key (and any mix of
// the dangerous characters) is escaped and read back exactly.
func TestManifestKeyRoundTripProperty(t *testing.T) {
	for _, k := range dangerousKeys {
		checkKeyLine(t, k)
	}
	pool := []rune("\x00\x1b\x7f\u0080\u0085\u009f\u061c\u200e\u200f\u202a\u202e\u2066\u2069\u2028\"\\/aé文\U0001F600")
	prop := func(any string, picks []uint8) bool {
		key := []rune(any)
		for _, p := range picks {
			key = append(key, pool[int(p)%len(pool)])
		}
		checkKeyLine(t, string(key))
		return !t.Failed()
	}
	if err := quick.Check(prop, &quick.Config{MaxCount: 2000}); err != nil {
		t.Error(err)
	}
}

// TestSnapshotVerifyDangerousKeys: a snapshot of keys holding bidi, C1 and
// DEL characters writes them escaped, and verify reads every one back to
// the object it names (all unchanged, none new or deleted).
func TestSnapshotVerifyDangerousKeys(t *testing.T) {
	b := memBucket{objs: map[string][]byte{}, pageSize: 3}
	for i, k := range dangerousKeys {
		b.objs[k] = []byte("Subject: " + k + "\n\nbody " + string(rune('a'+i)) + "\n")
	}
	path := filepath.Join(t.TempDir(), "m.jsonl")
	if _, err := WriteSnapshot(context.Background(), b, path, SnapshotOptions{}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range string(data) {
		if r != '\n' && actsOnTerminal(r) {
			t.Fatalf("the manifest holds %U as it is", r)
		}
	}
	var keys []string
	sum, err := Verify(context.Background(), b, path, VerifyOptions{OnResult: func(r Result) error {
		if r.Status != Unchanged {
			t.Errorf("%q: %s", r.Key, r.Status)
		}
		keys = append(keys, r.Key)
		return nil
	}})
	if err != nil || !sum.OK() || sum.Unchanged != int64(len(dangerousKeys)) {
		t.Errorf("verify: %+v %v", sum, err)
	}
	want := slices.Sorted(maps.Keys(b.objs))
	slices.Sort(keys)
	if !slices.Equal(keys, want) {
		t.Errorf("verify read back keys %q, want %q", keys, want)
	}
}

// TestTrailerRoundTripProperty: a manifest whose trailer lists any
// objects not read (keys and errors of any characters, a
// `,"trailerSha256":"` among them), any vanished count and either
// resumed passes its own check, and its trailer reads back as written;
// so does its header's asOf, any time or none.
func TestTrailerRoundTripProperty(t *testing.T) {
	pool := []string{`,"trailerSha256":"`, `"}`, "\n", "\x00", "\u202e", "\u0085", `\`, "é", "a", "}\n"}
	dir := t.TempDir()
	n := 0
	prop := func(picks []uint8, vanished uint16, resumed bool, asOfSec int64, asOfNano uint32) bool {
		var asOf time.Time
		if asOfSec%4 != 0 {
			asOf = time.Unix(asOfSec%(1<<35), int64(asOfNano%1e9)).UTC()
		}
		var failed []FailedObject
		for i := 0; i+1 < len(picks); i += 2 {
			failed = append(failed, FailedObject{Key: "p/" + pool[int(picks[i])%len(pool)], Error: pool[int(picks[i+1])%len(pool)]})
		}
		n++
		path := filepath.Join(dir, fmt.Sprintf("m%d.jsonl", n))
		var buf bytes.Buffer
		mw := newManifestWriter(&buf)
		if err := mw.header(Header{Kind: "snapshot", Bucket: "b", Prefix: "p/", AsOf: asOf}); err != nil {
			t.Fatal(err)
		}
		if err := mw.entry(Entry{Key: "p/a", SHA256: "00", Metadata: map[string]string{}}); err != nil {
			t.Fatal(err)
		}
		want, err := mw.trailer(Trailer{Vanished: int64(vanished), Resumed: resumed, Failed: failed})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := CheckManifest(path)
		if err != nil || !c.OK() || c.Trailer == nil {
			t.Errorf("failed %q, vanished %d: %+v %v", failed, vanished, c, err)
			return false
		}
		if !c.Header.AsOf.Equal(asOf) {
			t.Errorf("asOf read back as %v, written %v", c.Header.AsOf, asOf)
			return false
		}
		got := *c.Trailer
		got.started, want.started = "", ""
		if !reflect.DeepEqual(got, want) {
			t.Errorf("trailer read back as %+v, written %+v", got, want)
			return false
		}
		return true
	}
	if err := quick.Check(prop, &quick.Config{MaxCount: 300}); err != nil {
		t.Error(err)
	}
}
