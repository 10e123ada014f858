//go:build integration

package main

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore/testutil/sesfault"
)

// closedPipe is a pipe whose reader has gone, as `| head -1` leaves it
// once head has its line: every write to its w fails with EPIPE (and,
// on fd 1 or 2 of a Go program that does not say otherwise, raises
// SIGPIPE).
func closedPipe(t *testing.T) *os.File {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	t.Cleanup(func() { w.Close() })
	return w
}

// exitCode is the status of a finished command: -1 when a signal ended it.
func exitCode(t *testing.T, err error) int {
	t.Helper()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	t.Fatal(err)
	return 0
}

// TestAClosedStderrStopsNoWork: `sesbox export --mbox out.mbox 2>&1 |
// head -1` ended the export at its next line on stderr (Go's SIGPIPE on
// fd 2), leaving its .partial files; so did every long command. With
// --debug (a stderr line for each request) and a stderr whose reader is
// gone from the start, each command now does all its work: the files
// are whole, nothing partial is left, and the exit status is the
// run's own.
func TestAClosedStderrStopsNoWork(t *testing.T) {
	bin := buildSesbox(t)
	dir := isolate(t)
	flags, _, msgs := demoBucket(t)
	ses := startSES(t)
	flags = append(flags, "--debug", "--ses-endpoint", ses.URL)
	keysFile, _ := demoKeysFile(t, msgs)
	cfgPath, _ := teamForwarder(t, dir)
	out := t.TempDir()
	mbox, maildir, snap := filepath.Join(out, "all.mbox"), filepath.Join(out, "maildir"), filepath.Join(out, "snap.jsonl")
	dry := filepath.Join(out, "dry")
	for _, tc := range []struct {
		name  string
		args  []string
		check func(t *testing.T, stdout string)
	}{
		{"index", []string{"index"}, func(t *testing.T, _ string) {
			if rows := lsJSON(t, append(slices.Clone(flags[:6]), "--cached")...); len(rows) != len(msgs) {
				t.Errorf("the index has %d messages of %d", len(rows), len(msgs))
			}
		}},
		{"export --mbox", []string{"export", "--mbox", mbox}, func(t *testing.T, stdout string) {
			b, err := os.ReadFile(mbox)
			if err != nil || bytes.Count(b, []byte("\nFrom "))+1 < len(msgs) || !strings.HasPrefix(stdout, "exported 54 messages") {
				t.Errorf("mbox: %d bytes (%v), stdout %q", len(b), err, stdout)
			}
		}},
		{"export --maildir", []string{"export", "--maildir", maildir}, func(t *testing.T, _ string) {
			if ents, err := os.ReadDir(filepath.Join(maildir, "new")); len(ents) != len(msgs) {
				t.Errorf("maildir: %d messages of %d (%v)", len(ents), len(msgs), err)
			}
		}},
		{"audit snapshot", []string{"audit", "snapshot", "--out", snap}, func(t *testing.T, stdout string) {
			if !strings.Contains(stdout, "54 objects") {
				t.Errorf("stdout %q", stdout)
			}
		}},
		{"audit verify", []string{"audit", "verify", snap}, func(t *testing.T, stdout string) {
			if !hasRow(stdout, "unchanged 54") || !strings.Contains(stdout, "OK: nothing changed") {
				t.Errorf("stdout %q", stdout)
			}
		}},
		{"forward --dry-run", []string{"forward", "--forward-config", cfgPath, "--dry-run", dry, "--keys-from", keysFile}, func(t *testing.T, stdout string) {
			if ents, _ := os.ReadDir(dry); len(ents) == 0 || len(forwardRows(t, stdout)) != len(msgs) {
				t.Errorf("%d files written, stdout:\n%s", len(ents), stdout)
			}
		}},
		{"forward", []string{"forward", "--forward-config", cfgPath, "--yes", "--keys-from", keysFile}, func(t *testing.T, stdout string) {
			rows := forwardRows(t, stdout)
			sent := 0
			for _, r := range rows {
				if r["status"] == "sent" {
					sent++
				}
			}
			if len(rows) != len(msgs) || sent == 0 || sent != len(ses.Calls()) {
				t.Errorf("%d rows of %d, %d sent, SES took %d", len(rows), len(msgs), sent, len(ses.Calls()))
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(bin, append(slices.Clone(flags), tc.args...)...)
			var stdout bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, closedPipe(t)
			if code := exitCode(t, cmd.Run()); code != 0 {
				t.Fatalf("exit %d (-1: a signal ended it), stdout:\n%s", code, stdout.String())
			}
			tc.check(t, stdout.String())
			filepath.WalkDir(out, func(p string, _ os.DirEntry, _ error) error {
				if strings.HasSuffix(p, ".partial") {
					t.Errorf("left: %s", p)
				}
				return nil
			})
		})
	}
}

// TestAClosedStdoutEndsTheRunQuietly: a command whose stdout is its
// answer ends as `ls | head -1` does when the reader goes: status 141,
// no error said (a progress line of the work done before is no error).
func TestAClosedStdoutEndsTheRunQuietly(t *testing.T) {
	bin := buildSesbox(t)
	isolate(t)
	flags, _, msgs := demoBucket(t)
	snap := filepath.Join(t.TempDir(), "snap.jsonl")
	if _, errOut, code := sesbox(t, append(slices.Clone(flags), "audit", "snapshot", "--out", snap)...); code != 0 {
		t.Fatalf("snapshot: exit %d: %s", code, errOut)
	}
	key := sortedKeys(msgs)[0]
	for _, args := range [][]string{
		{"ls"}, {"ls", "--json"}, {"ls", "--cached"}, {"show", "--raw", key}, {"show", key},
		{"audit", "verify", "--json", snap}, {"audit", "log"}, {"--help"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			cmd := exec.Command(bin, append(slices.Clone(flags), args...)...)
			var stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = closedPipe(t), &stderr
			if code := exitCode(t, cmd.Run()); code != 141 || strings.Contains(stderr.String(), "sesbox") || strings.Contains(stderr.String(), "pipe") {
				t.Errorf("exit %d, want 141 (-1: a signal ended it), stderr:\n%s", code, stderr.String())
			}
		})
	}
}

// TestForwardWithItsStdoutClosedStopsAndSaysSo: `sesbox forward --yes
// KEY... | head -1` ended the run after the result head read (SIGPIPE),
// without a word. It now stops as Ctrl-C stops it: the send in progress
// is finished and journalled, the rest not attempted, stderr says why
// and what to run, the status is 141; the same command again sends the
// rest, nothing twice.
func TestForwardWithItsStdoutClosedStopsAndSaysSo(t *testing.T) {
	bin := buildSesbox(t)
	dir := isolate(t)
	const held = 3
	ses := startSES(t)
	proxy := sesfault.Start(t, ses.URL, func(n int) sesfault.Fault {
		if n == held {
			return sesfault.Delay
		}
		return sesfault.Pass
	})
	flags, _, msgs := demoBucket(t)
	keysFile, keys := demoKeysFile(t, msgs)
	cfgPath, _ := teamForwarder(t, dir)
	args := append(slices.Clone(flags), "--ses-endpoint", proxy.URL, "forward", "--forward-config", cfgPath, "--yes", "--keys-from", keysFile)

	cmd := exec.Command(bin, args...)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = w, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	first, err := bufio.NewReader(r).ReadString('\n') // head -1
	if err != nil {
		t.Fatalf("no first line: %v\n%s", err, stderr.String())
	}
	select {
	case <-proxy.Held:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("send %d never came", held)
	}
	r.Close() // head exits, while SES holds the answer to send 3
	proxy.Answer()
	code := exitCode(t, cmd.Wait())
	const said = "forward: stopped after the send in progress: stdout was closed (what read the results has gone)\n"
	if code != 141 || !strings.Contains(stderr.String(), said) || !strings.Contains(stderr.String(), "run the same command again to send the ") {
		t.Errorf("exit %d, want 141 (-1: a signal ended it); first line %q; stderr:\n%s\nwant it to say:\n%s", code, first, stderr.String(), said)
	}
	if n := len(proxy.Emails()); n != held {
		t.Errorf("SES took %d messages before the stop, want %d (the run stops after the send in progress)", n, held)
	}

	stdout, errOut, code := sesbox(t, args...)
	if code != 0 || len(forwardRows(t, stdout)) != len(keys) {
		t.Fatalf("rerun: exit %d: %s", code, errOut)
	}
	seen := map[string]bool{}
	for _, e := range proxy.Emails() {
		if seen[string(e.Raw)] {
			t.Errorf("sent twice: %.200q", e.Raw)
		}
		seen[string(e.Raw)] = true
	}
	if len(seen) <= held {
		t.Errorf("the rerun sent nothing more (%d in all)", len(seen))
	}
}
