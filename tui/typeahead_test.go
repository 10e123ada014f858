package tui

import (
	"context"
	"errors"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/sesbox/sesbox/mailstore/demo"
	"github.com/sesbox/sesbox/tui/compose"
	"github.com/sesbox/sesbox/tui/internal/fixture"
	"github.com/sesbox/sesbox/tui/viewer"
)

// typed is r followed at once by text, as typed fast or sent in one burst
// (tmux send-keys "rHello"): nothing of it is read before the composer
// has opened.
func typed(first string, text string) []tea.KeyMsg {
	return append([]tea.KeyMsg{fixture.Key(first)}, fixture.Keys(text)...)
}

// postponed ends the built-in editor's editing (esc), postpones the
// reply (p) and returns the kept draft's text.
func postponed(t *testing.T, h *harness, env *compose.Env) string {
	t.Helper()
	if h.m.top() != compose.Kind || !h.m.capturing() {
		t.Fatalf("the built-in editor is not open (screen %q):\n%s", h.m.top(), h.view())
	}
	h.press("esc", "p")
	return keptText(t, env)
}

// TestRootReplyTypedAheadGoesToTheEditor: the words typed right after r
// (from the list, where the message is read first, and from the viewer,
// where the draft is written first) are the start of the reply, where the
// cursor starts: none is lost, and none acts as a key of the list or of
// the root (":" opened the command line, "?" the help, "j" moved the
// cursor).
func TestRootReplyTypedAheadGoesToTheEditor(t *testing.T) {
	const text = "Hi: is j? ok"
	for _, from := range []string{"list", "viewer"} {
		t.Run(from, func(t *testing.T) {
			env := replyEnv(t, &fakeSES{}, demoIdentity, "")
			h := demoHarness(t, Box{Reply: env})
			if !h.m.cur().List().Select(demo.Prefix + koreanID) {
				t.Fatal("no Korean quotation request in the list")
			}
			if from == "viewer" {
				h.press("enter")
			}
			h.burst(typed("r", text)...)
			if h.m.cmd != nil || strings.Contains(h.view(), "Keys:") {
				t.Fatal("a key typed into the reply acted on the root")
			}
			if s, _ := h.m.cur().List().Selected(); s.Key != demo.Prefix+koreanID {
				t.Fatalf("a key typed into the reply moved the list to %s", s.Key)
			}
			got := postponed(t, h, env)
			head, body, _ := strings.Cut(got, "\n\n")
			if !strings.HasPrefix(body, text) || !strings.Contains(head, "daehan") {
				t.Fatalf("the reply does not start with what was typed after r:\n%s", got)
			}
		})
	}
}

// TestRootReplyTypeAheadNeverSends: typed ahead, the key that ends the
// editing and an s that would send on the review screen: the s is dropped
// (the review is read after the draft is built), nothing is sent, and the
// reply is there to review.
func TestRootReplyTypeAheadNeverSends(t *testing.T) {
	ses := &fakeSES{}
	env := replyEnv(t, ses, demoIdentity, "")
	h := demoHarness(t, Box{Reply: env})
	keys := append(typed("r", "Thanks"), fixture.Key("esc"), fixture.Key("s"))
	h.burst(keys...)
	if v := h.view(); !strings.Contains(v, "Reply — review") || !strings.Contains(v, "Thanks") {
		t.Fatalf("no review of the typed reply:\n%s", v)
	}
	if dests, _ := ses.sent(); len(dests) != 0 {
		t.Fatalf("a typed-ahead s sent the reply to %v", dests)
	}
}

// TestRootReplyTypeAheadWithAnExternalEditor: $EDITOR reads the terminal
// itself; keys read before it had it are dropped (mutt flushes
// type-ahead), never replayed onto the review screen after it. In a real
// program: the harness runs no editor.
func TestRootReplyTypeAheadWithAnExternalEditor(t *testing.T) {
	ses := &fakeSES{}
	env := replyEnv(t, ses, demoIdentity, editorScript(t, "From the editor."))
	mb, closeIdx, err := fixture.DemoMailbox(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); closeIdx() })
	tm := start(t, New(ctx, demoCommon(120, 36, ""), []Box{{Name: "demo", Mailbox: mb, Reply: env}}, true, 0, nil), 120, 36)
	indexed(t, tm)
	for _, k := range typed("r", "sss") {
		tm.Send(k)
	}
	waitFor(t, tm, "Reply — review", "From the editor.")
	fm := finish(t, tm)
	if dests, _ := ses.sent(); len(dests) != 0 || fm.st.Page(compose.Kind) == nil {
		t.Fatalf("typed-ahead keys sent the reply to %v (composing %v)", dests, fm.st.Page(compose.Kind) != nil)
	}
	if kept := keptText(t, env); strings.Contains(kept, "sss") {
		t.Fatalf("typed-ahead keys reached the draft:\n%s", kept)
	}
}

// TestRootReplyTypeAheadDroppedWhenNothingOpens: when the message cannot
// be read, the keys typed for the reply go nowhere (as list keys, "dj"
// would have moved the cursor and more); Esc before anything is typed
// stops waiting, and the late answer opens nothing.
func TestRootReplyTypeAheadDroppedWhenNothingOpens(t *testing.T) {
	fake := fixture.NewFake("a")
	fake.OpenErr = errors.New("GetObject: AccessDenied")
	h := newHarness(t, 100, 30, false, Box{Name: "inbox", Mailbox: fake, Reply: replyEnv(t, &fakeSES{}, demoIdentity, "")})
	before, _ := h.m.cur().List().Selected()
	h.burst(typed("r", "jjj?")...)
	if after, _ := h.m.cur().List().Selected(); after.Key != before.Key || h.m.top() != "" || len(h.m.held) != 0 {
		t.Fatalf("keys typed for a reply that did not open acted: cursor %s → %s, screen %q, held %d", before.Key, after.Key, h.m.top(), len(h.m.held))
	}
	if v := h.view(); !strings.Contains(v, "AccessDenied") {
		t.Fatalf("the failed read is not shown:\n%s", v)
	}

	fake.OpenErr = nil
	h.burst(fixture.Key("r"), fixture.Key("esc"), fixture.Key("j"))
	if h.m.top() != "" || h.quit || h.m.st.Page(compose.Kind) != nil {
		t.Fatalf("esc while the message was read: screen %q, quit %v", h.m.top(), h.quit)
	}
	if after, _ := h.m.cur().List().Selected(); after.Key == before.Key {
		t.Fatal("j after the cancelled reply did not move the list's cursor")
	}
	if h.m.top() == viewer.Kind {
		t.Fatal("the viewer opened")
	}
}
