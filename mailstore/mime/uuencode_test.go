package mime

import (
	"bytes"
	"fmt"
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
	v := Parse(readTestdata(t, "uuencoded-in-text.eml"))
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
	// The list's count is of MIME parts, which the index reads from the
	// head of a message; files in the text are found on opening it.
	if v.Summary.Attachments != 0 {
		t.Errorf("summary counts %d attachments", v.Summary.Attachments)
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
