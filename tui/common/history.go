package common

import (
	"slices"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/sesbox/sesbox/tui/keys"
)

// History is what was entered in one kind of prompt this session, oldest
// first, for Up and Down to recall as readline and neomutt do. A prompt
// holds it by pointer, so it outlives the prompt and the model's copies.
type History struct {
	entries []string
	pos     int    // the entry shown; len(entries): the line being typed
	draft   string // the line being typed, kept while older ones show
}

// historyMax bounds what a session keeps of one prompt.
const historyMax = 100

// Reset starts a prompt: Up recalls the newest entry first.
func (h *History) Reset() { h.pos, h.draft = len(h.entries), "" }

// Add records a line entered (not an empty one) as the newest; the same
// line entered before moves here rather than showing twice.
func (h *History) Add(s string) {
	if s != "" {
		h.entries = append(slices.DeleteFunc(h.entries, func(e string) bool { return e == s }), s)
		if len(h.entries) > historyMax {
			h.entries = h.entries[len(h.entries)-historyMax:]
		}
	}
	h.Reset()
}

// Step moves delta entries (-1 older, +1 newer) from the prompt holding
// cur and returns what the prompt is to hold; ok is false at either end.
// Past the newest entry is the line that was being typed.
func (h *History) Step(delta int, cur string) (line string, ok bool) {
	next := h.pos + delta
	if next < 0 || next > len(h.entries) || delta == 0 {
		return cur, false
	}
	if h.pos == len(h.entries) {
		h.draft = cur
	}
	h.pos = next
	if next == len(h.entries) {
		return h.draft, true
	}
	return h.entries[next], true
}

// Recall puts in in the entry the prompt key k steps to (p.Older or
// p.Newer), the cursor at its end: the one handling of Up and Down every
// prompt shares. ok is false when k is neither, or the history ends there.
func (h *History) Recall(k tea.KeyMsg, p keys.Prompt, in *textinput.Model) (line string, ok bool) {
	delta := 0
	switch {
	case key.Matches(k, p.Older):
		delta = -1
	case key.Matches(k, p.Newer):
		delta = 1
	}
	if line, ok = h.Step(delta, in.Value()); ok {
		in.SetValue(line)
		in.CursorEnd()
	}
	return line, ok
}
