package drafts

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore"
)

// TestEditorThatCannotRunSaysWhatToSet: an $EDITOR naming no installed
// program (EDITOR=nosuch-editor) said "editor nosuch-editor: exit status
// 127" after the shell's own "not found": no word of what to set. It
// leads with the editor and the variable it came from.
func TestEditorThatCannotRunSaysWhatToSet(t *testing.T) {
	path := filepath.Join(t.TempDir(), "draft.txt")
	if err := os.WriteFile(path, []byte("x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("VISUAL", "")
	t.Setenv("EDITOR", "nosuch-editor-for-sesbox")
	editor := Editor()
	cmd := EditorCommand(editor, path)
	err := EditorError(editor, cmd.Run())
	want := `cannot run the editor "nosuch-editor-for-sesbox" — set EDITOR to an installed editor (EDITOR=nano, EDITOR=vim) (editor nosuch-editor-for-sesbox: exit status 127)`
	if got := mailstore.Explain(err); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}

	// An editor that ran and failed is its own business: said as it was.
	err = EditorError("false", EditorCommand("false", path).Run())
	if got := mailstore.Explain(err); !strings.HasPrefix(got, "editor false: exit status 1") {
		t.Errorf("a failing editor: %q", got)
	}
}
