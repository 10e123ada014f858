//go:build integration

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestForwardThatCannotWriteItsJournalSaysSoFirst: a forward whose
// journal could not be written (a full disk; here the file size limit,
// RLIMIT_FSIZE, in a child process) said "forward: nothing to do" and
// only then the error: a run that did nothing read as a run with
// nothing to do. The error comes first, hint first, nothing is said of
// totals there are none of, and nothing is sent.
func TestForwardThatCannotWriteItsJournalSaysSoFirst(t *testing.T) {
	if limit := os.Getenv("SESBOX_TEST_JOURNAL_FSIZE"); limit != "" {
		// The child: past the limit a write fails with EFBIG instead of
		// the process being killed by SIGXFSZ.
		n, _ := strconv.ParseUint(limit, 10, 64)
		signal.Ignore(syscall.SIGXFSZ)
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: n, Max: n}); err != nil {
			t.Fatal(err)
		}
		var args []string
		json.Unmarshal([]byte(os.Getenv("SESBOX_TEST_JOURNAL_ARGS")), &args)
		os.Exit(run(context.Background(), args, os.Stdin, os.Stdout, os.Stderr))
	}
	dir := isolate(t)
	ses := startSES(t)
	flags, _, msgs := demoBucket(t)
	keys := sortedKeys(msgs)
	cfgPath, _ := teamForwarder(t, dir)
	base := append(slices.Clone(flags), "--ses-endpoint", ses.URL, "forward", "--forward-config", cfgPath, "--yes")
	// A first run makes the journal (and the index): the child's limit
	// is a little above its size, so that the next records do not fit.
	if _, errOut, code := sesbox(t, append(slices.Clone(base), keys[0])...); code != 0 {
		t.Fatalf("first forward: exit %d: %s", code, errOut)
	}
	path := filepath.Join(dir, "state", "sesbox", "forward-journal.jsonl")
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	sent := len(ses.Calls())
	args, _ := json.Marshal(append(slices.Clone(base), keys[1:10]...))
	cmd := exec.Command(os.Args[0], "-test.run=^TestForwardThatCannotWriteItsJournalSaysSoFirst$")
	cmd.Env = append(os.Environ(), "SESBOX_TEST_JOURNAL_FSIZE="+fmt.Sprint(fi.Size()+64), "SESBOX_TEST_JOURNAL_ARGS="+string(args))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	code := exitCode(t, cmd.Run())
	var errLines []string
	for _, l := range strings.Split(stderr.String(), "\n") {
		if strings.HasPrefix(l, "sesbox: ") && !strings.HasPrefix(l, "sesbox: warning: ") {
			errLines = append(errLines, l)
		}
	}
	if code != 1 || strings.Contains(stderr.String(), "nothing to do") || len(errLines) == 0 ||
		!strings.HasPrefix(errLines[0], "sesbox: the file size limit") || !strings.Contains(errLines[0], "forward journal") {
		t.Errorf("exit %d, stderr:\n%s\nwant exit 1, the journal's error (hint first) and no 'nothing to do'", code, stderr.String())
	}
	if got := len(ses.Calls()); got != sent {
		t.Errorf("SES took %d messages more", got-sent)
	}
}
