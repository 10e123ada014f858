package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore/testutil/fakes3"
)

// hostileValue is a config value that would retitle the window, clear the
// screen and ring the bell if printed raw.
const hostileValue = "x\x1b]0;pwned\x07\x1b[2J\u009b31m"

// TestConfigValuesInErrorsAreSanitized: every error that quotes a config
// value (mailbox names, buckets, prefixes, endpoints, the config path)
// reaches the terminal without its control sequences.
func TestConfigValuesInErrorsAreSanitized(t *testing.T) {
	dir := isolate(t)
	srv := fakes3.Start(t, "mail")
	cfgDir := filepath.Join(dir, "config", "sesbox")
	if err := os.MkdirAll(cfgDir, 0o700); err != nil {
		t.Fatal(err)
	}
	// TOML basic strings spell the control characters as \u escapes.
	esc := func(s string) string {
		var b strings.Builder
		for _, r := range s {
			if r < 0x20 || (r >= 0x7f && r <= 0x9f) {
				b.WriteString(`\u00` + strings.ToUpper(string("0123456789abcdef"[r>>4])+string("0123456789abcdef"[r&15])))
				continue
			}
			b.WriteRune(r)
		}
		return b.String()
	}
	write := func(name, body string) string {
		p := filepath.Join(cfgDir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	badBucket := write("bucket.toml", `[mailbox.a]
bucket = "`+esc("no-such-"+hostileValue)+`"
endpoint = "`+srv.URL+`"
`)
	badEndpoint := write("endpoint.toml", `[mailbox.a]
bucket = "mail"
endpoint = "`+esc("http://127.0.0.1:1/"+hostileValue)+`"
`)
	badName := write("name.toml", `default = "`+esc(hostileValue)+`"
[mailbox."`+esc(hostileValue)+`"]
prefix = "`+esc(hostileValue)+`"
`)
	unknownKey := write("unknown.toml", `[mailbox.a]
bucket = "mail"
"`+esc(hostileValue)+`" = 1
`)
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"bucket", []string{"--config", badBucket, "ls"}},
		{"endpoint", []string{"--config", badEndpoint, "ls"}},
		{"mailbox name without bucket", []string{"--config", badName, "ls"}},
		{"unknown key", []string{"--config", unknownKey, "ls"}},
		{"config path", []string{"--config", filepath.Join(dir, "missing-"+hostileValue+".toml"), "ls"}},
		{"mailbox flag", []string{"--config", badBucket, "--mailbox", hostileValue, "ls"}},
		{"bucket flag", []string{"--endpoint", srv.URL, "--bucket", "nope-" + hostileValue, "show", "k"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := sesbox(t, tt.args...)
			if code == 0 {
				t.Fatalf("exit 0; stderr %q", errOut)
			}
			if errOut == "" {
				t.Fatal("no error message")
			}
			for _, s := range []string{out, errOut} {
				if strings.ContainsAny(s, "\x1b\x07\u009b") {
					t.Errorf("control sequence printed: %q", s)
				}
			}
		})
	}
}

// TestShowBidiMarkers: bidi overrides and isolates in a body, subject or
// attachment name are shown as markers, never applied (issue #10 §8).
func TestShowBidiMarkers(t *testing.T) {
	isolate(t)
	srv := fakes3.Start(t, "mail")
	raw := "From: a@example.com\r\nSubject: invoice \u202egpj.exe\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\npay to \u2067account\u2069 now\r\n" +
		"--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"x\u202efdp.exe\"\r\n\r\nMZ\r\n--b--\r\n"
	srv.Put(t, "mail", "in/bidi", []byte(raw))
	out, errOut, code := sesbox(t, "--endpoint", srv.URL, "--bucket", "mail", "--prefix", "in/", "show", "bidi")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"invoice <U+202E>gpj.exe", "pay to <U+2067>account<U+2069> now", "x<U+202E>fdp.exe"} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	if strings.ContainsAny(out, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069") {
		t.Errorf("a bidi control reached the output: %q", out)
	}
}

// TestWrittenPathsOnStdoutAreSanitized: the lines that name the files a
// command wrote (export's mbox, Maildir and manifest, audit snapshot's
// manifest) show a path holding control sequences without them, as save's
// paths and every error line do; export and snapshot printed the path as
// given, so a directory named by a key or a script retitled the window and
// cleared the screen. The files themselves keep their exact names.
func TestWrittenPathsOnStdoutAreSanitized(t *testing.T) {
	isolate(t)
	flags, _, _ := demoBucket(t)
	dir := t.TempDir()
	for _, tt := range []struct {
		args  []string
		wrote string
	}{
		{[]string{"export", "--mbox", filepath.Join(dir, "m"+hostileValue)}, "m" + hostileValue + ".manifest.jsonl"},
		{[]string{"export", "--maildir", filepath.Join(dir, "d"+hostileValue), "--manifest", filepath.Join(dir, "dm"+hostileValue)}, "dm" + hostileValue},
		{[]string{"audit", "snapshot", "--out", filepath.Join(dir, "s"+hostileValue)}, "s" + hostileValue},
	} {
		out, errOut, code := sesbox(t, append(flags, tt.args...)...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", tt.args[0], code, errOut)
		}
		if strings.ContainsAny(out+errOut, "\x1b\x07\u009b") {
			t.Errorf("%s: control sequence printed: %q", tt.args, out+errOut)
		}
		if !strings.Contains(out, dir+string(filepath.Separator)) {
			t.Errorf("%s: the path is not named: %q", tt.args, out)
		}
		if _, err := os.Stat(filepath.Join(dir, tt.wrote)); err != nil {
			t.Errorf("%s: %v", tt.args, err)
		}
	}
}
