//go:build integration

package audit_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/audit"
	"github.com/sesbox/sesbox/mailstore/demo"
	"github.com/sesbox/sesbox/mailstore/s3store"
	"github.com/sesbox/sesbox/mailstore/testutil/peer"
)

// versity starts versitygw, creates bucket (versioned when asked) and
// fills it with the demo mailbox.
func versity(t *testing.T, versioned bool, bucket string) (*s3.Client, *s3store.Store, map[string][]byte) {
	t.Helper()
	srv := peer.StartS3(t, versioned)
	c := srv.Client()
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	if versioned {
		if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(bucket),
			VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
			t.Fatal(err)
		}
	}
	msgs := demo.Messages()
	for k, b := range msgs {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(k), Body: bytes.NewReader(b)}); err != nil {
			t.Fatal(err)
		}
	}
	return c, s3store.New(c, mailstore.Location{Bucket: bucket, Prefix: demo.Prefix}), msgs
}

// TestVerifyVersionedVersityGW: snapshot, clean verify, then an overwrite
// and a delete by another client; verify names both and finds the
// versions that still hold the original bytes.
func TestVerifyVersionedVersityGW(t *testing.T) {
	c, st, msgs := versity(t, true, "ses-mail")
	ctx := context.Background()
	path, tr := snapshot(t, st, audit.SnapshotOptions{})
	if tr.Count != int64(len(msgs)) {
		t.Fatalf("snapshot of %d objects counts %d", len(msgs), tr.Count)
	}
	hc, _ := audit.CheckManifest(path)
	if hc.Header.Versioning != "Enabled" {
		t.Errorf("header versioning %q", hc.Header.Versioning)
	}
	sum, err := audit.Verify(ctx, st, path, audit.VerifyOptions{})
	if err != nil || !sum.OK() || sum.Unchanged != tr.Count {
		t.Fatalf("clean verify: %+v %v", sum, err)
	}
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range msgs {
			if !yield(k) {
				return
			}
		}
	})
	overwritten, deleted := keys[5], keys[11]
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("ses-mail"), Key: aws.String(overwritten),
		Body: strings.NewReader("Subject: replaced\n\nnothing to see\n")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("ses-mail"), Key: aws.String(deleted)}); err != nil {
		t.Fatal(err)
	}
	got := map[string]audit.Result{}
	sum, err = audit.Verify(ctx, st, path, audit.VerifyOptions{OnResult: func(r audit.Result) error {
		if r.Status != audit.Unchanged {
			got[r.Key] = r
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if sum.OK() || sum.Changed != 1 || sum.Deleted != 1 || sum.Recoverable != 2 || len(got) != 2 {
		t.Fatalf("after overwrite and delete: %+v %v", sum, got)
	}
	for key, status := range map[string]audit.Status{overwritten: audit.Changed, deleted: audit.Deleted} {
		r := got[key]
		if r.Status != status || r.Recoverable == "" || r.Recoverable != r.ManifestVersionID {
			t.Errorf("%s: %+v", key, r)
		}
		// The recoverable version really holds the stored bytes.
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("ses-mail"), Key: aws.String(key), VersionId: aws.String(r.Recoverable)})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		buf.ReadFrom(out.Body)
		out.Body.Close()
		if !bytes.Equal(buf.Bytes(), msgs[key]) {
			t.Errorf("%s version %s does not hold the original", key, r.Recoverable)
		}
	}
	if r := got[deleted]; len(r.Versions) != 2 || !r.Versions[0].DeleteMarker || !r.Versions[0].IsLatest {
		t.Errorf("deleted object's versions: %+v", r.Versions)
	}
	if r := got[overwritten]; len(r.Versions) != 2 || r.Versions[0].DeleteMarker {
		t.Errorf("overwritten object's versions: %+v", r.Versions)
	}
}
