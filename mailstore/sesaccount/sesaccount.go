// Package sesaccount is what sesbox knows of the SES account it sends
// through, beyond sending: the account's state and limits (GetAccount), the
// verification of identities (GetEmailIdentity) and the account-level
// suppression list (GetSuppressedDestination). It holds the types and the
// rules (sandbox, suppression, the mailbox simulator) and no AWS code:
// mailstore/sessend implements API over SES v2, so the TUI and the
// SDK-free planners (reforward, drafts) can use it.
package sesaccount

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sesbox/sesbox/mailstore"
)

// Account is `sesbox account --json`. The field names are a public
// contract (docs/ses-operations.md says what each means).
type Account struct {
	// Sandbox is true while the account has no production access: it may
	// send only to verified identities and the mailbox simulator.
	Sandbox bool `json:"sandbox"`
	// SendingEnabled is false when SES has paused sending for the account.
	SendingEnabled bool `json:"sendingEnabled"`
	// EnforcementStatus is SES's review state: HEALTHY, PROBATION or
	// SHUTDOWN.
	EnforcementStatus string `json:"enforcementStatus"`
	// Max24HourSend is how many recipients the account may send to in
	// any 24 hours (-1: no limit); SentLast24Hours how many it did;
	// Remaining24Hours the difference, never below 0 (-1: no limit).
	Max24HourSend    float64 `json:"max24HourSend"`
	SentLast24Hours  float64 `json:"sentLast24Hours"`
	Remaining24Hours float64 `json:"remaining24Hours"`
	// MaxSendRate is recipients per second.
	MaxSendRate float64 `json:"maxSendRate"`
	// SuppressedReasons are the reasons (BOUNCE, COMPLAINT) for which SES
	// adds addresses to the account's suppression list; empty means the
	// account-level list is off.
	SuppressedReasons []string `json:"suppressedReasons"`
	// ReviewStatus is the production-access request's state (PENDING,
	// FAILED, GRANTED, DENIED), when the account has one.
	ReviewStatus string `json:"reviewStatus,omitempty"`
	// Identities are the sending identities the mailbox is configured
	// with, as SES reports them.
	Identities []Identity `json:"identities"`
	// ConfigurationSet is the mailbox's configuration_set, when it names one.
	ConfigurationSet *ConfigurationSet `json:"configurationSet,omitempty"`
}

// Identity is one SES identity (an address or a domain) and whether SES
// lets it send.
type Identity struct {
	Name string `json:"name"`
	// Type is EMAIL_ADDRESS, DOMAIN or MANAGED_DOMAIN; "" when SES does
	// not know the identity.
	Type string `json:"type"`
	// Status is SES's VerificationStatus (SUCCESS, PENDING, FAILED,
	// TEMPORARY_FAILURE, NOT_STARTED), or NOT_FOUND when SES has no such
	// identity.
	Status string `json:"status"`
	// VerifiedForSending is SES's VerifiedForSendingStatus.
	VerifiedForSending bool `json:"verifiedForSending"`
	// DKIMStatus is the identity's DKIM signing status, when SES gives one.
	DKIMStatus string `json:"dkimStatus,omitempty"`
	// Error is why the identity could not be read (access denied, ...).
	Error string `json:"error,omitempty"`
}

// StatusNotFound is Identity.Status for an identity SES does not have.
const StatusNotFound = "NOT_FOUND"

// Normalize makes nil lists empty, so the JSON says [] rather than null
// and a decoded Account equals the one encoded.
func (a Account) Normalize() Account {
	if a.SuppressedReasons == nil {
		a.SuppressedReasons = []string{}
	}
	if a.Identities == nil {
		a.Identities = []Identity{}
	}
	return a
}

// Unlimited reports a 24-hour quota SES does not limit.
func (a Account) Unlimited() bool { return a.Max24HourSend < 0 }

// Fits reports whether n more recipients fit in the remaining quota.
func (a Account) Fits(n int) bool { return a.Unlimited() || float64(n) <= a.Remaining24Hours }

// Suppression is an address on the account's suppression list.
type Suppression struct {
	Address string    `json:"address"`
	Reason  string    `json:"reason"` // BOUNCE or COMPLAINT
	Since   time.Time `json:"since"`  // when SES last added or updated it
}

// String is how a skipped destination is reported:
// "suppressed: BOUNCE since 2026-11-02".
func (s Suppression) String() string {
	out := "suppressed: " + s.Reason
	if !s.Since.IsZero() {
		out += " since " + s.Since.UTC().Format("2006-01-02")
	}
	return out
}

// API is the part of SES v2 this package needs (sessend.Account in
// production).
type API interface {
	// Account reads GetAccount; Identities is left empty.
	Account(ctx context.Context) (Account, error)
	// Identity reads GetEmailIdentity; an identity SES does not have is
	// not an error but Status NOT_FOUND.
	Identity(ctx context.Context, name string) (Identity, error)
	// Suppressed reads GetSuppressedDestination; ok is false when the
	// address is not on the list (SES's NotFoundException).
	Suppressed(ctx context.Context, address string) (s Suppression, ok bool, err error)
	// ConfigurationSet reads GetConfigurationSet for the set the mailbox
	// sends with; ok is false when it names none (nothing is asked).
	ConfigurationSet(ctx context.Context) (c ConfigurationSet, ok bool, err error)
}

// ConfigurationSet is the mailbox's configuration_set as SES knows it: a
// set the region does not have fails every send.
type ConfigurationSet struct {
	Name   string `json:"name"`
	Region string `json:"region"`
	Found  bool   `json:"found"`
	// Error is why it could not be read (hint first).
	Error string `json:"error,omitempty"`
}

// Describe reads the account and the named identities (repeats and empty
// names dropped, in order). An identity that cannot be read carries the
// error; only GetAccount failing fails Describe.
func Describe(ctx context.Context, api API, identities []string) (Account, error) {
	a, err := api.Account(ctx)
	if err != nil {
		return Account{}, err
	}
	a.Identities = nil
	seen := map[string]bool{}
	for _, name := range identities {
		key := strings.ToLower(strings.TrimSpace(name))
		if key == "" || seen[key] {
			continue
		}
		seen[key] = true
		id, err := api.Identity(ctx, strings.TrimSpace(name))
		if err != nil {
			// The hint first, as every error is said; in one line from an
			// endpoint without the operation (aws-ses-v2-local: it was
			// the hint, then the SDK's "deserialization failed ...
			// invalid character '<'", 330 characters an identity).
			id = Identity{Name: strings.TrimSpace(name), Error: why(err)}
		}
		a.Identities = append(a.Identities, id)
	}
	a.ConfigurationSet = describeSet(ctx, api)
	return a.Normalize(), nil
}

// describeSet is Describe's read of the configuration set: one that
// cannot be read carries the error.
func describeSet(ctx context.Context, api API) *ConfigurationSet {
	c, ok, err := api.ConfigurationSet(ctx)
	if err != nil {
		c.Error = why(err)
	} else if !ok {
		return nil
	}
	return &c
}

// AddressKey is how two destinations are told apart: the local part as
// written, the domain case-insensitively (RFC 5321).
func AddressKey(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	return addr[:at+1] + strings.ToLower(addr[at+1:])
}

// IdentityNames lists the identities a mailbox sends from: each address
// given, then its domain, then the domains, in order without repeats.
// Addresses may be written "Name <addr>".
func IdentityNames(addresses, domains []string) []string {
	var out []string
	add := func(s string) {
		s = strings.TrimSpace(s)
		if s != "" && !slices.ContainsFunc(out, func(o string) bool { return strings.EqualFold(o, s) }) {
			out = append(out, s)
		}
	}
	for _, a := range addresses {
		addr := bareAddress(a)
		if addr == "" {
			continue
		}
		add(addr)
		if _, dom, ok := strings.Cut(addr, "@"); ok {
			add(dom)
		}
	}
	for _, d := range domains {
		add(d)
	}
	return out
}

// bareAddress takes the address out of "Name <addr>".
func bareAddress(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '<'); i >= 0 {
		if j := strings.IndexByte(s[i:], '>'); j > 0 {
			return strings.TrimSpace(s[i+1 : i+j])
		}
	}
	return s
}

// SimulatorDomain is the domain of the SES mailbox simulator.
const SimulatorDomain = "simulator.amazonses.com"

// simulatorBoxes are the mailbox simulator's addresses (each may carry a
// "+label"): success, bounce, out of the office, complaint, and an
// address on SES's global suppression list.
var simulatorBoxes = []string{"success", "bounce", "ooto", "complaint", "suppressionlist"}

// IsSimulator reports whether addr is an SES mailbox simulator address.
// SES accepts them from sandbox accounts without verification, and sends
// to them count against neither the bounce nor the complaint rate.
func IsSimulator(addr string) bool {
	local, dom, ok := strings.Cut(strings.ToLower(bareAddress(addr)), "@")
	if !ok || dom != SimulatorDomain {
		return false
	}
	local, _, _ = strings.Cut(local, "+")
	return slices.Contains(simulatorBoxes, local)
}

// AllSimulator reports whether every destination is a simulator address
// (and there is one): such a send is a rehearsal.
func AllSimulator(dests []string) bool {
	return len(dests) > 0 && !slices.ContainsFunc(dests, func(d string) bool { return !IsSimulator(d) })
}

// ErrUnverifiedInSandbox is wrapped by Screen's errors for a destination a
// sandbox account cannot send to.
var ErrUnverifiedInSandbox = errors.New("the SES account is in the sandbox and the destination is not a verified identity")

// NotOfferedError is in the chain of an API error from an SES endpoint
// that does not offer the operation at all (aws-ses-v2-local has no
// GetSuppressedDestination and answers an HTML 404): asking again about
// another address gets the same answer, and the detail says nothing more.
type NotOfferedError struct{ Operation string }

func (e *NotOfferedError) Error() string { return "the SES endpoint has no " + e.Operation }

// NotOffered says, when err is an endpoint's answer that it has no such
// operation, only that ("the SES endpoint has no
// GetSuppressedDestination": its detail is an HTML 404 page); ok is false
// for any other error.
func NotOffered(err error) (why string, ok bool) {
	if noe := (*NotOfferedError)(nil); errors.As(err, &noe) {
		return noe.Error(), true
	}
	return "", false
}

// UncheckedLine says in one line, for output, that destinations were sent to
// without their check and why: for an endpoint without the operation only
// that ("suppression list not checked for a@x, b@x: the SES endpoint has
// no GetSuppressedDestination"; its detail is an HTML 404 page, which made
// each forward's preview five lines at 80 columns), else the first
// failure as Explain says it, hint first. what names them ("2
// destinations", addresses).
func UncheckedLine(what string, err error) string {
	if w, ok := NotOffered(err); ok {
		return "suppression list not checked for " + what + ": " + w
	}
	return what + " could not be checked against the suppression list and will be sent to (SES drops suppressed addresses itself): " + mailstore.Explain(err)
}

// why says why a read failed, for output in one line: an endpoint without
// the operation only that, else the error as Explain says it, hint first.
func why(err error) string {
	if w, ok := NotOffered(err); ok {
		return w
	}
	return mailstore.Explain(err)
}

// Verdict is what Screen found for one destination.
type Verdict struct {
	Address string
	// Suppressed is set when the address is on the suppression list.
	Suppressed *Suppression
	// Unverified is set when the account is in the sandbox and neither
	// the address nor its domain is a verified identity: SES would refuse
	// the whole message.
	Unverified bool
	// Simulator marks a mailbox simulator address.
	Simulator bool
	// Err is a check that could not be made.
	Err error
}

// Blocked reports whether the destination must not be sent to: on the
// suppression list (unless includeSuppressed), or unsendable from the
// sandbox. A check that failed (no ses:GetSuppressedDestination permission,
// an endpoint without the operation) does not block: SES itself drops
// suppressed addresses, so the check is a courtesy that must not stop
// every send; the failure is reported (Err) for the preview to warn about.
func (v Verdict) Blocked(includeSuppressed bool) bool {
	switch {
	case v.Unverified:
		return true
	case v.Suppressed != nil:
		return !includeSuppressed
	}
	return false
}

// Reason says why the destination is blocked (or would be), for output.
func (v Verdict) Reason() string {
	switch {
	case v.Unverified:
		return "sandbox: " + v.Address + " is not a verified identity (an account in the SES sandbox sends only to verified addresses and domains, and the mailbox simulator)"
	case v.Suppressed != nil:
		return v.Suppressed.String()
	case v.Err != nil:
		// Explain: the error's own hint (a missing permission) must
		// survive, as it does wherever an error is shown.
		return "not checked against the suppression list: " + mailstore.Explain(v.Err)
	}
	return ""
}

// LeaveSandbox is the other way out for destinations the sandbox refuses
// (Verdict.Unverified), said once after their Actions.
const LeaveSandbox = "or ask AWS to move the account out of the sandbox (aws sesv2 put-account-details --production-access-enabled, with the mail type, website and use case it asks for)"

// Action says what the user can do about a blocked destination, in the
// words of the CLI; "" when it is not blocked by the suppression list or
// the sandbox. It is said before the Reason (hint first, as every error
// through mailstore.Explain): a reason alone ("suppressed: BOUNCE since
// ...") left the user to find --include-suppressed in the help.
func (v Verdict) Action() string {
	switch {
	case v.Unverified:
		return "verify " + v.Address + " or its domain as an SES identity (aws sesv2 create-email-identity --email-identity " + v.Address + ")"
	case v.Suppressed != nil:
		return "--include-suppressed sends to " + v.Address + " anyway, or take it off the account's list: aws sesv2 delete-suppressed-destination --email-address " + v.Address
	}
	return ""
}

// Screen checks destinations before a send, caching every answer for the
// run: a bulk run asks SES about each address once. It is safe for
// concurrent use. The zero value is not usable; use NewScreen.
type Screen struct {
	api     API
	account Account
	cache   *cache
}

// NewScreen reads the account (GetAccount) and returns a Screen that knows
// whether it is in the sandbox.
func NewScreen(ctx context.Context, api API) (*Screen, error) {
	a, err := api.Account(ctx)
	if err != nil {
		return nil, err
	}
	return &Screen{api: api, account: a.Normalize(), cache: newCache()}, nil
}

// Account is what GetAccount said when the Screen was made.
func (s *Screen) Account() Account { return s.account }

// Check returns the verdict for each destination, in order.
func (s *Screen) Check(ctx context.Context, dests []string) []Verdict {
	out := make([]Verdict, len(dests))
	for i, d := range dests {
		out[i] = s.check(ctx, d)
	}
	return out
}

func (s *Screen) check(ctx context.Context, addr string) Verdict {
	v := Verdict{Address: addr, Simulator: IsSimulator(addr)}
	if v.Simulator {
		// The simulator is never on the account's list, and the sandbox
		// lets every account send to it.
		return v
	}
	sup, ok, err := s.cache.suppressed(ctx, s.api, strings.ToLower(addr))
	switch {
	case err != nil:
		v.Err = err
	case ok:
		v.Suppressed = &sup
	}
	if s.account.Sandbox {
		verified, err := s.verified(ctx, addr)
		switch {
		case err != nil && v.Err == nil:
			v.Err = fmt.Errorf("check the verification of %s: %w", addr, err)
		case err == nil && !verified:
			v.Unverified = true
		}
	}
	return v
}

// verified reports whether addr, or its domain, is an identity verified
// for sending.
func (s *Screen) verified(ctx context.Context, addr string) (bool, error) {
	names := []string{addr}
	if _, dom, ok := strings.Cut(addr, "@"); ok {
		names = append(names, dom)
	}
	for _, n := range names {
		id, err := s.cache.identity(ctx, s.api, strings.ToLower(n))
		if err != nil {
			return false, err
		}
		if id.VerifiedForSending || id.Status == "SUCCESS" {
			return true, nil
		}
	}
	return false, nil
}

// Filter splits dests into those to send to and the verdicts of those not
// to (in order).
func Filter(verdicts []Verdict, includeSuppressed bool) (send []string, blocked []Verdict) {
	for _, v := range verdicts {
		if v.Blocked(includeSuppressed) {
			blocked = append(blocked, v)
		} else {
			send = append(send, v.Address)
		}
	}
	return send, blocked
}

// Unchecked is the API of an account sesbox does not ask, saying why in
// every answer (Why, hint first): a local S3 endpoint with no SES endpoint
// given, where asking real SES only gave a dial error.
type Unchecked struct{ Why string }

var _ API = Unchecked{}

func (u Unchecked) err() error { return errors.New(u.Why) }

// Account implements API: it fails with Why.
func (u Unchecked) Account(context.Context) (Account, error) { return Account{}, u.err() }

// Identity implements API: it fails with Why.
func (u Unchecked) Identity(context.Context, string) (Identity, error) { return Identity{}, u.err() }

// Suppressed implements API: it fails with Why.
func (u Unchecked) Suppressed(context.Context, string) (Suppression, bool, error) {
	return Suppression{}, false, u.err()
}

// ConfigurationSet implements API: it fails with Why.
func (u Unchecked) ConfigurationSet(context.Context) (ConfigurationSet, bool, error) {
	return ConfigurationSet{}, false, u.err()
}
