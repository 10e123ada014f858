package tui

import (
	"strings"
	"testing"

	"github.com/sesbox/sesbox/tui/cmdline"
	"github.com/sesbox/sesbox/tui/internal/fixture"
	"github.com/sesbox/sesbox/tui/tab"
)

// Every screen of tab.Screens is reachable as the root knows it: its verb
// and its key's `:` line are `:` commands, and its key is in the help.
func TestScreensAreWiredByTheirLine(t *testing.T) {
	keys := map[string]bool{}
	m := New(t.Context(), fixture.Common(100, 30), []Box{box("inbox", fixture.NewFake("a"))}, false, 0, nil)
	for _, k := range m.mailKeys() {
		keys[strings.Join(k.Keys(), ",")] = true
	}
	opened := 0
	for _, s := range tab.Screens {
		if _, err := cmdline.Parse([]string{s.Verb}); err != nil {
			t.Errorf("screen %q: its verb is not a `:` command: %v", s.Verb, err)
		}
		if s.Key == nil {
			continue
		}
		if _, err := cmdline.Parse(strings.Fields(s.Line)); err != nil {
			t.Errorf("screen %q: its key's line %q is not a `:` command: %v", s.Verb, s.Line, err)
		}
		if k := strings.Join(s.Key(m.c.Keys).Keys(), ","); !keys[k] {
			t.Errorf("screen %q: key %s is not in the help", s.Verb, k)
		}
		if sc, ok := tab.ScreenFor(s.Verb); ok && sc.Open != nil {
			opened++
		}
	}
	if opened < 4 {
		t.Fatalf("only %d screens open by their key", opened)
	}
}
