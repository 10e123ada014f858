package tui

import (
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/key"

	"github.com/sesbox/sesbox/mailstore/sanitize"
	"github.com/sesbox/sesbox/tui/common"
	"github.com/sesbox/sesbox/tui/keys"
	"github.com/sesbox/sesbox/tui/tab"
	"github.com/sesbox/sesbox/tui/viewer"
)

// View lays out switcher, body, status line (or the `:` line) and key
// hints, each line exactly the terminal's width.
func (m Model) View() string {
	if m.c.Width <= 0 || m.c.Height <= 0 || m.quitting {
		return ""
	}
	if m.tooSmall() {
		return m.c.ForTerminal(common.TooSmallView(m.c.Width, m.c.Height))
	}
	body := m.shown().View()
	body = m.c.Styles.Renderer.NewStyle().Height(m.bodyHeight()).MaxHeight(m.bodyHeight()).Render(common.Clip(body, m.c.Width, m.bodyHeight()))
	status := m.statusLine()
	if m.cmd != nil {
		status = m.cmd.View()
	}
	return m.c.ForTerminal(strings.Join([]string{tab.Bar(m.c, m.tabs, m.active), body, status, m.c.Hints(m.activeKeys().Short)}, "\n"))
}

// statusLine is the active mailbox's (tab.StatusLine), with what is shown
// over its list, the last error until a key, and the news.
func (m Model) statusLine() string {
	over := ""
	switch k := m.top(); k {
	case "":
	case viewer.Kind:
		over = "viewing " + sanitize.Line(m.viewer.Viewer().Key())
	default:
		over = m.shown().Title()
	}
	errText := ""
	if m.showErr && len(m.errs) > 0 {
		errText = m.errs[len(m.errs)-1].Text
	}
	return m.cur().StatusLine(over, m.st.News(m.shown()), errText, m.notice)
}

// activeKeys are the shown page's keys joined with the global keys.
func (m Model) activeKeys() common.KeyMap {
	g := m.c.Keys.Global
	p := m.shown()
	top := m.top()
	back := g.Back
	if top == "" {
		// The clear-filter key (esc) quits nothing here (tab.Back).
		back = keys.Without(back, m.c.Keys.List.ClearFilter)
		back.SetHelp(back.Help().Key, "quit")
	} else {
		back.SetHelp(back.Help().Key, "back")
	}
	if m.cmd != nil {
		return common.KeyMap{Short: m.cmd.ShortHelp()}
	}
	if top == helpKind || top == errorsKind || top == notesKind {
		return common.KeyMap{Short: append([]key.Binding{back}, p.ShortHelp()...)}
	}
	// A modal page is left by its own keys.
	lead := []key.Binding{g.Help, back}
	clearing := m.cur().List().Clearing()
	if top == viewer.Kind {
		clearing = m.viewer.Viewer().Clearing()
	}
	switch {
	case top == "" && clearing.Enabled():
		lead = []key.Binding{g.Help, clearing, back}
	case top == viewer.Kind && clearing.Enabled():
		lead = []key.Binding{g.Help, clearing, keys.Without(back, clearing)}
	}
	_, modal := p.(common.Modal)
	if modal {
		lead = lead[:1]
	}
	short := p.ShortHelp()
	if !p.Capturing() {
		short = append(slices.Clone(lead), short...)
	}
	globals := append(slices.Clone(lead), g.Errors, g.Command, g.Redraw, g.Suspend, g.QuitNow, g.Quit)
	if modal {
		// Its keys are its own, : too (updateKey): the forward
		// screen's and the composer's help listed ": command line",
		// which did nothing there.
		globals = slices.DeleteFunc(globals, func(b key.Binding) bool { return slices.Equal(b.Keys(), g.Command.Keys()) })
	}
	full := p.FullHelp()
	if top == "" || top == viewer.Kind {
		full = append(full, m.mailKeys())
	}
	if top == "" {
		globals = append(globals, g.NextBox, g.PrevBox, g.Refresh)
	}
	return common.KeyMap{Short: short, Full: append(full, globals)}
}
