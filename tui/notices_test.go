package tui

import (
	"errors"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore"
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

// TestLongNoticeIsCutVisibly: a notice wider than the status line was cut
// at the screen's edge with nothing to say more of it was in :notices
// (as an error's "(E: history)" says); at 80, 60 and 40 columns it ends
// with "… (:notices)", and one that fits has no pointer.
func TestLongNoticeIsCutVisibly(t *testing.T) {
	long := "re-forwarding is not set up for mailbox support: " + strings.Repeat("a long reason ", 10)
	for _, w := range []int{80, 60, 40} {
		h := newHarness(t, w, 24, false, box("inbox", fixture.NewFake("a")))
		h.send(common.NoticePostedMsg{Text: long})
		lines := strings.Split(h.view(), "\n")
		status := strings.TrimRight(lines[len(lines)-2], " ")
		if !strings.HasSuffix(status, "… (:notices)") || !strings.HasPrefix(status, " re-forwarding is not set up") {
			t.Errorf("at %d columns the cut notice is %q", w, status)
		}
	}
	h := newHarness(t, 80, 24, false, box("inbox", fixture.NewFake("a")))
	h.send(common.NoticePostedMsg{Text: "no more messages"})
	if v := h.view(); strings.Contains(v, ":notices") {
		t.Errorf("a notice that fits points to :notices:\n%s", v)
	}
}

// TestUnavailableSaysTheHintFirst: a key whose screen a mailbox cannot
// open said what is missing and then how to set it up ("re-forwarding is
// not set up for mailbox support: no forward_config: set it in ..."),
// which the status line cut; the hint comes first.
func TestUnavailableSaysTheHintFirst(t *testing.T) {
	why := &mailstore.HintError{Hint: "set forward_config in [mailbox.support]", Err: errors.New("no forward_config")}
	got := common.Unavailable("re-forwarding", "support", why)
	if want := "set forward_config in [mailbox.support] (re-forwarding is not set up for mailbox support: no forward_config)"; got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
	if got := common.Unavailable("export", "support", errors.New("no bucket")); got != "export is not set up for mailbox support: no bucket" {
		t.Fatalf("without a hint: %q", got)
	}
}
