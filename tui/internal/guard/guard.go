// Package guard keeps a panic inside the TUI from leaving the terminal
// broken: it quits the program the normal way and hands the panic to Run.
package guard

import (
	"runtime/debug"
	"sync"

	tea "github.com/charmbracelet/bubbletea"
)

// Guard wraps the root so a panic in Update, View or a Cmd quits the
// program the normal way (bubbletea restores the terminal) and is reported
// by Run, instead of being printed over the screen. bubbletea's own panic
// recovery stays on as a second net.
type Guard struct {
	m   tea.Model
	box *panicBox
}

type panicBox struct {
	mu  sync.Mutex
	val *panicked
	// quit ends the program from View, which cannot return tea.Quit.
	quit func()
}

type panicked struct {
	val   any
	stack []byte
}

func (b *panicBox) set(v any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.val == nil {
		b.val = &panicked{val: v, stack: debug.Stack()}
	}
}

func (b *panicBox) get() *panicked {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.val
}

// panicCaughtMsg is sent when a Cmd panicked; the guard quits on it.
type panicCaughtMsg struct{}

// New wraps m.
func New(m tea.Model) Guard { return Guard{m: m, box: &panicBox{}} }

// Model is the model inside.
func (g Guard) Model() tea.Model { return g.m }

// SetQuit gives the guard the program's Quit, for a panic in View.
func (g Guard) SetQuit(quit func()) { g.box.quit = quit }

// Panicked returns what panicked and its stack, nil when nothing did.
func (g Guard) Panicked() (val any, stack []byte, ok bool) {
	if p := g.box.get(); p != nil {
		return p.val, p.stack, true
	}
	return nil, nil, false
}

func (g Guard) Init() (cmd tea.Cmd) {
	defer func() {
		if r := recover(); r != nil {
			g.box.set(r)
			cmd = tea.Quit
		}
	}()
	return guardCmd(g.m.Init(), g.box)
}

func (g Guard) Update(msg tea.Msg) (_ tea.Model, cmd tea.Cmd) {
	if _, ok := msg.(panicCaughtMsg); ok || g.box.get() != nil {
		return g, tea.Quit
	}
	defer func() {
		if r := recover(); r != nil {
			g.box.set(r)
			cmd = tea.Quit
		}
	}()
	m, cmd := g.m.Update(msg)
	g.m = m
	return g, guardCmd(cmd, g.box)
}

func (g Guard) View() (v string) {
	if g.box.get() != nil {
		return ""
	}
	defer func() {
		if r := recover(); r != nil {
			g.box.set(r)
			v = ""
			if g.box.quit != nil {
				// View runs on the event loop: Quit must not block it.
				go g.box.quit()
			}
		}
	}()
	return g.m.View()
}

// guardCmd wraps cmd (and the commands of a batch) so a panic becomes a
// panicCaughtMsg.
func guardCmd(cmd tea.Cmd, box *panicBox) tea.Cmd {
	if cmd == nil {
		return nil
	}
	return func() (msg tea.Msg) {
		defer func() {
			if r := recover(); r != nil {
				box.set(r)
				msg = panicCaughtMsg{}
			}
		}()
		msg = cmd()
		if b, ok := msg.(tea.BatchMsg); ok {
			for i := range b {
				b[i] = guardCmd(b[i], box)
			}
		}
		return msg
	}
}
