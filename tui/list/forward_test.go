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

// TestPendingHeadersRow: a row from an inventory, its header block not
// read yet, says so, with the S3 date and size, and is among the rows on
// screen to read first, until its summary comes.
func TestPendingHeadersRow(t *testing.T) {
	sums := fixture.Summaries()[:2]
	sums[0] = mailstore.Summary{Object: mailstore.Object{Key: "inbox/stub", Size: 123456, LastModified: sums[0].Date},
		Date: sums[0].Date, DateFromStore: true, HeadersPending: true}
	m, src := newListOf(t, 120, 20, sums)
	view := ansi.Strip(m.View())
	if !strings.Contains(view, "(headers not read yet)") || !strings.Contains(view, mailstore.FormatSize(123456)) {
		t.Fatalf("pending row not shown as such:\n%s", view)
	}
	if got := m.PendingOnScreen(); len(got) != 1 || got[0] != "inbox/stub" {
		t.Fatalf("pending on screen: %v", got)
	}
	filled := sums[0]
	filled.HeadersPending, filled.Subject = false, "now read"
	src.Sums[0] = filled // the index has it
	m, _ = settle(m, m.Add([]mailstore.Summary{filled}))
	if view := ansi.Strip(m.View()); strings.Contains(view, "(headers not read yet)") || !strings.Contains(view, "now read") {
		t.Fatalf("filled row:\n%s", view)
	}
	if got := m.PendingOnScreen(); len(got) != 0 {
		t.Fatalf("pending on screen after the fill: %v", got)
	}
}
