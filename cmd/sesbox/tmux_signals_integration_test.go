//go:build integration

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCtrlCInAPipedCommandLeavesSesboxRunning: the terminal is cooked
// while a command sesbox handed it to runs (| pipe, $EDITOR, a mailcap
// viewer), so ctrl+c there is a SIGINT to the whole foreground group. It
// is the command's: sesbox, which took SIGINT as the end of the whole run,
// quit on the Enter after it and the session was lost.
func TestCtrlCInAPipedCommandLeavesSesboxRunning(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux is not installed: run `make peers` (apt-get install tmux)")
	}
	bin := buildSesbox(t) // before isolate, which moves the build cache
	dir := isolate(t)
	var env strings.Builder
	for _, k := range []string{"XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME"} {
		fmt.Fprintf(&env, "export %s='%s'\n", k, os.Getenv(k))
	}
	script := filepath.Join(dir, "run.sh")
	// The shell lives on past the SIGINT the whole group gets (trap, not
	// ignore: sesbox and its commands start with the default action).
	body := env.String() + "unset NO_COLOR\ntrap : INT\n" + fmt.Sprintf("'%s' demo\necho \"sesbox exited $?\"\nexec sleep 600\n", bin)
	if err := os.WriteFile(script, []byte(body), 0o700); err != nil {
		t.Fatal(err)
	}
	s := &tmuxSession{t: t, sock: filepath.Join(dir, "tmux.sock")}
	s.tmux("-f", "/dev/null", "new-session", "-d", "-s", "e2e", "-x", "80", "-y", "24", "sh "+script)
	t.Cleanup(func() { _ = exec.Command("tmux", "-S", s.sock, "kill-server").Run() })
	s.tmux("set-option", "-t", "e2e", "remain-on-exit", "on")

	s.waitFor(`Invoice 5521 OVERDUE`)
	s.keys("Enter")
	s.waitFor(`Subject: +New invoice address`)
	s.keys("|")
	s.text("sleep 60")
	s.keys("Enter")
	s.waitFor(`^\s*$`) // the command has the terminal
	s.keys("C-c")
	s.waitFor(`press Enter to return`)
	s.keys("Enter")
	scr := s.waitFor(`sesbox exited|Subject: +New invoice address`)
	if strings.Contains(scr, "sesbox exited") {
		t.Fatalf("ctrl+c in the piped command ended sesbox:\n%s", scr)
	}
	s.keys("q")
	s.waitFor(`Invoice 5521 OVERDUE`)
	s.keys("q")
	s.waitFor(`sesbox exited 0`)
}
