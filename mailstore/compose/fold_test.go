package compose

import (
	"bytes"
	"math/rand/v2"
	"mime"
	"net/mail"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore/headerfold"
	"github.com/sesbox/sesbox/mailstore/sanitize"
)

// checkHeaderLines asserts RFC 5322's line rules on the header of a built
// message: every line at most 998 octets; a line holding an encoded word at
// most 76 (RFC 2047 2); a line over 78 only where it has
// no blank to fold at (one run without blanks, which sesbox keeps to an
// encoded word); no blank-only continuation line.
func checkHeaderLines(t *testing.T, raw []byte) {
	t.Helper()
	header, _, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
	for i, line := range strings.Split(string(header), "\r\n") {
		if len(line) > 998 {
			t.Fatalf("header line %d is %d octets", i+1, len(line))
		}
		if strings.Trim(line, " \t") == "" {
			t.Fatalf("header line %d is blank-only: %q", i+1, header)
		}
		if strings.Contains(line, "=?") && len(line) > headerfold.Encoded {
			t.Fatalf("header line %d holds encoded words and is %d octets (RFC 2047 allows 76): %q", i+1, len(line), line)
		}
		if len(line) <= 78 {
			continue
		}
		start := 1
		if line[0] != ' ' && line[0] != '\t' {
			if c := strings.IndexByte(line, ':'); c >= 0 {
				start = c + 2
			}
		}
		for j := start; j+1 < len(line); j++ {
			if line[j] == ' ' && line[j-1] != ' ' && line[j-1] != '\t' && line[j+1] != ' ' && line[j+1] != '\t' {
				t.Fatalf("header line %d is %d octets but has a blank at %d to fold at: %q", i+1, len(line), j, line)
			}
		}
	}
}

// buildHeaders builds a reply with the given subject and names, and checks
// that the header lines obey RFC 5322 and that net/mail (with
// mime.WordDecoder) reads back exactly the subject and addresses given.
func buildHeaders(t *testing.T, subject string, names []string) {
	t.Helper()
	from := mail.Address{Name: names[0], Address: "me@acme-demo.example"}
	var to []mail.Address
	for i, n := range names[1:] {
		to = append(to, mail.Address{Name: n, Address: "person" + string(rune('a'+i%26)) + "@example.com"})
	}
	s := int64(1)
	b, err := Build(Message{From: from, To: to[:1+len(to)/2], Cc: to[1+len(to)/2:], Subject: subject, Body: "x"},
		BuildOptions{Date: fixedDate, Seed: &s})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	checkHeaderLines(t, b.Raw)
	checkWellFormed(t, b.Raw)
	msg, err := mail.ReadMessage(bytes.NewReader(b.Raw))
	if err != nil {
		t.Fatal(err)
	}
	dec := new(mime.WordDecoder)
	got, err := dec.DecodeHeader(msg.Header.Get("Subject"))
	// A reader trims the blanks at both ends of a field value.
	if want := strings.Trim(sanitize.HeaderValue(subject), " \t"); err != nil || got != want {
		t.Fatalf("Subject reads back as %q (%v), want %q\n%s", got, err, want, b.Raw)
	}
	wantAddr := func(a mail.Address) mail.Address {
		c, err := reclean(a)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	check := func(field string, want []mail.Address) {
		t.Helper()
		list, err := msg.Header.AddressList(field)
		if len(want) == 0 && err == mail.ErrHeaderNotPresent {
			return
		}
		if err != nil || len(list) != len(want) {
			t.Fatalf("%s reads back as %v (%v), want %v\n%s", field, list, err, want, b.Raw)
		}
		for i := range want {
			w := wantAddr(want[i])
			if list[i].Name != strings.Trim(w.Name, " \t") && !(w.Name == "" && list[i].Name == "") || list[i].Address != w.Address {
				t.Fatalf("%s[%d] reads back as %q <%s>, want %q <%s>\n%s", field, i, list[i].Name, list[i].Address, w.Name, w.Address, b.Raw)
			}
		}
	}
	check("From", []mail.Address{from})
	check("To", to[:1+len(to)/2])
	check("Cc", to[1+len(to)/2:])
	// Many readers (Python's email, most mail clients) decode RFC 2047
	// words inside a quoted display name too, which RFC 2047 forbids and
	// net/mail does not do: read that way, no field may hold a line break
	// or read differently from how net/mail reads it.
	for _, field := range []string{"From", "To", "Cc"} {
		v := msg.Header.Get(field)
		lenient, err := dec.DecodeHeader(v)
		if err == nil && lenient != v && strings.ContainsAny(lenient, "\r\n") {
			t.Fatalf("%s decodes to a line break where readers decode words in quoted names: %q -> %q", field, v, lenient)
		}
	}
}

// TestBuildFoldsHeaderLines: a 5,000-character Subject, long names with and
// without blanks, any script: lines within 998 octets, folded near 78, and
// the same subject and addresses read back.
func TestBuildFoldsHeaderLines(t *testing.T) {
	buildHeaders(t, strings.Repeat("x", 5000), []string{"Me", "A"})
	buildHeaders(t, strings.Repeat("word ", 1000), []string{strings.Repeat("N", 5000), strings.Repeat("Long Name ", 50)})
	buildHeaders(t, strings.Repeat("日本語", 1000), []string{"Ünïcødé " + strings.Repeat("ä", 900), "B", "C", "D", "E", "F", "G"})
	buildHeaders(t, "=?"+strings.Repeat("y", 3000)+"?=", []string{"Me", strings.Repeat("\"q\" ", 300)})
	// A name that reads as an encoded word of CRLF + Bcc: (the original's
	// name after its own decoding, e.g. an encoded word of an encoded word).
	buildHeaders(t, "s", []string{"=?utf-8?q?x=0D=0ABcc:_evil@e.com?=", "=?utf-8?b?eA0KQmNjOiBldmlsQGUuY29t?= y", "a =?utf-8?q?=0A?="})

	r := rand.New(rand.NewPCG(10, 5))
	// Controls (C0, DEL, C1) are dropped by sanitize.HeaderValue, which
	// buildHeaders expects.
	alphabet := []rune("aB0 .,:;\"'()<>@\\=?_-~\täé€日本語한글😀👩\u200d👩\u0301\u0308\x01\x1b\x7f\u0085\u202e")
	text := func(n int) string {
		var b strings.Builder
		for range n {
			if r.IntN(40) == 0 {
				b.WriteString(strings.Repeat(string(alphabet[r.IntN(len(alphabet))]), 100+r.IntN(300)))
			}
			b.WriteRune(alphabet[r.IntN(len(alphabet))])
		}
		return b.String()
	}
	for range 400 {
		names := make([]string, 1+r.IntN(12))
		for i := range names {
			names[i] = text(r.IntN(120))
		}
		if len(names) == 1 {
			names = append(names, "")
		}
		buildHeaders(t, text(r.IntN(2000)), names)
	}
}

// FuzzBuildHeaderLines: the same property for any subject and names.
func FuzzBuildHeaderLines(f *testing.F) {
	// Seeds just over 998 octets: the fuzzer minimizes what it finds, and
	// that is slow on inputs of many kilobytes.
	f.Add(strings.Repeat("x", 1000), "Name", "Other")
	f.Add("Re: "+strings.Repeat("日本語 ", 100), strings.Repeat("N", 1000), "")
	f.Add("=?utf-8?q?x?=", "a\"b\\c", "(x) <y>")
	f.Add("s", "=?utf-8?q?=0D=0A?=", "x")
	f.Fuzz(func(t *testing.T, subject, name1, name2 string) {
		if len(subject)+len(name1)+len(name2) > 4000 {
			return
		}
		buildHeaders(t, subject, []string{name1, name2, name1 + name2})
	})
}
