package mime

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore/testutil/hostilemail"
)

// countUnelided is countParse without elideLeafBodies: enmime reads every
// body byte.
func countUnelided(raw []byte) counted {
	h := scanHeaderOf(raw, keepNoFields)
	if h.N == 0 {
		return countParse(raw)
	}
	return withUuencoded(countInput(enmimeInput(raw, h)), raw)
}

// elisionAgrees checks countParse of raw against countUnelided, and says
// whether raw's bodies were elided.
func elisionAgrees(t *testing.T, name string, raw []byte) (elided bool) {
	t.Helper()
	got, want := countParse(raw), countUnelided(raw)
	if got != want {
		t.Errorf("%s (%d bytes): count %+v with the bodies elided, %+v read whole", name, len(raw), got, want)
	}
	if h := scanHeaderOf(raw, keepNoFields); h.N > 0 {
		_, elided = elideLeafBodies(enmimeInput(raw, h))
	}
	return elided
}

// benchShaped is raw as the bench's generator makes it of a demo
// message (bench.generator.message): for a multipart, a base64
// attachment of n bytes before the outermost closing delimiter; for
// another, n more bytes of base64 lines in its body.
func benchShaped(raw []byte, n int) []byte {
	end := HeaderEnd(raw)
	if end < 0 {
		return nil
	}
	nl := "\n"
	if bytes.Contains(raw[:end], []byte("\r\n")) {
		nl = "\r\n"
	}
	line := strings.Repeat("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=", 2)[:72] + nl
	pad := bytes.Repeat([]byte(line), n/len(line)+1)
	var out bytes.Buffer
	m := benchBoundary.FindSubmatch(raw[:end])
	closing := -1
	if m != nil {
		closing = bytes.LastIndex(raw[end:], []byte("\n--"+string(m[1])+"--"))
	}
	if closing < 0 {
		out.Write(raw)
		out.Write(pad)
		return out.Bytes()
	}
	out.Write(raw[:end+closing+1])
	out.WriteString(strings.ReplaceAll("--"+string(m[1])+"\nContent-Type: application/octet-stream\n"+
		"Content-Disposition: attachment; filename=\"data.bin\"\nContent-Transfer-Encoding: base64\n\n", "\n", nl))
	out.Write(pad)
	out.Write(raw[end+closing+1:])
	return out.Bytes()
}

// closes reports a message holding the closing delimiter of the first
// boundary it declares.
func closes(raw []byte) bool {
	m := benchBoundary.FindSubmatch(raw)
	return m != nil && bytes.Contains(raw, []byte("--"+string(m[1])+"--"))
}

// benchBoundary is the bench generator's boundaryRE.
var benchBoundary = regexp.MustCompile(`(?i)boundary="?([^";\r\n]+)"?`)

// heads are the prefixes of raw a count is made of: the first range as a
// cold index reads it, the message whole, and cuts around its delimiter
// lines and part headers.
func heads(raw []byte) [][]byte {
	out := [][]byte{indexHead(raw), raw}
	end := max(HeaderEnd(raw), 0)
	c := cuts(raw, end)
	n := min(len(c), 12/slowdown+3)
	for i := range n {
		out = append(out, raw[:c[i*len(c)/n]])
	}
	return out
}

// TestElidedCountAgrees holds the attachment count with the leaf bodies
// elided to the count enmime makes reading every byte, on every message
// we have (the demo mailbox, the corpus, the shared corpus, our samples,
// the hostile shapes), the bench generator's messages made of the demo
// mailbox, and generated shapes meant to find where the two could read a
// structure differently; each as a cold index reads it, whole, and cut
// at its delimiters.
func TestElidedCountAgrees(t *testing.T) {
	msgs := countCorpus(t)
	shared, _ := filepath.Glob("../../../shared/corpus/public/*.eml")
	for _, f := range shared {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		msgs[f] = b
	}
	demo, _ := filepath.Glob("../demo/messages/*.eml")
	for _, f := range demo {
		raw := msgs[f]
		for _, n := range []int{10 << 10, 70 << 10, 300 << 10} {
			if b := benchShaped(raw, n); b != nil {
				msgs[fmt.Sprintf("bench:%s+%d", filepath.Base(f), n)] = b
			}
		}
	}
	for name, raw := range hostilemail.Shapes() {
		msgs["hostile:"+name] = raw
	}
	r := rand.New(rand.NewPCG(7, 12))
	for i := range 300 / min(slowdown, 5) {
		msgs[fmt.Sprintf("generated:%d", i)] = generatedShape(r)
	}
	for _, n := range []int{maxMIMEParts - 1, maxMIMEParts, maxMIMEParts + 1} {
		msgs[fmt.Sprintf("parts:%d", n)] = manyParts(n)
	}
	for name, raw := range singlePartShapes() {
		if slowdown > 1 && strings.HasSuffix(name, "-lf") {
			continue // under -race, CRLF alone
		}
		msgs["single:"+name] = raw
	}
	var elided, all int
	by := map[string][2]int{}
	for name, raw := range msgs {
		kind, _, _ := strings.Cut(name, ":")
		if strings.Contains(name, "/") {
			kind = filepath.Dir(name)
		}
		for i, head := range heads(raw) {
			all++
			c := by[kind]
			c[1]++
			if elisionAgrees(t, fmt.Sprintf("%s[head %d]", name, i), head) {
				elided++
				c[0]++
			}
			by[kind] = c
		}
	}
	t.Logf("%d of %d prefixes elided (%v)", elided, all, by)
	// The test proves something only when many are elided, and many are
	// read whole (the generated shapes are made to miss the plain rule).
	for kind, c := range by {
		if kind == "generated" || kind == "bench" || kind == "single" {
			if c[0] < c[1]/10 || c[0] > c[1]*9/10 {
				t.Errorf("%s: %d of %d prefixes elided: the shapes do not cover both ways", kind, c[0], c[1])
			}
		}
	}
}

// singlePartShapes are messages whose top Content-Type declares no
// multipart, or seems to one reader and not to another, each header with
// each body, in CRLF and LF: text, HTML, attachments by type, by
// disposition and by name, message/rfc822, no Content-Type, a multipart
// without a boundary, an empty boundary, two Content-Type fields, a
// boundary parameter on text/plain; short, long, base64, empty and junk
// bodies, a signature line, delimiter lines of a boundary declared or
// not, a nested message's multipart, a bare CR.
func singlePartShapes() map[string][]byte {
	headers := []string{
		"Content-Type: text/plain; charset=utf-8\n",
		"Content-Type: text/html\n",
		"Content-Type: application/pdf; name=a.pdf\nContent-Transfer-Encoding: base64\n",
		"Content-Type: text/plain; name=notes.txt\n",
		"Content-Type: text/plain\nContent-Disposition: attachment; filename=a.txt\n",
		"Content-Type: image/png\nContent-Disposition: inline\n",
		"Content-Type: multipart/mixed\n",
		"Content-Type: multipart/alternative; boundary=\"\"\n",
		"Content-Type: text/plain\nContent-Type: multipart/mixed; boundary=b\n",
		"Content-Type: multipart/mixed; boundary=b\nContent-Type: text/plain\n",
		"Content-Type: message/rfc822\n",
		"",
		"Content-Type: text/plain;\n\tboundary=\"b\"\n",
		"Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n",
		"Content-Type: text/plain\n Content-Type: multipart/mixed; boundary=b\n",
		"Content-Disposition: attachment\n",
	}
	lines := func(line string, n int) string { return strings.Repeat(line+"\n", n) }
	bodies := map[string]string{
		"short":     "hello\n",
		"text":      lines("a line of text, as mail has it", 200),
		"base64":    lines(strings.Repeat("QUJD", 18), 200),
		"empty":     "",
		"junk":      lines(strings.Repeat("!@#$", 18), 50),
		"signature": lines("text", 20) + "-- \nA. Sender\n",
		"delimiter": lines("text", 20) + "--b\nContent-Type: application/pdf\n\nJVBERi0=\n--b--\n",
		"inferred":  lines("text", 20) + "--zz\nContent-Type: image/png\n\niVBO\n--zz--\n",
		"nested":    "Content-Type: multipart/mixed; boundary=c\n\n--c\nContent-Type: application/pdf\n\n" + lines("JVBERi0=", 20) + "--c--\n",
		"bare-cr":   lines("text", 20) + "a\rb\n" + lines("text", 20),
	}
	out := map[string][]byte{}
	for i, h := range headers {
		for bname, body := range bodies {
			msg := "From: a@b.example\nSubject: s\nMIME-Version: 1.0\n" + h + "\n" + body
			out[fmt.Sprintf("%d-%s-lf", i, bname)] = []byte(msg)
			out[fmt.Sprintf("%d-%s-crlf", i, bname)] = []byte(strings.ReplaceAll(msg, "\n", "\r\n"))
		}
	}
	return out
}

// TestSinglePartBodyIsElided: the body of a message that is no
// multipart is elided (enmime read all of it, for a count its header
// decides), unless a line of it could be a delimiter or the message has
// a bare CR; the count agrees either way.
func TestSinglePartBodyIsElided(t *testing.T) {
	shapes := singlePartShapes()
	for _, tc := range []struct {
		name   string
		elided bool
	}{
		{"0-text-crlf", true}, {"0-text-lf", true}, {"1-base64-crlf", true}, {"2-base64-crlf", true},
		{"4-text-lf", true}, {"10-nested-crlf", false}, {"11-text-crlf", true},
		{"0-short-crlf", false}, {"0-empty-crlf", false}, {"0-signature-crlf", false},
		{"0-delimiter-crlf", false}, {"6-inferred-lf", false}, {"0-bare-cr-crlf", false},
	} {
		raw := shapes[tc.name]
		if raw == nil {
			t.Fatalf("no shape %s", tc.name)
		}
		if got := elisionAgrees(t, tc.name, raw); got != tc.elided {
			t.Errorf("%s: elided %v, want %v", tc.name, got, tc.elided)
		}
	}
}

// FuzzElidedCountAgrees: for any input and its prefixes, the count with
// the leaf bodies elided is the count of enmime reading every byte.
func FuzzElidedCountAgrees(f *testing.F) {
	addCorpusSeeds(f)
	r := rand.New(rand.NewPCG(3, 4))
	for range 40 {
		f.Add(generatedShape(r))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		elisionAgrees(t, "whole", raw)
		for _, c := range []int{len(raw) / 3, len(raw) / 2, len(raw) * 9 / 10} {
			elisionAgrees(t, fmt.Sprintf("cut at %d", c), raw[:c])
		}
	})
}

// manyParts is a multipart of n attachments.
func manyParts(n int) []byte {
	var b strings.Builder
	b.WriteString("From: a@b.example\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n")
	for i := range n {
		fmt.Fprintf(&b, "--b\r\nContent-Type: application/pdf; name=a%d.pdf\r\n\r\n%s\r\n", i, strings.Repeat("JVBERi0", 12))
	}
	b.WriteString("--b--\r\n")
	return []byte(b.String())
}

// generatedShape is a random multipart message built to meet the places
// where a count from the structure could read it otherwise than enmime:
// nested multiparts (boundaries that are prefixes of one another, or
// reused), delimiters misspelt, missing, indented, with trailing text or
// blanks, or appearing mid-line and in a preamble, preambles and
// epilogues, message/rfc822 parts holding their own multipart, text parts
// with a name and no disposition, inline images, parts without a
// Content-Type or a header, base64 and quoted-printable, bare CRs, LF and
// CRLF line ends, a header the delimiter cuts.
func generatedShape(r *rand.Rand) []byte {
	g := shapeGen{r: r, eol: "\r\n"}
	if r.IntN(4) == 0 {
		g.eol = "\n"
	}
	var b strings.Builder
	b.WriteString("From: a@b.example" + g.eol + "Subject: s" + g.eol + "MIME-Version: 1.0" + g.eol)
	g.multipart(&b, 0, "")
	out := []byte(b.String())
	if r.IntN(20) == 0 && len(out) > 10 {
		// A bare CR somewhere past the header.
		i := len(out)/2 + r.IntN(len(out)/2)
		out = append(out[:i:i], append([]byte("\r"), out[i:]...)...)
	}
	return out
}

type shapeGen struct {
	r   *rand.Rand
	eol string
}

var shapeBoundaries = []string{"b", "bb", "b1", "=_Part_1", "----=_NextPart_000", "x y", "b--"}

func (g shapeGen) pick(s []string) string { return s[g.r.IntN(len(s))] }

// multipart writes a Content-Type field with a boundary, and the body.
func (g shapeGen) multipart(b *strings.Builder, depth int, outer string) {
	bd := fmt.Sprintf("=_%d_%d", depth, g.r.IntN(1000))
	switch {
	case g.r.IntN(8) == 0:
		bd = g.pick(shapeBoundaries) // prefixes of one another
	case g.r.IntN(12) == 0 && outer != "":
		bd = outer // the outer's boundary again
	}
	sub := g.pick([]string{"mixed", "alternative", "related", "signed", "digest"})
	quoted := bd
	if strings.ContainsAny(bd, " =") || g.r.IntN(2) == 0 {
		quoted = `"` + bd + `"`
	}
	fmt.Fprintf(b, "Content-Type: multipart/%s; boundary=%s%s%s", sub, quoted, g.eol, g.eol)
	if g.r.IntN(3) == 0 {
		b.WriteString("This is a multi-part message in MIME format." + g.eol)
		if g.r.IntN(8) == 0 {
			b.WriteString("a preamble naming --" + bd + " mid-line" + g.eol)
		}
	}
	for range 1 + g.r.IntN(4) {
		b.WriteString(g.delimiter(bd, false))
		switch {
		case depth < 3 && g.r.IntN(4) == 0:
			g.multipart(b, depth+1, bd)
		default:
			g.leaf(b, bd)
		}
	}
	if g.r.IntN(12) != 0 { // else never closed
		b.WriteString(g.delimiter(bd, true))
	}
	if g.r.IntN(3) == 0 {
		b.WriteString("epilogue" + g.eol)
		if g.r.IntN(3) == 0 {
			b.WriteString("--" + bd + g.eol + "Content-Type: application/pdf" + g.eol + g.eol + "JVBERi0=" + g.eol)
		}
	}
}

// delimiter is a delimiter line of bd, mostly as it should be.
func (g shapeGen) delimiter(bd string, final bool) string {
	d := "--" + bd
	if final {
		d += "--"
	}
	switch g.r.IntN(80) {
	case 0:
		d += " " // trailing blanks
	case 1:
		d += "x" // trailing text
	case 2:
		d = " " + d // indented
	case 3:
		d = strings.ToUpper(d) // misspelt
	case 4:
		d = "-" + d[1:] // misspelt
	case 5:
		return "" // missing
	case 6:
		d = "text " + d // mid-line
	}
	return d + g.eol
}

// leaf writes a leaf part's header and body.
func (g shapeGen) leaf(b *strings.Builder, bd string) {
	e := g.eol
	headers := []string{
		"Content-Type: text/plain; charset=utf-8" + e,
		"Content-Type: text/plain; name=\"notes.txt\"" + e,
		"Content-Type: text/html" + e,
		"Content-Type: image/png" + e + "Content-Disposition: inline" + e + "Content-ID: <i@x>" + e,
		"Content-Type: image/png; name=a.png" + e + "Content-Disposition: inline; filename=a.png" + e,
		"Content-Type: application/pdf" + e + "Content-Disposition: attachment; filename=a.pdf" + e,
		"Content-Type: application/octet-stream" + e,
		"Content-Type: message/rfc822" + e,
		"Content-Disposition: attachment" + e,
		"", // no header at all
		"Content-Type: text/plain;" + e + "\tboundary=\"" + bd + "\"" + e,
		"Content-Type: attachment; filename=x" + e,
	}
	h := g.pick(headers)
	rfc822 := strings.HasPrefix(h, "Content-Type: message/rfc822")
	cte := g.pick([]string{"", "Content-Transfer-Encoding: base64" + e, "Content-Transfer-Encoding: quoted-printable" + e, "Content-Transfer-Encoding: 7bit" + e})
	b.WriteString(h + cte)
	if g.r.IntN(60) == 0 {
		// The delimiter comes before the header's blank line.
		return
	}
	b.WriteString(e)
	switch {
	case rfc822:
		inner := shapeGen{r: g.r, eol: g.eol}
		b.WriteString("From: c@d.example" + e + "Subject: inner" + e)
		inner.multipart(b, 2, bd)
	default:
		for range g.r.IntN(6) {
			switch g.r.IntN(60) {
			case 0:
				b.WriteString("a line with --" + bd + " in it" + e)
			case 1:
				b.WriteString("--" + bd + "x not a delimiter" + e)
			case 2:
				b.WriteString("-- " + e + "signature" + e)
			case 3:
				b.WriteString(e)
			default:
				b.WriteString(strings.Repeat("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=", 1+g.r.IntN(3)) + e)
			}
		}
	}
}

// TestCutMultipartIsElided: a multipart whose first range ends inside a
// part (the bench's padded messages: an attachment before the closing
// delimiter), as CountAttachments reads it, cut after the last part
// header read whole, has its other bodies elided: the header of the part
// the range cut ends the data, after its blank line, and that refused
// the elision, so enmime read every body before it (1.5-5 KB a message
// here, about a seventh of the bench's messages). The count agrees. (A
// message not elided whole is left out: its structure is not plain.)
func TestCutMultipartIsElided(t *testing.T) {
	demo, _ := filepath.Glob("../demo/messages/*.eml")
	cut, elided := 0, 0
	for _, f := range demo {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		shaped := benchShaped(raw, 20<<10)
		if h := scanHeaderOf(raw, keepNoFields); shaped == nil || h.N == 0 {
			continue
		} else if _, plain := elideLeafBodies(enmimeInput(raw, h)); !plain || !closes(raw) {
			// Not elided whole either, or never closed (a misspelt
			// closing delimiter: its one part header is the last, with
			// no body before it to elide).
			continue
		}
		head, parts := cutAtPartHeader(indexHead(shaped))
		if !parts || !endsInBlankLine(head) {
			continue
		}
		cut++
		if elisionAgrees(t, filepath.Base(f), head) {
			elided++
		} else {
			t.Errorf("%s cut at its last part header (%d bytes): not elided", filepath.Base(f), len(head))
		}
	}
	if cut < 10 {
		t.Errorf("%d demo messages cut after a part header: the test shows nothing", cut)
	}
	t.Logf("%d of %d cut multiparts elided", elided, cut)
}

// TestUnclosedLastPartIsElided: a multipart whose closing delimiter is
// misspelt (the demo's scanner message: "--SCAN_BOUNDARY_2026103011100"
// for its boundary "SCAN_BOUNDARY_20261030111000"), read whole as a
// cold index reads it when its first range holds no attachment, has its
// last part's body run to the end of the data. enmime's boundary reader
// read all of it a byte at a time (1.9 MB of the bench's took 37 ms); it
// is elided like a delimited body now, and the count agrees.
func TestUnclosedLastPartIsElided(t *testing.T) {
	raw, err := os.ReadFile("../demo/messages/u6tn3uvfp615g2lhi4v2khch2o111pescg60psgg.eml")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 300 << 10} {
		shaped := benchShaped(raw, n)
		if closes(shaped) {
			t.Fatal("the scanner message closes its multipart: the test shows nothing")
		}
		if !elisionAgrees(t, "scanner message", shaped) {
			t.Fatalf("scanner message with %d bytes more: not elided", n)
		}
		h := scanHeaderOf(shaped, keepNoFields)
		in := enmimeInput(shaped, h)
		out, _ := elideLeafBodies(in)
		if s := (&mimeScan{b: in}).header(0); len(out) > s.end+200 {
			t.Errorf("scanner message with %d bytes more: %d bytes of body left to enmime of %d", n, len(out)-s.end, len(in)-s.end)
		}
	}
}

// TestHasBareCRIsTheCounts: hasBareCR says whether the CRs and the CRLFs
// of b differ in number, as the two bytes.Count calls it replaced did,
// for every string of up to 8 bytes of CR, LF and one other byte.
func TestHasBareCRIsTheCounts(t *testing.T) {
	alphabet := []byte("\r\nx")
	for n := range 9 {
		total := 1
		for range n {
			total *= len(alphabet)
		}
		for k := range total {
			b := make([]byte, n)
			for i, v := 0, k; i < n; i, v = i+1, v/len(alphabet) {
				b[i] = alphabet[v%len(alphabet)]
			}
			want := bytes.Count(b, []byte("\r")) != bytes.Count(b, []byte("\r\n"))
			if got := hasBareCR(b); got != want {
				t.Fatalf("hasBareCR(%q) = %v, want %v", b, got, want)
			}
		}
	}
}
