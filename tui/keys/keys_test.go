package keys

import (
	"reflect"
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

// TestApplyRejectsKeysThatActOnTheTerminal: a key is drawn on the help
// page and the key line as the config writes it; "list.filter" bound to
// "<ESC>]0;KEYTITLE<BEL>" set tmux's pane title on ? (and a C1 CSI drew
// in colour). Such a key is refused, naming the action, and nothing is
// rebound; " " (space) still binds.
func TestApplyRejectsKeysThatActOnTheTerminal(t *testing.T) {
	for _, bad := range []string{"\x1b]0;KEYTITLE\x07", "\u009b41m", "a\u202e", "x\n"} {
		km := DefaultKeyMap()
		err := km.Apply(map[string][]string{"list.down": {"x"}, "list.filter": {bad}})
		if err == nil || !strings.Contains(err.Error(), "list.filter") || strings.ContainsAny(err.Error(), "\x1b\x07\u009b\u202e\n") {
			t.Errorf("%q: got %v", bad, err)
		}
		if !key.Matches(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("j")}, km.List.Down) {
			t.Errorf("%q: a rejected config changed bindings", bad)
		}
	}
	km := DefaultKeyMap()
	if err := km.Apply(map[string][]string{"list.down": {" "}}); err != nil {
		t.Errorf("a space: %v", err)
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

// TestEveryBindingCanBeRebound walks the KeyMap: a binding missing from
// actions could not be changed from the config file.
func TestEveryBindingCanBeRebound(t *testing.T) {
	km := DefaultKeyMap()
	named := map[*key.Binding]bool{}
	for _, b := range km.actions() {
		named[b] = true
	}
	var walk func(v reflect.Value, path string)
	walk = func(v reflect.Value, path string) {
		for i := range v.NumField() {
			f, name := v.Field(i), path+"."+v.Type().Field(i).Name
			if b, ok := f.Addr().Interface().(*key.Binding); ok {
				if !named[b] {
					t.Errorf("%s has no action name", name)
				}
				continue
			}
			walk(f, name)
		}
	}
	walk(reflect.ValueOf(&km).Elem(), "KeyMap")
}

// TestNoClashes checks that no key does two things on one screen: the root's
// keys plus each component's (esc is both back and, with a filter, clear
// filter on purpose; on the composer and forward screens the root leaves
// q and esc to the component).
func TestNoClashes(t *testing.T) {
	km := DefaultKeyMap()
	g, mk := km.Global, km.Mail
	root := []key.Binding{g.Quit, g.Back, g.Help, g.Errors, g.Suspend}
	screens := map[string][]key.Binding{
		"list": append([]key.Binding{g.NextBox, g.PrevBox, g.Refresh, g.Audit, mk.Reply, mk.ReplyAll, mk.Forward,
			km.List.Up, km.List.Down, km.List.Top, km.List.Bottom, km.List.HalfUp, km.List.HalfDown, km.List.PageUp,
			km.List.PageDown, km.List.Open, km.List.Mark, km.List.MarkAll, km.List.Unmark, km.List.Sort, km.List.Reverse,
			km.List.Filter, km.List.NextMatch, km.List.PrevMatch, km.List.Threads, km.List.Fold, km.List.FoldAll,
			km.List.SaveMarked}, root...),
		"viewer": append([]key.Binding{g.Audit, mk.Reply, mk.ReplyAll, mk.Forward,
			km.Viewer.Up, km.Viewer.Down, km.Viewer.Top, km.Viewer.Bottom, km.Viewer.HalfUp, km.Viewer.HalfDown,
			km.Viewer.PageUp, km.Viewer.PageDown, km.Viewer.Next, km.Viewer.Prev, km.Viewer.Headers, km.Viewer.Raw,
			km.Viewer.Parts, km.Viewer.Save, km.Viewer.Open, km.Viewer.CopyKey, km.Viewer.CopyID,
			km.Viewer.Search, km.Viewer.NextMatch, km.Viewer.PrevMatch, km.Viewer.Links, km.Viewer.OpenHTML,
			km.Viewer.Pipe, km.Viewer.Select}, root...),
		"viewer links": append([]key.Binding{km.Viewer.Up, km.Viewer.Down, km.Viewer.Select, km.Viewer.CopyLink,
			km.Viewer.CopyID, km.Viewer.Links, km.Viewer.Search, km.Viewer.NextMatch, km.Viewer.PrevMatch}, root...),
		"viewer prompt": {km.Prompt.Accept, km.Prompt.Cancel, km.Prompt.Older, km.Prompt.Newer, km.Viewer.PipeMode},
		"compose review": {g.Quit, g.Help, g.Errors, km.Compose.Send, km.Compose.Edit, km.Compose.Attach,
			km.Compose.Discard, km.Compose.Postpone, km.Compose.Up, km.Compose.Down, km.Compose.PageUp, km.Compose.PageDown},
		"compose quit question": {g.Quit, km.Compose.QuitPostpone, km.Compose.QuitDiscard, km.Compose.QuitStay},
		"drafts": append([]key.Binding{km.Drafts.Up, km.Drafts.Down, km.Drafts.Top, km.Drafts.Bottom,
			km.Drafts.Resume, km.Drafts.Delete}, root...),
		"forward results": {g.Quit, g.Help, g.Errors, km.Forward.Up, km.Forward.Down, km.Forward.Top,
			km.Forward.Bottom, km.Forward.MarkFailed, km.Forward.Close},
		"audit": append([]key.Binding{km.Audit.Up, km.Audit.Down, km.Audit.PageUp, km.Audit.PageDown, km.Audit.Top,
			km.Audit.Bottom, km.Audit.Verify, km.Audit.Stop, km.Audit.Posture}, root...),
	}
	for name, binds := range screens {
		seen := map[string]string{}
		for _, b := range binds {
			for _, k := range b.Keys() {
				if prev, ok := seen[k]; ok {
					t.Errorf("%s: %q is both %q and %q", name, k, prev, b.Help().Desc)
				}
				seen[k] = b.Help().Desc
			}
		}
	}
}
