package drafts

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/sesbox/sesbox/mailstore"
)

// editorVars are where the user's editor is named, in order.
var editorVars = []string{"VISUAL", "EDITOR"}

// Editor returns the user's editor: $VISUAL, else $EDITOR, else "".
func Editor() string {
	_, e := editorFrom()
	return e
}

// editorFrom is the variable the user's editor is named in and its value;
// "", "" when neither is set.
func editorFrom() (string, string) {
	for _, v := range editorVars {
		if e := strings.TrimSpace(os.Getenv(v)); e != "" {
			return v, e
		}
	}
	return "", ""
}

// EditorCommand returns the command that opens path in editor. editor is
// run by the shell, as git and mutt do, so "code --wait" or
// "vim -c 'set tw=72'" work; path is passed as a separate argument and is
// never parsed by the shell.
func EditorCommand(editor, path string) *exec.Cmd {
	return exec.Command("/bin/sh", "-c", editor+` "$@"`, "sesbox-editor", path)
}

// EditorError says why running editor (EditorCommand) failed: "editor E:
// err", led, when the shell could not find or run it (status 127, 126),
// by what to set: the variable that named it (else EDITOR), for the CLI
// and the TUI alike.
func EditorError(editor string, err error) error {
	if err == nil {
		return nil
	}
	err = fmt.Errorf("editor %s: %w", editor, err)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || (ee.ExitCode() != 127 && ee.ExitCode() != 126) {
		return err
	}
	v, _ := editorFrom()
	if v == "" {
		v = "EDITOR"
	}
	return &mailstore.HintError{Hint: fmt.Sprintf("cannot run the editor %q — set %s to an installed editor (%s=nano, %s=vim)", editor, v, v, v), Err: err}
}
