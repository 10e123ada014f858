package viewer

import (
	"strconv"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/sesbox/sesbox/mailstore/mailbox"
	"github.com/sesbox/sesbox/tui/internal/handoff"
)

// The pipe works as mutt's pipe-message does: the command runs in the
// terminal (sesbox steps aside with tea.Exec), so a pager or an
// interactive program works as well as `grep` or `wc`; when it is done,
// sesbox waits for Enter so its output can be read.

func (m Model) pipePrompt() string {
	if m.pipePart > 0 {
		return "pipe part " + strconv.Itoa(m.pipePart) + " (decoded) to: "
	}
	if m.pipeRaw {
		return "pipe raw message to: "
	}
	return "pipe decoded text to: "
}

// pipeInput is what the pipe prompt sends: the stored bytes exactly (raw),
// the shown part's decoded content, or the header fields a reader wants
// and the body text (decoded).
func (m Model) pipeInput() []byte {
	switch {
	case m.msg == nil:
		return nil
	case m.pipePart > 0 && m.pipePart <= len(m.parts):
		return m.parts[m.pipePart-1].Content
	}
	return mailbox.PipeText([]*mailbox.Message{m.msg}, m.pipeRaw)
}

func (m Model) pipe(cmdline string) (Model, tea.Cmd) {
	if cmdline == "" || m.msg == nil {
		return m, nil
	}
	key := m.key
	return m, handoff.Exec(m.pipeCommand(cmdline), func(err error) tea.Msg {
		return ExternalExitedMsg{Key: key, Command: cmdline, Err: err}
	})
}

// pipeCommand is what | runs: cmdline fed the prompt's choice of input.
func (m Model) pipeCommand(cmdline string) *handoff.PipeCommand {
	return &handoff.PipeCommand{Command: cmdline, Input: m.pipeInput(), Wait: true}
}
