package compose

import "github.com/charmbracelet/bubbles/key"

// KeyMap are the composer's keys. They live here until the root's
// tui/keys takes them over (so they can be rebound from the config file).
type KeyMap struct {
	// The review screen.
	Send, Edit, Attach, Discard, Postpone key.Binding
	Up, Down, PageUp, PageDown            key.Binding
	// Done leaves the built-in editor for the review screen.
	Done key.Binding
	// Confirm answers "discard?"; Accept and Cancel end the path prompt.
	Confirm, Accept, Cancel key.Binding
}

// DefaultKeyMap returns the default keys.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Send:     key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "send")),
		Edit:     key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "edit")),
		Attach:   key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "attach")),
		Discard:  key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "discard")),
		Postpone: key.NewBinding(key.WithKeys("p", "esc"), key.WithHelp("p/esc", "postpone")),
		Up:       key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("k/↑", "up")),
		Down:     key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("j/↓", "down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "b"), key.WithHelp("b", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", " ", "f"), key.WithHelp("space", "page down")),
		Done:     key.NewBinding(key.WithKeys("ctrl+s", "esc"), key.WithHelp("ctrl+s/esc", "done editing")),
		Confirm:  key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "yes, discard")),
		Accept:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "attach")),
		Cancel:   key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
	}
}
