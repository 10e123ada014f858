package compose

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/sesbox/sesbox/mailstore/drafts"
	"github.com/sesbox/sesbox/mailstore/xdg"
	"github.com/sesbox/sesbox/tui/internal/handoff"
)

// DraftCreatedMsg is sent when the draft of a new reply has been written
// to the drafts directory, or (Kept) a kept draft of a reply to the same
// message was found to go on with.
type DraftCreatedMsg struct {
	Draft *drafts.Draft
	Kept  bool
	Err   error
}

// DraftEditedMsg is sent when the external editor on draft ID has exited.
type DraftEditedMsg struct {
	ID  string
	Err error
}

// DraftSavedMsg is sent when the text or attachments of a draft have been
// written back (after the built-in editor, or adding an attachment).
type DraftSavedMsg struct {
	Draft *drafts.Draft
	Err   error
}

// DraftPreparedMsg is sent when draft ID has been read back from disk and
// built into the exact bytes that would be sent. Draft is the draft as
// read; Err says what is wrong with it (the review screen shows it).
type DraftPreparedMsg struct {
	ID       string
	Draft    *drafts.Draft
	Prepared *drafts.Prepared
	Err      error
}

// ReplySentMsg is sent when a send of draft ID has finished: SESMessageID
// is SES's id, or Err (a *drafts.SendError when SES refused; the draft is
// kept) says why not.
type ReplySentMsg struct {
	ID           string
	SESMessageID string
	Result       drafts.Result
	Err          error
}

// DraftDiscardedMsg is sent when draft ID has been deleted.
type DraftDiscardedMsg struct {
	ID  string
	Err error
}

// Outcome says how a compose session ended.
type Outcome int

const (
	// Sent: SES accepted the reply.
	Sent Outcome = iota
	// Postponed: the draft stays in the drafts directory.
	Postponed
	// Discarded: the draft was deleted.
	Discarded
)

// ComposeClosedMsg is sent when the composer is done (sent, postponed or
// discarded); the root closes it and shows Text on the status line.
type ComposeClosedMsg struct {
	ID      string
	Outcome Outcome
	Text    string
}

// createDraftCmd writes the draft of a planned reply, unless a kept
// draft of a reply to the same message has the user's words in it.
func createDraftCmd(store *drafts.Store, p drafts.ReplyPlan) tea.Cmd {
	return func() tea.Msg {
		d, kept, err := store.StartReply(p)
		return DraftCreatedMsg{Draft: d, Kept: kept, Err: err}
	}
}

// editCmd runs the external editor on the draft's file, handing it the
// terminal (tea.ExecProcess).
func editCmd(editor, id, path string) tea.Cmd {
	return handoff.ExecProcess(drafts.EditorCommand(editor, path), func(err error) tea.Msg {
		return DraftEditedMsg{ID: id, Err: drafts.EditorError(editor, err)}
	})
}

// saveTextCmd writes text as draft d's new text (d itself is not changed:
// the message carries the saved copy).
func saveTextCmd(store *drafts.Store, d drafts.Draft, text string) tea.Cmd {
	d.Text = []byte(text)
	return func() tea.Msg {
		err := store.Save(&d)
		return DraftSavedMsg{Draft: &d, Err: err}
	}
}

// attachCmd adds the file at path to draft d after checking it is a
// regular file.
func attachCmd(store *drafts.Store, d drafts.Draft, path string) tea.Cmd {
	d.Meta.Attachments = append([]string(nil), d.Meta.Attachments...)
	return func() tea.Msg {
		abs, err := filepath.Abs(xdg.ExpandHome(path))
		if err != nil {
			return DraftSavedMsg{Err: fmt.Errorf("attach %s: %w", path, err)}
		}
		st, err := os.Stat(abs)
		if err != nil {
			return DraftSavedMsg{Err: fmt.Errorf("attach: %w", err)}
		}
		if !st.Mode().IsRegular() {
			return DraftSavedMsg{Err: fmt.Errorf("attach %s: not a regular file", path)}
		}
		d.Meta.Attachments = append(d.Meta.Attachments, abs)
		if err := store.Save(&d); err != nil {
			return DraftSavedMsg{Err: err}
		}
		return DraftSavedMsg{Draft: &d}
	}
}

// prepareCmd reads draft id from disk (the editor may have changed it)
// and builds it.
func prepareCmd(o *drafts.Outbox, id string) tea.Cmd {
	return func() tea.Msg {
		d, err := o.Drafts.Load(id)
		if err != nil {
			return DraftPreparedMsg{ID: id, Err: err}
		}
		p, err := o.Prepare(d)
		return DraftPreparedMsg{ID: id, Draft: d, Prepared: p, Err: err}
	}
}

// sendCmd sends the prepared draft.
func sendCmd(ctx context.Context, o *drafts.Outbox, d *drafts.Draft, p *drafts.Prepared) tea.Cmd {
	return func() tea.Msg {
		if o.Sender == nil {
			return ReplySentMsg{ID: d.ID, Err: errors.New("send: no SES sender configured")}
		}
		res, err := o.Send(ctx, d, p)
		return ReplySentMsg{ID: d.ID, SESMessageID: res.SESMessageID, Result: res, Err: err}
	}
}

// discardCmd deletes draft id.
func discardCmd(store *drafts.Store, id string) tea.Cmd {
	return func() tea.Msg {
		return DraftDiscardedMsg{ID: id, Err: store.Delete(id)}
	}
}

func closed(id string, o Outcome, text string) tea.Cmd {
	return func() tea.Msg { return ComposeClosedMsg{ID: id, Outcome: o, Text: text} }
}
