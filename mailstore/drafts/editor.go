package drafts

import (
	"os"
	"os/exec"
	"strings"
)

// Editor returns the user's editor: $VISUAL, else $EDITOR, else "".
func Editor() string {
	for _, v := range []string{"VISUAL", "EDITOR"} {
		if e := strings.TrimSpace(os.Getenv(v)); e != "" {
			return e
		}
	}
	return ""
}

// EditorCommand returns the command that opens path in editor. editor is
// run by the shell, as git and mutt do, so "code --wait" or
// "vim -c 'set tw=72'" work; path is passed as a separate argument and is
// never parsed by the shell.
func EditorCommand(editor, path string) *exec.Cmd {
	return exec.Command("/bin/sh", "-c", editor+` "$@"`, "sesbox-editor", path)
}
