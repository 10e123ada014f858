package keys

import (
	"strings"
	"testing"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

func TestApplyRebinds(t *testing.T) {
	km := DefaultKeyMap()
	err := km.Apply(map[string][]string{
		"list.down":   {"ctrl+n", "space"},
		"viewer.save": {},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !key.Matches(tea.KeyMsg{Type: tea.KeyCtrlN}, km.List.Down) || !key.Matches(tea.KeyMsg{Type: tea.KeySpace}, km.List.Down) {
		t.Fatal("new keys do not match")
	}
	if key.Matches(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("j")}, km.List.Down) {
		t.Fatal("the old key still matches")
	}
	if h := km.List.Down.Help(); h.Key != "ctrl+n/space" || h.Desc != "down" {
		t.Fatalf("help %+v", h)
	}
	if km.Viewer.Save.Enabled() {
		t.Fatal("an empty list did not unbind")
	}
}

func TestApplyRejectsUnknownActions(t *testing.T) {
	km := DefaultKeyMap()
	err := km.Apply(map[string][]string{"list.down": {"x"}, "list.dwn": {"j"}})
	if err == nil || !strings.Contains(err.Error(), "list.dwn") || !strings.Contains(err.Error(), "list.down") {
		t.Fatalf("got %v", err)
	}
	if !key.Matches(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("j")}, km.List.Down) {
		t.Fatal("a rejected config changed bindings")
	}
}

func TestEveryBindingHasHelpAndAnAction(t *testing.T) {
	km := DefaultKeyMap()
	acts := km.actions()
	if len(Actions()) != len(acts) {
		t.Fatal("Actions and actions disagree")
	}
	for name, b := range acts {
		if len(b.Keys()) == 0 || b.Help().Key == "" || b.Help().Desc == "" {
			t.Errorf("%s: keys %v help %+v", name, b.Keys(), b.Help())
		}
	}
}
