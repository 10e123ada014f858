//go:build integration

package audit_test

import (
	"context"
	"encoding/json"
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

// TestManifestRecordsEachVersionsLock: on a bucket with Object Lock, a
// version under a legal hold or retained until a date is kept from
// deletion one by one, which the manifest did not say (only the bucket's
// default, objectLock in the header): an auditor could not tell which
// stored mail was provably kept. Each entry now records its version's own
// lock (retentionMode, retainUntil, legalHold), read from versitygw
// v1.8.0 itself (GetObjectRetention, GetObjectLegalHold) for the very
// version read: the hold on a's first version is not its current
// one's. A snapshot and an export say how many are kept, and a bucket
// without Object Lock is asked nothing.
func TestManifestRecordsEachVersionsLock(t *testing.T) {
	h := vhist.New(t, "plain", "inbox/", true)
	ctx := context.Background()
	if _, err := h.C.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("locked"), ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	put := func(key, body string) string {
		out, err := h.C.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("locked"), Key: aws.String(key), Body: strings.NewReader(body)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.VersionId)
	}
	first := put("inbox/a", "Subject: a\r\n\r\nfirst\r\n")
	if _, err := h.C.PutObjectLegalHold(ctx, &s3.PutObjectLegalHoldInput{Bucket: aws.String("locked"), Key: aws.String("inbox/a"), VersionId: aws.String(first),
		LegalHold: &types.ObjectLockLegalHold{Status: types.ObjectLockLegalHoldStatusOn}}); err != nil {
		t.Fatal(err)
	}
	put("inbox/a", "Subject: a\r\n\r\nsecond\r\n") // the current version: no hold of its own
	put("inbox/b", "Subject: b\r\n\r\nb\r\n")
	if _, err := h.C.PutObjectLegalHold(ctx, &s3.PutObjectLegalHoldInput{Bucket: aws.String("locked"), Key: aws.String("inbox/b"),
		LegalHold: &types.ObjectLockLegalHold{Status: types.ObjectLockLegalHoldStatusOn}}); err != nil {
		t.Fatal(err)
	}
	until := time.Now().UTC().Add(365 * 24 * time.Hour).Truncate(time.Second)
	put("inbox/c", "Subject: c\r\n\r\nc\r\n")
	if _, err := h.C.PutObjectRetention(ctx, &s3.PutObjectRetentionInput{Bucket: aws.String("locked"), Key: aws.String("inbox/c"),
		Retention: &types.ObjectLockRetention{Mode: types.ObjectLockRetentionModeCompliance, RetainUntilDate: aws.Time(until)}}); err != nil {
		t.Fatal(err)
	}
	put("inbox/d", "Subject: d\r\n\r\nd\r\n")

	locked := s3store.New(h.C, mailstore.Location{Bucket: "locked", Prefix: "inbox/"})
	path, tr := snapshot(t, locked, audit.SnapshotOptions{})
	type lock struct {
		mode  string
		until time.Time
		held  bool
		err   string
	}
	entries := func(path string) map[string]lock {
		got := map[string]lock{}
		ls := lines(t, path)
		for _, l := range ls[1 : len(ls)-1] {
			var e audit.Entry
			if err := json.Unmarshal([]byte(l), &e); err != nil {
				t.Fatal(err)
			}
			got[e.Key] = lock{e.RetentionMode, e.RetainUntil, e.LegalHold, e.LockError}
		}
		return got
	}
	want := map[string]lock{"inbox/a": {}, "inbox/b": {held: true}, "inbox/c": {mode: "COMPLIANCE", until: until}, "inbox/d": {}}
	if got := entries(path); len(got) != len(want) || got["inbox/a"] != want["inbox/a"] || got["inbox/b"] != want["inbox/b"] ||
		got["inbox/c"].mode != "COMPLIANCE" || !got["inbox/c"].until.Equal(until) || got["inbox/d"] != want["inbox/d"] {
		t.Errorf("snapshot entries' locks %+v\nwant %+v", got, want)
	}
	if note := tr.LockNote(); note != "object lock: 1 of 4 versions under a legal hold, 1 retained until "+until.Format(time.RFC3339)+" at the earliest" {
		t.Errorf("snapshot's lock note %q", note)
	}
	if c, err := audit.CheckManifest(path); err != nil || !c.OK() || c.Header.ObjectLock != "enabled, no default retention" {
		t.Errorf("manifest %+v %v", c, err)
	}
	// The hold a's entry does not record is its first version's.
	st, err := locked.VersionLock(ctx, "inbox/a", first)
	if err != nil || !st.LegalHold {
		t.Errorf("a's first version: %+v %v", st, err)
	}

	mbox := t.TempDir() + "/x.mbox"
	etr, err := audit.ExportMbox(ctx, locked, mbox, audit.ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := entries(audit.ManifestPath(mbox)); got["inbox/b"] != want["inbox/b"] || got["inbox/c"].mode != "COMPLIANCE" {
		t.Errorf("export entries' locks %+v", got)
	}
	if etr.LockNote() != tr.LockNote() {
		t.Errorf("export's lock note %q, the snapshot's %q", etr.LockNote(), tr.LockNote())
	}
	sum, err := audit.Verify(ctx, locked, path, audit.VerifyOptions{})
	if err != nil || !sum.OK() || sum.Unchanged != 4 {
		t.Errorf("verify: %+v %v", sum, err)
	}

	// Without Object Lock nothing is asked, and the note says nothing.
	h.Put("x", vhist.Day(1), vhist.Message("x"))
	path, tr = snapshot(t, store(h), audit.SnapshotOptions{})
	if got := entries(path); got["inbox/x"] != (lock{}) || tr.LockNote() != "" {
		t.Errorf("a bucket without Object Lock: %+v, note %q", got, tr.LockNote())
	}
}
