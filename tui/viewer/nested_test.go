package viewer

import (
	"os"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore/mailbox"
	"github.com/sesbox/sesbox/mailstore/mime"
)

// TestBodyShowsForwardedMessages: the pager shows each message the
// message holds after its body, as `sesbox show` prints it: under a rule
// naming its part, its fields and body decoded in its own charsets, its
// attachments named. They were parts to open one by one (p, Enter).
func TestBodyShowsForwardedMessages(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/corpus/sesbox-forwarded_messages_charsets.eml")
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range [][2]int{{80, 23}, {80, 24}, {120, 36}} {
		m, _ := newViewer(t, size[0], size[1], korean)
		v := mime.Parse(raw)
		s := v.Summary
		s.Key = "inbox/forwarded"
		m.SetMessage(&mailbox.Message{Summary: s, Raw: raw, View: v})
		at := 0
		for _, want := range []string{
			"See the messages below.",
			"── message in part 2 ──", "From: Jürgen Müller <juergen@example.de>", "Subject: Grüße", "Attached: bericht.pdf (application/pdf, 15B)", "Grüße aus Köln, voilà.",
			"── message in part 3 ──", "From: Иван <ivan@example.ru>", "Subject: Отчёт", "Привет, это пересланное письмо.", "Вторая строка.",
			"── message in part 4 ──", "Subject: Bücher für Zoë", "Das Bücherregal ist fertig.",
			"── message header in part 5 ──", "Subject: the returned header",
		} {
			i := lineOf(m, want, at)
			if i < 0 {
				var all []string
				for _, l := range m.lines {
					all = append(all, l.plain())
				}
				t.Fatalf("%dx%d: the pager lacks %q after line %d:\n%s", size[0], size[1], want, at, strings.Join(all, "\n"))
			}
			at = i
		}
		if lineOf(m, "no text body", 0) >= 0 {
			t.Errorf("%dx%d: the pager says there is no text body", size[0], size[1])
		}
		m, _ = press(t, m, "G")
		checkWidths(t, m.View(), size[0], size[1])
	}
}

// TestNamedTextPartsAreSaved: in the viewer, text parts named by their
// sender without a Content-Disposition are in the body and are
// attachments: the parts list marks them @ and s offers to save them. s
// said the message had no attachments.
func TestNamedTextPartsAreSaved(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/corpus/cpython-named_text_parts_no_disposition.eml")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := newViewer(t, 80, 24, korean)
	v := mime.Parse(raw)
	s := v.Summary
	s.Key = "inbox/named"
	m.SetMessage(&mailbox.Message{Summary: s, Raw: raw, View: v})
	if lineOf(m, "to reflect upon our own", 0) < 0 {
		t.Fatal("the named text is not in the body")
	}
	m, msgs := pressAll(t, m, "s")
	if !m.prompting || m.input.Prompt != "save 2 attachments to: " {
		t.Fatalf("s: prompt %q (%v), notices %q", m.input.Prompt, m.prompting, notices(msgs))
	}
	m, _ = pressAll(t, m, "esc", "p")
	for _, n := range []string{"1", "2"} {
		if i := lineOf(m, "@ "+n+"  text/plain", 0); i < 0 || !strings.Contains(m.lines[i].plain(), "msg.txt") {
			t.Errorf("the parts list does not mark part %s an attachment:\n%s", n, m.View())
		}
	}
}
