package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sesbox/sesbox/mailstore/mailbox"
)

// progressPrinter draws index progress on stderr: a redrawn bar on a
// terminal, a single closing line otherwise (logs stay readable).
type progressPrinter struct {
	w    io.Writer
	tty  bool
	last mailbox.Progress
	seen bool
	at   time.Time
}

func newProgressPrinter(w io.Writer, tty bool) *progressPrinter {
	return &progressPrinter{w: w, tty: tty}
}

func (p *progressPrinter) update(pr mailbox.Progress) {
	p.last, p.seen = pr, true
	if !p.tty || time.Since(p.at) < 100*time.Millisecond {
		return
	}
	p.at = time.Now()
	fmt.Fprintf(p.w, "\r\x1b[K%s", progressLine(pr, time.Now()))
}

func (p *progressPrinter) finish() {
	if !p.seen {
		return
	}
	if p.tty {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
	if p.last.ToFetch > 0 || p.tty {
		fmt.Fprintf(p.w, "indexed %d new or changed of %d objects in %s\n", p.last.Fetched-p.last.Failed, p.last.Listed,
			time.Since(p.last.Started).Round(time.Millisecond))
	}
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
