package keys

import (
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textarea"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
)

// SplitBurst hands msg to update, splitting a burst. bubbletea v1 delivers
// keys typed faster than it reads them (a held j over SSH, 200 j in one
// write) as one KeyMsg of many runes, which matches no binding: outside a
// text input each rune is a key of its own. A text input (a prompt, the
// editor, the `:` line; capturing says when one has the keyboard) gets the
// burst as typed, from the rune it opened on; so does a bracketed paste.
func SplitBurst[M tea.Model](m M, msg tea.KeyMsg, capturing func(M) bool, update func(M, tea.KeyMsg) (tea.Model, tea.Cmd)) (tea.Model, tea.Cmd) {
	if msg.Type != tea.KeyRunes || len(msg.Runes) < 2 || msg.Paste {
		return update(m, msg)
	}
	var cmds []tea.Cmd
	var cur tea.Model = m
	for i, r := range msg.Runes {
		if rm := cur.(M); capturing(rm) {
			rest := tea.KeyMsg{Type: tea.KeyRunes, Runes: msg.Runes[i:], Alt: msg.Alt}
			var cmd tea.Cmd
			cur, cmd = update(rm, rest)
			return cur, tea.Batch(append(cmds, cmd)...)
		}
		var cmd tea.Cmd
		cur, cmd = update(cur.(M), tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: msg.Alt})
		cmds = append(cmds, cmd)
	}
	return cur, tea.Batch(cmds...)
}

// SplitAlt undoes bubbletea v1 reading Esc and the keys typed right after
// it in one read (typed fast, or coalesced over SSH) as one Alt key: Esc
// then j became alt+j, which matches no binding, so both were lost (the
// viewer stayed open and j scrolled it). When no binding of k is msg, it
// is Esc, then rest (msg without Alt). Only runes, Esc (Esc typed twice
// is alt+esc), Enter (Esc Enter: a prompt left, then a message
// opened), Tab and space (Esc Tab: a filter cleared, then the next
// mailbox; Esc space: then a mark; each said "alt+tab does nothing
// here"): alt+arrow, alt+backspace and the like are keys of their own.
func (k *KeyMap) SplitAlt(msg tea.KeyMsg) (esc, rest tea.KeyMsg, ok bool) {
	switch {
	case !msg.Alt || msg.Paste:
		return esc, rest, false
	case msg.Type != tea.KeyRunes && msg.Type != tea.KeyEsc && msg.Type != tea.KeyEnter && msg.Type != tea.KeyTab && msg.Type != tea.KeySpace:
		return esc, rest, false
	}
	for _, b := range k.actions() {
		if key.Matches(msg, *b) {
			return esc, rest, false
		}
	}
	rest = msg
	rest.Alt = false
	return tea.KeyMsg{Type: tea.KeyEsc}, rest, true
}

// EditsText reports whether msg is an Alt key the text inputs bind
// (readline's alt+b, alt+f, alt+d; the built-in editor's alt+c, alt+l,
// alt+u, alt+<, alt+>). In a prompt those edit, as in readline and as in
// aerc's and neomutt's prompts; any other Alt key there is Esc then the
// key (SplitAlt): the prompt is cancelled, then the key acts.
func EditsText(msg tea.KeyMsg) bool {
	if msg.Type != tea.KeyRunes || !msg.Alt {
		return false
	}
	ti, ta := textinput.DefaultKeyMap, textarea.DefaultKeyMap
	return key.Matches(msg, ti.WordForward, ti.WordBackward, ti.DeleteWordForward, ti.DeleteWordBackward,
		ta.WordForward, ta.WordBackward, ta.DeleteWordForward, ta.DeleteWordBackward,
		ta.CapitalizeWordForward, ta.LowercaseWordForward, ta.UppercaseWordForward, ta.InputBegin, ta.InputEnd)
}
