package list

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/sesbox/sesbox/mailstore/index"
	"github.com/sesbox/sesbox/mailstore/query"
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

// threadRows are n messages in threads of four, newest first, for the
// thread benchmarks.
func threadRows(n int) []index.Thread {
	out := make([]index.Thread, n)
	for i := range out {
		th := &out[i]
		th.ID, th.Key = int64(i+1), fmt.Sprintf("m%07d", i)
		th.MessageID = fmt.Sprintf("<m%d@x.example>", i)
		th.Subject = fmt.Sprintf("subject %d", i/4)
		th.Date = fixture.Now.Add(-time.Duration(i) * time.Minute)
		if i%4 != 0 {
			th.InReplyTo = fmt.Sprintf("<m%d@x.example>", i-1)
		}
	}
	return out
}

// BenchmarkThreadResort is a sort in the thread view at 10^6 messages:
// the threads already linked put in the new order (threadSet.reorder), by
// sender (from the new order's ids) and by date (from the dates alone).
// Its baseline, x-rebuild, is what each sort paid before on top of reading
// every message's thread fields from the index again: linking them
// (buildThreads and byNewest). Run with -benchtime 3x: each op is a pass
// over 10^6 messages.
//
//	go test -run '^$' -bench ThreadResort -benchtime 3x ./tui/list
func BenchmarkThreadResort(b *testing.B) {
	const n = 1_000_000
	rows := threadRows(n)
	start := time.Now()
	ix := buildThreads(rows)
	ix.byNewest(rows, false)
	rebuild := float64(time.Since(start).Nanoseconds())
	t := &threadSet{tall: rows, tpos: make(map[int64]int32, n), index: ix}
	for i := range rows {
		t.tpos[rows[i].ID] = int32(i)
	}
	byFrom := make([]int64, n) // any other order of the same ids
	for i := range byFrom {
		byFrom[i] = rows[(i*7919)%n].ID
	}
	for _, c := range []struct {
		name string
		by   query.SortField
		all  []int64
	}{{"from", query.ByFrom, byFrom}, {"date", query.ByDate, nil}} {
		b.Run(c.name, func(b *testing.B) {
			start := time.Now()
			for range b.N {
				if t.reorder(c.by, true, c.all) == nil {
					b.Fatal("reorder refused the same messages")
				}
			}
			per := float64(time.Since(start).Nanoseconds()) / float64(b.N)
			b.ReportMetric(rebuild/per, "x-rebuild")
			b.Logf("rebuild (buildThreads+byNewest) %.0f ms, reorder %.0f ms", rebuild/1e6, per/1e6)
		})
	}
}
