//go:build !unix

package xdg

import (
	"io/fs"
	"os"
)

// Without O_NOFOLLOW the Lstat checks in MkdirPrivate and OpenPrivate are
// the guard.
const oNoFollow = 0

func isLoop(error) bool { return false }

func ownedByOther(os.FileInfo) bool { return false }

func ownedByOtherThanRoot(os.FileInfo) bool { return false }

// openToAll: the permission bits say nothing of who may write here.
func openToAll(os.FileInfo) bool { return false }

func chmodDirNoFollow(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return ErrSymlink
	}
	return nil
}
