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

// TestReadErrorsLeadWithAHint: show and save of a message that cannot be
// read, and export and audit snapshot of a bucket that cannot be listed,
// say first what to check, as ls does, then the detail once. They
// printed the SDK's chain alone ("read s3://b/k: operation error S3:
// GetObject, exceeded maximum number of attempts, ... connection
// refused"), and a body that broke on every GET named the object twice
// (the hint and the detail both), and said twice it could not be read whole.
func TestReadErrorsLeadWithAHint(t *testing.T) {
	isolate(t)
	shortBackoff(t)

	dead := deadEndpoint(t)
	out := t.TempDir()
	for _, cmd := range [][]string{{"show", "k"}, {"save", "k", "--dir", t.TempDir()},
		{"export", "--mbox", filepath.Join(out, "x.mbox")}, {"audit", "snapshot", "--out", filepath.Join(out, "s.jsonl")}} {
		_, errOut, code := sesbox(t, append([]string{"--endpoint", dead, "--bucket", "mail"}, cmd...)...)
		if want := "sesbox: connection refused: " + dead + " — check --endpoint"; code != 1 || !strings.HasPrefix(errOut, want) {
			t.Errorf("%s, endpoint down: exit %d, want a line starting %q:\n%s", cmd[0], code, want, errOut)
		}
	}

	// Every GET is cut short of its end (a megabyte: a body too small to
	// cut is passed whole).
	srv := fakes3.Start(t, "mail")
	key := demo.Prefix + "0vneinmetj3r4m9ltdtl5drpnghlppk2eqp3vjne"
	srv.Put(t, "mail", key, []byte("Subject: big\r\n\r\n"+strings.Repeat("x", 1<<20)))
	p := faultproxy.Start(t, srv.URL, faultproxy.Config{Seed: 1, Truncate: 1, Match: func(r *http.Request) bool {
		return r.Method == http.MethodGet
	}})
	for _, cmd := range [][]string{{"show", key}, {"save", key, "--dir", t.TempDir()}} {
		_, errOut, code := sesbox(t, append([]string{"--endpoint", p.URL, "--bucket", "mail"}, cmd...)...)
		want := "sesbox: \"s3://mail/" + key + "\" could not be read whole"
		if code != 1 || !strings.HasPrefix(errOut, want) || strings.Count(errOut, key) != 1 || strings.Count(errOut, "read whole") != 1 {
			t.Errorf("%s, body broken: exit %d, want one line starting %q, naming the key and saying it once:\n%s", cmd[0], code, want, errOut)
		}
	}
}

// TestFailedObjectIsNamedOnce: export and audit snapshot name each object
// they could not read once. They printed "could not read inbox/k: read
// s3://mail/inbox/k: ...", the store's error naming it again.
func TestFailedObjectIsNamedOnce(t *testing.T) {
	isolate(t)
	shortBackoff(t)
	srv := fakes3.Start(t, "mail")
	key := demo.Prefix + "0vneinmetj3r4m9ltdtl5drpnghlppk2eqp3vjne"
	srv.Put(t, "mail", key, []byte("Subject: s\r\n\r\nbody\r\n"))
	for _, cfg := range []faultproxy.Config{{Seed: 1, SlowDown: 1}, {Seed: 1, Reset: 1}} {
		cfg.Match = func(r *http.Request) bool { return r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, key) }
		p := faultproxy.Start(t, srv.URL, cfg)
		out := t.TempDir()
		for _, cmd := range [][]string{{"export", "--mbox", filepath.Join(out, "x.mbox")}, {"audit", "snapshot", "--out", filepath.Join(out, "s.jsonl")}} {
			_, errOut, code := sesbox(t, append([]string{"--endpoint", p.URL, "--bucket", "mail"}, cmd...)...)
			named := 0
			for _, line := range strings.Split(errOut, "\n") {
				if strings.Contains(line, key) {
					named++
					if n := strings.Count(line, key); n != 1 {
						t.Errorf("%s: a line names the object %d times: %s", cmd[0], n, line)
					}
				}
			}
			if code != 1 || named != 1 {
				t.Errorf("%s: exit %d, %d lines name the object, want 1 and 1:\n%s", cmd[0], code, named, errOut)
			}
		}
	}
}

// TestListWarningLeadsWithTheHint: ls, whose refresh could not read some
// headers, warns with what to check first, as index fails with it; the
// warning gave the detail alone.
func TestListWarningLeadsWithTheHint(t *testing.T) {
	isolate(t)
	shortBackoff(t)
	srv := fakes3.Start(t, "mail")
	key := demo.Prefix + "0vneinmetj3r4m9ltdtl5drpnghlppk2eqp3vjne"
	srv.Put(t, "mail", key, []byte("Subject: big\r\n\r\n"+strings.Repeat("x", 1<<20)))
	p := faultproxy.Start(t, srv.URL, faultproxy.Config{Seed: 1, Reset: 1, Match: func(r *http.Request) bool {
		return r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, key)
	}})
	_, errOut, _ := sesbox(t, "--endpoint", p.URL, "--bucket", "mail", "--prefix", demo.Prefix, "ls")
	want := "sesbox: warning: \"s3://mail/" + key + "\" could not be read whole"
	if !strings.Contains(errOut, "\n"+want) && !strings.HasPrefix(errOut, want) {
		t.Errorf("ls warning without the hint first, want a line starting %q:\n%s", want, errOut)
	}
}

// TestKMSDeniedReadSaysKMS: a read that S3 refuses because the credentials
// may not use the object's SSE-KMS key says to allow kms:Decrypt. It said
// "access denied to s3://mail — check the credentials' permissions
// (s3:ListBucket, s3:GetObject)", which the credentials had: the listing
// had just worked.
func TestKMSDeniedReadSaysKMS(t *testing.T) {
	isolate(t)
	srv := fakes3.Start(t, "mail")
	key := demo.Prefix + "0vneinmetj3r4m9ltdtl5drpnghlppk2eqp3vjne"
	srv.Put(t, "mail", key, []byte("Subject: s\r\n\r\nbody\r\n"))
	p := faultproxy.Start(t, srv.URL, faultproxy.Config{Seed: 1, KMSDenied: 1, Match: func(r *http.Request) bool {
		return r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, key)
	}})
	_, errOut, code := sesbox(t, "--endpoint", p.URL, "--bucket", "mail", "show", key)
	if want := "sesbox: access denied to the KMS key of s3://mail"; code != 1 || !strings.HasPrefix(errOut, want) || !strings.Contains(errOut, "kms:Decrypt") {
		t.Errorf("exit %d, want a line starting %q naming kms:Decrypt:\n%s", code, want, errOut)
	}
}

// TestS3HintsNameWhereTheValueCameFrom: a hint names the setting to check
// where it was set: the config key in its file, the environment variable,
// or the flag. Before, it always named the flags ("check --endpoint",
// "check --bucket and --region", "check --prefix"), sending a user whose
// values all came from config.toml after flags they never gave.
func TestS3HintsNameWhereTheValueCameFrom(t *testing.T) {
	dir := isolate(t)
	shortBackoff(t)
	dead := deadEndpoint(t)
	srv := fakes3.Start(t, "mail")
	conf := filepath.Join(dir, "config.toml")
	write := func(body string) {
		t.Helper()
		if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name, config string
		args         []string
		env          map[string]string
		want         string
	}{
		{"endpoint from the config", fmt.Sprintf("[mailbox.m]\nbucket = \"mail\"\nendpoint = %q\n", dead), []string{"ls"}, nil,
			"sesbox: connection refused: " + dead + " — check endpoint in " + conf + " [mailbox.m] ("},
		{"endpoint from the flag", "[mailbox.m]\nbucket = \"mail\"\n", []string{"--endpoint", dead, "ls"}, nil,
			"sesbox: connection refused: " + dead + " — check --endpoint ("},
		{"endpoint from the environment", "[mailbox.m]\nbucket = \"mail\"\n", []string{"ls"}, map[string]string{"AWS_ENDPOINT_URL_S3": dead},
			"sesbox: connection refused: " + dead + " — check AWS_ENDPOINT_URL_S3 ("},
		{"bucket and region from the config", fmt.Sprintf("[mailbox.m]\nbucket = \"nosuch\"\nregion = \"eu-west-1\"\nendpoint = %q\n", srv.URL), []string{"ls"}, nil,
			`sesbox: no such bucket "nosuch" in eu-west-1 — check bucket in ` + conf + " [mailbox.m] and region in " + conf + " [mailbox.m] ("},
		{"bucket from the flag, region from the environment", fmt.Sprintf("[mailbox.m]\nbucket = \"mail\"\nendpoint = %q\n", srv.URL), []string{"--mailbox", "m", "--bucket", "nosuch", "ls"},
			map[string]string{"AWS_REGION": "eu-west-3"},
			`sesbox: no such bucket "nosuch" in eu-west-3 — check --bucket and AWS_REGION (`},
		// Audit and inventory reads said "(no such bucket: check --bucket
		// and --region)" after the SDK's chain, whatever set the bucket.
		{"audit posture, bucket and region from the config", fmt.Sprintf("[mailbox.m]\nbucket = \"nosuch\"\nregion = \"eu-west-1\"\nendpoint = %q\n", srv.URL), []string{"audit", "posture"}, nil,
			`sesbox: no such bucket "nosuch" in eu-west-1 — check bucket in ` + conf + " [mailbox.m] and region in " + conf + " [mailbox.m] ("},
		{"audit posture, bucket from the flag", fmt.Sprintf("[mailbox.m]\nbucket = \"mail\"\nregion = \"eu-west-1\"\nendpoint = %q\n", srv.URL), []string{"--mailbox", "m", "--bucket", "nosuch", "audit", "posture"}, nil,
			`sesbox: no such bucket "nosuch" in eu-west-1 — check --bucket and region in ` + conf + " [mailbox.m] ("},
		{"audit posture, endpoint from the config", fmt.Sprintf("[mailbox.m]\nbucket = \"mail\"\nendpoint = %q\n", dead), []string{"audit", "posture"}, nil,
			"sesbox: connection refused: " + dead + " — check endpoint in " + conf + " [mailbox.m] ("},
		{"inventory from the config", fmt.Sprintf("[mailbox.m]\nbucket = \"mail\"\nregion = \"eu-west-1\"\nendpoint = %q\ninventory = \"s3://nosuch/inv/mail/cfg/\"\n", srv.URL), []string{"index"}, nil,
			`sesbox: no such bucket "nosuch" in eu-west-1 — check the inventory URL (inventory in ` + conf + " [mailbox.m]) and region in " + conf + " [mailbox.m] ("},
		{"inventory from the flag", fmt.Sprintf("[mailbox.m]\nbucket = \"mail\"\nendpoint = %q\n", srv.URL), []string{"index", "--inventory", "s3://nosuch/inv/mail/cfg/"},
			map[string]string{"AWS_REGION": "eu-west-3"},
			`sesbox: no such bucket "nosuch" in eu-west-3 — check the inventory URL (--inventory) and AWS_REGION (`},
		{"prefix from the config", fmt.Sprintf("[mailbox.m]\nbucket = \"mail\"\nprefix = \"inbx/\"\nendpoint = %q\n", srv.URL), []string{"ls"}, nil,
			"sesbox: no messages under s3://mail/inbx/ — check prefix in " + conf + " [mailbox.m] (the receipt rule's object key prefix, e.g. inbox/) and bucket in " + conf + " [mailbox.m]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			write(tc.config)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			_, errOut, _ := sesbox(t, append([]string{"--config", conf}, tc.args...)...)
			if !strings.HasPrefix(errOut, tc.want) {
				t.Errorf("stderr:\n%s\nwant it to start:\n%s", errOut, tc.want)
			}
		})
	}
}
