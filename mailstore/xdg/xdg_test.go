package xdg

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestDirs(t *testing.T) {
	t.Setenv("HOME", "/home/u")
	t.Setenv("XDG_STATE_HOME", "/x/state")
	t.Setenv("XDG_DATA_HOME", "relative/data") // ignored, as the spec says
	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv("XDG_CONFIG_HOME", "/x/config")
	for _, tc := range []struct {
		f    func(...string) (string, error)
		want string
	}{
		{State, "/x/state/sesbox/a.jsonl"},
		{func(...string) (string, error) { return State() }, "/x/state/sesbox"},
		{Data, "/home/u/.local/share/sesbox/a.jsonl"},
		{Cache, "/home/u/.cache/sesbox/a.jsonl"},
		{Config, "/x/config/sesbox/a.jsonl"},
	} {
		got, err := tc.f("a.jsonl")
		if err != nil || got != filepath.FromSlash(tc.want) {
			t.Errorf("got %q, %v; want %q", got, err, tc.want)
		}
	}
}

func TestRelativeStateIsIgnored(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", "relative")
	t.Setenv("HOME", "/home/u")
	if d, _ := State(); d != filepath.FromSlash("/home/u/.local/state/sesbox") {
		t.Fatalf("got %s", d)
	}
}

// TestRelativeHomeIsRefused: with no XDG variable and a relative $HOME
// (HOME=relhome), sesbox made relhome/.cache/sesbox and its index under
// the directory it ran in; a relative home is no home.
func TestRelativeHomeIsRefused(t *testing.T) {
	t.Setenv("HOME", "relhome")
	for _, f := range []func(...string) (string, error){Config, Cache, State, Data} {
		t.Setenv("XDG_CONFIG_HOME", "")
		t.Setenv("XDG_CACHE_HOME", "")
		t.Setenv("XDG_STATE_HOME", "")
		t.Setenv("XDG_DATA_HOME", "")
		if d, err := f("x"); err == nil || !strings.HasPrefix(err.Error(), "set HOME (or $XDG_") {
			t.Errorf("got %q, %v", d, err)
		}
	}
	t.Setenv("XDG_CACHE_HOME", "/c")
	if d, err := Cache(); err != nil || d != filepath.FromSlash("/c/sesbox") {
		t.Errorf("an absolute XDG_CACHE_HOME with a relative home: %q, %v", d, err)
	}
}

func TestExpandHome(t *testing.T) {
	t.Setenv("HOME", "/home/u")
	for in, want := range map[string]string{"~": "/home/u", "~/a/b": "/home/u/a/b", "~x/a": "~x/a", "/abs/~": "/abs/~", "rel": "rel"} {
		if got := ExpandHome(in); got != want {
			t.Errorf("ExpandHome(%q) = %q, want %q", in, got, want)
		}
	}
}
