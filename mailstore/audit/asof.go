package audit

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/posture"
)

// VersionLister is a Bucket that can list every version and delete marker
// under its prefix: what a run as of a past date needs (s3store.Store).
type VersionLister interface {
	Bucket
	// ListVersions calls fn with pages of the versions and delete markers
	// under the prefix whose keys sort after keyMarker ("" = all), in key
	// order; one key's entries may span two pages.
	ListVersions(ctx context.Context, keyMarker string, fn func([]Version) error) error
	Versioning(ctx context.Context) (posture.Versioning, error)
}

// ErrNotProvable is returned (wrapped, with a hint) when the bucket's
// versions cannot show what it held at the date asked for: it is not
// versioned, or was not (as far as its versions show) at some time
// since that date.
var ErrNotProvable = errors.New("the bucket's versions cannot show what it held then")

// asOfBucket is b as it stood at at: its listing names, for each key, the
// newest version last modified at or before at, unless that is a delete
// marker (then the key was not there). Open, Versions and Versioning are
// b's: the listing's objects carry the version to open.
type asOfBucket struct {
	VersionLister
	at time.Time
}

// asOf checks that b's versions can show what it held at at (provable)
// and returns b as it stood then.
func asOf(ctx context.Context, b Bucket, at time.Time) (*asOfBucket, error) {
	vl, ok := b.(VersionLister)
	if !ok {
		return nil, fmt.Errorf("as of %s: %w", stamp(at), mailstore.ErrUnsupported)
	}
	if err := provable(ctx, vl, at); err != nil {
		return nil, err
	}
	return &asOfBucket{VersionLister: vl, at: at.UTC()}, nil
}

// stamp is how a time is said in messages and manifests: RFC 3339, UTC.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// provable lists every version under the prefix once (no object is read)
// and refuses a date the versions cannot speak for. S3 does not say when
// versioning was enabled; what the versions show is this:
//
//   - a version or delete marker with an id other than "null" was written
//     while versioning was Enabled: the earliest one is the first time
//     versioning is known to have been on. Before it, the bucket may have
//     been unversioned, when a delete leaves no trace at all; so a date
//     before it is refused;
//   - one with the id "null" was written while versioning was off or
//     suspended, and replaced the "null" one before it: one after the date
//     means what the bucket held then may have been overwritten or
//     deleted without a trace, so the date is refused.
//
// A version deleted for good (s3:DeleteObjectVersion, a lifecycle rule
// expiring noncurrent versions) leaves no trace that can be seen here.
func provable(ctx context.Context, b VersionLister, at time.Time) error {
	loc := b.Location()
	v, err := b.Versioning(ctx)
	if err != nil {
		return &mailstore.HintError{Hint: fmt.Sprintf("the versioning of %s could not be read, so what it held on %s cannot be proved — allow s3:GetBucketVersioning to these credentials", loc.Bucket, stamp(at)), Err: err}
	}
	if v.Status == "" {
		return &mailstore.HintError{
			Hint: fmt.Sprintf("%s is not versioned: an overwrite or a delete keeps no earlier version, so what it held on %s cannot be rebuilt or proved; from now on: take snapshots (sesbox audit snapshot --out FILE) and enable versioning (aws s3api put-bucket-versioning --bucket %s --versioning-configuration Status=Enabled)", loc.Bucket, stamp(at), loc.Bucket),
			Err:  fmt.Errorf("as of %s: %w", stamp(at), ErrNotProvable)}
	}
	var firstOn, lastOff *Version
	err = b.ListVersions(ctx, "", func(page []Version) error {
		for i := range page {
			e := page[i]
			if e.VersionID == "null" || e.VersionID == "" {
				if lastOff == nil || e.LastModified.After(lastOff.LastModified) {
					lastOff = &e
				}
			} else if firstOn == nil || e.LastModified.Before(firstOn.LastModified) {
				firstOn = &e
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("as of %s: %w", stamp(at), err)
	}
	what := func(e *Version) string {
		if e.DeleteMarker {
			return fmt.Sprintf("a delete marker of %s", mailstore.ObjectName(loc.Bucket, e.Key))
		}
		return fmt.Sprintf("a version of %s", mailstore.ObjectName(loc.Bucket, e.Key))
	}
	switch {
	case lastOff != nil && lastOff.LastModified.After(at):
		return &mailstore.HintError{
			Hint: fmt.Sprintf("versioning of %s was off or suspended after %s: %s was written on %s with version id null, which replaces the null version before it, so what the bucket held on %s may have been overwritten or deleted without a trace; what can be proved: the bucket as of a date from %s on",
				loc.Bucket, stamp(at), what(lastOff), stamp(lastOff.LastModified), stamp(at), stamp(lastOff.LastModified)),
			Err: fmt.Errorf("as of %s: %w", stamp(at), ErrNotProvable)}
	case firstOn == nil:
		return &mailstore.HintError{
			Hint: fmt.Sprintf("nothing under %s was written while versioning was on, so when it was enabled cannot be told, and what the bucket held on %s cannot be proved (a delete before versioning was on leaves no trace); what can be proved: from a snapshot taken now on (sesbox audit snapshot --out FILE)", loc, stamp(at)),
			Err:  fmt.Errorf("as of %s: %w", stamp(at), ErrNotProvable)}
	case firstOn.LastModified.After(at):
		return &mailstore.HintError{
			Hint: fmt.Sprintf("versioning of %s may have been enabled after %s: the first version written with it under %s is from %s (%s), and S3 does not say when versioning was enabled; a delete before then leaves no trace, so what the bucket held on %s cannot be proved; what can be proved: the bucket as of a date from %s on",
				loc.Bucket, stamp(at), loc, stamp(firstOn.LastModified), what(firstOn), stamp(at), stamp(firstOn.LastModified)),
			Err: fmt.Errorf("as of %s: %w", stamp(at), ErrNotProvable)}
	}
	return nil
}

// ListSorted implements Bucket: for each key after startAfter, in key
// order, the version it held at a.at (its VersionID set, for Open), left
// out when that was a delete marker or nothing.
func (a *asOfBucket) ListSorted(ctx context.Context, startAfter string, fn func([]mailstore.Object) error) error {
	var out []mailstore.Object
	flush := func() error {
		if len(out) == 0 {
			return nil
		}
		err := fn(out)
		out = out[:0]
		return err
	}
	return keyVersions(ctx, a.VersionLister, startAfter, func(entries []Version) error {
		if v, ok := currentAt(entries, a.at); ok {
			out = append(out, mailstore.Object{Key: v.Key, VersionID: v.VersionID, ETag: v.ETag, Size: v.Size, LastModified: v.LastModified})
		}
		return nil
	}, flush)
}

// keyVersions walks b's listing of versions and delete markers after
// startAfter in one pass and calls key with each key's entries, in key
// order, once all of them are seen (the slice is reused: copy what is
// kept), and pageDone after each page's keys: one key's entries may span
// two pages, so the last key of a page comes in the next one's call
// (or at the end, before a last pageDone). Only one page and one key's
// entries are held at once.
func keyVersions(ctx context.Context, b VersionLister, startAfter string, key func([]Version) error, pageDone func() error) error {
	var (
		cur     string
		entries []Version // cur's, so far
		last    string
	)
	flush := func() error {
		if len(entries) == 0 {
			return nil
		}
		if cur <= last && last != "" {
			return fmt.Errorf("list versions of %s: key %q listed after %q: the server does not list in key order", b.Location(), cur, last)
		}
		last = cur
		err := key(entries)
		entries = entries[:0]
		return err
	}
	err := b.ListVersions(ctx, startAfter, func(page []Version) error {
		// A page holds its versions, then its delete markers, each in key
		// order: merged by key, the versions of a key first.
		page = slices.Clone(page)
		slices.SortStableFunc(page, func(a, b Version) int { return strings.Compare(a.Key, b.Key) })
		for _, v := range page {
			if v.Key <= startAfter {
				// versitygw lists the key marker's own versions again.
				continue
			}
			if v.Key != cur {
				if err := flush(); err != nil {
					return err
				}
				cur = v.Key
			}
			entries = append(entries, v)
		}
		return pageDone()
	})
	if err == nil {
		err = flush()
	}
	if err == nil {
		err = pageDone()
	}
	return err
}

// currentAt is, of one key's versions and delete markers, the one that was
// current at t: the newest last modified at or before t. Of entries with
// the same time, the listing's order (versions newest first, as S3 lists
// them) decides, versions before delete markers. ok is false when that is
// a delete marker, or when every entry is newer than t.
func currentAt(entries []Version, t time.Time) (Version, bool) {
	byTime := slices.Clone(entries)
	slices.SortStableFunc(byTime, func(a, b Version) int { return b.LastModified.Compare(a.LastModified) })
	for _, v := range byTime {
		if !v.LastModified.After(t) {
			return v, !v.DeleteMarker
		}
	}
	return Version{}, false
}

// manifestTime is the time a manifest speaks for: its as-of date, else
// when its run started.
func manifestTime(h Header) time.Time {
	return cmp.Or(h.AsOf, h.Started)
}

// asOfWords says which time a manifest speaks for, in a sentence.
func asOfWords(t time.Time) string {
	if t.IsZero() {
		return "of the bucket as it was when it ran"
	}
	return "as of " + stamp(t)
}

// asOfAttr is how an action names the as-of date of what it wrote, ""
// for the bucket as it was.
func asOfAttr(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return stamp(t)
}
