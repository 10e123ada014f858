package tui

import (
	"errors"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/tui/common"
	"github.com/sesbox/sesbox/tui/internal/fixture"
)

// TestNoticesKeepsThoseOfEveryLevel: a notice on the status line was
// gone at the next key, kept nowhere, where E keeps the errors. :notices
// (vim's :messages) shows the recent ones of every level, newest first, each
// with its time and level; E still shows only the errors, and says where
// the rest are.
func TestNoticesKeepsThoseOfEveryLevel(t *testing.T) {
	h := newHarness(t, 100, 30, false, box("inbox", fixture.NewFake("a")))
	h.send(common.NoticePostedMsg{Text: "copied the S3 key"})
	h.press("j")
	h.send(common.ErrorPostedMsg{Err: errors.New("open: AccessDenied")})
	h.press("j")
	h.send(common.NoticePostedMsg{Text: "2 new messages"})
	h.press("j")
	if strings.Contains(h.view(), "2 new messages") {
		t.Fatal("the notice stayed on the status line after a key")
	}

	h.press(":")
	h.typeText("notices")
	h.press("enter")
	v := h.view()
	now := h.m.c.Now().In(h.m.c.Location()).Format("15:04:05")
	newest, err, oldest := strings.Index(v, now+"  info   2 new messages"), strings.Index(v, now+"  error  open: AccessDenied"), strings.Index(v, now+"  info   copied the S3 key")
	if newest < 0 || err < 0 || oldest < 0 || !(newest < err && err < oldest) {
		t.Fatalf(":notices does not list every notice, newest first, with time and level:\n%s", v)
	}
	h.press("esc")
	if h.m.top() != "" {
		t.Fatalf("esc did not close the notices (screen %q)", h.m.top())
	}

	h.press("E")
	v = h.view()
	if !strings.Contains(v, "AccessDenied") || strings.Contains(v, "copied the S3 key") || !strings.Contains(v, ":notices") {
		t.Fatalf("E shows more than the errors, or not where the rest are:\n%s", v)
	}
}
