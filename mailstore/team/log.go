package team

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sesbox/sesbox/mailstore/actionlog"
	"github.com/sesbox/sesbox/mailstore/reforward"
)

// The shared action log: one item per entry under pk "log", sk the
// 20-digit sequence number (so the sort key orders them), attribute
// "entry" the exact JSON bytes as actionlog.ChainNext made them. An append
// reads the last entry, chains onto it and writes the next number with
// attribute_not_exists: of two writers racing for a number one wins, the
// other reads the new tail and tries again, so the chain never forks.

const (
	logPK  = "log"
	headPK = "loghead"
)

func seqSK(n int64) string { return fmt.Sprintf("%020d", n) }

func itemName(sk string) string { return logPK + "/" + sk }

// appendTimeout bounds one Append (the client's retries included).
const appendTimeout = 30 * time.Second

// Append adds a to the shared log (reforward.ActionLog, drafts.ActionLog).
// Time, User and Host are filled when empty; Prev and Seq are set here. A
// reply that was sent also marks its message answered for everyone.
func (s *Store) Append(a actionlog.Action) error {
	ctx, cancel := context.WithTimeout(context.Background(), appendTimeout)
	defer cancel()
	if err := s.AppendContext(ctx, a); err != nil {
		return err
	}
	if a.Command == "reply" && a.Result == "sent" && a.Bucket != "" && a.Key != "" {
		return s.SetAnswered(ctx, a.Bucket, a.Key, true)
	}
	return nil
}

// AppendContext is Append with a context.
func (s *Store) AppendContext(ctx context.Context, a actionlog.Action) error {
	if err := s.check(); err != nil {
		return err
	}
	if a.Time.IsZero() {
		a.Time = s.now()
	}
	if a.User == "" {
		a.User = s.owner.User
	}
	if a.Host == "" {
		a.Host = s.owner.Host
	}
	for range maxContention {
		last, err := s.lastEntry(ctx)
		if err != nil {
			return err
		}
		raw, err := actionlog.ChainNext(a, last)
		if err != nil {
			return fmt.Errorf("team action log: %w", err)
		}
		seq := int64(1)
		if last != nil {
			seq = last.Seq + 1
		}
		_, err = s.api.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: aws.String(s.table),
			Item: map[string]types.AttributeValue{
				"pk": str(logPK), "sk": str(seqSK(seq)), "kind": str("log"), "seq": num(seq), "entry": str(string(raw)),
			},
			ConditionExpression: aws.String("attribute_not_exists(pk)"),
		})
		if err == nil {
			return s.advanceHead(ctx, seq, actionlog.EntryHash(raw))
		}
		if !isConditionFailed(err) {
			return s.wrap("append to the action log", err)
		}
		// Another writer took the number, or this is the client's retry of
		// our own write that went through: the item tells which.
		got, err := s.entry(ctx, seq)
		if err != nil {
			return err
		}
		if got != nil && bytes.Equal(got.Raw, raw) {
			return s.advanceHead(ctx, seq, actionlog.EntryHash(raw))
		}
	}
	return fmt.Errorf("team table %s: append to the action log: lost %d races in a row", s.table, maxContention)
}

// advanceHead moves the head to entry seq unless it is already further.
func (s *Store) advanceHead(ctx context.Context, seq int64, hash string) error {
	_, err := s.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(s.table),
		Key:                      keyOf(headPK, "head"),
		UpdateExpression:         aws.String("SET #k = :kind, #c = :n, #l = :h"),
		ConditionExpression:      aws.String("attribute_not_exists(#c) OR #c < :n"),
		ExpressionAttributeNames: map[string]string{"#k": "kind", "#c": "count", "#l": "last"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":kind": str("head"), ":n": num(seq), ":h": str(hash),
		},
	})
	if err != nil && !isConditionFailed(err) {
		return s.wrap("move the action log's head", err)
	}
	return nil
}

func decodeEntry(it map[string]types.AttributeValue) (actionlog.SharedEntry, error) {
	sk := getS(it, "sk")
	n, err := strconv.ParseInt(sk, 10, 64)
	if err != nil {
		return actionlog.SharedEntry{}, fmt.Errorf("log item %q: not a sequence number", sk)
	}
	return actionlog.SharedEntry{Seq: n, Raw: []byte(getS(it, "entry")), Item: itemName(sk)}, nil
}

func (s *Store) lastEntry(ctx context.Context) (*actionlog.SharedEntry, error) {
	out, err := s.api.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(logPK)},
		ScanIndexForward:          aws.Bool(false),
		Limit:                     aws.Int32(1),
		ConsistentRead:            aws.Bool(true),
	})
	if err != nil {
		return nil, s.wrap("read the action log's tail", err)
	}
	if len(out.Items) == 0 {
		return nil, nil
	}
	e, err := decodeEntry(out.Items[0])
	if err != nil {
		return nil, fmt.Errorf("team table %s: %w", s.table, err)
	}
	return &e, nil
}

func (s *Store) entry(ctx context.Context, seq int64) (*actionlog.SharedEntry, error) {
	out, err := s.api.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.table), Key: keyOf(logPK, seqSK(seq)), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, s.wrap("read the action log", err)
	}
	if len(out.Item) == 0 {
		return nil, nil
	}
	e, err := decodeEntry(out.Item)
	if err != nil {
		return nil, fmt.Errorf("team table %s: %w", s.table, err)
	}
	return &e, nil
}

// ReadLog returns every entry of the shared log in order, and its head
// (nil when there is none), for actionlog.VerifyShared.
func (s *Store) ReadLog(ctx context.Context) ([]actionlog.SharedEntry, *actionlog.SharedHead, error) {
	if err := s.check(); err != nil {
		return nil, nil, err
	}
	var entries []actionlog.SharedEntry
	p := dynamodb.NewQueryPaginator(s.api, &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(logPK)},
		ConsistentRead:            aws.Bool(true),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, nil, s.wrap("read the action log", err)
		}
		for _, it := range page.Items {
			e, err := decodeEntry(it)
			if err != nil {
				return nil, nil, fmt.Errorf("team table %s: %w", s.table, err)
			}
			entries = append(entries, e)
		}
	}
	out, err := s.api.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.table), Key: keyOf(headPK, "head"), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, nil, s.wrap("read the action log's head", err)
	}
	if len(out.Item) == 0 {
		return entries, nil, nil
	}
	return entries, &actionlog.SharedHead{Count: getN(out.Item, "count"), Last: getS(out.Item, "last"), Item: headPK + "/head"}, nil
}

// VerifyLog reads and checks the shared log (actionlog.VerifyShared).
func (s *Store) VerifyLog(ctx context.Context) ([]actionlog.Action, []actionlog.Problem, *actionlog.SharedHead, error) {
	entries, head, err := s.ReadLog(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	actions, problems := actionlog.VerifyShared(entries, head)
	return actions, problems, head, nil
}

// sendLog is the forward sends the shared log records (loggedSend of each
// entry that says one was sent), as read up to entry last.
type sendLog struct {
	sent map[string]bool
	last int64
}

func (l *sendLog) add(e actionlog.SharedEntry) {
	if l.sent == nil {
		l.sent = map[string]bool{}
	}
	l.last = max(l.last, e.Seq)
	var a actionlog.Action
	if json.Unmarshal(e.Raw, &a) != nil || a.Result != "sent" {
		return
	}
	switch a.Command {
	case "forward":
		l.sent[loggedSend(a.Bucket, a.Key, a.ETag, a.SESMessageID)] = true
	case "resolve":
		l.sent[resolveKey(a.Bucket, a.Key, a.ETag, a.Destinations, reforward.ResolvedSent)] = true
	}
}

// loggedSend names a send the way a claim and a shared-log entry both
// record it.
func loggedSend(bucket, key, etag, sesID string) string {
	return sendPK(bucket, key, strings.Trim(etag, `"`), []string{sesID})
}

// readSends reads into s.sends the shared log's entries after the last
// one it holds (the log only grows, so a run reads each entry once).
// s.logMu is held.
func (s *Store) readSends(ctx context.Context) error {
	p := dynamodb.NewQueryPaginator(s.api, &dynamodb.QueryInput{
		TableName:              aws.String(s.table),
		KeyConditionExpression: aws.String("pk = :pk AND sk > :after"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(logPK), ":after": str(seqSK(s.sends.last)),
		},
		ConsistentRead: aws.Bool(true),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return s.wrap("read the action log", err)
		}
		for _, it := range page.Items {
			if e, err := decodeEntry(it); err == nil {
				s.sends.add(e)
			}
		}
	}
	return nil
}

// unlogged says why the shared log does not bear out st, what claim c
// says was sent (its SES message id; the claim's own send or the one it
// was made over), or "" when it does: the log holds that send, or the
// send was settled too short a while ago for its entry to be expected
// (a run appends it after the outcome, within appendTimeout). A time
// settled ahead of the table's clock by more than any sesbox stamps is
// no such moment: a claim settled in 2261 was never waited on for good.
func (s *Store) unlogged(c claim, st reforward.SharedState, l *sendLog) string {
	if l.sent[loggedSend(c.bucket, c.key, c.etag, st.SESMessageID)] {
		return ""
	}
	if c.state == claimSent && c.resolution == reforward.ResolvedSent && l.sent[resolveKey(c.bucket, c.key, c.etag, c.dests, reforward.ResolvedSent)] {
		return "" // an operator's decision, which the log holds
	}
	if age := s.judgeNow().Sub(st.At); age < appendTimeout && age > -leaseSlack {
		return ""
	}
	return fmt.Sprintf("it says sent (SES message id %s), and the shared action log holds no such send: "+
		"a run that could not log its send, or a record no sesbox wrote; sesbox audit log --verify checks the log", st.SESMessageID)
}
