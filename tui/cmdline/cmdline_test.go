package cmdline

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/sesbox/sesbox/tui/common"
	"github.com/sesbox/sesbox/tui/internal/fixture"
)

// TestTabListsCandidates: an ambiguous Tab lists its candidates after the
// text on the one line, which stays exactly the terminal's width.
func TestTabListsCandidates(t *testing.T) {
	for _, w := range []int{80, 120, 24} {
		m := New(fixture.Common(w, 24), w, &common.History{})
		m.Focus()
		for _, k := range fixture.Keys("s") {
			m, _, _ = m.Update(k)
		}
		m, _, _ = m.Update(fixture.Key("tab"))
		v := ansi.Strip(m.View())
		if got := ansi.StringWidth(v); got != w || strings.Contains(v, "\n") {
			t.Fatalf("width %d: line is %d cells: %q", w, got, v)
		}
		// ":s", the cursor's cell, two spaces and the verbs.
		if !strings.HasPrefix(v, ":s   save search sort ") {
			t.Errorf("width %d: candidates not shown: %q", w, v)
		}
		// The next key edits the line and the list goes.
		for _, k := range fixture.Keys("o") {
			m, _, _ = m.Update(k)
		}
		if v := ansi.Strip(m.View()); strings.Contains(v, "save") || !strings.HasPrefix(v, ":so") || ansi.StringWidth(v) != w {
			t.Errorf("width %d: after typing: %q", w, v)
		}
	}
}
