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
}

// Rate is headers read per second so far.
func (p Progress) Rate(now time.Time) float64 {
	el := now.Sub(p.Started).Seconds()
	if el <= 0 {
		return 0
	}
	return float64(p.Fetched) / el
}

// Options tune Refresh.
type Options struct {
	// Workers is how many header reads run at once.
	Workers int
	// Every is how often progress is reported (and written) at the least.
	Every time.Duration
}

// Refresh lists st and reads the header block of every object that is new
// or whose ETag changed, storing summaries in x. Objects that vanished are
// marked missing. progress, if not nil, is called from one goroutine at a
// time. Header reads that fail are counted and reported in the returned
// error; everything else is still indexed.
func Refresh(ctx context.Context, x *Index, st mailstore.Store, opt Options, progress func(Progress)) error {
	if opt.Workers <= 0 {
		opt.Workers = 32
	}
	if opt.Every <= 0 {
		opt.Every = 200 * time.Millisecond
	}
	if progress == nil {
		progress = func(Progress) {}
	}
	loc := st.Location()
	known, err := x.Known(ctx, loc)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var listed, toFetch atomic.Int64
	seen := make(map[string]bool, len(known))
	var back []string // known keys that were missing and are listed again
	fetch := make(chan mailstore.Object, 256)
	type result struct {
		sum mailstore.Summary
		err error
	}
	results := make(chan result, 256)

	var workers sync.WaitGroup
	for range opt.Workers {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for o := range fetch {
				var r result
				hdr, got, err := st.ReadHeader(ctx, o.Key)
				switch {
				case errors.Is(err, mailstore.ErrEncrypted):
					// Listed, with the reason it cannot be read, rather
					// than left out; read again on the next refresh (see
					// Known.Undecrypted), as the reason may be a missing
					// kms:Decrypt that is fixed by then.
					r.sum = summarize(nil, o)
					r.sum.Subject = encryptedSubject
					r.sum.Warnings = append(r.sum.Warnings, err.Error())
				case err != nil:
					r.err = err
				default:
					r.sum = summarize(hdr, o)
					if got.ETag == o.ETag && got.Size > 0 {
						// A decrypted message is smaller than its listing.
						r.sum.Size = got.Size
					}
					r.err = countAttachments(ctx, st, &r.sum, hdr)
				}
				select {
				case results <- r:
				case <-ctx.Done():
					return
				}
			}
		}()
	}

	listErr := make(chan error, 1)
	go func() {
		err := st.List(ctx, func(page []mailstore.Object) error {
			for _, o := range page {
				listed.Add(1)
				seen[o.Key] = true
				k, ok := known[o.Key]
				if ok && k.ETag == o.ETag && !k.Undecrypted && !k.Stale {
					if k.Missing {
						back = append(back, o.Key)
					}
					continue
				}
				toFetch.Add(1)
				select {
				case fetch <- o:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			return nil
		})
		close(fetch)
		listErr <- err
	}()
	go func() { workers.Wait(); close(results) }()

	p := Progress{Started: time.Now(), Listing: true}
	var batch []mailstore.Summary
	var firstErr error
	tick := time.NewTicker(opt.Every)
	defer tick.Stop()
	flush := func() error {
		p.Listed, p.ToFetch = int(listed.Load()), int(toFetch.Load())
		if len(batch) > 0 {
			if err := x.Put(ctx, loc.Bucket, batch); err != nil {
				return err
			}
		}
		p.New = batch
		progress(p)
		batch = nil
		return nil
	}
	for results != nil {
		select {
		case r, ok := <-results:
			if !ok {
				results = nil
				break
			}
			p.Fetched++
			if r.err != nil {
				p.Failed++
				if firstErr == nil {
					firstErr = r.err
				}
				continue
			}
			batch = append(batch, r.sum)
			if len(batch) >= 500 {
				if err := flush(); err != nil {
					return err
				}
			}
		case <-tick.C:
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := <-listErr; err != nil {
		return err
	}
	var gone []string
	for k, v := range known {
		if !seen[k] && !v.Missing {
			gone = append(gone, k)
		}
	}
	if err := x.SetMissing(ctx, loc.Bucket, gone, true); err != nil {
		return err
	}
	if err := x.SetMissing(ctx, loc.Bucket, back, false); err != nil {
		return err
	}
	p.Listing, p.Done = false, true
	if err := flush(); err != nil {
		return err
	}
	if firstErr != nil {
		return &PartialError{Location: loc, Failed: p.Failed, Total: p.ToFetch, First: firstErr}
	}
	return nil
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
	if s.Date.IsZero() {
		s.Date, s.DateFromStore = o.LastModified, true
	}
	if mailstore.SESMessageID(o.Key) == "AMAZON_SES_SETUP_NOTIFICATION" {
		s.Kind = mailstore.KindSetupNotification
	}
	return s
}

// countAttachments sets s's attachment count from head, the first bytes
// of the message (mime.CountAttachments). A lower bound of 0 would leave
// has:attachment and the @ flag undecided, to change when the message is
// opened; so then the message is read whole and counted exactly. That
// costs a full read only for multipart mail larger than the first range
// whose first bytes hold no attachment (a long HTML newsletter, an
// attachment after a long text).
func countAttachments(ctx context.Context, st mailstore.Store, s *mailstore.Summary, head []byte) error {
	s.Attachments, s.AttachmentsExact = mime.CountAttachments(head, s.Size)
	if s.AttachmentsExact || s.Attachments > 0 {
		return nil
	}
	raw, got, err := st.Read(ctx, s.Key)
	if err != nil {
		return err
	}
	if got.ETag != s.ETag {
		// Replaced since it was listed: the next refresh reads the new one.
		return fmt.Errorf("read %s: changed while indexing", s.Key)
	}
	s.Attachments, s.AttachmentsExact = mime.CountAttachments(raw, int64(len(raw)))
	return nil
}
