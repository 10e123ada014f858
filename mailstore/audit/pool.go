package audit

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/mime"
)

// ordered runs work on the items feed emits with n goroutines and hands
// the results to sink one at a time, in the order the items were emitted.
// At most 2n items are in flight, so memory stays bounded whatever feed
// produces. The first error from feed or sink stops everything.
func ordered[In, Out any](ctx context.Context, n int,
	feed func(ctx context.Context, emit func(In) error) error,
	work func(context.Context, In) Out,
	sink func(Out) error,
) error {
	n = max(n, 1)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type job struct {
		in  In
		out chan Out
	}
	jobs := make(chan job)
	queue := make(chan chan Out, 2*n)
	var feedErr error
	go func() {
		defer close(queue)
		defer close(jobs)
		feedErr = feed(ctx, func(in In) error {
			j := job{in: in, out: make(chan Out, 1)}
			select {
			case queue <- j.out:
			case <-ctx.Done():
				return ctx.Err()
			}
			select {
			case jobs <- j:
				return nil
			case <-ctx.Done():
				// The slot in queue must still be answered.
				var zero Out
				j.out <- zero
				return ctx.Err()
			}
		})
	}()
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for j := range jobs {
				j.out <- work(ctx, j.in)
			}
		})
	}
	var sinkErr error
	for ch := range queue {
		r := <-ch
		if sinkErr == nil && ctx.Err() == nil {
			if sinkErr = sink(r); sinkErr != nil {
				cancel()
			}
		}
	}
	wg.Wait()
	if sinkErr != nil {
		return sinkErr
	}
	if feedErr != nil {
		return feedErr
	}
	return ctx.Err()
}

// digest is what reading an object through once yields.
type digest struct {
	SHA256 string
	MD5    string
	Size   int64
	Header []byte    // the header block (or the first bytes, if it has none)
	Raw    []byte    // the whole object, when asked for
	lock   *lockRead // the version's own Object Lock, when read (readRecorded)
}

// maxHeaderCapture bounds the header block kept while hashing.
const maxHeaderCapture = 1 << 20

// errMangledKey is why a listed key holding U+FFFD that a GET does not
// find is not counted as deleted while the run read.
var errMangledKey = errors.New("not found under the key listed, which holds U+FFFD: a server that ignores EncodingType=url " +
	"(versitygw does) lists each character XML cannot carry (a control character) as U+FFFD, so the object's real key is unknown " +
	"and it was not read; find it with the server's own tools")

// listedKeyNotFound is what a run makes of a listed key whose GET found
// nothing: nil when it was deleted since the listing (vanished), or
// errMangledKey when the listing most likely named it wrong, so that the
// object, still there under its real key, is reported as not read
// rather than as gone.
func listedKeyNotFound(key string) error {
	if strings.ContainsRune(key, utf8.RuneError) {
		return errMangledKey
	}
	return nil
}

// readDigest streams one object (version) through SHA-256 and MD5 and
// keeps its header block; with keep set, it keeps all the bytes too. A
// read whose bytes the store found not to match the object
// (mailstore.ErrNotWhole: the bytes already hashed are not the object's)
// is made once more from the start; a second such read is the error.
func readDigest(ctx context.Context, b Bucket, key, versionID string, keep bool) (digest, mailstore.Object, error) {
	d, obj, err := readDigestOnce(ctx, b, key, versionID, keep)
	if errors.Is(err, mailstore.ErrNotWhole) {
		d, obj, err = readDigestOnce(ctx, b, key, versionID, keep)
	}
	return d, obj, err
}

func readDigestOnce(ctx context.Context, b Bucket, key, versionID string, keep bool) (digest, mailstore.Object, error) {
	body, obj, err := b.Open(ctx, key, versionID)
	if err != nil {
		return digest{}, obj, err
	}
	defer body.Close()
	sh, m5 := sha256.New(), md5.New()
	hc := &headerCapture{}
	ws := []io.Writer{sh, m5, hc}
	var all *bytesWriter
	if keep {
		all = &bytesWriter{}
		if obj.Size > 0 {
			all.b = make([]byte, 0, obj.Size)
		}
		ws = append(ws, all)
	}
	n, err := io.Copy(io.MultiWriter(ws...), body)
	if err != nil {
		return digest{}, obj, err
	}
	d := digest{SHA256: hex.EncodeToString(sh.Sum(nil)), MD5: hex.EncodeToString(m5.Sum(nil)), Size: n, Header: hc.header()}
	if keep {
		d.Raw = all.b
	}
	obj.Size = n
	return d, obj, nil
}

type bytesWriter struct{ b []byte }

func (w *bytesWriter) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }

// headerCapture keeps the first bytes of a stream until they hold a whole
// header block, or maxHeaderCapture bytes.
type headerCapture struct {
	b    []byte
	done bool
}

func (h *headerCapture) Write(p []byte) (int, error) {
	if h.done {
		return len(p), nil
	}
	h.b = append(h.b, p[:min(len(p), maxHeaderCapture-len(h.b))]...)
	if end := mime.HeaderEnd(h.b); end >= 0 {
		h.b, h.done = h.b[:end], true
	} else if len(h.b) >= maxHeaderCapture {
		h.done = true
	}
	return len(p), nil
}

func (h *headerCapture) header() []byte { return h.b }

// ETag checks, as recorded in manifests and verify results.
const (
	ETagMD5       = "md5"       // a single-part ETag equal to the MD5 of the bytes
	ETagMultipart = "multipart" // a multipart ETag: not an MD5 of the bytes
	ETagMismatch  = "mismatch"  // a single-part-looking ETag that is not their MD5
)

// etagCheck compares an ETag with the MD5 of the bytes read. An ETag that
// is not 32 hex digits is a multipart upload's (MD5 of part MD5s, "-N").
// Under SSE-KMS or SSE-C encryption S3's ETags are not MD5s either, so a
// mismatch there is expected; it is reported, never silently accepted.
func etagCheck(etag, md5hex string) string {
	etag = strings.ToLower(strings.Trim(etag, `"`))
	switch {
	case etag == md5hex:
		return ETagMD5
	case strings.Contains(etag, "-") || len(etag) != 32:
		return ETagMultipart
	default:
		return ETagMismatch
	}
}
