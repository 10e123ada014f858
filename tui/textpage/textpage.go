// Package textpage is a page of text that scrolls: the help (?) and the
// error history (E). Its text is rendered for the page's width, so the help
// reflows on a resize, and it scrolls when it does not fit.
package textpage

import (
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/sesbox/sesbox/tui/common"
)

// Model is a scrolling page of text.
type Model struct {
	c      common.Common
	kind   common.Kind
	title  string
	render func(width int) string
	vp     viewport.Model
}

var _ common.Page = (*Model)(nil)

// New returns the page kind titled title, whose text render draws for a
// width.
func New(c common.Common, kind common.Kind, title string, render func(width int) string) *Model {
	k := c.Keys.Viewer
	vp := viewport.New(0, 0)
	vp.KeyMap = viewport.KeyMap{
		PageDown: k.PageDown, PageUp: k.PageUp,
		HalfPageDown: k.HalfDown, HalfPageUp: k.HalfUp,
		Down: k.Down, Up: k.Up,
		Left: key.NewBinding(key.WithDisabled()), Right: key.NewBinding(key.WithDisabled()),
	}
	vp.MouseWheelEnabled = true
	return &Model{c: c, kind: kind, title: title, render: render, vp: vp}
}

// Kind names the page.
func (m *Model) Kind() common.Kind { return m.kind }

// SetSize renders the text for the new width.
func (m *Model) SetSize(w, h int) {
	m.vp.Width, m.vp.Height = max(w, 0), max(h, 0)
	m.vp.SetContent(m.render(max(w, 1)))
}

// Update scrolls.
func (m *Model) Update(msg tea.Msg) (common.Page, tea.Cmd) {
	k := m.c.Keys.Viewer
	if km, ok := msg.(tea.KeyMsg); ok {
		switch {
		case key.Matches(km, k.Top):
			m.vp.GotoTop()
			return m, nil
		case key.Matches(km, k.Bottom):
			m.vp.GotoBottom()
			return m, nil
		}
	}
	var cmd tea.Cmd
	m.vp, cmd = m.vp.Update(msg)
	return m, cmd
}

// View is the visible part of the text, with a scroll mark in the last
// line's corner when there is more.
func (m *Model) View() string { return m.vp.View() }

// Scrollable reports whether the text does not fit.
func (m *Model) Scrollable() bool { return m.vp.TotalLineCount() > m.vp.Height }

func (m *Model) Capturing() bool { return false }
func (m *Model) Title() string   { return m.title }

// ShortHelp is the scroll keys when the text does not fit.
func (m *Model) ShortHelp() []key.Binding {
	if !m.Scrollable() {
		return nil
	}
	k := m.c.Keys.Viewer
	return []key.Binding{k.Down, k.Up, k.PageDown}
}

func (m *Model) FullHelp() [][]key.Binding { return [][]key.Binding{m.ShortHelp()} }
