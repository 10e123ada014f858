package s3store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/mime"
	"github.com/sesbox/sesbox/mailstore/testutil/fakes3"
)

func fakeS3(t *testing.T, bucket string) *s3.Client { return fakes3.Start(t, bucket).Admin }

func put(t *testing.T, c *s3.Client, bucket, key string, body []byte) {
	t.Helper()
	_, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)})
	if err != nil {
		t.Fatal(err)
	}
}

// sesID makes a 40-character id of [0-9a-v] whose first character is first.
func sesID(first byte, n int) string {
	const alpha = "0123456789abcdefghijklmnopqrstuv"
	b := []byte{first}
	for i := 0; len(b) < 40; i++ {
		b = append(b, alpha[(n*7+i*13)%32])
	}
	return string(b)
}

func TestListCoversEveryKeyOnce(t *testing.T) {
	for _, prefix := range []string{"inbox/", "inbox"} {
		t.Run(prefix, func(t *testing.T) { testListCoversEveryKeyOnce(t, prefix) })
	}
}

func testListCoversEveryKeyOnce(t *testing.T, prefix string) {
	c := fakeS3(t, "mail")
	want := map[string]bool{}
	add := func(key string) {
		put(t, c, "mail", key, []byte("Subject: x\r\n\r\nbody\r\n"))
		want[key] = true
	}
	// 2,100 SES-like ids spread over the alphabet force several pages per
	// range; the rest are the keys a split listing is most likely to miss.
	for i := range 2100 {
		add("inbox/" + sesID(sesIDAlphabet[i%32], i))
	}
	for _, k := range []string{"AMAZON_SES_SETUP_NOTIFICATION", "0", "a", "v", "vzzz", "w-other-tool", "zzz", "Z", "_x", "~tilde",
		"sub/" + sesID('5', 1), "-dash", "한글", "0" + strings.Repeat("z", 50)} {
		add("inbox/" + k)
	}
	put(t, c, "mail", "outbox/"+sesID('1', 9), []byte("x"))
	put(t, c, "mail", "inbox", []byte("x")) // shorter than "inbox/"
	if prefix == "inbox" {
		// Without the slash, these sort around the "inbox/" split points.
		want["inbox"] = true
		add("inbox.x")
		add("inbox0")
		add("inboxZ")
		add("inbox/")
	}

	st := New(c, mailstore.Location{Bucket: "mail", Prefix: prefix})
	st.ListParallelism = 5
	got := map[string]int{}
	err := st.List(context.Background(), func(page []mailstore.Object) error {
		for _, o := range page {
			got[o.Key]++
			if o.ETag == "" || o.Size == 0 || o.LastModified.IsZero() {
				t.Errorf("%s: incomplete object %+v", o.Key, o)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for k := range want {
		if got[k] != 1 {
			t.Errorf("%s listed %d times", k, got[k])
		}
	}
	for k := range got {
		if !want[k] {
			t.Errorf("%s listed but not under the prefix", k)
		}
	}
}

func TestListStopsOnCallbackError(t *testing.T) {
	c := fakeS3(t, "mail")
	for i := range 50 {
		put(t, c, "mail", "p/"+sesID(sesIDAlphabet[i%32], i), []byte("x"))
	}
	st := New(c, mailstore.Location{Bucket: "mail", Prefix: "p/"})
	stop := errors.New("stop")
	calls := 0
	err := st.List(context.Background(), func([]mailstore.Object) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("err=%v calls=%d, want the callback's error after one call", err, calls)
	}
}

func TestListNoSuchBucketExplains(t *testing.T) {
	c := fakeS3(t, "mail")
	st := New(c, mailstore.Location{Bucket: "nope", Prefix: ""})
	err := st.List(context.Background(), func([]mailstore.Object) error { return nil })
	if got := mailstore.Explain(err); err == nil || !strings.Contains(got, "no such bucket") || !strings.Contains(got, "s3://nope/") {
		t.Fatalf("err = %v", err)
	}
}

func TestReadHeaderExtendsPastFirstRange(t *testing.T) {
	c := fakeS3(t, "mail")
	var msg bytes.Buffer
	msg.WriteString("Return-Path: <a@b.example>\r\n")
	for i := 0; msg.Len() < 10_000; i++ {
		fmt.Fprintf(&msg, "X-Long-%d: %s\r\n", i, strings.Repeat("v", 70))
	}
	msg.WriteString("Subject: long header\r\n\r\n")
	header := msg.Len()
	msg.WriteString(strings.Repeat("body line\r\n", 1000))
	put(t, c, "mail", "k", msg.Bytes())

	st := New(c, mailstore.Location{Bucket: "mail"})
	st.HeaderRange = 1024
	hdr, obj, err := st.ReadHeader(context.Background(), "k")
	if err != nil {
		t.Fatal(err)
	}
	// The header ends in the third range (1, 2, 4, 8, then 16 KiB): all of it,
	// and the start of the body read along, comes back.
	if end := mime.HeaderEnd(hdr); end != header || !bytes.Equal(hdr, msg.Bytes()[:len(hdr)]) || len(hdr) != 16<<10 {
		t.Fatalf("read %d bytes, header ends at %d, want 16 KiB holding the %d-byte header", len(hdr), end, header)
	}
	if obj.Size != int64(msg.Len()) {
		t.Errorf("size from Content-Range = %d, want %d", obj.Size, msg.Len())
	}

	// An empty object answers 416 to a range; it is read whole instead.
	put(t, c, "mail", "empty", nil)
	if hdr, _, err := st.ReadHeader(context.Background(), "empty"); err != nil || len(hdr) != 0 {
		t.Fatalf("ReadHeader(empty) = %q, %v", hdr, err)
	}

	// A header that never ends (no blank line) comes back whole.
	put(t, c, "mail", "noblank", []byte("Subject: only\r\nFrom: a@b"))
	hdr, _, err = st.ReadHeader(context.Background(), "noblank")
	if err != nil || string(hdr) != "Subject: only\r\nFrom: a@b" {
		t.Fatalf("ReadHeader(noblank) = %q, %v", hdr, err)
	}
}

func TestReadExactBytesAndNotFound(t *testing.T) {
	c := fakeS3(t, "mail")
	raw := []byte("Subject: \xff\xfe 8-bit\r\n\r\n\x00\x01 body without newline")
	put(t, c, "mail", "inbox/x", raw)
	st := New(c, mailstore.Location{Bucket: "mail", Prefix: "inbox/"})
	got, obj, err := st.Read(context.Background(), "inbox/x")
	if err != nil || !bytes.Equal(got, raw) {
		t.Fatalf("Read = %q, %v", got, err)
	}
	if obj.ETag == "" || strings.Contains(obj.ETag, `"`) {
		t.Errorf("ETag %q", obj.ETag)
	}
	if _, _, err := st.Read(context.Background(), "inbox/missing"); !errors.Is(err, mailstore.ErrNotFound) {
		t.Fatalf("missing key: %v", err)
	}
}

func TestListPlanCoversTheKeySpace(t *testing.T) {
	for _, prefix := range []string{"p/", "p", ""} {
		t.Run(prefix, func(t *testing.T) { testListPlan(t, prefix) })
	}
}

// testListPlan checks the plan's shape: the first gap starts at the
// prefix, the last runs to its end, and every two blocks in a row are
// either adjacent or joined by a gap from one to the next.
func testListPlan(t *testing.T, prefix string) {
	st := New(nil, mailstore.Location{Prefix: prefix})
	blocks := st.blocks()
	if !sort.StringsAreSorted(blocks) {
		t.Fatal("blocks out of order")
	}
	gaps := map[string]*keyGap{}
	var first *keyGap
	for _, task := range st.plan() {
		if task.block == "" {
			if first != nil || task.gap == nil {
				t.Fatalf("tasks without a block: %+v", task)
			}
			first = task.gap
			continue
		}
		gaps[task.block] = task.gap
	}
	if first == nil || first.after != "" || first.before != blocks[0] {
		t.Fatalf("first gap %+v", first)
	}
	if len(gaps) != len(blocks) {
		t.Fatalf("%d blocks listed, want %d", len(gaps), len(blocks))
	}
	for i, b := range blocks {
		g := gaps[b]
		switch {
		case i == len(blocks)-1:
			if g == nil || g.before != "" || g.after != b {
				t.Fatalf("last gap %+v", g)
			}
		case adjacent(b, blocks[i+1]):
			if g != nil {
				t.Fatalf("gap %+v between adjacent blocks %s %s", g, b, blocks[i+1])
			}
		case g == nil || g.after != b || g.before != blocks[i+1]:
			t.Fatalf("blocks %s and %s not joined: %+v", b, blocks[i+1], g)
		}
	}
}

// countingLister counts the keys S3 returns to ListObjectsV2 calls.
type countingLister struct {
	s3API
	calls, keys atomic.Int64
}

func (c *countingLister) ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	out, err := c.s3API.ListObjectsV2(ctx, in, opts...)
	if err == nil {
		c.calls.Add(1)
		c.keys.Add(int64(len(out.Contents)))
	}
	return out, err
}

// TestListReadsNoPagePastItsEnd: the listing fetches each key once, plus
// at most one small first page per gap, however many keys follow.
func TestListReadsNoPagePastItsEnd(t *testing.T) {
	srv := fakes3.Start(t, "mail")
	const n = 3000
	for i := range n {
		srv.PutDirect(t, "mail", "inbox/"+sesID(sesIDAlphabet[i%32], i)+fmt.Sprint(i), []byte("x"))
	}
	srv.PutDirect(t, "mail", "inbox/AMAZON_SES_SETUP_NOTIFICATION", []byte("x"))
	c := &countingLister{s3API: srv.Admin}
	st := New(c, mailstore.Location{Bucket: "mail", Prefix: "inbox/"})
	listed := 0
	if err := st.List(context.Background(), func(p []mailstore.Object) error { listed += len(p); return nil }); err != nil {
		t.Fatal(err)
	}
	gaps := 0
	for _, task := range st.plan() {
		if task.gap != nil && task.gap.before != "" {
			gaps++
		}
	}
	if listed != n+1 {
		t.Fatalf("listed %d keys, want %d", listed, n+1)
	}
	if over := c.keys.Load() - int64(listed); over > int64(gaps*gapFirstPage) {
		t.Errorf("S3 returned %d keys for %d listed: %d past the ends (at most %d allowed)", c.keys.Load(), listed, over, gaps*gapFirstPage)
	}
	// One page per block (under 1,000 keys each), one per gap.
	if want := int64(len(st.plan()) + 3); c.calls.Load() > want {
		t.Errorf("%d LIST calls, want at most %d", c.calls.Load(), want)
	}
}

func TestClientSideEncryptedObjectsAreNamed(t *testing.T) {
	c := fakeS3(t, "mail")
	_, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("mail"), Key: aws.String("enc"),
		Body:     bytes.NewReader([]byte("\x8a\x01ciphertext")),
		Metadata: map[string]string{"x-amz-key-v2": "AQIDAHh...", "x-amz-cek-alg": "AES/GCM/NoPadding", "x-amz-wrap-alg": "kms"}})
	if err != nil {
		t.Fatal(err)
	}
	// Without a KMS client (the demo mailbox) they are named, not read.
	st := New(c, mailstore.Location{Bucket: "mail"})
	if _, _, err := st.ReadHeader(context.Background(), "enc"); !errors.Is(err, mailstore.ErrEncrypted) || !strings.Contains(err.Error(), "no KMS client") {
		t.Fatalf("ReadHeader: %v", err)
	}
	if _, _, err := st.Read(context.Background(), "enc"); !errors.Is(err, mailstore.ErrEncrypted) {
		t.Fatalf("Read: %v", err)
	}
}

func TestContentRange(t *testing.T) {
	for _, tc := range []struct {
		in                string
		first, last, size int64
	}{
		{"bytes 0-16383/50000", 0, 16383, 50000},
		{"bytes 100-199/1000", 100, 199, 1000},
		{"bytes 100-199/*", 100, 199, -1},
		{"", 0, -1, -1},
		{"bytes */1000", 0, -1, 1000}, // the answer to an unsatisfiable range
		{"garbage", 0, -1, -1},
	} {
		if first, last, size := contentRange(tc.in); first != tc.first || last != tc.last || size != tc.size {
			t.Errorf("contentRange(%q) = %d, %d, %d; want %d, %d, %d", tc.in, first, last, size, tc.first, tc.last, tc.size)
		}
	}
}

// corruptLastByte flips the last byte of every GET's body on its way from
// the server, headers (the object's checksum among them) untouched.
type corruptLastByte struct{ next http.RoundTripper }

func (c corruptLastByte) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(req)
	if err != nil || req.Method != http.MethodGet || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	if len(b) > 0 {
		b[len(b)-1] ^= 1
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, nil
}

// TestChecksumMismatchFailsRead: the SDK checks a full read against the
// checksum the server keeps for the object, at the end of the body, which
// is also where the store's body stops counting bytes; a mismatch fails
// the read instead of passing for the end of the body.
func TestChecksumMismatchFailsRead(t *testing.T) {
	srv := fakes3.Start(t, "mail")
	body := []byte("Subject: checked\r\n\r\nbody\r\n")
	_, err := srv.Admin.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("mail"), Key: aws.String("inbox/m"),
		Body: bytes.NewReader(body), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
	if err != nil {
		t.Fatal(err)
	}
	// As config.LoadDefaultConfig sets it.
	validating := func(o *s3.Options) { o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenSupported }
	good := New(s3.New(srv.ClientWith(http.DefaultTransport).Options(), validating), mailstore.Location{Bucket: "mail", Prefix: "inbox/"})
	if b, _, err := good.Read(context.Background(), "inbox/m"); err != nil || !bytes.Equal(b, body) {
		t.Fatalf("intact read: %q, %v", b, err)
	}
	bad := New(s3.New(srv.ClientWith(corruptLastByte{http.DefaultTransport}).Options(), validating), mailstore.Location{Bucket: "mail", Prefix: "inbox/"})
	b, _, err := bad.Read(context.Background(), "inbox/m")
	if err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Fatalf("corrupted read: %q, %v; want a checksum error", b, err)
	}
}

// TestListKeepsAGapsKeysAfterOneOutOfOrder: a listing that returns a key
// out of order (gofakes3 sorts by the key but returns a control character
// as U+FFFD, which sorts after the next block) loses nothing else of the
// gap: the gap was cut at the first key at or past its end, and the keys
// after it were never listed.
func TestListKeepsAGapsKeysAfterOneOutOfOrder(t *testing.T) {
	srv := fakes3.Start(t, "mail")
	want := []string{"inbox/%2e%2e", "inbox/..", "inbox/./x", "inbox/" + sesID('0', 1)}
	for _, k := range append([]string{"inbox/\x1b[2Jevil\x07"}, want...) {
		srv.PutDirect(t, "mail", k, []byte("x"))
	}
	st := New(srv.Admin, mailstore.Location{Bucket: "mail", Prefix: "inbox/"})
	var got []string
	if err := st.List(context.Background(), func(p []mailstore.Object) error {
		for _, o := range p {
			got = append(got, o.Key)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, k := range want {
		if !slices.Contains(got, k) {
			t.Errorf("%q not listed; listed %q", k, got)
		}
	}
}
