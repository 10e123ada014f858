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
}
