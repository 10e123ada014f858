//go:build integration

package s3store

import (
	"bytes"
	"context"
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/testutil/faultproxy"
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

// TestRangedReadsAskNoChecksum: the index's header reads do not ask for
// the object's checksum. versitygw, as S3, sends it for a range that
// covers the whole object (a message within the first 16 KiB), and the
// SDK, which asked every GET for it, computed it on every such read (3%
// of a cold index's CPU); a whole read still asks, and its bytes are
// checked against it (wholeCheck).
func TestRangedReadsAskNoChecksum(t *testing.T) {
	srv := peer.StartS3(t, false)
	admin := srv.CreateBuckets(t, "mail")
	ctx := context.Background()
	body := []byte("Subject: small\r\n\r\nbody\r\n")
	put(t, admin, "mail", "k", body)
	// What the SDK computed before: asked, the server sends a checksum
	// for the range.
	out, err := admin.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("mail"), Key: aws.String("k"),
		Range: aws.String("bytes=0-16383"), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		t.Fatal(err)
	}
	out.Body.Close()
	if aws.ToString(out.ChecksumCRC32)+aws.ToString(out.ChecksumCRC32C)+aws.ToString(out.ChecksumCRC64NVME)+
		aws.ToString(out.ChecksumSHA1)+aws.ToString(out.ChecksumSHA256) == "" {
		t.Fatal("versitygw sent no checksum for a range covering the object: this test no longer tells")
	}

	var (
		mu   sync.Mutex
		gets []string // "range|checksum mode" of each GET
	)
	p := faultproxy.Start(t, srv.URL, faultproxy.Config{Before: func(r *http.Request) {
		if r.Method == http.MethodGet {
			mu.Lock()
			gets = append(gets, r.Header.Get("Range")+"|"+r.Header.Get("X-Amz-Checksum-Mode"))
			mu.Unlock()
		}
	}})
	// As config.LoadDefaultConfig sets it, which sesbox's clients are made of.
	validating := func(o *s3.Options) { o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenSupported }
	st := New(s3.New((&peer.S3{URL: p.URL}).Client().Options(), validating), mailstore.Location{Bucket: "mail"})
	hdr, _, err := st.ReadHeader(ctx, "k")
	if err != nil || !bytes.Equal(hdr, body) {
		t.Fatalf("ReadHeader: %q, %v; want %q", hdr, err, body)
	}
	whole, _, err := st.Read(ctx, "k")
	if err != nil || !bytes.Equal(whole, body) {
		t.Fatalf("Read: %q, %v; want %q", whole, err, body)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"bytes=0-16383|", "|ENABLED"}; !slices.Equal(gets, want) {
		t.Errorf("GETs (range|x-amz-checksum-mode) %q, want %q: the ranged read without the checksum, the whole read with it", gets, want)
	}
}
