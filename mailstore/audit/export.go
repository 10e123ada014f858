package audit

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/actionlog"
	"github.com/sesbox/sesbox/mailstore/sanitize"
)

// ExportOptions configure ExportMbox and ExportMaildir.
type ExportOptions struct {
	// Keys are the objects to export; nil exports every object under the
	// prefix. Query is recorded in the manifest header (it chose Keys).
	Keys  []string
	Query string
	// Manifest is where the manifest goes; default: the mbox file or the
	// maildir directory name with ".manifest.jsonl" appended.
	Manifest string
	// Force replaces an existing mbox file (and manifest); maildir files
	// are never replaced.
	Force bool
	// Parents makes the missing directories of the mbox file and its
	// manifest (export --parents, :export --parents); without it an
	// export into a directory that does not exist is refused before
	// anything is read (ErrNoDirectory), as cp and mutt's save refuse
	// one: a mistyped directory would be made and the export left where
	// nobody looks.
	Parents                         bool
	Region, Endpoint, SesboxVersion string
	Parallel                        int // objects read at once (default 4)
	Progress                        func(Progress)
	Now                             func() time.Time
	// Log, when set, gets one "export" action per export that wrote its
	// manifest (the local action log, or a Tee with the team's).
	Log ActionLog
	// AsOf, when set, exports every message under the prefix as the
	// bucket held it then, rebuilt from its versions (as
	// SnapshotOptions.AsOf); Keys must then be nil: they name messages
	// as they are now.
	AsOf time.Time
	// OnHeader, when set, is called with the manifest's header before
	// any message is read, as SnapshotOptions.OnHeader.
	OnHeader func(Header)
}

// ActionLog is where an export is recorded for auditors (*actionlog.Log,
// actionlog.Tee).
type ActionLog interface {
	Append(actionlog.Action) error
}

var _ ActionLog = (*actionlog.Log)(nil)

// ManifestPath is the default manifest path for an export target.
func ManifestPath(target string) string {
	return strings.TrimRight(target, string(filepath.Separator)) + ".manifest.jsonl"
}

// ErrExists is returned (wrapped) when an export would replace a file.
var ErrExists = errors.New("refusing to overwrite")

// existsErr refuses to replace path, what to do first: it said "export:
// x.mbox exists: refusing to overwrite (use --force to replace it)", the
// way out last, where every other error leads with it.
func existsErr(path string) error {
	return &mailstore.HintError{Hint: "give --force to replace " + path + ", or export somewhere else",
		Err: fmt.Errorf("export: %s exists: %w", path, ErrExists)}
}

// ErrNoDirectory is why an export into a directory that does not exist
// is refused (ExportOptions.Parents).
var ErrNoDirectory = errors.New("no such directory")

// missingDir refuses path when its directory does not exist, unless
// parents.
func missingDir(path string, parents bool) error {
	dir := filepath.Dir(path)
	if _, err := os.Stat(dir); parents || !errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return &mailstore.HintError{Hint: "to make " + dir + ", give --parents (in the TUI, :export --parents --mbox FILE), or check the path",
		Err: fmt.Errorf("export: %s: %w", dir, ErrNoDirectory)}
}

// ExportMbox writes the exact stored bytes of the chosen messages into one
// mbox file (mboxrd: lines matching /^>*From / get one more ">"), in key
// order, with a manifest beside it. The file appears only when complete.
// A message that does not end in a newline gets one: mbox cannot represent
// that; the manifest's sha256 is of the stored bytes.
func ExportMbox(ctx context.Context, b Bucket, file string, opt ExportOptions) (Trailer, error) {
	manifest := cmp.Or(opt.Manifest, ManifestPath(file))
	for _, p := range []string{file, manifest} {
		if err := missingDir(p, opt.Parents); err != nil {
			return Trailer{}, err
		}
	}
	b, err := exportSource(ctx, b, opt)
	if err != nil {
		return Trailer{}, err
	}
	if !opt.Force {
		for _, p := range []string{file, manifest} {
			if _, err := os.Stat(p); err == nil {
				return Trailer{}, existsErr(p)
			}
		}
	}
	tmp, err := createTemp(file)
	if err != nil {
		return Trailer{}, fmt.Errorf("export: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	w := bufio.NewWriterSize(tmp, 256<<10)
	t, err := export(ctx, b, "mbox", manifest, opt, func(e *Entry, obj mailstore.Object, raw []byte) error {
		return WriteMboxMessage(w, raw, obj.LastModified)
	})
	if err != nil && !errors.Is(err, ErrIncomplete) {
		return t, err
	}
	// An export that left out objects it could not read is still
	// written: the trailer (and the error) name what is missing.
	incomplete := err
	if err := w.Flush(); err != nil {
		return t, fmt.Errorf("export %s: %w", file, err)
	}
	if err := tmp.Sync(); err != nil {
		return t, fmt.Errorf("export %s: %w", file, err)
	}
	if err := tmp.Close(); err != nil {
		return t, fmt.Errorf("export %s: %w", file, err)
	}
	if err := place(tmp.Name(), file, opt.Force); err != nil {
		// The manifest just placed describes an export that is not there.
		os.Remove(manifest)
		return t, fmt.Errorf("export: %w", err)
	}
	return t, logExport(b, "mbox", opt, t, incomplete)
}

// ExportMaildir writes each chosen message, byte for byte, as a file under
// dir/new (Maildir: written in dir/tmp, then renamed), named
// <arrival unix time>.<SES message id>.sesbox, with a manifest beside dir.
// A key that is not the prefix and a message id a file name keeps whole
// (a ":" in it, another folder) gets its hash in its name, whichever keys
// are exported with it (see mailstore.FileNames): the manifest's "file"
// says which is which. An existing file of the same
// name is never replaced: the export fails.
func ExportMaildir(ctx context.Context, b Bucket, dir string, opt ExportOptions) (Trailer, error) {
	manifest := cmp.Or(opt.Manifest, ManifestPath(dir))
	for _, p := range []string{dir, manifest} {
		if err := missingDir(p, opt.Parents); err != nil {
			return Trailer{}, err
		}
	}
	b, err := exportSource(ctx, b, opt)
	if err != nil {
		return Trailer{}, err
	}
	if _, err := os.Stat(manifest); err == nil && !opt.Force {
		return Trailer{}, existsErr(manifest)
	}
	for _, sub := range []string{"tmp", "new", "cur"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return Trailer{}, fmt.Errorf("export: %w", err)
		}
	}
	names := mailstore.FileNames{Prefix: b.Location().Prefix}
	t, err := export(ctx, b, "maildir", manifest, opt, func(e *Entry, obj mailstore.Object, raw []byte) error {
		name := names.Name(obj.Key, maildirStem(obj), ".sesbox")
		e.File = "new/" + name
		tmp := filepath.Join(dir, "tmp", name)
		f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return mailstore.Creating(err)
		}
		_, err = f.Write(raw)
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(tmp)
			return err
		}
		final := filepath.Join(dir, "new", name)
		// Link, not rename: link fails when the name is taken, so an
		// earlier export is never replaced. A file there with these very
		// bytes (an export interrupted and run again) is kept as it is.
		err = os.Link(tmp, final)
		os.Remove(tmp)
		if errors.Is(err, os.ErrExist) {
			sum := sha256.Sum256(raw)
			if have, herr := hashFile(final); herr == nil && have.SHA256 == hex.EncodeToString(sum[:]) {
				return nil
			}
			return fmt.Errorf("%s exists and holds other bytes: %w (sesbox never replaces a message file: export to a new directory)", final, ErrExists)
		}
		return err
	})
	if err != nil && !errors.Is(err, ErrIncomplete) {
		return t, err
	}
	return t, logExport(b, "maildir", opt, t, err)
}

// logExport appends the export that wrote trailer t to opt.Log, and
// returns incomplete (the export's ErrIncomplete, or nil) unless the log
// could not be written: an export that is not in the log is an error.
func logExport(b Bucket, kind string, opt ExportOptions, t Trailer, incomplete error) error {
	if opt.Log == nil {
		return incomplete
	}
	result := "exported"
	if len(t.Failed) > 0 {
		result = fmt.Sprintf("incomplete: %d not read", len(t.Failed))
	}
	err := opt.Log.Append(actionlog.Action{Command: "export", Bucket: b.Location().Bucket, Result: result,
		Export: &actionlog.ExportAction{What: opt.Query, Kind: kind, Count: t.Count, Failed: len(t.Failed), ManifestSHA256: t.EntriesSHA256,
			FailedSHA256: FailedDigest(t.Failed), Vanished: t.Vanished, Started: t.started, HeaderSHA256: t.HeaderSHA256,
			TrailerSHA256: t.TrailerSHA256, AsOf: asOfAttr(opt.AsOf)}})
	if err != nil {
		return fmt.Errorf("export written but not logged: %w", err)
	}
	return incomplete
}

// exportSource is the bucket an export reads: b, or b as of opt.AsOf
// (checked before anything is written).
func exportSource(ctx context.Context, b Bucket, opt ExportOptions) (Bucket, error) {
	if opt.AsOf.IsZero() {
		return b, nil
	}
	loc := b.Location()
	if opt.Keys != nil {
		return nil, fmt.Errorf("export %s as of %s: keys chosen from the bucket as it is now cannot be exported as of another date", loc, stamp(opt.AsOf))
	}
	now := time.Now
	if opt.Now != nil {
		now = opt.Now
	}
	if opt.AsOf.After(now()) {
		return nil, &mailstore.HintError{Hint: fmt.Sprintf("%s is in the future: an export of the bucket as it is now takes no --as-of", stamp(opt.AsOf)),
			Err: fmt.Errorf("export as of %s: %w", stamp(opt.AsOf), ErrNotProvable)}
	}
	v, err := asOf(ctx, b, opt.AsOf)
	if err != nil {
		return nil, fmt.Errorf("export %s: %w", loc, err)
	}
	return v, nil
}

// startedAttr is how an action names a manifest's header time.
func startedAttr(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// export reads the chosen objects in key order and hands each to put, then
// writes the manifest (to a temp file renamed into place at the end).
func export(ctx context.Context, b Bucket, kind, manifest string, opt ExportOptions, put func(*Entry, mailstore.Object, []byte) error) (Trailer, error) {
	now, par, prog := start(opt.Now, opt.Parallel, 4, opt.Progress)
	loc := b.Location()
	mf, err := createTemp(manifest)
	if err != nil {
		return Trailer{}, fmt.Errorf("export: %w", err)
	}
	defer os.Remove(mf.Name())
	defer mf.Close()
	mw := newManifestWriter(mf)
	set := readSettings(ctx, b)
	if err := mw.header(set.header(Header{Kind: "export", Export: kind, Query: opt.Query, Bucket: loc.Bucket, Prefix: loc.Prefix,
		Region: opt.Region, Endpoint: opt.Endpoint, Started: prog.Started.UTC(), SesboxVersion: opt.SesboxVersion,
		AsOf: opt.AsOf.UTC()}, opt.AsOf, now())); err != nil {
		return Trailer{}, err
	}
	if opt.OnHeader != nil {
		opt.OnHeader(mw.hdr)
	}
	type result struct {
		obj mailstore.Object
		d   digest
		err error
	}
	var (
		vanished int64
		failed   []FailedObject
	)
	err = ordered(ctx, par,
		func(ctx context.Context, emit func(mailstore.Object) error) error {
			defer prog.listDone.Store(true)
			if opt.Keys != nil {
				keys := slices.Clone(opt.Keys)
				slices.Sort(keys)
				keys = slices.Compact(keys)
				for _, k := range keys {
					prog.listed.Add(1)
					if err := emit(mailstore.Object{Key: k}); err != nil {
						return err
					}
				}
				return nil
			}
			return b.ListSorted(ctx, "", func(page []mailstore.Object) error {
				for _, o := range page {
					prog.listed.Add(1)
					if err := emit(o); err != nil {
						return err
					}
				}
				return nil
			})
		},
		func(ctx context.Context, o mailstore.Object) result {
			// The version listed, as of a past date; else the object now.
			d, obj, err := readRecorded(ctx, b, set.locks, o.Key, o.VersionID, true)
			if errors.Is(err, mailstore.ErrNotFound) {
				if e := listedKeyNotFound(o.Key); e != nil {
					obj.Key, err = o.Key, e
				}
			}
			return result{obj: obj, d: d, err: err}
		},
		func(r result) error {
			if errors.Is(r.err, mailstore.ErrNotFound) {
				vanished++
				return nil
			}
			if r.err != nil {
				if ctx.Err() != nil {
					return r.err
				}
				// Retried already (s3store): go on with the others and
				// report this one at the end.
				failed = append(failed, FailedObject{Key: r.obj.Key, Error: r.err.Error()})
				return nil
			}
			e := entryOf(r.obj, r.d)
			if err := put(&e, r.obj, r.d.Raw); err != nil {
				return fmt.Errorf("export %s: %w", mailstore.ObjectName(b.Location().Bucket, r.obj.Key), err)
			}
			prog.Done++
			prog.Bytes += r.d.Size
			prog.report()
			return mw.entry(e)
		})
	if err != nil {
		return Trailer{}, fmt.Errorf("export %s: %w", loc, err)
	}
	t, err := mw.trailer(Trailer{Finished: now().UTC(), Vanished: vanished, Failed: failed, locksRead: set.locks != nil})
	if err == nil {
		err = mf.Sync()
	}
	if err == nil {
		err = mf.Close()
	}
	if err == nil {
		err = place(mf.Name(), manifest, opt.Force)
	}
	if err != nil {
		return t, fmt.Errorf("export: write manifest: %w", err)
	}
	return t, incompleteErr("export "+loc.String(), failed, prog.listed.Load())
}

// place puts the finished temporary file tmp at final: renamed over it
// with replace (--force), else hard-linked, which fails when final
// exists, so a file that appeared while the export ran (the check is at
// its start) is never replaced. A file system without hard links gets the
// rename after a last check.
func place(tmp, final string, replace bool) error {
	if !replace {
		err := os.Link(tmp, final)
		if err == nil {
			return os.Remove(tmp)
		}
		if _, serr := os.Lstat(final); errors.Is(err, fs.ErrExist) || serr == nil {
			return existsErr(final)
		}
	}
	return os.Rename(tmp, final)
}

func createTemp(target string) (*os.File, error) {
	dir := filepath.Dir(target)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(target)+".*.partial")
	return f, mailstore.Creating(err)
}

// maildirStem is <arrival unix time>.<SES message id>, made safe as a file
// name (no "/", no ":", which Maildir uses for flags). Two keys can share
// it; mailstore.FileNames tells them apart.
func maildirStem(obj mailstore.Object) string {
	id := sanitize.Filename(mailstore.SESMessageID(obj.Key))
	id = strings.NewReplacer(":", "_", "/", "_", ".", "_").Replace(id)
	return fmt.Sprintf("%d.%s", obj.LastModified.Unix(), id)
}

// WriteMboxMessage writes one mboxrd message: the From_ line, the stored
// bytes with From-quoting, a newline if the message lacks a final one,
// and the blank separator line (export --mbox, and a raw pipe of several
// messages: mailbox.PipeWriter).
func WriteMboxMessage(w io.Writer, raw []byte, arrived time.Time) error {
	return WriteMboxEntry(w, raw, raw, arrived)
}

// WriteMboxEntry is WriteMboxMessage writing body in place of the stored
// bytes raw, whose envelope sender its From_ line names: a decoded pipe
// of several messages writes each message's decoded text so
// (mailbox.PipeWriter).
func WriteMboxEntry(w io.Writer, raw, body []byte, arrived time.Time) error {
	if _, err := fmt.Fprintf(w, "From %s %s\n", envelopeSender(raw), arrived.UTC().Format(time.ANSIC)); err != nil {
		return err
	}
	for len(body) > 0 {
		line := body
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			line = body[:i+1]
		}
		body = body[len(line):]
		if isFromLine(line) {
			if _, err := w.Write([]byte{'>'}); err != nil {
				return err
			}
		}
		if _, err := w.Write(line); err != nil {
			return err
		}
		if len(body) == 0 && !bytes.HasSuffix(line, []byte("\n")) {
			if _, err := w.Write([]byte{'\n'}); err != nil {
				return err
			}
		}
	}
	_, err := w.Write([]byte{'\n'})
	return err
}

// isFromLine matches /^>*From / (mboxrd).
func isFromLine(line []byte) bool {
	return bytes.HasPrefix(bytes.TrimLeft(line, ">"), []byte("From "))
}

// envelopeSender is the Return-Path address when it is a plain address,
// else MAILER-DAEMON (the From_ line is a single token). Only the first
// field counts: SES writes its Return-Path at the very top of the block it
// prepends, and a Return-Path anywhere below (SES wrote none, or the
// object was not stored by SES) is the sender's own, so trusting it would
// let a forged field name the envelope sender.
func envelopeSender(raw []byte) string {
	line, _, _ := bytes.Cut(raw, []byte("\n"))
	k, v, ok := bytes.Cut(line, []byte(":"))
	if !ok || !strings.EqualFold(string(k), "Return-Path") {
		return "MAILER-DAEMON"
	}
	a, err := mail.ParseAddress(strings.TrimSpace(string(v)))
	if err != nil || a.Address == "" || len(a.Address) > maxPath || strings.ContainsFunc(a.Address, func(r rune) bool { return r <= ' ' || r == 0x7f || r > 0x7e }) {
		return "MAILER-DAEMON"
	}
	return a.Address
}

// maxPath is the longest envelope sender the From_ line names: SMTP's
// limit on a path (RFC 5321, 4.5.3.1.3). A Return-Path of 2,000
// characters made a From_ line of 2,030 octets, where every line sesbox
// writes into mail is at most 998.
const maxPath = 256
