package actionlog

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore/xdg"
)

func writeLog(t *testing.T, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "state", "sesbox", "actions.jsonl")
	l, err := OpenLog(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for i := range n {
		err := l.Append(Action{
			Time:         time.Date(2025, 3, 1, 12, i, 0, 0, time.UTC),
			Command:      "forward",
			Bucket:       "mail",
			Key:          fmt.Sprintf("inbox/msg%02d", i),
			ETag:         "etag",
			SHA256:       "sum",
			Destinations: []string{"a@example.com"},
			SESMessageID: fmt.Sprintf("ses-%d", i),
			Result:       "sent",
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return path
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.SplitAfter(strings.TrimSuffix(string(data), "\n"), "\n")
}

func writeLines(t *testing.T, path string, lines []string) {
	t.Helper()
	s := strings.Join(lines, "")
	if !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

func kinds(ps []Problem) string {
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "%d:%s ", p.Line, p.Kind)
	}
	return strings.TrimSpace(b.String())
}

func TestActionLogAppendAndVerify(t *testing.T) {
	path := writeLog(t, 5)
	for _, p := range []string{path, HeadPath(path)} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", p, st.Mode().Perm())
		}
	}
	st, _ := os.Stat(filepath.Dir(path))
	if st.Mode().Perm() != 0o700 {
		t.Errorf("dir mode %v, want 0700", st.Mode().Perm())
	}
	actions, problems, err := VerifyLog(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) != 0 {
		t.Fatalf("problems in a clean log: %v", problems)
	}
	if len(actions) != 5 {
		t.Fatalf("got %d actions, want 5", len(actions))
	}
	if actions[0].Prev != "" || actions[1].Prev == "" || actions[4].Seq != 5 {
		t.Errorf("chain fields: first prev %q, second prev %q, last seq %d", actions[0].Prev, actions[1].Prev, actions[4].Seq)
	}
	if actions[0].User == "" || actions[0].Host == "" {
		t.Errorf("user %q host %q not filled", actions[0].User, actions[0].Host)
	}
	count, last, err := LogHead(path)
	if err != nil || count != 5 || len(last) != 64 {
		t.Errorf("LogHead = %d, %q, %v", count, last, err)
	}
}

func TestVerifyLogMissingIsEmpty(t *testing.T) {
	actions, problems, err := VerifyLog(filepath.Join(t.TempDir(), "actions.jsonl"))
	if err != nil || len(actions) != 0 || len(problems) != 0 {
		t.Fatalf("VerifyLog(missing) = %v, %v, %v", actions, problems, err)
	}
}

func TestActionLogChainBreaks(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(t *testing.T, path string)
		want   string // kinds as "line:kind ..."
	}{
		{"edited line", func(t *testing.T, path string) {
			ls := readLines(t, path)
			ls[1] = strings.Replace(ls[1], "a@example.com", "b@example.com", 1)
			writeLines(t, path, ls)
		}, "2:edited"},
		{"edited last line", func(t *testing.T, path string) {
			ls := readLines(t, path)
			ls[4] = strings.Replace(ls[4], `"sent"`, `"failed: no"`, 1)
			writeLines(t, path, ls)
		}, "5:edited"},
		{"removed line", func(t *testing.T, path string) {
			ls := readLines(t, path)
			writeLines(t, path, append(ls[:2:2], ls[3:]...))
		}, "3:removed 0:truncated"},
		{"removed first line", func(t *testing.T, path string) {
			writeLines(t, path, readLines(t, path)[1:])
		}, "1:removed 0:truncated"},
		{"reordered", func(t *testing.T, path string) {
			ls := readLines(t, path)
			ls[1], ls[2] = ls[2], ls[1]
			writeLines(t, path, ls)
		}, "2:reordered 3:reordered 4:reordered"},
		{"truncated tail", func(t *testing.T, path string) {
			writeLines(t, path, readLines(t, path)[:3])
		}, "0:truncated"},
		{"torn last line", func(t *testing.T, path string) {
			data, _ := os.ReadFile(path)
			os.WriteFile(path, data[:len(data)-20], 0o600)
		}, "5:truncated 5:malformed 5:edited"},
		{"appended by hand", func(t *testing.T, path string) {
			ls := readLines(t, path)
			ls[4] += "\n"
			writeLines(t, path, append(ls, ls[4]))
		}, "6:reordered 0:appended"},
		{"head removed", func(t *testing.T, path string) {
			os.Remove(HeadPath(path))
		}, "0:head"},
		{"log removed", func(t *testing.T, path string) {
			os.Remove(path)
		}, "0:truncated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeLog(t, 5)
			tt.tamper(t, path)
			_, problems, err := VerifyLog(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := kinds(problems); got != tt.want {
				t.Errorf("problems %q, want %q\n%v", got, tt.want, problems)
			}
		})
	}
}

// Appending after a truncation must not hide it: the head keeps the anomaly.
func TestActionLogAppendKeepsAnomaly(t *testing.T) {
	path := writeLog(t, 4)
	writeLines(t, path, readLines(t, path)[:2])
	l, err := OpenLog(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Append(Action{Command: "reply", Result: "sent"}); err != nil {
		t.Fatal(err)
	}
	l.Close()
	actions, problems, err := VerifyLog(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(actions) != 3 {
		t.Errorf("%d actions, want 3", len(actions))
	}
	if got := kinds(problems); got != "0:head" || !strings.Contains(problems[0].Detail, "head recorded 4 lines") {
		t.Errorf("problems %v, want the recorded truncation", problems)
	}
}

// A torn line left by a crash stays visible, and the chain runs through it.
func TestActionLogAppendAfterTornLine(t *testing.T) {
	path := writeLog(t, 2)
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`{"time":"2025-`)
	f.Close()
	l, _ := OpenLog(path)
	if err := l.Append(Action{Command: "reply", Result: "sent"}); err != nil {
		t.Fatal(err)
	}
	l.Close()
	actions, problems, err := VerifyLog(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(actions) != 3 || actions[2].Seq != 4 {
		t.Errorf("actions %d, last seq %d", len(actions), actions[len(actions)-1].Seq)
	}
	if got := kinds(problems); got != "3:malformed 0:head" {
		t.Errorf("problems %q: %v", got, problems)
	}
}

// Many writers, each with its own open file (as separate processes have),
// still make one unbroken chain.
func TestActionLogConcurrentWriters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "actions.jsonl")
	const writers, each = 8, 25
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			l, err := OpenLog(path)
			if err != nil {
				t.Error(err)
				return
			}
			defer l.Close()
			for i := range each {
				if err := l.Append(Action{Command: "forward", Key: fmt.Sprintf("w%d-%d", w, i), Result: "sent"}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	actions, problems, err := VerifyLog(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) != 0 {
		t.Fatalf("problems: %v", problems)
	}
	if len(actions) != writers*each {
		t.Fatalf("%d actions, want %d", len(actions), writers*each)
	}
}

func TestDefaultLogPath(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", "/x/state")
	if p, _ := DefaultLogPath(); p != "/x/state/sesbox/actions.jsonl" {
		t.Errorf("got %s", p)
	}
	t.Setenv("XDG_STATE_HOME", "")
	t.Setenv("HOME", "/home/u")
	if p, _ := DefaultLogPath(); p != "/home/u/.local/state/sesbox/actions.jsonl" {
		t.Errorf("got %s", p)
	}
}

func TestLastLine(t *testing.T) {
	dir := t.TempDir()
	for _, content := range []string{"a\n", "a\nbb\n", "a\nbb", strings.Repeat("x", 20000) + "\n" + strings.Repeat("y", 17000) + "\n", "\n"} {
		p := filepath.Join(dir, "f")
		os.WriteFile(p, []byte(content), 0o600)
		f, _ := os.Open(p)
		got, ended, err := lastLine(f, int64(len(content)))
		f.Close()
		trim := strings.TrimSuffix(content, "\n")
		want := trim[strings.LastIndex(trim, "\n")+1:]
		if err != nil || !bytes.Equal(got, []byte(want)) || ended != strings.HasSuffix(content, "\n") {
			t.Errorf("lastLine(%.10q) = %.10q, %v, %v", content, got, ended, err)
		}
	}
}

// TestActionLogAppendWaitsForLock: an Append waits while another holder
// (another process, in real use) has the log's lock, then chains on.
func TestActionLogAppendWaitsForLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "actions.jsonl")
	other, err := xdg.Lock(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Lock(); err != nil {
		t.Fatal(err)
	}
	l, err := OpenLog(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	done := make(chan error, 1)
	go func() { done <- l.Append(Action{Command: "forward", Result: "sent"}) }()
	select {
	case err := <-done:
		t.Fatalf("Append returned (%v) while the lock was held elsewhere", err)
	case <-time.After(200 * time.Millisecond):
	}
	if err := other.Unlock(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if actions, problems, err := VerifyLog(path); err != nil || len(problems) != 0 || len(actions) != 1 {
		t.Fatalf("after append: %d actions, problems %v, err %v", len(actions), problems, err)
	}
}

// TestLogReplacedBySymlink: a log replaced by a link (here to a copy
// that lacks its last line, with the head left alone) is never appended
// through, and verify says it was replaced.
func TestLogReplacedBySymlink(t *testing.T) {
	path := writeLog(t, 3)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	copyPath := filepath.Join(filepath.Dir(path), "elsewhere.jsonl")
	lines := bytes.SplitAfter(data, []byte("\n"))
	if err := os.WriteFile(copyPath, bytes.Join(lines[:2], nil), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(copyPath, path); err != nil {
		t.Fatal(err)
	}
	if lg, err := OpenLog(path); !errors.Is(err, xdg.ErrSymlink) {
		if lg != nil {
			lg.Close()
		}
		t.Fatalf("open through a symlink: %v", err)
	}
	_, problems, err := VerifyLog(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) == 0 || problems[0].Kind != "replaced" || !strings.Contains(problems[0].Detail, copyPath) {
		t.Errorf("problems %v", problems)
	}
}

// A crash between an append's line and the head that counts it leaves a
// line the head does not count. It is sesbox's own line (the head named it
// before it was written), so verify reports nothing, and the next append
// counts it; a line added by hand after such a crash is still "appended".
func TestActionLogCrashBetweenLineAndHead(t *testing.T) {
	path := writeLog(t, 2)
	crashed := errors.New("crash")
	crashAfterLine = func() error { return crashed }
	l, err := OpenLog(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Append(Action{Command: "forward", Key: "inbox/msg02", Result: "sent"}); !errors.Is(err, crashed) {
		t.Fatalf("append: %v, want the crash", err)
	}
	crashAfterLine = func() error { return nil }
	t.Cleanup(func() { crashAfterLine = func() error { return nil } })
	actions, problems, err := VerifyLog(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(actions) != 3 || len(problems) != 0 {
		t.Fatalf("after the crash: %d actions, problems %v; want 3 and none", len(actions), problems)
	}
	if err := l.Append(Action{Command: "reply", Result: "sent"}); err != nil {
		t.Fatal(err)
	}
	l.Close()
	actions, problems, err = VerifyLog(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(actions) != 4 || actions[3].Seq != 4 || len(problems) != 0 {
		t.Fatalf("after the next append: %d actions (last seq %d), problems %v; want 4, seq 4, none", len(actions), actions[len(actions)-1].Seq, problems)
	}

	// Crash again, then a line added by hand: that line is not the one
	// the head named.
	crashAfterLine = func() error { return crashed }
	l, _ = OpenLog(path)
	if err := l.Append(Action{Command: "reply", Result: "sent"}); !errors.Is(err, crashed) {
		t.Fatalf("append: %v, want the crash", err)
	}
	l.Close()
	lines := readLines(t, path)
	forged := strings.Replace(lines[len(lines)-1], `"reply"`, `"forward"`, 1)
	writeLines(t, path, append(lines[:len(lines)-1], forged))
	if _, problems, _ = VerifyLog(path); !strings.Contains(kinds(problems), "appended") && !strings.Contains(kinds(problems), "edited") {
		t.Errorf("a line edited after the crash: problems %v, want it reported", problems)
	}
	writeLines(t, path, append(lines, `{"time":"2025-03-02T00:00:00Z","command":"forward","result":"sent"}`+"\n"))
	if _, problems, _ = VerifyLog(path); !strings.Contains(kinds(problems), "appended") {
		t.Errorf("a line added after the crash: problems %v, want appended", problems)
	}
}

// TestLogReadThroughALinkedDirectoryIsReplaced: the state directory
// replaced by a link (another user's, planted where XDG_STATE_HOME points)
// to a directory holding a whole log and its head, made by a sesbox of
// theirs: OpenLog refuses to write there, but verify read it as this
// machine's log and called it intact, and audit log listed its entries as
// sends made here (sesbox audit log against versitygw, a forged "reply
// sent" line shown with no warning). It is read and named replaced, as a
// linked log file is.
func TestLogReadThroughALinkedDirectoryIsReplaced(t *testing.T) {
	planted := writeLog(t, 2) // a consistent log and head, elsewhere
	root := t.TempDir()
	if err := os.Symlink(filepath.Dir(planted), filepath.Join(root, "sesbox")); err != nil {
		t.Fatal(err)
	}
	actions, problems, err := VerifyLog(filepath.Join(root, "sesbox", "actions.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if len(actions) != 2 {
		t.Errorf("%d actions read, want the 2 behind the link (what it leads to is still shown)", len(actions))
	}
	if len(problems) == 0 || problems[0].Kind != "replaced" || !strings.Contains(problems[0].Detail, filepath.Dir(planted)) {
		t.Errorf("problems %v, want the log named replaced, with where the link leads", problems)
	}
	// A directory above sesbox's own ($XDG_STATE_HOME) may be a link:
	// the user's, not sesbox's.
	user := t.TempDir()
	if err := os.Symlink(filepath.Dir(filepath.Dir(planted)), filepath.Join(user, "state")); err != nil {
		t.Fatal(err)
	}
	if _, problems, _ := VerifyLog(filepath.Join(user, "state", "sesbox", "actions.jsonl")); len(problems) != 0 {
		t.Errorf("a linked XDG_STATE_HOME: problems %v, want none", problems)
	}
}

// TestLogDirectoryNeverASymlink: the sesbox state directory that holds
// the log replaced by a link is refused, and no log is created where it
// leads; the log was written into the link's target.
func TestLogDirectoryNeverASymlink(t *testing.T) {
	root := t.TempDir()
	elsewhere := filepath.Join(root, "elsewhere")
	os.Mkdir(elsewhere, 0o700)
	if err := os.Symlink(elsewhere, filepath.Join(root, "sesbox")); err != nil {
		t.Fatal(err)
	}
	l, err := OpenLog(filepath.Join(root, "sesbox", "actions.jsonl"))
	if !errors.Is(err, xdg.ErrSymlink) {
		t.Errorf("OpenLog through a linked directory: %v, want ErrSymlink", err)
	}
	if err == nil {
		l.Close()
	}
	if ents, _ := os.ReadDir(elsewhere); len(ents) != 0 {
		t.Errorf("%d files created through the link", len(ents))
	}
}
