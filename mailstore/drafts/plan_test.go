package drafts

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore"
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

// TestPlanReplyOfABadToSaysWhatToGiveFirst: a --to that is no address
// said only the parser's words (--to not: cannot read the addresses
// "not": mail: missing '@' or angle-addr), in sesbox reply and in the
// TUI's :reply --to alike; what to give comes first now, and a name with
// spaces before the address is one address.
func TestPlanReplyOfABadToSaysWhatToGiveFirst(t *testing.T) {
	raw := []byte("Received: from mx by inbound-smtp.us-east-1.amazonaws.com with SMTP id x\r\n for support@acme-demo.example; Tue, 03 Nov 2026 14:02:11 +0000\r\n" +
		"From: Dana <dana@northwind.example>\r\nTo: support@acme-demo.example\r\nSubject: Hi\r\nMessage-ID: <hi@northwind.example>\r\n\r\nhello\r\n")
	v := mime.Parse(raw)
	msg := &mailbox.Message{Summary: v.Summary, Raw: raw, View: v}
	id := compose.Identity{Domains: []string{"acme-demo.example"}}
	_, err := PlanReply(id, "demo", "b", msg, ReplyChoice{To: []string{"not"}})
	if got := mailstore.Explain(err); !strings.HasPrefix(got, "give each --to as an address") || !strings.Contains(got, "--to not: ") {
		t.Fatalf("bad --to: %q", got)
	}
	p, err := PlanReply(id, "demo", "b", msg, ReplyChoice{To: []string{"Ops Desk <ops@team.example>"}})
	if err != nil || len(p.To) != 1 || p.To[0].Address != "ops@team.example" || len(p.Cc) != 0 {
		t.Fatalf("a name and an address: %+v, %v", p.To, err)
	}
}
