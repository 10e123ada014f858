package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/sesbox/sesbox/mailstore/mailbox"
)

// progressPrinter draws index progress on stderr: a redrawn bar on a
// terminal; elsewhere a line every few seconds and a closing one, as the
// audit progress does, so logs stay readable and a long index is not
// silent. While nothing is listed or read for waitAfter, the line is
// drawn again each second and says it waits, as the audit progress
// says it (stalled): it stood still for as long as a stall lasted.
type progressPrinter struct {
	mu   sync.Mutex // the stall's ticks draw from their own goroutine
	w    io.Writer
	tty  bool
	last mailbox.Progress
	seen bool
	// waited: a wait line is drawn, which finish clears
	waited bool
	// why, when set, is said in a note before the first line drawn: a
	// command whose own work is not indexing says why it indexes. Such a
	// refresh (aside) is shown on a terminal only when it has work to
	// show (asideShown): `audit log` said on every run "sesbox: note:
	// indexing the mailbox ..." and "indexed 0 new or changed of 40
	// objects".
	why   string
	aside bool
	at    time.Time
	stall stalled
	// finished: finish has run (a tick after it draws nothing).
	finished bool
}

// asideAfter is how long a refresh aside from the command's work lists
// before a terminal shows it with nothing to read yet: a large bucket's
// listing is a wait worth explaining.
const asideAfter = time.Second

// asideShown says whether a refresh aside from the command's work is
// worth showing now: it has headers to read, or has listed a while.
func asideShown(pr mailbox.Progress) bool {
	return pr.ToFetch > 0 || time.Since(pr.Started) >= asideAfter
}

func newProgressPrinter(w io.Writer, tty bool) *progressPrinter {
	p := &progressPrinter{w: w, tty: tty}
	p.stall.start(time.Now, p.tick)
	if !tty {
		p.at = p.stall.now() // the first line after a while: a short run prints only its last
	}
	return p
}

// refreshingAside makes p the progress of a refresh aside from the
// command's own work, saying why in a note when it is shown.
func (p *progressPrinter) refreshingAside(why string) *progressPrinter {
	p.why, p.aside = why, true
	return p
}

// tick draws the line when nothing has moved for waitAfter.
func (p *progressPrinter) tick() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.finished && p.stall.since() >= waitAfter {
		p.drawLocked()
	}
}

func (p *progressPrinter) update(pr mailbox.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if w := pr.WaitText(); w != "" {
		// At once, and a line of its own: the wait may be long.
		p.stall.moving() // another sesbox's refresh, not S3, is waited for
		if p.tty {
			p.waited = true
			fmt.Fprintf(p.w, "\r\x1b[K%s", w)
		} else {
			fmt.Fprintln(p.w, w)
		}
		return
	}
	if !p.seen || pr.Fetched != p.last.Fetched || pr.Listed != p.last.Listed {
		if p.stall.moving() {
			p.at = time.Time{} // at once: the line said it waits
		}
	}
	if p.tty && p.aside && !asideShown(pr) {
		return
	}
	p.last, p.seen = pr, true
	p.drawLocked()
}

// drawLocked writes the line, at most every 100 ms on a terminal and
// every 5 s elsewhere, saying it waits when nothing moved for waitAfter.
func (p *progressPrinter) drawLocked() {
	now := p.stall.now()
	if p.tty && p.aside && !p.seen && p.stall.since() < waitAfter {
		return
	}
	every := 5 * time.Second
	if p.tty {
		every = 100 * time.Millisecond
	}
	if now.Sub(p.at) < every {
		return
	}
	p.at = now
	line := p.stall.line(p.seen, "indexed", func() string { return progressLine(p.last, now) })
	p.sayWhy()
	if p.tty {
		p.waited = !p.seen
		fmt.Fprintf(p.w, "\r\x1b[K%s", line)
	} else {
		fmt.Fprintln(p.w, line)
	}
}

// finish closes the progress: with stopped (the run was interrupted),
// saying so and what is kept rather than the count of a finished run.
func (p *progressPrinter) finish(stopped bool) {
	p.stall.stop()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.finished = true
	if !p.seen {
		if p.waited {
			fmt.Fprint(p.w, "\r\x1b[K")
		}
		return
	}
	if p.tty {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
	if stopped {
		// Ctrl-C: not a finished run, though what was read is kept.
		p.sayWhy()
		fmt.Fprintf(p.w, "interrupted: %d of %d new or changed objects indexed (%d listed), which are kept; run the same command again to index the rest\n",
			p.last.Fetched-p.last.Failed, p.last.ToFetch, p.last.Listed)
		return
	}
	if p.last.ToFetch > 0 || (p.tty && !p.aside) {
		p.sayWhy()
		fmt.Fprintf(p.w, "indexed %d new or changed of %d objects in %s\n", p.last.Fetched-p.last.Failed, p.last.Listed,
			time.Since(p.last.Started).Round(time.Millisecond))
	}
}

// sayWhy prints the note of why, once, on a line of its own.
func (p *progressPrinter) sayWhy() {
	if p.why == "" {
		return
	}
	if p.tty {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
	fmt.Fprintln(p.w, "sesbox: note:", p.why)
	p.why = ""
}

// progressLine renders "[#####-----] 1234/5000 headers  350/s  ETA 10s".
func progressLine(p mailbox.Progress, now time.Time) string {
	const width = 24
	frac := 0.0
	if p.ToFetch > 0 {
		frac = float64(p.Fetched) / float64(p.ToFetch)
	}
	n := int(frac * width)
	bar := strings.Repeat("#", n) + strings.Repeat("-", width-n)
	rate := p.Rate(now)
	eta := "?"
	if rate > 0 && !p.Listing {
		eta = time.Duration(float64(p.ToFetch-p.Fetched) / rate * float64(time.Second)).Round(time.Second).String()
	}
	listing := ""
	if p.Listing {
		listing = " (listing)"
	}
	return fmt.Sprintf("[%s] %d/%d headers, %d listed%s  %.0f/s  ETA %s", bar, p.Fetched, p.ToFetch, p.Listed, listing, rate, eta)
}

// stalled is what the progress lines of index, export and audit share
// for a stall: when their counts last moved, the words for a wait, and
// a goroutine that draws the line again each second, so a stall is said
// while it lasts (a stalled connection is cut only after a minute, and
// each break is retried). Its owner's lock guards it, but for stop.
type stalled struct {
	now   func() time.Time
	moved time.Time
	// shown: the last line drawn said it waits.
	shown bool
	done  chan struct{}
	once  sync.Once
}

// start sets the clock and ticks tick each second until stop.
func (s *stalled) start(now func() time.Time, tick func()) {
	s.now, s.moved, s.done = now, now(), make(chan struct{})
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-s.done:
				return
			case <-t.C:
				tick()
			}
		}
	}()
}

// stop ends the ticks; the calls after it do nothing.
func (s *stalled) stop() { s.once.Do(func() { close(s.done) }) }

// moving notes that the counts moved; it says whether the last line
// drawn said it waits (the next is then drawn at once).
func (s *stalled) moving() bool {
	s.moved = s.now()
	return s.shown
}

// since is how long the counts have stood still.
func (s *stalled) since() time.Duration { return s.now().Sub(s.moved) }

// line is the progress line (counts renders it; seen: there are counts
// yet), with what it waits for once they have stood still for waitAfter:
// "waiting for S3: no object exported yet, 6s" before the first, ",
// waiting for S3: no object done for 12s" after the counts.
func (s *stalled) line(seen bool, verb string, counts func() string) string {
	d := s.since().Round(time.Second)
	s.shown = true
	switch {
	case !seen:
		return fmt.Sprintf("waiting for S3: no object %s yet, %s", verb, d)
	case d >= waitAfter:
		return counts() + fmt.Sprintf(", waiting for S3: no object done for %s", d)
	}
	s.shown = false
	return counts()
}
