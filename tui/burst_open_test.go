package tui

import (
	"strings"

	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/sesbox/sesbox/tui/internal/fixture"
	"github.com/sesbox/sesbox/tui/viewer"
)

// pressAll sends keys the way a fast typist (or a held key) does: every key
// is read before the Cmds of the ones before it have answered.
func (h *harness) pressAll(keys ...string) {
	h.t.Helper()
	var cmds []tea.Cmd
	for _, k := range keys {
		nm, cmd := h.m.Update(fixture.Key(k))
		h.m = nm.(Model)
		cmds = append(cmds, cmd)
	}
	h.settle(tea.Batch(cmds...))
}

// J pressed three times in a row moves three messages on, as in mutt: the
// step must not wait for a Cmd whose answer the next J makes stale.
func TestRootViewerNextMessageKeysTypedFastAllAct(t *testing.T) {
	h := newHarness(t, 100, 30, false, box("inbox", fixture.NewFake("a")))
	h.press("enter")
	first := h.m.viewer.Viewer().Key()
	h.pressAll("J", "J", "J")
	l := h.m.cur().List()
	want, _ := l.Summary(first)
	l.Select(first)
	for range 3 {
		want, _ = l.Step(1)
	}
	if got := h.m.viewer.Viewer().Key(); got != want.Key {
		t.Fatalf("JJJ from %s shows %s, want %s (three messages on)", first, got, want.Key)
	}
	h.pressAll("K", "K")
	l.Select(want.Key)
	l.Step(-1)
	back, _ := l.Step(-1)
	if got := h.m.viewer.Viewer().Key(); got != back.Key {
		t.Fatalf("KK shows %s, want %s", got, back.Key)
	}
}

// A key typed right after Enter acts in the viewer it opened, not in the
// list (Enter then p shows the parts).
func TestRootKeyTypedRightAfterOpenActsInTheViewer(t *testing.T) {
	h := newHarness(t, 100, 30, false, box("inbox", fixture.NewFake("a")))
	h.pressAll("enter", "p")
	if h.m.top() != viewer.Kind {
		t.Fatalf("top %q, want the viewer", h.m.top())
	}
	if v := h.view(); !strings.Contains(v, "parts (") {
		t.Fatalf("p typed right after enter did not show the parts:\n%s", v)
	}
}
