package forward

import (
	"context"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/sesbox/sesbox/mailstore/reforward"
)

// ForwardPlannedMsg is sent when the forward has been planned: the plan,
// the quota check and the preview of the first message to send. Err is set
// when the plan cannot be made or the run would exceed the SES quota;
// PreviewErr only when the preview could not be read.
type ForwardPlannedMsg struct {
	ID         int64
	Plan       *reforward.Plan
	Preview    reforward.MessagePreview // the rewritten header, what changed
	PreviewErr error
	Err        error
}

// ForwardProgressedMsg is sent as a run goes: with the new progress, and
// with Result when a message has its outcome.
type ForwardProgressedMsg struct {
	ID       int64
	Progress reforward.Progress
	Result   *reforward.Result
}

// ForwardFinishedMsg is sent when a run has ended; Err is set when it
// stopped early (interrupted, or the journal or action log failed).
type ForwardFinishedMsg struct {
	ID     int64
	Totals reforward.Totals
	Err    error
}

// FailuresMarkedMsg is sent when the user asks for the failed messages to
// be marked in the list, to forward them again.
type FailuresMarkedMsg struct {
	ID   int64
	Keys []string
}

// ForwardClosedMsg is sent when the user leaves the forward screen.
type ForwardClosedMsg struct {
	ID int64
}

// planCmd prepares the forward of inputs as `sesbox forward` does (the
// plan, and the quota checked when something is to be sent), and reads the
// first message's rewritten header to show.
func planCmd(ctx context.Context, f Forwarder, id int64, inputs []string, opts reforward.Options) tea.Cmd {
	return func() tea.Msg {
		p, err := f.Prepare(ctx, inputs, opts)
		msg := ForwardPlannedMsg{ID: id, Plan: p, Err: err}
		if err != nil {
			return msg
		}
		msg.Preview, msg.PreviewErr = f.Preview(ctx, p)
		return msg
	}
}

// runCmd starts the run in the background, its events going to events,
// and waits for the first one.
func runCmd(ctx context.Context, f Forwarder, id int64, p *reforward.Plan, events chan tea.Msg) tea.Cmd {
	return func() tea.Msg {
		go func() {
			var last reforward.Progress
			tot, err := f.Run(ctx, p,
				func(r reforward.Result) { events <- ForwardProgressedMsg{ID: id, Progress: last, Result: &r} },
				func(pr reforward.Progress) {
					last = pr
					events <- ForwardProgressedMsg{ID: id, Progress: pr}
				})
			events <- ForwardFinishedMsg{ID: id, Totals: tot, Err: err}
		}()
		return <-events
	}
}

// waitCmd waits for the next event of the run.
func waitCmd(id int64, events chan tea.Msg) tea.Cmd {
	if events == nil {
		return nil
	}
	return func() tea.Msg { return <-events }
}
