package index

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/sesbox/sesbox/mailstore"
)

// fullBatch is batch n of summaries big enough that a few outgrow a small
// file size limit.
func fullBatch(n int) []mailstore.Summary {
	sums := make([]mailstore.Summary, 100)
	for i := range sums {
		sums[i] = mailstore.Summary{Object: mailstore.Object{Key: fmt.Sprintf("k%02d-%03d", n, i), ETag: "e"},
			Subject: strings.Repeat("subject ", 40)}
	}
	return sums
}

// TestWriteRefusedSaysSoAndKeepsTheIndex: an index that cannot grow (a
// full disk; here a file size limit, in a child process, the only one it
// applies to) fails the write with a hint that leads with the index's
// directory: it said "index: disk I/O error (778)" (on a full tmpfs
// "index: database or disk is full (13)"), nothing to act on. What was
// written before stays, and the next run, with room, writes the rest.
func TestWriteRefusedSaysSoAndKeepsTheIndex(t *testing.T) {
	if p := os.Getenv("SESBOX_TEST_INDEX_FSIZE_PATH"); p != "" {
		x, err := Open(p)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		if err := x.Put(ctx, "b", fullBatch(0)); err != nil {
			t.Fatal(err)
		}
		// Past the limit a write fails with EFBIG instead of the
		// process being killed by SIGXFSZ.
		signal.Ignore(syscall.SIGXFSZ)
		st, _ := os.Stat(p + "-wal")
		limit := uint64(st.Size()) + 64<<10
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: limit, Max: limit}); err != nil {
			t.Fatal(err)
		}
		for n := 1; n < 10; n++ {
			if err = x.Put(ctx, "b", fullBatch(n)); err != nil {
				break
			}
		}
		fmt.Printf("ERROR: %s\n", mailstore.Explain(err))
		return
	}
	p := filepath.Join(t.TempDir(), "index.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestWriteRefusedSaysSoAndKeepsTheIndex$")
	cmd.Env = append(os.Environ(), "SESBOX_TEST_INDEX_FSIZE_PATH="+p)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	_, msg, _ := strings.Cut(string(out), "ERROR: ")
	msg, _, _ = strings.Cut(msg, "\n")
	t.Logf("the write past the limit: %s", msg)
	if want := "the index " + p + " could not be written — check the disk holding " + filepath.Dir(p); !strings.HasPrefix(msg, want) {
		t.Errorf("error %q\ndoes not begin with %q", msg, want)
	}
	x, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if x.Notice() != "" {
		t.Errorf("the index was not kept as it was: %s", x.Notice())
	}
	ctx := context.Background()
	loc := mailstore.Location{Bucket: "b"}
	sums, err := x.Summaries(ctx, loc)
	if err != nil || len(sums) < 100 || len(sums)%100 != 0 {
		t.Fatalf("after the refused write: %d rows (want the whole batches written before it), %v", len(sums), err)
	}
	for n := len(sums) / 100; n < 10; n++ {
		if err := x.Put(ctx, "b", fullBatch(n)); err != nil {
			t.Fatalf("with room again: %v", err)
		}
	}
	if sums, err := x.Summaries(ctx, loc); err != nil || len(sums) != 1000 {
		t.Fatalf("with room again: %d rows of 1000, %v", len(sums), err)
	}
}
