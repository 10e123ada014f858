package forward

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"math/rand/v2"
	"net/textproto"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore/headerfold"
	"github.com/sesbox/sesbox/mailstore/testutil/lambdafwd"
)

// anyEOL splits lines as a reader that ends them at CR, LF and CRLF does
// (the Lambda's regular expressions, Python's email, JavaMail).
var anyEOL = regexp.MustCompile(`\r\n|\r|\n`)

// genField is one header field of a generated message: its name and the
// lines of its value (the first after the colon, then continuation lines,
// each starting with a blank).
type genField struct {
	name  string
	lines []string
}

// genLineEndingMix builds a message whose every line ends in LF, CRLF or
// a bare CR at random (classic Mac OS, and mixes of the three), with the
// empty line that ends the header ended the same way, and a body of lines
// that do. It returns the message, its fields and its body (after the
// empty line). No ending is chosen that would run into the next one (a
// bare CR before an empty line ended by LF reads as one CRLF).
func genLineEndingMix(r *rand.Rand) (raw []byte, fields []genField, body []byte) {
	pool := []genField{
		{"Received", []string{"from mail.sender.example by inbound-smtp.us-east-1.amazonaws.com", "\tfor info@example.com; Mon, 7 Dec 2026 10:00:00 +0000"}},
		{"Date", []string{"Mon, 7 Dec 2026 10:00:00 +0000"}},
		{"To", []string{"Info <info@example.com>,", " other@example.org"}},
		{"Cc", []string{"cc@example.net"}},
		{"Subject", []string{"=?utf-8?q?caf=C3=A9?= and more"}},
		{"Subject", []string{"a folded", "\tsubject line"}},
		{"Message-ID", []string{"<m1@sender.example>"}},
		{"Return-Path", []string{"<bounce@sender.example>"}},
		{"DKIM-Signature", []string{"v=1; a=rsa-sha256; d=sender.example;", "\tb=AAAA", " BBBB"}},
		{"Reply-To", []string{"list@example.org"}},
		{"MIME-Version", []string{"1.0"}},
		{"Content-Type", []string{"text/plain; charset=utf-8"}},
		{"X-Long", []string{strings.TrimSpace(strings.Repeat("spaced words ", 90))}},
		{"X-Mailer", []string{"Mac OS Mail 1.0"}},
		{"X-Hidden", []string{"looks: like a field"}},
	}
	from := []genField{
		{"From", []string{"Jane Doe <jane@sender.example>"}},
		{"From", []string{"\"Doe, Jane\"", " <jane@sender.example>"}},
		{"From", []string{"jane@sender.example"}},
	}
	fields = append(fields, from[r.IntN(len(from))])
	seen := map[string]bool{}
	for range 2 + r.IntN(8) {
		f := pool[r.IntN(len(pool))]
		if seen[strings.ToLower(f.name)] {
			continue // one of each, so that no field is twice (SES's rule)
		}
		seen[strings.ToLower(f.name)] = true
		fields = append(fields, f)
	}
	r.Shuffle(len(fields), func(i, j int) { fields[i], fields[j] = fields[j], fields[i] })
	endings := []string{"\n", "\r\n", "\r"}
	var b bytes.Buffer
	last := ""
	end := func(allowLF bool) string {
		e := endings[r.IntN(3)]
		for !allowLF && e == "\n" {
			e = endings[r.IntN(3)]
		}
		last = e
		return e
	}
	for _, f := range fields {
		for i, l := range f.lines {
			if i == 0 {
				l = f.name + ": " + l
			}
			b.WriteString(l + end(true))
		}
	}
	b.WriteString(end(last != "\r")) // the empty line
	var bb bytes.Buffer
	texts := []string{"Hello,", "From: not a field, body text", "", "caf\xc3\xa9 line", "-- ", "Subject: also body", strings.Repeat("x", 200)}
	for i := range 1 + r.IntN(5) {
		l := texts[r.IntN(len(texts))]
		if i == 0 && l == "" {
			l = "first"
		}
		bb.WriteString(l)
		if r.IntN(6) > 0 || i == 0 {
			bb.WriteString(end(l != "" || last != "\r"))
		}
	}
	b.Write(bb.Bytes())
	return b.Bytes(), fields, bb.Bytes()
}

// readFields reads a header block as a reader that ends lines at CR, LF
// and CRLF: each field's name and unfolded value.
func readFields(header []byte) [][2]string {
	var out [][2]string
	for _, l := range anyEOL.Split(string(header), -1) {
		switch {
		case l == "":
		case l[0] == ' ' || l[0] == '\t':
			if len(out) > 0 {
				out[len(out)-1][1] += l
			}
		default:
			name, value, _ := strings.Cut(l, ":")
			out = append(out, [2]string{strings.TrimSpace(name), value})
		}
	}
	for i := range out {
		out[i][1] = strings.Join(strings.Fields(out[i][1]), " ")
	}
	return out
}

// lambdaHeader is the header block of what the Lambda sent, read as its
// own regular expressions read it: up to the first empty line, where a
// bare CR ends a line.
func lambdaHeader(data []byte) []byte {
	loc := regexp.MustCompile(`(?:^|\r\n|\r|\n)(?:\r\n|\r|\n)`).FindIndex(data)
	if loc == nil {
		return data
	}
	return data[:loc[0]]
}

// TestRewriteLineEndingMixes: for 800 generated messages whose lines end
// in LF, CRLF or a bare CR at random (and the real Lambda run on each),
// Rewrite's output
//   - has its body, after the empty line, byte for byte the input's;
//   - keeps every field of the input as a reader that ends lines at CR
//     reads it (the Lambda's regular expressions) with its value, but
//     those it rewrites or removes: in particular each field the Lambda's
//     own output keeps (before, a message of bare CRs was one From field
//     to Rewrite: its Subject and body went into the new From and the
//     Reply-To);
//   - is read the same by a reader that ends lines at LF only (net/mail's
//     textproto, SES's parser) and by one that ends them at CR too: no
//     bare CR is left in the header, and both find exactly the fields
//     expected, one From naming the address Rewrite writes, so no value
//     injects a field;
//   - has no line over 998 octets, however the lines are ended.
func TestRewriteLineEndingMixes(t *testing.T) {
	configs := []string{
		`{"forwardMapping": {"@": ["jim@example.com"]}}`,
		`{"fromEmail": "noreply@example.com", "subjectPrefix": "[P] ", "toEmail": "t@example.com", "forwardMapping": {"@": ["jim@example.com"]}}`,
	}
	r := rand.New(rand.NewPCG(11, 5))
	type gen struct {
		raw    []byte
		fields []genField
		body   []byte
		config string
	}
	var gens []gen
	var cases []lambdafwd.Case
	for i := range 800 {
		raw, fields, body := genLineEndingMix(r)
		g := gen{raw, fields, body, configs[i%len(configs)]}
		gens = append(gens, g)
		cases = append(cases, lambdafwd.Case{ID: i, Raw: raw, Config: json.RawMessage(g.config), Recipients: []string{"info@example.com"}})
	}
	results := lambdafwd.Run(t, cases)

	bareCR, lambdaKept, lambdaBody := 0, 0, 0
	for i, g := range gens {
		cfg, err := ParseConfig([]byte(g.config))
		if err != nil {
			t.Fatal(err)
		}
		out, err := Rewrite(cfg, g.raw, "info@example.com")
		if err != nil {
			t.Fatalf("case %d: Rewrite: %v\n in: %q", i, err, g.raw)
		}
		if hasBareCR(g.raw[:len(g.raw)-len(g.body)]) {
			bareCR++
		}
		header, body := splitMessage(out)
		if !bytes.Equal(bytes.TrimPrefix(bytes.TrimPrefix(body, []byte("\r\n")), []byte("\n")), g.body) || len(body) == len(g.body) {
			t.Errorf("case %d: body changed or lost\n in:  %q\n out: %q", i, g.raw, out)
			continue
		}
		if hasBareCR(header) {
			t.Errorf("case %d: a bare CR in the header: %q", i, header)
		}
		if n := headerfold.LongestLine([]byte(strings.Join(anyEOL.Split(string(out), -1), "\n"))); n > headerfold.Hard {
			t.Errorf("case %d: a line of %d octets: %q", i, n, out)
		}

		// The fields expected, in order: the input's, From rewritten,
		// removed ones left out, Subject and To as configured, Reply-To
		// added after them when there was none.
		var want [][2]string
		hasReplyTo := false
		var firstFrom string
		for _, f := range g.fields {
			v := strings.Join(strings.Fields(strings.Join(f.lines, " ")), " ")
			switch strings.ToLower(f.name) {
			case "message-id", "return-path", "sender", "dkim-signature":
				continue
			case "from":
				firstFrom = v
				name, addr := firstMailbox([]byte(v))
				target := cmp.Or(cfg.FromEmail, "info@example.com")
				phrase := string(name)
				switch {
				case len(name) == 0:
					phrase = strings.ReplaceAll(string(addr), "@", " at ")
				case cfg.FromEmail == "":
					phrase += " at " + string(addr)
				}
				v = phrase + " <" + target + ">"
			case "subject":
				if cfg.SubjectPrefix != "" {
					v = strings.Join(strings.Fields(cfg.SubjectPrefix+v), " ")
				}
			case "to":
				if cfg.ToEmail != "" {
					v = cfg.ToEmail
				}
			case "reply-to":
				hasReplyTo = true
			}
			want = append(want, [2]string{f.name, v})
		}
		if !hasReplyTo {
			want = append(want, [2]string{"Reply-To", firstFrom})
		}
		crRead := readFields(header)
		if !slices.Equal(crRead, want) {
			t.Errorf("case %d: a reader ending lines at CR too reads\n  %q\nwant\n  %q\n in:  %q\n out: %q", i, crRead, want, g.raw, out)
			continue
		}
		// A reader ending lines at LF only reads the same names.
		tp, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(append(bytes.Clone(header), lineEnding(out)...)))).ReadMIMEHeader()
		if err != nil {
			t.Errorf("case %d: net/textproto does not read the header: %v\n out: %q", i, err, out)
			continue
		}
		for _, w := range want {
			if len(tp.Values(w[0])) != 1 {
				t.Errorf("case %d: net/textproto reads %d %s fields, want 1\n out: %q", i, len(tp.Values(w[0])), w[0], out)
			}
		}
		if len(tp) != len(want) {
			t.Errorf("case %d: net/textproto reads %d fields, want %d\n out: %q", i, len(tp), len(want), out)
		}

		// Where the Lambda keeps a field it does not rewrite, or the body,
		// so does Rewrite (it keeps every one, above).
		res := results[i]
		if !res.Sent {
			t.Fatalf("case %d: the Lambda sent nothing: %s", i, res.Err)
		}
		lh := readFields(lambdaHeader(res.Data))
		for _, f := range lh {
			switch strings.ToLower(f[0]) {
			case "from", "reply-to", "subject", "to":
				continue
			}
			if slices.Contains(want, f) {
				lambdaKept++
			}
		}
		if bytes.HasSuffix(res.Data, g.body) {
			lambdaBody++
		}
	}
	t.Logf("%d messages, %d with a bare CR in the header; fields the Lambda kept: %d, all kept by Rewrite; bodies the Lambda kept: %d, Rewrite kept all %d", len(gens), bareCR, lambdaKept, lambdaBody, len(gens))
	if bareCR < len(gens)/2 || lambdaKept == 0 {
		t.Errorf("the generator made %d messages with a bare CR in the header, and the Lambda kept %d fields: too few to tell", bareCR, lambdaKept)
	}
}
