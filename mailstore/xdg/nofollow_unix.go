//go:build unix

package xdg

import (
	"errors"
	"os"
	"syscall"
)

const oNoFollow = syscall.O_NOFOLLOW

// ownedByOther reports whether fi belongs to another user than the one
// sesbox runs as.
func ownedByOther(fi os.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) != os.Getuid()
}

// ownedByOtherThanRoot is ownedByOther, root excepted: a file sesbox only
// reads may be the administrator's.
func ownedByOtherThanRoot(fi os.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && st.Uid != 0 && int(st.Uid) != os.Getuid()
}

// openToAll reports a directory every user may write to that is not
// sticky: any of them may rename or remove what is in it.
func openToAll(fi os.FileInfo) bool {
	return fi.IsDir() && fi.Mode().Perm()&0o002 != 0 && fi.Mode()&os.ModeSticky == 0
}

// isLoop reports the error open(2) gives for a symlink under O_NOFOLLOW.
func isLoop(err error) bool { return errors.Is(err, syscall.ELOOP) }

// chmodDirNoFollow puts dir to 0700 when others may read it, through a
// descriptor opened with O_NOFOLLOW|O_DIRECTORY.
func chmodDirNoFollow(dir string) error {
	fd, err := syscall.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return ErrSymlink
		}
		return err
	}
	f := os.NewFile(uintptr(fd), dir)
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return f.Chmod(0o700)
	}
	return nil
}
