package compose

import (
	"bytes"
	"encoding/base64"
	stdmime "mime"
	"net/mail"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore/mime"
)

func b64word(s string) string {
	return "=?utf-8?b?" + base64.StdEncoding.EncodeToString([]byte(s)) + "?="
}

const evil = "evil@attacker.example"

// hostile is a header block (CRLF) of an original; each case replaces
// some of its fields.
func hostile(fields map[string]string) []byte {
	base := []struct{ name, value string }{
		{"Received", "from mx.attacker.example by inbound-smtp.us-east-1.amazonaws.com with SMTP id x\r\n for support@acme-demo.example; Tue, 03 Nov 2026 14:02:11 +0000"},
		{"From", "Dana <dana@northwind.example>"},
		{"To", "support@acme-demo.example"},
		{"Subject", "Question"},
		{"Date", "Tue, 3 Nov 2026 09:02:05 -0500"},
		{"Message-ID", "<q1@northwind.example>"},
		{"MIME-Version", "1.0"},
		{"Content-Type", "text/plain; charset=utf-8"},
	}
	var b bytes.Buffer
	done := map[string]bool{}
	for _, f := range base {
		v, ok := fields[f.name]
		if !ok {
			v = f.value
		}
		done[f.name] = true
		if v == "" {
			continue
		}
		b.WriteString(f.name + ": " + v + "\r\n")
	}
	var extra []string
	for k := range fields {
		if !done[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	for _, k := range extra {
		b.WriteString(k + ": " + fields[k] + "\r\n")
	}
	b.WriteString("\r\nHello\r\nBcc: " + evil + "\r\n\r\n.\r\n")
	return b.Bytes()
}

// allowedHeaders is every header field a reply may have.
var allowedHeaders = []string{"Cc", "Content-Transfer-Encoding", "Content-Type", "Date", "From", "In-Reply-To",
	"Message-Id", "Mime-Version", "References", "Subject", "To"}

func TestInjectionThroughTheOriginal(t *testing.T) {
	crlfBcc := "\r\nBcc: " + evil + "\r\nX-Injected: yes\r\n"
	for _, tc := range []struct {
		name   string
		fields map[string]string
		all    bool
		// to is where the reply must go, exactly.
		to []string
	}{
		{"encoded subject", map[string]string{"Subject": b64word("Invoice" + crlfBcc)}, false, []string{"dana@northwind.example"}},
		{"Q-encoded subject", map[string]string{"Subject": "=?utf-8?q?Invoice=0D=0ABcc:_" + evil + "?="}, true, []string{"dana@northwind.example"}},
		{"subject LF only", map[string]string{"Subject": b64word("Invoice\nBcc: " + evil)}, false, []string{"dana@northwind.example"}},
		{"subject that looks encoded", map[string]string{"Subject": b64word(b64word("x" + crlfBcc))}, false, []string{"dana@northwind.example"}},
		{"from name", map[string]string{"From": b64word("Dana"+crlfBcc) + " <dana@northwind.example>"}, true, []string{"dana@northwind.example"}},
		{"from name quoted", map[string]string{"From": `"` + b64word("Dana"+crlfBcc) + `" <dana@northwind.example>`}, false, []string{"dana@northwind.example"}},
		{"from name with address", map[string]string{"From": b64word("Dana\r\nBcc: <"+evil+">") + " <dana@northwind.example>"}, false, []string{"dana@northwind.example"}},
		{"from address only encoded", map[string]string{"From": b64word("x\r\nBcc: <" + evil + ">")}, false, nil},
		{"reply-to name", map[string]string{"Reply-To": b64word("Help"+crlfBcc) + " <help@northwind.example>"}, true, []string{"help@northwind.example"}},
		{"reply-to encoded list", map[string]string{"Reply-To": b64word("help@northwind.example, " + evil)}, false, []string{"dana@northwind.example"}},
		{"reply-to encoded angle address", map[string]string{"Reply-To": b64word("Help\r\nBcc: <" + evil + ">")}, false, []string{"dana@northwind.example"}},
		{"reply-to Q with CRLF", map[string]string{"Reply-To": "=?utf-8?q?Help=0D=0ABcc=3A_?= <help@northwind.example>"}, false, []string{"help@northwind.example"}},
		{"to and cc names", map[string]string{
			"To": b64word("Support"+crlfBcc) + " <support@acme-demo.example>, " + b64word("Ops\r\nCc: <"+evil+">") + " <ops@northwind.example>",
			"Cc": b64word("Finance\r\n") + " <finance@northwind.example>",
		}, true, []string{"dana@northwind.example", "ops@northwind.example", "finance@northwind.example"}},
		{"message ids", map[string]string{
			"Message-ID":  "<q1@northwind.example\r\n Bcc: " + evil + ">",
			"In-Reply-To": "<ok@northwind.example> " + b64word("\r\nBcc: "+evil),
			"References":  "<a@b.example> <bad id@b.example> <c@d.example>\r\n\tBcc: " + evil + " <e\"f@g.example>",
		}, false, []string{"dana@northwind.example"}},
		// A name whose decoded text is itself a word: sesbox decoded it
		// twice (a CR LF Bcc in the name); it is the word's text, written
		// back as words so no reader decodes it into a field either.
		{"from name that looks encoded", map[string]string{"From": b64word("=?utf-8?q?Dana=0D=0ABcc:_"+evil+"?=") + " <dana@northwind.example>"}, false, []string{"dana@northwind.example"}},
		{"from name that looks encoded, quoted", map[string]string{"From": `"` + b64word("=?utf-8?q?Dana=0D=0ABcc:_"+evil+"?=") + `" <dana@northwind.example>`}, false, []string{"dana@northwind.example"}},
		{"escapes and bidi in names", map[string]string{"From": b64word("Dana\x1b]0;pwned\x07\u202e") + " <dana@northwind.example>"}, false, []string{"dana@northwind.example"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := hostile(tc.fields)
			v := mime.Parse(raw)
			r, err := NewReply(raw, v, Options{All: tc.all, From: mail.Address{Name: "Acme Support", Address: "support@acme-demo.example"}})
			if tc.to == nil {
				if err == nil {
					t.Fatalf("a reply was planned to %v", r.To)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			s := int64(seed)
			b, err := Build(Message{From: r.From, To: r.To, Cc: r.Cc, Subject: r.Subject, Threading: r.Threading, Body: "Answer\n\n" + r.Quote},
				BuildOptions{Date: fixedDate, Seed: &s})
			if err != nil {
				t.Fatal(err)
			}
			checkWellFormed(t, b.Raw)
			if !slices.Equal(b.Destinations, tc.to) {
				t.Errorf("destinations %v, want %v", b.Destinations, tc.to)
			}
			msg, err := mail.ReadMessage(bytes.NewReader(b.Raw))
			if err != nil {
				t.Fatal(err)
			}
			for k, vs := range msg.Header {
				if !slices.Contains(allowedHeaders, k) {
					t.Errorf("the reply has a %s header: %q", k, vs)
				}
				if len(vs) != 1 {
					t.Errorf("the reply has %d %s headers", len(vs), k)
				}
			}
			var got []string
			for _, field := range []string{"To", "Cc", "Bcc"} {
				list, err := msg.Header.AddressList(field)
				if err != nil && err != mail.ErrHeaderNotPresent {
					t.Fatalf("%s does not parse: %v", field, err)
				}
				for _, a := range list {
					got = append(got, a.Address)
				}
			}
			if !slices.Equal(got, tc.to) {
				t.Errorf("header recipients %v, want %v", got, tc.to)
			}
			// The attacker's address may remain as text (in the subject, a
			// name, the quote), never as a recipient: checked above. The
			// decoded subject is one line.
			if to, err := msg.Header.AddressList("To"); err == nil && len(to) > 0 && strings.HasPrefix(tc.name, "from name that looks encoded") {
				if want := "=?utf-8?q?Dana=0D=0ABcc:_" + evil + "?="; to[0].Name != want {
					t.Errorf("To's name reads %q, want the original's once decoded, %q", to[0].Name, want)
				}
			}
			subj, err := new(stdmime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
			if err != nil || strings.ContainsAny(subj, "\r\n") {
				t.Errorf("subject %q (%v)", subj, err)
			}
			for _, id := range append([]string{r.InReplyTo}, r.References...) {
				if id != "" && !ValidMessageID(id) {
					t.Errorf("invalid id %q written", id)
				}
			}
		})
	}
}
