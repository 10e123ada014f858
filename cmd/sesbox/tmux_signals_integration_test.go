//go:build integration

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
	// A sleep no other test runs, so the test can see it started: the
	// screen is blank as soon as sesbox hands the terminal over, before
	// the command runs, and a ctrl+c in between is sesbox's alone, which
	// it leaves to the command (failed so under load: the C-c came first,
	// the sleep then ran its 60 s and no prompt came).
	const piped = "sleep 59.4817"
	s.text(piped)
	s.keys("Enter")
	s.waitFor(`^\s*$`) // the command has the terminal
	for deadline := time.Now().Add(30 * time.Second); !running(piped); {
		if time.Now().After(deadline) {
			t.Fatalf("the piped command %q never started", piped)
		}
		time.Sleep(50 * time.Millisecond)
	}
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

// running reports a process whose command line holds cmd (in /proc:
// no pgrep on a minimal machine).
func running(cmd string) bool {
	dirs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, f := range dirs {
		if b, err := os.ReadFile(f); err == nil && strings.Contains(strings.ReplaceAll(string(b), "\x00", " "), cmd) {
			return true
		}
	}
	return false
}

// TestSignalEndsSesboxWithItsStatus: kill -TERM (or -INT, or a hangup)
// of the running TUI exited 0, as if the user had quit, so a script or a
// supervisor could not tell; it is now 128 + the signal, as a shell
// reports a command the signal ended (143, 130, 129), and the terminal is
// restored as on q. Resized just before, tmux showed the last frame's rows
// on the shell's screen after sesbox left the alternate screen: the frame
// is blanked first, as q does.
func TestSignalEndsSesboxWithItsStatus(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux is not installed: run `make peers` (apt-get install tmux)")
	}
	bin := buildSesbox(t) // before isolate, which moves the build cache
	dir := isolate(t)
	var env strings.Builder
	for _, k := range []string{"XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME"} {
		fmt.Fprintf(&env, "export %s='%s'\n", k, os.Getenv(k))
	}
	for _, c := range []struct {
		sig  string
		code int
	}{{"TERM", 143}, {"INT", 130}, {"HUP", 129}} {
		t.Run(c.sig, func(t *testing.T) {
			pidFile := filepath.Join(dir, c.sig+".pid")
			script := filepath.Join(dir, c.sig+".sh")
			// sh -c writes its pid, then is sesbox (exec): the pid to kill.
			body := env.String() + "unset NO_COLOR\n" +
				fmt.Sprintf("sh -c 'echo $$ > %s; exec %s demo'\necho \"sesbox exited $?\"\nexec sleep 600\n", pidFile, bin)
			if err := os.WriteFile(script, []byte(body), 0o700); err != nil {
				t.Fatal(err)
			}
			s := &tmuxSession{t: t, sock: filepath.Join(dir, c.sig+".sock")}
			s.tmux("-f", "/dev/null", "new-session", "-d", "-s", "e2e", "-x", "80", "-y", "24", "sh "+script)
			t.Cleanup(func() { _ = exec.Command("tmux", "-S", s.sock, "kill-server").Run() })
			s.waitFor(`Invoice 5521 OVERDUE`)
			s.tmux("resize-window", "-t", "e2e", "-x", "120", "-y", "36")
			s.waitFor(`Invoice 5521 OVERDUE {20}`) // drawn at the new width
			pid, err := os.ReadFile(pidFile)
			if err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command("kill", "-"+c.sig, strings.TrimSpace(string(pid))).CombinedOutput(); err != nil {
				t.Fatalf("kill: %v %s", err, out)
			}
			scr := s.waitFor(`sesbox exited \d+`)
			if !strings.Contains(scr, fmt.Sprintf("sesbox exited %d", c.code)) {
				t.Errorf("want exit %d:\n%s", c.code, scr)
			}
			if strings.Contains(scr, "OVERDUE") {
				t.Errorf("the last frame's rows are left on the terminal:\n%s", scr)
			}
		})
	}
}
