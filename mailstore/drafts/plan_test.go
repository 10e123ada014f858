package drafts

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore/compose"
	"github.com/sesbox/sesbox/mailstore/mailbox"
	"github.com/sesbox/sesbox/mailstore/mime"
)

// TestPlanReplyWarnsOfTooManyRecipients: the plan of a reply-all to 56
// recipients says, before any text is typed, what to remove (the CLI
// prints it, the review screen shows it); with --to in their place it
// says nothing.
func TestPlanReplyWarnsOfTooManyRecipients(t *testing.T) {
	var cc []string
	for i := range 55 {
		cc = append(cc, fmt.Sprintf("p%d@northwind.example", i))
	}
	raw := []byte("Received: from mx by inbound-smtp.us-east-1.amazonaws.com with SMTP id x\r\n for support@acme-demo.example; Tue, 03 Nov 2026 14:02:11 +0000\r\n" +
		"From: Dana <dana@northwind.example>\r\nTo: support@acme-demo.example\r\nCc: " + strings.Join(cc, ", ") +
		"\r\nSubject: Many\r\nMessage-ID: <many@northwind.example>\r\n\r\nhello\r\n")
	v := mime.Parse(raw)
	msg := &mailbox.Message{Summary: v.Summary, Raw: raw, View: v}
	id := compose.Identity{Domains: []string{"acme-demo.example"}}
	p, err := PlanReply(id, "demo", "b", msg, ReplyChoice{All: true})
	if err != nil {
		t.Fatal(err)
	}
	if w := strings.Join(p.Warnings, "\n"); !strings.HasPrefix(w, "remove 6 of the 56 recipients from the To and Cc lines") {
		t.Errorf("warnings %q", w)
	}
	p, err = PlanReply(id, "demo", "b", msg, ReplyChoice{All: true, To: []string{"one@northwind.example"}})
	if err != nil || len(p.Warnings) != 0 {
		t.Errorf("with --to: %v %q", err, p.Warnings)
	}
}
