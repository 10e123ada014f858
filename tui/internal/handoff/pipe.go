package handoff

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/external"
	"github.com/sesbox/sesbox/mailstore/sanitize"
)

// PipeCommand is a tea.ExecCommand that pipes Input, or the file
// InputFile when it is set, to Command in the terminal and, with Wait,
// asks for Enter before sesbox redraws. InputFile is sesbox's own (a
// mailbox.PipeFile): Run removes it when the command has ended.
type PipeCommand struct {
	Command   string
	Input     []byte
	InputFile string
	Wait      bool

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
	var in io.Reader = bytes.NewReader(p.Input)
	if p.InputFile != "" {
		defer os.Remove(p.InputFile)
		f, err := os.Open(p.InputFile)
		if err != nil {
			return fmt.Errorf("pipe to %q: %w", p.Command, err)
		}
		defer f.Close()
		in = f
	}
	err := external.Pipe(p.Command, in, out, errw)
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
