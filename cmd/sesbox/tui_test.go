package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/demo"
	"github.com/sesbox/sesbox/mailstore/mailbox"
	"github.com/sesbox/sesbox/mailstore/mime"
	"github.com/sesbox/sesbox/mailstore/posture"
	"github.com/sesbox/sesbox/mailstore/query"
	"github.com/sesbox/sesbox/mailstore/reforward"
	"github.com/sesbox/sesbox/mailstore/sesaccount"
	"github.com/sesbox/sesbox/mailstore/sessend"
	"github.com/sesbox/sesbox/mailstore/xdg"
)

func tuiApp(t *testing.T, flags globalFlags) (*app, *bytes.Buffer) {
	t.Helper()
	var errb bytes.Buffer
	a := &app{flags: flags, stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: &errb}
	t.Cleanup(a.close)
	return a, &errb
}

// TestTUIBoxesDemo: the demo mailbox replies (without a sender: nothing is
// sent from made-up addresses), re-forwards as a dry run with its built-in
// config, and has an audit view over its bucket.
func TestTUIBoxesDemo(t *testing.T) {
	dir := isolate(t)
	a, _ := tuiApp(t, globalFlags{demo: true})
	ctx := context.Background()
	boxes, closeFn, err := a.tuiBoxes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	if len(boxes) != 1 {
		t.Fatalf("%d boxes", len(boxes))
	}
	b := boxes[0]
	if b.Reply == nil || b.Reply.Outbox.Sender != nil || b.Reply.Outbox.Drafts == nil || len(b.Reply.Identity.Domains) == 0 {
		t.Fatalf("demo reply env %+v (%v)", b.Reply, b.ReplyErr)
	}
	if b.Forward == nil || b.Audit == nil {
		t.Fatalf("forward %v (%v), audit %v (%v)", b.Forward, b.ForwardErr, b.Audit, b.AuditErr)
	}
	want := filepath.Join(dir, "state", "sesbox", "demo-forward")
	if b.Forward.Options.DryRunDir != want {
		t.Fatalf("dry run into %q, want %q", b.Forward.Options.DryRunDir, want)
	}

	// The setup really forwards a demo message (as a dry run).
	msgs := demo.Messages()
	var key string
	for _, k := range sortedKeys(msgs) {
		if s := mime.Summarize(msgs[k]); slices.Equal(s.Recipients, []string{"info@acme-demo.example"}) && !s.Verdicts.Failed() {
			key = k
			break
		}
	}
	p, err := b.Forward.Forwarder.Prepare(ctx, []string{key}, b.Forward.Options)
	if err != nil {
		t.Fatal(err)
	}
	var res []reforward.Result
	if _, err := b.Forward.Forwarder.Run(ctx, p, func(r reforward.Result) { res = append(res, r) }, nil); err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].Status != reforward.StatusDryRun || strings.Join(res[0].Recipients, ",") != "ops@team.example,lead@team.example" {
		t.Fatalf("results %+v", res)
	}
	if _, err := os.Stat(res[0].File); err != nil || filepath.Dir(res[0].File) != want {
		t.Fatalf("dry-run file %q: %v", res[0].File, err)
	}

	// The audit view reads the demo bucket.
	fs, err := posture.Posture(ctx, b.Audit.Config)
	if err != nil || len(fs) == 0 {
		t.Fatalf("posture %v, %v", fs, err)
	}
	if b.Audit.Bucket.Location().Bucket != demo.Bucket {
		t.Fatalf("audit bucket %v", b.Audit.Bucket.Location())
	}
}

// TestTUIBoxesDemoWithLocalSES: pointed at a local SES, the demo sends
// replies and forwards for real (to it).
func TestTUIBoxesDemoWithLocalSES(t *testing.T) {
	isolate(t)
	ses := startSES(t)
	a, _ := tuiApp(t, globalFlags{demo: true, sesEndpoint: ses.URL})
	boxes, closeFn, err := a.tuiBoxes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	b := boxes[0]
	if _, ok := b.Reply.Outbox.Sender.(*sessend.Sender); !ok {
		t.Fatalf("reply sender %T", b.Reply.Outbox.Sender)
	}
	if b.Forward.Options.DryRun() {
		t.Fatal("the demo with --ses-endpoint still forwards as a dry run")
	}
}

// TestTUIBoxesExplainWhatIsMissing: a configured mailbox without
// forward_config gets a forward setup without a mapping (for :forward
// --to); one with a bad forward_config gets the load error; the others are set up. Each
// fills the rows on screen that have no headers yet.
func TestTUIBoxesExplainWhatIsMissing(t *testing.T) {
	dir := isolate(t)
	flags, _, _ := demoBucket(t)
	endpoint := flags[1]
	fwd, _ := writeForwardConfig(t, dir)
	cfg := filepath.Join(dir, "config", "sesbox", "config.toml")
	os.MkdirAll(filepath.Dir(cfg), 0o700)
	toml := `default = "a"
[mailbox.a]
bucket = "mail"
prefix = "` + demo.Prefix + `"
endpoint = "` + endpoint + `"
from = "Support <support@acme-demo.example>"
forward_config = "` + fwd + `"
[mailbox.b]
bucket = "mail"
prefix = "` + demo.Prefix + `"
endpoint = "` + endpoint + `"
[mailbox.c]
bucket = "mail"
prefix = "` + demo.Prefix + `"
endpoint = "` + endpoint + `"
forward_config = "` + filepath.Join(dir, "missing.json") + `"
sent_prefix = "` + demo.Prefix + `sent/"
`
	if err := os.WriteFile(cfg, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	a, _ := tuiApp(t, globalFlags{})
	boxes, closeFn, err := a.tuiBoxes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	if len(boxes) != 3 || boxes[0].Name != "a" {
		t.Fatalf("boxes %+v", boxes)
	}
	if boxes[0].Reply == nil || boxes[0].Forward == nil || boxes[0].Forward.Options.DryRun() || boxes[0].Audit == nil {
		t.Fatalf("a: %v %v %v", boxes[0].ReplyErr, boxes[0].ForwardErr, boxes[0].AuditErr)
	}
	// Without forward_config b forwards to the addresses :forward --to
	// gives, as sesbox forward --to does; its runner is built when it
	// first plans, not here.
	if fb := boxes[1].Forward; fb == nil || boxes[1].ForwardErr != nil || fb.Options.CheckDestinations() == nil {
		t.Fatalf("b: forward %+v, %v", fb, boxes[1].ForwardErr)
	}
	if r := boxes[1].Forward.Forwarder.(*lazyRunner); r.r != nil {
		t.Fatal("b: the forward runner was built at start")
	}
	if boxes[1].Reply == nil || boxes[1].Audit == nil {
		t.Fatalf("b: reply %v, audit %v", boxes[1].ReplyErr, boxes[1].AuditErr)
	}
	c := boxes[2]
	if c.Forward != nil || c.ForwardErr == nil || !strings.Contains(c.ForwardErr.Error(), "missing.json") {
		t.Fatalf("c: forward %v", c.ForwardErr)
	}
	if c.Reply != nil || c.ReplyErr == nil || !strings.Contains(c.ReplyErr.Error(), "sent_prefix") {
		t.Fatalf("c: reply %v", c.ReplyErr)
	}
	// Rows without headers come from a queue notification as well as from
	// an inventory (and stay in the index when the config changes): every
	// mailbox reads those on screen, not only one with an inventory.
	for _, b := range boxes {
		if b.FillHeaders == nil {
			t.Errorf("%s: no FillHeaders", b.Name)
		}
	}
}

// TestDemoForwardOutboxIsPrivate: the demo's forward outbox
// ($XDG_STATE_HOME/sesbox/demo-forward) is made 0700 with
// xdg.MkdirPrivate, and a symlink planted there is refused rather than
// written through; it was made with os.MkdirAll, which followed the link
// and kept whatever mode the directory had.
func TestDemoForwardOutboxIsPrivate(t *testing.T) {
	dir := isolate(t)
	outbox := filepath.Join(dir, "state", "sesbox", "demo-forward")
	if err := os.MkdirAll(outbox, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(outbox, 0o755)
	a, _ := tuiApp(t, globalFlags{demo: true})
	boxes, closeFn, err := a.tuiBoxes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	closeFn()
	if boxes[0].Forward == nil {
		t.Fatalf("no forward env: %v", boxes[0].ForwardErr)
	}
	if fi, err := os.Stat(outbox); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("outbox mode %v (%v), want 0700", fi.Mode().Perm(), err)
	}

	os.Remove(outbox)
	elsewhere := t.TempDir()
	if err := os.Symlink(elsewhere, outbox); err != nil {
		t.Fatal(err)
	}
	a, _ = tuiApp(t, globalFlags{demo: true})
	boxes, closeFn, err = a.tuiBoxes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	if boxes[0].Forward != nil || !errors.Is(boxes[0].ForwardErr, xdg.ErrSymlink) {
		t.Errorf("a symlinked outbox: forward env %v, error %v; want refused with xdg.ErrSymlink", boxes[0].Forward, boxes[0].ForwardErr)
	}
}

// TestDemoTUIStartsOnItsMail: the demo's first run opened the TUI on an
// empty index, its mail coming with the start's refresh ~90 ms later, so
// keys typed as it started (tmux: send-keys j j j Enter 50 ms in) moved
// over an empty list and opened nothing. runTUI indexes the demo's
// mailbox (indexDemo) before the TUI starts: the first page holds its mail.
func TestDemoTUIStartsOnItsMail(t *testing.T) {
	isolate(t)
	a, _ := tuiApp(t, globalFlags{demo: true})
	ctx := context.Background()
	boxes, closeFn, err := a.tuiBoxes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	if err := indexDemo(ctx, true, boxes); err != nil {
		t.Fatal(err)
	}
	m, ok := boxes[0].Mailbox.(*mailbox.Mailbox)
	if !ok {
		t.Fatalf("the demo box is a %T", boxes[0].Mailbox)
	}
	sums, err := m.Summaries(ctx, query.Query{}, query.ByDate, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(sums) != len(demo.Messages()) {
		t.Errorf("the demo TUI starts on %d indexed messages, want all %d", len(sums), len(demo.Messages()))
	}
}

// TestTUIAuditLocalS3WithoutSESEndpoint: --endpoint on this machine and no
// --ses-endpoint. The audit view asked real SES and showed the whole dial
// error ("SES account: ... no such host email.us-east-1..."); it now says
// in one line, hint first, that the account was not checked and why, and
// asks nothing.
func TestTUIAuditLocalS3WithoutSESEndpoint(t *testing.T) {
	isolate(t)
	t.Setenv("AWS_ENDPOINT_URL_SESV2", "")
	for _, endpoint := range []string{"http://127.0.0.1:9", "http://localhost:7070"} {
		a, _ := tuiApp(t, globalFlags{endpoint: endpoint, bucket: "mail"})
		env, closeFn, err := a.tuiAudit(context.Background(), MailboxConfig{Bucket: "mail", Endpoint: endpoint})
		if err != nil {
			t.Fatal(err)
		}
		closeFn()
		if env.Account == nil {
			t.Fatalf("%s: no account panel", endpoint)
		}
		_, err = sesaccount.Describe(context.Background(), env.Account, nil)
		const want = "SES account not checked: no --ses-endpoint for this local S3 endpoint"
		if got := mailstore.Explain(err); !strings.HasPrefix(got, want) || strings.Contains(got, "no such host") || strings.Contains(got, "\n") {
			t.Errorf("%s: %q, want it to start %q", endpoint, got, want)
		}
	}
}
