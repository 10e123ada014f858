package audit

import (
	"cmp"
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
//
// held are the walk's new objects, in key order, merged in: each is
// emitted as it is, unless its key is lost by now (listed by the walk,
// deleted before this pass), which is then emitted once, as deleted
// since the manifest. They are all emitted even when the versions
// cannot be listed; listErr is then that error (err is emit's, ctx's,
// or one reading held back).
func deletedSince(ctx context.Context, b VersionLister, path string, unread []string, held *heldNew, since, until time.Time, when string, emit func(Result) error) (listErr, err error) {
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	entries, scanErr := manifestKeys(lctx, path, unread)
	next, ok := <-entries
	nr, nok, err := held.next()
	if err != nil {
		return nil, err
	}
	// newUpTo emits the held new objects whose keys sort before key, or
	// all that are left when all is set.
	newUpTo := func(key string, all bool) error {
		for nok && (all || nr.Key < key) {
			if err := emit(nr); err != nil {
				return err
			}
			var err error
			if nr, nok, err = held.next(); err != nil {
				return err
			}
		}
		return nil
	}
	var inner error // emit's or held's, not the listing's
	listErr = keyVersions(lctx, b, "", func(vs []Version) error {
		key := vs[0].Key
		for ok && next.Key < key {
			next, ok = <-entries
		}
		if ok && next.Key == key {
			return nil // the manifest's: verify's walk reported it
		}
		if inner = newUpTo(key, false); inner != nil {
			return inner
		}
		r, lost := lostSince(vs, since, until, when)
		if nok && nr.Key == key {
			if lost {
				r.walked = true
			} else {
				r, lost = nr, true // still there (as of until): new
			}
			if nr, nok, inner = held.next(); inner != nil {
				return inner
			}
		}
		if lost {
			inner = emit(r)
			return inner
		}
		return nil
	}, func() error { return nil })
	// The walk over the manifest already read it whole: what is left of
	// it is not needed.
	cancel()
	if serr := <-scanErr; listErr == nil && serr != nil && !errors.Is(serr, errStop) {
		listErr = serr
	}
	if inner != nil {
		return nil, inner
	}
	if ctx.Err() != nil {
		return nil, cmp.Or(listErr, ctx.Err())
	}
	// What the listing did not reach (all of it when it was refused) is
	// new, as the walk found it.
	if err := newUpTo("", true); err != nil {
		return nil, err
	}
	return listErr, nil
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

// sinceUnseen says, hint first, why mail deleted since the manifest
// cannot be seen in b (deletedSince), "" when it can: versioning is the
// bucket's now ("Off": never enabled, so no version was ever kept).
func sinceUnseen(b Bucket, versioning string) string {
	bucket := b.Location().Bucket
	switch _, ok := b.(VersionLister); {
	case versioning == "Off":
		return fmt.Sprintf("to see %s, enable versioning (aws s3api put-bucket-versioning --bucket %s --versioning-configuration Status=Enabled): %s is not versioned, so such mail leaves no trace, in neither the manifest nor the bucket, and verify cannot see it",
			unseenSince, bucket, bucket)
	case !ok:
		return fmt.Sprintf("to see %s, verify against the bucket on S3: this bucket's versions cannot be listed, so such mail cannot be seen", unseenSince)
	}
	return ""
}

// unseenSince is what sinceUnseen's warnings say cannot be seen.
const unseenSince = "mail put after the manifest was made and deleted before this verify"

// verifyDeletedSince reports the mail deleted since the manifest
// (deletedSince) on b, whose versions can be listed (sinceUnseen is
// ""), with held, the walk's new objects, merged in. An error is one of
// emit's, or ctx's: a listing the server refuses is a warning, as what
// it lacks is said.
func verifyDeletedSince(ctx context.Context, b VersionLister, path string, unread []string, held *heldNew, h Header, until time.Time, emit func(Result) error) (warning string, err error) {
	since, when := h.Started, "the manifest's run started"
	if !h.AsOf.IsZero() {
		since, when = h.AsOf, "the time the manifest is as of"
	}
	listErr, err := deletedSince(ctx, b, path, unread, held, since, until, when, emit)
	if err != nil || listErr == nil {
		return "", err
	}
	hint := "allow s3:ListBucketVersions to these credentials"
	if errors.Is(listErr, mailstore.ErrUnsupported) {
		hint = "verify against a server that lists versions (S3 does)"
	}
	return fmt.Sprintf("to see %s, %s: %v, so such mail cannot be seen", unseenSince, hint, listErr), nil
}
