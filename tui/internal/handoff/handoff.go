// Package handoff runs the programs sesbox hands the terminal to ($EDITOR,
// a | pipe, a mailcap viewer) and knows while one runs: the terminal is
// cooked then, so a ctrl+c typed is a SIGINT to the whole foreground
// group, sesbox included, and it is the program's, not the end of sesbox.
package handoff

import (
	"io"
	"os/exec"
	"sync/atomic"

	tea "github.com/charmbracelet/bubbletea"
)

// running counts the programs that have the terminal. It is the
// process's, as signals are.
var running atomic.Int32

// Running reports whether a program sesbox handed the terminal to runs.
func Running() bool { return running.Load() > 0 }

// Exec is tea.Exec, counted in Running while c runs.
func Exec(c tea.ExecCommand, fn tea.ExecCallback) tea.Cmd {
	return tea.Exec(counted{c}, fn)
}

// ExecProcess is tea.ExecProcess, counted in Running while c runs.
func ExecProcess(c *exec.Cmd, fn tea.ExecCallback) tea.Cmd {
	return Exec(process{c}, fn)
}

type counted struct{ tea.ExecCommand }

func (c counted) Run() error {
	running.Add(1)
	defer running.Add(-1)
	return c.ExecCommand.Run()
}

// process is an exec.Cmd as tea.ExecProcess runs it: on the terminal's
// streams unless the caller set its own.
type process struct{ *exec.Cmd }

func (p process) SetStdin(r io.Reader) {
	if p.Stdin == nil {
		p.Stdin = r
	}
}

func (p process) SetStdout(w io.Writer) {
	if p.Stdout == nil {
		p.Stdout = w
	}
}

func (p process) SetStderr(w io.Writer) {
	if p.Stderr == nil {
		p.Stderr = w
	}
}
