package xdg

import (
	"path/filepath"
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

func TestExpandHome(t *testing.T) {
	t.Setenv("HOME", "/home/u")
	for in, want := range map[string]string{"~": "/home/u", "~/a/b": "/home/u/a/b", "~x/a": "~x/a", "/abs/~": "/abs/~", "rel": "rel"} {
		if got := ExpandHome(in); got != want {
			t.Errorf("ExpandHome(%q) = %q, want %q", in, got, want)
		}
	}
}
