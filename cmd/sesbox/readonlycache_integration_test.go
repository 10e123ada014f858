//go:build integration

package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestLsCachedReadsAReadOnlyIndex: with a cache directory or an index
// file the user may read but not write, `ls --cached` opened no index
// ("attempt to write a readonly database", "permission denied"), worked
// in memory and said "no messages" (exit 0) of an index of 54. It reads
// the index read-only now: every row, no warning. The real binary runs
// as a user that cannot write there (nobody, when the test runs as root,
// whom no mode stops).
func TestLsCachedReadsAReadOnlyIndex(t *testing.T) {
	bin := buildSesbox(t)
	dir := isolate(t)
	want, errOut, code := sesbox(t, "--demo", "ls")
	if code != 0 || strings.Count(want, "\n") != 54 {
		t.Fatalf("ls: exit %d, %d rows: %s", code, strings.Count(want, "\n"), errOut)
	}
	cache := filepath.Join(dir, "cache", "sesbox")
	// The binary where that user may run it, and every directory on the
	// way to the cache open to it.
	runAs := func(cmd *exec.Cmd) {}
	if os.Getuid() == 0 {
		const nobody = 65534
		for p := cache; ; p = filepath.Dir(p) {
			os.Chown(p, nobody, nobody)
			os.Chmod(p, 0o755)
			if p == filepath.Dir(dir) {
				break
			}
		}
		filepath.WalkDir(filepath.Join(dir, "cache"), func(p string, _ os.DirEntry, _ error) error { return os.Chown(p, nobody, nobody) })
		local := filepath.Join(dir, "sesbox")
		b, err := os.ReadFile(bin)
		if err != nil || os.WriteFile(local, b, 0o755) != nil {
			t.Fatal(err)
		}
		bin = local
		runAs = func(cmd *exec.Cmd) {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
		}
	}
	dbs, _ := filepath.Glob(filepath.Join(cache, "index-*.db"))
	if len(dbs) != 1 {
		t.Fatalf("indexes: %v", dbs)
	}
	t.Cleanup(func() { os.Chmod(cache, 0o700) })
	for _, tc := range []struct {
		name           string
		dirMode, dbMem os.FileMode
	}{{"read-only directory", 0o500, 0o600}, {"read-only file", 0o700, 0o400}, {"both", 0o500, 0o400}} {
		t.Run(tc.name, func(t *testing.T) {
			os.Chmod(cache, 0o700)
			os.Chmod(dbs[0], tc.dbMem)
			os.Chmod(cache, tc.dirMode)
			cmd := exec.Command(bin, "--demo", "ls", "--cached")
			runAs(cmd)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil || stdout.String() != want || stderr.Len() != 0 {
				t.Errorf("ls --cached: %v, %d rows of 54 (same: %v), stderr:\n%s", err, strings.Count(stdout.String(), "\n"), stdout.String() == want, stderr.String())
			}
		})
	}
	// No index at all where none can be made: said, hint first, not "no messages".
	os.Chmod(cache, 0o700)
	os.Rename(dbs[0], dbs[0]+".away")
	os.Chmod(cache, 0o500)
	cmd := exec.Command(bin, "--demo", "ls", "--cached")
	runAs(cmd)
	cmd.Stdout = io.Discard
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err == nil || !strings.HasPrefix(stderr.String(), "sesbox: there is no local index at "+dbs[0]) {
		t.Errorf("ls --cached without an index in a read-only directory: %v, stderr:\n%s", err, stderr.String())
	}
}
