package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore/audit"
	"github.com/sesbox/sesbox/mailstore/mailbox"
	"github.com/sesbox/sesbox/mailstore/reforward"
)

// TestIndexProgressOffATerminalPrintsALineNowAndThen: in a pipe or a log
// (cron, CI, `sesbox index 2>index.log`) the index said nothing until it
// ended, minutes on a large bucket, where export and audit print a line
// every few seconds; it now does as they do: a plain line every 5 s, then
// the closing one.
func TestIndexProgressOffATerminalPrintsALineNowAndThen(t *testing.T) {
	var buf bytes.Buffer
	p := newProgressPrinter(&buf, false)
	pr := mailbox.Progress{Listed: 5000, ToFetch: 5000, Fetched: 1200, Started: time.Now().Add(-6 * time.Second)}
	p.update(pr)
	if buf.Len() != 0 {
		t.Fatalf("a line at once: %q", buf.String())
	}
	p.at = time.Now().Add(-6 * time.Second)
	p.update(pr)
	p.update(pr) // at once again: nothing more
	lines := strings.Split(buf.String(), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "1200/5000 headers, 5000 listed") || strings.ContainsAny(buf.String(), "\r\x1b") {
		t.Fatalf("after 6 s: %q, want one plain line", buf.String())
	}
	pr.Fetched = 5000
	p.update(pr)
	p.finish(false)
	// The run's time is to the millisecond since Started: 6 s, and more
	// when the test itself was slow (6.001s at load 15).
	if !regexp.MustCompile(`\nindexed 5000 new or changed of 5000 objects in 6(\.\d+)?s\n$`).MatchString(buf.String()) {
		t.Errorf("the closing line: %q", buf.String())
	}
}

// TestForwardProgressOffATerminalPrintsALineNowAndThen: in a pipe or a
// log (`sesbox forward --query ... --yes 2>forward.log`) a forward's
// progress said nothing until its end, though the README promises a plain
// line every 5 s there for forward as for index, export and audit; it now
// prints one, without escapes.
func TestForwardProgressOffATerminalPrintsALineNowAndThen(t *testing.T) {
	var buf bytes.Buffer
	p := newForwardProgress(&buf, false)
	pr := reforward.Progress{Total: 3000, Done: 1200, Sent: 1190, Skipped: 10}
	p.update(pr)
	if buf.Len() != 0 {
		t.Fatalf("a line at once: %q", buf.String())
	}
	p.at = time.Now().Add(-6 * time.Second)
	p.update(pr)
	p.update(pr) // at once again: nothing more
	p.clear()
	lines := strings.Split(buf.String(), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "1200/3000  1190 sent  10 skipped") || strings.ContainsAny(buf.String(), "\r\x1b") {
		t.Fatalf("after 6 s: %q, want one plain line", buf.String())
	}

	// Planning, which reads every header before the run, says how far
	// it got too.
	buf.Reset()
	p.at = time.Now().Add(-6 * time.Second)
	p.planning(700, 3000)
	p.planning(701, 3000)
	if buf.String() != "forward: planning: 700 of 3000 messages read\n" {
		t.Errorf("planning: %q", buf.String())
	}
}

// TestAsideRefreshOnATerminalSaysNothingWhenWarm: a command that
// refreshes the index aside from its own work (audit log, to link its
// sends to bounces) said on a terminal, on every run, "sesbox: note:
// indexing the mailbox ..." and "indexed 0 new or changed of 40
// objects": with nothing to index it now says nothing, as off a
// terminal; with headers to read it says why, draws the bar and the
// closing line. A plain refresh (ls) still closes with its line.
func TestAsideRefreshOnATerminalSaysNothingWhenWarm(t *testing.T) {
	const why = "indexing the mailbox to link"
	warm := mailbox.Progress{Listed: 40, Started: time.Now()}
	var buf bytes.Buffer
	p := newProgressPrinter(&buf, true).refreshingAside(why)
	p.update(mailbox.Progress{Listing: true, Listed: 40, Started: warm.Started})
	p.update(warm)
	p.finish(false)
	if buf.Len() != 0 {
		t.Errorf("warm: %q, want nothing", buf.String())
	}

	buf.Reset()
	p = newProgressPrinter(&buf, true).refreshingAside(why)
	cold := mailbox.Progress{Listed: 40, ToFetch: 40, Fetched: 10, Started: time.Now()}
	p.update(cold)
	cold.Fetched = 40
	p.update(cold)
	p.finish(false)
	if out := buf.String(); !strings.Contains(out, "sesbox: note: "+why+"\n") || !strings.Contains(out, "10/40 headers") ||
		!strings.Contains(out, "indexed 40 new or changed of 40 objects") {
		t.Errorf("cold: %q", out)
	}

	buf.Reset()
	p = newProgressPrinter(&buf, true)
	p.update(warm)
	p.finish(false)
	if !strings.Contains(buf.String(), "indexed 0 new or changed of 40 objects") {
		t.Errorf("a plain warm refresh on a terminal: %q", buf.String())
	}
}

// TestInterruptedProgressSaysSoAndWhatIsKept: Ctrl-C mid-index closed
// with "indexed 72 new or changed of 361 objects in 2s" and then
// "sesbox: interrupted", which read like success; export and the audit
// commands closed as a finished run does ("72 of 361 objects exported").
// The closing line of an interrupted run now says so, what is kept and
// what to do.
func TestInterruptedProgressSaysSoAndWhatIsKept(t *testing.T) {
	for _, tty := range []bool{false, true} {
		var buf bytes.Buffer
		p := newProgressPrinter(&buf, tty)
		p.update(mailbox.Progress{Listed: 361, ToFetch: 300, Fetched: 75, Failed: 3, Started: time.Now()})
		p.finish(true)
		want := "interrupted: 72 of 300 new or changed objects indexed (361 listed), which are kept; run the same command again to index the rest\n"
		if !strings.HasSuffix(buf.String(), want) || strings.Contains(buf.String(), "\nindexed ") || strings.HasPrefix(buf.String(), "indexed ") {
			t.Errorf("index, tty %v: %q\nwant the line %q", tty, buf.String(), want)
		}

		buf.Reset()
		a := newAuditProgress(&buf, tty, "exported")
		a.update(audit.Progress{Listed: 361, Listing: true, Done: 72, Bytes: 2048, Started: time.Now()})
		a.finish(true)
		if !strings.Contains(buf.String(), "interrupted: 72 of 361+ objects exported, 2.0K") {
			t.Errorf("audit, tty %v: %q", tty, buf.String())
		}
	}
}

// TestStalledAuditProgressSaysItIsWaiting: while no object finishes (a
// stalled connection is cut after a minute), the export/snapshot/verify
// line is drawn again and says it waits, also before the first object;
// it stood still on "1 of 8+ objects exported" for as long as the stall.
// The clock is the test's; the ticks are called by hand.
func TestStalledAuditProgressSaysItIsWaiting(t *testing.T) {
	for _, tty := range []bool{false, true} {
		var buf bytes.Buffer
		t0 := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
		clock := t0
		p := newAuditProgress(&buf, tty, "exported")
		read := func() string {
			p.mu.Lock()
			defer p.mu.Unlock()
			s := buf.String()
			buf.Reset()
			return s
		}
		p.mu.Lock()
		p.stall.now = func() time.Time { return clock }
		p.at, p.stall.moved = t0, t0
		p.mu.Unlock()
		step := func(d time.Duration) {
			p.mu.Lock()
			clock = clock.Add(d)
			p.mu.Unlock()
			p.tick()
		}
		step(6 * time.Second)
		if got := read(); !strings.Contains(got, "waiting for S3: no object exported yet, 6s") {
			t.Errorf("tty %v, before the first object: %q", tty, got)
		}
		p.update(audit.Progress{Listed: 8, Listing: true, Done: 1, Bytes: 2048, Started: t0})
		read()
		step(3 * time.Second)
		if got := read(); got != "" {
			t.Errorf("tty %v, 3 s still: %q, want nothing new", tty, got)
		}
		step(9 * time.Second)
		if got := read(); !strings.Contains(got, "1 of 8+ objects exported, 2.0K") || !strings.Contains(got, "waiting for S3: no object done for 12s") {
			t.Errorf("tty %v, 12 s still: %q", tty, got)
		}
		step(time.Second)
		read()
		p.update(audit.Progress{Listed: 8, Listing: true, Done: 2, Bytes: 4096, Started: t0})
		if got := read(); strings.Contains(got, "waiting") || !strings.Contains(got, "2 of 8+ objects exported") {
			t.Errorf("tty %v, moving again: %q", tty, got)
		}
		p.finish(false)
		step(10 * time.Second)
		if got := read(); strings.Contains(got, "waiting") {
			t.Errorf("tty %v, after finish: %q", tty, got)
		}
	}
}

// TestForwardProgressValuesCannotActOnTheTerminal: the forward's progress
// line "waiting for team table NAME" printed NAME (config's team_table,
// or --table) as it was: a name holding an OSC sequence retitled the
// window. Every value in a forward's progress line is sanitized, the
// planning and wait lines as the run's.
func TestForwardProgressValuesCannotActOnTheTerminal(t *testing.T) {
	const hostile = "team\x1b]0;pwned\x07\x1b[2J\u202eelbat"
	for _, tty := range []bool{true, false} {
		var buf bytes.Buffer
		p := newForwardProgress(&buf, tty)
		p.at = time.Now().Add(-time.Minute)
		p.waitingForTable(hostile)
		p.at = time.Now().Add(-time.Minute)
		p.update(reforward.Progress{Total: 2, Done: 1, WaitingFor: hostile})
		out := strings.ReplaceAll(buf.String(), "\r\x1b[K", "") // the redraw's own
		if strings.ContainsAny(out, "\x1b\x07\u202e") || !strings.Contains(out, "waiting for team table team") {
			t.Errorf("tty %v: %q", tty, buf.String())
		}
	}
}

// TestStalledIndexProgressSaysItIsWaiting: the index's progress (sesbox
// index, ls's refresh) stood still on "[###---] 3/10 headers" for as
// long as a stall lasted, and said nothing at all when the listing
// stalled first, where export's and audit's say they wait; it says it
// the same way now, through the same helper (stalled). The clock is the
// test's; the ticks are called by hand.
func TestStalledIndexProgressSaysItIsWaiting(t *testing.T) {
	for _, tc := range []struct {
		tty   bool
		aside string
	}{{false, ""}, {true, ""}, {true, "indexing before the list"}} {
		var buf bytes.Buffer
		t0 := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
		clock := t0
		p := newProgressPrinter(&buf, tc.tty)
		if tc.aside != "" {
			p.refreshingAside(tc.aside)
		}
		read := func() string {
			p.mu.Lock()
			defer p.mu.Unlock()
			s := buf.String()
			buf.Reset()
			return s
		}
		p.mu.Lock()
		p.stall.now = func() time.Time { return clock }
		p.at, p.stall.moved = t0, t0
		p.mu.Unlock()
		step := func(d time.Duration) {
			p.mu.Lock()
			clock = clock.Add(d)
			p.mu.Unlock()
			p.tick()
		}
		step(6 * time.Second)
		if got := read(); !strings.Contains(got, "waiting for S3: no object indexed yet, 6s") {
			t.Errorf("%+v, before the first object: %q", tc, got)
		}
		p.update(mailbox.Progress{Listed: 10, ToFetch: 10, Fetched: 3, Started: t0})
		read()
		step(3 * time.Second)
		if got := read(); got != "" {
			t.Errorf("%+v, 3 s still: %q, want nothing new", tc, got)
		}
		step(9 * time.Second)
		if got := read(); !strings.Contains(got, "3/10 headers") || !strings.Contains(got, "waiting for S3: no object done for 12s") {
			t.Errorf("%+v, 12 s still: %q", tc, got)
		}
		step(time.Second)
		read()
		p.update(mailbox.Progress{Listed: 10, ToFetch: 10, Fetched: 4, Started: t0})
		if got := read(); strings.Contains(got, "waiting") || !strings.Contains(got, "4/10 headers") {
			t.Errorf("%+v, moving again: %q", tc, got)
		}
		p.finish(false)
		step(10 * time.Second)
		if got := read(); strings.Contains(got, "waiting") || !strings.Contains(got, "indexed 4 new or changed of 10 objects") {
			t.Errorf("%+v, after finish: %q", tc, got)
		}
	}
}
