package audit

import (
	"context"
	"fmt"
	"time"

	"github.com/sesbox/sesbox/mailstore"
)

// LockReader reads one version's own Object Lock: its retention
// (GetObjectRetention) and legal hold (GetObjectLegalHold). s3store.Store
// implements it. A run reads them only on a bucket with Object Lock
// enabled, where a version can carry them.
type LockReader interface {
	VersionLock(ctx context.Context, key, versionID string) (VersionLock, error)
}

// VersionLock is what keeps one version from being deleted, by anyone,
// until a date (a COMPLIANCE retention) or until the hold is lifted (a
// legal hold); a GOVERNANCE retention yields to those allowed
// s3:BypassGovernanceRetention.
type VersionLock struct {
	Mode        string    // "COMPLIANCE" or "GOVERNANCE"; "" without a retention
	RetainUntil time.Time // zero without a retention
	LegalHold   bool
}

// readRecorded is readDigest of an object a manifest records (snapshot,
// export), with its version's own Object Lock when locks is set (the
// bucket has Object Lock): the lock of the very version read.
func readRecorded(ctx context.Context, b Bucket, locks LockReader, key, versionID string, keep bool) (digest, mailstore.Object, error) {
	d, obj, err := readDigest(ctx, b, key, versionID, keep)
	if err == nil && locks != nil {
		l, lerr := locks.VersionLock(ctx, obj.Key, obj.VersionID)
		d.lock = &lockRead{VersionLock: l, err: lerr}
	}
	return d, obj, err
}

// lockRead is a version's lock as a run read it, or why it could not.
type lockRead struct {
	VersionLock
	err error
}

// setLock records l in e (nothing when it was not read).
func (e *Entry) setLock(l *lockRead) {
	switch {
	case l == nil:
	case l.err != nil:
		e.LockError = l.err.Error()
	default:
		e.RetentionMode, e.LegalHold = l.Mode, l.LegalHold
		if !l.RetainUntil.IsZero() {
			e.RetainUntil = l.RetainUntil.UTC()
		}
	}
}

// lockCounts totals what a manifest's entries record of their versions'
// locks: how many are held, retained past the run's start, or unread.
type lockCounts struct {
	held, retained, unread int64
	until                  time.Time // the earliest retention counted
}

func (c *lockCounts) add(e Entry, started time.Time) {
	if e.LegalHold {
		c.held++
	}
	if e.RetentionMode != "" && e.RetainUntil.After(started) {
		c.retained++
		if c.until.IsZero() || e.RetainUntil.Before(c.until) {
			c.until = e.RetainUntil
		}
	}
	if e.LockError != "" {
		c.unread++
	}
}

// LockNote says, after a snapshot or an export of a bucket with Object
// Lock, how many of the versions it recorded their own lock keeps from
// deletion: under a legal hold, or retained until a date later than the
// run (the earliest named); and how many locks could not be read. ""
// when the run read no lock (a bucket without Object Lock).
func (t Trailer) LockNote() string {
	c := t.locks
	if !t.locksRead {
		return ""
	}
	s := fmt.Sprintf("object lock: %d of %s under a legal hold, %d retained", c.held, mailstore.Count(t.Count, "version"), c.retained)
	if c.retained > 0 {
		s += " until " + stamp(c.until) + " at the earliest"
	}
	if c.unread > 0 {
		s += fmt.Sprintf("; the lock of %s could not be read (see lockError in the manifest)", mailstore.Count(c.unread, "version"))
	}
	return s
}
