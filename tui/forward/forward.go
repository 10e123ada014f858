// Package forward is the TUI's re-forward screen: for a message or the
// marked set it plans the forward (reforward.Runner.Prepare), asks for
// confirmation showing the count, the destinations and the first message's
// rewritten header, then runs it with a progress view and ends on the
// per-message results, failures first, which can be marked again in the
// list to retry them. It is the same mailstore code `sesbox forward` runs.
package forward

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/progress"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/reforward"
	"github.com/sesbox/sesbox/tui/common"
)

// Forwarder is what the screen runs; *reforward.Runner is one.
type Forwarder interface {
	Prepare(ctx context.Context, inputs []string, opts reforward.Options) (*reforward.Plan, error)
	Preview(ctx context.Context, p *reforward.Plan) (reforward.MessagePreview, error)
	Run(ctx context.Context, p *reforward.Plan, onResult func(reforward.Result), onProgress func(reforward.Progress)) (reforward.Totals, error)
}

var _ Forwarder = (*reforward.Runner)(nil)

type state int

const (
	statePlanning state = iota
	stateConfirm
	stateRunning
	stateDone
	stateFailed // the plan could not be made
)

// nextID numbers screens so a result meant for an earlier screen is
// dropped. A counter, not state anyone reads: safe to share.
var nextID atomic.Int64

// Model is the forward screen.
type Model struct {
	c             common.Common
	keys          KeyMap
	width, height int

	ctx    context.Context
	f      Forwarder
	id     int64
	inputs []string
	opts   reforward.Options

	state      state
	err        error // plan, quota or run error
	plan       *reforward.Plan
	preview    reforward.MessagePreview
	previewErr error

	cancel   context.CancelFunc // stops the run after the send in progress
	stopping bool
	closing  bool     // left: keys typed now are the list's (Page.Closing)
	marked   []string // the failures m asked the list to mark
	events   chan tea.Msg
	prog     reforward.Progress
	results  []reforward.Result
	totals   reforward.Totals
	offset   int // first results row shown
	scroll   int // first confirmation line shown
	bar      progress.Model
	// asking is set while "send again what was sent?" is on screen (the
	// Again key): y turns --again on and plans again, any other key not.
	asking bool
	// held are the option keys (u, i, a, s) typed while the plan was made,
	// applied when it comes (applyHeld).
	held []tea.KeyMsg
	// undo is the screen as it was when a's question was answered y:
	// when the plan with --again sends nothing either, it comes back
	// (againSendsNothing), as a run of nothing only showed the same rows.
	undo *Model
	// editing is set while the destinations line (the To key) has the
	// keyboard; to holds it. heldTo are the destinations entered on it
	// while the plan was made, applied when it comes (applyHeld).
	editing bool
	to      textinput.Model
	toWas   string // the line as opened: entered unchanged, it changes nothing
	heldTo  *[]string
}

// New returns the screen for forwarding the messages keys (object keys or
// SES message ids) with opts, through f. ctx bounds every call. Init starts
// the plan.
func New(ctx context.Context, c common.Common, f Forwarder, keys []string, opts reforward.Options) Model {
	bar := progress.New(progress.WithWidth(30), progress.WithoutPercentage(),
		progress.WithSolidFill(c.Styles.ProgressFull), progress.WithColorProfile(c.Styles.Profile))
	bar.EmptyColor = c.Styles.ProgressEmpty
	to := common.NewInput(c.Styles, "to: ")
	to.Placeholder = "a@x.example, b@y.example (empty: the mapping's)"
	if (reforward.Options{Config: opts.Config}).CheckDestinations() != nil {
		// No forward_config: there is no mapping to fall back to.
		to.Placeholder = "a@x.example, b@y.example"
	}
	return Model{
		c: c, keys: c.Keys.Forward, ctx: ctx, f: f, id: nextID.Add(1),
		inputs: append([]string(nil), keys...), opts: opts, bar: bar, to: to,
	}
}

// SetKeys replaces the screen's key bindings (from the config file).
func (m *Model) SetKeys(k KeyMap) { m.keys = k }

// SetSize sets the area the screen draws in. The results keep their
// place: the result at the top of the window stays there, and a window
// at the end of the list stays at its end. The offset counts lines,
// which a result's wrapped reason adds more of at a narrower width: kept
// as a line number, 80x23 scrolled to the end showed results 19-22 of 54
// after a resize to 40x10, and 21-38 once back at 80x23.
func (m *Model) SetSize(w, h int) {
	first, atEnd := -1, false
	if m.state == stateDone && m.width > 0 && m.height > 0 {
		rows, of := m.resultRows()
		if m.offset < len(rows) {
			first = of[m.offset]
		}
		atEnd = m.offset >= len(rows)-m.listHeight()
	}
	m.width, m.height = w, h
	m.bar.Width = max(10, min(40, w-20))
	m.to.Width = max(w-len(m.to.Prompt)-1, 1)
	if first >= 0 {
		rows, of := m.resultRows()
		m.offset = slices.Index(of, first)
		if atEnd {
			m.offset = len(rows)
		}
	}
	m.clampOffset()
}

// ID identifies this screen in the messages its commands send.
func (m Model) ID() int64 { return m.id }

// Running reports whether a run is under way: the root must not close the
// screen then (the run would go on unseen).
func (m Model) Running() bool { return m.state == stateRunning }

// Stop stops a run after the send in progress, as the Stop key does; the
// run still ends with ForwardFinishedMsg, its outcome journaled.
func (m *Model) Stop() {
	if m.state == stateRunning && !m.stopping {
		m.stopping = true
		m.cancel()
	}
}

// Results returns the results so far, in plan order.
func (m Model) Results() []reforward.Result { return m.results }

// Init plans the forward.
func (m Model) Init() tea.Cmd {
	return planCmd(m.ctx, m.f, m.id, m.inputs, m.opts)
}

// Update handles keys and the screen's own messages; messages for another
// screen (an older ID) are dropped.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.KeyMsg:
		return m.updateKey(msg)
	case ForwardPlannedMsg:
		if msg.ID != m.id || m.state != statePlanning {
			return m, nil
		}
		// The screen from before a's y, for this plan alone: not for
		// one after a failure, nor after option keys held meanwhile.
		undo := m.undo
		m.undo = nil
		if msg.Err != nil {
			m.state, m.err = stateFailed, msg.Err
			// u, i and a are offered on a failed plan too.
			if m.asking = m.applyHeld(); m.state == statePlanning {
				return m.replan()
			}
			return m, nil
		}
		m.plan, m.preview, m.previewErr = msg.Plan, msg.Preview, msg.PreviewErr
		m.state = stateConfirm
		if m.editing && m.to.Value() == "" && len(m.opts.To) == 0 {
			// Opened while the plan was made (f t in one burst): the
			// mapping's destinations to edit, now they are known.
			m.toWas = strings.Join(m.plan.Destinations(), ", ")
			m.to.SetValue(m.toWas)
			m.to.CursorEnd()
		}
		if m.asking = m.applyHeld(); m.state == statePlanning {
			return m.replan()
		}
		if undo != nil {
			if n, _, _ := m.plan.ToSend(); n == 0 && !m.asking {
				// As it was: a's question held over a plan of nothing
				// (f a) had kept its results from showing.
				u, cmd := undo.startIfNothingToSend()
				return u, tea.Batch(notice(m.againSendsNothing()), cmd)
			}
		}
		if m.asking {
			// a's question comes first, over the plan: a run of nothing
			// started now had it answered by a key typed while it ran.
			return m, nil
		}
		return m.startIfNothingToSend()
	case ForwardProgressedMsg:
		if msg.ID != m.id || m.state != stateRunning {
			return m, nil
		}
		m.prog = msg.Progress
		if msg.Result != nil {
			m.results = append(m.results, *msg.Result)
		}
		return m, waitCmd(m.id, m.events)
	case ForwardFinishedMsg:
		if msg.ID != m.id || m.state != stateRunning {
			return m, nil
		}
		m.state, m.totals, m.err = stateDone, msg.Totals, msg.Err
		m.cancel()
		m.cancel, m.events = nil, nil
		m.offset = 0
		return m, nil
	}
	return m, nil
}

func (m Model) updateKey(msg tea.KeyMsg) (Model, tea.Cmd) {
	k := m.keys
	if m.editing {
		return m.updateTo(msg)
	}
	if key.Matches(msg, k.To) && m.state != stateRunning && !m.asking {
		return m.editTo()
	}
	if m.asking {
		m.asking = false
		if !key.Matches(msg, k.Send) {
			// With nothing to send the results come now, their option
			// line showing --again off.
			if m, cmd := m.startIfNothingToSend(); cmd != nil {
				return m, cmd
			}
			return m, notice("not sending again: " + firstKey(k.Again) + " asks again")
		}
		undo := m
		m.opts.Again, m.undo = true, &undo
		return m.replan()
	}
	if m.state == stateConfirm || m.state == stateDone || m.state == stateFailed {
		switch {
		case key.Matches(msg, k.RetryUncertain):
			m.opts.RetryUncertain = !m.opts.RetryUncertain
			return m.replan()
		case key.Matches(msg, k.IncludeSpam):
			m.opts.IncludeSpam = !m.opts.IncludeSpam
			return m.replan()
		case key.Matches(msg, k.IncludeSuppressed):
			m.opts.IncludeSuppressed = !m.opts.IncludeSuppressed
			return m.replan()
		case key.Matches(msg, k.RetryRefused):
			m.opts.RetryRefused = !m.opts.RetryRefused
			return m.replan()
		case key.Matches(msg, k.Again):
			if m.opts.Again {
				m.opts.Again = false
				return m.replan()
			}
			m.asking, m.scroll, m.offset = true, 0, 0
			return m, nil
		}
	}
	switch m.state {
	case stateConfirm:
		switch {
		case key.Matches(msg, k.Send):
			return m.start()
		case key.Matches(msg, k.Cancel):
			return m.close()
		default:
			scroll(msg, k, &m.scroll, m.confirmRows(), len(m.confirmLines()))
		}
		m.scroll = m.clampScroll(len(m.confirmLines()))
	case stateRunning:
		if key.Matches(msg, k.Stop) {
			m.Stop()
		}
	case stateDone, stateFailed:
		switch {
		case key.Matches(msg, k.Close):
			return m.close()
		case key.Matches(msg, k.Retry):
			// What the CLI's hints call running the same command again:
			// the same messages and options (--to too), planned anew.
			return m.replan()
		case key.Matches(msg, k.MarkFailed):
			keys := m.failedKeys()
			if len(keys) == 0 {
				return m, notice("no failed messages to mark")
			}
			m.marked = keys
			return m, func() tea.Msg { return FailuresMarkedMsg{ID: m.id, Keys: keys} }
		default:
			rows, _ := m.resultRows()
			scroll(msg, k, &m.offset, m.listHeight(), len(rows))
		}
		m.clampOffset()
	case statePlanning:
		switch {
		case key.Matches(msg, k.Cancel):
			return m.close()
		case key.Matches(msg, k.RetryUncertain, k.IncludeSpam, k.IncludeSuppressed, k.RetryRefused, k.Again):
			m.held = append(m.held, msg)
		}
	}
	return m, nil
}

// editTo opens the destinations line with the destinations the screen
// sends to now: those given (sesbox forward --to), else the mapping's.
func (m Model) editTo() (Model, tea.Cmd) {
	dests := m.opts.To
	if len(dests) == 0 && m.plan != nil {
		dests = m.plan.Destinations()
	}
	m.editing, m.toWas = true, strings.Join(dests, ", ")
	m.to.SetValue(m.toWas)
	m.to.CursorEnd()
	return m, m.to.Focus()
}

// updateTo edits the destinations line. Enter checks the addresses as
// sesbox forward checks its --to (reforward.Options.Check) and plans
// again with them; empty, with the mapping. An address refused leaves the
// line open, the error on the status line, and nothing planned or sent.
func (m Model) updateTo(msg tea.KeyMsg) (Model, tea.Cmd) {
	p := m.c.Keys.Prompt
	switch {
	case key.Matches(msg, p.Cancel):
		m.editing = false
		m.to.Blur()
		return m, nil
	case key.Matches(msg, p.Accept) && m.to.Value() == m.toWas:
		// The mapping's destinations entered as shown are no --to: the
		// mapping also picks the address the From names.
		m.editing = false
		m.to.Blur()
		return m, nil
	case key.Matches(msg, p.Accept):
		opts := m.opts
		opts.To = splitAddresses(m.to.Value())
		if err := opts.Check(); err != nil {
			return m, common.Error(err)
		}
		if err := opts.CheckDestinations(); err != nil {
			// Empty is the mapping's destinations, and there is none.
			return m, common.Error(&mailstore.HintError{Hint: "type the addresses to forward to (name@domain, commas between): the mailbox has no forward_config to map the recipients", Err: err})
		}
		m.editing = false
		m.to.Blur()
		if m.state == statePlanning {
			// Applied to the plan under way when it comes, as the
			// option keys are (applyHeld).
			m.heldTo = &opts.To
			return m, nil
		}
		m.opts = opts
		return m.replan()
	}
	var cmd tea.Cmd
	m.to, cmd = m.to.Update(msg)
	return m, cmd
}

// splitAddresses splits the destinations line at commas and blanks: one
// plain address each, as --to takes them, which have neither.
func splitAddresses(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
}

// Capturing reports whether the destinations line has the keyboard: the
// root keeps its global keys (q, esc, ?) away from it.
func (m Model) Capturing() bool { return m.editing }

// applyHeld applies the option keys typed while the plan was made, as if
// typed once it was shown (f i in one burst): u, i and s turn their option
// on or off, a turns --again off, or asks (the answer: true) whether to
// turn it on; a y typed before the plan was shown must not answer that.
// When an option changed, the state is statePlanning: plan again (a
// question held for that plan's); else the plan is shown as it is.
func (m *Model) applyHeld() (ask bool) {
	k := m.keys
	changed := false
	if m.heldTo != nil {
		m.opts.To, m.heldTo, changed = *m.heldTo, nil, true
	}
	var again tea.KeyMsg
	for _, msg := range m.held {
		switch {
		case key.Matches(msg, k.RetryUncertain):
			m.opts.RetryUncertain, changed = !m.opts.RetryUncertain, true
		case key.Matches(msg, k.IncludeSpam):
			m.opts.IncludeSpam, changed = !m.opts.IncludeSpam, true
		case key.Matches(msg, k.IncludeSuppressed):
			m.opts.IncludeSuppressed, changed = !m.opts.IncludeSuppressed, true
		case key.Matches(msg, k.RetryRefused):
			m.opts.RetryRefused, changed = !m.opts.RetryRefused, true
		case m.opts.Again:
			m.opts.Again, changed = false, true
		default:
			ask, again = !ask, msg
		}
	}
	if changed && ask {
		m.held = []tea.KeyMsg{again}
	} else {
		m.held = nil
	}
	if changed {
		m.state = statePlanning
		return false
	}
	return ask
}

// replan plans the forward again with the options as they are now, the
// same call sesbox forward makes with its flags (Runner.Prepare): its
// confirmation comes next, or the results when nothing is to be sent.
func (m Model) replan() (Model, tea.Cmd) {
	m.state, m.err, m.plan, m.previewErr = statePlanning, nil, nil, nil
	m.preview, m.results, m.totals = reforward.MessagePreview{}, nil, reforward.Totals{}
	m.prog, m.scroll, m.offset = reforward.Progress{}, 0, 0
	return m, planCmd(m.ctx, m.f, m.id, m.inputs, m.opts)
}

// Options returns the options the screen plans with.
func (m Model) Options() reforward.Options { return m.opts }

// startIfNothingToSend shows the results at once when the confirmation's
// plan sends nothing: there is no question to ask.
func (m Model) startIfNothingToSend() (Model, tea.Cmd) {
	if m.state == stateConfirm {
		if n, _, _ := m.plan.ToSend(); n == 0 {
			return m.start()
		}
	}
	return m, nil
}

// start runs the plan.
func (m Model) start() (Model, tea.Cmd) {
	ctx, cancel := context.WithCancel(m.ctx)
	m.state, m.cancel = stateRunning, cancel
	m.events = make(chan tea.Msg, 64)
	m.prog = reforward.Progress{Total: len(m.plan.Items), Started: m.c.Now()}
	return m, runCmd(ctx, m.f, m.id, m.plan, m.events)
}

// failedKeys are the keys of the failed messages: the ones worth marking
// to forward again. Uncertain ones are left out on purpose: they must be
// checked before anything is resent.
func (m Model) failedKeys() []string {
	var out []string
	for _, r := range m.results {
		if r.Status == reforward.StatusFailed {
			out = append(out, r.Key)
		}
	}
	return out
}

// close leaves the screen: the root holds the keys typed after it until
// the list is back (Page.Closing).
func (m Model) close() (Model, tea.Cmd) {
	m.closing = true
	return m, closed(m.id)
}

// Marked are the failures m asked the list to mark, nil before.
func (m Model) Marked() []string { return m.marked }

func closed(id int64) tea.Cmd {
	return func() tea.Msg { return ForwardClosedMsg{ID: id} }
}

func notice(text string) tea.Cmd {
	return func() tea.Msg { return common.NoticePostedMsg{Text: text} }
}

// againSendsNothing is the notice for a's y when the plan with --again
// sends nothing either: the key that would send the messages first, then
// that a changed nothing.
func (m Model) againSendsNothing() string {
	again := firstKey(m.keys.Again)
	if n := m.plan.Preview().SkippedSpam; n > 0 {
		// Whole at 80 columns.
		return fmt.Sprintf("%s sends the %d skipped as spam or virus; %s sends nothing more", m.optionKey(reforward.OptionIncludeSpam), n, again)
	}
	return "nothing to send with sent already (" + again + ") on"
}

// ShortHelp implements help.KeyMap.
func (m Model) ShortHelp() []key.Binding {
	k := m.keys
	if m.editing {
		p := m.c.Keys.Prompt
		return []key.Binding{p.Accept, p.Cancel}
	}
	if m.asking {
		// Only the question's answers act now (the screen's own keys
		// under it, y send or q close, do not); whole at 40 columns,
		// the question above says what is turned on.
		return []key.Binding{
			key.NewBinding(key.WithKeys(k.Send.Keys()...), key.WithHelp(firstKey(k.Send), "turn on")),
			key.NewBinding(key.WithKeys(k.Send.Keys()...), key.WithHelp("other keys", "off")),
		}
	}
	switch m.state {
	case stateConfirm:
		// The scroll keys are named on the confirmation's own last line
		// when it scrolls (confirmWindow): with them here the key line
		// did not fit 40 columns and was cut.
		return []key.Binding{k.Send, k.Cancel}
	case stateRunning:
		return []key.Binding{k.Stop}
	case stateDone:
		// The scroll keys are named above the results when they scroll
		// (doneLines): with them here the line was cut at 40 columns.
		if len(m.failedKeys()) > 0 {
			return []key.Binding{k.MarkFailed, k.Close}
		}
		return []key.Binding{k.Close}
	}
	return []key.Binding{k.Close}
}

// FullHelp implements help.KeyMap.
// The keys are the state's: q and esc cancel at the confirmation and close
// the screen after the run, and the help named both on one page.
func (m Model) FullHelp() [][]key.Binding {
	k := m.keys
	if m.asking {
		return [][]key.Binding{m.ShortHelp()}
	}
	short := m.ShortHelp()
	for i, b := range short {
		if b.Help() == k.MarkFailed.Help() {
			// Said whole here; the key line has room for "mark to
			// retry" alone at 40 columns.
			short[i] = key.NewBinding(key.WithKeys(b.Keys()...), key.WithHelp(b.Help().Key, "mark the failed and not tried in the list (replaces its marks)"))
		}
	}
	if m.editing || m.state == stateRunning {
		// While a run goes only x acts: the options and the scroll keys
		// ? listed did nothing then.
		return [][]key.Binding{short}
	}
	options := []key.Binding{k.To, k.RetryUncertain, k.IncludeSpam, k.Again, k.IncludeSuppressed, k.RetryRefused}
	if m.state == stateDone || m.state == stateFailed {
		options = append(options, k.Retry)
	}
	return [][]key.Binding{short, {k.Down, k.Up, k.PageDown, k.PageUp, k.Top, k.Bottom}, options}
}

// scroll moves *pos, the first line shown of total, by the movement key
// msg is (a line, a page of page lines, the top or the end); the caller
// clamps it.
func scroll(msg tea.KeyMsg, k KeyMap, pos *int, page, total int) {
	switch {
	case key.Matches(msg, k.Down):
		*pos++
	case key.Matches(msg, k.Up):
		*pos--
	case key.Matches(msg, k.PageDown):
		*pos += page
	case key.Matches(msg, k.PageUp):
		*pos -= page
	case key.Matches(msg, k.Top):
		*pos = 0
	case key.Matches(msg, k.Bottom):
		*pos = total
	}
}
