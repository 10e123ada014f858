package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/alessio/shellescape"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/actionlog"
	"github.com/sesbox/sesbox/mailstore/sanitize"
)

// Status is what verify found for one object.
type Status string

// The statuses, in the order a summary lists them.
const (
	Unchanged Status = "unchanged" // the stored bytes hash as in the manifest
	Changed   Status = "changed"   // the object is there but its bytes differ
	Deleted   Status = "deleted"   // in the manifest, gone from the bucket
	New       Status = "new"       // in the bucket, not in the manifest (informational)
	Failed    Status = "error"     // could not be read: nothing can be said about it
	// MetadataChanged: the bytes hash as in the manifest, but what a GET
	// says of the object besides them (Content-Type, x-amz-meta-*, the
	// encryption) is not what the manifest recorded.
	MetadataChanged Status = "metadata-changed"
	// DeletedSinceManifest: not in the manifest, put after it was made
	// (or there then and left out of it) and deleted since, as the
	// bucket's versions and delete markers show: mail lost as surely as
	// a deleted object, which neither the manifest nor the listing holds.
	DeletedSinceManifest Status = "deleted-since-manifest"
)

// Result is verify's finding for one object.
type Result struct {
	Key    string `json:"key"`
	Status Status `json:"status"`
	// From the manifest (empty for new objects).
	Subject           string `json:"subject,omitempty"`
	ManifestSHA256    string `json:"manifestSha256,omitempty"`
	ManifestVersionID string `json:"manifestVersionId,omitempty"`
	// From the bucket now (empty for deleted objects).
	SHA256    string `json:"sha256,omitempty"`
	ETag      string `json:"etag,omitempty"`
	VersionID string `json:"versionId,omitempty"`
	Size      int64  `json:"size,omitempty"`
	ETagCheck string `json:"etagCheck,omitempty"`
	// LastModified is a new object's time in the listing: one before
	// the manifest's run started gets a note.
	LastModified time.Time `json:"lastModified,omitzero"`
	// Metadata and ManifestMetadata are the object's metadata now and as
	// the manifest recorded it, when the two differ (the note says how).
	Metadata         map[string]string `json:"metadata,omitempty"`
	ManifestMetadata map[string]string `json:"manifestMetadata,omitempty"`
	// Recoverable is the version that still holds the manifest's bytes, for
	// changed and deleted objects on a versioned bucket; for an object
	// deleted since the manifest, its newest kept version.
	Recoverable string `json:"recoverable,omitempty"`
	// PutAt and DeletedAt are, for an object deleted since the manifest,
	// when its newest kept version (Recoverable) was put and when the
	// delete marker that hides it was written.
	PutAt     time.Time `json:"putAt,omitzero"`
	DeletedAt time.Time `json:"deletedAt,omitzero"`
	// Versions lists the object's versions and delete markers, newest
	// first, for changed and deleted objects (and those deleted since the
	// manifest).
	Versions []Version `json:"versions,omitempty"`
	// Rewritten marks an unchanged object written again since the
	// manifest (writtenAgain): the note says how.
	Rewritten bool `json:"rewritten,omitempty"`
	// Differences name, field by field, what the bucket says now of the
	// manifest's version otherwise than the manifest recorded: its Object
	// Lock (retentionMode, retainUntil, legalHold), on a bucket with
	// Object Lock whose manifest read it. The note says them in words.
	Differences []Difference `json:"differences,omitempty"`
	Note        string       `json:"note,omitempty"`
	Error       string       `json:"error,omitempty"`

	unread  bool // listed under failed in the manifest's trailer
	expired bool // deleted, and a lifecycle rule was due to expire it (the note says which)
	// edited names the manifest line that disagrees with the version it
	// records (editedLine), when the manifest's entries fail their hash.
	edited       string
	editedFields []Difference
	// read is the entry the version read would have in a manifest
	// (entryOf), for editedLine; versionsListed says Versions is the
	// bucket's answer (none at all, when empty).
	read           Entry
	versionsListed bool
	// destroyed says the bucket no longer lists the version the
	// manifest recorded (the note says so): deleted for good.
	destroyed bool
	// lock is the Object Lock of the manifest's version as read now
	// (checkLock); nil when it was not read.
	lock *VersionLock
	// walked marks one deleted since the manifest that verify's walk
	// listed (then held back as new: heldNew), so counted in the
	// progress's total.
	walked bool
}

// Difference is one field of a manifest entry that is not what the
// bucket says of the version the entry records: the field by its JSON
// name (legalHold, subject, versionId), the value the manifest records
// and the one the bucket gives, each as text (times in RFC 3339, the
// metadata as JSON). Line and Key name the entry line, in a manifest's
// own check (ManifestCheck.Edited).
type Difference struct {
	Line     int    `json:"line,omitempty"`
	Key      string `json:"key,omitempty"`
	Field    string `json:"field"`
	Manifest string `json:"manifest"`
	Bucket   string `json:"bucket"`
}

// Summary totals a verify run.
type Summary struct {
	Manifest   ManifestCheck `json:"-"`
	Versioning string        `json:"versioning"`
	Started    time.Time     `json:"started"`
	Finished   time.Time     `json:"finished"`
	Unchanged  int64         `json:"unchanged"`
	Changed    int64         `json:"changed"`
	Deleted    int64         `json:"deleted"`
	New        int64         `json:"new"`
	Errors     int64         `json:"errors"`
	// MetadataChanged counts objects whose bytes are unchanged but whose
	// metadata is not what the manifest recorded.
	MetadataChanged int64 `json:"metadataChanged"`
	// DeletedSinceManifest counts objects the manifest does not hold
	// whose versions show mail put since and deleted (or destroyed):
	// seen on a bucket whose versions can be listed only (a warning says
	// so otherwise).
	DeletedSinceManifest int64 `json:"deletedSinceManifest"`
	// LockChanged counts objects (of any status) whose manifest's
	// version has another Object Lock now than the manifest recorded: a
	// retention or legal hold removed, added or changed. One whose bytes
	// and metadata are unchanged is metadata-changed.
	LockChanged int64 `json:"lockChanged,omitempty"`
	// Destroyed counts objects (of any status) whose version the
	// manifest recorded the bucket no longer lists: deleted for good
	// (s3:DeleteObjectVersion), even when another version holds the
	// same bytes (an unchanged object written again).
	Destroyed int64 `json:"destroyed,omitempty"`
	// Recoverable counts changed and deleted objects whose original bytes
	// a kept version still holds.
	Recoverable int64 `json:"recoverable"`
	// Rewritten counts unchanged objects written again since the manifest
	// (another version, or a later last-modified time, holding the same
	// bytes): nothing was lost, but someone wrote to the bucket.
	Rewritten int64 `json:"rewritten"`
	// ETagMismatches counts single-part ETags that are not the MD5 of the
	// bytes read (expected under SSE-KMS/SSE-C, else a sign of corruption).
	ETagMismatches int64 `json:"etagMismatches"`
	// Anchor says what the action log (VerifyOptions.Actions) records of
	// this manifest: the entry that logged it, or that none does. Empty
	// when no log was given.
	Anchor string `json:"anchor,omitempty"`
	// AsOf is the past time the manifest was compared with the bucket as
	// of (VerifyOptions.AsOf), rebuilt from its versions; zero: the
	// bucket as it is now.
	AsOf time.Time `json:"asOf,omitzero"`
	// ObjectLock and MFADelete are the bucket's now, as in a manifest's
	// header: what keeps its versions, the recoverable ones included.
	ObjectLock string `json:"objectLock,omitempty"`
	MFADelete  bool   `json:"mfaDelete,omitempty"`
	// Expired counts the deleted objects a lifecycle rule was due to
	// expire (Expiration) by the time compared with: each says so in its
	// note.
	Expired int64 `json:"expired,omitempty"`
	// Warnings say, each hint first, what may make the answer less than
	// complete: an --as-of older than a lifecycle rule keeps noncurrent
	// versions, deleted objects a rule may have expired, lifecycle rules
	// that could not be read.
	Warnings []string `json:"warnings,omitempty"`
	// Prefixes count the objects verified by the folder they are under,
	// when the prefix has no trailing "/" and reached more than the one
	// folder (or flat keys) it names: a warning says so (PrefixNote).
	Prefixes []PrefixGroup `json:"prefixes,omitempty"`
}

// OK reports whether nothing was changed, deleted (or deleted since the
// manifest) or unreadable and the
// manifest is intact: the run's exit status.
func (s Summary) OK() bool {
	return s.Changed == 0 && s.Deleted == 0 && s.DeletedSinceManifest == 0 && s.Errors == 0 && s.MetadataChanged == 0 && s.Manifest.OK()
}

// Incomplete reports whether the run found nothing changed or deleted
// and the manifest intact, but could not read some objects: an answer
// that lacks something rather than a finding (`audit verify` exits 2,
// as a forward that sent some messages but not all).
func (s Summary) Incomplete() bool {
	return s.Errors > 0 && s.Changed == 0 && s.Deleted == 0 && s.DeletedSinceManifest == 0 && s.MetadataChanged == 0 && s.Manifest.OK()
}

// AsOfNote says that the bucket was compared as it stood at a past date
// (verify --as-of), rebuilt from its versions, not as it is now. ""
// otherwise.
func (s Summary) AsOfNote() string {
	if s.AsOf.IsZero() {
		return ""
	}
	return "the bucket as of " + s.AsOf.UTC().Format(time.RFC3339) + ", rebuilt from its versions (not as it is now)"
}

// VersioningNote says how the bucket's versioning now differs from when
// the manifest was made, when it went from Enabled to anything else: from
// then on an overwrite or delete destroys the message. "" otherwise.
func (s Summary) VersioningNote() string {
	then := s.Manifest.Header.Versioning
	if then != "Enabled" || s.Versioning == "Enabled" || s.Versioning == "" || s.Versioning == "unknown" {
		return ""
	}
	return "Enabled when the manifest was made: from now on an overwrite or delete destroys the message"
}

// VerifyOptions configure Verify.
type VerifyOptions struct {
	Parallel int // objects read at once (default 8)
	Progress func(Progress)
	// OnResult is called for every object, in key order, as results come;
	// then, on a bucket whose versions can be listed, for each new object
	// and each object deleted since the manifest, in key order (the new
	// ones wait for that pass: one listed as new and deleted since comes
	// once, as deleted since the manifest). Elsewhere the new objects
	// come in the walk's order.
	OnResult func(Result) error
	Now      func() time.Time
	// MaxCandidates bounds how many kept versions are read when looking for
	// the one that holds an object's original bytes (default 8).
	MaxCandidates int
	// Actions, when set, are the action log's entries (local and shared):
	// the snapshot or export that wrote the manifest logged its entries
	// hash there, and a manifest that no longer matches it fails its check
	// even with its trailer recomputed (checkAnchor).
	Actions []actionlog.Action
	// AsOf, when set, compares the manifest with the bucket as it stood
	// then, rebuilt from its versions (the bucket must be a
	// VersionLister), instead of as it is now: what changed between the
	// manifest's time and AsOf. A time before the manifest's, or one the
	// versions cannot speak for (ErrNotProvable), is refused.
	AsOf time.Time
}

// checkAnchor compares the manifest with what the action log recorded
// of it: the entry of the same bucket and header time. It returns the
// anchor line for the summary and a problem when the two disagree.
func checkAnchor(mc ManifestCheck, actions []actionlog.Action) (anchor, problem string) {
	if actions == nil || mc.Trailer == nil {
		return "", ""
	}
	started := startedAttr(mc.Header.Started)
	var found []actionlog.Action
	for _, a := range actions {
		if a.Export != nil && a.Bucket == mc.Header.Bucket && a.Export.Started == started &&
			(a.Command == "snapshot" || a.Command == "export") {
			found = append(found, a)
		}
	}
	for _, a := range found {
		if a.Export.ManifestSHA256 == mc.SHA256 && a.Export.Count == mc.Entries && sameTrailer(a.Export, *mc.Trailer) &&
			sameHeader(a.Export, mc) {
			return fmt.Sprintf("the action log recorded this manifest: %s by %s@%s at %s, entries sha256 %s",
				a.Command, a.User, a.Host, a.Time.UTC().Format(time.RFC3339), a.Export.ManifestSHA256), ""
		}
	}
	if len(found) > 0 {
		a := found[0]
		if !sameHeader(a.Export, mc) {
			return "the action log disagrees with this manifest", fmt.Sprintf(
				"the action log recorded this manifest (%s started %s, by %s@%s) with a header line hashing to %s; it now hashes to %s: its header was changed (what it says was chosen decides what verify reports)",
				a.Command, started, a.User, a.Host, a.Export.HeaderSHA256, mc.HeaderSHA256)
		}
		if a.Export.ManifestSHA256 == mc.SHA256 && a.Export.Count == mc.Entries {
			hashes := ""
			if a.Export.TrailerSHA256 != "" {
				hashes = fmt.Sprintf(" (its trailer hashing to %s; now %s)", a.Export.TrailerSHA256, mc.Trailer.TrailerSHA256)
			}
			return "the action log disagrees with this manifest", fmt.Sprintf(
				"the action log recorded this manifest (%s started %s, by %s@%s) with %d objects not read (list sha256 %s) and %d vanished%s; its trailer now lists %d (sha256 %s) and %d vanished: its trailer was changed",
				a.Command, started, a.User, a.Host, a.Export.Failed, a.Export.FailedSHA256, a.Export.Vanished, hashes,
				len(mc.Trailer.Failed), FailedDigest(mc.Trailer.Failed), mc.Trailer.Vanished)
		}
		return "the action log disagrees with this manifest", fmt.Sprintf(
			"the action log recorded this manifest (%s started %s, by %s@%s) with %d entries hashing to %s; it now holds %d hashing to %s: it was changed (its trailer recomputed)",
			a.Command, started, a.User, a.Host, a.Export.Count, a.Export.ManifestSHA256, mc.Entries, mc.SHA256)
	}
	return "no action log entry records this manifest (made on another machine without a team table, before sesbox logged snapshots, or its header was changed): its trailer is its only check", ""
}

// sameTrailer reports whether the trailer's objects not read, and vanished,
// are what the action log recorded: the entries hash does not cover them,
// and a key taken off the failed list hides its deletion from verify; and
// whether its own hash (covering the rest: finished, bytes, resumed) is
// the one recorded. An entry written before FailedSHA256 existed
// recorded the count alone, one before TrailerSHA256 no trailer hash.
func sameTrailer(e *actionlog.ExportAction, t Trailer) bool {
	if e.Failed != len(t.Failed) || (e.TrailerSHA256 != "" && e.TrailerSHA256 != t.TrailerSHA256) {
		return false
	}
	return e.FailedSHA256 == "" || (e.FailedSHA256 == FailedDigest(t.Failed) && e.Vanished == t.Vanished)
}

// sameHeader reports whether the manifest's header line is the one the
// action log recorded: the entries hash does not cover it. An entry
// written before HeaderSHA256 existed has none to compare.
func sameHeader(e *actionlog.ExportAction, mc ManifestCheck) bool {
	return e.HeaderSHA256 == "" || e.HeaderSHA256 == mc.HeaderSHA256
}

// FailedDigest is the SHA-256 (hex) of a trailer's list of objects not
// read, one JSON object a line, in the trailer's order.
func FailedDigest(failed []FailedObject) string {
	h := sha256.New()
	enc := json.NewEncoder(h)
	for _, f := range failed {
		_ = enc.Encode(f) // writes to a hash never fail
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Verify compares the bucket with the manifest at path: it checks the
// manifest itself, then walks the manifest and a sorted listing of the
// bucket side by side (bounded memory at any size), reading every object
// present in both, and for changed and deleted objects looks through the
// kept versions for the original bytes; then, on a bucket whose versions
// can be listed, it walks them beside the manifest once more for mail
// put and deleted since the manifest (deletedSince), which neither side
// of the first walk holds. It returns an error only when it
// cannot run; findings are in the summary and the results.
func Verify(ctx context.Context, b Bucket, path string, opt VerifyOptions) (Summary, error) {
	now, par, prog := start(opt.Now, opt.Parallel, 8, opt.Progress)
	maxCand := opt.MaxCandidates
	if maxCand <= 0 {
		maxCand = 8
	}
	sum := Summary{Started: prog.Started.UTC()}
	mc, err := CheckManifest(path)
	if err != nil {
		return sum, err
	}
	anchor, problem := checkAnchor(mc, opt.Actions)
	if problem != "" {
		mc.Problems = append(mc.Problems, problem)
	}
	sum.Manifest, sum.Anchor = mc, anchor
	loc := b.Location()
	if mc.Header.Bucket != loc.Bucket || mc.Header.Prefix != loc.Prefix {
		// What to pass first: the values are the manifest's, anyone's
		// to write, hence quoted for a shell.
		return sum, fmt.Errorf("verify with --bucket %s --prefix %s (or the --mailbox of that bucket): %s is a manifest of s3://%s/%s, not of %s",
			shellescape.Quote(mc.Header.Bucket), shellescape.Quote(mc.Header.Prefix), path, mc.Header.Bucket, mc.Header.Prefix, loc)
	}
	set := readSettings(ctx, b)
	sum.Versioning, sum.ObjectLock, sum.MFADelete = set.versioning, set.objectLock, set.mfaDelete
	at := now()
	if !opt.AsOf.IsZero() {
		then := manifestTime(mc.Header)
		switch {
		case opt.AsOf.Before(then):
			return sum, &mailstore.HintError{Hint: fmt.Sprintf("give an --as-of from %s on: %s is a manifest %s, and verify says what changed since", stamp(then), path, asOfWords(mc.Header.AsOf)),
				Err: fmt.Errorf("verify as of %s: before the manifest's time", stamp(opt.AsOf))}
		case opt.AsOf.After(now()):
			return sum, &mailstore.HintError{Hint: fmt.Sprintf("%s is in the future: verify against the bucket as it is now takes no --as-of", stamp(opt.AsOf)),
				Err: fmt.Errorf("verify as of %s: %w", stamp(opt.AsOf), ErrNotProvable)}
		}
		v, err := asOf(ctx, b, opt.AsOf)
		if err != nil {
			return sum, fmt.Errorf("verify %s: %w", loc, err)
		}
		b, sum.AsOf, at = v, opt.AsOf.UTC(), opt.AsOf
		sum.Warnings = set.asOfWarnings(opt.AsOf, now())
	}
	expiry := func(e *Entry) string { return set.expiryNote(e.Key, e.LastModified, at) }
	// An export's manifest holds only what its query chose: the other
	// objects are not "new", just not part of it.
	partial := mc.Header.Query != ""
	// The objects the run that wrote the manifest listed but could not
	// read are in its trailer only: without them an object that failed
	// then and was deleted since would go unreported.
	var unread []string
	if mc.Trailer != nil {
		for _, f := range mc.Trailer.Failed {
			unread = append(unread, f.Key)
		}
		slices.Sort(unread)
		unread = slices.Compact(unread)
	}

	// Entries that fail their hash were edited; each line is then
	// checked against the version it records, to name the edited one.
	entriesEdited := mc.Trailer != nil && mc.Trailer.EntriesSHA256 != mc.SHA256
	groups := prefixGroups{prefix: loc.Prefix}
	type pair struct {
		want *Entry
		have *mailstore.Object
	}
	// tally counts each result, of verify's walk and of the objects
	// deleted since the manifest after it, and hands it on.
	tally := func(r Result) error {
		if r.edited != "" {
			sum.Manifest.Problems = append(sum.Manifest.Problems, r.edited)
			sum.Manifest.Edited = append(sum.Manifest.Edited, r.editedFields...)
		}
		if r.lockChanged() {
			sum.LockChanged++
		}
		if r.destroyed {
			sum.Destroyed++
		}
		groups.add(r.Key)
		if r.Status != DeletedSinceManifest || r.walked {
			// The others are not among the objects listed, so not in
			// the progress's total.
			prog.Done++
			prog.Bytes += r.Size
		}
		switch r.Status {
		case Unchanged:
			sum.Unchanged++
			prog.Unchanged++
			if r.Rewritten {
				sum.Rewritten++
			}
		case Changed:
			sum.Changed++
			prog.Changed++
		case Deleted:
			sum.Deleted++
			prog.Deleted++
			if r.expired {
				sum.Expired++
			}
		case New:
			sum.New++
			prog.New++
		case Failed:
			sum.Errors++
			prog.Errors++
		case MetadataChanged:
			sum.MetadataChanged++
			prog.MetadataChanged++
		case DeletedSinceManifest:
			sum.DeletedSinceManifest++
			prog.Deleted++
		}
		if r.Rewritten && r.Status == MetadataChanged {
			sum.Rewritten++
		}
		// Recoverable counts what the manifest recorded, by its hash.
		if r.Recoverable != "" && r.Status != DeletedSinceManifest {
			sum.Recoverable++
		}
		if r.ETagCheck == ETagMismatch {
			sum.ETagMismatches++
		}
		prog.report()
		if opt.OnResult != nil {
			return opt.OnResult(r)
		}
		return nil
	}
	// On a bucket whose versions can be listed, the new objects wait for
	// the pass over them (heldNew).
	unseen := sinceUnseen(b, sum.Versioning)
	var held *heldNew
	if unseen == "" && !partial {
		held = &heldNew{}
		defer held.close()
	}
	err = ordered(ctx, par,
		func(ctx context.Context, emit func(pair) error) error {
			defer prog.listDone.Store(true)
			return mergeWalk(ctx, b, path, unread, func(p pair) error {
				if partial && p.want == nil {
					// Not part of the export: neither verified nor
					// counted in the progress's total.
					return nil
				}
				prog.listed.Add(1)
				return emit(p)
			}, func(e *Entry, o *mailstore.Object) pair { return pair{e, o} })
		},
		func(ctx context.Context, p pair) Result {
			r := check(ctx, b, p.want, p.have, maxCand, mc.Header, expiry)
			checkLock(ctx, set.locks, p.want, mc.Header, &r)
			if entriesEdited && p.want != nil && !p.want.unread {
				r.edited, r.editedFields = editedLine(p.want, r, mc.Header.Versioning == "Enabled")
			}
			return r
		},
		func(r Result) error {
			if held != nil && r.Status == New && !r.unread {
				return held.add(r)
			}
			return tally(r)
		})
	if partial {
		// An export's manifest never held the whole prefix: what it
		// lacks was not its to hold.
		unseen = ""
	}
	if err == nil && held != nil {
		unseen, err = verifyDeletedSince(ctx, b.(VersionLister), path, unread, held, mc.Header, sum.AsOf, tally)
	}
	sum.Finished = now().UTC()
	prog.report()
	if err != nil {
		return sum, fmt.Errorf("verify %s: %w", loc, err)
	}
	sum.Warnings = append(sum.Warnings, set.verifyWarnings(sum.Deleted, sum.Expired)...)
	if unseen != "" {
		sum.Warnings = append(sum.Warnings, unseen)
	}
	if sum.Prefixes = groups.groups(); sum.Prefixes != nil {
		sum.Warnings = append(sum.Warnings, PrefixNote(loc.Prefix, sum.Prefixes))
	}
	if w := mc.Header.Warning; w != "" && !slices.Contains(sum.Warnings, w) {
		// What the run that wrote the manifest warned of holds for every
		// verify of it (said once when this run warns the same).
		sum.Warnings = append([]string{w + " (the manifest's own warning, written when it was made)"}, sum.Warnings...)
	}
	return sum, nil
}

// errStop ends a manifest scan early without being an error.
var errStop = errors.New("stop")

// mergeWalk walks the manifest's entries and the sorted listing in step,
// emitting (entry, object) for keys in both, (entry, nil) for keys only in
// the manifest and (nil, object) for keys only in the bucket. Both sides
// are sorted by key; only one listing page and one entry are held at once.
//
// unread (sorted) are keys the manifest's trailer lists as not read: they
// are walked as entries marked unread, in key order.
func mergeWalk[P any](ctx context.Context, b Bucket, path string, unread []string, emit func(P) error, mk func(*Entry, *mailstore.Object) P) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	entries, scanErr := manifestKeys(ctx, path, unread)
	next, ok := <-entries
	err := b.ListSorted(ctx, "", func(page []mailstore.Object) error {
		for i := range page {
			o := page[i]
			for ok && next.Key < o.Key {
				e := next
				if err := emit(mk(&e, nil)); err != nil {
					return err
				}
				next, ok = <-entries
			}
			if ok && next.Key == o.Key {
				e := next
				if err := emit(mk(&e, &o)); err != nil {
					return err
				}
				next, ok = <-entries
				continue
			}
			if err := emit(mk(nil, &o)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for ok {
		e := next
		if err := emit(mk(&e, nil)); err != nil {
			return err
		}
		next, ok = <-entries
	}
	if err := <-scanErr; err != nil && !errors.Is(err, errStop) {
		return err
	}
	return nil
}

// manifestKeys streams the manifest's entries in key order, with the
// unread keys (sorted) merged in as entries marked unread, until ctx is
// done; the error of the scan comes on the second channel once the
// first is closed (errStop when ctx ended it).
func manifestKeys(ctx context.Context, path string, unread []string) (<-chan Entry, <-chan error) {
	entries := make(chan Entry)
	scanErr := make(chan error, 1)
	go func() {
		defer close(entries)
		var c ManifestCheck
		send := func(e Entry) error {
			select {
			case entries <- e:
				return nil
			case <-ctx.Done():
				return errStop
			}
		}
		rest := unread
		err := scanManifest(path, func(e Entry) error {
			for len(rest) > 0 && rest[0] <= e.Key {
				if rest[0] < e.Key {
					if err := send(Entry{Key: rest[0], unread: true}); err != nil {
						return err
					}
				}
				rest = rest[1:]
			}
			return send(e)
		}, &c)
		for ; err == nil && len(rest) > 0; rest = rest[1:] {
			err = send(Entry{Key: rest[0], unread: true})
		}
		scanErr <- err
	}()
	return entries, scanErr
}

// check compares one manifest entry with the bucket (have names the
// version to read as of a past date); h is the manifest's header.
//
// expiry says which lifecycle rule was due to expire an entry by the time
// compared with ("" none): a deleted object gets it as a note.
func check(ctx context.Context, b Bucket, want *Entry, have *mailstore.Object, maxCand int, h Header, expiry func(*Entry) string) Result {
	r := checkObject(ctx, b, want, have, maxCand, h)
	if r.Status == Deleted && !r.unread {
		if n := expiry(want); n != "" {
			r.Note, r.expired = joinNote(r.Note, n), true
		}
	}
	return r
}

func checkObject(ctx context.Context, b Bucket, want *Entry, have *mailstore.Object, maxCand int, h Header) Result {
	switch {
	case want != nil && want.unread:
		const then = "listed but not read when the manifest was made (its trailer lists it under failed), so its bytes then are unknown"
		if have == nil {
			r := Result{Key: want.Key, Status: Deleted, Note: then + ": it is gone now", unread: true}
			if vs, err := b.Versions(ctx, want.Key); err != nil {
				r.Note = joinNote(r.Note, "versions unknown: "+err.Error())
			} else {
				r.Versions = vs
			}
			return r
		}
		return Result{Key: have.Key, Status: New, ETag: have.ETag, Size: have.Size, Note: then + ": it is still there", unread: true}
	case want == nil:
		r := Result{Key: have.Key, Status: New, ETag: have.ETag, Size: have.Size, LastModified: have.LastModified.UTC()}
		// The time the manifest speaks for: its as-of date, else when
		// its run began.
		started, when := h.Started, "the manifest's run started"
		if !h.AsOf.IsZero() {
			started, when = h.AsOf, "the time the manifest is as of"
		}
		if !started.IsZero() && have.LastModified.Before(started.Truncate(time.Second)) {
			// Not there when the manifest's run listed the prefix, yet
			// older: a time set back (whoever can write a server's disk
			// sets it), a version restored by removing its delete marker,
			// an upload begun before the run (S3 dates a multipart upload
			// by its start). It said "new" as for mail arrived since.
			r.Note = fmt.Sprintf("last modified %s, before %s (%s), yet not in it: put since with an earlier time, restored from an older version, or uploaded across that run",
				have.LastModified.UTC().Format(time.RFC3339), when, started.UTC().Format(time.RFC3339))
		}
		return r
	case have == nil:
		r := Result{Key: want.Key, Status: Deleted, Subject: want.Subject, ManifestSHA256: want.SHA256, ManifestVersionID: want.VersionID}
		// Deleted between the listing and now, or hidden by a delete marker:
		// the versions tell.
		findOriginal(ctx, b, want, &r, maxCand, "")
		return r
	}
	r := Result{Key: want.Key, Subject: want.Subject, ManifestSHA256: want.SHA256, ManifestVersionID: want.VersionID}
	d, obj, err := readDigest(ctx, b, want.Key, have.VersionID, false)
	switch {
	case errors.Is(err, mailstore.ErrNotFound):
		r.Status = Deleted
		findOriginal(ctx, b, want, &r, maxCand, "")
		return r
	case err != nil:
		r.Status, r.Error = Failed, err.Error()
		return r
	}
	r.SHA256, r.ETag, r.VersionID, r.Size = d.SHA256, obj.ETag, obj.VersionID, d.Size
	r.read = entryOf(obj, d)
	r.ETagCheck = etagCheck(obj.ETag, d.MD5)
	if r.ETagCheck == ETagMismatch {
		r.Note = "the ETag is not the MD5 of the bytes read (expected under SSE-KMS or SSE-C; otherwise the object is damaged)"
	}
	metadata := metadataChanges(want.Metadata, obj.Metadata)
	if metadata != "" {
		r.Metadata, r.ManifestMetadata = obj.Metadata, want.Metadata
	}
	if d.SHA256 == want.SHA256 {
		r.Status = Unchanged
		if metadata != "" {
			r.Status = MetadataChanged
			r.Note = joinNote(r.Note, "the same bytes, but their metadata changed: "+metadata)
		}
		if again := writtenAgain(want, obj); again != "" {
			r.Rewritten = true
			r.Note = joinNote(r.Note, "the same bytes, but written again since the manifest: "+again)
			keptVersion(ctx, b, want, &r)
		}
		return r
	}
	r.Status = Changed
	if metadata != "" {
		r.Note = joinNote(r.Note, "its metadata changed too: "+metadata)
	}
	findOriginal(ctx, b, want, &r, maxCand, have.VersionID)
	return r
}

// editedLine names, for a manifest whose entries fail their hash, the
// entry line (want) that disagrees with what the bucket says of the
// version it records, field by field, quoted: a field the version's
// bytes determine (size, the header fields, the verdicts, the ETag
// check) when they hash as the line says; the hash itself, the ETag,
// the time and the metadata when the very version the line names
// (versions never change) reads otherwise; a version id the bucket does
// not hold when another version has the line's bytes, ETag and time to
// the nanosecond (a rewrite has a later time); the Object Lock of the
// line's version (checkLock); a key of which the bucket holds no
// version or delete marker at all. Only an edit of the line explains
// that (or damage to the stored bytes, which the hash alone cannot tell
// from it; or, for the metadata and the lock, a change in place, which
// verify reports of the object too). "" when the line agrees, or
// nothing can be said (the time of a rewritten object). versioned says
// the bucket was versioned when the manifest was made, so that a
// delete since left a marker.
func editedLine(want *Entry, r Result, versioned bool) (string, []Difference) {
	got := r.read
	sameVersion := want.VersionID != "" && want.VersionID != "null" && want.VersionID == r.VersionID
	var diffs []Difference
	switch {
	case r.Status == Deleted && versioned && r.versionsListed && len(r.Versions) == 0:
		return fmt.Sprintf("line %d (key %q): the bucket holds no version or delete marker of this key: the line's key was edited, or all its versions were deleted for good", want.line, want.Key),
			[]Difference{{Line: want.line, Key: want.Key, Field: "key", Manifest: want.Key}}
	case r.SHA256 == "":
	case r.SHA256 == want.SHA256:
		diffs = bytesFieldDiffs(want, got)
		if sameVersion {
			diffs = fieldDiff(diffs, "etagCheck", want.ETagCheck, got.ETagCheck)
		} else if want.VersionID != "" && want.VersionID != "null" && r.VersionID != "" && r.VersionID != "null" &&
			want.ETag == got.ETag && want.LastModified.Equal(got.LastModified) {
			// The same bytes, ETag and time under another id: a
			// rewrite would have a later time.
			diffs = fieldDiff(diffs, "versionId", want.VersionID, r.VersionID)
		}
	case sameVersion:
		diffs = fieldDiff(diffs, "sha256", want.SHA256, r.SHA256)
	}
	if sameVersion && r.SHA256 != "" {
		diffs = fieldDiff(diffs, "etag", want.ETag, got.ETag)
		if !want.LastModified.Equal(got.LastModified) {
			diffs = fieldDiff(diffs, "lastModified", want.LastModified.Format(time.RFC3339Nano), got.LastModified.Format(time.RFC3339Nano))
		}
		if want.Metadata != nil && got.Metadata != nil && !maps.Equal(want.Metadata, got.Metadata) {
			diffs = fieldDiff(diffs, "metadata", metadataJSON(want.Metadata), metadataJSON(got.Metadata))
		}
	}
	if r.lock != nil {
		if want.LockError != "" {
			diffs = fieldDiff(diffs, "lockError", want.LockError, "")
		}
		diffs = append(diffs, lockDiffs(want, *r.lock)...)
	}
	if len(diffs) == 0 {
		return "", nil
	}
	for i := range diffs {
		diffs[i].Line, diffs[i].Key = want.line, want.Key
	}
	return fmt.Sprintf("line %d (key %q) disagrees with the version it records: %s: the line was edited", want.line, want.Key, sayDiffs(diffs, "the version read")), diffs
}

// metadataJSON is metadata as a Difference gives it: JSON, names sorted.
func metadataJSON(m map[string]string) string {
	b, _ := json.Marshal(m) // a map of strings always marshals
	return string(b)
}

// bytesFieldDiffs are the fields of an entry that its bytes determine
// (entryOf) and that want records otherwise than got, which is what
// the same bytes give.
func bytesFieldDiffs(want *Entry, got Entry) []Difference {
	var diffs []Difference
	diffs = fieldDiff(diffs, "size", strconv.FormatInt(want.Size, 10), strconv.FormatInt(got.Size, 10))
	diffs = fieldDiff(diffs, "sesMessageId", want.SESMessageID, got.SESMessageID)
	diffs = fieldDiff(diffs, "messageId", want.MessageID, got.MessageID)
	diffs = fieldDiff(diffs, "date", want.Date, got.Date)
	diffs = fieldDiff(diffs, "from", want.From, got.From)
	diffs = fieldDiff(diffs, "subject", want.Subject, got.Subject)
	return fieldDiff(diffs, "verdicts", fmt.Sprint(want.Verdicts), fmt.Sprint(got.Verdicts))
}

// fieldDiff adds to diffs, when was (the manifest's) and now (the
// bucket's) differ, the field.
func fieldDiff(diffs []Difference, name, was, now string) []Difference {
	if was == now {
		return diffs
	}
	return append(diffs, Difference{Field: name, Manifest: was, Bucket: now})
}

// sayDiffs says diffs in words, each field as recorded and as source
// gives it, both quoted: `subject "a" (the version read gives "b")`.
func sayDiffs(diffs []Difference, source string) string {
	out := make([]string, len(diffs))
	for i, d := range diffs {
		out[i] = fmt.Sprintf("%s %q (%s gives %q)", d.Field, d.Manifest, source, d.Bucket)
	}
	return strings.Join(out, ", ")
}

// lockDiffs are the Object Lock fields of want that the lock l of its
// version, read now, gives otherwise: retentionMode, retainUntil (RFC
// 3339, "" for none) and legalHold.
func lockDiffs(want *Entry, l VersionLock) []Difference {
	until := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339Nano)
	}
	var diffs []Difference
	diffs = fieldDiff(diffs, "retentionMode", want.RetentionMode, l.Mode)
	if !want.RetainUntil.Equal(l.RetainUntil) {
		diffs = fieldDiff(diffs, "retainUntil", until(want.RetainUntil), until(l.RetainUntil))
	}
	return fieldDiff(diffs, "legalHold", strconv.FormatBool(want.LegalHold), strconv.FormatBool(l.LegalHold))
}

// checkLock reads, on a bucket with Object Lock whose manifest recorded
// its versions' locks (its header's objectLock), the lock of the version
// want records, and adds to r each field that differs (Differences) and
// a note. An object whose bytes and metadata are unchanged is then
// metadata-changed: its retention or legal hold is what S3 keeps of it
// besides its bytes, and the manifest said otherwise. A lock the
// manifest could not read (lockError) is not compared; one that cannot
// be read now is said in the note.
func checkLock(ctx context.Context, locks LockReader, want *Entry, h Header, r *Result) {
	if locks == nil || h.ObjectLock == "" || want == nil || want.unread || want.VersionID == "" || want.VersionID == "null" {
		return
	}
	if r.versionsListed && !slices.ContainsFunc(r.Versions, func(v Version) bool { return v.VersionID == want.VersionID }) {
		return // deleted for good: the note says so
	}
	l, err := locks.VersionLock(ctx, want.Key, want.VersionID)
	if err != nil {
		r.Note = joinNote(r.Note, "the Object Lock of the manifest's version could not be read: "+err.Error())
		return
	}
	r.lock = &l
	if want.LockError != "" {
		return
	}
	r.Differences = lockDiffs(want, l)
	if len(r.Differences) == 0 {
		return
	}
	var out []string
	for _, d := range r.Differences {
		out = append(out, fmt.Sprintf("%s %q -> %q", d.Field, d.Manifest, d.Bucket))
	}
	r.Note = joinNote(r.Note, fmt.Sprintf("the Object Lock of the manifest's version %s changed: %s", want.VersionID, strings.Join(out, ", ")))
	if r.Status == Unchanged {
		r.Status = MetadataChanged
	}
}

// lockChanged reports whether the Object Lock of the manifest's version
// is not what the manifest recorded (checkLock).
func (r Result) lockChanged() bool {
	return slices.ContainsFunc(r.Differences, func(d Difference) bool {
		return d.Field == "retentionMode" || d.Field == "retainUntil" || d.Field == "legalHold"
	})
}

// metadataChanges says how the object's metadata now differs from what
// the manifest recorded, one change per header name in name order
// (`content-type "message/rfc822" -> "text/html"`, `x-amz-meta-k added:
// "v"`, `x-amz-meta-k removed: "v"`), every value quoted: they are
// anyone's to write (names are HTTP header tokens, printed as they are). "" when they are the same, or when either side is
// unknown (a manifest written before metadata was recorded).
func metadataChanges(was, now map[string]string) string {
	if was == nil || now == nil || maps.Equal(was, now) {
		return ""
	}
	var out []string
	for _, k := range slices.Sorted(maps.Keys(was)) {
		v, ok := now[k]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("%s removed: %q", k, was[k]))
		case v != was[k]:
			out = append(out, fmt.Sprintf("%s %q -> %q", k, was[k], v))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(now)) {
		if _, ok := was[k]; !ok {
			out = append(out, fmt.Sprintf("%s added: %q", k, now[k]))
		}
	}
	return strings.Join(out, ", ")
}

// writtenAgain says how the object read (holding the manifest's bytes)
// is not the one the manifest recorded: another version ID (on a
// versioned bucket; "null" is every unversioned write's), or else a later
// last-modified time. "" when it is the same.
func writtenAgain(want *Entry, have mailstore.Object) string {
	if want.VersionID != "" && have.VersionID != "" && want.VersionID != "null" && have.VersionID != "null" {
		if want.VersionID == have.VersionID {
			return ""
		}
		return fmt.Sprintf("version %s, last modified %s (the manifest's: version %s, %s)",
			have.VersionID, have.LastModified.UTC().Format(time.RFC3339), want.VersionID, want.LastModified.UTC().Format(time.RFC3339))
	}
	then, now := want.LastModified.Truncate(time.Second), have.LastModified.Truncate(time.Second)
	if then.IsZero() || now.IsZero() || !now.After(then) {
		return ""
	}
	return fmt.Sprintf("last modified %s (the manifest's: %s)", now.UTC().Format(time.RFC3339), then.UTC().Format(time.RFC3339))
}

// keptVersion lists, for an unchanged object written again since the
// manifest (r.Rewritten), its versions and delete markers, which show
// what happened in between (a delete marker and the bytes put back, an
// overwrite undone), and says when the version the manifest recorded
// is no longer among them: deleted for good (s3:DeleteObjectVersion),
// which nothing but a delete naming that version does. Nothing is
// listed for a manifest of an unversioned bucket (no version ids).
func keptVersion(ctx context.Context, b Bucket, want *Entry, r *Result) {
	if want.VersionID == "" || want.VersionID == "null" {
		return
	}
	vs, err := b.Versions(ctx, want.Key)
	if err != nil {
		r.Note = joinNote(r.Note, "versions unknown: "+err.Error())
		return
	}
	r.Versions, r.versionsListed = vs, true
	if !slices.ContainsFunc(vs, func(v Version) bool { return v.VersionID == want.VersionID }) {
		r.destroyed = true
		r.Note = joinNote(r.Note, fmt.Sprintf("the manifest's version %s was deleted for good (s3:DeleteObjectVersion): version %s holds the same bytes now", want.VersionID, r.VersionID))
	}
}

// findOriginal lists the object's versions and looks for one whose bytes
// hash as the manifest says: the manifest's own version first, then other
// kept versions of the same size, newest first, at most maxCand reads.
// read is the version found changed (as of a past date), "" for the
// object as it is now (the latest).
func findOriginal(ctx context.Context, b Bucket, want *Entry, r *Result, maxCand int, read string) {
	vs, err := b.Versions(ctx, want.Key)
	if err != nil {
		r.Note = joinNote(r.Note, "versions unknown: "+err.Error())
		return
	}
	r.Versions, r.versionsListed = vs, true
	var cands []Version
	kept := 0
	for _, v := range vs {
		if v.DeleteMarker || v.VersionID == "" || (r.Status == Changed && (read == "" && v.IsLatest || v.VersionID == read)) {
			// The current object (or the version as of a past date) is
			// what changed; on an unversioned bucket it is the only
			// "version" (id "null") there is.
			continue
		}
		kept++
		switch {
		case want.VersionID != "" && v.VersionID == want.VersionID:
			cands = append([]Version{v}, cands...)
		case v.Size == want.Size:
			cands = append(cands, v)
		}
	}
	if len(cands) > maxCand {
		cands = cands[:maxCand]
	}
	for _, v := range cands {
		d, _, err := readDigest(ctx, b, want.Key, v.VersionID, false)
		if err != nil {
			continue
		}
		if d.SHA256 == want.SHA256 {
			r.Recoverable = v.VersionID
			return
		}
	}
	// A version ID the manifest recorded that the bucket no longer lists
	// was deleted for good: on a bucket that keeps versions that takes a
	// DeleteObject naming it (s3:DeleteObjectVersion), not a mere
	// overwrite or delete.
	destroyed := want.VersionID != "" && want.VersionID != "null" &&
		!slices.ContainsFunc(vs, func(v Version) bool { return v.VersionID == want.VersionID })
	r.destroyed = destroyed
	switch {
	case destroyed && kept == 0:
		r.Note = joinNote(r.Note, fmt.Sprintf("the manifest's version %s was deleted for good (s3:DeleteObjectVersion), and no other version is kept: the original bytes are gone from this bucket", want.VersionID))
	case destroyed:
		r.Note = joinNote(r.Note, fmt.Sprintf("the manifest's version %s was deleted for good (s3:DeleteObjectVersion), and none of the %d other kept versions holds the original bytes", want.VersionID, kept))
	case kept == 0:
		r.Note = joinNote(r.Note, "no earlier versions are kept: the original bytes are gone from this bucket")
	default:
		r.Note = joinNote(r.Note, fmt.Sprintf("none of the %d kept versions holds the original bytes", kept))
	}
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// RestoreCommand is the AWS CLI command that makes version the current
// one of key again (docs/audit.md; sesbox itself never writes to a
// bucket), as audit verify and the TUI's verify view print it, each value
// quoted for a POSIX shell and the copy source URL-encoded as S3 takes it. "" when a value holds a character a
// terminal would act on, which the command cannot show as it is.
func RestoreCommand(bucket, key, version string) string {
	for _, v := range []string{bucket, key, version} {
		if sanitize.Line(v) != v {
			return ""
		}
	}
	src := bucket + "/" + strings.ReplaceAll(url.PathEscape(key), "%2F", "/") + "?versionId=" + url.QueryEscape(version)
	return "aws s3api copy-object --bucket " + shellescape.Quote(bucket) + " --key " + shellescape.Quote(key) + " --copy-source " + shellescape.Quote(src)
}
