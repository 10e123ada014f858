package forward

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/mime"
	"github.com/sesbox/sesbox/mailstore/reforward"
	"github.com/sesbox/sesbox/mailstore/sanitize"
	"github.com/sesbox/sesbox/tui/common"
)

// maxDestLines bounds the destinations shown in the confirmation.
const maxDestLines = 3

// View renders the screen: at most height lines of width cells.
func (m Model) View() string {
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	var lines []string
	switch m.state {
	case statePlanning:
		lines = []string{m.c.Styles.Bold.Render("Preparing to forward " + mailstore.Count(len(m.inputs), "message") + "…")}
	case stateFailed:
		lines = append([]string{m.c.Styles.Fail.Render("Cannot forward:")}, m.wrapped(m.rephrase(mailstore.Explain(m.err)), m.c.Styles.Normal)...)
	case stateConfirm:
		lines = m.confirmWindow()
	case stateRunning:
		lines = m.runningLines()
	case stateDone:
		lines = m.doneLines()
	}
	if m.asking {
		// The option and key as the "Also send" line names them; the
		// CLI's flag (--again) means nothing on this screen.
		lines = append(m.wrapped("Turn on sent already ("+firstKey(m.keys.Again)+")? It sends again what the journal says was sent: each such message reaches its recipients a second time. "+
			firstKey(m.keys.Send)+" turns it on, any other key does not.", m.c.Styles.Warning), lines...)
	}
	height := m.height
	if m.editing {
		// The destinations line takes the last line of the screen.
		height--
	}
	if len(lines) > height {
		lines = lines[:height]
	}
	for i, l := range lines {
		lines[i] = common.Fit(l, m.width)
	}
	for len(lines) < height {
		lines = append(lines, strings.Repeat(" ", m.width))
	}
	if m.editing {
		lines = append(lines, common.Fit(m.to.View(), m.width))
	}
	return strings.Join(lines, "\n")
}

func (m Model) wrapped(text string, st lipgloss.Style) []string {
	var out []string
	for _, l := range strings.Split(common.Wrap(sanitize.Line(text), m.width), "\n") {
		out = append(out, st.Render(l))
	}
	return out
}

// title says what the run does; wrapped, as a dry run's ends in where
// it writes and "(nothing is sent)", which one cut line lost.
func (m Model) title() string {
	msgs, _, _ := m.plan.ToSend()
	loc := sanitize.Line(m.plan.Location.String())
	if m.opts.DryRun() {
		return fmt.Sprintf("Dry run: write %s from %s to %s (nothing is sent)", mailstore.Count(msgs, "message"), loc, sanitize.Line(m.opts.DryRunDir))
	}
	return fmt.Sprintf("Forward %s from %s", mailstore.Count(msgs, "message"), loc)
}

// confirmRows is how many lines of the confirmation show when it is
// longer than the screen: the last line says where the view is.
func (m Model) confirmRows() int { return max(m.height-1, 1) }

func (m Model) clampScroll(total int) int {
	if total <= m.height {
		return 0
	}
	return max(0, min(m.scroll, total-m.confirmRows()))
}

// confirmWindow is the part of the confirmation on screen: all of it when
// it fits, else the lines from the scroll position and a last line saying
// whether more follows (at 40x10 the preview, the quota and the header
// to be sent were cut off with no way to see them before sending).
func (m Model) confirmWindow() []string {
	lines := m.confirmLines()
	if len(lines) <= m.height {
		return lines
	}
	top := m.clampScroll(len(lines))
	end := min(top+m.confirmRows(), len(lines))
	// The scroll keys are named here, not on the key line, which has
	// room for y and n/esc alone at 40 columns.
	more := "── more below: " + m.scrollKeys() + " ──"
	if end == len(lines) {
		more = "── end: " + m.scrollKeys() + " ──"
	}
	return append(lines[top:end:end], m.c.Styles.Dim.Render(common.Truncate(more, m.width)))
}

// scrollKeys names the scroll keys as bound, the first of each (the
// help's "j/↓" did not fit 40 columns): "j/k, pgup/pgdown".
func (m Model) scrollKeys() string {
	k := m.keys
	return firstKey(k.Down) + "/" + firstKey(k.Up) + ", " + firstKey(k.PageUp) + "/" + firstKey(k.PageDown)
}

func firstKey(b key.Binding) string {
	if ks := b.Keys(); len(ks) > 0 {
		return ks[0]
	}
	return b.Help().Key
}

// confirmLines is the whole confirmation, each line at most width cells.
func (m Model) confirmLines() []string {
	st := m.c.Styles
	_, sends, rcpts := m.plan.ToSend()
	lines := m.wrapped(m.title(), st.Bold)
	dests := m.plan.Destinations()
	lines = append(lines, m.wrapped(fmt.Sprintf("%s to %s, %s, %s (%s changes them):",
		mailstore.Count(sends, "send"), mailstore.Count(rcpts, "recipient"), mailstore.Count(len(dests), "destination"),
		m.destSource(), firstKey(m.keys.To)), st.Normal)...)
	safe := make([]string, len(dests))
	for i, d := range dests {
		safe[i] = sanitize.Line(d)
	}
	wrapped := strings.Split(common.Wrap(strings.Join(safe, ", "), m.width-2), "\n")
	if len(wrapped) > maxDestLines {
		wrapped = append(wrapped[:maxDestLines-1:maxDestLines-1], fmt.Sprintf("… %d destinations in all", len(dests)))
	}
	for _, l := range wrapped {
		lines = append(lines, "  "+st.Accent.Render(l))
	}
	if dec := m.plan.Decided(); len(dec) > 0 {
		var parts []string
		for _, s := range []reforward.Status{reforward.StatusSkipped, reforward.StatusFailed, reforward.StatusUncertain} {
			if n := dec[s]; n > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", n, s))
			}
		}
		lines = append(lines, m.wrapped("Not sent: "+strings.Join(parts, ", ")+" (listed after the run)", st.Warning)...)
	}
	lines = append(lines, m.optionLines()...)
	if !m.opts.DryRun() && m.plan.Account != nil {
		// The same preview `sesbox forward` prints: suppressed, spam,
		// sandbox, quota (once the account has been read).
		for _, l := range m.plan.Preview().Lines()[1:] {
			style := st.Dim
			if strings.Contains(l, "WARNING") || strings.Contains(l, "DOES NOT FIT") || strings.Contains(l, "PAUSED") {
				style = st.Warning
			}
			lines = append(lines, m.wrapped(m.rephrase(l), style)...)
		}
	}
	lines = append(lines, "")
	switch {
	case m.previewErr != nil:
		lines = append(lines, m.wrapped("No preview: "+mailstore.Explain(m.previewErr), st.Fail)...)
	case m.preview.Header != nil:
		pv := m.preview
		lines = append(lines, m.wrapped("Header of "+mailstore.SESMessageID(pv.Key)+" as it will be sent:", st.Dim)...)
		shown, others := previewFields(pv.Header)
		for _, f := range shown {
			// Wrapped whole, as the address in a From is what is checked.
			for _, l := range strings.Split(common.Wrap(f, max(m.width-2, 1)), "\n") {
				lines = append(lines, "  "+st.HeaderValue.Render(l))
			}
		}
		lines = append(lines, m.indented(changesLines(pv, others), st.Dim)...)
		if pv.BodyReencoded() {
			lines = append(lines, m.indented([]string{"The body: parts with a line over 998 octets re-encoded (Content-Transfer-Encoding changed), decoding to the same bytes"}, st.Warning)...)
		}
	}
	return lines
}

// destSource says where the destinations come from: given by hand
// (--to, the To key) or the mapping, of the recipients given with
// --recipient when they were.
func (m Model) destSource() string {
	switch {
	case len(m.opts.To) > 0:
		return "given, not mapped"
	case len(m.opts.Recipients) > 0:
		return "mapped from " + strings.Join(m.opts.Recipients, ", ")
	}
	return "mapped"
}

// changesLines says what the rewrite did to the fields the preview does
// not show: which it changed or added, which it dropped, and how many it
// left as they were.
func changesLines(pv reforward.MessagePreview, others int) []string {
	var changed []string
	for _, n := range pv.Changed {
		if !previewed(n) {
			changed = append(changed, n)
		}
	}
	var out []string
	if len(changed) > 0 {
		out = append(out, "Changed or added: "+strings.Join(changed, ", "))
	}
	if len(pv.Removed) > 0 {
		out = append(out, "Removed: "+strings.Join(pv.Removed, ", "))
	}
	if n := others - len(changed); n > 0 {
		out = append(out, "and "+mailstore.Count(n, "other field")+", unchanged (Received, X-SES-…)")
	}
	return out
}

// indented is each of texts wrapped two cells in.
func (m Model) indented(texts []string, st lipgloss.Style) []string {
	var out []string
	for _, t := range texts {
		for _, l := range strings.Split(common.Wrap(sanitize.Line(t), max(m.width-2, 1)), "\n") {
			out = append(out, "  "+st.Render(l))
		}
	}
	return out
}

// previewed reports whether previewFields shows the field name.
func previewed(name string) bool {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "from", "reply-to", "to", "cc", "subject", "date", "sender", "return-path", "message-id":
		return true
	}
	return false
}

// previewFields picks from a header block the fields the rewrite touches
// or a reader checks, in header order, each unfolded onto one line and made
// safe (the header is the sender's text), and counts the rest.
func previewFields(hdr []byte) (shown []string, others int) {
	var fields []string
	for _, l := range strings.Split(strings.TrimRight(string(hdr), "\r\n"), "\n") {
		l = strings.TrimRight(l, "\r")
		if (strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t")) && len(fields) > 0 {
			fields[len(fields)-1] += " " + strings.TrimSpace(l)
			continue
		}
		fields = append(fields, l)
	}
	for _, f := range fields {
		name, value, _ := strings.Cut(f, ":")
		if !previewed(name) {
			others++
			continue
		}
		// Decoded as a mail client shows it: "=?UTF-8?B?…?=" means
		// nothing to a person checking who the mail is from.
		f = name + ": " + strings.TrimSpace(mime.DecodeWords(value))
		shown = append(shown, common.ExpandTabs(sanitize.Line(f)))
	}
	return shown, others
}

func (m Model) counts(p reforward.Progress) string {
	verb := "sent"
	if m.opts.DryRun() {
		verb = "written (dry run)"
	}
	return fmt.Sprintf("%d %s · %d skipped · %d failed · %d uncertain", p.Sent+p.DryRun, verb, p.Skipped, p.Failed, p.Uncertain)
}

func (m Model) runningLines() []string {
	st := m.c.Styles
	p := m.prog
	frac := 0.0
	if p.Total > 0 {
		frac = float64(p.Done) / float64(p.Total)
	}
	lines := append(m.wrapped(m.title(), st.Bold),
		m.bar.ViewAs(frac)+fmt.Sprintf("  %d/%d", p.Done, p.Total),
		st.Normal.Render(m.counts(p)))
	switch {
	case m.stopping:
		lines = append(lines, st.Warning.Render("stopping after the send in progress…"))
	case p.Backoff > 0:
		lines = append(lines, st.Warning.Render(fmt.Sprintf("throttled by SES: retrying in %s", p.Backoff)))
	case p.WaitingFor != "":
		// Team mode: another run holds this message's claim; its outcome
		// decides whether this run sends it (up to the claim's lease).
		// The owner is the table's word: at most 80 characters of it, as
		// the CLI's progress line shows.
		lines = append(lines, m.wrapped(fmt.Sprintf("waiting for %.80s, who is sending %s", sanitize.Line(p.WaitingFor), mailstore.SESMessageID(p.Key)), st.Warning)...)
	case p.Key != "":
		lines = append(lines, st.Dim.Render("now: "+sanitize.Line(mailstore.SESMessageID(p.Key))))
	default:
		lines = append(lines, "")
	}
	lines = append(lines, "")
	// None when the header alone fills the screen (a dry run's wrapped
	// title at 40x10); View cuts the header.
	room := max(0, m.height-len(lines))
	var rows []string
	// The last results, as many lines of them as there is room for.
	for i := len(m.results) - 1; i >= 0 && len(rows) < room; i-- {
		rows = append(m.rowAt(m.results, i), rows...)
	}
	if len(rows) > room {
		rows = rows[len(rows)-room:]
	}
	return append(lines, rows...)
}

// doneHead is the results' head, wrapped (cut at the screen's edge, what
// to do about the failures was lost, at 80 columns too): the totals, and
// what to do about the failures and the uncertain sends. A line for the
// scroll position follows it (doneLines).
func (m Model) doneHead() []string {
	st := m.c.Styles
	t := m.totals
	// The CLI's words for the same totals: a message a stopped run never
	// reached is "not attempted", not "failed".
	summary := cmp.Or(t.String(), "nothing to do")
	head := m.wrapped("Forward finished: "+summary, st.Bold)
	switch {
	case m.stopping && errors.Is(m.err, context.Canceled):
		// The user's own stop is no error to explain ("context
		// canceled"): what the run did is.
		head = m.wrapped(fmt.Sprintf("Forward stopped (%s): %s", m.keys.Stop.Help().Key, summary), st.Warning)
	case m.err != nil:
		head = m.wrapped("Forward stopped: "+m.rephrase(mailstore.Explain(m.err)), st.Fail)
	}
	var todo []string
	if len(m.failedKeys()) > 0 {
		var what []string
		if t.Failed > 0 {
			what = append(what, fmt.Sprintf("%d failed", t.Failed))
		}
		if t.NotAttempted > 0 {
			what = append(what, fmt.Sprintf("%d not attempted", t.NotAttempted))
		}
		todo = append(todo, fmt.Sprintf("%s (%s marks them in the list to try again)", strings.Join(what, " and "), m.keys.MarkFailed.Help().Key))
	}
	if t.Uncertain > 0 {
		todo = append(todo, fmt.Sprintf("%d uncertain (check, then %s sends them)", t.Uncertain, firstKey(m.keys.RetryUncertain)))
	}
	if len(todo) == 0 {
		head = append(head, st.Dim.Render("All went well."))
	} else {
		head = append(head, m.wrapped(strings.Join(todo, ", ")+"; listed first", st.Warning)...)
	}
	// Not on a short screen, where the results need the room (? lists
	// the keys).
	if m.height >= 12 && (t.Skipped > 0 || t.Uncertain > 0 || m.anyRefused() || m.opts.RetryUncertain || m.opts.IncludeSpam || m.opts.Again || m.opts.IncludeSuppressed || m.opts.RetryRefused) {
		head = append(head, m.optionLines()...)
	}
	return head
}

// stoppedByFailure says whether the run ended on an error, which the
// head states (doneHead), not on the user's own stop.
func (m Model) stoppedByFailure() bool {
	return m.err != nil && !(m.stopping && errors.Is(m.err, context.Canceled))
}

// anyRefused says whether a result (or an item of the plan) is a
// message SES refused before for itself, which the option
// --retry-refused sends.
func (m Model) anyRefused() bool {
	for _, r := range m.results {
		if r.Refused {
			return true
		}
	}
	if m.plan != nil {
		for _, it := range m.plan.Items {
			if it.Refused {
				return true
			}
		}
	}
	return false
}

// optionLines are sesbox forward's --retry-uncertain, --include-spam,
// --again and --include-suppressed as the screen has them, each with its
// key, which plans the forward again with it turned on or off: "Also
// send: [ ] uncertain (u)  [x] spam (i)  [ ] sent already (a)  [ ]
// suppressed (s)".
func (m Model) optionLines() []string {
	box := func(on bool) string {
		if on {
			return "[x] "
		}
		return "[ ] "
	}
	k := m.keys
	items := []string{
		box(m.opts.RetryUncertain || m.opts.Again) + "uncertain (" + firstKey(k.RetryUncertain) + ")",
		box(m.opts.IncludeSpam) + "spam (" + firstKey(k.IncludeSpam) + ")",
		box(m.opts.Again) + "sent already (" + firstKey(k.Again) + ")",
		box(m.opts.IncludeSuppressed) + "suppressed (" + firstKey(k.IncludeSuppressed) + ")",
	}
	if m.opts.RetryRefused || m.anyRefused() {
		// Only where it can send something: the line fits 80 columns
		// without it.
		items = append(items, box(m.opts.RetryRefused)+"refused by SES ("+firstKey(k.RetryRefused)+")")
	}
	// Wrapped between the options, never inside one: at 80 columns a
	// word wrap left "(s)" alone on a line of its own.
	lines := []string{"Also send:"}
	for _, it := range items {
		last := &lines[len(lines)-1]
		if common.Width(*last)+2+common.Width(it) > m.width {
			lines = append(lines, "  "+it)
			continue
		}
		*last += "  " + it
	}
	lines[0] = strings.Replace(lines[0], ":  ", ": ", 1)
	for i, l := range lines {
		lines[i] = m.c.Styles.Dim.Render(l)
	}
	return lines
}

// optionKey names the screen's key for option o, where the CLI's
// reasons and preview name its flag: "key i forwards it anyway".
func (m Model) optionKey(o reforward.Option) string {
	switch o {
	case reforward.OptionAgain:
		return "key " + firstKey(m.keys.Again)
	case reforward.OptionIncludeSpam:
		return "key " + firstKey(m.keys.IncludeSpam)
	case reforward.OptionIncludeSuppressed:
		return "key " + firstKey(m.keys.IncludeSuppressed)
	case reforward.OptionRetryRefused:
		return "key " + firstKey(m.keys.RetryRefused)
	default:
		return "key " + firstKey(m.keys.RetryUncertain)
	}
}

func (m Model) doneLines() []string {
	lines := m.doneHead()
	rows, of := m.resultRows()
	room := m.listHeight()
	end := min(len(rows), m.offset+room)
	third := ""
	if len(rows) > room {
		// Counted in results, which a line of the window belongs to.
		third = m.c.Styles.Dim.Render(fmt.Sprintf("%d–%d of %d (%s scroll)", of[m.offset]+1, of[end-1]+1, len(m.results), m.scrollKeys()))
	}
	lines = append(lines, third)
	return append(lines, rows[m.offset:end]...)
}

// resultRows are the lines of the results in their order (ordered), and
// the index in that order of the result each line belongs to. The list
// scrolls by these lines: a result whose reason is wrapped takes several.
func (m Model) resultRows() (rows []string, of []int) {
	ordered := m.ordered()
	for i := range ordered {
		for _, l := range m.rowAt(ordered, i) {
			rows = append(rows, l)
			of = append(of, i)
		}
	}
	return rows, of
}

// listHeight is the rows of results the screen holds under the head and
// the scroll line; one at least (View cuts what does not fit).
func (m Model) listHeight() int { return max(1, m.height-len(m.doneHead())-1) }

func (m *Model) clampOffset() {
	rows, _ := m.resultRows()
	m.offset = max(0, min(m.offset, len(rows)-m.listHeight()))
}

// ordered lists failures and uncertain results first, then the rest, each
// in plan order.
func (m Model) ordered() []reforward.Result {
	var bad, rest []reforward.Result
	for _, r := range m.results {
		if r.Status == reforward.StatusFailed || r.Status == reforward.StatusUncertain {
			bad = append(bad, r)
		} else {
			rest = append(rest, r)
		}
	}
	return append(bad, rest...)
}

// resultIndent is where a result's id, and a reason wrapped under it,
// start: after the status column.
const resultIndent = 10

// resultLines are a result's lines as a row of its own (rowLines).
func (m Model) resultLines(r reforward.Result) []string { return m.rowLines(r, m.detail(r)) }

// rowAt is the lines of rs[i] as a row under rs[i-1]: a failure whose
// detail is the one of the row above says so instead of saying it again
// (two messages SES refused the same way took 9 lines each at 80
// columns, the same sentence twice; a run of 54, 54 times).
func (m Model) rowAt(rs []reforward.Result, i int) []string {
	r := rs[i]
	d := m.detail(r)
	if i > 0 && r.Status != reforward.StatusSent && r.Status != reforward.StatusDryRun && d != "" && d == m.detail(rs[i-1]) {
		d = "the same as above"
	}
	return m.rowLines(r, d)
}

// detail is what a result's row says after its id: SES's id, the dry
// run's file, or the reason, in the screen's words and safe to show.
func (m Model) detail(r reforward.Result) string {
	detail := m.rephrase(r.Reason)
	switch {
	case m.state == stateDone && m.stoppedByFailure() && r.Repeats(m.err):
		// The head states the failure, hint first; the rows it is
		// theirs too point to it rather than say it again.
		detail = "stopped the run: see above"
		if r.NotAttempted() {
			detail = "run stopped first: see above"
		}
	case r.Status == reforward.StatusSent:
		detail = "SES id " + r.SESMessageID
	case r.Status == reforward.StatusDryRun:
		detail = r.File
	}
	return sanitize.Line(detail)
}

// rowLines are a result's lines: "STATUS    id  detail", a detail
// wrapped under the id when the line would not hold it whole. At 80
// columns the 40-cell id left a skip reason 28 cells, cut before what to
// do about it ("spam: key i forwards it anyway").
func (m Model) rowLines(r reforward.Result, detail string) []string {
	st := m.c.Styles
	label := strings.ToUpper(string(r.Status))
	style := st.Neutral
	switch r.Status {
	case reforward.StatusSent, reforward.StatusDryRun:
		style = st.Pass
	case reforward.StatusFailed:
		style = st.Fail
	case reforward.StatusUncertain:
		style = st.Danger
	}
	if r.NotAttempted() {
		// As the head counts it; NOT ATTEMPTED would not fit the column.
		label, style = "NOT TRIED", st.Warning
	}
	id := sanitize.Line(mailstore.SESMessageID(r.Key))
	first := style.Render(common.Fit(label, resultIndent)) + st.Normal.Render(id)
	if detail == "" {
		return []string{first}
	}
	// A sent message's SES id and a dry run's file (its name the id
	// again) stay on one line, cut at the edge: 54 dry-run files took
	// three lines each at 80 columns.
	done := r.Status == reforward.StatusSent || r.Status == reforward.StatusDryRun
	if done || resultIndent+common.Width(id)+2+common.Width(detail) <= m.width {
		return []string{first + "  " + st.Dim.Render(detail)}
	}
	lines := []string{first}
	pad := strings.Repeat(" ", resultIndent)
	for _, l := range strings.Split(common.Wrap(detail, max(m.width-resultIndent, 1)), "\n") {
		lines = append(lines, pad+st.Dim.Render(l))
	}
	return lines
}

// rephrase says mailstore's words for the CLI in the screen's: its keys
// where they name sesbox forward's flags (reforward.Rephrase), and its
// Retry key where they say to run the same command again.
func (m Model) rephrase(text string) string {
	text = reforward.Rephrase(text, m.optionKey)
	return strings.ReplaceAll(text, mailstore.RunAgain, "press "+firstKey(m.keys.Retry)+" to forward again")
}
