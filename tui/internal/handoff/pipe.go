package handoff

import (
	"bufio"
	"fmt"
	"io"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/external"
	"github.com/sesbox/sesbox/mailstore/sanitize"
)

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

// Run runs the pipe (external.Pipe, for the viewer's | and the list's),
// then waits.
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
