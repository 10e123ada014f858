package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sesbox/sesbox/mailstore/mailbox"
)

// progressPrinter draws index progress on stderr: a redrawn bar on a
// terminal; elsewhere a line every few seconds and a closing one, as the
// audit progress does, so logs stay readable and a long index is not
// silent.
type progressPrinter struct {
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
	if !tty {
		p.at = time.Now() // the first line after a while: a short run prints only its last
	}
	return p
}

// refreshingAside makes p the progress of a refresh aside from the
// command's own work, saying why in a note when it is shown.
func (p *progressPrinter) refreshingAside(why string) *progressPrinter {
	p.why, p.aside = why, true
	return p
}

func (p *progressPrinter) update(pr mailbox.Progress) {
	if w := pr.WaitText(); w != "" {
		// At once, and a line of its own: the wait may be long.
		if p.tty {
			p.waited = true
			fmt.Fprintf(p.w, "\r\x1b[K%s", w)
		} else {
			fmt.Fprintln(p.w, w)
		}
		return
	}
	if p.tty && p.aside && !asideShown(pr) {
		return
	}
	p.last, p.seen = pr, true
	every := 5 * time.Second
	if p.tty {
		every = 100 * time.Millisecond
	}
	if time.Since(p.at) < every {
		return
	}
	p.at = time.Now()
	p.sayWhy()
	if p.tty {
		fmt.Fprintf(p.w, "\r\x1b[K%s", progressLine(pr, time.Now()))
	} else {
		fmt.Fprintln(p.w, progressLine(pr, time.Now()))
	}
}

// finish closes the progress: with stopped (the run was interrupted),
// saying so and what is kept rather than the count of a finished run.
func (p *progressPrinter) finish(stopped bool) {
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
