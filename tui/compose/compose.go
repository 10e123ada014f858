// Package compose is the reply composer: it writes a draft for a reply,
// lets the user edit it in $VISUAL/$EDITOR (handed the terminal with
// tea.ExecProcess) or, with no editor set, in a built-in text area, then
// shows a review screen: send, edit again, add an attachment, discard or
// postpone. The draft is on disk from the first moment, so nothing typed is
// lost, and it stays there when sending fails.
//
// All I/O runs in tea.Cmds built by the free functions in cmds.go; the
// composer tells the root it is done with a ComposeClosedMsg.
package compose

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textarea"
	"github.com/charmbracelet/bubbles/textinput"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/sesbox/sesbox/mailstore"
	mcompose "github.com/sesbox/sesbox/mailstore/compose"
	"github.com/sesbox/sesbox/mailstore/drafts"
	"github.com/sesbox/sesbox/mailstore/mailbox"
	"github.com/sesbox/sesbox/tui/common"
)

// Env is what the composer needs from the program: where drafts live and
// how to send, who the user is in the mailbox, and the editor.
type Env struct {
	// Ctx bounds sends (the root's context).
	Ctx    context.Context
	Outbox *drafts.Outbox
	// Identity and Mailbox describe the mailbox the original is in.
	Identity mcompose.Identity
	Mailbox  string
	Bucket   string
	// Editor is $VISUAL or $EDITOR (drafts.Editor()); empty means the
	// built-in text area.
	Editor string
}

type state int

const (
	stateStarting  state = iota // the draft is being written
	stateEditor                 // the external editor has the terminal
	stateTextarea               // the built-in editor
	statePreparing              // reading the draft back and building it
	stateReview
	stateAttach // the attachment path prompt
	stateConfirmDiscard
	stateConfirmQuit // ctrl+c in the built-in editor, the text changed
	stateQuitting    // saving or deleting the draft before the program quits
	stateSending
	stateDone
)

// textareaMaxLines is what bubbles' textarea holds; a longer draft would
// be cut, so it is only edited in an external editor.
const textareaMaxLines = 10000

// Model is the composer.
type Model struct {
	c             common.Common
	env           Env
	keys          KeyMap
	width, height int

	state    state
	plan     drafts.ReplyPlan
	draft    *drafts.Draft
	prepared *drafts.Prepared
	err      error  // the last error, shown until the next action
	notice   string // e.g. "attached x.pdf"
	// resumed is set for a kept draft (:drafts): discarding on quit then
	// drops only the changes, never the draft the user chose to keep.
	resumed bool
	// typed are the keys typed while the draft was being written (r, then
	// the first words at once): the built-in editor gets them when it
	// opens (see edit).
	typed []tea.KeyMsg

	ta    textarea.Model
	input textinput.Model
	vp    viewport.Model
}

// noIdentityHint is what the TUI's user can do when no From address can
// be chosen for a reply.
const noIdentityHint = `set from = "Name <addr>" for this mailbox in ~/.config/sesbox/config.toml, or list your SES-verified domains in identity_domains, then start sesbox again`

// New returns the composer for a reply to msg as choice says, as sesbox
// reply's flags do (--all, --from, --to): the same drafts.PlanReply. It
// fails, before anything is written, when no From address can be chosen
// or the original names no one to reply to.
func New(c common.Common, env Env, msg *mailbox.Message, choice drafts.ReplyChoice) (Model, error) {
	if env.Outbox == nil || env.Outbox.Drafts == nil {
		return Model{}, errors.New("reply: no drafts directory")
	}
	plan, err := drafts.PlanReply(env.Identity, env.Mailbox, env.Bucket, msg, choice)
	if errors.Is(err, mcompose.ErrNoIdentity) {
		// The CLI's hint names --from, which the TUI has not.
		err = &mailstore.HintError{Hint: noIdentityHint, Err: err}
	}
	if errors.Is(err, mcompose.ErrNoRecipient) {
		// The CLI's hint names sesbox reply --to; here it is a key and
		// the : line.
		err = &mailstore.HintError{Hint: "send the reply to an address you name: " + c.Keys.Mail.ReplyTo.Help().Key + ", or :reply --to ADDR", Err: err}
	}
	if err != nil {
		return Model{}, err
	}
	m := newModel(c, env)
	m.plan = plan
	return m, nil
}

// Resume returns the composer on a kept draft, opening at the review
// screen.
func Resume(c common.Common, env Env, d *drafts.Draft) Model {
	m := newModel(c, env)
	m.draft = d
	m.state = statePreparing
	m.resumed = true
	return m
}

func newModel(c common.Common, env Env) Model {
	if env.Ctx == nil {
		env.Ctx = context.Background()
	}
	m := Model{c: c, env: env, keys: c.Keys.Compose}
	m.ta = newTextarea(c)
	m.input = common.NewInput(c.Styles, "Attach file: ")
	m.vp = viewport.New(0, 0)
	return m
}

func newTextarea(c common.Common) textarea.Model {
	ta := textarea.New()
	st := c.Styles
	// Styles from our renderer: the textarea's defaults would use the
	// default renderer, which probes the terminal.
	s := textarea.Style{
		Base: st.Normal, Text: st.Normal, CursorLine: st.Normal, CursorLineNumber: st.Dim,
		EndOfBuffer: st.Faint, LineNumber: st.Faint, Placeholder: st.Faint, Prompt: st.Faint,
	}
	ta.FocusedStyle, ta.BlurredStyle = s, s
	ta.ShowLineNumbers = false
	ta.Prompt = ""
	ta.MaxHeight = 0
	ta.CharLimit = 0
	ta.Cursor.Style = st.Accent
	ta.Cursor.TextStyle = st.Normal
	ta.Cursor.SetMode(cursor.CursorStatic)
	return ta
}

// SetSize sets the area the composer draws in.
func (m *Model) SetSize(w, h int) {
	m.width, m.height = w, h
	m.ta.SetWidth(max(w, 1))
	m.ta.SetHeight(max(h-3, 1))
	m.input.Width = max(1, w-len(m.input.Prompt)-1)
	m.layout()
}

// DraftID is the id of the draft being composed ("" before it is written).
func (m Model) DraftID() string {
	if m.draft == nil {
		return ""
	}
	return m.draft.ID
}

// Capturing reports whether the composer wants every key (the built-in
// editor or a prompt, or the draft being written, whose keys are for the
// editor): the root then passes keys on without acting on its own global
// ones (a ":" or "?" typed into the reply opened the command line or the
// help).
func (m Model) Capturing() bool {
	switch m.state {
	case stateStarting, stateTextarea, stateAttach, stateConfirmDiscard, stateConfirmQuit, stateQuitting:
		return true
	}
	return false
}

// Init writes the draft (or, for a kept draft, reads and builds it).
func (m Model) Init() tea.Cmd {
	if m.draft != nil {
		return prepareCmd(m.env.Outbox, m.draft.ID)
	}
	return createDraftCmd(m.env.Outbox.Drafts, m.plan)
}

// Update handles keys and the results of the composer's commands.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case DraftCreatedMsg:
		if msg.Err != nil {
			m.err = fmt.Errorf("write the draft: %w", msg.Err)
			m.state = stateReview
			m.typed = nil
			return m, nil
		}
		m.draft = msg.Draft
		if !msg.Kept {
			return m.edit()
		}
		// As a draft resumed from :drafts: a discard on quit drops
		// only the changes.
		m.resumed = true
		m, cmd := m.edit()
		m.notice = fmt.Sprintf("resumed the reply kept %s (not sent) · %s, then %s, discards it",
			m.draft.Meta.Created.In(m.c.Location()).Format("Jan 02 15:04"), m.keys.Done.Help().Key, m.keys.Discard.Help().Key)
		return m, cmd
	case DraftEditedMsg:
		if m.draft == nil || msg.ID != m.draft.ID {
			return m, nil
		}
		m.state = statePreparing
		m.err = msg.Err
		return m, prepareCmd(m.env.Outbox, msg.ID)
	case DraftSavedMsg:
		if m.state == stateQuitting {
			return m.quitSaved(msg.Draft, msg.Err)
		}
		if msg.Err != nil {
			m.err = msg.Err
			m.state = stateReview
			m.layout()
			return m, nil
		}
		if m.draft != nil && msg.Draft.ID == m.draft.ID {
			m.draft = msg.Draft
			m.state = statePreparing
			return m, prepareCmd(m.env.Outbox, msg.Draft.ID)
		}
		return m, nil
	case DraftPreparedMsg:
		if m.draft == nil || msg.ID != m.draft.ID {
			return m, nil
		}
		if msg.Draft != nil {
			m.draft = msg.Draft
		}
		m.prepared = msg.Prepared
		if msg.Err != nil {
			m.err = msg.Err
		}
		m.state = stateReview
		m.layout()
		m.vp.GotoTop()
		return m, nil
	case ReplySentMsg:
		if m.draft == nil || msg.ID != m.draft.ID {
			return m, nil
		}
		if msg.Err != nil {
			m.err = msg.Err
			if errors.Is(msg.Err, drafts.ErrAllBlocked) {
				// The Outbox's hint is in the CLI's words (a flag, then
				// --draft ID); here the draft is still open.
				m.err = &mailstore.HintError{Hint: m.keys.Edit.Help().Key + " edits the recipients: SES would take none of them (why below); or make it take them, then " +
					m.keys.Send.Help().Key + " sends", Err: msg.Err}
			}
			if errors.Is(msg.Err, drafts.ErrUncertain) {
				// The Outbox's hint says to check first; the key that
				// sends it then is the composer's (the CLI's is
				// --retry-uncertain).
				m.err = &mailstore.HintError{Hint: mailstore.Hint(msg.Err) + "; if it did not arrive, " +
					m.keys.SendAgain.Help().Key + " sends it again", Err: msg.Err}
			}
			m.state = stateReview
			m.layout()
			// Also to the error history: the review has one line for
			// it, cut at the screen's edge, and SES says why it
			// refused at length (MessageRejected: … identities …).
			return m, common.Error(m.err)
		}
		m.state = stateDone
		text := "Sent; SES message id " + msg.SESMessageID
		if len(msg.Result.Warnings) > 0 {
			text += " (" + strings.Join(msg.Result.Warnings, "; ") + ")"
		}
		return m, closed(msg.ID, Sent, text)
	case DraftDiscardedMsg:
		if m.draft == nil || msg.ID != m.draft.ID {
			return m, nil
		}
		if m.state == stateQuitting {
			return m.quitSaved(nil, msg.Err)
		}
		if msg.Err != nil {
			m.err = msg.Err
			m.state = stateReview
			return m, nil
		}
		m.state = stateDone
		return m, closed(msg.ID, Discarded, "Draft discarded")
	case tea.KeyMsg:
		return m.updateKey(msg)
	case tea.MouseMsg:
		if m.state == stateReview {
			var cmd tea.Cmd
			m.vp, cmd = m.vp.Update(msg)
			return m, cmd
		}
	}
	if m.state == stateTextarea {
		var cmd tea.Cmd
		m.ta, cmd = m.ta.Update(msg)
		return m, cmd
	}
	return m, nil
}

// edit hands the draft to the external editor, or opens the built-in one
// and types into it the keys typed while the draft was being written. An
// external editor reads the terminal itself; the keys read before it had
// it are dropped, as mutt flushes type-ahead. Nothing typed early reaches
// the review screen, where s sends.
func (m Model) edit() (Model, tea.Cmd) {
	m.err, m.notice = nil, ""
	typed := m.typed
	m.typed = nil
	if m.env.Editor != "" {
		m.state = stateEditor
		return m, editCmd(m.env.Editor, m.draft.ID, m.draft.Path())
	}
	if n := strings.Count(string(m.draft.Text), "\n"); n >= textareaMaxLines {
		m.err = fmt.Errorf("the draft has %d lines, too many for the built-in editor: set $EDITOR (the draft is %s)", n, m.draft.Path())
		m.state = stateReview
		return m, prepareCmd(m.env.Outbox, m.draft.ID)
	}
	m.state = stateTextarea
	m.ta.SetValue(string(m.draft.Text))
	// Start where the user types: the first line of the body.
	for i := 0; m.ta.Line() > 0 && i < 4*textareaMaxLines; i++ {
		m.ta.CursorUp()
	}
	want := strings.Count(headOf(string(m.draft.Text)), "\n") + 2
	for i := 0; m.ta.Line() < want && m.ta.Line() < m.ta.LineCount()-1 && i < 4*textareaMaxLines; i++ {
		m.ta.CursorDown()
	}
	m.ta.CursorStart()
	cmds := []tea.Cmd{m.ta.Focus()}
	for _, k := range typed {
		var cmd tea.Cmd
		m, cmd = m.updateKey(k)
		cmds = append(cmds, cmd)
	}
	return m, tea.Batch(cmds...)
}

// headOf is the header block of a draft's text, up to the blank line.
func headOf(text string) string {
	head, _, _ := strings.Cut(text, "\n\n")
	return head
}

func (m Model) updateKey(msg tea.KeyMsg) (Model, tea.Cmd) {
	k := m.keys
	switch m.state {
	case stateStarting:
		m.typed = append(m.typed, msg)
		return m, nil
	case stateTextarea:
		// Esc typed twice fast is one alt+esc, which the root leaves
		// whole here (Page.TakesAltKeys): it finishes editing, once.
		if key.Matches(msg, k.Done) || msg.Type == tea.KeyEsc && msg.Alt && key.Matches(tea.KeyMsg{Type: tea.KeyEsc}, k.Done) {
			m.ta.Blur()
			m.state = statePreparing
			return m, saveTextCmd(m.env.Outbox.Drafts, *m.draft, m.ta.Value())
		}
		var cmd tea.Cmd
		m.ta, cmd = m.ta.Update(msg)
		return m, cmd
	case stateAttach:
		switch {
		case key.Matches(msg, k.Accept):
			path := strings.TrimSpace(m.input.Value())
			m.input.Blur()
			m.state = stateReview
			if path == "" {
				return m, nil
			}
			m.notice = ""
			return m, attachCmd(m.env.Outbox.Drafts, *m.draft, path)
		case key.Matches(msg, k.Cancel):
			m.input.Blur()
			m.state = stateReview
			return m, nil
		}
		var cmd tea.Cmd
		m.input, cmd = m.input.Update(msg)
		return m, cmd
	case stateConfirmQuit:
		// A burst typed after the question ("nxyz": bubbletea v1 reads
		// it as one key) answers with its first rune; the rest is text
		// for the editor when that answer goes back to it.
		var rest tea.KeyMsg
		if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 && !msg.Paste {
			rest = tea.KeyMsg{Type: tea.KeyRunes, Runes: msg.Runes[1:], Alt: msg.Alt}
			msg = tea.KeyMsg{Type: tea.KeyRunes, Runes: msg.Runes[:1], Alt: msg.Alt}
		}
		switch {
		case key.Matches(msg, k.QuitPostpone):
			return m.postponeAndQuit()
		case key.Matches(msg, k.QuitDiscard):
			if m.resumed {
				// The kept draft stays as it was on disk.
				m.state = stateDone
				return m, common.QuitConfirmed("changes to draft " + m.draft.ID + " discarded; the draft is kept")
			}
			m.state = stateQuitting
			return m, discardCmd(m.env.Outbox.Drafts, m.draft.ID)
		case key.Matches(msg, k.QuitStay):
			m.state = stateTextarea
			focus := m.ta.Focus()
			if len(rest.Runes) == 0 {
				return m, focus
			}
			var cmd tea.Cmd
			m.ta, cmd = m.ta.Update(rest)
			return m, tea.Batch(focus, cmd)
		}
		return m, nil
	case stateConfirmDiscard:
		m.state = stateReview
		if key.Matches(msg, k.Confirm) {
			return m, discardCmd(m.env.Outbox.Drafts, m.draft.ID)
		}
		return m, nil
	case stateReview:
		return m.updateReview(msg)
	}
	return m, nil
}

func (m Model) updateReview(msg tea.KeyMsg) (Model, tea.Cmd) {
	k := m.keys
	if m.draft == nil {
		// Writing the draft failed: nothing to act on but leaving.
		if key.Matches(msg, k.Postpone) || key.Matches(msg, k.Discard) {
			m.state = stateDone
			return m, closed("", Discarded, "Reply abandoned")
		}
		return m, nil
	}
	switch {
	case key.Matches(msg, k.SendAgain) && !key.Matches(msg, k.Send) && !m.uncertain():
		// (A key bound to both, by a [keys] that rebinds send to S,
		// is send's.)
		m.notice = "nothing to send again: no send of this draft is uncertain (" + k.Send.Help().Key + " sends it)"
		return m, nil
	case key.Matches(msg, k.Send, k.SendAgain):
		if m.prepared == nil {
			if m.err == nil {
				m.err = errors.New("the draft is not ready")
			}
			return m, nil
		}
		if m.env.Outbox.Sender == nil {
			// The demo (or a mailbox without SES) keeps replies as
			// drafts, as the README says: nothing failed.
			m.state = stateDone
			return m, closed(m.draft.ID, Postponed, "Not sent (no SES sender here; the demo keeps replies): draft kept in "+m.draft.Path()+", :drafts resumes it")
		}
		o := m.env.Outbox
		if key.Matches(msg, k.SendAgain) && !key.Matches(msg, k.Send) {
			o = o.Retrying()
		}
		m.state, m.err, m.notice = stateSending, nil, ""
		return m, sendCmd(m.env.Ctx, o, m.draft, m.prepared)
	case key.Matches(msg, k.Edit):
		return m.edit()
	case key.Matches(msg, k.Attach):
		m.state = stateAttach
		m.input.SetValue("")
		return m, m.input.Focus()
	case key.Matches(msg, k.Discard):
		m.state = stateConfirmDiscard
		return m, nil
	case key.Matches(msg, k.Postpone):
		m.state = stateDone
		return m, closed(m.draft.ID, Postponed, "Draft kept in "+m.draft.Path())
	}
	var cmd tea.Cmd
	m.vp, cmd = m.vp.Update(msg)
	return m, cmd
}

// uncertain reports whether the draft's last send lost SES's answer: s
// is refused, and SendAgain sends it.
func (m Model) uncertain() bool { return m.draft != nil && m.draft.Meta.Uncertain != "" }

// HoldQuit is asked before the program quits (ctrl+c). In the built-in
// editor with text not yet saved it asks what to do with it, as mutt asks
// "Postpone this message?" when its compose menu is left: postpone (save,
// then quit), discard, or keep editing; a second ctrl+c at that question
// postpones, so nothing typed is ever lost to a quit. While the draft is
// being saved or deleted for the quit, further ctrl+c wait for it. Anywhere
// else the draft on disk is the whole draft, and the program quits.
func (m Model) HoldQuit() (Model, bool, tea.Cmd) {
	switch m.state {
	case stateTextarea:
		if m.draft == nil || m.ta.Value() == string(m.draft.Text) {
			return m, false, nil
		}
		m.ta.Blur()
		m.state = stateConfirmQuit
		return m, true, nil
	case stateConfirmQuit:
		m, cmd := m.postponeAndQuit()
		return m, true, cmd
	case stateQuitting:
		return m, true, nil
	}
	return m, false, nil
}

// KeepNow returns what saves the built-in editor's text to the draft when
// the program ends without asking (kill, a hangup: SIGTERM, SIGHUP), nil
// when the draft on disk holds it all. The kept draft is offered back the
// next time the same message is replied to (drafts.Store.KeptReply).
func (m Model) KeepNow() func() error {
	if (m.state != stateTextarea && m.state != stateConfirmQuit) || m.draft == nil || m.ta.Value() == string(m.draft.Text) {
		return nil
	}
	d := *m.draft
	d.Text = []byte(m.ta.Value())
	return func() error { return m.env.Outbox.Drafts.Save(&d) }
}

// postponeAndQuit saves the built-in editor's text to the draft; the
// program quits once it is saved (quitSaved).
func (m Model) postponeAndQuit() (Model, tea.Cmd) {
	m.state = stateQuitting
	return m, saveTextCmd(m.env.Outbox.Drafts, *m.draft, m.ta.Value())
}

// quitSaved is the end of a quit the composer held: the draft d was saved
// (or deleted, d nil) and the program quits; when that failed, the editor
// comes back with its text and the error, and nothing quits.
func (m Model) quitSaved(d *drafts.Draft, err error) (Model, tea.Cmd) {
	if err != nil {
		m.state = stateTextarea
		m.err = err
		return m, tea.Batch(m.ta.Focus(), common.Error(fmt.Errorf("not quitting: %w", err)))
	}
	m.state = stateDone
	if d == nil {
		return m, common.QuitConfirmed("reply discarded")
	}
	m.draft = d
	return m, common.QuitConfirmed("reply postponed: draft " + d.ID + " kept in " + d.Path())
}
