package reforward

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/alessio/shellescape"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/forward"
	"github.com/sesbox/sesbox/mailstore/mime"
	"github.com/sesbox/sesbox/mailstore/sesaccount"
)

// Plan is what a run will do, worked out from the message headers and the
// journal before anything is sent: the CLI prints its counts and
// destinations for confirmation, the TUI shows them.
type Plan struct {
	Location mailstore.Location
	Options  Options
	Items    []Item
	// Account is the SES account as the plan found it (Runner.Account
	// set); nil otherwise.
	Account *sesaccount.Account
	// AccountErr says why a dry run could not read the account (its
	// destinations were then not checked).
	AccountErr string
	// Quota is the sending quota Prepare read and checked the plan
	// against; Run paces by it. nil when not read (a dry run, nothing to
	// send, or a plan made by Plan alone: Run then reads it).
	Quota *mailstore.Quota
	// SendRate is Runner.SendRate, and SharedPace whether the runs of a
	// team table pace together (Runner.Claims is a SharedPacer): what
	// the preview's estimate of the run's length goes by.
	SendRate   float64
	SharedPace bool
}

// Item is one message of a plan.
type Item struct {
	// Input is the key or SES message id as the user gave it.
	Input string
	Key   string
	ETag  string
	Size  int64
	// Summary is the message's header, parsed.
	Summary mailstore.Summary
	// Recipients are the envelope recipients the destinations come from
	// (the Received lines, or --recipient).
	Recipients []string
	// Destinations are the mapped recipients (or --to), without repeats.
	Destinations []string
	// Original is the recipient the rewritten From is sent as when the
	// config has no fromEmail.
	Original string
	// Sends are the destinations split into SendEmail calls of at most
	// MaxDestinations.
	Sends []Send
	// Status is empty when the message is to be sent (or written, in a dry
	// run); otherwise it is the result the message reports without being
	// sent, and Reason says why.
	Status Status
	Reason string
	// Refused is set when Status is failed because SES refused a send of
	// it before for the message itself (Result.Refused).
	Refused bool
	// Blocked are the destinations left out of Destinations before
	// sending (suppressed, or refused by the sandbox), with why; Allowed
	// are those sent to despite the suppression list
	// (--include-suppressed).
	Blocked, Allowed []sesaccount.Verdict
	// Unchecked are destinations whose checks failed; they are sent to.
	Unchecked []sesaccount.Verdict
}

// Send is one SendEmail call of an item, with what the journal said of it
// when the plan was made.
type Send struct {
	Destinations []string
	// State is the journal's last state for these destinations ("" when
	// never tried), SESMessageID and At its id and time when sent.
	State        string
	SESMessageID string
	At           time.Time
	// Refused is set when the journal says SES refused the send for the
	// message itself (State failed): Error is why.
	Refused bool
	Error   string
	// Shared is the team table's view (Runner.Claims), when it decided
	// State: the reasons then name who sent or claimed it.
	Shared SharedState
}

// pending reports whether the send is still to be made under opts.
func (s Send) pending(opts Options) bool {
	switch s.State {
	case forward.StateSent:
		return opts.Again
	case forward.StateSending:
		return opts.Again || opts.RetryUncertain
	case forward.StateFailed:
		return !s.Refused || opts.RetryRefused
	}
	return true
}

// fromJournal sets what the journal's entry says of the send (the zero
// Entry: never tried).
func (s *Send) fromJournal(e forward.Entry) {
	s.State, s.SESMessageID, s.At, s.Refused, s.Error = e.State, e.SESMessageID, e.Time, e.Refused, e.Error
}

// refusedReason is the reason of a send SES refused for the message
// itself, which a run does not make again unless asked: SES's reason
// (its hint first) as the journal keeps it, when, and how to send it.
func refusedReason(s Send) string {
	by := ""
	if s.Shared.Refused {
		// Another machine's run may have tried it: its operator is the
		// one who knows.
		by = " to the run of " + cmp.Or(s.Shared.Owner, "another machine") + ", team table"
	}
	return fmt.Sprintf("%s (refused by SES %s%s; not sent again, as SES would refuse it again: once it is fixed, %s sends it)",
		s.Error, s.At.UTC().Format(time.RFC3339), by, OptionRetryRefused.Flag())
}

// ToSend counts the messages the run will send (or write, in a dry run),
// their SendEmail calls and the recipients those carry: what counts
// against the SES quota.
func (p *Plan) ToSend() (messages, sends, recipients int) {
	for _, it := range p.Items {
		if it.Status != "" {
			continue
		}
		messages++
		for _, s := range it.Sends {
			if s.pending(p.Options) {
				sends++
				recipients += len(s.Destinations)
			}
		}
	}
	return messages, sends, recipients
}

// Destinations lists every distinct destination of the messages to send,
// sorted: what the user confirms. Addresses that differ only in the case
// of their domain are one (sesaccount.AddressKey), the first spelling kept.
func (p *Plan) Destinations() []string {
	var out []string
	for _, it := range p.Items {
		if it.Status == "" {
			out = append(out, it.Destinations...)
		}
	}
	slices.SortStableFunc(out, func(a, b string) int {
		return strings.Compare(sesaccount.AddressKey(a), sesaccount.AddressKey(b))
	})
	return slices.CompactFunc(out, func(a, b string) bool { return sesaccount.AddressKey(a) == sesaccount.AddressKey(b) })
}

// Decided counts the items whose result is known before the run, by status.
func (p *Plan) Decided() map[Status]int {
	out := map[Status]int{}
	for _, it := range p.Items {
		if it.Status != "" {
			out[it.Status]++
		}
	}
	return out
}

// Prepare is the one way a forward is planned, by `sesbox forward` and by
// the TUI's forward screen alike: the plan (Plan) and, for a run that
// sends, the SES quota read and checked against it (CheckQuota), kept in
// the plan so that Run does not read it again. When the quota refuses the
// run, the plan is returned with the error, for its preview to be shown.
func (r *Runner) Prepare(ctx context.Context, inputs []string, opts Options) (*Plan, error) {
	p, err := r.Plan(ctx, inputs, opts)
	if err != nil {
		return nil, err
	}
	if _, sends, _ := p.ToSend(); sends > 0 && !opts.DryRun() {
		if p.Account != nil && !p.Account.SendingEnabled {
			// Every send would be refused (SendingPausedException): a run
			// that went ahead sent each message to have it refused.
			return p, &mailstore.HintError{
				Hint: "sending is paused for this account — resume it (aws sesv2 put-account-sending-attributes --sending-enabled) unless AWS paused it (sesbox account shows the enforcement status), then " + mailstore.RunAgain,
				Err:  fmt.Errorf("%w: GetAccount says sending is not enabled; nothing was sent", mailstore.ErrEverySendRefused),
			}
		}
		q, err := r.CheckQuota(ctx, p)
		if err != nil {
			return p, err
		}
		p.Quota = &q
	}
	return p, nil
}

// Plan resolves the inputs (object keys or SES message ids, in order,
// repeats dropped), reads each header and works out its destinations and
// sends. A message that cannot be planned becomes a failed item; Plan
// itself fails only when the journal cannot be read, or ctx ends.
func (r *Runner) Plan(ctx context.Context, inputs []string, opts Options) (*Plan, error) {
	if r.Source == nil {
		return nil, errors.New("plan forward: no source")
	}
	if !opts.DryRun() && (r.Sender == nil || r.JournalPath == "") {
		return nil, ErrNoSender
	}
	if err := opts.Check(); err != nil {
		return nil, fmt.Errorf("plan forward: %w", err)
	}
	if err := opts.CheckDestinations(); err != nil {
		return nil, fmt.Errorf("plan forward: %w", err)
	}
	p := &Plan{Location: r.Source.Location(), Options: opts, SendRate: r.SendRate}
	_, p.SharedPace = r.Claims.(SharedPacer)
	var screen *sesaccount.Screen
	if r.Account != nil {
		// A dry run checks the destinations as the sending run will, so
		// that it says what that run would refuse; but an account it
		// cannot read does not stop it (it sends nothing): the preview
		// says what was not checked.
		var err error
		switch screen, err = sesaccount.NewScreen(ctx, r.Account); {
		case err != nil && !opts.DryRun():
			return nil, fmt.Errorf("plan forward: %w", err)
		case err != nil:
			p.AccountErr = mailstore.Explain(err)
		default:
			acct := screen.Account()
			p.Account = &acct
		}
	}
	var j *forward.Journal
	switch {
	case !opts.DryRun():
		var err error
		if j, err = forward.OpenJournal(r.JournalPath); err != nil {
			return nil, err
		}
		defer j.Close()
	case r.JournalPath != "":
		// A dry run says what a run would skip, from the journal as it is
		// now, without taking it from a run that holds it.
		var err error
		if j, err = forward.ReadJournal(r.JournalPath); err != nil {
			return nil, err
		}
	}
	// Header reads are small and independent: a few at a time, results
	// kept in input order.
	items := make([]Item, len(inputs))
	work := make(chan int)
	var (
		wg       sync.WaitGroup
		errMu    sync.Mutex
		sharedEr error // the first failure to read the team table
		planned  int   // items planned, under errMu
	)
	for range min(planWorkers, len(inputs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				var err error
				items[i], err = r.planOne(ctx, p.Location, inputs[i], opts, j, screen)
				errMu.Lock()
				if err != nil && sharedEr == nil {
					sharedEr = err
				}
				planned++
				if r.PlanProgress != nil {
					r.PlanProgress(planned, len(inputs))
				}
				errMu.Unlock()
			}
		}()
	}
	for i := range inputs {
		if ctx.Err() != nil {
			break
		}
		work <- i
	}
	close(work)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if sharedEr != nil {
		return nil, fmt.Errorf("plan forward: %w", sharedEr)
	}
	seen := map[string]bool{}
	for _, it := range items {
		if seen[it.Key] {
			continue
		}
		seen[it.Key] = true
		p.Items = append(p.Items, it)
	}
	return p, nil
}

// planWorkers is how many headers Plan reads at once.
const planWorkers = 8

// planOne plans one input. The error is set only when the team table
// could not be read: the whole plan fails then.
func (r *Runner) planOne(ctx context.Context, loc mailstore.Location, input string, opts Options, j *forward.Journal, screen *sesaccount.Screen) (Item, error) {
	it := Item{Input: input, Key: input}
	fail := func(format string, args ...any) (Item, error) {
		it.Status, it.Reason = StatusFailed, fmt.Sprintf(format, args...)
		return it, nil
	}
	key, err := r.Source.Resolve(ctx, input)
	if err != nil {
		return fail("resolve %s: %v", input, err)
	}
	it.Key = key
	hdr, obj, err := r.Source.ReadHeader(ctx, key)
	if err != nil {
		if errors.Is(err, mailstore.ErrNotFound) {
			return fail("no such message in %s", loc)
		}
		return fail("%v", err)
	}
	read := hdr
	hdr = mime.HeaderBlock(hdr) // without the body's first bytes read along
	it.ETag, it.Size = strings.Trim(obj.ETag, `"`), obj.Size
	it.Summary = mime.Summarize(hdr)
	it.Summary.Object = obj
	it.Summary.Key = key
	why := derive(&it, opts)

	switch {
	case it.Summary.Kind == mailstore.KindSetupNotification || mailstore.SESMessageID(key) == "AMAZON_SES_SETUP_NOTIFICATION":
		it.Status, it.Reason = StatusSkipped, "the SES setup notification is not mail"
		return it, nil
	case it.Summary.Kind == mailstore.KindForeign && !leadingEmptyLine(hdr):
		// A message that starts with an empty line has no header fields
		// either, but it is mail whose header is empty: Rewrite passes it on
		// unchanged (docs/forwarding.md, difference 13), so it is forwarded
		// like any other; without a Received line its recipients must be
		// given (--recipient or --to).
		it.Status, it.Reason = StatusSkipped, "not a mail message (no header fields)"
		return it, nil
	case it.Summary.Verdicts.Failed() && !opts.IncludeSpam:
		it.Status, it.Reason = StatusSkipped, verdictReason(it.Summary.Verdicts)
		return it, nil
	case obj.Size-int64(len(hdr)) > MaxMessageSize:
		// The body alone is over the limit: no rewrite of the header can
		// bring it under, so do not even download it.
		it.Status, it.Reason = StatusSkipped, tooLarge(obj.Size)
		return it, nil
	case why != "":
		return fail("%s", why)
	}
	// What Rewrite refuses from the header alone fails now, not after the
	// preview counted it as to send; the reason is Rewrite's own, as the
	// report gave it when the run found it. It is asked of the bytes as
	// read: the header Rewrite reads goes on to the empty line, past a
	// line that cannot be a field (": text"), where mime's block ends.
	if err := forward.CheckHeader(read); err != nil {
		return fail("%s", strings.ReplaceAll(err.Error(), "sesbox show KEY", "sesbox show "+shellescape.Quote(key)))
	}
	if !opts.Again && !lambdaDelivered(ctx, r.Source, &it) {
		return it, nil
	}
	if screen != nil && !screenItem(ctx, &it, screen, opts) {
		return it, nil
	}
	if j == nil {
		return it, nil
	}
	for i := range it.Sends {
		s := &it.Sends[i]
		if e, ok := j.Lookup(loc.Bucket, key, it.ETag, s.Destinations); ok {
			s.fromJournal(e)
		}
		if r.Claims == nil {
			continue
		}
		ref := SendRef{Bucket: loc.Bucket, Key: key, ETag: it.ETag, Destinations: s.Destinations}
		st, err := r.Claims.Lookup(ctx, ref)
		if err != nil {
			return it, err
		}
		if h, ok := r.Claims.(Healer); ok && (st.State == SharedUncertain || st.State == SharedSent) && !opts.DryRun() {
			// This machine's journal may know what the table lost: its
			// owner republishes it (the run holds the journal's lock).
			if e, ok := j.Lookup(loc.Bucket, key, it.ETag, s.Destinations); ok && e.State == forward.StateSent {
				if st, err = h.Republish(ctx, ref, e, st); err != nil {
					return it, err
				}
			}
		}
		mergeShared(s, st)
	}
	it.Status, it.Reason = journalVerdict(it.Sends, opts)
	it.Refused = it.Status == StatusFailed
	return it, nil
}

// LambdaRecord is implemented by a Source that knows what the forwarding
// Lambda did with each message (its CloudWatch log, read into the index:
// mailstore/fwdlog).
type LambdaRecord interface {
	LambdaForward(ctx context.Context, key string) (mailstore.Forward, error)
}

// lambdaDelivered leaves out of the item the destinations the forwarding
// Lambda already delivered it to, and skips it when none is left: sesbox
// never sends again what the Lambda sent (unless --again). It reports
// whether the item is still to be sent. A log that cannot be read decides
// nothing.
func lambdaDelivered(ctx context.Context, src Source, it *Item) bool {
	lr, ok := src.(LambdaRecord)
	if !ok {
		return true
	}
	f, err := lr.LambdaForward(ctx, it.Key)
	if err != nil || f.Status != mailstore.ForwardForwarded {
		return true
	}
	var left []string
	for _, d := range it.Destinations {
		if !slices.ContainsFunc(f.Destinations, func(x string) bool { return strings.EqualFold(x, d) }) {
			left = append(left, d)
		}
	}
	if len(left) == len(it.Destinations) {
		return true
	}
	when := f.Time.UTC().Format(time.RFC3339)
	if len(left) == 0 {
		it.Status, it.Reason = StatusSkipped, fmt.Sprintf("the forwarding Lambda delivered it %s to %s (its log); %s sends it again",
			when, strings.Join(f.Destinations, ", "), OptionAgain.Flag())
		return false
	}
	it.Destinations, it.Sends = left, nil
	for chunk := range slices.Chunk(left, MaxDestinations) {
		it.Sends = append(it.Sends, Send{Destinations: slices.Clone(chunk)})
	}
	return true
}

// mergeShared folds the team table's view of a send into the local
// journal's: the more cautious one wins (sent over in doubt over nothing),
// since either machine's record may be the only one of a send.
func mergeShared(s *Send, st SharedState) {
	switch st.State {
	case SharedSent:
		// Republished from this journal: the reason says the team's
		// record was written again.
		if s.State != forward.StateSent || st.Republished {
			s.State, s.SESMessageID, s.At, s.Shared = forward.StateSent, st.SESMessageID, st.At, st
		}
	case SharedUncertain:
		if s.State != forward.StateSent && s.State != forward.StateSending {
			s.State, s.At, s.Shared = forward.StateSending, st.At, st
		}
	case SharedNone:
		// An operator's word that the send this journal holds in doubt
		// was not made: pending again here too.
		if notSentByWord(st, forward.Entry{State: s.State, Time: s.At}) {
			s.State, s.SESMessageID, s.At, s.Shared = "", "", st.At, st
		}
		// Refused by SES on another machine (or this one, its journal
		// since lost): failed and refused here too, unless this journal
		// holds a send or a refusal of its own.
		if st.Refused && s.State != forward.StateSent && s.State != forward.StateSending && !s.Refused {
			s.State, s.SESMessageID, s.At, s.Refused, s.Error, s.Shared = forward.StateFailed, "", st.At, true, st.Reason, st
		}
	}
}

// derive fills the recipients, destinations, original recipient and sends
// of it, or returns why it cannot.
func derive(it *Item, opts Options) string {
	it.Recipients = it.Summary.Recipients
	if len(opts.Recipients) > 0 {
		it.Recipients = slices.Clone(opts.Recipients)
	}
	var dests []string
	switch {
	case len(opts.To) > 0:
		dests = opts.To
		// Without a mapping every recipient "matches": like Map, the last
		// one is the original recipient.
		if n := len(it.Recipients); n > 0 {
			it.Original = it.Recipients[n-1]
		}
		if it.Original == "" && opts.Config.FromEmail == "" {
			return "no envelope recipient to send as (no \"Received: ... for <addr>\" line) and no fromEmail: sesbox forward --recipient ADDR sends it"
		}
	case len(it.Recipients) == 0:
		return "no envelope recipient (no \"Received: ... for <addr>\" line): sesbox forward --recipient ADDR (or sesbox forward --to ADDR) sends it"
	default:
		var err error
		dests, it.Original, err = forward.Map(opts.Config, it.Recipients)
		if err != nil {
			return err.Error()
		}
	}
	// The Lambda keeps repeats; SES would count (and may deliver) each one.
	// A domain is case-insensitive, a local part is not (RFC 5321 2.4):
	// c@X.example and c@x.example are one mailbox, the first spelling kept.
	seen := map[string]bool{}
	for _, d := range dests {
		if k := sesaccount.AddressKey(d); d != "" && !seen[k] {
			seen[k] = true
			it.Destinations = append(it.Destinations, d)
		}
	}
	if len(it.Destinations) == 0 {
		return "no forward destinations"
	}
	for chunk := range slices.Chunk(it.Destinations, MaxDestinations) {
		it.Sends = append(it.Sends, Send{Destinations: slices.Clone(chunk)})
	}
	return ""
}

// journalVerdict decides an item from its sends' journal states: skipped
// when every send went out already, uncertain when one was cut off.
func journalVerdict(sends []Send, opts Options) (Status, string) {
	allSent := true
	for _, s := range sends {
		if s.State != forward.StateSent {
			allSent = false
		}
		if s.State == forward.StateSending && !s.pending(opts) {
			if r := s.Shared.describe(); r != "" {
				return StatusUncertain, r
			}
			return StatusUncertain, uncertainReason(s.At)
		}
	}
	if allSent && !opts.Again {
		for _, s := range sends {
			if len(sends) == 1 && s.Shared.State == SharedSent {
				return StatusSkipped, s.Shared.describe()
			}
		}
		return StatusSkipped, alreadySent(sends)
	}
	// Refused by SES before, and nothing else of it left to send: failed
	// again with SES's reason, without a request.
	refused := -1
	for i, s := range sends {
		switch {
		case s.State == forward.StateFailed && !s.pending(opts):
			refused = i
		case s.pending(opts):
			return "", ""
		}
	}
	if refused >= 0 {
		return StatusFailed, refusedReason(sends[refused])
	}
	return "", ""
}

func uncertainReason(at time.Time) string {
	return fmt.Sprintf("a send started %s was cut off before SES answered: it may or may not have been sent; "+
		"check, then use %s to send it", at.UTC().Format(time.RFC3339), OptionRetryUncertain.Flag())
}

func alreadySent(sends []Send) string {
	var when time.Time
	for _, s := range sends {
		if s.At.After(when) {
			when = s.At
		}
	}
	return fmt.Sprintf("already forwarded %s (SES message id %s); %s sends it again",
		when.UTC().Format(time.RFC3339), sendIDs(sends), OptionAgain.Flag())
}

func sendIDs(sends []Send) string {
	var ids []string
	for _, s := range sends {
		if s.SESMessageID != "" {
			ids = append(ids, s.SESMessageID)
		}
	}
	return strings.Join(ids, ",")
}

func verdictReason(v mailstore.Verdicts) string {
	var what []string
	if v.Spam == "FAIL" {
		what = append(what, "spam")
	}
	if v.Virus == "FAIL" {
		what = append(what, "virus")
	}
	return "SES " + strings.Join(what, " and ") + " verdict FAIL; " + OptionIncludeSpam.Flag() + " forwards it anyway"
}

func tooLarge(size int64) string {
	return fmt.Sprintf("%.1f MB, over SES's %d MB limit for a message", float64(size)/(1<<20), MaxMessageSize>>20)
}

// ReadKeyList reads --keys-from input: one object key or SES message id a
// line, as pasted from the Lambda's error logs. Blank lines and lines
// starting with "#" are ignored; surrounding blanks (and a CR) are trimmed.
func ReadKeyList(r io.Reader) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read key list: %w", err)
	}
	return out, nil
}

// leadingEmptyLine reports whether a message starts with an empty line,
// as forward.Rewrite splits it: its header is empty.
func leadingEmptyLine(raw []byte) bool {
	return bytes.HasPrefix(raw, []byte("\n")) || bytes.HasPrefix(raw, []byte("\r\n"))
}

// Resend counts the messages of p that the same command run again would
// send: it reads the journal as Plan does and decides each send the same
// way, so it counts the messages a stopped run never reached and those
// whose send failed (the journal says "failed": the rerun tries them
// again), not those sent or cut off. It is what the CLI tells an operator
// a rerun sends.
func (r *Runner) Resend(p *Plan) (int, error) {
	if p.Options.DryRun() || r.JournalPath == "" {
		return 0, nil
	}
	j, err := forward.ReadJournal(r.JournalPath)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, it := range p.Items {
		if it.Status != "" {
			continue // decided by the plan, nothing to send
		}
		sends := slices.Clone(it.Sends)
		for i, s := range sends {
			e, _ := j.Lookup(p.Location.Bucket, it.Key, it.ETag, s.Destinations)
			s.fromJournal(e)
			sends[i] = s
		}
		if st, _ := journalVerdict(sends, p.Options); st != "" {
			continue
		}
		if slices.ContainsFunc(sends, func(s Send) bool { return s.pending(p.Options) }) {
			n++
		}
	}
	return n, nil
}
