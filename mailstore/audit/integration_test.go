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

// TestPostureVersityGW records what versitygw v1.8.0 implements: versioning,
// Object Lock and bucket policies are real; lifecycle, default encryption
// and public access block answer 501 NotImplemented (PutBucketLifecycle-
// Configuration too, so no lifecycle rule can be set there: lifecycle
// findings are tested against an AWS-shaped server in posture_test.go).
func TestPostureVersityGW(t *testing.T) {
	ctx := context.Background()
	sev := func(fs []audit.Finding) string {
		var b strings.Builder
		for _, f := range fs {
			b.WriteString(f.Check + "/" + string(f.Severity) + ": " + f.Summary + "\n")
		}
		return b.String()
	}
	check := func(t *testing.T, st *s3store.Store, wants ...string) {
		t.Helper()
		fs, err := audit.Posture(ctx, st)
		if err != nil {
			t.Fatal(err)
		}
		s := sev(fs)
		for _, w := range wants {
			if !strings.Contains(s, w) {
				t.Errorf("want %q in:\n%s", w, s)
			}
		}
	}
	unimplemented := []string{"lifecycle/unknown: lifecycle rules: unknown (the server does not implement this call)",
		"encryption/unknown", "public-access/unknown"}

	t.Run("unversioned", func(t *testing.T) {
		_, st, _ := versity(t, false, "plain")
		check(t, st, append(unimplemented, "versioning/critical: versioning is off", "object-lock/info: no Object Lock", "policy/info: no bucket policy")...)
	})
	t.Run("versioned with a loose policy", func(t *testing.T) {
		c, st, _ := versity(t, true, "versioned")
		if _, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("versioned"), Policy: aws.String(
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::versioned/*"}]}`)}); err != nil {
			t.Fatal(err)
		}
		check(t, st, append(unimplemented, "versioning/ok", "object-lock/warning: no Object Lock",
			"policy/critical: statement 1 allows everyone (*) to s3:DeleteObject")...)
	})
	t.Run("object lock", func(t *testing.T) {
		srv := peer.StartS3(t, true)
		c := srv.Client()
		if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("locked"), ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.PutObjectLockConfiguration(ctx, &s3.PutObjectLockConfigurationInput{Bucket: aws.String("locked"),
			ObjectLockConfiguration: &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled,
				Rule: &types.ObjectLockRule{DefaultRetention: &types.DefaultRetention{Mode: types.ObjectLockRetentionModeCompliance, Days: aws.Int32(365)}}}}); err != nil {
			t.Fatal(err)
		}
		check(t, s3store.New(c, mailstore.Location{Bucket: "locked", Prefix: "inbox/"}),
			"versioning/ok", "object-lock/ok: default retention COMPLIANCE for 365 days")
	})
}
