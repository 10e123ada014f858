package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal: the master, to read what was drawn,
// and the terminal itself, to hand sesbox as its stderr.
func openPTY(t *testing.T) (master, tty *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return m, s
}

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
		master, tty := openPTY(t)
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
