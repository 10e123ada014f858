package tab

import (
	"errors"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/progress"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/query"
	"github.com/sesbox/sesbox/mailstore/sanitize"
	"github.com/sesbox/sesbox/tui/common"
)

// Bar is the mailbox switcher: one label per tab, the active one
// highlighted, exactly c.Width wide.
func Bar(c common.Common, tabs []*Model, active int) string {
	st := c.Styles
	var parts []string
	for i, t := range tabs {
		style := st.Tab
		if i == active {
			style = st.TabActive
		}
		parts = append(parts, style.Render(t.Label()))
	}
	line := strings.Join(parts, st.TabBar.Render(" "))
	if lipgloss.Width(line) > c.Width {
		line = common.Truncate(line, c.Width)
	}
	return line + st.TabBar.Render(strings.Repeat(" ", max(0, c.Width-lipgloss.Width(line))))
}

// Label is the mailbox's tab in the switcher: its name, message count and
// unread count; "…" while it is being read, "!" when the last listing
// failed.
func (m *Model) Label() string {
	c := m.list.Counts()
	label := sanitize.Line(m.Name) + " " + mailstore.Thousands(c.Total)
	if c.Unread > 0 {
		label += " (" + mailstore.Thousands(c.Unread) + " new)"
	}
	switch {
	case m.refreshing || !m.loaded:
		label += " …"
	case m.err != nil:
		label += " !"
	}
	return label
}

// Summary is the status line's account of the list: where, shown/total,
// marks, filter, search, sort and threads.
func (m *Model) Summary() string {
	c := m.list.Counts()
	count := mailstore.Thousands(c.Shown) + "/" + mailstore.Thousands(c.Total)
	if c.Partial {
		count += "…" // a page is shown while the rest is read
	}
	parts := []string{m.Where(), count}
	if c.Marked > 0 {
		parts = append(parts, mailstore.Thousands(c.Marked)+" marked")
	}
	if f, err := m.list.Filter(); f != "" {
		s := "filter: " + sanitize.Line(f)
		if err != nil {
			s += " (incomplete)"
		}
		parts = append(parts, s)
	}
	if s := m.list.SearchText(); s != "" {
		parts = append(parts, "search: "+sanitize.Line(s))
	}
	by, rev := m.list.Sort()
	parts = append(parts, "sort: "+sortText(by, rev))
	if m.list.Threaded() {
		parts = append(parts, "threads")
	}
	return strings.Join(parts, "  ")
}

// Where is the mailbox's bucket and prefix, for the status line.
func (m *Model) Where() string { return sanitize.Line(m.Mailbox.Location().String()) }

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

// Progress is the index progress for the status line ("" when no refresh
// runs): "listed 1,234" until the listing knows what to fetch, then a bar
// with fetched/to-fetch and the rate. The bar shortens on a narrow
// terminal and goes below 60 columns.
func (m *Model) Progress(width int) string {
	if !m.refreshing {
		return ""
	}
	st := m.c.Styles
	p := m.progress
	if w := p.WaitText(); w != "" {
		// The status line gives the right half at the most: shorter
		// forms for a narrow terminal, the pid kept.
		pid := ""
		if p.WaitingFor > 0 {
			pid = fmt.Sprintf(" pid %d", p.WaitingFor)
		}
		for _, short := range []string{"waiting for another sesbox" + pid, "waiting for sesbox" + pid} {
			if len([]rune(w))+2 <= width/2 {
				break
			}
			w = short
		}
		return st.StatusKey.Render(" " + w + " ")
	}
	if p.ToFetch == 0 {
		return st.StatusKey.Render(" indexing: listed " + mailstore.Thousands(p.Listed) + " ")
	}
	frac := float64(p.Fetched) / float64(p.ToFetch)
	text := " " + mailstore.Thousands(p.Fetched) + "/" + mailstore.Thousands(p.ToFetch)
	if r := p.Rate(m.c.Now()); r > 0 && width >= 70 {
		text += fmt.Sprintf(" %.0f/s", r)
	}
	bar := ""
	if width >= 60 {
		b := progress.New(progress.WithWidth(min(16, width/6)), progress.WithoutPercentage(),
			progress.WithSolidFill(st.ProgressFull), progress.WithColorProfile(st.Profile))
		b.EmptyColor = st.ProgressEmpty
		bar = b.ViewAs(frac)
	}
	return st.StatusKey.Render(" indexing ") + bar + st.StatusKey.Render(text+" ")
}

// Command runs a `:` verb that acts on the list: keys are the messages it
// acts on (the marked ones, else the one shown or under the cursor). ok is
// false for a verb that is not the list's.
func (m *Model) Command(verb, arg string, flags map[string]bool, keys []string) (cmd tea.Cmd, ok bool, err error) {
	need := func(what string) error { return fmt.Errorf(":%s needs %s", verb, what) }
	switch verb {
	case "save":
		if arg == "" {
			return nil, true, need("a directory")
		}
		return tea.Batch(common.Notice("saving attachments of "+mailstore.Count(len(keys), "message")+"…"),
			SaveCmd(m.ctx, m.index, m.Mailbox, keys, arg)), true, nil
	case "export":
		if flags["--mbox"] && flags["--maildir"] {
			return nil, true, errors.New("give one of --mbox FILE or --maildir DIR: :export writes one mbox file or one Maildir")
		}
		if arg == "" {
			if flags["--maildir"] {
				return nil, true, need("a Maildir directory: :export --maildir DIR")
			}
			return nil, true, need("an mbox file: :export --mbox FILE")
		}
		if m.Audit == nil {
			return common.Notice(common.Unavailable("export", m.Name, m.AuditErr)), true, nil
		}
		opt := m.Audit.Export
		opt.Parents, opt.Force = flags["--parents"], flags["--force"]
		return tea.Batch(common.Notice("exporting "+mailstore.Count(len(keys), "message")+"…"),
			ExportCmd(m.ctx, m.index, m.Audit.Bucket, opt, keys, arg, flags["--maildir"], "chosen in the TUI")), true, nil
	case "read", "unread":
		var cmds []tea.Cmd
		for _, k := range keys {
			cmds = append(cmds, m.SetReadCmd(k, verb == "read"))
		}
		return tea.Batch(cmds...), true, nil
	case "refresh":
		if c := m.Refresh(); c != nil {
			return c, true, nil
		}
		return common.Notice("already re-indexing"), true, nil
	case "filter":
		cmd, err := m.list.ApplyFilter(arg) // as sesbox ls --query reports it
		return tea.Batch(cmd, m.list.Fetch()), true, err
	case "search":
		cmd, err := m.list.ApplySearch(arg)
		return cmd, true, err
	case "sort":
		by, err := query.ParseSort(arg)
		if err != nil {
			return nil, true, err
		}
		return m.list.SetSort(by, flags["--reverse"]), true, nil
	}
	return nil, false, nil
}

// StatusLine shows, from the left: errText (the last error) or notice if
// there is one, else the list's summary or, over the list, the mailbox and
// what is shown over it; on the right the index progress while a refresh
// runs, or news (of a page working in the background).
func (m *Model) StatusLine(over, news, errText, notice string) string {
	st := m.c.Styles
	right := m.Progress(m.w)
	if right == "" && news != "" {
		right = st.StatusKey.Render(" " + news + " ")
	}
	left, style := " "+m.Summary(), st.Status
	if over != "" {
		left = " " + m.Where() + "  " + over
	}
	if lipgloss.Width(right) > m.w/2 {
		right = "" // the news matters more than the bar on a narrow terminal
	}
	switch {
	case errText != "":
		// The error is cut, not where to read it whole: the pointer to
		// the history stays on screen however long the error is.
		more := "  (" + m.c.Keys.Global.Errors.Help().Key + ": history)"
		avail := max(m.w-lipgloss.Width(right)-lipgloss.Width(more), 0)
		left, style = common.Truncate(" error: "+errText, avail)+more, st.StatusError
	case notice != "":
		// As an error's: a notice cut says where it is whole.
		left = " " + sanitize.Line(notice)
		if avail := max(m.w-lipgloss.Width(right), 0); lipgloss.Width(left) > avail {
			const more = " (:notices)"
			left = common.Truncate(left, max(avail-lipgloss.Width(more), 0)) + more
		}
	}
	return style.Render(common.Fit(left, max(m.w-lipgloss.Width(right), 0))) + right
}
