package tui

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"

	"github.com/sesbox/sesbox/mailstore/query"
	"github.com/sesbox/sesbox/mailstore/sanitize"
	"github.com/sesbox/sesbox/tui/common"
)

// View lays out switcher, body, status line and key hints.
func (m Model) View() string {
	if m.c.Width <= 0 || m.c.Height <= 0 {
		return ""
	}
	if m.tooSmall() {
		return m.tooSmallView()
	}
	var body string
	switch m.screen {
	case screenList:
		body = m.tabs[m.active].list.View()
	case screenViewer:
		body = m.viewer.View()
	case screenCompose:
		body = m.composing.m.View()
	case screenForward:
		body = m.forwarding.m.View()
	case screenAudit:
		body = m.auditing.m.View()
	case screenHelp:
		body = m.helpView()
	case screenErrors:
		body = m.errorsView()
	}
	body = m.c.Styles.Renderer.NewStyle().Height(m.bodyHeight()).MaxHeight(m.bodyHeight()).Render(body)
	return strings.Join([]string{m.tabBar(), body, m.statusLine(), m.hints()}, "\n")
}

func (m Model) tooSmallView() string {
	st := m.c.Styles
	msg := fmt.Sprintf("terminal too small: %dx%d\nsesbox needs at least %dx%d\n\nq quits", m.c.Width, m.c.Height, MinWidth, MinHeight)
	return st.Renderer.Place(m.c.Width, m.c.Height, lipgloss.Center, lipgloss.Center, st.Warning.Render(msg))
}

func itoa(n int) string { return strconv.Itoa(n) }

// thousands renders 12345 as 12,345.
func thousands(n int) string {
	s := strconv.Itoa(n)
	if len(s) <= 3 {
		return s
	}
	var b strings.Builder
	pre := len(s) % 3
	if pre > 0 {
		b.WriteString(s[:pre])
	}
	for i := pre; i < len(s); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}

// tabBar is the mailbox switcher: every mailbox with its message count and
// unread count; "…" while it is being indexed.
func (m Model) tabBar() string {
	st := m.c.Styles
	var parts []string
	for i, t := range m.tabs {
		c := t.list.Counts()
		label := sanitize.Line(t.Name) + " " + thousands(c.Total)
		if c.Unread > 0 {
			label += " (" + thousands(c.Unread) + " new)"
		}
		if t.refreshing || !t.loaded {
			label += " …"
		}
		if i == m.active {
			parts = append(parts, st.TabActive.Render(label))
		} else {
			parts = append(parts, st.Tab.Render(label))
		}
	}
	line := strings.Join(parts, st.TabBar.Render(" "))
	if lipgloss.Width(line) > m.c.Width {
		line = common.Truncate(line, m.c.Width)
	}
	return line + st.TabBar.Render(strings.Repeat(" ", max(0, m.c.Width-lipgloss.Width(line))))
}

// statusLine shows, from the left: the last error or notice if there is
// one, else the mailbox, shown/total, marks, filter and sort; on the right
// the index progress while a refresh runs.
func (m Model) statusLine() string {
	st := m.c.Styles
	t := m.tabs[m.active]
	right := ""
	switch {
	case t.refreshing:
		right = m.progressView(t)
	case m.auditing.on && m.auditing.m.Running() && m.screen != screenAudit:
		right = st.StatusKey.Render(" audit: verifying… ")
	}
	var left string
	style := st.Status
	switch {
	case m.showErr && len(m.errs) > 0:
		left = " error: " + m.errs[len(m.errs)-1].text + "  (E: history)"
		style = st.StatusError
	case m.notice != "":
		left = " " + sanitize.Line(m.notice)
	default:
		left = " " + m.summaryText(t)
	}
	w := m.c.Width - lipgloss.Width(right)
	return style.Render(common.Fit(left, max(w, 0))) + right
}

func (m Model) summaryText(t tab) string {
	c := t.list.Counts()
	parts := []string{sanitize.Line(t.Mailbox.Location().String())}
	parts = append(parts, thousands(c.Shown)+"/"+thousands(c.Total))
	if c.Marked > 0 {
		parts = append(parts, thousands(c.Marked)+" marked")
	}
	if f, err := t.list.Filter(); f != "" {
		s := "filter: " + sanitize.Line(f)
		if err != nil {
			s += " (incomplete)"
		}
		parts = append(parts, s)
	}
	by, rev := t.list.Sort()
	parts = append(parts, "sort: "+sortText(by, rev))
	if t.list.Threaded() {
		parts = append(parts, "threads")
	}
	switch m.screen {
	case screenViewer:
		parts = append(parts[:1], "viewing "+sanitize.Line(m.viewer.Key()))
	case screenCompose, screenForward, screenAudit:
		parts = append(parts[:1], screenTitles[m.screen])
	}
	return strings.Join(parts, "  ")
}

func sortText(by query.SortField, rev bool) string {
	dir := map[query.SortField][2]string{
		query.ByDate:    {"newest first", "oldest first"},
		query.ByFrom:    {"A-Z", "Z-A"},
		query.BySubject: {"A-Z", "Z-A"},
		query.BySize:    {"largest first", "smallest first"},
	}[by]
	d := dir[0]
	if rev {
		d = dir[1]
	}
	return string(by) + " (" + d + ")"
}

// progressView is the index progress: "listing 1,234" until the listing
// knows what to fetch, then a bar with fetched/to-fetch and the rate.
func (m Model) progressView(t tab) string {
	st := m.c.Styles
	p := t.progress
	if p.ToFetch == 0 {
		return st.StatusKey.Render(" indexing: listed " + thousands(p.Listed) + " ")
	}
	frac := float64(p.Fetched) / float64(p.ToFetch)
	text := " " + thousands(p.Fetched) + "/" + thousands(p.ToFetch)
	if r := p.Rate(m.c.Now()); r > 0 {
		text += fmt.Sprintf(" %.0f/s", r)
	}
	return st.StatusKey.Render(" indexing ") + m.bar.ViewAs(frac) + st.StatusKey.Render(text+" ")
}

// keyMap is the active screen's help.KeyMap joined with the global keys.
type keyMap struct {
	short []key.Binding
	full  [][]key.Binding
}

func (k keyMap) ShortHelp() []key.Binding  { return k.short }
func (k keyMap) FullHelp() [][]key.Binding { return k.full }

// screenTitles name the screens in the help and on the status line.
var screenTitles = map[screen]string{
	screenList:    "message list",
	screenViewer:  "message viewer",
	screenCompose: "reply",
	screenForward: "re-forward",
	screenAudit:   "audit",
}

func (m Model) activeKeys() keyMap {
	g := m.c.Keys.Global
	var comp help.KeyMap
	switch m.screen {
	case screenHelp, screenErrors:
		back := g.Back
		back.SetHelp(back.Help().Key, "back")
		return keyMap{short: []key.Binding{back}}
	case screenViewer:
		comp = m.viewer
	case screenCompose:
		comp = m.composing.m
	case screenForward:
		comp = m.forwarding.m
	case screenAudit:
		comp = m.auditing.m
	default:
		comp = m.tabs[m.active].list
	}
	short := comp.ShortHelp()
	back := g.Back
	if m.screen == screenList {
		back.SetHelp(back.Help().Key, "quit")
	} else {
		back.SetHelp(back.Help().Key, "back")
	}
	// The composer and the forward screen are left by their own keys.
	lead := []key.Binding{g.Help, back}
	if m.screen == screenCompose || m.screen == screenForward {
		lead = lead[:1]
	}
	if !m.capturing() {
		short = append(slices.Clone(lead), short...)
	}
	globals := append(slices.Clone(lead), g.Errors, g.Quit)
	full := comp.FullHelp()
	if m.screen == screenList || m.screen == screenViewer {
		mk := m.c.Keys.Mail
		full = append(full, []key.Binding{mk.Reply, mk.ReplyAll, mk.Forward, g.Audit})
	}
	if m.screen == screenList {
		globals = append(globals, g.NextBox, g.PrevBox, g.Refresh)
	}
	return keyMap{short: short, full: append(full, globals)}
}

// hints is the one-line key help of the active screen.
func (m Model) hints() string {
	h := m.help
	h.Width = m.c.Width - 1
	line := " " + h.ShortHelpView(m.activeKeys().ShortHelp())
	// help's own cut lets the last item overflow when "…" does not fit.
	if lipgloss.Width(line) > m.c.Width {
		line = common.Truncate(line, m.c.Width)
	}
	return line + strings.Repeat(" ", max(0, m.c.Width-lipgloss.Width(line)))
}

// helpView is the full help of the screen under it, generated from its
// KeyMap: the groups flow left to right and wrap, so none is dropped on a
// narrow terminal. The list's help adds the query syntax.
func (m Model) helpView() string {
	st := m.c.Styles
	km := m.activeKeys()
	if m.screen == screenHelp {
		// activeKeys answers for the overlay; ask as the screen under it.
		under := m
		under.screen = m.under
		km = under.activeKeys()
	}
	var rows []string
	var row []string
	width := 0
	for _, group := range km.FullHelp() {
		col := m.help.FullHelpView([][]key.Binding{group})
		w := lipgloss.Width(col) + 4
		if width+w > m.c.Width && len(row) > 0 {
			rows = append(rows, lipgloss.JoinHorizontal(lipgloss.Top, row...))
			row, width = nil, 0
		}
		row = append(row, m.c.Styles.Renderer.NewStyle().PaddingRight(4).Render(col))
		width += w
	}
	if len(row) > 0 {
		rows = append(rows, lipgloss.JoinHorizontal(lipgloss.Top, row...))
	}
	out := st.Accent.Render(" Keys: "+screenTitles[m.under]) + "\n\n" + indent(strings.Join(rows, "\n\n"), 1)
	if m.under == screenList {
		out += "\n\n" + st.Accent.Render(" Filter (/) syntax, as in sesbox ls --query:") + "\n" + st.Dim.Render(indent(query.Help, 1))
	}
	return clip(out, m.c.Width, m.bodyHeight())
}

func (m Model) errorsView() string {
	st := m.c.Styles
	var b strings.Builder
	b.WriteString(st.Accent.Render(" Errors, newest first") + "\n\n")
	if len(m.errs) == 0 {
		b.WriteString(st.Dim.Render(" no errors"))
	}
	for i := len(m.errs) - 1; i >= 0; i-- {
		e := m.errs[i]
		line := e.at.In(m.loc()).Format("15:04:05") + "  " + e.text
		b.WriteString(st.Warning.Render(indent(common.Wrap(line, m.c.Width-2), 1)) + "\n")
	}
	return clip(b.String(), m.c.Width, m.bodyHeight())
}

func (m Model) loc() *time.Location {
	if m.c.Loc != nil {
		return m.c.Loc
	}
	return time.Local
}

func indent(s string, n int) string {
	pad := strings.Repeat(" ", n)
	return pad + strings.ReplaceAll(s, "\n", "\n"+pad)
}

// clip cuts s to h lines of at most w cells.
func clip(s string, w, h int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		if lipgloss.Width(l) > w {
			lines[i] = common.Truncate(l, w)
		}
	}
	return strings.Join(lines, "\n")
}
