package team

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/alessio/shellescape"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/actionlog"
	"github.com/sesbox/sesbox/mailstore/forward"
	"github.com/sesbox/sesbox/mailstore/reforward"
)

// A send whose record is lost stays in doubt for every operator: the
// run that made it died after SES took it and before its claim's outcome
// or its shared log entry was written, or the entry was lost since.
// Two ways out, "never send twice" first (docs/team.md, "When a send's
// record is lost"):
//
//   - the machine whose forward journal holds the outcome writes it back
//     (Republish): at its next forward run over the message, by itself,
//     or with `sesbox team resolve KEY`;
//   - where no journal knows, an operator decides (Resolve with
//     Decision Sent or NotSent), recorded in the shared and the local
//     action log, who and when, before the claim says so. Only a
//     "not sent" decision makes the send pending again.

var _ reforward.Healer = (*Store)(nil)

// resolveKey names an operator's decision on a send as both its claim
// and its shared log entry ("resolve", Result "sent") give it: the
// send's claim key and the decision.
func resolveKey(bucket, key, etag string, dests []string, resolution string) string {
	return "resolve\x00" + claimPK(bucket, key, etag, dests) + "\x00" + resolution
}

// Republish implements reforward.Healer: e, the send this machine's
// journal records as sent, is written back over the claim the table holds
// in doubt, when that doubt is this machine's own send: a claim this user
// on this host took that never got its outcome (the run died after its
// journal said sent), or a sent claim of e's SES message id whose log
// entry is lost. The shared log gets the send first (Note says it was
// republished, and by whom), then the claim its outcome, conditionally on
// the version read: a crash between the two is finished by the next
// call. Anything else is left as it is: held comes back.
func (s *Store) Republish(ctx context.Context, ref reforward.SendRef, e forward.Entry, held reforward.SharedState) (reforward.SharedState, error) {
	if e.State != forward.StateSent || e.SESMessageID == "" {
		return held, nil
	}
	// A sent claim of e's send, settled so lately that it is trusted
	// without its log entry (unlogged), may lack it for good all the
	// same: its run stopped when the entry's write failed. Looked at
	// only in that window: past it, a trusted sent claim is a logged one.
	recentSent := held.State == reforward.SharedSent && held.SESMessageID == e.SESMessageID && s.judgeNow().Sub(held.At) < appendTimeout
	if held.State != reforward.SharedUncertain && !recentSent {
		return held, nil
	}
	if err := s.check(); err != nil {
		return reforward.SharedState{}, err
	}
	pk := claimPK(ref.Bucket, ref.Key, ref.ETag, ref.Destinations)
	cur, ok, err := s.getClaim(ctx, pk)
	if err != nil || !ok {
		return held, err
	}
	v, err := s.confirmed(ctx, cur)
	if err != nil {
		return reforward.SharedState{}, err
	}
	unloggedSent := cur.state == claimSent && cur.sesID == e.SESMessageID && s.distrust(cur) == ""
	switch {
	case v.State == reforward.SharedUncertain:
	case v.State == reforward.SharedSent && unloggedSent && s.dead(cur):
		// Trusted for its age, and its run, of this machine, is gone: it
		// will append nothing more. Does the log hold it?
		s.logMu.Lock()
		err := s.readSends(ctx)
		logged := s.sends.sent[loggedSend(cur.bucket, cur.key, cur.etag, e.SESMessageID)]
		s.logMu.Unlock()
		if err != nil || logged {
			return v, err
		}
	default:
		return v, nil // settled meanwhile, or logged: as it is now
	}
	ownDoubt := (cur.state == claimSending || cur.state == claimUncertain) && s.distrust(cur) == "" &&
		cur.owner.Host == s.owner.Host && cur.owner.User == s.owner.User && !cur.claimedAt.After(e.Time.Add(leaseSlack))
	if !unloggedSent && !ownDoubt {
		return v, nil
	}
	if err := s.logRepublished(ctx, cur, e); err != nil {
		return reforward.SharedState{}, err
	}
	if ownDoubt {
		item := maps.Clone(cur.raw)
		for _, k := range []string{"reason", "prior_state", "prior_ses_message_id", "prior_at", "prior_owner"} {
			delete(item, k)
		}
		item["state"], item["ses_message_id"] = str(claimSent), str(e.SESMessageID)
		item["updated_at"], item["ver"] = timeAttr(e.Time), num(cur.ver+1)
		item["note"] = str(fmt.Sprintf("outcome republished by %s at %s from its forward journal", s.owner, s.stampNow().Format(time.RFC3339)))
		if err := s.putAtVersion(ctx, pk, cur.ver, item, "republish the outcome of "+ref.Key); err != nil {
			if !errors.Is(err, errRaced) {
				return reforward.SharedState{}, err
			}
			// Another writer moved the claim on: as it is now.
			now, _, gerr := s.getClaim(ctx, pk)
			if gerr != nil {
				return reforward.SharedState{}, gerr
			}
			return s.confirmed(ctx, now)
		}
	}
	return reforward.SharedState{State: reforward.SharedSent, SESMessageID: e.SESMessageID, At: e.Time, Owner: cur.owner.String(), Republished: true}, nil
}

// logRepublished appends the send e, as this machine's journal records
// it, to the shared log, unless the log holds it already (an earlier
// republish that stopped before the claim, or a run's best-effort entry
// after its claim could not be settled).
func (s *Store) logRepublished(ctx context.Context, c claim, e forward.Entry) error {
	s.logMu.Lock()
	if err := s.readSends(ctx); err != nil {
		s.logMu.Unlock()
		return err
	}
	logged := s.sends.sent[loggedSend(c.bucket, c.key, c.etag, e.SESMessageID)]
	s.logMu.Unlock()
	if logged {
		return nil
	}
	return s.AppendContext(ctx, actionlog.Action{
		Time: e.Time, Command: "forward", Bucket: c.bucket, Key: c.key, ETag: c.etag, Destinations: e.Destinations,
		SESMessageID: e.SESMessageID, Result: "sent", Simulator: e.Simulator,
		Note: fmt.Sprintf("%s%s at %s from its forward journal: the team table had lost this send's record",
			actionlog.NoteRepublished, s.owner, s.stampNow().Format(time.RFC3339)),
	})
}

// errRaced is a conditional write another writer's change refused.
var errRaced = errors.New("the claim changed meanwhile")

// putAtVersion writes item over the claim pk while it is at version
// ver; errRaced when it is not (the client's retry of a write that had
// gone through is recognised by the item's bytes).
func (s *Store) putAtVersion(ctx context.Context, pk string, ver int64, item map[string]types.AttributeValue, what string) error {
	_, err := s.api.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.table), Item: item,
		ConditionExpression:       aws.String("#ver = :v"),
		ExpressionAttributeNames:  map[string]string{"#ver": "ver"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": num(ver)},
	})
	if err == nil {
		return nil
	}
	if !isConditionFailed(err) {
		return s.wrap(what, err)
	}
	after, ok, gerr := s.getClaim(ctx, pk)
	if gerr != nil {
		return gerr
	}
	if ok && after.ver == ver+1 && getS(after.raw, "state") == getS(item, "state") && getS(after.raw, "note") == getS(item, "note") &&
		getS(after.raw, "resolved_at") == getS(item, "resolved_at") {
		return nil // our own write, retried
	}
	return errRaced
}

// Doubt is one send the team table holds in doubt, with what is known of
// it: what `sesbox team resolve` shows and acts on.
type Doubt struct {
	Bucket       string   `json:"bucket"`
	Key          string   `json:"key"`
	ETag         string   `json:"etag"`
	Destinations []string `json:"destinations"`
	// Claim is what the claim says: its state (sending, sent, uncertain),
	// who holds it and since when, and the SES message id a sent claim
	// gives.
	ClaimState   string    `json:"claimState"`
	Owner        string    `json:"owner"`
	ClaimedAt    time.Time `json:"claimedAt"`
	SESMessageID string    `json:"sesMessageId,omitempty"`
	// Why is why it is in doubt (the claim's own reason, or why it is not
	// trusted).
	Why string `json:"why"`
	// Journal is this machine's forward journal's last record of the
	// send, when it has one: state, time and SES message id.
	Journal *forward.Entry `json:"journal,omitempty"`
	// Logged are the shared log's entries of this message and ETag: each
	// "seq N TIME USER@HOST COMMAND RESULT (SES message id ID)".
	Logged []string `json:"logged"`
	// Done is what Resolve did: "republished", "resolved sent",
	// "resolved not sent", or "" (left in doubt; Refused says why when a
	// decision was refused).
	Done    string `json:"done"`
	Refused string `json:"refused,omitempty"`
	// Hint, with Refused, says what to do instead when it is not
	// --sent (the send is another machine's: ask that machine).
	Hint string `json:"hint,omitempty"`
	// StartedBy names the run that started the send when it is not of
	// this user on this host: the forward journal that may know its
	// outcome is that machine's, not this one's.
	StartedBy string `json:"startedBy,omitempty"`

	claim claim
	// loggedSent is the first entry of Logged that says it was sent.
	loggedSent string
}

// Known says in one line what is known of d: the evidence an operator
// decides on.
func (d Doubt) Known() string {
	var parts []string
	switch {
	case d.ClaimState == claimSent:
		parts = append(parts, fmt.Sprintf("the claim says sent by %s (SES message id %s)", d.Owner, d.SESMessageID))
	default:
		parts = append(parts, fmt.Sprintf("the claim says %s by %s since %s", d.ClaimState, d.Owner, d.ClaimedAt.UTC().Format(time.RFC3339)))
	}
	switch j := d.Journal; {
	case j == nil:
		parts = append(parts, "this machine's forward journal has no record of it")
	case j.State == forward.StateSent:
		parts = append(parts, fmt.Sprintf("this machine's forward journal says sent %s (SES message id %s)", j.Time.UTC().Format(time.RFC3339), j.SESMessageID))
	case j.State == forward.StateSending:
		parts = append(parts, fmt.Sprintf("this machine's forward journal says a send started %s and has no answer from SES", j.Time.UTC().Format(time.RFC3339)))
	case j.State == forward.StateFailed && j.Refused:
		parts = append(parts, fmt.Sprintf("this machine's forward journal says SES refused it for the message itself %s (%s)", j.Time.UTC().Format(time.RFC3339), j.Error))
	default:
		parts = append(parts, fmt.Sprintf("this machine's forward journal says %s %s", j.State, j.Time.UTC().Format(time.RFC3339)))
	}
	if len(d.Logged) == 0 {
		parts = append(parts, "the shared action log holds no entry of this message")
	} else {
		parts = append(parts, "the shared action log holds: "+strings.Join(d.Logged, "; "))
	}
	return strings.Join(parts, "; ")
}

// Decision is what an operator says of a send in doubt.
type Decision struct {
	// Sent: it was forwarded (SESMessageID, when known); NotSent: it was
	// not, and may be sent again. Neither: only what this machine's
	// journal knows is written back.
	Sent, NotSent bool
	SESMessageID  string
	// Destinations, when set, choose the send of a message whose several
	// sends are in doubt (as a set).
	Destinations []string
	// Force, with NotSent: recorded even when another machine started
	// the send (Doubt.StartedBy), whose journal may say it was sent.
	Force bool
}

// ErrNoDoubt is returned (wrapped) by Resolve when no send of the key is
// in doubt.
var ErrNoDoubt = errors.New("nothing in doubt")

// Resolve finds the sends of key (the object key, or a key ending in
// "/"+key: an SES message id) the team table holds in doubt, says what is
// known of each (the claim, journal, this machine's forward journal, and
// the shared log), and acts: a send the journal records as sent, on the
// machine that made it, is republished (Republish); with a decision, the
// decision is recorded in log (the local and the shared action log: who
// decided, when, and what was known) and then in the claim. "Not sent" is
// refused where something says it was sent (this journal, a sent claim's
// SES message id, a sent entry of the shared log): it is the one word
// that lets a send go out again. Several sends in doubt take a decision
// only with d.Destinations naming one. An empty key is every send in
// doubt, of any message: what this journal knows of each is republished,
// and no decision is taken (one is made of one message).
func (s *Store) Resolve(ctx context.Context, key string, journal *forward.Journal, d Decision, log reforward.ActionLog) ([]Doubt, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	if key == "" && (d.Sent || d.NotSent) {
		return nil, errors.New("a decision is made of one message: give its KEY")
	}
	doubts, others, err := s.doubts(ctx, key, journal)
	if err != nil {
		return nil, err
	}
	if len(doubts) == 0 && key == "" {
		return nil, fmt.Errorf("team table %s: %w", s.table, ErrNoDoubt)
	}
	if len(doubts) == 0 && len(others) == 0 {
		// A typo, or a message no run of the team forwarded: exit 3, as a
		// KEY that names no message.
		return nil, &mailstore.HintError{
			Hint: fmt.Sprintf("check the key (the object key, or the SES message id that ends it, as sesbox ls shows them): team table %s holds no forward send of %s", s.table, key),
			Err:  fmt.Errorf("%s: %w", key, mailstore.ErrNotFound),
		}
	}
	if len(doubts) == 0 {
		return nil, fmt.Errorf("%s: %w (team table %s): %s", key, ErrNoDoubt, s.table, strings.Join(others, "; "))
	}
	decided := d.Sent || d.NotSent
	if decided && len(d.Destinations) > 0 {
		doubts = slices.DeleteFunc(doubts, func(x Doubt) bool { return !slices.Equal(sendSet(x.Destinations), sendSet(d.Destinations)) })
		if len(doubts) == 0 {
			return nil, fmt.Errorf("%s: no send to %s is in doubt: %w (team table %s)", key, strings.Join(d.Destinations, ", "), ErrNoDoubt, s.table)
		}
	}
	if decided && len(doubts) > 1 {
		var sets []string
		for _, x := range doubts {
			sets = append(sets, "--to "+strings.Join(x.Destinations, " --to "))
		}
		return doubts, &mailstore.HintError{
			Hint: fmt.Sprintf("give the destinations of the send you decide on (%s): %d sends of %s are in doubt", strings.Join(sets, " or "), len(doubts), key),
			Err:  errors.New("nothing was decided"),
		}
	}
	for i := range doubts {
		x := &doubts[i]
		ref := reforward.SendRef{Bucket: x.Bucket, Key: x.Key, ETag: x.ETag, Destinations: x.Destinations}
		if x.Journal != nil && x.Journal.State == forward.StateSent {
			st, err := s.Republish(ctx, ref, *x.Journal, reforward.SharedState{State: reforward.SharedUncertain})
			if err != nil {
				return doubts, err
			}
			if st.Republished {
				x.Done = "republished"
				continue
			}
		}
		if !decided {
			continue
		}
		if d.NotSent {
			if why := x.sentEvidence(); why != "" {
				x.Refused = why
				continue
			}
			if x.StartedBy != "" && !d.Force {
				// This machine cannot see that machine's journal: a run
				// there that SES took the send from, killed before the
				// claim's outcome was written, reads here as no evidence,
				// and "not sent" sent it a second time.
				x.Refused = fmt.Sprintf("the send was started by %s, not on this machine: its forward journal, which this machine cannot read, may say it was sent", x.StartedBy)
				x.Hint = fmt.Sprintf("run sesbox team resolve %s on that machine (its journal's outcome is written back), or check the recipients' mail; "+
					"if you are sure it was not sent, --not-sent --force records it all the same", shellescape.Quote(x.Key))
				continue
			}
		}
		if err := s.decide(ctx, x, d, log); err != nil {
			return doubts, err
		}
	}
	return doubts, nil
}

// sentEvidence says what shows the send was made, "" when nothing does.
func (x Doubt) sentEvidence() string {
	switch {
	case x.Journal != nil && x.Journal.State == forward.StateSent:
		return fmt.Sprintf("this machine's forward journal says it was sent %s (SES message id %s)", x.Journal.Time.UTC().Format(time.RFC3339), x.Journal.SESMessageID)
	case x.ClaimState == claimSent && x.SESMessageID != "":
		return fmt.Sprintf("the claim says it was sent by %s (SES message id %s)", x.Owner, x.SESMessageID)
	}
	if x.loggedSent != "" {
		return "the shared action log says it was sent: " + x.loggedSent
	}
	return ""
}

// forced says, for the decision's note, that "not sent" was recorded
// over another machine's send with --force.
func forced(x *Doubt, d Decision) string {
	if d.NotSent && x.StartedBy != "" {
		return " with --force (the send was started by " + x.StartedBy + ")"
	}
	return ""
}

// decide records d on x: the action logs first (who, when, what was
// known), then the claim, at the version read.
func (s *Store) decide(ctx context.Context, x *Doubt, d Decision, log reforward.ActionLog) error {
	now := s.stampNow()
	resolution, result := reforward.ResolvedNotSent, "not sent"
	if d.Sent {
		resolution, result = reforward.ResolvedSent, "sent"
	}
	id := d.SESMessageID
	if id == "" && d.Sent {
		switch {
		case x.SESMessageID != "":
			id = x.SESMessageID
		case x.Journal != nil && x.Journal.SESMessageID != "":
			id = x.Journal.SESMessageID
		}
	}
	if err := log.Append(actionlog.Action{
		Time: now, User: s.owner.User, Host: s.owner.Host, Command: "resolve", Bucket: x.Bucket, Key: x.Key, ETag: x.ETag,
		Destinations: x.Destinations, SESMessageID: id, Result: result,
		Note: fmt.Sprintf("decided by %s%s: what was known: %s", s.owner, forced(x, d), x.Known()),
	}); err != nil {
		return fmt.Errorf("record the decision on %s: %w", x.Key, err)
	}
	c := x.claim
	item := maps.Clone(c.raw)
	for _, k := range []string{"reason", "ses_message_id", "prior_state", "prior_ses_message_id", "prior_at", "prior_owner", "note"} {
		delete(item, k)
	}
	item["resolution"], item["resolved_by"], item["resolved_at"] = str(resolution), str(s.owner.String()), timeAttr(now)
	item["updated_at"], item["ver"] = timeAttr(now), num(c.ver+1)
	item["note"] = str(fmt.Sprintf("in doubt (%s), decided %s by %s", x.Why, result, s.owner))
	if d.Sent {
		item["state"] = str(claimSent)
		if id != "" {
			item["ses_message_id"] = str(id)
		}
		// A sent claim names the run that sent it; here the one that
		// decided (the one before is in the note and the log).
		item["token"], item["owner_host"], item["owner_user"] = str(newToken()), str(s.owner.Host), str(s.owner.User)
		item["owner_pid"], item["owner_boot"] = num(int64(s.owner.PID)), str(s.owner.Boot)
	} else {
		item["state"], item["reason"] = str(claimFailed), str("resolved not sent by "+s.owner.String())
		if j := x.Journal; j != nil && j.State == forward.StateFailed && j.Refused && x.StartedBy == "" && !j.Time.Before(x.ClaimedAt) {
			// This machine's run got SES's refusal of this very send (its
			// journal's record is no older than the claim) and lost the
			// claim's outcome: not sent, and refused, for every machine
			// as for this one's journal; "not sent" alone had the next run
			// elsewhere send it to be refused again.
			item["refused"], item["reason"] = &types.AttributeValueMemberBOOL{Value: true}, str(j.Error)
		}
	}
	pk := getS(c.raw, "pk")
	if err := s.putAtVersion(ctx, pk, c.ver, item, "record the decision on "+x.Key); err != nil {
		if errors.Is(err, errRaced) {
			return &mailstore.HintError{Hint: "run the same command again to see what it is now: another run or operator changed the claim of " + x.Key + " meanwhile",
				Err: fmt.Errorf("the decision is in the action log, not in the claim: %w", err)}
		}
		return err
	}
	x.Done = "resolved " + result
	return nil
}

// doubts reads the claims of key the table holds in doubt (a Scan of the
// claims, as status reads them), with what this machine's journal and
// the shared log say of each, and says what the others of key are.
func (s *Store) doubts(ctx context.Context, key string, journal *forward.Journal) (out []Doubt, others []string, err error) {
	p := dynamodb.NewScanPaginator(s.api, &dynamodb.ScanInput{
		TableName: aws.String(s.table), ConsistentRead: aws.Bool(true),
		FilterExpression:          aws.String("#kind = :claim"),
		ExpressionAttributeNames:  map[string]string{"#kind": "kind"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":claim": str("claim")},
	})
	for p.HasMorePages() {
		sent := time.Now()
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, nil, s.wrap("scan the claims", err)
		}
		s.observe(page.ResultMetadata, sent)
		for _, it := range page.Items {
			c := decodeClaim(it)
			if key != "" && c.key != key && !strings.HasSuffix(c.key, "/"+key) {
				continue
			}
			v, err := s.confirmed(ctx, c)
			if err != nil {
				return nil, nil, err
			}
			if v.State != reforward.SharedUncertain {
				if key != "" {
					others = append(others, fmt.Sprintf("its send to %s is %s", strings.Join(c.dests, ", "), settled(v)))
				}
				continue
			}
			x := Doubt{Bucket: c.bucket, Key: c.key, ETag: c.etag, Destinations: c.dests, ClaimState: c.state, Owner: c.owner.String(),
				ClaimedAt: c.claimedAt, SESMessageID: c.sesID, Why: cmp.Or(v.Suspect, c.reason, "its run never wrote the outcome"), Logged: []string{},
				StartedBy: s.startedElsewhere(c), claim: c}
			if journal != nil {
				if e, ok := journal.Lookup(c.bucket, c.key, c.etag, c.dests); ok {
					x.Journal = &e
				}
			}
			out = append(out, x)
		}
	}
	if len(out) == 0 {
		return nil, others, nil
	}
	entries, _, err := s.ReadLog(ctx)
	if err != nil {
		return nil, nil, err
	}
	for _, e := range entries {
		var a actionlog.Action
		if json.Unmarshal(e.Raw, &a) != nil {
			continue
		}
		for i := range out {
			x := &out[i]
			if a.Bucket != x.Bucket || a.Key != x.Key || strings.Trim(a.ETag, `"`) != x.ETag || (a.Command != "forward" && a.Command != "resolve") ||
				!slices.Equal(sendSet(a.Destinations), sendSet(x.Destinations)) {
				continue
			}
			line := fmt.Sprintf("seq %d %s %s@%s %s %s", e.Seq, a.Time.UTC().Format(time.RFC3339), a.User, a.Host, a.Command, a.Result)
			if a.SESMessageID != "" {
				line += " (SES message id " + a.SESMessageID + ")"
			}
			x.Logged = append(x.Logged, line)
			if a.Command == "forward" && a.Result == "sent" && x.loggedSent == "" {
				x.loggedSent = line
			}
		}
	}
	slices.SortFunc(out, func(a, b Doubt) int { return a.ClaimedAt.Compare(b.ClaimedAt) })
	return out, others, nil
}

// startedElsewhere names the run that started c's send when it is not
// of this user on this host, "" when it is: another OS user or host has
// another forward journal.
func (s *Store) startedElsewhere(c claim) string {
	here := s.owner.User + "@" + s.owner.Host + " pid "
	who := c.owner.String()
	if note, ok := strings.CutPrefix(getS(c.raw, "owner_note"), "started by "); ok && c.state == claimUncertain {
		// An --again or --retry-uncertain send that certainly did not
		// happen put the earlier doubt back (Settle): the owner fields
		// are the retrying run's, the note names the run in doubt.
		who = note
	}
	if strings.HasPrefix(who, here) {
		return ""
	}
	return who
}

// settled says what a send not in doubt is now, for an operator who asks
// of it.
func settled(v reforward.SharedState) string {
	switch {
	case v.State == reforward.SharedSent && v.Resolution == reforward.ResolvedSent:
		return fmt.Sprintf("resolved as sent by %s at %s", v.ResolvedBy, v.At.UTC().Format(time.RFC3339))
	case v.State == reforward.SharedSent:
		return fmt.Sprintf("sent by %s (SES message id %s)", v.Owner, v.SESMessageID)
	case v.State == reforward.SharedClaimed:
		return "being sent by " + v.Owner
	case v.Refused:
		return fmt.Sprintf("refused by SES at %s to the run of %s (%s): no run sends it again; once it is fixed, %s sends it",
			v.At.UTC().Format(time.RFC3339), v.Owner, v.Reason, reforward.OptionRetryRefused.Flag())
	case v.Resolution == reforward.ResolvedNotSent:
		return fmt.Sprintf("resolved as not sent by %s at %s: the next forward run sends it", v.ResolvedBy, v.At.UTC().Format(time.RFC3339))
	}
	return "not sent: the next forward run sends it"
}
