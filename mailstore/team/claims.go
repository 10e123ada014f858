package team

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/reforward"
)

var (
	_ reforward.Claims = (*Store)(nil)
	_ reforward.Leased = (*Store)(nil)
)

// live holds the tokens of the claims this process holds (claimed, no
// outcome written yet), whichever Store took them.
var live sync.Map // token -> struct{}

// ClaimLease implements reforward.Leased: a run starts a send only while
// its claim will outlast it.
func (s *Store) ClaimLease() time.Duration { return s.Lease }

// The states a claim item is in. "sending" is a claim without an outcome:
// while its lease runs and its owner lives a run is sending it; after that
// it is uncertain, exactly like an explicit "uncertain".
const (
	claimSending   = "sending"
	claimSent      = "sent"
	claimFailed    = "failed"
	claimUncertain = "uncertain"
)

// The phases of a sending claim (its "start" attribute): claimed, and
// SES not called yet (pending); then started, just before SES is called
// (StartSend). A pending claim whose owner died or whose lease ran out was
// certainly not sent. A claim without the attribute (written by a sesbox
// before it) is taken as started: in doubt.
const (
	startPending = "pending"
	startStarted = "started"
)

// The views status reports (reforward's shared states).
const (
	stateClaimedView   = reforward.SharedClaimed
	stateUncertainView = reforward.SharedUncertain
)

// claim is a decoded claim item.
type claim struct {
	bucket, key, etag string
	dests             []string
	state             string
	token             string
	owner             Owner
	claimedAt         time.Time
	leaseUntil        time.Time
	updatedAt         time.Time
	ver               int64
	start             string // startPending, startStarted or "" (before phases)
	sesID, reason     string
	// The state an --again or --retry-uncertain claim replaced: restored
	// when the new send certainly did not happen.
	priorState, priorSESID, priorOwner string
	priorAt                            time.Time
	// An operator's decision on the send in doubt (Resolve): sent or
	// not-sent, by whom and when.
	resolution, resolvedBy string
	resolvedAt             time.Time
	// refused, on a failed claim: SES refused the send for the message
	// itself (Outcome.Refused). An attribute beside "failed" rather
	// than a state of its own: a teammate's older sesbox reads the claim
	// as it did before (failed, free to claim), and the table's schema
	// stays 1.
	refused bool
	raw     map[string]types.AttributeValue
}

func decodeClaim(it map[string]types.AttributeValue) claim {
	return claim{
		bucket: getS(it, "bucket"), key: getS(it, "key"), etag: getS(it, "etag"), dests: getL(it, "destinations"),
		state: getS(it, "state"), token: getS(it, "token"),
		owner:     Owner{Host: getS(it, "owner_host"), User: getS(it, "owner_user"), PID: int(getN(it, "owner_pid")), Boot: getS(it, "owner_boot")},
		claimedAt: getTime(it, "claimed_at"), leaseUntil: getTime(it, "lease_until"), updatedAt: getTime(it, "updated_at"),
		ver: getN(it, "ver"), start: getS(it, "start"), sesID: getS(it, "ses_message_id"), reason: getS(it, "reason"),
		priorState: getS(it, "prior_state"), priorSESID: getS(it, "prior_ses_message_id"), priorOwner: getS(it, "prior_owner"),
		priorAt:    getTime(it, "prior_at"),
		resolution: getS(it, "resolution"), resolvedBy: getS(it, "resolved_by"), resolvedAt: getTime(it, "resolved_at"),
		refused: getBool(it, "refused"), raw: it,
	}
}

// dead reports whether the claim's owner is a process of this very
// machine (same host name and boot) that no longer runs: its claim will
// never get an outcome, lease or not. A claim naming this process's own
// pid that this process does not hold was written by an earlier process
// that had the pid: dead too (it read as alive, and a run waited out its
// lease).
func (s *Store) dead(c claim) bool {
	o := c.owner
	if o.Boot == "" || o.Boot != s.owner.Boot || o.Host != s.owner.Host || o.PID <= 0 {
		return false
	}
	if o.PID == s.owner.PID {
		_, held := live.Load(c.token)
		return !held
	}
	return !s.alive(o.PID)
}

// leaseSlack is how far past the longest lease from now a sesbox's lease
// may end: a run stamps its lease by the table's time as late as the last
// answer allows (stampNow), which its claim's deadline (30 s) bounds, and
// every other machine judges it as early as its own allows.
const leaseSlack = time.Minute

// distrust says why a claim item is not one sesbox wrote, "" when it may
// be. Anyone with write access to the table can put any item; two kinds
// steered every run: a "sent" that no run sent made every operator skip a
// message never forwarded, and a lease stamped in 2261 held a message as
// being sent right now, for good. Every sent claim sesbox writes carries
// the SES message id and the run that sent it (its token and owner), and
// every claim its send's own fields under the key they hash to; no lease
// sesbox takes ends further ahead than the longest lease (Store.Lease,
// DefaultLease) and leaseSlack. Such a claim reads uncertain: never
// skipped as sent nor waited for, never sent without --retry-uncertain
// (TestTeam/ForgedClaimsAreNotTrusted).
func (s *Store) distrust(c claim) string {
	switch c.state {
	case claimSent:
		if c.sesID == "" && c.resolution != reforward.ResolvedSent {
			return "it says sent but holds no SES message id, which sesbox records with every send"
		}
		if c.token == "" || c.owner.PID <= 0 {
			return "it says sent but names no run that sent it"
		}
	case claimSending:
		if longest := max(s.Lease, DefaultLease); c.leaseUntil.After(s.judgeNow().Add(longest + leaseSlack)) {
			return fmt.Sprintf("its lease runs until %s, further ahead than the %v any sesbox takes",
				c.leaseUntil.UTC().Format(time.RFC3339), longest)
		}
	default:
		return ""
	}
	if getS(c.raw, "pk") != sendPK(c.bucket, c.key, c.etag, c.dests) {
		return "its message and destinations are not the send its key stands for"
	}
	return ""
}

// view is what a claim item means to a run now.
func (s *Store) view(c claim) reforward.SharedState {
	st := reforward.SharedState{Owner: c.owner.String(), At: c.claimedAt, Reason: c.reason}
	if why := s.distrust(c); why != "" {
		st.State, st.Suspect = reforward.SharedUncertain, why
		return st
	}
	switch c.state {
	case claimSent:
		st.State, st.SESMessageID, st.At = reforward.SharedSent, c.sesID, c.updatedAt
		st.Resolution, st.ResolvedBy = c.resolution, c.resolvedBy
	case claimFailed:
		// Free to claim; an operator's "not sent" is told to the run, for
		// the journal of the machine whose send it was in doubt.
		st.State, st.Resolution, st.ResolvedBy = reforward.SharedNone, c.resolution, c.resolvedBy
		if c.resolution != "" {
			st.At = c.resolvedAt
		}
		if c.refused {
			// Refused by SES (by its run, or by an operator's "not sent"
			// on the machine whose journal has the refusal): every
			// machine's run reports it so and sends it only with
			// --retry-refused.
			st.Refused, st.At = true, c.updatedAt
		}
	case claimUncertain:
		st.State = reforward.SharedUncertain
	case claimSending:
		switch {
		case !s.judgeNow().After(c.leaseUntil) && !s.dead(c):
			st.State = reforward.SharedClaimed
		case c.start == startPending:
			// Its run ended before it called SES: as it was before the claim.
			return c.before()
		default:
			st.State = reforward.SharedUncertain
		}
	default:
		st.State = reforward.SharedNone
	}
	return st
}

// confirmed is view(c), and a sent view only when the shared action log
// bears it out (unlogged): every run that sends logs the send there, SES
// message id and all, so a sent claim the log lacks is a run that could
// not log its send or a claim no sesbox wrote, made with every field a
// sesbox's has. Either way whether it was sent is in doubt: uncertain,
// reported with what to check and sent only with --retry-uncertain (or
// --again). Skipped as sent, a claim forged to the letter stopped every
// operator's runs from forwarding its message, while team status listed
// it unlogged; sent again, a run's send whose log entry was lost went out
// twice (TestTeam/UnloggedSentClaimIsInDoubt). The log is read once a
// process, then from its last entry read on: a log that cannot be read
// fails as the table does (every run appends to it after each send).
func (s *Store) confirmed(ctx context.Context, c claim) (reforward.SharedState, error) {
	st := s.view(c)
	if st.State != reforward.SharedSent {
		return st, nil
	}
	s.logMu.Lock()
	defer s.logMu.Unlock()
	why := s.unlogged(c, st, &s.sends)
	if why != "" {
		if err := s.readSends(ctx); err != nil {
			return reforward.SharedState{}, err
		}
		why = s.unlogged(c, st, &s.sends)
	}
	if why != "" {
		return reforward.SharedState{State: reforward.SharedUncertain, Suspect: why, Owner: st.Owner, At: st.At}, nil
	}
	return st, nil
}

// before is what a claim that was never sent replaced: the earlier send
// an --again or --retry-uncertain claim was made over (sent, or in doubt),
// else nothing.
func (c claim) before() reforward.SharedState {
	switch c.priorState {
	case claimSent:
		return reforward.SharedState{State: reforward.SharedSent, SESMessageID: c.priorSESID, At: c.priorAt, Owner: c.priorOwner}
	case claimUncertain:
		return reforward.SharedState{State: reforward.SharedUncertain, At: c.priorAt, Owner: c.priorOwner}
	}
	return reforward.SharedState{State: reforward.SharedNone}
}

func (s *Store) getClaim(ctx context.Context, pk string) (claim, bool, error) {
	sent := time.Now()
	out, err := s.api.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.table), Key: keyOf(pk, "claim"), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return claim{}, false, s.wrap("read claim", err)
	}
	s.observe(out.ResultMetadata, sent)
	if len(out.Item) == 0 {
		return claim{}, false, nil
	}
	return decodeClaim(out.Item), true, nil
}

// Lookup implements reforward.Claims.
func (s *Store) Lookup(ctx context.Context, ref reforward.SendRef) (reforward.SharedState, error) {
	if err := s.check(); err != nil {
		return reforward.SharedState{}, err
	}
	c, ok, err := s.getClaim(ctx, claimPK(ref.Bucket, ref.Key, ref.ETag, ref.Destinations))
	if err == nil && !ok {
		return s.lookupLegacy(ctx, ref)
	}
	if err != nil {
		return reforward.SharedState{}, err
	}
	return s.confirmed(ctx, c)
}

// lookupLegacy reads the send as a teammate's older sesbox recorded it
// (legacyClaimPK); nothing when its key is claimPK's.
func (s *Store) lookupLegacy(ctx context.Context, ref reforward.SendRef) (reforward.SharedState, error) {
	pk := legacyClaimPK(ref.Bucket, ref.Key, ref.ETag, ref.Destinations)
	if pk == "" {
		return reforward.SharedState{}, nil
	}
	c, ok, err := s.getClaim(ctx, pk)
	if err != nil || !ok {
		return reforward.SharedState{}, err
	}
	return s.confirmed(ctx, c)
}

// mayClaim tells whether a send in state v may be claimed: never settled,
// or settled in a way the run's options send again.
func mayClaim(v reforward.SharedState, again, retryUncertain, retryRefused bool, seen string) bool {
	return (v.State == reforward.SharedNone && (!v.Refused || retryRefused)) ||
		(v.State == reforward.SharedSent && again && v.SESMessageID == seen) ||
		(v.State == reforward.SharedUncertain && (again || retryUncertain))
}

// maxContention bounds how often a claim or an append is retried after
// losing a race: each loss means another writer made progress.
const maxContention = 64

// Claim implements reforward.Claims: a conditional write on the item's
// version (or its absence) that exactly one run wins.
func (s *Store) Claim(ctx context.Context, ref reforward.SendRef, again, retryUncertain, retryRefused bool) (string, reforward.SharedState, error) {
	if err := s.check(); err != nil {
		return "", reforward.SharedState{}, err
	}
	pk := claimPK(ref.Bucket, ref.Key, ref.ETag, ref.Destinations)
	for range maxContention {
		cur, exists, err := s.getClaim(ctx, pk)
		if err != nil {
			return "", reforward.SharedState{}, err
		}
		v, err := s.confirmed(ctx, cur)
		if err != nil {
			return "", reforward.SharedState{}, err
		}
		if exists && !mayClaim(v, again, retryUncertain, retryRefused, ref.Seen) {
			return "", v, nil
		}
		if !exists {
			// An older sesbox's record of the send decides as this key's
			// would (read, not written: it is not the key this run holds).
			old, err := s.lookupLegacy(ctx, ref)
			if err != nil {
				return "", reforward.SharedState{}, err
			}
			if !mayClaim(old, again, retryUncertain, retryRefused, ref.Seen) {
				return "", old, nil
			}
		}
		tok := newToken()
		now := s.stampNow()
		item := map[string]types.AttributeValue{
			"pk": str(pk), "sk": str("claim"), "kind": str("claim"),
			"bucket": str(ref.Bucket), "key": str(ref.Key), "etag": str(strings.Trim(ref.ETag, `"`)),
			"destinations": list(sendSet(ref.Destinations)),
			"state":        str(claimSending), "token": str(tok),
			"owner_host": str(s.owner.Host), "owner_user": str(s.owner.User), "owner_pid": num(int64(s.owner.PID)),
			"owner_boot": str(s.owner.Boot),
			"claimed_at": timeAttr(now), "lease_until": timeAttr(now.Add(s.Lease)), "updated_at": timeAttr(now),
			"ver": num(cur.ver + 1), "start": str(startPending),
		}
		// The prior state as the view tells it: of a claim never sent, the
		// one it replaced (claim.before).
		switch v.State {
		case reforward.SharedSent:
			item["prior_state"], item["prior_ses_message_id"] = str(claimSent), str(v.SESMessageID)
			item["prior_at"], item["prior_owner"] = timeAttr(v.At), str(v.Owner)
		case reforward.SharedUncertain:
			item["prior_state"], item["prior_at"], item["prior_owner"] = str(claimUncertain), timeAttr(v.At), str(v.Owner)
		}
		in := &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: item}
		if exists {
			in.ConditionExpression = aws.String("#ver = :v")
			in.ExpressionAttributeNames = map[string]string{"#ver": "ver"}
			in.ExpressionAttributeValues = map[string]types.AttributeValue{":v": num(cur.ver)}
		} else {
			in.ConditionExpression = aws.String("attribute_not_exists(pk)")
		}
		// Held from before the write: a retried write whose first attempt
		// went through must not read as an earlier process's claim.
		live.Store(tok, struct{}{})
		_, err = s.api.PutItem(ctx, in)
		if err == nil {
			return tok, reforward.SharedState{}, nil
		}
		if !isConditionFailed(err) {
			// Written or not: while this process runs, the claim is its.
			return "", reforward.SharedState{}, s.wrap("claim", err)
		}
		// Lost the race, or the client's retry of our own write that had
		// gone through: the item tells which.
		if now, ok, err := s.getClaim(ctx, pk); err != nil {
			return "", reforward.SharedState{}, err
		} else if ok && now.token == tok {
			return tok, reforward.SharedState{}, nil
		}
		live.Delete(tok)
	}
	return "", reforward.SharedState{}, fmt.Errorf("team table %s: claim %s: lost %d races in a row", s.table, mailstore.ObjectName(ref.Bucket, ref.Key), maxContention)
}

// Settle implements reforward.Claims: the outcome replaces the claim only
// while the claim is still this run's.
func (s *Store) Settle(ctx context.Context, ref reforward.SendRef, token string, o reforward.Outcome) (rerr error) {
	defer func() {
		if rerr == nil {
			live.Delete(token) // an outcome is written: no longer held
		}
	}()
	if err := s.check(); err != nil {
		return err
	}
	pk := claimPK(ref.Bucket, ref.Key, ref.ETag, ref.Destinations)
	cur, ok, err := s.getClaim(ctx, pk)
	if err != nil {
		return err
	}
	if !ok || cur.token != token {
		return s.takenOver(ref, cur, ok)
	}
	if cur.state != claimSending {
		return fmt.Errorf("team table %s: %s: the claim already has an outcome (%s)", s.table, ref.Key, cur.state)
	}
	now := s.stampNow()
	item := maps.Clone(cur.raw)
	for _, k := range []string{"ses_message_id", "reason", "prior_state", "prior_ses_message_id", "prior_at", "prior_owner"} {
		delete(item, k)
	}
	item["updated_at"] = timeAttr(now)
	item["ver"] = num(cur.ver + 1)
	if o.Reason != "" {
		item["reason"] = str(o.Reason)
	}
	switch {
	case o.Sent:
		item["state"], item["ses_message_id"] = str(claimSent), str(o.SESMessageID)
	case o.NotSent && cur.priorState == claimSent:
		// --again did not send: it stays sent, as before.
		item["state"], item["ses_message_id"], item["updated_at"] = str(claimSent), str(cur.priorSESID), timeAttr(cur.priorAt)
		item["owner_note"] = str("sent by " + cur.priorOwner)
	case o.NotSent && cur.priorState == claimUncertain:
		item["state"], item["claimed_at"] = str(claimUncertain), timeAttr(cur.priorAt)
		item["owner_note"] = str("started by " + cur.priorOwner)
	case o.NotSent:
		item["state"] = str(claimFailed)
		if o.Refused {
			item["refused"] = &types.AttributeValueMemberBOOL{Value: true}
		}
	default:
		item["state"] = str(claimUncertain)
	}
	return s.replaceSending(ctx, ref, pk, cur, token, item, "record the outcome of ")
}

// RenewClaim implements reforward.Leased: the claim's lease runs a whole
// Lease again from now, while the claim is still this run's and has no
// outcome.
func (s *Store) RenewClaim(ctx context.Context, ref reforward.SendRef, token string) error {
	return s.updateOwnClaim(ctx, ref, token, "renew the claim of ", func(item map[string]types.AttributeValue) {
		item["lease_until"] = timeAttr(s.stampNow().Add(s.Lease))
	})
}

// StartSend implements reforward.Leased: the claim says its send has
// started (SES is called next), while it is still this run's and has no
// outcome. From here on a claim left without an outcome is in doubt.
func (s *Store) StartSend(ctx context.Context, ref reforward.SendRef, token string) error {
	return s.updateOwnClaim(ctx, ref, token, "start the send of ", func(item map[string]types.AttributeValue) {
		item["start"], item["started_at"] = str(startStarted), timeAttr(s.stampNow())
	})
}

// updateOwnClaim rewrites the claim of ref with edit, while it is still
// this run's (token) and has no outcome; what names the write in errors.
func (s *Store) updateOwnClaim(ctx context.Context, ref reforward.SendRef, token, what string, edit func(map[string]types.AttributeValue)) error {
	if err := s.check(); err != nil {
		return err
	}
	pk := claimPK(ref.Bucket, ref.Key, ref.ETag, ref.Destinations)
	cur, ok, err := s.getClaim(ctx, pk)
	if err != nil {
		return err
	}
	if !ok || cur.token != token || cur.state != claimSending {
		return s.takenOver(ref, cur, ok)
	}
	item := maps.Clone(cur.raw)
	edit(item)
	item["ver"] = num(cur.ver + 1)
	return s.replaceSending(ctx, ref, pk, cur, token, item, what)
}

// replaceSending writes item (version cur.ver+1) over the claim cur while
// it is still this run's (token) and sending, at version cur.ver. A
// condition that fails because the SDK retried a write that had gone
// through is recognised as this run's own (the same token, state and next
// version); anything else is a claim taken over. what names the write in
// an error.
func (s *Store) replaceSending(ctx context.Context, ref reforward.SendRef, pk string, cur claim, token string, item map[string]types.AttributeValue, what string) error {
	_, err := s.api.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.table), Item: item,
		ConditionExpression:       aws.String("#tok = :tok AND #st = :sending AND #ver = :v"),
		ExpressionAttributeNames:  map[string]string{"#tok": "token", "#st": "state", "#ver": "ver"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":tok": str(token), ":sending": str(claimSending), ":v": num(cur.ver)},
	})
	if err == nil {
		return nil
	}
	if !isConditionFailed(err) {
		return s.wrap(what+ref.Key, err)
	}
	after, ok, gerr := s.getClaim(ctx, pk)
	if gerr != nil {
		return gerr
	}
	if ok && after.token == token && after.state == getS(item, "state") && after.ver == cur.ver+1 {
		return nil // the client's retry of a write that had gone through
	}
	return s.takenOver(ref, after, ok)
}

func (s *Store) takenOver(ref reforward.SendRef, cur claim, ok bool) error {
	if !ok {
		return fmt.Errorf("team table %s: %s: the claim of this run is gone from the table", s.table, mailstore.ObjectName(ref.Bucket, ref.Key))
	}
	return fmt.Errorf("team table %s: %s: the claim of this run was taken over by %s (%s) before its outcome was written",
		s.table, ref.Key, cur.owner, cur.state)
}
