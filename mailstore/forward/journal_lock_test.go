package forward

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore"
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

// TestJournalDirectoryNeverASymlink: the sesbox state directory that
// holds the journal replaced by a link is refused, and no journal (nor
// its lock) is created where it leads.
func TestJournalDirectoryNeverASymlink(t *testing.T) {
	root := t.TempDir()
	elsewhere := filepath.Join(root, "elsewhere")
	os.Mkdir(elsewhere, 0o700)
	if err := os.Symlink(elsewhere, filepath.Join(root, "sesbox")); err != nil {
		t.Fatal(err)
	}
	j, err := OpenJournal(filepath.Join(root, "sesbox", "forward-journal.jsonl"))
	if !errors.Is(err, xdg.ErrSymlink) {
		t.Errorf("OpenJournal through a linked directory: %v, want ErrSymlink", err)
	}
	if err == nil {
		j.Close()
	}
	if ents, _ := os.ReadDir(elsewhere); len(ents) != 0 {
		t.Errorf("%d files created through the link", len(ents))
	}
}

// TestBusyJournalSaysWhatToDo: a second forward on the machine while one
// runs (two terminals, or the TUI's forward screen) was told only
// "forward journal is in use by another process"; it is told first what
// to do, and that nothing is lost by waiting.
func TestBusyJournalSaysWhatToDo(t *testing.T) {
	path := filepath.Join(t.TempDir(), "forward.jsonl")
	j, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	_, err = OpenJournal(path)
	if !errors.Is(err, ErrJournalBusy) {
		t.Fatalf("err %v", err)
	}
	if got := mailstore.Explain(err); !strings.HasPrefix(got, "another sesbox forward run (or the TUI's forward screen) is sending from this machine: wait for it to end, then run the same command again") {
		t.Errorf("said %q", got)
	}
}
