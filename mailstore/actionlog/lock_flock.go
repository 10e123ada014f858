//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package actionlog

import (
	"os"
	"syscall"
)

// lockFile waits for an exclusive advisory lock on f, so that appends from
// several sesbox processes are serialised and each chains to the last.
func lockFile(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			return err
		}
	}
}

func unlockFile(f *os.File) { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }
