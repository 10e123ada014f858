package notify

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/sesbox/sesbox/mailstore"
)

// sqsAPI is the part of *sqs.Client the watcher uses.
type sqsAPI interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
}

// Watcher long-polls one queue for one mailbox.
type Watcher struct {
	api      sqsAPI
	queueURL string
	loc      mailstore.Location
	// Wait is the long-poll time in seconds (SQS allows 0–20).
	Wait int32
}

// NewWatcher returns a watcher of queueURL for the mailbox at loc.
func NewWatcher(client sqsAPI, queueURL string, loc mailstore.Location) *Watcher {
	return &Watcher{api: client, queueURL: queueURL, loc: loc, Wait: 20}
}

// Batch is what one poll found.
type Batch struct {
	// New holds the summaries of messages stored under the mailbox.
	New []mailstore.Summary
	// Ignored counts queue messages that were not receipt notifications or
	// named another bucket or prefix; Problems says why, one line each.
	Ignored  int
	Problems []string
}

// Poll waits up to Wait seconds for notifications, hands the summaries of
// this mailbox's new messages to commit, and deletes the queue messages
// only after commit returned nil: a crash or a failed commit leaves them to
// be delivered again (SQS is at-least-once anyway, so commit must be an
// idempotent upsert). Messages that are not for this mailbox are deleted
// too — a queue belongs to one mailbox (fan a topic out to one queue per
// mailbox); otherwise they would come back forever.
func (w *Watcher) Poll(ctx context.Context, commit func([]mailstore.Summary) error) (Batch, error) {
	out, err := w.api.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl:            aws.String(w.queueURL),
		MaxNumberOfMessages: 10,
		WaitTimeSeconds:     w.Wait,
	})
	if err != nil {
		return Batch{}, fmt.Errorf("receive from %s: %w", w.queueURL, err)
	}
	var b Batch
	seen := map[string]bool{}
	for _, m := range out.Messages {
		n, err := Parse([]byte(aws.ToString(m.Body)))
		switch {
		case err != nil:
			b.Ignored++
			b.Problems = append(b.Problems, err.Error())
		case n.Bucket() != w.loc.Bucket || !strings.HasPrefix(n.Key(), w.loc.Prefix):
			b.Ignored++
			b.Problems = append(b.Problems, fmt.Sprintf("notification for s3://%s/%s, outside %s", n.Bucket(), n.Key(), w.loc))
		case seen[n.Key()]:
			// SNS and SQS may deliver one notification twice.
		default:
			seen[n.Key()] = true
			b.New = append(b.New, n.Summary())
		}
	}
	if len(b.New) > 0 {
		if err := commit(b.New); err != nil {
			return b, err
		}
	}
	if len(out.Messages) == 0 {
		return b, nil
	}
	entries := make([]types.DeleteMessageBatchRequestEntry, 0, len(out.Messages))
	for i, m := range out.Messages {
		entries = append(entries, types.DeleteMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), ReceiptHandle: m.ReceiptHandle})
	}
	del, err := w.api.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(w.queueURL), Entries: entries})
	if err != nil {
		// Committed already: the messages come back and are upserted again.
		return b, fmt.Errorf("delete from %s: %w", w.queueURL, err)
	}
	if len(del.Failed) > 0 {
		return b, errors.New("delete from " + w.queueURL + ": " + aws.ToString(del.Failed[0].Message))
	}
	return b, nil
}

// Permanent returns what to do about err from Poll when waiting cannot
// cure it (the queue does not exist, the credentials may not use it), ""
// for everything else: a queue unreachable for a while, throttling, a
// busy index are worth retrying.
func Permanent(err error) string {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return ""
	}
	switch ae.ErrorCode() {
	case "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue":
		return "the queue does not exist: check the mailbox's queue_url (and its region)"
	case "AccessDenied", "AccessDeniedException", "InvalidClientTokenId", "UnrecognizedClientException",
		"SignatureDoesNotMatch", "InvalidSecurity", "KMS.AccessDeniedException":
		return "the credentials may not read this queue: allow sqs:ReceiveMessage and sqs:DeleteMessage on it (docs/scale.md)"
	}
	return ""
}
