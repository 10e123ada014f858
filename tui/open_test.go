package tui

import (
	"testing"

	"github.com/sesbox/sesbox/tui/common"
	"github.com/sesbox/sesbox/tui/internal/fixture"
	"github.com/sesbox/sesbox/tui/textpage"
)

// An answer an opener waited for opens its page only while it is the one
// asked for: another asked since, or none asked, drops it.
func TestRootOpeningReadyOnlyForTheOneAsked(t *testing.T) {
	h := newHarness(t, 100, 30, false, Box{Name: "inbox", Mailbox: fixture.NewFake("a")})
	const kind common.Kind = "probe"
	opened := 0
	ready := func(want string) common.OpeningReadyMsg {
		return common.OpeningReadyMsg{Kind: kind, Want: want, Open: func(common.Target) common.Opening {
			opened++
			return common.Opening{Kind: kind, Page: textpage.NewErrors(h.m.c, kind, nil)}
		}}
	}
	h.send(ready("inbox/a1"))
	if opened != 0 || h.m.top() != "" {
		t.Fatalf("an answer nobody asked for opened a page (%d, top %q)", opened, h.m.top())
	}
	nm, _ := h.m.apply(common.Opening{Kind: kind, Want: "inbox/a2", Notice: "reading…"})
	h.m = nm.(Model)
	h.send(ready("inbox/a1"))
	if opened != 0 {
		t.Fatal("a stale answer opened a page")
	}
	h.send(ready("inbox/a2"))
	if opened != 1 || h.m.top() != kind || h.m.notice != "" {
		t.Fatalf("the answer asked for: opened %d, top %q, notice %q", opened, h.m.top(), h.m.notice)
	}
	h.send(ready("inbox/a2"))
	if opened != 1 {
		t.Fatal("an answer was taken twice")
	}
}
