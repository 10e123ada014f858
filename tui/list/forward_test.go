package list

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/tui/internal/fixture"
)

// TestForwardBadges: a failed forward and a message the Lambda never saw
// are marked in the list at a glance; the others are not.
func TestForwardBadges(t *testing.T) {
	sums := fixture.Summaries()[:4]
	for i, st := range []string{mailstore.ForwardFailed, mailstore.ForwardNone, mailstore.ForwardForwarded, ""} {
		sums[i].Forward.Status = st
		sums[i].Subject = "subject " + string(rune('A'+i))
	}
	m, _ := newListOf(t, 120, 20, sums)
	view := ansi.Strip(m.View())
	for i, want := range []string{"[fwd failed] subject A", "[fwd none] subject B"} {
		if !strings.Contains(view, want) {
			t.Errorf("row %d lacks %q:\n%s", i, want, view)
		}
	}
	if strings.Count(view, "[fwd ") != 2 {
		t.Errorf("%d forward badges, want 2:\n%s", strings.Count(view, "[fwd "), view)
	}
}
