// Package theme holds the one Styles struct every part of the TUI draws
// with. Styles are built from a *lipgloss.Renderer, so tests can hand in an
// Ascii renderer (plain text goldens) and screenshots a TrueColor one.
package theme

import (
	"io"
	"os"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// Colours are given for light and dark terminals (lipgloss picks one from
// the renderer's idea of the background) and for each colour profile: the
// hex values for TrueColor, converted to the 256-colour table for ANSI256,
// and one of the basic eight for ANSI (TERM=xterm and its kin): converted
// from the hex values, most were bright colours (90-97, 100-107), which
// 8-colour terminals (the Linux console, old xterms and screens) draw
// wrongly or not at all. An empty ansi is the terminal's own colour.
func colour(light, dark, ansi string) lipgloss.CompleteAdaptiveColor {
	return colour2(light, dark, ansi, ansi)
}

// colour2 is colour with an ANSI colour for each background.
func colour2(light, dark, ansiLight, ansiDark string) lipgloss.CompleteAdaptiveColor {
	return lipgloss.CompleteAdaptiveColor{
		Light: lipgloss.CompleteColor{TrueColor: light, ANSI256: light, ANSI: ansiLight},
		Dark:  lipgloss.CompleteColor{TrueColor: dark, ANSI256: dark, ANSI: ansiDark},
	}
}

// The basic eight ANSI colours.
const (
	ansiBlack   = "0"
	ansiRed     = "1"
	ansiGreen   = "2"
	ansiYellow  = "3"
	ansiBlue    = "4"
	ansiMagenta = "5"
	ansiCyan    = "6"
	ansiWhite   = "7"
)

var (
	colFg         = colour("#1F1F1F", "#DDDDDD", "")
	colDim        = colour("#7A7A7A", "#8A8A8A", "")
	colFaint      = colour("#A8A8A8", "#5C5C5C", "")
	colAccent     = colour("#5A3FD1", "#A594F9", ansiMagenta)
	colSelBg      = colour2("#D8D2F7", "#3B3563", ansiCyan, ansiBlue)
	colBarBg      = colour2("#E6E6E6", "#262626", ansiWhite, ansiBlack)
	colPass       = colour("#1B7F3B", "#5FD787", ansiGreen)
	colFail       = colour("#C4191F", "#FF6B6B", ansiRed)
	colWarn       = colour2("#A05A00", "#FFB86C", ansiRed, ansiYellow)
	colWarnBg     = colour2("#FFE3C2", "#5C3200", ansiYellow, ansiBlack)
	colMarked     = colour("#B8007A", "#FF79C6", ansiMagenta)
	colLink       = colour2("#0B5CAD", "#79B8FF", ansiBlue, ansiCyan)
	colTabActive  = colour("#FFFFFF", "#1A1A1A", ansiWhite)
	colMatchFg    = colour("#1F1F1F", "#DDDDDD", ansiBlack)
	colMatchBg    = colour("#FFE680", "#6B5B00", ansiYellow)
	colMatchCur   = colour("#FFB000", "#C79100", ansiCyan)
	colMatchCurFg = colour("#FFFFFF", "#1A1A1A", ansiBlack)

	colQuote1 = colour2("#4A6A8A", "#9DB4CC", ansiBlue, ansiCyan)
	colQuote2 = colour("#7C8894", "#7D8893", ansiGreen)
	colQuote3 = colour2("#A3AAB2", "#5D656D", ansiMagenta, ansiYellow)
)

// Styles is everything the TUI draws with. Selection is a background colour
// (never reverse video, which screenshot tools drop); a cursor gutter keeps
// it visible without colour too.
type Styles struct {
	Renderer *lipgloss.Renderer
	// Ascii is true when the renderer draws no colour or attributes at all
	// (NO_COLOR, tests); components add textual cues then.
	Ascii bool

	Normal lipgloss.Style
	Dim    lipgloss.Style
	Faint  lipgloss.Style
	Bold   lipgloss.Style
	Accent lipgloss.Style

	// Tabs (the mailbox switcher).
	Tab       lipgloss.Style
	TabActive lipgloss.Style
	TabBar    lipgloss.Style

	// The message list.
	ColumnHeader lipgloss.Style
	Row          lipgloss.Style
	RowSelected  lipgloss.Style // background only; laid over Row's parts
	Unread       lipgloss.Style
	Marked       lipgloss.Style
	Context      lipgloss.Style // rows shown only as thread context for a filter
	Pass         lipgloss.Style
	Fail         lipgloss.Style
	Neutral      lipgloss.Style
	Danger       lipgloss.Style // spam/virus FAIL

	// The viewer.
	HeaderName  lipgloss.Style
	HeaderValue lipgloss.Style
	Subject     lipgloss.Style
	Warning     lipgloss.Style
	Link        lipgloss.Style
	Rule        lipgloss.Style
	// Quote styles quoted lines by depth: Quote[0] for "> ", Quote[1] for
	// "> > ", Quote[2] for deeper; see QuoteDepth.
	Quote [3]lipgloss.Style
	// Match and MatchCurrent mark search hits in the pager (a background,
	// as for the selection); see Highlight for NO_COLOR.
	Match        lipgloss.Style
	MatchCurrent lipgloss.Style

	// The bottom lines.
	Status      lipgloss.Style
	StatusKey   lipgloss.Style
	StatusError lipgloss.Style
	Prompt      lipgloss.Style

	// Help is handed to bubbles/help.
	Help help.Styles

	// Progress bar colours, for bubbles/progress.
	ProgressFull  string
	ProgressEmpty string
	// Profile is the renderer's colour profile, for bubbles/progress.
	Profile termenv.Profile
}

// NewRenderer returns a renderer for w that honours NO_COLOR (and the
// noColor option from the config file).
func NewRenderer(w io.Writer, noColor bool) *lipgloss.Renderer {
	r := lipgloss.NewRenderer(w)
	if noColor || os.Getenv("NO_COLOR") != "" {
		r.SetColorProfile(termenv.Ascii)
	}
	return r
}

// AsciiRenderer returns a renderer that draws plain text: for tests and
// goldens.
func AsciiRenderer() *lipgloss.Renderer {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	r.SetHasDarkBackground(true)
	return r
}

// New builds the Styles from r.
func New(r *lipgloss.Renderer) Styles {
	ns := r.NewStyle
	s := Styles{
		Renderer: r,
		Ascii:    r.ColorProfile() == termenv.Ascii,
		Profile:  r.ColorProfile(),

		Normal: ns().Foreground(colFg),
		Dim:    ns().Foreground(colDim),
		Faint:  ns().Foreground(colFaint),
		Bold:   ns().Foreground(colFg).Bold(true),
		Accent: ns().Foreground(colAccent).Bold(true),

		Tab:       ns().Foreground(colDim).Background(colBarBg).Padding(0, 1),
		TabActive: ns().Foreground(colTabActive).Background(colAccent).Bold(true).Padding(0, 1),
		TabBar:    ns().Background(colBarBg),

		ColumnHeader: ns().Foreground(colDim).Bold(true),
		Row:          ns().Foreground(colFg),
		RowSelected:  ns().Background(colSelBg),
		Unread:       ns().Foreground(colFg).Bold(true),
		Marked:       ns().Foreground(colMarked).Bold(true),
		Context:      ns().Foreground(colFaint),
		Pass:         ns().Foreground(colPass),
		Fail:         ns().Foreground(colFail).Bold(true),
		Neutral:      ns().Foreground(colDim),
		Danger:       ns().Foreground(colWarn).Background(colWarnBg).Bold(true),

		HeaderName:  ns().Foreground(colDim).Bold(true),
		HeaderValue: ns().Foreground(colFg),
		Subject:     ns().Foreground(colFg).Bold(true),
		Warning:     ns().Foreground(colWarn),
		Link:        ns().Foreground(colLink),
		Rule:        ns().Foreground(colFaint),
		Quote: [3]lipgloss.Style{
			ns().Foreground(colQuote1),
			ns().Foreground(colQuote2),
			ns().Foreground(colQuote3),
		},
		Match:        ns().Foreground(colMatchFg).Background(colMatchBg),
		MatchCurrent: ns().Foreground(colMatchCurFg).Background(colMatchCur).Bold(true),

		Status:      ns().Foreground(colFg).Background(colBarBg),
		StatusKey:   ns().Foreground(colAccent).Background(colBarBg).Bold(true),
		StatusError: ns().Foreground(colFail).Background(colBarBg).Bold(true),
		Prompt:      ns().Foreground(colAccent).Bold(true),

		ProgressFull:  "#A594F9",
		ProgressEmpty: "#5C5C5C",
	}
	if s.Profile == termenv.ANSI {
		s.ProgressFull, s.ProgressEmpty = ansiMagenta, ansiWhite
	}
	key := ns().Foreground(colAccent)
	desc := ns().Foreground(colDim)
	sep := ns().Foreground(colFaint)
	s.Help = help.Styles{
		Ellipsis:       sep,
		ShortKey:       key,
		ShortDesc:      desc,
		ShortSeparator: sep,
		FullKey:        key.Bold(true),
		FullDesc:       desc,
		FullSeparator:  sep,
	}
	return s
}

// Verdict returns the style for one SES verdict value.
func (s Styles) Verdict(v string) lipgloss.Style {
	switch v {
	case "PASS":
		return s.Pass
	case "FAIL":
		return s.Fail
	default:
		return s.Neutral
	}
}

// QuoteStyle returns the style of a line quoted depth levels deep (0: not
// quoted, drawn in Normal).
func (s Styles) QuoteStyle(depth int) lipgloss.Style {
	switch {
	case depth <= 0:
		return s.Normal
	case depth > len(s.Quote):
		return s.Quote[len(s.Quote)-1]
	}
	return s.Quote[depth-1]
}

// Highlight draws a search hit. Without colour (NO_COLOR) a hit would be
// invisible, so it is drawn in reverse video then, an attribute and not a
// colour; the current hit is also underlined.
func (s Styles) Highlight(text string, current bool) string {
	if s.Ascii {
		if current {
			return "\x1b[7;4m" + text + "\x1b[27;24m"
		}
		return "\x1b[7m" + text + "\x1b[27m"
	}
	if current {
		return s.MatchCurrent.Render(text)
	}
	return s.Match.Render(text)
}
