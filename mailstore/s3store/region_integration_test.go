//go:build integration

package s3store

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/testutil/peer"
)

// TestWrongRegionOfALocalServerNamesItsRegion: versitygw (as other
// S3-compatible servers) answers a request signed for another region
// than its own with AuthorizationHeaderMalformed and no
// x-amz-bucket-region header, the region only in its message ("the
// region \"eu-west-1\" is wrong; expecting \"us-east-1\""): a new user
// who kept region = "eu-west-1" for a local server was told "bucket is
// in another region — check region", the region to set only at the end
// of the SDK's text. The hint names it first, as it does for AWS.
func TestWrongRegionOfALocalServerNamesItsRegion(t *testing.T) {
	srv := peer.StartS3(t, false)
	srv.CreateBuckets(t, "mail")
	c := s3.NewFromConfig(aws.Config{
		Region:           "eu-west-1",
		Credentials:      credentials.NewStaticCredentialsProvider(peer.AccessKey, peer.SecretKey, ""),
		RetryMaxAttempts: 1,
	}, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
		o.UsePathStyle = true
	})
	st := New(c, mailstore.Location{Bucket: "mail", Prefix: "inbox/"}).WithOrigins(mailstore.Origins{Region: "AWS_REGION"})
	err := st.List(context.Background(), func([]mailstore.Object) error { return nil })
	want := `bucket "mail" is in us-east-1, not eu-west-1 — set AWS_REGION to us-east-1 (list s3://mail/inbox/: `
	if got := mailstore.Explain(err); !strings.HasPrefix(got, want) {
		t.Errorf("got %q, want %q...", got, want)
	}
}
