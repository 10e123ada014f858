package audit

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/actionlog"
	"github.com/sesbox/sesbox/mailstore/xdg"
)

// Progress reports a snapshot, verify or export as it goes. Callbacks are
// never concurrent.
type Progress struct {
	Started time.Time
	Listing bool  // the listing has not finished
	Listed  int64 // objects (or manifest entries) seen so far
	Done    int64 // objects read and handled
	Bytes   int64 // bytes read
	Skipped int64 // already in the manifest when resuming
	// Verify: results so far; Errors also counts the objects a snapshot
	// could not read.
	Unchanged, Changed, Deleted, New, Errors int64
	MetadataChanged                          int64 // the same bytes, other metadata
}

// reporter is a run's progress: the listing goroutine counts into listed
// and listDone, and report, called from the run's own goroutine, hands a
// copy to fn.
type reporter struct {
	Progress
	listed   atomic.Int64
	listDone atomic.Bool
	fn       func(Progress)
}

// start fills in the defaults every run shares (the clock, time.Now, and
// the number of objects read at once, par when parallel is not positive)
// and starts the run's progress.
func start(now func() time.Time, parallel, par int, progress func(Progress)) (func() time.Time, int, *reporter) {
	if now == nil {
		now = time.Now
	}
	if parallel <= 0 {
		parallel = par
	}
	return now, parallel, &reporter{Progress: Progress{Started: now(), Listing: true}, fn: progress}
}

func (r *reporter) report() {
	if r.fn != nil {
		r.Listed, r.Listing = r.listed.Load()+r.Skipped, !r.listDone.Load()
		r.fn(r.Progress)
	}
}

// Rate is objects handled per second since Started.
func (p Progress) Rate(now time.Time) float64 {
	s := now.Sub(p.Started).Seconds()
	if s <= 0 {
		return 0
	}
	return float64(p.Done) / s
}

// SnapshotOptions configure WriteSnapshot.
type SnapshotOptions struct {
	// Region, Endpoint and SesboxVersion go into the header as they are.
	Region, Endpoint, SesboxVersion string
	// Parallel is how many objects are read at once (default 8).
	Parallel int
	// Resume continues an interrupted manifest at path after its last
	// complete entry; without it an existing file is an error unless
	// Force is set, which starts it over.
	Resume, Force bool
	Progress      func(Progress)
	Now           func() time.Time
	// Log, when set, gets one "snapshot" action per finished snapshot,
	// with the manifest's entries hash and header time: an anchor that
	// `audit verify` compares the manifest with (VerifyOptions.Actions).
	Log ActionLog
	// AsOf, when set, makes the manifest one of the bucket as it stood
	// then, rebuilt from its versions (the bucket must be a
	// VersionLister); a date its versions cannot speak for is refused
	// with ErrNotProvable before anything is written.
	AsOf time.Time
	// OnHeader, when set, is called with the manifest's header (as
	// written, or found when resuming) before any object is read: its
	// Warning (hint first) and what keeps the bucket's versions
	// (Header.Protection) are for the caller to say.
	OnHeader func(Header)
}

// ErrManifestExists is returned (wrapped) when the manifest file exists
// and neither resuming nor overwriting was asked for.
var ErrManifestExists = errors.New("manifest exists")

// ErrManifestComplete is returned (wrapped) when resuming a manifest that
// already has its trailer.
var ErrManifestComplete = errors.New("manifest is already complete")

// WriteSnapshot reads every object under b's prefix, in key order, and
// writes a manifest of them to path. Memory stays bounded by Parallel
// objects whatever the bucket's size. If ctx is cancelled the manifest is
// left without a trailer, ready for Resume.
//
// It runs in three stages joined by ordered: listObjects (the lister),
// readObject (the readers, Parallel at once) and a snapshotCollector
// (writes each entry, in key order).
func WriteSnapshot(ctx context.Context, b Bucket, path string, opt SnapshotOptions) (Trailer, error) {
	now, par, prog := start(opt.Now, opt.Parallel, 8, opt.Progress)
	loc := b.Location()
	if !opt.AsOf.IsZero() {
		if opt.AsOf.After(now()) {
			return Trailer{}, &mailstore.HintError{Hint: fmt.Sprintf("%s is in the future: a snapshot of the bucket as it is now takes no --as-of", stamp(opt.AsOf)),
				Err: fmt.Errorf("snapshot as of %s: %w", stamp(opt.AsOf), ErrNotProvable)}
		}
		v, err := asOf(ctx, b, opt.AsOf)
		if err != nil {
			return Trailer{}, fmt.Errorf("snapshot %s: %w", loc, err)
		}
		b = v
	}
	set := readSettings(ctx, b)
	f, mw, resumed, err := openSnapshot(path, loc, opt, prog, set.header(Header{
		Kind: "snapshot", Bucket: loc.Bucket, Prefix: loc.Prefix, Region: opt.Region, Endpoint: opt.Endpoint,
		Started: prog.Started.UTC(), SesboxVersion: opt.SesboxVersion, AsOf: opt.AsOf.UTC(),
	}, opt.AsOf, now()))
	if err != nil {
		return Trailer{}, err
	}
	defer f.Close()
	if opt.OnHeader != nil {
		opt.OnHeader(mw.hdr)
	}

	c := &snapshotCollector{mw: mw, prog: prog}
	err = ordered(ctx, par, listObjects(b, mw.lastKey, prog), readObject(b, set.locks), func(r snapResult) error { return c.collect(ctx, r) })
	if ferr := mw.w.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		f.Sync()
		if ctx.Err() != nil {
			return Trailer{}, fmt.Errorf("snapshot interrupted after %d objects; run it again with --resume to continue: %w", mw.count, err)
		}
		return Trailer{}, fmt.Errorf("snapshot %s: %w (the manifest so far is kept; --resume continues it)", loc, err)
	}
	prog.listDone.Store(true)
	prog.report()
	t, err := mw.trailer(Trailer{Finished: now().UTC(), Resumed: resumed, Vanished: c.vanished, Failed: c.failed, locksRead: set.locks != nil})
	if err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = f.Close()
	}
	if err != nil {
		return t, fmt.Errorf("snapshot %s: %w", path, err)
	}
	incomplete := incompleteErr("snapshot "+loc.String(), c.failed, prog.listed.Load()+prog.Skipped)
	if opt.Log != nil {
		result := "snapshot"
		if len(t.Failed) > 0 {
			result = fmt.Sprintf("incomplete: %d not read", len(t.Failed))
		}
		if err := opt.Log.Append(actionlog.Action{Command: "snapshot", Bucket: loc.Bucket, Result: result,
			Export: &actionlog.ExportAction{What: loc.Prefix, Kind: "snapshot", Count: t.Count, Failed: len(t.Failed),
				FailedSHA256: FailedDigest(t.Failed), Vanished: t.Vanished, ManifestSHA256: t.EntriesSHA256, Started: t.started,
				HeaderSHA256: t.HeaderSHA256, TrailerSHA256: t.TrailerSHA256, AsOf: asOfAttr(opt.AsOf)}}); err != nil {
			return t, fmt.Errorf("snapshot written but not logged: %w", err)
		}
	}
	return t, incomplete
}

// openSnapshot opens the manifest at path: an interrupted one reopened
// after its last complete entry (Resume), else a new one with its header
// written. resumed says which.
func openSnapshot(path string, loc mailstore.Location, opt SnapshotOptions, prog *reporter, hdr Header) (f *os.File, mw *manifestWriter, resumed bool, err error) {
	// The manifest is never written through a symlink (to wherever it
	// points), nor into a directory: refused before --resume or --force
	// get a say.
	exists, err := xdg.FileExists(path)
	if err != nil {
		return nil, nil, false, fmt.Errorf("snapshot: %w", err)
	}
	switch {
	case exists && opt.Resume:
		if f, mw, err = reopenManifest(path, loc, opt.AsOf); errors.Is(err, ErrManifestComplete) {
			return nil, nil, false, &mailstore.HintError{Hint: path + " is a finished snapshot: nothing to resume — give a new --out FILE", Err: err}
		} else if err != nil {
			return nil, nil, false, err
		}
		prog.Skipped = mw.count
		return f, mw, true, nil
	case exists && !opt.Force:
		// A finished one is said as one: --resume has nothing to do there.
		if c, cerr := CheckManifest(path); cerr == nil && c.Trailer != nil {
			return nil, nil, false, &mailstore.HintError{
				Hint: fmt.Sprintf("%s is a finished snapshot (%s) — give a new --out FILE, or --force to replace it", path, mailstore.Count(c.Entries, "entry")),
				Err:  fmt.Errorf("snapshot %s: %w", path, ErrManifestExists)}
		}
		return nil, nil, false, fmt.Errorf("snapshot %s: %w (use --resume to continue it or --force to start over)", path, ErrManifestExists)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, nil, false, fmt.Errorf("snapshot: %w", err)
	}
	if f, err = xdg.OpenPrivate(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC); err != nil {
		return nil, nil, false, fmt.Errorf("snapshot: %w", mailstore.Creating(err))
	}
	mw = newManifestWriter(f)
	err = mw.header(hdr)
	if err == nil {
		err = mw.w.Flush()
	}
	if err != nil {
		f.Close()
		return nil, nil, false, fmt.Errorf("snapshot %s: %w", path, err)
	}
	return f, mw, false, nil
}

// listObjects is the lister stage: every object after startAfter, in key
// order, counted into prog as it is listed.
func listObjects(b Bucket, startAfter string, prog *reporter) func(context.Context, func(mailstore.Object) error) error {
	return func(ctx context.Context, emit func(mailstore.Object) error) error {
		err := b.ListSorted(ctx, startAfter, func(page []mailstore.Object) error {
			for _, o := range page {
				prog.listed.Add(1)
				if err := emit(o); err != nil {
					return err
				}
			}
			return nil
		})
		prog.listDone.Store(err == nil)
		return err
	}
}

// snapResult is what a reader found for one listed object.
type snapResult struct {
	obj  mailstore.Object
	d    digest
	err  error
	gone bool // deleted between the listing and the read
}

// readObject is the reader stage: the digest of one object's bytes (of
// the version listed, as of a past date), with its Object Lock when
// locks is set.
func readObject(b Bucket, locks LockReader) func(context.Context, mailstore.Object) snapResult {
	return func(ctx context.Context, o mailstore.Object) snapResult {
		d, obj, err := readRecorded(ctx, b, locks, o.Key, o.VersionID, false)
		if errors.Is(err, mailstore.ErrNotFound) {
			if err := listedKeyNotFound(o.Key); err != nil {
				return snapResult{obj: o, err: err}
			}
			return snapResult{obj: o, gone: true}
		}
		return snapResult{obj: obj, d: d, err: err}
	}
}

// snapshotCollector is the collector stage: it writes an entry for each
// object read, in key order, counts the ones that vanished and keeps the
// ones that could not be read for the trailer.
type snapshotCollector struct {
	mw       *manifestWriter
	prog     *reporter
	vanished int64
	failed   []FailedObject
}

func (c *snapshotCollector) collect(ctx context.Context, r snapResult) error {
	if r.err != nil && ctx.Err() == nil {
		// Retried already (s3store): go on with the others and report
		// this one at the end.
		c.failed = append(c.failed, FailedObject{Key: r.obj.Key, Error: r.err.Error()})
		c.prog.Errors++
		c.prog.report()
		return nil
	}
	if r.err != nil {
		return r.err
	}
	c.prog.Done++
	if r.gone {
		c.vanished++
	} else {
		c.prog.Bytes += r.d.Size
		if err := c.mw.entry(entryOf(r.obj, r.d)); err != nil {
			return err
		}
	}
	c.prog.report()
	return nil
}

// reopenManifest opens an interrupted manifest for appending: it checks the
// header names the same bucket and prefix, and the same as-of date (zero:
// none), replays the complete entry lines to restore the running hash, and
// cuts off a torn last line.
func reopenManifest(path string, loc mailstore.Location, asOf time.Time) (*os.File, *manifestWriter, error) {
	f, err := xdg.OpenPrivate(path, os.O_RDWR)
	if err != nil {
		return nil, nil, fmt.Errorf("resume snapshot: %w", err)
	}
	fail := func(err error) (*os.File, *manifestWriter, error) {
		f.Close()
		return nil, nil, fmt.Errorf("resume snapshot %s: %w", path, err)
	}
	r := bufio.NewReaderSize(f, 64<<10)
	mw := &manifestWriter{h: sha256.New()}
	var off int64
	lineNo := 0
	for {
		line, err := r.ReadBytes('\n')
		if !bytes.HasSuffix(line, []byte("\n")) {
			// EOF, possibly after a torn line: it is dropped below.
			if err != nil && !errors.Is(err, io.EOF) {
				return fail(err)
			}
			break
		}
		lineNo++
		var probe struct {
			Record string `json:"record"`
			Bucket string `json:"bucket"`
			Prefix string `json:"prefix"`
			Key    string `json:"key"`
			Size   int64  `json:"size"`
			// What lockCounts counts.
			RetentionMode string    `json:"retentionMode"`
			RetainUntil   time.Time `json:"retainUntil"`
			LegalHold     bool      `json:"legalHold"`
			LockError     string    `json:"lockError"`
			Started       time.Time `json:"started"`
			AsOf          time.Time `json:"asOf"`
		}
		if err := json.Unmarshal(line, &probe); err != nil {
			if lineNo == 1 {
				return fail(ErrNotManifest)
			}
			// A line garbled by the crash: everything from here is redone.
			break
		}
		if lineNo == 1 {
			if probe.Record != "header" {
				return fail(ErrNotManifest)
			}
			if probe.Bucket != loc.Bucket || probe.Prefix != loc.Prefix {
				return fail(fmt.Errorf("it is a manifest of s3://%s/%s, not of %s", probe.Bucket, probe.Prefix, loc))
			}
			if !probe.AsOf.Equal(asOf) {
				with := "without --as-of"
				if !probe.AsOf.IsZero() {
					// An age (7d) names another time at each run.
					with = "with --as-of " + stamp(probe.AsOf)
				}
				return fail(&mailstore.HintError{Hint: fmt.Sprintf("%s is a manifest %s, not %s: resume it %s, or give a new --out FILE",
					path, asOfWords(probe.AsOf), asOfWords(asOf), with), Err: errors.New("another date")})
			}
			mw.started, mw.headerSHA256 = probe.Started, lineSHA256(line)
			if err := json.Unmarshal(line, &mw.hdr); err != nil {
				return fail(ErrNotManifest)
			}
			mw.groups.prefix = mw.hdr.Prefix
			off += int64(len(line))
			continue
		}
		if probe.Record == "trailer" {
			return fail(ErrManifestComplete)
		}
		if probe.Key == "" || (mw.count > 0 && probe.Key <= mw.lastKey) {
			break
		}
		mw.h.Write(line)
		mw.count++
		mw.bytes += probe.Size
		mw.lastKey = probe.Key
		mw.locks.add(Entry{RetentionMode: probe.RetentionMode, RetainUntil: probe.RetainUntil, LegalHold: probe.LegalHold, LockError: probe.LockError}, mw.started)
		mw.groups.add(probe.Key)
		off += int64(len(line))
	}
	if lineNo == 0 {
		return fail(ErrNotManifest)
	}
	if err := f.Truncate(off); err != nil {
		return fail(err)
	}
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return fail(err)
	}
	mw.w = bufio.NewWriterSize(f, 64<<10)
	return f, mw, nil
}
