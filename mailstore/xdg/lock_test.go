package xdg

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestLock: the sidecar is created 0600, two holders exclude each other
// (each opens its own descriptor, as two processes would), and a symlink
// planted at the sidecar's name is refused.
func TestLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	a, err := Lock(path)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := a.TryLock(); !ok || err != nil {
		t.Fatalf("first TryLock: %v %v", ok, err)
	}
	fi, err := os.Lstat(path + ".lock")
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("sidecar mode %v, want 0600", fi.Mode().Perm())
	}
	b, err := Lock(path)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := b.TryLock(); ok || err != nil {
		t.Fatalf("second TryLock while held: %v %v, want false <nil>", ok, err)
	}
	if err := a.Unlock(); err != nil {
		t.Fatal(err)
	}
	if ok, err := b.TryLock(); !ok || err != nil {
		t.Fatalf("TryLock after release: %v %v", ok, err)
	}
	b.Unlock()

	other := filepath.Join(t.TempDir(), "target")
	if err := os.WriteFile(other, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "actions.jsonl")
	if err := os.Symlink(other, link+".lock"); err != nil {
		t.Fatal("symlink:", err)
	}
	if _, err := Lock(link); !errors.Is(err, ErrSymlink) {
		t.Errorf("Lock through a symlink: %v, want ErrSymlink", err)
	}
}

// TestMkdirPrivateMakesNothingThroughALink: with sesbox's own directory a
// symlink, MkdirPrivate of a directory under it is refused before anything
// is made; MkdirAll ran first and made the missing directories wherever
// the link points (drafts/ of ~/.local/state/sesbox, tmp/ of the cache).
func TestMkdirPrivateMakesNothingThroughALink(t *testing.T) {
	root := t.TempDir()
	elsewhere := t.TempDir()
	if err := os.Symlink(elsewhere, filepath.Join(root, "sesbox")); err != nil {
		t.Fatal(err)
	}
	if err := MkdirPrivate(filepath.Join(root, "sesbox", "drafts", "new")); !errors.Is(err, ErrSymlink) {
		t.Errorf("MkdirPrivate under a link: %v, want ErrSymlink", err)
	}
	if es, _ := os.ReadDir(elsewhere); len(es) != 0 {
		t.Errorf("made %s through the link", es[0].Name())
	}
}

// TestMkdirPrivateRefusesAnotherUsersDirectory: a sesbox directory another
// user made first (XDG_STATE_HOME naming a shared directory where someone
// made sesbox/ 0777) was adopted: put to 0700 when sesbox could chmod it
// (as root), its owner still free to chmod it back and replace the action
// log or the index in it. It is refused; nothing is made in it. Another
// user's directory here: one made and given to nobody (65534) when the
// test runs as root, else the root directory, which is root's.
func TestMkdirPrivateRefusesAnotherUsersDirectory(t *testing.T) {
	dir := string(filepath.Separator)
	if os.Getuid() == 0 {
		dir = filepath.Join(t.TempDir(), "sesbox")
		if err := os.Mkdir(dir, 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(dir, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, 0o777); err != nil {
			t.Fatal(err)
		}
	}
	if err := MkdirPrivate(filepath.Join(dir, "drafts")); !errors.Is(err, ErrOtherUser) {
		t.Errorf("MkdirPrivate in another user's %s: %v, want ErrOtherUser", dir, err)
	}
	if err := MkdirPrivate(dir); !errors.Is(err, ErrOtherUser) {
		t.Errorf("MkdirPrivate of another user's %s: %v, want ErrOtherUser", dir, err)
	}
	if fi, err := os.Stat(dir); err != nil || os.Getuid() == 0 && fi.Mode().Perm() != 0o777 {
		t.Errorf("%s: %v, mode %v: changed", dir, err, fi.Mode())
	}
	if _, err := os.Stat(filepath.Join(dir, "drafts")); err == nil {
		t.Errorf("made drafts in %s", dir)
	}
}
