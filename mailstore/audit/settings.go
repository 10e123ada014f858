package audit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sesbox/sesbox/mailstore/posture"
)

// settingsReader is what a run reads of the bucket's settings besides its
// objects (s3store.Store): posture's reads, the ones a proof depends on.
type settingsReader interface {
	Versioning(ctx context.Context) (posture.Versioning, error)
	ObjectLock(ctx context.Context) (posture.ObjectLock, error)
	Lifecycle(ctx context.Context) ([]posture.LifecycleRule, error)
}

// bucketSettings is what a snapshot, verify or export reads of the
// bucket's settings, once, before it starts: the versioning; Object Lock
// and MFA delete, which make its versions stronger evidence; and the
// lifecycle rules, which delete objects and versions without anyone
// asking (a version expired for good leaves no trace in the listing).
type bucketSettings struct {
	bucket, prefix string
	versioning     string // "Enabled", "Suspended", "Off", or "unknown"
	mfaDelete      bool
	objectLock     string // "" when not enabled (or not known)
	// rules are the enabled lifecycle rules that reach the prefix;
	// rulesErr says why they could not be read (nil when the bucket has
	// none).
	rules    []posture.LifecycleRule
	rulesErr error
	// locks reads each version's own Object Lock: set when the bucket
	// has Object Lock enabled and can tell.
	locks LockReader
}

// readSettings reads b's settings when b can tell (s3store.Store; a
// bucket as of a past date is asked through the bucket it was made of).
// A setting that cannot be read is "unknown" or left out: the run goes
// on, and what that means for the proof is in warnings.
func readSettings(ctx context.Context, b Bucket) bucketSettings {
	if a, ok := b.(*asOfBucket); ok {
		b = a.VersionLister
	}
	loc := b.Location()
	s := bucketSettings{bucket: loc.Bucket, prefix: loc.Prefix, versioning: "unknown"}
	sr, ok := b.(settingsReader)
	if !ok {
		if vr, ok := b.(interface {
			Versioning(context.Context) (posture.Versioning, error)
		}); ok {
			s.versioning = versioningWord(vr.Versioning(ctx))
		}
		return s
	}
	v, err := sr.Versioning(ctx)
	s.versioning = versioningWord(v, err)
	s.mfaDelete = err == nil && v.MFADelete == "Enabled"
	if l, err := sr.ObjectLock(ctx); err == nil && l.Enabled {
		s.objectLock = "enabled, no default retention"
		if l.Mode != "" {
			s.objectLock = l.Mode + ", " + l.Retention()
		}
		s.locks, _ = b.(LockReader)
	}
	rules, err := sr.Lifecycle(ctx)
	switch {
	case errors.Is(err, posture.ErrNotConfigured):
	case err != nil:
		s.rulesErr = err
	}
	for _, r := range rules {
		if r.Enabled && r.Reaches(loc.Prefix) {
			s.rules = append(s.rules, r)
		}
	}
	return s
}

// versioningWord is a versioning status as a manifest header says it.
func versioningWord(v posture.Versioning, err error) string {
	switch {
	case err != nil:
		return "unknown"
	case v.Status == "":
		return "Off"
	}
	return v.Status
}

// Protection says, in words, what the bucket did to keep its versions
// from being deleted when the manifest was made: Object Lock, MFA delete;
// "" when neither was on (or known). It strengthens a proof made from
// the versions.
func (h Header) Protection() string { return protection(h.ObjectLock, h.MFADelete) }

// Protection is the bucket's now, as Header.Protection says it.
func (s Summary) Protection() string { return protection(s.ObjectLock, s.MFADelete) }

func protection(objectLock string, mfaDelete bool) string {
	var p []string
	switch {
	case strings.HasPrefix(objectLock, "COMPLIANCE"):
		p = append(p, "Object Lock "+objectLock+" default retention: no one can delete a version before it ends")
	case strings.HasPrefix(objectLock, "GOVERNANCE"):
		p = append(p, "Object Lock "+objectLock+" default retention: only those allowed s3:BypassGovernanceRetention can delete a version before it ends")
	case objectLock != "":
		p = append(p, "Object Lock "+objectLock+": only versions locked one by one (a retention or legal hold) are kept from deletion")
	}
	if mfaDelete {
		p = append(p, "MFA delete enabled: deleting a version takes the root account's MFA device")
	}
	return strings.Join(p, "; ")
}

// ruleName is how a lifecycle rule is named in warnings and notes.
func (s bucketSettings) ruleName(r posture.LifecycleRule) string {
	scope := "all mail under " + s.prefix
	if len(r.Prefix) > len(s.prefix) {
		scope = "mail under " + r.Prefix
	}
	if r.Narrowed != "" {
		scope += " (only " + r.Narrowed + ")"
	}
	return fmt.Sprintf("lifecycle rule %q of %s (%s)", r.ID, s.bucket, scope)
}

// readRulesHint is what to run to read the lifecycle rules oneself.
func (s bucketSettings) readRulesHint() string {
	return fmt.Sprintf("read the lifecycle rules of %s (aws s3api get-bucket-lifecycle-configuration --bucket %s; s3:GetLifecycleConfiguration)", s.bucket, s.bucket)
}

// asOfWarnings says, hint first, why the bucket rebuilt as of at may lack
// versions it held then: a lifecycle rule deletes noncurrent versions
// (NoncurrentVersionExpiration) for good, without a trace, and at is
// older than now minus its days; or the rules could not be read. The
// versions that remain still prove what they hold, but not that nothing
// else was there.
func (s bucketSettings) asOfWarnings(at, now time.Time) []string {
	if s.rulesErr != nil {
		return []string{fmt.Sprintf("%s to know whether this proof as of %s is complete: they could not be read (%v), and a rule expiring noncurrent versions (NoncurrentVersionExpiration) deletes them for good, without a trace in the listing",
			s.readRulesHint(), stamp(at), s.rulesErr)}
	}
	var shortest *posture.LifecycleRule
	for i, r := range s.rules {
		if r.NoncurrentExpirationDays > 0 && (shortest == nil || r.NoncurrentExpirationDays < shortest.NoncurrentExpirationDays) {
			shortest = &s.rules[i]
		}
	}
	if shortest == nil {
		return nil
	}
	// S3 deletes a noncurrent version at the first midnight (UTC) after
	// its days have passed, so a version replaced after midnight of
	// today minus days is still there: counting from that midnight, not
	// from the second the run started, also gives a snapshot and the
	// verify of it run seconds apart one warning, not two that differ
	// in their times.
	days := int(shortest.NoncurrentExpirationDays)
	from := now.UTC().Truncate(24*time.Hour).AddDate(0, 0, -days)
	if !at.Before(from) {
		return nil
	}
	kept := ""
	if n := shortest.NoncurrentNewerVersions; n > 0 {
		kept = fmt.Sprintf(" (beyond the newest %d)", n)
	}
	return []string{fmt.Sprintf("give an --as-of from %s on for a complete proof: %s permanently deletes noncurrent versions%s %d days after they are replaced or deleted (NoncurrentVersionExpiration), so a version current on %s and replaced or deleted before %s may be gone without a trace, and this cannot show everything the bucket held then",
		stamp(from), s.ruleName(*shortest), kept, days, stamp(at), stamp(from))}
}

// expiryNote says, of an object the manifest holds (key, stored on
// stored) that is gone at at, which enabled lifecycle rule expires
// current objects like it (Expiration) and was due to by then: a rule,
// not a person, may have removed it. "" when none was.
func (s bucketSettings) expiryNote(key string, stored, at time.Time) string {
	for _, r := range s.rules {
		if !strings.HasPrefix(key, r.Prefix) {
			continue
		}
		var due time.Time
		switch {
		case r.ExpirationDays > 0 && !stored.IsZero():
			due = stored.AddDate(0, 0, int(r.ExpirationDays))
		case !r.ExpirationDate.IsZero():
			due = r.ExpirationDate
		default:
			continue
		}
		if due.After(at) {
			continue
		}
		what := fmt.Sprintf("%d days after it is stored", r.ExpirationDays)
		if r.ExpirationDays == 0 {
			what = "on " + r.ExpirationDate.UTC().Format(time.DateOnly)
		}
		return fmt.Sprintf("%s expires mail %s (Expiration): this one was due by %s, so the rule may have removed it (on a versioned bucket it leaves a delete marker)",
			s.ruleName(r), what, stamp(due))
	}
	return ""
}

// verifyWarnings says, hint first, what the lifecycle rules mean for a
// verify that found deleted objects: expired is how many of them a rule
// was due to expire (each has an expiryNote).
func (s bucketSettings) verifyWarnings(deleted, expired int64) []string {
	switch {
	case deleted == 0:
		return nil
	case s.rulesErr != nil:
		return []string{fmt.Sprintf("%s to know whether a rule expired the deleted objects: they could not be read (%v)", s.readRulesHint(), s.rulesErr)}
	case expired > 0:
		return []string{fmt.Sprintf("see the notes of the deleted objects: %d of %d were due to expire under the bucket's lifecycle rules (Expiration), so a rule, not a person, may have removed them", expired, deleted)}
	}
	return nil
}

// header fills in what h says of the bucket's settings: the versioning,
// Object Lock, MFA delete, and, for a manifest as of a past date (asOf
// set), the warning of asOfWarnings.
func (s bucketSettings) header(h Header, asOf, now time.Time) Header {
	h.Versioning, h.ObjectLock, h.MFADelete = s.versioning, s.objectLock, s.mfaDelete
	if !asOf.IsZero() {
		h.Warning = strings.Join(s.asOfWarnings(asOf, now), "; ")
	}
	return h
}
