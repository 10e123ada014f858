package index

import (
	"context"
	"fmt"
	"os"
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
