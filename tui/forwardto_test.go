package tui

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore/reforward"
	"github.com/sesbox/sesbox/tui/forward"
)

// TestForwardLineTakesToAndRecipient: :forward took no flag, so no
// destination could be chosen from the TUI where sesbox forward has --to
// and --recipient. The line takes both, each repeatable and checked by
// the CLI's own check (reforward.Options.Check): a bad address is an
// error on the status line and opens nothing; the other flags of sesbox
// forward are refused naming it.
func TestForwardLineTakesToAndRecipient(t *testing.T) {
	out := t.TempDir()
	h := demoHarness(t, Box{Forward: dryRun(t, newDemoRunner(t), out)})
	line := func(s string) {
		t.Helper()
		h.press(":")
		h.typeText(s)
		h.press("enter")
	}
	lastErr := func() string {
		if len(h.m.errs) == 0 {
			return ""
		}
		return h.m.errs[len(h.m.errs)-1].Text
	}

	for _, c := range []struct{ line, want string }{
		{"forward --to ops@team.example --to Bob <b@x.example>", `:forward --to: "Bob <b@x.example>" is not one plain address (name@domain); one plain address each`},
		{"forward --to b@b\u00fccher.example", `:forward --to: write "b@xn--bcher-kva.example"`},
		{"forward --to", ":forward: --to needs an ADDR after it (--to a@x.example)"},
		{"forward --dry-run /tmp/x", ":forward takes --to --recipient; --dry-run: sesbox forward"},
	} {
		line(c.line)
		if h.m.top() != "" || !strings.HasPrefix(lastErr(), c.want) {
			t.Errorf(":%s: top %q, error %q, want %q", c.line, h.m.top(), lastErr(), c.want)
		}
		if v := h.view(); !strings.Contains(v, " error: "+c.want[:20]) {
			t.Errorf(":%s: the status line does not say it:\n%s", c.line, v)
		}
		h.press("esc")
	}
	if files, _ := os.ReadDir(out); len(files) != 0 {
		t.Fatalf("a refused line wrote %d files", len(files))
	}

	line("forward --to boss@x.example --to ops@team.example")
	if h.m.top() != forward.Kind {
		t.Fatalf(":forward --to opened nothing (error %q)", lastErr())
	}
	v := h.view()
	if !strings.Contains(v, "1 send to 2 recipients, 2 destinations, given, not mapped (t changes them):") || !strings.Contains(v, "boss@x.example, ops@team.example") {
		t.Fatalf("the confirmation does not show the destinations given:\n%s", v)
	}
	h.press("y")
	res := fwd(h.m).Results()
	if len(res) != 1 || res[0].Status != reforward.StatusDryRun || !slices.Equal(res[0].Recipients, []string{"boss@x.example", "ops@team.example"}) {
		t.Fatalf("results %+v", res)
	}
	h.press("q")

	// --recipient maps the address given instead of the message's.
	line("forward --recipient info@acme-demo.example")
	if v := h.view(); h.m.top() != forward.Kind || !strings.Contains(v, "mapped from info@acme-demo.example") ||
		!strings.Contains(v, "lead@team.example, ops@team.example") {
		t.Fatalf(":forward --recipient (error %q):\n%s", lastErr(), v)
	}
	if o := fwd(h.m).Options(); !slices.Equal(o.Recipients, []string{"info@acme-demo.example"}) || o.To != nil {
		t.Fatalf("options %+v", o)
	}
}

// TestForwardWithoutForwardConfig: a mailbox without forward_config got
// no forward setup, so f and :forward --to were refused where sesbox
// forward --to sends. Now f, with nothing to map the recipients through,
// says what to give, hint first (the status line may cut the end), and
// opens nothing; :forward --to opens the screen and sends to the
// addresses given; t's line entered empty is refused the same way, the
// line kept open.
func TestForwardWithoutForwardConfig(t *testing.T) {
	out := t.TempDir()
	env := &ForwardEnv{Forwarder: newDemoRunner(t), Options: reforward.Options{DryRunDir: out}}
	h := demoHarness(t, Box{Forward: env})
	lastErr := func() string {
		if len(h.m.errs) == 0 {
			return ""
		}
		return h.m.errs[len(h.m.errs)-1].Text
	}
	const hint = ":forward --to ADDR forwards to the addresses you give, or set forward_config for mailbox demo"
	h.press("f")
	if h.m.top() != "" || !strings.HasPrefix(lastErr(), hint) {
		t.Fatalf("f without forward_config: top %q, error %q", h.m.top(), lastErr())
	}
	if v := h.view(); !strings.Contains(v, " error: :forward --to ADDR forwards to") {
		t.Fatalf("the status line does not say what to give:\n%s", v)
	}
	h.press("esc")
	// --recipient maps too: with no mapping it is refused the same way.
	h.press(":")
	h.typeText("forward --recipient info@acme-demo.example")
	h.press("enter")
	if h.m.top() != "" || !strings.HasPrefix(lastErr(), hint) {
		t.Fatalf(":forward --recipient without forward_config: top %q, error %q", h.m.top(), lastErr())
	}
	h.press("esc")

	h.press(":")
	h.typeText("forward --to boss@x.example")
	h.press("enter")
	if h.m.top() != forward.Kind {
		t.Fatalf(":forward --to opened nothing (error %q)", lastErr())
	}
	if v := h.view(); !strings.Contains(v, "1 destination, given, not mapped (t changes them):") || !strings.Contains(v, "boss@x.example") {
		t.Fatalf("the confirmation does not show the address given:\n%s", v)
	}
	errs := len(h.m.errs)
	h.press("t")
	h.press("ctrl+u")
	h.press("enter")
	if len(h.m.errs) == errs || !strings.HasPrefix(lastErr(), "type the addresses to forward to") || !fwd(h.m).Capturing() {
		t.Fatalf("t's line entered empty: error %q, editing %v", lastErr(), fwd(h.m).Capturing())
	}
	h.press("esc")
	h.press("y")
	res := fwd(h.m).Results()
	if len(res) != 1 || res[0].Status != reforward.StatusDryRun || !slices.Equal(res[0].Recipients, []string{"boss@x.example"}) {
		t.Fatalf("results %+v", res)
	}
	if files, _ := os.ReadDir(out); len(files) != 1 {
		t.Fatalf("%d files written, want 1", len(files))
	}
}
