package tui

import (
	"fmt"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"

	"github.com/sesbox/sesbox/mailstore/sanitize"
	"github.com/sesbox/sesbox/tui/common"
	"github.com/sesbox/sesbox/tui/tab"
	"github.com/sesbox/sesbox/tui/viewer"
)

// View lays out switcher, body, status line (or the `:` line) and key
// hints, each line exactly the terminal's width.
func (m Model) View() string {
	if m.c.Width <= 0 || m.c.Height <= 0 {
		return ""
	}
	if m.tooSmall() {
		// One line, then blank ones: the terminal keeps its size promise.
		msg := fmt.Sprintf("too small: %dx%d, needs %dx%d (q quits)", m.c.Width, m.c.Height, MinWidth, MinHeight)
		return common.Fit(msg, m.c.Width) + strings.Repeat("\n"+strings.Repeat(" ", m.c.Width), m.c.Height-1)
	}
	body := m.shown().View()
	body = m.c.Styles.Renderer.NewStyle().Height(m.bodyHeight()).MaxHeight(m.bodyHeight()).Render(common.Clip(body, m.c.Width, m.bodyHeight()))
	status := m.statusLine()
	if m.cmd != nil {
		status = m.cmd.View()
	}
	lines := strings.Split(strings.Join([]string{tab.Bar(m.c, m.tabs, m.active), body, status, m.c.Hints(m.activeKeys().Short)}, "\n"), "\n")
	for i, l := range lines {
		lines[i] = common.Terminal(l)
	}
	return strings.Join(lines, "\n")
}

// statusLine shows, from the left: the last error or notice if there is
// one, else what the page shows; on the right the index progress while a
// refresh runs, or a background page's news.
func (m Model) statusLine() string {
	st := m.c.Styles
	t := m.cur()
	right := t.Progress(m.c.Width)
	for _, p := range m.st.Pages() {
		if b, ok := p.(common.Backgrounded); ok && right == "" && b.Status() != "" && p != m.shown() {
			right = st.StatusKey.Render(" " + b.Status() + " ")
		}
	}
	left := " " + t.Summary()
	switch k := m.top(); k {
	case "":
	case viewer.Kind:
		left = " " + t.Where() + "  viewing " + sanitize.Line(m.viewer.Viewer().Key())
	default:
		left = " " + t.Where() + "  " + m.shown().Title()
	}
	style := st.Status
	switch {
	case m.showErr && len(m.errs) > 0:
		left = " error: " + m.errs[len(m.errs)-1].Text + "  (E: history)"
		style = st.StatusError
	case m.notice != "":
		left = " " + sanitize.Line(m.notice)
	}
	if lipgloss.Width(right) > m.c.Width/2 {
		right = "" // the news matters more than the bar on a narrow terminal
	}
	w := m.c.Width - lipgloss.Width(right)
	return style.Render(common.Fit(left, max(w, 0))) + right
}

// activeKeys are the shown page's keys joined with the global keys.
func (m Model) activeKeys() common.KeyMap {
	g := m.c.Keys.Global
	p := m.shown()
	top := m.top()
	back := g.Back
	if top == "" {
		back.SetHelp(back.Help().Key, "quit")
	} else {
		back.SetHelp(back.Help().Key, "back")
	}
	if m.cmd != nil {
		return common.KeyMap{Short: m.cmd.ShortHelp()}
	}
	if top == helpKind || top == errorsKind {
		return common.KeyMap{Short: append([]key.Binding{back}, p.ShortHelp()...)}
	}
	// A modal page is left by its own keys.
	lead := []key.Binding{g.Help, back}
	if _, modal := p.(common.Modal); modal {
		lead = lead[:1]
	}
	short := p.ShortHelp()
	if !p.Capturing() {
		short = append(slices.Clone(lead), short...)
	}
	globals := append(slices.Clone(lead), g.Errors, g.Command, g.Redraw, g.Quit)
	full := p.FullHelp()
	if top == "" || top == viewer.Kind {
		var row []key.Binding
		for _, k := range m.mailKeys() {
			row = append(row, k.b)
		}
		full = append(full, row)
	}
	if top == "" {
		globals = append(globals, g.NextBox, g.PrevBox, g.Refresh)
	}
	return common.KeyMap{Short: short, Full: append(full, globals)}
}
