package drafts

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore/xdg"
)

// TestDraftsAndSentNeverThroughASymlink: the drafts directory and the
// sent Maildir are sesbox's own: a symlink in place of either (or of one
// of the Maildir's tmp, new, cur) is refused, and nothing is written where
// it leads. Drafts (the reply's text, the quoted mail) and sent copies
// were written through such links.
func TestDraftsAndSentNeverThroughASymlink(t *testing.T) {
	root := t.TempDir()
	own := filepath.Join(root, "sesbox")
	elsewhere := filepath.Join(root, "elsewhere")
	for _, d := range []string{own, elsewhere, filepath.Join(elsewhere, "tmp"), filepath.Join(elsewhere, "new"), filepath.Join(elsewhere, "cur")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	link := func(name string) string {
		p := filepath.Join(own, name)
		if err := os.Symlink(elsewhere, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if s, err := Open(link("drafts")); !errors.Is(err, xdg.ErrSymlink) {
		t.Errorf("drafts a symlink: %v, want ErrSymlink", err)
		if err == nil {
			s.Save(&Draft{ID: "x"})
		}
	}
	if m, err := OpenMaildir(link("sent")); !errors.Is(err, xdg.ErrSymlink) {
		t.Errorf("sent a symlink: %v, want ErrSymlink", err)
		if err == nil {
			m.Deliver([]byte("Subject: x\r\n\r\nx"), time.Now())
		}
	}
	sent := filepath.Join(own, "sent2")
	os.MkdirAll(filepath.Join(sent, "tmp"), 0o700)
	os.Symlink(filepath.Join(elsewhere, "new"), filepath.Join(sent, "new"))
	if m, err := OpenMaildir(sent); !errors.Is(err, xdg.ErrSymlink) {
		t.Errorf("sent/new a symlink: %v, want ErrSymlink", err)
		if err == nil {
			m.Deliver([]byte("Subject: x\r\n\r\nx"), time.Now())
		}
	}
	for _, d := range []string{elsewhere, filepath.Join(elsewhere, "tmp"), filepath.Join(elsewhere, "new")} {
		if ents, _ := os.ReadDir(d); len(ents) > 3 || d != elsewhere && len(ents) > 0 {
			t.Errorf("written through a link into %s: %d entries", d, len(ents))
		}
	}
}
