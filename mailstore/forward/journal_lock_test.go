package forward

import (
	"errors"
	"path/filepath"
	"testing"
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
