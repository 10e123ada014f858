package list

import (
	"context"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/sesbox/sesbox/tui/internal/fixture"
)

// The list promises that a key press costs what the screen shows, not what
// the mailbox holds. These benchmarks measure one Update+View on a
// 100k-message list, and report it against the baseline of drawing every
// row once (what a list that renders everything would pay per frame):
//
//	go test -run '^$' -bench 'ListKeyJ|FilterKeystroke|ListRenderAllRows' -benchmem ./tui/list
//
// The metric "x-full-render" is baseline time / time per operation: how
// many times cheaper the operation is than rendering all rows. A filter
// keystroke matches all 100k summaries (in the fake mailbox here, in SQL
// for the real one), so its ratio is much lower than j's; it must still
// stay well above 1.

const benchRows = 100_000

func benchList(b *testing.B) Model {
	b.Helper()
	m, _ := newListOf(b, 120, 38, fixture.Many(benchRows))
	return m
}

var (
	baselineOnce sync.Once
	baselineNs   float64
)

// fullRenderNs measures drawing every row once, outside the timer of the
// benchmark that asks.
func fullRenderNs(b *testing.B) float64 {
	baselineOnce.Do(func() {
		m := benchList(b)
		holdAll(m)
		start := time.Now()
		const rounds = 2
		for range rounds {
			renderAll(m)
		}
		baselineNs = float64(time.Since(start).Nanoseconds()) / rounds
	})
	return baselineNs
}

// holdAll puts every summary in memory, as a list that held them all did.
func holdAll(m Model) {
	rows, _ := m.src.Rows(context.Background(), m.rows)
	for i := range rows {
		m.sums[rows[i].ID] = &rows[i].Summary
	}
}

func renderAll(m Model) int {
	n := 0
	for r := range m.rows {
		n += len(m.renderRow(r))
	}
	return n
}

var explainOnce sync.Once

func report(b *testing.B, start time.Time) {
	per := float64(time.Since(start).Nanoseconds()) / float64(b.N)
	b.ReportMetric(fullRenderNs(b)/per, "x-full-render")
	explainOnce.Do(func() {
		b.Logf("x-full-render = time to render all %d rows once (%.0f ms, the baseline) / ns per op: "+
			"how many times cheaper one key press is than a list that renders every row", benchRows, fullRenderNs(b)/1e6)
	})
}

// BenchmarkListKeyJ is one `j` (cursor down) and the redraw after it.
func BenchmarkListKeyJ(b *testing.B) {
	m := benchList(b)
	fullRenderNs(b)
	j, k := fixture.Key("j"), fixture.Key("k")
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		// Walk down a screen and back so the cursor also scrolls.
		msg := j
		if (i/200)%2 == 1 {
			msg = k
		}
		var cmd tea.Cmd
		m, cmd = m.Update(msg)
		m, _ = settle(m, cmd)
		_ = m.View()
	}
	b.StopTimer()
	report(b, start)
}

// BenchmarkFilterKeystroke is one key typed into the filter (the list is
// filtered again over all 100k messages) and the redraw after it.
func BenchmarkFilterKeystroke(b *testing.B) {
	m := benchList(b)
	fullRenderNs(b)
	m, _ = press(b, m, "/")
	m = typeText(b, m, "topic 4")
	keys := []tea.KeyMsg{fixture.Key("2"), fixture.Key("backspace")}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		var cmd tea.Cmd
		m, cmd = m.Update(keys[i%2])
		m, _ = settle(m, cmd)
		_ = m.View()
	}
	b.StopTimer()
	report(b, start)
}

// BenchmarkListRenderAllRows is the baseline: every row of the 100k list
// drawn once.
func BenchmarkListRenderAllRows(b *testing.B) {
	m := benchList(b)
	holdAll(m)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		renderAll(m)
	}
}
