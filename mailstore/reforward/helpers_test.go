package reforward

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/smithy-go"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/actionlog"
	"github.com/sesbox/sesbox/mailstore/forward"
)

// memSource is an in-memory Source that counts reads.
type memSource struct {
	mu      sync.Mutex
	loc     mailstore.Location
	objs    map[string][]byte
	etags   map[string]string // set from the content at put; tests change it
	reads   map[string]int
	headers int
}

func newMemSource() *memSource {
	return &memSource{loc: mailstore.Location{Bucket: "mail", Prefix: "inbox/"},
		objs: map[string][]byte{}, etags: map[string]string{}, reads: map[string]int{}}
}

func (s *memSource) put(id string, raw []byte) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := s.loc.Prefix + id
	s.objs[key] = raw
	if _, ok := s.etags[key]; !ok {
		sum := md5.Sum(raw)
		s.etags[key] = hex.EncodeToString(sum[:])
	}
	return key
}

func (s *memSource) Location() mailstore.Location { return s.loc }

func (s *memSource) Resolve(_ context.Context, k string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.objs[k]; ok {
		return k, nil
	}
	return s.loc.Prefix + k, nil
}

func (s *memSource) object(key string) ([]byte, mailstore.Object, error) {
	raw, ok := s.objs[key]
	if !ok {
		return nil, mailstore.Object{Key: key}, fmt.Errorf("read s3://mail/%s: %w", key, mailstore.ErrNotFound)
	}
	return raw, mailstore.Object{Key: key, ETag: `"` + s.etags[key] + `"`, Size: int64(len(raw))}, nil
}

func (s *memSource) ReadHeader(_ context.Context, key string) ([]byte, mailstore.Object, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.headers++
	raw, obj, err := s.object(key)
	if err != nil {
		return nil, obj, err
	}
	if i := strings.Index(string(raw), "\r\n\r\n"); i >= 0 {
		raw = raw[:i+4]
	} else if i := strings.Index(string(raw), "\n\n"); i >= 0 {
		raw = raw[:i+2]
	}
	return raw, obj, nil
}

func (s *memSource) Read(_ context.Context, key string) ([]byte, mailstore.Object, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads[key]++
	return s.object(key)
}

// sent is one SendRaw call that reached the fake SES.
type sent struct {
	dests []string
	raw   []byte
	at    time.Time
}

// httpErr is an SES error answer: an API error with its HTTP status, the
// shape the SDK gives (smithy.APIError plus HTTPStatusCode).
type httpErr struct {
	status int
	code   string
}

func (e *httpErr) Error() string                 { return fmt.Sprintf("api error %s (HTTP %d)", e.code, e.status) }
func (e *httpErr) ErrorCode() string             { return e.code }
func (e *httpErr) ErrorMessage() string          { return e.code }
func (e *httpErr) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }
func (e *httpErr) HTTPStatusCode() int           { return e.status }

var _ smithy.APIError = (*httpErr)(nil)

// fakeSES is a mailstore.Sender. fault, when set, decides each call (by
// its 1-based number) before it is delivered: an error refuses it, and
// deliverThenErr delivers it and then fails as a cut connection would.
type fakeSES struct {
	mu    sync.Mutex
	clock Clock
	quota mailstore.Quota
	calls int
	sends []sent
	fault func(call int, dests []string) (err error, deliverThenErr bool)
}

func (f *fakeSES) SendRaw(ctx context.Context, dests []string, raw []byte) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.fault != nil {
		if err, deliver := f.fault(f.calls, dests); err != nil {
			if deliver {
				f.record(dests, raw)
			}
			return "", err
		}
	}
	f.record(dests, raw)
	return fmt.Sprintf("ses-%04d", len(f.sends)), nil
}

func (f *fakeSES) record(dests []string, raw []byte) {
	s := sent{dests: append([]string(nil), dests...), raw: append([]byte(nil), raw...)}
	if f.clock != nil {
		s.at = f.clock.Now()
	}
	f.sends = append(f.sends, s)
}

func (f *fakeSES) Quota(context.Context) (mailstore.Quota, error) { return f.quota, nil }

// perKey counts deliveries by the Subject line of the raw bytes (the
// generated messages have one subject each).
func (f *fakeSES) perSubject() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]int{}
	for _, s := range f.sends {
		out[subjectOf(s.raw)]++
	}
	return out
}

func subjectOf(raw []byte) string {
	for _, l := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(l, "Subject: "); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// fakeClock advances only when slept on.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	slept time.Duration
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if d > 0 {
		c.now = c.now.Add(d)
		c.slept += d
	}
	return nil
}

// memLog is an ActionLog.
type memLog struct {
	mu      sync.Mutex
	actions []actionlog.Action
	err     error
}

func (l *memLog) Append(a actionlog.Action) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return l.err
	}
	l.actions = append(l.actions, a)
	return nil
}

// message builds an SES-stored message (CRLF) for the envelope recipient
// rcpt, with a subject of its own.
func message(subject, rcpt, spam string) []byte {
	h := []string{
		"Return-Path: <alice@sender.example>",
		"Received: from mail.sender.example (mail.sender.example [203.0.113.5])",
		" by inbound-smtp.us-east-1.amazonaws.com with SMTP id x",
		" for " + rcpt + ";",
		" Fri, 14 Mar 2025 10:00:00 +0000 (UTC)",
		"X-SES-Spam-Verdict: " + spam,
		"X-SES-Virus-Verdict: PASS",
		"DKIM-Signature: v=1; a=rsa-sha256; d=sender.example; s=s1;",
		"\tb=AAAA",
		"From: Alice <alice@sender.example>",
		"To: " + rcpt,
		"Subject: " + subject,
		"Message-ID: <" + strings.ReplaceAll(subject, " ", ".") + "@sender.example>",
		"Date: Fri, 14 Mar 2025 10:00:00 +0000",
		"MIME-Version: 1.0",
		"Content-Type: text/plain; charset=utf-8",
		"",
		"Hello, this is " + subject + ".",
		"",
	}
	return []byte(strings.Join(h, "\r\n"))
}

var testConfig = forward.Config{
	FromEmail: "forwarder@acme.example",
	ForwardMapping: map[string][]string{
		"info@acme.example":  {"ops@team.example", "lead@team.example"},
		"sales@acme.example": {"sales@team.example"},
	},
}

// env is a Runner over a memSource and fakeSES with a fake clock.
type env struct {
	src   *memSource
	ses   *fakeSES
	clock *fakeClock
	log   *memLog
	r     *Runner
	dir   string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	c := newFakeClock()
	e := &env{
		src:   newMemSource(),
		ses:   &fakeSES{clock: c, quota: mailstore.Quota{MaxSendRate: 14, Max24HourSend: 50000}},
		clock: c,
		log:   &memLog{},
		dir:   t.TempDir(),
	}
	e.r = e.runner()
	return e
}

// runner is a fresh Runner on the same state, as a new process would build.
func (e *env) runner() *Runner {
	return &Runner{Source: e.src, Sender: e.ses, JournalPath: filepath.Join(e.dir, "state", "forward-journal.jsonl"),
		Log: e.log, Clock: e.clock}
}

// run plans and runs inputs with opts, and returns the results in order.
func (e *env) run(t *testing.T, inputs []string, opts Options) ([]Result, Totals, error) {
	t.Helper()
	r := e.runner()
	p, err := r.Plan(context.Background(), inputs, opts)
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	var results []Result
	tot, err := r.Run(context.Background(), p, func(res Result) { results = append(results, res) }, nil)
	if len(results) != len(p.Items) {
		t.Fatalf("%d results for %d items", len(results), len(p.Items))
	}
	return results, tot, err
}
