package tui

import (
	"context"
	"fmt"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/sesbox/sesbox/mailstore"
	mailaudit "github.com/sesbox/sesbox/mailstore/audit"
	"github.com/sesbox/sesbox/mailstore/mailbox"
	"github.com/sesbox/sesbox/mailstore/query"
	"github.com/sesbox/sesbox/mailstore/reforward"
	"github.com/sesbox/sesbox/tui/audit"
	"github.com/sesbox/sesbox/tui/common"
	"github.com/sesbox/sesbox/tui/compose"
	"github.com/sesbox/sesbox/tui/forward"
)

// Mailbox is what the TUI calls on a mailbox; *mailbox.Mailbox satisfies it.
// Every call runs inside a tea.Cmd, never on the UI loop. Refresh may call
// progress from any goroutine but not concurrently, and must not reuse the
// Progress.New slice after the call: the UI keeps it.
type Mailbox interface {
	Location() mailstore.Location
	Refresh(ctx context.Context, progress func(mailbox.Progress)) error
	Summaries(ctx context.Context, q query.Query, by query.SortField, reverse bool) ([]mailstore.Summary, error)
	Open(ctx context.Context, key string) (*mailbox.Message, error)
	SetRead(ctx context.Context, key string, read bool) error
}

var _ Mailbox = (*mailbox.Mailbox)(nil)

// Box is one mailbox of the switcher: a display name, the mailbox, and
// what the mailbox can do besides being read. cmd/ fills each of those in
// from the config file; one left nil makes its key explain, on the status
// line, why it is not available (its Err, when set, says why).
type Box struct {
	Name    string
	Mailbox Mailbox

	// Reply is what r and R write replies with (Ctx is the root's).
	Reply    *compose.Env
	ReplyErr error
	// Forward is what f re-forwards with.
	Forward    *ForwardEnv
	ForwardErr error
	// Audit is what A's audit view reads.
	Audit    *audit.Env
	AuditErr error
}

// ForwardEnv is a mailbox's re-forward setup: the runner, and the options
// every forward from the mailbox starts with (the forwarding Lambda's
// config; DryRunDir for a mailbox that only writes what it would send).
type ForwardEnv struct {
	Forwarder forward.Forwarder
	Options   reforward.Options
}

// Boxes names each mailbox by its Name field, for cmd/.
func Boxes(mbs ...*mailbox.Mailbox) []Box {
	out := make([]Box, len(mbs))
	for i, mb := range mbs {
		out[i] = Box{Name: mb.Name, Mailbox: mb}
	}
	return out
}

// SummariesLoadedMsg is sent when the index's summaries of mailbox Box have
// been read.
type SummariesLoadedMsg struct {
	Box       int
	Summaries []mailstore.Summary
	Err       error
}

// RefreshProgressedMsg is sent when an index refresh of mailbox Box reports
// progress (reports that queued up while the UI was busy are merged: New
// holds all their summaries), and once more when it ends (Finished, Err).
type RefreshProgressedMsg struct {
	Box      int
	Progress mailbox.Progress
	Finished bool
	Err      error
}

// MessageLoadedMsg is sent when message Key of mailbox Box has been read and
// parsed (or could not be).
type MessageLoadedMsg struct {
	Box     int
	Key     string
	Message *mailbox.Message
	Err     error
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
	Paths   []string
	Err     error
}

// OriginalLoadedMsg is sent when message Key of mailbox Box, which the
// user asked to reply to (to all when All), has been read.
type OriginalLoadedMsg struct {
	Box     int
	Key     string
	All     bool
	Message *mailbox.Message
	Err     error
}

func loadSummariesCmd(ctx context.Context, box int, mb Mailbox) tea.Cmd {
	return func() tea.Msg {
		s, err := mb.Summaries(ctx, query.Query{}, query.ByDate, false)
		if err != nil {
			err = fmt.Errorf("read index of %s: %w", mb.Location(), err)
		}
		return SummariesLoadedMsg{Box: box, Summaries: s, Err: err}
	}
}

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
			if err != nil {
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

func openCmd(ctx context.Context, box int, mb Mailbox, key string) tea.Cmd {
	return func() tea.Msg {
		msg, err := mb.Open(ctx, key)
		if err != nil {
			err = fmt.Errorf("open %s: %w", key, err)
		}
		return MessageLoadedMsg{Box: box, Key: key, Message: msg, Err: err}
	}
}

// loadOriginalCmd reads the message a reply answers: the composer quotes
// it and threads the reply under it.
func loadOriginalCmd(ctx context.Context, box int, mb Mailbox, key string, all bool) tea.Cmd {
	return func() tea.Msg {
		msg, err := mb.Open(ctx, key)
		if err != nil {
			err = fmt.Errorf("reply: open %s: %w", key, err)
		}
		return OriginalLoadedMsg{Box: box, Key: key, All: all, Message: msg, Err: err}
	}
}

func setReadCmd(ctx context.Context, box int, mb Mailbox, key string, read bool) tea.Cmd {
	return func() tea.Msg {
		err := mb.SetRead(ctx, key, read)
		if err != nil {
			err = fmt.Errorf("mark %s read: %w", key, err)
		}
		return ReadStateSavedMsg{Box: box, Key: key, Read: read, Err: err}
	}
}

// MarkedExportedMsg is sent when the marked messages of mailbox Box have
// been exported to the mbox File (Count messages, manifest beside it).
type MarkedExportedMsg struct {
	Box   int
	File  string
	Count int64
	Err   error
}

// exportMarkedCmd writes the exact stored bytes of the marked messages to
// an mbox file with a manifest, as `sesbox export --mbox` does.
func exportMarkedCmd(ctx context.Context, box int, b mailaudit.Bucket, keys []string, file string) tea.Cmd {
	return func() tea.Msg {
		tr, err := mailaudit.ExportMbox(ctx, b, file, mailaudit.ExportOptions{Keys: keys, Query: "marked in the TUI"})
		return MarkedExportedMsg{Box: box, File: file, Count: tr.Count, Err: err}
	}
}

// saveMarkedCmd saves the attachments of every marked message into dir,
// the same way the viewer (and `sesbox save`) saves one message's.
func saveMarkedCmd(ctx context.Context, box int, mb Mailbox, keys []string, dir string) tea.Cmd {
	return func() tea.Msg {
		dir = common.ExpandHome(dir)
		out := MarkedSavedMsg{Box: box, Dir: dir, Keys: len(keys)}
		for _, k := range keys {
			msg, err := mb.Open(ctx, k)
			if err != nil {
				out.Err = fmt.Errorf("save marked: open %s: %w", k, err)
				return out
			}
			if msg.View == nil || len(msg.View.Attachments()) == 0 {
				out.Skipped++
				continue
			}
			paths, err := mailbox.SaveParts(msg.View, dir, 0)
			out.Paths = append(out.Paths, paths...)
			if err != nil {
				out.Err = fmt.Errorf("save marked: %s: %w", k, err)
				return out
			}
		}
		return out
	}
}
