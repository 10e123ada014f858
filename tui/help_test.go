package tui

import (
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/sesbox/sesbox/mailstore/query"
	"github.com/sesbox/sesbox/tui/cmdline"
	"github.com/sesbox/sesbox/tui/internal/fixture"
)

// TestHelpShowsCommandsWhole: the help's `:` commands and query syntax are
// there whole at 80 and 120 columns, none cut to "…".
func TestHelpShowsCommandsWhole(t *testing.T) {
	for _, w := range []int{80, 120} {
		t.Run(fmt.Sprint(w), func(t *testing.T) {
			h := newHarness(t, w, 120, false, box("inbox", fixture.NewFake("a")))
			h.press("?")
			v := ansi.Strip(h.view())
			_, cmds, ok := strings.Cut(v, "Commands (:, Tab completes):")
			if !ok {
				t.Fatalf("no commands in the help:\n%s", v)
			}
			for _, l := range strings.Split(cmds, "\n") {
				if strings.HasSuffix(strings.TrimRight(l, " "), "…") {
					t.Errorf("cut line %q", l)
				}
			}
			flat := strings.Join(strings.Fields(cmds), " ")
			for _, c := range cmdline.Commands {
				if !strings.Contains(flat, c.Help) {
					t.Errorf(":%s: %q not shown whole", c.Verb, c.Help)
				}
			}
			if q := strings.Join(strings.Fields(query.Help), " "); !strings.Contains(flat, q) {
				t.Errorf("query syntax not shown whole:\n%s", cmds)
			}
		})
	}
}
