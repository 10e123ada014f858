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
	"github.com/sesbox/sesbox/tui/viewer"
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

// TestAKeyThatDoesNothingSaysSo: in the list and the viewer a key bound
// to nothing there (x; J, the viewer's next message, in the list; e, the
// list's export, in the viewer) did nothing and said nothing, read as an
// action that failed silently. It says so, as mutt's "Key is not bound",
// and every key the page's help lists still acts without the notice.
func TestAKeyThatDoesNothingSaysSo(t *testing.T) {
	h := demoHarness(t, Box{})
	says := func(k string, want bool) {
		t.Helper()
		h.press(k)
		if got := strings.Contains(h.view(), k+" does nothing here (? lists the keys)"); got != want {
			t.Errorf("%q on %q: says it does nothing %v, want %v:\n%s", k, h.m.top(), got, want, h.view())
		}
	}
	says("x", true)
	says("J", true)
	says("j", false)
	// mutt's and aerc's delete: why nothing happens, not only that.
	h.press("d")
	if !strings.Contains(h.view(), "d does nothing: sesbox never deletes mail from the bucket") {
		t.Errorf("d in the list does not say sesbox never deletes:\n%s", h.view())
	}
	for _, k := range []string{"k", "g", "G", "o", "O", "T", "T", "V", "u", "space", "ctrl+d", "ctrl+u", "tab", "ctrl+l", "n", "N", "U", "U"} {
		h.press(k)
		if strings.Contains(h.view(), "does nothing here") {
			t.Errorf("list: %q said it does nothing:\n%s", k, h.view())
		}
	}
	for _, k := range []string{"f", "r", "R", "L", "A", "E", "?", ":", "/", "S", "|", "s", "e", "ctrl+r", "esc"} {
		if !h.m.acts(fixture.Key(k)) {
			t.Errorf("list: %q is in the help but not taken as acting", k)
		}
	}
	h.press("enter")
	if h.m.top() != viewer.Kind {
		t.Fatalf("enter opened %q", h.m.top())
	}
	says("e", true)
	says("x", true)
	for _, k := range []string{"j", "k", "J", "K", "h", "h", "H", "H", "y", "n", "l", "esc"} {
		h.press(k)
		if strings.Contains(h.view(), "does nothing here") {
			t.Errorf("viewer: %q said it does nothing:\n%s", k, h.view())
		}
	}
	for _, k := range []string{"p", "s", "o", "|", "Y", "v", "r", "f", "/", "?", "E", ":"} {
		if !h.m.acts(fixture.Key(k)) {
			t.Errorf("viewer: %q is in the help but not taken as acting", k)
		}
	}
}
