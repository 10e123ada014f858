package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sesbox/sesbox/internal/ptytest"
)

// TestCLIOnANonUTF8TerminalPrintsASCII: under LC_ALL=C the TUI draws
// ASCII, but `ls` and `show` wrote the demo's Korean, Japanese and
// Russian subjects as raw UTF-8 to the terminal, which such a terminal
// shows as several wrong characters each. On a terminal in a locale that
// is not UTF-8, their human output is now ASCII as the TUI draws it ('?'
// in each cell of what has no ASCII form, the columns where they were);
// --json and --raw, and any output into a pipe, stay exact UTF-8.
func TestCLIOnANonUTF8TerminalPrintsASCII(t *testing.T) {
	isolate(t)
	t.Setenv("TERM", "xterm-256color")
	t.Setenv("LC_ALL", "C")
	var js bytes.Buffer
	if code := run(context.Background(), []string{"--demo", "ls", "--json"}, strings.NewReader(""), &js, io.Discard); code != 0 {
		t.Fatalf("ls --json: exit %d", code)
	}
	key := ""
	for _, l := range strings.Split(strings.TrimSpace(js.String()), "\n") {
		var r lsRow
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatal(err)
		}
		if strings.ContainsFunc(r.Subject, func(c rune) bool { return c >= 0x1100 }) {
			key = r.Key
			break
		}
	}
	if key == "" {
		t.Fatal("no demo message with a CJK subject")
	}

	onTTY := func(args ...string) string {
		master, tty := ptytest.OpenPTY(t, 200, 50)
		var drawn bytes.Buffer
		done := make(chan struct{})
		go func() { io.Copy(&drawn, master); close(done) }()
		if code := run(context.Background(), append([]string{"--demo"}, args...), strings.NewReader(""), tty, io.Discard); code != 0 {
			t.Fatalf("%v: exit %d", args, code)
		}
		time.Sleep(100 * time.Millisecond)
		tty.Close()
		master.SetReadDeadline(time.Now().Add(2 * time.Second))
		<-done
		return drawn.String()
	}
	ascii := func(s string) bool { return !strings.ContainsFunc(s, func(c rune) bool { return c >= 0x80 }) }
	for _, args := range [][]string{{"ls"}, {"show", key}} {
		got := onTTY(args...)
		if !ascii(got) || !strings.Contains(got, "??") {
			t.Errorf("%v on an LC_ALL=C terminal: not ASCII with '?' for CJK:\n%s", args, got)
		}
		var piped bytes.Buffer
		run(context.Background(), append([]string{"--demo"}, args...), strings.NewReader(""), &piped, io.Discard)
		if ascii(piped.String()) || !utf8.Valid(piped.Bytes()) {
			t.Errorf("%v into a pipe: not the UTF-8 text", args)
		}
	}
	if got := onTTY("ls", "--json"); ascii(got) {
		t.Errorf("ls --json on an LC_ALL=C terminal: changed to ASCII:\n%s", got)
	}
}

// TestErrorLinesOnANonUTF8TerminalAreASCII: under LC_ALL=C the error line
// `show` gives for a key it cannot find wrote the key (김민준é) and its
// dash as raw UTF-8 to the terminal on stderr. On a terminal in a locale
// that is not UTF-8 it is now ASCII as the TUI draws it; into a pipe it
// stays the exact UTF-8.
func TestErrorLinesOnANonUTF8TerminalAreASCII(t *testing.T) {
	isolate(t)
	t.Setenv("TERM", "xterm-256color")
	t.Setenv("LC_ALL", "C")
	// mark's error lines too: it printed them past the terminal's
	// charset, raw UTF-8 under LC_ALL=C.
	for _, cmd := range []string{"show", "mark"} {
		args := []string{"--demo", cmd, "김민준é"}
		master, tty := ptytest.OpenPTY(t, 200, 50)
		var drawn bytes.Buffer
		done := make(chan struct{})
		go func() { io.Copy(&drawn, master); close(done) }()
		if code := run(context.Background(), args, strings.NewReader(""), io.Discard, tty); code != 3 {
			t.Fatalf("%v: exit %d, want 3 (no such message)", args, code)
		}
		tty.Close()
		master.SetReadDeadline(time.Now().Add(2 * time.Second))
		<-done
		got := drawn.String()
		if strings.ContainsFunc(got, func(c rune) bool { return c >= 0x80 }) || !strings.Contains(got, `??????e"`) {
			t.Errorf("%s: error line on an LC_ALL=C terminal: not ASCII with '?' for CJK:\n%q", cmd, got)
		}
		var piped bytes.Buffer
		if code := run(context.Background(), args, strings.NewReader(""), io.Discard, &piped); code != 3 {
			t.Errorf("%v into a pipe: exit %d, want 3 as on the terminal", args, code)
		}
		if !strings.Contains(piped.String(), "김민준é") {
			t.Errorf("%s: error line into a pipe: not the UTF-8 key:\n%s", cmd, piped.String())
		}
	}
}
