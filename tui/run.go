package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/sesbox/sesbox/mailstore/xdg"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/sesbox/sesbox/tui/common"
	"github.com/sesbox/sesbox/tui/keys"
	"github.com/sesbox/sesbox/tui/theme"
)

// Options are the TUI settings cmd/ takes from flags and the config file.
type Options struct {
	// Keys rebinds actions ("list.down" = ["j", "down"]); see keys.Actions.
	Keys map[string][]string
	// Mouse turns on mouse support (wheel scrolling, clicking a row).
	Mouse bool
	// NoColor draws without colour, as NO_COLOR does.
	NoColor bool
	// NoRefresh shows the local index only, without listing the bucket.
	NoRefresh bool
	// Opener opens attachments; default $OPENER, else xdg-open (open on
	// macOS).
	Opener string
	// SaveDir is the directory the save prompts offer; default the current
	// directory.
	SaveDir string
	// LogFile is where the TUI logs; default
	// $XDG_STATE_HOME/sesbox/tui.log (~/.local/state/sesbox/tui.log).
	LogFile string

	// Input and Output default to the terminal; tests set them.
	Input  io.Reader
	Output io.Writer
}

// Run runs the TUI over boxes until the user quits. The terminal is
// restored on every exit path; a panic inside the TUI comes back as an
// error (its stack is in the log file), printed by the caller after the
// terminal is restored.
func Run(ctx context.Context, boxes []Box, opts Options) (err error) {
	if len(boxes) == 0 {
		return errors.New("tui: no mailbox to show")
	}
	km := keys.DefaultKeyMap()
	if err := km.Apply(opts.Keys); err != nil {
		return fmt.Errorf("tui: config keys: %w", err)
	}
	logger, logPath, closeLog, err := openLog(opts.LogFile)
	if err != nil {
		return fmt.Errorf("tui: %w", err)
	}
	defer closeLog()
	logger.Printf("start: %d mailbox(es)", len(boxes))

	out := opts.Output
	if out == nil {
		out = os.Stdout
	}
	r := theme.NewRenderer(out, opts.NoColor)
	// Ask the terminal for its background now: once bubbletea reads the
	// keyboard, the answer would arrive as key presses.
	r.HasDarkBackground()

	c := common.Common{
		Styles:   theme.New(r),
		Keys:     km,
		Now:      time.Now,
		Loc:      time.Local,
		Terminal: out,
		Opener:   opener(opts.Opener),
		SaveDir:  opts.SaveDir,
	}
	if c.SaveDir == "" {
		c.SaveDir, _ = os.Getwd()
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g := newGuard(New(ctx, c, boxes, !opts.NoRefresh, logger))

	popts := []tea.ProgramOption{tea.WithAltScreen(), tea.WithContext(ctx), tea.WithOutput(out)}
	if opts.Input != nil {
		popts = append(popts, tea.WithInput(opts.Input))
	}
	if opts.Mouse {
		popts = append(popts, tea.WithMouseCellMotion())
	}
	p := tea.NewProgram(g, popts...)
	g.box.quit = p.Quit
	final, runErr := p.Run()
	cancel()

	if fg, ok := final.(guard); ok {
		if root, ok := fg.m.(Model); ok {
			for _, d := range root.TempDirs() {
				_ = os.RemoveAll(d)
			}
		}
	}
	if pv := g.box.get(); pv != nil {
		logger.Printf("panic: %v\n%s", pv.val, pv.stack)
		return fmt.Errorf("tui: internal error: %v (stack trace in %s)", pv.val, logPath)
	}
	if runErr != nil && !errors.Is(runErr, tea.ErrProgramKilled) {
		logger.Printf("exit: %v", runErr)
		return fmt.Errorf("tui: %w", runErr)
	}
	if errors.Is(runErr, tea.ErrProgramPanic) {
		return fmt.Errorf("tui: %w (see %s)", runErr, logPath)
	}
	logger.Printf("exit")
	return nil
}

func opener(o string) string {
	if o != "" {
		return o
	}
	if o = os.Getenv("OPENER"); o != "" {
		return o
	}
	if runtime.GOOS == "darwin" {
		return "open"
	}
	return "xdg-open"
}

// openLog opens the log file (never stdout: the TUI owns the terminal).
func openLog(path string) (*log.Logger, string, func(), error) {
	if path == "" {
		var err error
		if path, err = xdg.State("tui.log"); err != nil {
			return nil, "", nil, err
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, "", nil, fmt.Errorf("log: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, "", nil, fmt.Errorf("log: %w", err)
	}
	return log.New(f, "", log.LstdFlags), path, func() { _ = f.Close() }, nil
}

// guard wraps the root so a panic in Update, View or a Cmd quits the
// program the normal way (bubbletea restores the terminal) and is reported
// by Run, instead of being printed over the screen. bubbletea's own panic
// recovery stays on as a second net.
type guard struct {
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

func newGuard(m tea.Model) guard { return guard{m: m, box: &panicBox{}} }

func (g guard) Init() (cmd tea.Cmd) {
	defer func() {
		if r := recover(); r != nil {
			g.box.set(r)
			cmd = tea.Quit
		}
	}()
	return guardCmd(g.m.Init(), g.box)
}

func (g guard) Update(msg tea.Msg) (_ tea.Model, cmd tea.Cmd) {
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

func (g guard) View() (v string) {
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
