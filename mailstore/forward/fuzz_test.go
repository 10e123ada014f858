package forward

import (
	"bytes"
	"errors"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore/headerfold"
)

// fuzzConfigs are the configs FuzzRewrite picks from with its second input.
var fuzzConfigs = []Config{
	{},
	{FromEmail: "noreply@example.com"},
	{SubjectPrefix: "[PREFIX] ", ToEmail: "actualTarget@example.com"},
	{FromEmail: "noreply@example.com", QuoteFromName: true, SubjectPrefix: "[P]"},
	{QuoteFromName: true, ToEmail: "t@example.com"},
}

// FuzzRewrite checks what must hold for any input: no panic; the body is
// copied byte for byte (which also means the header gained no empty line);
// a header net/mail could read stays readable; every From is one line; the
// removed fields are gone.
func FuzzRewrite(f *testing.F) {
	paths, err := filepath.Glob(filepath.Join(fixtures, "message*.txt"))
	if err != nil || len(paths) == 0 {
		f.Fatalf("no fixtures: %v", err)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		for i := range fuzzConfigs {
			f.Add(b, uint8(i))
			f.Add(toCRLF(b), uint8(i))
		}
	}
	for _, s := range []string{
		"From: Betsy <b@x.com>\r\nSubject: s\r\n\r\nbody\r\n",
		"From: a@x.com\nTo: one@x.com,\n  two@x.com\nSubject:\n\tfolded\nMessage-ID:\n <m@x>\n\nlast line no newline",
		"Received: from a\rby b\nFrom: \"J\xf6rg, \\\"x\\\"\" <j@x.com>, B <b@x.com>\n\ncaf\xe9\r\n\xff",
		"From: a@x.com",
		"\r\n\r\n",
		"From:\r\n \r\n\t<a@x.com>\r\nDKIM-Signature: v=1;\r\n\tb=x\r\n\r\n",
		"FROM : (c) <a@x.com> (d)\nreply-to:x\n\n",
		"From: a\r",
		"From: a@x.com\r\nSubject: " + strings.Repeat("ab\r ", 300) + "\r\n\r\nb\r\n",
		"From: Name <<ceo@bank.example>>\r\n\r\nb\r\n",
		"From: \"open <a@x.com>\r\n\r\nb\r\n",
		"From: (open <a@x.com>\r\n\r\nb\r\n",
		"From: \\\"N\\\" <a@x.com>\r\n\r\nb\r\n",
		"From: A <a@x.com>\r\nfrom : B <b@x.com>\r\n\r\nb\r\n",
		"From: a@x.com\nContent-Type: multipart/mixed; boundary=b\n\npre\n--b\nContent-Transfer-Encoding: base64\n\n" + strings.Repeat("QUJD", 300) +
			"\n--b\nContent-Type: text/plain\n\n" + strings.Repeat("w= \t\xe9", 250) + " \n--b\nContent-Type: message/rfc822\n\nFrom: i@x.com\n\n" + strings.Repeat("q", 1000) + "\n--b--\n",
		"From: a@x.com\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" + strings.Repeat("=E9=\r\n", 2) + strings.Repeat("=E9 ", 400) + "\r\n",
		"From: N\x00a\x1bme <a@x.com>\r\nSubject: s\x7f\r\n\r\nb\r\n",
		"From: A <a@x.com>\rSubject: mac\rTo: t@x.com\r\rbody\rline\r",
		"From: A <a@x.com>\r\nSubject: mixed\rTo: t@x.com\n X-A: 1\r\r\nbody\r\n",
	} {
		for i := range fuzzConfigs {
			f.Add([]byte(s), uint8(i))
		}
	}

	f.Fuzz(func(t *testing.T, raw []byte, which uint8) {
		cfg := fuzzConfigs[int(which)%len(fuzzConfigs)]
		in := bytes.Clone(raw)
		out, err := Rewrite(cfg, raw, orig)
		if h, _ := splitMessage(crLines(raw)); errors.Is(err, ErrSeveralFrom) && countKind(parseFields(h), kindFrom) > 1 {
			return // refused, rightly (difference 29)
		}
		inHeader, inBody := splitMessage(crLines(raw))
		longBody := headerfold.LongestLine(inBody) > headerfold.Hard
		if longBody && errors.Is(err, ErrLongLine) {
			return // refused, rightly (difference 31)
		}
		if headerfold.LongestLine(inHeader) > headerfold.Hard && errors.Is(err, ErrUnfoldable) {
			return // refused, rightly (differences 25, 26)
		}
		if err != nil {
			t.Fatalf("Rewrite: %v", err)
		}
		if !bytes.Equal(raw, in) {
			t.Fatal("Rewrite changed its input")
		}
		// Compared with the message as Rewrite reads it: a bare CR ends a
		// header line, as it does for the Lambda (difference 5).
		raw = crLines(raw)

		outHeader, outBody := splitMessage(out)
		if longBody {
			// Re-encoded (difference 31): TestRewriteReencodesLongLines
			// checks the decoded parts.
			if n := headerfold.LongestLine(outBody); n > headerfold.Hard {
				t.Fatalf("a body line of %d octets sent\n in: %q", n, raw)
			}
			// The other checks compare with the message as re-encoded.
			if raw, _, err = fitLongLines(raw); err != nil {
				t.Fatal(err)
			}
			_, inBody = splitMessage(raw)
		}
		if !bytes.Equal(outBody, inBody) {
			t.Fatalf("body changed or header gained an empty line\n in: %q\nout: %q", raw, out)
		}

		if inHeader, _ := splitMessage(raw); headerParses(inHeader) && !headerParses(outHeader) {
			t.Fatalf("input header parses, output header does not\n in: %q\nout: %q", raw, out)
		}

		if bytes.Contains(bytes.ReplaceAll(outHeader, []byte("\r\n"), nil), []byte("\r")) {
			t.Fatalf("a bare CR in the output header, a line end to some readers\n in: %q\nout: %q", raw, out)
		}
		checkLineLengths(t, cfg, raw, outHeader)
		if len(inBody) > 0 && !crReaderSameHeaderEnd(string(raw), string(out)) {
			t.Fatalf("a reader ending lines at CR finds an empty line in the output header only\n in: %q\nout: %q", raw, out)
		}
		for _, fl := range parseFields(outHeader) {
			switch fl.kind {
			case kindFrom:
				if hasControl(&fl) {
					t.Fatalf("a control character in the new From: %q", fl.raw)
				}
				one := unfoldRFC(fl.raw)
				if n := bytes.Count(one, []byte("\n")); n > 1 || bytes.Count(one, []byte("\r")) > n {
					t.Fatalf("From is not one clean line once unfolded: %q", fl.raw)
				}
				if !bytes.HasPrefix(fl.raw, []byte("From: ")) {
					t.Fatalf("From not rewritten: %q", fl.raw)
				}
				target := cfg.FromEmail
				if target == "" {
					target = orig
				}
				v := bytes.TrimRight(bytes.ReplaceAll(unfoldRFC(fl.raw[len("From:"):]), []byte("\r"), nil), "\n")
				if err := checkOneAddress(v, target); err != nil {
					t.Fatalf("the new From does not name one address: %v\n in: %q\nout: %q", err, raw, fl.raw)
				}
			case kindRemoved:
				t.Fatalf("field not removed: %q", fl.raw)
			case kindTo:
				if cfg.ToEmail != "" && strings.TrimRight(string(fl.raw), "\r\n") != "To: "+cfg.ToEmail {
					t.Fatalf("To not replaced: %q", fl.raw)
				}
			case kindSubject:
				// Unfolded: a subject written as RFC 2047 words may fold
				// right after the prefix.
				if cfg.SubjectPrefix != "" && hasControl(&fl) {
					t.Fatalf("a control character in the prefixed Subject: %q", fl.raw)
				}
				if cfg.SubjectPrefix != "" && !bytes.HasPrefix(unfoldRFC(fl.raw), []byte("Subject: "+cfg.SubjectPrefix)) {
					t.Fatalf("Subject not prefixed: %q", fl.raw)
				}
			}
		}
	})
}

// headerParses reports whether net/mail reads header as a header block. The
// empty line is added so that a header-only message, or one whose every field
// was removed, is judged on its fields rather than on reaching EOF.
func headerParses(header []byte) bool {
	b := bytes.Clone(header)
	if len(b) > 0 && b[len(b)-1] != '\n' {
		b = append(b, '\n')
	}
	_, err := mail.ReadMessage(bytes.NewReader(append(b, '\n')))
	return err == nil
}

// unfoldRFC removes every line break that is followed by a blank, as RFC
// 5322 unfolding does.
func unfoldRFC(b []byte) []byte {
	for _, fold := range []string{"\r\n ", "\r\n\t", "\n ", "\n\t"} {
		b = bytes.ReplaceAll(b, []byte(fold), []byte(fold[len(fold)-1:]))
	}
	return b
}

// checkLineLengths: a header line of the output over 998 octets must be a
// line of the input passed on whole (a field with no blank to fold at); and
// in a field Rewrite wrote (From, an added Reply-To, Subject with a prefix,
// To with toEmail) a line over 78 octets has no single space between two
// visible characters to fold at (after the field name).
func checkLineLengths(t *testing.T, cfg Config, raw, outHeader []byte) {
	t.Helper()
	inHeader, _ := splitMessage(raw)
	hadReplyTo := false
	for _, f := range parseFields(inHeader) {
		hadReplyTo = hadReplyTo || f.kind == kindReplyTo
	}
	for _, f := range parseFields(outHeader) {
		created := f.kind == kindFrom || f.kind == kindReplyTo && !hadReplyTo ||
			f.kind == kindSubject && cfg.SubjectPrefix != "" || f.kind == kindTo && cfg.ToEmail != ""
		for _, l := range bytes.Split(bytes.TrimRight(f.raw, "\r\n"), []byte("\n")) {
			l = bytes.TrimSuffix(l, []byte("\r"))
			if len(l) > 998 {
				t.Fatalf("Rewrite wrote a %d-octet line: %.100q", len(l), l)
			}
			if created && len(bytes.Trim(l, " \t\r")) == 0 {
				t.Fatalf("Rewrite wrote a blank-only line in %q", f.raw)
			}
			// Every encoded word in a created line is sesbox's when the
			// original held none: RFC 2047 2 allows such a line 76 octets.
			if created && !bytes.Contains(inHeader, []byte("=?")) && bytes.Contains(l, []byte("=?")) && len(l) > headerfold.Encoded {
				t.Fatalf("Rewrite wrote a %d-octet line of encoded words (RFC 2047 allows 76): %q", len(l), l)
			}
			if !created || len(l) <= 78 {
				continue
			}
			start := 1
			if l[0] != ' ' && l[0] != '\t' {
				if c := bytes.IndexByte(l, ':'); c >= 0 {
					start = c + 2
				}
			}
			for j := start; j+1 < len(l); j++ {
				// Not next to a bare CR either (see headerfold.breakable).
				if l[j] == ' ' && l[j-1] != ' ' && l[j-1] != '\t' && l[j+1] != ' ' && l[j+1] != '\t' && l[j-1] != '\r' && l[j+1] != '\r' {
					t.Fatalf("Rewrite wrote a %d-octet line with a space to fold at %d: %q", len(l), j, l)
				}
			}
		}
	}
}
