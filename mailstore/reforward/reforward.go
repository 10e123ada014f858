// Package reforward pushes stored mail on by hand, one message or thousands,
// the way the SES forwarding Lambda would have: it reads each stored object,
// derives its envelope recipients, maps them (forward.Map), rewrites the
// header (forward.Rewrite) and sends the result through a mailstore.Sender.
//
// It is built to be run again and again on the same input. Every send is
// recorded in the forward journal before and after SES is called, so a
// message already sent is skipped, a send cut off by a crash is reported as
// uncertain instead of being repeated, and a failure never stops the rest of
// the run. Sends are paced under the account's send rate, a run that would
// go over the remaining 24-hour quota is refused before anything is sent,
// and throttling is answered with a back-off and a retry.
//
// The stored objects are only ever read: a Source has no way to write.
//
// The CLI (`sesbox forward`) and the TUI's forward screen both call Plan,
// then Run with callbacks, so the two cannot drift apart.
package reforward

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/actionlog"
	"github.com/sesbox/sesbox/mailstore/forward"
	"github.com/sesbox/sesbox/mailstore/mailbox"
	"github.com/sesbox/sesbox/mailstore/sesaccount"
)

// Status is the outcome of one message, as printed in the `status` field.
type Status string

// The statuses a message can end in.
const (
	StatusSent      Status = "sent"      // SES accepted every send of the message
	StatusDryRun    Status = "dry-run"   // written to the dry-run directory, nothing sent
	StatusSkipped   Status = "skipped"   // not sent on purpose: already sent, spam, too large
	StatusFailed    Status = "failed"    // not sent (or not completely): see Reason
	StatusUncertain Status = "uncertain" // a send was cut off: SES may or may not have it
)

// Options are what the user chose for a run.
type Options struct {
	// Config is the Lambda's config: the mapping, and the rewrite options.
	// It may be the zero Config when To is set.
	Config forward.Config
	// Recipients, when set, replace the envelope recipients read from each
	// message's Received lines (--recipient).
	Recipients []string
	// To, when set, are the destinations, without any mapping (--to).
	To []string
	// DryRunDir, when set, makes the run write each rewritten message to
	// DryRunDir/<SES message id>.eml (one file per key: see
	// mailstore.FileNames) and send nothing.
	DryRunDir string
	// Again sends messages the journal says were sent already (and implies
	// RetryUncertain).
	Again bool
	// RetryUncertain sends messages whose last send was cut off.
	RetryUncertain bool
	// RetryRefused sends again the messages SES refused before for the
	// message itself (the journal's Refused): a plain run reports them
	// failed with SES's reason, sending nothing.
	RetryRefused bool
	// IncludeSpam forwards messages with a spam or virus FAIL verdict.
	IncludeSpam bool
	// IncludeSuppressed sends to destinations on the account's suppression
	// list (and when the list could not be checked), with a warning.
	IncludeSuppressed bool
}

// DryRun reports whether the run sends nothing.
func (o Options) DryRun() bool { return o.DryRunDir != "" }

// Check reports why the destinations given by hand (To: sesbox forward
// --to, the TUI's :forward --to and its destinations key) cannot be sent
// to, before anything is read: each must be one plain address SES takes
// (forward.CheckDestination). The CLI and the TUI both call it, so the
// two accept the same addresses; Plan calls it too.
func (o Options) Check() error {
	for _, to := range o.To {
		if err := forward.CheckDestination(to); err != nil {
			// The address and what is wrong with it first: the TUI's
			// status line at 80 columns shows 58 cells of it.
			return fmt.Errorf("--to: %w; one plain address each (--to a@x.example --to b@y.example)", err)
		}
	}
	return nil
}

// ErrNoDestinations is CheckDestinations' error: there is no forwarder
// config to map the recipients through, and no destinations given.
var ErrNoDestinations = errors.New("no forwarder config to map the recipients through, and no destinations given")

// CheckDestinations reports ErrNoDestinations when o has neither a
// mapping (Config, the Lambda's forwardMapping) nor To: every message
// would find no destination. Each front end says in its own words what
// to give (sesbox forward's --to or --forward-config, the TUI's :forward
// --to), so a mailbox without forward_config still forwards to addresses
// given by hand; Plan calls it too.
func (o Options) CheckDestinations() error {
	if o.Config.ForwardMapping == nil && len(o.To) == 0 {
		return ErrNoDestinations
	}
	return nil
}

// Result is the outcome of one message: one line of `sesbox forward`'s
// output. The JSON field names are a public contract.
type Result struct {
	Key string `json:"key"`
	// Recipients are the destinations the message was (or would have been)
	// forwarded to: the mapped recipients, or --to.
	Recipients []string `json:"recipients"`
	Status     Status   `json:"status"`
	// SESMessageID is the id SES gave the send (for a skipped message, the
	// earlier send's). A message split into several sends has one id per
	// send, comma-separated, in destination order.
	SESMessageID string `json:"sesMessageId,omitempty"`
	// File is the dry-run output.
	File string `json:"file,omitempty"`
	// Reason says why a message was skipped, failed or is uncertain.
	Reason string `json:"reason"`
	// Refused marks a failed message SES refused for the message itself
	// (mailstore.ErrMessageRefused), in this run or an earlier one: the
	// same command does not send it again, --retry-refused does.
	Refused bool `json:"refused,omitempty"`
	// SkippedRecipients are destinations left out before sending, each
	// with why: "addr: suppressed: BOUNCE since 2026-11-02", or the
	// sandbox refusing an unverified address.
	SkippedRecipients []string `json:"skippedRecipients,omitempty"`
	// Warnings are destinations sent to despite the suppression list
	// (--include-suppressed).
	Warnings []string `json:"warnings,omitempty"`
	// Simulator marks a send whose every destination is the SES mailbox
	// simulator: a rehearsal.
	Simulator bool `json:"simulator,omitempty"`
	// Reencoded are the parts whose Content-Transfer-Encoding was changed
	// to bring a body line within 998 octets (difference 31 in
	// docs/forwarding.md): they decode the same, but a signature over
	// them no longer holds.
	Reencoded []forward.Reencoding `json:"reencoded,omitempty"`
}

// Progress is reported as a run goes: after each message and while it
// waits for a throttling back-off.
type Progress struct {
	Total                                    int // messages in the plan
	Done                                     int // messages with a result
	Sent, DryRun, Skipped, Failed, Uncertain int
	Sends                                    int // SendEmail calls accepted so far
	Key                                      string
	Started                                  time.Time
	Backoff                                  time.Duration // > 0 while waiting after a throttle
	Throttles                                int           // throttling answers met so far
	// WaitingFor is set while the run waits for another run's send of
	// the message (team mode): who holds its claim (unsanitized).
	WaitingFor string
}

// Totals counts the results of a finished run.
type Totals struct {
	Sent, DryRun, Skipped, Failed, Uncertain int
	// NotAttempted are the messages a stopped run never reached (their
	// status is "failed", their reason "not attempted: ..."), not in
	// Failed: the same command sends them.
	NotAttempted int
}

// NotAttempted reports whether the result is a message a stopped run
// never reached: its Status is StatusFailed (the JSON's "failed"), the
// totals and the TUI say it "not attempted".
func (r Result) NotAttempted() bool {
	return r.Status == StatusFailed && strings.HasPrefix(r.Reason, notAttemptedReason)
}

// Repeats reports whether r's reason says no more than stop, the error
// that stopped the run (Run's): r was not attempted because of it, or r's
// failure is the one stop wraps (SES refusing every send, the quota used
// up, the address forwards are sent as not verified). A screen that
// states stop shows such a result without its reason: the TUI said the
// same failure three times over, in the head and in two rows.
func (r Result) Repeats(stop error) bool {
	if stop == nil || r.Status != StatusFailed {
		return false
	}
	if r.Reason == notAttemptedReason+"the run stopped: "+stop.Error() {
		return true
	}
	return inTree(stop, func(e error) bool { return mailstore.Explain(e) == r.Reason })
}

// inTree reports whether f holds for err or an error it wraps, through
// both kinds of Unwrap (fmt.Errorf with several %w has the second).
func inTree(err error, f func(error) bool) bool {
	if err == nil {
		return false
	}
	if f(err) {
		return true
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		return inTree(u.Unwrap(), f)
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			if inTree(e, f) {
				return true
			}
		}
	}
	return false
}

// Count totals the results of a run.
func Count(rs []Result) Totals {
	var t Totals
	for _, r := range rs {
		t.add(r)
	}
	return t
}

// String renders the counts that are not zero in the order of a run,
// "2 sent, 1 skipped": the one rendering of a run's totals, for the CLI
// and the TUI. It is "" when there are none.
func (t Totals) String() string {
	var parts []string
	for _, p := range []struct {
		n    int
		what string
	}{{t.Sent, "sent"}, {t.DryRun, "written (dry run)"}, {t.Skipped, "skipped"}, {t.Failed, "failed"}, {t.NotAttempted, "not attempted"}, {t.Uncertain, "uncertain"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", p.n, p.what))
		}
	}
	return strings.Join(parts, ", ")
}

func (t *Totals) add(r Result) {
	switch r.Status {
	case StatusSent:
		t.Sent++
	case StatusDryRun:
		t.DryRun++
	case StatusSkipped:
		t.Skipped++
	case StatusFailed:
		if r.NotAttempted() {
			t.NotAttempted++
		} else {
			t.Failed++
		}
	case StatusUncertain:
		t.Uncertain++
	}
}

// Source is read access to the stored mail. It has no way to write: the
// stored object is never modified (the Lambda copies it onto itself;
// sesbox must not).
type Source interface {
	Location() mailstore.Location
	// Resolve turns a full key or an SES message id into the object key.
	Resolve(ctx context.Context, keyOrID string) (string, error)
	// ReadHeader returns the first bytes of the object, its whole header
	// block at least (mailstore.Store.ReadHeader), and what the store
	// knows of the object (ETag, size).
	ReadHeader(ctx context.Context, key string) ([]byte, mailstore.Object, error)
	// Read returns the whole stored object.
	Read(ctx context.Context, key string) ([]byte, mailstore.Object, error)
}

// FromMailbox is the Source over a mailbox: keys resolve through its index,
// bytes come from its Store.
func FromMailbox(m *mailbox.Mailbox) Source { return mailboxSource{m} }

type mailboxSource struct{ m *mailbox.Mailbox }

func (s mailboxSource) Location() mailstore.Location { return s.m.Location() }
func (s mailboxSource) Resolve(ctx context.Context, k string) (string, error) {
	return s.m.Resolve(ctx, k)
}
func (s mailboxSource) ReadHeader(ctx context.Context, k string) ([]byte, mailstore.Object, error) {
	return s.m.Store().ReadHeader(ctx, k)
}
func (s mailboxSource) Read(ctx context.Context, k string) ([]byte, mailstore.Object, error) {
	return s.m.Store().Read(ctx, k)
}
func (s mailboxSource) LambdaForward(ctx context.Context, k string) (mailstore.Forward, error) {
	return s.m.Forward(ctx, k)
}

var _ LambdaRecord = mailboxSource{}

// ActionLog is where every send is written for auditors (actionlog.Log).
type ActionLog interface {
	Append(actionlog.Action) error
}

// Clock is the time a run paces and backs off by. Tests use a fake one that
// never really sleeps.
type Clock interface {
	Now() time.Time
	// Sleep waits for d or until ctx is done, whichever is first.
	Sleep(ctx context.Context, d time.Duration) error
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Runner holds what a run needs besides the user's Options.
type Runner struct {
	Source Source
	// Sender sends through SES; nil is allowed for dry runs only.
	Sender mailstore.Sender
	// JournalPath is the forward journal (forward.DefaultJournalPath in
	// production). It is opened, and locked, for the length of each Plan
	// and Run; dry runs never open it.
	JournalPath string
	// Log, when set, gets one action per send (sent, failed or uncertain).
	Log ActionLog
	// Claims, when set (team mode), is asked before every send and told
	// every outcome, so runs on other machines never send the same
	// message too. Nil: the local journal alone decides.
	Claims Claims

	// Account, when set, is read by a sending Plan: every destination is
	// checked against the account's suppression list (and, for an account
	// in the SES sandbox, its verification) once per run, and the plan
	// knows the quota (Plan.Account, Plan.Preview).
	Account sesaccount.API
	// SendRate, when positive, is the most recipients per second the run
	// sends to, below the account's MaxSendRate (operators sharing one
	// account each take a part of it); above it, the account's holds.
	SendRate float64
	// PlanProgress, when set, is told after each message Plan has read
	// (done of total; one call at a time, done rising): planning reads
	// every header first, seconds for thousands.
	PlanProgress func(done, total int)
	// Clock defaults to the real clock.
	Clock Clock
	// MaxAttempts is how often one send is tried while SES throttles it
	// (default 8); Backoff is the first wait, doubled after each throttle
	// up to MaxBackoff (defaults 1s and 30s).
	MaxAttempts         int
	Backoff, MaxBackoff time.Duration
	// SendTimeout bounds one SendEmail call once started. A started send
	// is not cancelled with the run's context (an interrupted run finishes
	// the send it is in, so it knows the outcome); this is its limit
	// instead (default 2 minutes).
	SendTimeout time.Duration
}

func (r *Runner) clock() Clock {
	if r.Clock == nil {
		return realClock{}
	}
	return r.Clock
}

func (r *Runner) maxAttempts() int {
	if r.MaxAttempts <= 0 {
		return 8
	}
	return r.MaxAttempts
}

func (r *Runner) backoff(attempt int) time.Duration {
	first, limit := r.Backoff, r.MaxBackoff
	if first <= 0 {
		first = time.Second
	}
	if limit <= 0 {
		limit = 30 * time.Second
	}
	d := first
	for i := 1; i < attempt && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

func (r *Runner) sendTimeout() time.Duration {
	if r.SendTimeout <= 0 {
		return 2 * time.Minute
	}
	return r.SendTimeout
}

// ErrQuotaExceeded is returned (wrapped) by CheckQuota and Run when the
// plan needs more recipients than the account may still send to today.
var ErrQuotaExceeded = errors.New("the run would exceed the SES 24-hour sending quota")

// ErrQuotaUsedUp is returned (wrapped) by Run when SES refuses a send
// because the account's 24-hour sending quota is used up: the run stops,
// as every further send would be refused the same way.
var ErrQuotaUsedUp = errors.New("the SES 24-hour sending quota is used up")

// ErrNoSender is returned when a run that sends has no Sender or journal.
var ErrNoSender = errors.New("reforward: a run that sends needs a Sender and a journal")
