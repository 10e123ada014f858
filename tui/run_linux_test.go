package tui

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sesbox/sesbox/internal/lockedbuf"
	"github.com/sesbox/sesbox/internal/ptytest"
	"github.com/sesbox/sesbox/tui/internal/fixture"
)

// ptyOutput is a pseudo-terminal of w x h for Run to draw on, as a
// terminal: bubbletea sends the root its size from it (a Writer that is
// not a terminal gives none, and keys wait for the size). out gets what
// is drawn.
func ptyOutput(t *testing.T, w, h int) (slave *os.File, out *lockedbuf.Buffer) {
	t.Helper()
	m, s := ptytest.OpenPTY(t, w, h)
	out = &lockedbuf.Buffer{}
	go func() { _, _ = io.Copy(out, m) }() // a full pty would stop the program
	return s, out
}

// runWithin runs Run and fails t unless it returns within d (a key that
// waits for a size that never comes would hang the suite).
func runWithin(t *testing.T, d time.Duration, boxes []Box, opts Options) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- Run(context.Background(), boxes, opts) }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		t.Fatalf("Run did not return within %v", d)
		return nil
	}
}

func TestRunQuitsCleanly(t *testing.T) {
	logFile := filepath.Join(t.TempDir(), "state", "tui.log")
	tty, out := ptyOutput(t, 80, 24)
	err := runWithin(t, 15*time.Second, []Box{{Name: "inbox", Mailbox: fixture.NewFake("a")}}, Options{
		Input: strings.NewReader("q"), Output: tty, LogFile: logFile, NoRefresh: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !restored(out.String()) {
		if time.Now().After(deadline) {
			t.Fatalf("terminal not restored: %q", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	fi, err := os.Stat(logFile)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("log file %v, %v", fi, err)
	}
	logged, _ := os.ReadFile(logFile)
	if !strings.Contains(string(logged), "start: 1 mailbox") || !strings.Contains(string(logged), "exit") {
		t.Fatalf("log: %s", logged)
	}
}

// TestRunShowsMailstoreNotices: what the index says while the TUI runs
// (healed, or written again after its file was deleted) was printed to
// stderr, over the screen the TUI draws; it reaches the status line
// (Options.Notices) and the log.
func TestRunShowsMailstoreNotices(t *testing.T) {
	logFile := filepath.Join(t.TempDir(), "tui.log")
	tty, out := ptyOutput(t, 80, 24)
	in, inW := io.Pipe()
	defer inW.Close()
	notices := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- Run(context.Background(), []Box{{Name: "inbox", Mailbox: fixture.NewFake("a")}}, Options{
			Input: in, Output: tty, LogFile: logFile, NoRefresh: true, Notices: notices,
		})
	}()
	notices <- "the index i.db was deleted while sesbox ran; wrote it again"
	for deadline := time.Now().Add(15 * time.Second); !strings.Contains(out.String(), "wrote it again"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the notice never reached the screen:\n%q", out.String())
		}
	}
	inW.Write([]byte("q"))
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if logged, _ := os.ReadFile(logFile); !strings.Contains(string(logged), "notice: the index i.db was deleted") {
		t.Errorf("the notice is not in the log:\n%s", logged)
	}
}
