package list

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/lipgloss"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/query"
	mailreport "github.com/sesbox/sesbox/mailstore/report"
	"github.com/sesbox/sesbox/mailstore/sanitize"
	"github.com/sesbox/sesbox/tui/common"
)

// Column widths in cells. A row is
//
//	gutter flags ␠ date ␠ from ␠ subject ␠ size ␠ verdicts
//
// and only from and subject change with the terminal width, until a
// narrow terminal drops the size, then the verdicts, then the date.
const (
	wGutter = 1
	wFlags  = 3
	wDate   = 10
	wSize   = 5
	wBadges = 7 // "! S D M"
)

// layout is which columns a width shows and how wide from and subject are.
type layout struct {
	date, size, badges bool
	from, subject      int
}

func columns(width int) layout {
	l := layout{date: width >= 50, size: width >= 70, badges: width >= 60}
	fixed := wGutter + wFlags + 1 + 1 + 1 // from and subject each end in a space
	if l.date {
		fixed += wDate + 1
	}
	if l.size {
		fixed += wSize + 1
	}
	if l.badges {
		fixed += wBadges
	}
	rest := max(width-fixed, 2)
	l.from = min(max(rest*35/100, 8), 28)
	if l.from >= rest {
		l.from = rest / 2
	}
	l.subject = rest - l.from
	return l
}

// View renders the column header, the visible rows and the prompt line, each
// exactly m.width cells wide.
func (m Model) View() string {
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(m.header())
	h := m.rowsHeight()
	for i := 0; i < h; i++ {
		b.WriteByte('\n')
		r := m.offset + i
		switch {
		case r < len(m.rows):
			b.WriteString(m.renderRow(r))
		case r == 0 && len(m.rows) == 0:
			b.WriteString(m.c.Styles.Dim.Render(common.Fit(m.emptyText(), m.width)))
		default:
			b.WriteString(strings.Repeat(" ", m.width))
		}
	}
	if m.prompt != promptNone || m.filterErr != nil {
		b.WriteByte('\n')
		b.WriteString(m.promptLine())
	}
	return b.String()
}

func (m Model) emptyText() string {
	switch {
	case len(m.all) == 0:
		if m.empty == "" {
			return ""
		}
		return "  " + m.empty
	default:
		return "  no message matches " + sanitize.Line(m.filter)
	}
}

func (m Model) header() string {
	st := m.c.Styles
	l := columns(m.width)
	name := func(f query.SortField, s string, w int) string {
		s = common.Fit(s, w)
		if f == m.by {
			return st.Accent.Render(s)
		}
		return st.ColumnHeader.Render(s)
	}
	gap := st.ColumnHeader.Render(" ")
	out := st.ColumnHeader.Render(strings.Repeat(" ", wGutter+wFlags+1))
	if l.date {
		out += name(query.ByDate, "Date", wDate) + gap
	}
	out += name(query.ByFrom, "From", l.from) + gap + name(query.BySubject, "Subject", l.subject) + gap
	if l.size {
		out += name(query.BySize, common.FitRight("Size", wSize), wSize) + gap
	}
	if l.badges {
		out += st.ColumnHeader.Render(common.Fit("! S D M", wBadges))
	}
	return common.Fit(out, m.width)
}

func (m Model) promptLine() string {
	if m.prompt != promptNone {
		line := m.input.View()
		if m.filterErr != nil && m.prompt == promptFilter {
			line += "  " + m.c.Styles.Warning.Render(sanitize.Line(m.filterErr.Error()))
		}
		return common.Fit(line, m.width)
	}
	return m.c.Styles.Warning.Render(common.Fit("filter: "+sanitize.Line(m.filterErr.Error()), m.width))
}

// renderRow draws row r. Every segment gets the selection background on the
// cursor row: a style reset inside the row would otherwise end it early.
func (m Model) renderRow(r int) string {
	st := m.c.Styles
	rw := m.rowMeta(r)
	s := m.sums[m.rows[r]]
	selected := r == m.cursor
	if s == nil {
		return m.pendingRow(selected)
	}
	_, marked := m.marked[s.Key]

	base := st.Row
	switch {
	case rw.context:
		base = st.Context
	case !s.Read:
		base = st.Unread
	}
	paint := func(style lipgloss.Style, text string) string {
		if selected {
			style = style.Inherit(st.RowSelected)
		}
		return style.Render(text)
	}

	l := columns(m.width)
	var b strings.Builder
	b.Grow(m.width * 2)

	gutter := " "
	if selected {
		gutter = ">"
	}
	b.WriteString(paint(st.Accent, gutter))

	// Flags: unread (or missing from the bucket), attachment, marked (or
	// "+": more attachments may follow).
	f0, f1, f2 := " ", " ", " "
	switch {
	case s.Missing:
		f0 = "x"
	case !s.Read:
		f0 = "N"
	}
	if s.Attachments > 0 {
		f1 = "@"
	}
	switch {
	case marked:
		f2 = "*"
	case s.Attachments > 0 && !s.AttachmentsExact:
		// At least this many: only the start of a large message was
		// read. Opening it makes the count exact.
		f2 = "+"
	}
	b.WriteString(paint(base, f0+f1))
	b.WriteString(paint(st.Marked, f2))
	b.WriteString(paint(base, " "))

	if l.date {
		b.WriteString(paint(base, common.Fit(formatDate(s.Date, m.c.Now(), m.c.Loc), wDate)+" "))
	}
	b.WriteString(paint(base, common.SenderCell(s.From.Name, s.From.Address, l.from)+" "))
	b.WriteString(paint(base, common.Fit(m.subjectText(rw, s, l.subject), l.subject)+" "))
	if l.size {
		b.WriteString(paint(base, common.FitRight(mailstore.FormatSize(s.Size), wSize)+" "))
	}
	if !l.badges {
		return common.Fit(b.String(), m.width)
	}
	if s.Verdicts.Failed() {
		b.WriteString(paint(st.Danger, "!"))
	} else {
		b.WriteString(paint(base, " "))
	}
	for _, v := range []struct{ letter, value string }{
		{"S", s.Verdicts.SPF}, {"D", s.Verdicts.DKIM}, {"M", s.Verdicts.DMARC},
	} {
		b.WriteString(paint(base, " "))
		b.WriteString(paint(st.Verdict(v.value), verdictLetter(v.letter, v.value)))
	}
	return b.String()
}

// verdictLetter is the one-cell badge of a verdict: the letter when it
// passed, lower case when it failed (so it reads without colour), "-" for
// GRAY, NONE and the like, blank when SES said nothing.
func verdictLetter(letter, v string) string {
	switch v {
	case "PASS":
		return letter
	case "FAIL":
		return strings.ToLower(letter)
	case "":
		return " "
	default:
		return "-"
	}
}

// pendingRow stands for a row whose summary is still being read (a jump
// far down a large list, for the few milliseconds that takes).
func (m Model) pendingRow(selected bool) string {
	st := m.c.Styles
	gutter, style := " ", st.Dim
	if selected {
		gutter, style = ">", style.Inherit(st.RowSelected)
	}
	return style.Render(common.Fit(gutter+"    …", m.width))
}

// subjectText is the subject column of row rw, as much as fills w cells.
func (m Model) subjectText(rw meta, s *mailstore.Summary, w int) string {
	var subj string
	switch s.Kind {
	case mailstore.KindSetupNotification:
		subj = "(SES setup notification)"
	case mailstore.KindForeign:
		subj = "(not a mail message)"
	default:
		subj = sanitize.Cell(common.Head(s.Subject, w))
		switch {
		case s.HeadersPending:
			// From an inventory: the S3 date and size are all there is yet.
			subj = "(headers not read yet)"
		case subj == "":
			subj = "(no subject)"
		}
		subj = mailreport.Badge(s.Report) + mailstore.ForwardBadge(s.Forward.Status) + subj
	}
	if m.meta == nil {
		return subj
	}
	switch {
	case rw.folded:
		return "[+" + itoa32(rw.kids) + "] " + subj
	case rw.depth > 0:
		return strings.Repeat("  ", int(min(rw.depth-1, 5))) + "↳ " + subj
	case rw.kids > 0:
		return "[-" + itoa32(rw.kids) + "] " + subj
	}
	return subj
}

func itoa32(n int32) string { return strconv.Itoa(int(n)) }
