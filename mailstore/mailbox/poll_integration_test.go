//go:build integration

package mailbox

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/index"
	"github.com/sesbox/sesbox/mailstore/notify"
	"github.com/sesbox/sesbox/mailstore/s3store"
	"github.com/sesbox/sesbox/mailstore/testutil/dynfault"
	"github.com/sesbox/sesbox/mailstore/testutil/fakes3"
	"github.com/sesbox/sesbox/mailstore/testutil/peer"
)

// The queue message is deleted only after the index commit, whatever
// fails: fauxqs behind a proxy that cuts every DeleteMessageBatch (after
// fauxqs saw it, or before) while "down". The message is in the index
// after the failed poll, comes back, changes nothing the second time
// (not New again), and is deleted once the queue answers.
func TestPollDeletesOnlyAfterTheCommit(t *testing.T) {
	for name, fault := range map[string]dynfault.Fault{"cut before": dynfault.Refuse, "cut after": dynfault.Drop} {
		t.Run(name, func(t *testing.T) {
			srv := peer.StartSQS(t)
			ctx := context.Background()
			direct := srv.Client()
			qo, err := direct.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("q"), Attributes: map[string]string{"VisibilityTimeout": "1"}})
			if err != nil {
				t.Fatal(err)
			}
			body, err := os.ReadFile("../../testdata/notifications/received-s3.json")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := direct.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: qo.QueueUrl, MessageBody: aws.String(string(body))}); err != nil {
				t.Fatal(err)
			}
			down := func(_ int, op string) dynfault.Fault {
				if op == "DeleteMessageBatch" {
					return fault
				}
				return dynfault.Pass
			}
			proxy := dynfault.Start(t, srv.URL, down)
			client := sqs.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(peer.AccessKey, peer.SecretKey, "")},
				func(o *sqs.Options) { o.BaseEndpoint = aws.String(proxy.URL) })
			m, s3srv := newMailbox(t)
			const key = "inbox/o3vrnil0e2ic28trm7dakrc2v0clambda4nbp0g1"
			s3srv.Put(t, "mail", key, []byte(storedMail)) // the notification is confirmed against it
			w := notify.NewWatcher(client, aws.ToString(qo.QueueUrl), m.Location())
			w.Wait = 1

			b, err := m.Poll(ctx, w)
			if err == nil || !strings.Contains(err.Error(), "delete from") || len(b.New) != 1 {
				t.Fatalf("poll with the delete cut: new %d, err %v", len(b.New), err)
			}
			if _, ok, err := m.idx.Get(ctx, "mail", key); err != nil || !ok {
				t.Fatalf("not in the index after the commit (ok %t, err %v)", ok, err)
			}

			proxy.SetFault(func(int, string) dynfault.Fault { return dynfault.Pass })
			time.Sleep(1200 * time.Millisecond) // the visibility timeout
			deadline := time.Now().Add(10 * time.Second)
			for {
				b, err := m.Poll(ctx, w)
				if err != nil {
					t.Fatal(err)
				}
				if len(b.New) != 0 {
					t.Fatalf("the redelivered notification is new again: %v", b.New)
				}
				a, err := direct.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: qo.QueueUrl,
					AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
				if err != nil {
					t.Fatal(err)
				}
				if a.Attributes["ApproximateNumberOfMessages"] == "0" && a.Attributes["ApproximateNumberOfMessagesNotVisible"] == "0" {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("queue %v: the redelivered message was not deleted", a.Attributes)
				}
			}
			if n := proxy.Ops()["DeleteMessageBatch"]; n < 2 {
				t.Fatalf("%d deletes", n)
			}
		})
	}
}

// TestWatchSaysNewOnlyWhatItCommitted: when the index cannot take the
// batch (here a trigger refuses every insert, as a full disk would), the
// watch retries and says nothing is new; once the index takes it, the
// message is new exactly once. Before, a failed commit was taken for a
// failed delete ("committed, only the delete failed"), so the message was
// reported new while it was in no index, and again when it came back.
func TestWatchSaysNewOnlyWhatItCommitted(t *testing.T) {
	srv := peer.StartSQS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	direct := srv.Client()
	qo, err := direct.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("q"), Attributes: map[string]string{"VisibilityTimeout": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	body, err := os.ReadFile("../../testdata/notifications/received-s3.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := direct.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: qo.QueueUrl, MessageBody: aws.String(string(body))}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "i.db")
	idx, err := index.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	s3srv := fakes3.Start(t, "mail")
	s3srv.Put(t, "mail", "inbox/o3vrnil0e2ic28trm7dakrc2v0clambda4nbp0g1", []byte(storedMail))
	m := New("test", s3store.New(s3srv.Client(nil), mailstore.Location{Bucket: "mail", Prefix: "in"}), idx)
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TRIGGER refuse BEFORE INSERT ON messages BEGIN SELECT RAISE(FAIL, 'database or disk is full'); END`); err != nil {
		t.Fatal(err)
	}
	w := notify.NewWatcher(srv.Client(), aws.ToString(qo.QueueUrl), m.Location())
	w.Wait = 1
	var news []string
	failures := 0
	err = m.Watch(ctx, w, Backoff{First: 10 * time.Millisecond, Max: 10 * time.Millisecond}, func(b notify.Batch) {
		for _, s := range b.New {
			news = append(news, s.Key)
		}
		if len(news) > 0 {
			cancel()
		}
	}, func(err error, _ time.Duration) {
		if failures++; failures == 1 {
			if len(news) != 0 {
				t.Errorf("after the failed commit (%v), new: %v", err, news)
			}
			if _, err := db.Exec(`DROP TRIGGER refuse`); err != nil {
				t.Error(err)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	const key = "inbox/o3vrnil0e2ic28trm7dakrc2v0clambda4nbp0g1"
	if failures == 0 || len(news) != 1 || news[0] != key {
		t.Fatalf("%d failed polls, new %v; want at least one failure, then %s once", failures, news, key)
	}
	if _, ok, err := m.idx.Get(context.Background(), "mail", key); err != nil || !ok {
		t.Fatalf("not in the index (ok %t, err %v)", ok, err)
	}
}

// storedMail is the object testdata/notifications/received-s3.json is
// about, as SES stored it: its SES block says spam FAIL where the
// notification says PASS.
const storedMail = "Return-Path: <janedoe@example.com>\r\n" +
	"Received: from mailer.example.com by inbound-smtp.us-west-2.amazonaws.com with SMTP id o3vrnil0e2ic28trm7dakrc2v0clambda4nbp0g1 for support@acme-demo.example; Tue, 01 Dec 2026 10:00:00 +0000 (UTC)\r\n" +
	"X-SES-Spam-Verdict: FAIL\r\nX-SES-Virus-Verdict: PASS\r\n" +
	"From: Jane Doe <janedoe@example.com>\r\nSubject: Test Subject\r\n\r\nbody\r\n"

// TestQueueCannotInjectSummaries: whoever may send to the queue (another
// topic subscribed to it, anyone with sqs:SendMessage) can write a
// notification that looks like SES's. A notification is only word that
// new mail is stored: the summary indexed is the object's own header
// block, read at once, and a notification naming no object indexes
// nothing (deleted, said). Here a posted notification claims spam PASS,
// a From and a Subject of its choosing for a stored message whose SES
// block says spam FAIL: the index shows the object's. Before, the posted
// summary was shown until the next listing (spam PASS, the forged From),
// and a notification of a key that does not exist made a row for it.
func TestQueueCannotInjectSummaries(t *testing.T) {
	srv := peer.StartSQS(t)
	ctx := context.Background()
	direct := srv.Client()
	qo, err := direct.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("q")})
	if err != nil {
		t.Fatal(err)
	}
	body, err := os.ReadFile("../../testdata/notifications/received-s3.json") // spam PASS
	if err != nil {
		t.Fatal(err)
	}
	forged := strings.ReplaceAll(strings.ReplaceAll(string(body), "Test Subject", "Urgent: new bank details"), "janedoe@example.com", "ceo@acme-demo.example")
	phantom := strings.ReplaceAll(string(body), "o3vrnil0e2ic28trm7dakrc2v0clambda4nbp0g1", "z9vrnil0e2ic28trm7dakrc2v0clambda4nbp0g9")
	for _, b := range []string{forged, phantom} {
		if _, err := direct.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: qo.QueueUrl, MessageBody: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	const key = "inbox/o3vrnil0e2ic28trm7dakrc2v0clambda4nbp0g1"
	m, s3srv := newMailbox(t)
	s3srv.Put(t, "mail", key, []byte(storedMail))
	w := notify.NewWatcher(direct, aws.ToString(qo.QueueUrl), m.Location())
	w.Wait = 1
	var news []mailstore.Summary
	var problems []string
	// A wait for both, not a bound on speed: under make test's load (every
	// package at once, -race) ten seconds passed with nothing received.
	for deadline := time.Now().Add(60 * time.Second); len(news)+len(problems) < 2 && time.Now().Before(deadline); {
		b, err := m.Poll(ctx, w)
		if err != nil {
			t.Fatal(err)
		}
		news, problems = append(news, b.New...), append(problems, b.Problems...)
	}
	if len(news) != 1 || news[0].Key != key {
		t.Fatalf("new %v, problems %q", news, problems)
	}
	s, _, _ := m.idx.Get(ctx, "mail", key)
	if s.Verdicts.Spam != "FAIL" || s.Subject != "Test Subject" || s.From.Address != "janedoe@example.com" || s.ETag == "" {
		t.Errorf("indexed: spam %q, subject %q, from %q, ETag %q; want the object's", s.Verdicts.Spam, s.Subject, s.From, s.ETag)
	}
	if _, ok, _ := m.idx.Get(ctx, "mail", "inbox/z9vrnil0e2ic28trm7dakrc2v0clambda4nbp0g9"); ok {
		t.Error("a notification of no object made a row")
	}
	if len(problems) != 1 || !strings.Contains(problems[0], "z9vrnil0e2ic28trm7dakrc2v0clambda4nbp0g9") || !strings.Contains(problems[0], "no such object") {
		t.Errorf("problems %q", problems)
	}
}

// TestWatchDoesNotSpinOnMessagesItLeaves: a queue whose visibility
// timeout is 0 hands a message sesbox leaves (not the mailbox's) straight
// back. The watch then waits before it asks again, as after a failed poll,
// instead of asking SQS as fast as it answers, each time printing the
// same line.
func TestWatchDoesNotSpinOnMessagesItLeaves(t *testing.T) {
	srv := peer.StartSQS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	direct := srv.Client()
	qo, err := direct.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("q"), Attributes: map[string]string{"VisibilityTimeout": "0"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := direct.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: qo.QueueUrl, MessageBody: aws.String("not a notification")}); err != nil {
		t.Fatal(err)
	}
	proxy := dynfault.Start(t, srv.URL, nil)
	client := sqs.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(peer.AccessKey, peer.SecretKey, "")},
		func(o *sqs.Options) { o.BaseEndpoint = aws.String(proxy.URL) })
	m, _ := newMailbox(t)
	w := notify.NewWatcher(client, aws.ToString(qo.QueueUrl), m.Location())
	w.Wait = 1
	lines := 0
	err = m.Watch(ctx, w, Backoff{First: 500 * time.Millisecond, Max: time.Second}, func(b notify.Batch) { lines += len(b.Problems) },
		func(error, time.Duration) {})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d receives, %d lines", proxy.Ops()["ReceiveMessage"], lines)
	if n := proxy.Ops()["ReceiveMessage"]; n > 8 || lines > 8 {
		t.Fatalf("%d receives and %d lines in 3 s for one message left in the queue", n, lines)
	}
}
