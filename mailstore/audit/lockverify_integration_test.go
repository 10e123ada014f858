//go:build integration

package audit_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/audit"
	"github.com/sesbox/sesbox/mailstore/s3store"
	"github.com/sesbox/sesbox/mailstore/testutil/vhist"
)

// lockedBucket makes a bucket with Object Lock on versitygw v1.8.0
// (which has PutObjectLegalHold, PutObjectRetention and their Gets per
// version) and returns a store of it and a put that returns the version.
func lockedBucket(t *testing.T, name string) (*vhist.History, *s3store.Store, func(key, body string) string) {
	t.Helper()
	h := vhist.New(t, "plain-"+name, "inbox/", true)
	ctx := context.Background()
	if _, err := h.C.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name), ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	put := func(key, body string) string {
		out, err := h.C.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(name), Key: aws.String(key), Body: strings.NewReader(body)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.VersionId)
	}
	return h, s3store.New(h.C, mailstore.Location{Bucket: name, Prefix: "inbox/"}), put
}

func legalHold(t *testing.T, c *s3.Client, bucket, key, version string, on bool) {
	t.Helper()
	st := types.ObjectLockLegalHoldStatusOff
	if on {
		st = types.ObjectLockLegalHoldStatusOn
	}
	if _, err := c.PutObjectLegalHold(context.Background(), &s3.PutObjectLegalHoldInput{Bucket: aws.String(bucket), Key: aws.String(key), VersionId: aws.String(version),
		LegalHold: &types.ObjectLockLegalHold{Status: st}}); err != nil {
		t.Fatal(err)
	}
}

func retain(t *testing.T, c *s3.Client, bucket, key, version string, until time.Time) {
	t.Helper()
	if _, err := c.PutObjectRetention(context.Background(), &s3.PutObjectRetentionInput{Bucket: aws.String(bucket), Key: aws.String(key), VersionId: aws.String(version),
		Retention: &types.ObjectLockRetention{Mode: types.ObjectLockRetentionModeCompliance, RetainUntilDate: aws.Time(until)}}); err != nil {
		t.Fatal(err)
	}
}

// TestVerifyComparesEachVersionsLock: a manifest records each version's
// Object Lock, but verify compared none of it: a legal hold lifted from
// a message, or from the version that still holds a changed message's
// original bytes, left verify "OK" (5 objects unchanged on the same
// bucket before). On versitygw v1.8.0 it now names each field of each
// version whose lock is not what the manifest recorded (differences,
// and the note), as metadata-changed when the bytes are the same, and
// counts them (lockChanged): a hold lifted, a hold put, a retention
// extended, and the hold lifted from the recoverable version of a
// message overwritten since.
func TestVerifyComparesEachVersionsLock(t *testing.T) {
	h, st, put := lockedBucket(t, "locks")
	until := time.Now().UTC().Add(24 * time.Hour).Truncate(time.Second)
	va := put("inbox/a", "Subject: a\r\n\r\na\r\n")
	legalHold(t, h.C, "locks", "inbox/a", va, true)
	vb := put("inbox/b", "Subject: b\r\n\r\nb\r\n")
	retain(t, h.C, "locks", "inbox/b", vb, until)
	vc := put("inbox/c", "Subject: c\r\n\r\nc\r\n")
	put("inbox/d", "Subject: d\r\n\r\nd\r\n")
	ve := put("inbox/e", "Subject: e\r\n\r\ne\r\n")
	legalHold(t, h.C, "locks", "inbox/e", ve, true)
	path, _ := snapshot(t, st, audit.SnapshotOptions{})
	if sum, err := audit.Verify(context.Background(), st, path, audit.VerifyOptions{}); err != nil || !sum.OK() || sum.Unchanged != 5 || sum.LockChanged != 0 {
		t.Fatalf("before any change: %+v %v", sum, err)
	}

	legalHold(t, h.C, "locks", "inbox/a", va, false)
	later := until.Add(48 * time.Hour)
	retain(t, h.C, "locks", "inbox/b", vb, later)
	legalHold(t, h.C, "locks", "inbox/c", vc, true)
	put("inbox/e", "Subject: e\r\n\r\nforged\r\n")
	legalHold(t, h.C, "locks", "inbox/e", ve, false)

	got := map[string]audit.Result{}
	sum, err := audit.Verify(context.Background(), st, path, audit.VerifyOptions{OnResult: func(r audit.Result) error { got[r.Key] = r; return nil }})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		status audit.Status
		diffs  []audit.Difference
	}{
		"inbox/a": {audit.MetadataChanged, []audit.Difference{{Field: "legalHold", Manifest: "true", Bucket: "false"}}},
		"inbox/b": {audit.MetadataChanged, []audit.Difference{{Field: "retainUntil", Manifest: until.Format(time.RFC3339Nano), Bucket: later.Format(time.RFC3339Nano)}}},
		"inbox/c": {audit.MetadataChanged, []audit.Difference{{Field: "legalHold", Manifest: "false", Bucket: "true"}}},
		"inbox/d": {audit.Unchanged, nil},
		"inbox/e": {audit.Changed, []audit.Difference{{Field: "legalHold", Manifest: "true", Bucket: "false"}}},
	}
	for k, w := range want {
		r := got[k]
		if r.Status != w.status || fmt.Sprint(r.Differences) != fmt.Sprint(w.diffs) {
			t.Errorf("%s: %s %+v, want %s %+v (note %q)", k, r.Status, r.Differences, w.status, w.diffs, r.Note)
		}
		if w.diffs != nil && !strings.Contains(r.Note, "the Object Lock of the manifest's version") {
			t.Errorf("%s: note %q says nothing of the lock", k, r.Note)
		}
	}
	if r := got["inbox/e"]; r.Recoverable != ve {
		t.Errorf("e: recoverable %q, want %q", r.Recoverable, ve)
	}
	if sum.OK() || sum.LockChanged != 4 || sum.MetadataChanged != 3 || sum.Changed != 1 || len(sum.Manifest.Problems) != 0 {
		t.Errorf("summary %+v", sum)
	}
}

// TestVerifyNamesEveryEditedField: property over a manifest of a bucket
// with Object Lock on versitygw v1.8.0: any one field of any one entry
// edited to a generated value (the JSON still valid, the entries hash
// then failing) is named exactly, line and field, in the summary's
// manifest (Edited) and its problems, and nothing else is. Before,
// verify named no edit of versionId, metadata, retentionMode,
// retainUntil, legalHold or lockError ("checksum mismatch" alone): an
// edited line read as a rewrite, or the lock fields were never read
// back. (file is an export's, checked by verify-export.)
func TestVerifyNamesEveryEditedField(t *testing.T) {
	h, st, put := lockedBucket(t, "edits")
	v1 := put("inbox/k1", string(vhist.Message("k1")))
	legalHold(t, h.C, "edits", "inbox/k1", v1, true)
	v3 := put("inbox/k3", string(vhist.Message("k3")))
	retain(t, h.C, "edits", "inbox/k3", v3, time.Now().UTC().Add(24*time.Hour).Truncate(time.Second))
	put("inbox/k5", string(vhist.Message("k5")))
	path, _ := snapshot(t, st, audit.SnapshotOptions{})
	orig := lines(t, path)
	if sum, err := audit.Verify(context.Background(), st, path, audit.VerifyOptions{}); err != nil || !sum.OK() || len(sum.Manifest.Edited) != 0 {
		t.Fatalf("as written: %+v %v", sum, err)
	}
	seed := rand.Uint64()
	rng := rand.New(rand.NewPCG(seed, 0))
	t.Logf("seed %d", seed)
	word := func() string {
		b := make([]byte, 4+rng.IntN(12))
		for i := range b {
			b[i] = "abcdefghijklmnopqrstuvwxyz <>\"\\é"[rng.IntN(32)]
		}
		return strings.ToValidUTF8(string(b), "?")
	}
	hexOf := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		return hex.EncodeToString(b)
	}
	edits := map[string]func(*audit.Entry){
		"key":       func(e *audit.Entry) { e.Key += "x" + strings.Repeat("y", rng.IntN(4)) },
		"versionId": func(e *audit.Entry) { e.VersionID = hexOf(16) },
		"size":      func(e *audit.Entry) { e.Size += 1 + rng.Int64N(1000) },
		"etag":      func(e *audit.Entry) { e.ETag = `"` + hexOf(16) + `"` },
		"sha256":    func(e *audit.Entry) { e.SHA256 = hexOf(32) },
		"lastModified": func(e *audit.Entry) {
			e.LastModified = e.LastModified.Add(time.Duration(1+rng.IntN(1e6)) * time.Second)
		},
		"sesMessageId": func(e *audit.Entry) { e.SESMessageID = word() },
		"messageId":    func(e *audit.Entry) { e.MessageID = word() + "@example.com" },
		"date": func(e *audit.Entry) {
			e.Date = time.Date(2000+rng.IntN(20), 1, 1+rng.IntN(28), 0, 0, 0, 0, time.UTC).Format(time.RFC3339)
		},
		"from":      func(e *audit.Entry) { e.From = word() },
		"subject":   func(e *audit.Entry) { e.Subject = word() },
		"verdicts":  func(e *audit.Entry) { e.Verdicts.Spam = "FAIL" + word() },
		"etagCheck": func(e *audit.Entry) { e.ETagCheck = []string{audit.ETagMultipart, audit.ETagMismatch}[rng.IntN(2)] },
		"metadata": func(e *audit.Entry) {
			m := map[string]string{}
			for k, v := range e.Metadata {
				m[k] = v
			}
			m["x-amz-meta-"+strings.Repeat("z", 1+rng.IntN(3))] = word()
			e.Metadata = m
		},
		"retentionMode": func(e *audit.Entry) {
			e.RetentionMode = map[string]string{"": "GOVERNANCE", "COMPLIANCE": []string{"GOVERNANCE", ""}[rng.IntN(2)]}[e.RetentionMode]
		},
		"retainUntil": func(e *audit.Entry) {
			if e.RetainUntil.IsZero() {
				e.RetainUntil = time.Now().UTC().Add(time.Duration(1+rng.IntN(1e6)) * time.Second).Truncate(time.Second)
				return
			}
			e.RetainUntil = e.RetainUntil.Add(-time.Duration(1+rng.IntN(1e6)) * time.Second)
		},
		"legalHold": func(e *audit.Entry) { e.LegalHold = !e.LegalHold },
		"lockError": func(e *audit.Entry) { e.LockError = word() },
	}
	for line := 2; line < len(orig); line++ {
		var e audit.Entry
		if err := json.Unmarshal([]byte(orig[line-1]), &e); err != nil {
			t.Fatal(err)
		}
		if b, _ := json.Marshal(e); string(b)+"\n" != orig[line-1] {
			t.Fatalf("line %d does not marshal back as written:\n%s%s", line, orig[line-1], b)
		}
		for field, edit := range edits {
			ed := e
			edit(&ed)
			b, err := json.Marshal(ed)
			if err != nil {
				t.Fatal(err)
			}
			if string(b)+"\n" == orig[line-1] {
				t.Fatalf("line %d field %s: the edit changed nothing", line, field)
			}
			lines := append([]string(nil), orig...)
			lines[line-1] = string(b) + "\n"
			p := t.TempDir() + "/edited.jsonl"
			if err := os.WriteFile(p, []byte(strings.Join(lines, "")), 0o600); err != nil {
				t.Fatal(err)
			}
			sum, err := audit.Verify(context.Background(), st, p, audit.VerifyOptions{})
			if err != nil {
				t.Fatalf("line %d field %s: %v", line, field, err)
			}
			ok := len(sum.Manifest.Edited) == 1 && sum.Manifest.Edited[0].Line == line && sum.Manifest.Edited[0].Field == field && sum.Manifest.Edited[0].Key == ed.Key
			named := 0
			for _, pr := range sum.Manifest.Problems {
				if strings.HasPrefix(pr, "line ") {
					named++
					ok = ok && strings.HasPrefix(pr, fmt.Sprintf("line %d (key %q)", line, ed.Key)) && strings.Contains(pr, field)
				}
			}
			if !ok || named != 1 || sum.OK() {
				t.Errorf("line %d field %s edited: named %+v\nproblems %q", line, field, sum.Manifest.Edited, sum.Manifest.Problems)
			}
		}
	}
}
