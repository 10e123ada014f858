// Package audit is the TUI's audit view: the bucket's posture findings
// (versioning, Object Lock, lifecycle, encryption, public access, policy)
// and a verify of the bucket against a manifest, with its progress, every
// changed, deleted or new object as it is found, where the originals still
// live, and the summary. All I/O runs in tea.Cmds over mailstore/audit.
package audit

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/sesbox/sesbox/mailstore/actionlog"
	"github.com/sesbox/sesbox/mailstore/audit"
	"github.com/sesbox/sesbox/mailstore/posture"
	"github.com/sesbox/sesbox/mailstore/sanitize"
	"github.com/sesbox/sesbox/mailstore/sesaccount"
	"github.com/sesbox/sesbox/mailstore/xdg"
	"github.com/sesbox/sesbox/tui/common"
)

// Env is what the view reads: the bucket (usually one *s3store.Store for
// both), the manifest to verify against ("" = ask when verify is asked
// for), and how many objects a verify reads at once.
type Env struct {
	Bucket   audit.Bucket
	Config   posture.BucketConfig
	Manifest string
	Parallel int
	// Account, when set, is read with the posture (and again with it):
	// the SES account panel. Identities are the sending identities to
	// show the verification of.
	Account    sesaccount.API
	Identities []string
	// Export is what the TUI's exports share with `sesbox export`: the
	// manifest header's fields and the action log (cmd builds it once
	// for both); the list adds the keys and how they were chosen.
	Export audit.ExportOptions
	// Actions, when set, reads the action log's entries (local and
	// shared) at each verify, as `sesbox audit verify` does: the
	// manifest is checked against what the log recorded of it.
	Actions func(context.Context) ([]actionlog.Action, error)
}

type verifyState int

const (
	verifyIdle verifyState = iota
	verifyRunning
	verifyDone
	verifyStopped
	verifyFailed
)

// Model is the audit view.
type Model struct {
	c             common.Common
	keys          KeyMap
	env           Env
	width, height int
	offset        int // first line shown

	postureLoading bool
	findings       []posture.Finding
	postureErr     error
	account        *sesaccount.Account
	accountErr     error

	run      int // the current verify run (0: none yet); results of other runs are dropped
	state    verifyState
	manifest string
	events   <-chan tea.Msg
	cancel   context.CancelFunc
	progress audit.Progress
	results  []audit.Result // everything but "unchanged", in key order
	summary  audit.Summary
	err      error

	prompting bool
	input     textinput.Model
}

// New returns the audit view for env. Init reads the posture.
func New(c common.Common, env Env) Model {
	in := common.NewInput(c.Styles, "manifest: ")
	in.Placeholder = "path to a manifest written by sesbox audit snapshot"
	return Model{c: c, keys: c.Keys.Audit, env: env, manifest: env.Manifest, input: in, postureLoading: env.Config != nil}
}

// SetSize sets the area the view draws in.
func (m *Model) SetSize(w, h int) {
	m.width, m.height = w, h
	m.input.Width = max(w-len(m.input.Prompt)-1, 1)
	m.clamp()
}

// Init reads the bucket's posture.
func (m Model) Init() tea.Cmd {
	if m.env.Config == nil {
		return nil
	}
	return readPostureCmd(m.env.Config, m.env.Account, m.env.Identities)
}

// Capturing reports whether keys go to the manifest prompt, so the root
// keeps its global keys (q, esc) away from it.
func (m Model) Capturing() bool { return m.prompting }

// Running reports whether a verify is under way.
func (m Model) Running() bool { return m.state == verifyRunning }

// Stop cancels a running verify; the root calls it when it discards the
// view, so no goroutine is left waiting.
func (m *Model) Stop() {
	if m.cancel != nil {
		m.cancel()
		m.cancel = nil
	}
	if m.state == verifyRunning {
		m.state = verifyStopped
	}
}

// Update handles keys and the view's own messages.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case PostureReadMsg:
		m.postureLoading = false
		m.findings, m.postureErr = msg.Findings, msg.Err
		m.account, m.accountErr = msg.Account, msg.AccountErr
		return m, nil
	case VerifyStartedMsg:
		if msg.Run != m.run {
			msg.Cancel() // a run we no longer want
			return m, nil
		}
		m.events, m.cancel = msg.Events, msg.Cancel
		return m, waitVerifyCmd(m.events)
	case VerifyProgressedMsg:
		if msg.Run != m.run || m.state != verifyRunning {
			return m, nil
		}
		m.progress = msg.Progress
		m.results = append(m.results, msg.Results...)
		m.clamp()
		return m, waitVerifyCmd(m.events)
	case VerifyFinishedMsg:
		if msg.Run != m.run || m.state != verifyRunning {
			return m, nil
		}
		m.cancel = nil
		m.summary, m.err = msg.Summary, msg.Err
		switch {
		case errors.Is(msg.Err, context.Canceled):
			m.state = verifyStopped
		case msg.Err != nil:
			m.state = verifyFailed
		default:
			m.state = verifyDone
		}
		m.clamp()
		return m, nil
	case RestoreCopiedMsg:
		if msg.Err != nil {
			return m, common.Error(msg.Err)
		}
		return m, notice("copied the restore command of " + sanitize.Key(msg.Key) + " (OSC 52)")
	case tea.KeyMsg:
		if m.prompting {
			return m.updatePrompt(msg)
		}
		return m.updateKey(msg)
	}
	return m, nil
}

func (m Model) updateKey(msg tea.KeyMsg) (Model, tea.Cmd) {
	k := m.keys
	page := max(m.bodyHeight()-1, 1)
	switch {
	case key.Matches(msg, k.Down):
		m.offset++
	case key.Matches(msg, k.Up):
		m.offset--
	case key.Matches(msg, k.PageDown):
		m.offset += page
	case key.Matches(msg, k.PageUp):
		m.offset -= page
	case key.Matches(msg, k.Top):
		m.offset = 0
	case key.Matches(msg, k.Bottom):
		m.offset = len(m.lines())
	case key.Matches(msg, k.Posture):
		if m.env.Config == nil || m.postureLoading {
			return m, nil
		}
		m.postureLoading = true
		return m, readPostureCmd(m.env.Config, m.env.Account, m.env.Identities)
	case key.Matches(msg, k.Copy):
		_, restores := m.render()
		for _, r := range restores {
			if r.end > m.offset && r.line < m.offset+m.bodyHeight() {
				return m, copyCmd(m.c.Terminal, r.key, r.cmd)
			}
		}
		if len(restores) == 0 {
			return m, notice("no restore command to copy: verify names one for each changed or deleted object a version still holds")
		}
		return m, notice("no restore command on the screen: scroll to one (" + k.Down.Help().Key + ", " + k.Up.Help().Key + ")")
	case key.Matches(msg, k.Stop):
		if m.state != verifyRunning {
			return m, nil
		}
		m.Stop()
		return m, notice("verify stopped")
	case key.Matches(msg, k.Verify):
		if m.state == verifyRunning || m.env.Bucket == nil {
			return m, nil
		}
		if m.manifest == "" {
			m.prompting = true
			m.input.SetValue("")
			return m, m.input.Focus()
		}
		return m.startVerify()
	}
	m.clamp()
	return m, nil
}

func (m Model) updatePrompt(msg tea.KeyMsg) (Model, tea.Cmd) {
	switch {
	case key.Matches(msg, m.keys.Cancel):
		m.prompting = false
		m.input.Blur()
		return m, nil
	case key.Matches(msg, m.keys.Accept):
		path := xdg.ExpandHome(strings.TrimSpace(m.input.Value()))
		m.prompting = false
		m.input.Blur()
		if path == "" {
			return m, nil
		}
		m.manifest = path
		return m.startVerify()
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(msg)
	return m, cmd
}

// nextRun numbers verify runs across every audit view, so that a run of a
// view the root has discarded cannot be taken for one of its successor's
// (the root routes these messages by type). A counter, not state anyone
// reads: safe to share.
var nextRun atomic.Int64

func (m Model) startVerify() (Model, tea.Cmd) {
	m.run = int(nextRun.Add(1))
	m.state = verifyRunning
	m.progress, m.results, m.summary, m.err = audit.Progress{}, nil, audit.Summary{}, nil
	return m, startVerifyCmd(m.run, m.env.Bucket, m.manifest, m.env.Parallel, m.env.Actions)
}

func notice(text string) tea.Cmd {
	return func() tea.Msg { return common.NoticePostedMsg{Text: text} }
}

// ShortHelp implements help.KeyMap.
func (m Model) ShortHelp() []key.Binding {
	if m.prompting {
		return []key.Binding{m.keys.Accept, m.keys.Cancel}
	}
	k := m.keys
	if m.summary.Recoverable > 0 || m.progress.Changed+m.progress.Deleted > 0 {
		// First: after the root's own keys only two fit 80 columns.
		return []key.Binding{k.Copy, k.Verify, k.Stop, k.Down, k.Up}
	}
	return []key.Binding{k.Verify, k.Stop, k.Posture, k.Down, k.Up}
}

// FullHelp implements help.KeyMap.
func (m Model) FullHelp() [][]key.Binding {
	k := m.keys
	return [][]key.Binding{
		{k.Down, k.Up, k.PageDown, k.PageUp, k.Top, k.Bottom},
		{k.Verify, k.Stop, k.Posture, k.Copy},
	}
}

// bodyHeight is the number of scrolling lines (the prompt takes the last).
func (m Model) bodyHeight() int {
	if m.prompting {
		return max(m.height-1, 0)
	}
	return m.height
}

func (m *Model) clamp() {
	maxOff := max(len(m.lines())-m.bodyHeight(), 0)
	m.offset = min(max(m.offset, 0), maxOff)
}
