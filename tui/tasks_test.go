package tui

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	netmail "net/mail"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore"
	maudit "github.com/sesbox/sesbox/mailstore/audit"
	mcompose "github.com/sesbox/sesbox/mailstore/compose"
	"github.com/sesbox/sesbox/mailstore/demo"
	"github.com/sesbox/sesbox/mailstore/drafts"
	mforward "github.com/sesbox/sesbox/mailstore/forward"
	"github.com/sesbox/sesbox/mailstore/fwdlog"
	"github.com/sesbox/sesbox/mailstore/mailbox"
	"github.com/sesbox/sesbox/mailstore/mime"
	"github.com/sesbox/sesbox/mailstore/query"
	"github.com/sesbox/sesbox/mailstore/reforward"
	"github.com/sesbox/sesbox/mailstore/testutil/mboxrd"
	"github.com/sesbox/sesbox/tui/audit"
	"github.com/sesbox/sesbox/tui/cmdline"
	"github.com/sesbox/sesbox/tui/compose"
	"github.com/sesbox/sesbox/tui/forward"
	"github.com/sesbox/sesbox/tui/internal/fixture"
	"github.com/sesbox/sesbox/tui/internal/handoff"
	"github.com/sesbox/sesbox/tui/list"
	"github.com/sesbox/sesbox/tui/tab"
	"github.com/sesbox/sesbox/tui/viewer"
)

// fakeSES is the in-process SES of these tests: a mailstore.Sender that
// records what it was given (tui imports no AWS SDK, so the HTTP fake of
// cmd/sesbox cannot be used here).
type fakeSES struct {
	mu    sync.Mutex
	dests []string
	raw   []byte
}

func (f *fakeSES) SendRaw(_ context.Context, dests []string, raw []byte) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dests, f.raw = dests, raw
	return "0100019a-root-1", nil
}

func (f *fakeSES) Quota(context.Context) (mailstore.Quota, error) {
	return mailstore.Quota{Max24HourSend: 1000, MaxSendRate: 10}, nil
}

func (f *fakeSES) sent() ([]string, []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.dests, f.raw
}

// replyEnv is a real composer environment: drafts, sent Maildir and the
// outbox in a temp dir, sending to s.
func replyEnv(t *testing.T, s mailstore.Sender, id mcompose.Identity, editor string) *compose.Env {
	t.Helper()
	root := t.TempDir()
	st, err := drafts.Open(filepath.Join(root, "drafts"))
	if err != nil {
		t.Fatal(err)
	}
	md, err := drafts.OpenMaildir(filepath.Join(root, "sent"))
	if err != nil {
		t.Fatal(err)
	}
	seed := int64(7)
	return &compose.Env{
		Outbox:   &drafts.Outbox{Sender: s, Drafts: st, Sent: md, Seed: &seed, Now: func() time.Time { return fixture.DemoNow }},
		Identity: id, Mailbox: "demo", Bucket: demo.Bucket, Editor: editor,
	}
}

// editorScript is a $EDITOR that puts text above the quote of the draft
// it is given, keeping the header block.
func editorScript(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fake-editor")
	script := "#!/bin/sh\nf=\"$1\"\n" +
		"head=$(sed -n '1,/^$/p' \"$f\")\nrest=$(sed '1,/^$/d' \"$f\" | sed '/./,$!d')\n" +
		"printf '%s\\n\\n%s\\n\\n%s\\n' \"$head\" '" + text + "' \"$rest\" > \"$f\"\n"
	if err := os.WriteFile(path, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	return path
}

// koreanID is the demo's Korean quotation request (SES message id).
const koreanID = "58vrki53a8avktl9fflshc9oll1u29tn3jcuf2ek"

var demoIdentity = mcompose.Identity{Domains: []string{"acme-demo.example"}}

// TestRootReplyWithEditorSends is r from the list in a real program: the
// original is read, $EDITOR (a script) writes the text, the review shows
// it, s sends through the outbox, and the list comes back with SES's id on
// the status line.
func TestRootReplyWithEditorSends(t *testing.T) {
	ses := &fakeSES{}
	env := replyEnv(t, ses, demoIdentity, editorScript(t, "Quote attached, thanks!"))
	c := demoCommon(120, 36, "")
	mb, closeIdx, err := fixture.DemoMailbox(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); closeIdx() })
	tm := start(t, New(ctx, c, []Box{{Name: "demo", Mailbox: mb, Reply: env}}, true, 0, nil), 120, 36)
	indexed(t, tm)
	send(tm, "/")
	for _, k := range fixture.Keys("견적") {
		tm.Send(k)
	}
	send(tm, "enter")
	// The matches are read from the index: r acts on the row shown.
	waitFor(t, tm, "filter: 견적", "1/54")
	send(tm, "r")
	waitFor(t, tm, "Reply — review", "Quote attached, thanks!", "seoyeon.lee@daehan-logis.example")
	send(tm, "s")
	waitFor(t, tm, "Sent; SES message id 0100019a-root-1")
	fm := finish(t, tm)
	if fm.top() != "" || (fm.st.Page(compose.Kind) != nil) || len(fm.errs) != 0 {
		t.Fatalf("after sending: screen %q, composing %v, errors %v", fm.top(), (fm.st.Page(compose.Kind) != nil), fm.errs)
	}
	dests, raw := ses.sent()
	if !slices.Equal(dests, []string{"seoyeon.lee@daehan-logis.example"}) {
		t.Errorf("sent to %v", dests)
	}
	v := mime.Parse(raw)
	if !strings.HasPrefix(v.Text, "Quote attached, thanks!\n") || !strings.HasPrefix(v.Summary.Subject, "Re: [견적 요청]") || v.Summary.InReplyTo == "" {
		t.Errorf("sent %q / %q / %q", v.Summary.Subject, v.Summary.InReplyTo, v.Text)
	}
}

// TestRootReplyAllFromViewerPostpones is R in the viewer with the built-in
// editor: every key goes to it (q types a q, it does not quit), esc ends
// the editing, p postpones, and the viewer comes back with where the draft
// is kept.
func TestRootReplyAllFromViewerPostpones(t *testing.T) {
	env := replyEnv(t, &fakeSES{}, demoIdentity, "")
	h := demoHarness(t, Box{Reply: env})
	if !h.m.cur().List().Select(demo.Prefix + koreanID) {
		t.Fatal("no Korean quotation request in the list")
	}
	h.press("enter", "R")
	if h.m.top() != compose.Kind || !h.m.capturing() {
		t.Fatalf("R did not open the built-in editor (screen %q):\n%s", h.m.top(), h.view())
	}
	h.typeText("quick reply")
	if h.quit {
		t.Fatal("a q typed into the editor quit the program")
	}
	h.press("esc")
	if v := h.view(); !strings.Contains(v, "Reply — review") || !strings.Contains(v, "quick reply") || !strings.Contains(v, "s send") {
		t.Fatalf("no review screen:\n%s", v)
	}
	h.press("?")
	if v := h.view(); !strings.Contains(v, "Keys: reply") || !strings.Contains(v, "postpone") {
		t.Fatalf("composer help:\n%s", v)
	}
	h.press("esc", "p")
	if h.m.top() != viewer.Kind || (h.m.st.Page(compose.Kind) != nil) {
		t.Fatalf("postpone left screen %q", h.m.top())
	}
	if v := h.view(); !strings.Contains(v, "Draft kept in "+env.Outbox.Drafts.Dir()) {
		t.Fatalf("status line lacks the draft:\n%s", v)
	}
	kept, err := env.Outbox.Drafts.List()
	if err != nil || len(kept) != 1 || !strings.Contains(string(kept[0].Text), "quick reply") {
		t.Fatalf("kept drafts %v, %v", kept, err)
	}
}

func TestRootReplyExplainsWhatIsMissing(t *testing.T) {
	h := newHarness(t, 100, 30, false,
		Box{Name: "inbox", Mailbox: fixture.NewFake("a"), ReplyErr: errors.New("sent_prefix overlaps")},
		Box{Name: "other", Mailbox: fixture.NewFake("b"), Reply: replyEnv(t, &fakeSES{}, mcompose.Identity{}, "")})
	h.press("r")
	if v := h.view(); h.m.top() != "" || !strings.Contains(v, "reply is not set up for mailbox inbox: sent_prefix overlaps") {
		t.Fatalf("no explanation:\n%s", v)
	}
	h.press("tab", "r")
	if v := h.view(); h.m.top() != "" || !strings.Contains(v, "error: set from = \"Name <addr>\" for this mailbox") {
		t.Fatalf("no identity explanation:\n%s", v)
	}
	// A closing message of another draft changes nothing.
	h.send(compose.ComposeClosedMsg{ID: "other", Text: "stale"})
	if strings.Contains(h.view(), "stale") {
		t.Fatal("a stale ComposeClosedMsg was shown")
	}
}

var demoForward = mforward.Config{
	FromEmail: "forwarder@acme-demo.example",
	ForwardMapping: map[string][]string{
		"info@acme-demo.example": {"ops@team.example", "lead@team.example"},
		"@acme-demo.example":     {"desk@team.example"},
	},
}

// demoHarness is the root over the indexed demo mailbox with b's
// capabilities.
func demoHarness(t *testing.T, b Box) *harness {
	t.Helper()
	return demoHarnessOf(t, b, demoMailbox(t))
}

// demoMailbox is the demo mailbox over a new index.
func demoMailbox(t *testing.T) *mailbox.Mailbox {
	t.Helper()
	mb, closeIdx, err := fixture.DemoMailbox(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeIdx)
	return mb
}

// demoHarnessOf is demoHarness over mb.
func demoHarnessOf(t *testing.T, b Box, mb *mailbox.Mailbox) *harness {
	t.Helper()
	b.Name, b.Mailbox = "demo", mb
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	h := &harness{t: t, m: New(ctx, demoCommon(120, 36, ""), []Box{b}, true, 0, nil)}
	h.send(teaSize(120, 36))
	h.settle(h.m.Init())
	return h
}

// dryRun is the demo's forward setup: a dry run into dir.
func dryRun(t *testing.T, mb *demoRunner, dir string) *ForwardEnv {
	t.Helper()
	return &ForwardEnv{Forwarder: mb, Options: reforward.Options{Config: demoForward, DryRunDir: dir}}
}

// demoRunner is a reforward.Runner over the demo mailbox whose Run, when
// gate is set, waits for it to close first.
type demoRunner struct {
	*reforward.Runner
	gate chan struct{}
}

func (r *demoRunner) Run(ctx context.Context, p *reforward.Plan, onResult func(reforward.Result), onProgress func(reforward.Progress)) (reforward.Totals, error) {
	if r.gate != nil {
		<-r.gate
	}
	return r.Runner.Run(ctx, p, onResult, onProgress)
}

func newDemoRunner(t *testing.T) *demoRunner {
	t.Helper()
	mb, closeIdx, err := fixture.DemoMailbox(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeIdx)
	return &demoRunner{Runner: &reforward.Runner{Source: reforward.FromMailbox(mb)}}
}

func TestRootForwardsTheMarkedSet(t *testing.T) {
	out := t.TempDir()
	h := demoHarness(t, Box{Forward: dryRun(t, newDemoRunner(t), out)})
	h.press(" ", " ")
	marked := h.m.cur().List().Marked()
	if len(marked) != 2 {
		t.Fatalf("marked %v", marked)
	}
	h.press("f")
	if h.m.top() != forward.Kind {
		t.Fatalf("f did not open the forward screen (notice %q)", h.m.notice)
	}
	if v := h.view(); !strings.Contains(v, "2 messages") || !strings.Contains(v, "y send") {
		t.Fatalf("no confirmation of the 2 marked messages:\n%s", v)
	}
	h.press("y")
	var keys []string
	for _, r := range fwd(h.m).Results() {
		keys = append(keys, r.Key)
		if r.Status != reforward.StatusDryRun {
			t.Errorf("%s: %s %s", r.Key, r.Status, r.Reason)
		}
	}
	slices.Sort(keys)
	slices.Sort(marked)
	if !slices.Equal(keys, marked) {
		t.Fatalf("forwarded %v, marked %v", keys, marked)
	}
	if files, _ := os.ReadDir(out); len(files) != 2 {
		t.Errorf("dry run wrote %d files", len(files))
	}
	h.press("q")
	if v := h.view(); h.m.top() != "" || (h.m.st.Page(forward.Kind) != nil) || !strings.Contains(v, "forward: 2 written (dry run)") {
		t.Fatalf("closing did not return to the list with the totals:\n%s", v)
	}
}

// TestRootForwardRunningIsNotQuit: q, Q and ctrl+c while a forward runs are
// refused with how to stop it; the run goes on and ends on its results.
func TestRootForwardRunningIsNotQuit(t *testing.T) {
	r := newDemoRunner(t)
	r.gate = make(chan struct{})
	h := demoHarness(t, Box{Forward: dryRun(t, r, t.TempDir())})
	h.press("f")
	nm, run := h.m.Update(fixture.Key("y")) // the run waits on the gate: hold its Cmd
	h.m = nm.(Model)
	if !fwd(h.m).Running() {
		t.Fatal("the forward is not running")
	}
	for _, k := range []string{"q", "Q", "ctrl+c", "esc"} {
		h.press(k)
		if h.quit || h.m.top() != forward.Kind {
			t.Fatalf("%s during a forward: quit %v, screen %q", k, h.quit, h.m.top())
		}
		if v := h.view(); !strings.Contains(v, "a forward is running: x stops it") {
			t.Fatalf("%s: no explanation:\n%s", k, v)
		}
	}
	close(r.gate)
	h.settle(run)
	if fwd(h.m).Running() || len(fwd(h.m).Results()) != 1 {
		t.Fatal("the run did not end")
	}
	h.press("q")
	if h.quit || h.m.top() != "" {
		t.Fatal("q after the run did not close the forward screen")
	}
}

// TestSignalDuringAForwardWaitsForItsEnd: SIGTERM or SIGHUP while a
// forward ran quit at once, cutting off the send in progress, which the
// journal then kept as "sending" (uncertain) though SES had taken it. The
// run is now stopped after the send in progress, as x does, the status
// line says so, and the program quits when the run has ended.
func TestSignalDuringAForwardWaitsForItsEnd(t *testing.T) {
	r := newDemoRunner(t)
	r.gate = make(chan struct{})
	out := t.TempDir()
	h := demoHarness(t, Box{Forward: dryRun(t, r, out)})
	h.press(" ", " ", "f")
	nm, run := h.m.Update(fixture.Key("y")) // the run waits on the gate: hold its Cmd
	h.m = nm.(Model)
	h.send(signalledMsg{syscall.SIGTERM})
	if h.quit || !fwd(h.m).Running() {
		t.Fatalf("quit %v with the forward running %v", h.quit, fwd(h.m).Running())
	}
	if v := h.view(); !strings.Contains(v, "ending (terminated): the forward stops after the send in progress") {
		t.Fatalf("the status line does not say why sesbox has not ended:\n%s", v)
	}
	close(r.gate)
	h.settle(run)
	if !h.quit {
		t.Fatal("the run ended and sesbox did not quit")
	}
	res := fwd(h.m).Results()
	if len(res) != 2 {
		t.Fatalf("results %+v", res)
	}
	for _, x := range res {
		if x.Status == reforward.StatusDryRun {
			t.Errorf("%s was forwarded after the signal stopped the run", x.Key)
		}
	}
	if files, _ := os.ReadDir(out); len(files) != 0 {
		t.Errorf("the stopped run wrote %d files", len(files))
	}
}

func TestRootFailuresMarkedInTheList(t *testing.T) {
	h := newHarness(t, 100, 30, false, Box{Name: "inbox", Mailbox: fixture.NewFake("a"),
		Forward: dryRun(t, newDemoRunner(t), t.TempDir())})
	h.press(" ", " ", " ", "f") // a forward of three fake keys: none is in the demo
	if h.m.top() != forward.Kind {
		t.Fatal("no forward screen")
	}
	id := fwd(h.m).ID()
	h.send(forward.FailuresMarkedMsg{ID: id + 100, Keys: []string{"inbox/o1"}})
	if got := h.m.cur().List().Marked(); len(got) != 3 {
		t.Fatalf("a stale FailuresMarkedMsg changed the marks: %v", got)
	}
	h.send(forward.FailuresMarkedMsg{ID: id, Keys: []string{"inbox/o1", "inbox/k1", "inbox/gone"}})
	if got := h.m.cur().List().Marked(); !slices.Equal(got, []string{"inbox/k1", "inbox/o1"}) {
		t.Fatalf("marked %v", got)
	}
	if !strings.Contains(h.view(), "marked 2 messages that failed: f in the list forwards them again") {
		t.Fatalf("no notice:\n%s", h.view())
	}
	h.send(forward.ForwardClosedMsg{ID: id})
	if h.m.top() != "" || len(h.m.cur().List().Marked()) != 2 {
		t.Fatal("not back on the list with the marks")
	}
	h.press("j")
	if v := h.view(); !strings.Contains(v, "2 marked") {
		t.Fatalf("the status line lacks the marks:\n%s", v)
	}
}

func TestRootForwardFromViewerAndUnconfigured(t *testing.T) {
	h := newHarness(t, 100, 30, false,
		Box{Name: "inbox", Mailbox: fixture.NewFake("a"), Forward: dryRun(t, newDemoRunner(t), t.TempDir())},
		Box{Name: "other", Mailbox: fixture.NewFake("b")})
	h.press(" ", "enter", "f") // marks a1, opens a2: the viewer forwards what it shows
	if h.m.top() != forward.Kind || !strings.Contains(h.view(), "a2  no such message") || strings.Contains(h.view(), "a1") {
		t.Fatalf("no forward of the viewed message:\n%s", h.view())
	}
	h.press("q")
	if h.m.top() != viewer.Kind || !strings.Contains(h.view(), "forward:") {
		t.Fatalf("closing did not return to the viewer:\n%s", h.view())
	}
	h.press("q", "tab", "f")
	if v := h.view(); h.m.top() != "" || !strings.Contains(v, "re-forwarding is not set up for mailbox other") {
		t.Fatalf("no explanation:\n%s", v)
	}
}

// snapshot writes a manifest of b.
func snapshot(t *testing.T, b *fixture.Bucket) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "manifest.jsonl")
	if _, err := maudit.WriteSnapshot(context.Background(), b, path, maudit.SnapshotOptions{Now: func() time.Time { return fixture.DemoNow }}); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestRootAuditRoutesInTheBackground: A opens the audit view; the posture
// and a whole verify arrive while the list is shown, and A shows them.
func TestRootAuditRoutesInTheBackground(t *testing.T) {
	b := fixture.DemoBucket()
	manifest := snapshot(t, b)
	h := demoHarness(t, Box{Audit: &audit.Env{Bucket: b, Config: b, Manifest: manifest, Parallel: 2}})
	nm, posture := h.m.Update(fixture.Key("A"))
	h.m = nm.(Model)
	if h.m.top() != audit.Kind {
		t.Fatalf("A did not open the audit view (notice %q)", h.m.notice)
	}
	nm, verify := h.m.Update(fixture.Key("v"))
	h.m = nm.(Model)
	h.press("q")
	if h.m.top() != "" {
		t.Fatal("q did not leave the audit view")
	}
	h.settle(posture)
	h.settle(verify)
	var got []string
	for _, m := range h.msgs {
		switch m.(type) {
		case audit.PostureReadMsg:
			got = append(got, "posture")
		case audit.VerifyStartedMsg:
			got = append(got, "started")
		case audit.VerifyFinishedMsg:
			got = append(got, "finished")
		}
	}
	if !slices.Equal(got, []string{"posture", "started", "finished"}) {
		t.Fatalf("messages %v", got)
	}
	if v := h.view(); h.m.top() != "" || !strings.Contains(v, "audit: the verify has finished") {
		t.Fatalf("no notice on the list:\n%s", v)
	}
	h.press("A")
	v := h.view()
	for _, want := range []string{"versioning", "AES256", "OK: nothing changed or deleted"} {
		if !strings.Contains(v, want) {
			t.Errorf("audit view lacks %q:\n%s", want, v)
		}
	}
	h.press("?")
	if v := h.view(); !strings.Contains(v, "Keys: audit") || !strings.Contains(v, "verify against manifest") {
		t.Fatalf("audit help:\n%s", v)
	}
	h.press("q", "q")
	if h.m.top() != "" || h.quit {
		t.Fatalf("q from the audit help: screen %q, quit %v", h.m.top(), h.quit)
	}
}

func TestRootAuditOfAnotherMailboxReplacesIt(t *testing.T) {
	b := fixture.DemoBucket()
	other := &audit.Env{Bucket: b, Config: b}
	h := newHarness(t, 100, 30, false,
		Box{Name: "inbox", Mailbox: fixture.NewFake("a"), Audit: other},
		Box{Name: "other", Mailbox: fixture.NewFake("b"), AuditErr: errors.New("no bucket")})
	h.press("A")
	if h.m.top() != audit.Kind || h.m.st.Box(audit.Kind) != 0 {
		t.Fatal("no audit view")
	}
	h.press("q", "tab", "A")
	if v := h.view(); h.m.top() != "" || !strings.Contains(v, "the audit view is not set up for mailbox other: no bucket") {
		t.Fatalf("no explanation:\n%s", v)
	}
	// A stale verify start (of a view the root no longer has) is cancelled.
	h.m.st.Close(audit.Kind)
	cancelled := false
	h.send(audit.VerifyStartedMsg{Run: 1, Cancel: func() { cancelled = true }})
	if !cancelled {
		t.Fatal("an orphaned verify was not cancelled")
	}
}

// TestRootExportsTheMarkedSet: e on marked messages asks for an mbox file
// and writes exactly their stored bytes there.
func TestRootExportsTheMarkedSet(t *testing.T) {
	b := fixture.DemoBucket()
	h := demoHarness(t, Box{Audit: &audit.Env{Bucket: b, Config: b}})
	h.press(" ", " ")
	marked := h.m.cur().List().Marked()
	h.press("e")
	if v := h.view(); !strings.Contains(v, "export 2 marked to mbox") {
		t.Fatalf("no export prompt:\n%s", v)
	}
	file := filepath.Join(t.TempDir(), "out.mbox")
	h.press("ctrl+u")
	h.typeText(file)
	h.press("enter")
	if v := h.view(); !strings.Contains(v, "exported 2 messages to") {
		t.Fatalf("no notice (errors: %v):\n%s", h.m.errs, v)
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := mboxrd.Read(f)
	if err != nil || len(got) != 2 {
		t.Fatalf("mbox holds %d messages, %v", len(got), err)
	}
	msgs := demo.Messages()
	slices.Sort(marked)
	for i, k := range marked {
		if string(got[i]) != string(msgs[k]) {
			t.Errorf("%s: exported bytes differ from the stored object", k)
		}
	}
	// Without an audit/export setup the key explains itself.
	h2 := demoHarness(t, Box{AuditErr: errors.New("no bucket")})
	h2.press(" ", "e", "enter")
	if v := h2.view(); !strings.Contains(v, "export is not set up for mailbox demo: no bucket") {
		t.Fatalf("no explanation:\n%s", v)
	}
}

// TestExportIntoAMissingDirectoryIsRefusedInTheTUI: e to
// /nonexistent/dir/file.mbox made the directories and wrote there; it is
// refused, hint first, nothing made, as sesbox export refuses it
// (audit.ExportOptions.Parents), and :export --parents --mbox FILE makes
// them, as export --parents does.
func TestExportIntoAMissingDirectoryIsRefusedInTheTUI(t *testing.T) {
	b := fixture.DemoBucket()
	h := demoHarness(t, Box{Audit: &audit.Env{Bucket: b, Config: b}})
	root := t.TempDir()
	file := filepath.Join(root, "no", "such", "out.mbox")
	h.press(" ", "e", "ctrl+u")
	h.typeText(file)
	h.press("enter")
	if len(h.m.errs) == 0 || !strings.HasPrefix(h.m.errs[len(h.m.errs)-1].Text, "to make "+filepath.Dir(file)+", give --parents (in the TUI, :export --parents --mbox FILE), or check the path") {
		t.Fatalf("not refused hint first (errors %v):\n%s", h.m.errs, h.view())
	}
	if _, err := os.Lstat(filepath.Join(root, "no")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("refused, yet made the directory (%v)", err)
	}
	h.press(":")
	h.typeText("export --parents --mbox " + file)
	h.press("enter")
	if v := h.view(); !strings.Contains(v, "exported 1 message to") {
		t.Fatalf(":export --parents did not export (errors %v):\n%s", h.m.errs, v)
	}
	if fi, err := os.Stat(file); err != nil || fi.Size() == 0 {
		t.Fatalf(":export --parents wrote no mbox: %v", err)
	}
}

// TestRootDemoKeepsDraftsAndResumes: with no SES sender (the demo), send
// keeps the reply as a draft instead of failing; an attachment added
// before survives in it; :drafts lists it and :drafts ID resumes it.
func TestRootDemoKeepsDraftsAndResumes(t *testing.T) {
	env := replyEnv(t, nil, demoIdentity, "")
	env.Outbox.Sender = nil
	h := demoHarness(t, Box{Reply: env})
	if !h.m.cur().List().Select(demo.Prefix + koreanID) {
		t.Fatal("no Korean quotation request in the list")
	}
	file := filepath.Join(t.TempDir(), "quote.pdf")
	if err := os.WriteFile(file, []byte("%PDF-1.4"), 0o600); err != nil {
		t.Fatal(err)
	}
	h.press("enter", "R")
	h.typeText("see attached")
	h.press("esc", "a")
	h.typeText(file)
	h.press("enter")
	if v := h.view(); !strings.Contains(v, "quote.pdf") {
		t.Fatalf("attachment not in the review:\n%s", v)
	}
	h.press("s")
	v := h.view()
	if h.m.top() != viewer.Kind || len(h.m.errs) != 0 || !strings.Contains(v, "Not sent (no SES sender here") {
		t.Fatalf("send in the demo: screen %q, errors %v:\n%s", h.m.top(), h.m.errs, v)
	}
	kept, err := env.Outbox.Drafts.List()
	if err != nil || len(kept) != 1 || !slices.Equal(kept[0].Meta.Attachments, []string{file}) {
		t.Fatalf("kept drafts %v, %v", kept, err)
	}
	h.press("q", ":")
	h.typeText("drafts")
	h.press("enter")
	if v := h.view(); !strings.Contains(v, kept[0].ID) {
		t.Fatalf(":drafts does not list the draft:\n%s", v)
	}
	h.press(":")
	h.typeText("drafts " + kept[0].ID[:len(kept[0].ID)/2]) // a prefix is enough
	h.press("enter")
	if v := h.view(); h.m.top() != compose.Kind || !strings.Contains(v, "see attached") || !strings.Contains(v, "quote.pdf") {
		t.Fatalf(":drafts ID did not resume the draft (screen %q):\n%s", h.m.top(), v)
	}
}

// TestForwardConfirmNamesEveryKey: at 40x10 and 80x23 the forward
// confirmation shows every key it takes, none cut: y, n/esc, and, when it
// is longer than the screen, the scroll keys. At 40 columns the key line
// was cut to "? help • y send • n/esc cancel …", the scroll keys lost.
func TestForwardConfirmNamesEveryKey(t *testing.T) {
	for _, size := range [][2]int{{40, 10}, {80, 23}} {
		h := demoHarness(t, Box{Forward: dryRun(t, newDemoRunner(t), t.TempDir())})
		h.send(teaSize(size[0], size[1]))
		h.press("f")
		if h.m.top() != forward.Kind {
			t.Fatalf("f did not open the forward screen (notice %q)", h.m.notice)
		}
		for _, keys := range [][]string{nil, {"G"}} {
			h.press(keys...)
			v := h.view()
			lines := strings.Split(v, "\n")
			if strings.Contains(lines[len(lines)-1], "…") {
				t.Errorf("%dx%d %v: the key line is cut:\n%s", size[0], size[1], keys, v)
			}
			want := []string{"y send", "n/esc cancel"}
			if strings.Contains(v, "── more") || strings.Contains(v, "── end") {
				want = append(want, "j/k, pgup/pgdown")
			}
			for _, w := range want {
				if !strings.Contains(v, w) {
					t.Errorf("%dx%d %v: %q not shown:\n%s", size[0], size[1], keys, w, v)
				}
			}
		}
	}
}

// TestRootMarkCloseForwardTypedInOneBurst: m, q and f typed at once on a
// forward's results (tried in tmux: "mqf") mark the failures, close the
// screen and forward the marked set again. The f reached the closing
// screen, which dropped it, and the list was left with the marks.
func TestRootMarkCloseForwardTypedInOneBurst(t *testing.T) {
	h := newHarness(t, 100, 30, false, Box{Name: "inbox", Mailbox: fixture.NewFake("a"),
		Forward: dryRun(t, newDemoRunner(t), t.TempDir())})
	h.press(" ", " ", " ", "f") // a forward of three fake keys: none is in the demo, each fails
	if h.m.top() != forward.Kind {
		t.Fatal("no forward screen")
	}
	first := fwd(h.m)
	var failed []string
	for _, r := range first.Results() {
		failed = append(failed, r.Key)
	}
	h.pressAll("m", "q", "f")
	if h.m.top() != forward.Kind || fwd(h.m).ID() == first.ID() {
		t.Fatalf("m q f in a burst: top %q, the same screen %t\n%s", h.m.top(), h.m.top() == forward.Kind, h.view())
	}
	var again []string
	for _, r := range fwd(h.m).Results() {
		again = append(again, r.Key)
	}
	slices.Sort(failed)
	slices.Sort(again)
	if len(failed) != 3 || !slices.Equal(again, failed) {
		t.Fatalf("forwarded again %v, the failures were %v", again, failed)
	}
}

// flakyLogs is a forwarder log group holding no events, which cannot be
// read while down is set (the CloudWatch client behind it is tested in
// mailstore/fwdlog/cwlogs, and the CLI's refusal end to end against a
// closed port in cmd/sesbox).
type flakyLogs struct{ down bool }

func (l *flakyLogs) DescribeGroup(_ context.Context, name string) (fwdlog.Group, error) {
	if l.down {
		return fwdlog.Group{}, errors.New("AccessDeniedException: not authorized to perform logs:DescribeLogGroups")
	}
	return fwdlog.Group{Name: name, Created: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}, nil
}

func (l *flakyLogs) Fetch(_ context.Context, _ string, _, _ time.Time, fn func([]fwdlog.Event) error) error {
	return fn(nil)
}

// TestForwardByForwardTermsWithTheLogUnreadIsRefusedInTheTUI: with the
// forwarder log unread, sesbox forward --query forward:... is refused
// (the statuses are those last read: the Lambda may have delivered the
// messages since), but f on a list filtered by /forward:none opened the
// forward screen on them, and on a log never read said "no message to
// forward". f over such a filter or search (S) is refused now, hint
// first, nothing planned nor written; without a forward: term, and once
// the filter is cleared, f forwards as before.
func TestForwardByForwardTermsWithTheLogUnreadIsRefusedInTheTUI(t *testing.T) {
	mb := demoMailbox(t)
	logs := &flakyLogs{down: true}
	mb.ReadForwarderLogs(mailbox.ForwarderLogs{API: logs, Group: "/aws/lambda/forwarder"})
	out := t.TempDir()
	h := demoHarnessOf(t, Box{Forward: dryRun(t, newDemoRunner(t), out)}, mb)
	refused := func(how string) {
		t.Helper()
		v := h.view()
		if h.m.top() != "" {
			t.Fatalf("%s: f opened %q:\n%s", how, h.m.top(), v)
		}
		if len(h.m.errs) == 0 {
			t.Fatalf("%s: not refused:\n%s", how, v)
		}
		last := h.m.errs[len(h.m.errs)-1].Text
		if !strings.Contains(v, "fix the forwarder log's region") || !strings.HasPrefix(last, "fix the forwarder log's region") || !strings.Contains(last, "forward: not planned") {
			t.Fatalf("%s: not refused hint first (%q):\n%s", how, last, v)
		}
		h.m.errs = nil
		if ents, _ := os.ReadDir(out); len(ents) != 0 {
			t.Fatalf("%s: refused, yet %d files written", how, len(ents))
		}
	}
	h.press("/")
	h.typeText("forward:none")
	h.press("enter", "f")
	refused("a log never read")

	logs.down = false // read once: every message is forward:none
	h.press("esc", "ctrl+r")
	if h.m.cur().Err() != nil {
		t.Fatalf("refresh: %v", h.m.cur().Err())
	}
	logs.down = true
	h.press("ctrl+r")
	if !mailbox.ChosenFromAnUnreadLog(mustParse(t, "forward:none"), h.m.cur().Err()) {
		t.Fatalf("the refresh did not fail on the log: %v", h.m.cur().Err())
	}
	h.press("/")
	h.typeText("forward:none")
	h.press("enter")
	if n := h.m.cur().List().Counts().Shown; n == 0 {
		t.Fatalf("forward:none shows nothing:\n%s", h.view())
	}
	h.press("V", "f")
	refused("filter, all marked")
	h.press("u")
	h.press("esc", "/")
	h.typeText("from:acme")
	h.press("enter", "f")
	if h.m.top() != forward.Kind {
		t.Fatalf("a filter without forward: was refused:\n%s", h.view())
	}
	h.press("n", "esc", "f")
	if h.m.top() != forward.Kind {
		t.Fatalf("no filter: f was refused:\n%s", h.view())
	}
}

// TestForwardOfMarksIsJudgedByWhatChoseThem: with the forwarder log
// unread, f weighed the list's filter and search as they stood when f was
// pressed, not what chose the messages: V under /forward:none, then Esc
// (the filter cleared), forwarded the marks the stale statuses had chosen,
// while marks made by hand, or the message under the cursor, were refused
// once a forward: filter was shown, though sesbox forward KEY... sends the
// same keys. Both now follow mailbox.RefuseForward, as sesbox forward
// does: messages V marked under a forward: filter are chosen by it (as
// --query), cleared or not; a message named by hand is forwarded.
func TestForwardOfMarksIsJudgedByWhatChoseThem(t *testing.T) {
	mb := demoMailbox(t)
	logs := &flakyLogs{}
	mb.ReadForwarderLogs(mailbox.ForwarderLogs{API: logs, Group: "/aws/lambda/forwarder"})
	out := t.TempDir()
	h := demoHarnessOf(t, Box{Forward: dryRun(t, newDemoRunner(t), out)}, mb)
	h.press("ctrl+r") // read once: every message is forward:none
	logs.down = true
	h.press("ctrl+r")
	if !mailbox.ChosenFromAnUnreadLog(mustParse(t, "forward:none"), h.m.cur().Err()) {
		t.Fatalf("the refresh did not fail on the log: %v", h.m.cur().Err())
	}
	opens := func(how string) {
		t.Helper()
		h.press("f")
		if h.m.top() != forward.Kind {
			t.Fatalf("%s: f did not open the forward screen (errors %v):\n%s", how, h.m.errs, h.view())
		}
		h.press("n")
		if h.m.top() != "" {
			t.Fatalf("%s: n left %q open", how, h.m.top())
		}
	}
	refused := func(how string) {
		t.Helper()
		h.m.errs = nil
		h.press("f")
		if h.m.top() != "" || len(h.m.errs) == 0 || !strings.Contains(h.m.errs[len(h.m.errs)-1].Text, "forward: not planned") {
			t.Fatalf("%s: not refused (top %q, errors %v):\n%s", how, h.m.top(), h.m.errs, h.view())
		}
	}
	filter := func(q string) {
		t.Helper()
		h.press("/")
		h.typeText(q)
		h.press("enter")
		if n := h.m.cur().List().Counts().Shown; n == 0 {
			t.Fatalf("%s shows nothing:\n%s", q, h.view())
		}
	}

	h.press("space", "space")
	filter("forward:none")
	opens("marked by hand, then a forward: filter")
	h.press("u")
	opens("the cursor's message under a forward: filter")
	h.press("space")
	opens("marked by hand under a forward: filter")
	h.press("V")
	refused("V under a forward: filter")
	h.press("esc")
	if f, _ := h.m.cur().List().Filter(); f != "" {
		t.Fatalf("esc left the filter %q", f)
	}
	refused("V under a forward: filter, the filter cleared")
	h.press("u", "space")
	opens("unmarked, then marked by hand")
	filter("from:acme")
	h.press("V")
	opens("V under a filter without forward:")
	if ents, _ := os.ReadDir(out); len(ents) != 0 {
		t.Fatalf("%d files written, though every forward was cancelled", len(ents))
	}
}

func mustParse(t *testing.T, s string) query.Query {
	t.Helper()
	q, err := query.Parse(s, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// piped is what the last pipe read for its command (tab.PipeReadMsg).
type piped struct {
	Command string
	Input   []byte
}

// pipeRead is the last pipe's read messages (tab.PipeReadMsg) and the
// bytes of its file, which it removes, as the pipe's command does once it
// has run; it fails the test without one, or when the file is not 0600.
func pipeRead(t *testing.T, h *harness) piped {
	t.Helper()
	for i := len(h.msgs) - 1; i >= 0; i-- {
		if p, ok := h.msgs[i].(tab.PipeReadMsg); ok {
			h.msgs = nil
			if p.Err != nil {
				t.Fatalf("pipe: %v", p.Err)
			}
			fi, err := os.Lstat(p.File)
			if err != nil || fi.Mode() != 0o600 {
				t.Fatalf("pipe file %s: %v, %v", p.File, fi.Mode(), err)
			}
			b, err := os.ReadFile(p.File)
			if err != nil {
				t.Fatal(err)
			}
			os.Remove(p.File)
			return piped{Command: p.Command, Input: b}
		}
	}
	t.Fatalf("no pipe was read:\n%s", h.view())
	return piped{}
}

// TestListPipesMarkedElseCurrent: the list had no | (only the viewer
// had), where mutt's | and aerc's :pipe pipe the tagged messages, else
// the current one. | in the list pipes the marked messages, else the one
// under the cursor: their decoded text, or with Tab their stored bytes
// (several as an mbox stream a reader splits back into each exactly),
// through the command the viewer's | runs them with.
func TestListPipesMarkedElseCurrent(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	h := demoHarness(t, Box{})
	mb := h.m.cur().Mailbox
	h.press(" ", " ", "|")
	if v := h.view(); !strings.Contains(v, "pipe decoded text of 2 messages (mbox) to:") || !strings.Contains(v, "tab raw/decoded") {
		t.Fatalf("no pipe prompt for the marked:\n%s", v)
	}
	h.press("tab")
	if v := h.view(); !strings.Contains(v, "pipe 2 raw messages (mbox) to:") {
		t.Fatalf("tab did not switch to raw:\n%s", v)
	}
	h.typeText("cat")
	h.press("enter")
	p := pipeRead(t, h)
	got, err := mboxrd.Read(bytes.NewReader(p.Input))
	marked := h.m.cur().List().Marked()
	if err != nil || len(got) != 2 || len(marked) != 2 || p.Command != "cat" {
		t.Fatalf("piped %d messages of %d marked, command %q (%v)", len(got), len(marked), p.Command, err)
	}
	for i, k := range marked {
		msg, err := mb.Open(context.Background(), k)
		if err != nil || !bytes.Equal(got[i], msg.Raw) {
			t.Fatalf("message %d (%s): piped %d bytes, stored %d (%v)", i, k, len(got[i]), len(msg.Raw), err)
		}
	}

	// Unmarked: the message under the cursor, decoded, through the
	// viewer's pipe command.
	h.press("u", "j", "|")
	if v := h.view(); !strings.Contains(v, "pipe raw message to:") {
		t.Fatalf("no pipe prompt for the current message:\n%s", v)
	}
	h.press("tab")
	h.typeText("cat")
	h.press("enter")
	p = pipeRead(t, h)
	cur, _ := h.m.cur().List().Selected()
	msg, err := mb.Open(context.Background(), cur.Key)
	if err != nil || !bytes.Equal(p.Input, mime.DecodedText(msg.View)) {
		t.Fatalf("piped %q, want the decoded text of %s (%v)", p.Input, cur.Key, err)
	}
	out := filepath.Join(t.TempDir(), "piped.txt")
	pc := &handoff.PipeCommand{Command: "cat > " + out, Input: p.Input}
	if err := pc.Run(); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(out); err != nil || !bytes.Equal(b, p.Input) {
		t.Fatalf("the command read %q (%v)", b, err)
	}

	// Two marked, decoded: an mbox stream of their decoded texts, which
	// a script splits back into each exactly.
	h.press("g", " ", " ", "|")
	if v := h.view(); !strings.Contains(v, "pipe decoded text of 2 messages (mbox) to:") {
		t.Fatalf("no decoded pipe prompt for the marked:\n%s", v)
	}
	h.typeText("cat")
	h.press("enter")
	p = pipeRead(t, h)
	got, err = mboxrd.Read(bytes.NewReader(p.Input))
	marked = h.m.cur().List().Marked()
	if err != nil || len(got) != 2 || len(marked) != 2 {
		t.Fatalf("decoded: piped %d messages of %d marked (%v)", len(got), len(marked), err)
	}
	for i, k := range marked {
		msg, err := mb.Open(context.Background(), k)
		if err != nil || !bytes.Equal(got[i], mime.DecodedText(msg.View)) {
			t.Fatalf("message %d (%s): piped %q (%v)", i, k, got[i], err)
		}
	}
	h.press("u")

	// Esc leaves the prompt and pipes nothing.
	h.press("|", "esc")
	if h.m.capturing() {
		t.Fatal("esc did not close the pipe prompt")
	}
	for _, m := range h.msgs {
		if _, ok := m.(list.PipeRequestedMsg); ok {
			t.Fatal("esc piped")
		}
	}
}

// bigMailbox is the demo mailbox whose messages open padded to size
// bytes. Each Open collects garbage first and keeps the most the heap
// held then above what it held at the first: what the messages opened
// before, still reachable, weigh.
type bigMailbox struct {
	*mailbox.Mailbox
	size         int
	mu           sync.Mutex
	opened       int
	base, growth uint64
}

func (b *bigMailbox) Open(ctx context.Context, key string) (*mailbox.Message, error) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.mu.Lock()
	if b.opened == 0 {
		b.base = ms.HeapAlloc
	} else if ms.HeapAlloc > b.base {
		b.growth = max(b.growth, ms.HeapAlloc-b.base)
	}
	b.opened++
	b.mu.Unlock()
	m, err := b.Mailbox.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	raw := make([]byte, 0, b.size)
	raw = append(raw, m.Raw...)
	for len(raw) < b.size {
		raw = append(raw, "padding line to make a big message\n"...)
	}
	m.Raw = raw
	return m, nil
}

// TestListPipeHoldsOneMessageAtATime: | over the marked messages read
// every one into memory before the command ran (a []*Message, then one
// []byte of all of them): 10,000 marked messages held 10,000 bodies. It
// reads them one at a time into a 0600 file under the cache directory,
// fed to the command and removed after it: of the 54 marked messages,
// padded to 1 MiB each, the heap holds under 8 MiB at any Open (53 MiB
// before), and the command reads each whole.
func TestListPipeHoldsOneMessageAtATime(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	big := &bigMailbox{Mailbox: demoMailbox(t), size: 1 << 20}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	h := &harness{t: t, m: New(ctx, demoCommon(120, 36, ""), []Box{{Name: "demo", Mailbox: big}}, true, 0, nil)}
	h.send(teaSize(120, 36))
	h.settle(h.m.Init())
	h.press("V", "|", "tab")
	h.typeText("cat")
	h.press("enter")
	var p tab.PipeReadMsg
	for _, m := range h.msgs {
		if r, ok := m.(tab.PipeReadMsg); ok {
			p = r
		}
	}
	if p.Err != nil || p.File == "" {
		t.Fatalf("no pipe file (%v):\n%s", p.Err, h.view())
	}
	marked := h.m.cur().List().Marked()
	if big.opened != len(marked) || big.opened < 50 {
		t.Fatalf("opened %d messages for %d marked", big.opened, len(marked))
	}
	if big.growth > 8<<20 {
		t.Fatalf("the heap grew by %d MiB while piping %d messages of 1 MiB: they were held, not streamed", big.growth>>20, len(marked))
	}
	if fi, err := os.Lstat(p.File); err != nil || fi.Mode() != 0o600 || !strings.HasPrefix(p.File, filepath.Join(cache, "sesbox", "pipe")+string(filepath.Separator)) {
		t.Fatalf("pipe file %s: %v (%v)", p.File, fi.Mode(), err)
	}
	out := filepath.Join(t.TempDir(), "out.mbox")
	pc := &handoff.PipeCommand{Command: "cat > " + out, InputFile: p.File}
	if err := pc.Run(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(p.File); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the pipe file is left after its command: %v", err)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := mboxrd.Read(f)
	if err != nil || len(got) != len(marked) {
		t.Fatalf("the command read %d messages of %d (%v)", len(got), len(marked), err)
	}
	for i, g := range got {
		if len(g) < big.size || !bytes.HasSuffix(g, []byte("padding line to make a big message\n")) {
			t.Fatalf("message %d (%s): %d bytes", i, marked[i], len(g))
		}
	}
}

// TestReplyToKeepsTheDisplayNameAsTyped: `:reply --to "Name   With
// Spaces" <ops@team.example>` replied to "Name With Spaces": the command
// line split at spaces and joined the words with one. The address reaches
// the reply as sesbox reply --to gets it from a shell.
func TestReplyToKeepsTheDisplayNameAsTyped(t *testing.T) {
	ses := &fakeSES{}
	h := demoHarness(t, Box{Reply: replyEnv(t, ses, demoIdentity, "")})
	if !h.m.cur().List().Select(demo.Prefix + koreanID) {
		t.Fatal("no Korean quotation request in the list")
	}
	h.press(":")
	h.typeText(`reply --to "Name   With  Spaces" <ops@team.example>`)
	h.press("enter")
	if h.m.top() != compose.Kind {
		t.Fatalf("no composer:\n%s", h.view())
	}
	h.typeText("Forwarding this to ops.")
	h.press("esc", "s")
	dests, raw := ses.sent()
	if strings.Join(dests, ",") != "ops@team.example" {
		t.Fatalf("sent to %v", dests)
	}
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	to, err := msg.Header.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Name != "Name   With  Spaces" || to[0].Address != "ops@team.example" {
		t.Fatalf("To: %q, read as %v (%v)", msg.Header.Get("To"), to, err)
	}
}

// TestReplyToAnotherAddress: sesbox reply --to ADDR replies to another
// address than the original's sender (without Cc); the TUI had no way to.
// L opens the `:` line on "reply --to ", and :reply --to ADDR plans the
// reply with the CLI's drafts.PlanReply: the review is addressed to ADDR
// alone. --to without an address says what to give first.
func TestReplyToAnotherAddress(t *testing.T) {
	ses := &fakeSES{}
	h := demoHarness(t, Box{Reply: replyEnv(t, ses, demoIdentity, "")})
	if !h.m.cur().List().Select(demo.Prefix + koreanID) {
		t.Fatal("no Korean quotation request in the list")
	}
	h.press("L")
	if v := h.view(); h.m.cmd == nil || !strings.Contains(v, ":reply --to ") {
		t.Fatalf("L did not open the command line on reply --to:\n%s", v)
	}
	h.press("enter") // no address yet
	if v := h.view(); h.m.top() != "" || !strings.Contains(v, "give the address after --to") {
		t.Fatalf("--to without an address:\n%s", v)
	}
	h.press("L")
	h.typeText("ops@team.example")
	h.press("enter")
	if h.m.top() != compose.Kind {
		t.Fatalf("no composer:\n%s", h.view())
	}
	h.typeText("Forwarding this to ops.")
	h.press("esc")
	v := h.view()
	if !strings.Contains(v, "To:      ops@team.example") {
		t.Fatalf("the review is not addressed to ops@team.example alone:\n%s", v)
	}
	if !strings.Contains(cmdline.Help(), ":reply [--all] [--to ADDR]") {
		t.Errorf("the help does not say --to takes ADDR:\n%s", cmdline.Help())
	}
	h.press("s") // the envelope: ADDR alone, no Cc
	if dests, _ := ses.sent(); strings.Join(dests, ",") != "ops@team.example" {
		t.Fatalf("sent to %v", dests)
	}
}

// TestExportAndSaveTakePathsAsTheCLI: :export wrote only an mbox, where
// sesbox export also writes a Maildir (--maildir) and replaces an mbox
// with --force, which its own refusal told the TUI's user to give; and
// `:save "my dir"` and `:export "..."` kept the quotes in the path. Every
// format and flag of the CLI's export that the line can carry works, a
// quoted path loses its quotes, and ~ is the home directory.
func TestExportAndSaveTakePathsAsTheCLI(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	b := fixture.DemoBucket()
	h := demoHarness(t, Box{Audit: &audit.Env{Bucket: b, Config: b}})
	const withParts = "mnhlkljcdghm9aep4ge0vmsjphkge2u81a8e644t"
	if !h.m.cur().List().Select(demo.Prefix + withParts) {
		t.Fatal("no message with attachments in the list")
	}
	run := func(line string) {
		t.Helper()
		h.press(":")
		h.typeText(line)
		h.press("enter")
	}
	lastErr := func() string {
		if len(h.m.errs) == 0 {
			return ""
		}
		return h.m.errs[len(h.m.errs)-1].Text
	}

	run(`export --maildir ~/"my \"ses\" maildir"`)
	dir := filepath.Join(home, `my "ses" maildir`)
	files, err := os.ReadDir(filepath.Join(dir, "new"))
	if err != nil || len(files) != 1 {
		t.Fatalf("Maildir %s: %v, %v (errors %v):\n%s", dir, files, err, h.m.errs, h.view())
	}
	got, err := os.ReadFile(filepath.Join(dir, "new", files[0].Name()))
	if err != nil || !bytes.Equal(got, demo.Messages()[demo.Prefix+withParts]) {
		t.Fatalf("the Maildir's message is not the stored one (%v)", err)
	}
	if _, err := os.Stat(maudit.ManifestPath(dir)); err != nil {
		t.Fatalf("no manifest beside the Maildir: %v", err)
	}

	mbox := filepath.Join(home, "with space", "out.mbox")
	run(`export --parents --mbox "` + mbox + `"`)
	if fi, err := os.Stat(mbox); err != nil || fi.Size() == 0 {
		t.Fatalf(":export --mbox of a quoted path wrote no %s: %v (errors %v)", mbox, err, h.m.errs)
	}
	run(`export --mbox "` + mbox + `"`)
	if e := lastErr(); !strings.HasPrefix(e, "give --force to replace "+mbox) {
		t.Fatalf("an existing mbox: %q, want the refusal, hint first", e)
	}
	n := len(h.m.errs)
	run(`export --force --mbox "` + mbox + `"`)
	if len(h.m.errs) != n || !strings.Contains(h.view(), "exported 1 message to "+mbox) {
		t.Fatalf(":export --force did not replace it (errors %v):\n%s", h.m.errs, h.view())
	}
	run(`export --mbox --maildir x`)
	if e := lastErr(); !strings.HasPrefix(e, "give one of --mbox FILE or --maildir DIR") {
		t.Fatalf("both formats: %q", e)
	}

	save := filepath.Join(home, "saved parts")
	if err := os.Mkdir(save, 0o700); err != nil {
		t.Fatal(err)
	}
	run(`save "` + save + `"`)
	if parts, err := os.ReadDir(save); err != nil || len(parts) == 0 {
		t.Fatalf(":save into a quoted path saved nothing there: %v (errors %v):\n%s", err, h.m.errs, h.view())
	}
	if _, err := os.Lstat(filepath.Join(home, `"saved parts"`)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a directory named with the quotes was made (%v)", err)
	}
}
