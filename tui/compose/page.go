package compose

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/sesbox/sesbox/tui/common"
)

// Kind names the composer page; its results are addressed to it.
const Kind common.Kind = "compose"

// Page is the composer as a root page. It is modal: it is left by its own
// keys (send, postpone, discard), which close it with ComposeClosedMsg.
type Page struct{ m Model }

var (
	_ common.Page   = (*Page)(nil)
	_ common.Modal  = (*Page)(nil)
	_ common.Keeper = (*Page)(nil)
	_ common.Closer = (*Page)(nil)
)

// NewPage makes m a page.
func NewPage(m Model) *Page { return &Page{m: m} }

// Model returns the composer.
func (p *Page) Model() Model { return p.m }

// Update passes msg on; ComposeClosedMsg of this draft closes the page.
func (p *Page) Update(msg tea.Msg) (common.Page, tea.Cmd) {
	if c, ok := msg.(ComposeClosedMsg); ok {
		if c.ID != p.m.DraftID() {
			return p, nil // an earlier composer's
		}
		return p, common.Closed(Kind, c.Text)
	}
	var cmd tea.Cmd
	p.m, cmd = p.m.Update(msg)
	return p, cmd
}

func (p *Page) View() string              { return p.m.View() }
func (p *Page) SetSize(w, h int)          { p.m.SetSize(w, h) }
func (p *Page) Capturing() bool           { return p.m.Capturing() }
func (p *Page) TakesAltKeys() bool        { return p.m.state == stateTextarea }
func (p *Page) Title() string             { return "reply" }
func (p *Page) ShortHelp() []key.Binding  { return p.m.ShortHelp() }
func (p *Page) FullHelp() [][]key.Binding { return p.m.FullHelp() }
func (p *Page) Modal()                    {}

// Closing reports whether the composer is done and waits to be closed.
func (p *Page) Closing() bool { return p.m.state == stateDone }

// HoldQuit asks what to do with the built-in editor's unsaved text before
// the program quits (see Model.HoldQuit).
func (p *Page) HoldQuit() (bool, tea.Cmd) {
	var held bool
	var cmd tea.Cmd
	p.m, held, cmd = p.m.HoldQuit()
	return held, cmd
}

// KeepNow saves the built-in editor's unsaved text as the program ends
// without asking (see Model.KeepNow).
func (p *Page) KeepNow() func() error { return p.m.KeepNow() }

func (DraftCreatedMsg) PageKind() common.Kind   { return Kind }
func (DraftEditedMsg) PageKind() common.Kind    { return Kind }
func (DraftSavedMsg) PageKind() common.Kind     { return Kind }
func (DraftPreparedMsg) PageKind() common.Kind  { return Kind }
func (ReplySentMsg) PageKind() common.Kind      { return Kind }
func (DraftDiscardedMsg) PageKind() common.Kind { return Kind }
func (ComposeClosedMsg) PageKind() common.Kind  { return Kind }
