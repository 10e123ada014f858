package env

import (
	"fmt"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal pair: what is written to master is the
// input of slave, as keys typed are a terminal's.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("no pseudo-terminals: %v", err)
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

// TestTypedAheadSeesKeysNotYetRead: keys typed before the first screen
// are seen, though no line is whole (so the background is not asked for:
// asking read them and threw them away, and its answer, come after, was
// read as keys), and the terminal's line mode is given back; a terminal
// nobody typed into is asked as before.
func TestTypedAheadSeesKeysNotYetRead(t *testing.T) {
	m, s := openPTY(t)
	if typedAhead(s) {
		t.Fatal("a terminal nobody typed into holds input")
	}
	if _, err := m.WriteString("jj"); err != nil {
		t.Fatal(err)
	}
	// The terminal takes what the master writes in the background.
	seen := false
	for deadline := time.Now().Add(5 * time.Second); !seen && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		seen = typedAhead(s)
	}
	if !seen {
		t.Error("keys typed ahead are not seen")
	}
	tio, err := unix.IoctlGetTermios(int(s.Fd()), unix.TCGETS)
	if err != nil || tio.Lflag&unix.ICANON == 0 {
		t.Errorf("the terminal's line mode was not given back: %v", err)
	}
	if typedAhead(fakeWriter{}) {
		t.Error("a writer that is no terminal holds input")
	}
}

type fakeWriter struct{}

func (fakeWriter) Write(b []byte) (int, error) { return len(b), nil }
