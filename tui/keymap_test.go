package tui

import (
	"strings"
	"testing"

	"github.com/sesbox/sesbox/tui/audit"
	"github.com/sesbox/sesbox/tui/internal/fixture"
)

// TestEveryViewBindsEachKeyOnce walks the screens and modes (the list,
// the viewer and its parts and links, the composer, the drafts page, the
// forward and audit views, the help and the histories) and fails when the
// keys shown on one of them (`?`: the page's keys, the mail keys and the
// global keys) bind one key to two different actions: the viewer's help
// listed y as both "copy S3 key" and "copy link".
func TestEveryViewBindsEachKeyOnce(t *testing.T) {
	b := fixture.DemoBucket()
	h := demoHarness(t, Box{
		Reply:   replyEnv(t, &fakeSES{}, demoIdentity, ""),
		Forward: dryRun(t, newDemoRunner(t), t.TempDir()),
		Audit:   &audit.Env{Bucket: b, Config: b},
	})
	check := func(screen string) {
		t.Helper()
		seen := map[string]string{}
		for _, group := range h.m.activeKeys().FullHelp() {
			for _, bind := range group {
				if !bind.Enabled() {
					continue
				}
				for _, k := range bind.Keys() {
					if was, ok := seen[k]; ok && was != bind.Help().Desc {
						t.Errorf("%s: %q is both %q and %q", screen, k, was, bind.Help().Desc)
					}
					seen[k] = bind.Help().Desc
				}
			}
		}
	}
	walk := []struct {
		name string
		keys []string
	}{
		{"list", nil},
		{"help", []string{"?"}},
		{"errors", []string{"q", "E"}},
		{"viewer", []string{"q", "enter"}},
		{"viewer parts", []string{"p"}},
		{"viewer links", []string{"q", "l"}},
		{"composer editor", []string{"q", "q", "r"}},
		{"composer review", []string{"esc"}},
		{"drafts", []string{"p", ":", "d", "r", "a", "f", "t", "s", "enter"}},
		{"forward", []string{"q", "f"}},
		{"audit", []string{"q", "A"}},
		{"list filtered", []string{"q", "/", "i", "n", "v", "enter"}},
	}
	for _, s := range walk {
		h.press(s.keys...)
		if strings.TrimSpace(h.view()) == "" {
			t.Fatalf("%s: nothing on screen", s.name)
		}
		if s.name == "list filtered" && !h.m.cur().List().HasFilter() {
			t.Fatalf("no filter:\n%s", h.view())
		}
		check(s.name + " (screen " + string(h.m.top()) + ")")
	}
}
