//go:build unix

package xdg

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// deadPID is the id of a process that has ended (and been reaped).
func deadPID(t *testing.T) int {
	t.Helper()
	c := exec.Command("true")
	if err := c.Run(); err != nil {
		t.Fatal(err)
	}
	return c.Process.Pid
}

// TestRemoveOrphansTakesOnlyWhatAnEndedSesboxLeft: a pipe file of a
// sesbox killed mid-pipe stayed under the cache for good. RemoveOrphans
// removes the files named prefix-PID-* of processes that have ended, this
// process's only when asked (own), and nothing else: not a live
// process's, not another name, not a directory, not a symbolic link (nor
// what it points to), and nothing at all in a directory that is a link.
func TestRemoveOrphansTakesOnlyWhatAnEndedSesboxLeft(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "pipe")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	dead, self, parent := strconv.Itoa(deadPID(t)), strconv.Itoa(os.Getpid()), strconv.Itoa(os.Getppid())
	outside := filepath.Join(root, "precious")
	write := func(name string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte("mail"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []string{"pipe-" + dead + "-1", "pipe-" + dead + "-22", "pipe-" + self + "-3", "pipe-" + parent + "-4",
		"pipe-" + dead, "pipe-0" + dead + "-5", "notes-" + dead + "-6", "pipe-x-7"} {
		write(n)
	}
	if err := os.WriteFile(outside, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "pipe-"+dead+"-8")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "pipe-"+dead+"-9"), 0o700); err != nil {
		t.Fatal(err)
	}
	exists := func(name string) bool {
		_, err := os.Lstat(filepath.Join(dir, name))
		return err == nil
	}
	n, err := RemoveOrphans(dir, "pipe", false)
	if err != nil || n != 2 {
		t.Fatalf("removed %d (%v), want the 2 files of the ended process", n, err)
	}
	for _, gone := range []string{"pipe-" + dead + "-1", "pipe-" + dead + "-22"} {
		if exists(gone) {
			t.Errorf("%s kept", gone)
		}
	}
	for _, kept := range []string{"pipe-" + self + "-3", "pipe-" + parent + "-4", "pipe-" + dead, "pipe-0" + dead + "-5", "notes-" + dead + "-6",
		"pipe-x-7", "pipe-" + dead + "-8", "pipe-" + dead + "-9"} {
		if !exists(kept) {
			t.Errorf("%s removed", kept)
		}
	}
	if b, err := os.ReadFile(outside); err != nil || string(b) != "keep" {
		t.Errorf("the link's target: %q, %v", b, err)
	}
	if n, err := RemoveOrphans(dir, "pipe", true); err != nil || n != 1 || exists("pipe-"+self+"-3") || !exists("pipe-"+parent+"-4") {
		t.Errorf("own: removed %d (%v), want this process's file alone", n, err)
	}

	write("pipe-" + dead + "-10")
	link := filepath.Join(root, "link")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	if n, err := RemoveOrphans(link, "pipe", true); !errors.Is(err, ErrSymlink) || n != 0 || !exists("pipe-"+dead+"-10") {
		t.Errorf("through a linked directory: removed %d (%v)", n, err)
	}
	if n, err := RemoveOrphans(filepath.Join(root, "none"), "pipe", true); err != nil || n != 0 {
		t.Errorf("no directory: %d, %v", n, err)
	}
}

// TestRemoveUnnamedTakesOnlyOldUnnamedFiles: the pipe files of the
// sesbox before pipe-PID-* names were pipe-NNNN (os.CreateTemp's digits,
// no process id), which RemoveOrphans never takes: one left by a killed
// sesbox stayed under the cache for good. RemoveUnnamed removes those
// unchanged for longer than the age given, and nothing else: not a newer
// one, not another name, not a pipe-PID-N file, not a directory, not a
// symbolic link (nor what it points to), nothing in a linked directory.
func TestRemoveUnnamedTakesOnlyOldUnnamedFiles(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "pipe")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-2 * time.Hour)
	age := func(name string) {
		t.Helper()
		if err := os.Chtimes(filepath.Join(dir, name), old, old); err != nil {
			t.Fatal(err)
		}
	}
	write := func(name string, aged bool) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte("mail"), 0o600); err != nil {
			t.Fatal(err)
		}
		if aged {
			age(name)
		}
	}
	self := strconv.Itoa(os.Getpid())
	write("pipe-2416813457", true)
	write("pipe-7", true)
	write("pipe-3001", false)
	for _, n := range []string{"pipe-", "pipe-12a", "pipe-" + self + "-1", "notes-42", "pipe-42.partial", "xpipe-42"} {
		write(n, true)
	}
	outside := filepath.Join(root, "precious")
	if err := os.WriteFile(outside, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(outside, old, old); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "pipe-8")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "pipe-9"), 0o700); err != nil {
		t.Fatal(err)
	}
	age("pipe-9")
	exists := func(name string) bool {
		_, err := os.Lstat(filepath.Join(dir, name))
		return err == nil
	}
	n, err := RemoveUnnamed(dir, "pipe", time.Hour)
	if err != nil || n != 2 || exists("pipe-2416813457") || exists("pipe-7") {
		t.Fatalf("removed %d (%v), want the 2 old pipe-NNNN files", n, err)
	}
	for _, kept := range []string{"pipe-3001", "pipe-", "pipe-12a", "pipe-" + self + "-1", "notes-42", "pipe-42.partial", "xpipe-42", "pipe-8", "pipe-9"} {
		if !exists(kept) {
			t.Errorf("%s removed", kept)
		}
	}
	if b, err := os.ReadFile(outside); err != nil || string(b) != "keep" {
		t.Errorf("the link's target: %q, %v", b, err)
	}

	write("pipe-10", true)
	link := filepath.Join(root, "link")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	if n, err := RemoveUnnamed(link, "pipe", time.Hour); !errors.Is(err, ErrSymlink) || n != 0 || !exists("pipe-10") {
		t.Errorf("through a linked directory: removed %d (%v)", n, err)
	}
}
