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

	"github.com/sesbox/sesbox/mailstore/demo"
	"github.com/sesbox/sesbox/mailstore/mailbox"
	"github.com/sesbox/sesbox/tui/audit"
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

	// shot is the root over the indexed demo mailbox (with b's
	// capabilities) and a fake second mailbox, in true colour.
	shot := func(t *testing.T, b Box) *harness {
		c := demoCommon(w, h, "~/Downloads")
		c.Styles = theme.New(r)
		mb, closeIdx, err := fixture.DemoMailbox(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(closeIdx)
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		b.Name, b.Mailbox = "demo", mb
		hs := &harness{t: t, m: New(ctx, c, []Box{b, {Name: "support", Mailbox: fixture.NewFake("support")}}, true, nil)}
		hs.send(teaSize(w, h))
		hs.settle(hs.m.Init())
		return hs
	}
	shots := []struct {
		name string
		box  func(t *testing.T) Box
		run  func(h *harness)
	}{
		{"list", nil, func(h *harness) { h.press("j", "j", " ", "j", " ", "j") }},
		{"viewer-korean", nil, func(h *harness) {
			h.press("/")
			h.typeText("배송")
			h.press("enter", "enter")
		}},
		{"search", nil, func(h *harness) {
			h.press("T", "/")
			h.typeText("invoice -spf:fail")
		}},
		{"help", nil, func(h *harness) { h.press("?") }},
		// The review screen of a reply (built-in editor) to the Korean
		// quotation request.
		{"reply", func(t *testing.T) Box {
			return Box{Reply: replyEnv(t, &fakeSES{}, demoIdentity, "")}
		}, func(h *harness) {
			if !h.m.cur().List().Select(demo.Prefix + koreanID) {
				h.t.Fatal("no Korean quotation request in the list")
			}
			h.press("enter", "r")
			h.typeText("이서연 님, 견적서를 첨부해 드립니다. 납기는 12월 4일입니다.")
			h.press("esc")
		}},
		// The confirmation of a dry-run forward of two marked messages,
		// with the rewritten header. The paths on screen are relative to
		// a temp dir, so the picture is the same on every run.
		{"forward", func(t *testing.T) Box {
			t.Chdir(t.TempDir())
			return Box{Forward: dryRun(t, newDemoRunner(t), "./dry-run")}
		}, func(h *harness) { h.press(" ", " ", "f") }},
		// The audit view: the bucket's posture and a finished verify
		// against a manifest.
		{"audit", func(t *testing.T) Box {
			b := fixture.DemoBucket()
			manifest := snapshot(t, b)
			t.Chdir(filepath.Dir(manifest))
			return Box{Audit: &audit.Env{Bucket: b, Config: b, Manifest: filepath.Base(manifest), Parallel: 2}}
		}, func(h *harness) { h.press("A", "v") }},
	}
	for _, s := range shots {
		t.Run(s.name, func(t *testing.T) {
			var b Box
			if s.box != nil {
				b = s.box(t)
			}
			h := shot(t, b)
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
