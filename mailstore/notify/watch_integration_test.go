//go:build integration

package notify

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/testutil/faultproxy"
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
	climbing := strings.Replace(string(body), `"objectKey": "inbox/`, `"objectKey": "inbox/../private/`, 1)
	setup := `{"notificationType":"AMAZON_SES_SETUP_NOTIFICATION","receipt":{}}`
	// SES's test as a "Received" notification of its test object.
	setupObject := `{"notificationType":"Received","mail":{"messageId":"AMAZON_SES_SETUP_NOTIFICATION"},"receipt":{"action":{"type":"S3","bucketName":"mail","objectKey":"inbox/AMAZON_SES_SETUP_NOTIFICATION"}}}`
	// A field of another type than SES's besides the key: taken, deleted.
	typed := strings.Replace(strings.ReplaceAll(string(body), "o3vrnil0e2ic28trm7dakrc2v0clambda4nbp0g1", "q5vrnil0e2ic28trm7dakrc2v0clambda4nbp0g3"),
		`"headersTruncated": false`, `"headersTruncated": "no"`, 1)
	confirm := `{"Type":"SubscriptionConfirmation","Message":"You have chosen to subscribe","SubscribeURL":"https://sns.example/confirm"}`
	// Through SNS (wrapped), twice (a duplicate delivery), and raw.
	for _, m := range []string{string(body), string(body), other, setup} {
		if _, err := topics.Publish(ctx, &sns.PublishInput{TopicArn: to.TopicArn, Message: aws.String(m)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range []string{second, "not json", climbing, confirm, setupObject, typed} {
		if _, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: qo.QueueUrl, MessageBody: aws.String(m)}); err != nil {
			t.Fatal(err)
		}
	}

	w := NewWatcher(q, qurl, mailstore.Location{Bucket: "mail", Prefix: "inbox/"})
	w.Wait = 1

	// A commit that fails deletes nothing: the notifications come back.
	failed := errors.New("index is busy")
	if _, err := w.Poll(ctx, func([]string) error { return failed }); !errors.Is(err, failed) {
		t.Fatalf("poll err %v, want the commit's", err)
	}
	time.Sleep(1500 * time.Millisecond) // the visibility timeout

	got := map[string]int{}
	problems := map[string]bool{}
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) && (len(got) < 3 || len(problems) < 5) {
		b, err := w.Poll(ctx, func(keys []string) error {
			if len(slices.Compact(slices.Sorted(slices.Values(keys)))) != len(keys) {
				t.Errorf("commit %q: a key twice", keys)
			}
			for _, k := range keys {
				got[k]++
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range b.Problems {
			problems[p] = true
		}
	}
	// Both setup tests say the same.
	if len(got) != 3 || len(problems) != 5 {
		t.Fatalf("indexed %v, problems %v; want the three inbox/ messages and 5 problems", got, problems)
	}
	// The mailbox's messages, the setup test and the key SES does not
	// write were deleted after the commit; the rest is another consumer's,
	// left in the queue.
	time.Sleep(1500 * time.Millisecond)
	out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: qo.QueueUrl, WaitTimeSeconds: 1, MaxNumberOfMessages: 10})
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, m := range out.Messages {
		b := aws.ToString(m.Body)
		if n, err := Parse([]byte(b)); err == nil {
			b = n.Key()
		}
		left = append(left, b)
	}
	sort.Strings(left)
	if want := []string{"not json", "sales/o3vrnil0e2ic28trm7dakrc2v0clambda4nbp0g1", confirm}; !slices.Equal(left, want) {
		t.Fatalf("left in the queue %q, want %q", left, want)
	}
}

// Two mailboxes, inbox/ and sales/, on one queue: each leaves the other's
// notifications, so both get all of theirs (each deleted the other's
// before) and the queue ends empty.
func TestTwoMailboxesShareAQueue(t *testing.T) {
	srv := peer.StartSQS(t)
	ctx := context.Background()
	q := srv.Client()
	qo, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("shared"),
		Attributes: map[string]string{"VisibilityTimeout": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	body, err := os.ReadFile("../../testdata/notifications/received-s3.json")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		prefix := []string{"inbox/", "sales/"}[i%2]
		id := fmt.Sprintf("m%039d", i)
		m := strings.NewReplacer(`"objectKey": "inbox/`, `"objectKey": "`+prefix, "o3vrnil0e2ic28trm7dakrc2v0clambda4nbp0g1", id).Replace(string(body))
		if _, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: qo.QueueUrl, MessageBody: aws.String(m)}); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]map[string]bool{}
	var watchers []*Watcher
	for _, p := range []string{"inbox/", "sales/"} {
		w := NewWatcher(q, aws.ToString(qo.QueueUrl), mailstore.Location{Bucket: "mail", Prefix: p})
		w.Wait = 1
		watchers = append(watchers, w)
		got[p] = map[string]bool{}
	}
	deadline := time.Now().Add(20 * time.Second)
	for len(got["inbox/"]) < 3 || len(got["sales/"]) < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("after 20 s: %v", got)
		}
		for _, w := range watchers {
			if _, err := w.Poll(ctx, func(keys []string) error {
				for _, k := range keys {
					if !strings.HasPrefix(k, w.loc.Prefix) {
						t.Errorf("%s took %s", w.loc.Prefix, k)
					}
					got[w.loc.Prefix][k] = true
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	a, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: qo.QueueUrl,
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil {
		t.Fatal(err)
	}
	if a.Attributes["ApproximateNumberOfMessages"] != "0" || a.Attributes["ApproximateNumberOfMessagesNotVisible"] != "0" {
		t.Fatalf("queue %v after both mailboxes took theirs", a.Attributes)
	}
}

// TestProblemLinesAreBounded: a queue message's bucket and key are a
// stranger's strings of up to 256 KB; the line that says why it was left
// or deleted quotes at most a few hundred bytes of them. Before, the
// whole key went into the line, on every receipt.
func TestProblemLinesAreBounded(t *testing.T) {
	srv := peer.StartSQS(t)
	ctx := context.Background()
	q := srv.Client()
	qo, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("q")})
	if err != nil {
		t.Fatal(err)
	}
	body, err := os.ReadFile("../../testdata/notifications/received-s3.json")
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("k", 100<<10)
	for _, b := range []string{
		strings.Replace(string(body), `"objectKey": "inbox/`, `"objectKey": "sales/`+long, 1),                                              // another prefix
		strings.Replace(string(body), `"bucketName": "`, `"bucketName": "`+long, 1),                                                        // another bucket
		strings.Replace(string(body), `"objectKey": "inbox/o3vrnil0e2ic28trm7dakrc2v0clambda4nbp0g1"`, `"objectKey": "inbox/`+long+`"`, 1), // not SES's key
	} {
		if _, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: qo.QueueUrl, MessageBody: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	w := NewWatcher(q, aws.ToString(qo.QueueUrl), mailstore.Location{Bucket: "mail", Prefix: "inbox/"})
	w.Wait = 1
	var problems []string
	for deadline := time.Now().Add(10 * time.Second); len(problems) < 3 && time.Now().Before(deadline); {
		b, err := w.Poll(ctx, func([]string) error { return nil })
		if err != nil {
			t.Fatal(err)
		}
		problems = append(problems, b.Problems...)
	}
	if len(problems) != 3 {
		t.Fatalf("%d problems: %.300q", len(problems), problems)
	}
	for _, p := range problems {
		if len(p) > 600 {
			t.Errorf("a problem line of %d bytes: %.200q...", len(p), p)
		}
	}
}

// TestWatcherTakesOnlyItsTopic: a queue subscribed to two SNS topics
// (fauxqs), and a body sent to the queue directly. With TopicARN set, only
// the notification of that topic is taken; the other topic's and the raw
// one are ignored, counted, and left in the queue for their consumer.
// Before, the TopicArn was not read and all three were the mailbox's.
func TestWatcherTakesOnlyItsTopic(t *testing.T) {
	srv := peer.StartSQS(t)
	ctx := context.Background()
	q := srv.Client()
	qo, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("shared"), Attributes: map[string]string{"VisibilityTimeout": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: qo.QueueUrl, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	topics := sns.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(peer.AccessKey, peer.SecretKey, "")},
		func(o *sns.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	var arns []string
	for _, name := range []string{"ses-inbound", "other-app"} {
		to, err := topics.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := topics.Subscribe(ctx, &sns.SubscribeInput{TopicArn: to.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(attrs.Attributes["QueueArn"])}); err != nil {
			t.Fatal(err)
		}
		arns = append(arns, aws.ToString(to.TopicArn))
	}
	body, err := os.ReadFile("../../testdata/notifications/received-s3.json")
	if err != nil {
		t.Fatal(err)
	}
	id := func(n int) string { return fmt.Sprintf("t%dvrnil0e2ic28trm7dakrc2v0clambda4nbp0g1", n) }
	note := func(n int) string {
		return strings.ReplaceAll(string(body), "o3vrnil0e2ic28trm7dakrc2v0clambda4nbp0g1", id(n))
	}
	for i, arn := range arns {
		if _, err := topics.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(arn), Message: aws.String(note(i))}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: qo.QueueUrl, MessageBody: aws.String(note(2))}); err != nil {
		t.Fatal(err)
	}

	w := NewWatcher(q, aws.ToString(qo.QueueUrl), mailstore.Location{Bucket: "mail", Prefix: "inbox/"})
	w.Wait, w.TopicARN = 1, arns[0]
	got := map[string]bool{}
	var problems []string
	for deadline := time.Now().Add(10 * time.Second); len(got)+len(problems) < 3 && time.Now().Before(deadline); {
		b, err := w.Poll(ctx, func(keys []string) error {
			for _, k := range keys {
				got[k] = true
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		problems = append(problems, b.Problems...)
	}
	if len(got) != 1 || !got["inbox/"+id(0)] {
		t.Errorf("taken %v, want only the topic's notification", got)
	}
	sort.Strings(problems)
	if len(problems) != 2 || !strings.Contains(problems[0], "arn:aws:sns") || !strings.Contains(problems[0], "other-app") ||
		!strings.Contains(problems[1], "not wrapped by SNS") || !strings.Contains(problems[0], "left in the queue") {
		t.Errorf("problems %q", problems)
	}
}

// TestAClockOffIsCorrectedOrNamed: SQS refusing a receive signed 20
// minutes from its time (the fault proxy's ServerClock, in front of
// fauxqs). With the answer's Date the SDK sets its clock by it and the
// notification is taken; without one the poll fails naming the clock
// first, and the watch ends on it (Permanent: no wait cures a clock).
func TestAClockOffIsCorrectedOrNamed(t *testing.T) {
	srv := peer.StartSQS(t)
	ctx := context.Background()
	qo, err := srv.Client().CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("ses-inbound")})
	if err != nil {
		t.Fatal(err)
	}
	body, err := os.ReadFile("../../testdata/notifications/received-s3.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Client().SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: qo.QueueUrl, MessageBody: aws.String(string(body))}); err != nil {
		t.Fatal(err)
	}
	px := faultproxy.Start(t, srv.URL, faultproxy.Config{ServerClock: 20 * time.Minute})
	client := func() *sqs.Client {
		return (&peer.SQS{URL: px.URL}).Client()
	}
	loc := mailstore.Location{Bucket: "mail", Prefix: "inbox/"}
	w := NewWatcher(client(), aws.ToString(qo.QueueUrl), loc)
	w.Wait = 1
	var got []string
	if _, err := w.Poll(ctx, func(keys []string) error { got = append(got, keys...); return nil }); err != nil || len(got) != 1 || px.Stats().Skewed == 0 {
		t.Errorf("with the clock off and a Date: took %q, %d refused for their time, %v", got, px.Stats().Skewed, err)
	}
	px.SetConfig(faultproxy.Config{ServerClock: 20 * time.Minute, NoDate: true})
	w = NewWatcher(client(), aws.ToString(qo.QueueUrl), loc) // a new client: its clock not yet set
	w.Wait = 1
	_, err = w.Poll(ctx, func([]string) error { t.Error("committed with the clock off"); return nil })
	const want = "AWS refused the request for the time it was signed at: this machine's clock is off"
	if got := mailstore.Explain(err); !strings.HasPrefix(got, want) {
		t.Errorf("poll, no Date: %q\nwant %q first", got, want)
	}
	if p := Permanent(err); !strings.HasPrefix(p, want) {
		t.Errorf("Permanent: %q, want the clock's hint: no wait cures it", p)
	}
}
