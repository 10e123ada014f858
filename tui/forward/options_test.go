package forward

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/charmbracelet/bubbles/key"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/demo"
	"github.com/sesbox/sesbox/mailstore/reforward"
	"github.com/sesbox/sesbox/tui/common"
	"github.com/sesbox/sesbox/tui/internal/fixture"
)

// TestIncludeSpamFromTheScreen: the screen said "sesbox forward
// --include-spam forwards it anyway" and had no way to do it; i plans the
// forward again with IncludeSpam (Runner.Prepare, as the CLI's flag does),
// the confirmation shows it on, and y sends the spam message.
func TestIncludeSpamFromTheScreen(t *testing.T) {
	r, s := newRunner(t)
	_, spam := demoKeys(t)
	m := newScreen(t, r, []string{spam}, 80, 24)
	m, _ = pump(t, m, m.Init())
	if m.state != stateDone || len(m.Results()) != 1 || m.Results()[0].Status != reforward.StatusSkipped {
		t.Fatalf("spam alone: state %v, results %+v", m.state, m.Results())
	}
	if v := m.View(); !strings.Contains(v, "[ ] spam (i)") {
		t.Fatalf("the results do not offer i:\n%s", v)
	}
	m, cmd := press(t, m, "i")
	m, _ = pump(t, m, cmd)
	if m.state != stateConfirm || !m.Options().IncludeSpam {
		t.Fatalf("after i: state %v, options %+v", m.state, m.Options())
	}
	if v := m.View(); !strings.Contains(v, "Forward 1 message") || !strings.Contains(v, "[x] spam (i)") {
		t.Fatalf("the confirmation does not say spam is included:\n%s", v)
	}
	m, cmd = press(t, m, "y")
	m, _ = pump(t, m, cmd)
	if m.state != stateDone || len(s.sent) != 1 {
		t.Fatalf("after y: state %v, %d sent", m.state, len(s.sent))
	}
	// And off again: the spam is skipped once more.
	m, cmd = press(t, m, "i")
	m, _ = pump(t, m, cmd)
	if m.Options().IncludeSpam || len(s.sent) != 1 {
		t.Fatalf("i again: options %+v, %d sent", m.Options(), len(s.sent))
	}
}

// TestAgainAsksFirst: a sends again what the journal says was sent, which
// reaches its recipients a second time: the screen asks first, any key
// but y leaves it off, y plans with Again and the confirmation's y sends.
// The question names the screen's option and key, not sesbox forward's
// --again.
// u turns RetryUncertain on and off the same way.
func TestAgainAsksFirst(t *testing.T) {
	r, s := newRunner(t)
	good, _ := demoKeys(t)
	m := newScreen(t, r, good[:1], 80, 24)
	m, _ = pump(t, m, m.Init())
	m, cmd := press(t, m, "y")
	m, _ = pump(t, m, cmd)
	if m.state != stateDone || len(s.sent) != 1 {
		t.Fatalf("first send: state %v, %d sent", m.state, len(s.sent))
	}

	m, cmd = press(t, m, "a")
	if cmd != nil || !strings.Contains(m.View(), "reaches its recipients a second time") {
		t.Fatalf("a did not ask:\n%s", m.View())
	}
	// The question names the screen's option and key, not the CLI's flag.
	if v := strings.Join(strings.Fields(m.View()), " "); !strings.Contains(v, "Turn on sent already (a)?") || strings.Contains(v, "--again") {
		t.Fatalf("the question does not name the key a (or names --again):\n%s", m.View())
	}
	m, cmd = press(t, m, "n")
	if m.Options().Again || m.asking || cmd == nil || strings.Contains(m.View(), "second time") {
		t.Fatalf("n to the question: options %+v, asking %v", m.Options(), m.asking)
	}
	m, _ = press(t, m, "a")
	m, cmd = press(t, m, "y")
	m, _ = pump(t, m, cmd)
	if m.state != stateConfirm || !m.Options().Again || !strings.Contains(m.View(), "[x] sent already (a)") {
		t.Fatalf("a y: state %v, options %+v:\n%s", m.state, m.Options(), m.View())
	}
	if len(s.sent) != 1 {
		t.Fatal("the question's y sent without the confirmation")
	}
	m, cmd = press(t, m, "y")
	m, _ = pump(t, m, cmd)
	if len(s.sent) != 2 {
		t.Fatalf("--again from the screen: %d sends, want 2", len(s.sent))
	}

	m, cmd = press(t, m, "u")
	m, _ = pump(t, m, cmd)
	if !m.Options().RetryUncertain {
		t.Fatalf("u: options %+v", m.Options())
	}
	m, cmd = press(t, m, "u")
	m, _ = pump(t, m, cmd)
	if m.Options().RetryUncertain {
		t.Fatalf("u twice: options %+v", m.Options())
	}
}

// TestResultRowsNameTheScreensKeys: a result row said how the CLI sends
// what was left out ("sesbox forward --include-spam forwards it anyway",
// "sesbox forward --again sends it again": mailstore's reasons); the
// screen names its own keys there, as its "Also send" line does, while
// the result keeps the CLI's words for the CLI.
func TestResultRowsNameTheScreensKeys(t *testing.T) {
	r, _ := newRunner(t)
	_, spam := demoKeys(t)
	m := newScreen(t, r, []string{spam}, 200, 24)
	m, _ = pump(t, m, m.Init())
	check := func(want, flag string) {
		t.Helper()
		if len(m.Results()) != 1 || !strings.Contains(m.Results()[0].Reason, flag) {
			t.Fatalf("the result does not keep the CLI's words %q: %+v", flag, m.Results())
		}
		if v := m.View(); !strings.Contains(v, want) || strings.Contains(v, flag) {
			t.Fatalf("the row does not say %q (nor leave out %q):\n%s", want, flag, v)
		}
	}
	check("; key i forwards it anyway", "--include-spam")
	m, cmd := press(t, m, "i")
	m, _ = pump(t, m, cmd)
	m, cmd = press(t, m, "y")
	m, _ = pump(t, m, cmd)
	m, cmd = press(t, m, "i") // off: the message is sent and spam
	m, _ = pump(t, m, cmd)
	m, cmd = press(t, m, "i") // on: sent already
	m, _ = pump(t, m, cmd)
	check("; key a sends it again", "--again")

	// The confirmation's preview (read with the account) likewise.
	r.Account = account{}
	good, spam := demoKeys(t)
	m = newScreen(t, r, append(good[:1:1], spam), 200, 40)
	m, _ = pump(t, m, m.Init())
	full := strings.Join(m.confirmLines(), "\n")
	if !strings.Contains(full, "skipped as spam or virus (key i sends them)") || strings.Contains(full, "--include-spam") {
		t.Fatalf("the confirmation does not name i:\n%s", full)
	}
}

// TestOptionKeysTypedWhilePlanningAreHeld: i, u and a typed while the
// screen still planned (f i in one burst) were dropped; they are held and
// applied when the plan comes: i plans again with the spam included. A y
// typed before the plan is shown still sends nothing: a's question comes
// up with --again off.
func TestOptionKeysTypedWhilePlanningAreHeld(t *testing.T) {
	r, s := newRunner(t)
	_, spam := demoKeys(t)
	m := newScreen(t, r, []string{spam}, 80, 24)
	init := m.Init()
	m, _ = press(t, m, "i")
	m, _ = pump(t, m, init)
	if m.state != stateConfirm || !m.Options().IncludeSpam || !strings.Contains(m.View(), "Forward 1 message") {
		t.Fatalf("f i: state %v, options %+v:\n%s", m.state, m.Options(), m.View())
	}

	good, _ := demoKeys(t)
	m = newScreen(t, r, good[:1], 80, 24)
	init = m.Init()
	m, _ = press(t, m, "a")
	m, _ = press(t, m, "y")
	m, _ = pump(t, m, init)
	if !m.asking || m.Options().Again || len(s.sent) != 0 || !strings.Contains(m.View(), "reaches its recipients a second time") {
		t.Fatalf("f a y: asking %v, options %+v, %d sent:\n%s", m.asking, m.Options(), len(s.sent), m.View())
	}
}

// TestHeldAgainAsksBeforeARunOfNothing: with nothing to send (the spam
// alone, f a in one burst) the run started as the plan came, with a's
// question on screen over it, and a key typed during the run answered
// it. The question comes first, over the plan, and no run starts until
// it is answered: another key leaves it off and shows the results of the
// plan as it was; so does y, as --again sends nothing more either
// (TestAgainThatSendsNothingStays).
func TestHeldAgainAsksBeforeARunOfNothing(t *testing.T) {
	r, s := newRunner(t)
	_, spam := demoKeys(t)
	for _, answer := range []string{"n", "y"} {
		m := newScreen(t, r, []string{spam}, 80, 24)
		init := m.Init()
		m, _ = press(t, m, "a")
		m, cmd := m.Update(init())
		if cmd != nil || m.state != stateConfirm || !m.asking || len(m.Results()) != 0 {
			t.Fatalf("f a: a run (or a plan) began before the question was answered: state %v, asking %v, cmd %v", m.state, m.asking, cmd != nil)
		}
		if v := m.View(); !strings.Contains(v, "reaches its recipients a second time") || !strings.Contains(v, "Forward 0 messages") {
			t.Fatalf("f a: the question is not shown over the plan:\n%s", v)
		}
		m, cmd = press(t, m, answer)
		m, _ = pump(t, m, cmd)
		if m.asking || m.Options().Again || m.state != stateDone || len(m.Results()) != 1 || len(s.sent) != 0 {
			t.Fatalf("f a %s: state %v, asking %v, options %+v, results %+v", answer, m.state, m.asking, m.Options(), m.Results())
		}
	}
}

// TestKeyLineWhileAgainIsAsked: while a's question was on screen the key
// line still named the screen's keys under it ("y send • n/esc cancel"
// over a confirmation, "q/esc close" over results), where y turns the
// option on and any other key leaves it off; it says that now, whole at
// 40 columns.
func TestKeyLineWhileAgainIsAsked(t *testing.T) {
	r, _ := newRunner(t)
	good, spam := demoKeys(t)
	for _, keys := range [][]string{good[:1], {spam}} {
		m := newScreen(t, r, keys, 80, 24)
		m, _ = pump(t, m, m.Init())
		m, _ = press(t, m, "a")
		if !m.asking {
			t.Fatalf("a did not ask (state %v)", m.state)
		}
		var line []string
		for _, b := range m.ShortHelp() {
			line = append(line, b.Help().Key+" "+b.Help().Desc)
		}
		got := strings.Join(line, " • ")
		if want := "y turn on • other keys off"; got != want {
			t.Errorf("key line while asking over state %v: %q, want %q", m.state, got, want)
		}
		// Whole at 40 columns, as the screen's other key lines (it was
		// cut to "? help • y turn on sent already …" at 45).
		m.c = fixture.Common(40, 10)
		if hints := m.c.Hints(append([]key.Binding{m.c.Keys.Global.Help}, m.ShortHelp()...)); strings.Contains(hints, "…") {
			t.Errorf("key line at 40 columns: %q", hints)
		}
		if fh := m.FullHelp(); len(fh) != 1 {
			t.Errorf("full help while asking has %d columns, want the question's keys alone", len(fh))
		}
	}
}

// TestAgainThatSendsNothingStays: f a y over a plan that sends nothing
// (the spam alone: nothing was ever sent) planned again with --again, ran
// a run of nothing and showed its results again, "[x] sent already" the
// only change; it now says there is nothing to send, the screen's key for
// what would send it first, and stays as it was with the option off.
func TestAgainThatSendsNothingStays(t *testing.T) {
	r, s := newRunner(t)
	_, spam := demoKeys(t)
	m := newScreen(t, r, []string{spam}, 80, 24)
	m, _ = pump(t, m, m.Init())
	before := m.View()
	m, _ = press(t, m, "a")
	m, cmd := press(t, m, "y")
	m, msgs := pump(t, m, cmd)
	var notices []string
	for _, msg := range msgs {
		if n, ok := msg.(common.NoticePostedMsg); ok {
			notices = append(notices, n.Text)
		}
	}
	if len(notices) != 1 || notices[0] != "key i sends the 1 skipped as spam or virus; a sends nothing more" {
		t.Errorf("notices %q", notices)
	}
	if m.state != stateDone || m.Options().Again || m.View() != before || len(s.sent) != 0 {
		t.Errorf("f a y: state %v, options %+v, %d sent, view:\n%s\nwant as before:\n%s", m.state, m.Options(), len(s.sent), m.View(), before)
	}
}

// failingAgain plans as r does, except with --again, which it refuses.
type failingAgain struct{ *reforward.Runner }

func (f failingAgain) Prepare(ctx context.Context, inputs []string, opts reforward.Options) (*reforward.Plan, error) {
	if opts.Again {
		return nil, errors.New("journal unreadable")
	}
	return f.Runner.Prepare(ctx, inputs, opts)
}

// TestAgainThatFailsKeepsNoUndo: when the plan a's y asked for fails,
// the screen shows the failure; the next plan of nothing (a turning
// --again off again) is that plan's results, not the screen from before
// the question coming back with "a sends nothing more".
func TestAgainThatFailsKeepsNoUndo(t *testing.T) {
	r, _ := newRunner(t)
	_, spam := demoKeys(t)
	m := newScreen(t, failingAgain{r}, []string{spam}, 80, 24)
	m, _ = pump(t, m, m.Init())
	m, _ = press(t, m, "a")
	m, cmd := press(t, m, "y")
	m, _ = pump(t, m, cmd)
	if m.state != stateFailed || !strings.Contains(m.View(), "journal unreadable") {
		t.Fatalf("a y with a failing plan: state %v:\n%s", m.state, m.View())
	}
	m, cmd = press(t, m, "a") // --again off: plans without it, nothing to send
	m, msgs := pump(t, m, cmd)
	for _, msg := range msgs {
		if n, ok := msg.(common.NoticePostedMsg); ok {
			t.Errorf("a turning --again off after the failure said %q", n.Text)
		}
	}
	m, cmd = press(t, m, "u")
	m, _ = pump(t, m, cmd)
	if m.state != stateDone || !m.Options().RetryUncertain {
		t.Fatalf("u after the failure: state %v, options %+v:\n%s", m.state, m.Options(), m.View())
	}
}

// refusedByIdentity is what sessend returns for a message SES refused
// for itself (an HTTP 400 MessageRejected): the hint first, marked
// mailstore.ErrMessageRefused.
type refusedByIdentity struct{}

func (refusedByIdentity) Error() string {
	return "send: MessageRejected: Email address is not verified. The following identities failed the check in region US-EAST-1: jim@example.com"
}
func (refusedByIdentity) HTTPStatusCode() int  { return 400 }
func (refusedByIdentity) Is(target error) bool { return target == mailstore.ErrMessageRefused }

// TestRefusedLeadsWithTheHintAndRSendsIt: a message SES refused for
// itself shows on the results hint first, as the CLI prints it, with the
// screen's key where the CLI names --retry-refused; the option line
// offers "refused by SES (r)"; a new screen on it sends nothing and says
// the same; r plans with RetryRefused and y sends it.
func TestRefusedLeadsWithTheHintAndRSendsIt(t *testing.T) {
	r, s := newRunner(t)
	good, _ := demoKeys(t)
	const hint = "SES rejected the message: jim@example.com not verified in US-EAST-1 — verify it"
	s.refuse = &mailstore.HintError{Hint: hint, Err: refusedByIdentity{}}
	s.reject = string(demo.Messages()[good[0]][len(demo.Messages()[good[0]])-40:])
	m := newScreen(t, r, good[:1], 80, 24)
	m, _ = pump(t, m, m.Init())
	m, cmd := press(t, m, "y")
	m, _ = pump(t, m, cmd)
	res := m.Results()
	if m.state != stateDone || len(res) != 1 || res[0].Status != reforward.StatusFailed || !res[0].Refused || !strings.HasPrefix(res[0].Reason, hint) {
		t.Fatalf("state %v, results %+v", m.state, res)
	}
	flat := func(v string) string { return strings.Join(strings.Fields(v), " ") }
	if v := flat(m.View()); !strings.Contains(v, "FAILED "+mailstore.SESMessageID(good[0])+" "+hint) || !strings.Contains(v, "[ ] refused by SES (r)") ||
		!strings.Contains(v, "once it is fixed, key r sends it") || strings.Contains(v, "--retry-refused") {
		t.Fatalf("the results do not lead with the hint, or offer r in the CLI's words:\n%s", m.View())
	}

	// Planned again: failed by the plan, nothing sent.
	m = newScreen(t, r, good[:1], 80, 24)
	m, _ = pump(t, m, m.Init())
	if res := m.Results(); m.state != stateDone || len(res) != 1 || !res[0].Refused || !strings.HasPrefix(res[0].Reason, hint) || len(s.sent) != 0 {
		t.Fatalf("a new screen: state %v, results %+v, %d sent", m.state, res, len(s.sent))
	}
	if v := flat(m.View()); !strings.Contains(v, "not sent again, as SES would refuse it again: once it is fixed, key r sends it") {
		t.Fatalf("the plan's reason does not name r:\n%s", m.View())
	}
	s.mu.Lock()
	s.reject = ""
	s.mu.Unlock()
	m, cmd = press(t, m, "r")
	m, _ = pump(t, m, cmd)
	if m.state != stateConfirm || !m.Options().RetryRefused || !strings.Contains(m.View(), "[x] refused by SES (r)") {
		t.Fatalf("after r: state %v, options %+v:\n%s", m.state, m.Options(), m.View())
	}
	m, cmd = press(t, m, "y")
	m, _ = pump(t, m, cmd)
	if m.state != stateDone || len(s.sent) != 1 || m.Results()[0].Status != reforward.StatusSent {
		t.Fatalf("after r y: state %v, %d sent, results %+v", m.state, len(s.sent), m.Results())
	}
}
