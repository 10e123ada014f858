package common

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/charmbracelet/x/ansi"

	"github.com/sesbox/sesbox/mailstore/sanitize"
)

// CopyText asks the terminal w to put text on the clipboard with OSC 52,
// which also works over SSH: what (the S3 key, the restore command)
// names it in the error. This is our own output, not message content:
// the text is base64 inside the sequence, and sanitized to one line
// first so a crafted value cannot smuggle a newline into what the user
// pastes.
func CopyText(w io.Writer, what, text string) error {
	text = sanitize.Line(text)
	if w == nil {
		return errors.New("copy: no terminal to copy to")
	}
	seq := ansi.SetSystemClipboard(text)
	if os.Getenv("TMUX") != "" {
		// tmux takes OSC 52 itself with set-clipboard on, or passes
		// it through with allow-passthrough on: send it both ways.
		seq += ansi.TmuxPassthrough(seq)
	}
	if _, err := io.WriteString(w, seq); err != nil {
		return fmt.Errorf("copy %s: %w", what, err)
	}
	return nil
}
