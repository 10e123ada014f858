package xdg

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// ProcessPattern is the os.CreateTemp pattern of a file of prefix that
// belongs to this process: "prefix-PID-*", which RemoveOrphans knows.
func ProcessPattern(prefix string) string {
	return prefix + "-" + strconv.Itoa(os.Getpid()) + "-*"
}

// RemoveOrphans removes from dir the files named by ProcessPattern(prefix)
// whose process has ended (killed before it could remove them), and with
// own those of this process too (at its end, when none is in use). Only
// regular files of the user sesbox runs as are removed, and nothing when
// dir is a symbolic link: a file another process still uses, another
// user's, or one reached through a link is never touched. It returns how
// many it removed.
func RemoveOrphans(dir, prefix string, own bool) (int, error) {
	return removeIn(dir, func(name string, _ fs.FileInfo) bool {
		pid, ok := filePID(name, prefix)
		mine := pid == os.Getpid()
		return ok && (mine && own || !mine && !ProcessAlive(pid))
	})
}

// RemoveUnnamed removes from dir the files an older sesbox named
// os.CreateTemp(dir, prefix+"-*") names ("pipe-2416813457": no process
// id, which RemoveOrphans can never tell as left) whose last change is
// older than age, with RemoveOrphans' care (regular files of the user,
// nothing through a link). Such a file was opened for its reader as soon
// as it was written, and a reader keeps an open file that is removed, so
// one unchanged for long is in nobody's way.
func RemoveUnnamed(dir, prefix string, age time.Duration) (int, error) {
	return removeIn(dir, func(name string, info fs.FileInfo) bool {
		rest, ok := strings.CutPrefix(name, prefix+"-")
		return ok && rest != "" && strings.Trim(rest, "0123456789") == "" && time.Since(info.ModTime()) > age
	})
}

// removeIn removes the regular files of dir of the user that remove
// chooses, and nothing when dir is a symbolic link, another user's or
// no directory.
func removeIn(dir string, remove func(name string, info fs.FileInfo) bool) (int, error) {
	fi, err := os.Lstat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return 0, nil
	case err != nil:
		return 0, err
	case fi.Mode()&fs.ModeSymlink != 0:
		return 0, &fs.PathError{Op: "clean", Path: dir, Err: ErrSymlink}
	case !fi.IsDir() || ownedByOther(fi):
		return 0, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	removed := 0
	var errs []error
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		path := filepath.Join(dir, e.Name())
		info, err := os.Lstat(path)
		if err != nil || !info.Mode().IsRegular() || ownedByOther(info) || !remove(e.Name(), info) {
			continue
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		removed++
	}
	if err := errors.Join(errs...); err != nil {
		return removed, fmt.Errorf("remove the files sesbox left in %s: %w", dir, err)
	}
	return removed, nil
}

// filePID is the process id in a name of ProcessPattern(prefix).
func filePID(name, prefix string) (int, bool) {
	rest, ok := strings.CutPrefix(name, prefix+"-")
	if !ok {
		return 0, false
	}
	id, tail, ok := strings.Cut(rest, "-")
	if !ok || tail == "" {
		return 0, false
	}
	pid, err := strconv.Atoi(id)
	return pid, err == nil && pid > 0 && strconv.Itoa(pid) == id
}
