package viewer

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/external"
	"github.com/sesbox/sesbox/mailstore/mime"
	"github.com/sesbox/sesbox/mailstore/sanitize"
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
	case m.pipeRaw || m.msg.View == nil:
		return m.msg.Raw
	}
	return DecodedText(m.msg.View)
}

// DecodedText is a message as text: From, To, Cc, Date and Subject, a
// blank line and the body, all decoded to UTF-8 (not sanitized: it goes
// to a program, not the screen).
func DecodedText(v *mime.View) []byte {
	var b strings.Builder
	for _, name := range []string{"From", "To", "Cc", "Date", "Subject"} {
		for _, f := range v.Header {
			if strings.EqualFold(f.Name, name) {
				b.WriteString(f.Name + ": " + f.Value + "\n")
			}
		}
	}
	b.WriteString("\n")
	b.WriteString(v.Body())
	if !strings.HasSuffix(b.String(), "\n") {
		b.WriteString("\n")
	}
	return []byte(b.String())
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
func (m Model) pipeCommand(cmdline string) *PipeCommand {
	return &PipeCommand{Command: cmdline, Input: m.pipeInput(), Wait: true}
}

// PipeCommand is a tea.ExecCommand that pipes Input to Command in the
// terminal and, with Wait, asks for Enter before sesbox redraws.
type PipeCommand struct {
	Command string
	Input   []byte
	Wait    bool

	stdin          io.Reader
	stdout, stderr io.Writer
}

func (p *PipeCommand) SetStdin(r io.Reader)  { p.stdin = r }
func (p *PipeCommand) SetStdout(w io.Writer) { p.stdout = w }
func (p *PipeCommand) SetStderr(w io.Writer) { p.stderr = w }

// Run runs the pipe (the same function the | key uses), then waits.
func (p *PipeCommand) Run() error {
	out, errw := p.stdout, p.stderr
	if out == nil {
		out = io.Discard
	}
	if errw == nil {
		errw = out
	}
	err := external.Pipe(p.Command, p.Input, out, errw)
	if p.Wait && p.stdin != nil {
		status := "done"
		if err != nil {
			status = sanitize.Line(mailstore.Explain(fmt.Errorf("pipe to %q: %w", p.Command, err)))
		}
		fmt.Fprintf(out, "\n[sesbox: %s — press Enter to return] ", status)
		_, _ = bufio.NewReader(p.stdin).ReadString('\n')
	}
	return err
}
