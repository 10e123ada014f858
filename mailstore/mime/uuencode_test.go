package mime

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"mime/quotedprintable"
	"strings"
	"testing"
)

// TestUuencodedFilesInText: each uuencoded block in a text body (the
// uuencoded-in-text.eml blocks are Python's uu.encode output, space for
// zero, as GNU uuencode -m-less writes with a backtick) is a part of its
// own, listed with the attachments and saved as what it decodes to; the
// text shows one line in its place; a block whose end was lost is a part
// too, said to be cut short. The sender's name is the part's Filename,
// never a path (SaveParts makes it safe).
func TestUuencodedFilesInText(t *testing.T) {
	raw := readTestdata(t, "uuencoded-in-text.eml")
	v := Parse(raw)
	att := v.Attachments()
	if len(att) != 3 {
		t.Fatalf("%d attachments, want 3: %+v", len(att), att)
	}
	want := []struct {
		name    string
		content []byte
	}{
		{"report.bin", bytes.Repeat(func() []byte {
			b := make([]byte, 256)
			for i := range b {
				b[i] = byte(i)
			}
			return b
		}(), 3)},
		{"../../etc/passwd", []byte("secret notes\n")},
		{"cut.bin", func() []byte {
			var b []byte
			for i := 100; i < 145; i++ { // the one line that came: 45 bytes
				b = append(b, byte(i))
			}
			return b
		}()},
	}
	for i, w := range want {
		p := att[i]
		if p.Filename != w.name || !bytes.Equal(p.Bytes(), w.content) || p.Size != len(w.content) || !p.Embedded {
			t.Errorf("attachment %d = %q %d bytes (embedded %v), want %q %d bytes", i, p.Filename, len(p.Bytes()), p.Embedded, w.name, len(w.content))
		}
		if p.Index != i+2 { // part 1 is the text
			t.Errorf("attachment %d has index %d", i, p.Index)
		}
	}
	if strings.Contains(v.Text, "begin 644") || strings.Contains(v.Text, "M  $\" P0%") {
		t.Errorf("the text still holds the encoded blocks:\n%s", v.Text)
	}
	for _, s := range []string{"Here are the files:", "and the other:", "the last one was cut in transit:",
		"[uuencoded file report.bin, 768B: part 2]", "[uuencoded file ../../etc/passwd, 13B: part 3]",
		"[uuencoded file cut.bin, 45B, cut short (no end line): part 4]"} {
		if !strings.Contains(v.Text, s) {
			t.Errorf("the text lacks %q:\n%s", s, v.Text)
		}
	}
	if got := strings.Join(v.Notices, "\n"); !strings.Contains(got, "cut.bin (part 4) is cut short") {
		t.Errorf("no notice of the cut block: %q", v.Notices)
	}
	// The list counts the files as the viewer lists them.
	if n, exact := CountAttachments(raw, int64(len(raw))); v.Summary.Attachments != 3 || n != 3 || !exact {
		t.Errorf("summary counts %d attachments, the index %d (exact %v); want 3", v.Summary.Attachments, n, exact)
	}
}

// TestUuencodedHostile: a hostile name (NUL, 5000 characters, a path) is
// kept as data, cut to a bounded length; a begin line without data, or
// followed by prose, is text; more blocks than maxUuencoded stay text,
// with a notice.
func TestUuencodedHostile(t *testing.T) {
	block := func(name string) string { return "begin 644 " + name + "\n#86)C\n`\nend\n" }
	long := strings.Repeat("x", 5000)
	text := "hi\n" + block("a\x00b") + block(long) + "begin 644 notdata\nthis is prose, not data\nend\nbegin 644 empty\n\nbye\n"
	files, shown, notes := extractUuencoded(text, 1, &decoder{})
	if len(files) != 2 || files[0].Filename != "a\x00b" || string(files[0].Content) != "abc" {
		t.Fatalf("files = %+v", files)
	}
	if n := len(files[1].Filename); n > maxUuName+len("…") || !strings.HasSuffix(files[1].Filename, "…") {
		t.Errorf("a 5000-character name kept %d bytes: %q", n, files[1].Filename)
	}
	for _, s := range []string{"begin 644 notdata\nthis is prose, not data\nend\n", "begin 644 empty\n\nbye\n"} {
		if !strings.Contains(shown, s) {
			t.Errorf("text that is not a block was taken: %q", shown)
		}
	}
	if len(notes) != 0 {
		t.Errorf("notes = %q", notes)
	}
	var many strings.Builder
	for i := range maxUuencoded + 3 {
		many.WriteString(block(fmt.Sprint(i)))
	}
	files, shown, notes = extractUuencoded(many.String(), 1, &decoder{})
	if len(files) != maxUuencoded || strings.Count(shown, "begin 644") != 3 || len(notes) != 1 || !strings.Contains(notes[0], "3 more uuencoded files") {
		t.Errorf("%d files, %d blocks left as text, notes %q", len(files), strings.Count(shown, "begin 644"), notes)
	}
}

// TestUuencodedCountListEqualsViewer: for generated messages with files
// uuencoded in their text (single text parts in 7bit, quoted-printable
// and base64; the text of a multipart/mixed with MIME attachments; of an
// alternative beside HTML; a "begin" line in an image), the count the
// list shows (CountAttachments of the whole message, as the index
// counts it) is the number of attachments the viewer lists, exact; and
// any prefix counts no more, exact only when it is that number (but for
// a one-part text cut before its first file: see CountAttachments). The
// uuencoded files were listed by the viewer but not counted by the list.
func TestUuencodedCountListEqualsViewer(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	withFiles := 0
	for i := range 300 {
		raw := uuencodedShape(r)
		v := Parse(raw)
		n, exact := CountAttachments(raw, int64(len(raw)))
		if viewer := len(v.Attachments()); n != viewer || !exact || v.Summary.Attachments != viewer {
			t.Fatalf("message %d: the list counts %d (exact %v), the summary %d, the viewer lists %d:\n%s", i, n, exact, v.Summary.Attachments, viewer, raw)
		}
		for _, p := range v.Attachments() {
			if p.uuencoded {
				withFiles++
				break
			}
		}
		h := scanHeader(raw)
		onePart := !strings.HasPrefix(mediaType(h.first("content-type")), "multipart/")
		for _, cut := range []int{len(raw) / 3, len(raw) / 2, len(raw) * 9 / 10} {
			m, ok := CountAttachments(raw[:cut], int64(len(raw)))
			// A one-part text is counted from its first bytes, which
			// the index reads (16 KB), without files begun after them
			// (CountAttachments says why).
			later := onePart && (cut < h.Body || !mayHoldUuencoded(transferDecode(h.first("content-transfer-encoding"), raw[h.Body:cut])))
			if m > n || ok && m != n && !later {
				t.Fatalf("message %d cut at %d: %d (exact %v), the whole %d:\n%s", i, cut, m, ok, n, raw)
			}
		}
	}
	if withFiles < 100 {
		t.Fatalf("only %d of 300 messages have a uuencoded file", withFiles)
	}
}

// uuencodedShape is a message whose text may hold uuencoded files.
func uuencodedShape(r *rand.Rand) []byte {
	var text strings.Builder
	text.WriteString("Hello,\n\nthe files we spoke of; to begin with, the first:\n\n")
	for f := range r.IntN(4) {
		data := make([]byte, r.IntN(200)+1)
		for i := range data {
			data[i] = byte(r.IntN(256))
		}
		fmt.Fprintf(&text, "begin 644 file%d.bin\n", f)
		for i := 0; i < len(data); i += 45 {
			line := data[i:min(i+45, len(data))]
			text.WriteByte(byte(' ' + len(line)))
			for j := 0; j < len(line); j += 3 {
				var g [3]byte
				copy(g[:], line[j:])
				for _, c := range []byte{g[0] >> 2, (g[0]<<4 | g[1]>>4) & 63, (g[1]<<2 | g[2]>>6) & 63, g[2] & 63} {
					if c == 0 {
						text.WriteByte('`')
					} else {
						text.WriteByte(' ' + c)
					}
				}
			}
			text.WriteByte('\n')
		}
		if r.IntN(4) > 0 {
			text.WriteString("`\nend\n")
		}
		text.WriteString("\nand then:\n\n")
	}
	text.WriteString(strings.Repeat("Regards, and more words to pass the elision's length.\n", r.IntN(3)+1))
	body, cte := encodeText(r, text.String())
	head := "From: a@example.com\nTo: b@example.com\nSubject: files\nDate: Mon, 7 Dec 2026 10:00:00 +0000\nMIME-Version: 1.0\n"
	switch r.IntN(4) {
	case 0:
		return []byte(head + "Content-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: " + cte + "\n\n" + body)
	case 1:
		return []byte(head + "Content-Type: multipart/mixed; boundary=b1\n\n--b1\nContent-Type: text/plain\nContent-Transfer-Encoding: " + cte + "\n\n" + body +
			"\n--b1\nContent-Type: application/pdf; name=a.pdf\nContent-Disposition: attachment; filename=a.pdf\nContent-Transfer-Encoding: base64\n\n" +
			strings.Repeat("JVBERi0xLjQKYmVnaW4gNjQ0IHguYmluCg==\n", 4) + "--b1--\n")
	case 2:
		return []byte(head + "Content-Type: multipart/alternative; boundary=b2\n\n--b2\nContent-Type: text/plain\nContent-Transfer-Encoding: " + cte + "\n\n" + body +
			"\n--b2\nContent-Type: text/html\n\n<p>" + strings.Repeat("the files, in the text part; begin 64 here is not a file. ", 3) + "</p>\n--b2--\n")
	default:
		return []byte(head + "Content-Type: multipart/mixed; boundary=b3\n\n--b3\nContent-Type: text/plain\nContent-Transfer-Encoding: " + cte + "\n\n" + body +
			"\n--b3\nContent-Type: image/png; name=i.png\nContent-Disposition: inline\n\n" + strings.Repeat("begin 644 not-a-file\n", 5) + "--b3--\n")
	}
}

// encodeText is text in a random transfer encoding, and its name.
func encodeText(r *rand.Rand, text string) (string, string) {
	switch r.IntN(3) {
	case 0:
		return text, "7bit"
	case 1:
		var b strings.Builder
		w := quotedprintable.NewWriter(&b)
		w.Write([]byte(text))
		w.Close()
		return b.String(), "quoted-printable"
	default:
		s := base64.StdEncoding.EncodeToString([]byte(text))
		var b strings.Builder
		for len(s) > 76 {
			b.WriteString(s[:76] + "\n")
			s = s[76:]
		}
		return b.String() + s + "\n", "base64"
	}
}
