//go:build integration

package audit_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sesbox/sesbox/mailstore/audit"
	"github.com/sesbox/sesbox/mailstore/testutil/vhist"
)

// TestVerifyShowsWhatARewriteHid: on versitygw v1.8.0 with versioning,
// a message put again with the same bytes and the manifest's version
// then deleted for good (s3:DeleteObjectVersion), and a message
// deleted (a delete marker) and put back with the same bytes, were both
// "unchanged" with a rewrite note and nothing else: the destroyed
// version and the delete marker in between were said nowhere. Verify
// now lists the versions and delete markers of an object written again
// (versions) and says when the manifest's version is gone (the note,
// destroyed), still exit status 0: the bytes are there.
func TestVerifyShowsWhatARewriteHid(t *testing.T) {
	h := vhist.New(t, "rewrites", "inbox/", true)
	first := h.Put("a", vhist.Day(1), vhist.Message("a"))
	h.Put("b", vhist.Day(1), vhist.Message("b"))
	h.Put("c", vhist.Day(1), vhist.Message("c"))
	st := store(h)
	path, _ := snapshot(t, st, audit.SnapshotOptions{})
	again := h.Put("a", vhist.Day(2), vhist.Message("a"))
	if _, err := h.C.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String(h.Bucket), Key: aws.String("inbox/a"), VersionId: aws.String(first)}); err != nil {
		t.Fatal(err)
	}
	marker := h.Delete("b", vhist.Day(2))
	h.Put("b", vhist.Day(3), vhist.Message("b"))

	got := map[string]audit.Result{}
	sum, err := audit.Verify(context.Background(), st, path, audit.VerifyOptions{OnResult: func(r audit.Result) error { got[r.Key] = r; return nil }})
	if err != nil {
		t.Fatal(err)
	}
	a, b, c := got["inbox/a"], got["inbox/b"], got["inbox/c"]
	if a.Status != audit.Unchanged || !a.Rewritten || len(a.Versions) != 1 || a.Versions[0].VersionID != again ||
		!strings.Contains(a.Note, "the manifest's version "+first+" was deleted for good (s3:DeleteObjectVersion): version "+again+" holds the same bytes now") {
		t.Errorf("a: %+v", a)
	}
	if b.Status != audit.Unchanged || !b.Rewritten || len(b.Versions) != 3 || !b.Versions[1].DeleteMarker || b.Versions[1].VersionID != marker ||
		strings.Contains(b.Note, "deleted for good") {
		t.Errorf("b: %+v", b)
	}
	if c.Status != audit.Unchanged || c.Rewritten || c.Versions != nil || c.Note != "" {
		t.Errorf("c: %+v", c)
	}
	if !sum.OK() || sum.Destroyed != 1 || sum.Rewritten != 2 || sum.Unchanged != 3 {
		t.Errorf("summary %+v", sum)
	}
}
