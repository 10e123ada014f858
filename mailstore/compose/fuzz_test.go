package compose

import (
	"bytes"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore/mime"
)

// FuzzReplyHeaders: whatever the original, a reply built from it has only
// the reply's own header fields, each once, and goes to exactly the
// addresses its To and Cc fields name, and its References end with its
// In-Reply-To.
func FuzzReplyHeaders(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.eml")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(hostile(map[string]string{"Subject": b64word("x\r\nBcc: " + evil), "Reply-To": b64word("y\r\nCc: <" + evil + ">")}))
	f.Add(hostile(map[string]string{"Message-ID": "<b4@x.example>", "References": "<b4@x.example> <b4@x.example> <p1@x.example>"}))
	f.Add(hostile(map[string]string{"Mail-Followup-To": b64word("y\r\nBcc: <"+evil+">") + " <list@lists.example>, support@acme-demo.example", "Mail-Reply-To": "\"a\r\n b\" <" + evil + ">"}))
	from := mail.Address{Name: "Acme", Address: "support@acme-demo.example"}
	f.Fuzz(func(t *testing.T, raw []byte) {
		v := mime.Parse(raw)
		r, err := NewReply(raw, v, Options{All: true, From: from})
		if err != nil {
			return
		}
		s := int64(1)
		b, err := Build(Message{From: r.From, To: r.To, Cc: r.Cc, Subject: r.Subject, Threading: r.Threading, Body: r.Quote},
			BuildOptions{Date: fixedDate, Seed: &s})
		if n := len(r.To) + len(r.Cc); err != nil && (n <= 50 || CheckRecipientCount(n) == nil) {
			t.Fatalf("a planned reply does not build: %v", err)
		}
		if err != nil {
			return // too many recipients for SES (drafts.PlanReply warns of it)
		}
		checkWellFormed(t, b.Raw)
		msg, err := mail.ReadMessage(bytes.NewReader(b.Raw))
		if err != nil {
			t.Fatal(err)
		}
		for k, vs := range msg.Header {
			if !slices.Contains(allowedHeaders, k) || len(vs) != 1 {
				t.Fatalf("header %s %q", k, vs)
			}
		}
		// The parent's id is the last of References (RFC 5322 3.6.4),
		// whatever the original's References held.
		if irt := msg.Header.Get("In-Reply-To"); irt != "" && !strings.HasSuffix(msg.Header.Get("References"), irt) {
			t.Fatalf("References %q do not end with In-Reply-To %q", msg.Header.Get("References"), irt)
		}
		var got []string
		for _, field := range []string{"To", "Cc"} {
			list, err := msg.Header.AddressList(field)
			if err != nil && err != mail.ErrHeaderNotPresent {
				t.Fatalf("%s does not parse: %v\n%s", field, err, b.Raw)
			}
			for _, a := range list {
				// SES is given the address as written: quoted local
				// parts keep their quotes.
				got = append(got, AddrSpec(a.Address))
			}
		}
		if !slices.Equal(got, b.Destinations) {
			t.Fatalf("header recipients %v, destinations %v", got, b.Destinations)
		}
	})
}
