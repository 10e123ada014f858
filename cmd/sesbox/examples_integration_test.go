//go:build integration

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/spf13/cobra"

	"github.com/sesbox/sesbox/internal/lockedbuf"
	"github.com/sesbox/sesbox/internal/ptytest"
	"github.com/sesbox/sesbox/mailstore/demo"
	"github.com/sesbox/sesbox/mailstore/testutil/fakelogs"
	"github.com/sesbox/sesbox/mailstore/testutil/lambdafwd"
	"github.com/sesbox/sesbox/mailstore/testutil/peer"
)

// exampleOrder is the order TestEveryHelpExampleRuns runs the --help
// examples in, by command: an example uses what one before it made (the
// team table, a snapshot, an export, a message the Lambda failed on). A
// command with an example and not in this list fails the test.
var exampleOrder = []string{
	"sesbox team init", "sesbox team", "sesbox team status",
	"sesbox", "sesbox demo", "sesbox index", "sesbox ls", "sesbox show", "sesbox save", "sesbox mark",
	"sesbox account", "sesbox reply", "sesbox drafts", "sesbox forward", "sesbox team resolve", "sesbox export",
	"sesbox audit", "sesbox audit snapshot", "sesbox audit verify", "sesbox audit verify-export",
	"sesbox audit posture", "sesbox audit log",
}

// TestEveryHelpExampleRuns: the --help examples are what a new user
// types first, and several did not run as written (verify read a
// manifest.jsonl no example wrote, save named a message without
// attachments, snapshot --resume of the finished snapshot exited 1,
// forward --query forward:failed said "no messages to forward" on a
// mailbox reading no log). TestEveryCommandShowsAnExample checks that
// each command has examples that run it; this runs every one, as
// written, in the world they describe: the mailbox support (the demo
// mailbox's messages in my-ses-inbound under inbox/, in eu-west-1:
// versitygw), SES (aws-ses-v2-local), the team table (dynalite), the
// forwarding Lambda's log group /aws/lambda/SesForwarder (the real
// Lambda's log of failing on one message, served as CloudWatch Logs),
// endpoints from the AWS_ENDPOINT_URL_* variables as every SDK reads
// them, and the files a user has (reply.txt, keys.txt, two machines'
// action logs, a kept draft, a Maildir export moved to evidence/).
// Each exits 0, run once (a parent command repeats its children's); a
// command that asks (reply) is answered y on its terminal; the TUI's
// examples are parsed (in-process it has no /dev/tty to open).
func TestEveryHelpExampleRuns(t *testing.T) {
	dir := isolate(t)
	home, work := filepath.Join(dir, "home"), filepath.Join(dir, "work")
	for _, d := range []string{home, work} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("HOME", home)

	// The bucket, in eu-west-1 as the root example says.
	t.Setenv("VGW_REGION", "eu-west-1")
	srv := peer.StartS3(t, true)
	c := s3.NewFromConfig(aws.Config{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider(peer.AccessKey, peer.SecretKey, "")},
		func(o *s3.Options) { o.BaseEndpoint, o.UsePathStyle = aws.String(srv.URL), true })
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("my-ses-inbound")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String("my-ses-inbound"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	// Stored in February 2026, before the dates the --as-of examples name
	// (versitygw gives an object its file's time as LastModified).
	msgs := demo.Messages()
	stored := time.Date(2026, 2, 1, 12, 0, 0, 0, time.UTC)
	for k, b := range msgs {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("my-ses-inbound"), Key: aws.String(k), Body: bytes.NewReader(b)}); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(filepath.Join(srv.Root, "my-ses-inbound", k), stored, stored); err != nil {
			t.Fatal(err)
		}
	}
	ses := peer.StartSES(t)
	ddb := peer.StartDynamoDB(t)

	// The Lambda failed on the message forward's example names.
	const group, failedKey = "/aws/lambda/SesForwarder", "inbox/0vneinmetj3r4m9ltdtl5drpnghlppk2eqp3vjne"
	fwdConfig := `{"fromEmail": "forwarder@acme-demo.example", "emailBucket": "my-ses-inbound", "emailKeyPrefix": "inbox/",
  "forwardMapping": {"info@acme-demo.example": ["ops@team.example"], "@acme-demo.example": ["desk@team.example"]}}`
	logs := fakelogs.Start(t)
	now := time.Now()
	logs.CreateGroup(group, now.Add(-90*24*time.Hour), 30)
	for _, e := range lambdafwd.RunLogs(t, []lambdafwd.LogCase{{MessageID: strings.TrimPrefix(failedKey, "inbox/"), Raw: msgs[failedKey],
		Recipients: []string{"info@acme-demo.example"}, Config: []byte(fwdConfig), Start: lambdafwd.StartAt(now.Add(-time.Minute)),
		Attempts: []string{lambdafwd.RejectedUnverified}}}) {
		logs.Put(group, fakelogs.Event(e))
	}

	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": peer.AccessKey, "AWS_SECRET_ACCESS_KEY": peer.SecretKey, "AWS_REGION": "eu-west-1",
		"AWS_ENDPOINT_URL_S3": srv.URL, "AWS_ENDPOINT_URL_DYNAMODB": ddb.URL, "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS": logs.URL,
		"AWS_ENDPOINT_URL_SESV2": ses.URL, "TERM": "xterm-256color",
	} {
		t.Setenv(k, v)
	}
	write := func(path, data string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(home, "forwarder.json"), fwdConfig)
	write(filepath.Join(dir, "config", "sesbox", "config.toml"), `default = "support"

[mailbox.support]
bucket = "my-ses-inbound"
prefix = "inbox/"
region = "eu-west-1"
forward_config = "`+filepath.Join(home, "forwarder.json")+`"
identity_domains = ["acme-demo.example"]
team_table = "sesbox-team"
forwarder_logs = "`+group+`"
`)
	t.Chdir(work) // after the peers, which find their files from the test's directory
	write("reply.txt", "Thanks, we are on it.\n")
	write("keys.txt", failedKey+"\n")

	// run1 runs one command line as a shell on a terminal would (quotes,
	// ~, > FILE): stdin and stdout the terminal, which answers y to a
	// question (reply asks when both are one).
	run1 := func(line string) (string, string, int) {
		t.Helper()
		args, redirect := shellWords(t, line, home)
		master, tty := ptytest.OpenPTY(t, 120, 36)
		var drawn lockedbuf.Buffer
		done := make(chan struct{})
		go func() { io.Copy(&drawn, master); close(done) }()
		if args[1] == "reply" {
			master.WriteString("y\n")
		}
		var stdout io.Writer = tty
		var file, errb bytes.Buffer
		if redirect != "" {
			stdout = &file
		}
		code := run(ctx, args[1:], tty, stdout, &errb)
		tty.Close()
		master.SetReadDeadline(time.Now().Add(2 * time.Second))
		<-done
		if redirect != "" {
			write(redirect, file.String())
			return file.String(), errb.String(), code
		}
		return strings.ReplaceAll(strings.TrimPrefix(drawn.String(), "y\r\n"), "\r\n", "\n"), errb.String(), code
	}

	// Before the examples: what the user has besides the bucket.
	setup := func(line string) {
		t.Helper()
		if out, errOut, code := run1(line); code != 0 {
			t.Fatalf("setup %s: exit %d\n%s%s", line, code, out, errOut)
		}
	}
	examples := map[string][]string{}
	var walk func(*cobra.Command)
	walk = func(cmd *cobra.Command) {
		for _, sub := range cmd.Commands() {
			walk(sub)
		}
		for _, l := range strings.Split(strings.TrimSpace(cmd.Example), "\n") {
			if l = strings.TrimSpace(l); l != "" && cmd.Name() != "completion" {
				examples[cmd.CommandPath()] = append(examples[cmd.CommandPath()], l)
			}
		}
	}
	walk(newRootCmd(&app{}))
	for path := range examples {
		if !slices.Contains(exampleOrder, path) {
			t.Errorf("%s has examples, and no place in exampleOrder", path)
		}
	}
	ran, previous := 0, map[string]string{}
	for _, path := range exampleOrder {
		switch path {
		case "sesbox reply":
			// The draft its --draft example sends: one a dry run kept,
			// dated as the example's id says.
			setup("sesbox reply 0vneinmetj3r4m9ltdtl5drpnghlppk2eqp3vjne --body-file reply.txt --dry-run")
			datedDraft(t, filepath.Join(dir, "state", "sesbox", "drafts"), "20261204T145200Z-0a1b2c3d4e", "2026-12-04T14:52:00Z")
			// On a terminal --draft opens the draft in the editor first:
			// the user saves it as it is.
			t.Setenv("VISUAL", "")
			t.Setenv("EDITOR", "true")
		case "sesbox drafts":
			// A draft kept on 2026-12-04 at 14:52, as the example's id
			// says: one reply --dry-run keeps, dated then.
			setup("sesbox reply 0vneinmetj3r4m9ltdtl5drpnghlppk2eqp3vjne --body-file reply.txt --dry-run")
			datedDraft(t, filepath.Join(dir, "state", "sesbox", "drafts"), "20261204T145200Z-0a1b2c3d4e", "2026-12-04T14:52:00Z")
		case "sesbox audit log":
			// The action logs of two machines, collected.
			for _, who := range []string{"alice", "bob"} {
				for _, ext := range []string{"", ".head"} {
					b, err := os.ReadFile(filepath.Join(dir, "state", "sesbox", "actions.jsonl"+ext))
					if err != nil {
						t.Fatal(err)
					}
					write(who+".jsonl"+ext, string(b))
				}
			}
		case "sesbox audit verify-export":
			// A Maildir export, moved to where the evidence is kept.
			setup("sesbox export --maildir Mail")
			if err := os.MkdirAll("evidence", 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename("Mail", filepath.Join("evidence", "Mail")); err != nil {
				t.Fatal(err)
			}
		}
		for _, line := range examples[path] {
			ran++
			if line == previous[line] {
				continue // the same line under a parent command: run once
			}
			previous[line] = line
			args, _ := shellWords(t, line, home)
			if cmd, rest, err := newRootCmd(&app{}).Find(args[1:]); err == nil && (cmd.Name() == "demo" || cmd == cmd.Root()) {
				// The TUI: its flags parse and name what is configured
				// (it was tried on a terminal in tmux by hand; in-process
				// it cannot open /dev/tty).
				if err := cmd.ParseFlags(rest); err != nil {
					t.Errorf("%s: %v", line, err)
				}
				if mb, _ := cmd.Flags().GetString("mailbox"); mb != "" && mb != "support" {
					t.Errorf("%s: names a mailbox the world does not have", line)
				}
				continue
			}
			out, errOut, code := run1(line)
			if code != 0 {
				t.Errorf("%s: exit %d\nstdout:\n%s\nstderr:\n%s", line, code, out, errOut)
			}
			if strings.Contains(line, "--json") {
				for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
					if !json.Valid([]byte(l)) {
						t.Errorf("%s: not JSON: %s", line, l)
					}
				}
			}
		}
	}
	if ran < 30 {
		t.Errorf("ran %d examples", ran)
	}
}

// shellWords splits an example as sh would: single and double quotes, a
// leading ~/ as home, and a trailing "> FILE" (returned as redirect).
func shellWords(t *testing.T, line, home string) (args []string, redirect string) {
	t.Helper()
	var cur strings.Builder
	in, quoted, inWord := rune(0), false, false
	flush := func() {
		if inWord {
			w := cur.String()
			if !quoted && strings.HasPrefix(w, "~/") {
				w = filepath.Join(home, w[2:])
			}
			args = append(args, w)
		}
		cur.Reset()
		quoted, inWord = false, false
	}
	for _, r := range line {
		switch {
		case in != 0 && r == in:
			in = 0
		case in != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			in, quoted, inWord = r, true, true
		case r == ' ' || r == '\t':
			flush()
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if in != 0 {
		t.Fatalf("unclosed quote in %q", line)
	}
	flush()
	if i := slices.Index(args, ">"); i >= 0 {
		if i != len(args)-2 {
			t.Fatalf("%q: > FILE must end the line", line)
		}
		args, redirect = args[:i], args[i+1]
	}
	if len(args) == 0 || args[0] != "sesbox" {
		t.Fatalf("%q does not run sesbox", line)
	}
	return args, redirect
}

// datedDraft renames the newest kept draft in dir to id, created at
// created, as if kept then.
func datedDraft(t *testing.T, dir, id, created string) {
	t.Helper()
	metas, _ := filepath.Glob(filepath.Join(dir, "*.json")) // sorted: ids start with the time
	if len(metas) == 0 {
		t.Fatal("no draft kept")
	}
	old := strings.TrimSuffix(metas[len(metas)-1], ".json")
	b, err := os.ReadFile(old + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var meta map[string]any
	if err := json.Unmarshal(b, &meta); err != nil {
		t.Fatal(err)
	}
	meta["created"] = created
	b, _ = json.Marshal(meta)
	if err := os.WriteFile(filepath.Join(dir, id+".json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(old+".txt", filepath.Join(dir, id+".txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(old + ".json"); err != nil {
		t.Fatal(err)
	}
}
