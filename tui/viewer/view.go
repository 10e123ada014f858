package viewer

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/sesbox/sesbox/mailstore"
	mailreport "github.com/sesbox/sesbox/mailstore/report"
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
	b.WriteString(m.vp.View())
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
	h := m.height - len(m.headerLines())
	if m.prompting {
		h--
	}
	m.vp.Width, m.vp.Height = max(m.width, 0), max(h, 0)
	m.vp.SetContent(m.content())
	if m.mode == modeParts {
		// Keep the part under the cursor on screen (two lines of heading).
		row := m.part + 2
		if row < m.vp.YOffset {
			m.vp.SetYOffset(row)
		} else if row >= m.vp.YOffset+m.vp.Height {
			m.vp.SetYOffset(row - m.vp.Height + 1)
		}
	}
}

func (m Model) field(name, value string, style lipgloss.Style) string {
	st := m.c.Styles
	label := common.Fit(name, labelWidth)
	return st.HeaderName.Render(label) + style.Render(common.Fit(value, max(m.width-labelWidth, 0)))
}

// headerLines is the fixed block above the body: From, To, Date, Subject,
// the SES envelope recipients and verdicts, the attachments, and a rule.
func (m Model) headerLines() []string {
	st := m.c.Styles
	s := &m.summary
	if s.Key == "" {
		return nil
	}
	lines := []string{
		m.field("From:", addrLine([]mailstore.Address{s.From}), st.HeaderValue),
		m.field("To:", addrLine(append(append([]mailstore.Address{}, s.To...), s.Cc...)), st.HeaderValue),
		m.field("Date:", m.dateLine(), st.HeaderValue),
		m.field("Subject:", subjectLine(s), st.Subject),
	}
	if len(s.Recipients) > 0 {
		lines = append(lines, m.field("Envelope:", sanitize.Line(strings.Join(s.Recipients, ", ")), st.HeaderValue))
	}
	lines = append(lines, st.HeaderName.Render(common.Fit("SES:", labelWidth))+m.verdictPanel())
	if m.msg != nil && m.msg.View != nil {
		if a := m.msg.View.Attachments(); len(a) > 0 {
			var parts []string
			for _, p := range a {
				parts = append(parts, "["+strconv.Itoa(p.Index)+"] "+partName(p)+" ("+common.Size(int64(p.Size))+")")
			}
			lines = append(lines, m.field("Attached:", strings.Join(parts, "  "), st.HeaderValue))
		}
	}
	rule := strings.Repeat("─", max(m.width, 0))
	if title := m.modeTitle(); title != "" && m.width > len(title)+4 {
		rule = "── " + title + " " + strings.Repeat("─", m.width-len(title)-4)
	}
	lines = append(lines, st.Rule.Render(rule))
	return lines
}

func (m Model) modeTitle() string {
	switch m.mode {
	case modeHeaders:
		return "full headers (" + m.c.Keys.Viewer.Headers.Help().Key + ": back to the body)"
	case modeRaw:
		return "raw source (" + m.c.Keys.Viewer.Raw.Help().Key + ": back to the body)"
	case modeParts:
		return "parts (j/k choose, s save, o open, p: back)"
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

func addrLine(l []mailstore.Address) string {
	var out []string
	for _, a := range l {
		a.Name, a.Address = sanitize.Line(a.Name), sanitize.Line(a.Address)
		if a.Name != "" || a.Address != "" {
			out = append(out, a.String())
		}
	}
	if len(out) == 0 {
		return "(none)"
	}
	return strings.Join(out, ", ")
}

func subjectLine(s *mailstore.Summary) string {
	switch s.Kind {
	case mailstore.KindSetupNotification:
		return "(SES setup notification)"
	case mailstore.KindForeign:
		return "(not a mail message)"
	}
	if subj := sanitize.Line(s.Subject); subj != "" {
		return subj
	}
	return "(no subject)"
}

// content is what the viewport scrolls, for the current mode.
func (m Model) content() string {
	switch {
	case m.err != nil:
		return m.c.Styles.Warning.Render(m.wrap("could not read this message: " + sanitize.Line(m.err.Error())))
	case m.msg == nil:
		return m.c.Styles.Dim.Render("loading…")
	}
	switch m.mode {
	case modeHeaders:
		return m.headersContent()
	case modeRaw:
		return m.rawContent()
	case modeParts:
		return m.partsContent()
	}
	return m.bodyContent()
}

// wrap makes text (already sanitized) fit the width: tabs expanded, long
// lines wrapped at spaces where possible, by display width.
func (m Model) wrap(text string) string {
	w := max(m.width, 1)
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		l = common.ExpandTabs(l)
		if ansi.StringWidth(l) > w {
			l = ansi.Wrap(l, w, "")
		}
		lines[i] = l
	}
	return strings.Join(lines, "\n")
}

func (m Model) bodyContent() string {
	st := m.c.Styles
	v := m.msg.View
	var b strings.Builder
	warn := func(s string) {
		b.WriteString(st.Warning.Render(m.wrap("! " + s)))
		b.WriteByte('\n')
	}
	if m.summary.Verdicts.Spam == "FAIL" {
		warn("SES judged this message to be spam.")
	}
	if m.summary.Verdicts.Virus == "FAIL" {
		warn("SES found a virus in this message: do not open its attachments.")
	}
	if m.summary.Missing {
		warn("This message is no longer in the bucket.")
	}
	if v == nil {
		warn("the message could not be parsed")
		return b.String()
	}
	for _, w := range v.Warnings {
		warn(sanitize.Line(w))
	}
	if b.Len() > 0 {
		b.WriteByte('\n')
	}
	if r := m.msg.Report; r != nil {
		// The report's summary first: who, what, why, about which message.
		for i, l := range r.Lines() {
			l = m.wrap(mailreport.CleanLine(l, sanitize.Line))
			if i == 0 {
				l = st.Bold.Render(l)
			}
			b.WriteString(l + "\n")
		}
		b.WriteString(st.Rule.Render(strings.Repeat("─", max(m.width, 1))) + "\n")
	}
	body := v.Body()
	switch {
	case body == "" && len(v.Parts) > 0:
		b.WriteString(st.Dim.Render(m.wrap("(no text body; p lists the " + strconv.Itoa(len(v.Parts)) + " parts)")))
	case body == "":
		b.WriteString(st.Dim.Render("(empty body)"))
	default:
		text := m.wrap(strings.TrimRight(sanitize.Text(body), "\n"))
		lines := strings.Split(text, "\n")
		for i, l := range lines {
			if strings.HasPrefix(l, ">") {
				lines[i] = st.Dim.Render(l)
			}
		}
		b.WriteString(strings.Join(lines, "\n"))
	}
	return b.String()
}

func (m Model) headersContent() string {
	st := m.c.Styles
	s := &m.summary
	var b strings.Builder
	info := []struct{ name, value string }{
		{"S3 key", s.Key},
		{"ETag", s.ETag},
		{"Size", strconv.FormatInt(s.Size, 10) + " bytes"},
		{"Stored", s.LastModified.UTC().Format("2006-01-02 15:04:05 UTC")},
	}
	if s.VersionID != "" {
		info = append(info, struct{ name, value string }{"Version", s.VersionID})
	}
	for _, x := range info {
		b.WriteString(st.Dim.Render(m.wrap(x.name + ": " + sanitize.Line(x.value))))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	for _, f := range m.msg.View.Header {
		line := m.wrap(sanitize.Line(f.Name) + ": " + sanitize.Line(f.Value))
		name, rest, _ := strings.Cut(line, ":")
		b.WriteString(st.HeaderName.Render(name+":") + st.HeaderValue.Render(rest))
		b.WriteByte('\n')
	}
	return strings.TrimRight(b.String(), "\n")
}

func (m Model) rawContent() string {
	raw := m.msg.Raw
	more := 0
	if len(raw) > rawLimit {
		more = len(raw) - rawLimit
		raw = raw[:rawLimit]
	}
	// Hard wrap: raw lines (base64, long headers) often have no spaces.
	text := sanitize.Text(string(raw))
	w := max(m.width, 1)
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		l = common.ExpandTabs(l)
		if ansi.StringWidth(l) > w {
			l = ansi.Hardwrap(l, w, true)
		}
		lines[i] = l
	}
	out := strings.Join(lines, "\n")
	if more > 0 {
		out += "\n" + m.c.Styles.Dim.Render("… "+strconv.Itoa(more)+" more bytes not shown")
	}
	return out
}

func (m Model) partsContent() string {
	st := m.c.Styles
	if len(m.parts) == 0 {
		return st.Dim.Render("this message has no parts")
	}
	var b strings.Builder
	head := "   " + common.FitRight("#", 2) + "  " + common.Fit("Type", 28) + " " + common.FitRight("Size", 6) + "   Name"
	b.WriteString(st.ColumnHeader.Render(common.Fit(head, m.width)))
	b.WriteString("\n\n")
	for i, p := range m.parts {
		kind := p.ContentType
		if p.Charset != "" {
			kind += "; " + p.Charset
		}
		mark := " "
		if p.IsAttachment {
			mark = "@"
		}
		row := " " + mark + common.FitRight(strconv.Itoa(p.Index), 2) + "  " +
			common.Fit(sanitize.Line(kind), 28) + " " + common.FitRight(common.Size(int64(p.Size)), 6) + "   " + partName(p)
		gutter := " "
		style := st.Normal
		if i == m.part {
			gutter = ">"
			style = style.Inherit(st.RowSelected)
		}
		b.WriteString(style.Render(common.Fit(gutter+row, m.width)))
		if i < len(m.parts)-1 {
			b.WriteByte('\n')
		}
	}
	return b.String()
}
