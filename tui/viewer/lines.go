package viewer

import (
	"cmp"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/sesbox/sesbox/tui/common"
)

// The pager keeps what it shows as lines of plain (sanitized, wrapped) text
// with a style per span, not as one rendered string: search runs on the
// plain text, and a hit is highlighted by cutting the spans at its bounds.

// span is a run of text drawn in one style; plain spans are drawn as they
// are (a zero lipgloss.Style would reach for the default renderer).
type span struct {
	text   string
	style  *lipgloss.Style
	styled bool
	// tmpl, when set, draws the span as lipgloss would with its style,
	// without asking lipgloss (see quotedLines).
	tmpl *styleTemplate
}

// styleTemplate is what a simple style writes around one line of text
// (its escape sequences), found once by drawing two probes: a body of
// 30,000 short lines spent 40% of its layout in lipgloss, drawing the same
// style around each.
type styleTemplate struct{ pre, post string }

// templateOf is st's template, or nil when st does more to a line than
// write around it (padding, a width, borders, spaces styled apart): then
// lipgloss draws each line.
func templateOf(st *lipgloss.Style) *styleTemplate {
	probe := st.Render("x")
	i := strings.IndexByte(probe, 'x')
	if i < 0 {
		return nil
	}
	t := &styleTemplate{pre: probe[:i], post: probe[i+1:]}
	for _, p := range []string{"a b", "漢字  x\u0301."} {
		if t.pre+p+t.post != st.Render(p) {
			return nil
		}
	}
	return t
}

type line []span

func (l line) plain() string {
	if len(l) == 1 {
		return l[0].text
	}
	var b strings.Builder
	for _, s := range l {
		b.WriteString(s.text)
	}
	return b.String()
}

func styled(st lipgloss.Style, text string) line { return line{{text: text, style: &st, styled: true}} }

func raw(text string) line { return line{{text: text}} }

func (s span) render(text string) string {
	switch {
	case !s.styled || text == "":
		return text
	case s.tmpl != nil && !strings.ContainsAny(text, "\t\n"):
		return s.tmpl.pre + text + s.tmpl.post
	}
	return s.style.Render(text)
}

// wrapLines expands tabs and wraps one logical line (already sanitized, no
// newline) to w cells, at spaces where it can (common.Wrap: not after a
// hyphen, so a command or an address in a mail stays whole to copy).
func wrapLines(l string, w int, hard bool) []string {
	l = common.ExpandTabs(l)
	if ansi.StringWidth(l) <= w {
		return []string{l}
	}
	if hard {
		return strings.Split(ansi.Hardwrap(l, w, true), "\n")
	}
	return strings.Split(common.Wrap(l, w), "\n")
}

// textLines wraps sanitized multi-line text, each physical line in the
// style styleOf gives its logical line.
func (m Model) textLines(text string, styleOf func(logical string) lipgloss.Style) []line {
	w := max(m.width, 1)
	var out []line
	for _, l := range strings.Split(text, "\n") {
		st := styleOf(l)
		for _, p := range wrapLines(l, w, false) {
			out = append(out, styled(st, p))
		}
	}
	return out
}

// quotedLines is textLines for a body, each line in the style of its
// quote depth: each depth's style is made once, shared by its lines and
// drawn through its template. A body of 30,000 short lines copied the
// 552 bytes of a style into each line and drew each through lipgloss
// (165 ms to open; BenchmarkViewerHostileShapes).
func (m Model) quotedLines(text string) []line {
	w := max(m.width, 1)
	type depthStyle struct {
		style *lipgloss.Style
		tmpl  *styleTemplate
	}
	byDepth := map[int]depthStyle{}
	var out []line
	for _, l := range strings.Split(text, "\n") {
		d := QuoteDepth(l)
		ds, ok := byDepth[d]
		if !ok {
			st := m.c.Styles.QuoteStyle(d)
			ds = depthStyle{&st, templateOf(&st)}
			byDepth[d] = ds
		}
		for _, p := range wrapLines(l, w, false) {
			out = append(out, line{{text: p, style: ds.style, styled: true, tmpl: ds.tmpl}})
		}
	}
	return out
}

// QuoteDepth counts the quote markers a line starts with: "> a" is 1,
// "> > a" and ">> a" are 2. Markers must start the line; spaces may
// separate them.
func QuoteDepth(l string) int {
	d := 0
	for i := 0; i < len(l); i++ {
		switch l[i] {
		case '>':
			d++
		case ' ', '\t':
			if d == 0 {
				return 0
			}
		default:
			return d
		}
	}
	return d
}

// hit is one search match: line index and byte range in its plain text.
type hit struct{ line, start, end int }

// search is the pager's search: the query, its hits in the lines shown,
// and the current hit (-1 before n/N or the first jump).
type search struct {
	query string
	re    *regexp.Regexp
	hits  []hit
	cur   int
	// lit holds each line with hits drawn with them marked, none current
	// (setHits): n and N draw only the current hit's line again.
	lit map[int]string
}

// compileSearch makes a case-insensitive literal matcher; nil for "".
func compileSearch(q string) *regexp.Regexp {
	if q == "" {
		return nil
	}
	return regexp.MustCompile("(?i)" + regexp.QuoteMeta(q))
}

// maxHits bounds a search: one letter searched in a body of megabytes
// made 5 million hits, which took 10 s to find and highlight (and 5 s
// for each n after) in 320 MB. The rule says "10000+ matches" then.
const maxHits = 10000

// setHits finds the search's hits in the lines shown and draws each line
// holding hits once, none of them current: with 10,000 hits, one a line
// of a 5 MB body, every n drew them all again (160 ms of CPU a key).
func (m *Model) setHits() {
	m.search.hits = findHits(m.search.re, m.lines)
	m.search.lit = make(map[int]string)
	for from := 0; from < len(m.search.hits); {
		line, to := m.search.hits[from].line, from
		for to < len(m.search.hits) && m.search.hits[to].line == line {
			to++
		}
		m.search.lit[line] = m.renderHits(m.lines[line], from, to, -1)
		from = to
	}
}

// findHits finds the hits of re in lines, the first maxHits of them.
func findHits(re *regexp.Regexp, lines []line) []hit {
	if re == nil {
		return nil
	}
	var hits []hit
	for i, l := range lines {
		for _, loc := range re.FindAllStringIndex(l.plain(), maxHits-len(hits)) {
			if loc[1] > loc[0] {
				hits = append(hits, hit{i, loc[0], loc[1]})
			}
		}
		if len(hits) >= maxHits {
			break
		}
	}
	return hits
}

// hitCount is the number of hits for the rule: "10000+" when the search
// stopped there.
func hitCount(n int) string {
	if n >= maxHits {
		return strconv.Itoa(maxHits) + "+"
	}
	return strconv.Itoa(n)
}

// draw draws each line without highlights, once per layout: a search,
// n and N then draw again only the lines holding hits (drawing all 65,000
// lines of a 5 MB body took 0.2 s at every n).
func (m Model) draw() []string {
	out := make([]string, len(m.lines))
	for i, l := range m.lines {
		if len(l) == 1 {
			out[i] = l[0].render(l[0].text)
			continue
		}
		var b strings.Builder
		for _, s := range l {
			b.WriteString(s.render(s.text))
		}
		out[i] = b.String()
	}
	return out
}

// lineView is line i as the pager shows it: as drawn, or with its hits
// marked (lit, drawn once by setHits, unless the current hit is on it).
func (m Model) lineView(i int) string {
	hits := m.search.hits
	start, _ := slices.BinarySearchFunc(hits, i, func(h hit, line int) int { return cmp.Compare(h.line, line) })
	end := start
	for end < len(hits) && hits[end].line == i {
		end++
	}
	switch lit, ok := m.search.lit[i]; {
	case start == end:
		return m.drawn[i]
	case ok && (m.search.cur < start || m.search.cur >= end):
		return lit
	}
	return m.renderHits(m.lines[i], start, end, m.search.cur)
}

// renderHits draws line l with hits[from:to] (all on this line) marked,
// hit cur as the current one.
func (m Model) renderHits(l line, from, to, cur int) string {
	st := m.c.Styles
	var b strings.Builder
	off := 0 // byte offset of the current span in the plain line
	for _, s := range l {
		end := off + len(s.text)
		pos := off
		for k := from; k < to && pos < end; k++ {
			ht := m.search.hits[k]
			if ht.end <= pos || ht.start >= end {
				continue
			}
			hs, he := max(ht.start, pos), min(ht.end, end)
			b.WriteString(s.render(s.text[pos-off : hs-off]))
			b.WriteString(st.Highlight(s.text[hs-off:he-off], k == cur))
			pos = he
		}
		b.WriteString(s.render(s.text[pos-off:]))
		off = end
	}
	return b.String()
}

// position is the pager's place, as less and mutt show it: "all" when
// everything fits, "top", "end", else how far down the last line on
// screen is.
func (m Model) position() string {
	total := m.vp.TotalLineCount()
	switch {
	case total <= m.vp.Height:
		return "all"
	case m.vp.YOffset <= 0:
		return "top"
	case m.vp.AtBottom():
		return "end"
	}
	return strconv.Itoa(min(99, (m.vp.YOffset+m.vp.Height)*100/total)) + "%"
}
