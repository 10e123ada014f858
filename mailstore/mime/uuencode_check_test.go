package mime

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"mime/quotedprintable"
	"os"
	"runtime"
	"strings"
	"testing"
)

// TestBase64OfBegin: whatever bytes stand around "begin", its base64 at
// each offset in a group of three bytes holds that offset's b64Begin.
func TestBase64OfBegin(t *testing.T) {
	for off := range 3 {
		for x := range 256 {
			for y := 0; y < 256; y += 7 {
				b := append(bytes.Repeat([]byte{byte(x)}, off), "begin"...)
				b = append(b, byte(y), byte(y^0x5a), byte(y))
				if e := base64.StdEncoding.EncodeToString(b); !strings.Contains(e, b64Begin[off]) {
					t.Fatalf("offset %d: %q encodes to %q, without %q", off, b, e, b64Begin[off])
				}
			}
		}
	}
}

// uuCheckInput is one input of the uuencode check: a
// Content-Transfer-Encoding and the bytes it names.
type uuCheckInput struct {
	cte string
	b   []byte
}

// uuCheckInputs are encoded texts that hold "begin" lines or not, in
// the shapes senders and broken encoders write: quoted-printable with
// soft breaks anywhere (inside "begin" too), escapes of letters in
// either case, blanks before breaks, invalid escapes, bare "=", long
// lines, control and 8-bit bytes; base64 at every offset, wrapped at
// any width, with blanks, "=" and junk inside; and every encoding
// name spelling normalEncoding reads.
func uuCheckInputs(r *rand.Rand, n int) []uuCheckInput {
	words := []string{"begin", "begin 644 a.txt", "begin 0755 run me", "begin 64 x", "begin 99999 x", "begi", "egin",
		"be", "b", "Begin 644 x", "xbegin 644 y", "hello", "world", "=", "-", "\t", " ", "end", "M86)C\n`\nend", "\u00e9t\u00e9"}
	text := func() []byte {
		var b bytes.Buffer
		for range 1 + r.IntN(40) {
			b.WriteString(words[r.IntN(len(words))])
			switch r.IntN(6) {
			case 0:
				b.WriteString("\n")
			case 1:
				b.WriteString("\r\n")
			default:
				b.WriteString(" ")
			}
		}
		return b.Bytes()
	}
	qp := func(t []byte) []byte {
		var b bytes.Buffer
		if r.IntN(2) == 0 {
			w := quotedprintable.NewWriter(&b)
			w.Binary = r.IntN(2) == 0
			w.Write(t)
			w.Close()
			t = b.Bytes()
			b = bytes.Buffer{}
		}
		for _, c := range t {
			switch r.IntN(12) {
			case 0:
				fmt.Fprintf(&b, "=%02X", c)
				continue
			case 1:
				fmt.Fprintf(&b, "=%02x", c)
				continue
			case 2:
				b.WriteString([]string{"=\n", "=\r\n", "= \t\r\n", "=  \n", " =\n", "=", "=ZZ", "=6", "\x01", "\xff"}[r.IntN(10)])
			case 3:
				if r.IntN(200) == 0 {
					b.Write(bytes.Repeat([]byte("y"), 4000+r.IntN(200)))
				}
			}
			b.WriteByte(c)
		}
		return b.Bytes()
	}
	b64 := func(t []byte) []byte {
		e := []byte(base64.StdEncoding.EncodeToString(append(bytes.Repeat([]byte("z"), r.IntN(3)), t...)))
		var b bytes.Buffer
		width := 1 + r.IntN(80)
		for i, c := range e {
			if i > 0 && i%width == 0 {
				b.WriteString([]string{"\n", "\r\n", " \n", "\n\n"}[r.IntN(4)])
			}
			if r.IntN(40) == 0 {
				b.WriteString([]string{" ", "\t", "=", "\r", "-", "\xc3", "!"}[r.IntN(7)])
			}
			b.WriteByte(c)
		}
		return b.Bytes()
	}
	var out []uuCheckInput
	for range n {
		t := text()
		switch r.IntN(3) {
		case 0:
			out = append(out, uuCheckInput{[]string{"quoted-printable", "Quoted_Printable", " QUOTED-PRINTABLE; x"}[r.IntN(3)], qp(t)})
		case 1:
			out = append(out, uuCheckInput{[]string{"base64", "BASE-64", "\"base64\""}[r.IntN(3)], b64(t)})
		default:
			out = append(out, uuCheckInput{[]string{"", "7bit", "8bit", "binary", "x-uuencode"}[r.IntN(5)], t})
		}
	}
	return out
}

// TestEncodedUuencodeCheckAgrees: encodedMayHoldUuencoded, which decodes
// only what may hold "begin", says of every input and every prefix of it
// (a first range cuts a text anywhere) what decoding it first says.
func TestEncodedUuencodeCheckAgrees(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 12))
	inputs := uuCheckInputs(r, 1000/slowdown)
	for _, f := range corpusFiles(t) {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, cte := range []string{"quoted-printable", "base64", "7bit"} {
			inputs = append(inputs, uuCheckInput{cte, raw})
		}
	}
	checked, held, skipped := 0, 0, 0
	for _, in := range inputs {
		step := 1 + len(in.b)*slowdown/100
		for cut := len(in.b); cut >= 0; cut -= step {
			b := in.b[:cut]
			want := mayHoldUuencoded(transferDecode(in.cte, b))
			if got := encodedMayHoldUuencoded(in.cte, b); got != want {
				t.Fatalf("%q of %q: %v, decoded first: %v", in.cte, b, got, want)
			}
			checked++
			if want {
				held++
			} else if normalEncoding(in.cte) == "quoted-printable" && !qpMayHoldBegin(b) ||
				normalEncoding(in.cte) == "base64" && !base64MayHoldBegin(b) {
				skipped++
			}
		}
	}
	// Both answers, and decodes skipped, in numbers that show the inputs
	// reach every branch.
	if held < checked/20 || skipped < checked/20 {
		t.Errorf("%d inputs: %d may hold a file, %d decided undecoded", checked, held, skipped)
	}
	t.Logf("%d inputs: %d may hold a file, %d decided undecoded", checked, held, skipped)
}

func FuzzEncodedUuencodeCheck(f *testing.F) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, in := range uuCheckInputs(r, 40) {
		f.Add(in.cte, in.b)
	}
	f.Fuzz(func(t *testing.T, cte string, b []byte) {
		if want := mayHoldUuencoded(transferDecode(cte, b)); encodedMayHoldUuencoded(cte, b) != want {
			t.Fatalf("%q of %q: decoded first: %v", cte, b, want)
		}
	})
}

// TestCountOfQuotedPrintableTextDecodesNothing: the count of a long
// quoted-printable text that holds no "begin" (most mail's one part)
// allocates a fraction of its size (64 KiB here; what it allocates does
// not grow with it): it decoded the text whole, with
// mime/quotedprintable's reader, to look for a uuencoded file (6% of a
// cold index's instructions). The text is read whole, as the index reads
// a text longer than its first range (CountAttachments).
func TestCountOfQuotedPrintableTextDecodesNothing(t *testing.T) {
	var body bytes.Buffer
	w := quotedprintable.NewWriter(&body)
	for body.Len() < 64<<10 {
		fmt.Fprintf(w, "Caf\u00e9 au lait, line %d of a long letter that goes on and on without any file in it.\r\n", body.Len())
	}
	w.Close()
	head := append([]byte("From: a@example.com\r\nSubject: letter\r\nMIME-Version: 1.0\r\n"+
		"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"), body.Bytes()...)
	n, exact := CountAttachments(head, int64(len(head)))
	if n != 0 || !exact {
		t.Fatalf("CountAttachments = %d, %v; want 0, exact", n, exact)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	const runs = 20
	for range runs {
		CountAttachments(head, int64(len(head)))
	}
	runtime.ReadMemStats(&after)
	per := (after.TotalAlloc - before.TotalAlloc) / runs
	t.Logf("%d bytes allocated a count", per)
	if per > uint64(body.Len())/2 {
		t.Errorf("CountAttachments allocated %d bytes a count of a %d-byte text", per, body.Len())
	}
}
