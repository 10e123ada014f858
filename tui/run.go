package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/sesbox/sesbox/tui/common"
	"github.com/sesbox/sesbox/tui/internal/env"
	"github.com/sesbox/sesbox/tui/internal/guard"
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
	// Refresh is how often each bucket is listed again for new mail
	// (config refresh = "2m"); 0 means the default, 2 minutes; negative
	// turns it off.
	Refresh time.Duration
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
	logger, logPath, closeLog, err := env.OpenLog(opts.LogFile)
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
		Opener:   env.Opener(opts.Opener),
		SaveDir:  opts.SaveDir,
	}
	if c.SaveDir == "" {
		c.SaveDir, _ = os.Getwd()
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g := guard.New(NewEvery(ctx, c, boxes, !opts.NoRefresh, refreshEvery(opts), logger))

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

// DefaultRefresh is how often a bucket is listed again for new mail.
const DefaultRefresh = 2 * time.Minute

func refreshEvery(o Options) time.Duration {
	switch {
	case o.NoRefresh || o.Refresh < 0:
		return 0
	case o.Refresh == 0:
		return DefaultRefresh
	}
	return o.Refresh
}
