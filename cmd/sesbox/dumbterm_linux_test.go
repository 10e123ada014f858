package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/sesbox/sesbox/internal/ptytest"
)

// TestProgressOnADumbTerminalHasNoEscapes: on a terminal that says it is
// dumb (TERM=dumb: Emacs' M-x shell, an editor's output pane) the
// progress of index, export and audit was still redrawn with "\r\x1b[K",
// which such a terminal prints as text; there it is plain lines, as in a
// log, while a terminal that can redraw keeps the redrawn line.
func TestProgressOnADumbTerminalHasNoEscapes(t *testing.T) {
	isolate(t)
	flags, _, _ := demoBucket(t)
	for _, tc := range []struct {
		term    string
		escapes bool
	}{{"dumb", false}, {"xterm-256color", true}} {
		t.Setenv("TERM", tc.term)
		t.Setenv("XDG_CACHE_HOME", t.TempDir()) // a cold index each time
		master, tty := ptytest.OpenPTY(t, 80, 24)
		var drawn bytes.Buffer
		done := make(chan struct{})
		go func() { io.Copy(&drawn, master); close(done) }()
		for _, args := range [][]string{{"index"}, {"export", "--mbox", t.TempDir() + "/a.mbox"}, {"audit", "snapshot", "--out", t.TempDir() + "/s.jsonl"}} {
			var out bytes.Buffer
			if code := run(context.Background(), append(flags, args...), strings.NewReader(""), &out, tty); code != 0 {
				t.Fatalf("TERM=%s %v: exit %d", tc.term, args, code)
			}
		}
		time.Sleep(100 * time.Millisecond)
		tty.Close()
		master.SetReadDeadline(time.Now().Add(2 * time.Second))
		<-done
		got := drawn.String()
		if strings.Contains(got, "\x1b") != tc.escapes {
			t.Errorf("TERM=%s: escapes %v, want %v; drawn:\n%q", tc.term, !tc.escapes, tc.escapes, got)
		}
		if !strings.Contains(got, "indexed 54 new or changed of 54 objects") || !strings.Contains(got, "54 of 54 objects exported") {
			t.Errorf("TERM=%s: the closing lines are missing:\n%q", tc.term, got)
		}
	}
}

// TestTUIRefusesADumbTerminal: on TERM=dumb (Emacs' M-x shell) the TUI
// drew its full-screen escape sequences, which such a terminal prints as
// garbage. It now refuses to start, before it draws anything or reaches
// the bucket, leading with what to use instead (ls, show) and how to
// override (TERM), exit 1 as for a config error; the commands still run.
func TestTUIRefusesADumbTerminal(t *testing.T) {
	isolate(t)
	t.Setenv("TERM", "dumb")
	master, tty := ptytest.OpenPTY(t, 80, 24)
	var drawn bytes.Buffer
	done := make(chan struct{})
	go func() { io.Copy(&drawn, master); close(done) }()
	for _, args := range [][]string{{"demo"}, {"--demo"}} {
		finished := make(chan int, 1)
		go func() { finished <- run(context.Background(), args, strings.NewReader(""), tty, tty) }()
		var code int
		select {
		case code = <-finished:
		case <-time.After(20 * time.Second):
			t.Fatalf("%v on TERM=dumb: still running (the TUI started)", args)
		}
		if code != 1 {
			t.Errorf("%v on TERM=dumb: exit %d, want 1", args, code)
		}
	}
	if code := run(context.Background(), []string{"--demo", "ls", "--limit", "1"}, strings.NewReader(""), tty, tty); code != 0 {
		t.Errorf("ls on TERM=dumb: exit %d", code)
	}
	time.Sleep(100 * time.Millisecond)
	tty.Close()
	master.SetReadDeadline(time.Now().Add(2 * time.Second))
	<-done
	got := drawn.String()
	if strings.Contains(got, "\x1b") {
		t.Errorf("escape sequences drawn on TERM=dumb:\n%q", got)
	}
	want := "sesbox: use the commands on this terminal (TERM=dumb cannot move the cursor): sesbox ls, sesbox show KEY"
	if !strings.Contains(got, want) || !strings.Contains(got, "TERM=xterm-256color") {
		t.Errorf("the refusal does not lead with what to do:\n%q\nwant %q", got, want)
	}
}
