// Package faultproxy is a reverse proxy for tests, put in front of a real
// S3 peer (versitygw, or gofakes3 in unit tests), that injects the faults
// a reader of S3 must survive: 503 SlowDown answers, connections reset in
// the middle of a body, bodies cut short of their Content-Length, and
// latency. It also counts the body bytes it served, so a test can assert
// how much of an object a command really read.
//
// Faults are chosen by a seeded hash of the request (method, URI, Range)
// and how many times that same request was seen, never by arrival order:
// a run with the same seed injects the same faults into the same requests
// however the client's goroutines interleave.
package faultproxy

import (
	"bufio"
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Config says which faults to inject and how often. Probabilities are per
// request; SlowDown, Reset, Truncate, Stall, KMSDenied, Archived,
// EchoHeaders, InternalError, ResetEarly, ShortLength, Expired and Denied are
// exclusive and their sum must not exceed 1.
type Config struct {
	Seed uint64
	// SlowDown answers 503 with S3's SlowDown XML error, without
	// forwarding the request.
	SlowDown float64
	// Reset forwards the request, sends the status line, the headers and
	// part of the body, then resets the connection (TCP RST).
	Reset float64
	// Truncate forwards the request, sends the headers (Content-Length of
	// the whole body) and fewer bytes than that, then closes the
	// connection cleanly (FIN).
	Truncate float64
	// Stall forwards the request, sends the headers and part of the
	// body, then sends nothing more until the client hangs up or StallFor
	// has passed (then it resets the connection): a connection that
	// stays open and goes silent, which no error ends.
	Stall    float64
	StallFor time.Duration
	// KMSDenied answers 403 AccessDenied with the message S3 gives a GET
	// of an SSE-KMS object whose key the credentials may not use,
	// without forwarding the request.
	KMSDenied float64
	// Archived answers 403 InvalidObjectState, as S3 answers a GET of an
	// object in the Glacier Flexible Retrieval or Deep Archive storage
	// class that has not been restored, without forwarding the request.
	Archived float64
	// EchoHeaders answers 403 SignatureDoesNotMatch whose message quotes
	// the request's headers as they arrived (the session token, the
	// Authorization header and its signature among them), as an
	// S3-compatible server or a proxy that says what it saw may, without
	// forwarding the request.
	EchoHeaders float64
	// InternalError answers 500 with S3's InternalError XML error,
	// without forwarding the request.
	InternalError float64
	// ResetEarly resets the connection (TCP RST) before a byte of the
	// answer is sent, without forwarding the request.
	ResetEarly float64
	// ShortLength forwards the request, then sends the headers with a
	// Content-Length that agrees with the part of the body it sends, and
	// that part only (FIN): an answer whole by HTTP's measure and short
	// of the object. A ranged answer keeps the peer's Content-Range,
	// which then announces more bytes than arrive.
	ShortLength float64
	// Expired answers 400 ExpiredToken, as S3 answers a request signed
	// with a session token that has expired (SSO or assumed-role
	// credentials running out mid-run), without forwarding the request.
	Expired float64
	// Denied answers 403 AccessDenied with S3's plain "Access Denied", as
	// S3 answers a call the credentials' policy does not allow (a GET
	// of credentials with s3:ListBucket and no s3:GetObject), without
	// forwarding the request.
	Denied float64
	// ServerClock, when not zero, is how far the server's clock is ahead
	// of this machine's (behind, when negative): a request signed more
	// than 15 minutes from the server's time (X-Amz-Date) is refused as
	// the service refuses it, without forwarding: S3's 403
	// RequestTimeTooSkewed, the JSON services' (a request with
	// X-Amz-Target: DynamoDB, SQS, CloudWatch Logs) 400 and SES v2's 403
	// InvalidSignatureException "Signature expired". The answer's Date is
	// the server's time, which the SDK corrects its clock by, unless
	// NoDate leaves the Date out. With a Date, the peer behind must not
	// check the time itself (dynalite, aws-ses-v2-local and fauxqs do
	// not; gofakes3 and versitygw refuse the corrected request).
	ServerClock time.Duration
	NoDate      bool
	// Latency delays a request by up to Delay (uniformly), with
	// probability Latency.
	Latency float64
	Delay   time.Duration
	// Hang holds every request Match accepts this long before it is
	// forwarded: a latency spike on one request, nothing answered
	// meanwhile. A client that hangs up first ends it, and the request
	// is never forwarded (counted in HungUp).
	Hang time.Duration
	// Match limits the faults to the requests it accepts; nil: all.
	Match func(*http.Request) bool
	// Before, when set, is called with each request as it arrives,
	// before anything is forwarded: a test changes what the peer holds
	// between two requests of one read.
	Before func(*http.Request)
	// Capacity, when positive, answers 503 SlowDown to every request
	// that arrives while Capacity others are in flight: a server with a
	// request rate it cannot exceed, which a client that keeps its
	// concurrency high meets again and again.
	Capacity int
	// Hold keeps each request that is let through in flight at least
	// this long (the server's service time), so that Capacity bites.
	Hold time.Duration
}

// Stats counts what the proxy did.
type Stats struct {
	Requests    int64 // requests received
	SlowDowns   int64 // 503 SlowDown answers sent
	Resets      int64 // bodies reset midway
	Truncations int64 // bodies cut short
	Stalls      int64 // bodies stalled midway
	// InternalErrors counts the 500 InternalError answers sent.
	InternalErrors int64
	// EarlyResets counts the connections reset before the answer.
	EarlyResets int64
	// ShortLengths counts the bodies cut short under a Content-Length
	// that agrees with them.
	ShortLengths int64
	// Skewed counts the requests refused for the time they were signed at.
	Skewed int64
	// HungUp counts the stalled bodies whose client gave up on them
	// (closed the connection) before StallFor passed.
	HungUp int64
	Delays int64 // requests delayed
	// Hangs counts the requests held by Hang.
	Hangs int64
	// MaxInFlight is the most requests the proxy held at once.
	MaxInFlight int64
	// BodyBytes is the number of response body bytes written to clients.
	BodyBytes int64
}

// Faults is the number of requests that failed on purpose: each is a retry
// the client had to make.
func (s Stats) Faults() int64 {
	return s.SlowDowns + s.Resets + s.Truncations + s.Stalls + s.InternalErrors + s.EarlyResets + s.ShortLengths
}

func (s Stats) String() string {
	return fmt.Sprintf("%d requests: %d SlowDown, %d InternalError, %d resets (%d before the answer), %d truncations (%d with a Content-Length to match), %d stalls (%d hung up), %d delayed; %d body bytes",
		s.Requests, s.SlowDowns, s.InternalErrors, s.Resets+s.EarlyResets, s.EarlyResets, s.Truncations+s.ShortLengths, s.ShortLengths, s.Stalls, s.HungUp, s.Delays, s.BodyBytes)
}

// Proxy is a running fault proxy.
type Proxy struct {
	URL string

	target *url.URL
	client *http.Client

	mu   sync.Mutex
	cfg  Config
	seen map[string]uint64

	requests, slowDowns, resets, truncations, stalls, hungUp, delays, bodyBytes atomic.Int64
	internalErrors, earlyResets, shortLengths, skewed, hangs                    atomic.Int64
	inFlight, maxInFlight                                                       atomic.Int64
}

// Start starts a proxy to target (the peer's URL) and stops it when t ends.
func Start(t testing.TB, target string, cfg Config) *Proxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{
		target: u,
		// Its own transport: a connection the proxy itself reuses must
		// never be one a test's fault closed.
		client: &http.Client{Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 64}},
		cfg:    cfg,
		seen:   map[string]uint64{},
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// SetConfig changes the faults from now on (the seen counts are kept).
func (p *Proxy) SetConfig(cfg Config) {
	p.mu.Lock()
	p.cfg = cfg
	p.mu.Unlock()
}

// Stats returns the counts so far.
func (p *Proxy) Stats() Stats {
	return Stats{
		Requests: p.requests.Load(), SlowDowns: p.slowDowns.Load(), Resets: p.resets.Load(),
		Truncations: p.truncations.Load(), Stalls: p.stalls.Load(), HungUp: p.hungUp.Load(), Delays: p.delays.Load(), BodyBytes: p.bodyBytes.Load(),
		MaxInFlight: p.maxInFlight.Load(), InternalErrors: p.internalErrors.Load(), EarlyResets: p.earlyResets.Load(),
		ShortLengths: p.shortLengths.Load(), Skewed: p.skewed.Load(), Hangs: p.hangs.Load(),
	}
}

// ResetStats sets the counts back to zero.
func (p *Proxy) ResetStats() {
	for _, c := range []*atomic.Int64{&p.requests, &p.slowDowns, &p.resets, &p.truncations, &p.stalls, &p.hungUp, &p.delays, &p.bodyBytes, &p.maxInFlight,
		&p.internalErrors, &p.earlyResets, &p.shortLengths, &p.skewed, &p.hangs} {
		c.Store(0)
	}
}

type fault int

const (
	pass fault = iota
	slowDown
	reset
	truncate
	stall
	kmsDenied
	archived
	echoHeaders
	internalError
	resetEarly
	shortLength
	expired
	denied
)

// draw returns two independent uniform numbers in [0, 1) for this request:
// one picks the fault, the other the latency and the cut point.
func (p *Proxy) draw(r *http.Request) (cfg Config, u1, u2 float64) {
	id := r.Method + " " + r.URL.RequestURI() + " " + r.Header.Get("Range")
	p.mu.Lock()
	n := p.seen[id]
	p.seen[id] = n + 1
	cfg = p.cfg
	p.mu.Unlock()
	// SHA-256, not FNV: requests differ only in a few trailing bytes (the
	// Range of a resumed read), and FNV's output barely moves with them.
	h := sha256.New()
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], cfg.Seed)
	binary.LittleEndian.PutUint64(b[8:], n)
	h.Write(b[:])
	h.Write([]byte(id))
	sum := h.Sum(nil)
	toUnit := func(x []byte) float64 { return float64(binary.LittleEndian.Uint64(x)>>11) / (1 << 53) }
	return cfg, toUnit(sum[:8]), toUnit(sum[8:])
}

// ServeHTTP implements http.Handler.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.requests.Add(1)
	n := p.inFlight.Add(1)
	defer p.inFlight.Add(-1)
	for m := p.maxInFlight.Load(); n > m && !p.maxInFlight.CompareAndSwap(m, n); m = p.maxInFlight.Load() {
	}
	cfg, u1, u2 := p.draw(r)
	if cfg.Before != nil {
		cfg.Before(r)
	}
	if cfg.ServerClock != 0 && p.skewAnswer(w, r, cfg) {
		return
	}
	f := pass
	if cfg.Capacity > 0 && n > int64(cfg.Capacity) {
		f = slowDown
	} else if cfg.Hold > 0 {
		time.Sleep(cfg.Hold)
	}
	if f == pass && (cfg.Match == nil || cfg.Match(r)) {
		switch {
		case u1 < cfg.SlowDown:
			f = slowDown
		case u1 < cfg.SlowDown+cfg.Reset:
			f = reset
		case u1 < cfg.SlowDown+cfg.Reset+cfg.Truncate:
			f = truncate
		case u1 < cfg.SlowDown+cfg.Reset+cfg.Truncate+cfg.Stall:
			f = stall
		case u1 < cfg.SlowDown+cfg.Reset+cfg.Truncate+cfg.Stall+cfg.KMSDenied:
			f = kmsDenied
		case u1 < cfg.SlowDown+cfg.Reset+cfg.Truncate+cfg.Stall+cfg.KMSDenied+cfg.Archived:
			f = archived
		case u1 < cfg.SlowDown+cfg.Reset+cfg.Truncate+cfg.Stall+cfg.KMSDenied+cfg.Archived+cfg.EchoHeaders:
			f = echoHeaders
		case u1 < cfg.SlowDown+cfg.Reset+cfg.Truncate+cfg.Stall+cfg.KMSDenied+cfg.Archived+cfg.EchoHeaders+cfg.InternalError:
			f = internalError
		case u1 < cfg.SlowDown+cfg.Reset+cfg.Truncate+cfg.Stall+cfg.KMSDenied+cfg.Archived+cfg.EchoHeaders+cfg.InternalError+cfg.ResetEarly:
			f = resetEarly
		case u1 < cfg.SlowDown+cfg.Reset+cfg.Truncate+cfg.Stall+cfg.KMSDenied+cfg.Archived+cfg.EchoHeaders+cfg.InternalError+cfg.ResetEarly+cfg.ShortLength:
			f = shortLength
		case u1 < cfg.SlowDown+cfg.Reset+cfg.Truncate+cfg.Stall+cfg.KMSDenied+cfg.Archived+cfg.EchoHeaders+cfg.InternalError+cfg.ResetEarly+cfg.ShortLength+cfg.Expired:
			f = expired
		case u1 < cfg.SlowDown+cfg.Reset+cfg.Truncate+cfg.Stall+cfg.KMSDenied+cfg.Archived+cfg.EchoHeaders+cfg.InternalError+cfg.ResetEarly+cfg.ShortLength+cfg.Expired+cfg.Denied:
			f = denied
		}
		if cfg.Hang > 0 {
			p.hangs.Add(1)
			t := time.NewTimer(cfg.Hang)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				p.hungUp.Add(1)
				return
			}
		}
		if cfg.Latency > 0 && cfg.Delay > 0 && u2 < cfg.Latency {
			p.delays.Add(1)
			// u2/Latency is uniform in [0, 1) given that u2 < Latency.
			time.Sleep(time.Duration(u2 / cfg.Latency * float64(cfg.Delay)))
		}
	}
	switch f {
	case slowDown:
		p.slowDowns.Add(1)
		// What S3 sends when a prefix is over its request rate.
		p.errorAnswer(w, r, http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate.")
		return
	case kmsDenied:
		// What S3 sends for an SSE-KMS object without kms:Decrypt.
		p.errorAnswer(w, r, http.StatusForbidden, "AccessDenied",
			"The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access.")
		return
	case archived:
		p.errorAnswer(w, r, http.StatusForbidden, "InvalidObjectState", "The operation is not valid for the object's storage class")
		return
	case echoHeaders:
		var b strings.Builder
		b.WriteString("The request signature we calculated does not match the signature you provided. Request: " + r.Method + " " + r.URL.RequestURI())
		for name, vs := range r.Header {
			b.WriteString("\n" + name + ": " + strings.Join(vs, ","))
		}
		var msg bytes.Buffer
		xml.EscapeText(&msg, []byte(b.String()))
		p.errorAnswer(w, r, http.StatusForbidden, "SignatureDoesNotMatch", msg.String())
		return
	case internalError:
		p.internalErrors.Add(1)
		p.errorAnswer(w, r, http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
		return
	case resetEarly:
		p.earlyResets.Add(1)
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			if tc, ok := conn.(*net.TCPConn); ok {
				_ = tc.SetLinger(0)
			}
			conn.Close()
		}
		return
	case expired:
		p.errorAnswer(w, r, http.StatusBadRequest, "ExpiredToken", "The provided token has expired.")
		return
	case denied:
		p.errorAnswer(w, r, http.StatusForbidden, "AccessDenied", "Access Denied")
		return
	}
	resp, err := p.forward(r)
	if err != nil {
		http.Error(w, "faultproxy: "+err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	if f == pass || r.Method == http.MethodHead {
		p.copyResponse(w, resp)
		return
	}
	// A fault mid-body: the whole answer is read first so that the bytes
	// sent before the cut are exactly the peer's.
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		http.Error(w, "faultproxy: "+err.Error(), http.StatusBadGateway)
		return
	}
	if len(body) < 2 && (f == truncate || f == shortLength) {
		// Nothing to cut short: pass it on.
		resp.Body = io.NopCloser(bytes.NewReader(body))
		p.copyResponse(w, resp)
		return
	}
	cut := int(u2 * float64(len(body))) // in [0, len): always short
	size := len(body)
	if f == shortLength {
		size = cut
	}
	p.breakResponse(w, resp, size, body[:cut], f, cfg.StallFor)
}

func (p *Proxy) forward(r *http.Request) (*http.Response, error) {
	u := *p.target
	u.Path = r.URL.Path
	u.RawPath = r.URL.RawPath
	u.RawQuery = r.URL.RawQuery
	req, err := http.NewRequestWithContext(r.Context(), r.Method, u.String(), r.Body)
	if err != nil {
		return nil, err
	}
	req.Header = r.Header.Clone()
	// The signature covers the Host header the client used.
	req.Host = r.Host
	req.ContentLength = r.ContentLength
	if r.ContentLength == 0 {
		req.Body = nil
	}
	return p.client.Do(req)
}

func (p *Proxy) copyResponse(w http.ResponseWriter, resp *http.Response) {
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(countedWriter{w, &p.bodyBytes}, resp.Body)
}

// countedWriter counts the bytes it is given before writing them, so a
// client that has read a body finds every byte of it in Stats.
type countedWriter struct {
	w io.Writer
	n *atomic.Int64
}

func (c countedWriter) Write(b []byte) (int, error) {
	c.n.Add(int64(len(b)))
	n, err := c.w.Write(b)
	c.n.Add(int64(n - len(b))) // what did not go out
	return n, err
}

// breakResponse writes the answer's status line and headers (with the full
// Content-Length, or that of the part for shortLength) and part of its
// body straight onto the connection, then resets it (reset, and a stall
// once stallFor has passed without the client hanging up) or closes it
// (truncate, shortLength).
func (p *Proxy) breakResponse(w http.ResponseWriter, resp *http.Response, size int, part []byte, f fault, stallFor time.Duration) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, "faultproxy: cannot hijack: "+err.Error(), http.StatusInternalServerError)
		return
	}
	defer conn.Close()
	switch f {
	case reset:
		p.resets.Add(1)
	case stall:
		p.stalls.Add(1)
	case shortLength:
		p.shortLengths.Add(1)
	default:
		p.truncations.Add(1)
	}
	bw := bufio.NewWriter(conn)
	fmt.Fprintf(bw, "HTTP/1.1 %d %s\r\n", resp.StatusCode, http.StatusText(resp.StatusCode))
	resp.Header.Del("Transfer-Encoding")
	resp.Header.Set("Content-Length", fmt.Sprint(size))
	var hb strings.Builder
	resp.Header.Write(&hb)
	bw.WriteString(hb.String())
	bw.WriteString("\r\n")
	bw.Write(part)
	if err := bw.Flush(); err == nil {
		p.bodyBytes.Add(int64(len(part)))
	}
	rst := f == reset
	if f == stall {
		// The client sends nothing more on this connection: a read
		// ends when it hangs up, or at the deadline.
		_ = conn.SetReadDeadline(time.Now().Add(stallFor))
		_, err := conn.Read(make([]byte, 1))
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			rst = true
		} else {
			p.hungUp.Add(1)
		}
	}
	if tc, ok := conn.(*net.TCPConn); ok && rst {
		// Linger 0: Close sends RST instead of FIN.
		_ = tc.SetLinger(0)
	}
}

// errorAnswer writes S3's XML error answer, or to a request of a JSON
// protocol (X-Amz-Target: SQS, DynamoDB, CloudWatch Logs) the JSON one.
func (p *Proxy) errorAnswer(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	if r.Header.Get("X-Amz-Target") != "" {
		body, _ := json.Marshal(map[string]string{"__type": code, "message": message})
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("X-Amzn-ErrorType", code)
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		w.WriteHeader(status)
		n, _ := w.Write(body)
		p.bodyBytes.Add(int64(n))
		return
	}
	body := `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<Error><Code>` + code + `</Code><Message>` + message + `</Message>` +
		`<RequestId>FAULTPROXY</RequestId><HostId>faultproxy</HostId></Error>`
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(status)
	n, _ := io.WriteString(w, body)
	p.bodyBytes.Add(int64(n))
}

// skewAnswer refuses r, as the service would, when it was signed more
// than 15 minutes from the server's time (now + cfg.ServerClock), and
// reports whether it did.
func (p *Proxy) skewAnswer(w http.ResponseWriter, r *http.Request, cfg Config) bool {
	const amzDate = "20060102T150405Z"
	server := time.Now().Add(cfg.ServerClock).UTC()
	signed, err := time.Parse(amzDate, cmp.Or(r.Header.Get("X-Amz-Date"), r.URL.Query().Get("X-Amz-Date")))
	if err != nil || (signed.Sub(server) <= 15*time.Minute && server.Sub(signed) <= 15*time.Minute) {
		return false
	}
	p.skewed.Add(1)
	if cfg.NoDate {
		w.Header()["Date"] = nil // net/http adds one otherwise
	} else {
		w.Header().Set("Date", server.Format(http.TimeFormat))
	}
	msg := fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - 15 min.)",
		signed.Format(amzDate), server.Add(-15*time.Minute).Format(amzDate), server.Format(amzDate))
	if signed.After(server) {
		msg = fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + 15 min.)",
			signed.Format(amzDate), server.Add(15*time.Minute).Format(amzDate), server.Format(amzDate))
	}
	body, _ := json.Marshal(map[string]string{"__type": "com.amazon.coral.service#InvalidSignatureException", "message": msg})
	switch {
	case r.Header.Get("X-Amz-Target") != "":
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("X-Amzn-ErrorType", "InvalidSignatureException")
		w.Header().Set("X-Amzn-Query-Error", "SignatureDoesNotMatch;Sender")
		w.WriteHeader(http.StatusBadRequest)
		w.Write(body)
	case strings.HasPrefix(r.URL.Path, "/v2/email/"):
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amzn-ErrorType", "InvalidSignatureException")
		w.WriteHeader(http.StatusForbidden)
		w.Write(body)
	default:
		p.errorAnswer(w, r, http.StatusForbidden, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large.")
	}
	return true
}
