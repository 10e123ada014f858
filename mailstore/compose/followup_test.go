package compose

import (
	"fmt"
	"net/mail"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/mime"
)

func addrs(list []mail.Address) string {
	var s []string
	for _, a := range list {
		s = append(s, a.Address)
	}
	return strings.Join(s, ",")
}

// TestMailFollowupToAndMailReplyTo: the author's Mail-Reply-To is where a
// reply to the author goes, before Reply-To and From; a reply-all goes to
// Mail-Followup-To when there is one (mutt's honor_followup_to), without
// our own addresses and repeats, and without the original's To and Cc.
// Both fields were ignored: a reply-all to a list post with
// "Mail-Followup-To: list" went back to the author too, and a reply
// ignored the author's Mail-Reply-To.
func TestMailFollowupToAndMailReplyTo(t *testing.T) {
	me := mail.Address{Address: "support@acme-demo.example"}
	for _, tc := range []struct {
		name   string
		fields map[string]string
		all    bool
		to, cc string
		warn   string
	}{
		{"plain reply: Mail-Reply-To first", map[string]string{"Reply-To": "rt@northwind.example", "Mail-Reply-To": "Dana Home <dana@home.example>"}, false, "dana@home.example", "", ""},
		{"plain reply: Reply-To without Mail-Reply-To", map[string]string{"Reply-To": "rt@northwind.example"}, false, "rt@northwind.example", "", ""},
		{"plain reply ignores Mail-Followup-To", map[string]string{"Mail-Followup-To": "list@lists.example"}, false, "dana@northwind.example", "", ""},
		{"reply-all: Mail-Followup-To replaces To and Cc",
			map[string]string{"Cc": "carol@northwind.example", "Mail-Followup-To": "list@lists.example, SUPPORT@acme-demo.example, List@Lists.example, bob@b.example"},
			true, "list@lists.example,bob@b.example", "", ""},
		{"reply-all without Mail-Followup-To", map[string]string{"Cc": "carol@northwind.example"}, true, "dana@northwind.example", "carol@northwind.example", ""},
		{"reply-all: empty Mail-Followup-To", map[string]string{"Cc": "carol@northwind.example", "Mail-Followup-To": " "}, true, "dana@northwind.example", "carol@northwind.example", ""},
		{"reply-all: Mail-Followup-To of only us", map[string]string{"Cc": "carol@northwind.example", "Mail-Followup-To": "support@acme-demo.example"},
			true, "dana@northwind.example", "carol@northwind.example", "Mail-Followup-To names no address"},
		// An address that exists only inside an encoded word is a name,
		// never a recipient.
		{"reply-all: injected Mail-Followup-To", map[string]string{"Cc": "carol@northwind.example", "Mail-Followup-To": "=?utf-8?q?x=0D=0ABcc:_<evil@attacker.example>?= <list@lists.example>, =?utf-8?q?evil2@attacker.example?="},
			true, "list@lists.example", "", "left out Mail-Followup-To"},
		{"plain reply: unusable Mail-Reply-To falls back", map[string]string{"Mail-Reply-To": "\"a,b\"@x.example"}, false, "dana@northwind.example", "", "left out Mail-Reply-To"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := hostile(tc.fields)
			r, err := NewReply(raw, mime.Parse(raw), Options{All: tc.all, From: me})
			if err != nil {
				t.Fatal(err)
			}
			if got := addrs(r.To); got != tc.to {
				t.Errorf("To %s, want %s", got, tc.to)
			}
			if got := addrs(r.Cc); got != tc.cc {
				t.Errorf("Cc %s, want %s", got, tc.cc)
			}
			w := strings.Join(r.Warnings, "\n")
			if (tc.warn == "") != (w == "") || !strings.Contains(w, tc.warn) {
				t.Errorf("warnings %q, want %q", w, tc.warn)
			}
			if _, err := Build(Message{From: me, To: r.To, Cc: r.Cc, Subject: r.Subject, Body: "x"}, BuildOptions{}); err != nil {
				t.Errorf("build: %v", err)
			}
		})
	}
}

// TestReplyAllOverFiftyRecipients: SES takes 50 recipients in one
// message. A reply-all to a message with more was built without a word
// and refused by SES at the send; now Build refuses it, saying first what
// to do (drafts.PlanReply warns of it when the reply is planned).
func TestReplyAllOverFiftyRecipients(t *testing.T) {
	me := mail.Address{Address: "support@acme-demo.example"}
	var cc []string
	for i := range 55 {
		cc = append(cc, fmt.Sprintf("p%d@northwind.example", i))
	}
	raw := hostile(map[string]string{"Cc": strings.Join(cc, ", ")})
	r, err := NewReply(raw, mime.Parse(raw), Options{All: true, From: me})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(r.To) + len(r.Cc); n != 56 {
		t.Fatalf("%d recipients, want 56", n)
	}
	const hint = "remove 6 of the 56 recipients from the To and Cc lines"
	_, err = Build(Message{From: me, To: r.To, Cc: r.Cc, Subject: r.Subject, Body: "x"}, BuildOptions{})
	if got := mailstore.Explain(err); !strings.HasPrefix(got, hint) || !strings.Contains(got, "at most 50") {
		t.Errorf("build: %q, want it to start %q", got, hint)
	}
	// Exactly 50 is fine.
	if _, err := Build(Message{From: me, To: r.To, Cc: r.Cc[:49], Subject: "s", Body: "x"}, BuildOptions{}); err != nil {
		t.Errorf("50 recipients: %v", err)
	}
}
