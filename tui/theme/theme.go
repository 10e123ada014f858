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

// Colours are AdaptiveColors: lipgloss picks Light or Dark from the
// renderer's idea of the terminal background.
var (
	colFg        = lipgloss.AdaptiveColor{Light: "#1F1F1F", Dark: "#DDDDDD"}
	colDim       = lipgloss.AdaptiveColor{Light: "#7A7A7A", Dark: "#8A8A8A"}
	colFaint     = lipgloss.AdaptiveColor{Light: "#A8A8A8", Dark: "#5C5C5C"}
	colAccent    = lipgloss.AdaptiveColor{Light: "#5A3FD1", Dark: "#A594F9"}
	colSelBg     = lipgloss.AdaptiveColor{Light: "#D8D2F7", Dark: "#3B3563"}
	colBarBg     = lipgloss.AdaptiveColor{Light: "#E6E6E6", Dark: "#262626"}
	colPass      = lipgloss.AdaptiveColor{Light: "#1B7F3B", Dark: "#5FD787"}
	colFail      = lipgloss.AdaptiveColor{Light: "#C4191F", Dark: "#FF6B6B"}
	colWarn      = lipgloss.AdaptiveColor{Light: "#A05A00", Dark: "#FFB86C"}
	colWarnBg    = lipgloss.AdaptiveColor{Light: "#FFE3C2", Dark: "#5C3200"}
	colMarked    = lipgloss.AdaptiveColor{Light: "#B8007A", Dark: "#FF79C6"}
	colLink      = lipgloss.AdaptiveColor{Light: "#0B5CAD", Dark: "#79B8FF"}
	colTabActive = lipgloss.AdaptiveColor{Light: "#FFFFFF", Dark: "#1A1A1A"}
	colMatchBg   = lipgloss.AdaptiveColor{Light: "#FFE680", Dark: "#6B5B00"}
	colMatchCur  = lipgloss.AdaptiveColor{Light: "#FFB000", Dark: "#C79100"}
	// Quoted text fades with depth, towards the background.
	colQuote1 = lipgloss.AdaptiveColor{Light: "#4A6A8A", Dark: "#9DB4CC"}
	colQuote2 = lipgloss.AdaptiveColor{Light: "#7C8894", Dark: "#7D8893"}
	colQuote3 = lipgloss.AdaptiveColor{Light: "#A3AAB2", Dark: "#5D656D"}
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
		Match:        ns().Foreground(colFg).Background(colMatchBg),
		MatchCurrent: ns().Foreground(colTabActive).Background(colMatchCur).Bold(true),

		Status:      ns().Foreground(colFg).Background(colBarBg),
		StatusKey:   ns().Foreground(colAccent).Background(colBarBg).Bold(true),
		StatusError: ns().Foreground(colFail).Background(colBarBg).Bold(true),
		Prompt:      ns().Foreground(colAccent).Bold(true),

		ProgressFull:  "#A594F9",
		ProgressEmpty: "#5C5C5C",
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
