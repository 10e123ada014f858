package forward

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/sesbox/sesbox/mailstore/xdg"
)

// TestJournalLock: a second opener (another run) is refused while the first
// has the journal, and let in once it is closed.
func TestJournalLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "forward.jsonl")
	j, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if j2, err := OpenJournal(path); !errors.Is(err, ErrJournalBusy) {
		if j2 != nil {
			j2.Close()
		}
		t.Fatalf("second open: err = %v, want ErrJournalBusy", err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	j2, err := OpenJournal(path)
	if err != nil {
		t.Fatalf("open after Close: %v", err)
	}
	j2.Close()
}

// TestJournalNeverThroughASymlink: a journal replaced by a link (to a
// journal that knows nothing of this machine's sends, say) is refused:
// neither read as this machine's record nor appended to.
func TestJournalNeverThroughASymlink(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "forward.jsonl")
	j, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Record(Entry{Bucket: "b", Key: "k", ETag: "e", Destinations: []string{"d@x.example"}, State: StateSent, SESMessageID: "id"}); err != nil {
		t.Fatal(err)
	}
	j.Close()
	other := filepath.Join(dir, "empty.jsonl")
	if err := os.WriteFile(other, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path, path+".old"); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(other, path); err != nil {
		t.Fatal(err)
	}
	if j, err := OpenJournal(path); !errors.Is(err, xdg.ErrSymlink) {
		if j != nil {
			j.Close()
		}
		t.Fatalf("a journal that is a symlink: %v", err)
	}
}
