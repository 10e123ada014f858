package compose

import (
	"fmt"
	"net/mail"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"

	"github.com/sesbox/sesbox/mailstore"
	mcompose "github.com/sesbox/sesbox/mailstore/compose"
	"github.com/sesbox/sesbox/mailstore/sanitize"
	"github.com/sesbox/sesbox/tui/common"
)

// headerLines is the review screen's header block.
func (m Model) headerLines() []string {
	st := m.c.Styles
	var lines []string
	field := func(name, value string) {
		if value == "" {
			return
		}
		lines = append(lines, st.HeaderName.Render(common.Fit(name+":", 9))+st.HeaderValue.Render(common.Truncate(sanitize.Line(value), max(m.width-9, 1))))
	}
	if p := m.prepared; p != nil {
		field("From", mcompose.FormatAddressList([]mail.Address{p.From}))
		field("To", mcompose.FormatAddressList(p.Edited.To))
		field("Cc", mcompose.FormatAddressList(p.Edited.Cc))
		field("Subject", p.Edited.Subject)
		field("Attach", strings.Join(p.Attachments, ", "))
		field("Size", mailstore.FormatSize(int64(len(p.Raw))))
	} else if m.draft != nil {
		field("Draft", m.draft.Path())
	}
	if m.draft != nil {
		for _, w := range m.draft.Meta.Warnings {
			lines = append(lines, st.Warning.Render(common.Truncate("! "+sanitize.Line(w), m.width)))
		}
	}
	return lines
}

// statusLine is the line under the body: the state, the last error or a
// question.
func (m Model) statusLine() string {
	st := m.c.Styles
	switch {
	case m.state == stateConfirmDiscard:
		return st.Prompt.Render("Discard this draft? (y/N)")
	case m.state == stateAttach:
		return m.input.View()
	case m.state == stateSending:
		return st.Dim.Render("Sending…")
	case m.state == statePreparing || m.state == stateStarting:
		return st.Dim.Render("Reading the draft…")
	case m.state == stateEditor:
		return st.Dim.Render("Editing in " + sanitize.Line(m.env.Editor) + "…")
	case m.err != nil:
		return st.StatusError.Render(strings.Join(errorLines(m.err, max(m.width, 1)), "\n"))
	case m.notice != "":
		return st.Status.Render(common.Truncate(sanitize.Line(m.notice), m.width))
	}
	return ""
}

// maxErrorLines bounds the lines an error takes under the review body.
const maxErrorLines = 3

// errorLines is err wrapped to w cells, on at most maxErrorLines lines:
// on one, what went wrong was cut off the end ("attach: stat
// /a/long/path…" lost "no such file or directory"), and the composer's
// errors have no history to read them in.
func errorLines(err error, w int) []string {
	lines := strings.Split(common.Wrap("Error: "+sanitize.Line(mailstore.Explain(err)), w), "\n")
	if len(lines) > maxErrorLines {
		rest := strings.Join(lines[maxErrorLines-1:], " ")
		lines = append(lines[:maxErrorLines-1], common.Truncate(rest, w))
	}
	return lines
}

// editorLine is the line under the built-in editor: how to finish, or the
// question ctrl+c asks.
func (m Model) editorLine() string {
	st, k := m.c.Styles, m.keys
	switch m.state {
	case stateConfirmQuit:
		discard := "discard reply"
		if m.resumed {
			discard = "discard changes"
		}
		q := fmt.Sprintf("Unsaved changes, quit? %s postpone · %s %s · %s keep editing",
			k.QuitPostpone.Help().Key, k.QuitDiscard.Help().Key, discard, k.QuitStay.Help().Key)
		return st.Prompt.Render(common.Truncate(q, max(m.width, 1)))
	case stateQuitting:
		return st.Dim.Render(common.Truncate("Quitting…", max(m.width, 1)))
	case stateTextarea:
		if m.err != nil {
			return st.StatusError.Render(common.Truncate("Error: "+sanitize.Line(mailstore.Explain(m.err)), max(m.width, 1)))
		}
		if m.notice != "" {
			return st.Status.Render(common.Truncate(m.notice, max(m.width, 1)))
		}
	}
	return st.Dim.Render(common.Truncate(fmt.Sprintf("%s when done · the To, Cc and Subject lines can be edited", k.Done.Help().Key), max(m.width, 1)))
}

// layout sizes the review body to what the header leaves.
func (m *Model) layout() {
	h := m.height - len(m.headerLines()) - 4 // the title, two rules, the status line
	m.vp.Width, m.vp.Height = max(m.width, 1), max(h, 1)
	m.vp.KeyMap = viewport.KeyMap{
		Up: m.keys.Up, Down: m.keys.Down, PageUp: m.keys.PageUp, PageDown: m.keys.PageDown,
		HalfPageUp: key.NewBinding(key.WithDisabled()), HalfPageDown: key.NewBinding(key.WithDisabled()),
		Left: key.NewBinding(key.WithDisabled()), Right: key.NewBinding(key.WithDisabled()),
	}
	body := ""
	if m.prepared != nil {
		body = m.prepared.Edited.Body
	}
	var b strings.Builder
	for _, line := range strings.Split(sanitize.Text(body), "\n") {
		b.WriteString(common.Wrap(common.ExpandTabs(line), m.vp.Width) + "\n")
	}
	m.vp.SetContent(strings.TrimRight(b.String(), "\n"))
}

// View draws the composer: the built-in editor, or the review screen.
func (m Model) View() string {
	st := m.c.Styles
	title := "Reply"
	switch m.state {
	case stateTextarea, stateConfirmQuit, stateQuitting:
		return st.Bold.Render(title+" — editing") + "\n" + m.ta.View() + "\n" + m.editorLine()
	case stateDone:
		return ""
	}
	rule := st.Rule.Render(strings.Repeat("─", max(m.width, 1)))
	status := m.statusLine()
	// An error of more than one line takes its room from the body.
	m.vp.Height = max(m.vp.Height-strings.Count(status, "\n"), 1)
	parts := []string{st.Bold.Render(title + " — review")}
	parts = append(parts, m.headerLines()...)
	parts = append(parts, rule, m.vp.View(), rule, status)
	return strings.Join(parts, "\n")
}

// ShortHelp implements help.KeyMap.
func (m Model) ShortHelp() []key.Binding {
	k := m.keys
	switch m.state {
	case stateTextarea:
		return []key.Binding{k.Done}
	case stateAttach:
		return []key.Binding{k.Accept, k.Cancel}
	case stateConfirmDiscard:
		return []key.Binding{k.Confirm}
	case stateConfirmQuit:
		return []key.Binding{k.QuitPostpone, k.QuitDiscard, k.QuitStay}
	}
	if m.uncertain() {
		return []key.Binding{k.SendAgain, k.Edit, k.Discard, k.Postpone}
	}
	return []key.Binding{k.Send, k.Edit, k.Attach, k.Discard, k.Postpone}
}

// FullHelp implements help.KeyMap.
// The keys are the state's: esc finishes editing in the built-in editor
// and postpones on the review screen, and the help named both on one page.
func (m Model) FullHelp() [][]key.Binding {
	k := m.keys
	if m.state != stateReview {
		return [][]key.Binding{m.ShortHelp()}
	}
	return [][]key.Binding{
		{k.Send, k.SendAgain, k.Edit, k.Attach, k.Discard, k.Postpone},
		{k.Up, k.Down, k.PageUp, k.PageDown},
	}
}
