package audit_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/actionlog"
	"github.com/sesbox/sesbox/mailstore/audit"
	"github.com/sesbox/sesbox/mailstore/demo"
	"github.com/sesbox/sesbox/mailstore/s3store"
	"github.com/sesbox/sesbox/mailstore/testutil/fakes3"
	"github.com/sesbox/sesbox/mailstore/testutil/faultproxy"
	"github.com/sesbox/sesbox/mailstore/testutil/mboxrd"
)

// TestExportAndSnapshotContinuePastUnreadableObjects: two objects whose
// every GET is reset (so they fail after all retries) are left out and
// named; every other object is exported and snapshotted byte for byte, and
// only then does the run return ErrIncomplete.
func TestExportAndSnapshotContinuePastUnreadableObjects(t *testing.T) {
	srv := fakes3.Start(t, "mail")
	msgs := demo.Messages()
	for k, b := range msgs {
		srv.Put(t, "mail", k, b)
	}
	keys := make([]string, 0, len(msgs))
	for k := range msgs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	bad := map[string]bool{keys[3]: true, keys[11]: true}
	p := faultproxy.Start(t, srv.URL, faultproxy.Config{Seed: 9, Reset: 1, Match: func(r *http.Request) bool {
		return r.Method == http.MethodGet && bad[strings.TrimPrefix(r.URL.Path, "/mail/")]
	}})
	pol := s3store.DefaultRetryPolicy()
	pol.MaxAttempts = 3
	pol.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })
	client := s3.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("k", "s", "")},
		func(o *s3.Options) {
			o.BaseEndpoint = aws.String(p.URL)
			o.UsePathStyle = true
		})
	st := s3store.New(client, mailstore.Location{Bucket: "mail", Prefix: demo.Prefix}).WithRetry(pol)
	ctx := context.Background()
	dir := t.TempDir()

	check := func(what string, tr audit.Trailer, err error) {
		t.Helper()
		if !errors.Is(err, audit.ErrIncomplete) {
			t.Fatalf("%s: err %v, want ErrIncomplete", what, err)
		}
		for k := range bad {
			if !strings.Contains(err.Error(), k) {
				t.Errorf("%s: the error does not name %s: %v", what, k, err)
			}
		}
		if len(tr.Failed) != len(bad) || !bad[tr.Failed[0].Key] || !bad[tr.Failed[1].Key] || tr.Failed[0].Error == "" {
			t.Errorf("%s: trailer lists %+v", what, tr.Failed)
		}
		if tr.Count != int64(len(msgs)-len(bad)) {
			t.Errorf("%s: %d entries, want %d", what, tr.Count, len(msgs)-len(bad))
		}
	}

	mbox := filepath.Join(dir, "out.mbox")
	lg, err := actionlog.OpenLog(filepath.Join(dir, "actions.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer lg.Close()
	tr, err := audit.ExportMbox(ctx, st, mbox, audit.ExportOptions{Log: lg})
	check("export", tr, err)
	// The incomplete export is logged as such.
	if acts, probs, err := actionlog.VerifyLog(filepath.Join(dir, "actions.jsonl")); err != nil || len(probs) > 0 || len(acts) != 1 ||
		acts[0].Export == nil || acts[0].Export.Failed != len(bad) || acts[0].Export.Count != tr.Count || acts[0].Result != "incomplete: 2 not read" {
		t.Errorf("logged %+v %v %v", acts, probs, err)
	}
	f, err := os.Open(mbox)
	if err != nil {
		t.Fatalf("the mbox was not written: %v", err)
	}
	got, err := mboxrd.Read(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	for _, k := range keys {
		if bad[k] {
			continue
		}
		if i >= len(got) || !bytes.Equal(got[i], msgs[k]) {
			t.Fatalf("mbox message %d is not %s", i, k)
		}
		i++
	}
	c, err := audit.CheckManifest(audit.ManifestPath(mbox))
	if err != nil || !c.OK() || c.Trailer == nil || len(c.Trailer.Failed) != 2 {
		t.Errorf("export manifest: %+v, %v", c, err)
	}

	tr, err = audit.WriteSnapshot(ctx, st, filepath.Join(dir, "snap.jsonl"), audit.SnapshotOptions{})
	check("snapshot", tr, err)
	c, err = audit.CheckManifest(filepath.Join(dir, "snap.jsonl"))
	if err != nil || !c.OK() || c.Trailer == nil || len(c.Trailer.Failed) != 2 {
		t.Errorf("snapshot manifest: %+v, %v", c, err)
	}
	if s := p.Stats(); s.Resets == 0 {
		t.Error("no reset injected")
	}

	// One of the two unread objects is deleted later: verify (through a
	// connection that works now) must report it, though the manifest holds
	// no entry for it; the other one is still there, and said so.
	direct := s3store.New(srv.Client(nil), mailstore.Location{Bucket: "mail", Prefix: demo.Prefix})
	if _, err := srv.Client(nil).DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("mail"), Key: aws.String(keys[3])}); err != nil {
		t.Fatal(err)
	}
	res := map[string]audit.Result{}
	sum, err := audit.Verify(ctx, direct, filepath.Join(dir, "snap.jsonl"), audit.VerifyOptions{OnResult: func(r audit.Result) error {
		res[r.Key] = r
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if r := res[keys[3]]; r.Status != audit.Deleted || !strings.Contains(r.Note, "not read when the manifest was made") {
		t.Errorf("the unread object deleted since: %+v", r)
	}
	if r := res[keys[11]]; r.Status != audit.New || !strings.Contains(r.Note, "still there") {
		t.Errorf("the unread object still there: %+v", r)
	}
	if sum.OK() || sum.Deleted != 1 || sum.Unchanged != int64(len(msgs)-len(bad)) {
		t.Errorf("verify summary %+v (OK %v)", sum, sum.OK())
	}
	// The export's manifest (of every message, no query) says the same.
	res = map[string]audit.Result{}
	sum, err = audit.Verify(ctx, direct, audit.ManifestPath(mbox), audit.VerifyOptions{OnResult: func(r audit.Result) error {
		res[r.Key] = r
		return nil
	}})
	if err != nil || sum.OK() || sum.Deleted != 1 || res[keys[3]].Status != audit.Deleted {
		t.Errorf("verify of the export: %+v %v", sum, err)
	}
}
