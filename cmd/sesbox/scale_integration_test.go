//go:build integration

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	neturl "net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sesbox/sesbox/internal/lockedbuf"
	"github.com/sesbox/sesbox/mailstore/testutil/fakes3"
	"github.com/sesbox/sesbox/mailstore/testutil/httprec"
	"github.com/sesbox/sesbox/mailstore/testutil/invgen"
	"github.com/sesbox/sesbox/mailstore/testutil/peer"
)

// TestIndexFromInventory: the corpus in versitygw, an S3 Inventory report
// of the bucket (real CSV.gz and Parquet files in the documented layout,
// generated from the bucket's own listing) in another bucket. `index
// --inventory` through a recording proxy sends no LIST to the mail bucket,
// and its index lists exactly what a LIST-based index of the same bucket
// lists.
func TestIndexFromInventory(t *testing.T) {
	isolate(t)
	srv, c := versity(t, "mail", "inv")
	ctx := context.Background()
	files, _ := filepath.Glob("../../testdata/corpus/*.eml")
	if len(files) < 20 {
		t.Fatalf("corpus has %d files", len(files))
	}
	for i, f := range files[:20] {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		prefix := "inbox/"
		if i%4 == 3 {
			prefix = "other/" // in the report, outside the mailbox
		}
		key := fmt.Sprintf("%s%04dinv%033d", prefix, i, i)
		if i%4 == 1 {
			// CSV reports URL-encode keys (a space as "+", "+" as "%2B"):
			// the index must hold the key S3 holds.
			key = fmt.Sprintf("%s%04d odd + ü%%2F&=\u202e'.eml", prefix, i)
		}
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("mail"), Key: aws.String(key), Body: bytes.NewReader(b)}); err != nil {
			t.Fatal(err)
		}
	}
	listed, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("mail")})
	if err != nil {
		t.Fatal(err)
	}
	var objs []invgen.Object
	for _, o := range listed.Contents {
		objs = append(objs, invgen.Object{Key: aws.ToString(o.Key), Size: aws.ToInt64(o.Size),
			ETag: strings.Trim(aws.ToString(o.ETag), `"`), LastModified: aws.ToTime(o.LastModified)})
	}
	put := func(key string, body []byte) error {
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("inv"), Key: aws.String(key), Body: bytes.NewReader(body)})
		return err
	}

	// The reference: a LIST-based index, straight to the server.
	base := []string{"--bucket", "mail", "--prefix", "inbox/"}
	if _, stderr, code := sesbox(t, append([]string{"--endpoint", srv.URL}, append(base, "index")...)...); code != 0 {
		t.Fatalf("index: exit %d: %s", code, stderr)
	}
	want := lsRows(t, append([]string{"--endpoint", srv.URL}, base...))
	if len(want) != 15 {
		t.Fatalf("LIST index holds %d messages, want 15", len(want))
	}

	for _, format := range []string{"CSV", "Parquet"} {
		t.Run(format, func(t *testing.T) {
			r := invgen.Report{DestBucket: "inv", DestPrefix: "reports/", SourceBucket: "mail", ConfigID: "daily-" + format,
				Format: format, Created: time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC), PerFile: 6}
			if err := invgen.Write(r, objs, put); err != nil {
				t.Fatal(err)
			}
			// Each run has an index of its own: the index is named by the
			// endpoint, and each proxy has its own.
			url, rec := httprec.Proxy(t, srv.URL)
			flags := append([]string{"--endpoint", url}, base...)
			if _, stderr, code := sesbox(t, append(flags, "index", "--inventory", "s3://inv/"+r.Root())...); code != 0 {
				t.Fatalf("index --inventory: exit %d: %s", code, stderr)
			}
			for _, q := range rec.Requests() {
				if q.Method == "GET" && (strings.HasPrefix(q.Path, "/mail?") || strings.HasPrefix(q.Path, "/mail/?")) {
					t.Errorf("LIST of the mail bucket: %s", q.Path)
				}
			}
			if n := rec.ObjectGets(); n < len(want) {
				t.Errorf("%d object GETs, want the %d headers (and the report) read", n, len(want))
			}
			got := lsRows(t, flags)
			if !slices.Equal(got, want) {
				t.Fatalf("inventory index (%d rows) differs from the LIST index (%d rows):\n%s\n---\n%s", len(got), len(want),
					strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// TestIndexFromInventoryLazy: `index --inventory --headers=lazy` writes
// the report's rows without reading one message (no GET, no LIST of the
// mail bucket): each row says headersPending with the S3 size and date; a
// query on a header field says on stderr how many rows it cannot see.
// A later `index --inventory` reads the headers, and the index is then the
// one a LIST-based refresh builds.
func TestIndexFromInventoryLazy(t *testing.T) {
	isolate(t)
	srv, c := versity(t, "mail", "inv")
	ctx := context.Background()
	files, _ := filepath.Glob("../../testdata/corpus/*.eml")
	if len(files) < 12 {
		t.Fatalf("corpus has %d files", len(files))
	}
	for i, f := range files[:12] {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		key := fmt.Sprintf("inbox/%04dlazy%032d", i, i)
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("mail"), Key: aws.String(key), Body: bytes.NewReader(b)}); err != nil {
			t.Fatal(err)
		}
	}
	listed, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("mail")})
	if err != nil {
		t.Fatal(err)
	}
	var objs []invgen.Object
	sizes := map[string]int64{}
	for _, o := range listed.Contents {
		objs = append(objs, invgen.Object{Key: aws.ToString(o.Key), Size: aws.ToInt64(o.Size),
			ETag: strings.Trim(aws.ToString(o.ETag), `"`), LastModified: aws.ToTime(o.LastModified)})
		sizes[aws.ToString(o.Key)] = aws.ToInt64(o.Size)
	}
	r := invgen.Report{DestBucket: "inv", DestPrefix: "reports/", SourceBucket: "mail", ConfigID: "daily",
		Format: "CSV", Created: time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC), PerFile: 5}
	if err := invgen.Write(r, objs, func(key string, body []byte) error {
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("inv"), Key: aws.String(key), Body: bytes.NewReader(body)})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	base := []string{"--bucket", "mail", "--prefix", "inbox/"}
	if _, stderr, code := sesbox(t, append([]string{"--endpoint", srv.URL}, append(base, "index")...)...); code != 0 {
		t.Fatalf("index: exit %d: %s", code, stderr)
	}
	want := lsRows(t, append([]string{"--endpoint", srv.URL}, base...))

	url, rec := httprec.Proxy(t, srv.URL)
	flags := append([]string{"--endpoint", url}, base...)
	inv := "s3://inv/" + r.Root()
	if _, stderr, code := sesbox(t, append(flags, "index", "--inventory", inv, "--headers=lazy")...); code != 0 {
		t.Fatalf("index --headers=lazy: exit %d: %s", code, stderr)
	} else if !strings.Contains(stderr, "12 messages have no headers read yet") || !strings.Contains(stderr, "indexed 12 new or changed of 12 objects") {
		t.Errorf("stderr %q does not count the rows without headers", stderr)
	}
	for _, q := range rec.Requests() {
		if strings.HasPrefix(q.Path, "/mail") {
			t.Errorf("lazy ingest sent %s %s to the mail bucket", q.Method, q.Path)
		}
	}
	rows := lsRows(t, flags)
	if len(rows) != 12 {
		t.Fatalf("%d rows after the lazy ingest, want 12", len(rows))
	}
	for _, l := range rows {
		var row lsRow
		if err := json.Unmarshal([]byte(l), &row); err != nil {
			t.Fatal(err)
		}
		if !row.HeadersPending || row.Subject != "" || row.Size != sizes[row.Key] || row.DateSource == "" {
			t.Errorf("lazy row %s", l)
		}
	}
	out, stderr, code := sesbox(t, append(flags, "ls", "--cached", "--query", "from:example")...)
	if code != 0 || out != "" || !strings.Contains(stderr, "12 messages have no headers read yet") {
		t.Errorf("ls --query from: over pending rows: exit %d, out %q, stderr %q", code, out, stderr)
	}

	if _, stderr, code := sesbox(t, append(flags, "index", "--inventory", inv, "--header-rate", "50")...); code != 0 {
		t.Fatalf("index --inventory: exit %d: %s", code, stderr)
	} else if strings.Contains(stderr, "no headers read yet") {
		t.Errorf("stderr %q after the headers were read", stderr)
	}
	if got := lsRows(t, flags); !slices.Equal(got, want) {
		t.Fatalf("after the headers were read the index differs from the LIST index:\n%s\n---\n%s",
			strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// lsRows is `ls --cached --json`, one JSON line a message.
func lsRows(t *testing.T, flags []string) []string {
	t.Helper()
	out, stderr, code := sesbox(t, append(flags, "ls", "--cached", "--json")...)
	if code != 0 {
		t.Fatalf("ls: exit %d: %s", code, stderr)
	}
	return strings.Split(strings.TrimSpace(out), "\n")
}

// notifiedBucket is a bucket (gofakes3, behind a recording proxy) holding
// the objects the test notifications are about: `index --watch` reads
// each new one's header block (a notification is only word that it is
// there). The recorder shows that nothing is listed.
func notifiedBucket(t *testing.T) (endpoint string, rec *httprec.Recorder) {
	t.Helper()
	srv := fakes3.Start(t, "mail")
	for _, id := range []string{"o3vrnil0e2ic28trm7dakrc2v0clambda4nbp0g1", "p4vrnil0e2ic28trm7dakrc2v0clambda4nbp0g2"} {
		srv.Put(t, "mail", "inbox/"+id, []byte("Received: from mailer.example.com by inbound-smtp.us-west-2.amazonaws.com with SMTP id "+id+
			" for support@acme-demo.example; Tue, 01 Dec 2026 10:00:00 +0000 (UTC)\r\nX-SES-Spam-Verdict: PASS\r\nX-SES-Virus-Verdict: PASS\r\n"+
			"From: Jane Doe <janedoe@example.com>\r\nSubject: Test Subject\r\n\r\nbody\r\n"))
	}
	return httprec.Proxy(t, srv.URL)
}

// listed says whether any request of rec listed the bucket.
func listed(rec *httprec.Recorder) bool {
	return slices.ContainsFunc(rec.Requests(), func(r httprec.Request) bool { return strings.Contains(r.Path, "list-type") })
}

// TestIndexWatch: notifications through a real SNS topic subscribed to a
// real SQS queue (fauxqs) and sent raw, with a duplicate, one of another
// prefix and one that is not a notification. `index --watch` (which never
// lists the bucket) indexes the two new messages, each from its object's
// header block, prints one line each, leaves only the others in the
// queue, and ends cleanly when its context is cancelled (ctrl-c). Then
// with topic_arn set to the topic, a notification sent to the queue
// directly (no SNS envelope) is left in the queue, not indexed.
func TestIndexWatch(t *testing.T) {
	dir := isolate(t)
	q := peer.StartSQS(t)
	t.Setenv("AWS_ENDPOINT_URL_SQS", q.URL)
	ctx := context.Background()
	client := q.Client()
	qo, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("ses-inbound"),
		Attributes: map[string]string{"VisibilityTimeout": "2"}})
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: qo.QueueUrl, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	topics := sns.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(peer.AccessKey, peer.SecretKey, "")},
		func(o *sns.Options) { o.BaseEndpoint = aws.String(q.URL) })
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
	for _, m := range []string{string(body), string(body), other} {
		if _, err := topics.Publish(ctx, &sns.PublishInput{TopicArn: to.TopicArn, Message: aws.String(m)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range []string{second, "not json"} {
		if _, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: qo.QueueUrl, MessageBody: aws.String(m)}); err != nil {
			t.Fatal(err)
		}
	}

	endpoint, rec := notifiedBucket(t)
	conf := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf("[mailbox.inbox]\nbucket = \"mail\"\nprefix = \"inbox/\"\nendpoint = %q\nqueue_url = %q\n",
		endpoint, aws.ToString(qo.QueueUrl))), 0o600); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var out, errOut lockedbuf.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(wctx, []string{"--config", conf, "index", "--watch"}, strings.NewReader(""), &out, &errOut)
	}()

	// Until both messages are printed and only the two that are not the
	// mailbox's (sales/, junk) are left in the queue, for their consumer.
	deadline := time.Now().Add(30 * time.Second)
	for {
		a, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: qo.QueueUrl,
			AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
		if err != nil {
			t.Fatal(err)
		}
		visible, _ := strconv.Atoi(a.Attributes["ApproximateNumberOfMessages"])
		hidden, _ := strconv.Atoi(a.Attributes["ApproximateNumberOfMessagesNotVisible"])
		if visible+hidden == 2 && strings.Count(out.String(), "\n") >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 30 s: queue %v, printed %q, stderr %q", a.Attributes, out.String(), errOut.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("index --watch: exit %d after cancel: %s", code, errOut.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("index --watch did not end after cancel")
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "Test Subject") {
		t.Fatalf("printed %q, want one line per new message", out.String())
	}
	if !strings.Contains(errOut.String(), "outside s3://mail/inbox/ (left in the queue for its consumer)") {
		t.Errorf("stderr %q does not say the sales/ notification was left", errOut.String())
	}
	if listed(rec) || rec.ObjectGets() != 2 {
		t.Errorf("S3 requests %v: want the two new objects' headers read, no listing", rec.Requests())
	}

	lsOut, stderr, code := sesbox(t, "--config", conf, "ls", "--cached", "--json")
	if code != 0 {
		t.Fatalf("ls: exit %d: %s", code, stderr)
	}
	var keys []string
	for _, l := range strings.Split(strings.TrimSpace(lsOut), "\n") {
		var r lsRow
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, r.Key)
		if strings.Join(r.Recipients, ",") != "support@acme-demo.example" || r.Subject != "Test Subject" {
			t.Errorf("%s: recipients %v subject %q", r.Key, r.Recipients, r.Subject)
		}
	}
	slices.Sort(keys)
	if want := []string{"inbox/o3vrnil0e2ic28trm7dakrc2v0clambda4nbp0g1", "inbox/p4vrnil0e2ic28trm7dakrc2v0clambda4nbp0g2"}; !slices.Equal(keys, want) {
		t.Fatalf("index holds %v, want %v", keys, want)
	}

	// topic_arn: a body sent to the queue directly is not the topic's.
	if err := os.WriteFile(conf, []byte(fmt.Sprintf("[mailbox.inbox]\nbucket = \"mail\"\nprefix = \"inbox/\"\nendpoint = %q\nqueue_url = %q\ntopic_arn = %q\n",
		endpoint, aws.ToString(qo.QueueUrl), aws.ToString(to.TopicArn))), 0o600); err != nil {
		t.Fatal(err)
	}
	third := strings.ReplaceAll(string(body), "o3vrnil0e2ic28trm7dakrc2v0clambda4nbp0g1", "r5vrnil0e2ic28trm7dakrc2v0clambda4nbp0g3")
	if _, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: qo.QueueUrl, MessageBody: aws.String(third)}); err != nil {
		t.Fatal(err)
	}
	wctx, cancel = context.WithCancel(ctx)
	defer cancel()
	var out2, errOut2 lockedbuf.Buffer
	go func() {
		done <- run(wctx, []string{"--config", conf, "index", "--watch"}, strings.NewReader(""), &out2, &errOut2)
	}()
	for deadline := time.Now().Add(15 * time.Second); !strings.Contains(errOut2.String(), "r5vrnil0e2ic28trm7dakrc2v0clambda4nbp0g3 not wrapped by SNS"); {
		if time.Now().After(deadline) {
			t.Fatalf("with topic_arn: stdout %q, stderr %q", out2.String(), errOut2.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	cancel()
	if code := <-done; code != 0 || out2.String() != "" || !strings.Contains(errOut2.String(), "not from the mailbox's topic_arn (left in the queue for its consumer)") {
		t.Errorf("with topic_arn: exit %d, stdout %q, stderr %q", code, out2.String(), errOut2.String())
	}
}

// TestQueueURLOfAnotherServerIsAsked: a queue_url of an SQS server that
// is not AWS's, with no AWS_ENDPOINT_URL_SQS, is asked at that server:
// the SDK sent ReceiveMessage to sqs.us-east-1.amazonaws.com and the
// watch retried "no such host" for a name the config never held. The
// server is fauxqs behind a proxy whose queue URL names the proxy
// (http://127.0.0.1:PORT/000000000000/NAME, as ElasticMQ's do; fauxqs's
// own, sqs.us-east-1.127.0.0.1:PORT, resolve nowhere), which hands each
// call on with fauxqs's URL. A queue_url whose server refuses says so
// hint first, naming where it was set and that AWS_ENDPOINT_URL_SQS
// overrides it.
func TestQueueURLOfAnotherServerIsAsked(t *testing.T) {
	dir := isolate(t)
	t.Setenv("AWS_ENDPOINT_URL_SQS", "")
	q := peer.StartSQS(t)
	ctx := context.Background()
	client := q.Client()
	qo, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("ses-inbound")})
	if err != nil {
		t.Fatal(err)
	}
	target, _ := neturl.Parse(q.URL)
	rp := httputil.NewSingleHostReverseProxy(target)
	var proxyURL string
	var asked atomic.Int32
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		b = bytes.ReplaceAll(b, []byte(proxyURL+"/000000000000/ses-inbound"), []byte(aws.ToString(qo.QueueUrl)))
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
		asked.Add(1)
		rp.ServeHTTP(w, r)
	}))
	defer proxy.Close()
	proxyURL = proxy.URL
	body, err := os.ReadFile("../../testdata/notifications/received-s3.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: qo.QueueUrl, MessageBody: aws.String(string(body))}); err != nil {
		t.Fatal(err)
	}
	endpoint, _ := notifiedBucket(t)
	conf := filepath.Join(dir, "config", "sesbox", "config.toml")
	if err := os.MkdirAll(filepath.Dir(conf), 0o700); err != nil {
		t.Fatal(err)
	}
	watch := func(queue string, until func(out, errOut string) bool) (string, string) {
		t.Helper()
		if err := os.WriteFile(conf, []byte(fmt.Sprintf("[mailbox.support]\nbucket = \"mail\"\nprefix = \"inbox/\"\nendpoint = %q\nqueue_url = %q\n",
			endpoint, queue)), 0o600); err != nil {
			t.Fatal(err)
		}
		wctx, cancel := context.WithCancel(ctx)
		defer cancel()
		var out, errOut lockedbuf.Buffer
		done := make(chan int, 1)
		go func() { done <- run(wctx, []string{"index", "--watch"}, strings.NewReader(""), &out, &errOut) }()
		deadline := time.Now().Add(30 * time.Second)
		for !until(out.String(), errOut.String()) {
			select {
			case code := <-done:
				t.Fatalf("index --watch ended (exit %d): stdout %q, stderr %q", code, out.String(), errOut.String())
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("after 30 s: stdout %q, stderr %q", out.String(), errOut.String())
			}
			time.Sleep(100 * time.Millisecond)
		}
		cancel()
		if code := <-done; code != 0 {
			t.Fatalf("index --watch: exit %d after cancel: %s", code, errOut.String())
		}
		return out.String(), errOut.String()
	}

	out, errOut := watch(proxyURL+"/000000000000/ses-inbound", func(out, _ string) bool { return strings.Contains(out, "Test Subject") })
	if errOut != "" || asked.Load() == 0 {
		t.Errorf("stderr %q, %d calls to the queue URL's server: want none and some", errOut, asked.Load())
	}
	if n := strings.Count(out, "\n"); n != 1 {
		t.Errorf("printed %q, want the one new message", out)
	}

	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	// notify.Retried leads with what happens next (fault10), then the
	// refusal names the setting that chose the server.
	const next = "sesbox: the queue could not be read: asking again in "
	_, errOut = watch(closed.URL+"/000000000000/ses-inbound", func(_, errOut string) bool { return strings.Contains(errOut, next) })
	if want := "connection refused: " + closed.URL + " — check queue_url in [mailbox.support] in " + conf + " (or AWS_ENDPOINT_URL_SQS) ("; !strings.HasPrefix(errOut, next) || !strings.Contains(errOut, want) {
		t.Errorf("stderr %q\nwant it to begin %q and hold %q", errOut, next, want)
	}
}

// TestIndexWatchRetries: fauxqs behind a proxy that drops every
// connection while "down". `index --watch` started during the outage says
// on stderr that it retries (and when), then indexes the message sent
// once the queue is back, and still ends cleanly on cancel. A queue_url
// naming no queue ends the watch at once with a hint.
func TestIndexWatchRetries(t *testing.T) {
	dir := isolate(t)
	q := peer.StartSQS(t)
	ctx := context.Background()
	client := q.Client()
	qo, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("ses-inbound")})
	if err != nil {
		t.Fatal(err)
	}
	var down atomic.Bool
	down.Store(true)
	target, _ := neturl.Parse(q.URL)
	rp := httputil.NewSingleHostReverseProxy(target)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			// As a queue endpoint that cannot be reached: no answer.
			if c, _, err := w.(http.Hijacker).Hijack(); err == nil {
				c.Close()
			}
			return
		}
		rp.ServeHTTP(w, r)
	}))
	defer proxy.Close()
	t.Setenv("AWS_ENDPOINT_URL_SQS", proxy.URL)

	endpoint, _ := notifiedBucket(t)
	conf := filepath.Join(dir, "config.toml")
	writeConf := func(queue string) {
		if err := os.WriteFile(conf, []byte(fmt.Sprintf("[mailbox.inbox]\nbucket = \"mail\"\nprefix = \"inbox/\"\nendpoint = %q\nqueue_url = %q\n",
			endpoint, queue)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeConf(aws.ToString(qo.QueueUrl))
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var out, errOut lockedbuf.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(wctx, []string{"--config", conf, "index", "--watch"}, strings.NewReader(""), &out, &errOut)
	}()
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for !cond() {
			select {
			case code := <-done:
				t.Fatalf("index --watch ended (exit %d) waiting for %s: stderr %q", code, what, errOut.String())
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("after 60 s no %s: stdout %q, stderr %q", what, out.String(), errOut.String())
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	waitFor("retry message", func() bool {
		return strings.HasPrefix(errOut.String(), "sesbox: the queue could not be read: asking again in 1s; if this goes on, check the network")
	})
	down.Store(false)
	body, err := os.ReadFile("../../testdata/notifications/received-s3.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: qo.QueueUrl, MessageBody: aws.String(string(body))}); err != nil {
		t.Fatal(err)
	}
	waitFor("indexed message", func() bool { return strings.Contains(out.String(), "Test Subject") })
	t.Logf("stderr of the watch: %s", errOut.String())
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("index --watch: exit %d after cancel: %s", code, errOut.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("index --watch did not end after cancel")
	}

	writeConf(strings.TrimSuffix(aws.ToString(qo.QueueUrl), "ses-inbound") + "no-such-queue")
	start := time.Now()
	_, stderr, code := sesbox(t, "--config", conf, "index", "--watch")
	if code == 0 || !strings.Contains(stderr, "queue does not exist") || strings.Contains(stderr, "retrying") {
		t.Fatalf("watch of a missing queue: exit %d, stderr %q", code, stderr)
	}
	t.Logf("stderr of the watch of a missing queue: %s", stderr)
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("a missing queue took %v to report", d)
	}
}
