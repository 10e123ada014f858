package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/mailbox"
	"github.com/sesbox/sesbox/mailstore/sanitize"
	"github.com/sesbox/sesbox/tui/common"
	"github.com/sesbox/sesbox/tui/internal/env"
	"github.com/sesbox/sesbox/tui/internal/guard"
	"github.com/sesbox/sesbox/tui/internal/handoff"
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
	logger.Printf("start: %s", mailstore.Count(len(boxes), "mailbox"))
	// A pipe's file (0600, under the cache) is removed when its command
	// ends; a sesbox killed meanwhile, or while it read the messages,
	// left it: removed here, and this run's as the TUI ends (a file a
	// read still writes then goes at the next start).
	sweepPipeFiles(logger, false)
	defer sweepPipeFiles(logger, true)

	// kill, a dropped SSH connection (SIGHUP), or ctrl+c when the input is
	// not a terminal: the TUI quits as on q (the last frame blanked, the
	// terminal restored, temporary files removed), where SIGHUP's default
	// action left the terminal raw and on the alternate screen, and
	// bubbletea's own handler made SIGTERM a plain quit (exit 0). Run
	// returns a SignalledError, which sesbox exits with as a shell reports
	// a command the signal ended.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g := guard.New(New(ctx, c, boxes, !opts.NoRefresh, opts.Every(), logger))

	popts := []tea.ProgramOption{tea.WithAltScreen(), tea.WithContext(ctx), tea.WithOutput(out), tea.WithoutSignalHandler()}
	if opts.Input != nil {
		popts = append(popts, tea.WithInput(opts.Input))
	}
	if opts.Mouse {
		popts = append(popts, tea.WithMouseCellMotion())
	}
	p := tea.NewProgram(g, popts...)
	g.SetQuit(p.Quit)
	var got atomic.Int32
	go relaySignals(ctx, sigs, p, &got)
	go relayNotices(ctx, opts.Notices, p, logger)
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
	if sig := syscall.Signal(got.Load()); sig != 0 {
		logger.Printf("exit: %v", sig)
		return SignalledError{Signal: sig}
	}
	logger.Printf("exit")
	return nil
}

// sweepPipeFiles removes the pipe files left by sesboxes that ended
// (mailbox.RemovePipeFiles), this one's too with own, and logs it.
func sweepPipeFiles(logger *log.Logger, own bool) {
	n, err := mailbox.RemovePipeFiles(own)
	if n > 0 {
		logger.Printf("removed %s a pipe left", mailstore.Count(n, "file"))
	}
	if err != nil {
		logger.Printf("pipe files: %v", err)
	}
}

// relayNotices shows each of notices on the status line and logs it,
// until ctx ends.
func relayNotices(ctx context.Context, notices <-chan string, p *tea.Program, logger *log.Logger) {
	for {
		select {
		case <-ctx.Done():
			return
		case n, ok := <-notices:
			if !ok {
				return
			}
			n = sanitize.Line(n)
			logger.Printf("notice: %s", n)
			p.Send(common.NoticePostedMsg{Text: n})
		}
	}
}

// SignalledError is Run's error when a signal ended the TUI.
type SignalledError struct{ Signal syscall.Signal }

func (e SignalledError) Error() string { return "tui: " + e.Signal.String() }

// ExitCode is the status a shell gives a command the signal ended: 128
// and the signal's number (143 for SIGTERM, 130 for SIGINT, 129 for
// SIGHUP).
func (e SignalledError) ExitCode() int { return 128 + int(e.Signal) }

// signalledMsg is sent when a signal asks the TUI to end.
type signalledMsg struct{ sig syscall.Signal }

// keptMsg is sent when the built-in editor's text has been kept for a
// quit a signal asked for.
type keptMsg struct{}

// relaySignals hands the first signal to the program as a signalledMsg,
// which quits the way q does, and records it in got. A SIGINT while a
// program sesbox handed the terminal to runs (| pipe, $EDITOR, a mailcap
// viewer) is the ctrl+c typed to that program, and is left to it. A second
// signal ends the program without waiting (the event loop is stuck),
// unless such a program still has the terminal: the event loop runs it
// and cannot end before it returns, so tea.Program.Kill would not end
// sesbox sooner, only skip the root's blank last frame (tmux, resized
// meanwhile, kept rows of the last frame on the shell's screen); the
// first signal's quit comes when it returns, and a signal after that
// kills.
func relaySignals(ctx context.Context, sigs <-chan os.Signal, p *tea.Program, got *atomic.Int32) {
	for {
		select {
		case <-ctx.Done():
			return
		case s := <-sigs:
			sig, ok := s.(syscall.Signal)
			if !ok || (sig == syscall.SIGINT && handoff.Running()) {
				continue
			}
			if got.CompareAndSwap(0, int32(sig)) {
				// Send waits while a program has the terminal.
				go p.Send(signalledMsg{sig})
				continue
			}
			if handoff.Running() {
				continue
			}
			p.Kill()
			return
		}
	}
}
