package notify

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sesbox/sesbox/mailstore"
)

// fakeQueue answers one receive with its messages and records deletes.
type fakeQueue struct {
	msgs    []types.Message
	deleted []string // bodies
	log     *[]string
}

func (q *fakeQueue) ReceiveMessage(_ context.Context, in *sqs.ReceiveMessageInput, _ ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	if !slices.Contains(in.MessageSystemAttributeNames, types.MessageSystemAttributeNameApproximateReceiveCount) {
		return nil, errors.New("ApproximateReceiveCount not asked for")
	}
	return &sqs.ReceiveMessageOutput{Messages: q.msgs}, nil
}

func (q *fakeQueue) DeleteMessageBatch(_ context.Context, in *sqs.DeleteMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error) {
	for _, e := range in.Entries {
		for _, m := range q.msgs {
			if aws.ToString(m.ReceiptHandle) == aws.ToString(e.ReceiptHandle) {
				q.deleted = append(q.deleted, aws.ToString(m.Body))
			}
		}
	}
	*q.log = append(*q.log, "delete")
	return &sqs.DeleteMessageBatchOutput{}, nil
}

// A message left for another consumer that keeps coming back says how
// often it came and what ends the loop; the mailbox's messages are
// deleted only after the commit.
func TestPollSaysWhenALeftMessageKeepsComingBack(t *testing.T) {
	var log []string
	q := &fakeQueue{log: &log}
	for i, body := range []string{string(fixture(t)), "not json", "also not json"} {
		q.msgs = append(q.msgs, types.Message{Body: aws.String(body), ReceiptHandle: aws.String(fmt.Sprint("h", i)),
			Attributes: map[string]string{"ApproximateReceiveCount": []string{"1", "1", "7"}[i]}})
	}
	w := NewWatcher(q, "https://sqs.example/q", mailstore.Location{Bucket: "mail", Prefix: "inbox/"})
	b, err := w.Poll(context.Background(), func(keys []string) error {
		log = append(log, fmt.Sprint("commit ", keys))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(log, []string{"commit [inbox/o3vrnil0e2ic28trm7dakrc2v0clambda4nbp0g1]", "delete"}) || !slices.Equal(q.deleted, []string{string(fixture(t))}) {
		t.Fatalf("calls %q, deleted %q", log, q.deleted)
	}
	if len(b.Problems) != 2 || strings.Contains(b.Problems[0], "received") || !strings.Contains(b.Problems[1], "received 7 times: a redrive policy") {
		t.Fatalf("problems %q", b.Problems)
	}
}
