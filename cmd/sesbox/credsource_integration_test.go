//go:build integration

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore/testutil/peer"
)

// TestRejectedCredentialsSayWhereTheyCameFrom: versitygw refusing a wrong
// secret made sesbox say "credentials rejected — check --profile or the
// AWS_* environment" whichever the SDK had used; it now names the source
// the SDK took them from (the environment, or the profile and its file),
// and never the secret.
func TestRejectedCredentialsSayWhereTheyCameFrom(t *testing.T) {
	dir := isolate(t)
	srv := peer.StartS3(t, false)
	srv.CreateBuckets(t, "mail")
	flags := []string{"--bucket", "mail", "--endpoint", srv.URL}

	t.Setenv("AWS_ACCESS_KEY_ID", peer.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret-1")
	_, errOut, code := sesbox(t, append(flags, "ls")...)
	want := "sesbox: credentials rejected — they came from the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY); check them"
	if code == 0 || !strings.HasPrefix(errOut, want) || strings.Contains(errOut, "wrong-secret-1") {
		t.Errorf("from the environment: exit %d, %q\nwant %q", code, errOut, want)
	}

	creds := filepath.Join(dir, "credentials")
	if err := os.WriteFile(creds, []byte("[work]\naws_access_key_id = "+peer.AccessKey+"\naws_secret_access_key = wrong-secret-2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", creds)
	os.Unsetenv("AWS_ACCESS_KEY_ID")
	os.Unsetenv("AWS_SECRET_ACCESS_KEY")
	_, errOut, code = sesbox(t, append(flags, "--profile", "work", "ls")...)
	want = "sesbox: credentials rejected — they came from profile work in " + creds + "; check them"
	if code == 0 || !strings.HasPrefix(errOut, want) || strings.Contains(errOut, "wrong-secret-2") {
		t.Errorf("from a profile: exit %d, %q\nwant %q", code, errOut, want)
	}
}

// TestRejectedCredentialsOfEveryReadSayWhereTheyCameFrom: a read other
// than the mailbox's listing (the S3 Inventory reports', an audit's) went
// through s3store.Explain, which ended the SDK's error with "(credentials
// rejected: check the AWS profile or environment)": no hint first, and
// not where they came from. It leads as the listing's does.
func TestRejectedCredentialsOfEveryReadSayWhereTheyCameFrom(t *testing.T) {
	isolate(t)
	srv := peer.StartS3(t, false)
	srv.CreateBuckets(t, "mail", "inventory")
	t.Setenv("AWS_ACCESS_KEY_ID", peer.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret-4")
	_, errOut, code := sesbox(t, "--bucket", "mail", "--endpoint", srv.URL, "index", "--inventory", "s3://inventory/reports/mail/daily/")
	want := "sesbox: credentials rejected — they came from the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY); check them"
	if code != 1 || !strings.HasPrefix(errOut, want) || strings.Contains(errOut, "wrong-secret-4") || strings.Count(errOut, "credentials rejected") != 1 {
		t.Errorf("index --inventory: exit %d, %q\nwant %q", code, errOut, want)
	}
}

// TestSESRejectedCredentialsSayWhereTheyCameFrom: SES refusing the key
// made a reply and `account` say "credentials rejected by SES — check
// --profile or the AWS_* environment" whichever the SDK had used, while
// S3's hint named it; they name it alike, and never the secret.
func TestSESRejectedCredentialsSayWhereTheyCameFrom(t *testing.T) {
	dir := isolate(t)
	ses := startSES(t)
	ses.proxy.RejectCredentials()
	key := demoKey(t, "WX-200 컨트롤러")
	body := writeFile(t, "body.txt", "견적서를 보내드립니다.\n")

	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEKEY")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret-5")
	want := "sesbox: credentials rejected by SES — they came from the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY); check them"
	for _, args := range [][]string{{"reply", key, "--body-file", body, "--yes"}, {"account"}} {
		_, errOut, code := sesbox(t, append([]string{"--demo", "--ses-endpoint", ses.URL}, args...)...)
		// A reply says its review and the unread suppression list (a
		// warning, also rejected) before its error, the last line.
		lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
		if code != 1 || !strings.HasPrefix(lines[len(lines)-1], want) || strings.Contains(errOut, "wrong-secret-5") ||
			strings.Count(errOut, "credentials rejected by SES") != strings.Count(errOut, "they came from the environment") {
			t.Errorf("%s: exit %d, %q\nwant the last line to start %q", args[0], code, errOut, want)
		}
	}

	creds := filepath.Join(dir, "credentials")
	if err := os.WriteFile(creds, []byte("[work]\naws_access_key_id = AKIAEXAMPLEKEY\naws_secret_access_key = wrong-secret-6\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", creds)
	os.Unsetenv("AWS_ACCESS_KEY_ID")
	os.Unsetenv("AWS_SECRET_ACCESS_KEY")
	_, errOut, code := sesbox(t, "--demo", "--ses-endpoint", ses.URL, "--profile", "work", "account")
	want = "sesbox: credentials rejected by SES — they came from profile work in " + creds + "; check them"
	if code != 1 || !strings.HasPrefix(errOut, want) || strings.Contains(errOut, "wrong-secret-6") {
		t.Errorf("from a profile: exit %d, %q\nwant %q", code, errOut, want)
	}
}

// TestInvalidSessionTokenSaysWhereTheCredentialsCameFrom: a session token
// S3 does not take (a stale AWS_SESSION_TOKEN left beside new keys)
// answers InvalidToken, which sesbox passed on bare: "list s3://mail/:
// ... api error InvalidToken: The provided token is malformed or
// otherwise invalid." It is rejected credentials, said as the others.
func TestInvalidSessionTokenSaysWhereTheCredentialsCameFrom(t *testing.T) {
	isolate(t)
	srv := peer.StartS3(t, false)
	srv.CreateBuckets(t, "mail")
	t.Setenv("AWS_ACCESS_KEY_ID", peer.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", peer.SecretKey)
	t.Setenv("AWS_SESSION_TOKEN", "stale-session-token")
	_, errOut, code := sesbox(t, "--bucket", "mail", "--endpoint", srv.URL, "ls")
	want := "sesbox: credentials rejected — they came from the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN); check them"
	if code != 1 || !strings.HasPrefix(errOut, want) || !strings.Contains(errOut, "InvalidToken") || strings.Contains(errOut, "stale-session-token") {
		t.Errorf("exit %d, %q\nwant %q", code, errOut, want)
	}
}
