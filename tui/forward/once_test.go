package forward

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/sesbox/sesbox/mailstore"
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
