package common

import "slices"

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
