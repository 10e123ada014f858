package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore/posture"
)

// lockedBucket is a memBucket with Object Lock enabled whose versions
// carry the locks in locks; reading the lock of a key in denied fails
// as S3 does without s3:GetObjectRetention.
type lockedBucket struct {
	memBucket
	locks  map[string]VersionLock
	denied map[string]bool
}

func (b lockedBucket) Versioning(context.Context) (posture.Versioning, error) {
	return posture.Versioning{Status: "Enabled"}, nil
}

func (b lockedBucket) ObjectLock(context.Context) (posture.ObjectLock, error) {
	return posture.ObjectLock{Enabled: true}, nil
}

func (b lockedBucket) Lifecycle(context.Context) ([]posture.LifecycleRule, error) {
	return nil, posture.ErrNotConfigured
}

func (b lockedBucket) VersionLock(_ context.Context, key, _ string) (VersionLock, error) {
	if b.denied[key] {
		return VersionLock{}, errors.New("read the Object Lock retention of " + key + ": AccessDenied")
	}
	return b.locks[key], nil
}

// TestLockNotReadIsRecordedAndResumed: a version whose lock could not be
// read says so in its entry (lockError) and in the run's note, rather
// than reading as unlocked; a snapshot resumed after an interruption
// counts the locks of the entries written before it as the whole run
// does.
func TestLockNotReadIsRecordedAndResumed(t *testing.T) {
	until := time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC)
	b := lockedBucket{
		memBucket: memBucket{pageSize: 2, objs: map[string][]byte{
			"p/a": []byte("Subject: a\n\na\n"), "p/b": []byte("Subject: b\n\nb\n"),
			"p/c": []byte("Subject: c\n\nc\n"), "p/d": []byte("Subject: d\n\nd\n")}},
		locks: map[string]VersionLock{"p/a": {LegalHold: true}, "p/b": {Mode: "GOVERNANCE", RetainUntil: until},
			"p/c": {Mode: "COMPLIANCE", RetainUntil: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}},
		denied: map[string]bool{"p/d": true},
	}
	path := filepath.Join(t.TempDir(), "m.jsonl")
	tr, err := WriteSnapshot(context.Background(), b, path, SnapshotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	const want = "object lock: 1 of 4 versions under a legal hold, 1 retained until 2031-01-02T03:04:05Z at the earliest; the lock of 1 version could not be read (see lockError in the manifest)"
	if tr.LockNote() != want {
		t.Errorf("note %q\nwant %q", tr.LockNote(), want)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ls := strings.SplitAfter(string(data), "\n")
	if !strings.Contains(ls[4], `"key":"p/d"`) || !strings.Contains(ls[4], `"lockError":"read the Object Lock retention of p/d: AccessDenied"`) ||
		!strings.Contains(ls[1], `"legalHold":true`) || !strings.Contains(ls[2], `"retentionMode":"GOVERNANCE","retainUntil":"2031-01-02T03:04:05Z"`) {
		t.Errorf("entries:\n%s", strings.Join(ls[1:5], ""))
	}
	// Interrupted after b: resumed, the note counts a and b too.
	if err := os.WriteFile(path, []byte(strings.Join(ls[:3], "")), 0o600); err != nil {
		t.Fatal(err)
	}
	tr2, err := WriteSnapshot(context.Background(), b, path, SnapshotOptions{Resume: true})
	if err != nil || tr2.LockNote() != want || tr2.EntriesSHA256 != tr.EntriesSHA256 {
		t.Errorf("resumed: note %q, entries %s (want %s), %v", tr2.LockNote(), tr2.EntriesSHA256, tr.EntriesSHA256, err)
	}
}

// TestEntryRoundTripProperty: an entry with any value in every field
// (strings with control, bidi and JSON characters, any sizes, times to
// the nanosecond or none, the Object Lock fields) is written as one
// manifest line with no character that acts on a terminal as it is, and
// CheckManifest's walk reads it back exactly, the manifest intact.
func TestEntryRoundTripProperty(t *testing.T) {
	pool := []rune("\x00\x1b\x7f\u0080\u0085\u009f\u061c\u200e\u200f\u202a\u202e\u2066\u2069\u2028\"\\/aé文 +\U0001F600")
	r := rand.New(rand.NewPCG(3, 5))
	str := func() string {
		var b strings.Builder
		for n := r.IntN(8); n > 0; n-- {
			b.WriteRune(pool[r.IntN(len(pool))])
		}
		return b.String()
	}
	when := func() time.Time {
		if r.IntN(4) == 0 {
			return time.Time{}
		}
		return time.Unix(r.Int64N(1<<35), r.Int64N(1e9)).UTC()
	}
	dir := t.TempDir()
	for n := range 300 {
		var want []Entry
		for i := range 1 + r.IntN(4) {
			e := Entry{Key: fmt.Sprintf("p/%d%s", i, str()), VersionID: str(), Size: r.Int64(), ETag: str(), SHA256: str(),
				LastModified: when(), SESMessageID: str(), MessageID: str(), Date: str(), From: str(), Subject: str(),
				Verdicts:  Verdicts{Spam: str(), Virus: str(), SPF: str(), DKIM: str(), DMARC: str()},
				ETagCheck: str(), File: str(), RetentionMode: str(), RetainUntil: when(), LegalHold: r.IntN(2) == 0, LockError: str()}
			if r.IntN(3) > 0 {
				e.Metadata = map[string]string{str(): str(), "x-amz-meta-" + str(): str()}
			}
			want = append(want, e)
		}
		var buf bytes.Buffer
		mw := newManifestWriter(&buf)
		if err := mw.header(Header{Kind: "snapshot", Bucket: "b", Prefix: "p/"}); err != nil {
			t.Fatal(err)
		}
		for _, e := range want {
			if err := mw.entry(e); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := mw.trailer(Trailer{}); err != nil {
			t.Fatal(err)
		}
		for _, r := range buf.String() {
			if r != '\n' && actsOnTerminal(r) {
				t.Fatalf("manifest %d holds %U as it is", n, r)
			}
		}
		path := filepath.Join(dir, fmt.Sprintf("m%d.jsonl", n))
		if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		var got []Entry
		var c ManifestCheck
		if err := scanManifest(path, func(e Entry) error {
			e.line = 0 // where it was read, not what was written
			got = append(got, e)
			return nil
		}, &c); err != nil || !c.OK() {
			t.Fatalf("manifest %d: %v %v", n, err, c.Problems)
		}
		if !reflect.DeepEqual(got, want) {
			a, _ := json.Marshal(got)
			b, _ := json.Marshal(want)
			t.Fatalf("manifest %d read back as\n%s\nwritten\n%s", n, a, b)
		}
	}
}
