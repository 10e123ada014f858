//go:build integration

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/sesbox/sesbox/mailstore/audit"
	"github.com/sesbox/sesbox/mailstore/demo"
	"github.com/sesbox/sesbox/mailstore/testutil/httprec"
	"github.com/sesbox/sesbox/mailstore/testutil/peer"
)

// versityMailbox starts versitygw (versioned or not), fills a bucket with
// the demo mailbox through its own client, and returns the flags that
// point sesbox at it through a recording proxy.
func versityMailbox(t *testing.T, versioned bool) ([]string, *s3.Client, map[string][]byte, *httprec.Recorder) {
	t.Helper()
	t.Setenv("AWS_ACCESS_KEY_ID", peer.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", peer.SecretKey)
	srv := peer.StartS3(t, versioned)
	create := srv.CreateBuckets
	if versioned {
		create = srv.CreateVersionedBuckets
	}
	c := create(t, "ses-inbound")
	ctx := context.Background()
	msgs := demo.Messages()
	for k, b := range msgs {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("ses-inbound"), Key: aws.String(k), Body: bytes.NewReader(b)}); err != nil {
			t.Fatal(err)
		}
	}
	url, rec := httprec.Proxy(t, srv.URL)
	return []string{"--endpoint", url, "--bucket", "ses-inbound", "--prefix", demo.Prefix}, c, msgs, rec
}

// TestAuditVersionedVersityGW is the auditor's story against a real S3
// server with versioning: snapshot, clean verify (exit 0), then another
// client overwrites one message and deletes another; verify names both,
// exits 1, and points at the versions that still hold the originals.
func TestAuditVersionedVersityGW(t *testing.T) {
	isolate(t)
	flags, c, msgs, rec := versityMailbox(t, true)
	ctx := context.Background()
	man := filepath.Join(t.TempDir(), "snapshot.jsonl")
	out, errOut, code := sesbox(t, append(flags, "audit", "snapshot", "--out", man)...)
	if code != 0 {
		t.Fatalf("snapshot: exit %d\n%s\n%s", code, out, errOut)
	}
	out, errOut, code = sesbox(t, append(flags, "audit", "verify", man)...)
	if code != 0 || !strings.Contains(out, "bucket versioning: Enabled") {
		t.Fatalf("clean verify: exit %d\n%s\n%s", code, out, errOut)
	}

	keys := sortedKeys(msgs)
	overwritten, deleted := keys[4], keys[17]
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("ses-inbound"), Key: aws.String(overwritten),
		Body: strings.NewReader("From: mallory@example.com\nSubject: nothing happened\n\n")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("ses-inbound"), Key: aws.String(deleted)}); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = sesbox(t, append(flags, "audit", "verify", man)...)
	if code != 1 {
		t.Errorf("verify after overwrite and delete: exit %d, want 1\n%s", code, errOut)
	}
	for _, key := range []string{overwritten, deleted} {
		re := regexp.MustCompile(`(?m)^(changed|deleted)\s+` + regexp.QuoteMeta(key) + `\n(?:\s{10}.*\n)*?\s{10}recoverable: version (\S+)\n`)
		if m := re.FindStringSubmatch(out); m == nil {
			t.Errorf("verify does not name %s with a recoverable version:\n%s", key, out)
		}
	}
	if !strings.Contains(out, "delete marker ") || !hasRow(out, "recoverable 2 of 2 changed or deleted") {
		t.Errorf("verify output lacks the delete marker or the recoverable count:\n%s", out)
	}

	// --json names the recoverable versions too, and they hold the bytes.
	out, _, _ = sesbox(t, append(flags, "audit", "verify", "--json", man)...)
	found := 0
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var r struct {
			Key, Status, Recoverable string
		}
		json.Unmarshal([]byte(l), &r)
		if r.Status != "changed" && r.Status != "deleted" {
			continue
		}
		found++
		o, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("ses-inbound"), Key: aws.String(r.Key), VersionId: aws.String(r.Recoverable)})
		if err != nil {
			t.Fatalf("%s version %s: %v", r.Key, r.Recoverable, err)
		}
		var buf bytes.Buffer
		buf.ReadFrom(o.Body)
		o.Body.Close()
		if !bytes.Equal(buf.Bytes(), msgs[r.Key]) {
			t.Errorf("%s version %s does not hold the original bytes", r.Key, r.Recoverable)
		}
	}
	if found != 2 {
		t.Errorf("--json reported %d changed/deleted objects, want 2", found)
	}

	// Posture on versitygw: versioning is real; lifecycle, encryption and
	// public access block are not implemented (501) and show as unknown.
	out, _, code = sesbox(t, append(flags, "audit", "posture")...)
	if code != 0 || !regexp.MustCompile(`ok\s+versioning`).MatchString(out) || !regexp.MustCompile(`unknown\s+lifecycle`).MatchString(out) {
		t.Errorf("posture (versioned): exit %d\n%s", code, out)
	}
	assertOnlyReads(t, rec)
}

// TestAuditPostureUnversionedVersityGW: without versioning, posture is
// critical and says how to fix it; export still round-trips.
func TestAuditPostureUnversionedVersityGW(t *testing.T) {
	isolate(t)
	flags, _, msgs, rec := versityMailbox(t, false)
	out, _, code := sesbox(t, append(flags, "audit", "posture")...)
	if code != 1 || !regexp.MustCompile(`critical\s+versioning\s+versioning is off`).MatchString(out) ||
		!strings.Contains(out, "put-bucket-versioning --bucket ses-inbound") {
		t.Errorf("posture (unversioned): exit %d\n%s", code, out)
	}
	md := filepath.Join(t.TempDir(), "Maildir")
	if out, errOut, code := sesbox(t, append(flags, "export", "--maildir", md)...); code != 0 {
		t.Fatalf("export: exit %d\n%s\n%s", code, out, errOut)
	}
	files, _ := filepath.Glob(filepath.Join(md, "new", "*"))
	if len(files) != len(msgs) {
		t.Errorf("exported %d files for %d messages", len(files), len(msgs))
	}
	assertOnlyReads(t, rec)
}

// TestAuditVerifySaysVersioningWasSuspended: on versitygw, versioning is
// suspended after the snapshot (from then on an overwrite or delete
// destroys the message). Verify printed "bucket versioning: Suspended"
// with nothing to say it had been Enabled when the manifest was made; it
// now says so, in the text output.
func TestAuditVerifySaysVersioningWasSuspended(t *testing.T) {
	isolate(t)
	flags, c, _, _ := versityMailbox(t, true)
	man := filepath.Join(t.TempDir(), "snapshot.jsonl")
	if out, errOut, code := sesbox(t, append(flags, "audit", "snapshot", "--out", man)...); code != 0 {
		t.Fatalf("snapshot: exit %d\n%s\n%s", code, out, errOut)
	}
	peer.SetVersioning(t, c, "ses-inbound", types.BucketVersioningStatusSuspended)
	out, errOut, code := sesbox(t, append(flags, "audit", "verify", man)...)
	if code != 0 || !strings.Contains(out, "bucket versioning: Suspended (Enabled when the manifest was made: from now on an overwrite or delete destroys the message)\n") {
		t.Errorf("verify: exit %d\n%s\n%s", code, out, errOut)
	}
}

// TestAuditSaysWhichVersionsTheirLockKeeps: on versitygw v1.8.0 with
// Object Lock, two messages under a legal hold and one retained until a
// date: audit snapshot and export said only the bucket's setting
// ("Object Lock enabled, no default retention: only versions locked one
// by one ... are kept"), not which were; they say how many each run's
// manifest records as kept, and the entries say which (only reads sent).
// A hold lifted since then left verify OK; it is named (the field, both
// values, in words and --json), metadata-changed, exit status 1.
func TestAuditSaysWhichVersionsTheirLockKeeps(t *testing.T) {
	isolate(t)
	t.Setenv("AWS_ACCESS_KEY_ID", peer.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", peer.SecretKey)
	srv := peer.StartS3(t, true)
	c := srv.CreateVersionedBuckets(t, "other")
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("locked"), ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	msgs := demo.Messages()
	keys := sortedKeys(msgs)[:5]
	for _, k := range keys {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("locked"), Key: aws.String(k), Body: bytes.NewReader(msgs[k])}); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range keys[1:3] {
		if _, err := c.PutObjectLegalHold(ctx, &s3.PutObjectLegalHoldInput{Bucket: aws.String("locked"), Key: aws.String(k),
			LegalHold: &types.ObjectLockLegalHold{Status: types.ObjectLockLegalHoldStatusOn}}); err != nil {
			t.Fatal(err)
		}
	}
	until := time.Date(2099, 1, 2, 0, 0, 0, 0, time.UTC)
	if _, err := c.PutObjectRetention(ctx, &s3.PutObjectRetentionInput{Bucket: aws.String("locked"), Key: aws.String(keys[4]),
		Retention: &types.ObjectLockRetention{Mode: types.ObjectLockRetentionModeGovernance, RetainUntilDate: aws.Time(until)}}); err != nil {
		t.Fatal(err)
	}
	url, rec := httprec.Proxy(t, srv.URL)
	flags := []string{"--endpoint", url, "--bucket", "locked", "--prefix", demo.Prefix}
	dir := t.TempDir()
	const note = "object lock: 2 of 5 versions under a legal hold, 1 retained until 2099-01-02T00:00:00Z at the earliest\n"
	man := filepath.Join(dir, "snap.jsonl")
	if out, errOut, code := sesbox(t, append(flags, "audit", "snapshot", "--out", man)...); code != 0 || !strings.HasSuffix(out, note) {
		t.Errorf("snapshot: exit %d\n%s\n%s", code, out, errOut)
	}
	data := readFile(t, man)
	if n := strings.Count(data, `"legalHold":true`); n != 2 || !strings.Contains(data, `"retentionMode":"GOVERNANCE","retainUntil":"2099-01-02T00:00:00Z"`) {
		t.Errorf("manifest: %d held\n%s", n, data)
	}
	if out, errOut, code := sesbox(t, append(flags, "export", "--mbox", filepath.Join(dir, "x.mbox"))...); code != 0 || !strings.HasSuffix(out, note) {
		t.Errorf("export: exit %d\n%s\n%s", code, out, errOut)
	}

	// A hold lifted since: verify read no lock and said OK (exit 0);
	// it names the field, in words and in --json, and exits 1.
	if out, errOut, code := sesbox(t, append(flags, "audit", "verify", man)...); code != 0 {
		t.Errorf("verify before: exit %d\n%s\n%s", code, out, errOut)
	}
	if _, err := c.PutObjectLegalHold(ctx, &s3.PutObjectLegalHoldInput{Bucket: aws.String("locked"), Key: aws.String(keys[1]),
		LegalHold: &types.ObjectLockLegalHold{Status: types.ObjectLockLegalHoldStatusOff}}); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := sesbox(t, append(flags, "audit", "verify", man)...)
	for _, want := range []string{"metadata-changed " + keys[1] + "\n", `changed: legalHold "true" -> "false"`, "FAILED"} {
		if !strings.Contains(out, want) {
			t.Errorf("verify after the hold was lifted lacks %q: exit %d\n%s\n%s", want, code, out, errOut)
		}
	}
	if code != 1 || !hasRow(out, "object lock 1 changed (the retention or legal hold of the manifest's version)") || !hasRow(out, "metadata-changed 1") {
		t.Errorf("verify after the hold was lifted: exit %d\n%s", code, out)
	}
	out, _, code = sesbox(t, append(flags, "audit", "verify", "--json", man)...)
	var obj struct {
		Key, Status string
		Differences []audit.Difference
	}
	var sum struct {
		OK          bool
		LockChanged int
	}
	ls := strings.Split(strings.TrimSpace(out), "\n")
	for _, l := range ls[:len(ls)-1] {
		if strings.Contains(l, `"differences"`) {
			if err := json.Unmarshal([]byte(l), &obj); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := json.Unmarshal([]byte(ls[len(ls)-1]), &sum); err != nil {
		t.Fatal(err)
	}
	if code != 1 || sum.OK || sum.LockChanged != 1 || obj.Key != keys[1] || obj.Status != "metadata-changed" ||
		fmt.Sprint(obj.Differences) != fmt.Sprint([]audit.Difference{{Field: "legalHold", Manifest: "true", Bucket: "false"}}) {
		t.Errorf("verify --json: exit %d, %+v, %+v\n%s", code, sum, obj, out)
	}
	assertOnlyReads(t, rec)
}

// TestAuditPrefixWithoutSlashWarns: --prefix without its trailing "/"
// (the demo's "inbox" for "inbox/") reached "inbox-old/" too, and the
// snapshot and verify said only "wrote ...: 7 objects"; they still
// cover what S3 lists for the prefix, and now warn on stderr (snapshot)
// and among verify's warnings, hint first, naming each folder reached
// and how many objects each held; with the "/" nothing is said.
func TestAuditPrefixWithoutSlashWarns(t *testing.T) {
	isolate(t)
	flags, c, msgs, _ := versityMailbox(t, true)
	dir := strings.TrimSuffix(demo.Prefix, "/")
	if _, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("ses-inbound"), Key: aws.String(dir + "-old/x"),
		Body: strings.NewReader("Subject: x\r\n\r\nx\r\n")}); err != nil {
		t.Fatal(err)
	}
	flags[len(flags)-1] = dir
	man := filepath.Join(t.TempDir(), "snapshot.jsonl")
	want := fmt.Sprintf(`to cover one folder only, give --prefix %s/ (or a mailbox with that prefix): the prefix %q has no trailing "/" and S3 takes it as it is, so this covered every key that begins with it: 1 object under "%s-old/", %d objects under "%s/"`,
		dir, dir, dir, len(msgs), dir)
	out, errOut, code := sesbox(t, append(flags, "audit", "snapshot", "--out", man)...)
	if code != 0 || !strings.Contains(errOut, "sesbox: warning: "+want+"\n") || !strings.Contains(out, fmt.Sprintf("%d objects", len(msgs)+1)) {
		t.Errorf("snapshot: exit %d\n%s\n%s\nwant %s", code, out, errOut, want)
	}
	out, errOut, code = sesbox(t, append(flags, "audit", "verify", man)...)
	if code != 0 || !strings.Contains(out, "warning: "+want+"\n") {
		t.Errorf("verify: exit %d\n%s\n%s", code, out, errOut)
	}
	flags[len(flags)-1] = dir + "/"
	man = filepath.Join(t.TempDir(), "one.jsonl")
	if out, errOut, code := sesbox(t, append(flags, "audit", "snapshot", "--out", man)...); code != 0 || strings.Contains(errOut, "warning") {
		t.Errorf("snapshot of %s/: exit %d\n%s\n%s", dir, code, out, errOut)
	}
}
