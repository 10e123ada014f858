package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDestinationErrorsLeadWithWhatToDo: a destination that cannot be
// made said what failed alone ("sesbox: export: open
// /proc/.x.mbox.NNN.partial: no such file or directory": /proc takes no
// new files; "file name too long"). Every export, save and snapshot
// destination error leads with what to do, and nothing is left there.
func TestDestinationErrorsLeadWithWhatToDo(t *testing.T) {
	if fi, err := os.Stat("/proc/self"); err != nil || !fi.IsDir() {
		t.Fatalf("this test needs /proc: %v", err)
	}
	dir := isolate(t)
	long := filepath.Join(dir, strings.Repeat("a", 250)+".mbox")
	const takesNone = "sesbox: /proc takes no new files (a virtual file system such as /proc, or a directory removed meanwhile) — write somewhere else ("
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"export", "--mbox", "/proc/x.mbox"}, takesNone},
		// A directory that does not exist is refused before anything
		// is made (TestExportIntoAMissingDirectoryIsRefused); asked to
		// make it, /proc takes none.
		{[]string{"export", "--mbox", "/proc/x/y.mbox"}, "sesbox: to make /proc/x, give --parents"},
		{[]string{"export", "--parents", "--mbox", "/proc/x/y.mbox"}, takesNone},
		{[]string{"export", "--maildir", "/proc/md"}, takesNone},
		{[]string{"audit", "snapshot", "--out", "/proc/s.jsonl"}, takesNone},
		{[]string{"save", "--dir", "/proc", "n3j33daps35in03q84ekkphp4a0lka9bc46b21bh"}, takesNone},
		{[]string{"export", "--mbox", long}, "sesbox: a file name in " + dir + " is too long for its file system — choose a shorter one ("},
	} {
		_, stderr, code := sesbox(t, append([]string{"--demo"}, tc.args...)...)
		if code == 0 || !strings.HasPrefix(stderr, tc.want) {
			t.Errorf("%s: exit %d, stderr:\n%s\nwant it to begin %q", strings.Join(tc.args, " "), code, stderr, tc.want)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*mbox*")); len(left) != 0 {
		t.Errorf("left in %s: %v", dir, left)
	}
}
