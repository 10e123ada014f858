package viewer

import (
	tea "github.com/charmbracelet/bubbletea"

	"github.com/sesbox/sesbox/mailstore/sanitize"
)

// startPrompt opens the search or pipe prompt.
func (m Model) startPrompt(kind promptKind) (Model, tea.Cmd) {
	if m.msg == nil {
		return m, nil
	}
	m.prompt = kind
	switch kind {
	case promptSearch:
		m.input.Prompt = "search: "
		return m.openPrompt("")
	case promptPipe:
		m.pipePart = 0
		if p, ok := m.selectedPart(); ok && (m.mode == modeParts || m.mode == modePart) {
			m.pipePart = p.Index
		}
		m.input.Prompt = m.pipePrompt()
		return m.openPrompt("")
	}
	return m, nil
}

// startSearch runs a search typed in the prompt: the first hit at or below
// the top of the screen becomes current and is brought to the top. An
// empty search clears the highlighting.
func (m Model) startSearch(q string) (Model, tea.Cmd) {
	if q == "" {
		m.search = search{cur: -1}
		m.refresh()
		return m, nil
	}
	m.search = search{query: q, re: compileSearch(q), cur: -1}
	m.setHits()
	if len(m.search.hits) == 0 {
		m.refresh()
		return m, notice("not found: " + sanitize.Line(q))
	}
	top := m.vp.YOffset
	m.search.cur = 0
	for i, h := range m.search.hits {
		if h.line >= top {
			m.search.cur = i
			break
		}
	}
	var cmd tea.Cmd
	if m.search.hits[m.search.cur].line < top {
		cmd = notice("search hit BOTTOM, continuing at TOP")
	}
	m.jump()
	return m, cmd
}

// nextHit moves to the next (dir 1) or previous (dir -1) hit, wrapping
// around with a notice as mutt and less do.
func (m Model) nextHit(dir int) (Model, tea.Cmd) {
	n := len(m.search.hits)
	switch {
	case m.search.re == nil:
		return m, notice("no search yet: " + m.c.Keys.Viewer.Search.Help().Key + " searches")
	case n == 0:
		return m, notice("not found: " + sanitize.Line(m.search.query))
	}
	var cmd tea.Cmd
	switch {
	case m.search.cur < 0 && dir > 0:
		m.search.cur = 0
	case m.search.cur < 0:
		m.search.cur = n - 1
	default:
		m.search.cur += dir
	}
	if m.search.cur >= n && n >= maxHits {
		m.search.cur = 0
		cmd = notice("search stopped at " + hitCount(n) + " matches, continuing at TOP")
	} else if m.search.cur >= n {
		m.search.cur = 0
		cmd = notice("search hit BOTTOM, continuing at TOP")
	} else if m.search.cur < 0 {
		m.search.cur = n - 1
		cmd = notice("search hit TOP, continuing at BOTTOM")
	}
	// The rule says which match this is ("match 3/10"); a notice saying
	// it too came from a Cmd, and of two n typed at once the answers race,
	// so the status line could say "match 2 of 10" under a rule of 3/10.
	m.jump()
	return m, cmd
}

// jump brings the current hit's line to the top of the screen (as less
// does; the viewport stops at the last page).
func (m *Model) jump() {
	m.refresh()
	if m.search.cur >= 0 && m.search.cur < len(m.search.hits) {
		m.vp.SetYOffset(m.search.hits[m.search.cur].line)
	}
}
