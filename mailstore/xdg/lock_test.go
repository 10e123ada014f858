package xdg

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
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

// TestMkdirPrivateRefusesADirectoryOpenToAll: with XDG_STATE_HOME in a
// directory every user may write that is not sticky (mode 0777: a shared
// mount, a directory made with umask 0), sesbox made its sesbox/ 0700 in
// it, and any user could rename that away (the forward journal, which
// stops a message being sent twice, with it) or put a link in its place
// between MkdirPrivate's check and an open. It is refused, hint first,
// nothing made, as it is when the XDG directory is a link to such a
// place; a sticky one (/tmp's 1777) and the user's own are not.
func TestMkdirPrivateRefusesADirectoryOpenToAll(t *testing.T) {
	top := t.TempDir()
	shared := filepath.Join(top, "shared")
	if err := os.Mkdir(shared, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(shared, 0o777); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(top, "state")
	if err := os.Symlink(filepath.Join(shared, "deeper"), link); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(shared, "deeper"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, base := range []string{shared, filepath.Join(shared, "deeper"), link} {
		err := MkdirPrivate(filepath.Join(base, "sesbox", "drafts"))
		if !errors.Is(err, ErrOpenToAll) || !strings.HasPrefix(err.Error(), "set the XDG_* variables to directories only you can write, or chmod o-w "+shared+": it is writable by every user") {
			t.Errorf("MkdirPrivate under %s: %v, want ErrOpenToAll naming %s", base, err, shared)
		}
		if _, err := os.Lstat(filepath.Join(base, "sesbox")); err == nil {
			t.Errorf("made sesbox/ in %s", base)
		}
	}
	if err := os.Chmod(shared, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	if err := MkdirPrivate(filepath.Join(shared, "sesbox", "drafts")); err != nil {
		t.Errorf("MkdirPrivate in a sticky directory: %v", err)
	}
	if err := MkdirPrivate(filepath.Join(top, "own", "sesbox", "drafts")); err != nil {
		t.Errorf("MkdirPrivate in the user's own directory: %v", err)
	}
}

// TestCheckTrustedFile: the config file sesbox reads from
// $XDG_CONFIG_HOME/sesbox was read whoever wrote it: planted by another
// user (their sesbox/ made first in a shared XDG_CONFIG_HOME), its
// ses_endpoint took every reply. A file every user may write, and (as
// root, giving it to nobody) a directory or file of another user, are
// refused; the user's own file, one linked to it, and root's are not.
func TestCheckTrustedFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sesbox")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	own := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(own, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "linked.toml")
	if err := os.Symlink(own, link); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{own, link, filepath.Join(dir, "missing.toml")} {
		if err := CheckTrustedFile(p); err != nil {
			t.Errorf("CheckTrustedFile(%s): %v, want nil", p, err)
		}
	}
	if err := os.Chmod(own, 0o666); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{own, link} {
		if err := CheckTrustedFile(p); !errors.Is(err, ErrWritableByAll) {
			t.Errorf("CheckTrustedFile(%s) of a file mode 0666: %v, want ErrWritableByAll", p, err)
		}
	}
	if err := os.Chmod(own, 0o644); err != nil {
		t.Fatal(err)
	}
	if os.Getuid() != 0 {
		return // another user's file needs root to make; root's own is trusted
	}
	if err := os.Chown(dir, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if err := CheckTrustedFile(own); !errors.Is(err, ErrOtherUser) {
		t.Errorf("CheckTrustedFile in another user's sesbox directory: %v, want ErrOtherUser", err)
	}
	if err := os.Chown(dir, 0, 0); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(own, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if err := CheckTrustedFile(own); !errors.Is(err, ErrOtherUser) {
		t.Errorf("CheckTrustedFile of another user's file: %v, want ErrOtherUser", err)
	}
}
