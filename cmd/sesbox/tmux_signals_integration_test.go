//go:build integration

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore/testutil/peer"
	"github.com/sesbox/sesbox/mailstore/testutil/sesfault"
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

// TestSignalMidForwardJournalsTheSendInProgress: a SIGHUP (the SSH
// connection dropped) while a forward waited for SES's answer ended sesbox
// at once: SES had taken the message, but the journal kept it "sending",
// so the rerun called it uncertain. The run now stops after the send in
// progress, as x does, saying so on the status line; the answer is
// journaled "sent" with SES's message id, nothing after it is sent, and
// sesbox exits 129 then.
func TestSignalMidForwardJournalsTheSendInProgress(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux is not installed: run `make peers` (apt-get install tmux)")
	}
	bin := buildSesbox(t) // before isolate, which moves the build cache
	dir := isolate(t)
	ses := sesfault.Start(t, peer.StartSES(t).URL, func(n int) sesfault.Fault {
		if n == 1 {
			return sesfault.Delay
		}
		return sesfault.Pass
	})
	var env strings.Builder
	for _, k := range []string{"XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME", "AWS_ACCESS_KEY_ID",
		"AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_EC2_METADATA_DISABLED"} {
		fmt.Fprintf(&env, "export %s='%s'\n", k, os.Getenv(k))
	}
	pidFile := filepath.Join(dir, "pid")
	script := filepath.Join(dir, "run.sh")
	body := env.String() + "unset NO_COLOR AWS_PROFILE AWS_ENDPOINT_URL AWS_ENDPOINT_URL_SESV2\n" +
		fmt.Sprintf("sh -c 'echo $$ > %s; exec %s demo --ses-endpoint %s'\necho \"sesbox exited $?\"\nexec sleep 600\n", pidFile, bin, ses.URL)
	if err := os.WriteFile(script, []byte(body), 0o700); err != nil {
		t.Fatal(err)
	}
	s := &tmuxSession{t: t, sock: filepath.Join(dir, "tmux.sock")}
	s.tmux("-f", "/dev/null", "new-session", "-d", "-s", "e2e", "-x", "80", "-y", "24", "sh "+script)
	t.Cleanup(func() { _ = exec.Command("tmux", "-S", s.sock, "kill-server").Run() })
	s.waitFor(`Invoice 5521 OVERDUE`)
	s.keys("f") // the newest message, to one destination
	s.waitFor(`y send`)
	s.keys("y")
	select {
	case <-ses.Held:
	case <-time.After(30 * time.Second):
		t.Fatalf("no send reached SES:\n%s", s.screen())
	}
	pid, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("kill", "-HUP", strings.TrimSpace(string(pid))).CombinedOutput(); err != nil {
		t.Fatalf("kill: %v %s", err, out)
	}
	s.waitFor(`ending \(hangup\): the forward stops after the send in progress`)
	ses.Answer()
	if scr := s.waitFor(`sesbox exited \d+`); !strings.Contains(scr, "sesbox exited 129") {
		t.Errorf("want exit 129:\n%s", scr)
	}

	emails := ses.Emails()
	if len(emails) != 1 {
		t.Fatalf("SES took %d messages, want the one in progress", len(emails))
	}
	b, err := os.ReadFile(filepath.Join(os.Getenv("XDG_STATE_HOME"), "sesbox", "forward-journal.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var last struct{ State, SESMessageID string }
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var e struct {
			Key, State   string
			SESMessageID string `json:"sesMessageId"`
		}
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("journal line %q: %v", line, err)
		}
		if e.State != "planned" {
			last.State, last.SESMessageID = e.State, e.SESMessageID
		}
	}
	if last.State != "sent" || last.SESMessageID != emails[0].ID {
		t.Fatalf("the send SES took is journaled %q (SES id %q, SES said %q):\n%s", last.State, last.SESMessageID, emails[0].ID, b)
	}
}
