package tui

import (
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/bubbles/key"
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
			// Every description starts in one column: a usage as long as
			// the column (:export [--mbox] [--parents] FILE) pushed its own
			// to the right.
			col := -1
			for _, c := range cmdline.Commands {
				start := c.Help[:min(len(c.Help), 16)]
				for _, l := range strings.Split(cmds, "\n") {
					if i := strings.LastIndex(l, start); i >= 0 {
						if col < 0 {
							col = i
						} else if i != col {
							t.Errorf(":%s: its help starts at column %d, the others' at %d:\n%s", c.Verb, i, col, cmds)
						}
						break
					}
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

// TestHelpShowsEveryKey: the help of the list and of the viewer names
// every key of the page at 80 and 120 columns, no column cut to "…".
func TestHelpShowsEveryKey(t *testing.T) {
	for _, w := range []int{80, 120} {
		for _, open := range []bool{false, true} {
			t.Run(fmt.Sprint(w, open), func(t *testing.T) {
				h := newHarness(t, w, 120, false, box("inbox", fixture.NewFake("a")))
				if open {
					h.press("enter")
				}
				km := h.m.activeKeys()
				h.press("?")
				v := ansi.Strip(h.view())
				keys, _, _ := strings.Cut(v, "Commands (:, Tab completes):")
				for _, l := range strings.Split(keys, "\n") {
					if strings.HasSuffix(strings.TrimRight(l, " "), "…") {
						t.Errorf("cut line %q", l)
					}
				}
				for _, g := range km.FullHelp() {
					for _, b := range g {
						if b.Enabled() && !strings.Contains(keys, b.Help().Desc) {
							t.Errorf("%s %s not in the help", b.Help().Key, b.Help().Desc)
						}
					}
				}
			})
		}
	}
}

// TestHelpListsEveryGlobalKey: `?` on the list and in the viewer lists
// every key the root takes there (ctrl+z was missing).
func TestHelpListsEveryGlobalKey(t *testing.T) {
	h := newHarness(t, 120, 60, false, box("inbox", fixture.NewFake("a")))
	g := h.m.c.Keys.Global
	for _, screen := range []struct {
		open  []string
		binds []key.Binding
	}{
		{nil, []key.Binding{g.Quit, g.Help, g.Errors, g.Command, g.Redraw, g.Suspend, g.Audit, g.NextBox, g.PrevBox, g.Refresh}},
		{[]string{"enter"}, []key.Binding{g.Quit, g.Help, g.Errors, g.Command, g.Redraw, g.Suspend, g.Audit}},
	} {
		h.press(screen.open...)
		h.press("?")
		flat := strings.Join(strings.Fields(ansi.Strip(h.view())), " ")
		for _, b := range screen.binds {
			if want := b.Help().Key + " " + b.Help().Desc; !strings.Contains(flat, want) {
				t.Errorf("after %v the help lacks %q", screen.open, want)
			}
		}
		h.press("q")
	}
}
