package tab

import (
	"context"
	"errors"
	"fmt"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/sesbox/sesbox/mailstore"
	mailaudit "github.com/sesbox/sesbox/mailstore/audit"
	"github.com/sesbox/sesbox/mailstore/index"
	"github.com/sesbox/sesbox/mailstore/mailbox"
	"github.com/sesbox/sesbox/mailstore/notify"
	"github.com/sesbox/sesbox/mailstore/xdg"
	"github.com/sesbox/sesbox/tui/common"
	"github.com/sesbox/sesbox/tui/internal/handoff"
)

// RefreshProgressedMsg is sent when an index refresh of mailbox Box reports
// progress (reports that queued up while the UI was busy are merged: New
// holds all their summaries), and once more when it ends (Finished, Err).
type RefreshProgressedMsg struct {
	Box      int
	Progress mailbox.Progress
	Finished bool
	Err      error
}

// refreshDueMsg is sent when the periodic refresh of mailbox Box is due.
type refreshDueMsg struct{ Box int }

// QueuePolledMsg is sent when one poll of mailbox Box's queue has ended:
// New are the messages it indexed, Problems the queue messages it did not
// index, why, and whether each was deleted (notify.Batch's).
type QueuePolledMsg struct {
	Box      int
	New      []mailstore.Summary
	Problems []string
	Err      error
}

// queueDueMsg is sent when the queue of mailbox Box is to be polled again
// after a failed poll.
type queueDueMsg struct{ Box int }

// queueRetry is how long a failed queue poll waits before the next.
const queueRetry = 10 * time.Second

// pollQueueCmd runs one poll of a mailbox's queue (a long poll: it
// returns when mail comes or after the queue's wait).
func pollQueueCmd(ctx context.Context, box int, poll func(context.Context) (notify.Batch, error)) tea.Cmd {
	return func() tea.Msg {
		b, err := poll(ctx)
		return QueuePolledMsg{Box: box, New: b.New, Problems: b.Problems, Err: err}
	}
}

// HeadersFilledMsg is sent when the header blocks of rows on screen that
// had none (rows from an inventory) have been read: Summaries replace them.
type HeadersFilledMsg struct {
	Box       int
	Summaries []mailstore.Summary
	Err       error
}

func fillHeadersCmd(ctx context.Context, box int, fill func(context.Context, mailbox.FillOptions, func(mailbox.Progress)) error, keys []string) tea.Cmd {
	return func() tea.Msg {
		var s []mailstore.Summary
		err := fill(ctx, mailbox.FillOptions{Keys: keys}, func(p mailbox.Progress) { s = append(s, p.New...) })
		return HeadersFilledMsg{Box: box, Summaries: s, Err: err}
	}
}

// ReadStateSavedMsg is sent when the read flag of message Key has been
// written to the local index.
type ReadStateSavedMsg struct {
	Box  int
	Key  string
	Read bool
	Err  error
}

// MarkedSavedMsg is sent when the attachments of the marked messages have
// been saved into Dir: Paths are the files written, Skipped the messages
// without attachments.
type MarkedSavedMsg struct {
	Box     int
	Dir     string
	Keys    int
	Skipped int
	// Unread are the skipped messages whose parts could not be read
	// (mime.View.Source): they may hold attachments.
	Unread int
	Paths  []string
	Err    error
}

// MarkedExportedMsg is sent when messages of mailbox Box have been
// exported to the mbox or Maildir File (Count messages, manifest beside it);
// Vanished says what was found deleted and left out ("" for nothing).
type MarkedExportedMsg struct {
	Box      int
	File     string
	Count    int64
	Vanished string
	Err      error
}

// WaitReloadDueMsg is sent, while the page's refresh waits for another
// sesbox's (the refresh lock), when the index is due to be read again.
type WaitReloadDueMsg struct{ Box int }

// PipeReadMsg is sent when the messages a pipe of mailbox Box asked for
// have been read: File holds what Command is fed (mailbox.PipeFile),
// removed once the command has run.
type PipeReadMsg struct {
	Box     int
	Command string
	File    string
	Err     error
}

// PipeExitedMsg is sent when the command of a pipe of mailbox Box, which
// had the terminal, has exited.
type PipeExitedMsg struct {
	Box     int
	Command string
	Err     error
}

func (m PipeReadMsg) PageKind() common.Kind          { return common.MailboxKind(m.Box) }
func (m PipeExitedMsg) PageKind() common.Kind        { return common.MailboxKind(m.Box) }
func (m WaitReloadDueMsg) PageKind() common.Kind     { return common.MailboxKind(m.Box) }
func (m RefreshProgressedMsg) PageKind() common.Kind { return common.MailboxKind(m.Box) }
func (m refreshDueMsg) PageKind() common.Kind        { return common.MailboxKind(m.Box) }
func (m QueuePolledMsg) PageKind() common.Kind       { return common.MailboxKind(m.Box) }
func (m HeadersFilledMsg) PageKind() common.Kind     { return common.MailboxKind(m.Box) }
func (m queueDueMsg) PageKind() common.Kind          { return common.MailboxKind(m.Box) }
func (m ReadStateSavedMsg) PageKind() common.Kind    { return common.MailboxKind(m.Box) }
func (m MarkedSavedMsg) PageKind() common.Kind       { return common.MailboxKind(m.Box) }
func (m MarkedExportedMsg) PageKind() common.Kind    { return common.MailboxKind(m.Box) }

// refreshEvent is what the refresh goroutine sends to the UI.
type refreshEvent struct {
	p    mailbox.Progress
	err  error
	done bool
}

// startRefreshCmd runs Refresh in its own goroutine, which reports through
// ch, and waits for the first report. The standard bubbletea pattern: the
// goroutine only sends, and each RefreshProgressedMsg is answered with
// waitRefreshCmd for the next.
func startRefreshCmd(ctx context.Context, box int, mb Mailbox, ch chan refreshEvent) tea.Cmd {
	return func() tea.Msg {
		go func() {
			err := mb.Refresh(ctx, func(p mailbox.Progress) {
				select {
				case ch <- refreshEvent{p: p}:
				case <-ctx.Done():
				}
			})
			// A partial refresh's error names the bucket already.
			if partial := (*index.PartialError)(nil); err != nil && !errors.As(err, &partial) {
				err = fmt.Errorf("refresh %s: %w", mb.Location(), err)
			}
			select {
			case ch <- refreshEvent{err: err, done: true}:
			case <-ctx.Done():
			}
		}()
		return waitRefresh(ctx, box, ch)
	}
}

func waitRefreshCmd(ctx context.Context, box int, ch chan refreshEvent) tea.Cmd {
	return func() tea.Msg { return waitRefresh(ctx, box, ch) }
}

// waitRefresh blocks for one report, then merges whatever else is already
// queued, so a busy UI catches up in one step instead of many.
func waitRefresh(ctx context.Context, box int, ch chan refreshEvent) tea.Msg {
	var ev refreshEvent
	select {
	case ev = <-ch:
	case <-ctx.Done():
		return nil
	}
	msg := RefreshProgressedMsg{Box: box, Progress: ev.p, Finished: ev.done, Err: ev.err}
	for !msg.Finished {
		select {
		case more := <-ch:
			if more.done {
				msg.Finished, msg.Err = true, more.err
				continue
			}
			news := append(msg.Progress.New, more.p.New...)
			msg.Progress = more.p
			msg.Progress.New = news
		default:
			return msg
		}
	}
	return msg
}

// ToggleReadCmd marks message key read or unread by hand, the other way
// round from now; nil for no message ("").
func (m *Model) ToggleReadCmd(key string) tea.Cmd {
	if key == "" {
		return nil
	}
	s, _ := m.list.Summary(key)
	return m.SetReadCmd(key, !s.Read)
}

// SetReadCmd writes the read flag of key to the index.
func (m *Model) SetReadCmd(key string, read bool) tea.Cmd {
	ctx, box, mb := m.ctx, m.index, m.Mailbox
	return func() tea.Msg {
		err := mb.SetRead(ctx, key, read)
		if err != nil {
			what := "read"
			if !read {
				what = "unread"
			}
			err = fmt.Errorf("mark %s %s: %w", key, what, err)
		}
		return ReadStateSavedMsg{Box: box, Key: key, Read: read, Err: err}
	}
}

// ExportCmd writes the exact stored bytes of keys to an mbox file (a
// Maildir directory when maildir) with a manifest, as `sesbox export
// --mbox` (--maildir) does with the same options opt (why is the
// manifest's query).
func ExportCmd(ctx context.Context, box int, b mailaudit.Bucket, opt mailaudit.ExportOptions, keys []string, file string, maildir bool, why string) tea.Cmd {
	opt.Keys, opt.Query = keys, why
	export := mailaudit.ExportMbox
	if maildir {
		export = mailaudit.ExportMaildir
	}
	return func() tea.Msg {
		file = xdg.ExpandHome(file)
		tr, err := export(ctx, b, file, opt)
		return MarkedExportedMsg{Box: box, File: file, Count: tr.Count, Vanished: tr.VanishedNote("export"), Err: err}
	}
}

// SaveCmd saves the attachments of every message of keys into dir, the
// same way the viewer (and `sesbox save`) saves one message's.
func SaveCmd(ctx context.Context, box int, mb Mailbox, keys []string, dir string) tea.Cmd {
	return func() tea.Msg {
		dir = xdg.ExpandHome(dir)
		out := MarkedSavedMsg{Box: box, Dir: dir, Keys: len(keys)}
		for _, k := range keys {
			msg, err := mb.Open(ctx, k)
			if err != nil {
				out.Err = fmt.Errorf("save: open %s: %w", k, err)
				return out
			}
			if msg.View == nil || len(msg.View.Attachments()) == 0 {
				out.Skipped++
				if msg.View != nil && msg.View.Source {
					out.Unread++
				}
				continue
			}
			paths, err := mailbox.SaveParts(msg.View, dir, 0)
			out.Paths = append(out.Paths, paths...)
			if err != nil {
				out.Err = fmt.Errorf("%s: %w", k, err) // err says "save: ..."
				return out
			}
		}
		return out
	}
}

// pipeReadCmd reads the messages of keys, in their order, one at a time,
// into a file for a pipe to command: their stored bytes (raw) or decoded
// text, as the viewer's | sends one message's (mailbox.PipeFile).
func pipeReadCmd(ctx context.Context, box int, mb Mailbox, keys []string, command string, raw bool) tea.Cmd {
	return func() tea.Msg {
		path, err := mailbox.PipeFile(ctx, mb, keys, raw)
		return PipeReadMsg{Box: box, Command: command, File: path, Err: err}
	}
}

// pipeCmd hands the terminal to command, fed the file input (removed
// when it ends), as the viewer's | does: the command runs in the
// terminal, then Enter returns to sesbox.
func pipeCmd(box int, command, input string) tea.Cmd {
	return handoff.Exec(&handoff.PipeCommand{Command: command, InputFile: input, Wait: true}, func(err error) tea.Msg {
		return PipeExitedMsg{Box: box, Command: command, Err: err}
	})
}
