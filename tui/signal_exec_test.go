package tui

import (
	"context"
	"errors"
	"io"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/sesbox/sesbox/internal/lockedbuf"
	"github.com/sesbox/sesbox/tui/internal/fixture"
	"github.com/sesbox/sesbox/tui/internal/handoff"
)

// blocker is a program sesbox hands the terminal to ($EDITOR), which
// runs until release is closed.
type blocker struct {
	started chan struct{}
	release chan struct{}
}

func (b blocker) Run() error {
	close(b.started)
	<-b.release
	return nil
}
func (blocker) SetStdin(io.Reader)  {}
func (blocker) SetStdout(io.Writer) {}
func (blocker) SetStderr(io.Writer) {}

// withExec is the root, and hands the terminal to b on execMsg.
type withExec struct {
	Model
	b blocker
}

type execMsg struct{}

func (w withExec) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if _, ok := msg.(execMsg); ok {
		return w, handoff.Exec(w.b, nil)
	}
	m, cmd := w.Model.Update(msg)
	return withExec{m.(Model), w.b}, cmd
}

// TestSecondSignalWhileAProgramHasTheTerminalStillBlanks: kill twice
// while $EDITOR had the terminal: the second signal killed the program
// (tea.Program.Kill), which could not end sesbox before the editor
// returned either (the event loop runs it), and only skipped the root's
// blank last frame (tmux resized meanwhile then kept rows of it on the
// shell's screen). The quit of the first signal comes once the editor
// returns, as with one signal: the last frame is blank, and Run is not
// killed.
func TestSecondSignalWhileAProgramHasTheTerminalStillBlanks(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b := blocker{started: make(chan struct{}), release: make(chan struct{})}
	root := New(ctx, fixture.Common(80, 24), []Box{{Name: "inbox", Mailbox: fixture.NewFake("a")}}, false, 0, nil)
	in, inW := io.Pipe()
	defer inW.Close()
	p := tea.NewProgram(withExec{root, b}, tea.WithInput(in), tea.WithOutput(&lockedbuf.Buffer{}), tea.WithoutSignalHandler(), tea.WithContext(ctx))
	sigs := make(chan os.Signal, 2)
	var got atomic.Int32
	go relaySignals(ctx, sigs, p, &got)
	type result struct {
		m   tea.Model
		err error
	}
	done := make(chan result, 1)
	go func() {
		m, err := p.Run()
		done <- result{m, err}
	}()
	p.Send(tea.WindowSizeMsg{Width: 80, Height: 24})
	p.Send(execMsg{})
	select {
	case <-b.started:
	case <-time.After(10 * time.Second):
		t.Fatal("the program was not handed the terminal")
	}
	sigs <- syscall.SIGTERM
	sigs <- syscall.SIGTERM
	time.Sleep(200 * time.Millisecond) // the relay takes both
	close(b.release)
	var r result
	select {
	case r = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("sesbox did not end after the program returned")
	}
	if errors.Is(r.err, tea.ErrProgramKilled) {
		t.Fatalf("the second signal killed the program: Run returned %v", r.err)
	}
	if fm, ok := r.m.(withExec); !ok || !fm.quitting || fm.View() != "" {
		t.Fatalf("the last frame is not blank (final model %T)", r.m)
	}
	if syscall.Signal(got.Load()) != syscall.SIGTERM {
		t.Fatalf("the signal recorded is %v", got.Load())
	}
}
