package viewer

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/sesbox/sesbox/mailstore/mailbox"
	"github.com/sesbox/sesbox/mailstore/mime"
	"github.com/sesbox/sesbox/mailstore/sanitize"
	"github.com/sesbox/sesbox/tui/common"
)

// AttachmentsSavedMsg is sent when saving attachments (or one part) of the
// message Key into Dir has finished; Paths are the files written, even when
// Err says a later one failed.
type AttachmentsSavedMsg struct {
	Key   string
	Dir   string
	Paths []string
	Err   error
}

// AttachmentOpenedMsg is sent when the opener has been started on a private
// copy of a part (Path, inside the temporary directory Dir, which the TUI
// removes when it exits).
type AttachmentOpenedMsg struct {
	Key  string
	Path string
	Dir  string
	Err  error
}

// ClipboardCopiedMsg is sent when an OSC 52 sequence asking the terminal to
// copy What (the S3 key or the Message-ID) has been written.
type ClipboardCopiedMsg struct {
	What string
	Err  error
}

func notice(text string) tea.Cmd {
	return func() tea.Msg { return common.NoticePostedMsg{Text: text} }
}

// saveCmd writes the attachments of v (or only part, when part > 0) into
// dir under safe names, the same way `sesbox save` does.
func saveCmd(v *mime.View, key, dir string, part int) tea.Cmd {
	return func() tea.Msg {
		dir = common.ExpandHome(dir)
		paths, err := mailbox.SaveParts(v, dir, part)
		return AttachmentsSavedMsg{Key: key, Dir: dir, Paths: paths, Err: err}
	}
}

// openCmd copies part p into a fresh private directory (0700, the file
// 0600) and starts opener on it. The opener's output is discarded so it
// cannot draw over the screen; it is reaped in the background.
func openCmd(opener, key string, p mime.Part) tea.Cmd {
	content := p.Content
	name := p.Filename
	if name == "" {
		name = fmt.Sprintf("part-%d", p.Index)
	}
	name = sanitize.Filename(name)
	return func() tea.Msg {
		argv := strings.Fields(opener)
		if len(argv) == 0 {
			return AttachmentOpenedMsg{Key: key, Err: errors.New("open attachment: no opener (set $OPENER)")}
		}
		dir, err := os.MkdirTemp("", "sesbox-open-")
		if err != nil {
			return AttachmentOpenedMsg{Key: key, Err: fmt.Errorf("open attachment: %w", err)}
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, content, 0o600); err != nil {
			return AttachmentOpenedMsg{Key: key, Dir: dir, Err: fmt.Errorf("open attachment: %w", err)}
		}
		cmd := exec.Command(argv[0], append(argv[1:], path)...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, nil, nil
		if err := cmd.Start(); err != nil {
			return AttachmentOpenedMsg{Key: key, Path: path, Dir: dir, Err: fmt.Errorf("open attachment with %s: %w", argv[0], err)}
		}
		go func() { _ = cmd.Wait() }()
		return AttachmentOpenedMsg{Key: key, Path: path, Dir: dir}
	}
}

// copyCmd asks the terminal to put text on the clipboard with OSC 52, which
// also works over SSH. This is our own output, not message content: the text
// is base64 inside the sequence, and sanitized first so a crafted
// Message-ID cannot smuggle a newline into what the user pastes.
func copyCmd(w io.Writer, what, text string) tea.Cmd {
	text = sanitize.Line(text)
	return func() tea.Msg {
		if w == nil {
			return ClipboardCopiedMsg{What: what, Err: errors.New("copy: no terminal to copy to")}
		}
		seq := ansi.SetSystemClipboard(text)
		if os.Getenv("TMUX") != "" {
			// tmux takes OSC 52 itself with set-clipboard on, or passes
			// it through with allow-passthrough on: send it both ways.
			seq += ansi.TmuxPassthrough(seq)
		}
		if _, err := io.WriteString(w, seq); err != nil {
			return ClipboardCopiedMsg{What: what, Err: fmt.Errorf("copy %s: %w", what, err)}
		}
		return ClipboardCopiedMsg{What: what}
	}
}
