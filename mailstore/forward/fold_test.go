package forward

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"mime"
	"net/mail"
	"strings"
	"testing"
)

// foldConfigs: every field Rewrite writes is written in at least one.
var foldConfigs = []Config{
	{SubjectPrefix: "[PREFIX] "},
	{FromEmail: "noreply@example.com", SubjectPrefix: "Fwd: ", ToEmail: "a@example.com, " + strings.Repeat("b@example.com, ", 20) + "c@example.com"},
	{QuoteFromName: true, SubjectPrefix: "[P]"},
	{FromEmail: "noreply@example.com", QuoteFromName: true},
	{SubjectPrefix: "=?utf-8?Q?[R=C3=A9]?= "},
}

// readHeader reads the header of a message the way a recipient does.
func readHeader(t *testing.T, msg []byte) mail.Header {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(msg))
	if err != nil {
		t.Fatalf("net/mail cannot read %q: %v", msg, err)
	}
	return m.Header
}

// phraseText is the decoded display text of a From value written by
// Rewrite: everything before its last "<", quotes removed, words decoded.
func phraseText(v string) string {
	if lt := strings.LastIndexByte(v, '<'); lt >= 0 {
		v = v[:lt]
	}
	return string(decodeText(unquote([]byte(strings.TrimSpace(v)))))
}

// checkFoldedRewrite: the output's header lines keep the limits
// (checkLineLengths), and what a reader decodes from Subject, From's phrase
// and Reply-To is what Rewrite meant to write, folded or not.
func checkFoldedRewrite(t *testing.T, cfg Config, in []byte) {
	t.Helper()
	out, err := Rewrite(cfg, in, orig)
	if errors.Is(err, ErrUnfoldable) && strings.Contains(err.Error(), "Reply-To") {
		if _, perr := readHeader(t, in).AddressList("From"); perr != nil {
			return // junk From (no usable address) with a run too long to fold: refused
		}
	}
	if errors.Is(err, ErrUnfoldable) && strings.Contains(err.Error(), "its encoded words cannot be re-encoded") {
		return // a run too long to fold in words of a charset sesbox does not know: refused, as documented
	}
	if err != nil {
		t.Fatalf("Rewrite: %v\n%q", err, in)
	}
	header, _ := splitMessage(out)
	checkLineLengths(t, cfg, in, header)
	got, want := readHeader(t, out), readHeader(t, in)
	dec := new(mime.WordDecoder)

	if cfg.SubjectPrefix != "" {
		// What a reader decodes from the Lambda's line: the prefix, then
		// the value less the one blank the Lambda takes as the separator
		// (net/mail's Get would trim a second one, which both keep).
		inHeader, _ := splitMessage(in)
		var value string
		for _, f := range parseFields(inHeader) {
			if f.kind == kindSubject {
				value = strings.NewReplacer("\r\n", "", "\n", "").Replace(string(skipSeparator(f.value())))
			}
		}
		w, err1 := dec.DecodeHeader(cfg.SubjectPrefix + value)
		g, err2 := dec.DecodeHeader(got.Get("Subject"))
		if err1 == nil && (err2 != nil || g != strings.TrimSpace(w)) {
			t.Fatalf("Subject reads %q (%v), want %q\nout: %q", g, err2, w, header)
		}
	}

	// The From phrase as fromValue builds it, on one line, before folding.
	oneLine := fromValue(cfg, []byte(" "+want.Get("From")), orig)
	if g, w := phraseText(got.Get("From")), phraseText(string(oneLine)); g != w {
		t.Fatalf("From phrase reads %q, want %q\nout: %q", g, w, header)
	}

	if wl, err := want.AddressList("From"); err == nil {
		gl, err := got.AddressList("Reply-To")
		if err != nil || len(gl) != len(wl) {
			t.Fatalf("Reply-To reads %v (%v), want %v\nout: %q", gl, err, wl, header)
		}
		for i := range wl {
			if *gl[i] != *wl[i] {
				t.Fatalf("Reply-To[%d] reads %v, want %v\nout: %q", i, gl[i], wl[i], header)
			}
		}
	}
}

func foldMessage(name, addr, subject, eol string) []byte {
	m := "Received: from x by y\nFrom: " + name + " <" + addr + ">\nSubject: " + subject + "\nTo: info@example.com\n\nbody\n"
	return []byte(strings.ReplaceAll(m, "\n", eol))
}

// TestRewriteFoldsCreatedLines: a 5,000-octet Subject, long names with and
// without blanks, encoded words, any script, LF and CRLF.
func TestRewriteFoldsCreatedLines(t *testing.T) {
	long := foldMessage("Name", "a@example.com", strings.Repeat("x", 5000), "\r\n")
	for _, cfg := range foldConfigs {
		checkFoldedRewrite(t, cfg, long)
	}
	out, _ := Rewrite(Config{SubjectPrefix: "[P] "}, long, orig)
	if !bytes.Contains(unfoldRFC(out), []byte("Subject: [P] =?utf-8?q?xxx")) {
		t.Errorf("a 5,000-octet Subject is not written as encoded words:\n%.300q", out)
	}

	r := rand.New(rand.NewPCG(4, 4))
	alphabet := []string{"a", "B", " ", " ", ".", ",", "\"", "(", ")", "=?", "?=", "=?utf-8?q?J=C3=B6rg?=", "=?UTF-8?B?8J+YiiBuYW1l?=",
		"ä", "日本", "😀", "_", "-", "\t"}
	text := func(n int) string {
		var b strings.Builder
		for range n {
			if r.IntN(30) == 0 {
				b.WriteString(strings.Repeat(alphabet[r.IntN(3)], 80+r.IntN(1500)))
			}
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		return strings.Trim(b.String(), " \t")
	}
	for i := range 1500 {
		name := text(r.IntN(60))
		if r.IntN(3) == 0 {
			name = `"` + strings.ReplaceAll(strings.ReplaceAll(name, `\`, ``), `"`, ``) + `"`
		}
		addr := "sender@example.com"
		if r.IntN(10) == 0 {
			addr = strings.Repeat("l", 60) + "@" + strings.Repeat("d", 60) + ".example"
		}
		eol := []string{"\n", "\r\n"}[i%2]
		checkFoldedRewrite(t, foldConfigs[r.IntN(len(foldConfigs))], foldMessage(name, addr, text(r.IntN(400)), eol))
	}
}

// FuzzRewriteFolding: the same property for any subject and name.
func FuzzRewriteFolding(f *testing.F) {
	// Seeds just over 998 octets: the fuzzer minimizes what it finds, and
	// that is slow on inputs of many kilobytes.
	f.Add("Betsy", strings.Repeat("x", 1000), uint8(0))
	f.Add(strings.Repeat("N", 1000), "=?utf-8?q?"+strings.Repeat("y", 1000)+"?=", uint8(1))
	f.Add(`"a, b" (c)`, "Re: "+strings.Repeat("日本語 ", 100), uint8(2))
	f.Add(`"000"0(0)`, " 0", uint8(1)) // a second blank after the colon is the value's
	f.Add("A", strings.Repeat("x", 1000), uint8(4))
	f.Fuzz(func(t *testing.T, name, subject string, which uint8) {
		if len(name)+len(subject) > 4000 {
			return
		}
		for _, s := range []string{name, subject} {
			if strings.ContainsAny(s, "\r\n") || strings.ContainsFunc(s, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }) {
				return // one field each: line breaks would make other fields
			}
		}
		in := foldMessage(name, "a@example.com", subject, "\r\n")
		if _, err := mail.ReadMessage(bytes.NewReader(in)); err != nil {
			return
		}
		checkFoldedRewrite(t, foldConfigs[int(which)%len(foldConfigs)], in)
	})
}
