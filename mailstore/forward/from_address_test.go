package forward

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// checkOneAddress fails unless v, a From value Rewrite wrote (unfolded,
// without "From:" and line ending), has exactly one angle address, the
// target, at its end, outside every quoted string and comment: quotes and
// comments are closed, no "<" or ">" stands outside a quoted string (a
// comment included), and no ":", ";", "," or backslash outside both, which
// would make the phrase a group or a list. So no reader, strict or lax, can take another
// address from the phrase, or find the target swallowed by an open quote
// or comment.
func checkOneAddress(v []byte, target string) error {
	v = bytes.TrimSpace(v)
	want := "<" + target + ">"
	if !bytes.HasSuffix(v, []byte(want)) {
		return fmt.Errorf("does not end in %s", want)
	}
	phrase := v[:len(v)-len(want)]
	quoted, comment := false, 0
	for i := 0; i < len(phrase); i++ {
		c := phrase[i]
		switch {
		case (quoted || comment > 0) && c == '\\':
			i++
		case quoted:
			quoted = c != '"'
		case c == '"' && comment == 0:
			quoted = true
		case c == '(':
			comment++
		case c == ')' && comment > 0:
			comment--
		case c == '<' || c == '>':
			return fmt.Errorf("%q outside a quoted string at %d", c, i)
		case comment == 0 && (c == '\\' || c == ':' || c == ';' || c == ','):
			return fmt.Errorf("%q outside a quoted string or comment at %d", c, i)
		}
	}
	if quoted || comment > 0 {
		return fmt.Errorf("the phrase leaves a quoted string or comment open: %s is inside it", want)
	}
	return nil
}

// TestRewriteFromHasOneAddress: whatever the old From holds (angle
// brackets doubled, empty or unclosed, in a comment, a quoted string or a
// comment left open, backslashes outside quotes, a group), the new From
// names one mailbox, the one Rewrite means (docs/forwarding.md, difference
// 27).
func TestRewriteFromHasOneAddress(t *testing.T) {
	noreply := "noreply@example.com"
	for _, c := range []struct {
		from, fromEmail string
		quote           bool
		want            string
	}{
		{"Name <<ceo@bank.example>>", "", false, "Name at ceo@bank.example <info@example.com>"},
		{"Name <<ceo@bank.example>>", noreply, false, "Name <noreply@example.com>"},
		{"Name <>", "", false, "Name <info@example.com>"},
		{"Name <a@x.com", noreply, false, "Name <noreply@example.com>"},
		{"Name <a@x.com", "", false, "Name at a@x.com <info@example.com>"},
		{`"unterminated <a@x.com>`, "", false, `"unterminated <a at x.com>" <info@example.com>`},
		{`"unterminated <a@x.com>`, noreply, false, `"unterminated <a at x.com>" <noreply@example.com>`},
		{`"ends in a backslash\`, "", false, `"ends in a backslash" <info@example.com>`},
		{"(unterminated <a@x.com>", "", false, "(unterminated a at x.com) <info@example.com>"},
		{"(a\\<) <a@x.com>", "", false, "(a) at a@x.com <info@example.com>"},
		{`\"Name\" <a@x.com>`, "", false, `"Name\" <a at x.com>" <info@example.com>`},
		{"Name (<ceo@bank.example>) <a@x.com>", "", false, "Name (ceo@bank.example) at a@x.com <info@example.com>"},
		{"a@x.com (Name <ceo@bank.example>)", noreply, false, "a at x.com (Name ceo at bank.example) <noreply@example.com>"},
		{"Name <a@x.com> trailing>", "", false, "Name at a@x.com <info@example.com>"},
		{"<a@x.com>>", "", false, "a at x.com <info@example.com>"},
		{`"A <b@evil.example> C" <a@x.com>`, "", false, `"A <b@evil.example> C" at a@x.com <info@example.com>`},
		{"Name <<ceo@bank.example>>", "", true, `"Name at <ceo@bank.example" <info@example.com>`},
		{"Team: a@x.com, b@y.com;", "", false, "Team a at x.com <info@example.com>"},
		{"Team: Ann <a@x.com>;", noreply, false, "Team Ann <noreply@example.com>"},
		{`Re: Bob (x: y) "q: r" <a@x.com>`, "", false, `Re Bob (x: y) "q: r" at a@x.com <info@example.com>`},
	} {
		cfg := Config{FromEmail: c.fromEmail, QuoteFromName: c.quote}
		got := mustRewrite(t, cfg, "From: "+c.from+"\nSubject: s\n\nbody\n")
		first, _, _ := strings.Cut(got, "\n")
		if want := "From: " + c.want; first != want {
			t.Errorf("From: %s (fromEmail %q, quote %v)\n got  %q\n want %q", c.from, c.fromEmail, c.quote, first, want)
		}
		target := c.fromEmail
		if target == "" {
			target = orig
		}
		if err := checkOneAddress([]byte(strings.TrimPrefix(first, "From: ")), target); err != nil {
			t.Errorf("From: %s (fromEmail %q, quote %v) gives %q: %v", c.from, c.fromEmail, c.quote, first, err)
		}
	}
}

// TestRewriteFromNameThatIsAnAddress: difference 9 treats a display name
// that is blank or itself an address like a missing one, so the new From
// never shows another address than the sender's ("boss@bank.example"
// <noreply@…>, upstream #114). That holds however the name is written: as
// RFC 2047 words, or with blanks at the ends of its quoted string.
func TestRewriteFromNameThatIsAnAddress(t *testing.T) {
	noreply := "noreply@example.com"
	for _, c := range []struct{ from, fromEmail, want string }{
		{"=?utf-8?q?boss=40bank.example?= <a@x.com>", noreply, "a at x.com <noreply@example.com>"},
		{"=?utf-8?q?boss=40bank.example?= <a@x.com>", "", "a at x.com <info@example.com>"},
		{`"=?utf-8?b?Ym9zc0BiYW5rLmV4YW1wbGU=?=" <a@x.com>`, noreply, "a at x.com <noreply@example.com>"},
		{`=?utf-8?q?boss=40bank.example_?= <a@x.com>`, noreply, "a at x.com <noreply@example.com>"},
		{`"boss@bank.example " <a@x.com>`, noreply, "a at x.com <noreply@example.com>"},
		{`" boss@bank.example" <a@x.com>`, "", "a at x.com <info@example.com>"},
		{"\"boss@bank.example\u3000\" <a@x.com>", noreply, "a at x.com <noreply@example.com>"},
		{"=?utf-8?q?_?= <a@x.com>", noreply, "a at x.com <noreply@example.com>"},
		// A name that merely contains an "@" among other words stays.
		{"=?utf-8?q?Jane_=28boss=40bank.example=29?= <a@x.com>", noreply, "=?utf-8?q?Jane_=28boss=40bank.example=29?= <noreply@example.com>"},
		{`"Support @ Acme" <a@x.com>`, noreply, `"Support @ Acme" <noreply@example.com>`},
	} {
		got := mustRewrite(t, Config{FromEmail: c.fromEmail}, "From: "+c.from+"\nSubject: s\n\nbody\n")
		first, _, _ := strings.Cut(got, "\n")
		if want := "From: " + c.want; first != want {
			t.Errorf("From: %s (fromEmail %q)\n got  %q\n want %q", c.from, c.fromEmail, first, want)
		}
	}
}

// TestRewriteNoBareCRInHeader: a bare CR ends a line for many readers
// (Python's email, JavaMail, the Lambda itself, which reads fields after
// it: difference 5). "X-A: 1\rFrom: boss@bank.example" is a From to such
// a reader, so it is one to Rewrite too: the CR is written as a line
// ending, the From rewritten, a DKIM-Signature hidden the same way
// removed, and a second From after it refused (ErrSeveralFrom), where
// every bare CR was a space before and the hidden From was passed on as
// text. No bare CR is left in the header, so every reader sees the fields
// Rewrite saw; the body is not touched.
func TestRewriteNoBareCRInHeader(t *testing.T) {
	in := "X-A: 1\rFrom: boss@bank.example\rReply-To: list@example.org\r\n" +
		"Subject: s\rDKIM-Signature: v=1\r\n\r\nbo\rdy\r\n"
	for _, cfg := range []Config{{}, {SubjectPrefix: "[P] "}, {FromEmail: "noreply@example.com", ToEmail: "t@example.com"}} {
		out := mustRewrite(t, cfg, in)
		header, body := splitMessage([]byte(out))
		if string(body) != "\r\nbo\rdy\r\n" {
			t.Errorf("%+v: body changed: %q", cfg, body)
		}
		if hasBareCR(header) {
			t.Errorf("%+v: a bare CR in the header:\n%q", cfg, header)
		}
		// A reader that ends lines at CR too finds one From, Rewrite's,
		// the sender's Reply-To, and no DKIM-Signature.
		var froms, others []string
		for _, l := range regexp.MustCompile(`\r\n|\r|\n`).Split(string(header), -1) {
			if name, _, ok := strings.Cut(l, ":"); ok && strings.EqualFold(strings.TrimSpace(name), "from") {
				froms = append(froms, l)
			} else if l != "" {
				others = append(others, l)
			}
		}
		wantFrom := "From: boss at bank.example <info@example.com>"
		if cfg.FromEmail != "" {
			wantFrom = "From: boss at bank.example <noreply@example.com>"
		}
		if len(froms) != 1 || froms[0] != wantFrom || !slices.Contains(others, "Reply-To: list@example.org") || strings.Contains(string(header), "DKIM") {
			t.Errorf("%+v: From fields to a CR reader %q, other lines %q", cfg, froms, others)
		}
	}
	// A second From after the hidden one is two From fields.
	if _, err := Rewrite(Config{}, []byte("X-A: 1\rFrom: boss@bank.example\r\nFrom: Ann <a@x.com>\r\n\r\nb\r\n"), "info@example.com"); !errors.Is(err, ErrSeveralFrom) {
		t.Errorf("a From after a bare CR and another From: %v, want ErrSeveralFrom", err)
	}
}

// TestRewriteBareCRStartingALine: a bare CR at the start of a line ends
// it empty, the empty line that ends the header to a reader that ends
// lines at CR: the header ends there, that line is written as a line
// ending, and what follows is body, byte for byte. (Found by FuzzRewrite
// when a CR there was made a blank: "\r0:0" gave " 0:0", a continuation
// net/mail no longer reads; until 2026-12-07 such a field was dropped.)
// The message then has no From in its header: the plan fails it
// (ErrNoFrom) instead of sending "boss@bank.example" as the sender.
func TestRewriteBareCRStartingALine(t *testing.T) {
	in := "X: a\n\rFrom: boss@bank.example\n more\nFrom: b@x.com\n\nb\n"
	if got, want := mustRewrite(t, Config{}, in), "X: a\n\nFrom: boss@bank.example\n more\nFrom: b@x.com\n\nb\n"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if err := CheckHeader([]byte(in)); !errors.Is(err, ErrNoFrom) {
		t.Errorf("CheckHeader: %v, want ErrNoFrom", err)
	}
	// "\r\r\n": an empty line ended by a bare CR, then one ended by CRLF.
	got := mustRewrite(t, Config{}, "X: a\r\n\r\r\nFrom: b@x.com\r\n\r\nb\r\n")
	if want := "X: a\r\n\r\n\r\nFrom: b@x.com\r\n\r\nb\r\n"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// TestRewriteRefusesASenderThatIsNotOneAddress: without fromEmail the new
// From is sent as the original recipient, which is the local part the
// sender chose in RCPT TO (a catch-all mapping takes any). One quoted to
// hold "<", ">" or "," ("x> <boss@bank.example"@example.com) passes SES's
// check of the verified domain but reads as another address to a lax
// reader; the Lambda sends it. Rewrite refuses it (difference 28):
// nothing is sent, and --recipient or fromEmail can name the sender.
func TestRewriteRefusesASenderThatIsNotOneAddress(t *testing.T) {
	for _, r := range []string{`"x> <boss@bank.example"@example.com`, `"a,b"@example.com`, `"a(b"@example.com`, `"a;b:c"@example.com`} {
		_, err := Rewrite(Config{}, []byte("From: Ann <a@x.com>\r\n\r\nb\r\n"), r)
		if err == nil || !strings.Contains(err.Error(), "not one plain address") {
			t.Errorf("original recipient %s: err %v", r, err)
		}
		if _, err := Rewrite(Config{FromEmail: "noreply@example.com"}, []byte("From: Ann <a@x.com>\r\n\r\nb\r\n"), r); err != nil {
			t.Errorf("with fromEmail the original recipient is not written: %v", err)
		}
	}
	for _, r := range []string{"info@example.com", `"john doe"@example.com`, "a@[IPv6:::1]", "Info+tag@Example.com"} {
		if _, err := Rewrite(Config{}, []byte("From: Ann <a@x.com>\r\n\r\nb\r\n"), r); err != nil {
			t.Errorf("original recipient %s: %v", r, err)
		}
	}
	if _, err := Rewrite(Config{FromEmail: `"x> <boss@bank.example"@example.com`}, []byte("From: Ann <a@x.com>\r\n\r\nb\r\n"), ""); err == nil {
		t.Error("fromEmail that is not one plain address accepted")
	}
}
