package compose

import (
	"bytes"
	"errors"
	"fmt"
	stdmime "mime"
	"net/mail"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/mime"
	"github.com/sesbox/sesbox/mailstore/testutil/cpubudget"
)

// TestReplyToHostileMessageKeepsLinesShort: the quote of a body of one
// 5,000-octet line, and a Subject with CR, LF, NUL and 2,000 characters,
// still give a reply whose every line is within 998 octets, whose Subject reads back as one line, and
// whose quoted text decodes to the original's.
func TestReplyToHostileMessageKeepsLinesShort(t *testing.T) {
	long := strings.Repeat("x", 5000)
	subject := "=?utf-8?q?a=0D=0Ab=00c?= " + strings.Repeat("s", 2000) + " " + strings.Repeat("wörd ", 300)
	raw := []byte("From: Dana <dana@northwind.example>\r\nTo: support@acme-demo.example\r\nSubject: " + subject +
		"\r\nMessage-ID: <q@northwind.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + long + "\r\n" + strings.Repeat("ü", 3000) + "\r\n")
	me := mail.Address{Address: "support@acme-demo.example"}
	r, err := NewReply(raw, mime.Parse(raw), Options{From: me})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Build(Message{From: me, To: r.To, Subject: r.Subject, Threading: r.Threading, Body: "ok\n\n" + r.Quote}, BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range bytes.Split(b.Raw, []byte("\r\n")) {
		if len(line) > 998 {
			t.Errorf("line %d is %d octets: %.60q", i, len(line), line)
		}
		if bytes.ContainsAny(line, "\r\n\x00") {
			t.Errorf("line %d holds a CR, LF or NUL: %.60q", i, line)
		}
	}
	m, err := mail.ReadMessage(bytes.NewReader(b.Raw))
	if err != nil {
		t.Fatal(err)
	}
	got, err := new(stdmime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	if got != r.Subject || strings.ContainsAny(got, "\r\n\x00") || !strings.Contains(got, strings.Repeat("s", 2000)) {
		t.Errorf("Subject reads back %.80q (%d), want %.80q (%d)", got, len(got), r.Subject, len(r.Subject))
	}
	parsed := mime.Parse(b.Raw)
	if !strings.Contains(parsed.Text, "> "+long+"\n") || !strings.Contains(parsed.Text, "> "+strings.Repeat("ü", 3000)+"\n") {
		t.Error("the quote does not decode to the original's lines")
	}
}

// TestReferencesStayBoundedOverManyReplies: a thread of 500 replies, each
// answering the last, keeps References at the root plus the latest ids,
// within MaxReferences and its byte bound, on lines within 998 octets.
func TestReferencesStayBoundedOverManyReplies(t *testing.T) {
	me := mail.Address{Address: "support@acme-demo.example"}
	id := "root@northwind.example"
	var refs []string
	var inReplyTo string
	for i := range 500 {
		th := ThreadingFor(id, inReplyTo, refs)
		if len(th.References) > MaxReferences || th.References[0] != "root@northwind.example" || th.References[len(th.References)-1] != id {
			t.Fatalf("reply %d: References %v", i, th.References)
		}
		b, err := Build(Message{From: me, To: []mail.Address{{Address: "d@n.example"}}, Subject: "s", Threading: th, Body: "x"}, BuildOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range bytes.Split(b.Raw, []byte("\r\n")) {
			if len(line) > 998 {
				t.Fatalf("reply %d: a %d-octet line", i, len(line))
			}
		}
		refs, inReplyTo, id = th.References, th.InReplyTo, fmt.Sprintf("%d.%s", i, strings.Repeat("n", 200))+"@northwind.example"
	}
}

// TestReplyToThousandsOfReferences: an original whose References holds
// 100,000 ids (about 2 MB, a sender's to choose) is answered at once, with
// References trimmed to the root and the latest ids. Trimming dropped one
// id at a time and measured the whole list again each time: 105 s.
func TestReplyToThousandsOfReferences(t *testing.T) {
	ids := make([]string, 100_000)
	for i := range ids {
		ids[i] = fmt.Sprintf("<%d.thread@northwind.example>", i)
	}
	raw := hostile(map[string]string{"References": strings.Join(ids, "\r\n ")})
	var r Reply
	var err error
	took := cpubudget.Used(func() {
		r, err = NewReply(raw, mime.Parse(raw), Options{From: mail.Address{Address: "support@acme-demo.example"}})
	})
	if err != nil || took > 10*time.Second {
		t.Fatalf("NewReply: %v after %v of CPU", err, took)
	}
	refs := r.Threading.References
	if len(refs) != MaxReferences || refs[0] != "0.thread@northwind.example" || refs[len(refs)-2] != "99999.thread@northwind.example" ||
		refs[len(refs)-1] != "q1@northwind.example" || refs[1] != fmt.Sprintf("%d.thread@northwind.example", 100_000-MaxReferences+2) {
		t.Fatalf("References %v", refs)
	}
}

// TestReplyAllToThousandsOfAddresses: reply-all to an original whose To
// names 50,000 addresses, one a line, is refused at once, before a list
// is parsed, and says why and what to do; a reply to the sender alone is
// planned. The field was joined line by line into one string, and each
// address searched for in all of it: 60 s. Then every address was
// parsed, at 85 bytes a header byte, to be refused later by
// CheckRecipientCount: a To of 40 MB would have taken 3.4 GB. The refusal
// costs 31 bytes a byte, the header read four times (one a field).
func TestReplyAllToThousandsOfAddresses(t *testing.T) {
	to := make([]string, 50_000)
	for i := range to {
		to[i] = fmt.Sprintf("\"Name %d\" <p%d@northwind.example>", i, i)
	}
	raw := hostile(map[string]string{"To": strings.Join(to, ",\r\n ") + ",\r\n =?utf-8?q?x?= <p0@evil.example>"})
	v := mime.Parse(raw)
	var r Reply
	var err error
	took := cpubudget.Used(func() {
		r, err = NewReply(raw, v, Options{From: mail.Address{Address: "support@acme-demo.example"}})
	})
	if err != nil || took > 10*time.Second || len(r.To) != 1 || r.To[0].Address != "dana@northwind.example" || len(r.Cc) != 0 {
		t.Fatalf("reply to the sender: %v after %v of CPU, To %v, %d Cc", err, took, r.To, len(r.Cc))
	}
	a := allocatedBy(func() {
		_, err = NewReply(raw, v, Options{All: true, From: mail.Address{Address: "support@acme-demo.example"}})
	})
	var he *mailstore.HintError
	if !errors.As(err, &he) || !strings.Contains(err.Error(), "50001 addresses") || !strings.Contains(he.Hint, "without --all") {
		t.Errorf("reply-all: %v (%T)", err, err)
	}
	if a > 48*uint64(len(raw)) {
		t.Errorf("the refused reply-all allocated %d for %d bytes: %d a byte", a, len(raw), a/uint64(len(raw)))
	}
}

// TestReplyReadsNoHugeListOfTheOtherFields: Mail-Reply-To (read for
// every reply) and Mail-Followup-To (for a reply-all) were parsed whole,
// as To and Cc were: a list of 250,000 unreadable addresses allocated
// 85 bytes a byte before any reply was refused. They are counted first
// too.
func TestReplyReadsNoHugeListOfTheOtherFields(t *testing.T) {
	for _, tt := range []struct {
		field string
		all   bool
	}{{"Mail-Reply-To", false}, {"Mail-Followup-To", true}} {
		raw := hostile(map[string]string{tt.field: strings.Repeat("<>, ", 250_000) + "z@b.example"})
		v := mime.Parse(raw)
		var err error
		a := allocatedBy(func() {
			_, err = NewReply(raw, v, Options{All: tt.all, From: mail.Address{Address: "support@acme-demo.example"}})
		})
		if err == nil || !strings.Contains(err.Error(), tt.field+" names 250001 addresses") {
			t.Errorf("%s: %v", tt.field, err)
		}
		if a > 48*uint64(len(raw)) {
			t.Errorf("%s: the refused reply allocated %d for %d bytes: %d a byte", tt.field, a, len(raw), a/uint64(len(raw)))
		}
	}
}

func allocatedBy(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestReplyQuotesTheForwardedMessage: show displays a forwarded message
// (message/rfc822) after the body, and the reply quotes it as mutt does:
// where it is, its From, To, Date and Subject, and its body, sanitized
// (an escape sequence in its Subject, a line of 5,000 octets in its
// body), every line of the reply within 998 octets; a forwarded body of
// 1 MB is cut with the quote.
func TestReplyQuotesTheForwardedMessage(t *testing.T) {
	long := strings.Repeat("y", 5000)
	forwarded := func(body string) []byte {
		inner := "From: Bob <bob@partner.example>\r\nTo: dana@northwind.example\r\nDate: Mon, 7 Dec 2026 09:00:00 +0000\r\n" +
			"Subject: =?utf-8?q?Invoice_=1B]0;pwned=07_42?=\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body
		return []byte("From: Dana <dana@northwind.example>\r\nTo: support@acme-demo.example\r\nSubject: Fwd: Invoice 42\r\n" +
			"Message-ID: <f@northwind.example>\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n" +
			"Content-Type: text/plain; charset=utf-8\r\n\r\nSee below.\r\n--b\r\nContent-Type: message/rfc822\r\n" +
			"Content-Disposition: attachment; filename=\"fwd.eml\"\r\n\r\n" + inner + "\r\n--b--\r\n")
	}
	me := mail.Address{Address: "support@acme-demo.example"}
	raw := forwarded("The invoice is attached.\r\n" + long + "\r\n")
	r, err := NewReply(raw, mime.Parse(raw), Options{From: me})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"> See below.\n>\n> ----- message in part 2 -----\n", "> From:     Bob <bob@partner.example>\n",
		"> To:       dana@northwind.example\n", "> Subject:  Invoice ", " 42\n>\n> The invoice is attached.\n", "> " + long + "\n"} {
		if !strings.Contains(r.Quote, want) {
			t.Errorf("the quote lacks %.80q:\n%.600s", want, r.Quote)
		}
	}
	if strings.ContainsAny(r.Quote, "\x1b\x07") {
		t.Errorf("the quote holds the Subject's control bytes: %q", r.Quote)
	}
	b, err := Build(Message{From: me, To: r.To, Subject: r.Subject, Threading: r.Threading, Body: "ok\n\n" + r.Quote}, BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range bytes.Split(b.Raw, []byte("\r\n")) {
		if len(line) > 998 {
			t.Errorf("line %d is %d octets: %.60q", i, len(line), line)
		}
	}
	big := forwarded(strings.Repeat("a line of the forwarded log\r\n", 40000))
	r, err = NewReply(big, mime.Parse(big), Options{From: me})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Quote) > MaxQuoteBytes+MaxQuoteBytes/8 || !strings.HasSuffix(r.Quote, "> [...]\n") || !strings.Contains(r.Quote, "> From:     Bob") {
		t.Errorf("the quote of a 1 MB forwarded body is %d bytes, ends %q", len(r.Quote), r.Quote[max(0, len(r.Quote)-40):])
	}
}
