package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/sesbox/sesbox/mailstore/demo"
	"github.com/sesbox/sesbox/mailstore/mime"
	"github.com/sesbox/sesbox/mailstore/testutil/fakes3"
	"github.com/sesbox/sesbox/mailstore/testutil/faultproxy"
	"github.com/sesbox/sesbox/tui"
)

// TestShowHeadersReadsTheHeaderOnly: `show --headers` of a 40 MB message
// is served tens of kilobytes (counted by the proxy in front of the
// bucket), and prints what a full parse of the message would.
func TestShowHeadersReadsTheHeaderOnly(t *testing.T) {
	isolate(t)
	srv := fakes3.Start(t, "mail")
	var big bytes.Buffer
	big.WriteString("Return-Path: <a@example.com>\r\nFrom: Big Sender <a@example.com>\r\nTo: b@example.com\r\nSubject: forty megabytes\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n")
	line := strings.Repeat("x", 998) + "\r\n"
	for big.Len() < 40<<20 {
		big.WriteString(line)
	}
	key := "inbox/" + strings.Repeat("b", 40)
	srv.PutDirect(t, "mail", key, big.Bytes())
	p := faultproxy.Start(t, srv.URL, faultproxy.Config{})
	flags := []string{"--endpoint", p.URL, "--bucket", "mail", "--prefix", "inbox/"}

	out, errOut, code := sesbox(t, append(flags, "show", "--headers", key)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if served := p.Stats().BodyBytes; served > 256<<10 {
		t.Errorf("show --headers was served %d bytes of a %d-byte message", served, big.Len())
	}
	hdr := big.Bytes()[:mime.HeaderEnd(big.Bytes())]
	var want bytes.Buffer
	printHeaders(&want, mime.Parse(append(append([]byte{}, hdr...), "body\r\n"...)))
	if out != want.String() || !strings.Contains(out, "Subject: forty megabytes\n") {
		t.Errorf("show --headers printed\n%s\nwant\n%s", out, want.String())
	}
}

// TestShowHeadersMatchesFullParse: for every demo message, the header-only
// read prints exactly what printing the headers of the whole message does.
func TestShowHeadersMatchesFullParse(t *testing.T) {
	isolate(t)
	flags, rec, msgs := demoBucket(t)
	a, _ := tuiApp(t, globalFlags{endpoint: flags[1], bucket: "mail", prefix: demo.Prefix})
	for _, key := range sortedKeys(msgs) {
		msg, err := a.openHeader(context.Background(), key)
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		var got, want bytes.Buffer
		printHeaders(&got, msg.View)
		printHeaders(&want, mime.Parse(msgs[key]))
		if got.String() != want.String() {
			t.Errorf("%s: header-only read prints\n%s\nthe full parse\n%s", key, got.String(), want.String())
		}
	}
	for _, r := range rec.Requests() {
		if r.Method != "GET" {
			t.Errorf("%s %s", r.Method, r.Path)
		}
	}
}

// Marker credentials: the test fails if either value shows up anywhere.
const (
	markerSecret = "SECRETMARKERdebugtest0123456789abcdefXYZ"
	markerToken  = "TOKENMARKERdebugtestSessionTokenValue0123456789"
)

// TestDebugLogsEveryRequestWithoutCredentials runs every command with
// --debug and session credentials: each AWS request is logged (operation,
// endpoint, status, attempt, time), and the secret key and session token
// appear in no output and in no file sesbox wrote.
func TestDebugLogsEveryRequestWithoutCredentials(t *testing.T) {
	dir := isolate(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDMARKERDEBUGTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", markerSecret)
	t.Setenv("AWS_SESSION_TOKEN", markerToken)
	flags, _, msgs := demoBucket(t)
	ses := startSES(t)
	keys := sortedKeys(msgs)
	key := keys[0]
	withAtt := ""
	for _, k := range keys {
		if len(mime.Parse(msgs[k]).Attachments()) > 0 {
			withAtt = k
			break
		}
	}
	cfgPath, _ := writeForwardConfig(t, dir)
	keysFile, _ := demoKeysFile(t, msgs)
	body := writeFile(t, "body.txt", "thanks\n")
	out := t.TempDir()
	man := filepath.Join(out, "snap.jsonl")
	all := flags
	all = append(all[:len(all):len(all)], "--ses-endpoint", ses.URL, "--debug")

	var outputs []string
	ran := map[string]bool{}
	for _, args := range [][]string{
		{"index"},
		{"ls"},
		{"ls", "--json", "--cached"},
		{"show", key},
		{"show", "--headers", key},
		{"show", "--raw", key},
		{"save", withAtt, "--dir", filepath.Join(out, "att")},
		{"export", "--mbox", filepath.Join(out, "x.mbox")},
		{"export", "--maildir", filepath.Join(out, "md")},
		{"audit", "snapshot", "--out", man},
		{"audit", "verify", man},
		{"audit", "verify", "--json", man},
		{"audit", "verify-export", filepath.Join(out, "x.mbox.manifest.jsonl")},
		{"audit", "posture"},
		{"audit", "posture", "--json"},
		{"forward", "--forward-config", cfgPath, "--dry-run", filepath.Join(out, "fwd"), "--keys-from", keysFile},
		{"forward", "--forward-config", cfgPath, "--yes", "--keys-from", keysFile},
		{"reply", key, "--body-file", body, "--yes", "--from", "Sales <sales@acme-demo.example>"},
		{"audit", "log"},
		{"audit", "log", "--verify", "--json"},
		{"account"},
		{"account", "--json"},
		{"mark", key},
		{"mark", "--unread", key},
		{"drafts"},
		{"drafts", "--json"},
	} {
		ran[commandPath(args)] = true
		stdout, stderr, code := sesbox(t, append(all[:len(all):len(all)], args...)...)
		name := strings.Join(args[:min(2, len(args))], " ")
		outputs = append(outputs, stdout, stderr)
		// The action log, a cached listing, read marks and the drafts
		// are local: no request.
		if local := name == "audit log" || name == "audit verify-export" || args[0] == "mark" || args[0] == "drafts" || strings.Contains(strings.Join(args, " "), "--cached"); !local {
			if !strings.Contains(stderr, "sesbox debug: ") {
				t.Errorf("%s (exit %d): no request logged:\n%s", name, code, stderr)
			}
		}
		for _, l := range strings.Split(stderr, "\n") {
			if !strings.HasPrefix(l, "sesbox debug: ") {
				continue
			}
			if !strings.Contains(l, " attempt ") || !strings.Contains(l, " -> ") || !strings.Contains(l, "http://127.0.0.1:") {
				t.Errorf("%s: debug line lacks attempt, status or endpoint: %s", name, l)
			}
			if strings.Contains(l, "Authorization") && !strings.Contains(l, "Authorization: [redacted]") {
				t.Errorf("%s: Authorization not redacted: %s", name, l)
			}
		}
	}
	// Every command is run above, or where its peer is (named here).
	elsewhere := map[string]string{
		"demo":         "no credentials at all: an in-process bucket, then the TUI (its log: below)",
		"team init":    "TestTeamDebugLeaksNoSecret (DynamoDB: dynalite)",
		"team status":  "TestTeamDebugLeaksNoSecret (DynamoDB: dynalite)",
		"team resolve": "TestTeamDebugLeaksNoSecret (DynamoDB: dynalite)",
		// cobra's own, made early by strictBuiltins: they make no request.
		"help":                  "no request",
		"completion bash":       "no request",
		"completion fish":       "no request",
		"completion powershell": "no request",
		"completion zsh":        "no request",
	}
	for _, leaf := range leafCommands() {
		if !ran[leaf] && elsewhere[leaf] == "" {
			t.Errorf("sesbox %s is not run with --debug by any test", leaf)
		}
	}
	joined := strings.Join(outputs, "\n")
	for _, want := range []string{"S3 ListObjectsV2 attempt 1", "S3 GetObject attempt 1", "SESv2 SendEmail attempt 1",
		"X-Amz-Security-Token: [redacted]", "-> 200 in "} {
		if !strings.Contains(joined, want) {
			t.Errorf("no debug line has %q", want)
		}
	}

	// The TUI logs to its log file instead: the same wiring, opened the
	// way runTUI opens it.
	a, errb := tuiApp(t, globalFlags{endpoint: flags[1], bucket: "mail", prefix: demo.Prefix, debug: true})
	a.debug = &debugLog{w: a.stderr}
	w, closeLog, err := tui.OpenLog()
	if err != nil {
		t.Fatal(err)
	}
	a.debug.setOutput(w)
	boxes, closeBoxes, err := a.tuiBoxes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := boxes[0].Mailbox.Refresh(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	closeBoxes()
	closeLog()
	if errb.Len() != 0 {
		t.Errorf("the TUI wiring wrote to stderr: %s", errb.String())
	}
	logged, err := os.ReadFile(filepath.Join(dir, "state", "sesbox", "tui.log"))
	if err != nil || !strings.Contains(string(logged), "sesbox debug: ") {
		t.Errorf("tui.log has no request lines (%v)", err)
	}
	outputs = append(outputs, string(logged))

	for i, o := range outputs {
		for _, secret := range []string{markerSecret, markerToken} {
			if strings.Contains(o, secret) {
				t.Errorf("output %d shows a credential:\n%s", i, o)
			}
		}
	}
	files := 0
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		files++
		for _, secret := range []string{markerSecret, markerToken} {
			if bytes.Contains(b, []byte(secret)) {
				t.Errorf("%s holds a credential", path)
			}
		}
		return nil
	})
	filepath.WalkDir(out, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := os.ReadFile(path)
		files++
		if bytes.Contains(b, []byte(markerSecret)) || bytes.Contains(b, []byte(markerToken)) {
			t.Errorf("%s holds a credential", path)
		}
		return nil
	})
	if files < 10 {
		t.Errorf("only %d files written: the walk proves little", files)
	}
}

// TestDebugLogsRetriedAttempts: each attempt of a retried request is its
// own line, with its number and the status it got.
func TestDebugLogsRetriedAttempts(t *testing.T) {
	isolate(t)
	shortBackoff(t)
	srv := fakes3.Start(t, "mail")
	for k, b := range demo.Messages() {
		srv.Put(t, "mail", k, b)
	}
	// The proxy's faults are a function of the seed and the request: at
	// 0.5 one listing of this run drew all ten of its attempts as 503s
	// (1 in 1,024) once its query gained encoding-type=url. At 0.3 a
	// request fails all ten 1 in 170,000 times, and there are still
	// retries to log.
	p := faultproxy.Start(t, srv.URL, faultproxy.Config{Seed: 3, SlowDown: 0.3})
	_, errOut, code := sesbox(t, "--endpoint", p.URL, "--bucket", "mail", "--prefix", demo.Prefix, "--debug", "ls")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, " attempt 2: GET ") || !strings.Contains(errOut, "-> 503 in ") || !strings.Contains(errOut, "error: SlowDown: ") {
		t.Errorf("no retried attempt logged:\n%s", errOut)
	}
	if n := strings.Count(errOut, "sesbox debug: "); int64(n) != p.Stats().Requests {
		t.Errorf("%d lines logged for %d requests", n, p.Stats().Requests)
	}
}

// leafCommands are the paths ("audit verify") of every command that runs
// something, from the real command tree.
func leafCommands() []string {
	var out []string
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if !c.HasSubCommands() && c.Runnable() {
			out = append(out, strings.TrimPrefix(c.CommandPath(), "sesbox "))
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRootCmd(&app{}))
	return out
}

// commandPath is the command named by the leading words of args.
func commandPath(args []string) string {
	leaves := leafCommands()
	for n := min(2, len(args)); n > 0; n-- {
		if p := strings.Join(args[:n], " "); slices.Contains(leaves, p) {
			return p
		}
	}
	return args[0]
}

// shortBackoff runs the test with the production retry policy, its
// back-off a thousand times shorter.
func shortBackoff(t *testing.T) {
	old := s3RetryBackoffScale
	s3RetryBackoffScale = 1e-3
	t.Cleanup(func() { s3RetryBackoffScale = old })
}

// TestServerEchoedCredentialsAreRedacted: a server (or a proxy) whose
// error quotes the request's headers, session token and signature among
// them, is shown, logged with --debug and recorded without them. sesbox
// printed the SDK's error as it was: "api error SignatureDoesNotMatch:
// ... X-Amz-Security-Token: <the token> ... Signature=<hex>". The error
// is still taken for what it is (credentials rejected).
func TestServerEchoedCredentialsAreRedacted(t *testing.T) {
	isolate(t)
	shortBackoff(t)
	// A session token holds + / =, which a server quoting a URL
	// percent-encodes.
	token := markerToken + "+/x=="
	t.Setenv("AWS_SESSION_TOKEN", token)
	srv := fakes3.Start(t, "mail")
	for k, b := range demo.Messages() {
		srv.Put(t, "mail", k, b)
	}
	p := faultproxy.Start(t, srv.URL, faultproxy.Config{EchoHeaders: 1})
	flags := []string{"--endpoint", p.URL, "--bucket", "mail", "--prefix", demo.Prefix}
	for _, args := range [][]string{{"ls"}, {"--debug", "ls"}, {"show", "x"}, {"audit", "snapshot", "--out", filepath.Join(t.TempDir(), "s.jsonl")}} {
		out, errOut, code := sesbox(t, append(flags, args...)...)
		if code != 1 || !strings.Contains(errOut, "credentials rejected") || !strings.Contains(errOut, "X-Amz-Security-Token: [redacted]") {
			t.Errorf("%s: exit %d, stderr:\n%s", args, code, errOut)
		}
		for _, leak := range []string{markerToken, url.QueryEscape(token), "Signature="} {
			if strings.Contains(out+errOut, leak) {
				t.Errorf("%s: %q printed:\n%s", args, leak, errOut)
			}
		}
	}
}
