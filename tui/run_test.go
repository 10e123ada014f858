package tui

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/sesbox/sesbox/internal/lockedbuf"
	"github.com/sesbox/sesbox/mailstore/index"
	"github.com/sesbox/sesbox/mailstore/query"
	"github.com/sesbox/sesbox/tui/internal/fixture"
	"github.com/sesbox/sesbox/tui/internal/guard"
)

// restored reports whether the output ends the session the way a terminal
// needs: alternate screen left, cursor shown.
func restored(out string) bool {
	return strings.Contains(out, "\x1b[?1049l") && strings.Contains(out, "\x1b[?25h")
}

func TestRunRejectsUnknownKeyActions(t *testing.T) {
	err := Run(context.Background(), []Box{{Name: "inbox", Mailbox: fixture.NewFake("a")}}, Options{
		Keys: map[string][]string{"list.dwon": {"j"}}, LogFile: filepath.Join(t.TempDir(), "l"),
	})
	if err == nil || !strings.Contains(err.Error(), "list.dwon") {
		t.Fatalf("got %v", err)
	}
}

type panicky struct{ *fixture.FakeMailbox }

func (panicky) IDs(context.Context, query.Query, query.SortField, bool, int) (index.Listing, error) {
	panic("index exploded")
}

// A panic in a Cmd must not leave the terminal in raw mode or the alternate
// screen: Run quits the normal way and returns the panic as an error.
func TestRunRecoversPanics(t *testing.T) {
	logFile := filepath.Join(t.TempDir(), "tui.log")
	out := &lockedbuf.Buffer{}
	in, inW := io.Pipe()
	defer inW.Close()
	done := make(chan error, 1)
	go func() {
		done <- Run(context.Background(), []Box{{Name: "inbox", Mailbox: panicky{fixture.NewFake("a")}}}, Options{
			Input: in, Output: out, LogFile: logFile,
		})
	}()
	var err error
	select {
	case err = <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not return after a panic")
	}
	if err == nil || !strings.Contains(err.Error(), "internal error: index exploded") {
		t.Fatalf("got %v", err)
	}
	if !restored(out.String()) {
		t.Fatalf("terminal not restored: %q", out.String())
	}
	logged, _ := os.ReadFile(logFile)
	if !strings.Contains(string(logged), "panic: index exploded") || !strings.Contains(string(logged), "goroutine") {
		t.Fatalf("no stack in the log: %s", logged)
	}
}

type viewPanic struct{ tea.Model }

func (v viewPanic) View() string { panic("view exploded") }

func (v viewPanic) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	m, cmd := v.Model.Update(msg)
	return viewPanic{m}, cmd
}

func TestGuardQuitsOnViewPanic(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	g := guard.New(viewPanic{New(ctx, fixture.Common(80, 24), []Box{{Name: "a", Mailbox: fixture.NewFake("a")}}, false, 0, nil)})
	in, inW := io.Pipe()
	defer inW.Close()
	p := tea.NewProgram(g, tea.WithInput(in), tea.WithOutput(&lockedbuf.Buffer{}), tea.WithoutSignals())
	g.SetQuit(p.Quit)
	done := make(chan struct{})
	go func() {
		_, _ = p.Run()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("a View panic did not end the program")
	}
	if val, _, ok := g.Panicked(); !ok || val != "view exploded" {
		t.Fatalf("panic not recorded: %v", val)
	}
}
