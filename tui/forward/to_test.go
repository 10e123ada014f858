package forward

import (
	"slices"
	"strings"
	"testing"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/sesbox/sesbox/tui/common"
	"github.com/sesbox/sesbox/tui/internal/fixture"
)

// typeIn types s into the screen, a key at a time.
func typeIn(t *testing.T, m Model, s string) Model {
	t.Helper()
	for _, k := range fixture.Keys(s) {
		m, _ = m.Update(k)
	}
	return m
}

// TestToKeyEditsTheDestinations: the screen had no way to send to other
// addresses than the mapping's, which sesbox forward --to does. t opens a
// line with the destinations the confirmation shows; Enter checks them
// with the CLI's own check (a bad address: the error on the status line,
// the line kept, nothing planned or sent) and plans again with them as
// --to, which the confirmation then says; the help lists t.
func TestToKeyEditsTheDestinations(t *testing.T) {
	r, s := newRunner(t)
	good, _ := demoKeys(t)
	m := newScreen(t, r, good, 80, 24)
	m, _ = pump(t, m, m.Init())
	m, _ = press(t, m, "t")
	v := m.View()
	checkSize(t, v, 80, 24)
	lines := strings.Split(v, "\n")
	if !m.Capturing() || !strings.HasPrefix(lines[len(lines)-1], "to: desk@team.example, lead@team.example, ops@team.example") {
		t.Fatalf("t did not open the line with the mapping's destinations:\n%s", v)
	}
	t.Run("editing", func(t *testing.T) { golden.RequireEqual(t, []byte(v)) })
	if h := m.ShortHelp(); len(h) != 2 || h[0].Help().Key != "enter" || h[1].Help().Key != "esc" {
		t.Errorf("key line while editing: %v", h)
	}

	// Entered unchanged: still the mapping (whose last matched
	// recipient the From names), not --to.
	m, cmd := press(t, m, "enter")
	if m.Capturing() || cmd != nil || m.Options().To != nil {
		t.Fatalf("the mapping entered as shown changed the options: %+v", m.Options())
	}

	m, _ = press(t, m, "t")
	m, _ = press(t, m, "ctrl+u")
	m = typeIn(t, m, "ops@team.example, Bob <b@x.example>")
	m, cmd = press(t, m, "enter")
	msg, _ := cmd().(common.ErrorPostedMsg)
	if msg.Err == nil || !strings.HasPrefix(msg.Err.Error(), `--to: "Bob" is not one plain address`) {
		t.Fatalf("a bad address: %v", msg.Err)
	}
	if !m.Capturing() || m.state != stateConfirm || m.Options().To != nil || len(s.sent) != 0 {
		t.Fatalf("after a bad address: editing %v, state %v, options %+v, %d sent", m.Capturing(), m.state, m.Options(), len(s.sent))
	}
	// q is text on the line, not the screen's close.
	m, _ = press(t, m, "ctrl+u")
	m = typeIn(t, m, "boss@x.example q")
	m, _ = press(t, m, "backspace")
	m, cmd = press(t, m, "enter")
	m, _ = pump(t, m, cmd)
	if m.state != stateConfirm || !slices.Equal(m.Options().To, []string{"boss@x.example"}) {
		t.Fatalf("state %v, options %+v:\n%s", m.state, m.Options(), m.View())
	}
	if v := m.View(); !strings.Contains(v, "2 sends to 2 recipients, 1 destination, given, not mapped (t changes them):") || !strings.Contains(v, "  boss@x.example") {
		t.Fatalf("the confirmation does not show the address given:\n%s", v)
	}
	m, cmd = press(t, m, "y")
	m, _ = pump(t, m, cmd)
	if !slices.EqualFunc(s.sent, [][]string{{"boss@x.example"}, {"boss@x.example"}}, slices.Equal) {
		t.Fatalf("sent to %v", s.sent)
	}

	// On the results t plans again too; esc leaves the line as it was.
	m, _ = press(t, m, "t")
	if v := m.to.Value(); v != "boss@x.example" {
		t.Fatalf("the line holds %q, not the destinations given", v)
	}
	m, _ = press(t, m, "esc")
	if m.Capturing() || m.state != stateDone {
		t.Fatalf("esc: editing %v, state %v", m.Capturing(), m.state)
	}
	var listed bool
	for _, group := range m.FullHelp() {
		for _, b := range group {
			listed = listed || key.Matches(fixture.Key("t"), b)
		}
	}
	if !listed {
		t.Error("the help does not list t")
	}
}

// TestToTypedWhilePlanning: f t and an address typed at once (a burst)
// reach the screen while it plans: the line opens at once, so the
// address is not taken for the screen's keys (s, u, i...), and the
// destinations entered are planned with when the plan comes. A line
// opened and left empty gets the mapping's destinations once known.
func TestToTypedWhilePlanning(t *testing.T) {
	r, s := newRunner(t)
	good, _ := demoKeys(t)
	m := newScreen(t, r, good, 80, 24)
	plan := m.Init()
	m, _ = press(t, m, "t")
	m = typeIn(t, m, "sue@x.example")
	m, cmd := press(t, m, "enter")
	if cmd != nil || m.Options().IncludeSuppressed || m.Options().RetryUncertain {
		t.Fatalf("typed while planning: options %+v", m.Options())
	}
	m, _ = pump(t, m, plan)
	if m.state != stateConfirm || !slices.Equal(m.Options().To, []string{"sue@x.example"}) || !strings.Contains(m.View(), "  sue@x.example") {
		t.Fatalf("state %v, options %+v:\n%s", m.state, m.Options(), m.View())
	}
	if len(s.sent) != 0 {
		t.Fatal("sent without y")
	}

	m = newScreen(t, r, good, 80, 24)
	plan = m.Init()
	m, _ = press(t, m, "t")
	m, _ = pump(t, m, plan)
	if got := m.to.Value(); !m.Capturing() || got != "desk@team.example, lead@team.example, ops@team.example" {
		t.Fatalf("the line opened while planning holds %q", got)
	}
}
