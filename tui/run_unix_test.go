//go:build unix

package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sesbox/sesbox/internal/lockedbuf"
	"github.com/sesbox/sesbox/mailstore/mailbox"
	"github.com/sesbox/sesbox/tui/internal/fixture"
)

// An SSH connection that drops, or a terminal window closed, sends SIGHUP:
// its default action ends the process at once, leaving the terminal (a
// tmux pane, a screen window) raw and on the alternate screen; kill sends
// SIGTERM, which bubbletea took for a plain quit (sesbox exited 0). Run
// quits the normal way, as on q, and says which signal
// ended it (TestQuitBlanksTheLastFrame: the frame).
func TestRunQuitsOnASignalAndSaysWhich(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			// Without Run's handler the signal would end the test binary:
			// this one keeps it alive, so a missing handler fails below
			// instead.
			keep := make(chan os.Signal, 1)
			signal.Notify(keep, sig)
			defer signal.Stop(keep)

			out := &lockedbuf.Buffer{}
			in, inW := io.Pipe()
			defer inW.Close()
			done := make(chan error, 1)
			go func() {
				done <- Run(context.Background(), []Box{{Name: "inbox", Mailbox: fixture.NewFake("a")}}, Options{
					Input: in, Output: out, LogFile: filepath.Join(t.TempDir(), "tui.log"), NoRefresh: true,
				})
			}()
			deadline := time.Now().Add(15 * time.Second)
			for !strings.Contains(out.String(), "\x1b[?1049h") {
				if time.Now().After(deadline) {
					t.Fatalf("never on the alternate screen: %q", out.String())
				}
				time.Sleep(20 * time.Millisecond)
			}
			if err := syscall.Kill(os.Getpid(), sig); err != nil {
				t.Fatal(err)
			}
			var err error
			select {
			case err = <-done:
			case <-time.After(15 * time.Second):
				t.Fatalf("Run did not return after %v", sig)
			}
			var se SignalledError
			if !errors.As(err, &se) || se.Signal != sig || se.ExitCode() != 128+int(sig) {
				t.Fatalf("Run returned %v, want the %v that ended it", err, sig)
			}
			o := out.String()
			if !restored(o) {
				t.Fatalf("terminal not restored: %q", o[max(0, len(o)-200):])
			}
		})
	}
}

// TestRunRemovesThePipeFilesLeft: a pipe's file (0600 under the cache) is
// removed when its command ends, but a sesbox killed while it read the
// messages, or before the command ended, left it for good. Run removes
// what an ended sesbox left as it starts, and this run's as it ends on a
// signal; a live sesbox's file is kept. An older sesbox named them
// pipe-NNNN, without its process id, and nothing ever removed them: one
// unchanged for an hour goes at the start too.
func TestRunRemovesThePipeFilesLeft(t *testing.T) {
	keep := make(chan os.Signal, 1)
	signal.Notify(keep, syscall.SIGTERM)
	defer signal.Stop(keep)
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	dir := filepath.Join(cache, "sesbox", "pipe")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	c := exec.Command("true")
	if err := c.Run(); err != nil {
		t.Fatal(err)
	}
	left := filepath.Join(dir, fmt.Sprintf("pipe-%d-123", c.Process.Pid))
	live := filepath.Join(dir, fmt.Sprintf("pipe-%d-456", os.Getppid()))
	// An older sesbox's names (os.CreateTemp's digits, no process id):
	// one left a day ago goes, one just written stays.
	unnamed, recent := filepath.Join(dir, "pipe-2416813457"), filepath.Join(dir, "pipe-1735512")
	for _, f := range []string{left, live, unnamed, recent} {
		if err := os.WriteFile(f, []byte("From x\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	day := time.Now().Add(-24 * time.Hour)
	if err := os.Chtimes(unnamed, day, day); err != nil {
		t.Fatal(err)
	}
	fake := fixture.NewFake("a")
	out := &lockedbuf.Buffer{}
	in, inW := io.Pipe()
	defer inW.Close()
	done := make(chan error, 1)
	go func() {
		done <- Run(context.Background(), []Box{{Name: "inbox", Mailbox: fake}}, Options{
			Input: in, Output: out, LogFile: filepath.Join(t.TempDir(), "tui.log"), NoRefresh: true,
		})
	}()
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(out.String(), "\x1b[?1049h") {
		if time.Now().After(deadline) {
			t.Fatalf("never on the alternate screen: %q", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := os.Lstat(left); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the file an ended sesbox left is still there (%v)", err)
	}
	if _, err := os.Lstat(unnamed); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the pipe-NNNN file an older sesbox left a day ago is still there (%v)", err)
	}
	// A pipe of this run whose command never ran: killed meanwhile.
	mine, err := mailbox.PipeFile(context.Background(), fake, []string{fake.Sums[0].Key}, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not return after SIGTERM")
	}
	if _, err := os.Lstat(mine); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("this run's pipe file %s is still there (%v)", mine, err)
	}
	if _, err := os.Lstat(live); err != nil {
		t.Errorf("a live sesbox's pipe file was removed: %v", err)
	}
	if _, err := os.Lstat(recent); err != nil {
		t.Errorf("a pipe-NNNN file written just now was removed: %v", err)
	}
}
