//go:build integration

package notify

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/testutil/peer"
)

// The queue is a real SQS emulator (fauxqs), and the SNS-wrapped
// notifications are delivered by its SNS topic subscribed to the queue, as
// SES → SNS → SQS delivers them in AWS.
func TestWatcherAgainstFauxqs(t *testing.T) {
	srv := peer.StartSQS(t)
	ctx := context.Background()
	q := srv.Client()
	qo, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("ses-inbound"),
		Attributes: map[string]string{"VisibilityTimeout": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	qurl := aws.ToString(qo.QueueUrl)
	attrs, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: qo.QueueUrl, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	topics := sns.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(peer.AccessKey, peer.SecretKey, "")},
		func(o *sns.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	to, err := topics.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("ses-inbound")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := topics.Subscribe(ctx, &sns.SubscribeInput{TopicArn: to.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(attrs.Attributes["QueueArn"])}); err != nil {
		t.Fatal(err)
	}

	body, err := os.ReadFile("../../testdata/notifications/received-s3.json")
	if err != nil {
		t.Fatal(err)
	}
	other := strings.Replace(string(body), `"objectKey": "inbox/`, `"objectKey": "sales/`, 1)
	second := strings.ReplaceAll(string(body), "o3vrnil0e2ic28trm7dakrc2v0clambda4nbp0g1", "p4vrnil0e2ic28trm7dakrc2v0clambda4nbp0g2")
	// Through SNS (wrapped), twice (a duplicate delivery), and raw.
	for _, m := range []string{string(body), string(body), other} {
		if _, err := topics.Publish(ctx, &sns.PublishInput{TopicArn: to.TopicArn, Message: aws.String(m)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range []string{second, "not json"} {
		if _, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: qo.QueueUrl, MessageBody: aws.String(m)}); err != nil {
			t.Fatal(err)
		}
	}

	w := NewWatcher(q, qurl, mailstore.Location{Bucket: "mail", Prefix: "inbox/"})
	w.Wait = 1

	// A commit that fails deletes nothing: the notifications come back.
	failed := errors.New("index is busy")
	if _, err := w.Poll(ctx, func([]mailstore.Summary) error { return failed }); !errors.Is(err, failed) {
		t.Fatalf("poll err %v, want the commit's", err)
	}
	time.Sleep(1500 * time.Millisecond) // the visibility timeout

	got := map[string]int{}
	ignored := 0
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) && (len(got) < 2 || ignored < 2) {
		b, err := w.Poll(ctx, func(s []mailstore.Summary) error {
			for _, x := range s {
				got[x.Key]++
				if strings.Join(x.Recipients, ",") != "support@acme-demo.example" {
					t.Errorf("%s: recipients %v", x.Key, x.Recipients)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		ignored += b.Ignored
	}
	if len(got) != 2 || ignored != 2 {
		t.Fatalf("indexed %v, ignored %d; want the two inbox/ messages and 2 ignored (sales/, junk)", got, ignored)
	}
	// Everything was deleted after the commit: the queue is empty.
	time.Sleep(1500 * time.Millisecond)
	out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: qo.QueueUrl, WaitTimeSeconds: 1, MaxNumberOfMessages: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Messages) != 0 {
		t.Fatalf("%d messages left in the queue after they were committed", len(out.Messages))
	}
}
