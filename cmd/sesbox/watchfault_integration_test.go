//go:build integration

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/sesbox/sesbox/internal/lockedbuf"
	"github.com/sesbox/sesbox/mailstore/testutil/fakes3"
	"github.com/sesbox/sesbox/mailstore/testutil/faultproxy"
	"github.com/sesbox/sesbox/mailstore/testutil/peer"
	"github.com/sesbox/sesbox/tui"
)

// TestIndexWatchSurvivesQueueFaults: fauxqs behind the fault proxy,
// which answers 35% of the SQS requests (receives and deletes) 500
// InternalError or 503 without passing them on and resets the
// connection midway through the answer of a quarter (the receive then
// took its messages, which come back after the visibility timeout; the
// delete then deleted, or not). `index --watch` takes 40 notifications
// sent to the queue: each message is indexed and printed once, the queue
// ends empty (every queue message deleted, after its commit: a delete
// that failed brought its message back, taken again without a second
// line), and each failed poll is said on stderr, what happens first.
func TestIndexWatchSurvivesQueueFaults(t *testing.T) {
	dir := isolate(t)
	q := peer.StartSQS(t)
	ctx := context.Background()
	client := q.Client()
	qo, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("ses-inbound"),
		Attributes: map[string]string{"VisibilityTimeout": "2"}})
	if err != nil {
		t.Fatal(err)
	}
	px := faultproxy.Start(t, q.URL, faultproxy.Config{Seed: 7, InternalError: 0.25, SlowDown: 0.1, Reset: 0.25})
	t.Setenv("AWS_ENDPOINT_URL_SQS", px.URL)

	s3 := fakes3.Start(t, "mail")
	body, err := os.ReadFile("../../testdata/notifications/received-s3.json")
	if err != nil {
		t.Fatal(err)
	}
	const n = 40
	for i := range n {
		id := fmt.Sprintf("w%02dnil0e2ic28trm7dakrc2v0clambda4nbp0g1", i)
		s3.Put(t, "mail", "inbox/"+id, []byte("Received: from mailer.example.com by inbound-smtp.us-west-2.amazonaws.com with SMTP id "+id+
			" for support@acme-demo.example; Tue, 01 Dec 2026 10:00:00 +0000 (UTC)\r\nX-SES-Spam-Verdict: PASS\r\nX-SES-Virus-Verdict: PASS\r\n"+
			fmt.Sprintf("From: Jane Doe <janedoe@example.com>\r\nSubject: Watched %02d\r\n\r\nbody\r\n", i)))
		m := strings.ReplaceAll(string(body), "o3vrnil0e2ic28trm7dakrc2v0clambda4nbp0g1", id)
		if _, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: qo.QueueUrl, MessageBody: aws.String(m)}); err != nil {
			t.Fatal(err)
		}
	}
	conf := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf("[mailbox.inbox]\nbucket = \"mail\"\nprefix = \"inbox/\"\nendpoint = %q\nqueue_url = %q\n",
		s3.URL, aws.ToString(qo.QueueUrl))), 0o600); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var out, errOut lockedbuf.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(wctx, []string{"--config", conf, "index", "--watch"}, strings.NewReader(""), &out, &errOut)
	}()
	left := func() int {
		// Asked of fauxqs directly, not through the faults.
		a, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: qo.QueueUrl,
			AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
		if err != nil {
			t.Fatal(err)
		}
		visible, _ := strconv.Atoi(a.Attributes["ApproximateNumberOfMessages"])
		hidden, _ := strconv.Atoi(a.Attributes["ApproximateNumberOfMessagesNotVisible"])
		return visible + hidden
	}
	// Bounded by polls, not by time: each poll is one receive at most.
	for polls := 0; strings.Count(out.String(), "Watched ") < n || left() > 0; polls++ {
		select {
		case code := <-done:
			t.Fatalf("index --watch ended (exit %d): stdout %q, stderr %q", code, out.String(), errOut.String())
		case <-time.After(500 * time.Millisecond):
		}
		if s := px.Stats(); s.Requests > 400 {
			t.Fatalf("%s and %d queue messages left, %d of %d printed: stdout %q, stderr %q", s, left(), strings.Count(out.String(), "Watched "), n, out.String(), errOut.String())
		}
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("index --watch: exit %d after cancel: %s", code, errOut.String())
	}
	s := px.Stats()
	t.Logf("%s; stderr:\n%s", s, errOut.String())
	for i := range n {
		if c := strings.Count(out.String(), fmt.Sprintf("Watched %02d", i)); c != 1 {
			t.Errorf("Watched %02d printed %d times", i, c)
		}
	}
	if s.InternalErrors+s.SlowDowns == 0 || s.Resets == 0 {
		t.Errorf("%s: want both kinds of fault met", s)
	}
	lines := strings.Split(strings.TrimSpace(errOut.String()), "\n")
	if errOut.String() == "" {
		t.Errorf("%s, and no failed poll said", s)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "sesbox: the queue could not be read: asking again in ") && !strings.HasPrefix(l, "sesbox: the queue did not take the delete of messages already indexed: ") {
			t.Errorf("stderr line %q: want what happens first", l)
		}
	}
	stdout, stderr, code := sesbox(t, "--config", conf, "ls", "--cached", "--json")
	rows := 0
	for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var r lsRow
		if json.Unmarshal([]byte(l), &r) == nil && strings.HasPrefix(r.Subject, "Watched ") {
			rows++
		}
	}
	if code != 0 || rows != n {
		t.Errorf("ls --cached: exit %d, %d messages of %d: %s", code, rows, n, stderr)
	}
}

// TestTUIQueueFailureSaysWhatHappensFirst: fauxqs behind the fault proxy,
// which answers every SQS request 500 InternalError. The TUI's status
// line said the SDK's error alone ("receive from URL: operation error SQS:
// ReceiveMessage, exceeded maximum number of attempts, ..."); it says the
// poll failure as index --watch does (notify.Retried): what happens next
// first, the detail after it.
func TestTUIQueueFailureSaysWhatHappensFirst(t *testing.T) {
	dir := isolate(t)
	q := peer.StartSQS(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	qo, err := q.Client().CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("ses-inbound")})
	if err != nil {
		t.Fatal(err)
	}
	px := faultproxy.Start(t, q.URL, faultproxy.Config{Seed: 1, InternalError: 1})
	t.Setenv("AWS_ENDPOINT_URL_SQS", px.URL)
	s3 := fakes3.Start(t, "mail")
	conf := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf("[mailbox.inbox]\nbucket = \"mail\"\nprefix = \"inbox/\"\nendpoint = %q\nqueue_url = %q\n",
		s3.URL, aws.ToString(qo.QueueUrl))), 0o600); err != nil {
		t.Fatal(err)
	}
	a, _ := tuiApp(t, globalFlags{config: conf})
	boxes, closeFn, err := a.tuiBoxes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	if boxes[0].Queue == nil {
		t.Fatal("the mailbox's queue is not polled")
	}
	c, err := tui.Options{NoColor: true}.Common(&bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	tm := teatest.NewTestModel(t, tui.New(ctx, c, boxes, true, 0, nil), teatest.WithInitialTermSize(80, 24))
	const want = "the queue could not be read: asking again in 10s"
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(want)) },
		teatest.WithDuration(30*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
	if s := px.Stats(); s.InternalErrors == 0 {
		t.Errorf("%s: no request was refused", s)
	}
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	tm.WaitFinished(t, teatest.WithFinalTimeout(15*time.Second))
}
