package viewer

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/sesbox/sesbox/internal/lockedbuf"
	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/mailbox"
	"github.com/sesbox/sesbox/mailstore/mime"
	"github.com/sesbox/sesbox/tui/common"
	"github.com/sesbox/sesbox/tui/internal/fixture"
)

const (
	korean   = "nq3c59klugu1sbtuk6u4rvhn5oml53ueksrds9dq"
	payroll  = "n3j33daps35in03q84ekkphp4a0lka9bc46b21bh" // three attachments
	photo    = "fj01tteur6ih0omhtnnq3l49c328ov13esdvhqmk" // one attachment
	hostile  = "8p9neikgvnr0uo04vi4v663vccf18avtgdadfoiu"
	hostile2 = "kv4il7ee85m8h9sv192csrd9v14soi8vfht8nikd"
)

func newViewer(t testing.TB, w, h int, id string) (Model, *lockedbuf.Buffer) {
	t.Helper()
	c := fixture.Common(w, h)
	c.Now = func() time.Time { return fixture.DemoNow }
	term := &lockedbuf.Buffer{}
	c.Terminal = term
	m := New(c)
	m.SetSize(w, h)
	m.SetMessage(fixture.DemoMessage(id))
	return m, term
}

func press(t testing.TB, m Model, keys ...string) (Model, []tea.Msg) {
	t.Helper()
	var msgs []tea.Msg
	for _, k := range keys {
		var cmd tea.Cmd
		m, cmd = m.Update(fixture.Key(k))
		if cmd != nil {
			if msg := cmd(); msg != nil {
				msgs = append(msgs, msg)
			}
		}
	}
	return m, msgs
}

func typeText(m Model, s string) Model {
	for _, k := range fixture.Keys(s) {
		m, _ = m.Update(k)
	}
	return m
}

func checkWidths(t *testing.T, view string, w, h int) {
	t.Helper()
	lines := strings.Split(view, "\n")
	if len(lines) != h {
		t.Errorf("view has %d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if got := ansi.StringWidth(l); got > w {
			t.Errorf("line %d is %d cells wide, more than %d: %q", i, got, w, l)
		}
	}
}

func TestViewerKoreanBody(t *testing.T) {
	for _, w := range []int{80, 120} {
		m, _ := newViewer(t, w, 21, korean)
		v := m.View()
		checkWidths(t, v, w, 21)
		if !strings.Contains(v, "배송") {
			t.Fatalf("Korean body not shown:\n%s", v)
		}
		if !strings.Contains(v, "support@acme-demo.example") {
			t.Fatalf("envelope recipient not shown:\n%s", v)
		}
	}
}

func TestViewerModesStayInsideTheScreen(t *testing.T) {
	for _, id := range []string{korean, payroll, hostile, hostile2} {
		m, _ := newViewer(t, 80, 21, id)
		for _, k := range []string{"", "h", "H", "p", "j", "j"} {
			if k != "" {
				m, _ = press(t, m, k)
			}
			v := m.View()
			checkWidths(t, v, 80, 21)
			if strings.ContainsAny(v, "\x1b\x07\u009b\u009d") {
				t.Fatalf("%s after %q: control characters on screen: %q", id, k, v)
			}
		}
	}
}

func TestViewerToggles(t *testing.T) {
	m, _ := newViewer(t, 100, 21, korean)
	m, _ = press(t, m, "h")
	if !strings.Contains(m.View(), "S3 key: inbox/"+korean) || !strings.Contains(m.View(), "Received:") {
		t.Fatalf("full headers not shown:\n%s", m.View())
	}
	m, _ = press(t, m, "h")
	if m.mode != modeBody {
		t.Fatal("h did not toggle back")
	}
	m, _ = press(t, m, "H")
	if !strings.Contains(m.View(), "Return-Path:") {
		t.Fatalf("raw source not shown:\n%s", m.View())
	}
	if !m.Back() || m.mode != modeBody || m.Back() {
		t.Fatal("Back does not leave the raw view exactly once")
	}
}

func TestViewerScrolls(t *testing.T) {
	m, _ := newViewer(t, 80, 12, payroll)
	top := m.View()
	m, _ = press(t, m, "j", "j", "j")
	if m.View() == top {
		t.Fatal("j did not scroll")
	}
	m, _ = press(t, m, "G")
	if !m.vp.AtBottom() {
		t.Fatal("G did not reach the bottom")
	}
	m, _ = press(t, m, "g")
	if m.View() != top {
		t.Fatal("g did not go back to the top")
	}
}

func TestViewerNeighbours(t *testing.T) {
	m, _ := newViewer(t, 80, 21, korean)
	_, msgs := press(t, m, "J", "K")
	want := []tea.Msg{
		NeighbourRequestedMsg{Key: "inbox/" + korean, Delta: 1},
		NeighbourRequestedMsg{Key: "inbox/" + korean, Delta: -1},
	}
	if !reflect.DeepEqual(msgs, want) {
		t.Fatalf("got %#v", msgs)
	}
}

func TestViewerSaveAll(t *testing.T) {
	dir := t.TempDir()
	m, _ := newViewer(t, 100, 21, payroll)
	m, _ = press(t, m, "s")
	if !m.Capturing() || !strings.Contains(m.View(), "save 3 attachments to: /tmp") {
		t.Fatalf("no prompt:\n%s", m.View())
	}
	m.input.SetValue("")
	m = typeText(m, dir)
	m, msgs := press(t, m, "enter")
	if m.Capturing() || len(msgs) != 1 {
		t.Fatalf("enter: capturing %v, msgs %v", m.Capturing(), msgs)
	}
	saved, ok := msgs[0].(AttachmentsSavedMsg)
	if !ok || saved.Err != nil || len(saved.Paths) != 3 || saved.Key != "inbox/"+payroll {
		t.Fatalf("got %#v", msgs[0])
	}
	for _, p := range saved.Paths {
		if filepath.Dir(p) != dir {
			t.Errorf("%s saved outside %s", p, dir)
		}
	}
}

func TestViewerSaveOnePartAndCancel(t *testing.T) {
	dir := t.TempDir()
	m, _ := newViewer(t, 100, 21, payroll)
	m, _ = press(t, m, "s", "esc")
	if m.Capturing() {
		t.Fatal("esc left the prompt open")
	}
	m, _ = press(t, m, "p", "G")
	last := m.parts[len(m.parts)-1]
	for range m.parts {
		m, _ = press(t, m, "j")
	}
	m, _ = press(t, m, "s")
	if !strings.Contains(m.View(), "save part ") {
		t.Fatalf("no part prompt:\n%s", m.View())
	}
	m.input.SetValue(dir)
	_, msgs := press(t, m, "enter")
	saved := msgs[0].(AttachmentsSavedMsg)
	if saved.Err != nil || len(saved.Paths) != 1 {
		t.Fatalf("got %#v", saved)
	}
	got, err := os.ReadFile(saved.Paths[0])
	if err != nil || !bytes.Equal(got, last.Content) {
		t.Fatalf("saved file differs from part %d: %v", last.Index, err)
	}
}

func TestViewerSaveWithoutAttachments(t *testing.T) {
	m, _ := newViewer(t, 100, 21, korean)
	m, msgs := press(t, m, "s")
	if m.Capturing() || len(msgs) != 1 {
		t.Fatal("s on a message without attachments opened a prompt")
	}
	if _, ok := msgs[0].(common.NoticePostedMsg); !ok {
		t.Fatalf("got %#v", msgs[0])
	}
}

func TestViewerOpenUsesPrivateCopy(t *testing.T) {
	m, _ := newViewer(t, 100, 21, photo)
	_, msgs := press(t, m, "o")
	opened, ok := msgs[0].(AttachmentOpenedMsg)
	if !ok || opened.Err != nil {
		t.Fatalf("got %#v", msgs[0])
	}
	defer os.RemoveAll(opened.Dir)
	di, err := os.Stat(opened.Dir)
	if err != nil || di.Mode().Perm() != 0o700 {
		t.Fatalf("dir mode %v, %v", di.Mode(), err)
	}
	fi, err := os.Stat(opened.Path)
	if err != nil || fi.Mode().Perm() != 0o600 || filepath.Dir(opened.Path) != opened.Dir {
		t.Fatalf("file %s mode %v, %v", opened.Path, fi.Mode(), err)
	}
}

func TestViewerOpenWithoutOpener(t *testing.T) {
	m, _ := newViewer(t, 100, 21, photo)
	m.c.Opener = ""
	_, msgs := press(t, m, "o")
	if opened := msgs[0].(AttachmentOpenedMsg); opened.Err == nil {
		t.Fatal("no error without an opener")
	}
}

func TestViewerCopyWritesOSC52(t *testing.T) {
	t.Setenv("TMUX", "")
	m, term := newViewer(t, 100, 21, korean)
	_, msgs := press(t, m, "y", "Y")
	if !reflect.DeepEqual(msgs, []tea.Msg{ClipboardCopiedMsg{What: "S3 key"}, ClipboardCopiedMsg{What: "Message-ID"}}) {
		t.Fatalf("got %#v", msgs)
	}
	want := "\x1b]52;c;" + base64.StdEncoding.EncodeToString([]byte("inbox/"+korean)) + "\x07"
	if !strings.HasPrefix(term.String(), want) {
		t.Fatalf("terminal got %q, want prefix %q", term.String(), want)
	}
}

func TestViewerErrorAndLoading(t *testing.T) {
	m, _ := newViewer(t, 80, 21, korean)
	s := m.summary
	m.SetLoading(s)
	if !strings.Contains(m.View(), "loading") {
		t.Fatalf("no loading text:\n%s", m.View())
	}
	m.SetError(errors.New("AccessDenied: s3:GetObject"))
	v := m.View()
	if !strings.Contains(v, "could not read this message: AccessDenied") {
		t.Fatalf("error not shown:\n%s", v)
	}
	checkWidths(t, v, 80, 21)
	// What to do comes first: HintError's Error is the detail only, so
	// the page says the error through mailstore.Explain.
	m.SetError(&mailstore.HintError{Hint: "the credentials may not read this bucket", Err: errors.New("AccessDenied: s3:GetObject")})
	if v := m.View(); !strings.Contains(strings.Join(strings.Fields(ansi.Strip(v)), " "), "could not read this message: the credentials may not read this bucket (AccessDenied") {
		t.Fatalf("the hint is not said first:\n%s", v)
	}
}

func TestViewerGoldens(t *testing.T) {
	for _, tc := range []struct {
		name string
		id   string
		w, h int
		keys []string
	}{
		{"korean80", korean, 80, 21, nil},
		{"korean120", korean, 120, 21, nil},
		{"parts", payroll, 80, 21, []string{"p", "j"}},
		{"hostile", hostile, 80, 21, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, _ := newViewer(t, tc.w, tc.h, tc.id)
			m, _ = press(t, m, tc.keys...)
			v := m.View()
			checkWidths(t, v, tc.w, tc.h)
			golden.RequireEqual(t, []byte(v))
		})
	}
}

// A body line wraps at spaces, never after a hyphen: a command or an
// address in a mail stays whole on one line, to read and copy.
func TestWrapLinesKeepsHyphenatedWordsWhole(t *testing.T) {
	got := wrapLines("please run aws s3api put-bucket-versioning --bucket mail and mail ops-team@example-corp.example", 30, false)
	for _, l := range got {
		if strings.HasSuffix(l, "-") {
			t.Errorf("line broken after a hyphen: %q (all %q)", l, got)
		}
	}
	for _, word := range []string{"put-bucket-versioning", "ops-team@example-corp.example"} {
		if !slices.ContainsFunc(got, func(l string) bool { return strings.Contains(l, word) }) {
			t.Errorf("%s not whole on a line: %q", word, got)
		}
	}
}

// TestSaveOfUnreadPartsNamesTheRawKey: s on a message whose parts could
// not be read (more than 1000 of them: shown as its source) said "this
// message has no attachments; p lists its parts", and p lists none; it
// now says so and names the key that shows the source, as bound.
func TestSaveOfUnreadPartsNamesTheRawKey(t *testing.T) {
	m, _ := newViewer(t, 100, 30, payroll)
	m.c.Keys.Viewer.Raw.SetKeys("R")
	m.c.Keys.Viewer.Raw.SetHelp("R", "raw source")
	var b strings.Builder
	b.WriteString("From: a@example.com\r\nSubject: many\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n")
	for i := range 1001 {
		fmt.Fprintf(&b, "--b\r\nContent-Type: text/plain\r\n\r\npart %d\r\n", i)
	}
	b.WriteString("--b--\r\n")
	msg := &mailbox.Message{Summary: mailstore.Summary{Object: mailstore.Object{Key: "inbox/many"}}, Raw: []byte(b.String()), View: mime.Parse([]byte(b.String()))}
	if !msg.View.Source {
		t.Fatal("1001 parts were read as MIME")
	}
	m.SetMessage(msg)
	_, msgs := press(t, m, "s")
	if len(msgs) != 1 {
		t.Fatalf("got %v", msgs)
	}
	n, ok := msgs[0].(common.NoticePostedMsg)
	if !ok || !strings.Contains(n.Text, "could not be read; R shows its source") {
		t.Fatalf("s says %#v", msgs[0])
	}
}
