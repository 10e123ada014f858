//go:build integration

package audit_test

import (
	"context"
	neturl "net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/audit"
	"github.com/sesbox/sesbox/mailstore/s3store"
	"github.com/sesbox/sesbox/mailstore/testutil/httprec"
	"github.com/sesbox/sesbox/mailstore/testutil/peer"
	"github.com/sesbox/sesbox/mailstore/testutil/vhist"
)

// TestVerifySeesMailDeletedSinceTheManifest: on versitygw v1.8.0 with
// versioning, mail put after a snapshot and deleted before verify ran
// was in neither the manifest nor the listing verify walks, and verify
// said nothing of it (exit status 0), though its version and delete
// marker were in the bucket. Verify now walks the versions once beside
// the manifest and reports it, deleted-since-manifest, with the version
// that holds it, the put and delete times; also one whose version was
// then deleted for good (a delete marker alone), and one overwritten
// before its delete (the newest version named). Mail deleted before the
// manifest, mail put since and still there (new), and the manifest's
// own deleted mail (deleted) are not reported again.
func TestVerifySeesMailDeletedSinceTheManifest(t *testing.T) {
	h := vhist.New(t, "since", "inbox/", true)
	ctx := context.Background()
	h.Put("a", vhist.Day(1), vhist.Message("a"))
	h.Put("b", vhist.Day(1), vhist.Message("b"))
	h.Put("old", vhist.Day(1), vhist.Message("old"))
	h.Delete("old", vhist.Day(2))
	path, _ := snapshot(t, store(h), audit.SnapshotOptions{})
	// The manifest's run started up to a second before its header's
	// time; S3 dates to the second.
	time.Sleep(1100 * time.Millisecond)

	now := func() time.Time { return time.Now().UTC().Truncate(time.Second) }
	nPut := h.Put("n", now(), vhist.Message("n"))
	nDel := h.Delete("n", now())
	mPut := h.Put("m", now(), vhist.Message("m"))
	h.Delete("m", now())
	if _, err := h.C.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(h.Bucket), Key: aws.String("inbox/m"), VersionId: aws.String(mPut)}); err != nil {
		t.Fatal(err)
	}
	h.Put("p", now(), vhist.Message("p 1"))
	pPut := h.Put("p", now(), vhist.Message("p 2 longer"))
	h.Delete("p", now())
	h.Put("k", now(), vhist.Message("k"))
	h.Delete("a", now())

	// Through a recording proxy: what it costs.
	url, rec := httprec.Proxy(t, h.Srv.URL)
	got := map[string]audit.Result{}
	var order []string
	sum, err := audit.Verify(ctx, s3store.New((&peer.S3{URL: url}).Client(), mailstore.Location{Bucket: h.Bucket, Prefix: h.Prefix}), path, audit.VerifyOptions{OnResult: func(r audit.Result) error {
		got[strings.TrimPrefix(r.Key, "inbox/")] = r
		order = append(order, strings.TrimPrefix(r.Key, "inbox/"))
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	n := got["n"]
	if n.Status != audit.DeletedSinceManifest || n.Recoverable != nPut || n.PutAt.IsZero() || n.DeletedAt.Before(n.PutAt) ||
		len(n.Versions) != 2 || !n.Versions[0].DeleteMarker || n.Versions[0].VersionID != nDel || n.Versions[1].VersionID != nPut ||
		!strings.Contains(n.Note, "(version "+nPut+"), after the manifest's run started") ||
		!strings.Contains(n.Note, "(delete marker "+nDel+"): mail lost since the manifest") {
		t.Errorf("n: %+v", n)
	}
	if m := got["m"]; m.Status != audit.DeletedSinceManifest || m.Recoverable != "" || !m.PutAt.IsZero() || m.DeletedAt.IsZero() ||
		len(m.Versions) != 1 || !strings.Contains(m.Note, "no version of it is kept") {
		t.Errorf("m: %+v", m)
	}
	if p := got["p"]; p.Status != audit.DeletedSinceManifest || p.Recoverable != pPut || len(p.Versions) != 3 {
		t.Errorf("p: %+v", p)
	}
	if k := got["k"]; k.Status != audit.New {
		t.Errorf("k: %+v", k)
	}
	if a := got["a"]; a.Status != audit.Deleted {
		t.Errorf("a: %+v", a)
	}
	if _, ok := got["old"]; ok {
		t.Errorf("old, deleted before the manifest: %+v", got["old"])
	}
	want := []string{"a", "b", "k", "m", "n", "p"} // the walk's, then the deleted since
	if strings.Join(order, " ") != strings.Join(want, " ") {
		t.Errorf("results in the order %v, want %v", order, want)
	}
	if sum.OK() || sum.Incomplete() || sum.DeletedSinceManifest != 3 || sum.Deleted != 1 || sum.New != 1 || sum.Unchanged != 1 ||
		sum.Recoverable != 1 {
		t.Errorf("summary %+v", sum)
	}
	// One listing of the prefix's versions (others name one key: the
	// deleted a's), and no read of what it found.
	lists := 0
	for _, q := range rec.Requests() {
		if u, err := neturl.Parse(q.Path); err == nil && u.Query().Has("versions") && u.Query().Get("prefix") == "inbox/" {
			lists++
		}
		if p, _, _ := strings.Cut(q.Path, "?"); q.Method == "GET" && (strings.HasSuffix(p, "/inbox/n") || strings.HasSuffix(p, "/inbox/m") || strings.HasSuffix(p, "/inbox/p")) {
			t.Errorf("read %s %s", q.Method, q.Path)
		}
	}
	if lists != 1 {
		t.Errorf("%d listings of the prefix's versions, want 1: %v", lists, rec.Requests())
	}
	for _, w := range sum.Warnings {
		if strings.Contains(w, "deleted before this verify") {
			t.Errorf("a warning that what was seen cannot be: %s", w)
		}
	}
}
