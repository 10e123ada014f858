package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoConfigSaysWhereItLooked: without a config file, an unknown
// mailbox or no mailbox at all leads with the path searched and how to
// create it or name the bucket by flags; with one, an unknown mailbox
// names the mailboxes that exist.
func TestNoConfigSaysWhereItLooked(t *testing.T) {
	dir := isolate(t)
	want := filepath.Join(dir, "config", "sesbox", "config.toml")
	for _, args := range [][]string{{"--mailbox", "nope", "ls"}, {"ls"}, {"--mailbox", "nope", "show", "k"}} {
		_, errOut, code := sesbox(t, args...)
		if code != 1 {
			t.Errorf("%v: exit %d, want 1", args, code)
		}
		if !strings.HasPrefix(errOut, "sesbox: no config file at "+want) {
			t.Errorf("%v: does not lead with the path searched:\n%s", args, errOut)
		}
		for _, s := range []string{"[mailbox.", "--bucket B", "--config FILE"} {
			if !strings.Contains(errOut, s) {
				t.Errorf("%v: the hint lacks %q:\n%s", args, s, errOut)
			}
		}
	}
	// XDG_CONFIG_HOME unset: the home directory's ~/.config.
	t.Setenv("XDG_CONFIG_HOME", "")
	t.Setenv("HOME", dir)
	_, errOut, _ := sesbox(t, "ls")
	if p := filepath.Join(dir, ".config", "sesbox", "config.toml"); !strings.Contains(errOut, "no config file at "+p) {
		t.Errorf("without XDG_CONFIG_HOME: %q lacks %s", errOut, p)
	}
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))

	os.MkdirAll(filepath.Dir(want), 0o700)
	os.WriteFile(want, []byte("[mailbox.support]\nbucket = \"a\"\n[mailbox.sales]\nbucket = \"b\"\n"), 0o600)
	_, errOut, code := sesbox(t, "--mailbox", "nope", "ls")
	if code != 1 || !strings.HasPrefix(errOut, `sesbox: no mailbox "nope" in `+want+`: it defines sales, support`) {
		t.Errorf("unknown mailbox: exit %d, %q", code, errOut)
	}
	// Two mailboxes and no default: which to choose, not "no mailbox".
	_, errOut, code = sesbox(t, "ls")
	if code != 1 || !strings.Contains(errOut, "--mailbox sales") || !strings.Contains(errOut, `default = "sales"`) {
		t.Errorf("no default: exit %d, %q", code, errOut)
	}
	os.WriteFile(want, []byte("refresh = \"2m\"\n"), 0o600)
	_, errOut, code = sesbox(t, "ls")
	if code != 1 || !strings.Contains(errOut, want+" defines no mailbox") {
		t.Errorf("config without mailboxes: exit %d, %q", code, errOut)
	}
}
