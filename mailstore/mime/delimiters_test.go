package mime

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

// genPart is one part of a generated message: a multipart with its
// children, or a leaf with its content. Nothing in a generated message is
// a delimiter line by RFC 2046 but the delimiters it writes, so its
// leaves are what an RFC-correct split of it gives.
type genPart struct {
	subtype            string // multipart/subtype; "" for a leaf
	boundary           string
	children           []*genPart
	preamble, epilogue string // "" for none
	name               string // a leaf's file name; "" for a body
	content            string
}

// render writes p, its header first, with line ends eol.
func (p *genPart) render(b *strings.Builder, eol string, rng *rand.Rand) {
	pad := func() string { return []string{"", "", " ", "\t ", "  "}[rng.IntN(5)] }
	if p.subtype != "" {
		fmt.Fprintf(b, "Content-Type: multipart/%s;%s boundary=\"%s\"%s%s", p.subtype, []string{"", eol + " "}[rng.IntN(2)], p.boundary, eol, eol)
		if p.preamble != "" {
			b.WriteString(p.preamble + eol)
		}
		for _, c := range p.children {
			b.WriteString("--" + p.boundary + pad() + eol)
			c.render(b, eol, rng)
			b.WriteString(eol)
		}
		b.WriteString("--" + p.boundary + "--" + pad())
		if p.epilogue != "" {
			b.WriteString(eol + p.epilogue)
		}
		return
	}
	if p.name == "" {
		b.WriteString("Content-Type: text/plain; charset=utf-8" + eol)
	} else {
		b.WriteString("Content-Type: application/octet-stream" + eol)
		b.WriteString("Content-Disposition: attachment; filename=\"" + p.name + "\"" + eol)
	}
	b.WriteString("Content-Transfer-Encoding: 8bit" + eol + eol + p.content)
}

// leaves are p's leaves in document order.
func (p *genPart) leaves() []*genPart {
	if p.subtype == "" {
		return []*genPart{p}
	}
	var out []*genPart
	for _, c := range p.children {
		out = append(out, c.leaves()...)
	}
	return out
}

// lookalikes are lines that hold an open boundary b without being a
// delimiter line by RFC 2046; enmime v2.3.0 took the first five for
// delimiters.
func lookalikes(b string) []string {
	return []string{
		"see the --" + b + " above",
		"--" + b + " trailing words",
		"--" + b + "--trailing",
		"closing: --" + b + "--",
		"text\r--" + b + " after a bare CR",
		"--" + b + "x",
		" --" + b,
		"--" + b + "\t x",
		"-- " + b,
	}
}

// genText is lines of text, some of them lookalikes of the open
// boundaries, joined by eol, ending in eol or not.
func genText(rng *rand.Rand, open []string, eol string) string {
	var lines []string
	for range rng.IntN(6) {
		switch rng.IntN(3) {
		case 0:
			lines = append(lines, fmt.Sprintf("plain line %d, naïve", rng.IntN(1000)))
		case 1:
			lines = append(lines, "")
		default:
			l := lookalikes(open[rng.IntN(len(open))])
			lines = append(lines, l[rng.IntN(len(l))])
		}
	}
	s := strings.Join(lines, eol)
	if s != "" && rng.IntN(2) == 0 {
		s += eol
	}
	return s
}

// genTree is a multipart of at most depth levels whose boundaries do not
// repeat one open around it; some are prefixes of an outer one's
// ("b1" inside "b1-2"), which RFC 2046 allows.
func genTree(rng *rand.Rand, open []string, depth int, eol string, n *int) *genPart {
	*n++
	b := fmt.Sprintf("b%d", *n)
	if len(open) > 0 && rng.IntN(3) == 0 {
		b = open[len(open)-1] + fmt.Sprintf("-%d", *n)
	}
	open = append(open[:len(open):len(open)], b)
	p := &genPart{subtype: []string{"mixed", "alternative", "related"}[rng.IntN(3)], boundary: b}
	if rng.IntN(2) == 0 {
		p.preamble = "This is a multi-part message in MIME format." + eol + genText(rng, open, eol)
	}
	if rng.IntN(2) == 0 {
		p.epilogue = genText(rng, open, eol)
	}
	for i := range 1 + rng.IntN(3) {
		if depth > 1 && rng.IntN(3) == 0 {
			p.children = append(p.children, genTree(rng, open, depth-1, eol, n))
			continue
		}
		leaf := &genPart{content: genText(rng, open, eol)}
		if i > 0 || rng.IntN(2) == 0 {
			*n++
			leaf.name = fmt.Sprintf("file%d.bin", *n)
		}
		p.children = append(p.children, leaf)
	}
	return p
}

// TestPartsAreCutWhereRFC2046Cuts: generated multiparts, nested up to 4
// levels, with text that holds their boundaries mid-line, after blanks
// or before other words (which enmime v2.3.0 took for delimiters), in
// LF and CRLF mail: Parse's parts are the message's leaves, in order,
// each with exactly its bytes (what save writes); the attachment count of
// the list is the View's; and enmime is given the message's bytes but for
// the boundaries.
func TestPartsAreCutWhereRFC2046Cuts(t *testing.T) {
	for seed := range uint64(400) {
		rng := rand.New(rand.NewPCG(seed, 10))
		eol := []string{"\n", "\r\n"}[rng.IntN(2)]
		n := 0
		tree := genTree(rng, nil, 1+rng.IntN(4), eol, &n)
		var b strings.Builder
		b.WriteString("From: a@example.com" + eol + "Subject: generated " + fmt.Sprint(seed) + eol + "MIME-Version: 1.0" + eol)
		tree.render(&b, eol, rng)
		raw := []byte(b.String())
		want := tree.leaves()
		v := Parse(raw)
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("seed %d: "+format+"\n%s", append([]any{seed}, append(args, raw)...)...)
		}
		if len(v.Parts) != len(want) {
			fail("%d parts, want %d (warnings %q)", len(v.Parts), len(want), v.Warnings)
		}
		attachments := 0
		for i, p := range v.Parts {
			if p.Filename != want[i].name || !bytes.Equal(p.Bytes(), []byte(want[i].content)) {
				fail("part %d is %q %q, want %q %q", i+1, p.Filename, p.Bytes(), want[i].name, want[i].content)
			}
			if want[i].name != "" {
				attachments++
				if !p.IsAttachment {
					fail("part %d (%s) is not an attachment", i+1, p.Filename)
				}
			}
		}
		if v.Summary.Attachments != attachments {
			fail("View counts %d attachments, want %d", v.Summary.Attachments, attachments)
		}
		if c, exact := CountAttachments(raw, int64(len(raw))); c != attachments || !exact {
			fail("CountAttachments = %d, %v; want %d, exact", c, exact, attachments)
		}
		in := enmimeInput(raw, scanHeader(raw))
		if got := boundMIME(in).input; !sameButBoundaries(in, got) {
			fail("enmime is given other bytes than the message's:\n%s", got)
		}
	}
}

// sameButBoundaries reports whether out is in with only Content-Type
// fields and the boundaries of delimiter lines changed: every other line
// is the same, in order.
func sameButBoundaries(in, out []byte) bool {
	keep := func(b []byte) []string {
		var lines []string
		for _, l := range strings.SplitAfter(string(b), "\n") {
			if !strings.HasPrefix(l, "--") && !strings.HasPrefix(strings.ToLower(l), "content-type:") && !strings.HasPrefix(strings.TrimLeft(l, " "), "boundary=") {
				lines = append(lines, l)
			}
		}
		return lines
	}
	a, b := keep(in), keep(out)
	return strings.Join(a, "") == strings.Join(b, "") && bytes.Count(in, []byte("\n--")) == bytes.Count(out, []byte("\n--"))
}

// TestMidLineBoundaryDoesNotCutThePart is the corpus message whose text
// says "--boundary" mid-line: one part, its text whole.
func TestMidLineBoundaryDoesNotCutThePart(t *testing.T) {
	raw, err := os.ReadFile(corpusDir + "/mime4j-misplaced_boundary.eml")
	if err != nil {
		t.Fatal(err)
	}
	v := Parse(raw)
	if len(v.Parts) != 1 || !strings.Contains(v.Text, "the --boundary\nstring and should not be parsed as multiple bodies") {
		t.Errorf("%d parts, text %q", len(v.Parts), v.Text)
	}
}

// TestRFCDelimitersCopiesOnce: the rewritten message is one copy of the
// message, sized before it is written (it was grown once a Content-Type
// field was written longer: 2.2 times the message allocated).
func TestRFCDelimitersCopiesOnce(t *testing.T) {
	var b strings.Builder
	b.WriteString("From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: application/octet-stream\r\n\r\n")
	for b.Len() < 1<<20 {
		b.WriteString(strings.Repeat("x", 76) + "\r\n")
	}
	b.WriteString("--b--\r\n")
	raw := []byte(b.String())
	if alloc := allocatedBy(func() { rfcDelimiters(raw) }); alloc > uint64(len(raw))+64<<10 {
		t.Errorf("rewriting a %d-byte message allocated %d bytes", len(raw), alloc)
	}
}

// TestMultipartWithoutRFCDelimitersIsReadAsBefore: a multipart none of
// whose lines is a delimiter by RFC 2046 (a mailer that writes words
// after each "--boundary") keeps its boundary, and enmime reads its
// parts as it did; rewritten, its body and attachment were lost to the
// preamble.
func TestMultipartWithoutRFCDelimitersIsReadAsBefore(t *testing.T) {
	raw := []byte("From: a@example.com\r\nSubject: odd\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b part one\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b part two\r\nContent-Type: application/pdf\r\n" +
		"Content-Disposition: attachment; filename=a.pdf\r\n\r\n%PDF\r\n--b-- end\r\n")
	if _, changed := rfcDelimiters(raw); changed {
		t.Error("rewritten")
	}
	v := Parse(raw)
	if !strings.Contains(v.Text, "hello") || len(v.Attachments()) != 1 {
		t.Errorf("text %q, %d attachments", v.Text, len(v.Attachments()))
	}
}
