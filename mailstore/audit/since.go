package audit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/sesbox/sesbox/mailstore"
)

// deletedSince walks the versions and delete markers under b's prefix
// (one ListObjectVersions pass, a page at a time) beside the manifest's
// keys (and its trailer's unread ones) and emits, for each key the
// manifest does not hold that held mail at some time from since on and
// is deleted at until (zero: now), a DeletedSinceManifest result
// (lostSince). Such mail is in neither the manifest nor the listing
// verify walks, so nothing else can report it. when says what since is
// ("the manifest's run started"). Only one page, one key's entries and
// one manifest entry are held at once.
func deletedSince(ctx context.Context, b VersionLister, path string, unread []string, since, until time.Time, when string, emit func(Result) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	entries, scanErr := manifestKeys(ctx, path, unread)
	next, ok := <-entries
	err := keyVersions(ctx, b, "", func(vs []Version) error {
		key := vs[0].Key
		for ok && next.Key < key {
			next, ok = <-entries
		}
		if ok && next.Key == key {
			return nil // the manifest's: verify's walk reported it
		}
		if r, lost := lostSince(vs, since, until, when); lost {
			return emit(r)
		}
		return nil
	}, func() error { return nil })
	// The walk over the manifest already read it whole: what is left of
	// it is not needed.
	cancel()
	if serr := <-scanErr; err == nil && serr != nil && !errors.Is(serr, errStop) {
		err = serr
	}
	return err
}

// lostSince says whether one key's versions and delete markers (entries,
// in listing order) show mail deleted since the manifest: the key is
// deleted at until (its current entry then, the latest when until is
// zero, is a delete marker), and it held mail at some time from since on
// (a version put since then, or the version current then: a key the
// manifest should hold, which its run saw vanish or left out), or has no
// version left at all and a delete marker from since on (the versions
// deleted for good, or a delete of a key that held nothing). The result
// names the newest kept version (Recoverable, PutAt), the delete marker's
// time (DeletedAt) and every entry, newest first, and says which case in
// its note.
func lostSince(entries []Version, since, until time.Time, when string) (Result, bool) {
	vs := entries
	if !until.IsZero() {
		vs = slices.DeleteFunc(slices.Clone(entries), func(v Version) bool { return v.LastModified.After(until) })
	}
	if len(vs) == 0 {
		return Result{}, false
	}
	var cur Version
	if i := slices.IndexFunc(vs, func(v Version) bool { return v.IsLatest }); until.IsZero() && i >= 0 {
		cur = vs[i]
	} else if v, present := currentAt(vs, latestOf(vs)); present {
		return Result{}, false
	} else {
		cur = v
	}
	if !cur.DeleteMarker {
		return Result{}, false
	}
	// S3's times are to the second, or the millisecond: a put in the
	// second the manifest's run started counts as since.
	since = since.Truncate(time.Second)
	byTime := slices.Clone(vs)
	slices.SortStableFunc(byTime, newestFirst)
	var kept *Version // the newest version, not a marker
	if i := slices.IndexFunc(byTime, func(v Version) bool { return !v.DeleteMarker }); i >= 0 {
		kept = &byTime[i]
	}
	then, thereThen := currentAt(vs, since)
	r := Result{Key: cur.Key, Status: DeletedSinceManifest, DeletedAt: cur.LastModified.UTC()}
	r.Versions = slices.Clone(entries)
	slices.SortStableFunc(r.Versions, newestFirst)
	deleted := fmt.Sprintf("deleted %s (delete marker %s)", stamp(cur.LastModified), cur.VersionID)
	switch {
	case kept != nil && !kept.LastModified.Before(since):
		r.Recoverable, r.PutAt = kept.VersionID, kept.LastModified.UTC()
		r.Note = fmt.Sprintf("put %s (version %s), after %s (%s), and %s: mail lost since the manifest, which does not hold it; version %s still holds its bytes",
			stamp(kept.LastModified), kept.VersionID, when, stamp(since), deleted, kept.VersionID)
	case kept != nil && thereThen:
		r.Recoverable, r.PutAt = kept.VersionID, kept.LastModified.UTC()
		r.Note = fmt.Sprintf("its versions say it was there when %s (%s: version %s, put %s), yet the manifest does not hold it, and %s: deleted while the manifest's run listed the bucket (its trailer counts those as vanished), or left out of the manifest; version %s still holds its bytes",
			when, stamp(since), then.VersionID, stamp(then.LastModified), deleted, kept.VersionID)
	case kept == nil && !cur.LastModified.Before(since):
		r.Note = fmt.Sprintf("%s, after %s (%s), and no version of it is kept: mail put since and deleted for good (s3:DeleteObjectVersion, or a put and delete while versioning was suspended), or a delete of a key that held nothing",
			deleted, when, stamp(since))
	default:
		return Result{}, false
	}
	return r, true
}

// newestFirst orders versions by time, newest first; of two in the same
// second (a put and its delete), the latest one first.
func newestFirst(a, b Version) int {
	if c := b.LastModified.Compare(a.LastModified); c != 0 {
		return c
	}
	switch {
	case a.IsLatest && !b.IsLatest:
		return -1
	case b.IsLatest && !a.IsLatest:
		return 1
	}
	return 0
}

// latestOf is the newest time among vs.
func latestOf(vs []Version) time.Time {
	var t time.Time
	for _, v := range vs {
		if v.LastModified.After(t) {
			t = v.LastModified
		}
	}
	return t
}

// verifyDeletedSince reports, on a bucket whose versions can be listed,
// the mail deleted since the manifest (deletedSince), and otherwise says
// in a warning, hint first, that it cannot be seen. versioning is the
// bucket's now ("Off": never enabled, so no version was ever kept).
// An error is one of emit's, or ctx's: a listing the server refuses is a
// warning, as what it lacks is said.
func verifyDeletedSince(ctx context.Context, b Bucket, versioning, path string, unread []string, h Header, until time.Time, emit func(Result) error) (warning string, err error) {
	bucket := b.Location().Bucket
	since, when := h.Started, "the manifest's run started"
	if !h.AsOf.IsZero() {
		since, when = h.AsOf, "the time the manifest is as of"
	}
	unseen := "mail put after the manifest was made and deleted before this verify"
	vl, ok := b.(VersionLister)
	switch {
	case versioning == "Off":
		return fmt.Sprintf("to see %s, enable versioning (aws s3api put-bucket-versioning --bucket %s --versioning-configuration Status=Enabled): %s is not versioned, so such mail leaves no trace, in neither the manifest nor the bucket, and verify cannot see it",
			unseen, bucket, bucket), nil
	case !ok:
		return fmt.Sprintf("to see %s, verify against the bucket on S3: this bucket's versions cannot be listed, so such mail cannot be seen", unseen), nil
	}
	var emitErr error
	err = deletedSince(ctx, vl, path, unread, since, until, when, func(r Result) error {
		emitErr = emit(r)
		return emitErr
	})
	switch {
	case err == nil:
		return "", nil
	case emitErr != nil || ctx.Err() != nil:
		return "", err
	}
	hint := "allow s3:ListBucketVersions to these credentials"
	if errors.Is(err, mailstore.ErrUnsupported) {
		hint = "verify against a server that lists versions (S3 does)"
	}
	return fmt.Sprintf("to see %s, %s: %v, so such mail cannot be seen", unseen, hint, err), nil
}
