package reforward

import (
	"context"
	"fmt"
	"time"

	"github.com/sesbox/sesbox/mailstore/forward"
)

// Claims is state shared by every operator's runs (team mode: a DynamoDB
// table, team.Store), so that runs on different machines never both send
// the same message. The local journal stays the default and still records
// what this machine did; Claims, when set on a Runner, is asked as well.
//
// Every method's error means the shared state could not be read or written
// (after the implementation's own retries): the run then stops, and sends
// nothing more.
type Claims interface {
	// Lookup returns what the shared state knows of a send, for planning.
	Lookup(ctx context.Context, ref SendRef) (SharedState, error)
	// Claim takes the send for this run before SES is called: a
	// conditional write that at most one run can win. It returns the
	// claim's token, or "" and the state that refused it: sent (unless
	// again and it is the send ref.Seen names), uncertain (unless retryUncertain or again),
	// refused by SES for the message itself (unless retryRefused), or
	// claimed by a live run elsewhere (always).
	Claim(ctx context.Context, ref SendRef, again, retryUncertain, retryRefused bool) (token string, held SharedState, err error)
	// Settle writes the outcome of a claimed send back, conditionally on
	// the claim still being this run's.
	Settle(ctx context.Context, ref SendRef, token string, o Outcome) error
}

// Leased is a Claims whose claims stand only for a while (team.Store: its
// Lease). Once a claim's lease has run out every machine reads the send as
// uncertain, and a run given --retry-uncertain may take it over and send.
// So a run starts a send only while its claim will outlast the send: a
// process paused (SIGSTOP, a suspended laptop, a stalled disk) between
// claiming and calling SES gives the send up, certainly not sent, instead
// of sending it after another machine may have.
//
// A run that waits on purpose while it holds a claim (for its pacing slot:
// at send_rate = 0.2 a send to 50 recipients waits 250 s, most of a
// five-minute lease) renews the claim as it waits, so the wait never eats
// the lease: only a pause the run did not choose gives the send up.
type Leased interface {
	ClaimLease() time.Duration
	// RenewClaim runs the claim's lease a whole ClaimLease again from
	// now, conditionally on the claim still being this run's (token) and
	// without an outcome.
	RenewClaim(ctx context.Context, ref SendRef, token string) error
	// StartSend marks the claim's send as started, just before SES is
	// called, conditionally on the claim still being this run's and
	// without an outcome. A claim whose owner died or whose lease ran out
	// before that was certainly not sent, and is free to claim again: a
	// run killed as it waited for its pacing slot, where a run spends most
	// of its time, left a send every machine read as in doubt
	// (TestTeamKilledBeforeItsSendIsNoSendInDoubt).
	StartSend(ctx context.Context, ref SendRef, token string) error
}

// SharedPacer is a Claims whose runs pace their sends together
// (team.Store: one item of the table says when the next send of any run
// may start), so operators on one SES account keep to its rate between
// them: each pacing by itself at the whole rate, two runs sent up to twice
// it and leaned on SES's throttling
// (TestTeam/TwoRunsKeepToTheAccountRateTogether).
type SharedPacer interface {
	// PaceSend reserves the time a send to recipients takes at rate
	// (recipients per second) on the timeline every run shares, and
	// returns when, by this machine's clock, the send may start.
	PaceSend(ctx context.Context, rate float64, recipients int) (time.Time, error)
}

// Healer is a Claims that takes back what this machine's forward journal
// knows of a send the shared state holds in doubt (team.Store): a run
// that died after SES took its send and its journal said so, but before
// the claim's outcome or the shared log's entry was written, or an entry
// lost since, left the send uncertain for every operator for good; no
// one could finish the job (TestTeam/OwnerRepublishesALostOutcome).
type Healer interface {
	// Republish writes e, a send this machine's journal records as sent,
	// back over held, the shared state in doubt (or a sent one of e's SES
	// message id settled so lately that its log entry is not yet expected,
	// whose run on this machine is gone): the shared log gets the send
	// and the claim its outcome. It does so only where the doubt is this
	// machine's own send (its claim, or a sent claim of e's SES message
	// id), and returns the state now shared; held, unchanged, otherwise. Only ever "sent": a journal's "failed" may be an older
	// attempt than the one in doubt, and is left to an operator.
	Republish(ctx context.Context, ref SendRef, e forward.Entry, held SharedState) (SharedState, error)
}

// SendRef names one send the way the journal keys it: the stored object
// version and the destinations, as a set.
type SendRef struct {
	Bucket, Key, ETag string
	Destinations      []string
	// Seen is the SES message id of the send the run's plan saw ("": it
	// saw none). An --again run sends over that send only: a send another
	// run made since (its own --again, or a first send of a message this
	// plan saw unsent) is the one more send asked for, and this run
	// reports it skipped. Two operators running --again over one selection
	// sent every message twice more, and one running --again beside one
	// running the plain forward sent its not-yet-sent messages twice
	// (TestTeam/AgainSendsOnceAcrossTheTeam). Not part of the send's key.
	Seen string
}

// The states SharedState.State can be in.
const (
	SharedNone      = ""          // never tried, or certainly not sent
	SharedSent      = "sent"      // SES accepted it (SESMessageID)
	SharedClaimed   = "claimed"   // a run is sending it now (lease not run out, owner alive)
	SharedUncertain = "uncertain" // a send started and its outcome was never written back
)

// SharedState is the shared view of one send.
type SharedState struct {
	State        string
	SESMessageID string
	// At is when it was sent, or when the claim was taken.
	At time.Time
	// Owner is who sent or claimed it: "user@host pid N".
	Owner  string
	Reason string
	// Suspect, on an uncertain send, says why the shared record is not
	// trusted (a "sent" without its SES message id, a lease further ahead
	// than any run takes, a "sent" the shared action log holds no send
	// of): what it claims is not trusted, and the send is in doubt until
	// an operator decides.
	Suspect string
	// Republished: the shared record was written again just now from
	// this machine's journal (Healer), the one it had being lost.
	Republished bool
	// Resolution is an operator's decision on a send in doubt
	// (`sesbox team resolve`): ResolvedSent or ResolvedNotSent, made by
	// ResolvedBy at At.
	Resolution, ResolvedBy string
	// Refused, with State SharedNone: SES refused the send for the
	// message itself (Outcome.Refused), at At, to Owner's run, for
	// Reason. Every machine's run reports it failed and sends it only
	// with --retry-refused, as the journal of the machine that tried
	// does: read as merely failed, another machine's next run sent it
	// to have it refused again.
	Refused bool
}

// The decisions an operator records on a send in doubt.
const (
	ResolvedSent    = "sent"
	ResolvedNotSent = "not-sent"
)

// notSentByWord reports whether st, an operator's decision that a send
// was not made, speaks for the journal's entry e of it: e says the send
// started (in doubt) no later than the decision. The operator's explicit
// word makes it pending again on this machine too; a send this machine
// started after the decision is a new doubt.
func notSentByWord(st SharedState, e forward.Entry) bool {
	return st.Resolution == ResolvedNotSent && e.State == forward.StateSending && !st.At.Before(e.Time)
}

// Outcome is what happened to a claimed send.
type Outcome struct {
	// Sent: SES accepted it with SESMessageID. NotSent: certainly not
	// sent (a 4xx answer, a throttle before a retry): the claim is
	// released, and an earlier sent or uncertain state comes back.
	// Neither: the outcome is unknown, the send is uncertain for everyone.
	Sent, NotSent bool
	// Refused, with NotSent: SES refused it for the message itself
	// (mailstore.ErrMessageRefused), as the journal's Entry.Refused.
	Refused      bool
	SESMessageID string
	Reason       string
}

// resolveHint ends the reason of a send the team table holds in doubt:
// where the team settles it for good (docs/team.md, "When a send's
// record is lost").
const resolveHint = "sesbox team resolve KEY says what is known of it and records what you find (--sent, --not-sent)"

func (s SharedState) describe() string {
	who := s.Owner
	if who == "" {
		who = "another run"
	}
	switch {
	case s.State == SharedSent && s.Resolution == ResolvedSent:
		id := s.SESMessageID
		if id == "" {
			id = "not known"
		}
		return fmt.Sprintf("resolved as forwarded by %s at %s (SES message id %s; team table: an operator's decision on a send in doubt); %s sends it again",
			s.ResolvedBy, s.At.UTC().Format(time.RFC3339), id, OptionAgain.Flag())
	case s.State == SharedSent && s.Republished:
		return fmt.Sprintf("already forwarded %s by %s (SES message id %s, this machine's forward journal: its lost record in the team table was written again); %s sends it again",
			s.At.UTC().Format(time.RFC3339), who, s.SESMessageID, OptionAgain.Flag())
	}
	switch s.State {
	case SharedSent:
		return fmt.Sprintf("already forwarded %s by %s (SES message id %s, team table); %s sends it again",
			s.At.UTC().Format(time.RFC3339), who, s.SESMessageID, OptionAgain.Flag())
	case SharedClaimed:
		return fmt.Sprintf("being forwarded right now by %s (claimed %s, team table)", who, s.At.UTC().Format(time.RFC3339))
	case SharedUncertain:
		if s.Suspect != "" {
			return fmt.Sprintf("check whether it was forwarded, then use %s to send it: the team table's record of this send "+
				"cannot be trusted (%s; it names %s); %s", OptionRetryUncertain.Flag(), s.Suspect, who, resolveHint)
		}
		return fmt.Sprintf("a send by %s started %s and never recorded its outcome (team table): it may or may not have been sent; "+
			"check, then use %s to send it; %s", who, s.At.UTC().Format(time.RFC3339), OptionRetryUncertain.Flag(), resolveHint)
	}
	return ""
}
