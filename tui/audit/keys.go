package audit

import "github.com/charmbracelet/bubbles/key"

// KeyMap are the audit view's keys. They live here until the root's
// tui/keys takes them over (so they can be rebound from the config file).
// It implements help.KeyMap.
type KeyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	// Verify starts a verify against the manifest (asking for its path
	// when none was given); Stop cancels a running one.
	Verify, Stop key.Binding
	// Posture reads the bucket's settings again.
	Posture key.Binding
	// Accept and Cancel end the manifest path prompt.
	Accept, Cancel key.Binding
}

// DefaultKeyMap returns the default keys.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:       key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("k/↑", "up")),
		Down:     key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("j/↓", "down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+b", "b"), key.WithHelp("b", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+f", " "), key.WithHelp("space", "page down")),
		Top:      key.NewBinding(key.WithKeys("g", "home"), key.WithHelp("g", "top")),
		Bottom:   key.NewBinding(key.WithKeys("G", "end"), key.WithHelp("G", "bottom")),
		Verify:   key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "verify against manifest")),
		Stop:     key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "stop verify")),
		Posture:  key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "re-read posture")),
		Accept:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "verify")),
		Cancel:   key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
	}
}

// ShortHelp implements help.KeyMap.
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Verify, k.Stop, k.Posture, k.Down, k.Up}
}

// FullHelp implements help.KeyMap.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Down, k.Up, k.PageDown, k.PageUp, k.Top, k.Bottom},
		{k.Verify, k.Stop, k.Posture},
	}
}
