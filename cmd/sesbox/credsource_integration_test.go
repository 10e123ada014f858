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
