package env

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/sesbox/sesbox/mailstore/xdg"
)

// TestOpenLogNeverThroughASymlink: the TUI's log is one of sesbox's own
// files: a symlink in its place (or in place of the sesbox state
// directory) is refused and what it names is left alone, and a log others
// could read is put back to 0600. It was opened following links, with the
// mode it had.
func TestOpenLogNeverThroughASymlink(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_STATE_HOME", filepath.Join(dir, "state"))
	own := filepath.Join(dir, "state", "sesbox")
	if err := os.MkdirAll(own, 0o700); err != nil {
		t.Fatal(err)
	}
	victim := filepath.Join(dir, "victim")
	os.WriteFile(victim, []byte("precious\n"), 0o644)
	if err := os.Symlink(victim, filepath.Join(own, "tui.log")); err != nil {
		t.Fatal(err)
	}
	if lg, _, closeFn, err := OpenLog(""); !errors.Is(err, xdg.ErrSymlink) {
		if err == nil {
			lg.Printf("written through the link")
			closeFn()
		}
		t.Errorf("tui.log a symlink: %v, want ErrSymlink", err)
	}
	os.Remove(filepath.Join(own, "tui.log"))

	// The state directory itself a link to somewhere else.
	os.Rename(own, filepath.Join(dir, "elsewhere"))
	os.Symlink(filepath.Join(dir, "elsewhere"), own)
	if lg, _, closeFn, err := OpenLog(""); !errors.Is(err, xdg.ErrSymlink) {
		if err == nil {
			lg.Printf("written through the link")
			closeFn()
		}
		t.Errorf("state dir a symlink: %v, want ErrSymlink", err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious\n" {
		t.Errorf("the file a link named was written: %q", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "elsewhere", "tui.log")); err == nil {
		t.Error("a log was created through the linked state directory")
	}

	os.Remove(own)
	os.MkdirAll(own, 0o700)
	os.WriteFile(filepath.Join(own, "tui.log"), []byte("old\n"), 0o644)
	lg, path, closeFn, err := OpenLog("")
	if err != nil {
		t.Fatal(err)
	}
	lg.Printf("x")
	closeFn()
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("tui.log mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
}

func TestUTF8Locale(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		utf8 bool
	}{
		{nil, true},
		{map[string]string{"LANG": "en_US.UTF-8"}, true},
		{map[string]string{"LANG": "ko_KR.utf8"}, true},
		{map[string]string{"LANG": "en_US"}, true},
		{map[string]string{"LANG": "C"}, false},
		{map[string]string{"LANG": "POSIX"}, false},
		{map[string]string{"LANG": "C.UTF-8"}, true},
		{map[string]string{"LANG": "de_DE.ISO-8859-1"}, false},
		{map[string]string{"LANG": "de_DE.ISO-8859-15@euro"}, false},
		{map[string]string{"LANG": "sr_RS.UTF-8@latin"}, true},
		{map[string]string{"LANG": "en_US.UTF-8", "LC_ALL": "C"}, false},
		{map[string]string{"LANG": "C", "LC_CTYPE": "en_US.UTF-8"}, true},
		{map[string]string{"LC_ALL": "en_US.UTF-8", "LC_CTYPE": "C"}, true},
	} {
		if got := UTF8Locale(func(k string) string { return tc.env[k] }); got != tc.utf8 {
			t.Errorf("%v: UTF-8 %v, want %v", tc.env, got, tc.utf8)
		}
	}
}

func TestDarkFromEnv(t *testing.T) {
	for v, want := range map[string]bool{
		"": true, "15;0": true, "0;15": false, "0;7": false, "15;default;0": true, "0;default;15": false,
		"15;8": true, "0;9": false, "x;y": true, "7": true, "0;16": true,
	} {
		if got := darkFromEnv(v); got != want {
			t.Errorf("COLORFGBG=%q: dark %v, want %v", v, got, want)
		}
	}
}
