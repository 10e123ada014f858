package headerfold

import (
	"bytes"
	"math/rand/v2"
	"mime"
	"net/mail"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// unfoldCRLF undoes RFC 5322 folding: a line break followed by a blank goes.
func unfoldCRLF(b []byte) []byte {
	b = bytes.ReplaceAll(b, []byte("\r\n "), []byte(" "))
	b = bytes.ReplaceAll(b, []byte("\r\n\t"), []byte("\t"))
	b = bytes.ReplaceAll(b, []byte("\n "), []byte(" "))
	return bytes.ReplaceAll(b, []byte("\n\t"), []byte("\t"))
}

// checkFolded asserts what Fold promises for one field.
func checkFolded(t *testing.T, in, out []byte, limit int) {
	t.Helper()
	if !bytes.Equal(unfoldCRLF(out), unfoldCRLF(in)) {
		t.Fatalf("meaning changed:\n in: %q\nout: %q", in, out)
	}
	if blankOnly(out) != blankOnly(in) {
		t.Fatalf("Fold made a blank-only line:\n in: %q\nout: %q", in, out)
	}
	lines := strings.Split(strings.TrimRight(string(out), "\r\n"), "\n")
	for i, l := range lines {
		l = strings.TrimSuffix(l, "\r")
		if len(l) <= limit {
			continue
		}
		// A long line is a single piece with no usable break in it.
		min := 1
		if i == 0 {
			min = valueStart([]byte(l))
		}
		for j := max(min, 1); j < len(l); j++ {
			if breakable([]byte(l), j) {
				t.Fatalf("line %d is %d octets but could break at %d: %q", i, len(l), j, l)
			}
		}
	}
}

func blankOnly(b []byte) int {
	n := 0
	for i, l := range strings.Split(strings.TrimRight(string(b), "\r\n"), "\n") {
		if i > 0 && strings.Trim(l, " \t\r") == "" {
			n++
		}
	}
	return n
}

// TestFoldProperty: for generated fields (addresses, quoted names, encoded
// words, runs of blanks, long tokens, folds already there), Fold keeps the
// unfolded field byte for byte, adds no blank-only line, and leaves a line
// over the limit only where no break is possible.
func TestFoldProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	pieces := []string{"a", "word", "=?utf-8?q?x?=", "\"quoted name\"", "<a@example.com>,", " ", "  ", "\t", strings.Repeat("x", 90), "日本", "(c)"}
	for n := range 5000 {
		var b strings.Builder
		b.WriteString(pieces[r.IntN(3)] + ":")
		for range r.IntN(120) {
			p := pieces[r.IntN(len(pieces))]
			b.WriteString(p)
			if r.IntN(3) > 0 {
				b.WriteByte(' ')
			}
			if r.IntN(30) == 0 {
				b.WriteString("\r\n ")
			}
		}
		if r.IntN(2) == 0 {
			b.WriteString("\r\n")
		}
		in := []byte(b.String())
		limit := Soft
		if n%5 == 0 {
			limit = Hard
		}
		out := Fold(in, "\r\n", limit)
		checkFolded(t, in, out, limit)
	}
}

func TestFoldExamples(t *testing.T) {
	long := "Subject: " + strings.Repeat("word ", 40) + "end\r\n"
	out := string(Fold([]byte(long), "\r\n", Soft))
	if LongestLine([]byte(out)) > Soft || !strings.HasSuffix(out, "end\r\n") || !strings.Contains(out, "word\r\n word") {
		t.Fatalf("%q", out)
	}
	// No break right after the colon, none inside a run of blanks, none
	// that leaves trailing blanks alone on a line.
	for _, in := range []string{
		"To: " + strings.Repeat("x", 100) + "   \r\n",
		"Subject:      " + strings.Repeat("y", 100),
	} {
		if got := string(Fold([]byte(in), "\r\n", Soft)); got != in {
			t.Errorf("Fold(%q) = %q, want it unchanged", in, got)
		}
	}
	// Runs of blanks are never broken: a reader that trims around a fold
	// would lose part of them.
	in := "X: a" + strings.Repeat(" ", 100) + "b c"
	if got := string(Fold([]byte(in), "\n", Soft)); got != "X: a"+strings.Repeat(" ", 100)+"b\n c" {
		t.Errorf("blank run: %q", got)
	}
}

var wordRE = regexp.MustCompile(`^=\?utf-8\?[qb]\?[^? ]*\?=$`)

// TestWordsProperty: any text (any script, invalid UTF-8 included) comes
// back from mime.WordDecoder exactly, each word is at most 75 octets, and a
// word never holds part of a character; and a field of words folded by
// Created has lines of at most 76 octets (RFC 2047 2) that net/mail reads
// back as the text.
func TestWordsProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 9))
	alphabet := []rune("aZ _=?.,\"()<>@\\\t~äöü€日本語한글😀👩\u200d👩\u0301\u0308\u202e\x01\x1b\x7f\u0085")
	leads := []string{"Subject: ", "From: ", "Reply-To: ", "Subject: [PREFIX] ", "Subject: " + strings.Repeat("p", 40), "To: "}
	dec := new(mime.WordDecoder)
	for n := range 3000 {
		var b strings.Builder
		for range r.IntN(400) {
			b.WriteRune(alphabet[r.IntN(len(alphabet))])
		}
		text := b.String()
		for _, q := range []bool{true, false} {
			lead := leads[r.IntN(len(leads))]
			w := Words(text, q, len(lead))
			checkField(t, lead, w, text)
			if text == "" {
				if w != "" {
					t.Fatalf("Words(\"\") = %q", w)
				}
				continue
			}
			got, err := dec.DecodeHeader(w)
			if err != nil || got != text {
				t.Fatalf("#%d q=%v: decoded %q (%v), want %q\nwords %q", n, q, got, err, text, w)
			}
			for _, word := range strings.Split(w, " ") {
				if len(word) > maxWord || !wordRE.MatchString(word) {
					t.Fatalf("bad word %q", word)
				}
				one, err := dec.Decode(word)
				if err != nil || !utf8.ValidString(one) {
					t.Fatalf("word %q decodes alone to %q (%v): a character was split", word, one, err)
				}
			}
		}
	}
}

// FuzzFold: Fold's promises for any field, and Words' for any text.
func FuzzFold(f *testing.F) {
	f.Add("Subject: "+strings.Repeat("word ", 40), "text")
	f.Add("To: a <a@x>,\r\n b <b@x>  c", "日本語\xff")
	f.Fuzz(func(t *testing.T, field, text string) {
		for _, limit := range []int{Soft, Hard} {
			checkFolded(t, []byte(field), Fold([]byte(field), "\r\n", limit), limit)
		}
		w := Words(text, len(text)%2 == 0, len("Subject: "))
		checkField(t, "Subject: ", w, text)
		if got, err := new(mime.WordDecoder).DecodeHeader(w); err != nil || got != text {
			t.Fatalf("Words(%q) = %q reads back as %q (%v)", text, w, got, err)
		}
	})
}

// checkField folds lead+words with Created and checks that every line is at
// most 76 octets and that net/mail and mime.WordDecoder read the value back
// as lead's value followed by text.
func checkField(t *testing.T, lead, words, text string) {
	t.Helper()
	if words == "" {
		return
	}
	f := Created([]byte(lead+words+"\r\n"), "\r\n")
	for _, l := range strings.Split(strings.TrimSuffix(string(f), "\r\n"), "\r\n") {
		if len(l) > Encoded {
			t.Fatalf("a %d-octet line of encoded words: %q", len(l), f)
		}
	}
	msg, err := mail.ReadMessage(bytes.NewReader(append(f, "\r\n"...)))
	if err != nil {
		t.Fatalf("net/mail: %v\n%q", err, f)
	}
	name, value, _ := strings.Cut(lead, ":")
	got, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get(name))
	if want := strings.TrimLeft(value, " ") + text; err != nil || got != want {
		t.Fatalf("reads back as %q (%v), want %q\n%q", got, err, want, f)
	}
}
