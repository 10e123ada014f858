//go:build unix

package tui

import (
	"context"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sesbox/sesbox/tui/internal/fixture"
)

// An SSH connection that drops, or a terminal window closed, sends SIGHUP:
// its default action ends the process at once, leaving the terminal (a
// tmux pane, a screen window) raw and on the alternate screen. Run quits
// the normal way instead.
func TestRunRestoresTheTerminalOnSIGHUP(t *testing.T) {
	// Without Run's handler the signal would end the test binary: this
	// one keeps it alive, so a missing handler fails below instead.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	out := &lockedBuf{}
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
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not return after SIGHUP")
	}
	if !restored(out.String()) {
		t.Fatalf("terminal not restored: %q", out.String()[max(0, len(out.String())-200):])
	}
}
