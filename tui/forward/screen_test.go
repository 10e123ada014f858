package forward

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/key"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/demo"
	"github.com/sesbox/sesbox/mailstore/forward"
	"github.com/sesbox/sesbox/mailstore/reforward"
	"github.com/sesbox/sesbox/mailstore/sesaccount"
	"github.com/sesbox/sesbox/tui/common"
	"github.com/sesbox/sesbox/tui/internal/fixture"
)

// account is sesaccount.API (sesbox's own interface) with lead@ on the
// suppression list.
type account struct{}

func (account) Account(context.Context) (sesaccount.Account, error) {
	return sesaccount.Account{SendingEnabled: true, EnforcementStatus: "PROBATION", Max24HourSend: 1000, Remaining24Hours: 2, MaxSendRate: 10}, nil
}
func (account) Identity(_ context.Context, n string) (sesaccount.Identity, error) {
	return sesaccount.Identity{Name: n, Status: sesaccount.StatusNotFound}, nil
}
func (account) Suppressed(_ context.Context, a string) (sesaccount.Suppression, bool, error) {
	if a == "lead@team.example" {
		return sesaccount.Suppression{Address: a, Reason: "BOUNCE", Since: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)}, true, nil
	}
	return sesaccount.Suppression{}, false, nil
}

func TestConfirmShowsSuppressionAndQuota(t *testing.T) {
	r, s := newRunner(t)
	r.Account = account{}
	good, spam := demoKeys(t)
	keys := append(slices.Clone(good), mailstore.SESMessageID(spam))
	m := newScreen(t, r, keys, 100, 30)
	m, _ = pump(t, m, m.Init())
	v := m.View()
	for _, want := range []string{"2 sends to 2 recipients", "1 destination left out: on the account's suppression list",
		"1 message skipped as spam", "enforcement status PROBATION", "quota: fits (2 of 2 left today)"} {
		if !strings.Contains(v, want) {
			t.Errorf("confirmation lacks %q:\n%s", want, v)
		}
	}
	m, cmd := press(t, m, "y")
	pump(t, m, cmd)
	for _, d := range s.sent {
		if slices.Contains(d, "lead@team.example") {
			t.Errorf("suppressed address sent to: %v", d)
		}
	}
	if len(s.sent) != 2 {
		t.Errorf("sent %v", s.sent)
	}
}

// TestConfirmScrollsOnAShortTerminal: at 40x10 the confirmation is longer
// than the screen; j, k, PgDn, PgUp, G and g scroll it as the pager does,
// and its last line says there is more (it was cut, the preview and the
// quota never shown). y still sends.
func TestConfirmScrollsOnAShortTerminal(t *testing.T) {
	r, s := newRunner(t)
	r.Account = account{}
	good, _ := demoKeys(t)
	m := newScreen(t, r, good, 40, 10)
	m, _ = pump(t, m, m.Init())
	full := strings.Join(m.confirmLines(), "\n")
	last := full[strings.LastIndex(full, "\n")+1:]
	if len(m.confirmLines()) <= 10 {
		t.Fatalf("the confirmation fits in 10 lines, nothing to scroll:\n%s", full)
	}
	top := m.View()
	if !strings.Contains(top, "more") || strings.Contains(top, strings.TrimSpace(last)) {
		t.Errorf("the first screen does not say there is more:\n%s", top)
	}
	for _, keys := range [][]string{{"G"}, {"pgdown", "pgdown", "pgdown", "pgdown"}, {"j", "j", "j", "j", "j", "j", "j", "j", "j", "j", "j", "j", "j", "j", "j", "j", "j", "j", "j", "j"}} {
		m2 := pressAll(t, m, keys...)
		v := m2.View()
		if strings.Count(v, "\n") != 9 || !strings.Contains(v, strings.TrimSpace(common.Truncate(last, 40))) {
			t.Errorf("%v: the end of the confirmation is not shown:\n%s", keys, v)
		}
		for _, back := range []string{"g", "pgup"} {
			m3 := pressAll(t, m2, back, back, back, back, back)
			if m3.View() != top {
				t.Errorf("%v then %s: not back at the top:\n%s", keys, back, m3.View())
			}
		}
	}
	m = pressAll(t, m, "G")
	m, cmd := press(t, m, "y")
	pump(t, m, cmd)
	if len(s.sent) != len(good) {
		t.Errorf("sent %v", s.sent)
	}
}

func pressAll(t *testing.T, m Model, keys ...string) Model {
	t.Helper()
	for _, k := range keys {
		m, _ = press(t, m, k)
	}
	return m
}

// TestConfirmSaysWhatTheRewriteChanged: the preview names the fields the
// rewrite changed beyond those it shows, those it dropped, and a body
// re-encoded for long lines: it said "other fields, unchanged" when the
// Content-Transfer-Encoding had been changed.
func TestConfirmSaysWhatTheRewriteChanged(t *testing.T) {
	r, _ := newRunner(t)
	good, _ := demoKeys(t)
	m := newScreen(t, r, good, 100, 40)
	m, _ = pump(t, m, m.Init())
	if v := m.View(); !strings.Contains(v, "Removed: ") || strings.Contains(v, "Content-Transfer-Encoding") || strings.Contains(v, "re-encoded") {
		t.Errorf("the demo message's preview:\n%s", v)
	}
	m.preview.Header = append(m.preview.Header[:len(m.preview.Header)-2:len(m.preview.Header)-2], "Content-Transfer-Encoding: quoted-printable\r\n\r\n"...)
	m.preview.Changed = append(m.preview.Changed, "Content-Transfer-Encoding")
	m.preview.Reencoded = []forward.Reencoding{{Part: "1", From: "7bit", To: "quoted-printable"}}
	v := m.View()
	for _, want := range []string{"Changed or added: Content-Transfer-Encoding", "re-encoded (Content-Transfer-Encoding changed)"} {
		if !strings.Contains(v, want) {
			t.Errorf("no %q:\n%s", want, v)
		}
	}
}

// TestRunningScreenShorterThanItsHeader: a run drawn on a screen with
// less room than its header (a dry run's title, wrapped at 40 columns to
// five lines, on the 7 lines a 40x10 terminal leaves the page) shows what
// fits. View sliced the results from a negative room and sesbox crashed
// as y was pressed (found in tmux at 40x10).
func TestRunningScreenShorterThanItsHeader(t *testing.T) {
	r, _ := newRunner(t)
	good, _ := demoKeys(t)
	c := fixture.Common(40, 7)
	m := New(context.Background(), c, r, good, reforward.Options{Config: cfg, DryRunDir: filepath.Join(t.TempDir(), "a-long-directory-name", "demo-forward")})
	m.SetSize(40, 7)
	m, _ = pump(t, m, m.Init())
	m, _ = press(t, m, "y") // the run's Cmd is held: the screen stays on the run
	if !m.Running() {
		t.Fatal("not running")
	}
	checkSize(t, m.View(), 40, 7)
	m, _ = m.Update(ForwardProgressedMsg{ID: m.ID(), Result: &reforward.Result{Key: good[0], Status: reforward.StatusDryRun}})
	checkSize(t, m.View(), 40, 7)
}

// TestResultsNameEveryKeyAt40: the results of a run with a failure, more
// than the screen holds, at 40x10 (7 lines for the page): the key line
// fits whole (m, q/esc; ? from the root) and the list's head names the
// scroll keys. The key line was cut to "? help • m mark failed in list …",
// j, k and q/esc lost.
func TestResultsNameEveryKeyAt40(t *testing.T) {
	r, s := newRunner(t)
	keys := slices.Sorted(maps.Keys(demo.Messages()))[:8]
	s.reject = string(demo.Messages()[keys[1]][len(demo.Messages()[keys[1]])-40:])
	m := newScreen(t, r, keys, 40, 7)
	m, _ = pump(t, m, m.Init())
	m, cmd := press(t, m, "y")
	m, _ = pump(t, m, cmd)
	if len(m.failedKeys()) == 0 || len(m.results) <= m.listHeight() {
		t.Fatalf("want a failure and more results than fit: %d results, %d failed", len(m.results), len(m.failedKeys()))
	}
	v := m.View()
	checkSize(t, v, 40, 7)
	hints := m.c.Hints(append([]key.Binding{m.c.Keys.Global.Help}, m.ShortHelp()...))
	if strings.Contains(hints, "…") || !strings.Contains(hints, "m mark to retry") || !strings.Contains(hints, "q/esc close") {
		t.Errorf("key line %q", hints)
	}
	if !strings.Contains(v, "j/k") {
		t.Errorf("the scroll keys are not named:\n%s", v)
	}
	m = pressAll(t, m, "G")
	if v := m.View(); !strings.Contains(v, "j/k") {
		t.Errorf("the scroll keys are not named at the end:\n%s", v)
	}
}

// TestRunningSaysWhoItWaitsFor: in team mode a run that meets another
// run's live claim waits for that send's outcome (reforward's
// Progress.WaitingFor); the CLI's progress line said whose, the TUI's
// running screen showed the last message sent as "now:", as if stuck.
// The owner's name is the table's, so it is sanitized and cut.
func TestRunningSaysWhoItWaitsFor(t *testing.T) {
	r, _ := newRunner(t)
	good, _ := demoKeys(t)
	for _, size := range [][2]int{{80, 24}, {40, 10}} {
		m := New(context.Background(), fixture.Common(size[0], size[1]), r, good, reforward.Options{Config: cfg, DryRunDir: filepath.Join(t.TempDir(), "out")})
		m.SetSize(size[0], size[1])
		m, _ = pump(t, m, m.Init())
		m, _ = press(t, m, "y")
		m, _ = m.Update(ForwardProgressedMsg{ID: m.ID(), Progress: reforward.Progress{Total: 2, Key: good[0], WaitingFor: "ops@host-b\x1b[31m pid 4242"}})
		v := m.View()
		checkSize(t, v, size[0], size[1])
		if !strings.Contains(v, "waiting for ops@host-b") || strings.Contains(v, "\x1b[31m pid") {
			t.Errorf("%dx%d running view:\n%s", size[0], size[1], v)
		}
	}
}

// TestResultsHeadIsWholeAt40And80: the results' head (the totals, and what
// to do about the failures) is wrapped, never cut, at 40x10 and 80x23; it
// was cut at the screen's edge ("1 failed (m marks them in the list to
// t…"), at 80 columns too. The list below keeps what room is left.
func TestResultsHeadIsWholeAt40And80(t *testing.T) {
	for _, size := range [][2]int{{40, 7}, {80, 20}} {
		r, s := newRunner(t)
		keys := slices.Sorted(maps.Keys(demo.Messages()))[:8]
		s.reject = string(demo.Messages()[keys[1]][len(demo.Messages()[keys[1]])-40:])
		m := newScreen(t, r, keys, size[0], size[1])
		m, _ = pump(t, m, m.Init())
		m, cmd := press(t, m, "y")
		m, _ = pump(t, m, cmd)
		v := m.View()
		checkSize(t, v, size[0], size[1])
		joined := strings.Join(strings.Fields(v), " ")
		for _, want := range []string{"Forward finished: 6 sent, 1 skipped, 1 failed", "1 failed (m marks them in the list to try again)", "FAILED"} {
			if !strings.Contains(joined, want) {
				t.Errorf("%dx%d: %q not shown whole:\n%s", size[0], size[1], want, v)
			}
		}
	}
}

// TestScreenNamesTheBoundKeys: the lines that name keys (the scroll
// line, the failed messages' m, the compose-free results) name them as
// [keys] binds them; they named the defaults.
func TestScreenNamesTheBoundKeys(t *testing.T) {
	r, s := newRunner(t)
	keys := slices.Sorted(maps.Keys(demo.Messages()))[:8]
	s.reject = string(demo.Messages()[keys[1]][len(demo.Messages()[keys[1]])-40:])
	c := fixture.Common(40, 7)
	if err := c.Keys.Apply(map[string][]string{"forward.down": {"J"}, "forward.up": {"K"}, "forward.mark-failed": {"M"}}); err != nil {
		t.Fatal(err)
	}
	m := New(context.Background(), c, r, keys, reforward.Options{Config: cfg})
	m.SetSize(40, 7)
	m, _ = pump(t, m, m.Init())
	if v := m.View(); !strings.Contains(v, "J/K, pgup/pgdown") {
		t.Errorf("confirmation:\n%s", v)
	}
	m, cmd := press(t, m, "y")
	m, _ = pump(t, m, cmd)
	v := strings.Join(strings.Fields(m.View()), " ")
	if !strings.Contains(v, "M marks them") || !strings.Contains(v, "J/K, pgup/pgdown scroll") {
		t.Errorf("results:\n%s", m.View())
	}
}

// TestIncludeSuppressedFromTheScreen: the confirmation said "1 destination
// left out: on the account's suppression list (sesbox forward
// --include-suppressed sends to them)" and the screen had no key for it,
// as it has u, i and a for the other options; s plans again with
// IncludeSuppressed (Runner.Prepare, as the CLI's flag does), the Also
// send line shows it on, and y sends to the suppressed address too.
func TestIncludeSuppressedFromTheScreen(t *testing.T) {
	for _, bound := range []string{"s", "S"} { // the default, and rebound
		r, s := newRunner(t)
		r.Account = account{}
		good, _ := demoKeys(t)
		c := fixture.Common(100, 40)
		if err := c.Keys.Apply(map[string][]string{"forward.include-suppressed": {bound}}); err != nil {
			t.Fatal(err)
		}
		m := New(context.Background(), c, r, good[:1], reforward.Options{Config: cfg})
		m.SetSize(100, 40)
		m, _ = pump(t, m, m.Init())
		v := m.View()
		if !strings.Contains(v, "1 destination left out: on the account's suppression list (key "+bound+" sends to them)") ||
			!strings.Contains(v, "[ ] suppressed ("+bound+")") || strings.Contains(v, "--include-suppressed") {
			t.Fatalf("the confirmation does not offer %s:\n%s", bound, v)
		}
		m, cmd := press(t, m, bound)
		m, _ = pump(t, m, cmd)
		if m.state != stateConfirm || !m.Options().IncludeSuppressed || !strings.Contains(m.View(), "[x] suppressed ("+bound+")") {
			t.Fatalf("after %s: state %v, options %+v:\n%s", bound, m.state, m.Options(), m.View())
		}
		m, cmd = press(t, m, "y")
		pump(t, m, cmd)
		if len(s.sent) != 1 || !slices.Contains(s.sent[0], "lead@team.example") {
			t.Fatalf("sent %v, want lead@team.example (suppressed) included", s.sent)
		}
	}
}

func (account) ConfigurationSet(context.Context) (sesaccount.ConfigurationSet, bool, error) {
	return sesaccount.ConfigurationSet{}, false, nil
}

// TestSkipReasonsAreWholeAt80: a result's line was "STATUS  id  reason"
// cut at the screen's edge, and the 40-cell id left the reason 28 cells
// at 80 columns: "SES spam verdict FAIL; key …", without the key that
// forwards it anyway. A reason that does not fit is wrapped under the
// id, and the list scrolls by lines: every reason of 30 shows whole, j
// and pgdown reach the last, and the scroll line counts results.
func TestSkipReasonsAreWholeAt80(t *testing.T) {
	r, _ := newRunner(t)
	good, _ := demoKeys(t)
	m := newScreen(t, r, good, 80, 19) // the page of an 80x23 terminal
	m.state = stateDone
	reasons := map[string]string{}
	for i := range 30 {
		key := fmt.Sprintf("inbox/%040d", i)
		reason := fmt.Sprintf("SES spam verdict FAIL; key %s forwards it anyway (reason %02d)", firstKey(m.keys.IncludeSpam), i)
		if i%3 == 0 {
			reason = fmt.Sprintf("the forwarding Lambda delivered it 2026-12-01T10:00:00Z to ops@team.example (its log); key a sends it again (%02d)", i)
		}
		reasons[key] = reason
		m.results = append(m.results, reforward.Result{Key: key, Status: reforward.StatusSkipped, Reason: reason})
		m.totals.Skipped++
	}
	seen := map[string]bool{}
	for step := 0; len(seen) < len(reasons) && step < 100; step++ {
		v := m.View()
		checkSize(t, v, 80, 19)
		joined := strings.Join(strings.Fields(v), " ")
		for k, reason := range reasons {
			if strings.Contains(joined, reason) {
				seen[k] = true
			}
		}
		if strings.Contains(v, "…") {
			t.Fatalf("a line is cut:\n%s", v)
		}
		m = pressAll(t, m, "pgdown")
	}
	if len(seen) != len(reasons) {
		t.Fatalf("%d of %d reasons shown whole", len(seen), len(reasons))
	}
	m = pressAll(t, m, "g", "G")
	v := m.View()
	if !strings.Contains(strings.Join(strings.Fields(v), " "), reasons[fmt.Sprintf("inbox/%040d", 29)]) || !strings.Contains(v, "of 30 (") {
		t.Errorf("G does not show the last result whole, counted in results:\n%s", v)
	}
	// A dry run's file and a sent message's SES id stay on one line:
	// 54 dry-run rows took three lines each at 80 columns.
	long := reforward.Result{Key: "inbox/" + strings.Repeat("d", 40), Status: reforward.StatusDryRun, File: "/" + strings.Repeat("x/", 40) + "f.eml"}
	if n := len(m.resultLines(long)); n != 1 {
		t.Errorf("a dry run's row takes %d lines", n)
	}
	m = pressAll(t, m, "g", "j")
	if v := m.View(); !strings.Contains(v, "1–") {
		t.Errorf("j by one line stays on the first result:\n%s", v)
	}
}

// TestResultsKeepTheirPlaceAcrossAResize: the results' offset counted
// lines, which a result's wrapped reason adds more of at a narrower
// width: scrolled to the end at 80x23 (38–54 of 54), a resize to 40x10
// showed 19–22 and one back to 80x23 21–38. The end stays the end, and
// a result at the top of the window stays at its top.
func TestResultsKeepTheirPlaceAcrossAResize(t *testing.T) {
	r, s := newRunner(t)
	keys := slices.Sorted(maps.Keys(demo.Messages()))
	s.reject = string(demo.Messages()[keys[1]][len(demo.Messages()[keys[1]])-40:])
	m := newScreen(t, r, keys, 80, 23)
	m, _ = pump(t, m, m.Init())
	m, cmd := press(t, m, "y")
	m, _ = pump(t, m, cmd)
	window := regexp.MustCompile(`(\d+)–(\d+) of (\d+)`)
	shown := func(v string) (first, last, of string) {
		t.Helper()
		w := window.FindStringSubmatch(v)
		if w == nil {
			t.Fatalf("no scroll line:\n%s", v)
		}
		return w[1], w[2], w[3]
	}
	m, _ = press(t, m, "G")
	sizes := [][2]int{{40, 10}, {120, 36}, {80, 24}, {80, 23}, {40, 12}}
	for _, size := range sizes {
		m.SetSize(size[0], size[1])
		v := m.View()
		checkSize(t, v, size[0], size[1])
		if _, last, of := shown(v); last != of {
			t.Errorf("scrolled to the end, resized to %dx%d: shows up to %s of %s:\n%s", size[0], size[1], last, of, v)
		}
	}
	// The top of the window: the number of its first result, and its
	// status and the first 20 characters of its id (cut at 40 columns).
	topRow := func(v string) string {
		lines := strings.Split(v, "\n")
		for i, l := range lines {
			if window.MatchString(l) {
				first, _, _ := shown(l)
				f := strings.Fields(lines[i+1])
				return first + " " + f[0] + " " + f[1][:20]
			}
		}
		t.Fatalf("no scroll line:\n%s", v)
		return ""
	}
	m.SetSize(80, 23)
	m, _ = press(t, m, "g")
	for range 10 {
		m, _ = press(t, m, "j")
	}
	want := topRow(m.View())
	for _, size := range sizes {
		m.SetSize(size[0], size[1])
		if got := topRow(m.View()); got != want {
			t.Errorf("resized to %dx%d: the window starts at %q, was %q:\n%s", size[0], size[1], got, want, m.View())
		}
	}
}

// TestConfirmationNamesNoOutput: the confirmation of a forward with a
// message that cannot be sent said "1 message cannot be sent (see the
// reasons in the output)", the CLI's words, under "Not sent: 1 failed
// (listed after the run)": the screen has no output. It says the results
// say why, which both front ends list.
func TestConfirmationNamesNoOutput(t *testing.T) {
	r, _ := newRunner(t)
	r.Account = account{}
	good, _ := demoKeys(t)
	m := newScreen(t, r, []string{good[0], demo.Prefix + "nosuchmessage"}, 100, 40)
	m, _ = pump(t, m, m.Init())
	v := strings.Join(strings.Fields(m.View()), " ")
	if !strings.Contains(v, "1 message cannot be sent (the results say why)") || strings.Contains(v, "output") {
		t.Errorf("confirmation:\n%s", m.View())
	}
}
