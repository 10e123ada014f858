package viewer

import (
	"context"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/sanitize"
	"github.com/sesbox/sesbox/tui/common"
)

// Kind names the viewer page; its results are addressed to it.
const Kind = common.ViewerKind

// Page is the viewer as a root page. Back leaves a sub-view (headers, raw,
// parts) before it closes the viewer; the results of saving, opening and
// copying become notices and errors on the status line.
type Page struct{ m Model }

var (
	_ common.Page   = (*Page)(nil)
	_ common.Backer = (*Page)(nil)
)

// NewPage makes m a page.
func NewPage(m Model) *Page { return &Page{m: m} }

// Viewer returns the viewer, for the root to fill in the message shown.
func (p *Page) Viewer() *Model { return &p.m }

// Open shows the message of s at once (its header from the list) and
// reads it from mb, mailbox box of the switcher, in a Cmd.
func (p *Page) Open(ctx context.Context, box int, mb common.Reader, s mailstore.Summary) tea.Cmd {
	p.m.SetLoading(s)
	return loadCmd(ctx, box, mb, s.Key)
}

// Update passes keys and the mouse on and turns the viewer's results into
// status line news.
func (p *Page) Update(msg tea.Msg) (common.Page, tea.Cmd) {
	switch msg := msg.(type) {
	case MessageLoadedMsg:
		switch {
		case msg.Key != p.m.Key():
			return p, nil // the user moved on: a stale answer
		case msg.Err != nil:
			p.m.SetError(msg.Err)
			return p, common.Error(msg.Err)
		}
		wrap := p.m.SetMessage(msg.Message)
		shown := common.MessageShownMsg{Box: msg.Box, Key: msg.Key, Summary: msg.Message.Summary}
		return p, tea.Batch(wrap, func() tea.Msg { return shown })
	case common.ReadChangedMsg:
		if msg.Key == p.m.Key() {
			p.m.SetRead(msg.Read)
		}
		return p, nil
	case AttachmentsSavedMsg:
		if msg.Err != nil {
			return p, common.Error(msg.Err)
		}
		return p, common.Notice("saved " + mailstore.Count(len(msg.Paths), "file") + " to " + sanitize.Line(msg.Dir))
	case AttachmentOpenedMsg:
		var cmds []tea.Cmd
		if msg.Dir != "" {
			dir := msg.Dir
			cmds = append(cmds, func() tea.Msg { return common.TempDirCreatedMsg{Dir: dir} })
		}
		if msg.Err != nil {
			cmds = append(cmds, common.Error(msg.Err))
		} else {
			cmds = append(cmds, common.Notice("opened "+sanitize.Line(msg.Path)))
		}
		return p, tea.Batch(cmds...)
	case ClipboardCopiedMsg:
		if msg.Err != nil {
			return p, common.Error(msg.Err)
		}
		return p, common.Notice("copied the " + msg.What + " (OSC 52)")
	}
	var cmd tea.Cmd
	p.m, cmd = p.m.Update(msg)
	return p, cmd
}

// Back clears a search's highlight when k is the clear-search key (esc
// left the message with it, where the list's esc clears its search
// first); else it leaves a sub-view, and otherwise the root closes the
// viewer.
func (p *Page) Back(k tea.KeyMsg) (bool, tea.Cmd) {
	if p.m.HasSearch() && key.Matches(k, p.m.c.Keys.Viewer.ClearSearch) {
		p.m.ClearSearch()
		return true, common.Notice("search cleared")
	}
	return p.m.Back(), nil
}
func (p *Page) View() string              { return p.m.View() }
func (p *Page) SetSize(w, h int)          { p.m.SetSize(w, h) }
func (p *Page) Resize(w, h int) tea.Cmd   { return p.m.Resize(w, h) }
func (p *Page) Capturing() bool           { return p.m.Capturing() }
func (p *Page) Title() string             { return "message viewer" }
func (p *Page) ShortHelp() []key.Binding  { return p.m.ShortHelp() }
func (p *Page) FullHelp() [][]key.Binding { return p.m.FullHelp() }

func (MessageLoadedMsg) PageKind() common.Kind    { return Kind }
func (m MessageLoadedMsg) ActiveBox() int         { return m.Box }
func (AttachmentsSavedMsg) PageKind() common.Kind { return Kind }
func (AttachmentOpenedMsg) PageKind() common.Kind { return Kind }
func (ClipboardCopiedMsg) PageKind() common.Kind  { return Kind }
