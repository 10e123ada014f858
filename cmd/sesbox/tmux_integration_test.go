//go:build integration

package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sesbox/sesbox/mailstore/demo"
)

// tmuxSession is the real sesbox binary running in a tmux pane, driven
// with send-keys and read with capture-pane, as a person in a terminal
// would use it.
type tmuxSession struct {
	t    *testing.T
	sock string
}

// tmux runs a tmux command and returns its output. The output goes
// through a file, not a pipe: the server that new-session starts keeps
// the descriptors it inherited open.
func (s *tmuxSession) tmux(args ...string) string {
	s.t.Helper()
	f, err := os.CreateTemp(s.t.TempDir(), "tmux")
	if err != nil {
		s.t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command("tmux", append([]string{"-S", s.sock}, args...)...)
	cmd.Stdout, cmd.Stderr = f, f
	err = cmd.Run()
	out, _ := os.ReadFile(f.Name())
	if err != nil {
		s.t.Fatalf("tmux %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (s *tmuxSession) keys(keys ...string) {
	s.t.Helper()
	s.tmux(append([]string{"send-keys", "-t", "e2e"}, keys...)...)
}

// text types literally (send-keys -l), in one write: a burst.
func (s *tmuxSession) text(text string) {
	s.t.Helper()
	s.tmux("send-keys", "-t", "e2e", "-l", text)
}

func (s *tmuxSession) screen() string {
	s.t.Helper()
	return s.tmux("capture-pane", "-p", "-t", "e2e")
}

// waitFor waits until the screen matches re and returns it.
func (s *tmuxSession) waitFor(re string) string {
	s.t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(30 * time.Second)
	for {
		scr := s.screen()
		if rx.MatchString(scr) {
			return scr
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("screen never matched %q:\n%s", re, scr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestTUIInTmuxAgainstVersityGW builds the binary and runs it in tmux at
// 80x23 (tmux in an 80x24 terminal) against a versitygw bucket holding
// the demo messages: it starts and lays out, the viewer's search finds and
// counts, `:save DIR` saves the attachment with the same call as `sesbox
// save`, and quitting leaves the alternate screen and a sane tty.
func TestTUIInTmuxAgainstVersityGW(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux is not installed: run `make peers` (apt-get install tmux)")
	}
	// Built before isolate: it moves XDG_CACHE_HOME, and with it the
	// build cache.
	bin := buildSesbox(t)
	dir := isolate(t)
	srv, c := versity(t, "ses-inbound")
	ctx := context.Background()
	for k, b := range demo.Messages() {
		key := "mail/" + strings.TrimPrefix(k, demo.Prefix)
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("ses-inbound"), Key: aws.String(key), Body: bytes.NewReader(b)}); err != nil {
			t.Fatalf("put %s: %v", key, err)
		}
	}

	saveDir := filepath.Join(dir, "saved")
	if err := os.Mkdir(saveDir, 0o700); err != nil {
		t.Fatal(err)
	}
	sttyFile := filepath.Join(dir, "stty")
	// The pane runs sesbox, then records the tty's state and stays open to
	// be read.
	var env strings.Builder
	for _, k := range []string{"XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME", "AWS_ACCESS_KEY_ID",
		"AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_EC2_METADATA_DISABLED"} {
		fmt.Fprintf(&env, "export %s='%s'\n", k, os.Getenv(k))
	}
	script := filepath.Join(dir, "run.sh")
	body := env.String() + "unset AWS_PROFILE AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 NO_COLOR\n" +
		fmt.Sprintf("'%s' --endpoint '%s' --bucket ses-inbound --prefix mail/\n", bin, srv.URL) +
		fmt.Sprintf("echo \"sesbox exited $?\"\nstty -a > '%s'\nexec sleep 600\n", sttyFile)
	if err := os.WriteFile(script, []byte(body), 0o700); err != nil {
		t.Fatal(err)
	}
	s := &tmuxSession{t: t, sock: filepath.Join(dir, "tmux.sock")}
	s.tmux("-f", "/dev/null", "new-session", "-d", "-s", "e2e", "-x", "80", "-y", "23", "sh "+script)
	t.Cleanup(func() { _ = exec.Command("tmux", "-S", s.sock, "kill-server").Run() })

	// Start at 80x23: the list, the status line and the key hints fit.
	scr := s.waitFor(`Invoice 5521 OVERDUE`)
	lines := strings.Split(strings.TrimRight(scr, "\n"), "\n")
	if len(lines) != 23 || strings.Contains(scr, "too small") {
		t.Fatalf("at 80x23 (%d lines):\n%s", len(lines), scr)
	}
	if !strings.Contains(lines[21], "s3://ses-inbound/mail/") || !strings.HasPrefix(lines[22], " ? help") {
		t.Fatalf("no status line and hints at the bottom:\n%s", scr)
	}
	if got := strings.TrimSpace(s.tmux("display", "-p", "-t", "e2e", "#{alternate_on}")); got != "1" {
		t.Fatalf("the TUI is not on the alternate screen (alternate_on=%s)", got)
	}

	// Viewer search: open the photo message, / finds and counts, n wraps.
	s.keys("S")
	s.text("Warehouse")
	s.keys("Enter")
	s.waitFor(`search: Warehouse`)
	s.keys("Enter")
	s.waitFor(`bay4-inspection\.png`)
	s.keys("/")
	s.text("repainting")
	s.keys("Enter")
	s.waitFor(`match 1/1`)
	s.keys("n")
	s.waitFor(`search hit BOTTOM, continuing at TOP`)

	// :save DIR, with Tab completing the verb.
	s.keys(":")
	s.text("sa")
	s.keys("Tab")
	s.waitFor(`(?m)^:save *$`)
	s.text(saveDir)
	s.keys("Enter")
	s.waitFor(`saved 1 file from 1 of 1 message to`)
	if _, err := os.Stat(filepath.Join(saveDir, "bay4-inspection.png")); err != nil {
		t.Fatalf(":save: %v", err)
	}

	// Quit: back to the list, then out; the shell gets a sane terminal.
	s.keys("q")
	s.waitFor(`Invoice 5521 OVERDUE`)
	s.keys("q")
	s.waitFor(`sesbox exited 0`)
	if got := strings.TrimSpace(s.tmux("display", "-p", "-t", "e2e", "#{alternate_on}")); got != "0" {
		t.Errorf("the alternate screen was not left (alternate_on=%s)", got)
	}
	deadline := time.Now().Add(10 * time.Second)
	var stty []byte
	for len(stty) == 0 && time.Now().Before(deadline) {
		stty, _ = os.ReadFile(sttyFile)
		time.Sleep(100 * time.Millisecond)
	}
	for _, want := range []string{" icanon", " echo ", " isig", " icrnl", " opost"} {
		if !strings.Contains(" "+strings.Join(strings.Fields(string(stty)), " ")+" ", want) {
			t.Errorf("after quitting the tty lacks %q:\n%s", strings.TrimSpace(want), stty)
		}
	}
	if modes := s.tmux("display", "-p", "-t", "e2e", "#{mouse_any_flag}#{cursor_flag}"); strings.TrimSpace(modes) != "01" {
		t.Errorf("mouse reporting left on or cursor hidden after quitting (mouse_any_flag, cursor_flag = %s)", modes)
	}
}
