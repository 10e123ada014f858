package team

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sesbox/sesbox/mailstore/reforward"
)

var _ reforward.SharedPacer = (*Store)(nil)

// The pace item: when, by the table's clock, the next send of any run
// may start. One item, rewritten by every send, so nothing accumulates.
const (
	pacePK = "pace"
	paceSK = "next"
)

// maxPaceAhead is how far past the table's clock the next start may be
// and still be the runs': each run holds one slot ahead at a time, of its
// send's recipients / its rate, so the next start is at most the sum of
// one slot a run. An hour (fourteen runs each waiting for 50 recipients at
// 0.2 a second), or 64 slots of this run's length when longer. One
// further ahead was written by no sesbox: it is not waited for, and this
// run's slot writes over it. Before, a next start put in 2261 by anyone
// with write access to the table held every run's next send, for good
// (TestTeam/PaceFromTheFutureIsNoRuns), as a read mark in 2261 once won
// over every change (maxMarkAhead).
func maxPaceAhead(length time.Duration) time.Duration {
	return max(maxMarkAhead, 64*length)
}

// PaceSend implements reforward.SharedPacer: the send's time (recipients
// / rate) is appended to one timeline every run of the table shares, by a
// write conditional on the version read, so two runs never take the same
// stretch. The time is the table's (markNow), given back by this
// machine's clock.
func (s *Store) PaceSend(ctx context.Context, rate float64, recipients int) (time.Time, error) {
	if err := s.check(); err != nil {
		return time.Time{}, err
	}
	if rate <= 0 {
		return time.Time{}, fmt.Errorf("team table %s: pace sends at a rate of %v recipients a second", s.table, rate)
	}
	length := time.Duration(float64(recipients) / rate * float64(time.Second))
	key := keyOf(pacePK, paceSK)
	for range maxContention {
		sent := time.Now()
		out, err := s.api.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.table), Key: key, ConsistentRead: aws.Bool(true)})
		if err != nil {
			return time.Time{}, s.wrap("read the send pace", err)
		}
		s.observe(out.ResultMetadata, sent)
		local := s.now()
		now := s.markNow()
		start := now
		if next := getTime(out.Item, "next"); next.After(start) && !next.After(now.Add(maxPaceAhead(length))) {
			start = next
		}
		ver, tok := getN(out.Item, "ver"), newToken()
		in := &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: map[string]types.AttributeValue{
			"pk": str(pacePK), "sk": str(paceSK), "kind": str("pace"),
			"next": timeAttr(start.Add(length)), "ver": num(ver + 1), "token": str(tok),
		}}
		if len(out.Item) == 0 {
			in.ConditionExpression = aws.String("attribute_not_exists(pk)")
		} else {
			in.ConditionExpression = aws.String("#ver = :v")
			in.ExpressionAttributeNames = map[string]string{"#ver": "ver"}
			in.ExpressionAttributeValues = map[string]types.AttributeValue{":v": num(ver)}
		}
		_, err = s.api.PutItem(ctx, in)
		if err == nil {
			return start.Add(local.Sub(now)), nil
		}
		if !isConditionFailed(err) {
			return time.Time{}, s.wrap("take a send's time", err)
		}
		// Another run took the stretch first, or the client retried a
		// write of ours that had gone through: the item tells which.
		after, gerr := s.api.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.table), Key: key, ConsistentRead: aws.Bool(true)})
		if gerr != nil {
			return time.Time{}, s.wrap("read the send pace", gerr)
		}
		if getS(after.Item, "token") == tok {
			return start.Add(local.Sub(now)), nil
		}
	}
	return time.Time{}, fmt.Errorf("team table %s: pace a send: lost %d races in a row", s.table, maxContention)
}
