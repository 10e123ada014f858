package xdg

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// ErrSymlink is returned (wrapped) when one of sesbox's own files or
// directories is a symbolic link. sesbox never follows one there: writing
// or chmod-ing through it would act on whatever file the link names.
var ErrSymlink = errors.New("is a symbolic link; sesbox does not follow symlinks for its own files (remove it)")

// ErrOtherUser is returned (wrapped) when one of sesbox's own directories
// belongs to another user.
var ErrOtherUser = errors.New("belongs to another user; sesbox keeps its files only in its own user's directories (set the XDG_* variables to directories of yours)")

// ErrOpenToAll is returned (wrapped) when a directory above sesbox's own
// may be written by every user and is not sticky (/tmp is sticky): any
// user could rename sesbox's directory in it away, and with it the
// forward journal that stops a message being sent twice, or put a
// directory or link of theirs in its place between a check and an open.
var ErrOpenToAll = errors.New("a directory writable by every user and not sticky")

// openToAllError is ErrOpenToAll for one directory, saying first what to
// do.
type openToAllError struct{ dir string }

func (e *openToAllError) Error() string {
	return fmt.Sprintf("set the XDG_* variables to directories only you can write, or chmod o-w %s: it is writable by every user and not sticky, so another user could move sesbox's files away or swap them", e.dir)
}

func (e *openToAllError) Unwrap() error { return ErrOpenToAll }

// MkdirPrivate creates dir and any missing parents with mode 0700 and
// checks that dir, and each of its parents up to the nearest one named
// "sesbox" (the root of every sesbox-owned tree the XDG functions return),
// is a real directory of this user's, not a symlink nor another user's
// (only dir itself when no parent is so named). A directory of sesbox's own that
// others may read is put back to 0700, through a descriptor opened without
// following links. Directories above "sesbox" ($XDG_CACHE_HOME, ~/.cache)
// are the user's and may be links (a cache on another disk).
func MkdirPrivate(dir string) error {
	// Checked before MkdirAll too, which would make the missing ones
	// wherever a link among them points, and after.
	if err := checkOwnDirs(dir, true); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := checkOwnDirs(dir, false); err != nil {
		return err
	}
	if err := chmodDirNoFollow(dir); err != nil {
		return fmt.Errorf("chmod %s: %w", dir, err)
	}
	return nil
}

// checkOwnDirs returns an error when dir or one of its parents up to the
// one named "sesbox" is a symlink or not a directory, or a directory
// above them is open to all (checkAncestors); one missing is an error
// unless missingOK.
func checkOwnDirs(dir string, missingOK bool) error {
	own := ownDirs(dir)
	if err := checkAncestors(filepath.Dir(own[len(own)-1])); err != nil {
		return err
	}
	for _, p := range own {
		fi, err := os.Lstat(p)
		if missingOK && errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return &fs.PathError{Op: "open", Path: p, Err: ErrSymlink}
		}
		if !fi.IsDir() {
			return &fs.PathError{Op: "open", Path: p, Err: errors.New("is not a directory")}
		}
		// Made first by another user (in a shared or world-writable
		// directory the XDG variables name): they may change it, chmod
		// it back, replace the files in it.
		if ownedByOther(fi) {
			return &fs.PathError{Op: "open", Path: p, Err: ErrOtherUser}
		}
	}
	return nil
}

// checkAncestors returns an error wrapping ErrOpenToAll when dir or a
// directory above it, as written or with its links resolved (a cache on
// another disk), is writable by every user and not sticky. Missing ones
// are skipped: MkdirAll makes them 0700.
func checkAncestors(dir string) error {
	paths := []string{dir}
	if real, err := filepath.EvalSymlinks(dir); err == nil && real != dir {
		paths = append(paths, real)
	}
	for _, start := range paths {
		for p := start; ; p = filepath.Dir(p) {
			if fi, err := os.Stat(p); err == nil && openToAll(fi) {
				return &openToAllError{dir: p}
			}
			if filepath.Dir(p) == p {
				break
			}
		}
	}
	return nil
}

// ownDirs is dir and its parents up to the nearest one named "sesbox";
// only dir when no parent is so named (a directory the user chose).
func ownDirs(dir string) []string {
	dir = filepath.Clean(dir)
	var out []string
	for p := dir; ; p = filepath.Dir(p) {
		out = append(out, p)
		if filepath.Base(p) == "sesbox" {
			return out
		}
		if filepath.Dir(p) == p {
			return []string{dir}
		}
	}
}

// ErrWritableByAll is returned (wrapped) when a file sesbox takes its
// settings from may be written by every user.
var ErrWritableByAll = errors.New("may be written by every user")

// CheckTrustedFile returns an error when the file at path, which sesbox
// takes its settings from, could have been written by another user: the
// file (links followed: a dotfile manager's link is the user's) may be
// written by every user, or it or one of its directories up to the
// nearest one named "sesbox" belongs to a user other than this one and
// root (ErrOtherUser; made first by them in a shared directory the XDG
// variables name, it says where replies go and what runs). A missing
// file is no error. OpenSSH refuses its user config for the same reasons.
func CheckTrustedFile(path string) error {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.Mode().Perm()&0o002 != 0 && runtime.GOOS != "windows" {
		return &fs.PathError{Op: "read", Path: path, Err: ErrWritableByAll}
	}
	if ownedByOtherThanRoot(fi) {
		return &fs.PathError{Op: "read", Path: path, Err: ErrOtherUser}
	}
	for _, p := range ownDirs(filepath.Dir(path)) {
		if fi, err := os.Lstat(p); err == nil && ownedByOtherThanRoot(fi) {
			return &fs.PathError{Op: "read", Path: p, Err: ErrOtherUser}
		}
	}
	return nil
}

// OwnDirLink returns the first of dir and its parents up to the nearest
// one named "sesbox" (the directories MkdirPrivate checks) that is a
// symbolic link, and where it leads; "" when none is. A reader of
// sesbox's own files that goes on through a link (to say what it found)
// needs it: the files behind a linked directory are whoever made the
// link's, however consistent they look.
func OwnDirLink(dir string) (link, to string) {
	for _, p := range ownDirs(dir) {
		if fi, err := os.Lstat(p); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			to, _ := os.Readlink(p)
			return p, to
		}
	}
	return "", ""
}

// OpenPrivate opens one of sesbox's own files (flag as for os.OpenFile,
// usually with os.O_CREATE), never through a symlink, makes sure it is a
// regular file and puts it to mode 0600 through the open descriptor, so
// neither the open nor the chmod can reach another file. The caller makes
// its directory with MkdirPrivate.
func OpenPrivate(path string, flag int) (*os.File, error) {
	// Lstat first: O_NOFOLLOW is not on every system, and a FIFO planted
	// at path would block an open for writing.
	if _, err := FileExists(path); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, flag|oNoFollow, 0o600)
	if err != nil {
		if isLoop(err) {
			return nil, &fs.PathError{Op: "open", Path: path, Err: ErrSymlink}
		}
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = &fs.PathError{Op: "open", Path: path, Err: errors.New("is not a regular file")}
	}
	if err == nil && fi.Mode().Perm() != 0o600 {
		err = f.Chmod(0o600) // fchmod: acts on what was opened
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// ReadPrivate reads one of sesbox's own files whole through OpenPrivate:
// never through a symlink, a regular file only, put back to 0600 (an
// editor that writes a new file and renames it over the old one may have
// left it readable by others).
func ReadPrivate(path string) ([]byte, error) {
	f, err := OpenPrivate(path, os.O_RDONLY)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// FileExists reports whether path names a regular file, without following
// a symlink: a symlink (even to a regular file), a directory or anything
// else at path is an error (one wrapping ErrSymlink for a symlink), so a
// caller deciding whether to create, replace or append to one of its files
// refuses before it opens anything. A missing path is (false, nil).
func FileExists(path string) (bool, error) {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, err
	case fi.Mode()&fs.ModeSymlink != 0:
		return true, &fs.PathError{Op: "open", Path: path, Err: ErrSymlink}
	case !fi.Mode().IsRegular():
		return true, &fs.PathError{Op: "open", Path: path, Err: errors.New("is not a regular file")}
	}
	return true, nil
}

// CheckNotSymlink returns an error wrapping ErrSymlink when path exists
// and is a symbolic link, for files another library opens by name (the
// index's SQLite WAL and shared-memory files).
func CheckNotSymlink(path string) error {
	fi, err := os.Lstat(path)
	if err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return &fs.PathError{Op: "open", Path: path, Err: ErrSymlink}
	}
	return nil
}
