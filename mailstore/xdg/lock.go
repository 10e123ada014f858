package xdg

import (
	"os"

	"github.com/gofrs/flock"
)

// Lock returns the advisory lock that guards the file at path: a sidecar
// path+".lock" (mode 0600, never opened through a symlink) locked with
// flock(2), or LockFileEx on Windows. A sidecar rather than the file
// itself, because LockFileEx locks are mandatory: one held on the file
// would stop its own reads. Where the system has neither, Lock and TryLock
// fail (errors.ErrUnsupported) instead of locking nothing.
func Lock(path string) (*flock.Flock, error) {
	lp := path + ".lock"
	if err := CheckNotSymlink(lp); err != nil {
		return nil, err
	}
	return flock.New(lp, flock.SetFlag(os.O_CREATE|os.O_RDWR|oNoFollow), flock.SetPermissions(0o600)), nil
}
