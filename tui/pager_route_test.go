package tui

import (
	"errors"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/tui/internal/fixture"
	"github.com/sesbox/sesbox/tui/viewer"
)

// The pager's own results (links, parts, pipes) reach the viewer through
// the root, and their failures reach the status line and the history.
func TestRootRoutesPagerResults(t *testing.T) {
	h := newHarness(t, 100, 30, false, box("inbox", fixture.NewFake("a")))
	h.press("enter")
	h.send(viewer.LinkOpenedMsg{URL: "https://x.example/", Copied: true, Why: "not opened over SSH"})
	if !strings.Contains(h.view(), "copied the link (OSC 52): not opened over SSH") {
		t.Fatalf("no link notice:\n%s", h.view())
	}
	h.send(viewer.ExternalExitedMsg{Key: h.m.viewer.Viewer().Key(), Command: "false", Err: errors.New("exit status 1")})
	if len(h.m.errs) != 1 || !strings.Contains(h.view(), "false: exit status 1") {
		t.Fatalf("errors %v:\n%s", h.m.errs, h.view())
	}
}
