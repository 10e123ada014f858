package drafts

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
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

// TestDraftFilesNeverReadThroughASymlink: a draft's text or metadata
// replaced by a symlink (to a private key, say) is refused by Load and
// Reload, and the file it names keeps its mode. The text was read through
// the link, so a reply sent from the draft carried the linked file, and
// the draft's chmod back to 0600 (os.Stat and os.Chmod) acted on the file
// the link names.
func TestDraftFilesNeverReadThroughASymlink(t *testing.T) {
	root := t.TempDir()
	secret := filepath.Join(root, "id_ed25519")
	if err := os.WriteFile(secret, []byte("PRIVATE KEY\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Open(filepath.Join(root, "state", "sesbox", "drafts"))
	if err != nil {
		t.Fatal(err)
	}
	for _, which := range []func(*Draft) string{(*Draft).Path, (*Draft).metaPath} {
		d, err := s.NewReply(reply(), Meta{}, "words")
		if err != nil {
			t.Fatal(err)
		}
		target := secret
		if which(d) == d.metaPath() {
			// Metadata that parses, so only the link can refuse it.
			b, _ := os.ReadFile(d.metaPath())
			target = filepath.Join(root, "meta.json")
			if err := os.WriteFile(target, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Remove(which(d)); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, which(d)); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Load(d.ID); !errors.Is(err, xdg.ErrSymlink) {
			t.Errorf("Load with %s a symlink: %v, want ErrSymlink", filepath.Base(which(d)), err)
			if err == nil {
				t.Logf("text read: %q", got.Text)
			}
		}
		if which(d) == d.Path() {
			if err := s.Reload(d); !errors.Is(err, xdg.ErrSymlink) || strings.Contains(string(d.Text), "PRIVATE") {
				t.Errorf("Reload with the text a symlink: %v, text %q", err, d.Text)
			}
		}
		if m := mode(t, target); m != 0o644 {
			t.Errorf("%s put to %v through the link", filepath.Base(target), m)
		}
	}
}
