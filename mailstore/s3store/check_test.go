package s3store

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"hash/crc64"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestWholeCheckTrustsAMatchingChecksumOverTheETag: an S3-compatible
// server whose ETag is 32 hex digits but no MD5, with no SSE header to
// say so (MinIO encrypting by itself), failed every whole read while the
// object's CRC64NVME matched the bytes; a body cut short still fails, by
// the checksum, and by the ETag where there is no checksum.
func TestWholeCheckTrustsAMatchingChecksumOverTheETag(t *testing.T) {
	body := []byte("Return-Path: <a@b.example>\r\nSubject: hi\r\n\r\nbody\r\n")
	sum := func(b []byte) string {
		h := crc64.New(crc64NVMETable)
		h.Write(b)
		return base64.StdEncoding.EncodeToString(h.Sum(nil))
	}
	md := md5.Sum(body)
	realMD5 := hex.EncodeToString(md[:])
	const notMD5 = "0123456789abcdef0123456789abcdef"
	check := func(etag, crc string, got []byte) error {
		out := &s3.GetObjectOutput{ETag: aws.String(`"` + etag + `"`)}
		if crc != "" {
			out.ChecksumCRC64NVME = aws.String(crc)
		}
		c := newWholeCheck(out)
		c.write(got)
		return c.verify(int64(len(got)))
	}
	for _, tc := range []struct {
		name      string
		etag, crc string
		got       []byte
		ok        bool
	}{
		{"ETag no MD5, checksum matches", notMD5, sum(body), body, true},
		{"ETag no MD5, cut", notMD5, sum(body), body[:20], false},
		{"ETag MD5, checksum matches", realMD5, sum(body), body, true},
		{"ETag MD5, no checksum, cut", realMD5, "", body[:20], false},
		{"ETag MD5, no checksum, whole", realMD5, "", body, true},
		{"ETag MD5, checksum of other bytes", realMD5, sum(body[:20]), body, false},
	} {
		if err := check(tc.etag, tc.crc, tc.got); (err == nil) != tc.ok {
			t.Errorf("%s: verify = %v, want ok %v", tc.name, err, tc.ok)
		}
	}
}
