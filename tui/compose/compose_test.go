package compose

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/sesbox/sesbox/mailstore"
	mcompose "github.com/sesbox/sesbox/mailstore/compose"
	"github.com/sesbox/sesbox/mailstore/drafts"
	"github.com/sesbox/sesbox/mailstore/mailbox"
	"github.com/sesbox/sesbox/mailstore/mime"
	"github.com/sesbox/sesbox/mailstore/sesaccount"
	"github.com/sesbox/sesbox/tui/common"
	"github.com/sesbox/sesbox/tui/internal/fixture"
)

// updating reports -update, the flag teatest's golden package defines.
func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// The Korean quotation request of the demo mailbox.
const koreanID = "58vrki53a8avktl9fflshc9oll1u29tn3jcuf2ek"

type fakeSender struct {
	mu    sync.Mutex
	err   error
	dests []string
	raw   []byte
}

func (f *fakeSender) SendRaw(_ context.Context, dests []string, raw []byte) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return "", f.err
	}
	f.dests, f.raw = dests, raw
	return "0100019a-tui-1", nil
}

func (f *fakeSender) Quota(context.Context) (mailstore.Quota, error) { return mailstore.Quota{}, nil }

func (f *fakeSender) sent() ([]string, []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.dests, f.raw
}

func testEnv(t *testing.T, s mailstore.Sender, editor string) Env {
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
	seed := int64(42)
	return Env{
		Outbox: &drafts.Outbox{Sender: s, Drafts: st, Sent: md, Seed: &seed,
			Now: func() time.Time { return fixture.DemoNow }},
		Identity: mcompose.Identity{Domains: []string{"acme-demo.example"}},
		Mailbox:  "demo", Bucket: "sesbox-demo", Editor: editor,
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if updating() {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// harness makes the composer a tea.Model for teatest, and quits when the
// composer closes.
type harness struct {
	m      Model
	closed *ComposeClosedMsg
}

func (h harness) Init() tea.Cmd { return h.m.Init() }

func (h harness) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case ComposeClosedMsg:
		h.closed = &msg
		return h, tea.Quit
	case tea.WindowSizeMsg:
		h.m.SetSize(msg.Width, msg.Height)
	}
	var cmd tea.Cmd
	h.m, cmd = h.m.Update(msg)
	return h, cmd
}

func (h harness) View() string { return h.m.View() }

// TestEditorFlow is the whole flow in a real bubbletea program: the draft
// is written, $EDITOR (a script that writes the body) runs through
// tea.ExecProcess, the review screen shows the result, "s" sends it.
func TestEditorFlow(t *testing.T) {
	dir := t.TempDir()
	editor := filepath.Join(dir, "fake-editor")
	// Keep the header block, write the reply text, keep the quote ($(...)
	// drops the newlines around each part; printf puts them back).
	script := "#!/bin/sh\nf=\"$1\"\n" +
		"head=$(sed -n '1,/^$/p' \"$f\")\nrest=$(sed '1,/^$/d' \"$f\" | sed '/./,$!d')\n" +
		"printf '%s\\n\\n%s\\n\\n%s\\n' \"$head\" '견적서를 보내드립니다. Thanks for asking!' \"$rest\" > \"$f\"\n"
	if err := os.WriteFile(editor, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	fs := &fakeSender{}
	env := testEnv(t, fs, editor)
	m, err := New(fixture.Common(100, 30), env, fixture.DemoMessage(koreanID), drafts.ReplyChoice{All: false})
	if err != nil {
		t.Fatal(err)
	}
	tm := teatest.NewTestModel(t, harness{m: m}, teatest.WithInitialTermSize(100, 30))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		return bytes.Contains(b, []byte("review")) && bytes.Contains(b, []byte("Thanks for asking!"))
	}, teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
	tm.Send(fixture.Key("s"))
	final := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(harness)
	if final.closed == nil || final.closed.Outcome != Sent || !strings.Contains(final.closed.Text, "0100019a-tui-1") {
		t.Fatalf("closed with %+v", final.closed)
	}
	dests, raw := fs.sent()
	if !slices.Equal(dests, []string{"seoyeon.lee@daehan-logis.example"}) {
		t.Errorf("destinations %v", dests)
	}
	v := mime.Parse(raw)
	if !strings.HasPrefix(v.Text, "견적서를 보내드립니다. Thanks for asking!\n\nOn Thu, 5 Nov 2026 at 11:20, 이서연 wrote:\n> 담당자님께,") {
		t.Errorf("sent text:\n%s", v.Text)
	}
	if v.Summary.InReplyTo == "" || !strings.HasPrefix(v.Summary.Subject, "Re: [견적 요청]") {
		t.Errorf("threading/subject %q %q", v.Summary.InReplyTo, v.Summary.Subject)
	}
	if left, _ := env.Outbox.Drafts.List(); len(left) != 0 {
		t.Errorf("drafts left after sending: %d", len(left))
	}
	if sent, _ := filepath.Glob(filepath.Join(env.Outbox.Sent.Dir(), "new", "*")); len(sent) != 1 {
		t.Errorf("sent copies: %v", sent)
	}
}

// step runs cmd (which may be nil) and returns its message when it is one
// of the composer's; others (cursor blinks) are dropped.
func step(t *testing.T, cmd tea.Cmd) tea.Msg {
	t.Helper()
	if cmd == nil {
		return nil
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	select {
	case msg := <-done:
		switch msg.(type) {
		case DraftCreatedMsg, DraftEditedMsg, DraftSavedMsg, DraftPreparedMsg, ReplySentMsg, DraftDiscardedMsg, ComposeClosedMsg:
			return msg
		}
		return nil
	case <-time.After(2 * time.Second):
		return nil
	}
}

// drive feeds msg to m and then every message its commands produce, until
// none comes back, and returns the model and the last closing message.
func drive(t *testing.T, m Model, msg tea.Msg) (Model, *ComposeClosedMsg) {
	t.Helper()
	for msg != nil {
		if c, ok := msg.(ComposeClosedMsg); ok {
			return m, &c
		}
		var cmd tea.Cmd
		m, cmd = m.Update(msg)
		msg = step(t, cmd)
	}
	return m, nil
}

func start(t *testing.T, env Env, all bool) Model {
	t.Helper()
	m, err := New(fixture.Common(80, 24), env, fixture.DemoMessage(koreanID), drafts.ReplyChoice{All: all})
	if err != nil {
		t.Fatal(err)
	}
	m.SetSize(80, 22)
	m, _ = drive(t, m, step(t, m.Init()))
	return m
}

func TestBuiltInEditorAttachAndPostpone(t *testing.T) {
	env := testEnv(t, &fakeSender{}, "")
	m := start(t, env, false)
	if m.state != stateTextarea || !m.Capturing() {
		t.Fatalf("state %d, want the built-in editor", m.state)
	}
	golden(t, "textarea", m.View())
	for _, k := range fixture.Keys("Hello 서연 님") {
		m, _ = drive(t, m, k)
	}
	m, _ = drive(t, m, tea.KeyMsg{Type: tea.KeyCtrlS})
	if m.state != stateReview || m.prepared == nil {
		t.Fatalf("state %d, err %v", m.state, m.err)
	}
	if !strings.HasPrefix(m.prepared.Edited.Body, "Hello 서연 님\n\nOn Thu") {
		t.Errorf("body %q", m.prepared.Edited.Body)
	}
	golden(t, "review", m.View())

	att := filepath.Join(t.TempDir(), "quote.pdf")
	os.WriteFile(att, []byte("%PDF-1.4\n"), 0o600)
	m, _ = drive(t, m, fixture.Key("a"))
	if m.state != stateAttach {
		t.Fatalf("state %d after a", m.state)
	}
	for _, k := range fixture.Keys(att) {
		m, _ = drive(t, m, k)
	}
	m, _ = drive(t, m, fixture.Key("enter"))
	if m.state != stateReview || m.prepared == nil || !slices.Equal(m.prepared.Attachments, []string{"quote.pdf"}) {
		t.Fatalf("after attaching: state %d err %v", m.state, m.err)
	}
	if !strings.Contains(m.View(), "Attach:  quote.pdf") {
		t.Errorf("the review does not show the attachment:\n%s", m.View())
	}
	// A missing file is an error on the status line, not a crash.
	m, _ = drive(t, m, fixture.Key("a"))
	for _, k := range fixture.Keys("/nonexistent/x.pdf") {
		m, _ = drive(t, m, k)
	}
	m, _ = drive(t, m, fixture.Key("enter"))
	if m.err == nil || !strings.Contains(m.View(), "Error:") {
		t.Errorf("no error shown for a missing attachment:\n%s", m.View())
	}
	// Said whole, wrapped under the body, in the same height: on one
	// line a long path cut off what was wrong with it.
	long := "/nonexistent/" + strings.Repeat("a", 90) + "/x.pdf"
	m, _ = drive(t, m, fixture.Key("a"))
	for _, k := range fixture.Keys(long) {
		m, _ = drive(t, m, k)
	}
	m, _ = drive(t, m, fixture.Key("enter"))
	v := m.View()
	if text := strings.Join(strings.Fields(ansi.Strip(v)), ""); !strings.Contains(text, "nosuchfileordirectory") {
		t.Errorf("the error is cut:\n%s", v)
	}
	if n := strings.Count(v, "\n") + 1; n != m.height {
		t.Errorf("the review is %d lines, want %d:\n%s", n, m.height, v)
	}
	// "d" asks; anything but y keeps the draft.
	m, _ = drive(t, m, fixture.Key("d"))
	if !strings.Contains(m.View(), "Discard this draft?") {
		t.Errorf("no confirmation:\n%s", m.View())
	}
	m, _ = drive(t, m, fixture.Key("n"))
	m, closed := drive(t, m, fixture.Key("p"))
	if closed == nil || closed.Outcome != Postponed || !strings.Contains(closed.Text, m.DraftID()) {
		t.Fatalf("postpone: %+v", closed)
	}
	d, err := env.Outbox.Drafts.Load(m.DraftID())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(d.Text), "Hello 서연 님") || len(d.Meta.Attachments) != 1 {
		t.Errorf("the postponed draft lost something: %q %v", d.Text, d.Meta.Attachments)
	}
	// Resuming opens the review of the kept draft.
	r := Resume(fixture.Common(80, 24), env, d)
	r.SetSize(80, 22)
	r, _ = drive(t, r, step(t, r.Init()))
	if r.state != stateReview || r.prepared == nil || len(r.prepared.Attachments) != 1 {
		t.Errorf("resume: state %d err %v", r.state, r.err)
	}
}

// answered is an error SES answered with (HTTP 400): the message was
// certainly not accepted, so the draft may be sent again.
type answered struct{ error }

func (answered) HTTPStatusCode() int { return 400 }

func TestSendFailureKeepsTheDraftAndSaysWhy(t *testing.T) {
	fs := &fakeSender{err: answered{errors.New("MessageRejected: Email address is not verified")}}
	env := testEnv(t, fs, "")
	m := start(t, env, true)
	m, _ = drive(t, m, tea.KeyMsg{Type: tea.KeyEsc})
	// The classic slip: a tea.Cmd where a tea.Msg was meant. The send
	// command must produce a ReplySentMsg carrying the error.
	m2, cmd := m.Update(fixture.Key("s"))
	if m2.state != stateSending || !strings.Contains(m2.View(), "Sending") {
		t.Errorf("state %d while sending", m2.state)
	}
	msg := cmd()
	sent, ok := msg.(ReplySentMsg)
	if !ok || sent.Err == nil {
		t.Fatalf("send produced %T %+v", msg, msg)
	}
	var se *drafts.SendError
	if !errors.As(sent.Err, &se) {
		t.Errorf("not a SendError: %v", sent.Err)
	}
	if _, cmd := m2.Update(msg); cmd == nil {
		t.Error("the failed send is not in the error history")
	} else if posted, ok := cmd().(common.ErrorPostedMsg); !ok || !errors.Is(posted.Err, sent.Err) {
		t.Errorf("the failed send posts %#v, want its error in the history", posted)
	}
	m, closed := drive(t, m2, msg)
	if closed != nil || m.state != stateReview {
		t.Fatalf("closed %+v after a failed send", closed)
	}
	if v := m.View(); !strings.Contains(v, "Error:") || !strings.Contains(v, "MessageRejected") {
		t.Errorf("the error is not shown:\n%s", v)
	}
	if _, err := env.Outbox.Drafts.Load(m.DraftID()); err != nil {
		t.Errorf("the draft is gone: %v", err)
	}
	// Fixed (say, the identity got verified): send again.
	fs.mu.Lock()
	fs.err = nil
	fs.mu.Unlock()
	m, closed = drive(t, m, fixture.Key("s"))
	if closed == nil || closed.Outcome != Sent {
		t.Fatalf("second send: %+v, err %v", closed, m.err)
	}
}

func TestDiscard(t *testing.T) {
	env := testEnv(t, &fakeSender{}, "")
	m := start(t, env, false)
	m, _ = drive(t, m, tea.KeyMsg{Type: tea.KeyCtrlS})
	id := m.DraftID()
	m, _ = drive(t, m, fixture.Key("d"))
	_, closed := drive(t, m, fixture.Key("y"))
	if closed == nil || closed.Outcome != Discarded {
		t.Fatalf("closed %+v", closed)
	}
	if _, err := env.Outbox.Drafts.Load(id); err == nil {
		t.Error("the discarded draft is still there")
	}
}

func TestEditorErrorsAndBadDrafts(t *testing.T) {
	env := testEnv(t, &fakeSender{}, "false") // an editor that fails
	m, err := New(fixture.Common(80, 24), env, fixture.DemoMessage(koreanID), drafts.ReplyChoice{All: false})
	if err != nil {
		t.Fatal(err)
	}
	m.SetSize(80, 22)
	m, _ = m.Update(step(t, m.Init()))
	if m.state != stateEditor {
		t.Fatalf("state %d, want the external editor", m.state)
	}
	// What tea.ExecProcess reports when the editor fails.
	m, _ = drive(t, m, DraftEditedMsg{ID: m.DraftID(), Err: errors.New("editor false: exit status 1")})
	if m.state != stateReview || !strings.Contains(m.View(), "exit status 1") {
		t.Errorf("editor failure not shown:\n%s", m.View())
	}
	// A draft whose header was broken by hand cannot be sent, and says so.
	os.WriteFile(m.draft.Path(), []byte("To: a@b.example\nBcc: evil@attacker.example\n\nhi\n"), 0o600)
	m, _ = drive(t, m, DraftEditedMsg{ID: m.DraftID()})
	if m.prepared != nil || !strings.Contains(m.View(), "only To, Cc and Subject") {
		t.Errorf("bad draft accepted:\n%s", m.View())
	}
	m, _ = drive(t, m, fixture.Key("s"))
	if m.state != stateReview {
		t.Errorf("a broken draft was sent")
	}
	// Stale results for another draft are dropped.
	before := m.err
	m, _ = drive(t, m, DraftPreparedMsg{ID: "other", Err: errors.New("stale")})
	if m.err != before {
		t.Error("a stale result was applied")
	}
}

func TestNewExplainsMissingIdentity(t *testing.T) {
	env := testEnv(t, &fakeSender{}, "")
	env.Identity = mcompose.Identity{}
	_, err := New(fixture.Common(80, 24), env, fixture.DemoMessage(koreanID), drafts.ReplyChoice{All: false})
	if !errors.Is(err, mcompose.ErrNoIdentity) {
		t.Errorf("err %v", err)
	}
	// The TUI has no --from: the hint, first, names what can be done
	// here, and the detail says where the message was sent.
	if s := mailstore.Explain(err); strings.Contains(s, "--from") || !strings.HasPrefix(s, "set from = ") || !strings.Contains(s, "config.toml") || !strings.Contains(s, "acme-demo.example") {
		t.Errorf("shown as %q", s)
	}
	if _, err := New(fixture.Common(80, 24), env, fixture.DemoMessage(koreanID), drafts.ReplyChoice{All: false, From: "Me <me@acme-demo.example>"}); err != nil {
		t.Errorf("with an explicit From: %v", err)
	}
}

// q in the review postpones, as mutt's compose menu offers on q: the draft
// is kept and the screen closes (q did nothing at all, with no word why).
func TestReviewQPostpones(t *testing.T) {
	env := testEnv(t, &fakeSender{}, "")
	m := start(t, env, false)
	m, _ = drive(t, m, tea.KeyMsg{Type: tea.KeyCtrlS})
	if m.state != stateReview {
		t.Fatalf("state %d, want the review", m.state)
	}
	m, closed := drive(t, m, fixture.Key("q"))
	if closed == nil || closed.Outcome != Postponed {
		t.Fatalf("q in the review: %+v, want postponed", closed)
	}
}

// TestQuitFromResumedDraftKeepsIt: d at the ctrl+c question discards only
// the changes to a kept draft (:drafts), never the draft; a save that
// fails does not quit and brings the editor back.
func TestQuitFromResumedDraftKeepsIt(t *testing.T) {
	env := testEnv(t, &fakeSender{}, "")
	m := start(t, env, false)
	m, _ = drive(t, m, tea.KeyMsg{Type: tea.KeyCtrlS})
	m, closed := drive(t, m, fixture.Key("p"))
	if closed == nil {
		t.Fatal("not postponed")
	}
	d, err := env.Outbox.Drafts.Load(m.DraftID())
	if err != nil {
		t.Fatal(err)
	}
	r := Resume(fixture.Common(80, 24), env, d)
	r.SetSize(80, 22)
	r, _ = drive(t, r, step(t, r.Init()))
	r, _ = drive(t, r, fixture.Key("e"))
	for _, k := range fixture.Keys("changed") {
		r, _ = drive(t, r, k)
	}
	r, held, cmd := r.HoldQuit()
	if !held || cmd != nil || !strings.Contains(r.View(), "d discard changes") {
		t.Fatalf("HoldQuit: held %v:\n%s", held, r.View())
	}
	r, cmd = r.Update(fixture.Key("d"))
	if q, ok := cmd().(common.QuitConfirmedMsg); !ok || !strings.Contains(q.Notice, "the draft is kept") {
		t.Fatalf("d: %#v", q)
	}
	if again, err := env.Outbox.Drafts.Load(d.ID); err != nil || string(again.Text) != string(d.Text) {
		t.Fatalf("the kept draft changed: %v", err)
	}

	// A save that fails keeps the editor and its text.
	r = Resume(fixture.Common(80, 24), env, d)
	r.SetSize(80, 22)
	r, _ = drive(t, r, step(t, r.Init()))
	r, _ = drive(t, r, fixture.Key("e"))
	r, _ = drive(t, r, fixture.Key("z"))
	r, _, _ = r.HoldQuit()
	r, _ = r.Update(fixture.Key("p"))
	r, _ = r.Update(DraftSavedMsg{Err: errors.New("disk full")})
	if r.state != stateTextarea || !strings.Contains(r.View(), "disk full") || !strings.Contains(r.ta.Value(), "z") {
		t.Fatalf("a failed save: state %d:\n%s", r.state, r.View())
	}
}

// TestReplyAllOverFiftyRecipientsSaysSoFirst: a reply-all to a message
// with 55 recipients was composed and reviewed without a word, and SES
// refused it at the send. The review screen now shows the warning from
// the plan with the hint first, and "s" shows Prepare's refusal on the
// status line, hint first, without sending.
func TestReplyAllOverFiftyRecipientsSaysSoFirst(t *testing.T) {
	var cc []string
	for i := range 55 {
		cc = append(cc, fmt.Sprintf("p%d@northwind.example", i))
	}
	raw := []byte("Received: from mx by inbound-smtp.us-east-1.amazonaws.com with SMTP id x\r\n for support@acme-demo.example; Tue, 03 Nov 2026 14:02:11 +0000\r\n" +
		"From: Dana <dana@northwind.example>\r\nTo: support@acme-demo.example\r\nCc: " + strings.Join(cc, ", ") +
		"\r\nSubject: Many\r\nDate: Tue, 3 Nov 2026 09:02:05 -0500\r\nMessage-ID: <many@northwind.example>\r\n\r\nhello\r\n")
	v := mime.Parse(raw)
	v.Summary.Key = "inbound/many"
	fs := &fakeSender{}
	env := testEnv(t, fs, "")
	m, err := New(fixture.Common(120, 30), env, &mailbox.Message{Summary: v.Summary, Raw: raw, View: v}, drafts.ReplyChoice{All: true})
	if err != nil {
		t.Fatal(err)
	}
	m.SetSize(120, 28)
	m, _ = drive(t, m, step(t, m.Init()))
	m, _ = drive(t, m, tea.KeyMsg{Type: tea.KeyCtrlS})
	const hint = "remove 6 of the 56 recipients from the To and Cc lines"
	if !strings.Contains(m.View(), "! "+hint) {
		t.Errorf("the review screen does not lead with the hint:\n%s", m.View())
	}
	m, closed := drive(t, m, fixture.Key("s"))
	if closed != nil || !strings.Contains(m.View(), "Error: "+hint) {
		t.Errorf("sent or no refusal (%+v):\n%s", closed, m.View())
	}
	if dests, _ := fs.sent(); dests != nil {
		t.Errorf("sent to %d", len(dests))
	}
}

// TestDraftsPageWrapsErrors: an error on the drafts page is wrapped on up
// to 3 lines, as in the review, the list giving up the room: cut to one
// line, the cause at its end was lost.
func TestDraftsPageWrapsErrors(t *testing.T) {
	env := testEnv(t, &fakeSender{}, "")
	for _, sz := range [][2]int{{40, 10}, {80, 23}} {
		p := NewDraftsPage(fixture.Common(sz[0], sz[1]), env, 0, "demo")
		p.SetSize(sz[0], sz[1])
		err := &mailstore.HintError{Hint: "check the drafts' permissions", Err: errors.New("open /srv/drafts: permission denied")}
		p.Update(DraftsListedMsg{Box: 0, Err: err})
		v := p.View()
		lines := strings.Split(v, "\n")
		if !strings.Contains(v, "check the drafts'") || !strings.Contains(strings.Join(lines[len(lines)-3:], " "), "denied") {
			t.Errorf("%dx%d: the error's hint or cause is cut:\n%s", sz[0], sz[1], v)
		}
		if len(lines) != sz[1] {
			t.Errorf("%dx%d: %d lines", sz[0], sz[1], len(lines))
		}
		for _, l := range lines {
			if w := lipgloss.Width(l); w > sz[0] {
				t.Errorf("%dx%d: a line of %d cells: %q", sz[0], sz[1], w, l)
			}
		}
	}
}

// suppressAll is an SES account (sesaccount.API, sesbox's own interface)
// with every address on its suppression list.
type suppressAll struct{}

func (suppressAll) Account(context.Context) (sesaccount.Account, error) {
	return sesaccount.Account{SendingEnabled: true}, nil
}
func (suppressAll) Identity(_ context.Context, n string) (sesaccount.Identity, error) {
	return sesaccount.Identity{Name: n, Status: sesaccount.StatusNotFound}, nil
}
func (suppressAll) Suppressed(_ context.Context, a string) (sesaccount.Suppression, bool, error) {
	return sesaccount.Suppression{Address: a, Reason: "BOUNCE", Since: fixture.DemoNow}, true, nil
}

// TestAllRecipientsBlockedSaysWhatToDoHere: a reply whose every
// recipient is on the suppression list says first what the composer can
// do (e edits the recipients), then why. It said the CLI's
// "--include-suppressed sends to ... anyway; then send the kept draft:
// sesbox reply --draft ID", a flag the composer has no way to give and a
// command for a draft still open in it.
func TestAllRecipientsBlockedSaysWhatToDoHere(t *testing.T) {
	fs := &fakeSender{}
	env := testEnv(t, fs, "")
	env.Outbox.Account = suppressAll{}
	m := start(t, env, false)
	m, _ = drive(t, m, tea.KeyMsg{Type: tea.KeyEsc})
	m, closed := drive(t, m, fixture.Key("s"))
	if closed != nil || m.err == nil || !errors.Is(m.err, drafts.ErrAllBlocked) {
		t.Fatalf("closed %+v, err %v", closed, m.err)
	}
	if dests, _ := fs.sent(); dests != nil {
		t.Fatalf("sent to %v", dests)
	}
	got := mailstore.Explain(m.err)
	if !strings.HasPrefix(got, "e edits the recipients") || strings.Contains(got, "--include-suppressed") || strings.Contains(got, "sesbox reply") ||
		!strings.Contains(got, "suppressed: BOUNCE") {
		t.Errorf("the error says %q", got)
	}
}

// TestAllRecipientsBlockedNamesTheBoundKeys: the hint names the edit and
// send keys as [keys] binds them.
func TestAllRecipientsBlockedNamesTheBoundKeys(t *testing.T) {
	env := testEnv(t, &fakeSender{}, "")
	env.Outbox.Account = suppressAll{}
	c := fixture.Common(80, 24)
	if err := c.Keys.Apply(map[string][]string{"compose.edit": {"E"}, "compose.send": {"S"}}); err != nil {
		t.Fatal(err)
	}
	m, err := New(c, env, fixture.DemoMessage(koreanID), drafts.ReplyChoice{All: false})
	if err != nil {
		t.Fatal(err)
	}
	m.SetSize(80, 22)
	m, _ = drive(t, m, step(t, m.Init()))
	m, _ = drive(t, m, tea.KeyMsg{Type: tea.KeyEsc})
	m, _ = drive(t, m, fixture.Key("S"))
	if got := mailstore.Explain(m.err); !strings.HasPrefix(got, "E edits the recipients") || !strings.Contains(got, "then S sends") {
		t.Errorf("the error says %q", got)
	}
}

func (suppressAll) ConfigurationSet(context.Context) (sesaccount.ConfigurationSet, bool, error) {
	return sesaccount.ConfigurationSet{}, false, nil
}

// TestUncertainSendIsSentAgainOnlyByItsKey: a reply whose send lost SES's
// answer (it may have gone) is refused by s, as sesbox reply --draft ID
// refuses it; the TUI had no key to send it anyway, where the CLI has
// --retry-uncertain, so such a draft could only be sent from the shell.
// The review names S (compose.send-again), which sends it through the
// same Outbox.Send with RetryUncertain; S on a draft no send of which is
// uncertain sends nothing and says so.
func TestUncertainSendIsSentAgainOnlyByItsKey(t *testing.T) {
	fs := &fakeSender{}
	env := testEnv(t, fs, "")
	m := start(t, env, false)
	m, _ = drive(t, m, tea.KeyMsg{Type: tea.KeyEsc})
	m, closed := drive(t, m, fixture.Key("S"))
	if closed != nil || !strings.Contains(m.View(), "nothing to send again") {
		t.Fatalf("S on a draft never sent: closed %+v\n%s", closed, m.View())
	}
	if d, _ := fs.sent(); d != nil {
		t.Fatalf("S on a draft never sent sent it to %v", d)
	}

	fs.mu.Lock()
	fs.err = errors.New("read tcp 127.0.0.1:1->127.0.0.1:2: read: connection reset by peer") // after the request went
	fs.mu.Unlock()
	m, closed = drive(t, m, fixture.Key("s"))
	if closed != nil || !m.uncertain() || !errors.Is(m.err, drafts.ErrUncertain) {
		t.Fatalf("lost answer: closed %+v, uncertain %v, err %v", closed, m.uncertain(), m.err)
	}
	if h := mailstore.Hint(m.err); !strings.HasPrefix(h, "SES may have accepted the reply") || !strings.HasSuffix(h, "S sends it again") {
		t.Fatalf("hint %q", h)
	}
	if short := m.ShortHelp(); len(short) == 0 || short[0].Help().Key != "S" {
		t.Fatalf("the key line does not offer S first: %v", short)
	}

	fs.mu.Lock()
	fs.err = nil // SES answers again
	fs.mu.Unlock()
	m, closed = drive(t, m, fixture.Key("s"))
	if closed != nil || !strings.Contains(mailstore.Explain(m.err), "not sent again") {
		t.Fatalf("s on the uncertain draft: closed %+v, err %v", closed, m.err)
	}
	if d, _ := fs.sent(); d != nil {
		t.Fatalf("s sent the uncertain draft again to %v", d)
	}
	_, closed = drive(t, m, fixture.Key("S"))
	if closed == nil || closed.Outcome != Sent {
		t.Fatalf("S: %+v", closed)
	}
	if d, _ := fs.sent(); len(d) == 0 {
		t.Fatal("S sent nothing")
	}
}

// TestNewExplainsNoRecipientWithTheScreensKey: an original that names no
// address a reply can go to (our own message, whose reply would go to its
// To, with SES's DMARC verdict failed on its From: a forgery of our domain)
// is refused as sesbox reply refuses it, but the hint names the key and
// the : line the TUI has, not the CLI's "sesbox reply --to ADDR", which
// the error history showed (tried in tmux against versitygw).
func TestNewExplainsNoRecipientWithTheScreensKey(t *testing.T) {
	raw := []byte("Received: from mail.acme-demo.example (mail.acme-demo.example [192.0.2.9])\r\n" +
		" by inbound-smtp.us-east-1.amazonaws.com with SMTP id forged0001\r\n for info@acme-demo.example;\r\n" +
		" Sat, 05 Dec 2026 10:00:00 +0000 (UTC)\r\nX-SES-Spam-Verdict: PASS\r\nX-SES-Virus-Verdict: PASS\r\n" +
		"Authentication-Results: amazonses.com;\r\n spf=pass smtp.mailfrom=info@acme-demo.example;\r\n" +
		" dkim=pass header.i=@acme-demo.example;\r\n dmarc=fail header.from=acme-demo.example;\r\n" +
		"From: Acme <info@acme-demo.example>\r\nTo: customer@example.org\r\nSubject: Your order\r\n" +
		"Date: Sat, 05 Dec 2026 10:00:00 +0000\r\nMessage-ID: <forged0001@acme-demo.example>\r\n\r\nHello.\r\n")
	v := mime.Parse(raw)
	v.Summary.Key, v.Summary.Size = "inbox/forged0001", int64(len(raw))
	msg := &mailbox.Message{Summary: v.Summary, Raw: raw, View: v}
	env := testEnv(t, &fakeSender{}, "")
	_, err := New(fixture.Common(80, 24), env, msg, drafts.ReplyChoice{})
	if !errors.Is(err, mcompose.ErrNoRecipient) {
		t.Fatalf("err %v", err)
	}
	if s := mailstore.Explain(err); !strings.HasPrefix(s, "send the reply to an address you name: L, or :reply --to ADDR") || strings.Contains(s, "sesbox reply") || !strings.Contains(s, "DMARC") {
		t.Errorf("shown as %q", s)
	}
	if _, err := New(fixture.Common(80, 24), env, msg, drafts.ReplyChoice{To: []string{"desk@team.example"}}); err != nil {
		t.Errorf("with --to: %v", err)
	}
}
