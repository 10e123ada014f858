package notify

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/awscreds"
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
	// TopicARN, when set, is the SNS topic the receipt rule publishes to
	// (the mailbox's topic_arn): a notification SNS delivered from another
	// topic, and a body not wrapped by SNS at all, are not the mailbox's.
	TopicARN string
	// profile is the shared config profile the client was loaded with
	// (WithProfile).
	profile string
	// endpointFrom and regionFrom name where the server the client asks
	// and the region were set (WithOrigins), for a hint when the server
	// cannot be reached.
	endpointFrom, regionFrom string
}

// NewWatcher returns a watcher of queueURL for the mailbox at loc.
func NewWatcher(client sqsAPI, queueURL string, loc mailstore.Location) *Watcher {
	return &Watcher{api: client, queueURL: queueURL, loc: loc, Wait: 20}
}

// WithProfile names the shared config profile the client's configuration
// was loaded with ("": none named, the default), so that credentials SQS
// rejects are said to come from it when they did.
func (w *Watcher) WithProfile(profile string) *Watcher {
	w.profile = profile
	return w
}

// WithOrigins names where the endpoint the client sends to was set
// ("queue_url in [mailbox.support] in FILE", "AWS_ENDPOINT_URL_SQS") and
// where the region was, so that a queue that cannot be reached (refused,
// no such host) is said hint first, naming what to check: it was retried
// saying only the SDK's words, "dial tcp: lookup ...: no such host".
func (w *Watcher) WithOrigins(endpoint, region string) *Watcher {
	w.endpointFrom, w.regionFrom = endpoint, region
	return w
}

// Batch is what one poll found.
type Batch struct {
	// New holds the summaries of the messages the poll indexed: filled
	// by mailbox.Poll, which reads each from its object (the watcher
	// hands commit only the keys).
	New []mailstore.Summary
	// Ignored counts queue messages that were not the mailbox's new mail;
	// Problems says why and whether each was deleted or left in the
	// queue, one line each.
	Ignored  int
	Problems []string
}

// Poll waits up to Wait seconds for notifications, hands the object keys
// of this mailbox's new messages to commit (each once), and deletes their queue messages
// only after commit returned nil: a crash or a failed commit leaves them to
// be delivered again (SQS is at-least-once anyway, so commit must be an
// idempotent upsert).
//
// A queue message that is not this mailbox's is left in the queue: a
// notification of another bucket or prefix, another SES action, an SNS
// subscription confirmation (its SubscribeURL is how a cross-account
// subscription is confirmed), anything that is not SES's. It is another
// consumer's to take, and deleting it would lose it for good; left, it
// comes back after the queue's visibility timeout, until its consumer takes
// it or the queue's redrive policy moves it to a dead-letter queue
// (docs/scale.md). With TopicARN set, so is a notification of another SNS
// topic, or one without SNS's envelope. Deleted besides the mailbox's own: SES's setup test
// notification, addressed to no one, and notifications that name the
// mailbox's bucket and prefix with a key SES does not write (CheckKey).
//
// A poll that received only messages it leaves lasts at least a second:
// a queue whose visibility timeout is 0 hands them straight back, and the
// next poll would ask again at once (2,684 receives in 3 s).
func (w *Watcher) Poll(ctx context.Context, commit func(keys []string) error) (Batch, error) {
	start := time.Now()
	out, err := w.api.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl:                    aws.String(w.queueURL),
		MaxNumberOfMessages:         10,
		WaitTimeSeconds:             w.Wait,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameApproximateReceiveCount},
	})
	if err != nil {
		err = &stepError{step: "receive", err: fmt.Errorf("receive from %s: %w", w.queueURL, err)}
		var ae smithy.APIError
		if h := mailstore.ClockHint(err); h != "" {
			err = &mailstore.HintError{Hint: h, Err: err}
		} else if h := mailstore.ReachHint(err, w.queueURL, w.endpointFrom, cmp.Or(w.regionFrom, "the region")); h != "" {
			err = &mailstore.HintError{Hint: h, Err: err}
		} else if c, ok := w.api.(*sqs.Client); ok && errors.As(err, &ae) && awscreds.RejectedCode(ae.ErrorCode()) {
			// Where they came from, as S3's and SES's hints say it.
			err = &mailstore.HintError{Hint: awscreds.Rejected("SQS", awscreds.Of(c.Options().Credentials, w.profile), err), Err: err}
		}
		return Batch{}, err
	}
	var b Batch
	var keys []string
	var done []types.Message // to delete once committed
	ignore := func(m types.Message, del bool, problem string) {
		b.Ignored++
		if del {
			done = append(done, m)
			problem += " (deleted)"
		} else {
			problem += " (left in the queue for its consumer"
			if n, _ := strconv.Atoi(m.Attributes[string(types.MessageSystemAttributeNameApproximateReceiveCount)]); n >= manyReceives {
				// No consumer takes it: say what ends the loop.
				problem += fmt.Sprintf("; received %d times: a redrive policy on the queue moves such a message to a dead-letter queue", n)
			}
			problem += ")"
		}
		b.Problems = append(b.Problems, problem)
	}
	seen := map[string]bool{}
	for _, m := range out.Messages {
		n, err := Parse([]byte(aws.ToString(m.Body)))
		switch {
		case err != nil:
			ignore(m, errors.Is(err, ErrSetupNotification), err.Error())
		case w.TopicARN != "" && n.TopicArn == "":
			ignore(m, false, fmt.Sprintf("notification for s3://%.100s/%.200s not wrapped by SNS, so not from the mailbox's topic_arn", n.Bucket(), n.Key()))
		case w.TopicARN != "" && n.TopicArn != w.TopicARN:
			ignore(m, false, fmt.Sprintf("notification for s3://%.100s/%.200s from topic %.200s, not the mailbox's topic_arn", n.Bucket(), n.Key(), n.TopicArn))
		case n.Bucket() != w.loc.Bucket || !strings.HasPrefix(n.Key(), w.loc.Prefix):
			ignore(m, false, fmt.Sprintf("notification for s3://%.100s/%.200s, outside %s", n.Bucket(), n.Key(), w.loc))
		case n.CheckKey() != nil:
			ignore(m, true, n.CheckKey().Error())
		case seen[n.Key()]:
			// SNS and SQS may deliver one notification twice.
			done = append(done, m)
		default:
			seen[n.Key()] = true
			keys = append(keys, n.Key())
			done = append(done, m)
		}
	}
	if len(keys) > 0 {
		if err := commit(keys); err != nil {
			return b, &stepError{step: "commit", err: err}
		}
	}
	if len(done) == 0 {
		if len(out.Messages) > 0 {
			pause(ctx, leftOnlyPoll-time.Since(start))
		}
		return b, nil
	}
	entries := make([]types.DeleteMessageBatchRequestEntry, 0, len(done))
	for i, m := range done {
		entries = append(entries, types.DeleteMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), ReceiptHandle: m.ReceiptHandle})
	}
	del, err := w.api.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(w.queueURL), Entries: entries})
	if err != nil {
		// Committed already: the messages come back and are upserted again.
		return b, &stepError{step: "delete", err: fmt.Errorf("delete from %s: %w", w.queueURL, err)}
	}
	if len(del.Failed) > 0 {
		return b, &stepError{step: "delete", err: errors.New("delete from " + w.queueURL + ": " + aws.ToString(del.Failed[0].Message))}
	}
	return b, nil
}

// stepError is a failed Poll, with the step that failed: "receive",
// "commit" (the mailbox's own, which the queue messages wait for) or
// "delete".
type stepError struct {
	step string
	err  error
}

func (e *stepError) Error() string { return e.err.Error() }

func (e *stepError) Unwrap() error { return e.err }

// Retried is err, from Poll, as said when the watch asks again after
// wait: what became of the queue's messages and what happens next
// first, then err's own hint, if it has one, and its detail. index
// --watch said the SDK's error alone ("receive from URL: operation
// error SQS: ReceiveMessage, exceeded maximum number of attempts, 3,
// ... 500 ...; retrying in 2s").
func Retried(err error, wait time.Duration) error {
	again := "asking again in " + wait.String()
	var se *stepError
	errors.As(err, &se)
	var h string
	switch {
	case se != nil && se.step == "delete":
		h = "the queue did not take the delete of messages already indexed: they come back after its visibility timeout and are taken again, each said once; " + again
	case se != nil && se.step == "commit":
		h = "new messages could not be indexed: their queue messages are left in the queue and taken again; " + again
	default:
		h = "the queue could not be read: " + again + "; if this goes on, check the network and the queue's endpoint (queue_url, AWS_ENDPOINT_URL_SQS)"
	}
	if own := mailstore.Hint(err); own != "" {
		h += "; " + own
	}
	return &mailstore.HintError{Hint: h, Err: err}
}

// leftOnlyPoll is the shortest a poll lasts that received only messages
// it leaves in the queue.
const leftOnlyPoll = time.Second

// pause waits d, or until ctx ends.
func pause(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// manyReceives is how many receipts of a message left in the queue make
// its line say that no consumer seems to take it.
const manyReceives = 5

// Permanent returns what to do about err from Poll when waiting cannot
// cure it (the queue does not exist, the credentials may not use it), ""
// for everything else: a queue unreachable for a while, throttling, a
// busy index are worth retrying.
func Permanent(err error) string {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return ""
	}
	if awscreds.RejectedCode(ae.ErrorCode()) {
		// The key or its signature, not a permission: no policy cures it.
		// Poll's hint names where they came from.
		return cmp.Or(mailstore.Hint(err), awscreds.Rejected("SQS", "", err))
	}
	switch ae.ErrorCode() {
	case "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue":
		return "the queue does not exist: check the mailbox's queue_url (and its region)"
	case "AccessDenied", "AccessDeniedException", "InvalidSecurity", "KMS.AccessDeniedException":
		return "the credentials may not read this queue: allow sqs:ReceiveMessage and sqs:DeleteMessage on it (docs/scale.md)"
	}
	return ""
}
