package tui

import (
	"context"
	"strings"
	"syscall"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/sesbox/sesbox/mailstore/demo"
	"github.com/sesbox/sesbox/tui/compose"
	"github.com/sesbox/sesbox/tui/internal/fixture"
)

// replyInEditor opens the built-in editor on a reply to the Korean
// quotation request and types text into it.
func replyInEditor(t *testing.T, text string) (*harness, *compose.Env) {
	t.Helper()
	env := replyEnv(t, &fakeSES{}, demoIdentity, "")
	h := demoHarness(t, Box{Reply: env})
	if !h.m.cur().List().Select(demo.Prefix + koreanID) {
		t.Fatal("no Korean quotation request in the list")
	}
	h.press("r")
	if h.m.top() != compose.Kind || !h.m.capturing() {
		t.Fatalf("r did not open the built-in editor (screen %q):\n%s", h.m.top(), h.view())
	}
	h.typeText(text)
	return h, env
}

// keptText is the text of the one kept draft, "" when there is none.
func keptText(t *testing.T, env *compose.Env) string {
	t.Helper()
	kept, err := env.Outbox.Drafts.List()
	if err != nil || len(kept) > 1 {
		t.Fatalf("kept drafts %v, %v", kept, err)
	}
	if len(kept) == 0 {
		return ""
	}
	return string(kept[0].Text)
}

// TestRootCtrlCInEditorAsks: ctrl+c in the built-in editor with unsaved
// text asks instead of quitting; esc goes back to the text, p postpones
// (the text is saved, then the program quits), d discards the reply, a
// second ctrl+c postpones.
func TestRootCtrlCInEditorAsks(t *testing.T) {
	t.Run("keep editing, then postpone", func(t *testing.T) {
		h, env := replyInEditor(t, "first words")
		h.press("ctrl+c")
		if v := h.view(); h.quit || !strings.Contains(v, "Unsaved changes, quit?") {
			t.Fatalf("ctrl+c with unsaved text: quit %v:\n%s", h.quit, v)
		}
		h.press("n and more") // one burst: the answer, then text
		if h.quit || !h.m.capturing() || !strings.Contains(h.view(), "first words and more") {
			t.Fatalf("esc did not go back to the editor:\n%s", h.view())
		}
		h.press("ctrl+c", "p")
		if !h.quit {
			t.Fatalf("p did not quit:\n%s", h.view())
		}
		if got := keptText(t, env); !strings.Contains(got, "first words and more") {
			t.Fatalf("postponed draft lacks the text:\n%s", got)
		}
	})
	t.Run("discard", func(t *testing.T) {
		h, env := replyInEditor(t, "never mind")
		h.press("ctrl+c", "d")
		if !h.quit {
			t.Fatalf("d did not quit:\n%s", h.view())
		}
		if got := keptText(t, env); got != "" {
			t.Fatalf("discarded reply kept:\n%s", got)
		}
	})
	t.Run("second ctrl+c postpones", func(t *testing.T) {
		h, env := replyInEditor(t, "typed fast")
		h.press("ctrl+c", "ctrl+c")
		if !h.quit {
			t.Fatalf("ctrl+c twice did not quit:\n%s", h.view())
		}
		if got := keptText(t, env); !strings.Contains(got, "typed fast") {
			t.Fatalf("draft lacks the text:\n%s", got)
		}
	})
	t.Run("after editing again", func(t *testing.T) {
		h, _ := replyInEditor(t, "x")
		h.press("esc", "e") // review, then the editor again: the text is saved
		h.typeText("y")
		h.send(compose.ComposeClosedMsg{ID: "stale"}) // nothing
		h.press("ctrl+c")
		if h.quit || h.m.top() != compose.Kind {
			t.Fatalf("ctrl+c: quit %v, screen %q", h.quit, h.m.top())
		}
	})
	t.Run("nothing changed quits", func(t *testing.T) {
		h, env := replyInEditor(t, "")
		h.press("ctrl+c")
		if !h.quit {
			t.Fatalf("ctrl+c with nothing typed did not quit:\n%s", h.view())
		}
		if keptText(t, env) == "" {
			t.Fatal("the draft written when the reply began is gone")
		}
	})
}

// The last frame, drawn as sesbox quits, is blank: tmux (3.3) resized
// while sesbox ran (40x10 to 80x24) showed the list rows left on the
// alternate screen over the shell's screen after quitting.
func TestQuitBlanksTheLastFrame(t *testing.T) {
	for _, k := range []string{"q", "ctrl+c"} {
		h := newHarness(t, 80, 24, false, box("inbox", fixture.NewFake("a")))
		h.press(k)
		if v := h.m.View(); v != "" {
			t.Fatalf("after %s the last frame is:\n%s", k, v)
		}
	}
	// kill, a hangup: the same, and at once, even over text the built-in
	// editor would ask about on q.
	h, _ := replyInEditor(t, "first words")
	h.send(signalledMsg{syscall.SIGTERM})
	if v := h.m.View(); !h.quit || v != "" {
		t.Fatalf("after SIGTERM (quit %v) the last frame is:\n%s", h.quit, v)
	}
}

// ctrl+z suspends sesbox for the shell that started it, as in mutt, vim
// and less (it did nothing); without a shell with job control to resume
// it (`ssh host sesbox`), it says so instead of stopping for good.
func TestCtrlZSuspendsUnderAJobControlShell(t *testing.T) {
	c := fixture.Common(80, 24)
	c.JobControl = true
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	nm, cmd := New(ctx, c, []Box{box("inbox", fixture.NewFake("a"))}, false, 0, nil).Update(fixture.Key("ctrl+z"))
	if cmd == nil {
		t.Fatal("ctrl+z did nothing")
	}
	if _, ok := cmd().(tea.SuspendMsg); !ok {
		t.Fatalf("ctrl+z sent %#v, want tea.SuspendMsg", cmd())
	}
	_ = nm
	h := newHarness(t, 80, 24, false, box("inbox", fixture.NewFake("a")))
	h.press("ctrl+z")
	if v := h.view(); !strings.Contains(v, "no shell with job control") {
		t.Fatalf("without job control:\n%s", v)
	}
}

// TestSignalKeepsTheEditorsTextAndReplyOffersItBack: the words typed in
// the built-in editor were lost when the terminal hung up or sesbox was
// killed (only the draft written when the reply began was on disk). They
// are kept in that draft as the program ends, and r on the same message
// later opens it again, saying so, instead of a new empty reply; the
// review's discard deletes it, and the next r starts afresh.
func TestSignalKeepsTheEditorsTextAndReplyOffersItBack(t *testing.T) {
	h, env := replyInEditor(t, "half a sentence")
	h.send(signalledMsg{syscall.SIGHUP})
	if !h.quit {
		t.Fatal("SIGHUP did not quit")
	}
	if got := keptText(t, env); !strings.Contains(got, "half a sentence") {
		t.Fatalf("the typed text is not in the kept draft:\n%s", got)
	}

	h2 := demoHarness(t, Box{Reply: env})
	if !h2.m.cur().List().Select(demo.Prefix + koreanID) {
		t.Fatal("no Korean quotation request in the list")
	}
	h2.press("r")
	v := h2.view()
	if !strings.Contains(v, "half a sentence") || !strings.Contains(v, "resumed") {
		t.Fatalf("r did not offer the kept reply back, saying so:\n%s", v)
	}
	h2.typeText(" and the end.")
	h2.press("esc", "d", "y")
	if got := keptText(t, env); got != "" {
		t.Fatalf("discarded, the draft is still kept:\n%s", got)
	}
	h2.press("r")
	if v := h2.view(); strings.Contains(v, "half a sentence") || strings.Contains(v, "resumed") {
		t.Fatalf("after the discard r resumed something:\n%s", v)
	}
}

// TestQQuitsFromAnyScreen: Q was bound to nothing, where a mutt or aerc
// hand quits from wherever it is; q goes back one screen at a time. Q
// quits from the viewer, its parts, the help over them and the forward
// screen's confirmation (nothing is sent), blanking the last frame, and
// asks what q and ctrl+c ask: the built-in editor takes Q as text, and
// Q from the reply's review quits with the reply kept as a draft.
func TestQQuitsFromAnyScreen(t *testing.T) {
	for _, keys := range [][]string{
		{"enter"}, {"enter", "p"}, {"enter", "?"}, {"?"}, {"E"}, {"f"}, {"enter", "l"},
	} {
		h := demoHarness(t, Box{Forward: dryRun(t, newDemoRunner(t), t.TempDir())})
		h.press(keys...)
		if h.m.top() == "" {
			t.Fatalf("%v opened no screen", keys)
		}
		h.press("Q")
		if v := h.m.View(); !h.quit || v != "" {
			t.Fatalf("Q after %v: quit %v, frame:\n%s", keys, h.quit, v)
		}
	}
	h, env := replyInEditor(t, "Quite")
	if h.quit || !strings.Contains(h.view(), "Quite") {
		t.Fatalf("Q in the editor did not type: quit %v\n%s", h.quit, h.view())
	}
	h.press("esc", "Q") // the review: the text was kept on leaving the editor
	if !h.quit || !strings.Contains(keptText(t, env), "Quite") {
		t.Fatalf("Q from the review: quit %v, kept %q", h.quit, keptText(t, env))
	}
}

// TestModalHelpListsNoCommandLine: the help of the forward screen and the
// composer's review listed ": command line", which does nothing there
// (their keys are their own); it lists only what acts.
func TestModalHelpListsNoCommandLine(t *testing.T) {
	h := demoHarness(t, Box{Forward: dryRun(t, newDemoRunner(t), t.TempDir()), Reply: replyEnv(t, &fakeSES{}, demoIdentity, "")})
	for _, keys := range [][]string{{"f"}, {"n", "r", "esc"}} {
		h.press(keys...)
		if h.m.top() == "" {
			t.Fatalf("%v opened nothing", keys)
		}
		for _, g := range h.m.activeKeys().Full {
			for _, b := range g {
				if b.Help().Desc == "command line" {
					t.Fatalf("%v: the help lists %s %s:\n%s", keys, b.Help().Key, b.Help().Desc, h.view())
				}
			}
		}
		h.press(":")
		if h.m.cmd != nil {
			t.Fatalf("%v: : opened the command line after all", keys)
		}
	}
}
