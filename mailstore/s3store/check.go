package s3store

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/middleware"
)

// wholeCheck checks the bytes of a whole-object GET against what S3 says
// of the object: its ETag when that is the MD5 of the bytes, and its
// full-object additional checksum (x-amz-checksum-*) when it has one.
//
// A body cut short under a Content-Length that agrees with the cut (a
// proxy or a middlebox that rewrites the length) is whole by HTTP's
// measure; a ranged answer's Content-Range tells, a whole one has none,
// and only a digest of the bytes does. The bytes are hashed as they pass,
// across every GET a resumed body takes, so a body read on from the byte
// it reached is checked whole too. Ranged reads (the index's header
// reads) are not checked: the ETag and the checksum are of the whole
// object, and their Content-Range already tells a cut.
type wholeCheck struct {
	md5     hash.Hash
	md5Want string // lowercase hex
	sum     hash.Hash
	sumWant string // base64, as S3 sends it
	alg     string
}

// crc64NVME is the CRC-64/NVME polynomial, reversed as crc64.MakeTable
// wants it: S3's default checksum for objects uploaded without one.
const crc64NVME = 0x9a6c9329ac4bc9b5

// crc64NVMETables are CRC-64/NVME's tables for slicing by 8, built at
// the first whole read that needs them: hash/crc64 keeps them only for
// ISO and ECMA, and built these again at every Write of 2 KiB or more
// (16 KiB allocated and 14,000 table entries computed for each).
var crc64NVMETables = sync.OnceValue(func() *[8]crc64.Table {
	var t [8]crc64.Table
	t[0] = *crc64.MakeTable(crc64NVME)
	for i := range 256 {
		crc := t[0][i]
		for j := 1; j < 8; j++ {
			crc = t[0][crc&0xff] ^ crc>>8
			t[j][i] = crc
		}
	}
	return &t
})

// crc64NVMEHash is CRC-64/NVME as hash/crc64 computes it (crc64.New of
// the polynomial's table), 8 bytes at a time through crc64NVMETables.
type crc64NVMEHash struct{ crc uint64 }

func (h *crc64NVMEHash) Write(p []byte) (int, error) {
	t := crc64NVMETables()
	n := len(p)
	crc := ^h.crc
	for ; len(p) >= 8; p = p[8:] {
		crc ^= binary.LittleEndian.Uint64(p)
		crc = t[7][crc&0xff] ^ t[6][crc>>8&0xff] ^ t[5][crc>>16&0xff] ^ t[4][crc>>24&0xff] ^
			t[3][crc>>32&0xff] ^ t[2][crc>>40&0xff] ^ t[1][crc>>48&0xff] ^ t[0][crc>>56]
	}
	for _, v := range p {
		crc = t[0][byte(crc)^v] ^ crc>>8
	}
	h.crc = ^crc
	return n, nil
}

func (h *crc64NVMEHash) Sum(b []byte) []byte { return binary.BigEndian.AppendUint64(b, h.crc) }
func (h *crc64NVMEHash) Reset()              { h.crc = 0 }
func (h *crc64NVMEHash) Size() int           { return 8 }
func (h *crc64NVMEHash) BlockSize() int      { return 1 }

// newWholeCheck is the check for out, the answer to a GET of the whole
// object; nil when S3 said nothing the bytes can be checked against.
// The ETag's MD5 is computed only for an object without a full-object
// checksum: with one, the checksum alone decides (see verify), and the
// MD5 of every whole read was twice the CRC-64's cost for a line in an
// error.
func newWholeCheck(out *s3.GetObjectOutput) *wholeCheck {
	c := &wholeCheck{}
	if out.ChecksumType != types.ChecksumTypeComposite {
		for _, a := range []struct {
			name string
			v    *string
			h    func() hash.Hash
		}{
			{"CRC64NVME", out.ChecksumCRC64NVME, func() hash.Hash { return &crc64NVMEHash{} }},
			{"CRC32", out.ChecksumCRC32, func() hash.Hash { return crc32.NewIEEE() }},
			{"CRC32C", out.ChecksumCRC32C, func() hash.Hash { return crc32.New(crc32.MakeTable(crc32.Castagnoli)) }},
			{"SHA256", out.ChecksumSHA256, sha256.New},
			{"SHA1", out.ChecksumSHA1, sha1.New},
		} {
			// A composite checksum (of the parts' checksums) ends in -N.
			if v := aws.ToString(a.v); v != "" && !strings.Contains(v, "-") {
				c.sum, c.sumWant, c.alg = a.h(), v, a.name
				break
			}
		}
	}
	if etag := strings.ToLower(strings.Trim(aws.ToString(out.ETag), `"`)); c.sum == nil && etagIsMD5(etag, out) {
		c.md5, c.md5Want = md5.New(), etag
	}
	if c.md5 == nil && c.sum == nil {
		return nil
	}
	return c
}

// etagIsMD5 reports whether etag is the MD5 of the object's bytes: S3's
// ETag is for an object uploaded in one PUT (as SES's S3 action stores
// mail) unless the object is encrypted with SSE-KMS, DSSE-KMS or SSE-C.
// A multipart upload's ETag is an MD5 of its parts' MD5s, "-N" after it.
func etagIsMD5(etag string, out *s3.GetObjectOutput) bool {
	if len(etag) != 32 {
		return false
	}
	if _, err := hex.DecodeString(etag); err != nil {
		return false
	}
	switch out.ServerSideEncryption {
	case types.ServerSideEncryptionAwsKms, types.ServerSideEncryptionAwsKmsDsse:
		return false
	}
	return aws.ToString(out.SSECustomerAlgorithm) == ""
}

func (c *wholeCheck) write(p []byte) {
	if c.md5 != nil {
		c.md5.Write(p)
	}
	if c.sum != nil {
		c.sum.Write(p)
	}
}

// verify says how the n bytes read differ from what S3 says of them; nil
// when they match.
//
// A full-object checksum wins over the ETag (newWholeCheck does not
// compute the MD5 then): some S3-compatible servers (MinIO encrypting
// by itself) send an ETag of 32 hex digits that is no MD5, without the
// SSE headers that say so, and every whole read of theirs failed while
// the checksum matched; a cut body fails the checksum too.
func (c *wholeCheck) verify(n int64) error {
	var diff []string
	if c.md5 != nil {
		if got := hex.EncodeToString(c.md5.Sum(nil)); got != c.md5Want {
			diff = append(diff, fmt.Sprintf("their MD5 is %s, the object's ETag %s", got, c.md5Want))
		}
	}
	if c.sum != nil {
		if got := base64.StdEncoding.EncodeToString(c.sum.Sum(nil)); got != c.sumWant {
			diff = append(diff, fmt.Sprintf("their %s is %s, the object's %s", c.alg, got, c.sumWant))
		}
	}
	if diff == nil {
		return nil
	}
	return fmt.Errorf("%d bytes read: %s", n, strings.Join(diff, "; "))
}

// sendGet sends one GET with the options its body's check needs: for a
// whole object, the additional checksum asked for (S3 sends it only
// then) and the SDK's own check left to wholeCheck.
func (s *Store) sendGet(ctx context.Context, in *s3.GetObjectInput) (*s3.GetObjectOutput, error) {
	if in.Range != nil {
		return s.api.GetObject(ctx, in, s.readOpts)
	}
	in.ChecksumMode = types.ChecksumModeEnabled
	return s.api.GetObject(ctx, in, s.getOpts)
}

// getOpts is readOpts for a GET whose body resumingBody checks itself
// (wholeCheck): the SDK's own check of the additional checksum is taken
// out of the stack, since it sees only the first GET's bytes (a body
// resumed with a ranged GET was not checked at all) and fails a body
// whose length was rewritten with an error no retry follows.
func (s *Store) getOpts(o *s3.Options) {
	s.readOpts(o)
	o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
		// Not found (an SDK that names it otherwise): the SDK checks as
		// well, and its error still ends the read.
		_, _ = st.Deserialize.Remove("AWSChecksum:ValidateOutputPayloadChecksum")
		return nil
	})
}
