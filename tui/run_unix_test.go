//go:build unix

package tui

import (
	"context"
	"errors"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sesbox/sesbox/internal/lockedbuf"
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
