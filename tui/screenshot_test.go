package tui

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/sesbox/sesbox/mailstore/mailbox"
	"github.com/sesbox/sesbox/tui/internal/fixture"
	"github.com/sesbox/sesbox/tui/theme"
)

// TestScreenshots renders the README's states of the demo mailbox in true
// colour to $SESBOX_SCREENSHOTS/*.ansi, for `make screenshots` to turn into
// PNGs with freeze. Without the variable it still renders every state (so
// the states cannot rot) but writes nothing.
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("SESBOX_SCREENSHOTS")
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.TrueColor)
	r.SetHasDarkBackground(true)
	const w, h = 120, 36

	demoHarness := func(t *testing.T) *harness {
		c := demoCommon(w, h, "~/Downloads")
		c.Styles = theme.New(r)
		mb, closeIdx, err := fixture.DemoMailbox(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(closeIdx)
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		hs := &harness{t: t, m: New(ctx, c, []Box{{Name: "demo", Mailbox: mb}, {Name: "support", Mailbox: fixture.NewFake("support")}}, true, nil)}
		hs.send(teaSize(w, h))
		hs.settle(hs.m.Init())
		return hs
	}
	shots := []struct {
		name string
		run  func(h *harness)
	}{
		{"list", func(h *harness) { h.press("j", "j", " ", "j", " ", "j") }},
		{"viewer-korean", func(h *harness) {
			h.press("/")
			h.typeText("배송")
			h.press("enter", "enter")
		}},
		{"search", func(h *harness) {
			h.press("T", "/")
			h.typeText("invoice -spf:fail")
		}},
		{"help", func(h *harness) { h.press("?") }},
	}
	for _, s := range shots {
		t.Run(s.name, func(t *testing.T) {
			h := demoHarness(t)
			s.run(h)
			write(t, dir, s.name, h.view())
		})
	}
	t.Run("progress", func(t *testing.T) {
		fake := fixture.NewFake("a")
		all := fake.Sums
		fake.Sums = nil
		fake.RefreshFn = func(ctx context.Context, progress func(mailbox.Progress)) error {
			progress(mailbox.Progress{Listed: 12_480, ToFetch: 12_480, Fetched: 5_210, Started: fixture.Now.Add(-41 * time.Second), New: all[:7]})
			<-ctx.Done()
			return nil
		}
		c := fixture.Common(w, h)
		c.Styles = theme.New(r)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		m := New(ctx, c, []Box{{Name: "inbox", Mailbox: fake}}, true, nil)
		m = update(t, m, teaSize(w, h))
		m, cmd := updateCmd(t, m, m.Init()())
		m = update(t, m, cmd())
		write(t, dir, "progress", m.View())
	})
}

func write(t *testing.T, dir, name, view string) {
	t.Helper()
	checkScreen(t, view, 120, 36)
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".ansi"), []byte(view+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}
