package mime

import (
	"os"
	"strings"
	"testing"
)

// TestNamedTextPartsAreAttachments: a text part whose sender named it
// (name= on Content-Type and no Content-Disposition, as Pine and old
// Outlook attach a file; or an inline disposition with a filename, as
// Apple Mail does) is shown in the body and listed as an attachment to
// save, as mutt does; the count the index keeps agrees. It was body text
// only: save said there were no attachments. A text part without a name
// stays body only.
func TestNamedTextPartsAreAttachments(t *testing.T) {
	corpus, err := os.ReadFile("../../testdata/corpus/cpython-named_text_parts_no_disposition.eml")
	if err != nil {
		t.Fatal(err)
	}
	head := "From: a@example.com\r\nSubject: s\r\nMIME-Version: 1.0\r\n"
	for _, c := range []struct {
		name, raw string
		names     []string // of the attachments
		body      string
	}{
		{"corpus", string(corpus), []string{"msg.txt", "msg.txt"}, "to reflect upon our own"},
		{"single part", head + "Content-Type: text/plain; charset=utf-8; name=\"notes.txt\"\r\n\r\nthe notes\r\n", []string{"notes.txt"}, "the notes"},
		{"inline filename", head + "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n" +
			"--b\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Disposition: inline; filename=\"liste.txt\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nK=F6ln\r\n--b--\r\n",
			[]string{"liste.txt"}, "Köln"},
		{"unnamed", head + "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n" +
			"--b\r\nContent-Type: text/plain\r\nContent-Disposition: inline\r\n\r\nworld\r\n--b--\r\n", nil, "world"},
	} {
		v := Parse([]byte(c.raw))
		var names []string
		for _, p := range v.Attachments() {
			names = append(names, p.Filename)
		}
		if strings.Join(names, ",") != strings.Join(c.names, ",") {
			t.Errorf("%s: attachments %q, want %q", c.name, names, c.names)
		}
		if !strings.Contains(v.Body(), c.body) {
			t.Errorf("%s: body %q lacks %q", c.name, v.Body(), c.body)
		}
		if n, exact := CountAttachments([]byte(c.raw), int64(len(c.raw))); n != len(c.names) || !exact || v.Summary.Attachments != n {
			t.Errorf("%s: count %d (exact %v), the View's %d, want %d", c.name, n, exact, v.Summary.Attachments, len(c.names))
		}
		if c.name == "inline filename" {
			// Saved as the sender wrote it, in its own charset.
			if p := v.Attachments()[0]; string(p.Bytes()) != "K\xf6ln" {
				t.Errorf("liste.txt saves as %q", p.Bytes())
			}
		}
	}
}
