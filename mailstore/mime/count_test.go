package mime

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// countCorpus returns the demo mailbox, the parser corpus and our samples.
func countCorpus(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, glob := range []string{"../demo/messages/*.eml", "../../testdata/corpus/*.eml", filepath.Join(readDir, "*.eml")} {
		files, _ := filepath.Glob(glob)
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			out[f] = b
		}
	}
	if len(out) < 50 {
		t.Fatalf("only %d messages", len(out))
	}
	return out
}

// The exact count is Parse's, and any prefix of a message gives a lower
// bound of it, marked as such, or (a message that is not multipart) the
// exact count: the count of an indexed message never goes down when it
// is opened, and only goes up when it was marked a lower bound.
func TestCountAttachmentsPrefixIsLowerBound(t *testing.T) {
	var bounds, exacts, closed int
	for name, raw := range countCorpus(t) {
		size := int64(len(raw))
		exact, ok := CountAttachments(raw, size)
		if !ok || exact != Parse(raw).Summary.Attachments {
			t.Fatalf("%s: whole message: %d %v, Parse says %d", name, exact, ok, Parse(raw).Summary.Attachments)
		}
		end := HeaderEnd(raw)
		if end < 0 {
			end = len(raw)
		}
		ctype := scanHeader(raw).first("content-type")
		multipart := strings.HasPrefix(mediaType(ctype), "multipart/")
		for _, cut := range cuts(raw, end) {
			n, ok := CountAttachments(raw[:cut], size)
			// Exact from a prefix: a whole header that is not multipart
			// nor a text a uuencoded file may be in, or a multipart
			// closed within the prefix.
			h := scanHeader(raw[:cut])
			wantExact := !multipart && !mayHoldUuencodedFiles(ctype) && h.Stop == stopBlank && len(h.Fields) > 0
			if ok && !wantExact && !mayBeClosed(raw[:cut]) || !ok && wantExact || n > exact || ok && n != exact {
				t.Fatalf("%s cut at %d of %d: %d (exact=%v, want %v), whole message has %d", name, cut, len(raw), n, ok, wantExact, exact)
			}
			switch {
			case ok && !wantExact:
				closed++
			case ok:
				exacts++
			default:
				bounds++
			}
		}
	}
	if bounds < 100 || exacts < 10 || closed < 10 {
		t.Fatalf("only %d lower bounds, %d exact counts from a single part and %d from a closed multipart, from prefixes", bounds, exacts, closed)
	}
	t.Logf("from prefixes: %d lower bounds, %d exact (single part), %d exact (closed multipart)", bounds, exacts, closed)
}

// cuts are where a prefix is most likely to mislead: around every line
// that may be a delimiter and the blank line after it, plus a few spread
// evenly.
func cuts(raw []byte, end int) []int {
	var out []int
	for i := 1; i <= 8; i++ {
		out = append(out, end+(len(raw)-end)*i/9)
	}
	blankAfter := false
	for i := end; i < len(raw); {
		line, next, _ := nextLine(raw, i)
		if bytes.HasPrefix(line, []byte("--")) {
			out = append(out, i, i+1, i+2, i+len(line), next)
			blankAfter = true
		} else if blankAfter && len(line) == 0 {
			out = append(out, i, i+1, next-1, next, next+1)
			blankAfter = false
		}
		i = next
	}
	valid := out[:0]
	for _, c := range out {
		if c >= end && c < len(raw) {
			valid = append(valid, c)
		}
	}
	// Bounded per message: the MIME torture test alone has 500 such lines.
	if len(valid) > 40 {
		sampled := valid[:0:0]
		for i := range 40 {
			sampled = append(sampled, valid[i*len(valid)/40])
		}
		valid = sampled
	}
	return valid
}

// A large message whose attachment's part header is in the first range
// is counted right before it is opened.
func TestCountAttachmentsSeesCutAttachment(t *testing.T) {
	raw, err := os.ReadFile("../demo/messages/fj01tteur6ih0omhtnnq3l49c328ov13esdvhqmk.eml")
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) < 64<<10 {
		t.Fatalf("the test needs a message larger than the first range")
	}
	n, exact := CountAttachments(raw[:64<<10], int64(len(raw)))
	if whole, _ := CountAttachments(raw, int64(len(raw))); n != whole || exact || whole == 0 {
		t.Fatalf("first 64 KiB: %d (exact=%v), whole: %d", n, exact, whole)
	}
}

// FuzzCountAttachments: for any message and any cut, the count from the
// prefix is exact (and equal to the whole message's) when it says so,
// else at most the whole message's; and it is 0 only when the whole
// message has none or the count is marked a lower bound, so has:attachment
// decided from an exact count never changes on opening.
func FuzzCountAttachments(f *testing.F) {
	addCorpusSeeds(f)
	att := "Content-Type: application/pdf\r\nContent-Disposition: attachment; filename=a.pdf\r\n\r\nJVBERi0=\r\n"
	txt := "Content-Type: text/plain\r\n\r\nhello\r\n"
	hdr := "From: a@example.com\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n"
	// A closed multipart, then an epilogue that looks like more parts.
	f.Add([]byte(hdr + "--B\r\n" + txt + "--B--\r\nepilogue\r\n--B\r\n" + att + "--B--\r\n"))
	// An inner multipart with the outer's boundary: its "--B--" is not the
	// end of the message.
	f.Add([]byte(hdr + "--B\r\nContent-Type: multipart/alternative; boundary=B\r\n\r\n--B\r\n" + txt + "--B--\r\n\r\n--B\r\n" + att + "--B--\r\n\r\n"))
	// A closing delimiter with trailing text, and one with blanks.
	f.Add([]byte(hdr + "--B\r\n" + txt + "--B--x\r\n--B\r\n" + att + "--B-- \r\n\r\n"))
	// Content the count does not decode (RawContent) and Parse does:
	// corrupt base64 in an attachment, an undeclared and an unknown
	// charset, quoted-printable cut mid-escape.
	f.Add([]byte(hdr + "--B\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!*&^%JVBERi0\r\n" +
		"--B\r\nContent-Type: text/plain; charset=x-nonsense\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nab=E\r\n" +
		"--B\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\n/////w==\r\n--B--\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		whole, ok := CountAttachments(raw, int64(len(raw)))
		if v := Parse(raw); !ok && !v.Source {
			t.Fatalf("whole message counted as a lower bound")
		} else if ok && !v.Source && whole != v.Summary.Attachments {
			t.Fatalf("whole message: %d attachments, Parse says %d", whole, v.Summary.Attachments)
		}
		end := max(HeaderEnd(raw), 0)
		for _, cut := range append([]int{len(raw) / 3, len(raw) / 2, len(raw) * 9 / 10}, cuts(raw, end)...) {
			n, exact := CountAttachments(raw[:cut], int64(len(raw)))
			if exact && n != whole || n > whole {
				t.Fatalf("cut at %d of %d: %d (exact %v), whole %d", cut, len(raw), n, exact, whole)
			}
		}
	})
}

// FuzzBoundaryParams: the byte search and anchored expression find what
// the expression unanchored over every byte finds.
func FuzzBoundaryParams(f *testing.F) {
	for _, s := range []string{
		"Content-Type: multipart/mixed; boundary=B\r\n",
		"content-type: multipart/alternative;\r\n\tBOUNDARY = \"a b;c\"\r\n\r\n--a b;c\r\n",
		"boundary=boundary=x; boundary=\"\" Boundary\t=\ty bboundary=z boundar",
		"no parameter here, only bbb and a boundary without a value: boundary= ;",
	} {
		f.Add([]byte(s))
	}
	unanchored := regexp.MustCompile(`(?i)boundary[ \t]*=[ \t]*(?:"([^"\r\n]*)"|([^;"\s]+))`)
	f.Fuzz(func(t *testing.T, b []byte) {
		var want [][]byte
		for _, m := range unanchored.FindAllSubmatch(b, -1) {
			want = append(want, append(append([]byte{}, m[1]...), m[2]...))
		}
		got := boundaryParams(b)
		if len(got) != len(want) {
			t.Fatalf("%q: %q, want %q", b, got, want)
		}
		for i := range got {
			if !bytes.Equal(got[i], want[i]) {
				t.Fatalf("%q: %q, want %q", b, got, want)
			}
		}
	})
}

// TestCountReadsTheBodyWhereItIs: the count hands enmime the top header's
// Content-* fields alone (contentFieldsOnly), and the body as it lies in
// the message: a message whose header it cuts allocates about what the
// same message with nothing to cut does. The body was copied with the
// kept fields: a 1 MB body cost 1 MB more (5.1x the message against
// 4.1x), a 16 KiB first range of a cold index 16 KiB more.
func TestCountReadsTheBodyWhereItIs(t *testing.T) {
	body := "Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\n" +
		strings.Repeat("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\r\n", 1<<14) + "--B--\r\n"
	cut := []byte("Return-Path: <a@b.example>\r\nReceived: from x by y\r\nFrom: a@b.example\r\nSubject: s\r\nMIME-Version: 1.0\r\n" + body)
	whole := []byte(body)
	var n [2]int
	var bytes [2]uint64
	for i, raw := range [][]byte{cut, whole} {
		bytes[i] = allocatedBy(func() { n[i], _ = CountAttachments(raw, int64(len(raw))) })
	}
	if n != [2]int{0, 0} {
		t.Fatalf("counted %v attachments, want none", n)
	}
	if extra := int64(bytes[0]) - int64(bytes[1]); extra > int64(len(cut))/4 {
		t.Errorf("a %d-byte message whose header the count cuts allocated %d bytes, %d more than with nothing to cut", len(cut), bytes[0], extra)
	}
}

// TestOnePartCountIsExactOnlyWhenItIs: a message of one part whose first
// 16 KiB (the index's first range) hold no uuencoded file and whose rest
// holds one. A plain text (or a part with no type) is counted a lower
// bound from those bytes, since Parse takes the file out of its text and
// counts it: it was counted 0, exactly, and listed so. HTML, an
// attachment or a calendar are counted exactly from their header, and
// that count is Parse's.
func TestOnePartCountIsExactOnlyWhenItIs(t *testing.T) {
	uu := "begin 644 late.bin\r\n#86)C\r\n`\r\nend\r\n"
	for _, c := range []struct {
		ctype string
		exact bool
	}{
		{"", false}, {"text/plain; charset=utf-8", false}, {"x-unknown/thing", false},
		{"text/html", true}, {"application/pdf", true}, {"text/calendar", true}, {"message/rfc822", true},
	} {
		hdr := []string{"From: a@x.example", "Subject: s", "Date: Mon, 1 Jan 2024 00:00:00 +0000"}
		if c.ctype != "" {
			hdr = append(hdr, "Content-Type: "+c.ctype)
		}
		raw := msg([]byte(strings.Repeat("a line of text that is no file\r\n", 1000)+uu), hdr...)
		n, exact := CountAttachments(raw[:16<<10], int64(len(raw)))
		whole := Parse(raw).Summary.Attachments
		if exact != c.exact || exact && n != whole || n > whole {
			t.Errorf("%q: first 16 KiB count %d (exact %v), the message has %d", c.ctype, n, exact, whole)
		}
		if !c.exact && whole != 1 {
			t.Errorf("%q: Parse counts %d attachments, want the uuencoded file", c.ctype, whole)
		}
	}
}
