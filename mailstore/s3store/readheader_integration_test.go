//go:build integration

package s3store

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sesbox/sesbox/mailstore/testutil/peer"
)

// TestReadHeaderReadsEachByteOnceVersitygw is TestReadHeaderReadsEachByteOnce
// against versitygw, which answers If-Match itself (412) where gofakes3
// ignores it on a GET and the ETag of the answer tells.
func TestReadHeaderReadsEachByteOnceVersitygw(t *testing.T) {
	srv := peer.StartS3(t, false)
	admin := srv.CreateBuckets(t, "mail")
	testReadHeaderReadsEachByteOnce(t, srv.URL, admin, func(url string) *s3.Client {
		return (&peer.S3{URL: url}).Client()
	})
}
