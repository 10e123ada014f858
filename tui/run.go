package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/sesbox/sesbox/tui/common"
	"github.com/sesbox/sesbox/tui/internal/env"
	"github.com/sesbox/sesbox/tui/internal/guard"
)

// Options are the TUI settings cmd/ takes from flags and the config file.
type Options = env.Options

// DefaultRefresh is how often a bucket is listed again for new mail.
const DefaultRefresh = env.DefaultRefresh

// UTF8Locale reports whether the locale of getenv's environment has the
// terminal draw UTF-8; Options.ASCII is for when it does not.
func UTF8Locale(getenv func(string) string) bool { return env.UTF8Locale(getenv) }

// OpenLog opens the TUI's log file (Run logs to the same file) for lines
// of the caller's own: sesbox --debug's request log, which must not reach
// the terminal the TUI owns. closeFn closes it.
func OpenLog() (w io.Writer, closeFn func(), err error) {
	lg, _, closeFn, err := env.OpenLog("")
	if err != nil {
		return nil, nil, err
	}
	return lg.Writer(), closeFn, nil
}

// Run runs the TUI over boxes until the user quits. The terminal is
// restored on every exit path; a panic inside the TUI comes back as an
// error (its stack is in the log file), printed by the caller after the
// terminal is restored.
func Run(ctx context.Context, boxes []Box, opts Options) (err error) {
	if len(boxes) == 0 {
		return errors.New("tui: no mailbox to show")
	}
	out := opts.Output
	if out == nil {
		out = os.Stdout
	}
	c, err := opts.Common(out)
	if err != nil {
		return err
	}

	logger, logPath, closeLog, err := env.OpenLog(opts.LogFile)
	if err != nil {
		return fmt.Errorf("tui: %w", err)
	}
	defer closeLog()
	logger.Printf("start: %s", common.Count(len(boxes), "mailbox"))

	// A dropped SSH connection or a closed terminal window sends SIGHUP,
	// whose default action ends the process at once: the terminal (a tmux
	// pane, a screen window) stays raw and on the alternate screen, and
	// the private copies of attachments stay on disk. Quit the normal way
	// instead; bubbletea itself handles SIGINT and SIGTERM.
	ctx, stopHUP := signal.NotifyContext(ctx, syscall.SIGHUP)
	defer stopHUP()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g := guard.New(New(ctx, c, boxes, !opts.NoRefresh, opts.Every(), logger))

	popts := []tea.ProgramOption{tea.WithAltScreen(), tea.WithContext(ctx), tea.WithOutput(out)}
	if opts.Input != nil {
		popts = append(popts, tea.WithInput(opts.Input))
	}
	if opts.Mouse {
		popts = append(popts, tea.WithMouseCellMotion())
	}
	p := tea.NewProgram(g, popts...)
	g.SetQuit(p.Quit)
	final, runErr := p.Run()
	cancel()

	if fg, ok := final.(guard.Guard); ok {
		if root, ok := fg.Model().(Model); ok {
			for _, d := range root.TempDirs() {
				_ = os.RemoveAll(d)
			}
		}
	}
	if val, stack, ok := g.Panicked(); ok {
		logger.Printf("panic: %v\n%s", val, stack)
		return fmt.Errorf("tui: internal error: %v (stack trace in %s)", val, logPath)
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
