// Package s3store is the mailstore.Store over S3 through aws-sdk-go-v2:
// a listing split over the key space and run in parallel, ranged reads of
// the header block, and full reads. It only ever sends GET and HEAD.
package s3store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/alessio/shellescape"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/mime"
	"github.com/sesbox/sesbox/mailstore/sanitize"
)

// s3API is the part of *s3.Client the store uses.
type s3API interface {
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// Store reads one bucket/prefix.
type Store struct {
	api s3API
	kms kmsAPI // nil: client-side encrypted objects fail with ErrEncrypted
	loc mailstore.Location
	// ListParallelism is how many parts of the key space (see plan) are
	// listed at once.
	ListParallelism int
	// HeaderRange is the first ranged read of a header block; it doubles
	// until the blank line that ends the header is found. 16 KiB holds the
	// header block SES writes (2-6 KB, DKIM and ARC signatures included)
	// with room to spare, so one GET is the rule, without reading most
	// messages whole as 64 KiB did (27 KB read per message at 64 KiB).
	HeaderRange int64

	retry   RetryPolicy
	retryer aws.Retryer // built from retry once: one per request cost 15 allocations
	gate    *aimd       // requests in flight, adapted to throttling
	// endpoints caches the client's endpoint resolver; nil when the
	// client is not an *s3.Client.
	endpoints *endpointCache
	resumed   atomic.Int64 // GETs re-issued after a body broke
	// rereadNotWhole counts whole reads sent again because their bytes
	// did not match the object (mailstore.ErrNotWhole).
	rereadNotWhole atomic.Int64
	origins        mailstore.Origins // where the settings came from, for hints
}

// The store's LIST and GET attempts in flight (a retry waits for a slot
// like any request) are bounded by a limit that starts at MaxConcurrency, is
// halved by a throttle answer (503 SlowDown; at most once per 50 ms, about a round trip)
// down to MinConcurrency, and grows back by one for every limit requests
// that succeed (additive increase, multiplicative decrease: see aimd).
const (
	MaxConcurrency = 64
	MinConcurrency = 4
)

// New returns a store over client for loc.
func New(client s3API, loc mailstore.Location) *Store {
	s := &Store{api: client, loc: loc, ListParallelism: 32, HeaderRange: 16 << 10, gate: newAIMD(MinConcurrency, MaxConcurrency)}
	if c, ok := client.(*s3.Client); ok {
		s.endpoints = newEndpointCache(c.Options().EndpointResolverV2)
	}
	return s.WithRetry(DefaultRetryPolicy())
}

// WithRetry sets how reads are retried (see RetryPolicy).
func (s *Store) WithRetry(p RetryPolicy) *Store {
	s.retry = p
	s.retryer = p.Retryer(s.gate.throttled, s.gate.answeredLately)
	return s
}

// WithOrigins sets where the bucket, prefix, region and endpoint were set
// (a flag, a config key, an environment variable): a hint names that.
func (s *Store) WithOrigins(o mailstore.Origins) *Store {
	s.origins = o
	return s
}

// Resumed is the number of GETs re-issued because a body broke while it
// was read.
func (s *Store) Resumed() int64 { return s.resumed.Load() }

// Location implements mailstore.Store.
func (s *Store) Location() mailstore.Location { return s.loc }

// sesIDAlphabet is the first character of SES message ids ([0-9a-v], in
// byte order). The listing is split at each of them; the gaps between and
// beyond them still hold every other key (AMAZON_SES_SETUP_NOTIFICATION,
// objects other tools dropped), so nothing is missed.
const sesIDAlphabet = "0123456789abcdefghijklmnopqrstuv"

// listTask is one listing worker's job: the keys under block (a prefix
// of loc.Prefix plus one character; "" for none), then, when gap is set,
// the keys between that block and the next one.
//
// A block is listed with Prefix = block, so S3 ends it at the block's
// last key: no range reads a page past its end. A gap (the keys whose
// next character is outside the SES alphabet) has no prefix of its own:
// it is listed under loc.Prefix with StartAfter = the block's last key
// (known only once the block is listed, which is why a task lists both)
// and stops at the next block, in pages that start small (an empty gap
// costs a handful of keys) and grow while the gap goes on.
type listTask struct {
	block string
	gap   *keyGap
}

// keyGap is the keys under the prefix in (after, before); before "" is
// the end of the prefix.
type keyGap struct{ after, before string }

// blocks are the listing's block prefixes, sorted.
func (s *Store) blocks() []string {
	var out []string
	// SES adds a "/" after a prefix that lacks one, so such a mailbox's ids
	// start after prefix+"/": split there too ('/' sorts before '0', so the
	// blocks stay in order).
	if p := s.loc.Prefix; p != "" && !strings.HasSuffix(p, "/") {
		for _, c := range sesIDAlphabet {
			out = append(out, p+"/"+string(c))
		}
	}
	for _, c := range sesIDAlphabet {
		out = append(out, s.loc.Prefix+string(c))
	}
	return out
}

// adjacent reports whether no key can sort after every key under block a
// and before b: b is a with its last byte one higher.
func adjacent(a, b string) bool {
	n := len(a)
	return n > 0 && len(b) == n && a[:n-1] == b[:n-1] && b[n-1] == a[n-1]+1
}

// plan returns the listing's tasks: together they cover every key under
// the prefix exactly once. Tasks with a gap come first (they take two
// round trips).
func (s *Store) plan() []listTask {
	b := s.blocks()
	out := []listTask{{gap: &keyGap{before: b[0]}}}
	var plain []listTask
	for i, blk := range b {
		switch {
		case i == len(b)-1:
			out = append(out, listTask{block: blk, gap: &keyGap{after: blk}})
		case !adjacent(blk, b[i+1]):
			out = append(out, listTask{block: blk, gap: &keyGap{after: blk, before: b[i+1]}})
		default:
			plain = append(plain, listTask{block: blk})
		}
	}
	return append(out, plain...)
}

// List implements mailstore.Store.
func (s *Store) List(ctx context.Context, fn func([]mailstore.Object) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	tasks := s.plan()
	work := make(chan listTask)
	pages := make(chan []mailstore.Object)
	errc := make(chan error, len(tasks))
	var wg sync.WaitGroup
	par := max(1, s.ListParallelism)
	for range par {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range work {
				if err := s.listTask(ctx, t, pages); err != nil {
					errc <- err
					cancel()
					return
				}
			}
		}()
	}
	go func() {
		defer close(work)
		for _, t := range tasks {
			select {
			case work <- t:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(pages) }()

	var fnErr error
	for page := range pages {
		if fnErr == nil {
			if fnErr = fn(page); fnErr != nil {
				cancel()
			}
		}
	}
	if fnErr != nil {
		return fnErr
	}
	select {
	case err := <-errc:
		return fmt.Errorf("list %s: %w", s.loc, s.hint(err, "s3:ListBucket"))
	default:
	}
	return ctx.Err()
}

func (s *Store) listTask(ctx context.Context, t listTask, pages chan<- []mailstore.Object) error {
	if t.gap == nil {
		_, err := s.listSpan(ctx, t.block, "", "", pages)
		return err
	}
	after := t.gap.after
	if t.block != "" {
		last, err := s.listSpan(ctx, t.block, "", "", pages)
		if err != nil {
			return err
		}
		after = max(after, last)
	}
	_, err := s.listSpan(ctx, s.loc.Prefix, after, t.gap.before, pages)
	return err
}

// gapFirstPage is the first page size of a bounded span: most gaps hold
// nothing, or the setup notification.
const gapFirstPage = 16

// listSpan lists the keys under prefix after after ("" from the start)
// and before before ("" to the end of prefix), sending them in pages. It
// returns the last key sent.
func (s *Store) listSpan(ctx context.Context, prefix, after, before string, pages chan<- []mailstore.Object) (string, error) {
	in := listInput(s.loc.Bucket, prefix)
	if after != "" {
		in.StartAfter = aws.String(after)
	}
	var pageSize int32 // 0: S3's (1,000)
	if before != "" {
		pageSize = gapFirstPage
	}
	var last string
	for {
		if pageSize > 0 {
			in.MaxKeys = aws.Int32(pageSize)
		}
		out, err := s.api.ListObjectsV2(ctx, in, s.readOpts)
		if err != nil {
			return last, err
		}
		page, err := listedObjects(out)
		if err != nil {
			return last, err
		}
		done := false
		if before != "" && len(page) > 0 {
			// The span ends at the page's last key, not its first at or
			// past before: keys that come out of order (a server that
			// mangles a key it sorted by, as gofakes3 does a control
			// character) lose only themselves, not the keys after them.
			done = page[len(page)-1].Key >= before
			page = slices.DeleteFunc(page, func(o mailstore.Object) bool { return o.Key >= before })
		}
		if len(page) > 0 {
			last = page[len(page)-1].Key
			select {
			case pages <- page:
			case <-ctx.Done():
				return last, ctx.Err()
			}
		}
		if done || !aws.ToBool(out.IsTruncated) || aws.ToString(out.NextContinuationToken) == "" {
			return last, nil
		}
		in.ContinuationToken = out.NextContinuationToken
		if pageSize > 0 {
			pageSize = min(pageSize*4, 1000)
		}
	}
}

// listInput starts every ListObjectsV2 request of the package. It asks for
// the keys URL-encoded: a key may hold characters XML 1.0 cannot carry
// (most control characters), S3 puts them in the listing's XML anyway,
// where no XML 1.0 parser reads them, and so one such key failed every
// listing of the bucket. listedKey undoes the encoding.
func listInput(bucket, prefix string) *s3.ListObjectsV2Input {
	return &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix), EncodingType: types.EncodingTypeUrl}
}

// listedKey decodes a key (or common prefix) from a listing made with
// listInput. S3 encodes Key, Prefix, StartAfter, Delimiter and the
// CommonPrefixes as a form value (a space is "+", a "+" is "%2B"), hence
// QueryUnescape, not PathUnescape. A server that ignores the request
// (gofakes3, versitygw) does not echo EncodingType, and its keys are taken
// as they are.
func listedKey(enc types.EncodingType, k *string) (string, error) {
	if enc != types.EncodingTypeUrl {
		return aws.ToString(k), nil
	}
	key, err := url.QueryUnescape(aws.ToString(k))
	if err != nil {
		return "", fmt.Errorf("listed key %q: %w", aws.ToString(k), err)
	}
	return key, nil
}

// listedObjects is a listing page's objects, their keys decoded.
func listedObjects(out *s3.ListObjectsV2Output) ([]mailstore.Object, error) {
	page := make([]mailstore.Object, 0, len(out.Contents))
	for _, o := range out.Contents {
		key, err := listedKey(out.EncodingType, o.Key)
		if err != nil {
			return nil, err
		}
		page = append(page, mailstore.Object{
			Key:          key,
			ETag:         strings.Trim(aws.ToString(o.ETag), `"`),
			Size:         aws.ToInt64(o.Size),
			LastModified: aws.ToTime(o.LastModified),
		})
	}
	return page, nil
}

// maxHeaderRead bounds how far a header block is searched for: past it the
// object is read whole, whatever it is.
const maxHeaderRead = 8 << 20

// ReadHeader implements mailstore.Store: a ranged GET of the first
// HeaderRange bytes, doubled while the header block has not ended. All
// the bytes read are returned: the body's start tells how many
// attachments there are (most messages fit in the first range whole).
//
// Each doubling reads on from where the bytes read end, of the version
// read first only (If-Match on its ETag, and the answer's ETag checked,
// as a server may ignore If-Match): a header of 82 KB read 16 + 32 + 64 +
// 128 KiB when each range started at byte 0, and reads 128 KiB. An object
// replaced between two ranges is read again from its start, at most
// twice; the bytes of two versions are never joined.
func (s *Store) ReadHeader(ctx context.Context, key string) ([]byte, mailstore.Object, error) {
	for again := 0; ; again++ {
		b, obj, err := s.readHeaderOnce(ctx, key)
		if errors.Is(err, errChangedMidRead) && again < 2 {
			continue
		}
		return b, obj, err
	}
}

// errChangedMidRead is in the chain of a header read whose object was
// replaced between two of its ranges.
var errChangedMidRead = errors.New("the object changed while it was read")

// readHeaderOnce is ReadHeader's reading of one version of the object.
func (s *Store) readHeaderOnce(ctx context.Context, key string) ([]byte, mailstore.Object, error) {
	n := s.HeaderRange
	b, obj, err := s.get(ctx, key, "bytes=0-"+strconv.FormatInt(n-1, 10))
	// Past the first range: the whole object was read (always so for a
	// decrypted one), or the server ignored the range, when fewer than n
	// bytes or all of them came.
	for err == nil && mime.HeaderEnd(b) < 0 && int64(len(b)) == n && n < obj.Size && n < maxHeaderRead {
		if obj.ETag == "" {
			// Nothing to hold the next range to the same version: read
			// from the start again.
			n *= 2
			b, obj, err = s.get(ctx, key, "bytes=0-"+strconv.FormatInt(n-1, 10))
			continue
		}
		in := &s3.GetObjectInput{
			Bucket:  aws.String(s.loc.Bucket),
			Key:     aws.String(key),
			Range:   aws.String(fmt.Sprintf("bytes=%d-%d", n, 2*n-1)),
			IfMatch: aws.String(`"` + obj.ETag + `"`),
		}
		more, got, _, gerr := s.getObject(ctx, in)
		var ae smithy.APIError
		switch {
		case errors.As(gerr, &ae) && ae.ErrorCode() == "PreconditionFailed",
			gerr == nil && got.ETag != obj.ETag:
			return nil, obj, fmt.Errorf("read %s: %w", mailstore.ObjectName(s.loc.Bucket, key), errChangedMidRead)
		case gerr != nil:
			return nil, obj, gerr
		}
		b = append(b, more...)
		n *= 2
	}
	return b, obj, err
}

// Read implements mailstore.Store.
func (s *Store) Read(ctx context.Context, key string) ([]byte, mailstore.Object, error) {
	return s.get(ctx, key, "")
}

// readable refuses a key that a gateway cleaning paths would resolve to
// another object. Every read of a message (show, save, forward, reply, the
// index reading its header) comes through get or Open, so one check here
// covers the CLI and the TUI alike.
func (s *Store) readable(key string) error {
	if mailstore.HasDotSegment(key) {
		return fmt.Errorf("read %s: %w", mailstore.ObjectName(s.loc.Bucket, key), mailstore.ErrDotSegment)
	}
	return nil
}

func (s *Store) get(ctx context.Context, key, rng string) ([]byte, mailstore.Object, error) {
	if err := s.readable(key); err != nil {
		return nil, mailstore.Object{Key: key}, err
	}
	in := &s3.GetObjectInput{Bucket: aws.String(s.loc.Bucket), Key: aws.String(key)}
	if rng != "" {
		in.Range = aws.String(rng)
	}
	b, obj, md, err := s.getObject(ctx, in)
	var ae smithy.APIError
	if rng != "" && errors.As(err, &ae) && ae.ErrorCode() == "InvalidRange" {
		// S3 answers 416 to any range of an empty object.
		in.Range = nil
		b, obj, md, err = s.getObject(ctx, in)
	}
	if in.Range == nil && errors.Is(err, mailstore.ErrNotWhole) {
		// Read once more: a cut or a change on the way seldom strikes
		// twice; a second mismatch is the error.
		s.rereadNotWhole.Add(1)
		b, obj, md, err = s.getObject(ctx, in)
	}
	if err != nil || !clientSideEncrypted(md) {
		return b, obj, err
	}
	// The S3 encryption client's envelope: SES writes it when the receipt
	// rule names a KMS key, and the bytes are ciphertext.
	fail := func(err error) ([]byte, mailstore.Object, error) {
		return nil, obj, fmt.Errorf("read %s: %w: %w", mailstore.ObjectName(s.loc.Bucket, key), mailstore.ErrEncrypted, err)
	}
	if s.kms == nil {
		return fail(errors.New("no KMS client to decrypt it with"))
	}
	if int64(len(b)) < obj.Size {
		// GCM authenticates the whole ciphertext, so a prefix cannot be
		// opened: read the rest, and only the version already seen.
		in.Range, in.IfMatch = nil, aws.String(`"`+obj.ETag+`"`)
		if b, obj, md, err = s.getObject(ctx, in); err != nil {
			return nil, obj, err
		}
	}
	plain, err := s.decrypt(ctx, key, md, b)
	if err != nil {
		return fail(err)
	}
	obj.Size = int64(len(plain))
	return plain, obj, nil
}

// getObject sends one GET and reads the whole body. obj.Size is the stored
// object's size, also for a ranged read.
func (s *Store) getObject(ctx context.Context, in *s3.GetObjectInput) ([]byte, mailstore.Object, map[string]string, error) {
	key := aws.ToString(in.Key)
	obj := mailstore.Object{Key: key}
	out, err := s.sendGet(ctx, in)
	if err != nil {
		var nsk *types.NoSuchKey
		if errors.As(err, &nsk) {
			return nil, obj, nil, fmt.Errorf("read %s: %w", mailstore.ObjectName(s.loc.Bucket, key), mailstore.ErrNotFound)
		}
		var ae smithy.APIError
		if errors.As(err, &ae) && ae.ErrorCode() == "InvalidObjectState" {
			// In an archive storage class (a lifecycle rule moved it):
			// no retry reads it before it is restored.
			err = &mailstore.HintError{Err: err, Hint: "the object is archived (storage class Glacier Flexible Retrieval or Deep Archive) — restore it first" + restoreObject(s.loc.Bucket, key)}
		}
		// The hint (an endpoint down, a bucket that does not exist) first,
		// as for a listing.
		hinted := s.hint(err, "s3:GetObject")
		if errors.As(err, &ae) && rejected(ae.ErrorCode()) {
			hinted = everyRead{hinted}
		}
		return nil, obj, nil, fmt.Errorf("read %s: %w", mailstore.ObjectName(s.loc.Bucket, key), hinted)
	}
	obj.ETag = strings.Trim(aws.ToString(out.ETag), `"`)
	obj.LastModified = aws.ToTime(out.LastModified)
	obj.VersionID = aws.ToString(out.VersionId)
	obj.Size = aws.ToInt64(out.ContentLength)
	start, _, size := contentRange(aws.ToString(out.ContentRange))
	if size >= 0 {
		obj.Size = size
	}
	body := s.newResumingBody(ctx, in, out, start)
	defer body.Close()
	if from := rangeFrom(aws.ToString(in.Range)); from != start {
		if cr := aws.ToString(out.ContentRange); cr != "" || start > from {
			return nil, obj, nil, fmt.Errorf("read %s: asked for %s, got %q", mailstore.ObjectName(s.loc.Bucket, key), aws.ToString(in.Range), cr)
		}
		// The server ignored the range and sent the whole object: skip
		// the bytes before it.
		if _, err := io.CopyN(io.Discard, body, from); err != nil {
			return nil, obj, nil, s.hint(fmt.Errorf("read %s: %w", mailstore.ObjectName(s.loc.Bucket, key), err), "")
		}
	}
	var buf bytes.Buffer
	if out.ContentLength != nil && *out.ContentLength > 0 {
		// ReadFrom wants MinRead free bytes before each read, the last one
		// (that sees EOF) too: without them it doubles the buffer at the end.
		buf.Grow(int(*out.ContentLength) + bytes.MinRead)
	}
	// Read to the end, not to the announced length: the SDK checks the
	// body's checksum when it reaches the end.
	if _, err := io.Copy(&buf, body); err != nil {
		if !errors.Is(err, errBodyBroken) && !errors.Is(err, mailstore.ErrNotWhole) { // which name the object themselves
			err = fmt.Errorf("read %s: %w", mailstore.ObjectName(s.loc.Bucket, key), err)
		}
		return nil, obj, nil, s.hint(err, "")
	}
	return buf.Bytes(), obj, out.Metadata, nil
}

// restoreObject is ": " and the command that restores an archived object
// for a week, every value quoted for a POSIX shell; "" for a key a
// terminal would act on, which the command cannot show as it is.
func restoreObject(bucket, key string) string {
	if sanitize.Line(bucket) != bucket || sanitize.Line(key) != key {
		return " (aws s3api restore-object)"
	}
	return ": aws s3api restore-object --bucket " + shellescape.Quote(bucket) + " --key " + shellescape.Quote(key) + " --restore-request Days=7"
}

// rangeFrom is the first byte a Range header "bytes=first-..." asks for;
// 0 for none.
func rangeFrom(rng string) int64 {
	spec, _, _ := strings.Cut(strings.TrimPrefix(rng, "bytes="), "-")
	n, _ := strconv.ParseInt(spec, 10, 64)
	return n
}

// contentRange reads a Content-Range header, "bytes first-last/size": the
// first byte (0 when there is none), the last (-1 when there is none) and
// the object's size (-1 when it is unknown, "*", or there is no header).
func contentRange(cr string) (first, last, size int64) {
	spec := strings.TrimPrefix(cr, "bytes ")
	last, size = -1, -1
	if i := strings.IndexByte(spec, '-'); i > 0 {
		first, _ = strconv.ParseInt(spec[:i], 10, 64)
		if j := strings.IndexByte(spec, '/'); j > i {
			if n, err := strconv.ParseInt(spec[i+1:j], 10, 64); err == nil {
				last = n
			}
		}
	}
	if i := strings.LastIndexByte(spec, '/'); i >= 0 {
		if n, err := strconv.ParseInt(spec[i+1:], 10, 64); err == nil {
			size = n
		}
	}
	return first, last, size
}

// Explain wraps well-known S3 errors with what the user can do about them,
// keeping the original error in the chain. perm is the IAM permission the
// failed call needs. Credentials S3 rejected are the hint's (hintFor),
// which says where they came from.
func Explain(err error, perm string) error {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return err
	}
	switch ae.ErrorCode() {
	case "AccessDenied", "AccessDeniedException", "Forbidden":
		return fmt.Errorf("%w (access denied: the credentials need %s)", err, perm)
	case "InvalidCiphertextException":
		return fmt.Errorf("%w (KMS rejected the wrapped key or its encryption context: the object's metadata was altered)", err)
	case "DisabledException", "KMSInvalidStateException":
		return fmt.Errorf("%w (the KMS key is disabled or pending deletion)", err)
	}
	return err
}
