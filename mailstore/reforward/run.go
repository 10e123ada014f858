package reforward

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/actionlog"
	"github.com/sesbox/sesbox/mailstore/forward"
	"github.com/sesbox/sesbox/mailstore/sanitize"
	"github.com/sesbox/sesbox/mailstore/sesaccount"
)

// CheckQuota reads the account's sending quota and refuses (with
// ErrQuotaExceeded) a plan that needs more recipients than the account may
// still send to in the current 24 hours. SES counts every recipient of a
// message against both the quota and the send rate. A negative
// Max24HourSend means no limit.
func (r *Runner) CheckQuota(ctx context.Context, p *Plan) (mailstore.Quota, error) {
	if r.Sender == nil {
		return mailstore.Quota{}, ErrNoSender
	}
	q, err := r.Sender.Quota(ctx)
	if err != nil {
		return q, err
	}
	_, _, need := p.ToSend()
	if q.Max24HourSend >= 0 && float64(need) > q.Remaining() {
		return q, &mailstore.HintError{
			Hint: fmt.Sprintf("the run needs %d recipients and the account has %.0f of its %.0f left today — "+mailstore.RunAgain+" once sesbox account shows %d left "+
				"(SES frees quota as sends age past 24 hours), or forward fewer messages at a time (--keys-from, a narrower --query)",
				need, max(q.Remaining(), 0), q.Max24HourSend, need),
			Err: fmt.Errorf("%w: %d recipients to send to, %.0f of %.0f left (%.0f sent in the last 24 hours); nothing was sent",
				ErrQuotaExceeded, need, max(q.Remaining(), 0), q.Max24HourSend, q.SentLast24Hours),
		}
	}
	return q, nil
}

// MessagePreview is the first message a plan sends as the rewrite makes
// it: what the TUI shows before the user confirms.
type MessagePreview struct {
	Key    string
	Header []byte // the rewritten header block
	// Changed names the header fields the rewrite added or changed, in
	// header order, once each (From, Reply-To, and Content-Transfer-Encoding
	// or MIME-Version when the body was re-encoded); Removed those of the
	// original it dropped (Return-Path, DKIM-Signature, ...).
	Changed, Removed []string
	// Reencoded names the parts holding a line over 998 octets that were
	// re-encoded, decoding to the same bytes, with their old and new
	// Content-Transfer-Encoding (docs/forwarding.md difference 31).
	Reencoded []forward.Reencoding
}

// BodyReencoded says the body differs from the stored one: some part was
// re-encoded.
func (pv MessagePreview) BodyReencoded() bool { return len(pv.Reencoded) > 0 }

// Preview returns the first message the plan sends, rewritten, and what
// the rewrite changed; a zero MessagePreview when nothing is to be sent.
func (r *Runner) Preview(ctx context.Context, p *Plan) (MessagePreview, error) {
	i := slices.IndexFunc(p.Items, func(it Item) bool { return it.Status == "" })
	if i < 0 {
		return MessagePreview{}, nil
	}
	it := p.Items[i]
	raw, _, err := r.Source.Read(ctx, it.Key)
	if err != nil {
		return MessagePreview{Key: it.Key}, err
	}
	out, reencoded, err := forward.RewriteParts(p.Options.Config, raw, it.Original)
	if err != nil {
		return MessagePreview{Key: it.Key}, err
	}
	inHdr, outHdr := headerBlock(raw), headerBlock(out)
	pv := MessagePreview{Key: it.Key, Header: outHdr, Reencoded: reencoded}
	pv.Changed, pv.Removed = fieldChanges(inHdr, outHdr)
	return pv, nil
}

// fieldChanges compares two header blocks field by field (each unfolded
// exactly, its line ends ignored): the names of the fields of after not
// in before, and of the names in before that after has none of.
func fieldChanges(before, after []byte) (changed, removed []string) {
	was := map[string]int{}
	names := map[string]bool{}
	for _, f := range headerFields(before) {
		was[f]++
	}
	for _, f := range headerFields(after) {
		name := fieldName(f)
		names[strings.ToLower(name)] = true
		if was[f] > 0 {
			was[f]--
			continue
		}
		if !slices.ContainsFunc(changed, func(n string) bool { return strings.EqualFold(n, name) }) {
			changed = append(changed, name)
		}
	}
	for _, f := range headerFields(before) {
		name := fieldName(f)
		if !names[strings.ToLower(name)] {
			names[strings.ToLower(name)] = true
			removed = append(removed, name)
		}
	}
	return changed, removed
}

// headerFields splits a header block into its fields, continuation lines
// joined to the field they continue, line ends dropped.
func headerFields(h []byte) []string {
	var out []string
	for _, l := range strings.Split(string(h), "\n") {
		l = strings.TrimSuffix(l, "\r")
		switch {
		case l == "":
		case (l[0] == ' ' || l[0] == '\t') && len(out) > 0:
			out[len(out)-1] += "\n" + l
		default:
			out = append(out, l)
		}
	}
	return out
}

func fieldName(f string) string {
	name, _, _ := strings.Cut(f, ":")
	return strings.TrimSpace(name)
}

// headerBlock is b up to and including its first empty line: the header as
// Rewrite (and the Lambda) split it, which is not always where a MIME
// parser would stop.
func headerBlock(b []byte) []byte {
	for i := 0; i < len(b); {
		nl := bytes.IndexByte(b[i:], '\n')
		if nl < 0 {
			break
		}
		if line := b[i : i+nl]; len(line) == 0 || (len(line) == 1 && line[0] == '\r') {
			return b[:i+nl+1]
		}
		i += nl + 1
	}
	return b
}

// Run carries out the plan: for each item, in order, one Result goes to
// onResult (even for a message the run never reached because it stopped);
// a message another run was sending when this one reached it (team mode)
// is put off, and its Result comes after the others'.
// onProgress, when set, is called as the run goes. Neither is called
// concurrently.
//
// A sending run paces by the quota Prepare checked (a plan made by Plan
// alone has it checked here, refused with ErrQuotaExceeded before anything
// is sent), then records the sends it sets out to make as
// "planned" in the journal. Each send is recorded "sending" before SES is called and "sent"
// or "failed" after. A throttling answer is retried after a back-off;
// any other refusal fails that message and the run goes on. A send whose
// outcome is unknown (the connection broke, SES answered 5xx, the send
// timed out) stays "sending" and the message is reported uncertain.
//
// When ctx ends, the send in progress is finished (it is bounded by
// SendTimeout instead), the messages not reached are reported failed as
// "not attempted", and Run returns ctx's error. Run also stops, the same
// way, when the journal or the action log cannot be written.
func (r *Runner) Run(ctx context.Context, p *Plan, onResult func(Result), onProgress func(Progress)) (Totals, error) {
	ru := &run{
		r: r, p: p, opts: p.Options, onResult: onResult, onProgress: onProgress,
		files: mailstore.FileNames{Prefix: p.Location.Prefix},
	}
	ru.prog.Total = len(p.Items)
	ru.prog.Started = r.clock().Now()
	if ru.opts.DryRun() {
		if err := os.MkdirAll(ru.opts.DryRunDir, 0o700); err != nil {
			return Totals{}, fmt.Errorf("dry run: %w", err)
		}
	} else {
		if r.Sender == nil || r.JournalPath == "" {
			return Totals{}, ErrNoSender
		}
		var q mailstore.Quota
		if _, sends, _ := p.ToSend(); sends > 0 {
			if p.Quota != nil {
				q = *p.Quota // checked by Prepare
			} else {
				var err error
				if q, err = r.CheckQuota(ctx, p); err != nil {
					return Totals{}, err
				}
			}
		}
		ru.pace = pacer{clock: r.clock(), rate: paceRate(q.MaxSendRate, r.SendRate)}
		var err error
		if ru.j, err = forward.OpenJournal(r.JournalPath); err != nil {
			return Totals{}, err
		}
		defer ru.j.Close()
		// Pacing goes on from the last send any run recorded: a run
		// started (or resumed) right after another does not burst.
		if at, n, ok := ru.j.LastSend(); ok {
			ru.pace.resume(at, n)
		}
		if err := ru.recordPlanned(); err != nil {
			return Totals{}, err
		}
	}

	// A send another run holds a live claim of (team mode) is put off to
	// the end of the run, and the run goes on with the messages no one
	// holds: waiting for each in turn made two runs over the same
	// messages move in lockstep, no faster than one. Coming back to it,
	// the run waits for the other's outcome and sends what it failed.
	ru.deferring = r.Claims != nil
	var stop error
	for i := range p.Items {
		stop = ru.step(ctx, &p.Items[i], nil, stop)
	}
	ru.deferring = false
	for _, d := range ru.deferred {
		stop = ru.step(ctx, d.it, d.parts, stop)
	}
	ru.prog.Key = ""
	ru.progress()
	return ru.totals, stop
}

// step forwards one item (earlier: the outcomes of its sends from the
// first pass, when it was put off) and reports it, unless it is put off;
// it returns the error that stops the run, stop once set.
func (ru *run) step(ctx context.Context, it *Item, earlier []part, stop error) error {
	if stop == nil && ctx.Err() != nil {
		stop = ctx.Err()
	}
	if stop != nil {
		res := notAttempted(it, stop)
		if it.Status != "" {
			// Decided by the plan, nothing to attempt: told as planned
			// (skipped as spam, sent before), not among the messages the
			// same command would send.
			res, _ = ru.item(ctx, it, nil)
		}
		ru.report(decorate(withEarlier(it, earlier, res), it))
		return stop
	}
	ru.prog.Key = it.Key
	ru.progress()
	res, err := ru.item(ctx, it, earlier)
	if res.Status != statusDeferred {
		ru.report(decorate(res, it))
	}
	return err
}

// statusDeferred is the outcome of a send (and of its item) put off to the
// end of the run because another run holds its claim; never reported.
const statusDeferred Status = "deferred"

// deferral is an item put off to the end of the run, with the outcomes of
// its sends so far (those put off are statusDeferred).
type deferral struct {
	it    *Item
	parts []part
}

// withEarlier is res, the outcome of an item put off whose sends were not
// reached (the run stopped, the message could not be read again), joined
// to the outcomes of its sends made before it was put off: those are told
// as they went.
func withEarlier(it *Item, earlier []part, res Result) Result {
	if earlier == nil {
		return res
	}
	parts := slices.Clone(earlier)
	for i := range parts {
		if parts[i].status == statusDeferred {
			parts[i] = part{status: res.Status, reason: res.Reason}
		}
	}
	return fold(it, parts)
}

// run is the state of one Run.
type run struct {
	r          *Runner
	p          *Plan
	opts       Options
	j          *forward.Journal
	pace       pacer
	onResult   func(Result)
	onProgress func(Progress)
	prog       Progress
	totals     Totals
	files      mailstore.FileNames // the dry run's file of each key
	unknown    int                 // sends in a row whose outcome is unknown
	deferring  bool                // a send another run holds is put off, not waited for
	deferred   []deferral
}

// maxUnknownInARow stops a run when SES stops answering: every further
// send would be one more message in doubt.
const maxUnknownInARow = 3

func (ru *run) report(res Result) {
	if res.Recipients == nil {
		res.Recipients = []string{}
	}
	ru.totals.add(res)
	ru.prog.Done++
	switch res.Status {
	case StatusSent:
		ru.prog.Sent++
	case StatusDryRun:
		ru.prog.DryRun++
	case StatusSkipped:
		ru.prog.Skipped++
	case StatusFailed:
		ru.prog.Failed++
	case StatusUncertain:
		ru.prog.Uncertain++
	}
	if ru.onResult != nil {
		ru.onResult(res)
	}
	ru.progress()
}

func (ru *run) progress() {
	if ru.onProgress != nil {
		ru.onProgress(ru.prog)
	}
}

// notAttemptedReason starts the reason of a message a stopped run never
// reached.
const notAttemptedReason = "not attempted: "

func notAttempted(it *Item, why error) Result {
	reason := notAttemptedReason + "the run stopped: " + why.Error()
	if errors.Is(why, context.Canceled) {
		reason = notAttemptedReason + "the run was interrupted"
	}
	return Result{Key: it.Key, Recipients: it.Destinations, Status: StatusFailed, Reason: reason}
}

// recordPlanned writes "planned" for every send the run intends to make,
// so the journal shows what a run set out to do even if it dies.
func (ru *run) recordPlanned() error {
	loc := ru.p.Location
	for _, it := range ru.p.Items {
		if it.Status != "" {
			continue
		}
		for _, s := range it.Sends {
			if !s.pending(ru.opts) || s.State == forward.StateSent || s.State == forward.StateSending || s.Refused {
				// Sent, in doubt or refused stays so until this run really
				// sends (--again, --retry-uncertain, --retry-refused): an
				// interrupted run must not turn it into something a later
				// run would send.
				continue
			}
			if e, ok := ru.j.Lookup(loc.Bucket, it.Key, it.ETag, s.Destinations); ok &&
				(e.State == forward.StateSent || e.State == forward.StateSending || (e.Refused && !ru.opts.RetryRefused)) {
				// The same, by what the journal says now: the plan was made
				// without the lock (while the user read and confirmed it),
				// and another run may have sent it, or started to, since.
				// "planned" over that would make send() send it again.
				continue
			}
			if err := ru.j.Record(forward.Entry{Bucket: loc.Bucket, Key: it.Key, ETag: it.ETag,
				Destinations: s.Destinations, State: forward.StatePlanned, Time: ru.r.clock().Now().UTC(),
				Simulator: sesaccount.AllSimulator(s.Destinations)}); err != nil {
				return err
			}
		}
	}
	return nil
}

// item forwards one message: the sends put off in earlier, or all. The
// error is set only when the run must stop.
func (ru *run) item(ctx context.Context, it *Item, earlier []part) (Result, error) {
	res := Result{Key: it.Key, Recipients: it.Destinations, Status: it.Status, Reason: it.Reason, Refused: it.Refused}
	if it.Status != "" {
		if it.Status == StatusSkipped {
			res.SESMessageID = sendIDs(it.Sends)
		}
		return res, nil
	}
	raw, obj, err := ru.r.Source.Read(ctx, it.Key)
	if err != nil {
		if ctx.Err() != nil {
			return withEarlier(it, earlier, notAttempted(it, ctx.Err())), ctx.Err()
		}
		res.Status, res.Reason = StatusFailed, mailstore.Explain(err) // the hint first
		if errors.Is(err, mailstore.ErrEveryReadRefused) {
			// Every later read would be refused too: credentials that
			// expired mid-run failed each message in its turn, with no
			// word of what to do.
			return withEarlier(it, earlier, res), &mailstore.HintError{Hint: mailstore.Hint(err) + "; then " + mailstore.RunAgain + ": what was sent is skipped",
				Err: fmt.Errorf("%w; stopped, nothing more is sent", err)}
		}
		return withEarlier(it, earlier, res), nil
	}
	if etag := strings.Trim(obj.ETag, `"`); etag != it.ETag {
		res.Status = StatusFailed
		res.Reason = fmt.Sprintf("the stored object changed after the run was planned (ETag %s, now %s): run again", it.ETag, etag)
		return withEarlier(it, earlier, res), nil
	}
	out, reencoded, err := forward.RewriteParts(ru.opts.Config, raw, it.Original)
	if err != nil {
		res.Status, res.Reason = StatusFailed, err.Error()
		return withEarlier(it, earlier, res), nil
	}
	if len(out) > MaxMessageSize {
		res.Status, res.Reason = StatusSkipped, tooLarge(int64(len(out)))
		return withEarlier(it, earlier, res), nil
	}
	if ru.opts.DryRun() {
		res = ru.writeDryRun(it, out)
	} else {
		res, err = ru.send(ctx, it, out, earlier)
	}
	res.Reencoded = reencoded
	return res, err
}

// writeDryRun writes out to DIR/<SES message id>.eml, replacing an earlier
// dry run's file of the same key (by rename, so the file is always whole).
// A key that is not the prefix and a message id a file name keeps whole
// gets its hash in its name (mailstore.FileNames).
func (ru *run) writeDryRun(it *Item, out []byte) Result {
	res := Result{Key: it.Key, Recipients: it.Destinations}
	name := ru.files.Name(it.Key, sanitize.Filename(mailstore.SESMessageID(it.Key)), ".eml")
	path := filepath.Join(ru.opts.DryRunDir, name)
	if err := writeFileAtomic(path, out); err != nil {
		res.Status, res.Reason = StatusFailed, "dry run: "+err.Error()
		return res
	}
	res.Status, res.File = StatusDryRun, path
	return res
}

func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // fails harmlessly after the rename
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// part is the outcome of one send of an item.
type part struct {
	status  Status
	id      string
	reason  string
	refused bool // SES refused it for the message itself (Result.Refused)
}

// send makes the item's pending sends (those put off, when prior holds
// the first pass's outcomes) and folds their outcomes into one result. A
// send another run holds is put off while the run defers: the item is
// then kept for the end of the run, and its result has statusDeferred.
func (ru *run) send(ctx context.Context, it *Item, out []byte, earlier []part) (Result, error) {
	loc := ru.p.Location
	sum := sha256.Sum256(out)
	digest := hex.EncodeToString(sum[:])
	parts := make([]part, len(it.Sends))
	var stop error
	for i, s := range it.Sends {
		if earlier != nil && earlier[i].status != statusDeferred {
			parts[i] = earlier[i]
			continue
		}
		// The journal is read again: another run may have sent this since
		// the plan was made. Ours holds the lock from here on.
		var prior *forward.Entry
		seen := "" // the send the plan saw (SendRef.Seen)
		if s.State == forward.StateSent {
			seen = s.SESMessageID
		}
		if e, ok := ru.j.Lookup(loc.Bucket, it.Key, it.ETag, s.Destinations); ok && !notSentByWord(s.Shared, e) {
			s.fromJournal(e)
			if e.State == forward.StateSent || e.State == forward.StateSending {
				prior = &e
			}
		}
		switch {
		case stop != nil:
			parts[i] = part{status: StatusFailed, reason: "not attempted: the run stopped"}
			continue
		case s.State == forward.StateSent && !ru.opts.Again:
			parts[i] = part{status: StatusSkipped, id: s.SESMessageID, reason: alreadySent([]Send{s})}
			continue
		case s.State == forward.StateSending && !s.pending(ru.opts):
			parts[i] = part{status: StatusUncertain, reason: uncertainReason(s.At)}
			continue
		case s.State == forward.StateFailed && !s.pending(ru.opts):
			parts[i] = part{status: StatusFailed, reason: refusedReason(s), refused: true}
			continue
		}
		parts[i], stop = ru.sendOne(ctx, it, s.Destinations, out, digest, prior, seen)
	}
	if stop == nil && slices.ContainsFunc(parts, func(p part) bool { return p.status == statusDeferred }) {
		ru.deferred = append(ru.deferred, deferral{it: it, parts: parts})
		return Result{Key: it.Key, Status: statusDeferred}, nil
	}
	return fold(it, parts), stop
}

// fold joins the outcomes of an item's sends into its result: uncertain if
// any send is, else failed if any failed, else sent if any was sent.
func fold(it *Item, parts []part) Result {
	res := Result{Key: it.Key, Recipients: it.Destinations, Status: StatusSkipped}
	var ids, reasons []string
	rank := map[Status]int{StatusSkipped: 0, StatusSent: 1, StatusFailed: 2, StatusUncertain: 3}
	for i, p := range parts {
		if rank[p.status] > rank[res.Status] {
			res.Status = p.status
		}
		res.Refused = res.Refused || p.refused
		if p.id != "" {
			ids = append(ids, p.id)
		}
		if p.reason != "" {
			if len(parts) > 1 {
				p.reason = fmt.Sprintf("send %d of %d (%d destinations): %s", i+1, len(parts), len(it.Sends[i].Destinations), p.reason)
			}
			reasons = append(reasons, p.reason)
		}
	}
	res.SESMessageID = strings.Join(ids, ",")
	res.Reason = strings.Join(reasons, "; ")
	res.Refused = res.Refused && res.Status == StatusFailed
	return res
}

// sendOne makes one SendEmail call, retrying while SES throttles. The error
// is set when the run must stop.
//
// prior is the journal's entry when an earlier run sent these destinations
// or may have (--again, --retry-uncertain). When this send then certainly
// does not happen, prior is recorded again instead of "failed": the
// journal answers "may SES have this already?", and a later run without
// those flags must still say yes.
//
// seen is the SES message id of the send the plan saw (SendRef.Seen).
func (ru *run) sendOne(ctx context.Context, it *Item, dests []string, out []byte, digest string, prior *forward.Entry, seen string) (part, error) {
	r, loc := ru.r, ru.p.Location
	entry := func(state, id, errText string) forward.Entry {
		return forward.Entry{Bucket: loc.Bucket, Key: it.Key, ETag: it.ETag, Destinations: dests,
			State: state, SESMessageID: id, Error: errText, Time: r.clock().Now().UTC(),
			Simulator: sesaccount.AllSimulator(dests)}
	}
	notSentEntry := func(errText string) forward.Entry {
		if prior != nil {
			return *prior
		}
		return entry(forward.StateFailed, "", errText)
	}
	logAction := func(id, result string) error {
		if r.Log == nil {
			return nil
		}
		return r.Log.Append(actionlog.Action{Time: r.clock().Now(), Command: "forward", Bucket: loc.Bucket, Key: it.Key, ETag: it.ETag,
			SHA256: digest, Destinations: dests, SESMessageID: id, Result: result, Simulator: sesaccount.AllSimulator(dests)})
	}
	ref := SendRef{Bucket: loc.Bucket, Key: it.Key, ETag: it.ETag, Destinations: dests, Seen: seen}
	var token string
	// settle tells the team table the outcome. It runs even when the run
	// was interrupted: the send happened (or not) either way.
	settle := func(o Outcome) error {
		if r.Claims == nil {
			return nil
		}
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
		defer cancel()
		if err := r.Claims.Settle(sctx, ref, token, o); err != nil {
			return fmt.Errorf("%w; stopped, nothing more is sent", err)
		}
		return nil
	}
	for attempt := 1; ; attempt++ {
		var claimedAt time.Time
		if r.Claims != nil {
			var tok string
			var held SharedState
			waitFrom := r.clock().Now()
			for {
				claimedAt = r.clock().Now()
				// The claim comes before anything else: only the run that wins
				// it may send, on whatever machine. It is not cut off by an
				// interruption (a claim written but not known to be ours would
				// read as a send in doubt); the interruption is honoured after.
				cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
				var err error
				tok, held, err = r.Claims.Claim(cctx, ref, ru.opts.Again, ru.opts.RetryUncertain, ru.opts.RetryRefused)
				cancel()
				if err != nil {
					return part{status: StatusFailed, reason: "not sent: " + err.Error()},
						fmt.Errorf("%w; stopped, nothing more is sent", err)
				}
				if tok != "" || held.State != SharedClaimed || r.clock().Now().Sub(waitFrom) > ru.claimWaitLimit() {
					break
				}
				if ru.deferring {
					return part{status: statusDeferred}, nil
				}
				// Another run is sending it right now: its outcome, not
				// its claim, says whether this run still has to (its send
				// may fail, or be throttled and give the claim back). The
				// wait ends by its lease at the latest: then the send is
				// uncertain.
				if ru.prog.WaitingFor == "" {
					ru.prog.WaitingFor = cmp.Or(held.Owner, "another run")
					ru.progress()
				}
				if err := r.clock().Sleep(ctx, claimPoll); err != nil {
					ru.prog.WaitingFor = ""
					return part{status: StatusFailed, reason: "not attempted: the run was interrupted while " + held.describe()}, err
				}
			}
			ru.prog.WaitingFor = ""
			if tok == "" {
				return heldPart(held), nil
			}
			token = tok
		}
		// The pacing slot is taken once the claim is won: taken before,
		// a run half a slot behind another met every message the other
		// had just claimed or sent, and sent none (two operators were no
		// faster than one: TestTeam/TwoPacedRunsShareTheWork). The claim
		// is renewed as the run waits for the slot, so the wait does not
		// count against its lease (leaseRunningOut below): a wait of
		// 250 s (50 recipients at send_rate = 0.2) gave the send up as if
		// the process had been paused (TestTeam/LongPaceWaitKeepsTheClaim).
		var renew func() error
		if l, ok := r.Claims.(Leased); ok && token != "" {
			renew = func() error {
				at := r.clock().Now()
				cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
				defer cancel()
				if err := l.RenewClaim(cctx, ref, token); err != nil {
					return err
				}
				claimedAt = at
				return nil
			}
		}
		slot, err := ru.waitToSend(ctx, len(dests), renew)
		if err != nil {
			if ctx.Err() == nil {
				// The team table could not pace the send: the run stops,
				// as when it cannot claim.
				serr := settle(Outcome{NotSent: true, Reason: "not sent: " + err.Error()})
				return part{status: StatusFailed, reason: "not sent: " + err.Error()},
					errors.Join(fmt.Errorf("%w; stopped, nothing more is sent", err), serr)
			}
			serr := settle(Outcome{NotSent: true, Reason: "the run was interrupted"})
			return part{status: StatusFailed, reason: "not attempted: the run was interrupted"}, errors.Join(err, serr)
		}
		if err := ru.j.Record(entry(forward.StateSending, "", "")); err != nil {
			serr := settle(Outcome{NotSent: true, Reason: "not sent: " + err.Error()})
			return part{status: StatusFailed, reason: "not sent: " + err.Error()}, errors.Join(err, serr)
		}
		// pausedPast gives the send up when the claim may not outlast it:
		// certainly not sent, the claim is given back (or, if another run
		// took it over meanwhile, Settle says so and the run stops).
		pausedPast := func(why string) (part, error) {
			reason := "not sent: " + why
			if jerr := ru.j.Record(notSentEntry(reason)); jerr != nil {
				return part{status: StatusFailed, reason: reason}, errors.Join(jerr, settle(Outcome{NotSent: true, Reason: reason}))
			}
			if serr := settle(Outcome{NotSent: true, Reason: reason}); serr != nil {
				return part{status: StatusFailed, reason: reason}, serr
			}
			return part{status: StatusFailed, reason: reason}, nil
		}
		if why := ru.leaseRunningOut(claimedAt); why != "" {
			return pausedPast(why)
		}
		if l, ok := r.Claims.(Leased); ok && token != "" {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
			serr := l.StartSend(cctx, ref, token)
			cancel()
			if serr != nil {
				// Not sent: the claim was taken over, or the table could
				// not say it is this run's to send.
				reason := "not sent: " + serr.Error()
				jerr := ru.j.Record(notSentEntry(reason))
				return part{status: StatusFailed, reason: reason},
					errors.Join(fmt.Errorf("%w; stopped, nothing more is sent", serr), jerr, settle(Outcome{NotSent: true, Reason: reason}))
			}
		}
		ru.startAtSlot(ctx, slot, len(dests), renew)
		// Checked again last thing before SES: a process stopped after
		// the claim was marked started (or while it waited for its slot)
		// has had its lease run out too, and another machine may have
		// taken the send over with --retry-uncertain and sent it. Checked
		// only before StartSend, a run resumed then sent it a second time
		// (TestTeam/PausedAfterStartingDoesNotSend).
		if why := ru.leaseRunningOut(claimedAt); why != "" {
			return pausedPast(why)
		}
		// A started send is seen through even when the run is interrupted:
		// cancelling it half-way would leave its outcome unknown.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.sendTimeout())
		id, err := r.Sender.SendRaw(sctx, dests, out)
		cancel()
		switch {
		case err == nil:
			ru.unknown = 0
			ru.prog.Sends++
			p := part{status: StatusSent, id: id}
			if jerr := ru.j.Record(entry(forward.StateSent, id, "")); jerr != nil {
				p.reason = "sent, but the journal could not record it (the next run will call it uncertain): " + jerr.Error()
				return p, errors.Join(jerr, settle(Outcome{Sent: true, SESMessageID: id}))
			}
			if serr := settle(Outcome{Sent: true, SESMessageID: id}); serr != nil {
				p.reason = "sent, but the team table could not record it (every machine will call it uncertain): " + serr.Error()
				_ = logAction(id, "sent") // best effort: the run stops for the table anyway
				return p, serr
			}
			if lerr := logAction(id, "sent"); lerr != nil {
				p.reason = "sent, but the action log could not record it: " + lerr.Error()
				return p, lerr
			}
			return p, nil

		case IsThrottle(err) && !mailstore.QuotaUsedUp(err) && attempt < r.maxAttempts():
			// Throttled: SES did not take it. Say so in the journal before
			// waiting, so a crash during the wait is not taken for a send.
			if jerr := ru.j.Record(notSentEntry("throttled; retrying: " + err.Error())); jerr != nil {
				return part{status: StatusFailed, reason: "not sent: " + jerr.Error()}, errors.Join(jerr, settle(Outcome{NotSent: true, Reason: "throttled"}))
			}
			// The claim is given back for the wait (it is taken again
			// before the retry), so a long back-off never outlives a lease.
			if serr := settle(Outcome{NotSent: true, Reason: "throttled; retrying: " + err.Error()}); serr != nil {
				return part{status: StatusFailed, reason: "not sent (throttled): " + serr.Error()}, serr
			}
			d := r.backoff(attempt)
			ru.prog.Throttles++
			ru.prog.Backoff = d
			ru.progress()
			serr := r.clock().Sleep(ctx, d)
			ru.prog.Backoff = 0
			if serr != nil {
				return part{status: StatusFailed, reason: "throttled, and the run was interrupted before the retry: " + err.Error()}, serr
			}

		case mailstore.NotAccepted(err):
			reason := mailstore.Explain(err) // SES's hint first
			if IsThrottle(err) && !mailstore.QuotaUsedUp(err) {
				reason = fmt.Sprintf("still throttled after %d attempts: %s", attempt, reason)
			}
			ru.unknown = 0
			// What no send from this address would pass is the run's to
			// stop at; what SES refuses of this message alone is recorded
			// so, and not sent again by a plain rerun.
			sender := ru.unverifiedSender(it, err)
			refused := sender == "" && errors.Is(err, mailstore.ErrMessageRefused)
			p := part{status: StatusFailed, reason: reason}
			ent := notSentEntry(reason)
			if prior == nil {
				ent.Refused = refused
			}
			if jerr := ru.j.Record(ent); jerr != nil {
				return p, errors.Join(jerr, settle(Outcome{NotSent: true, Refused: ent.Refused, Reason: reason}))
			}
			if serr := settle(Outcome{NotSent: true, Refused: ent.Refused, Reason: reason}); serr != nil {
				_ = logAction("", "failed: "+reason)
				return p, serr
			}
			if lerr := logAction("", "failed: "+reason); lerr != nil {
				p.reason += "; the action log could not record it: " + lerr.Error()
				return p, lerr
			}
			// Every further send would be refused the same way: a run
			// that went on backed off 91 s on each message (quota), or
			// failed each in its turn.
			if mailstore.QuotaUsedUp(err) {
				return p, ru.quotaUsedUp(err)
			}
			if errors.Is(err, mailstore.ErrEverySendRefused) {
				return p, &mailstore.HintError{Hint: mailstore.Hint(err) + "; then " + mailstore.RunAgain + ": what was sent is skipped",
					Err: fmt.Errorf("%w; stopped, nothing more is sent", err)}
			}
			if sender != "" {
				return p, ru.senderUnverified(sender, err)
			}
			if refused {
				p.reason += "; a rerun does not send it again: once it is fixed, " + OptionRetryRefused.Flag() + " sends it"
				p.refused = true
			}
			return p, nil

		default:
			// No answer, or a server fault: SES may have taken the message.
			// The journal keeps "sending", so no run resends it blindly.
			p := part{status: StatusUncertain, reason: "the send was cut off before SES answered (" + err.Error() +
				"): it may or may not have been sent; check, then use " + OptionRetryUncertain.Flag() + " to send it"}
			if serr := settle(Outcome{Reason: "no answer from SES: " + err.Error()}); serr != nil {
				_ = logAction("", "uncertain: "+err.Error())
				return p, serr
			}
			if lerr := logAction("", "uncertain: "+err.Error()); lerr != nil {
				p.reason += "; the action log could not record it: " + lerr.Error()
				return p, lerr
			}
			if ru.unknown++; ru.unknown >= maxUnknownInARow {
				return p, fmt.Errorf("%d sends in a row got no answer from SES (last: %w): stopped so as not to leave more messages uncertain", ru.unknown, err)
			}
			return p, nil
		}
	}
}

// quotaUsedUp is the error that stops a run SES refused a send of
// because the account's 24-hour quota is used up: what to run, and when.
func (ru *run) quotaUsedUp(err error) error {
	all := ru.r.clock().Now().Add(24 * time.Hour).UTC().Format("2006-01-02 15:04 UTC")
	return &mailstore.HintError{
		Hint: "the account's 24-hour sending quota is used up — " + mailstore.RunAgain + " once sesbox account shows quota left " +
			"(SES frees it as sends age past 24 hours: every send it counts now by " + all + "); what was sent is skipped",
		Err: fmt.Errorf("%w (SES: %w); stopped, nothing more is sent", ErrQuotaUsedUp, err),
	}
}

// sender is the address the rewritten message of it is sent as: the
// config's fromEmail, else the original recipient (forward.Rewrite).
func (ru *run) sender(it *Item) string {
	return cmp.Or(ru.opts.Config.FromEmail, it.Original)
}

// unverifiedSender is the address it is sent as when err is SES refusing
// it as not verified (itself or its domain: mailstore.UnverifiedIdentities);
// "" otherwise. Every message sent from it would be refused the same way.
func (ru *run) unverifiedSender(it *Item, err error) string {
	_, ids, ok := mailstore.UnverifiedIdentities(err)
	from := ru.sender(it)
	if !ok || from == "" {
		return ""
	}
	_, domain, _ := strings.Cut(from, "@")
	for _, id := range ids {
		if strings.EqualFold(id, from) || (domain != "" && strings.EqualFold(id, domain)) {
			return from
		}
	}
	return ""
}

// senderUnverified is the error that stops a run SES refused a send of
// because the address it is sent as is not verified: what to fix, hint
// first; the messages not reached are left for the same command.
func (ru *run) senderUnverified(from string, err error) error {
	region, _, _ := mailstore.UnverifiedIdentities(err)
	fix := "or set fromEmail in the forwarder config to an address SES has verified (without it each message is sent as its original recipient)"
	if ru.opts.Config.FromEmail != "" {
		fix = "or set fromEmail in the forwarder config to one SES has verified"
	}
	return &mailstore.HintError{
		Hint: fmt.Sprintf("the address forwards are sent as, %s, is not verified in SES (%s) — verify it or its domain (aws sesv2 create-email-identity --email-identity %s; sesbox account lists the verified identities), %s; then "+mailstore.RunAgain+": what was sent is skipped",
			from, cmp.Or(region, "this region"), from, fix),
		Err: fmt.Errorf("%w: %s, which every message is sent as, is not verified (%w); stopped, nothing more is sent", mailstore.ErrEverySendRefused, from, err),
	}
}

// leaseRunningOut says why a send claimed at claimedAt must not start now:
// its claim's lease (Leased) would run out before the send's own time-out,
// so another machine could read it as uncertain and send it again while
// this one sends. "" when the send may start (or there is no lease).
//
// Both the monotonic and the wall clock are asked, and the larger elapsed
// time wins: the monotonic clock goes on while a process is stopped
// (SIGSTOP) but, on Linux, not while the machine is suspended; the wall
// clock counts both (and other machines judge the lease by theirs).
func (ru *run) leaseRunningOut(claimedAt time.Time) string {
	l, ok := ru.r.Claims.(Leased)
	if !ok || claimedAt.IsZero() || l.ClaimLease() <= 0 {
		return ""
	}
	now := ru.r.clock().Now()
	held := max(now.Sub(claimedAt), now.Round(0).Sub(claimedAt.Round(0)))
	if held+ru.r.sendTimeout() <= l.ClaimLease() {
		return ""
	}
	return fmt.Sprintf("%s passed between claiming this send and starting it (was the process paused?): "+
		"its claim's lease of %s could run out before SES answered (send time-out %s), and another machine may then take it over; run again",
		held.Round(time.Second), l.ClaimLease(), ru.r.sendTimeout())
}

// settleTimeout bounds writing an outcome back to the team table (the
// client's own retries included).
const settleTimeout = 30 * time.Second

// claimPoll is how often a run reads a claim another run holds, waiting
// for that run's outcome.
const claimPoll = 250 * time.Millisecond

// claimWaitLimit bounds the wait for another run's claim: its lease (then
// the store reads it uncertain), or 5 minutes for a store without one; a
// claim still held then is reported uncertain.
func (ru *run) claimWaitLimit() time.Duration {
	if l, ok := ru.r.Claims.(Leased); ok && l.ClaimLease() > 0 {
		return l.ClaimLease() + claimPoll
	}
	return 5 * time.Minute
}

// heldPart is the outcome of a send whose claim this run could not take
// (a claim another run holds is waited for, up to claimWaitLimit: sendOne):
// sent, refused by SES for the message itself, or in doubt.
func heldPart(held SharedState) part {
	switch {
	case held.State == SharedSent:
		return part{status: StatusSkipped, id: held.SESMessageID, reason: held.describe()}
	case held.Refused:
		// Refused on another machine since this run's plan was made.
		return part{status: StatusFailed, reason: refusedReason(Send{Error: held.Reason, At: held.At, Shared: held}), refused: true}
	}
	return part{status: StatusUncertain, reason: held.describe()}
}

// waitToSend waits for the send's turn, its slot: on the timeline every
// run of the team table shares (SharedPacer), else this run's own pacer.
func (ru *run) waitToSend(ctx context.Context, recipients int, renew func() error) (time.Time, error) {
	if err := ctx.Err(); err != nil {
		return time.Time{}, err
	}
	var at time.Time
	if sp, ok := ru.r.Claims.(SharedPacer); ok {
		var err error
		if at, err = sp.PaceSend(ctx, ru.pace.rate, recipients); err != nil {
			return time.Time{}, err
		}
	} else {
		at = ru.pace.reserve(recipients)
	}
	return at, ru.sleepUntil(ctx, at, renew)
}

// sleepUntil waits until at. With renew (the run holds a claim with a
// lease), it wakes at least every renewEvery to renew the claim, so the
// claim outlasts the wait and then the send.
func (ru *run) sleepUntil(ctx context.Context, at time.Time, renew func() error) error {
	c := ru.r.clock()
	step := ru.renewEvery()
	for {
		d := at.Sub(c.Now())
		if d <= 0 {
			return nil
		}
		if renew == nil || step <= 0 || d <= step {
			return c.Sleep(ctx, d)
		}
		if err := c.Sleep(ctx, step); err != nil {
			return err
		}
		if err := renew(); err != nil {
			return err
		}
	}
}

// renewEvery is how long a run waits, holding a claim, between renewals:
// half of what the lease leaves after the send's time-out, so a renewal
// late by as much again still starts the send in time. 0 without a lease.
func (ru *run) renewEvery() time.Duration {
	l, ok := ru.r.Claims.(Leased)
	if !ok || l.ClaimLease() <= 0 {
		return 0
	}
	return max(0, (l.ClaimLease()-ru.r.sendTimeout())/2)
}

// sendLag is how long after its slot a send starts. Between the two the
// journal is written and synced, which took anything from 1 to 40 ms:
// sends spaced exactly by their slots reached SES up to 40 ms closer,
// 11 in a second at 10 a second. Started a fixed time after their slots,
// they are as far apart as the slots, unless a sync takes longer still.
const sendLag = 50 * time.Millisecond

// startAtSlot waits until sendLag after the slot. It is not cut short by
// an interruption: the send is under way (the journal says "sending"),
// and is seen through.
//
// A slot whose whole stretch (the send's recipients / rate) has passed
// when the send would start is stale: the process was stopped (SIGSTOP,
// a laptop asleep) waiting for it, or for the sync after it. Sent then,
// it would go out with the next send, whose slot follows this one's and
// has passed too: 4 recipients 75 ms apart at 2 a second after a
// SIGSTOP of 2 minutes (TestPacingHoldsAfterTheProcessWasStopped). The
// send takes a new slot instead, from now (this run's pacer) or from the
// team table's timeline; when the table cannot pace it, it goes now, as
// before.
func (ru *run) startAtSlot(ctx context.Context, slot time.Time, recipients int, renew func() error) {
	c := ru.r.clock()
	for {
		if d := slot.Add(sendLag).Sub(c.Now()); d > 0 {
			_ = c.Sleep(context.Background(), d)
		}
		if !c.Now().After(slot.Add(sendLag + ru.pace.stretch(recipients))) {
			return
		}
		next, err := ru.waitToSend(context.WithoutCancel(ctx), recipients, renew)
		if err != nil {
			return
		}
		slot = next
	}
}

// paceRate is the recipients per second a run sends at: the account's
// MaxSendRate (1, SES's sandbox rate, the safe guess when the account says
// nothing), or sendRate (Runner.SendRate) when that is positive and lower.
// Run paces by it and the preview estimates the run's length by it.
func paceRate(maxSendRate, sendRate float64) float64 {
	rate := maxSendRate
	if rate <= 0 {
		rate = 1
	}
	if sendRate > 0 {
		rate = min(rate, sendRate)
	}
	return rate
}

// pacer spaces sends so the recipients per second stay under the rate:
// each send reserves len(destinations)/rate seconds, the first one at once.
type pacer struct {
	clock Clock
	rate  float64
	next  time.Time
}

// resume starts the pacing after a send to recipients made at at (an
// earlier run's, from the journal). A time ahead of the clock (the clock
// was set back) counts as now, so the wait is never longer than one send's.
func (p *pacer) resume(at time.Time, recipients int) {
	if now := p.clock.Now(); at.After(now) {
		at = now
	}
	p.next = at.Add(p.stretch(recipients))
}

// reserve takes the next send's slot and returns it: the wait for it is
// the caller's (sleepUntil).
func (p *pacer) reserve(recipients int) time.Time {
	start := p.clock.Now()
	if p.next.After(start) {
		start = p.next
	}
	p.next = start.Add(p.stretch(recipients))
	return start
}

// stretch is the time a send to recipients takes at the rate.
func (p *pacer) stretch(recipients int) time.Duration {
	return time.Duration(float64(recipients) / p.rate * float64(time.Second))
}
