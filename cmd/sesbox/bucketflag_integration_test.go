//go:build integration

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore/demo"
	"github.com/sesbox/sesbox/mailstore/testutil/fakes3"
	"github.com/sesbox/sesbox/mailstore/testutil/peer"
)

// TestBucketFlagIsOnTheDefaultMailboxsService: --bucket without
// --mailbox names a bucket on the service the default mailbox is on,
// reached the same way: its endpoint, region and profile, and its SES
// endpoint, for every command (ls, show, account here); nothing that is
// that mailbox's own (its prefix). It was AWS's, with the SDK's
// defaults: ls of a bucket on the local S3 of the only mailbox went to
// s3.amazonaws.com. A hint names where the endpoint and region came
// from; a flag still wins over the file.
func TestBucketFlagIsOnTheDefaultMailboxsService(t *testing.T) {
	dir := isolate(t)
	s3 := fakes3.Start(t, "mail", "other")
	raw := demo.Messages()[demoKey(t, "WX-200 컨트롤러")]
	const key = "elsewhere/0aaaabbbbccccddddeeeeffffgggghhhhiiiijj"
	s3.Put(t, "other", key, raw)
	ses := peer.StartSES(t)
	cfg := filepath.Join(dir, "config", "sesbox", "config.toml")
	if err := os.MkdirAll(filepath.Dir(cfg), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, []byte(`[mailbox.local]
bucket = "mail"
prefix = "inbox/"
region = "eu-west-1"
endpoint = "`+s3.URL+`"
ses_endpoint = "`+ses.URL+`"
`), 0o600); err != nil {
		t.Fatal(err)
	}

	stdout, stderr, code := sesbox(t, "--bucket", "other", "ls", "--json")
	if code != 0 || !strings.Contains(stdout, `"key":"`+key+`"`) {
		t.Fatalf("ls of --bucket other: exit %d, stdout %q, stderr %q; want the message under elsewhere/ (the default mailbox's endpoint, not its prefix)", code, stdout, stderr)
	}
	if stdout, stderr, code := sesbox(t, "--bucket", "other", "show", key, "--headers"); code != 0 || !strings.Contains(stdout, "WX-200") {
		t.Errorf("show: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if stdout, stderr, code := sesbox(t, "--bucket", "other", "account", "--json"); code != 0 || !strings.Contains(stdout, `"sendingEnabled"`) {
		t.Errorf("account (the default mailbox's ses_endpoint): exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	// Where a value came from is said: the file's table, or the flag.
	_, stderr, code = sesbox(t, "--bucket", "nosuch", "ls")
	if want := "in eu-west-1 — check --bucket and region in " + cfg + " [mailbox.local]"; code != 1 || !strings.Contains(stderr, want) {
		t.Errorf("a bucket that does not exist: exit %d, %q; want it to say %q", code, stderr, want)
	}
	_, stderr, code = sesbox(t, "--bucket", "other", "--region", "us-west-2", "--endpoint", "http://127.0.0.1:1", "ls")
	if code != 1 || !strings.Contains(stderr, "connection refused: http://127.0.0.1:1") {
		t.Errorf("flags over the file: exit %d, %q", code, stderr)
	}
}
