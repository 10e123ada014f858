package s3store

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/sesbox/sesbox/mailstore"
)

// RetryPolicy bounds how the store retries. Every S3 call the store makes
// is a read (GET, HEAD, List), so each may be sent again: the SDK's
// retryer resends a request that failed (503 SlowDown, 500, a reset or a
// body cut short while the SDK decoded it), and the store re-issues a GET
// whose body broke while sesbox read it, as a ranged GET from the byte it
// reached. SES sends are another matter and never go through this policy.
type RetryPolicy struct {
	// MaxAttempts bounds the attempts of one request (the SDK's
	// retryer), and separately the GETs one object's body may take.
	MaxAttempts int
	// MaxBackoff caps the jittered exponential back-off between attempts.
	MaxBackoff time.Duration
	// Backoff replaces the SDK's back-off; nil:
	// retry.NewExponentialJitterBackoff(MaxBackoff).
	Backoff retry.BackoffDelayer
	// TimeScale multiplies every back-off delay; 0 means 1. Tests run the
	// production curve (jitter and cap included) at a thousandth of it.
	TimeScale float64
}

// DefaultRetryPolicy is what sesbox runs with: up to 10 attempts per
// request with full-jitter exponential back-off (a random delay in
// [0, 2^attempt s), at most 8 s), so one request gives up after at most
// about a minute of back-off; at 40% failed attempts the chance that all 10
// fail is 1 in 10,000.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxAttempts: 10, MaxBackoff: 8 * time.Second}
}

func (p RetryPolicy) attempts() int { return max(1, p.MaxAttempts) }

func (p RetryPolicy) backoff() retry.BackoffDelayer {
	b := p.Backoff
	if b == nil {
		b = retry.NewExponentialJitterBackoff(max(p.MaxBackoff, time.Second))
	}
	if p.TimeScale == 0 || p.TimeScale == 1 {
		return b
	}
	return retry.BackoffDelayerFunc(func(attempt int, err error) (time.Duration, error) {
		d, err := b.BackoffDelay(attempt, err)
		return time.Duration(float64(d) * p.TimeScale), err
	})
}

// Retryer is the SDK retryer for the S3 client the store reads with.
//
// Standard mode, not adaptive: adaptive mode adds a client-side send rate
// that a run of SlowDowns lowers towards half a request per second, in wall
// time, for every request of the process; at 40% SlowDowns that turns a
// listing of a few hundred requests into minutes. The per-request jittered
// back-off already spreads retries out, and the store's parallelism is
// bounded. The retry quota is off (ratelimit.None) for the same reason: at
// 40% failures the default 500-token bucket runs dry after a few hundred
// requests and then fails requests that one more attempt would have read;
// each request is still bounded by MaxAttempts.
//
// onThrottle, when not nil, is told of every throttle answer (503
// SlowDown) an attempt gets, before the retryer backs off: the store's
// concurrency limit (aimd) halves on it.
//
// A refused connection is tried twice only (see FailFastRefused) unless
// answered, when not nil, says the endpoint answered a request lately:
// then it is a server restarting (versitygw or MinIO restarted
// mid-index), retried as a reset is. Tried twice, a restart of a few seconds failed
// every header read it met (90 of 4,000 against versitygw killed and
// started again 3 s later), each "connection refused — check --endpoint".
func (p RetryPolicy) Retryer(onThrottle func(), answered func() bool) aws.Retryer {
	return failFastRefused{answered: answered, RetryerV2: retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = p.attempts()
		o.MaxBackoff = max(p.MaxBackoff, time.Second)
		o.Backoff = p.backoff()
		o.RateLimiter = ratelimit.None
		o.Retryables = append(o.Retryables, retry.IsErrorRetryableFunc(retryableRead))
		if onThrottle != nil {
			// First in the list, so it sees every failed attempt; it
			// decides nothing (Unknown), the checks after it do.
			throttles := retry.IsErrorThrottles(retry.DefaultThrottles)
			o.Retryables = append([]retry.IsErrorRetryable{retry.IsErrorRetryableFunc(func(err error) aws.Ternary {
				if throttles.IsErrorThrottle(err) == aws.TrueTernary {
					onThrottle()
				}
				return aws.UnknownTernary
			})}, o.Retryables...)
		}
	})}
}

// RefusedAttempts is how many times a request whose connection is refused
// is sent: nothing listens at the endpoint (a wrong --endpoint, a local
// server not started), which a second attempt a moment later confirms and
// eight more seconds apart do not change. Resets, timeouts, throttling and
// 5xx answers are still retried up to the retryer's own bound.
const RefusedAttempts = 2

// FailFastRefused wraps an SDK retryer so that a request whose connection
// was refused (ECONNREFUSED) gives up after RefusedAttempts attempts. The
// error it gives up with is the SDK's MaxAttemptsError around the refusal,
// so the hint (mailstore.ReachHint) still finds it. Every AWS client sesbox
// builds uses it: ls against a closed port took 50 s, export 1m49.
func FailFastRefused(r aws.RetryerV2) aws.RetryerV2 { return failFastRefused{RetryerV2: r} }

type failFastRefused struct {
	aws.RetryerV2
	// answered, when not nil, says whether the endpoint has answered
	// before: refusals are then retried in full.
	answered func() bool
}

func (r failFastRefused) RetryDelay(attempt int, err error) (time.Duration, error) {
	if attempt >= RefusedAttempts && errors.Is(err, syscall.ECONNREFUSED) && (r.answered == nil || !r.answered()) {
		return 0, &retry.MaxAttemptsError{Attempt: attempt, Err: err}
	}
	return r.RetryerV2.RetryDelay(attempt, err)
}

// readOpts is the per-call option every read of the store is sent with:
// the policy's retryer for that call only, so a client shared with code
// that writes (the sent copy's PutObject) keeps its own retry behaviour.
// Every attempt also waits for a slot under the store's concurrency
// limit (see aimd). Endpoints come from the store's cache of the client's
// resolver (see endpointCache).
//
// The SDK's own check of an answer's checksum is asked for only where a
// GET asks for it (sendGet, for a whole object, whose bytes wholeCheck
// checks): by default the SDK asks every GET for the object's checksum,
// and a server sends it for a range that covers the whole object (most
// messages are within the index's first 16 KiB range), which the SDK then
// computed, CRC-64/NVME rebuilding its 16 KiB table at every write of 2
// KiB or more: 3% of a cold index's CPU, for ranges sesbox does not check
// (their Content-Range tells a cut; see wholeCheck).
func (s *Store) readOpts(o *s3.Options) {
	o.Retryer = s.retryer
	o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	if s.endpoints != nil {
		o.EndpointResolverV2 = s.endpoints
	}
	o.APIOptions = append(slices.Clip(o.APIOptions), s.gate.addToStack)
}

// retryableRead adds to the SDK's checks the failures of a read whose
// answer was cut short: the SDK retries a reset, but a body that simply
// ends before its Content-Length (io.ErrUnexpectedEOF inside the XML
// decoder), a connection closed before any answer (io.EOF), or an XML
// answer that ends mid-document under a Content-Length that agrees with
// the cut (encoding/xml's "unexpected EOF", no io error in the chain:
// a listing page cut so failed the whole snapshot, verify or ls) is,
// for a read, just as safe to send again.
func retryableRead(err error) aws.Ternary {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return aws.UnknownTernary
	}
	var se *xml.SyntaxError
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || (errors.As(err, &se) && se.Msg == "unexpected EOF") {
		return aws.TrueTernary
	}
	return aws.UnknownTernary
}

// errBodyBroken is kept in the chain of a body that could not be read
// whole within the policy. The error that holds it names the object.
var errBodyBroken = errors.New("body broken")

// resumingBody reads the body of one GET and, when the connection breaks
// or the body ends short of its length, re-issues the GET as a ranged GET
// from the byte reached, for the same object version (If-Match on its
// ETag, and its version id when one was asked for). It ends with io.EOF
// only once exactly the announced bytes have been read.
type resumingBody struct {
	ctx    context.Context
	s      *Store
	in     s3.GetObjectInput // the original request
	etag   string            // quoted, as S3 sends it
	body   io.ReadCloser
	off    int64       // absolute offset of the next byte
	end    int64       // absolute offset after the last byte; -1: unknown
	gets   int         // GETs made for this body, the first included
	resume int         // re-issued GETs
	check  *wholeCheck // nil: a ranged read, or nothing to check against
}

// newResumingBody wraps out, the answer to in, whose body starts at
// absolute offset start.
func (s *Store) newResumingBody(ctx context.Context, in *s3.GetObjectInput, out *s3.GetObjectOutput, start int64) *resumingBody {
	r := &resumingBody{ctx: ctx, s: s, in: *in, etag: aws.ToString(out.ETag), body: out.Body, off: start, end: -1, gets: 1}
	if in.Range == nil {
		r.check = newWholeCheck(out)
	}
	if _, last, _ := contentRange(aws.ToString(out.ContentRange)); last >= start {
		// The range S3 announced, not the Content-Length: a body cut short
		// under a length that agrees with the cut is still short of it
		// (and the header reads took such a prefix for the whole object).
		r.end = last + 1
	} else if out.ContentLength != nil {
		r.end = start + *out.ContentLength
	}
	return r
}

func (r *resumingBody) Read(p []byte) (int, error) {
	for {
		if r.body == nil {
			if err := r.reopen(); err != nil {
				return 0, err
			}
		}
		n, err := r.body.Read(p)
		r.off += int64(n)
		if r.check != nil {
			r.check.write(p[:n])
		}
		switch {
		case err == nil:
			return n, nil
		case r.off == r.end, errors.Is(err, io.EOF) && r.end < 0:
			// Every announced byte is in, whatever came after them on the
			// connection. The SDK's verdict on them is another matter: it
			// checks the object's checksum at the end of the body (of
			// a ranged read) and fails that read when the bytes do not
			// match.
			var ne net.Error
			if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.As(err, &ne) {
				return n, fmt.Errorf("read %s: %w", r.what(), err)
			}
			if r.check != nil {
				if err := r.check.verify(r.off); err != nil {
					return n, &mailstore.HintError{
						Hint: fmt.Sprintf("%s was read with bytes that do not match the object — something between sesbox and S3 (a proxy, --endpoint) cut or changed the answer; check it, then try again", r.what()),
						Err:  fmt.Errorf("%w: %w", mailstore.ErrNotWhole, err),
					}
				}
			}
			return n, io.EOF
		case r.end >= 0 && r.off > r.end:
			return n, fmt.Errorf("read %s: %d bytes, more than the %d announced: %w", r.what(), r.off, r.end, errBodyBroken)
		}
		if r.ctx.Err() != nil {
			return n, err
		}
		// The body broke (reset, cut short, or a clean EOF before the
		// announced length): drop it and go on with a ranged GET.
		r.body.Close()
		r.body = nil
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		if r.gets >= r.s.retry.attempts() {
			return n, &mailstore.HintError{
				Hint: fmt.Sprintf("%s could not be read whole: the connection broke during each of %d GETs — check the network (or --endpoint), then try again", r.what(), r.gets),
				// The hint names the object; the detail does not again.
				Err: fmt.Errorf("%w at byte %d of %d after %d GETs: %w", errBodyBroken, r.off, r.end, r.gets, err),
			}
		}
		if n > 0 {
			return n, nil
		}
	}
}

func (r *resumingBody) what() string {
	return mailstore.ObjectName(aws.ToString(r.in.Bucket), aws.ToString(r.in.Key))
}

func (r *resumingBody) reopen() error {
	d, err := r.s.retry.backoff().BackoffDelay(r.gets, io.ErrUnexpectedEOF)
	if err != nil {
		return err
	}
	t := time.NewTimer(d)
	select {
	case <-r.ctx.Done():
		t.Stop()
		return r.ctx.Err()
	case <-t.C:
	}
	in := r.in
	rng := fmt.Sprintf("bytes=%d-", r.off)
	if r.end >= 0 {
		rng = fmt.Sprintf("bytes=%d-%d", r.off, r.end-1)
	}
	in.Range = aws.String(rng)
	if r.etag != "" {
		// Never splice two versions of an object.
		in.IfMatch = aws.String(r.etag)
	}
	r.gets++
	r.resume++
	r.s.resumed.Add(1)
	opts := r.s.readOpts
	if r.check != nil {
		// The check is of the whole object, not of this range.
		opts = r.s.getOpts
	}
	out, err := r.s.api.GetObject(r.ctx, &in, opts)
	if err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) && ae.ErrorCode() == "PreconditionFailed" {
			return fmt.Errorf("read %s: the object changed while it was read: %w", r.what(), err)
		}
		return fmt.Errorf("read %s from byte %d: %w", r.what(), r.off, r.s.explain(err, aws.ToString(r.in.Bucket), "s3:GetObject"))
	}
	if et := aws.ToString(out.ETag); r.etag != "" && et != "" && et != r.etag {
		out.Body.Close()
		return fmt.Errorf("read %s: the object changed while it was read (ETag %s, was %s)", r.what(), et, r.etag)
	}
	start, _, _ := contentRange(aws.ToString(out.ContentRange))
	if start != r.off {
		if cr := aws.ToString(out.ContentRange); cr != "" || start > r.off {
			out.Body.Close()
			return fmt.Errorf("read %s: asked for %s, got %q", r.what(), rng, cr)
		}
		// The server ignored the range and sent the whole object: skip
		// what was read already.
		if _, err := io.CopyN(io.Discard, out.Body, r.off); err != nil {
			out.Body.Close()
			return fmt.Errorf("read %s: %w", r.what(), err)
		}
	}
	r.body = out.Body
	return nil
}

func (r *resumingBody) Close() error {
	if r.body == nil {
		return nil
	}
	return r.body.Close()
}
