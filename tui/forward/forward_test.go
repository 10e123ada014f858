package forward

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/demo"
	"github.com/sesbox/sesbox/mailstore/forward"
	"github.com/sesbox/sesbox/mailstore/mime"
	"github.com/sesbox/sesbox/mailstore/reforward"
	"github.com/sesbox/sesbox/tui/common"
	"github.com/sesbox/sesbox/tui/internal/fixture"
)

// sender is a mailstore.Sender that accepts everything except the keys'
// subjects listed in reject (answered 400), and can hold its first send
// until gate is closed.
type sender struct {
	mu      sync.Mutex
	sent    [][]string
	reject  string // a substring of the raw message to refuse
	refuse  error  // what a refusal returns (rejected{} when nil)
	gate    chan struct{}
	entered chan struct{} // told when a send starts, if set
	quota   mailstore.Quota
}

type rejected struct{}

func (rejected) Error() string       { return "MessageRejected: Email address is not verified" }
func (rejected) HTTPStatusCode() int { return 400 }

func (s *sender) SendRaw(_ context.Context, dests []string, raw []byte) (string, error) {
	if s.entered != nil {
		s.entered <- struct{}{}
	}
	if s.gate != nil {
		<-s.gate
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reject != "" && strings.Contains(string(raw), s.reject) {
		if s.refuse != nil {
			return "", s.refuse
		}
		return "", rejected{}
	}
	s.sent = append(s.sent, dests)
	return fmt.Sprintf("ses-%04d", len(s.sent)), nil
}

func (s *sender) Quota(context.Context) (mailstore.Quota, error) { return s.quota, nil }

type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }
func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	c.now = c.now.Add(d)
	return ctx.Err()
}

var cfg = forward.Config{
	FromEmail: "forwarder@acme-demo.example",
	ForwardMapping: map[string][]string{
		"info@acme-demo.example": {"ops@team.example", "lead@team.example"},
		"@acme-demo.example":     {"desk@team.example"},
	},
}

// demoKeys returns two demo messages to forward and a spam one, the same
// ones on every run.
func demoKeys(t *testing.T) (good []string, spam string) {
	t.Helper()
	msgs := demo.Messages()
	var keys []string
	for k := range msgs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		s := mime.Summarize(msgs[k])
		switch {
		case s.Verdicts.Spam == "FAIL" && spam == "":
			spam = k
		case len(s.Recipients) == 1 && !s.Verdicts.Failed() && len(good) < 2 &&
			(len(good) == 0) == (s.Recipients[0] == "info@acme-demo.example") && strings.HasSuffix(s.Recipients[0], "@acme-demo.example"):
			good = append(good, k) // one to info@ (two destinations), one to another address (one)
		}
	}
	return good, spam
}

func newRunner(t *testing.T) (*reforward.Runner, *sender) {
	t.Helper()
	mb, closeFn, err := fixture.DemoMailbox(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeFn)
	s := &sender{quota: mailstore.Quota{MaxSendRate: 10, Max24HourSend: 1000}}
	return &reforward.Runner{
		Source:      reforward.FromMailbox(mb),
		Sender:      s,
		JournalPath: filepath.Join(t.TempDir(), "journal.jsonl"),
		Clock:       &clock{now: fixture.DemoNow},
	}, s
}

func newScreen(t *testing.T, f Forwarder, keys []string, w, h int) Model {
	t.Helper()
	c := fixture.Common(w, h)
	c.Now = func() time.Time { return fixture.DemoNow }
	m := New(context.Background(), c, f, keys, reforward.Options{Config: cfg})
	m.SetSize(w, h)
	return m
}

// pump runs cmd and feeds its messages back until the screen asks for
// nothing more; it fails on a tea.Cmd returned where a tea.Msg was meant.
func pump(t *testing.T, m Model, cmd tea.Cmd) (Model, []tea.Msg) {
	t.Helper()
	var out []tea.Msg
	queue := []tea.Cmd{cmd}
	for i := 0; len(queue) > 0; i++ {
		if i > 10000 {
			t.Fatal("the screen never settles")
		}
		cmd, queue = queue[0], queue[1:]
		if cmd == nil {
			continue
		}
		msg := cmd()
		if _, isCmd := msg.(tea.Cmd); isCmd {
			t.Fatalf("a tea.Cmd was sent as a message (%T)", msg)
		}
		if batch, ok := msg.(tea.BatchMsg); ok {
			queue = append(queue, batch...)
			continue
		}
		out = append(out, msg)
		m, cmd = m.Update(msg)
		queue = append(queue, cmd)
	}
	return m, out
}

func press(t *testing.T, m Model, k string) (Model, tea.Cmd) {
	t.Helper()
	return m.Update(fixture.Key(k))
}

func checkSize(t *testing.T, v string, w, h int) {
	t.Helper()
	lines := strings.Split(v, "\n")
	if len(lines) != h {
		t.Errorf("%d lines, want %d:\n%s", len(lines), h, v)
	}
	for i, l := range lines {
		if ansi.StringWidth(l) != w {
			t.Errorf("line %d is %d cells wide, want %d: %q", i, ansi.StringWidth(l), w, l)
		}
	}
}

func TestConfirmRunAndResults(t *testing.T) {
	r, s := newRunner(t)
	good, spam := demoKeys(t)
	keys := append(slices.Clone(good), mailstore.SESMessageID(spam))
	m := newScreen(t, r, keys, 80, 24)
	checkSize(t, m.View(), 80, 24)
	if !strings.Contains(m.View(), "Preparing to forward 3 messages") {
		t.Errorf("planning view:\n%s", m.View())
	}
	m, _ = pump(t, m, m.Init())

	v := m.View()
	checkSize(t, v, 80, 24)
	for _, want := range []string{"Forward 2 messages from s3://sesbox-demo/inbox/", "2 sends to 3 recipients, 3 destinations, mapped (t changes them):",
		"desk@team.example, lead@team.example, ops@team.example", "Not sent: 1 skipped", "as it will be sent:",
		"From: ", "<forwarder@acme-demo.example>"} {
		if !strings.Contains(v, want) {
			t.Errorf("confirmation lacks %q:\n%s", want, v)
		}
	}
	t.Run("confirm", func(t *testing.T) { golden.RequireEqual(t, []byte(v)) })
	if len(s.sent) != 0 {
		t.Fatal("sent before confirmation")
	}
	if h := m.ShortHelp(); len(h) != 2 || h[0].Help().Key != "y" {
		t.Errorf("confirm help %v", h)
	}
	// Enter does not send.
	m, cmd := press(t, m, "enter")
	if cmd != nil || m.state != stateConfirm {
		t.Fatal("enter did something on the confirmation")
	}

	m, cmd = press(t, m, "y")
	if !m.Running() {
		t.Fatal("not running after y")
	}
	m, msgs := pump(t, m, cmd)
	if m.state != stateDone || len(s.sent) != 2 {
		t.Fatalf("state %v, %d sends", m.state, len(s.sent))
	}
	if _, ok := msgs[len(msgs)-1].(ForwardFinishedMsg); !ok {
		t.Errorf("last message %T", msgs[len(msgs)-1])
	}
	got := m.Results()
	if len(got) != 3 || got[0].Status != reforward.StatusSent || got[2].Status != reforward.StatusSkipped || got[2].Key != spam {
		t.Errorf("results %+v", got)
	}
	v = m.View()
	checkSize(t, v, 80, 24)
	t.Run("done", func(t *testing.T) { golden.RequireEqual(t, []byte(v)) })

	_, cmd = press(t, m, "m")
	if msg := cmd(); msg != (common.NoticePostedMsg{Text: "no failed messages to mark"}) {
		t.Errorf("m with no failures: %#v", msg)
	}
	_, cmd = press(t, m, "q")
	if msg, ok := cmd().(ForwardClosedMsg); !ok || msg.ID != m.ID() {
		t.Errorf("q: %#v", msg)
	}
}

func TestFailuresFirstAndRemarked(t *testing.T) {
	r, s := newRunner(t)
	good, _ := demoKeys(t)
	s.reject = string(demo.Messages()[good[1]][len(demo.Messages()[good[1]])-40:]) // the second message's last bytes
	m := newScreen(t, r, good, 80, 12)
	m, _ = pump(t, m, m.Init())
	m, cmd := press(t, m, "y")
	m, _ = pump(t, m, cmd)
	v := m.View()
	checkSize(t, v, 80, 12)
	lines := strings.Split(v, "\n")
	// The reason wrapped whole under the id, which leaves it 28 cells at
	// 80 columns: "MessageRejected: Email address is not ve" was cut.
	if !strings.HasPrefix(lines[3], "FAILED    "+mailstore.SESMessageID(good[1])) || strings.TrimSpace(lines[4]) != "MessageRejected: Email address is not verified" ||
		!strings.HasPrefix(lines[5], "SENT      "+mailstore.SESMessageID(good[0])) {
		t.Errorf("failures are not listed first:\n%s", v)
	}
	if !strings.Contains(lines[1], "1 failed (m marks them in the list") {
		t.Errorf("summary:\n%s", v)
	}
	_, cmd = press(t, m, "m")
	msg, ok := cmd().(FailuresMarkedMsg)
	if !ok || msg.ID != m.ID() || !slices.Equal(msg.Keys, []string{good[1]}) {
		t.Errorf("m: %#v", msg)
	}
}

func TestCancelSendsNothing(t *testing.T) {
	r, s := newRunner(t)
	good, _ := demoKeys(t)
	m := newScreen(t, r, good, 80, 24)
	m, _ = pump(t, m, m.Init())
	m, cmd := press(t, m, "esc")
	if msg, ok := cmd().(ForwardClosedMsg); !ok || msg.ID != m.ID() || len(s.sent) != 0 {
		t.Errorf("esc: %#v, %d sends", msg, len(s.sent))
	}
}

func TestQuotaRefusedBeforeConfirmation(t *testing.T) {
	r, s := newRunner(t)
	s.quota = mailstore.Quota{MaxSendRate: 1, Max24HourSend: 100, SentLast24Hours: 99}
	good, _ := demoKeys(t)
	m := newScreen(t, r, good, 80, 24)
	m, _ = pump(t, m, m.Init())
	v := m.View()
	checkSize(t, v, 80, 24)
	if m.state != stateFailed || !strings.Contains(v, "Cannot forward:") || !strings.Contains(v, "24-hour sending quota") {
		t.Errorf("quota:\n%s", v)
	}
	if _, cmd := press(t, m, "y"); cmd != nil || len(s.sent) != 0 {
		t.Error("y sent after a refusal")
	}
}

func TestNothingToSendShowsResultsAtOnce(t *testing.T) {
	r, s := newRunner(t)
	_, spam := demoKeys(t)
	m := newScreen(t, r, []string{spam, "nonexistent"}, 80, 24)
	m, _ = pump(t, m, m.Init())
	if m.state != stateDone || len(m.Results()) != 2 || len(s.sent) != 0 {
		t.Fatalf("state %v, %+v", m.state, m.Results())
	}
	if v := m.View(); !strings.Contains(v, "FAILED    nonexistent") || !strings.Contains(v, "no such message") {
		t.Errorf("view:\n%s", v)
	}
}

func TestStopAfterTheSendInProgress(t *testing.T) {
	r, s := newRunner(t)
	good, _ := demoKeys(t)
	s.gate, s.entered = make(chan struct{}), make(chan struct{}, 1)
	m := newScreen(t, r, good, 80, 24)
	m, _ = pump(t, m, m.Init())
	m, cmd := press(t, m, "y")
	// The first event arrives while the first send is held.
	msg := cmd()
	m, cmd = m.Update(msg)
	<-s.entered
	m, _ = press(t, m, "x")
	if !strings.Contains(m.View(), "stopping after the send in progress") {
		t.Errorf("running view:\n%s", m.View())
	}
	if h := m.ShortHelp(); len(h) != 1 || h[0].Help().Key != "x" {
		t.Errorf("running help %v", h)
	}
	// ctrl+c and q say what to do, whole on an 80-column status line
	// (with its leading blank): it was cut at "then it can be cl…".
	if b := NewPage(m).Busy(); len(" "+b) > 80 || !strings.Contains(b, "x stops it") || !strings.HasSuffix(b, "q/esc closes it") {
		t.Errorf("busy line %q (%d columns)", b, len(" "+b))
	}
	close(s.gate)
	m, _ = pump(t, m, cmd)
	got := m.Results()
	if len(s.sent) != 1 || len(got) != 2 || got[0].Status != reforward.StatusSent || got[1].Reason != "not attempted: the run was interrupted" {
		t.Errorf("%d sends, results %+v", len(s.sent), got)
	}
	if !errors.Is(m.err, context.Canceled) || !strings.Contains(m.View(), "Forward stopped") {
		t.Errorf("err %v\n%s", m.err, m.View())
	}
	// The user's stop is said as what the run did, not as Go's
	// "context canceled" (tried in tmux: the head said only that), in the
	// CLI's words from the same totals: the message the run never reached
	// is "not attempted", not "failed" (it said "1 failed").
	head := strings.Join(m.doneHead(), "\n")
	if want := "Forward stopped (x): " + reforward.Count(got).String(); want != "Forward stopped (x): 1 sent, 1 not attempted" || !strings.Contains(head, want) ||
		strings.Contains(head, "context canceled") || strings.Contains(head, "failed") || !strings.Contains(head, "1 not attempted (m marks") {
		t.Errorf("head:\n%s", head)
	}
}

func TestStaleMessagesDropped(t *testing.T) {
	r, _ := newRunner(t)
	good, _ := demoKeys(t)
	m := newScreen(t, r, good, 80, 24)
	m2, cmd := m.Update(ForwardPlannedMsg{ID: m.ID() + 1000, Err: errors.New("not mine")})
	if cmd != nil || m2.state != statePlanning {
		t.Error("a message for another screen was taken")
	}
	m2, _ = m.Update(ForwardFinishedMsg{ID: m.ID()})
	if m2.state != statePlanning {
		t.Error("a finish before the run was taken")
	}
}

// A dry run's title is said whole: cut to one line at 80 columns, it lost
// the directory it writes to and "(nothing is sent)".
func TestDryRunTitleIsWhole(t *testing.T) {
	r, _ := newRunner(t)
	good, _ := demoKeys(t)
	dir := filepath.Join(t.TempDir(), "a-directory-for-the-dry-run-of-this-forward")
	c := fixture.Common(80, 24)
	c.Now = func() time.Time { return fixture.DemoNow }
	m := New(context.Background(), c, r, good, reforward.Options{Config: cfg, DryRunDir: dir})
	m.SetSize(80, 24)
	m, _ = pump(t, m, m.Init())
	v := m.View()
	checkSize(t, v, 80, 24)
	// (A path wider than the screen is broken inside: compare without blanks.)
	if text := strings.Join(strings.Fields(ansi.Strip(v)), ""); !strings.Contains(text, dir+"(nothingissent)") {
		t.Errorf("the title is cut:\n%s", v)
	}
}

func TestHostileTextIsSanitized(t *testing.T) {
	m := newScreen(t, nil, nil, 80, 10)
	m.state = stateDone
	m.results = []reforward.Result{{Key: "inbox/\x1b]0;pwn\x07evil", Status: reforward.StatusFailed, Reason: "bad\x1b[2J\nthing"}}
	v := m.View()
	checkSize(t, v, 80, 10)
	if strings.ContainsAny(v, "\x1b\x07") {
		t.Errorf("control characters reached the screen: %q", v)
	}
}

// TestPreviewFieldsDecoded: the preview shows names as a mail client
// does, decoded and made safe, never as encoded-words.
func TestPreviewFieldsDecoded(t *testing.T) {
	hdr := []byte("From: =?UTF-8?B?6rmA66+87KeA?= <kim@example.kr>\r\n" +
		"Subject: =?UTF-8?Q?caf=C3=A9_=1B[31mred?=\r\n\tand more\r\n" +
		"Received: from x\r\n")
	shown, others := previewFields(hdr)
	want := []string{"From: 김민지 <kim@example.kr>", "Subject: café red and more"}
	if others != 1 || len(shown) != 2 {
		t.Fatalf("shown %q, others %d", shown, others)
	}
	for i := range want {
		if shown[i] != want[i] {
			t.Errorf("field %d: %q, want %q", i, shown[i], want[i])
		}
	}
}

// TestDoneHeadSaysNotAttemptedAsTheCLIDoes: the head says the run's
// totals in the CLI's words (reforward.Totals.String): the messages a
// stopped run never reached are "not attempted", apart from the failed
// (it said "3 failed" where the CLI says "1 failed, 2 not attempted"); the
// line about the key that marks them names both, as it marks both.
func TestDoneHeadSaysNotAttemptedAsTheCLIDoes(t *testing.T) {
	r, _ := newRunner(t)
	good, _ := demoKeys(t)
	m := newScreen(t, r, good, 80, 24)
	m.state, m.totals = stateDone, reforward.Totals{Sent: 1, Failed: 1, NotAttempted: 2}
	m.results = []reforward.Result{{Key: "a", Status: reforward.StatusSent}, {Key: "b", Status: reforward.StatusFailed, Reason: "x"},
		{Key: "c", Status: reforward.StatusFailed, Reason: "not attempted: the run stopped"}, {Key: "d", Status: reforward.StatusFailed, Reason: "not attempted: the run stopped"}}
	head := strings.Join(m.doneHead(), "\n")
	if !strings.Contains(head, "Forward finished: "+m.totals.String()) || !strings.Contains(head, "1 sent, 1 failed, 2 not attempted") ||
		!strings.Contains(head, "1 failed and 2 not attempted (m marks them") || strings.Contains(head, "3 failed") {
		t.Errorf("head:\n%s", head)
	}
}

// TestNotAttemptedRowsSayNotTried: the row of a message a stopped run
// never reached said "FAILED ... not attempted: the run stopped" under a
// head counting it "not attempted" (938ca25); it says NOT TRIED, and a
// failure still says FAILED.
func TestNotAttemptedRowsSayNotTried(t *testing.T) {
	r, _ := newRunner(t)
	good, _ := demoKeys(t)
	m := newScreen(t, r, good, 80, 24)
	failed := m.resultLines(reforward.Result{Key: "b", Status: reforward.StatusFailed, Reason: "x"})[0]
	untried := m.resultLines(reforward.Result{Key: "c", Status: reforward.StatusFailed, Reason: "not attempted: the run stopped"})[0]
	if !strings.HasPrefix(failed, "FAILED ") {
		t.Errorf("failed row %q", failed)
	}
	if !strings.HasPrefix(untried, "NOT TRIED ") || strings.Contains(untried, "FAILED") {
		t.Errorf("not attempted row %q", untried)
	}
}

// TestMarkKeyHelpSaysWhatItMarksAndWhere: after a stopped run, whose head
// says "1 not attempted (m marks them in the list to try again)" and no
// "failed", the key line said "m mark failed", and ? the same: m marks
// the failed and the not tried, in the list, replacing its marks. The key
// line says "mark to retry" (whole at 40 columns), ? says all of it.
func TestMarkKeyHelpSaysWhatItMarksAndWhere(t *testing.T) {
	r, s := newRunner(t)
	good, _ := demoKeys(t)
	s.gate, s.entered = make(chan struct{}), make(chan struct{}, 1)
	m := newScreen(t, r, good, 40, 10)
	m, _ = pump(t, m, m.Init())
	m, cmd := press(t, m, "y")
	m, cmd = m.Update(cmd())
	<-s.entered
	m, _ = press(t, m, "x")
	close(s.gate)
	m, _ = pump(t, m, cmd)
	if len(m.failedKeys()) != 1 {
		t.Fatalf("want one message not tried: %+v", m.Results())
	}
	hints := m.c.Hints(append([]key.Binding{m.c.Keys.Global.Help}, m.ShortHelp()...))
	if hints = strings.TrimSpace(hints); hints != "? help • m mark to retry • q/esc close" {
		t.Errorf("key line %q", hints)
	}
	var full []string
	for _, col := range m.FullHelp() {
		for _, b := range col {
			full = append(full, b.Help().Key+" "+b.Help().Desc)
		}
	}
	if !slices.Contains(full, "m mark the failed and not tried in the list (replaces its marks)") {
		t.Errorf("? says %q", full)
	}
}

// TestHelpWhileRunningListsOnlyWhatActs: while a run goes, ? listed the
// options (t, u, i, a, s, r) and the scroll keys, none of which acts then
// (tried in tmux against a SES that holds the send: u and t changed
// nothing); only x, which stops the run, is listed now.
func TestHelpWhileRunningListsOnlyWhatActs(t *testing.T) {
	r, s := newRunner(t)
	good, _ := demoKeys(t)
	s.gate, s.entered = make(chan struct{}), make(chan struct{}, 1)
	m := newScreen(t, r, good, 80, 24)
	m, _ = pump(t, m, m.Init())
	m, cmd := press(t, m, "y")
	m, cmd = m.Update(cmd())
	<-s.entered
	var full []string
	for _, col := range m.FullHelp() {
		for _, b := range col {
			full = append(full, b.Help().Key)
		}
	}
	if !slices.Equal(full, []string{"x"}) {
		t.Errorf("? while running lists %q", full)
	}
	if m, _ = press(t, m, "u"); m.opts.RetryUncertain || !m.Running() {
		t.Error("u acted while running")
	}
	close(s.gate)
	m, _ = pump(t, m, cmd)
	if m.Running() {
		t.Fatal("the run did not end")
	}
}
