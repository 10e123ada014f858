package audit

import (
	"context"
	"io"
	"sync"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/actionlog"
	"github.com/sesbox/sesbox/mailstore/audit"
	"github.com/sesbox/sesbox/mailstore/posture"
	"github.com/sesbox/sesbox/mailstore/sesaccount"
	"github.com/sesbox/sesbox/tui/common"
)

// PostureReadMsg is sent when the bucket's settings (and, when the view
// has an SES account to read, the account's state) have been read. The
// account rides on the posture's message so the root routes both alike.
type PostureReadMsg struct {
	Location mailstore.Location
	Findings []posture.Finding
	Err      error
	// Account is nil when not read (no account in Env, or AccountErr).
	Account    *sesaccount.Account
	AccountErr error
}

// VerifyStartedMsg is sent when verify run Run has started; Events carries
// its progress and its end, and Cancel stops it.
type VerifyStartedMsg struct {
	Run      int
	Manifest string
	Events   <-chan tea.Msg
	Cancel   context.CancelFunc
}

// VerifyProgressedMsg is sent (at most ten times a second) while run Run
// goes: the progress so far, and the findings other than "unchanged" that
// arrived since the last one.
type VerifyProgressedMsg struct {
	Run      int
	Progress audit.Progress
	Results  []audit.Result
}

// VerifyFinishedMsg is sent when run Run is over: Summary on success, Err
// when it could not run or was stopped.
type VerifyFinishedMsg struct {
	Run     int
	Summary audit.Summary
	Err     error
}

// readPostureCmd reads the bucket's settings.
func readPostureCmd(cfg posture.BucketConfig, acct sesaccount.API, identities []string) tea.Cmd {
	return func() tea.Msg {
		ctx := context.Background()
		msg := PostureReadMsg{Location: cfg.Location()}
		var wg sync.WaitGroup
		if acct != nil {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a, err := sesaccount.Describe(ctx, acct, identities)
				if err != nil {
					msg.AccountErr = err
					return
				}
				msg.Account = &a
			}()
		}
		msg.Findings, msg.Err = posture.Posture(ctx, cfg)
		wg.Wait()
		return msg
	}
}

// progressEvery is how often a running verify reports.
const progressEvery = 100 * time.Millisecond

// startVerifyCmd starts verify run run of b against manifest in the
// background. Its events come through the channel in VerifyStartedMsg,
// read one at a time by waitVerifyCmd; the goroutine stops sending (and
// ends) when cancelled, so a view that goes away leaks nothing.
func startVerifyCmd(run int, b audit.Bucket, manifest string, parallel int, actions func(context.Context) ([]actionlog.Action, error)) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithCancel(context.Background())
		events := make(chan tea.Msg)
		go runVerify(ctx, run, b, manifest, parallel, actions, events)
		return VerifyStartedMsg{Run: run, Manifest: manifest, Events: events, Cancel: cancel}
	}
}

func runVerify(ctx context.Context, run int, b audit.Bucket, manifest string, parallel int, actions func(context.Context) ([]actionlog.Action, error), events chan<- tea.Msg) {
	defer close(events)
	var (
		mu      sync.Mutex
		prog    audit.Progress
		pending []audit.Result
	)
	send := func(m tea.Msg) bool {
		select {
		case events <- m:
			return true
		case <-ctx.Done():
			return false
		}
	}
	flush := func() bool {
		mu.Lock()
		m := VerifyProgressedMsg{Run: run, Progress: prog, Results: pending}
		pending = nil
		mu.Unlock()
		return send(m)
	}
	done := make(chan VerifyFinishedMsg, 1)
	go func() {
		var logged []actionlog.Action
		if actions != nil {
			var err error
			if logged, err = actions(ctx); err != nil {
				done <- VerifyFinishedMsg{Run: run, Err: err}
				return
			}
		}
		sum, err := audit.Verify(ctx, b, manifest, audit.VerifyOptions{
			Parallel: parallel,
			Actions:  logged,
			Progress: func(p audit.Progress) { mu.Lock(); prog = p; mu.Unlock() },
			OnResult: func(r audit.Result) error {
				if r.Status != audit.Unchanged || r.Rewritten {
					mu.Lock()
					pending = append(pending, r)
					mu.Unlock()
				}
				return nil
			},
		})
		done <- VerifyFinishedMsg{Run: run, Summary: sum, Err: err}
	}()
	tick := time.NewTicker(progressEvery)
	defer tick.Stop()
	for {
		select {
		case fin := <-done:
			if flush() {
				send(fin)
			}
			return
		case <-tick.C:
			if !flush() {
				<-done // Verify ends promptly once ctx is cancelled
				return
			}
		}
	}
}

// waitVerifyCmd reads the next event of a running verify.
func waitVerifyCmd(events <-chan tea.Msg) tea.Cmd {
	return func() tea.Msg {
		m, ok := <-events
		if !ok {
			return nil
		}
		return m
	}
}

// RestoreCopiedMsg is sent when the OSC 52 sequence copying the restore
// command of Key has been written (or could not be).
type RestoreCopiedMsg struct {
	Key string
	Err error
}

// copyCmd puts the restore command cmd of key on the clipboard.
func copyCmd(w io.Writer, key, cmd string) tea.Cmd {
	return func() tea.Msg {
		return RestoreCopiedMsg{Key: key, Err: common.CopyText(w, "restore command", cmd)}
	}
}
