package viewer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/mailbox"
	"github.com/sesbox/sesbox/mailstore/mime"
	mailreport "github.com/sesbox/sesbox/mailstore/report"
	"github.com/sesbox/sesbox/tui/internal/fixture"
)

func TestReportSummaryAboveBody(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "testdata", "reports", "gmail-delay.eml"))
	if err != nil {
		t.Fatal(err)
	}
	v := mime.Parse(raw)
	r, ok := mailreport.Parse(raw)
	if !ok {
		t.Fatal("not a report")
	}
	s := v.Summary
	s.Key = "in/delay"
	m := New(fixture.Common(100, 40))
	m.SetSize(100, 40)
	m.SetMessage(&mailbox.Message{Summary: s, Raw: raw, View: v, Report: r})
	var lines []string
	for _, l := range m.content() {
		lines = append(lines, l.plain())
	}
	out := strings.Join(lines, "\n")
	block := strings.Index(out, "Delay: delivery not done yet, still being tried (reported by googlemail.com)")
	body := strings.Index(out, "Message not delivered yet")
	if block < 0 || body < 0 || block > body {
		t.Fatalf("summary block missing or below the body:\n%s", out)
	}
	for _, want := range []string{"  ops@slow-mx.example: delayed 4.4.1", "    retried until Fri, 06 Nov 2026", "Original Subject: Weekly stock report"} {
		if !strings.Contains(out, want) {
			t.Errorf("lacks %q:\n%s", want, out)
		}
	}
	if s.Report != mailstore.ReportDelay {
		t.Errorf("summary report %q", s.Report)
	}
}
