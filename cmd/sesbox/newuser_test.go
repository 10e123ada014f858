package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore/demo"
	"github.com/sesbox/sesbox/mailstore/testutil/fakes3"
	"github.com/sesbox/sesbox/mailstore/testutil/faultproxy"
)

// TestGetObjectDeniedNamesThePermission: credentials that may list the
// bucket but not read its objects (s3:ListBucket without s3:GetObject, a
// policy's Resource naming the bucket only) were told "check the
// credentials' permissions (s3:ListBucket, s3:GetObject)", though the
// listing had just worked. The hint names the one permission the refused
// call needs and where to allow it; ls, which could read none of the
// headers, said there were no messages under the prefix (check --prefix)
// too, and that the list "may lack 1 messages".
func TestGetObjectDeniedNamesThePermission(t *testing.T) {
	isolate(t)
	shortBackoff(t)
	srv := fakes3.Start(t, "mail")
	key := demo.Prefix + "0vneinmetj3r4m9ltdtl5drpnghlppk2eqp3vjne"
	srv.Put(t, "mail", key, []byte("Subject: s\r\n\r\nbody\r\n"))
	p := faultproxy.Start(t, srv.URL, faultproxy.Config{Seed: 1, Denied: 1, Match: func(r *http.Request) bool {
		return r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/mail/")
	}})
	flags := []string{"--endpoint", p.URL, "--bucket", "mail", "--prefix", demo.Prefix}
	hint := "access denied to s3://mail — allow s3:GetObject on arn:aws:s3:::mail/" + demo.Prefix + "* for these credentials"
	for _, args := range [][]string{{"show", key}, {"index"}, {"ls"}} {
		want := "sesbox: " + hint
		if args[0] == "ls" { // which goes on past what it cannot read
			want = "sesbox: warning: " + hint
		}
		_, errOut, code := sesbox(t, append(flags, args...)...)
		if code != 1 || !strings.Contains("\n"+errOut, "\n"+want) || strings.Contains(errOut, "s3:ListBucket") {
			t.Errorf("%s: exit %d, want 1 and a line starting %q:\n%s", args[0], code, want, errOut)
		}
		// The object is there: ls said "no messages under s3://mail/inbox/
		// — check --prefix" after the warning.
		if strings.Contains(errOut, "no messages under") || (args[0] == "ls" && !strings.Contains(errOut, "the list may lack 1 message whose headers")) {
			t.Errorf("%s: the object is listed, but unread:\n%s", args[0], errOut)
		}
	}
	// A listing refused names s3:ListBucket on the bucket.
	p = faultproxy.Start(t, srv.URL, faultproxy.Config{Seed: 1, Denied: 1})
	_, errOut, code := sesbox(t, "--endpoint", p.URL, "--bucket", "mail", "--prefix", demo.Prefix, "ls")
	if want := "sesbox: access denied to s3://mail — allow s3:ListBucket on arn:aws:s3:::mail for these credentials"; code != 1 || !strings.HasPrefix(errOut, want) {
		t.Errorf("ls, listing refused: exit %d, want 1 and stderr starting %q:\n%s", code, want, errOut)
	}
}

// TestNewUserErrorsSayWhatToDoAndNoCredential: the errors a new user
// meets first (no config, a mailbox or bucket that does not exist, a typo
// in a config key, an endpoint that does not answer, a message id that
// names nothing, objects the credentials may not read) each lead with
// what to do, exit with the status the README gives them, and print no
// part of the credentials: keys and a session token in the environment
// and another profile's keys in the shared credentials file, with and
// without --debug.
func TestNewUserErrorsSayWhatToDoAndNoCredential(t *testing.T) {
	dir := isolate(t)
	shortBackoff(t)
	secrets := map[string]string{
		"AWS_ACCESS_KEY_ID":     "AKIANEWUSERFAKEQWXZ1",
		"AWS_SECRET_ACCESS_KEY": "nEwUsErSeCrEt/NeVeRpRiNtEd+qZxWvUtSrQpOn1",
		"AWS_SESSION_TOKEN":     "FwoGZXIvYXdzEFakeSessionTokenNeverPrintedKjHg",
	}
	for k, v := range secrets {
		t.Setenv(k, v)
	}
	creds := filepath.Join(dir, "credentials")
	if err := os.WriteFile(creds, []byte("[work]\naws_access_key_id = AKIAPROFILEFAKEQWXZ2\naws_secret_access_key = pRoFiLeSeCrEt/NeVeRpRiNtEd+aBcDeFgHiJk2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", creds)
	secrets["profile key"], secrets["profile secret"] = "AKIAPROFILEFAKEQWXZ2", "pRoFiLeSeCrEt/NeVeRpRiNtEd+aBcDeFgHiJk2"

	srv := fakes3.Start(t, "mail")
	key := demo.Prefix + "0vneinmetj3r4m9ltdtl5drpnghlppk2eqp3vjne"
	srv.Put(t, "mail", key, []byte("Subject: s\r\n\r\nbody\r\n"))
	denied := faultproxy.Start(t, srv.URL, faultproxy.Config{Seed: 1, Denied: 1, Match: func(r *http.Request) bool {
		return r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/mail/")
	}})
	conf := filepath.Join(dir, "config.toml")
	typo := filepath.Join(dir, "typo.toml")
	for path, body := range map[string]string{
		conf: fmt.Sprintf("default = \"support\"\n[mailbox.support]\nbucket = \"mail\"\nprefix = %q\nendpoint = %q\n", demo.Prefix, srv.URL),
		typo: "[mailbox.support]\nbukcet = \"mail\"\n",
	} {
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	dead := deadEndpoint(t)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string // the start of stderr's first line
	}{
		{"no config", []string{"--config", filepath.Join(dir, "none.toml"), "ls"}, 1, "sesbox: no config file at "},
		{"no config file where sesbox looks", []string{"ls"}, 1, "sesbox: no config file at " + filepath.Join(dir, "config", "sesbox", "config.toml") + " and no --bucket: create it"},
		{"a mailbox that does not exist", []string{"--config", conf, "--mailbox", "sales", "ls"}, 1, `sesbox: no mailbox "sales" in ` + conf + ": it defines support (--mailbox NAME picks one"},
		{"a typo in a config key", []string{"--config", typo, "ls"}, 1, "sesbox: config " + typo + ": line 2: unknown key mailbox.support.bukcet — did you mean bucket?"},
		{"a bucket that does not exist", []string{"--config", conf, "--endpoint", srv.URL, "--bucket", "nosuch", "ls"}, 1, `sesbox: no such bucket "nosuch" in us-east-1 — check --bucket and AWS_REGION`},
		{"an endpoint that does not answer", []string{"--config", conf, "--endpoint", dead, "ls"}, 1, "sesbox: connection refused: " + dead + " — check --endpoint"},
		{"an id that names no message", []string{"--config", conf, "show", "nosuchid"}, 3, `sesbox: no message "nosuchid" in s3://mail/` + demo.Prefix + " — give its key"},
		{"objects the credentials may not read", []string{"--config", conf, "--endpoint", denied.URL, "show", key}, 1, "sesbox: access denied to s3://mail — allow s3:GetObject on "},
		{"a profile that does not exist", []string{"--config", conf, "--profile", "nosuch", "ls"}, 1, `sesbox: no AWS profile "nosuch" in `},
	} {
		for _, debug := range []bool{false, true} {
			args := tc.args
			if debug {
				args = append([]string{"--debug"}, args...)
			}
			out, errOut, code := sesbox(t, args...)
			first, _, _ := strings.Cut(errOut, "\n")
			if !debug && (code != tc.code || !strings.HasPrefix(first, tc.want)) {
				t.Errorf("%s: exit %d, want %d and stderr starting %q:\n%s", tc.name, code, tc.code, tc.want, errOut)
			}
			if debug && code != tc.code {
				t.Errorf("%s with --debug: exit %d, want %d:\n%s", tc.name, code, tc.code, errOut)
			}
			for what, v := range secrets {
				// Any 8 characters of it in a row would be a leak.
				for i := 0; i+8 <= len(v); i += 4 {
					if strings.Contains(out+errOut, v[i:i+8]) {
						t.Errorf("%s (--debug %v): the output holds part of %s (%q):\n%s%s", tc.name, debug, what, v[i:i+8], out, errOut)
						break
					}
				}
			}
		}
	}
}

// TestAKeyOfAnotherMailboxSaysWhichOne: with two mailboxes configured,
// the id `ls --mailbox sales` printed, given to show, save or reply
// without the flag, was "no message ... in s3://mail/support/ — give its
// key or SES message id as the list shows it", as if mistyped. When
// another mailbox's local index holds it, the hint says which flag to add
// first (no network: only the indexes on disk); a key no mailbox holds is
// told as before, and both exit 3.
func TestAKeyOfAnotherMailboxSaysWhichOne(t *testing.T) {
	dir := isolate(t)
	srv := fakes3.Start(t, "mail")
	id := "0vneinmetj3r4m9ltdtl5drpnghlppk2eqp3vjne"
	srv.Put(t, "mail", "sales/"+id, demo.Messages()[demo.Prefix+id])
	srv.Put(t, "mail", "support/other", []byte("Subject: s\r\n\r\nbody\r\n"))
	conf := filepath.Join(dir, "config", "sesbox", "config.toml")
	if err := os.MkdirAll(filepath.Dir(conf), 0o700); err != nil {
		t.Fatal(err)
	}
	body := fmt.Sprintf("default = \"support\"\n[mailbox.support]\nbucket = \"mail\"\nprefix = \"support/\"\nendpoint = %q\n"+
		"[mailbox.sales]\nbucket = \"mail\"\nprefix = \"sales/\"\nendpoint = %q\n", srv.URL, srv.URL)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	// Before sales was ever listed there is nothing to tell.
	if _, errOut, code := sesbox(t, "show", id); code != 3 || !strings.HasPrefix(errOut, `sesbox: no message "`+id+`" in s3://mail/support/`) {
		t.Fatalf("sales never listed: exit %d\n%s", code, errOut)
	}
	for _, mb := range []string{"sales", "support"} {
		if _, errOut, code := sesbox(t, "--mailbox", mb, "ls"); code != 0 {
			t.Fatalf("ls --mailbox %s: exit %d\n%s", mb, code, errOut)
		}
	}
	for _, args := range [][]string{
		{"show", id}, {"show", "--headers", id}, {"save", id, "--dir", t.TempDir()},
		{"reply", id, "--dry-run", "--body-file", "-"}, {"show", "sales/" + id},
	} {
		want := `sesbox: add --mailbox sales: "` + args[len(args)-1] + `" is a message of mailbox sales, not of support (`
		if args[0] != "show" {
			want = `sesbox: add --mailbox sales: "` + id + `" is a message of mailbox sales, not of support (`
		}
		if _, errOut, code := sesbox(t, args...); code != 3 || !strings.HasPrefix(errOut, want) {
			t.Errorf("%s: exit %d, want 3 and %q...\n%s", strings.Join(args, " "), code, want, errOut)
		}
	}
	if _, errOut, code := sesbox(t, "show", "nosuchkey"); code != 3 || !strings.HasPrefix(errOut, `sesbox: no message "nosuchkey" in s3://mail/support/`) {
		t.Errorf("a key no mailbox holds: exit %d\n%s", code, errOut)
	}
	if out, errOut, code := sesbox(t, "--mailbox", "sales", "show", id); code != 0 || out == "" {
		t.Errorf("show --mailbox sales: exit %d\n%s", code, errOut)
	}
}
