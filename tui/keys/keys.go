// Package keys holds the KeyMaps of the TUI: every key the TUI reacts to is a
// key.Binding here, with its help text, so help is generated (never drawn by
// hand) and every binding can be changed from the config file.
package keys

import (
	"fmt"
	"sort"
	"strings"

	"github.com/charmbracelet/bubbles/key"
)

// Global are the keys the root handles on every screen.
type Global struct {
	Quit    key.Binding // always quits
	Back    key.Binding // leaves a sub-screen; quits from the list
	Help    key.Binding
	NextBox key.Binding
	PrevBox key.Binding
	Errors  key.Binding
	Refresh key.Binding
}

// List are the message list's keys.
type List struct {
	Up, Down         key.Binding
	Top, Bottom      key.Binding
	HalfUp, HalfDown key.Binding
	PageUp, PageDown key.Binding
	Open             key.Binding
	Mark, MarkAll    key.Binding
	Unmark           key.Binding
	Sort, Reverse    key.Binding
	Filter           key.Binding
	NextMatch        key.Binding
	PrevMatch        key.Binding
	ClearFilter      key.Binding
	Threads          key.Binding
	Fold, FoldAll    key.Binding
	SaveMarked       key.Binding
}

// Viewer are the message viewer's keys.
type Viewer struct {
	Up, Down         key.Binding
	Top, Bottom      key.Binding
	HalfUp, HalfDown key.Binding
	PageUp, PageDown key.Binding
	Next, Prev       key.Binding
	Headers          key.Binding
	Raw              key.Binding
	Parts            key.Binding
	Save             key.Binding
	Open             key.Binding
	CopyKey          key.Binding
	CopyID           key.Binding
}

// Prompt are the keys of a one-line input (filter, directory prompt).
type Prompt struct {
	Accept key.Binding
	Cancel key.Binding
}

// KeyMap is all of them.
type KeyMap struct {
	Global Global
	List   List
	Viewer Viewer
	Prompt Prompt
}

func b(help string, keys ...string) key.Binding {
	return key.NewBinding(key.WithKeys(keys...), key.WithHelp(label(keys), help))
}

// label renders keys for help the way a user types them.
func label(keys []string) string {
	out := make([]string, len(keys))
	for i, k := range keys {
		switch k {
		case " ":
			k = "space"
		case "up":
			k = "↑"
		case "down":
			k = "↓"
		}
		out[i] = k
	}
	return strings.Join(out, "/")
}

// DefaultKeyMap returns the aerc/neomutt-flavoured defaults.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Global: Global{
			Quit:    b("quit", "ctrl+c"),
			Back:    b("back/quit", "q", "esc"),
			Help:    b("help", "?"),
			NextBox: b("next mailbox", "tab"),
			PrevBox: b("prev mailbox", "shift+tab"),
			Errors:  b("error history", "E"),
			Refresh: b("re-index", "ctrl+r"),
		},
		List: List{
			Up:          b("up", "k", "up"),
			Down:        b("down", "j", "down"),
			Top:         b("first", "g", "home"),
			Bottom:      b("last", "G", "end"),
			HalfUp:      b("half page up", "ctrl+u"),
			HalfDown:    b("half page down", "ctrl+d"),
			PageUp:      b("page up", "pgup", "ctrl+b"),
			PageDown:    b("page down", "pgdown", "ctrl+f"),
			Open:        b("open", "enter"),
			Mark:        b("mark", " "),
			MarkAll:     b("mark all shown", "V", "*"),
			Unmark:      b("unmark all", "u"),
			Sort:        b("sort by", "o"),
			Reverse:     b("reverse sort", "O"),
			Filter:      b("filter", "/"),
			NextMatch:   b("next match", "n"),
			PrevMatch:   b("prev match", "N"),
			ClearFilter: b("clear filter", "esc"),
			Threads:     b("threads", "T"),
			Fold:        b("fold thread", "z"),
			FoldAll:     b("fold all", "Z"),
			SaveMarked:  b("save marked", "s"),
		},
		Viewer: Viewer{
			Up:       b("up", "k", "up"),
			Down:     b("down", "j", "down"),
			Top:      b("top", "g", "home"),
			Bottom:   b("bottom", "G", "end"),
			HalfUp:   b("half page up", "ctrl+u"),
			HalfDown: b("half page down", "ctrl+d"),
			PageUp:   b("page up", "pgup", "b"),
			PageDown: b("page down", "pgdown", " "),
			Next:     b("next message", "J"),
			Prev:     b("prev message", "K"),
			Headers:  b("full headers", "h"),
			Raw:      b("raw source", "r"),
			Parts:    b("parts", "p"),
			Save:     b("save attachments", "s"),
			Open:     b("open attachment", "o"),
			CopyKey:  b("copy S3 key", "y"),
			CopyID:   b("copy Message-ID", "Y"),
		},
		Prompt: Prompt{
			Accept: b("accept", "enter"),
			Cancel: b("cancel", "esc"),
		},
	}
}

// actions names every binding for the config file: "list.down",
// "viewer.save", "global.quit", ...
func (k *KeyMap) actions() map[string]*key.Binding {
	return map[string]*key.Binding{
		"global.quit":         &k.Global.Quit,
		"global.back":         &k.Global.Back,
		"global.help":         &k.Global.Help,
		"global.next-mailbox": &k.Global.NextBox,
		"global.prev-mailbox": &k.Global.PrevBox,
		"global.errors":       &k.Global.Errors,
		"global.refresh":      &k.Global.Refresh,

		"list.up":           &k.List.Up,
		"list.down":         &k.List.Down,
		"list.top":          &k.List.Top,
		"list.bottom":       &k.List.Bottom,
		"list.half-up":      &k.List.HalfUp,
		"list.half-down":    &k.List.HalfDown,
		"list.page-up":      &k.List.PageUp,
		"list.page-down":    &k.List.PageDown,
		"list.open":         &k.List.Open,
		"list.mark":         &k.List.Mark,
		"list.mark-all":     &k.List.MarkAll,
		"list.unmark":       &k.List.Unmark,
		"list.sort":         &k.List.Sort,
		"list.reverse":      &k.List.Reverse,
		"list.filter":       &k.List.Filter,
		"list.next-match":   &k.List.NextMatch,
		"list.prev-match":   &k.List.PrevMatch,
		"list.clear-filter": &k.List.ClearFilter,
		"list.threads":      &k.List.Threads,
		"list.fold":         &k.List.Fold,
		"list.fold-all":     &k.List.FoldAll,
		"list.save-marked":  &k.List.SaveMarked,

		"viewer.up":        &k.Viewer.Up,
		"viewer.down":      &k.Viewer.Down,
		"viewer.top":       &k.Viewer.Top,
		"viewer.bottom":    &k.Viewer.Bottom,
		"viewer.half-up":   &k.Viewer.HalfUp,
		"viewer.half-down": &k.Viewer.HalfDown,
		"viewer.page-up":   &k.Viewer.PageUp,
		"viewer.page-down": &k.Viewer.PageDown,
		"viewer.next":      &k.Viewer.Next,
		"viewer.prev":      &k.Viewer.Prev,
		"viewer.headers":   &k.Viewer.Headers,
		"viewer.raw":       &k.Viewer.Raw,
		"viewer.parts":     &k.Viewer.Parts,
		"viewer.save":      &k.Viewer.Save,
		"viewer.open":      &k.Viewer.Open,
		"viewer.copy-key":  &k.Viewer.CopyKey,
		"viewer.copy-id":   &k.Viewer.CopyID,

		"prompt.accept": &k.Prompt.Accept,
		"prompt.cancel": &k.Prompt.Cancel,
	}
}

// Actions lists the action names the config file may rebind, sorted.
func Actions() []string {
	km := DefaultKeyMap()
	var out []string
	for name := range km.actions() {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// Apply rebinds actions from the config file: each action name maps to the
// keys that trigger it (bubbletea key names: "j", "ctrl+d", "shift+tab",
// "space" or " "). An empty list unbinds the action. Unknown action names
// are an error, so a typo in the config does not pass silently; nothing is
// changed then.
func (k *KeyMap) Apply(overrides map[string][]string) error {
	acts := k.actions()
	var unknown []string
	for name := range overrides {
		if _, ok := acts[name]; !ok {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("unknown key action(s) %s (known: %s)",
			strings.Join(unknown, ", "), strings.Join(Actions(), ", "))
	}
	for name, keys := range overrides {
		bind := acts[name]
		if len(keys) == 0 {
			bind.Unbind()
			continue
		}
		ks := make([]string, len(keys))
		for i, s := range keys {
			if s == "space" {
				s = " "
			}
			ks[i] = s
		}
		bind.SetKeys(ks...)
		bind.SetHelp(label(ks), bind.Help().Desc)
	}
	return nil
}
