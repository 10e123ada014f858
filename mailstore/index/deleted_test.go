package index

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore"
)

// TestIndexDeletedWhileOpenIsWrittenAgain: the index file deleted while
// sesbox runs (rm ~/.cache/sesbox/index-*.db with the TUI open) took
// every read mark made afterwards with it: they went to the deleted file,
// and the next start found none. The index notices the file gone on its
// next use, writes it again from the copy it still has open (0600), says
// so once, and goes on with it: the marks are there after a reopen. The
// deleted file's journal (-wal, which SQLite leaves behind) is not read
// into the new one: with 300 messages indexed it made it "database disk
// image is malformed".
func TestIndexDeletedWhileOpenIsWrittenAgain(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	for i := range 300 {
		f.srv.Put(t, "mail", fmt.Sprintf("inbox/%03dmsg", i), msg(i, fmt.Sprintf("Subject %d", i), "Alice <alice@example.com>"))
	}
	f.refresh(t)
	x, path := f.idx, f.idx.Path()
	var told []string
	x.SetNotify(func(s string) { told = append(told, s) })
	if err := x.SetRead(ctx, "mail", "inbox/001msg", true); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := x.SetRead(ctx, "mail", "inbox/002msg", true); err != nil {
		t.Fatal(err)
	}
	if len(told) != 1 || !strings.Contains(told[0], "was deleted while sesbox ran; wrote it again") || !strings.Contains(told[0], path) {
		t.Errorf("told %q", told)
	}
	x.Close()
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the index file: %v, %v", fi, err)
	}
	x, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	for _, k := range []string{"inbox/001msg", "inbox/002msg"} {
		if s, ok, err := x.Get(ctx, "mail", k); err != nil || !ok || !s.Read {
			t.Errorf("%s after the file was deleted and sesbox reopened it: read %v, found %v, %v", k, s.Read, ok, err)
		}
	}
}

// TestIndexReplacedWhileOpenIsSaidOnce: a file another process put in the
// index's place is not taken over (its journal is that process's): the
// user is told once to start again, and the index goes on working.
func TestIndexReplacedWhileOpenIsSaidOnce(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := dir + "/i.db"
	x, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	var told []string
	x.SetNotify(func(s string) { told = append(told, s) })
	other, err := Open(dir + "/other.db")
	if err != nil {
		t.Fatal(err)
	}
	other.Close()
	if err := os.Rename(dir+"/other.db", path); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := x.Summaries(ctx, mailstore.Location{Bucket: "b"}); err != nil {
			t.Fatal(err)
		}
	}
	if len(told) != 1 || !strings.HasPrefix(told[0], "quit and start sesbox again: the index "+path+" was replaced") {
		t.Errorf("told %q", told)
	}
}

// TestOpenAfterTheFileWasDeletedUnderAnother: with the index file deleted
// while one sesbox has it open, a second sesbox started then failed
// ("sesbox: index: disk I/O error (522)", tried in tmux): its new file
// met the deleted database's -wal and -shm, still there by name and in
// use by the first (another process: in one process SQLite shares them
// and this passes anyway), and it emptied that -wal under the first.
// Journal files with no database file are no one's to read: Open removes
// their names (the first keeps its open files) and starts a new index.
func TestOpenAfterTheFileWasDeletedUnderAnother(t *testing.T) {
	if path := os.Getenv("SESBOX_TEST_HOLD_INDEX"); path != "" {
		holdIndex(path) // the first sesbox, in a process of its own
		return
	}
	path := filepath.Join(t.TempDir(), "i.db")
	holdIndexElsewhere(t, "TestOpenAfterTheFileWasDeletedUnderAnother", path)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	y, err := Open(path)
	if err != nil {
		t.Fatalf("Open while another process holds the deleted file: %v", err)
	}
	defer y.Close()
	if err := y.Put(context.Background(), "bk", []mailstore.Summary{{Object: mailstore.Object{Key: "p/new", ETag: "e"}}}); err != nil {
		t.Fatal(err)
	}
}

// holdIndexElsewhere runs test in a process of its own, where it calls
// holdIndex(path), and returns once that process said "ready"; the
// process ends when the test does (its stdin closed).
func holdIndexElsewhere(t *testing.T, test, path string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$")
	cmd.Env = append(os.Environ(), "SESBOX_TEST_HOLD_INDEX="+path)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		in.Close()
		cmd.Wait()
	})
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || line != "ready\n" {
		t.Fatalf("the holding process: %q, %v", line, err)
	}
}

// holdIndex opens the index at path, writes to it, says "ready" and keeps
// it open until stdin closes.
func holdIndex(path string) {
	x, err := Open(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer x.Close()
	var sums []mailstore.Summary
	for i := range 300 {
		sums = append(sums, mailstore.Summary{Object: mailstore.Object{Key: fmt.Sprintf("p/%03d", i), ETag: "e"}, Subject: strings.Repeat("words ", 40)})
	}
	if err := x.Put(context.Background(), "bk", sums); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
}

// TestReadOnlyReadsRowsCommittedInTheWAL: OpenReadOnly (ls --cached where
// Open cannot have the index) opened the file in SQLite's immutable mode,
// which reads the database file alone: the rows another sesbox had
// committed but not yet checkpointed (it is mid-index, its -wal holding
// them) were missed, and a file that writer checkpoints meanwhile may be
// read half-changed. Read-only, the index is read with its journal.
func TestReadOnlyReadsRowsCommittedInTheWAL(t *testing.T) {
	if path := os.Getenv("SESBOX_TEST_HOLD_INDEX"); path != "" {
		holdIndex(path) // the writer, in a process of its own
		return
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "i.db")
	x, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := x.Put(ctx, "bk", []mailstore.Summary{{Object: mailstore.Object{Key: "q/old", ETag: "e"}}}); err != nil {
		t.Fatal(err)
	}
	x.Close() // checkpointed: the file holds the schema and q/old
	holdIndexElsewhere(t, "TestReadOnlyReadsRowsCommittedInTheWAL", path)
	if fi, err := os.Stat(path + "-wal"); err != nil || fi.Size() == 0 {
		t.Fatalf("the writer's rows are not in its -wal: %v", err)
	}
	r, err := OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	keys, err := r.KeysWithPrefix(ctx, mailstore.Location{Bucket: "bk"}, "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 301 {
		t.Errorf("read-only, with 300 rows committed in another process's -wal: %d keys of 301", len(keys))
	}
}
