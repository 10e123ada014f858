package tui

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore/drafts"
	"github.com/sesbox/sesbox/tui/compose"
)

// keep writes a kept draft of mailbox demo, begun at created.
func keep(t *testing.T, env *compose.Env, id string, created time.Time, to, subject string) {
	t.Helper()
	d := &drafts.Draft{ID: id, Meta: drafts.Meta{Version: 1, Created: created, Mailbox: "demo",
		From: "Desk <desk@acme-demo.example>"}, Text: []byte(fmt.Sprintf("To: %s\nCc: \nSubject: %s\n\nbody of %s\n", to, subject, subject))}
	if err := env.Outbox.Drafts.Save(d); err != nil {
		t.Fatal(err)
	}
}

// TestRootDraftsPage: :drafts is a page listing the kept drafts, newest
// first (when begun, To, Subject); d asks before deleting (q answers no
// and stays), y deletes the file; Enter resumes the one under the cursor
// in the composer and the list is closed; q goes back.
func TestRootDraftsPage(t *testing.T) {
	env := replyEnv(t, &fakeSES{}, demoIdentity, "")
	h := demoHarness(t, Box{Reply: env})
	day := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	keep(t, env, "20261204T090000Z-aaaaaaaaaa", day, `"Seoyeon Lee" <seoyeon@daehan.example>`, "Re: older quote")
	keep(t, env, "20261204T100000Z-bbbbbbbbbb", day.Add(time.Hour), "ops@team.example", "Re: newer \u202eevil")
	keep(t, env, "20261204T110000Z-cccccccccc", day.Add(2*time.Hour), "x@other.example", "Re: "+strings.Repeat("long ", 40))

	h.press(":")
	h.typeText("drafts")
	h.press("enter")
	v := h.view()
	if h.m.top() != compose.DraftsKind || !strings.Contains(v, "Kept drafts in mailbox demo (3)") {
		t.Fatalf(":drafts did not open the page (screen %q):\n%s", h.m.top(), v)
	}
	older, newer := strings.Index(v, "Re: older quote"), strings.Index(v, "Re: newer <U+202E>evil")
	if older < 0 || newer < 0 || newer > older || !strings.Contains(v, "Seoyeon Lee") || !strings.Contains(v, "Dec 04 09:00") {
		t.Fatalf("the page does not list the drafts newest first, sanitized:\n%s", v)
	}
	h.press("j", "d")
	if v := h.view(); !strings.Contains(v, "Delete draft 20261204T100000Z-bbbbbbbbbb? (y/N)") {
		t.Fatalf("d did not ask:\n%s", v)
	}
	h.press("q")
	if _, err := env.Outbox.Drafts.Load("20261204T100000Z-bbbbbbbbbb"); err != nil || h.m.top() != compose.DraftsKind {
		t.Fatalf("q at the question deleted (%v) or left (screen %q)", err, h.m.top())
	}
	h.press("d", "y")
	if _, err := env.Outbox.Drafts.Load("20261204T100000Z-bbbbbbbbbb"); err == nil {
		t.Fatal("d y did not delete the draft")
	}
	if v := h.view(); strings.Contains(v, "Re: newer") || !strings.Contains(v, "(2)") || !strings.Contains(v, "deleted") {
		t.Fatalf("the deleted draft is still listed:\n%s", v)
	}
	// The cursor is on the older one now: Enter resumes it.
	h.press("enter")
	if v := h.view(); h.m.top() != compose.Kind || !strings.Contains(v, "Re: older quote") || h.m.st.Page(compose.DraftsKind) != nil {
		t.Fatalf("enter did not resume the draft in the composer (screen %q):\n%s", h.m.top(), v)
	}
	h.press("p")
	if h.m.top() != "" {
		t.Fatalf("postpone left screen %q", h.m.top())
	}
	h.press(":")
	h.typeText("drafts")
	h.press("enter", "esc")
	if h.m.top() != "" || h.quit {
		t.Fatalf("esc did not go back from the drafts page (screen %q, quit %v)", h.m.top(), h.quit)
	}
}

// TestRootDraftsPageSizesAndEmpty: the page fits the terminal at the sizes
// people use, and says so when there is nothing kept.
func TestRootDraftsPageSizesAndEmpty(t *testing.T) {
	env := replyEnv(t, &fakeSES{}, demoIdentity, "")
	h := demoHarness(t, Box{Reply: env})
	h.press(":")
	h.typeText("drafts")
	h.press("enter")
	if v := h.view(); !strings.Contains(v, "None.") || !strings.Contains(v, "(0)") {
		t.Fatalf("empty drafts page:\n%s", v)
	}
	h.press("d", "enter", "j") // nothing to act on
	for i := range 40 {
		keep(t, env, fmt.Sprintf("20261204T1%05dZ-aaaaaaaaaa", i), time.Date(2026, 12, 4, 10, 0, i, 0, time.UTC), "a@b.example", fmt.Sprintf("Re: %d 견적 요청", i))
	}
	h.press("esc", ":")
	h.typeText("drafts")
	h.press("enter")
	for _, sz := range [][2]int{{80, 23}, {80, 24}, {120, 36}, {40, 10}} {
		h.send(teaSize(sz[0], sz[1]))
		h.press("G")
		if v := h.view(); !strings.Contains(v, "Re: 0 견") {
			t.Fatalf("%dx%d: G does not show the oldest draft:\n%s", sz[0], sz[1], v)
		}
		h.press("g")
		if v := h.view(); !strings.Contains(v, "Re: 39 견") {
			t.Fatalf("%dx%d: g does not show the newest draft:\n%s", sz[0], sz[1], v)
		}
	}
}

// TestRootKeysAfterPostponeGoUnder: keys typed in the same burst as the
// postpone act on what is shown once the composer has closed (they were
// dropped by the closing composer): p:drafts<Enter> opens the drafts page.
func TestRootKeysAfterPostponeGoUnder(t *testing.T) {
	h, _ := replyInEditor(t, "typed")
	h.press("esc")
	h.pressAll("p:drafts", "enter")
	if v := h.view(); h.m.top() != compose.DraftsKind || !strings.Contains(v, "Re: [견적 요청]") {
		t.Fatalf("p:drafts<Enter> in one burst: screen %q:\n%s", h.m.top(), v)
	}
}

// TestRootDraftsPageListsDamagedDrafts: a draft whose details (ID.json)
// were cut short, its words (ID.txt) intact, is listed, marked, as
// `sesbox drafts` lists it; Enter says where its words are instead of
// resuming it, and d deletes it. The page said "None." and only its error
// line named the file.
func TestRootDraftsPageListsDamagedDrafts(t *testing.T) {
	env := replyEnv(t, &fakeSES{}, demoIdentity, "")
	h := demoHarness(t, Box{Reply: env})
	day := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	const id = "20261204T100000Z-dddddddddd"
	keep(t, env, id, day, "ops@team.example", "Re: cut short")
	d, err := env.Outbox.Drafts.Load(id)
	if err != nil {
		t.Fatal(err)
	}
	meta := strings.TrimSuffix(d.Path(), ".txt") + ".json"
	b, err := os.ReadFile(meta)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(meta, b[:len(b)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	h.press(":")
	h.typeText("drafts")
	h.press("enter")
	if v := h.view(); !strings.Contains(v, "(1)") || !strings.Contains(v, "[damaged] Re: cut short") || strings.Contains(v, "None.") {
		t.Fatalf("the damaged draft is not listed:\n%s", v)
	}
	h.press("enter")
	if v := h.view(); h.m.top() != compose.DraftsKind || !strings.Contains(strings.Join(strings.Fields(v), " "), "your words are kept in") {
		t.Fatalf("enter on a damaged draft did not say where its words are (screen %q):\n%s", h.m.top(), v)
	}
	if _, err := os.Stat(d.Path()); err != nil {
		t.Fatalf("the draft's words are gone: %v", err)
	}
	h.press("d", "y")
	if _, err := os.Stat(d.Path()); err == nil {
		t.Fatalf("d y did not delete the damaged draft:\n%s", h.view())
	}
}
