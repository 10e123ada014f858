//go:build integration

package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sesbox/sesbox/mailstore/demo"
	"github.com/sesbox/sesbox/mailstore/testutil/faultproxy"
	"github.com/sesbox/sesbox/mailstore/testutil/peer"
)

// TestTwoIndexRunsReadEachHeaderOnce: two `sesbox index` processes started
// together on one mailbox and a cold cache each read every header block
// (three at once on 4,000 objects: 37 s each, one alone 15 s). The second
// now waits for the first, saying so with the first's pid, and then reads
// nothing new: the GETs of both together are those of one run.
func TestTwoIndexRunsReadEachHeaderOnce(t *testing.T) {
	bin := buildSesbox(t)
	srv := peer.StartS3(t, false)
	c := srv.Client()
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("mail")}); err != nil {
		t.Fatal(err)
	}
	var raw []byte
	for _, m := range demo.Messages() {
		raw = m
		break
	}
	const n = 300
	for i := range n {
		key := fmt.Sprintf("in/m%04d", i)
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("mail"), Key: aws.String(key), Body: bytes.NewReader(raw)}); err != nil {
			t.Fatal(err)
		}
	}
	var gets atomic.Int64
	p := faultproxy.Start(t, srv.URL, faultproxy.Config{Latency: 1, Delay: 150 * time.Millisecond,
		Match: func(r *http.Request) bool {
			if r.Method == http.MethodGet && !r.URL.Query().Has("list-type") {
				gets.Add(1)
			}
			return true
		}})
	config := fmt.Sprintf("default = \"big\"\n[mailbox.big]\nbucket = \"mail\"\nprefix = \"in/\"\nendpoint = %q\n", p.URL)

	// One run alone, on its own cache: the GETs a cold index makes.
	if _, stderr, code := newOperator(t, "alone", config).run(t, bin, nil, "index"); code != 0 {
		t.Fatalf("index alone: exit %d\n%s", code, stderr)
	}
	alone := gets.Swap(0)
	if alone < n {
		t.Fatalf("one run made %d GETs for %d objects", alone, n)
	}

	op := newOperator(t, "two", config)
	var cmds [2]*exec.Cmd
	var errs [2]bytes.Buffer
	for i := range cmds {
		cmds[i] = op.command(bin, nil, "index")
		cmds[i].Stderr = &errs[i]
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("index %d: %v\n%s", i, err, errs[i].String())
		}
	}
	both := gets.Load()
	t.Logf("GETs: %d alone, %d for two runs at once", alone, both)
	if both > alone+alone/10 {
		t.Errorf("two index runs at once made %d GETs, one alone %d: the second read the headers again", both, alone)
	}
	waitLine := regexp.MustCompile(`waiting for another sesbox indexing this mailbox \(pid (\d+)\)`)
	waited := 0
	for i := range cmds {
		m := waitLine.FindStringSubmatch(errs[i].String())
		if m == nil {
			continue
		}
		waited++
		if other := cmds[1-i].Process.Pid; m[1] != strconv.Itoa(other) {
			t.Errorf("run %d waited for pid %s, the other run is %d", i, m[1], other)
		}
	}
	if waited != 1 {
		t.Errorf("%d runs said they waited, want 1:\n%s\n---\n%s", waited, errs[0].String(), strings.TrimSpace(errs[1].String()))
	}
}
