package viewer

import (
	"slices"
	"strconv"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/sanitize"
	"github.com/sesbox/sesbox/tui/common"
)

const labelWidth = 10 // "Envelope: "

// View renders the header block, the viewport and the prompt line, each
// line at most m.width cells.
func (m Model) View() string {
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	var b strings.Builder
	for _, l := range m.headerLines() {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	if head := m.columnHead(); head != "" {
		b.WriteString(head + "\n")
	}
	b.WriteString(m.pagerView())
	if m.prompting {
		b.WriteByte('\n')
		line := m.input.View()
		if lipgloss.Width(line) > m.width {
			line = common.Truncate(line, m.width)
		}
		b.WriteString(line + strings.Repeat(" ", max(0, m.width-lipgloss.Width(line))))
	}
	return b.String()
}

// layout sizes the viewport to what the header block leaves and refills it.
func (m *Model) layout() {
	m.wrapping = 0 // a body still being wrapped is wrapped here
	m.size()
	m.lines = m.content()
	m.drawn = m.draw()
	m.setHits()
	if m.search.cur >= len(m.search.hits) {
		m.search.cur = -1
	}
	m.refresh()
	m.showCursor()
}

// fit is layout for a change of height alone (a prompt opened or closed,
// the terminal resized no wider or narrower): the lines stay as they are
// wrapped. Wrapping and drawing them again took half a second on a body
// of megabytes, at every / and Esc.
func (m *Model) fit() {
	m.size()
	m.vp.SetYOffset(m.vp.YOffset) // within the new height
	m.showCursor()
}

func (m *Model) size() {
	h := m.height - len(m.headerLines())
	if m.columnHead() != "" {
		h--
	}
	if m.prompting {
		h--
	}
	m.vp.Width, m.vp.Height = max(m.width, 0), max(h, 0)
}

// showCursor keeps the row under the cursor of the parts or links on
// screen.
func (m *Model) showCursor() {
	cursor, rows := -1, 0
	switch m.mode {
	case modeParts:
		cursor, rows = m.part, len(m.parts)
	case modeLinks:
		cursor, rows = m.link, len(m.links)
	}
	if cursor < 0 {
		return
	}
	if cursor == rows-1 {
		// The last row brings what follows it on screen too, as much as
		// fits with it: that the links list was cut, the notes under the
		// parts.
		cursor = max(cursor, min(len(m.lines)-1, cursor+m.vp.Height-1))
	}
	if cursor < m.vp.YOffset {
		m.vp.SetYOffset(cursor)
	} else if cursor >= m.vp.YOffset+m.vp.Height {
		m.vp.SetYOffset(cursor - m.vp.Height + 1)
	}
}

// refresh redraws the viewport after the search changed, keeping the
// lines.
//
// The viewport holds only as many (empty) lines as the body has, for its
// scrolling; the lines on screen are drawn by pagerView. It held every
// line drawn, so each n and N drew the whole body again, joined it and
// had the viewport split and measure it: 19 ms of CPU a key on a 5 MB
// body with 10,000 hits (44 ms on a loaded machine, more than a frame
// over SSH). A key now costs the screen's lines
// (TestNextHitCostsTheScreenNotTheBody).
func (m *Model) refresh() {
	if n := max(len(m.lines), 1); m.vp.TotalLineCount() != n {
		m.vp.SetContent(strings.Repeat("\n", n-1))
	}
}

// pagerView is the viewport's View with the lines on screen drawn
// (lineView) in place of its empty ones.
func (m Model) pagerView() string {
	h := m.vp.Height - m.vp.Style.GetVerticalFrameSize()
	top := max(m.vp.YOffset, 0)
	vis := make([]string, 0, max(h, 0))
	for i := top; i < min(top+h, len(m.lines)); i++ {
		vis = append(vis, m.lineView(i))
	}
	w := m.vp
	w.SetYOffset(0)
	w.SetContent(strings.Join(vis, "\n"))
	return w.View()
}

func (m Model) field(name, value string, style lipgloss.Style) string {
	st := m.c.Styles
	label := common.Fit(name, labelWidth)
	return st.HeaderName.Render(label) + style.Render(common.Fit(value, max(m.width-labelWidth, 0)))
}

// minPager is the fewest lines the pager keeps under the header block.
const minPager = 3

// headerLines is the fixed block above the body: From, To, Date, Subject,
// the SES envelope recipients and verdicts, the attachments, and a rule.
// On a short terminal it gives up lines so that the pager keeps minPager:
// at 40x10 a message with attachments left the pager no line at all. The
// attachments go first (p lists them), then the envelope, To and Date (h
// shows them); From, Subject and SES's verdicts always stay.
func (m Model) headerLines() []string {
	st := m.c.Styles
	s := &m.summary
	if s.Key == "" {
		return nil
	}
	type field struct {
		text string
		drop int // 0: always shown; else the order it gives way in
	}
	lines := []field{
		{m.field("From:", addrLine(m.width, []mailstore.Address{s.From}), st.HeaderValue), 0},
		{m.field("To:", addrLine(m.width, s.To, s.Cc), st.HeaderValue), 3},
		{m.field("Date:", m.dateLine(), st.HeaderValue), 4},
		{m.field("Subject:", subjectLine(s, m.width), st.Subject), 0},
	}
	if len(s.Recipients) > 0 {
		lines = append(lines, field{m.field("Envelope:", sanitize.Line(strings.Join(s.Recipients, ", ")), st.HeaderValue), 2})
	}
	lines = append(lines, field{st.HeaderName.Render(common.Fit("SES:", labelWidth)) + m.verdictPanel(), 0})
	if m.msg != nil && m.msg.View != nil {
		if a := m.msg.View.Attachments(); len(a) > 0 {
			var parts []string
			for _, p := range a {
				parts = append(parts, "["+strconv.Itoa(p.Index)+"] "+partName(p)+" ("+mailstore.FormatSize(int64(p.Size))+")")
			}
			lines = append(lines, field{m.field("Attached:", strings.Join(parts, "  "), st.HeaderValue), 1})
		}
	}
	lines = append(lines, field{st.Rule.Render(m.rule()), 0})
	room := m.height - minPager
	if m.columnHead() != "" {
		room-- // the column names are the pager's too
	}
	if m.prompting {
		room--
	}
	for drop := 1; len(lines) > room && drop <= 4; drop++ {
		lines = slices.DeleteFunc(lines, func(f field) bool { return f.drop == drop })
	}
	out := make([]string, len(lines))
	for i, f := range lines {
		out[i] = f.text
	}
	return out
}

// rule is the line between the header block and the pager: what is shown
// (for sub-views), the search and the position ("── parts ── 3/7 42% ─").
func (m Model) rule() string {
	w := max(m.width, 0)
	right := ""
	if m.msg != nil {
		right = " " + m.position() + " ─"
		if m.search.re != nil {
			n := len(m.search.hits)
			switch {
			case n == 0:
				right = " no match" + right
			case m.search.cur >= 0:
				right = " match " + strconv.Itoa(m.search.cur+1) + "/" + hitCount(n) + right
			case n >= maxHits:
				right = " " + hitCount(n) + " matches" + right
			default:
				right = " " + mailstore.Count(n, "match") + right
			}
		}
	}
	if ansi.StringWidth(right)+1 > w {
		right = ""
	}
	left := ""
	if title := m.modeTitle(); title != "" {
		// Cut, not dropped, when it does not fit beside the position: at
		// 40 columns no sub-view said what it was (parts, links, full
		// headers, raw source), nor how to leave it.
		if room := w - ansi.StringWidth(right) - len("── ") - 2; room >= 6 {
			left = "── " + common.Truncate(title, room) + " "
		}
	}
	fill := w - ansi.StringWidth(left) - ansi.StringWidth(right)
	return left + strings.Repeat("─", max(fill, 0)) + right
}

func (m Model) modeTitle() string {
	switch m.mode {
	case modeHeaders:
		return "full headers (" + m.c.Keys.Viewer.Headers.Help().Key + ": back to the body)"
	case modeRaw:
		return "raw source (" + m.c.Keys.Viewer.Raw.Help().Key + ": back to the body)"
	case modeParts:
		if n := len(m.outer); n > 0 {
			return "parts of the message in part " + strconv.Itoa(m.outer[n-1].inline.index) + " (" + m.c.Keys.Global.Back.Help().Key + ": back to it)"
		}
		return "parts (enter show, s save, o open, " + m.c.Keys.Viewer.Parts.Help().Key + ": back)"
	case modeLinks:
		return "links (enter open, " + m.c.Keys.Viewer.CopyLink.Help().Key + " copy, " + m.c.Keys.Viewer.Links.Help().Key + ": back)"
	case modePart:
		if v := m.inline.nested; v != nil && len(v.Parts) > 0 {
			return m.inline.title + ", " + m.c.Keys.Viewer.Parts.Help().Key + ": its parts"
		}
		return m.inline.title
	}
	return ""
}

func (m Model) dateLine() string {
	s := &m.summary
	if s.Date.IsZero() {
		return "(no date)"
	}
	d := s.Date
	if m.c.Loc != nil {
		d = d.In(m.c.Loc)
	}
	out := d.Format("Mon, 02 Jan 2006 15:04 MST")
	if s.DateFromStore {
		out += " (stored; no usable Date header)"
	}
	return out
}

// verdictPanel spells out SES's verdicts; FAIL stands out, spam and virus
// failures in the warning colour.
func (m Model) verdictPanel() string {
	st := m.c.Styles
	v := m.summary.Verdicts
	if v == (mailstore.Verdicts{}) {
		return st.Dim.Render(common.Fit("no SES verdicts in this message", max(m.width-labelWidth, 0)))
	}
	var parts []string
	w := 0
	for _, x := range []struct{ name, value string }{
		{"spam", v.Spam}, {"virus", v.Virus}, {"SPF", v.SPF}, {"DKIM", v.DKIM}, {"DMARC", v.DMARC},
	} {
		val := x.value
		if val == "" {
			val = "-"
		}
		style := st.Verdict(x.value)
		if x.value == "FAIL" && (x.name == "spam" || x.name == "virus") {
			style = st.Danger
		}
		w += len(x.name) + 1 + len(val) + 2
		parts = append(parts, st.Dim.Render(x.name+" ")+style.Render(val))
	}
	line := strings.Join(parts, "  ")
	if w > m.width-labelWidth {
		line = common.Truncate(line, max(m.width-labelWidth, 0))
	}
	return line + strings.Repeat(" ", max(0, m.width-labelWidth-lipgloss.Width(line)))
}

// addrLine lists the addresses of lists, as many as fill w cells (a To
// of thousands is cut with "…", as each name and address is: see
// common.Head).
func addrLine(w int, lists ...[]mailstore.Address) string {
	var out []string
	size := 0
lists:
	for _, l := range lists {
		for _, a := range l {
			if size > common.HeadBytes(w) {
				out = append(out, "…")
				break lists
			}
			if shown := sanitize.Mailbox(common.Head(a.Name, w), common.Head(a.Address, w)); shown != "" {
				out = append(out, shown)
				size += len(out[len(out)-1]) + 2
			}
		}
	}
	if len(out) == 0 {
		return "(none)"
	}
	return strings.Join(out, ", ")
}

// subjectLine is the subject, as much as fills w cells.
func subjectLine(s *mailstore.Summary, w int) string {
	switch s.Kind {
	case mailstore.KindSetupNotification:
		return "(SES setup notification)"
	case mailstore.KindForeign:
		return "(not a mail message)"
	}
	if subj := sanitize.Line(common.Head(s.Subject, w)); subj != "" {
		return subj
	}
	return "(no subject)"
}
