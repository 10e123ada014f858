package env

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sesbox/sesbox/internal/ptytest"
)

// fakeTerminal answers every background query (OSC 11, then a cursor
// position report) written to the pty's slave, read on master, after
// answerIn, as a terminal with a white background would; it returns how
// many it answered.
func fakeTerminal(master *os.File, answerIn time.Duration) (answered func() int) {
	n := make(chan int, 1)
	n <- 0
	go func() {
		var seen []byte
		buf := make([]byte, 256)
		for {
			m, err := master.Read(buf)
			if err != nil {
				return
			}
			seen = append(seen, buf[:m]...)
			for bytes.Contains(seen, []byte("\x1b[6n")) {
				_, seen, _ = bytes.Cut(seen, []byte("\x1b[6n"))
				time.Sleep(answerIn)
				_, _ = master.WriteString("\x1b]11;rgb:ffff/ffff/ffff\x1b\\\x1b[24;1R")
				n <- <-n + 1
			}
		}
	}()
	return func() int { v := <-n; n <- v; return v }
}

// readUntil is what the terminal f gives, read in non-canonical mode as
// the TUI reads it, up to and with the byte last, or what came within
// wait.
func readUntil(f *os.File, last byte, wait time.Duration) ([]byte, error) {
	fd := int(f.Fd())
	old, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return nil, err
	}
	raw := *old
	raw.Lflag &^= unix.ICANON | unix.ECHO
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, &raw); err != nil {
		return nil, err
	}
	defer unix.IoctlSetTermios(fd, unix.TCSETS, old)
	var out []byte
	deadline := time.Now().Add(wait)
	for !bytes.Contains(out, []byte{last}) {
		var fds unix.FdSet
		fds.Set(fd)
		tv := unix.NsecToTimeval(int64(max(time.Until(deadline), 0)))
		n, err := unix.Select(fd+1, &fds, nil, nil, &tv)
		if err == unix.EINTR {
			continue // the Go runtime's preemption signal, most often under -race and load
		}
		if err != nil || n == 0 {
			return out, nil
		}
		buf := make([]byte, 256)
		m, err := unix.Read(fd, buf)
		if err != nil || m <= 0 {
			return out, err
		}
		out = append(out, buf[:m]...)
	}
	return out, nil
}

// TestKeysTypedAsSesboxStartsReachIt: sesbox asked the terminal for its
// background a second time in Common (bubbletea's init had asked once,
// through lipgloss's default renderer), and termenv read and threw away
// every key typed while the answer came (a few ms; over SSH more), an
// arrow key among them making the answer itself come in as keys. Typed
// 20, 50 or 100 ms into the start of a process whose controlling terminal
// is a pty, as sesbox's is, every key now stays for the TUI, in order, and
// nothing of an answer is left among them.
func TestKeysTypedAsSesboxStartsReachIt(t *testing.T) {
	if os.Getenv("SESBOX_TEST_BACKGROUND_CHILD") == "1" {
		// The child: its terminal is the pty, stdin and stdout. What
		// Common leaves in it is what bubbletea will read. Fd 3 tells the
		// test that bubbletea's init (its own question, answered) is over.
		os.NewFile(3, "started").Close()
		if _, err := (Options{}).Common(os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "error:", err)
			os.Exit(1)
		}
		rest, err := readUntil(os.Stdin, 'q', 10*time.Second)
		if err != nil {
			fmt.Fprintln(os.Stderr, "error:", err)
			os.Exit(1)
		}
		fmt.Fprintf(os.Stderr, "%q", rest)
		os.Exit(0)
	}
	const typed = "jk\x1b[Bq"
	for _, at := range []time.Duration{20 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond} {
		t.Run(fmt.Sprint(at), func(t *testing.T) {
			m, s := ptytest.OpenPTY(t, 0, 0)
			answered := fakeTerminal(m, 40*time.Millisecond)
			cmd := exec.Command(os.Args[0], "-test.run=^TestKeysTypedAsSesboxStartsReachIt$")
			cmd.Env = append(os.Environ(), "SESBOX_TEST_BACKGROUND_CHILD=1", "TERM=xterm", "COLORFGBG=", "NO_COLOR=")
			cmd.Stdin, cmd.Stdout = s, s
			var errb bytes.Buffer
			cmd.Stderr = &errb
			cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
			started, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer started.Close()
			cmd.ExtraFiles = []*os.File{w}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			w.Close()
			// From when bubbletea's init is over (the child closes fd 3
			// as its test starts): keys typed before it, or while it
			// waits for its answer, are read by termenv before any code
			// of sesbox runs, and on a loaded machine that wait is long.
			_ = started.SetReadDeadline(time.Now().Add(10 * time.Second))
			if _, err := started.Read(make([]byte, 1)); err != io.EOF {
				t.Fatalf("child did not start: %v", err)
			}
			time.Sleep(at)
			for _, k := range []string{"j", "k", "\x1b[B", "q"} {
				_, _ = io.WriteString(m, k)
				time.Sleep(3 * time.Millisecond)
			}
			if err := cmd.Wait(); err != nil {
				t.Fatalf("child: %v: %s", err, errb.String())
			}
			if got, want := errb.String(), fmt.Sprintf("%q", typed); got != want {
				t.Fatalf("typed at %v (%d questions asked): the TUI would read %s, want %s", at, answered(), got, want)
			}
		})
	}
}
