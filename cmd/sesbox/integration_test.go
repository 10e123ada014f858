//go:build integration

package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sesbox/sesbox/mailstore/demo"
	"github.com/sesbox/sesbox/mailstore/testutil/peer"
)

// TestReadPathAgainstVersityGW runs ls, show and save through the CLI
// against a real S3 server process holding the public corpus and the demo
// mailbox.
func TestReadPathAgainstVersityGW(t *testing.T) {
	isolate(t)
	srv, c := versity(t, "ses-inbound")
	ctx := context.Background()
	stored := map[string][]byte{}
	putObj := func(key string, b []byte) {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("ses-inbound"), Key: aws.String(key), Body: bytes.NewReader(b)}); err != nil {
			t.Fatalf("put %s: %v", key, err)
		}
		stored[key] = b
	}
	files, _ := filepath.Glob("../../testdata/corpus/*.eml")
	if len(files) < 30 {
		t.Fatalf("corpus has %d files", len(files))
	}
	corpusKey := map[string]string{}
	for i, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		key := fmt.Sprintf("mail/%04dcorpus%s", i, strings.Repeat("0", 27))
		corpusKey[filepath.Base(f)] = key
		putObj(key, b)
	}
	for k, b := range demo.Messages() {
		putObj("mail/"+strings.TrimPrefix(k, demo.Prefix), b)
	}
	// Real buckets hold odd objects too: an empty one (S3 answers 416 to
	// any range of it) and one that is not mail at all.
	putObj("mail/empty", []byte{})
	putObj("mail/binary", []byte("\x00\x01\x02\xff\xfe\x1b[2J\x1b]0;owned\x07 not mail"))
	flags := []string{"--endpoint", srv.URL, "--bucket", "ses-inbound", "--prefix", "mail/"}

	rows := lsJSON(t, flags...)
	if len(rows) != len(stored) {
		t.Fatalf("listed %d of %d objects", len(rows), len(stored))
	}
	subjects := map[string]string{}
	for _, r := range rows {
		subjects[r["key"].(string)] = r["subject"].(string)
	}
	for file, want := range map[string]string{
		"mail-raw_email-euc-kr.eml":             "한국말로",
		"mimekit-iso2022jp_subject_body.eml":    "日本語",
		"mail-rfc6532_utf8_headers.eml":         "Säying Hello",
		"flanker-bilingual_encoded_subject.eml": "Как",
	} {
		if got := subjects[corpusKey[file]]; !strings.Contains(got, want) {
			t.Errorf("%s: subject %q, want it to contain %q", file, got, want)
		}
	}
	// Every stored message shows without crashing; raw bytes come back exact.
	for key, b := range stored {
		out, errOut, code := sesbox(t, append(flags, "show", key)...)
		if code != 0 || out == "" {
			t.Errorf("show %s: exit %d: %s", key, code, errOut)
		}
		if strings.ContainsRune(out, 0x1b) {
			t.Errorf("show %s printed an escape character", key)
		}
		raw, _, _ := sesbox(t, append(flags, "show", "--raw", key)...)
		if raw != string(b) {
			t.Errorf("show --raw %s differs from the stored bytes", key)
		}
	}
	// Reading a message makes its attachment count exact in the index.
	rows = lsJSON(t, flags...)
	// Attachments save inside the directory only.
	dir := t.TempDir()
	saved := 0
	for _, r := range rows {
		if r["attachments"].(float64) == 0 {
			continue
		}
		out, errOut, code := sesbox(t, append(flags, "save", r["key"].(string), "--dir", dir)...)
		if code != 0 {
			t.Errorf("save %s: %s", r["key"], errOut)
		}
		for _, p := range strings.Split(strings.TrimSpace(out), "\n") {
			if p == "" {
				continue
			}
			if filepath.Dir(p) != dir {
				t.Errorf("saved outside %s: %s", dir, p)
			}
			saved++
		}
	}
	if saved == 0 {
		t.Error("no attachment saved")
	}
}

// versity starts versitygw with the named buckets, and points the CLI's
// credentials at it.
func versity(t *testing.T, buckets ...string) (*peer.S3, *s3.Client) {
	t.Helper()
	t.Setenv("AWS_ACCESS_KEY_ID", peer.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", peer.SecretKey)
	srv := peer.StartS3(t, false)
	return srv, srv.CreateBuckets(t, buckets...)
}
