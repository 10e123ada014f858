package index

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/mime"
)

// Progress reports a refresh as it goes.
type Progress struct {
	Listed  int // objects listed so far
	ToFetch int // new or changed objects whose headers must be read
	Fetched int // headers read (or failed) so far
	Failed  int // headers that could not be read
	Started time.Time
	// New holds the summaries indexed since the previous report, so a list
	// can fill in while indexing runs.
	New []mailstore.Summary
	// Listing is false once the whole prefix has been listed.
	Listing bool
	Done    bool
	// Waiting is set while the refresh waits for another sesbox process
	// that refreshes the same mailbox (mailbox.Refresh's lock), whose
	// process id is WaitingFor (0: not known). Nothing else is set then.
	Waiting    bool
	WaitingFor int
}

// Rate is headers read per second so far.
func (p Progress) Rate(now time.Time) float64 {
	el := now.Sub(p.Started).Seconds()
	if el <= 0 {
		return 0
	}
	return float64(p.Fetched) / el
}

// WaitText says what a waiting refresh waits for ("" when it does not
// wait), for a progress line or a status line.
func (p Progress) WaitText() string {
	if !p.Waiting {
		return ""
	}
	if p.WaitingFor > 0 {
		return fmt.Sprintf("waiting for another sesbox indexing this mailbox (pid %d)…", p.WaitingFor)
	}
	return "waiting for another sesbox indexing this mailbox…"
}

// DefaultWorkers is how many header reads Refresh runs at once by default.
const DefaultWorkers = 32

// Options tune Refresh.
type Options struct {
	// Workers is how many header reads run at once (0: DefaultWorkers).
	Workers int
	// Every is how often progress is reported (and written) at the least.
	Every time.Duration
	// Batch is how many summaries are written in one transaction at the
	// most (0: 500).
	Batch int
	// List is the lister stage's source (nil: the store's LIST,
	// mailstore.Store.List). Another source, such as an S3 Inventory
	// report (inventory.Lister), replaces every LIST call; its pages must
	// hold only objects under the store's prefix. Such a source is a
	// snapshot, up to a day old: a key it lacks may simply be newer, so
	// with it nothing is marked missing (a later LIST refresh does that).
	List Lister
}

// Lister is a listing source: it calls fn with pages of objects until the
// whole mailbox is listed, as mailstore.Store.List does.
type Lister func(ctx context.Context, fn func(page []mailstore.Object) error) error

func (o Options) withDefaults() Options {
	if o.Workers <= 0 {
		o.Workers = DefaultWorkers
	}
	if o.Every <= 0 {
		o.Every = 200 * time.Millisecond
	}
	if o.Batch <= 0 {
		o.Batch = 500
	}
	return o
}

// Refresh lists st and reads the header block of every object that is new
// or whose ETag changed, storing summaries in x. Objects that vanished are
// marked missing. progress, if not nil, is called from one goroutine at a
// time. Header reads that fail are counted and reported in the returned
// error; everything else is still indexed.
//
// It runs three stages joined by typed channels, each a function of its
// own: the lister (listChanged) sends the objects to read, the header
// fetchers (fetchHeaders) turn them into summaries, and the collector
// (collector.run) writes those in batches and reports progress.
func Refresh(ctx context.Context, x *Index, st mailstore.Store, opt Options, progress func(Progress)) (err error) {
	opt = opt.withDefaults()
	loc := st.Location()
	known, err := x.Known(ctx, loc)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var n counters
	toRead := make(chan mailstore.Object, 256)
	headers := make(chan fetched, 256)
	listed := make(chan listResult, 1)
	go func() {
		list := opt.List
		if list == nil {
			list = st.List
		}
		res := listChanged(ctx, list, known, toRead, &n)
		close(toRead)
		listed <- res
	}()
	go fetchHeaders(ctx, st, opt.Workers, toRead, headers)

	c := newCollector(x, loc.Bucket, opt, &n, progress)
	defer func() {
		if err != nil && ctx.Err() != nil {
			// Interrupted (Ctrl-C): the headers read so far are kept and
			// reported, so the next refresh reads only the rest and the
			// caller can say how many are kept. Should this write fail,
			// the last report still says what the index holds.
			_ = c.flush(context.WithoutCancel(ctx))
		}
	}()
	if err := c.run(ctx, headers); err != nil {
		return err
	}
	res := <-listed
	if res.err != nil {
		return res.err
	}
	if opt.List == nil {
		if err := x.SetMissing(ctx, loc.Bucket, res.gone(known), true); err != nil {
			return err
		}
	}
	if err := x.SetMissing(ctx, loc.Bucket, res.back, false); err != nil {
		return err
	}
	if err := c.finish(ctx); err != nil {
		return err
	}
	if c.firstErr != nil {
		return &PartialError{Location: loc, Failed: c.p.Failed, Total: c.p.ToFetch, First: c.firstErr}
	}
	return nil
}

// counters are what the lister counts and the collector reports.
type counters struct {
	listed, toFetch atomic.Int64
}

// listResult is what the lister learnt besides the objects it sent.
type listResult struct {
	seen map[string]bool // every key listed
	back []string        // known keys marked missing that are listed again
	err  error
}

// gone returns the known keys that were not listed and are not marked
// missing yet.
func (r listResult) gone(known map[string]Known) []string {
	var out []string
	for k, v := range known {
		if !r.seen[k] && !v.Missing {
			out = append(out, k)
		}
	}
	return out
}

// listChanged is the lister stage: it runs list and sends to out every
// object that is new, whose ETag changed, or whose summary must be read
// again (stale, undecrypted, a stub from an inventory, written by an
// older summaryDerivation). It does not close
// out.
func listChanged(ctx context.Context, list Lister, known map[string]Known, out chan<- mailstore.Object, n *counters) listResult {
	res := listResult{seen: make(map[string]bool, len(known))}
	res.err = list(ctx, func(page []mailstore.Object) error {
		for _, o := range page {
			n.listed.Add(1)
			res.seen[o.Key] = true
			k, ok := known[o.Key]
			if ok && k.ETag == o.ETag && !k.Undecrypted && !k.Stale && !k.Pending && !k.Outdated {
				if k.Missing {
					res.back = append(res.back, o.Key)
				}
				continue
			}
			n.toFetch.Add(1)
			select {
			case out <- o:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})
	return res
}

// fetched is one header fetcher's answer: a summary, or why there is none.
type fetched struct {
	sum mailstore.Summary
	err error
}

// fetchHeaders is the header fetcher stage: workers goroutines read the
// header block of each object from in and send its summary to out, which
// is closed once in is drained (or ctx is done).
func fetchHeaders(ctx context.Context, st mailstore.Store, workers int, in <-chan mailstore.Object, out chan<- fetched) {
	var wg sync.WaitGroup
	for range max(1, workers) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for o := range in {
				select {
				case out <- fetchHeader(ctx, st, o):
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	wg.Wait()
	close(out)
}

// ReadSummary reads and summarizes the header block of the object at key
// as a refresh does for a listed one, taking its ETag, size and date from
// the read. The error is the read's (mailstore.ErrNotFound when there is
// no such object); an object that cannot be decrypted or read (a "." or
// ".." segment) gets the row a refresh gives it, saying why.
func ReadSummary(ctx context.Context, st mailstore.Store, key string) (mailstore.Summary, error) {
	hdr, got, err := st.ReadHeader(ctx, key)
	got.Key = key
	f := summarizeRead(ctx, st, got, hdr, got, err)
	return f.sum, f.err
}

// fetchHeader reads and summarizes the header block of one object.
func fetchHeader(ctx context.Context, st mailstore.Store, o mailstore.Object) fetched {
	hdr, got, err := st.ReadHeader(ctx, o.Key)
	return summarizeRead(ctx, st, o, hdr, got, err)
}

// summarizeRead is the summary of the listed object o from what reading
// its header gave: hdr, got and err.
func summarizeRead(ctx context.Context, st mailstore.Store, o mailstore.Object, hdr []byte, got mailstore.Object, err error) fetched {
	switch {
	case errors.Is(err, mailstore.ErrEncrypted):
		// Listed, with the reason it cannot be read, rather than left
		// out; read again on the next refresh (see Known.Undecrypted), as
		// the reason may be a missing kms:Decrypt that is fixed by then.
		s := summarize(nil, o)
		s.Subject = encryptedSubject
		s.Warnings = append(s.Warnings, err.Error())
		return fetched{sum: s}
	case errors.Is(err, mailstore.ErrDotSegment):
		// Listed too, so no mail is hidden, with why it is never read.
		s := summarize(nil, o)
		s.Subject = dotSegmentSubject
		s.Warnings = append(s.Warnings, err.Error())
		return fetched{sum: s}
	case err != nil:
		return fetched{err: err}
	}
	s := summarize(hdr, o)
	if got.ETag == o.ETag && got.Size > 0 {
		// A decrypted message is smaller than its listing.
		s.Size = got.Size
	}
	return fetched{sum: s, err: countAttachments(ctx, st, &s, hdr)}
}

// countAttachments sets s's attachment count from head, the first bytes
// of the message (mime.CountAttachments). A lower bound of 0 would leave
// has:attachment and the @ flag undecided, to change when the message is
// opened; so then the message is read whole and counted exactly. That
// costs a full read only for multipart mail larger than the first range
// whose first bytes hold no attachment (a long HTML newsletter, an
// attachment after a long text). A plain text of one part larger than the
// range is not read again: its count stays a lower bound (attachmentsExact
// false), since only a uuencoded file, rare in mail today, can follow; to
// read each whole made a cold index of the bench's 10,000 messages read
// 451 MB instead of 122 and take 13.3 s instead of 10.2 (1,380 whole GETs),
// which is what an index is for not doing.
func countAttachments(ctx context.Context, st mailstore.Store, s *mailstore.Summary, head []byte) error {
	s.Attachments, s.AttachmentsExact = mime.CountAttachments(head, s.Size)
	if s.AttachmentsExact || s.Attachments > 0 || mime.OnlyUuencodedMayFollow(head) {
		return nil
	}
	raw, got, err := st.Read(ctx, s.Key)
	if err != nil {
		return err
	}
	if got.ETag != s.ETag {
		// Replaced since it was listed: the next refresh reads the new one.
		return fmt.Errorf("read %s: changed while indexing", mailstore.ObjectName(st.Location().Bucket, s.Key))
	}
	s.Attachments, s.AttachmentsExact = mime.CountAttachments(raw, int64(len(raw)))
	return nil
}

// collector is the last stage: it writes summaries in batches, one
// transaction each, and reports progress at least every opt.Every.
type collector struct {
	x        *Index
	bucket   string
	opt      Options
	n        *counters
	progress func(Progress)

	p        Progress
	batch    []mailstore.Summary
	firstErr error // the first header that could not be read
}

func newCollector(x *Index, bucket string, opt Options, n *counters, progress func(Progress)) *collector {
	if progress == nil {
		progress = func(Progress) {}
	}
	return &collector{x: x, bucket: bucket, opt: opt.withDefaults(), n: n, progress: progress,
		p: Progress{Started: time.Now(), Listing: true}}
}

// run takes summaries from in until it is closed, writing them as they
// come. Only a failed write ends it early.
func (c *collector) run(ctx context.Context, in <-chan fetched) error {
	tick := time.NewTicker(c.opt.Every)
	defer tick.Stop()
	for {
		select {
		case r, ok := <-in:
			if !ok {
				return nil
			}
			c.p.Fetched++
			if r.err != nil {
				c.p.Failed++
				if c.firstErr == nil {
					c.firstErr = r.err
				}
				continue
			}
			c.batch = append(c.batch, r.sum)
			if len(c.batch) >= c.opt.Batch {
				if err := c.flush(ctx); err != nil {
					return err
				}
			}
		case <-tick.C:
			if err := c.flush(ctx); err != nil {
				return err
			}
		}
	}
}

// flush writes the batch and reports progress.
func (c *collector) flush(ctx context.Context) error {
	c.p.Listed, c.p.ToFetch = int(c.n.listed.Load()), int(c.n.toFetch.Load())
	if len(c.batch) > 0 {
		if err := c.x.Put(ctx, c.bucket, c.batch); err != nil {
			return err
		}
	}
	c.p.New = c.batch
	c.progress(c.p)
	c.batch = nil
	return nil
}

// finish writes what is left and sends the last report (Done).
func (c *collector) finish(ctx context.Context) error {
	c.p.Listing, c.p.Done = false, true
	return c.flush(ctx)
}

// PartialError says that a refresh indexed everything but Failed headers;
// those objects are read again on the next refresh.
type PartialError struct {
	Location mailstore.Location
	Failed   int
	Total    int
	First    error
}

func (e *PartialError) Error() string {
	return fmt.Sprintf("refresh %s: %d of %d headers could not be read (they are tried again next time), first: %v",
		e.Location, e.Failed, e.Total, e.First)
}

func (e *PartialError) Unwrap() error { return e.First }

// summarize parses a header block read for o into its summary, filling in
// what only the listing knows.
func summarize(hdr []byte, o mailstore.Object) mailstore.Summary {
	s := mime.Summarize(hdr)
	size := o.Size
	s.Object = o
	s.Size = size
	s.SettleDate()
	if mailstore.SESMessageID(o.Key) == "AMAZON_SES_SETUP_NOTIFICATION" {
		s.Kind = mailstore.KindSetupNotification
	}
	return s
}
