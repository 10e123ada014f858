package viewer

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sesbox/sesbox/mailstore"
	mailreport "github.com/sesbox/sesbox/mailstore/report"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/sesbox/sesbox/mailstore/mime"
	"github.com/sesbox/sesbox/mailstore/sanitize"
	"github.com/sesbox/sesbox/tui/common"
)

// content is what the viewport scrolls, for the current mode.
func (m Model) content() []line {
	st := m.c.Styles
	switch {
	case m.err != nil:
		return m.textLines("could not read this message: "+sanitize.Line(mailstore.Explain(m.err)), func(string) lipgloss.Style { return st.Warning })
	case m.msg == nil:
		return []line{styled(st.Dim, "loading…")}
	}
	switch m.mode {
	case modeHeaders:
		return m.headersContent()
	case modeRaw:
		return m.rawContent()
	case modeParts:
		return m.partsContent()
	case modeLinks:
		return m.linksContent()
	case modePart:
		return m.inlineContent()
	}
	return m.bodyContent()
}

func (m Model) bodyContent() []line {
	st := m.c.Styles
	v := m.msg.View
	var out []line
	warn := func(s string) {
		out = append(out, m.textLines("! "+s, func(string) lipgloss.Style { return st.Warning })...)
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
		return out
	}
	for _, w := range v.Warnings {
		// Notes on how the text was read are for the parts and headers
		// views: above the body they cry wolf.
		if !mime.IsNote(w) {
			warn(sanitize.Line(w))
		}
	}
	if len(out) > 0 {
		out = append(out, raw(""))
	}
	if f := m.msg.Summary.Forward; f.Status != "" {
		out = append(out, m.forwardLines(f)...)
	}
	if r := m.msg.Report; r != nil {
		// A delivery report's summary first: who, what, why, about which
		// message.
		for i, l := range r.Lines() {
			l = mailreport.CleanLine(l, sanitize.Line)
			style := st.Normal
			if i == 0 {
				style = st.Bold
			}
			out = append(out, m.textLines(l, func(string) lipgloss.Style { return style })...)
		}
		out = append(out, styled(st.Rule, strings.Repeat("─", max(m.width, 1))))
	}
	if len(v.Notices) > 0 {
		// What the structure says that the body does not: an
		// invitation, a signature not verified, an encrypted body.
		for _, n := range v.Notices {
			out = append(out, m.textLines(sanitize.Line(n), func(string) lipgloss.Style { return st.Bold })...)
		}
		out = append(out, styled(st.Rule, strings.Repeat("─", max(m.width, 1))))
	}
	body := v.Body()
	switch {
	case body == "" && len(v.Forwarded()) > 0:
	case body == "" && len(v.Parts) > 0:
		out = append(out, m.textLines("(no text body; "+m.c.Keys.Viewer.Parts.Help().Key+" lists its "+
			mailstore.Count(len(v.Parts), "part")+")", func(string) lipgloss.Style { return st.Dim })...)
	case body == "":
		out = append(out, styled(st.Dim, "(empty body)"))
	default:
		out = append(out, m.quotedLines(strings.TrimRight(sanitize.Text(body), "\n"))...)
	}
	return append(out, m.forwardedLines(v)...)
}

// forwardedLines show the messages nested in v after its body (a
// forwarded message, a bounce's returned header; mime.View.Forwarded),
// each under a rule that says which part holds it, as mutt shows them.
func (m Model) forwardedLines(v *mime.View) []line {
	st := m.c.Styles
	var out []line
	for _, n := range v.Forwarded() {
		title := "── " + n.Title() + " "
		out = append(out, raw(""), styled(st.Rule, title+strings.Repeat("─", max(m.width-ansi.StringWidth(title), 0))))
		if n.View == nil {
			k := m.c.Keys.Viewer
			out = append(out, m.textLines("(not shown: "+n.NotShown+"; "+k.Parts.Help().Key+" lists the parts, "+k.Save.Help().Key+" on part "+
				strconv.Itoa(n.Part)+" saves it)", func(string) lipgloss.Style { return st.Dim })...)
			continue
		}
		out = append(out, m.messageLines(n.View, raw(""))...)
	}
	return out
}

// messageLines show a nested message: its From, To, Cc, Date and Subject,
// its warnings, its attachments, sep, then its body.
func (m Model) messageLines(v *mime.View, sep line) []line {
	st := m.c.Styles
	out := m.fieldLines(v.Fields())
	for _, w := range v.Warnings {
		if !mime.IsNote(w) {
			out = append(out, m.textLines("! "+sanitize.Line(w), func(string) lipgloss.Style { return st.Warning })...)
		}
	}
	for _, n := range v.Notices {
		out = append(out, m.textLines(sanitize.Line(n), func(string) lipgloss.Style { return st.Bold })...)
	}
	if a := v.Attachments(); len(a) > 0 {
		var names []string
		for _, p := range a {
			names = append(names, partName(p)+" ("+sanitize.Line(p.ContentType)+", "+mailstore.FormatSize(int64(p.Size))+")")
		}
		out = append(out, m.textLines("Attached: "+strings.Join(names, ", "), func(string) lipgloss.Style { return st.Dim })...)
	}
	body := v.Body()
	if body == "" {
		return out
	}
	out = append(out, sep)
	return append(out, m.quotedLines(strings.TrimRight(sanitize.Text(body), "\n"))...)
}

// forwardLines say what the forwarding Lambda did with the message, and
// for a failure or a skip its log lines (sanitized: the log holds text
// from the sender and from SES).
func (m Model) forwardLines(f mailstore.Forward) []line {
	st := m.c.Styles
	head := "Forwarding Lambda: " + f.Status
	if !f.Time.IsZero() {
		head += " " + f.Time.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	if len(f.Destinations) > 0 {
		head += " to " + strings.Join(f.Destinations, ", ")
	}
	style := st.Bold
	if f.Status == mailstore.ForwardFailed || f.Status == mailstore.ForwardNone {
		style = st.Warning
	}
	out := m.textLines(sanitize.Line(head), func(string) lipgloss.Style { return style })
	if f.Error != "" {
		out = append(out, m.textLines(sanitize.Line(f.Error), func(string) lipgloss.Style { return style })...)
	}
	if f.Status == mailstore.ForwardFailed || f.Status == mailstore.ForwardSkipped {
		for _, l := range m.msg.ForwardLog {
			text := strings.TrimRight(sanitize.Text(strings.NewReplacer("\r", "\n", "\t", "  ").Replace(l.Text)), "\n")
			out = append(out, m.textLines(text, func(string) lipgloss.Style { return st.Dim })...)
		}
	}
	return append(out, styled(st.Rule, strings.Repeat("─", max(m.width, 1))))
}

// notesLines lists the parse notes (mime.IsNote) of v, for the headers and
// parts views.
func (m Model) notesLines(v *mime.View) []line {
	var out []line
	for _, w := range v.Warnings {
		if mime.IsNote(w) {
			out = append(out, m.textLines("note: "+sanitize.Line(w), func(string) lipgloss.Style { return m.c.Styles.Dim })...)
		}
	}
	return out
}

func (m Model) headersContent() []line {
	st := m.c.Styles
	s := &m.summary
	info := []struct{ name, value string }{
		{"S3 key", s.Key},
		{"ETag", s.ETag},
		{"Size", strconv.FormatInt(s.Size, 10) + " bytes"},
		{"Stored", s.LastModified.UTC().Format("2006-01-02 15:04:05 UTC")},
	}
	if s.VersionID != "" {
		info = append(info, struct{ name, value string }{"Version", s.VersionID})
	}
	var out []line
	for _, x := range info {
		out = append(out, m.textLines(x.name+": "+sanitize.Line(x.value), func(string) lipgloss.Style { return st.Dim })...)
	}
	if m.msg.View == nil {
		return out
	}
	out = append(out, m.notesLines(m.msg.View)...)
	out = append(out, raw(""))
	return append(out, m.fieldLines(m.msg.View.Header)...)
}

// fieldLines draws header fields, the name in its own style, wrapped.
func (m Model) fieldLines(fields []mime.Field) []line {
	st := m.c.Styles
	var out []line
	for _, f := range fields {
		name := sanitize.Line(f.Name) + ":"
		for i, p := range wrapLines(name+" "+sanitize.Line(f.Value), max(m.width, 1), false) {
			if i == 0 && strings.HasPrefix(p, name) {
				out = append(out, line{
					{text: name, style: &st.HeaderName, styled: true},
					{text: p[len(name):], style: &st.HeaderValue, styled: true},
				})
				continue
			}
			out = append(out, styled(st.HeaderValue, p))
		}
	}
	return out
}

func (m Model) rawContent() []line {
	r := m.msg.Raw
	more := 0
	if len(r) > rawLimit {
		more = len(r) - rawLimit
		r = r[:rawLimit]
	}
	// Hard wrap: raw lines (base64, long headers) often have no spaces.
	var out []line
	w := max(m.width, 1)
	for _, l := range strings.Split(sanitize.Text(string(r)), "\n") {
		for _, p := range wrapLines(l, w, true) {
			out = append(out, raw(p))
		}
	}
	if more > 0 {
		out = append(out, styled(m.c.Styles.Dim, "… "+mailstore.Count(more, "more byte")+" not shown"))
	}
	return out
}

// partsColumns are the widths of the parts list's number and type.
func (m Model) partsColumns() (digits, typeW int) {
	// The number is what `sesbox save --part N` takes: as wide as the
	// last one (a message of 500 parts showed "4…").
	digits = 2
	for _, p := range m.parts {
		digits = max(digits, len(strconv.Itoa(p.Index)))
	}
	// The type gives way (to 10 cells) before the size and 12 cells of
	// name: at 40 columns a full-width type left neither on screen.
	typeW = min(28, max(10, m.width-(3+digits+2+1+6+3)-12))
	return digits, typeW
}

// columnHead is the line of column names above the parts or the links,
// drawn outside the viewport so that it stays when the rows scroll; ""
// in the other modes, or with no rows.
func (m Model) columnHead() string {
	var head string
	switch {
	case m.err != nil || m.msg == nil:
		return ""
	case m.mode == modeParts && len(m.parts) > 0:
		digits, typeW := m.partsColumns()
		head = "   " + common.FitRight("#", digits) + "  " + common.Fit("Type", typeW) + " " + common.FitRight("Size", 6) + "   Name"
	case m.mode == modeLinks && len(m.links) > 0:
		head = "   #  Link"
	default:
		return ""
	}
	return m.c.Styles.ColumnHeader.Render(common.Fit(head, max(m.width, 1)))
}

func (m Model) partsContent() []line {
	st := m.c.Styles
	if len(m.parts) == 0 {
		return []line{styled(st.Dim, "this message has no parts")}
	}
	digits, typeW := m.partsColumns()
	var out []line
	for i, p := range m.parts {
		kind := p.ContentType
		if p.Charset != "" {
			kind += "; " + p.Charset
		}
		mark := " "
		if p.IsAttachment {
			mark = "@"
		}
		row := " " + mark + common.FitRight(strconv.Itoa(p.Index), digits) + "  " +
			common.Fit(sanitize.Line(kind), typeW) + " " + common.FitRight(mailstore.FormatSize(int64(p.Size)), 6) + "   " + partName(p)
		if p.Within > 0 {
			row += " (in part " + strconv.Itoa(p.Within) + ")" // a file of a winmail.dat
		}
		gutter := " "
		style := st.Normal
		if i == m.part {
			gutter = ">"
			style = style.Inherit(st.RowSelected)
		}
		out = append(out, styled(style, common.Fit(gutter+row, m.width)))
	}
	if m.msg.View != nil {
		if notes := m.notesLines(m.msg.View); len(notes) > 0 {
			out = append(append(out, raw("")), notes...)
		}
	}
	return out
}

func (m Model) linksContent() []line {
	st := m.c.Styles
	if len(m.links) == 0 {
		return []line{styled(st.Dim, "this message has no links")}
	}
	var out []line
	for i, l := range m.links {
		n := strconv.Itoa(i + 1)
		if l.Footnote > 0 {
			n = "[" + strconv.Itoa(l.Footnote) + "]"
		}
		gutter := " "
		style := st.Link
		if i == m.link {
			gutter = ">"
			style = style.Inherit(st.RowSelected)
		}
		out = append(out, styled(style, common.Fit(gutter+common.FitRight(n, 4)+"  "+sanitize.Line(l.URL), m.width)))
	}
	if m.linksCut {
		out = append(out, m.textLines(fmt.Sprintf("the text holds more links: the first %d are listed", mime.MaxTextLinks),
			func(string) lipgloss.Style { return st.Dim })...)
	}
	return out
}

// inlineContent is a part shown inline: its text, a nested message's
// header and body, or a mailcap viewer's output.
func (m Model) inlineContent() []line {
	st := m.c.Styles
	in := m.inline
	if in.loading {
		return []line{styled(st.Dim, "loading…")}
	}
	var out []line
	if v := in.nested; v != nil {
		out = m.messageLines(v, styled(st.Rule, strings.Repeat("─", max(m.width, 0))))
		if v.Body() == "" && len(v.Forwarded()) == 0 {
			out = append(out, styled(st.Rule, strings.Repeat("─", max(m.width, 0))), styled(st.Dim, "(no text body)"))
		}
		return append(out, m.forwardedLines(v)...)
	}
	if in.note != "" {
		out = append(out, m.textLines(in.note, func(string) lipgloss.Style { return st.Dim })...)
		out = append(out, raw(""))
	}
	if in.text == "" {
		return append(out, styled(st.Dim, "(empty)"))
	}
	return append(out, m.quotedLines(strings.TrimRight(in.text, "\n"))...)
}
