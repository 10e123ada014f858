// Package mailbox joins a Store and its local index into the one service
// that both the CLI and the TUI call, so the two never drift.
package mailbox

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/external"
	"github.com/sesbox/sesbox/mailstore/fwdlog"
	"github.com/sesbox/sesbox/mailstore/index"
	"github.com/sesbox/sesbox/mailstore/mime"
	"github.com/sesbox/sesbox/mailstore/notify"
	"github.com/sesbox/sesbox/mailstore/query"
	"github.com/sesbox/sesbox/mailstore/report"
	"github.com/sesbox/sesbox/mailstore/sanitize"
)

// Mailbox is one configured bucket/prefix with its index.
type Mailbox struct {
	Name  string
	store mailstore.Store
	idx   *index.Index

	shared  SharedReadState
	logs    *ForwarderLogs
	mu      sync.Mutex
	applied map[string]time.Time // shared read state applied to the index, by key
	list    index.Lister         // nil: LIST the bucket
	headers HeaderFetch
}

// HeaderFetch says how Refresh reads header blocks after taking a listing
// source's objects in as rows without headers (ListFrom).
type HeaderFetch struct {
	// Lazy leaves the rows pending: FillHeaders reads them later (the TUI,
	// the screen's rows first), or the next `sesbox index`.
	Lazy bool
	// Rate is header reads per second at the most (0: as fast as the
	// workers go).
	Rate float64
}

// FetchHeaders sets how Refresh reads headers after an inventory.
func (m *Mailbox) FetchHeaders(h HeaderFetch) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.headers = h
}

// SharedReadState is read state shared by several operators (team mode:
// team.Store). The local index stays what the list shows; Refresh copies
// the shared state into it, SetRead writes both.
type SharedReadState interface {
	SetRead(ctx context.Context, bucket, key string, read bool) error
	ReadStates(ctx context.Context, bucket string) ([]SharedRead, error)
}

// SharedRead is one message's shared flags, each with the time it was
// set (the last writer wins).
type SharedRead struct {
	Key        string
	HasRead    bool // the read flag was ever set
	Read       bool
	ReadAt     time.Time
	ReadBy     string
	Answered   bool
	AnsweredAt time.Time
}

// ShareReadState makes the mailbox keep its read state in s as well.
func (m *Mailbox) ShareReadState(s SharedReadState) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.shared, m.applied = s, map[string]time.Time{}
}

// ListFrom makes Refresh take the mailbox's objects from list (such as an
// S3 Inventory report, inventory.Lister) instead of listing the bucket:
// they become rows without headers at once (index.Ingest), whose header
// blocks are read after (index.FillHeaders; see FetchHeaders).
func (m *Mailbox) ListFrom(list index.Lister) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.list = list
}

// Poll waits once for w's notifications (up to its Wait). A notification
// is taken only as word that new mail is stored under its key: whoever may
// send to the queue can write one that looks like SES's (docs/scale.md),
// so each message not indexed yet is indexed from its object's own header
// block, read at once as a refresh reads it, and a notification naming no
// object indexes nothing (its queue message is deleted, and a problem
// says so). The summaries are written to the index before the queue
// messages are deleted. The batch's New holds only the messages that were
// not indexed before: a duplicate delivery leaves the index as it was.
// It holds only what the index took: with an error, New is empty unless
// the commit went through and the delete failed after it.
func (m *Mailbox) Poll(ctx context.Context, w *notify.Watcher) (notify.Batch, error) {
	bucket := m.Location().Bucket
	var committed []mailstore.Summary
	var missing []string
	b, err := w.Poll(ctx, func(keys []string) error {
		var fresh []mailstore.Summary
		missing = missing[:0]
		for _, k := range keys {
			_, ok, err := m.idx.Get(ctx, bucket, k)
			if err != nil {
				return err
			}
			if ok {
				continue
			}
			sum, err := index.ReadSummary(ctx, m.store, k)
			switch {
			case errors.Is(err, mailstore.ErrNotFound):
				missing = append(missing, k)
				continue
			case err != nil:
				return err // left in the queue: read again when it comes back
			}
			fresh = append(fresh, sum)
		}
		if len(fresh) > 0 {
			if err := m.idx.Put(ctx, bucket, fresh); err != nil {
				return err
			}
		}
		committed = fresh
		return nil
	})
	b.New = committed
	if err == nil || len(committed) > 0 {
		for _, k := range missing {
			b.Ignored++
			b.Problems = append(b.Problems, fmt.Sprintf("notification for s3://%.100s/%.200s: no such object in the bucket: not indexed (deleted)", bucket, k))
		}
	}
	return b, err
}

// Backoff is how long Watch waits after failed polls: First after the
// first failure, doubled after each one that follows, never above Max.
type Backoff struct {
	First, Max time.Duration
}

// DefaultBackoff waits 1 s, 2 s, 4 s, ... up to 30 s between failed polls.
var DefaultBackoff = Backoff{First: time.Second, Max: 30 * time.Second}

func (b Backoff) after(failures int) time.Duration {
	d := b.First
	for range failures - 1 {
		if d >= b.Max/2 {
			return b.Max
		}
		d *= 2
	}
	return min(d, b.Max)
}

// Watch polls w (Poll) until ctx ends, calling fn with each poll's batch.
// A failed poll (the queue unreachable, throttled, the index busy) is
// retried after bo's wait, told to retrying first; a success starts the
// backoff over. Only an error waiting cannot cure (notify.Permanent: the
// queue does not exist, access is denied) ends it, with a hint. A
// cancelled ctx ends it with nil.
func (m *Mailbox) Watch(ctx context.Context, w *notify.Watcher, bo Backoff, fn func(notify.Batch), retrying func(err error, wait time.Duration)) error {
	failures := 0
	for {
		b, err := m.Poll(ctx, w)
		if ctx.Err() != nil {
			return nil
		}
		if err == nil {
			failures = 0
			fn(b)
			continue
		}
		if hint := notify.Permanent(err); hint != "" {
			return &mailstore.HintError{Hint: hint, Err: err}
		}
		if len(b.New) > 0 {
			// Committed, only the delete failed: they were indexed.
			fn(b)
		}
		failures++
		wait := bo.after(failures)
		retrying(err, wait)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil
		}
	}
}

// New joins a store and an index under a display name. The index may be
// shared by several mailboxes.
func New(name string, st mailstore.Store, idx *index.Index) *Mailbox {
	return &Mailbox{Name: name, store: st, idx: idx}
}

// Cached joins a location and its index without a store, for what reads
// the index alone (`ls --cached`): building an S3 client means loading the
// AWS configuration (shared config files, the certificates of
// AWS_CA_BUNDLE), which was a fifth of such a run. Whatever would reach
// the bucket fails with ErrCachedOnly.
func Cached(name string, loc mailstore.Location, idx *index.Index) *Mailbox {
	return New(name, cachedOnly{loc}, idx)
}

// ErrCachedOnly is returned (wrapped) by a Cached mailbox asked to reach
// its bucket.
var ErrCachedOnly = errors.New("the mailbox was opened on its index only")

// cachedOnly is the store of a Cached mailbox: it knows where the mail is
// and reaches none of it.
type cachedOnly struct{ loc mailstore.Location }

func (c cachedOnly) Location() mailstore.Location { return c.loc }

func (c cachedOnly) List(context.Context, func([]mailstore.Object) error) error {
	return fmt.Errorf("list %s: %w", c.loc, ErrCachedOnly)
}

func (c cachedOnly) ReadHeader(_ context.Context, key string) ([]byte, mailstore.Object, error) {
	return nil, mailstore.Object{}, fmt.Errorf("read %s: %w", mailstore.ObjectName(c.loc.Bucket, key), ErrCachedOnly)
}

func (c cachedOnly) Read(_ context.Context, key string) ([]byte, mailstore.Object, error) {
	return nil, mailstore.Object{}, fmt.Errorf("read %s: %w", mailstore.ObjectName(c.loc.Bucket, key), ErrCachedOnly)
}

// Progress reports an index refresh as it goes.
type Progress = index.Progress

// FillOptions tune FillHeaders.
type FillOptions = index.FillOptions

// Message is one message read in full.
type Message struct {
	Summary mailstore.Summary
	Raw     []byte
	View    *mime.View
	// Report is the parsed delivery or complaint report, when the message
	// is one (Summary.Report set).
	Report *report.Report
	// ForwardLog are the forwarding Lambda's log lines about the message
	// (Summary.Forward.Requests), unsanitized; nil without a log group.
	ForwardLog []fwdlog.Line
}

// Location is the bucket and prefix of the mailbox.
func (m *Mailbox) Location() mailstore.Location { return m.store.Location() }

// Store is the mailbox's storage, for callers that need raw reads.
func (m *Mailbox) Store() mailstore.Store { return m.store }

// Refresh lists the bucket and indexes new or changed objects, calling
// progress (never concurrently) as it goes.
// With shared read state, the states other operators set since the last
// refresh are then copied into the index; with a forwarder log group
// (ReadForwarderLogs), its new events are read and every message's forward
// status decided again (a *LogError when that fails).
// One process at a time refreshes a mailbox: while another sesbox does,
// Refresh reports a Progress with Waiting set and waits for it (see
// lockRefresh), then reads only what changed since.
func (m *Mailbox) Refresh(ctx context.Context, progress func(Progress)) error {
	release, err := lockRefresh(ctx, m.idx.Path(), m.Location(), func(pid int) {
		if progress != nil {
			progress(Progress{Waiting: true, WaitingFor: pid, Started: time.Now()})
		}
	})
	if err != nil {
		return err
	}
	defer release()
	m.mu.Lock()
	list, headers := m.list, m.headers
	m.mu.Unlock()
	if list == nil {
		err = index.Refresh(ctx, m.idx, m.store, index.Options{}, progress)
	} else {
		err = m.ingest(ctx, list, headers, progress)
	}
	var partial *index.PartialError
	if err != nil && !errors.As(err, &partial) {
		return err
	}
	if perr := m.pullReadState(ctx); perr != nil {
		return perr
	}
	if lerr := m.refreshLog(ctx); lerr != nil && err == nil {
		return lerr
	}
	return err
}

// ingest takes list's objects in as rows without headers and, unless
// headers.Lazy, reads their headers, reporting both as one refresh.
func (m *Mailbox) ingest(ctx context.Context, list index.Lister, headers HeaderFetch, progress func(Progress)) error {
	if progress == nil {
		progress = func(Progress) {}
	}
	var listed int
	err := index.Ingest(ctx, m.idx, m.Location(), list, func(p Progress) {
		listed = p.Listed
		if !headers.Lazy {
			// Not done: the headers come next.
			p.Done = false
		}
		progress(p)
	})
	if err != nil || headers.Lazy {
		return err
	}
	return m.FillHeaders(ctx, FillOptions{Rate: headers.Rate}, func(p Progress) {
		p.Listed = listed
		progress(p)
	})
}

// FillHeaders reads the header blocks of the rows an inventory left
// without them (all, the newest first, or opt.Keys: the rows on screen),
// see index.FillHeaders.
func (m *Mailbox) FillHeaders(ctx context.Context, opt FillOptions, progress func(Progress)) error {
	return index.FillHeaders(ctx, m.idx, m.store, opt, progress)
}

// Pending counts the rows whose header block is not read yet: no query
// on a header field (from:, to:, subject:, free text) can match them.
func (m *Mailbox) Pending(ctx context.Context) (int, error) {
	return m.idx.Pending(ctx, m.Location())
}

// ForwardStatusesRead reports whether the index holds what a read of the
// forwarding Lambda's log said of any of the mailbox's messages (forward:
// terms match nothing else).
func (m *Mailbox) ForwardStatusesRead(ctx context.Context) (bool, error) {
	return m.idx.HasForward(ctx, m.Location())
}

func (m *Mailbox) pullReadState(ctx context.Context) error {
	m.mu.Lock()
	shared := m.shared
	m.mu.Unlock()
	if shared == nil {
		return nil
	}
	bucket := m.Location().Bucket
	states, err := shared.ReadStates(ctx, bucket)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, st := range states {
		if !st.HasRead || m.applied[st.Key].Equal(st.ReadAt) {
			continue
		}
		err := m.idx.SetRead(ctx, bucket, st.Key, st.Read)
		if err != nil && !errors.Is(err, mailstore.ErrNotFound) {
			return err
		}
		if err == nil {
			m.applied[st.Key] = st.ReadAt
		}
	}
	return nil
}

// Summaries returns the indexed messages that match q, sorted.
func (m *Mailbox) Summaries(ctx context.Context, q query.Query, by query.SortField, reverse bool) ([]mailstore.Summary, error) {
	return m.First(ctx, q, by, reverse, 0)
}

// First returns the first n (0: all) indexed messages that match q, in
// the order Summaries returns them. The index evaluates what it can in
// SQL (see index.Query), so a narrow query or a small n reads little.
func (m *Mailbox) First(ctx context.Context, q query.Query, by query.SortField, reverse bool, n int) ([]mailstore.Summary, error) {
	return m.idx.Query(ctx, m.Location(), q, by, reverse, n)
}

// IDs lists the row ids of the indexed messages that match q, in the
// order First returns them (at most limit; 0: all), with how many are
// unread: what the TUI pages through, reading the summaries on screen by
// Rows.
func (m *Mailbox) IDs(ctx context.Context, q query.Query, by query.SortField, reverse bool, limit int) (index.Listing, error) {
	return m.idx.IDs(ctx, m.Location(), q, by, reverse, limit)
}

// IDsAround lists the row ids of the messages that match q around
// message anchor, up to n either side, and the row of the first at or
// after it: a new sort or filter's rows around the cursor, read from the
// order's index before all of them are (index.IDsAround).
func (m *Mailbox) IDsAround(ctx context.Context, q query.Query, by query.SortField, reverse bool, anchor int64, n int) (index.Listing, int, error) {
	return m.idx.IDsAround(ctx, m.Location(), q, by, reverse, anchor, n)
}

// Rows reads the indexed messages of ids (from IDs), in their order.
func (m *Mailbox) Rows(ctx context.Context, ids []int64) ([]index.Row, error) {
	return m.idx.Rows(ctx, ids)
}

// RowsByKey reads the indexed messages of keys, in their order.
func (m *Mailbox) RowsByKey(ctx context.Context, keys []string) ([]index.Row, error) {
	return m.idx.RowsByKey(ctx, m.Location().Bucket, keys)
}

// Threading reads every indexed message in First's order with only what
// threads are built from (key, date, subject, Message-ID, In-Reply-To,
// References).
func (m *Mailbox) Threading(ctx context.Context, by query.SortField, reverse bool) ([]index.Thread, error) {
	return m.idx.Threading(ctx, m.Location(), by, reverse)
}

// Each calls fn with each message First would return, in its order,
// without holding them where the index need not (see index.Each): what a
// caller that prints them as they come calls.
func (m *Mailbox) Each(ctx context.Context, q query.Query, by query.SortField, reverse bool, n int, fn func(*mailstore.Summary) error) error {
	return m.idx.Each(ctx, m.Location(), q, by, reverse, n, fn)
}

// QueryKeys returns the keys of the messages q matches that an action can
// act on, oldest first (the order they arrived in): the one rule by which
// `forward --query` and `export --query` choose. A message the index marks
// missing (it vanished from the bucket since it was indexed) is left out:
// it can be neither forwarded nor exported. The answer is never nil (an
// empty one chooses nothing). Refresh first for a current answer.
func (m *Mailbox) QueryKeys(ctx context.Context, q query.Query) ([]string, error) {
	sums, err := m.Summaries(ctx, q, query.ByDate, true)
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(sums))
	for i := range sums {
		if !sums[i].Missing {
			keys = append(keys, sums[i].Key)
		}
	}
	return keys, nil
}

// Complete returns at most limit keys and SES message ids of the
// mailbox's messages that start with s, from the index alone (nothing is
// read from the bucket): a shell's completion of a KEY argument. s that
// starts with the prefix completes keys; anything else, message ids (the
// keys without the prefix) and keys.
func (m *Mailbox) Complete(ctx context.Context, s string, limit int) ([]string, error) {
	loc := m.Location()
	var out []string
	if !strings.HasPrefix(s, loc.Prefix) {
		keys, err := m.idx.KeysWithPrefix(ctx, loc, loc.Prefix+s, limit)
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			out = append(out, strings.TrimPrefix(k, loc.Prefix))
		}
		if len(out) >= limit || !strings.HasPrefix(loc.Prefix, s) {
			return out, nil
		}
		s = loc.Prefix // the prefix itself starts with s: its keys too
	}
	keys, err := m.idx.KeysWithPrefix(ctx, loc, s, limit-len(out))
	return append(out, keys...), err
}

// Resolve turns a full key or an SES message id into the object key: the
// key itself when indexed, else the id under the prefix, else the one key
// ending in "/"+id (SES adds a "/" after a prefix that lacks one). An S3
// URI of the mailbox's bucket ("s3://BUCKET/KEY", as sesbox's own
// messages and the S3 console name an object) stands for its key.
func (m *Mailbox) Resolve(ctx context.Context, key string) (string, error) {
	loc := m.Location()
	if k, ok := strings.CutPrefix(key, "s3://"+loc.Bucket+"/"); ok {
		key = k
	}
	for _, k := range []string{key, loc.Prefix + key} {
		if !strings.HasPrefix(k, loc.Prefix) {
			continue
		}
		if _, ok, err := m.idx.Get(ctx, loc.Bucket, k); err != nil || ok {
			return k, err
		}
	}
	keys, err := m.idx.KeysBySuffix(ctx, loc, "/"+key)
	if err != nil {
		return "", err
	}
	switch len(keys) {
	case 0:
		// Not indexed (yet): the key as given, or the id under the prefix.
		if strings.HasPrefix(key, loc.Prefix) {
			return key, nil
		}
		return loc.Prefix + key, nil
	case 1:
		return keys[0], nil
	}
	// What to do first, then each key (five at most) in the form Resolve
	// takes back, quoted: a key can hold anything.
	slices.Sort(keys)
	names := make([]string, 0, 6)
	for _, k := range keys[:min(len(keys), 5)] {
		names = append(names, mailstore.ObjectName(loc.Bucket, k))
	}
	if len(keys) > 5 {
		names = append(names, fmt.Sprintf("and %d more", len(keys)-5))
	}
	return "", &mailstore.HintError{Hint: "give the full key of one of them: " + strings.Join(names, ", "),
		Err: fmt.Errorf("%q matches %d messages", key, len(keys))}
}

// Open reads and parses one message. key is a full key or an SES message id.
// The summary is the index's (read state included) refreshed from the full
// parse, and the exact attachment count goes back to the index.
func (m *Mailbox) Open(ctx context.Context, key string) (*Message, error) {
	id := key
	key, err := m.Resolve(ctx, key)
	if err != nil {
		return nil, err
	}
	raw, obj, err := m.store.Read(ctx, key)
	if p := m.Location().Prefix; errors.Is(err, mailstore.ErrNotFound) && key == p+id && p != "" && !strings.HasSuffix(p, "/") {
		// Not indexed yet, and SES may have put a "/" after the prefix.
		key = p + "/" + id
		raw, obj, err = m.store.Read(ctx, key)
	}
	if err != nil {
		return nil, m.notFound(id, err)
	}
	v := mime.Parse(raw)
	s := v.Summary
	s.Object = obj
	s.Size = int64(len(raw))
	if old, ok, err := m.idx.Get(ctx, m.Location().Bucket, key); err == nil && ok {
		s.Read, s.Forward = old.Read, old.Forward
		if s.Date.IsZero() {
			s.Date, s.DateFromStore = old.Date, old.DateFromStore
		}
		if !s.AttachmentsExact && old.ETag == obj.ETag {
			// The parser gave up (its deadline): the count from indexing
			// stands rather than none.
			s.Attachments, s.AttachmentsExact = old.Attachments, old.AttachmentsExact
		}
	}
	if w := s.SettleDate(); w != "" {
		v.Warnings = append(v.Warnings, w)
	}
	if mailstore.SESMessageID(key) == "AMAZON_SES_SETUP_NOTIFICATION" {
		s.Kind = mailstore.KindSetupNotification
	}
	var rep *report.Report
	if s.Report != "" {
		// The body knows better than the header's guess (a "Delayed"
		// subject over a failed recipient).
		if r, ok := report.Parse(raw); ok {
			rep, s.Report = r, r.Kind
		} else {
			// A bounce written as text: who failed and why, as far as
			// its words say.
			rep = report.ParsePlain(s.Report, v.Body())
		}
	}
	v.Summary = s
	// Best effort: the list then shows the exact attachment count.
	_ = m.idx.Put(ctx, m.Location().Bucket, []mailstore.Summary{s})
	// Best effort too: the log lines are shown next to the message.
	flog, _ := m.ForwardLog(ctx, s)
	return &Message{Summary: s, Raw: raw, View: v, Report: rep, ForwardLog: flog}, nil
}

// SetRead records the read state in the local index (never in the
// bucket) and, with shared read state, for every operator: shared first,
// so a failure there leaves both as they were.
func (m *Mailbox) SetRead(ctx context.Context, key string, read bool) error {
	m.mu.Lock()
	shared := m.shared
	m.mu.Unlock()
	if shared != nil {
		// A key the index does not hold (a typo) must fail before the
		// team table is written: every operator would read its state.
		if _, ok, err := m.idx.Get(ctx, m.Location().Bucket, key); err != nil {
			return err
		} else if !ok {
			return m.notIndexed(ctx, key, fmt.Errorf("index: %s: %w", mailstore.ObjectName(m.Location().Bucket, key), mailstore.ErrNotFound))
		}
		if err := shared.SetRead(ctx, m.Location().Bucket, key, read); err != nil {
			return err
		}
	}
	return m.notIndexed(ctx, key, m.idx.SetRead(ctx, m.Location().Bucket, key, read))
}

// KeepsReadState reports whether a read state SetRead sets outlives this
// process: the index is saved on disk (not the one in memory that
// index.OpenCache falls back to when it cannot be), or a team table
// shares it.
func (m *Mailbox) KeepsReadState() bool {
	m.mu.Lock()
	shared := m.shared
	m.mu.Unlock()
	return shared != nil || m.idx.Path() != ""
}

// notIndexed explains err, the index not holding key: an object whose
// headers could not be read (the refresh left it out, to read again next
// time) says so with the reason; else "no message" (notFound). It was
// "no message" for both, which sent the user looking for a typo.
func (m *Mailbox) notIndexed(ctx context.Context, key string, err error) error {
	if !errors.Is(err, mailstore.ErrNotFound) || mailstore.Hint(err) != "" {
		return err
	}
	_, _, rerr := m.store.ReadHeader(ctx, key)
	if errors.Is(rerr, mailstore.ErrDotSegment) || errors.Is(rerr, mailstore.ErrEncrypted) {
		// Never read, or not readable without a KMS grant: a refresh
		// indexes such an object with the reason as its subject, so one
		// the index lacks is not in the listing. Trying again changes
		// nothing.
		return m.notFound(key, err)
	}
	if rerr != nil && !errors.Is(rerr, mailstore.ErrNotFound) && ctx.Err() == nil {
		if mailstore.Hint(rerr) != "" {
			// An endpoint down, a body broken on every GET: that hint
			// says what to do; the detail names the object.
			return fmt.Errorf("its headers could not be read, so the index does not hold it: %w", rerr)
		}
		// What is left failed on the way (throttled, a 5xx, a reset):
		// each refresh reads it again.
		return &mailstore.HintError{
			Hint: "its headers could not be read, so the index does not hold it — try again (each refresh reads them again)",
			Err:  rerr,
		}
	}
	return m.notFound(key, err)
}

// notFound puts a hint on err when it says id names no message: the
// usual cause is a mistyped or stale key, not a failure.
func (m *Mailbox) notFound(id string, err error) error {
	if !errors.Is(err, mailstore.ErrNotFound) || mailstore.Hint(err) != "" {
		return err
	}
	loc := m.Location()
	return &mailstore.HintError{Hint: fmt.Sprintf("no message %q in s3://%s/%s — give its key or SES message id as the list shows it", id, loc.Bucket, loc.Prefix), Err: err}
}

// SaveParts writes the attachments of v (or only part number part, when
// part > 0, attachment or not) into dir under sanitized names, never
// overwriting, and returns the paths written.
func SaveParts(v *mime.View, dir string, part int) ([]string, error) {
	var parts []mime.Part
	for _, p := range v.Parts {
		if (part > 0 && p.Index == part) || (part <= 0 && p.IsAttachment) {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		if v.Source {
			// The structure was not read: "no attachments" would be a
			// guess. The source is whole, for a client that reads it
			// part by part.
			key := "KEY"
			if v.Summary.Key != "" {
				key = strconv.Quote(v.Summary.Key)
			}
			return nil, &mailstore.HintError{
				Hint: "sesbox show --raw " + key + " > message.eml writes its source whole, which a mail client reads part by part (mutt -f message.eml)",
				Err:  fmt.Errorf("save: the message's parts could not be read (%s)", strings.Join(v.Warnings, "; "))}
		}
		if part > 0 {
			nums := make([]string, len(v.Parts))
			for i, p := range v.Parts {
				nums[i] = strconv.Itoa(p.Index)
			}
			hint := "the message has no parts"
			switch len(nums) {
			case 0:
			case 1:
				hint = "the message has one part, " + nums[0]
			default:
				hint = "the message's parts are " + strings.Join(nums, ", ")
			}
			return nil, &mailstore.HintError{Hint: hint, Err: fmt.Errorf("save: the message has no part %d", part)}
		}
		return nil, errors.New("save: the message has no attachments")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, &mailstore.HintError{Hint: "cannot make the directory " + dir + " — give one that exists or can be made", Err: fmt.Errorf("save: %w", err)}
	}
	var written []string
	for _, p := range parts {
		name := sanitize.Filename(p.Filename)
		if sanitize.Filename(p.Filename+"x") == "x" {
			// Nothing of the name survives ("", "..", "dir/", an
			// invisible character): it has none, rather than one made
			// of the extension alone ("..pdf" read as "pdf").
			name = fmt.Sprintf("part-%d", p.Index)
		}
		if filepath.Ext(name) == "" {
			// A name without an extension opens as nothing useful:
			// the content type says what it is.
			name = sanitize.Filename(name + external.Extension(p.ContentType))
		}
		path, err := createUnique(dir, name, p.Bytes())
		if err != nil {
			return written, fmt.Errorf("save part %d: %w", p.Index, err)
		}
		written = append(written, path)
	}
	return written, nil
}

// createUnique writes data to dir/name, or name-1, name-2, ... before the
// extension when taken. O_EXCL makes "never overwrite" hold even against a
// file appearing between the check and the write.
func createUnique(dir, name string, data []byte) (string, error) {
	ext := filepath.Ext(name)
	base := strings.TrimSuffix(name, ext)
	for i := 0; i < 10000; i++ {
		n := name
		if i > 0 {
			n = fmt.Sprintf("%s-%d%s", base, i, ext)
		}
		path := filepath.Join(dir, n)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return "", mailstore.Creating(err)
		}
		_, err = f.Write(data)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			// A part cut short (disk full) must not stay under the
			// name, where it would pass for the whole attachment.
			os.Remove(path)
			return "", err
		}
		return path, nil
	}
	return "", fmt.Errorf("%s: too many files with this name", name)
}
