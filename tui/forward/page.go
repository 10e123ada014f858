package forward

import (
	"cmp"
	"fmt"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/mailbox"
	"github.com/sesbox/sesbox/mailstore/reforward"
	"github.com/sesbox/sesbox/tui/common"
)

// Kind names the forward page; its results are addressed to it.
const Kind common.Kind = "forward"

// Page is the forward screen as a root page: modal (left by its own keys),
// and busy while a run goes on.
type Page struct{ m Model }

var (
	_ common.Page    = (*Page)(nil)
	_ common.Modal   = (*Page)(nil)
	_ common.Busy    = (*Page)(nil)
	_ common.Closer  = (*Page)(nil)
	_ common.Stopper = (*Page)(nil)
)

// NewPage makes m a page.
func NewPage(m Model) *Page { return &Page{m: m} }

// Model returns the forward screen.
func (p *Page) Model() Model { return p.m }

// Update passes msg on. Closing the screen closes the page with the
// totals; marking the failures asks the list to mark them.
func (p *Page) Update(msg tea.Msg) (common.Page, tea.Cmd) {
	switch msg := msg.(type) {
	case ForwardClosedMsg:
		if msg.ID != p.m.ID() {
			return p, nil
		}
		done := common.Closed(Kind, Summary(p.m.Results()))
		if keys := p.m.Marked(); keys != nil {
			// Closed once the list has the marks again: the f of "m q f"
			// typed at once forwards them, whichever answer came first.
			return p, p.marks(keys, done)
		}
		return p, done
	case FailuresMarkedMsg:
		if msg.ID != p.m.ID() {
			return p, nil
		}
		return p, p.marks(msg.Keys, nil)
	}
	var cmd tea.Cmd
	p.m, cmd = p.m.Update(msg)
	return p, cmd
}

// marks asks the list to mark keys, then runs then.
func (p *Page) marks(keys []string, then tea.Cmd) tea.Cmd {
	again := p.m.c.Keys.Mail.Forward.Help().Key
	return func() tea.Msg {
		return common.MarksSetMsg{Keys: keys, Why: "that failed: " + again + " in the list forwards them again", Then: then}
	}
}

// Closing holds the keys typed after the screen was left until the list
// is back: the f of "m q f" typed at once reached the closing screen,
// which dropped it.
func (p *Page) Closing() bool { return p.m.closing }

// Busy refuses to quit while a run goes on: it would be cut off unseen.
func (p *Page) Busy() string {
	if !p.m.Running() {
		return ""
	}
	// Whole at 80 columns: it was cut to "then it can be cl…" there.
	return "a forward is running: " + p.m.keys.Stop.Help().Key + " stops it after this send, then " +
		p.m.keys.Close.Help().Key + " closes it"
}

// Stop stops a run after the send in progress (the program is ending on
// a signal): the root waits for its end, as a send cut off stays
// uncertain in the journal.
func (p *Page) Stop() { p.m.Stop() }

func (p *Page) View() string              { return p.m.View() }
func (p *Page) SetSize(w, h int)          { p.m.SetSize(w, h) }
func (p *Page) Capturing() bool           { return p.m.Capturing() }
func (p *Page) Title() string             { return "re-forward" }
func (p *Page) ShortHelp() []key.Binding  { return p.m.ShortHelp() }
func (p *Page) FullHelp() [][]key.Binding { return p.m.FullHelp() }
func (p *Page) Modal()                    {}

func (ForwardPlannedMsg) PageKind() common.Kind    { return Kind }
func (ForwardProgressedMsg) PageKind() common.Kind { return Kind }
func (ForwardFinishedMsg) PageKind() common.Kind   { return Kind }
func (FailuresMarkedMsg) PageKind() common.Kind    { return Kind }
func (ForwardClosedMsg) PageKind() common.Kind     { return Kind }

// Summary is the status line after the forward screen closes.
func Summary(rs []reforward.Result) string {
	return "forward: " + cmp.Or(reforward.Count(rs).String(), "nothing sent")
}

// Env is a mailbox's re-forward setup: the runner, and the options every
// forward from the mailbox starts with (the forwarding Lambda's config;
// DryRunDir for a mailbox that only writes what it would send).
type Env struct {
	Forwarder Forwarder
	Options   reforward.Options
}

// Open opens the forward screen on t's messages. env nil means the
// mailbox has no re-forward setup (why says why).
func Open(c common.Common, env *Env, why error, t common.Target) common.Opening {
	if env == nil {
		return common.Opening{Notice: common.Unavailable("re-forwarding", t.Name, why)}
	}
	if err := mailbox.RefuseForward(t.ChosenBy, t.RefreshErr); err != nil {
		// As sesbox forward --query refuses it: the Lambda may have
		// delivered them since the log was last read (and a log never
		// read matched none: "no message to forward" was no answer).
		k := c.Keys
		return common.Opening{Err: &mailstore.HintError{
			Hint: "fix the forwarder log's region, endpoint or access (its error is above the list) and list again (" +
				k.Global.Refresh.Help().Key + "), or unmark (" + k.List.Unmark.Help().Key +
				") and mark the messages by hand (" + k.List.Mark.Help().Key + ")",
			Err: err}}
	}
	// :forward --to A --recipient B, as sesbox forward takes them, and
	// checked by the same call: a bad address opens nothing.
	opts := env.Options
	opts.To, opts.Recipients = t.Values["--to"], t.Values["--recipient"]
	if err := opts.Check(); err != nil {
		return common.Opening{Err: fmt.Errorf(":forward %w", err)}
	}
	if err := opts.CheckDestinations(); err != nil {
		// A mailbox without forward_config forwards to addresses given
		// by hand, as sesbox forward --to does: say how, hint first.
		return common.Opening{Err: &mailstore.HintError{
			Hint: ":forward --to ADDR forwards to the addresses you give, or set forward_config for mailbox " + t.Name + " to map its recipients",
			Err:  err}}
	}
	keys := t.Keys()
	if len(keys) == 0 {
		return common.Opening{Notice: "no message to forward"}
	}
	m := New(t.Ctx, c, env.Forwarder, keys, opts)
	return common.Opening{Kind: Kind, Page: NewPage(m), Cmd: m.Init()}
}
