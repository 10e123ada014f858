package viewer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/fwdlog"
	"github.com/sesbox/sesbox/mailstore/mailbox"
	"github.com/sesbox/sesbox/mailstore/mime"
	"github.com/sesbox/sesbox/tui/internal/fixture"
)

func TestForwardFailureAndLogAboveBody(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "testdata", "forwarder", "message.txt"))
	if err != nil {
		t.Fatal(err)
	}
	v := mime.Parse(raw)
	s := v.Summary
	s.Key = "inbound/m1"
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	s.Forward = mailstore.Forward{Status: mailstore.ForwardFailed, Time: at, Destinations: []string{"jim@example.com"},
		Error: "MessageRejected: Email address is not verified.", Requests: []string{"r1"}}
	log := []fwdlog.Line{
		{Time: at, Text: "START RequestId: r1 Version: $LATEST\n"},
		{Time: at, Text: "2026-12-01T10:00:00.018Z\tr1\tINFO\t{\n  level: 'error',\n  message: 'SendEmailCommand() returned error.',\n  error: MessageRejected: \x1b[2J\x1b]0;owned\x07evil\u202e\n}\n"},
	}
	m := New(fixture.Common(100, 40))
	m.SetSize(100, 40)
	m.SetMessage(&mailbox.Message{Summary: s, Raw: raw, View: v, ForwardLog: log})
	var lines []string
	for _, l := range m.content() {
		lines = append(lines, l.plain())
	}
	out := strings.Join(lines, "\n")
	head := strings.Index(out, "Forwarding Lambda: failed 2026-12-01 10:00:00 UTC to jim@example.com")
	reason := strings.Index(out, "MessageRejected: Email address is not verified.")
	logLine := strings.Index(out, "message: 'SendEmailCommand() returned error.',")
	body := strings.Index(out, "This is a test message")
	if head < 0 || reason < head || logLine < reason || body < logLine {
		t.Fatalf("forward block missing or out of order:\n%s", out)
	}
	if strings.ContainsAny(out, "\x1b\x07\u202e") {
		t.Errorf("log text reached the screen unsanitized:\n%q", out)
	}
	// A forwarded message shows one line, no log.
	s.Forward = mailstore.Forward{Status: mailstore.ForwardForwarded, Time: at, Destinations: []string{"jim@example.com"}, Requests: []string{"r1"}}
	m.SetMessage(&mailbox.Message{Summary: s, Raw: raw, View: v, ForwardLog: log})
	lines = lines[:0]
	for _, l := range m.content() {
		lines = append(lines, l.plain())
	}
	out = strings.Join(lines, "\n")
	if !strings.Contains(out, "Forwarding Lambda: forwarded 2026-12-01 10:00:00 UTC to jim@example.com") || strings.Contains(out, "SendEmailCommand") {
		t.Errorf("forwarded message:\n%s", out)
	}
}
