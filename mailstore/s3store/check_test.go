package s3store

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"hash/crc64"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sesbox/sesbox/mailstore/testutil/cpubudget"
)

// TestWholeCheckTrustsAMatchingChecksumOverTheETag: an S3-compatible
// server whose ETag is 32 hex digits but no MD5, with no SSE header to
// say so (MinIO encrypting by itself), failed every whole read while the
// object's CRC64NVME matched the bytes; a body cut short still fails, by
// the checksum, and by the ETag where there is no checksum.
func TestWholeCheckTrustsAMatchingChecksumOverTheETag(t *testing.T) {
	body := []byte("Return-Path: <a@b.example>\r\nSubject: hi\r\n\r\nbody\r\n")
	sum := func(b []byte) string {
		h := crc64.New(crc64.MakeTable(crc64NVME))
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

// TestCRC64NVMEIsHashCRC64s: the checksum of whole reads is what
// hash/crc64 computes with the CRC-64/NVME table, for every length and
// however the bytes are split into writes (the check value of
// "123456789" too), and writes of 2 KiB cost no more than one write of
// their bytes: hash/crc64 built its slicing tables (16 KiB) again at
// every write of 2 KiB or more for any polynomial but ISO and ECMA.
func TestCRC64NVMEIsHashCRC64s(t *testing.T) {
	ref := crc64.MakeTable(crc64NVME)
	var h crc64NVMEHash
	h.Write([]byte("123456789"))
	if h.crc != 0xae8b14860a799888 {
		t.Errorf("CRC-64/NVME of 123456789 = %#x, want 0xae8b14860a799888", h.crc)
	}
	r := rand.New(rand.NewPCG(12, 64))
	buf := make([]byte, 70_000)
	for i := range buf {
		buf[i] = byte(r.Uint32())
	}
	for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 2047, 2048, 2049, 65536, 70_000} {
		for split := range 4 {
			h.Reset()
			for p := buf[:n]; len(p) > 0; {
				k := min(len(p), 1+r.IntN(max(1, n>>split)))
				h.Write(p[:k])
				p = p[k:]
			}
			if want := crc64.Checksum(buf[:n], ref); h.crc != want {
				t.Fatalf("%d bytes in writes up to %d: %#x, hash/crc64 %#x", n, n>>split, h.crc, want)
			}
			if got, want := h.Sum(nil), crc64.New(ref); !bytes.Equal(got, func() []byte { want.Write(buf[:n]); return want.Sum(nil) }()) {
				t.Fatalf("%d bytes: Sum %x", n, got)
			}
		}
	}
	// Writes of 2 KiB cost what one write of the same bytes does (the
	// least CPU of three tries each, 4 MiB: milliseconds); hash/crc64
	// built its tables (256x7 entries) for each, 2.5x the bytes' work.
	c := newWholeCheck(&s3.GetObjectOutput{ChecksumCRC64NVME: aws.String("AAAAAAAAAAA=")})
	least := func(fn func()) time.Duration {
		d := time.Duration(math.MaxInt64)
		for range 3 {
			d = min(d, cpubudget.Used(fn))
		}
		return d
	}
	whole := least(func() {
		for range 64 {
			c.write(buf[:65536])
		}
	})
	small := least(func() {
		for range 64 {
			for p := buf[:65536]; len(p) > 0; p = p[2048:] {
				c.write(p[:2048])
			}
		}
	})
	if small > whole*8/5 {
		t.Errorf("4 MiB in writes of 2 KiB took %v of CPU, in writes of 64 KiB %v", small, whole)
	}
}

// TestWholeCheckHashesOnlyTheChecksum: with a full-object checksum, which
// decides alone, the check computes no MD5 of the ETag besides.
func TestWholeCheckHashesOnlyTheChecksum(t *testing.T) {
	md5OfOther := hex.EncodeToString(func() []byte { s := md5.Sum([]byte("other")); return s[:] }())
	c := newWholeCheck(&s3.GetObjectOutput{ETag: aws.String(`"` + md5OfOther + `"`), ChecksumCRC64NVME: aws.String("AAAAAAAAAAA=")})
	if c.md5 != nil || c.alg != "CRC64NVME" {
		t.Errorf("check of an object with a checksum: MD5 %v, checksum %q", c.md5 != nil, c.alg)
	}
	if c := newWholeCheck(&s3.GetObjectOutput{ETag: aws.String(`"` + md5OfOther + `"`)}); c == nil || c.md5 == nil {
		t.Error("an object without a checksum is not checked against its ETag")
	}
}
