// Package stack keeps the root's pages over the mailbox list: the open
// ones, the order they are shown in, and the pages asked for that read
// before they open.
package stack

import (
	"maps"
	"slices"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/sesbox/sesbox/tui/common"
)

// opened is a page over the list, with the mailbox it was opened on.
type opened struct {
	page common.Page
	box  int
}

// Stack is the open pages; order is the order they are shown in, the last
// on top. A page left but kept (a Backgrounded one, the page of kind keep)
// stays open without being on the stack.
type Stack struct {
	pages map[common.Kind]*opened
	order []common.Kind
	keep  common.Kind
	// want is, by page kind, the message a page reads before it opens (r
	// was pressed in the list, the composer is not open yet); answers for
	// others are stale.
	want map[common.Kind]string
}

// New returns a stack with page p of kind keep open, never closed.
func New(keep common.Kind, p common.Page) Stack {
	return Stack{pages: map[common.Kind]*opened{keep: {page: p}}, keep: keep, want: map[common.Kind]string{}}
}

// Top is the kind of the page shown, "" for the list.
func (s Stack) Top() common.Kind {
	if len(s.order) == 0 {
		return ""
	}
	return s.order[len(s.order)-1]
}

// Page is the open page of kind k, nil if none.
func (s Stack) Page(k common.Kind) common.Page {
	if o := s.pages[k]; o != nil {
		return o.page
	}
	return nil
}

// Box is the mailbox page k was opened on.
func (s Stack) Box(k common.Kind) int {
	if o := s.pages[k]; o != nil {
		return o.box
	}
	return -1
}

// Pages are the open pages, in no order.
func (s Stack) Pages() []common.Page {
	var ps []common.Page
	for _, o := range s.pages {
		ps = append(ps, o.page)
	}
	return ps
}

// Busy is what a page that must not be cut off (common.Busy) says about
// letting it finish, "" when none is busy: quitting waits for it.
func (s Stack) Busy() string {
	for _, p := range s.Pages() {
		if b, ok := p.(common.Busy); ok && b.Busy() != "" {
			return b.Busy()
		}
	}
	return ""
}

// Keeper is the open page, if any, that holds unsaved work (common.Keeper),
// and its kind.
func (s Stack) Keeper() (common.Kind, common.Keeper, bool) {
	for _, k := range slices.Sorted(maps.Keys(s.pages)) {
		if kp, ok := s.pages[k].page.(common.Keeper); ok {
			return k, kp, true
		}
	}
	return "", nil, false
}

// Stop stops every page that runs work of its own (common.Stopper).
func (s Stack) Stop() {
	for _, p := range s.Pages() {
		if st, ok := p.(common.Stopper); ok {
			st.Stop()
		}
	}
}

// News is a page's news while it runs in the background (not shown), ""
// when none has any.
func (s Stack) News(shown common.Page) string {
	for _, k := range slices.Sorted(maps.Keys(s.pages)) {
		p := s.pages[k].page
		if b, ok := p.(common.Backgrounded); ok && b.Status() != "" && p != shown {
			return b.Status()
		}
	}
	return ""
}

// Push opens p (of kind k, on mailbox box, sized w by h) on top.
func (s *Stack) Push(k common.Kind, p common.Page, box, w, h int) {
	if o := s.pages[k]; o != nil && o.page != p {
		if st, ok := o.page.(common.Stopper); ok {
			st.Stop()
		}
	}
	s.pages[k] = &opened{page: p, box: box}
	s.order = append(slices.DeleteFunc(s.order, func(x common.Kind) bool { return x == k }), k)
	p.SetSize(w, h)
	if b, ok := p.(common.Backgrounded); ok {
		b.SetHidden(false)
	}
}

// Leave takes page k off the screen. A page that works in the background
// (and the kept one) stays open for later; others are closed.
func (s *Stack) Leave(k common.Kind) {
	s.order = slices.DeleteFunc(s.order, func(x common.Kind) bool { return x == k })
	o := s.pages[k]
	if o == nil {
		return
	}
	if b, ok := o.page.(common.Backgrounded); ok {
		b.SetHidden(true)
		return
	}
	if k != s.keep {
		delete(s.pages, k)
	}
}

// Close takes page k off the screen and closes it.
func (s *Stack) Close(k common.Kind) {
	s.Leave(k)
	delete(s.pages, k)
}

// Clear shows the list (another mailbox's).
func (s *Stack) Clear() { s.order = nil }

// Show shows op's page on mailbox box, sized w by h. A page kept in the
// background for box (the audit view) is shown again instead of the new
// one.
func (s *Stack) Show(op common.Opening, box, w, h int) tea.Cmd {
	delete(s.want, op.Kind)
	if o := s.pages[op.Kind]; o != nil && o.box == box {
		if _, kept := o.page.(common.Backgrounded); kept {
			s.Push(op.Kind, o.page, box, w, h)
			return nil
		}
	}
	s.Push(op.Kind, op.Page, box, w, h) // stops the page it replaces
	return op.Cmd
}

// Want records that op's page reads op.Want before it opens.
func (s *Stack) Want(op common.Opening) {
	if op.Want != "" {
		s.want[op.Kind] = op.Want
	}
}

// Unwant forgets the page of kind k asked for: its answer is dropped.
func (s *Stack) Unwant(k common.Kind) { delete(s.want, k) }

// Ready reports whether the page msg says is ready still is the one asked
// for (no other was asked for since, none is open).
func (s *Stack) Ready(msg common.OpeningReadyMsg) bool {
	if msg.Want != "" {
		if msg.Want != s.want[msg.Kind] || s.pages[msg.Kind] != nil {
			return false
		}
		delete(s.want, msg.Kind)
	}
	return true
}
