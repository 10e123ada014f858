// Package sesfault is a reverse proxy for tests, put in front of a real SES
// v2 peer (aws-ses-v2-local): it records every SendEmail that reached SES,
// decoded (envelope and exact raw bytes), and injects the faults a bulk
// sender must survive: throttling answers, connections cut after SES took
// the message, and answers held back while the test kills the sender.
package sesfault

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore/testutil/httprec"
)

// Fault is what the proxy does with one SendEmail request.
type Fault int

const (
	// Pass forwards the request and its answer.
	Pass Fault = iota
	// Throttle answers HTTP 429 TooManyRequestsException, as SES does over
	// the send rate, without forwarding: SES never sees the message.
	Throttle
	// Drop forwards the request (SES takes the message) and then closes
	// the connection without an answer.
	Drop
	// Hold forwards the request, reports it on Held, and keeps the answer
	// back until the test ends: the sender can be killed mid-send.
	Hold
	// Delay forwards the request, reports it on Held, and keeps the
	// answer back until Answer is called (or the test ends), then gives
	// it: SES has taken the message and the sender, waiting, can be
	// signalled mid-send.
	Delay
	// Slow waits SlowDelay, then passes: a slow SES, so that concurrent
	// senders overlap.
	Slow
	// Reject answers HTTP 400 MessageRejected, as SES does for an
	// unverified From, without forwarding: SES never sees the message.
	Reject
	// QuotaUsedUp answers as SES does once the account's 24-hour sending
	// quota is used up (a ThrottlingException "Daily message quota
	// exceeded.", https://docs.aws.amazon.com/ses/latest/dg/manage-sending-quotas-errors.html),
	// without forwarding: SES never sees the message.
	QuotaUsedUp
	// Paused answers HTTP 400 SendingPausedException, as SES does while
	// sending is paused for the account, without forwarding.
	Paused
	// NoConfigSet answers HTTP 404 NotFoundException, as SES does for a
	// send naming a configuration set the region does not have, without
	// forwarding.
	NoConfigSet
	// RejectContent answers HTTP 400 MessageRejected for the message
	// itself ("Illegal address"), as SES does for one it would refuse
	// however often it is sent, without forwarding.
	RejectContent
	// RejectRecipient answers HTTP 400 MessageRejected "Email address is
	// not verified" naming a destination (ops@team.example), as SES does
	// in the sandbox, without forwarding: that message only is refused.
	RejectRecipient
	// BadRequest answers HTTP 400 BadRequestException, as SES does for a
	// message it reads as malformed, without forwarding.
	BadRequest
	// RejectSender answers HTTP 400 MessageRejected "Email address is not
	// verified" naming SenderAddress, the address the tests forward as,
	// without forwarding: every send from it is refused.
	RejectSender
	// AccountPausedV1 answers HTTP 400 AccountSendingPausedException, SES
	// v1's name for an account whose sending is paused (the SDK has no
	// type for it), without forwarding.
	AccountPausedV1
	// Suspended answers HTTP 400 MessageRejected "Sending suspended for
	// this account", as SES does for a suspended account, without
	// forwarding.
	Suspended
	// ServerError forwards the request (SES takes the message) and then
	// answers HTTP 500 InternalFailure in place of SES's answer: a send
	// in doubt, whose sender cannot tell it went out.
	ServerError
	// HoldBefore reports the request on Held and keeps it back, never
	// forwarded, until the test ends: SES never sees the message, and the
	// sender can be killed while it waits for the answer (a send in
	// doubt that was not made).
	HoldBefore
)

// SenderAddress is the address RejectSender says is not verified: the
// fromEmail of the tests' forwarder configs.
const SenderAddress = "forwarder@acme.example"

// SlowDelay is how long a Slow request waits before it is forwarded.
const SlowDelay = 100 * time.Millisecond

// Email is one SendEmail request SES accepted.
type Email struct {
	To  []string // Destination.ToAddresses: the envelope
	Raw []byte   // Content.Raw.Data, decoded
	ID  string   // the MessageId SES answered (also for Drop and Hold)
	// At is when the request reached the proxy: the rate SES would
	// measure.
	At time.Time
}

// Proxy is a running fault proxy.
type Proxy struct {
	URL string
	// Held receives the 1-based number of each SendEmail request held.
	Held chan int

	target     *url.URL
	fault      func(n int) Fault
	mu         sync.Mutex
	n          int
	emails     []Email
	release    chan struct{}
	answer     chan struct{} // closed by Answer: Delay's answers are given
	answerOnce sync.Once
	// badCredentials: every request is answered as SES answers one
	// signed with an unknown key (RejectCredentials).
	badCredentials bool
}

// RejectCredentials makes the proxy answer every later request, of any
// operation, as SES answers one signed with an access key it does not
// know (HTTP 403 UnrecognizedClientException), without forwarding it: the
// local SES takes any key.
func (p *Proxy) RejectCredentials() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.badCredentials = true
}

// Start starts a proxy to target (the SES peer's URL). fault decides each
// SendEmail request by its 1-based number; nil passes everything. Other
// requests (GetAccount) always pass.
func Start(t testing.TB, target string, fault func(n int) Fault) *Proxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	if fault == nil {
		fault = func(int) Fault { return Pass }
	}
	p := &Proxy{target: u, fault: fault, Held: make(chan int, 16), release: make(chan struct{}), answer: make(chan struct{})}
	srv := httptest.NewServer(p)
	t.Cleanup(func() {
		close(p.release)
		srv.CloseClientConnections()
		srv.Close()
	})
	p.URL = srv.URL
	return p
}

// Answer gives the answers Delay keeps back, and every later one at once.
func (p *Proxy) Answer() { p.answerOnce.Do(func() { close(p.answer) }) }

// Emails returns what SES accepted, in order.
func (p *Proxy) Emails() []Email {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Email(nil), p.emails...)
}

// Requests is the number of SendEmail requests seen, faulted ones included.
func (p *Proxy) Requests() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

func isSendEmail(r *http.Request) bool {
	return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/v2/email/outbound-emails")
}

// ServeHTTP implements http.Handler.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	arrived := time.Now()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	p.mu.Lock()
	bad := p.badCredentials
	p.mu.Unlock()
	if bad {
		answerError(w, http.StatusForbidden, "UnrecognizedClientException", "The security token included in the request is invalid.")
		return
	}
	fault, n := Pass, 0
	if isSendEmail(r) {
		p.mu.Lock()
		p.n++
		n = p.n
		p.mu.Unlock()
		fault = p.fault(n)
	}
	if fault == Slow {
		time.Sleep(SlowDelay)
	}
	if a, ok := refusals[fault]; ok {
		answerError(w, a.status, a.errType, a.message)
		return
	}
	if fault == HoldBefore {
		p.Held <- n
		<-p.release
		cut(w)
		return
	}

	resp, respBody, ok := httprec.Relay(w, r, p.target, body)
	if !ok {
		return
	}
	if isSendEmail(r) && resp.StatusCode == http.StatusOK {
		p.record(body, respBody, arrived)
	}

	switch fault {
	case Drop:
		cut(w)
		return
	case ServerError:
		answerError(w, http.StatusInternalServerError, "InternalFailure", "The request processing has failed because of an unknown error, exception or failure.")
		return
	case Hold:
		p.Held <- n
		<-p.release
		cut(w)
		return
	case Delay:
		p.Held <- n
		select {
		case <-p.answer:
		case <-p.release:
		}
	}
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	w.Write(respBody)
}

// refusals are the faults SES answers with an error of its own, before
// the request reaches the peer.
var refusals = map[Fault]struct {
	status           int
	errType, message string
}{
	Throttle:        {http.StatusTooManyRequests, "TooManyRequestsException", "Maximum sending rate exceeded."},
	Reject:          {http.StatusBadRequest, "MessageRejected", "Email address is not verified. The following identities failed the check in region US-EAST-1: info@acme.example"},
	Paused:          {http.StatusBadRequest, "SendingPausedException", "Sending is paused for this account."},
	NoConfigSet:     {http.StatusNotFound, "NotFoundException", "Configuration set <missing-set> does not exist."},
	QuotaUsedUp:     {http.StatusBadRequest, "ThrottlingException", "Daily message quota exceeded."},
	RejectContent:   {http.StatusBadRequest, "MessageRejected", "Illegal address"},
	RejectRecipient: {http.StatusBadRequest, "MessageRejected", "Email address is not verified. The following identities failed the check in region US-EAST-1: ops@team.example"},
	BadRequest:      {http.StatusBadRequest, "BadRequestException", "Duplicate header 'Subject'."},
	RejectSender:    {http.StatusBadRequest, "MessageRejected", "Email address is not verified. The following identities failed the check in region US-EAST-1: " + SenderAddress},
	AccountPausedV1: {http.StatusBadRequest, "AccountSendingPausedException", "Email sending is disabled for this account."},
	Suspended:       {http.StatusBadRequest, "MessageRejected", "Sending suspended for this account. For more information, please check the inbox of the email address associated with your AWS account."},
}

// answerError answers as SES v2 answers an error: the status, the error
// type in X-Amzn-ErrorType and a JSON body.
func answerError(w http.ResponseWriter, status int, errType, message string) {
	body, _ := json.Marshal(map[string]string{"__type": errType, "message": message})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", errType)
	w.WriteHeader(status)
	w.Write(body)
}

// cut closes the client's connection without an answer.
func cut(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("sesfault: the server cannot hijack connections")
	}
	conn, _, err := hj.Hijack()
	if err == nil {
		conn.Close()
	}
}

func (p *Proxy) record(req, resp []byte, at time.Time) {
	var in struct {
		Destination struct{ ToAddresses []string }
		Content     struct{ Raw struct{ Data []byte } }
	}
	var out struct{ MessageId string }
	e := Email{At: at}
	if err := json.Unmarshal(req, &in); err != nil {
		e.ID = fmt.Sprintf("undecodable request: %v", err)
	}
	_ = json.Unmarshal(resp, &out)
	e.To, e.Raw = in.Destination.ToAddresses, in.Content.Raw.Data
	if e.ID == "" {
		e.ID = out.MessageId
	}
	p.mu.Lock()
	p.emails = append(p.emails, e)
	p.mu.Unlock()
}
