//go:build integration

package posture_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/posture"
	"github.com/sesbox/sesbox/mailstore/s3store"
	"github.com/sesbox/sesbox/mailstore/testutil/peer"
)

// bucket starts versitygw and creates an empty bucket, versioned when
// asked: posture reads only the bucket's settings.
func bucket(t *testing.T, versioned bool, name string) (*s3.Client, *s3store.Store) {
	t.Helper()
	srv := peer.StartS3(t, versioned)
	c := srv.Client()
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	if versioned {
		if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(name),
			VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
			t.Fatal(err)
		}
	}
	return c, s3store.New(c, mailstore.Location{Bucket: name, Prefix: "inbox/"})
}

// TestPostureVersityGW records what versitygw v1.8.0 implements: versioning,
// Object Lock and bucket policies are real; lifecycle, default encryption
// and public access block answer 501 NotImplemented (PutBucketLifecycle-
// Configuration too, so no lifecycle rule can be set there: lifecycle
// findings are tested against an AWS-shaped server in posture_test.go).
func TestPostureVersityGW(t *testing.T) {
	ctx := context.Background()
	sev := func(fs []posture.Finding) string {
		var b strings.Builder
		for _, f := range fs {
			b.WriteString(f.Check + "/" + string(f.Severity) + ": " + f.Summary + "\n")
		}
		return b.String()
	}
	check := func(t *testing.T, st *s3store.Store, wants ...string) {
		t.Helper()
		fs, err := posture.Posture(ctx, st)
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
		_, st := bucket(t, false, "plain")
		check(t, st, append(unimplemented, "versioning/critical: versioning is off", "object-lock/info: no Object Lock", "policy/info: no bucket policy")...)
	})
	t.Run("versioned with a loose policy", func(t *testing.T) {
		c, st := bucket(t, true, "versioned")
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
