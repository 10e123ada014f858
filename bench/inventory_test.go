//go:build bench

package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sesbox/sesbox/mailstore/testutil/invgen"
	"github.com/sesbox/sesbox/mailstore/testutil/peer"
)

// inventoryBench writes an S3 Inventory report of BENCH_INVENTORY_N keys
// (default 1,000,000; gzip'd CSV in the documented layout, manifest.json
// and manifest.checksum) into versitygw and times `sesbox index
// --inventory URL --headers=lazy` through the simulated network: the
// rows go in without a header read. LISTs are counted by bucket in front
// of the network proxy: the target is none on the mail bucket (the one
// delimited LIST that finds the newest report goes to the report bucket).
func inventoryBench(t *testing.T, bin string, srv *peer.S3, rep *report, rtt time.Duration, linkMBs float64) {
	n := envInt("BENCH_INVENTORY_N", 1_000_000)
	ctx := context.Background()
	admin := srv.Client()
	const invBucket = "bench-inventory"
	if _, err := admin.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(invBucket)}); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	objs := make([]invgen.Object, n)
	for i := range objs {
		objs[i] = invgen.Object{Key: fmt.Sprintf("%sinv%037d", prefix, i), Size: int64(2000 + i%50000),
			ETag: fmt.Sprintf("%032x", i), LastModified: base.Add(time.Duration(i) * 30 * time.Second)}
	}
	r := invgen.Report{DestBucket: invBucket, DestPrefix: "inventory/", SourceBucket: bucket, ConfigID: "sesbox",
		Format: "CSV", Created: time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC)}
	var reportBytes int64
	err := invgen.Write(r, objs, func(key string, body []byte) error {
		reportBytes += int64(len(body))
		_, err := admin.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(invBucket), Key: aws.String(key), Body: bytes.NewReader(body)})
		return err
	})
	objs = nil
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("generated an inventory of %d keys (%.1f MB of CSV.gz) in %v", n, float64(reportBytes)/1e6, time.Since(t0).Round(time.Second))

	proxy, h := newNetProxy(srv.URL, rtt, linkMBs*1e6)
	var mailLists, otherLists atomic.Int64
	ps := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method == http.MethodGet && req.URL.Query().Has("list-type") {
			if b, _, _ := strings.Cut(strings.TrimPrefix(req.URL.Path, "/"), "/"); b == bucket {
				mailLists.Add(1)
			} else {
				otherLists.Add(1)
			}
		}
		h.ServeHTTP(w, req)
	}))
	defer ps.Close()
	env := sesboxEnv(t, ps.URL)
	url := "s3://" + invBucket + "/" + r.Root()
	// Under peakrss: this process, which held the million rows it wrote,
	// would otherwise count in the child's peak RSS.
	peak := buildPeakRSS(t)

	for _, step := range []string{"cold", "again"} {
		proxy.reset()
		mailLists.Store(0)
		otherLists.Store(0)
		res := runPeak(t, peak, bin, profiled(env, "inventory-"+step), "index", "--inventory", url, "--headers=lazy")
		c := proxy.counts()
		rep.Counts["inventory ingest "+step] = c
		want := fmt.Sprintf("%d messages have no headers read yet", n)
		if !strings.Contains(res.stderr, want) {
			t.Errorf("index --inventory (%s): stderr %q does not say %q", step, res.stderr, want)
		}
		note := fmt.Sprintf("%d keys, lazy headers; %d LISTs of the mail bucket, %d of the report bucket; %d GETs; %.1f MB read; peak RSS %.0f MB",
			n, mailLists.Load(), otherLists.Load(), c.Gets+c.RangedGets, float64(c.Bytes)/1e6, float64(res.maxRSS)/1e6)
		if step == "cold" {
			rep.add(fmt.Sprintf("inventory ingest (%s keys)", short(n)), res.wall.Seconds(), "s", "", "< 60 s, 0 LIST", yes(res.wall < 60*time.Second && mailLists.Load() == 0), note)
			rep.add("inventory ingest peak RSS", float64(res.maxRSS)/1e6, "MB", "", "", nil, "does not grow with the report: a page of 1,000 rows at a time")
		} else {
			rep.add("inventory ingest, unchanged", res.wall.Seconds(), "s", "", "< 60 s, 0 LIST", yes(res.wall < 60*time.Second && mailLists.Load() == 0),
				note+"; the same report again: no row changes")
		}
	}
	// One page of the ingested mailbox, as the TUI's first screen asks.
	q := runPeak(t, peak, bin, env, "ls", "--cached", "--json", "--limit", "50")
	if rows := bytes.Count(q.stdout, []byte("\n")); rows != 50 || !bytes.Contains(q.stdout, []byte(`"headersPending":true`)) {
		t.Errorf("ls after the ingest: %d rows: %.300s", rows, q.stdout)
	}
	rep.add(fmt.Sprintf("ls --limit 50, %s stubs", short(n)), float64(q.wall.Milliseconds()), "ms", "", "", nil, fmt.Sprintf("peak RSS %.0f MB", float64(q.maxRSS)/1e6))
}

// queueLatency times new mail through the queue: fauxqs (SQS) holds the
// queue, a notification in SES's S3-action format is sent to it, and the
// clock runs from the send until the message's row is printed by `sesbox
// index --watch` (in the index by then) and until it is on the screen of
// the TUI in tmux. The target: < 2 s.
func queueLatency(t *testing.T, bin string, srv *peer.S3, rep *report) {
	ctx := context.Background()
	q := peer.StartSQS(t)
	client := q.Client()
	qo, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("bench-inbound")})
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := os.ReadFile("../testdata/notifications/received-s3.json")
	if err != nil {
		t.Fatal(err)
	}
	// An empty mailbox of its own: the time is the queue's, not a listing's.
	const qBucket = "bench-queue"
	if _, err := srv.Client().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(qBucket)}); err != nil {
		t.Fatal(err)
	}
	seq := 0
	queueURL := qo.QueueUrl
	send := func(subject string) {
		seq++
		id := fmt.Sprintf("benchq%034d", seq)
		body := strings.NewReplacer(`"bucketName": "mail"`, `"bucketName": "`+qBucket+`"`,
			"o3vrnil0e2ic28trm7dakrc2v0clambda4nbp0g1", id, "Test Subject", subject).Replace(string(tmpl))
		// As SES does, the object is stored before its notification: sesbox
		// indexes the object's header block, the notification being only
		// word that it is there.
		msg := "Return-Path: <sender@example.com>\r\n" +
			"Received: from mailer.example.com (mailer.example.com [203.0.113.1]) by inbound-smtp.us-east-1.amazonaws.com with SMTP id " + id +
			" for johndoe@example.com; Mon, 07 Dec 2026 00:00:00 +0000 (UTC)\r\n" +
			"X-SES-Spam-Verdict: PASS\r\nX-SES-Virus-Verdict: PASS\r\n" +
			"From: Sender <sender@example.com>\r\nTo: johndoe@example.com\r\nSubject: " + subject + "\r\n" +
			"Date: Mon, 07 Dec 2026 00:00:00 +0000\r\nMessage-ID: <" + id + "@example.com>\r\n\r\nHello.\r\n"
		if _, err := srv.Client().PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(qBucket), Key: aws.String(prefix + id), Body: strings.NewReader(msg)}); err != nil {
			t.Fatal(err)
		}
		if _, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: queueURL, MessageBody: aws.String(body)}); err != nil {
			t.Fatal(err)
		}
	}
	env := sesboxEnv(t, srv.URL)
	conf := filepath.Join(envValue(env, "XDG_CONFIG_HOME"), "sesbox", "config.toml")
	old, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	// The mailbox table is the file's last: its keys go at the end.
	conf2 := strings.Replace(string(old), fmt.Sprintf("bucket = %q", bucket), fmt.Sprintf("bucket = %q", qBucket), 1) +
		fmt.Sprintf("queue_url = %q\n", aws.ToString(qo.QueueUrl))
	if err := os.WriteFile(conf, []byte(conf2), 0o600); err != nil {
		t.Fatal(err)
	}
	env = append(env, "AWS_ENDPOINT_URL_SQS="+q.URL)

	// index --watch: the time until its line for the message is printed.
	cmd := exec.Command(bin, "index", "--watch")
	cmd.Env = env
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	wait := func(subject string) (time.Duration, bool) {
		start := time.Now()
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Logf("index --watch ended: %s", errb.String())
					return 0, false
				}
				if strings.Contains(l, subject) {
					return time.Since(start), true
				}
			case <-time.After(30 * time.Second):
				t.Logf("no line for %s after 30 s: %s", subject, errb.String())
				return 0, false
			}
		}
	}
	// A message that never shows is the target not met, printed so.
	missed := func(what string) {
		rep.add("queue -> index --watch", 0, "ms", "", "< 2 s", yes(false), "no line for "+what+" after 30 s")
	}
	// The first one also waits for the process to start polling.
	send("queue-warmup")
	if _, ok := wait("queue-warmup"); !ok {
		missed("queue-warmup")
		return
	}
	var lat []time.Duration
	for i := range 5 {
		s := fmt.Sprintf("queue-probe-%d", i)
		start := time.Now()
		send(s)
		if _, ok := wait(s); !ok {
			missed(s)
			return
		}
		lat = append(lat, time.Since(start))
		time.Sleep(300 * time.Millisecond)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	rep.add("queue -> index --watch", lat[len(lat)/2].Seconds()*1000, "ms", "", "< 2 s", yes(lat[len(lat)-1] < 2*time.Second),
		fmt.Sprintf("SendMessage to the row printed (committed), median of %d, max %d ms; fauxqs, long poll", len(lat), lat[len(lat)-1].Milliseconds()))
	cmd.Process.Kill()
	cmd.Wait()

	// A queue of its own for the TUI: the killed watch's long poll may
	// still take the next message in fauxqs (hidden for 30 s after).
	qt, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("bench-inbound-tui")})
	if err != nil {
		t.Fatal(err)
	}
	conf3 := strings.Replace(conf2, aws.ToString(qo.QueueUrl), aws.ToString(qt.QueueUrl), 1)
	if err := os.WriteFile(conf, []byte(conf3), 0o600); err != nil {
		t.Fatal(err)
	}
	queueURL = qt.QueueUrl
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Log("tmux not installed: queue to TUI latency not measured")
		return
	}
	if d, ok := tuiQueueLatency(t, bin, env, send); ok {
		rep.add("queue -> TUI row on screen", d.Seconds()*1000, "ms", "", "< 2 s", yes(d < 2*time.Second),
			"SendMessage to the subject on screen, tmux 120x36, through a tmux control client polled every 1 ms")
	} else {
		rep.add("queue -> TUI row on screen", 0, "ms", "", "< 2 s", yes(false), "the message never showed (see the log)")
	}
}

// tuiQueueLatency opens the TUI on the queue's (empty) mailbox in tmux (see
// pane) and times a notification sent once it is up until its subject is
// on screen.
func tuiQueueLatency(t *testing.T, bin string, env []string, send func(subject string)) (time.Duration, bool) {
	p := startPane(t, env, 120, 36, bin)
	defer p.kill()
	// Up, with its first long poll waiting: the warm-up message shows.
	send("tui-warmup")
	if _, ok := p.waitFor(30*time.Second, "tui-warmup"); !ok {
		t.Logf("TUI: no warm-up message after 30 s:\n%s", p.screen())
		return 0, false
	}
	time.Sleep(500 * time.Millisecond)
	start := time.Now()
	send("tui-probe")
	if _, ok := p.waitFor(30*time.Second, "tui-probe"); !ok {
		t.Logf("TUI: no probe message after 30 s:\n%s", p.screen())
		return 0, false
	}
	return time.Since(start), true
}

func envValue(env []string, name string) string {
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, name+"="); ok {
			return v
		}
	}
	return ""
}

// TestBenchPastListing runs only the inventory and queue steps of
// TestBench (go test -tags bench -run TestBenchPastListing ./bench/),
// printing their rows; it writes no results.json.
func TestBenchPastListing(t *testing.T) {
	rtt := envDur("BENCH_RTT", 20*time.Millisecond)
	linkMBs := float64(envInt("BENCH_LINK_MBPS", 50))
	rep := &report{RTTms: float64(rtt) / 1e6, LinkMBs: linkMBs, Cores: runtime.NumCPU(), When: time.Now().UTC(), Counts: map[string]counts{}}
	bin := buildSesbox(t)
	srv := peer.StartS3(t, false)
	if _, err := srv.Client().CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	inventoryBench(t, bin, srv, rep, rtt, linkMBs)
	queueLatency(t, bin, srv, rep)
	print(t, rep)
}

// short writes 1000000 as 1M and 20000 as 20k.
func short(n int) string {
	switch {
	case n >= 1e6 && n%1e6 == 0:
		return fmt.Sprintf("%dM", n/1e6)
	case n >= 1e3 && n%1e3 == 0:
		return fmt.Sprintf("%dk", n/1e3)
	}
	return fmt.Sprint(n)
}
