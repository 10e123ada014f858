package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore/team"
)

func TestTeamCommandsNeedATable(t *testing.T) {
	dir := isolate(t)
	for _, args := range [][]string{
		{"--bucket", "mail", "team", "status"},
		{"--bucket", "mail", "team", "init"},
	} {
		_, stderr, code := sesbox(t, args...)
		if want := `sesbox: give --table NAME or set team_table = "NAME" in the mailbox's [mailbox.NAME] table of the config file (no team table)` + "\n"; code != 1 || stderr != want {
			t.Errorf("%v: exit %d: %q\nwant %q", args, code, stderr, want)
		}
	}
	// A mailbox of the config file is named, with the file, hint first
	// (it said "no team table: ... in the mailbox's config").
	cfg := filepath.Join(dir, "config.toml")
	os.WriteFile(cfg, []byte("[mailbox.support]\nbucket = \"mail\"\n"), 0o600)
	if _, stderr, code := sesbox(t, "--config", cfg, "team", "status"); code != 1 ||
		stderr != `sesbox: give --table NAME or set team_table = "NAME" in [mailbox.support] in `+cfg+" (no team table)\n" {
		t.Errorf("team status: exit %d: %q", code, stderr)
	}
	// team_table is a config key; a misspelt one is refused like any other.
	os.WriteFile(cfg, []byte("[mailbox.m]\nbucket = \"mail\"\nteam_tabel = \"t\"\n"), 0o600)
	if _, stderr, code := sesbox(t, "--config", cfg, "team", "status"); code != 1 || !strings.Contains(stderr, "unknown key mailbox.m.team_tabel") {
		t.Errorf("misspelt key: exit %d: %s", code, stderr)
	}
	c, err := loadConfig(writeFile(t, "ok.toml", "[mailbox.m]\nbucket = \"mail\"\nteam_table = \"sesbox-team\"\n"), true)
	if err != nil || c.Mailboxes["m"].TeamTable != "sesbox-team" {
		t.Errorf("team_table: %+v %v", c.Mailboxes["m"], err)
	}
}

// TestAuditLogWithoutATableIsLocal: with no team table configured the
// log command reads the local log only, as before team mode.
func TestAuditLogWithoutATableIsLocal(t *testing.T) {
	isolate(t)
	out, stderr, code := sesbox(t, "audit", "log", "--verify")
	if code != 0 || strings.Contains(out, "shared log") || !strings.Contains(out, "log intact: 0 entries") {
		t.Errorf("exit %d: %s %s", code, out, stderr)
	}
}

// TestResolveForceGoesWithNotSent: --force overrides one refusal only,
// "not sent" of a send another machine started; alone, or with --sent,
// it is a usage error. That refusal prints what to do there instead of
// the --sent hint of a send something says was made.
func TestResolveForceGoesWithNotSent(t *testing.T) {
	isolate(t)
	for _, args := range [][]string{
		{"--bucket", "mail", "team", "resolve", "inbox/k", "--force"},
		{"--bucket", "mail", "team", "resolve", "inbox/k", "--sent", "--force"},
	} {
		if _, stderr, code := sesbox(t, args...); code != 64 || !strings.Contains(stderr, "team resolve: --force goes with --not-sent") {
			t.Errorf("%v: exit %d: %s", args, code, stderr)
		}
	}
	var out bytes.Buffer
	printDoubts(&app{stdout: &out}, []team.Doubt{{Key: "inbox/k", Destinations: []string{"ops@team.example"}, Why: "its run never wrote the outcome",
		StartedBy: "op@a pid 7", Refused: "the send was started by op@a pid 7, not on this machine", Hint: "run sesbox team resolve inbox/k on that machine\x1b[2J"}})
	if got := out.String(); !strings.Contains(got, "  refused:  not recorded as not sent: the send was started by op@a pid 7, not on this machine: run sesbox team resolve inbox/k on that machine") ||
		strings.Contains(got, "\x1b") || strings.Contains(got, "--sent records that it was") {
		t.Errorf("printed:\n%s", got)
	}
}
