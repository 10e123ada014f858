package forward

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/reforward"
	"github.com/sesbox/sesbox/tui/internal/fixture"
)

// pausedSending is what sessend returns while SES has sending paused: the
// hint first, marked as a refusal every other send would meet too.
type pausedSending struct{}

func (pausedSending) Error() string {
	return "send: SendingPausedException: Sending is paused for this account."
}
func (pausedSending) HTTPStatusCode() int  { return 400 }
func (pausedSending) Is(target error) bool { return target == mailstore.ErrEverySendRefused }

// flat is v with its runs of blanks and line breaks one space: a
// sentence wrapped over lines reads whole.
func flat(v string) string { return strings.Join(strings.Fields(v), " ") }

// TestAFailureIsStatedOnce: a run SES stopped (sending paused) said the
// failure three times at 80x24, 14 lines: in the head, hint first, in
// the failed row (hint and SES's words again) and in the row not tried
// ("not attempted: the run stopped: " and SES's words). The head says it
// once, hint first; the rows point to it. Messages SES refused one by one
// for the same reason said it once per row: the rows under the first say
// "the same as above".
func TestAFailureIsStatedOnce(t *testing.T) {
	const hint = "sending is paused or suspended for this account or configuration set — see sesbox account"
	r, s := newRunner(t)
	good, _ := demoKeys(t)
	s.refuse = &mailstore.HintError{Hint: hint, Err: pausedSending{}}
	s.reject = "From"
	m := newScreen(t, r, good, 80, 24)
	m, _ = pump(t, m, m.Init())
	m, cmd := press(t, m, "y")
	m, _ = pump(t, m, cmd)
	v := m.View()
	checkSize(t, v, 80, 24)
	f := flat(v)
	if n := strings.Count(f, "Sending is paused for this account"); n != 1 || strings.Count(f, hint) != 1 ||
		!strings.HasPrefix(f, "Forward stopped: "+hint) {
		t.Errorf("the failure is said %d times, or not hint first:\n%s", n, v)
	}
	if !strings.Contains(f, "FAILED "+mailstore.SESMessageID(good[0])+" stopped the run: see above") ||
		!strings.Contains(f, "NOT TRIED "+mailstore.SESMessageID(good[1])+" run stopped first: see above") {
		t.Errorf("the rows do not point to the head:\n%s", v)
	}
	t.Run("stopped", func(t *testing.T) { golden.RequireEqual(t, []byte(v)) })

	// Refused one by one, the same way: said on the first row only.
	r, s = newRunner(t)
	s.refuse = refusedByIdentity{}
	s.reject = "From"
	m = newScreen(t, r, good, 80, 24)
	m, _ = pump(t, m, m.Init())
	m, cmd = press(t, m, "y")
	m, _ = pump(t, m, cmd)
	v = m.View()
	f = flat(v)
	if n := strings.Count(f, "Email address is not verified"); n != 1 || !strings.Contains(f, "FAILED "+mailstore.SESMessageID(good[1])+" the same as above") {
		t.Errorf("the same refusal is said %d times:\n%s", n, v)
	}
	if m.Results()[1].Reason != m.Results()[0].Reason {
		t.Fatalf("the results differ: %+v", m.Results())
	}
}

// TestRetryKeyForwardsAgain: the hint of a run that stopped said "run the
// same command again", the CLI's way, on a screen that runs no command;
// to send the rest with the destinations given (:forward --to), the list's
// f, which forwards to the mapping, was no way either. The hint names the
// screen's f, which plans the same messages with the same options again:
// after the cause is fixed it sends what was not sent, and what was is
// skipped. ? lists it on the results.
func TestRetryKeyForwardsAgain(t *testing.T) {
	r, s := newRunner(t)
	good, _ := demoKeys(t)
	s.refuse = &mailstore.HintError{Hint: "sending is paused", Err: pausedSending{}}
	s.reject = "From"
	c := fixture.Common(80, 24)
	c.Now = func() time.Time { return fixture.DemoNow }
	m := New(context.Background(), c, r, good, reforward.Options{To: []string{"boss@x.example"}})
	m.SetSize(80, 24)
	m, _ = pump(t, m, m.Init())
	m, cmd := press(t, m, "y")
	m, _ = pump(t, m, cmd)
	if f := flat(m.View()); !strings.HasPrefix(f, "Forward stopped: sending is paused; then press f to forward again: what was sent is skipped") ||
		strings.Contains(f, "same command") {
		t.Fatalf("the stopped run's hint:\n%s", m.View())
	}
	var listed bool
	for _, b := range m.FullHelp()[2] {
		listed = listed || key.Matches(fixture.Key("f"), b)
	}
	if !listed {
		t.Error("the help does not list f")
	}

	// Sending resumed: f plans both again, to the address given.
	s.mu.Lock()
	s.reject = ""
	s.mu.Unlock()
	m, cmd = press(t, m, "f")
	m, _ = pump(t, m, cmd)
	if m.state != stateConfirm || !slices.Equal(m.Options().To, []string{"boss@x.example"}) || !strings.Contains(m.View(), "2 sends") {
		t.Fatalf("f on the results: state %v, options %+v:\n%s", m.state, m.Options(), m.View())
	}
	m, cmd = press(t, m, "y")
	m, _ = pump(t, m, cmd)
	if !slices.EqualFunc(s.sent, [][]string{{"boss@x.example"}, {"boss@x.example"}}, slices.Equal) {
		t.Fatalf("sent to %v", s.sent)
	}
	// Again: what was sent is skipped, nothing is sent twice.
	m, cmd = press(t, m, "f")
	m, _ = pump(t, m, cmd)
	if m.state != stateDone || m.totals.Skipped != 2 || len(s.sent) != 2 {
		t.Fatalf("f after everything was sent: state %v, totals %+v, %d sent:\n%s", m.state, m.totals, len(s.sent), m.View())
	}
}
