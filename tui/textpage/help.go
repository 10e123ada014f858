package textpage

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"

	"github.com/sesbox/sesbox/tui/common"
)

// Section is a table of text under a title on the help page (see
// common.HelpSection).
type Section = common.HelpSection

// NewHelp is the help page of a page titled title: its keys, generated
// from km (the groups flow left to right and wrap, so none is dropped on
// a narrow terminal), then the sections.
func NewHelp(c common.Common, kind common.Kind, title string, km help.KeyMap, sections ...Section) *Model {
	return New(c, kind, "help: "+title, func(width int) string {
		st := c.Styles
		h := help.New()
		h.Styles = st.Help
		// The gap goes before a column, not after: padding after the
		// last one of a row made it wider than the screen, and the clip
		// below ended its lines in "…" though nothing was cut. The row
		// has width-1 cells, after the indent.
		const gap = 4
		var rows, row []string
		used := 0
		for _, group := range km.FullHelp() {
			col := h.FullHelpView([][]key.Binding{group})
			w := lipgloss.Width(col)
			if len(row) > 0 && used+gap+w > width-1 {
				rows = append(rows, lipgloss.JoinHorizontal(lipgloss.Top, row...))
				row, used = nil, 0
			}
			if len(row) > 0 {
				col, used = st.Renderer.NewStyle().PaddingLeft(gap).Render(col), used+gap
			}
			row = append(row, col)
			used += w
		}
		if len(row) > 0 {
			rows = append(rows, lipgloss.JoinHorizontal(lipgloss.Top, row...))
		}
		out := st.Accent.Render(" Keys: "+title) + "\n\n" + indent(strings.Join(rows, "\n\n"), 1)
		for _, s := range sections {
			out += "\n\n" + hanging(st.Accent, " "+s.Title, width, 1) + "\n" + hanging(st.Dim, indent(s.Body, 1), width, s.Hang+1)
		}
		return common.Clip(out, width, 1<<20)
	})
}

// The levels of an Entry.
const (
	LevelError = "error"
	LevelInfo  = "info"
)

// Entry is a notice of a history: an error, or news (LevelInfo).
type Entry struct {
	At    time.Time
	Level string
	Text  string
}

// History is a history of notices: the last 200, oldest first.
type History []Entry

// Add records a notice of level at time at.
func (h *History) Add(at time.Time, level, text string) {
	*h = append(*h, Entry{At: at, Level: level, Text: text})
	if len(*h) > 200 {
		*h = (*h)[len(*h)-200:]
	}
}

// NewErrors is the error history page, newest first.
func NewErrors(c common.Common, kind common.Kind, errs []Entry) *Model {
	errs = append([]Entry(nil), errs...)
	return New(c, kind, "error history", func(width int) string {
		st := c.Styles
		var b strings.Builder
		b.WriteString(st.Accent.Render(" Errors, newest first") + "\n\n")
		if len(errs) == 0 {
			b.WriteString(st.Dim.Render(" no errors") + "\n")
		}
		for i := len(errs) - 1; i >= 0; i-- {
			line := errs[i].At.In(c.Location()).Format("15:04:05") + "  " + errs[i].Text
			b.WriteString(st.Warning.Render(indent(common.Wrap(line, width-2), 1)) + "\n")
		}
		b.WriteString("\n" + st.Dim.Render(indent(common.Wrap("all notices, errors included: :notices", width-2), 1)))
		return common.Clip(b.String(), width, 1<<20)
	})
}

// NewNotices is the page of every recent notice (`:notices`, vim's
// :messages, a word that names mail here), newest first, each with its time and level: the status line
// shows one until the next key, and only errors were kept (E).
func NewNotices(c common.Common, kind common.Kind, notes []Entry) *Model {
	notes = append([]Entry(nil), notes...)
	return New(c, kind, "notices", func(width int) string {
		st := c.Styles
		var b strings.Builder
		b.WriteString(st.Accent.Render(" Notices, newest first") + "\n\n")
		if len(notes) == 0 {
			b.WriteString(st.Dim.Render(" no notices"))
		}
		for i := len(notes) - 1; i >= 0; i-- {
			n := notes[i]
			line := fmt.Sprintf("%s  %-5s  %s", n.At.In(c.Location()).Format("15:04:05"), n.Level, n.Text)
			line = indent(common.Wrap(line, width-2), 1)
			if n.Level == LevelError {
				line = st.Warning.Render(line)
			}
			b.WriteString(line + "\n")
		}
		return common.Clip(b.String(), width, 1<<20)
	})
}

func indent(s string, n int) string {
	pad := strings.Repeat(" ", n)
	return pad + strings.ReplaceAll(s, "\n", "\n"+pad)
}

// hanging wraps each line of s to width cells, its continuation indented
// by hang (under the description column of a table), and styles each line
// alone: a block style would pad every line to the widest.
func hanging(style lipgloss.Style, s string, width, hang int) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		parts := strings.Split(common.Wrap(l, width), "\n")
		out = append(out, style.Render(parts[0]))
		if len(parts) == 1 {
			continue
		}
		rest := strings.Join(parts[1:], " ")
		for _, p := range strings.Split(common.Wrap(strings.TrimSpace(rest), width-hang), "\n") {
			out = append(out, style.Render(strings.Repeat(" ", hang)+p))
		}
	}
	return strings.Join(out, "\n")
}
