package common

import (
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"
)

// KeyMap is a help.KeyMap of bindings put together by hand (a page's joined
// with the global keys).
type KeyMap struct {
	Short []key.Binding
	Full  [][]key.Binding
}

func (k KeyMap) ShortHelp() []key.Binding  { return k.Short }
func (k KeyMap) FullHelp() [][]key.Binding { return k.Full }

// Hints is the one-line key help of keys, exactly c.Width wide.
func (c Common) Hints(keys []key.Binding) string {
	h := help.New()
	h.Styles = c.Styles.Help
	h.Width = c.Width - 1
	line := " " + h.ShortHelpView(keys)
	// help's own cut lets the last item overflow when "…" does not fit.
	if lipgloss.Width(line) > c.Width {
		line = Truncate(line, c.Width)
	}
	return line + strings.Repeat(" ", max(0, c.Width-lipgloss.Width(line)))
}
