package mailbox

import (
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/sesbox/sesbox/mailstore/mime"
)

// TestSaveFailureLeavesNoPartialFile: an attachment whose write fails
// midway (disk full; here a file size limit) is not left behind under its
// name, where it would pass for the whole attachment; the ones written
// before it are kept whole. The write runs in a child process, the only
// one the size limit applies to.
func TestSaveFailureLeavesNoPartialFile(t *testing.T) {
	const limit = 4096
	if dir := os.Getenv("SESBOX_TEST_SAVE_FSIZE_DIR"); dir != "" {
		// Past the limit a write fails with EFBIG instead of the
		// process being killed by SIGXFSZ.
		signal.Ignore(syscall.SIGXFSZ)
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: limit, Max: limit}); err != nil {
			t.Fatal(err)
		}
		raw := "From: a@example.com\r\nSubject: files\r\nMIME-Version: 1.0\r\n" +
			"Content-Type: multipart/mixed; boundary=b\r\n\r\n" +
			"--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=\"small.txt\"\r\n\r\nsmall\r\n" +
			"--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"big.bin\"\r\n\r\n" +
			strings.Repeat("x", 4*limit) + "\r\n--b--\r\n"
		paths, err := SaveParts(mime.Parse([]byte(raw)), dir, 0)
		if err == nil {
			t.Fatalf("saved %v past the file size limit without an error", paths)
		}
		if len(paths) != 1 || filepath.Base(paths[0]) != "small.txt" {
			t.Errorf("written %v, want small.txt alone", paths)
		}
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSaveFailureLeavesNoPartialFile$")
	cmd.Env = append(os.Environ(), "SESBOX_TEST_SAVE_FSIZE_DIR="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "small.txt" {
		t.Errorf("files left in the directory: %v, want small.txt alone", names)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "small.txt")); string(b) != "small" {
		t.Errorf("small.txt holds %q", b)
	}
}
