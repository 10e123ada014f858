package compose

import (
	"cmp"
	"fmt"
	"net/mail"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/drafts"
	"github.com/sesbox/sesbox/mailstore/sanitize"
	"github.com/sesbox/sesbox/tui/common"
	"github.com/sesbox/sesbox/tui/keys"
)

// DraftsKind names the page of kept drafts (`:drafts`). It lives with the
// composer, whose drafts it lists and which it resumes them in: a page of
// its own package could only reach the composer through the root.
const DraftsKind common.Kind = "drafts"

// DraftsListedMsg is sent when the kept drafts of mailbox Box (the
// switcher's index) have been read for the drafts page.
type DraftsListedMsg struct {
	Box    int
	Drafts []*drafts.Draft
	// Damaged are the drafts whose details cannot be read (their words
	// kept): listed after the others, marked, never resumed.
	Damaged []*drafts.Draft
	Err     error
}

// DraftUnsendableMsg is sent when Enter was pressed on a damaged draft:
// Err says where its words are and what to do with them.
type DraftUnsendableMsg struct{ Err error }

// KeptDraftDeletedMsg is sent when the drafts page has deleted kept draft
// ID (a local file; the bucket is never written).
type KeptDraftDeletedMsg struct {
	ID  string
	Err error
}

func (DraftsListedMsg) PageKind() common.Kind     { return DraftsKind }
func (KeptDraftDeletedMsg) PageKind() common.Kind { return DraftsKind }
func (DraftUnsendableMsg) PageKind() common.Kind  { return DraftsKind }

// DraftsPage lists the kept (postponed) drafts of a mailbox, newest first,
// as mutt's postponed-message menu does: Enter resumes the one under the
// cursor in the composer, d deletes it after asking, q/esc goes back.
type DraftsPage struct {
	c             common.Common
	env           Env
	keys          keys.Drafts
	box           int
	name          string
	width, height int

	loading    bool
	list       []*drafts.Draft
	damaged    int // the last damaged entries of list
	cursor     int
	offset     int
	confirming bool // "Delete this draft?"
	resuming   bool // Enter was pressed: the composer is on its way
	err        error
	notice     string
}

var (
	_ common.Page   = (*DraftsPage)(nil)
	_ common.Closer = (*DraftsPage)(nil)
)

// Closing reports whether a draft is being resumed: the page is about to
// close for the composer.
func (p *DraftsPage) Closing() bool { return p.resuming }

// NewDraftsPage returns the drafts page of mailbox name (box, the
// switcher's index); Init reads the drafts.
func NewDraftsPage(c common.Common, env Env, box int, name string) *DraftsPage {
	return &DraftsPage{c: c, env: env, keys: c.Keys.Drafts, box: box, name: name, loading: true}
}

// Init reads the kept drafts.
func (p *DraftsPage) Init() tea.Cmd { return listKeptCmd(p.box, p.env) }

// listKeptCmd reads the kept drafts of env's mailbox for the drafts page.
func listKeptCmd(box int, env Env) tea.Cmd {
	return func() tea.Msg {
		store, err := draftStore(env)
		if err != nil {
			return DraftsListedMsg{Box: box, Err: err}
		}
		list, damaged, err := store.Kept(env.Mailbox)
		return DraftsListedMsg{Box: box, Drafts: list, Damaged: damaged, Err: err}
	}
}

// unsendableCmd says why damaged draft id cannot be resumed: its Load's
// error names where its words are kept and what to do with them.
func unsendableCmd(store *drafts.Store, id string) tea.Cmd {
	return func() tea.Msg {
		_, err := store.Load(id)
		if err == nil {
			err = fmt.Errorf("draft %s: read again, it is whole: open :drafts again", id)
		}
		return DraftUnsendableMsg{Err: err}
	}
}

// deleteKeptCmd deletes kept draft id.
func deleteKeptCmd(store *drafts.Store, id string) tea.Cmd {
	return func() tea.Msg {
		return KeptDraftDeletedMsg{ID: id, Err: store.Delete(id)}
	}
}

// resumeCmd opens the composer on d, if the mailbox d was listed for is
// still the active one.
func resumeCmd(c common.Common, env Env, box int, d *drafts.Draft) tea.Cmd {
	return func() tea.Msg {
		return common.OpeningReadyMsg{Kind: Kind, Open: func(now common.Target) common.Opening {
			if now.Box != box {
				return common.Opening{}
			}
			m := Resume(c, env, d)
			return common.Opening{Kind: Kind, Page: NewPage(m), Cmd: m.Init()}
		}}
	}
}

// isDamaged says whether list entry i is a draft whose details cannot be
// read.
func (p *DraftsPage) isDamaged(i int) bool { return i >= len(p.list)-p.damaged && i < len(p.list) }

// selected is the draft under the cursor, nil when there is none.
func (p *DraftsPage) selected() *drafts.Draft {
	if p.cursor < 0 || p.cursor >= len(p.list) {
		return nil
	}
	return p.list[p.cursor]
}

// Update handles the page's keys and results.
func (p *DraftsPage) Update(msg tea.Msg) (common.Page, tea.Cmd) {
	switch msg := msg.(type) {
	case DraftsListedMsg:
		if msg.Box != p.box {
			return p, nil
		}
		var keep string
		if d := p.selected(); d != nil {
			keep = d.ID
		}
		p.loading, p.err = false, msg.Err
		p.list = append(slices.Clone(msg.Drafts), msg.Damaged...) // newest first, as the message list
		p.damaged = len(msg.Damaged)
		p.cursor = max(slices.IndexFunc(p.list, func(d *drafts.Draft) bool { return d.ID == keep }), 0)
		p.scroll()
		return p, nil
	case DraftUnsendableMsg:
		p.err = msg.Err
		p.scroll()
		return p, common.Error(msg.Err)
	case KeptDraftDeletedMsg:
		if msg.Err != nil {
			p.err = msg.Err
			p.scroll() // the error's lines may cover the cursor's row
			return p, common.Error(msg.Err)
		}
		if i := slices.IndexFunc(p.list, func(d *drafts.Draft) bool { return d.ID == msg.ID }); i >= 0 {
			if p.isDamaged(i) {
				p.damaged--
			}
			p.list = slices.Delete(p.list, i, i+1)
		}
		p.cursor = min(p.cursor, max(len(p.list)-1, 0))
		p.scroll()
		p.notice = "Draft " + msg.ID + " deleted"
		return p, nil
	case tea.KeyMsg:
		return p.updateKey(msg)
	}
	return p, nil
}

func (p *DraftsPage) updateKey(msg tea.KeyMsg) (common.Page, tea.Cmd) {
	k := p.keys
	p.err, p.notice = nil, ""
	if p.confirming {
		p.confirming = false
		if d := p.selected(); d != nil && key.Matches(msg, k.Confirm) {
			return p, deleteKeptCmd(p.env.Outbox.Drafts, d.ID)
		}
		p.notice = "Not deleted"
		return p, nil
	}
	switch {
	case key.Matches(msg, k.Up):
		p.cursor = max(p.cursor-1, 0)
	case key.Matches(msg, k.Down):
		p.cursor = max(min(p.cursor+1, len(p.list)-1), 0)
	case key.Matches(msg, k.Top):
		p.cursor = 0
	case key.Matches(msg, k.Bottom):
		p.cursor = max(len(p.list)-1, 0)
	case key.Matches(msg, k.Resume):
		if d := p.selected(); d != nil && p.isDamaged(p.cursor) {
			return p, unsendableCmd(p.env.Outbox.Drafts, d.ID)
		} else if d != nil {
			// The list is closed: after the composer, what it showed
			// (this draft, kept) may no longer be so.
			p.resuming = true
			return p, tea.Batch(common.Closed(DraftsKind, ""), resumeCmd(p.c, p.env, p.box, d))
		}
	case key.Matches(msg, k.Delete):
		if p.selected() != nil {
			p.confirming = true
		}
	}
	p.scroll()
	return p, nil
}

// rows is how many drafts fit: the title, the column names and the
// footer (one line, or up to maxErrorLines for an error) take the rest.
func (p *DraftsPage) rows() int {
	return max(p.height-2-strings.Count(p.footer(), "\n")-1, 1)
}

// scroll keeps the cursor in sight.
func (p *DraftsPage) scroll() {
	p.offset = common.KeepInView(p.cursor, p.offset, p.rows(), len(p.list))
}

// SetSize sets the area the page draws in.
func (p *DraftsPage) SetSize(w, h int) {
	p.width, p.height = w, h
	p.scroll()
}

// Capturing reports whether the delete question has the keyboard (q and
// esc answer no there, they do not leave).
func (p *DraftsPage) Capturing() bool { return p.confirming }

func (p *DraftsPage) Title() string { return "drafts" }

// View draws the title, the drafts (when begun, To, Subject) and a line
// for the question, the news, or the id of the draft under the cursor.
func (p *DraftsPage) View() string {
	st := p.c.Styles
	w := max(p.width, 1)
	title := "Kept drafts in mailbox " + sanitize.Line(p.name)
	if !p.loading {
		title += " (" + mailstore.Thousands(len(p.list)) + ")"
	}
	out := []string{st.Bold.Render(common.Truncate(title, w))}
	switch {
	case p.loading:
		out = append(out, st.Dim.Render("Reading the drafts…"))
	case len(p.list) == 0:
		out = append(out, st.Dim.Render(common.Truncate("None. A reply postponed with p, or kept when it could not be sent, shows here.", w)))
	default:
		dateW := 12
		toW := max((w-2-dateW-2)*2/5, 4)
		subjW := max(w-2-dateW-1-toW-1, 1)
		out = append(out, st.ColumnHeader.Render(common.Fit("  "+common.Fit("Begun", dateW)+" "+common.Fit("To", toW)+" Subject", w)))
		end := min(p.offset+p.rows(), len(p.list))
		for i := p.offset; i < end; i++ {
			d := p.list[i]
			to, subj := d.Heading()
			if subj == "" {
				subj = "(no subject)"
			}
			if p.isDamaged(i) {
				subj = "[damaged] " + subj
			}
			date := ""
			if !d.Meta.Created.IsZero() {
				date = d.Meta.Created.In(p.c.Location()).Format("Jan 02 15:04")
			}
			gutter, style := "  ", st.Row
			if i == p.cursor {
				gutter, style = "> ", style.Inherit(st.RowSelected)
			}
			line := gutter + common.Fit(date, dateW) + " " + common.Fit(sanitize.Line(names(to)), toW) + " " + common.Fit(sanitize.Line(subj), subjW)
			out = append(out, style.Render(common.Fit(line, w)))
		}
	}
	footer := p.footer()
	for len(out) < p.height-1-strings.Count(footer, "\n") {
		out = append(out, "")
	}
	return strings.Join(append(out, footer), "\n")
}

// footer is the page's last line, or lines: an error is wrapped on up to
// maxErrorLines, as in the review, so its cause is not cut off.
func (p *DraftsPage) footer() string {
	st := p.c.Styles
	w := max(p.width, 1)
	d := p.selected()
	switch {
	case p.confirming && d != nil:
		return st.Prompt.Render(common.Truncate("Delete draft "+d.ID+"? ("+p.keys.Confirm.Help().Key+"/N)", w))
	case p.err != nil:
		return st.StatusError.Render(strings.Join(errorLines(p.err, w), "\n"))
	case p.notice != "":
		return st.Status.Render(common.Truncate(p.notice, w))
	case d != nil && p.isDamaged(p.cursor):
		return st.Dim.Render(common.Truncate("its details cannot be read; its words are in "+sanitize.Line(d.Path())+" · d deletes it", w))
	case d != nil:
		return st.Dim.Render(common.Truncate("id "+d.ID+" · sesbox reply --draft ID sends it from the shell", w))
	}
	return ""
}

// ShortHelp implements help.KeyMap.
func (p *DraftsPage) ShortHelp() []key.Binding {
	k := p.keys
	if p.confirming {
		return []key.Binding{k.Confirm}
	}
	return []key.Binding{k.Resume, k.Delete, k.Up, k.Down}
}

// FullHelp implements help.KeyMap.
func (p *DraftsPage) FullHelp() [][]key.Binding {
	k := p.keys
	return [][]key.Binding{{k.Resume, k.Delete, k.Confirm}, {k.Up, k.Down, k.Top, k.Bottom}}
}

// names shortens a To line to its people: the display names, or the
// address where there is none; a line that does not parse stays as typed.
func names(to string) string {
	as, err := mail.ParseAddressList(to)
	if err != nil {
		return to
	}
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = cmp.Or(a.Name, a.Address)
	}
	return strings.Join(out, ", ")
}
