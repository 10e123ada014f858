package audit

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/sesbox/sesbox/tui/common"
)

// Kind names the audit page; its results are addressed to it.
const Kind common.Kind = "audit"

// Page is the audit view as a root page. It is kept when the user leaves
// it (A shows it again, a verify goes on unseen) and stopped when an audit
// of another mailbox replaces it.
type Page struct {
	m      Model
	hidden bool
}

var (
	_ common.Page         = (*Page)(nil)
	_ common.Backgrounded = (*Page)(nil)
	_ common.Stopper      = (*Page)(nil)
)

// NewPage makes m a page.
func NewPage(m Model) *Page { return &Page{m: m} }

// Model returns the audit view.
func (p *Page) Model() Model { return p.m }

// Update passes msg on. A posture read of another bucket (an earlier
// view's) is dropped; a verify that ends unseen says so.
func (p *Page) Update(msg tea.Msg) (common.Page, tea.Cmd) {
	if r, ok := msg.(PostureReadMsg); ok && (p.m.env.Config == nil || r.Location != p.m.env.Config.Location()) {
		return p, nil
	}
	was := p.m.Running()
	var cmd tea.Cmd
	p.m, cmd = p.m.Update(msg)
	if _, ok := msg.(VerifyFinishedMsg); ok && was && !p.m.Running() && p.hidden {
		cmd = tea.Batch(cmd, common.Notice("audit: the verify has finished ("+p.m.c.Keys.Global.Audit.Help().Key+" shows it)"))
	}
	return p, cmd
}

// Status is shown on the status line while a verify runs unseen.
func (p *Page) Status() string {
	if p.m.Running() {
		return "audit: verifying…"
	}
	return ""
}

// SetHidden tells the page whether the user left it.
func (p *Page) SetHidden(h bool) { p.hidden = h }

// Stop cancels a running verify.
func (p *Page) Stop() { p.m.Stop() }

func (p *Page) View() string              { return p.m.View() }
func (p *Page) SetSize(w, h int)          { p.m.SetSize(w, h) }
func (p *Page) Capturing() bool           { return p.m.Capturing() }
func (p *Page) Title() string             { return "audit" }
func (p *Page) ShortHelp() []key.Binding  { return p.m.ShortHelp() }
func (p *Page) FullHelp() [][]key.Binding { return p.m.FullHelp() }

func (PostureReadMsg) PageKind() common.Kind      { return Kind }
func (VerifyStartedMsg) PageKind() common.Kind    { return Kind }
func (VerifyProgressedMsg) PageKind() common.Kind { return Kind }
func (VerifyFinishedMsg) PageKind() common.Kind   { return Kind }
func (RestoreCopiedMsg) PageKind() common.Kind    { return Kind }

// Orphaned lets a run whose view is gone end.
func (m VerifyStartedMsg) Orphaned() { m.Cancel() }

// Open opens the audit view of t's mailbox. env nil means the mailbox has
// no audit setup (why says why).
func Open(c common.Common, env *Env, why error, t common.Target) common.Opening {
	if env == nil {
		return common.Opening{Notice: common.Unavailable("the audit view", t.Name, why)}
	}
	m := New(c, *env)
	return common.Opening{Kind: Kind, Page: NewPage(m), Cmd: m.Init()}
}
