package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEveryConfigErrorHasOneShape: each mistake a config file can hold
// stops a command with one error of one shape, hint first: "sesbox: fix
// KEY at line N of FILE — what to do (what is wrong)", on one line. An
// unknown key said "config FILE: line N: unknown key K — ...", an
// endpoint that is no URL "mailbox "a" in FILE: ses_endpoint = ...", a
// mailbox without a bucket "mailbox "a" in FILE has no bucket: ...", a
// negative send_rate "set send_rate to 0 ...: config send_rate = -2" (and
// only when forwarding), a negative header_rate nothing, and a [keys]
// binding holding an escape sequence "tui: config keys: ..." only when
// the TUI started.
func TestEveryConfigErrorHasOneShape(t *testing.T) {
	dir := isolate(t)
	cfg := filepath.Join(dir, "config", "sesbox", "config.toml")
	if err := os.MkdirAll(filepath.Dir(cfg), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, toml string
		want       string // stderr starts so
	}{
		{"syntax", "[mailbox.a]\nbucket = \"x\nprefix = \"p\"\n", "sesbox: fix the TOML syntax at line 2, column 12 of " + cfg + " ("},
		{"type", "[mailbox.a]\nbucket = \"x\"\nprefix = 5\n", "sesbox: fix mailbox.a.prefix at line 3 of " + cfg + " — it takes a string"},
		{"unknown key", "[mailbox.a]\nbucket = \"x\"\nbukcet = \"y\"\n", "sesbox: fix mailbox.a.bukcet at line 3 of " + cfg + " — sesbox takes no such key: did you mean bucket?"},
		{"unknown top-level table", "[mailboxes.a]\nbucket = \"y\"\n", "sesbox: fix mailboxes at line 1 of " + cfg + " — sesbox takes no such key: did you mean mailbox?"},
		{"unknown action", "[keys]\n\"list.dwn\" = [\"n\"]\n[mailbox.a]\nbucket = \"x\"\n", "sesbox: fix keys.\"list.dwn\" at line 2 of " + cfg + " — sesbox takes no such key: did you mean list.down?"},
		{"no key name", "[keys]\n\"list.down\" = [\"\\u001b[31m\"]\n[mailbox.a]\nbucket = \"x\"\n", "sesbox: fix keys.\"list.down\" at line 2 of " + cfg + " — bind it to key names as bubbletea names them"},
		{"default", "default = \"b\"\n[mailbox.a]\nbucket = \"x\"\n", "sesbox: fix default at line 1 of " + cfg + " — "},
		{"refresh", "refresh = \"soon\"\n[mailbox.a]\nbucket = \"x\"\n", "sesbox: fix refresh at line 1 of " + cfg + " — it takes a duration"},
		{"endpoint", "[mailbox.a]\nbucket = \"x\"\nendpoint = \"localhost:7070\"\n", "sesbox: fix mailbox.a.endpoint at line 3 of " + cfg + " — want an http:// or https:// URL"},
		{"no bucket", "[mailbox.a]\nprefix = \"p/\"\n", "sesbox: fix mailbox.a at line 1 of " + cfg + " — add bucket = \"...\" to it, or give --bucket B"},
		{"send_rate", "[mailbox.a]\nbucket = \"x\"\nsend_rate = -2.0\n", "sesbox: fix mailbox.a.send_rate at line 3 of " + cfg + " — set it to 0 (the account's rate) or a positive number"},
		{"header_rate", "[mailbox.a]\nbucket = \"x\"\nheader_rate = -1.0\n", "sesbox: fix mailbox.a.header_rate at line 3 of " + cfg + " — set it to 0 (as fast as the reads go) or a positive number"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(cfg, []byte(tc.toml), 0o600); err != nil {
				t.Fatal(err)
			}
			_, stderr, code := sesbox(t, "ls", "--cached")
			if code != 1 || !strings.HasPrefix(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("exit %d, stderr %q\nwant exit 1 and one line starting %q", code, stderr, tc.want)
			}
		})
	}
}

// TestConfigAnotherUserCouldWriteIsRefused: the config file was read
// whoever could write it. Planted by another user (their sesbox/ made
// first in a shared XDG_CONFIG_HOME, sticky as /tmp is), its ses_endpoint
// took the reply `sesbox reply KEY --yes` sent (the real binary, against
// versitygw: the send went to the planted endpoint). A config every user
// may write, or in another user's directory (as root: given to nobody),
// stops every command, hint first, as OpenSSH refuses its config; --config
// names a file the user chose, which is read as it is.
func TestConfigAnotherUserCouldWriteIsRefused(t *testing.T) {
	dir := isolate(t)
	cfg := filepath.Join(dir, "config", "sesbox", "config.toml")
	if err := os.MkdirAll(filepath.Dir(cfg), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, []byte("[mailbox.a]\nbucket = \"x\"\nses_endpoint = \"http://127.0.0.1:9\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	refused := func(what, want string) {
		t.Helper()
		_, stderr, code := sesbox(t, "ls", "--cached")
		if code != 1 || !strings.HasPrefix(stderr, want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%s: exit %d, stderr %q\nwant exit 1 and one line starting %q", what, code, stderr, want)
		}
		if _, stderr, code := sesbox(t, "--config", cfg, "ls", "--cached"); strings.Contains(stderr, "another user") || strings.Contains(stderr, "every user") {
			t.Errorf("%s, given with --config: exit %d, %q; want it read", what, code, stderr)
		}
	}
	if err := os.Chmod(cfg, 0o666); err != nil {
		t.Fatal(err)
	}
	refused("a config mode 0666", "sesbox: chmod o-w "+cfg+", or move it to a file only you can write: any user could have written where sesbox sends mail (config "+cfg)
	if err := os.Chmod(cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	if os.Getuid() != 0 {
		return // another user's directory needs root to make
	}
	if err := os.Chown(filepath.Dir(cfg), 65534, 65534); err != nil {
		t.Fatal(err)
	}
	refused("a config in another user's directory", "sesbox: set XDG_CONFIG_HOME to a directory of yours, or give --config FILE: "+filepath.Dir(cfg)+" belongs to another user, who could have written where sesbox sends mail (config "+cfg)
}
