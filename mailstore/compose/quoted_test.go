package compose

import (
	"bytes"
	"net/mail"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore"
)

// A quoted local part is a valid address (RFC 5322 3.4.1, RFC 5321
// 4.1.2): CleanAddress refused every one, since net/mail returns it
// unquoted, so a reply to mail sent to "john doe"@ourdomain had no
// identity. It is accepted, held decoded and written quoted again; what
// would add an address, a group, a comment or a line break is still
// refused.
func TestCleanAddressQuotedLocalPart(t *testing.T) {
	for _, tc := range []struct{ in, decoded, written string }{
		{`"john doe"@example.com`, "john doe@example.com", `"john doe"@example.com`},
		{`"a@b"@Example.COM`, "a@b@example.com", `"a@b"@example.com`},
		{`"john"@example.com`, "john@example.com", "john@example.com"},
		{`"a\"b"@example.com`, `a"b@example.com`, `"a\"b"@example.com`},
		{`"a\\b"@example.com`, `a\b@example.com`, `"a\\b"@example.com`},
		{`"a..b"@bücher.example`, "a..b@xn--bcher-kva.example", `"a..b"@xn--bcher-kva.example`},
	} {
		c, err := CleanAddress(mailstore.Address{Address: tc.in})
		if err != nil || c.Address != tc.decoded || AddrSpec(c.Address) != tc.written {
			t.Errorf("CleanAddress(%s) = %q (%s), %v; want %q (%s)", tc.in, c.Address, AddrSpec(c.Address), err, tc.decoded, tc.written)
			continue
		}
		// The decoded form (net/mail's, mailstore.Summary's) cleans the same.
		if d, err := cleanDecoded(mailstore.Address{Address: c.Address}); err != nil || d != c {
			t.Errorf("cleanDecoded(%q) = %v, %v", c.Address, d, err)
		}
	}
	for _, in := range []string{
		`"a,b"@example.com`, `"a@b.example, evil"@attacker.example`, `"x;"@example.com`, `"<x>"@example.com`, `"(c)"@example.com`,
		"\"a\r\nBcc: evil@attacker.example\"@example.com", "\"a\tb\"@example.com", `"用户"@example.cn`, `""@example.com`,
		`"a" (c)@example.com`, `"a"@example.com (c)`, `"a"@example.com, b@example.com`, `Name <"a b"@example.com>`,
		`"a b"@example.com>`, `"a b"x@example.com`, `"a b@example.com`, `john doe@example.com`, `"a"."b"@example.com`,
		`g: "a b"@example.com;`, `" "@example.com`, `" john"@example.com`, `"john "@example.com`,
	} {
		if c, err := CleanAddress(mailstore.Address{Address: in}); err == nil {
			t.Errorf("CleanAddress(%q) = %q, want refused", in, c.Address)
		}
	}
	for _, in := range []string{"a@b.example, evil@attacker.example", "a\r\nBcc: x@y@example.com", "Evil <evil@attacker.example>"} {
		if c, err := cleanDecoded(mailstore.Address{Address: in}); err == nil {
			t.Errorf("cleanDecoded(%q) = %q, want refused", in, c.Address)
		}
	}
}

// The reply to mail SES received for "john doe"@acme-demo.example is sent
// from that address (as the envelope recipient writes it), and a reply-all
// leaves it out.
func TestReplyFromQuotedEnvelopeRecipient(t *testing.T) {
	id := Identity{Domains: []string{"acme-demo.example"}}
	s := mailstore.Summary{
		Recipients: []string{`"john doe"@acme-demo.example`},
		To:         []mailstore.Address{{Name: "John Doe", Address: "john doe@acme-demo.example"}},
	}
	from, err := id.ChooseFrom("", s)
	if err != nil || from.Address != "john doe@acme-demo.example" || from.Name != "" {
		t.Fatalf("ChooseFrom = %+v, %v", from, err)
	}
	if got := headerAddress(from, len("From: ")); got != `<"john doe"@acme-demo.example>` {
		t.Errorf("From written %s", got)
	}
}

// FuzzCleanAddress: an address CleanAddress accepts is one address, written
// header-safe, that reads back exactly as itself: AddrSpec re-parses (with
// net/mail and with CleanAddress) to the same address, and a To field
// holding it, with a name, parses to that one address and nothing else.
func FuzzCleanAddress(f *testing.F) {
	for _, s := range []string{`"john doe"@example.com`, `"a@b"@example.com`, "kim@example.kr", `"a\"b"@x.example`,
		"a@b.example, c@d.example", "\"a\r\nBcc: e\"@x.example", `"a b"@bücher.example`, `"x\\y"@y.example`} {
		f.Add(s, "Name")
	}
	from := mail.Address{Address: "support@acme-demo.example"}
	f.Fuzz(func(t *testing.T, in, name string) {
		c, err := CleanAddress(mailstore.Address{Name: name, Address: in})
		if err != nil {
			return
		}
		w := AddrSpec(c.Address)
		if strings.ContainsAny(w, "\r\n,;<>()") && !strings.HasPrefix(w, `"`) {
			t.Fatalf("%q written %q", in, w)
		}
		p, err := mail.ParseAddress(w)
		if err != nil || p.Name != "" || p.Address != c.Address {
			t.Fatalf("%q written %q reads %v, %v", in, w, p, err)
		}
		again, err := CleanAddress(mailstore.Address{Name: c.Name, Address: w})
		if err != nil || again != c {
			t.Fatalf("%q: cleaned again %v, %v; was %v", in, again, err, c)
		}
		if d, err := cleanDecoded(mailstore.Address{Name: c.Name, Address: c.Address}); err != nil || d != c {
			t.Fatalf("%q: decoded cleans to %v, %v; was %v", in, d, err, c)
		}
		hdr := ownFields(from, []mail.Address{c}, nil, "s")
		msg, err := mail.ReadMessage(bytes.NewReader(append(hdr, "\r\n"...)))
		if err != nil {
			t.Fatalf("%q: header %q: %v", in, hdr, err)
		}
		if len(msg.Header) != 3 {
			t.Fatalf("%q: fields %v", in, msg.Header)
		}
		to, err := msg.Header.AddressList("To")
		if err != nil || len(to) != 1 || to[0].Address != c.Address {
			t.Fatalf("%q: To %q reads %v, %v", in, msg.Header.Get("To"), to, err)
		}
	})
}
