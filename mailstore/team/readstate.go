package team

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sesbox/sesbox/mailstore/mailbox"
)

var _ mailbox.SharedReadState = (*Store)(nil)

// Read state lives in one partition per bucket ("read#" + bucket), one
// item per message key, so a refresh reads a bucket's states with one
// paginated Query. Each flag carries the time it was set (Unix
// nanoseconds of the table's clock as the writer last saw it: markNow);
// a write only lands when it is newer than the one stored, so the last
// writer wins on every machine whatever order the writes arrive in, and
// whatever their clocks say.

func readPK(bucket string) string { return "read#" + bucket }

// maxMarkAhead is how far past the table's clock a flag's time may be and
// still be a writer's: every writer stamps by the table's clock (markNow).
// One further ahead was written by no sesbox (a teammate's tool gone wrong,
// or anyone with write access to the table): it is not applied, and any
// change writes over it. Before, a mark stamped in 2262 won over every
// later change, for good, and each refresh put it back.
const maxMarkAhead = time.Hour

// SetRead implements mailbox.SharedReadState.
func (s *Store) SetRead(ctx context.Context, bucket, key string, read bool) error {
	return s.setFlag(ctx, bucket, key, "read", read)
}

// SetAnswered records that a message was (or was not) answered.
func (s *Store) SetAnswered(ctx context.Context, bucket, key string, answered bool) error {
	return s.setFlag(ctx, bucket, key, "answered", answered)
}

func (s *Store) setFlag(ctx context.Context, bucket, key, flag string, v bool) error {
	if err := s.check(); err != nil {
		return err
	}
	if err := s.knowClock(ctx, keyOf(readPK(bucket), key)); err != nil {
		return err
	}
	at := s.markNow().UnixNano()
	sent := time.Now()
	out, err := s.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(s.table),
		Key:                 keyOf(readPK(bucket), key),
		UpdateExpression:    aws.String("SET #kind = :kind, #bucket = :b, #f = :v, #at = :at, #by = :by"),
		ConditionExpression: aws.String("attribute_not_exists(#at) OR #at < :at OR #at > :ahead"),
		// Every name goes through a placeholder: DynamoDB reserves
		// hundreds of words, "bucket" among them.
		ExpressionAttributeNames: map[string]string{"#kind": "kind", "#bucket": "bucket", "#f": flag, "#at": flag + "_at", "#by": flag + "_by"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":kind": str("read"), ":b": str(bucket), ":v": &types.AttributeValueMemberBOOL{Value: v},
			":at": num(at), ":ahead": num(at + int64(maxMarkAhead)), ":by": str(s.owner.User + "@" + s.owner.Host),
		},
	})
	if isConditionFailed(err) {
		return nil // a newer write is already there: it wins
	}
	if err != nil {
		return s.wrap("set "+flag+" state", err)
	}
	s.observe(out.ResultMetadata, sent)
	return nil
}

// ReadStates implements mailbox.SharedReadState: every message of bucket
// whose read state was ever shared.
func (s *Store) ReadStates(ctx context.Context, bucket string) ([]mailbox.SharedRead, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	var out []mailbox.SharedRead
	p := dynamodb.NewQueryPaginator(s.api, &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(readPK(bucket))},
		ConsistentRead:            aws.Bool(true),
	})
	for p.HasMorePages() {
		sent := time.Now()
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, s.wrap("read the read state", err)
		}
		s.observe(page.ResultMetadata, sent)
		ahead := s.markNow().Add(maxMarkAhead).UnixNano()
		for _, it := range page.Items {
			r := mailbox.SharedRead{Key: getS(it, "sk")}
			if _, ok := it["read_at"]; ok && getN(it, "read_at") <= ahead {
				r.HasRead, r.Read, r.ReadAt = true, getBool(it, "read"), time.Unix(0, getN(it, "read_at")).UTC()
				r.ReadBy = getS(it, "read_by")
			}
			if _, ok := it["answered_at"]; ok && getN(it, "answered_at") <= ahead {
				r.Answered, r.AnsweredAt = getBool(it, "answered"), time.Unix(0, getN(it, "answered_at")).UTC()
			}
			out = append(out, r)
		}
	}
	return out, nil
}
