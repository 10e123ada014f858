package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/sesbox/sesbox/mailstore/s3store"
	"github.com/sesbox/sesbox/mailstore/sanitize"
)

// s3RetryBackoffScale scales the read retry back-off; tests set it to run
// the production retry policy in milliseconds instead of seconds.
var s3RetryBackoffScale = 1.0

// retryPolicy is the policy every S3 store of this invocation reads with.
func retryPolicy() s3store.RetryPolicy {
	p := s3store.DefaultRetryPolicy()
	p.TimeScale = s3RetryBackoffScale
	return p
}

// debugLog writes one line per AWS request attempt (--debug): time,
// service, operation, attempt, method and URL, status, duration, request
// headers with every credential redacted, and the error. It is an SDK
// middleware rather than the SDK's ClientLogMode wire log, which prints
// the Authorization header and session token as they are.
type debugLog struct {
	mu sync.Mutex
	w  io.Writer
}

func (d *debugLog) setOutput(w io.Writer) {
	d.mu.Lock()
	d.w = w
	d.mu.Unlock()
}

// apiOption adds the logger to a client's stack. It goes last in the
// finalize step, after the retry loop and signing: it sees every attempt
// and the headers as they are sent.
func (d *debugLog) apiOption(stack *middleware.Stack) error {
	return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("sesboxDebugLog", d.handle), middleware.After)
}

func (d *debugLog) handle(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
	start := time.Now()
	out, md, err := next.HandleFinalize(ctx, in)
	elapsed := time.Since(start)
	req, ok := in.Request.(*smithyhttp.Request)
	if !ok {
		return out, md, err
	}
	status := "-"
	if resp, ok := awsmiddleware.GetRawResponse(md).(*smithyhttp.Response); ok {
		status = fmt.Sprint(resp.StatusCode)
	} else {
		var re interface{ HTTPStatusCode() int }
		if errors.As(err, &re) {
			status = fmt.Sprint(re.HTTPStatusCode())
		}
	}
	attempt := strings.TrimPrefix(strings.SplitN(req.Header.Get("Amz-Sdk-Request"), ";", 2)[0], "attempt=")
	if attempt == "" {
		attempt = "1"
	}
	line := fmt.Sprintf("sesbox debug: %s %s %s attempt %s: %s %s -> %s in %s %s",
		start.UTC().Format("2006-01-02T15:04:05.000Z"), awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx),
		attempt, req.Method, redactURL(req.URL), status, elapsed.Round(time.Millisecond), redactHeaders(req.Header))
	if err != nil {
		code := ""
		var ae smithy.APIError
		if errors.As(err, &ae) {
			code = ae.ErrorCode() + ": "
		}
		line += " error: " + code + err.Error()
	}
	d.mu.Lock()
	if d.w != nil {
		fmt.Fprintln(d.w, sanitize.Line(line))
	}
	d.mu.Unlock()
	return out, md, err
}

// secretName reports whether a header or query parameter may carry a
// credential or something derived from one.
func secretName(name string) bool {
	n := strings.ToLower(name)
	for _, s := range []string{"authorization", "token", "secret", "credential", "signature", "customer-key", "password", "cookie", "session"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

const redacted = "[redacted]"

func redactHeaders(h map[string][]string) string {
	names := make([]string, 0, len(h))
	for n := range h {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("{")
	for i, n := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		v := strings.Join(h[n], ",")
		if secretName(n) {
			v = redacted
		}
		fmt.Fprintf(&b, "%s: %s", n, v)
	}
	b.WriteString("}")
	return b.String()
}

func redactURL(u *url.URL) string {
	c := *u
	c.User = nil
	q := c.Query()
	changed := false
	for n := range q {
		if secretName(n) {
			q[n] = []string{redacted}
			changed = true
		}
	}
	if changed {
		c.RawQuery = q.Encode()
	}
	return c.String()
}

// debugAPIOptions are the middleware options every AWS client gets: the
// debug log when --debug is on, and always, inside it (added after it, so
// nearer the wire), the removal of the credentials a server's error
// echoes.
func (a *app) debugAPIOptions() []func(*middleware.Stack) error {
	if a.debug == nil {
		return []func(*middleware.Stack) error{redactEchoesOption}
	}
	return []func(*middleware.Stack) error{a.debug.apiOption, redactEchoesOption}
}

func redactEchoesOption(stack *middleware.Stack) error {
	return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("sesboxRedactEchoes", redactEchoes), middleware.After)
}

// redactEchoes removes from an attempt's error every credential value the
// request carried (the session token, the Authorization header and its
// signature, any header or query parameter secretName names): a server
// or a proxy may quote the request in its error message ("Canonical
// request: ... X-Amz-Security-Token: ..."), and the SDK's error, which
// sesbox prints, logs and records, holds that message. The error keeps
// its chain (errors.As finds the SDK's types), only its text changes.
func redactEchoes(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
	out, md, err := next.HandleFinalize(ctx, in)
	req, ok := in.Request.(*smithyhttp.Request)
	if err == nil || !ok {
		return out, md, err
	}
	msg := err.Error()
	redactedMsg := msg
	for _, v := range sentSecrets(req) {
		redactedMsg = strings.ReplaceAll(redactedMsg, v, redacted)
	}
	if redactedMsg != msg {
		err = &redactedError{msg: redactedMsg, err: err}
	}
	return out, md, err
}

// sentSecrets are the credential values a request carried, longest first
// (an Authorization header before the signature inside it). Values under
// 8 bytes are left out: replacing them could garble any text.
func sentSecrets(req *smithyhttp.Request) []string {
	var vs []string
	add := func(v string) {
		if len(v) >= 8 {
			// As sent, and percent-encoded as a server quoting a URL
			// writes it (a session token's +, / and =).
			vs = append(vs, v)
			if e := url.QueryEscape(v); e != v {
				vs = append(vs, e)
			}
		}
	}
	for n, hv := range req.Header {
		if !secretName(n) {
			continue
		}
		for _, v := range hv {
			add(v)
			for _, part := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
				if _, sig, ok := strings.Cut(part, "Signature="); ok {
					add(sig)
				}
			}
		}
	}
	for n, qv := range req.URL.Query() {
		if secretName(n) {
			for _, v := range qv {
				add(v)
			}
		}
	}
	if pw, ok := req.URL.User.Password(); ok {
		add(pw)
	}
	sort.Slice(vs, func(i, j int) bool { return len(vs[i]) > len(vs[j]) })
	return vs
}

// redactedError is an SDK error whose text had credentials taken out.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// withDebug adds the debug log to a configuration.
func (a *app) withDebug(cfg aws.Config) aws.Config {
	cfg.APIOptions = append(cfg.APIOptions, a.debugAPIOptions()...)
	return cfg
}
