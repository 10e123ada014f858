package env

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

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
	// ASCII draws every frame in ASCII only, for a terminal whose locale
	// is not UTF-8 (see UTF8Locale).
	ASCII bool
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

	// Notices are what mailstore says while the TUI runs (the index
	// healed, or written again after its file was deleted): each goes to
	// the status line and the log, never to stderr under the screen.
	Notices <-chan string

	// Input and Output default to the terminal; tests set them.
	Input  io.Reader
	Output io.Writer
}

// DefaultRefresh is how often a bucket is listed again for new mail.
const DefaultRefresh = 2 * time.Minute

// Every is how often each bucket is listed again; 0 for never.
func (o Options) Every() time.Duration {
	switch {
	case o.NoRefresh || o.Refresh < 0:
		return 0
	case o.Refresh == 0:
		return DefaultRefresh
	}
	return o.Refresh
}

// Common builds what every component shares, drawing on out: the styles
// for its colours and background, the keys with o's rebinds applied.
func (o Options) Common(out io.Writer) (common.Common, error) {
	km := keys.DefaultKeyMap()
	if err := km.Apply(o.Keys); err != nil {
		return common.Common{}, fmt.Errorf("tui: config keys: %w", err)
	}
	r := theme.NewRenderer(out, o.NoColor)
	switch {
	case r.ColorProfile() == termenv.Ascii:
		r.SetHasDarkBackground(true) // no colours (NO_COLOR, TERM=dumb): nothing to ask
	case os.Getenv("COLORFGBG") == "" && out == io.Writer(os.Stdout):
		// bubbletea's init asked the terminal already, through
		// lipgloss's default renderer, which draws on stdout: its
		// answer is taken. Asking again read, and threw away, the keys
		// typed while the answer came (a burst 20 or 50 ms into the
		// start), and an arrow key among them left the answer to be
		// read as keys.
		r.SetHasDarkBackground(lipgloss.HasDarkBackground())
	case os.Getenv("COLORFGBG") != "":
		// The environment says it: the terminal is not asked again.
		r.SetHasDarkBackground(darkFromEnv(os.Getenv("COLORFGBG")))
	default:
		// Another output than stdout (tests): ask it now, as once
		// bubbletea reads the keyboard the answer would arrive as keys.
		r.HasDarkBackground()
	}
	// The bubbles components draw through lipgloss's default renderer,
	// which asks the terminal the first time one draws a colour that
	// depends on the background: with bubbletea reading the keyboard by
	// then, the answer would come in as keys. It is told what r found.
	lipgloss.SetHasDarkBackground(r.HasDarkBackground())
	c := common.Common{
		Styles:   theme.New(r),
		Keys:     km,
		Now:      time.Now,
		Loc:      time.Local,
		Terminal: out,
		Opener:   Opener(o.Opener),
		SaveDir:  o.SaveDir,
		ASCII:    o.ASCII,
		// Read here, not in cmd: nothing but the process decides it.
		JobControl: JobControl(),
	}
	if c.SaveDir == "" {
		c.SaveDir, _ = os.Getwd()
	}
	return c, nil
}

// darkFromEnv reads COLORFGBG ("15;0": foreground;background, as rxvt
// and others set it): a background of ANSI colour 7 (white) or 9-15
// (bright) is light; anything else, or no value, is taken as dark, the
// renderer's own default.
func darkFromEnv(colorFGBG string) bool {
	i := strings.LastIndexByte(colorFGBG, ';') // "fg;default;bg": the last field
	if i < 0 {
		return true
	}
	n, err := strconv.Atoi(colorFGBG[i+1:])
	return err != nil || !(n == 7 || (n >= 9 && n <= 15))
}
