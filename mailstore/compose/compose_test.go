package compose

import (
	"bytes"
	"errors"
	"net/mail"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/mime"
)

func TestChooseFrom(t *testing.T) {
	s := mailstore.Summary{
		Recipients: []string{"relay@mx.other.example", "support@acme-demo.example"},
		To:         []mailstore.Address{{Name: "Acme Support", Address: "support@acme-demo.example"}},
	}
	for _, tc := range []struct {
		name     string
		id       Identity
		override string
		want     string
		err      string
	}{
		{"override wins", Identity{From: "Billing <billing@acme-demo.example>", Domains: []string{"acme-demo.example"}}, "Me <me@acme-demo.example>", `"Me" <me@acme-demo.example>`, ""},
		{"configured from", Identity{From: "Billing <billing@acme-demo.example>", Domains: []string{"acme-demo.example"}}, "", `"Billing" <billing@acme-demo.example>`, ""},
		// The name the sender gave the address in To is the sender's:
		// the From is the address alone.
		{"envelope recipient in an identity domain", Identity{Domains: []string{"ACME-demo.example"}}, "", `<support@acme-demo.example>`, ""},
		{"no identity", Identity{}, "", "", "identity_domains"},
		{"recipient outside the domains", Identity{Domains: []string{"acme.example"}}, "", "", "not in identity_domains"},
		{"bad override", Identity{}, "not an address", "", "--from"},
		{"override with two addresses", Identity{}, "a@b.example, c@d.example", "", "--from"},
		{"bad configured from", Identity{From: "x@y.example\r\nBcc: evil@attacker.example"}, "", "", "from"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.id.ChooseFrom(tc.override, s)
			if tc.err != "" {
				if err == nil || !strings.Contains(mailstore.Explain(err), tc.err) {
					t.Fatalf("err %v, want it to mention %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != tc.want {
				t.Errorf("From %s, want %s", got.String(), tc.want)
			}
		})
	}
	_, err := Identity{}.ChooseFrom("", s)
	if !errors.Is(err, ErrNoIdentity) {
		t.Errorf("%v is not ErrNoIdentity", err)
	}
}

// TestChooseFromIgnoresTheSendersNames: with identity_domains, the address
// comes from SES's receipt block, but every display name in the original's
// To and Cc was written by its sender. Taken as the reply's From name, it
// let a sender name the mailbox's own verified address in the reply
// ("PayPal Security" <support@acme-demo.example>), which the reply then
// carries, DKIM-signed for the domain, to whoever the sender's Reply-To
// names. The From of such a reply has no name; the mailbox's from (or
// --from) gives one.
func TestChooseFromIgnoresTheSendersNames(t *testing.T) {
	raw := hostile(map[string]string{
		"To": `"PayPal Security" <support@acme-demo.example>`,
		"Cc": `=?utf-8?q?Acme_Billing_=E2=80=94_wire_to_IBAN_XX?= <SUPPORT@acme-demo.example>`,
	})
	v := mime.Parse(raw)
	from, err := Identity{Domains: []string{"acme-demo.example"}}.ChooseFrom("", v.Summary)
	if err != nil {
		t.Fatal(err)
	}
	if from.Name != "" || from.Address != "support@acme-demo.example" {
		t.Errorf("From %s: a name from the original's To or Cc", from.String())
	}
	named, err := Identity{From: "Acme Support <support@acme-demo.example>", Domains: []string{"acme-demo.example"}}.ChooseFrom("", v.Summary)
	if err != nil || named.String() != `"Acme Support" <support@acme-demo.example>` {
		t.Errorf("configured from: %s, %v", named.String(), err)
	}
}

func TestCleanAddress(t *testing.T) {
	for _, tc := range []struct {
		in   mailstore.Address
		want string // "" = refused
	}{
		{mailstore.Address{Name: "Kim", Address: "kim@example.kr"}, `"Kim" <kim@example.kr>`},
		{mailstore.Address{Name: "김\r\nBcc: x@y", Address: "kim@example.kr"}, "=?utf-8?b?6rmAIEJjYzogeEB5?= <kim@example.kr>"},
		{mailstore.Address{Address: "kim@EXAMPLE.KR"}, "<kim@example.kr>"},
		{mailstore.Address{Address: "user@bücher.example"}, "<user@xn--bcher-kva.example>"},
		{mailstore.Address{Address: "用户@example.cn"}, ""},
		{mailstore.Address{Address: "a@b.example\r\nBcc: evil@attacker.example"}, ""},
		{mailstore.Address{Address: "a@b.example, evil@attacker.example"}, ""},
		{mailstore.Address{Address: "Evil <evil@attacker.example>"}, ""},
		{mailstore.Address{Address: "undisclosed-recipients:;"}, ""},
		{mailstore.Address{Address: "no-at-sign"}, ""},
		{mailstore.Address{Name: "only a name"}, ""},
		{mailstore.Address{Address: strings.Repeat("a", 250) + "@b.example"}, ""},
	} {
		got, err := CleanAddress(tc.in)
		if tc.want == "" {
			if err == nil {
				t.Errorf("CleanAddress(%q) = %s, want refused", tc.in, got.String())
			}
			continue
		}
		if err != nil || got.String() != tc.want {
			t.Errorf("CleanAddress(%q) = %s, %v; want %s", tc.in, got.String(), err, tc.want)
		}
	}
}

func TestAddressListRoundTrip(t *testing.T) {
	list := []mail.Address{
		{Name: "이서연", Address: "seoyeon.lee@daehan-logis.example"},
		{Name: `Okafor, "Ben"`, Address: "ben@student.example.edu"},
		{Address: "plain@example.com"},
	}
	s := FormatAddressList(list)
	if !strings.Contains(s, "이서연") {
		t.Errorf("names are not readable in a draft: %s", s)
	}
	back, err := ParseAddressList(s)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back, list) {
		t.Errorf("round trip: %v -> %q -> %v", list, s, back)
	}
	if _, err := ParseAddressList("a@b.example,, <broken"); err == nil {
		t.Error("a broken list parsed")
	}
}

func TestBuildRefusesHostileMessages(t *testing.T) {
	from := mail.Address{Name: "Acme", Address: "support@acme-demo.example"}
	to := []mail.Address{{Address: "dana@northwind.example"}}
	for name, m := range map[string]Message{
		"address with CRLF":    {From: from, To: []mail.Address{{Address: "a@b.example\r\nBcc: evil@attacker.example"}}},
		"two addresses in one": {From: from, To: []mail.Address{{Address: "a@b.example, evil@attacker.example"}}},
		"cc with CRLF":         {From: from, To: to, Cc: []mail.Address{{Address: "c@d.example\nBcc: evil@attacker.example"}}},
		"no To":                {From: from, Cc: to},
		"no From":              {To: to},
	} {
		if _, err := Build(m, BuildOptions{}); err == nil {
			t.Errorf("%s: built", name)
		}
	}
	// Values that are only text are made safe, not refused.
	s := int64(seed)
	b, err := Build(Message{
		From:      mail.Address{Name: "Acme\r\nBcc: evil@attacker.example", Address: "support@acme-demo.example"},
		To:        []mail.Address{{Name: "Dana\nX-Injected: 1", Address: "dana@northwind.example"}, {Address: "DANA@northwind.example"}},
		Subject:   "Re: hi\r\nBcc: evil@attacker.example",
		Threading: Threading{InReplyTo: "x@y\r\nBcc: evil@attacker.example", References: []string{"ok@y.example", "bad id@y", "<z@y>"}},
		Body:      "text\r\n.\r\nBcc: evil@attacker.example\x1b[2J\n",
	}, BuildOptions{Date: fixedDate, Seed: &s})
	if err != nil {
		t.Fatal(err)
	}
	checkWellFormed(t, b.Raw)
	msg, _ := mail.ReadMessage(bytes.NewReader(b.Raw))
	for k := range msg.Header {
		if !slices.Contains(allowedHeaders, k) {
			t.Errorf("header %s written", k)
		}
	}
	if msg.Header.Get("In-Reply-To") != "" || msg.Header.Get("References") != "<ok@y.example>" {
		t.Errorf("threading %q %q", msg.Header.Get("In-Reply-To"), msg.Header.Get("References"))
	}
	if !slices.Equal(b.Destinations, []string{"dana@northwind.example"}) {
		t.Errorf("destinations %v", b.Destinations)
	}
	if bytes.Contains(b.Raw, []byte("\x1b")) {
		t.Error("an escape sequence reached the body")
	}
}

func TestBuildIsDeterministicOnlyWhenPinned(t *testing.T) {
	m := Message{From: mail.Address{Address: "support@acme-demo.example"}, To: []mail.Address{{Address: "dana@northwind.example"}}, Subject: "Re: x", Body: "hi"}
	s := int64(seed)
	a, _ := Build(m, BuildOptions{Date: fixedDate, Seed: &s})
	b, _ := Build(m, BuildOptions{Date: fixedDate, Seed: &s})
	if !bytes.Equal(a.Raw, b.Raw) {
		t.Error("pinned builds differ")
	}
	c, _ := Build(m, BuildOptions{})
	d, _ := Build(m, BuildOptions{})
	if c.MessageID == d.MessageID {
		t.Error("two unpinned builds share a Message-ID")
	}
	if !strings.HasSuffix(c.MessageID, "@acme-demo.example") {
		t.Errorf("Message-ID %s is not on the sender's domain", c.MessageID)
	}
}

func TestQuoteAndAttribution(t *testing.T) {
	got := Quote("Hello\r\n\r\n> earlier\r\n  indented  \r\nbell\a and \x1b[31mred\x1b[0m\r\n\r\n\r\n")
	want := "> Hello\n>\n>> earlier\n>   indented\n> bell and red\n"
	if got != want {
		t.Errorf("Quote = %q, want %q", got, want)
	}
	big := strings.Repeat("0123456789\n", MaxQuoteBytes/10)
	if q := Quote(big); len(q) > MaxQuoteBytes*2 || !strings.HasSuffix(q, "> [...]\n") {
		t.Errorf("a long body is not cut (%d bytes)", len(q))
	}
	d := time.Date(2026, 11, 5, 11, 20, 39, 0, time.FixedZone("KST", 9*3600))
	if got := Attribution(d, false, mailstore.Address{Name: "이서연\r\nX: y", Address: "s@x.kr"}); got != "On Thu, 5 Nov 2026 at 11:20, 이서연 X: y wrote:" {
		t.Errorf("Attribution = %q", got)
	}
	if got := Attribution(d, true, mailstore.Address{Address: "s@x.kr"}); got != "s@x.kr wrote:" {
		t.Errorf("Attribution without a trusted date = %q", got)
	}
}

func TestReplyToOwnMessageGoesToItsRecipients(t *testing.T) {
	raw := hostile(map[string]string{"From": "Acme Support <support@acme-demo.example>", "To": "Dana <dana@northwind.example>"})
	o := original{raw: raw}
	o.view = parse(raw)
	r, err := NewReply(o.raw, o.view, Options{From: mail.Address{Address: "support@acme-demo.example"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.To) != 1 || r.To[0].Address != "dana@northwind.example" {
		t.Errorf("To %v", r.To)
	}
}

func parse(raw []byte) *mime.View { return mime.Parse(raw) }

// TestReplyToOurAddressInReplyToGoesToTheSender: a reply to our own
// message goes to whom we sent it, as mutt's does, but sesbox took "our
// own message" from the Reply-To too, which is the sender's words: a
// message from attacker@ with "Reply-To: <our address>" and a third party
// in To had a plain reply (r, not R) go to that party, the attacker's
// text quoted, from our verified address (sesbox reply --dry-run against
// versitygw: "it would go to ceo@bank.example"). It goes to the From,
// with a warning. A From of ours that SES's DMARC check failed (a
// forgery of our domain) is not our message either: no recipient is
// taken from it.
func TestReplyToOurAddressInReplyToGoesToTheSender(t *testing.T) {
	us := mail.Address{Address: "support@acme-demo.example"}
	for _, field := range []string{"Reply-To", "Mail-Reply-To"} {
		raw := hostile(map[string]string{"From": "Attacker <" + evil + ">", field: "support@acme-demo.example", "To": "CEO <ceo@bank.example>, support@acme-demo.example"})
		r, err := NewReply(raw, parse(raw), Options{From: us})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.To) != 1 || r.To[0].Address != evil || len(r.Cc) != 0 {
			t.Errorf("%s of our own address: To %v Cc %v, want the From, %s, alone", field, r.To, r.Cc, evil)
		}
		if !strings.Contains(strings.Join(r.Warnings, "; "), field+" names only your own address") {
			t.Errorf("%s of our own address: warnings %q, want it said", field, r.Warnings)
		}
	}
	forged := "Received: from mx.attacker.example by inbound-smtp.us-east-1.amazonaws.com with SMTP id x\r\n for support@acme-demo.example; Tue, 03 Nov 2026 14:02:11 +0000\r\n" +
		"X-SES-Spam-Verdict: PASS\r\nX-SES-Virus-Verdict: PASS\r\n" +
		"Authentication-Results: amazonses.com;\r\n spf=fail (spfCheck: x) smtp.mailfrom=a@attacker.example;\r\n dkim=fail header.i=@acme-demo.example;\r\n dmarc=fail header.from=acme-demo.example;\r\n" +
		"From: Acme Support <support@acme-demo.example>\r\nTo: CEO <ceo@bank.example>\r\nSubject: x\r\nMessage-ID: <f@attacker.example>\r\nDate: Tue, 3 Nov 2026 09:02:05 -0500\r\n\r\nPay to IBAN XX00 EVIL\r\n"
	v := parse([]byte(forged))
	if v.Summary.Verdicts.DMARC != "FAIL" {
		t.Fatalf("DMARC verdict %q, want FAIL", v.Summary.Verdicts.DMARC)
	}
	r, err := NewReply([]byte(forged), v, Options{From: us})
	if err == nil || len(r.To) != 0 || !strings.Contains(err.Error(), "SES's DMARC check failed") {
		t.Errorf("a forged From of ours: To %v, err %v; want no recipient, saying why", r.To, err)
	}
}
