package mime

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sesbox/sesbox/mailstore"
)

// receiptBlocks are the top blocks the receipt tests put above the
// sender's fields: what SES writes with scanning on and off, a block cut
// short, and none (not stored by SES).
var receiptBlocks = []string{
	// 0: the full block, as in the demo mailbox.
	"Return-Path: <dana@northwind.example>\r\n" +
		"Received: from mail.northwind.example (mail.northwind.example [198.51.100.7])\r\n" +
		" by inbound-smtp.us-east-1.amazonaws.com with SMTP id 3f1q0example\r\n" +
		" for support@acme-demo.example;\r\n" +
		" Tue, 03 Nov 2026 14:02:11 +0000 (UTC)\r\n" +
		"X-SES-Spam-Verdict: FAIL\r\n" +
		"X-SES-Virus-Verdict: PASS\r\n" +
		"Received-SPF: softfail (spfCheck: transitioning domain of northwind.example does not designate 198.51.100.7 as permitted sender) client-ip=198.51.100.7;\r\n" +
		"Authentication-Results: amazonses.com;\r\n" +
		" spf=softfail (spfCheck: ...) smtp.mailfrom=dana@northwind.example;\r\n" +
		" dkim=fail header.i=@northwind.example;\r\n" +
		" dmarc=fail header.from=northwind.example;\r\n" +
		"X-SES-RECEIPT: AEFBQUFBQUFBQUFH\r\n" +
		" cnVsZXMgYXJlIHJ1bGVz\r\n" +
		"X-SES-DKIM-SIGNATURE: a=rsa-sha256; q=dns/txt; b=abc; d=amazonses.com; v=1;\r\n",
	// 1: scanning off: no verdict fields, but the receipt and signature.
	"Return-Path: <dana@northwind.example>\r\n" +
		"Received: from mail.northwind.example by inbound-smtp.eu-west-1.amazonaws.com with SMTP id x for support@acme-demo.example; Tue, 03 Nov 2026 14:02:11 +0000\r\n" +
		"Received-SPF: pass (spfCheck: ...) client-ip=198.51.100.7;\r\n" +
		"X-SES-RECEIPT: AEFBQUFB\r\n" +
		"X-SES-DKIM-SIGNATURE: a=rsa-sha256; d=amazonses.com;\r\n",
	// 2: only the hop (older test data has this shape).
	"Received: from mail.northwind.example by inbound-smtp.us-west-2.amazonaws.com with SMTP id x for support@acme-demo.example; Tue, 03 Nov 2026 14:02:11 +0000\r\n",
	// 3: no SES block at all.
	"Received: from mail.northwind.example by mx.northwind.example with ESMTP id x for <ceo@acme-demo.example>; Tue, 03 Nov 2026 14:02:11 +0000\r\n",
}

// senderFields follow the block: the first is never an SES field.
const senderFields = "From: Dana <dana@northwind.example>\r\n" +
	"To: support@acme-demo.example\r\n" +
	"Subject: Invoice 4471\r\n" +
	"Date: Tue, 3 Nov 2026 09:02:05 -0500\r\n"

func TestReceiptBlockForgeries(t *testing.T) {
	full := mailstore.Verdicts{Spam: "FAIL", Virus: "PASS", SPF: "SOFTFAIL", DKIM: "FAIL", DMARC: "FAIL"}
	tests := []struct {
		name     string
		block    int
		forged   string // below the block
		rcpts    []string
		verdicts mailstore.Verdicts
		warn     []string // field names
	}{
		{
			"forged hop", 0,
			"Received: from x by inbound-smtp.us-east-1.amazonaws.com with SMTP id y for <ceo@acme-demo.example>; Tue, 03 Nov 2026 14:02:10 +0000\r\n",
			[]string{"support@acme-demo.example"}, full, []string{"Received"},
		},
		{
			"forged verdicts", 0,
			"X-SES-Spam-Verdict: PASS\r\nX-SES-Virus-Verdict: PASS\r\nReceived-SPF: pass\r\n",
			[]string{"support@acme-demo.example"}, full,
			[]string{"X-SES-Spam-Verdict", "X-SES-Virus-Verdict", "Received-SPF"},
		},
		{
			"forged authentication results", 0,
			"Authentication-Results: amazonses.com; spf=pass; dkim=pass; dmarc=pass\r\n",
			[]string{"support@acme-demo.example"}, full, []string{"Authentication-Results"},
		},
		{
			"forged verdicts where SES wrote none", 1,
			"x-ses-spam-verdict: PASS\r\nAUTHENTICATION-RESULTS: AmazonSES.com; dmarc=pass\r\n",
			[]string{"support@acme-demo.example"}, mailstore.Verdicts{SPF: "PASS"},
			[]string{"x-ses-spam-verdict", "AUTHENTICATION-RESULTS"},
		},
		{
			"forged hop without SES block", 3,
			"Received: from x by inbound-smtp.us-east-1.amazonaws.com with SMTP id y for <ceo@acme-demo.example>;\r\nX-SES-Spam-Verdict: PASS\r\n",
			nil, mailstore.Verdicts{}, []string{"Received", "X-SES-Spam-Verdict"},
		},
		{
			"sender's own authentication results and SES outgoing stamp are no forgery", 0,
			"Authentication-Results: mx.google.com; dkim=pass header.i=@amazonses.com\r\nX-SES-Outgoing: 2026.11.03-54.240.8.1\r\n",
			[]string{"support@acme-demo.example"}, full, nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The forged fields go right after From, and again at the end.
			from, rest, _ := strings.Cut(senderFields, "\r\n")
			raw := receiptBlocks[tt.block] + from + "\r\n" + tt.forged + rest + tt.forged + "\r\nbody\r\n"
			s := Summarize([]byte(raw))
			if !slices.Equal(s.Recipients, tt.rcpts) {
				t.Errorf("Recipients = %q, want %q", s.Recipients, tt.rcpts)
			}
			if s.Verdicts != tt.verdicts {
				t.Errorf("Verdicts = %+v, want %+v", s.Verdicts, tt.verdicts)
			}
			var want []string
			for _, n := range tt.warn {
				want = append(want, "forged SES header below the receipt block: "+n)
			}
			if got := forgedWarnings(s.Warnings); !reflect.DeepEqual(got, want) {
				t.Errorf("forged warnings = %q, want %q", got, want)
			}
			// The full parse (show, the viewer) carries the same warnings.
			if got := forgedWarnings(Parse([]byte(raw)).Warnings); !reflect.DeepEqual(got, want) {
				t.Errorf("Parse warnings = %q, want %q", got, want)
			}
		})
	}
}

func forgedWarnings(ws []string) []string {
	var out []string
	for _, w := range ws {
		if strings.HasPrefix(w, "forged SES header") {
			out = append(out, w)
		}
	}
	return out
}

func TestReceiptBlockEnd(t *testing.T) {
	f := func(name, value string) rawField { return rawField{Name: name, Value: value} }
	hop := f("Received", "from a by inbound-smtp.us-east-1.amazonaws.com with SMTP id q for x@example.com")
	tests := []struct {
		name   string
		fields []rawField
		want   int
	}{
		{"hop alone", []rawField{hop}, 1},
		{"return-path and hop", []rawField{f("Return-Path", "<a@b>"), hop, f("From", "a@b")}, 2},
		{"verdict before hop: no block", []rawField{f("X-SES-Spam-Verdict", "PASS"), hop}, 0},
		{"return-path without hop: no block", []rawField{f("Return-Path", "<a@b>"), f("From", "a@b")}, 0},
		{"second hop ends it", []rawField{hop, f("X-SES-Spam-Verdict", "PASS"), hop}, 2},
		{"verdict after signature ends it", []rawField{hop, f("X-SES-DKIM-SIGNATURE", "x"), f("X-SES-Spam-Verdict", "PASS")}, 2},
		{"repeated verdict ends it", []rawField{hop, f("X-SES-Spam-Verdict", "FAIL"), f("X-SES-Spam-Verdict", "PASS")}, 2},
		{"other results end it", []rawField{hop, f("Authentication-Results", "mx.example; spf=pass"), f("X-SES-RECEIPT", "x")}, 1},
		{"relay hop ends it", []rawField{hop, f("Received", "from b by c"), f("X-SES-Spam-Verdict", "PASS")}, 1},
		{"empty", nil, 0},
	}
	for _, tt := range tests {
		if got := receiptBlockEnd(tt.fields); got != tt.want {
			t.Errorf("%s: receiptBlockEnd = %d, want %d", tt.name, got, tt.want)
		}
	}
}

// sesLooking are field templates a forger would write; %s takes fuzz text.
var sesLooking = []string{
	"Received: from x by inbound-smtp.us-east-1.amazonaws.com with SMTP id y for <%s@acme-demo.example>;",
	"X-SES-Spam-Verdict: %s",
	"X-SES-Virus-Verdict: %s",
	"Received-SPF: %s",
	"Authentication-Results: amazonses.com; spf=%[1]s; dkim=%[1]s; dmarc=%[1]s",
	"X-SES-RECEIPT: %s",
	"X-SES-DKIM-SIGNATURE: %s",
	"Return-Path: <%s@evil.example>",
	"x-ses-anything: %s",
	"Received: by inbound-smtp.eu-west-1.amazonaws.com for %s@acme-demo.example",
}

// FuzzReceiptBlock checks the property behind the receipt block: whatever
// follows the first field SES did not write (SES-looking fields built from
// the fuzz input, then arbitrary bytes) never changes the envelope
// recipients or the verdicts, and every SES-looking field added is
// reported.
func FuzzReceiptBlock(f *testing.F) {
	f.Add(uint8(0), []byte{0, 1, 2, 3, 4}, "PASS", []byte("X-SES-Spam-Verdict: PASS\r\n"))
	f.Add(uint8(1), []byte{1, 4, 0}, "ceo", []byte("Authentication-Results: amazonses.com; dmarc=pass\n"))
	f.Add(uint8(2), []byte{9, 8, 7}, "pass", []byte(" folded\r\n\tmore\r\nReceived-SPF: pass\r\n"))
	f.Add(uint8(3), []byte{0}, "x\r\ny", []byte("\r\n\r\nReceived: by inbound-smtp.us-east-1.amazonaws.com for <z@z>\r\n"))
	f.Fuzz(func(t *testing.T, block uint8, kinds []byte, value string, tail []byte) {
		top := receiptBlocks[int(block)%len(receiptBlocks)]
		base := top + senderFields
		want := Summarize([]byte(base + "\r\nbody\r\n"))

		value = strings.NewReplacer("\r", "", "\n", "").Replace(value)
		var added strings.Builder
		var names []string
		for _, k := range kinds {
			tmpl := sesLooking[int(k)%len(sesLooking)]
			field := fmt.Sprintf(tmpl, value)
			added.WriteString(field + "\r\n")
			if name, _, _ := strings.Cut(field, ":"); !strings.EqualFold(name, "Return-Path") {
				names = append(names, name)
			}
		}
		raw := []byte(base + added.String() + string(tail))
		got := Summarize(raw)
		if !slices.Equal(got.Recipients, want.Recipients) {
			t.Errorf("Recipients changed: %q -> %q", want.Recipients, got.Recipients)
		}
		if got.Verdicts != want.Verdicts {
			t.Errorf("Verdicts changed: %+v -> %+v", want.Verdicts, got.Verdicts)
		}
		for _, n := range names {
			w := "forged SES header below the receipt block: " + n
			if !slices.Contains(got.Warnings, w) {
				t.Errorf("warnings %q lack %q", got.Warnings, w)
			}
		}
	})
}

func TestReceivedForAddrs(t *testing.T) {
	const by = "from mail.example (mail.example [192.0.2.1]) by inbound-smtp.us-east-1.amazonaws.com with SMTP id abc "
	tests := []struct {
		name, value string
		want        []string
	}{
		{"bare", by + "for info@example.com; Fri, 11 Mar 2016 06:20:55 +0000", []string{"info@example.com"}},
		{"angle", by + "for <info@example.com>; date", []string{"info@example.com"}},
		{"root dot", by + "for info@example.com.; date", []string{"info@example.com"}},
		{"quoted local part with a blank", by + `for <"john doe"@example.com>; date`, []string{`"john doe"@example.com`}},
		{"quoted local part, bare", by + `for "john doe"@example.com; date`, []string{`"john doe"@example.com`}},
		{"quoted pairs", by + `for <"a\"b\\c d"@example.com>;`, []string{`"a\"b\\c d"@example.com`}},
		{"quoted clause is data", by + `for <"x; for <ceo@example.com>"@example.com>;`, []string{`"x; for <ceo@example.com>"@example.com`}},
		{"source route", by + "for <@relay.example:info@example.com>;", []string{"info@example.com"}},
		{"address literal", by + "for <info@[192.0.2.7]>;", []string{"info@[192.0.2.7]"}},
		{"utf-8", by + "for <用户@例子.example>;", []string{"用户@例子.example"}},
		{"comment after", by + "for info@example.com (original recipient); date", []string{"info@example.com"}},
		{"folded", "from a\r\n by inbound-smtp.us-west-2.amazonaws.com with SMTP id x for\r\n info@example.com;\r\n date", []string{"info@example.com"}},
		{"unclosed quote", by + `for <"john doe@example.com>;`, nil},
		{"control in quotes", by + "for <\"a\x01b\"@example.com>;", nil},
		{"double dot", by + "for <a..b@example.com>;", nil},
		{"missing angle", by + "for <info@example.com;", nil},
		{"junk after", by + "for info@example.com<x>;", nil},
		{"for before SES's by is the sender's", `from x (for <ceo@example.com>) by inbound-smtp.us-east-1.amazonaws.com with SMTP id q; date`, nil},
		{"HELO named for", "from for (x [192.0.2.1]) by inbound-smtp.us-east-1.amazonaws.com id q for a@example.com;", []string{"a@example.com"}},
		{"HELO named by", "from by (x [192.0.2.1]) by inbound-smtp.us-east-1.amazonaws.com id q for a@example.com;", []string{"a@example.com"}},
		{"first by is not SES", "from x by mx.example for <ceo@example.com> by inbound-smtp.us-east-1.amazonaws.com for a@example.com;", nil},
		{"after the date", by + "; Fri, 11 Mar 2016 for <ceo@example.com>", nil},
		{"replacement character", by + "for <a\uFFFDb@example.com>;", nil},
	}
	for _, tt := range tests {
		if got := receivedForAddrs(tt.value); !slices.Equal(got, tt.want) {
			t.Errorf("%s: receivedForAddrs(%q) = %q, want %q", tt.name, tt.value, got, tt.want)
		}
	}
}

// FuzzReceivedFor: any local part SMTP can carry, quoted as RFC 5321
// quotes it, comes back from SES's hop exactly as written, whatever the
// sender's HELO and comment before SES's by clause and whatever follows
// the date; and nothing the for clause holds is searched for another one.
func FuzzReceivedFor(f *testing.F) {
	f.Add("john doe", "mail.example", "x [192.0.2.1]")
	f.Add(`a"b\c; for <ceo@example.com>`, "for", "for <ceo@example.com>")
	f.Add("用户 名", "by", ")(")
	f.Fuzz(func(t *testing.T, local, helo, comment string) {
		var q strings.Builder
		for _, r := range local {
			switch {
			case r == '"' || r == '\\':
				q.WriteString(`\` + string(r))
			case r >= ' ' && r <= '~', r >= utf8.RuneSelf && isUTF8NonASCII(r):
				q.WriteRune(r)
			default:
				return // SMTP cannot carry it
			}
		}
		if strings.ContainsAny(helo, " \t\r\n(;") || helo == "" || strings.ContainsAny(comment, "()\\\r\n") {
			return // one word; a comment without nesting
		}
		want := `"` + q.String() + `"@acme-demo.example`
		hop := "from " + helo + " (" + comment + ") by inbound-smtp.us-east-1.amazonaws.com with SMTP id x for <" + want + ">; Tue, 03 Nov 2026 14:02:11 +0000 for <ceo@acme-demo.example>"
		if got := receivedForAddrs(hop); !slices.Equal(got, []string{want}) {
			t.Errorf("receivedForAddrs(%q) = %q, want %q", hop, got, want)
		}
	})
}
