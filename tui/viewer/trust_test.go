package viewer

import (
	"strings"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore/mailbox"
	"github.com/sesbox/sesbox/mailstore/mime"
	"github.com/sesbox/sesbox/tui/internal/fixture"
)

// viewRaw shows a message parsed from raw, as mailbox.Open would give it.
func viewRaw(t *testing.T, w, h int, raw string) string {
	t.Helper()
	c := fixture.Common(w, h)
	c.Now = func() time.Time { return fixture.DemoNow }
	m := New(c)
	m.SetSize(w, h)
	v := mime.Parse([]byte(raw))
	v.Summary.Key = "inbound/test"
	m.SetMessage(&mailbox.Message{Summary: v.Summary, Raw: []byte(raw), View: v})
	return m.View()
}

func TestViewerShowsForgedSESHeaders(t *testing.T) {
	raw := "Received: from a by inbound-smtp.us-east-1.amazonaws.com with SMTP id q for info@acme-demo.example; Tue, 3 Nov 2026 14:02:11 +0000\r\n" +
		"From: Mallory <mallory@evil.example>\r\nSubject: pay\r\nDate: Tue, 3 Nov 2026 09:02:05 -0500\r\n" +
		"Received: from x by inbound-smtp.us-east-1.amazonaws.com with SMTP id y for <ceo@acme-demo.example>;\r\n" +
		"\r\nPlease pay.\r\n"
	view := viewRaw(t, 100, 30, raw)
	if !strings.Contains(view, "! forged SES header below the receipt block: Received") {
		t.Errorf("no forged-header warning:\n%s", view)
	}
	if strings.Contains(view, "ceo@") {
		t.Errorf("the forged envelope recipient is shown:\n%s", view)
	}
}
