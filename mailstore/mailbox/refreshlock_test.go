package mailbox

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore"
)

// TestRefreshLockWaitsNamesTheHolderAndCanBeCancelled: a refresh of a
// mailbox another refresh holds says whose (the pid) and waits; cancelled
// while waiting it returns at once; a lock file left by a process that
// ended (released) never blocks, and another mailbox's lock is another.
func TestRefreshLockWaitsNamesTheHolderAndCanBeCancelled(t *testing.T) {
	path := filepath.Join(t.TempDir(), "index.db")
	loc := mailstore.Location{Bucket: "b", Prefix: "in/"}
	release, err := lockRefresh(context.Background(), path, loc, func(int) { t.Error("the first refresh waited") })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	waitedFor := make(chan int, 1)
	done := make(chan error, 1)
	go func() {
		_, err := lockRefresh(ctx, path, loc, func(pid int) { waitedFor <- pid })
		done <- err
	}()
	select {
	case pid := <-waitedFor:
		if pid != os.Getpid() {
			t.Errorf("waited for pid %d, the holder is %d", pid, os.Getpid())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the second refresh did not say it waits")
	}
	// Another mailbox is not held.
	other, err := lockRefresh(context.Background(), path, mailstore.Location{Bucket: "b", Prefix: "other/"}, func(int) { t.Error("another mailbox waited") })
	if err != nil {
		t.Fatal(err)
	}
	other()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled wait: %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a cancelled wait did not return")
	}
	release()
	again, err := lockRefresh(context.Background(), path, loc, func(int) { t.Error("waited for a released lock") })
	if err != nil {
		t.Fatal(err)
	}
	again()
	matches, _ := filepath.Glob(path + ".refresh-*.lock")
	for _, m := range matches {
		if fi, err := os.Lstat(m); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v", m, err, fi.Mode())
		}
	}
	if len(matches) != 2 {
		t.Errorf("lock files %q, want one per mailbox", matches)
	}
}

// TestRefreshLockNeverThroughASymlink: a symlink planted where the lock
// file goes is refused, not followed.
func TestRefreshLockNeverThroughASymlink(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "index.db")
	loc := mailstore.Location{Bucket: "b"}
	release, err := lockRefresh(context.Background(), path, loc, nil)
	if err != nil {
		t.Fatal(err)
	}
	release()
	matches, _ := filepath.Glob(path + ".refresh-*.lock")
	if len(matches) != 1 {
		t.Fatalf("lock files %q", matches)
	}
	target := filepath.Join(dir, "target")
	os.WriteFile(target, []byte("keep"), 0o644)
	os.Remove(matches[0])
	if err := os.Symlink(target, matches[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := lockRefresh(context.Background(), path, loc, nil); err == nil {
		t.Error("locked through a symlink")
	}
	if b, _ := os.ReadFile(target); string(b) != "keep" {
		t.Errorf("the symlink's target now holds %q", b)
	}
}
