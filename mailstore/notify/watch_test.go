package notify

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/testutil/dynfault"
	"github.com/sesbox/sesbox/mailstore/testutil/peer"
)

// loggedQueue is the real fauxqs client; it only notes when the watcher
// deletes, so the test can see that the delete follows the commit.
type loggedQueue struct {
	*sqs.Client
	log *[]string
}

func (q loggedQueue) DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error) {
	*q.log = append(*q.log, fmt.Sprint("delete ", len(in.Entries)))
	return q.Client.DeleteMessageBatch(ctx, in, opts...)
}

// A message left for another consumer that keeps coming back says how
// often it came and what ends the loop; the mailbox's messages (one
// delivered twice) are committed once and deleted only after the commit;
// the rest stays in the queue. Against fauxqs: the receive count is the
// queue's own, which it reports only when the watcher asks for it.
func TestPollSaysWhenALeftMessageKeepsComingBack(t *testing.T) {
	ctx := context.Background()
	client := peer.StartSQS(t).Client()
	qo, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("ses-inbound"),
		Attributes: map[string]string{"VisibilityTimeout": "0"}})
	if err != nil {
		t.Fatal(err)
	}
	send := func(body string) {
		t.Helper()
		if _, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: qo.QueueUrl, MessageBody: aws.String(body)}); err != nil {
			t.Fatal(err)
		}
	}
	// "also not json" comes back six times before the watcher's receive.
	send("also not json")
	for range 6 {
		out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: qo.QueueUrl})
		if err != nil || len(out.Messages) != 1 {
			t.Fatalf("pre-receive: %v, %d messages", err, len(out.Messages))
		}
	}
	send(string(fixture(t)))
	send("not json")
	send(string(fixture(t)))

	var log []string
	w := NewWatcher(loggedQueue{client, &log}, aws.ToString(qo.QueueUrl), mailstore.Location{Bucket: "mail", Prefix: "inbox/"})
	w.Wait = 1
	b, err := w.Poll(ctx, func(keys []string) error {
		log = append(log, fmt.Sprint("commit ", keys))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(log, []string{"commit [inbox/o3vrnil0e2ic28trm7dakrc2v0clambda4nbp0g1]", "delete 2"}) {
		t.Fatalf("calls %q", log)
	}
	slices.Sort(b.Problems) // "also ..." < "not ..."
	if len(b.Problems) != 2 || !strings.Contains(b.Problems[0], "received 7 times: a redrive policy") || strings.Contains(b.Problems[1], "received") {
		t.Fatalf("problems %q", b.Problems)
	}
	out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: qo.QueueUrl, MaxNumberOfMessages: 10})
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, m := range out.Messages {
		left = append(left, aws.ToString(m.Body))
	}
	if slices.Sort(left); !slices.Equal(left, []string{"also not json", "not json"}) {
		t.Fatalf("left in the queue %q", left)
	}
}

// TestPermanentTellsRejectedCredentialsFromPermissions: an SQS answer
// that the key is unknown or the signature wrong (InvalidClientTokenId,
// SignatureDoesNotMatch) said "the credentials may not read this queue:
// allow sqs:ReceiveMessage ...", sending the user to IAM policies for a
// mistyped secret; it says the credentials were rejected, as S3's and
// SES's hints do, and keeps the permission hint for AccessDenied.
func TestPermanentTellsRejectedCredentialsFromPermissions(t *testing.T) {
	for code, want := range map[string]string{
		"InvalidClientTokenId":        "credentials rejected by SQS — check --profile or the AWS_* environment",
		"UnrecognizedClientException": "credentials rejected by SQS — check --profile or the AWS_* environment",
		"SignatureDoesNotMatch":       "credentials rejected by SQS — check --profile or the AWS_* environment",
		"ExpiredToken":                "credentials rejected by SQS — they have expired: refresh them (aws sso login",
		"AccessDenied":                "the credentials may not read this queue: allow sqs:ReceiveMessage",
	} {
		if got := Permanent(&smithy.GenericAPIError{Code: code}); !strings.HasPrefix(got, want) {
			t.Errorf("%s: %q, want %q", code, got, want)
		}
	}
}

// TestPollSaysWhereRejectedCredentialsCameFrom: SQS refusing the key
// (UnrecognizedClientException, from a real fauxqs behind the fault
// proxy) said "credentials rejected by SQS — check --profile or the
// AWS_* environment", where S3's and SES's hints name where the
// credentials came from; it names it too.
func TestPollSaysWhereRejectedCredentialsCameFrom(t *testing.T) {
	ctx := context.Background()
	q := peer.StartSQS(t)
	qo, err := q.Client().CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("ses-inbound")})
	if err != nil {
		t.Fatal(err)
	}
	p := dynfault.Start(t, q.URL, func(int, string) dynfault.Fault { return dynfault.RejectCredentials })
	client := sqs.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(peer.AccessKey, peer.SecretKey, "")},
		func(o *sqs.Options) { o.BaseEndpoint = aws.String(p.URL) })
	w := NewWatcher(client, aws.ToString(qo.QueueUrl), mailstore.Location{Bucket: "mail", Prefix: "inbox/"}).WithProfile("work")
	w.Wait = 1
	_, err = w.Poll(ctx, func([]string) error { return nil })
	want := "credentials rejected by SQS — they came from static credentials given to sesbox; check them"
	if got := Permanent(err); !strings.HasPrefix(got, want) {
		t.Errorf("Permanent: %q, want %q", got, want)
	}
	if got := mailstore.Explain(err); !strings.HasPrefix(got, want) {
		t.Errorf("Explain: %q, want %q", got, want)
	}
}

// TestRetriedSaysWhatBecomesOfTheMessagesFirst: a failed poll is said by
// what became of the queue's messages and when the watch asks again,
// then the error's own hint (a full disk under the index), then its
// detail.
func TestRetriedSaysWhatBecomesOfTheMessagesFirst(t *testing.T) {
	full := &mailstore.HintError{Hint: "no space left on the disk holding ~/.cache/sesbox", Err: fmt.Errorf("index: database or disk is full")}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&stepError{step: "receive", err: fmt.Errorf("receive from Q: 500")},
			"the queue could not be read: asking again in 2s; if this goes on, check the network and the queue's endpoint (queue_url, AWS_ENDPOINT_URL_SQS) (receive from Q: 500)"},
		{&stepError{step: "delete", err: fmt.Errorf("delete from Q: reset")},
			"the queue did not take the delete of messages already indexed: they come back after its visibility timeout and are taken again, each said once; asking again in 2s (delete from Q: reset)"},
		{&stepError{step: "commit", err: full},
			"new messages could not be indexed: their queue messages are left in the queue and taken again; asking again in 2s; no space left on the disk holding ~/.cache/sesbox (index: database or disk is full)"},
	} {
		if got := mailstore.Explain(Retried(tc.err, 2*time.Second)); got != tc.want {
			t.Errorf("%v:\n got %q\nwant %q", tc.err, got, tc.want)
		}
	}
}
