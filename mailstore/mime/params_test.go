package mime

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// manyParams is a message whose top Content-Type and whose attachment's
// Content-Disposition each carry n parameters of the given form (%d is the
// parameter's number).
func manyParams(n int, form string) []byte {
	var ps strings.Builder
	for i := range n {
		ps.WriteString(";" + fmt.Sprintf(form, i))
	}
	return []byte("From: a@example.com\r\nSubject: params\r\n" +
		"Content-Type: multipart/mixed; boundary=b" + ps.String() + "\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n" +
		"--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=a.pdf" + ps.String() + "\r\n\r\nx\r\n" +
		"--b--\r\n")
}

// allocatedBy returns the bytes fn allocates.
func allocatedBy(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestManyMediaParametersBoundWork: enmime v2.3.0 repairs a Content-Type
// or Content-Disposition value by appending its parameters one by one to a
// string it searches for each next one (mediatype.fixMangledMediaType), so
// its work grows with the square of the parameter count: 2,000 parameters
// without values (11 KB) took over a second to parse, 4,000 (23 KB) three,
// and CountAttachments as long again on every index. The work is measured
// in bytes allocated, which the repair's string building dominates, and
// which does not depend on the machine's speed.
func TestManyMediaParametersBoundWork(t *testing.T) {
	for _, form := range []string{"a%d", "a%d=b", "a%d=(@)", "x*%d*=%%41"} {
		raw := manyParams(2000, form)
		limit := uint64(200 * len(raw))
		var v *View
		if got := allocatedBy(func() { v = safeParse(raw) }); got > limit {
			t.Errorf("%q: Parse of %d bytes allocated %d bytes, want at most %d", form, len(raw), got, limit)
		}
		if got := allocatedBy(func() { CountAttachments(raw, int64(len(raw))) }); got > limit {
			t.Errorf("%q: CountAttachments of %d bytes allocated %d bytes, want at most %d", form, len(raw), got, limit)
		}
		// The parameters that come first still count.
		if v.Source || len(v.Attachments()) != 1 || v.Attachments()[0].Filename != "a.pdf" || v.Text != "hello" {
			t.Errorf("%q: parts not read: source %v, text %q, %d attachments", form, v.Source, v.Text, len(v.Attachments()))
		}
	}
}

// TestRFC2231FileNamesInAnyCharset: an RFC 2231 parameter is read in the
// charset it names, whatever that is (Go's mime package reads only UTF-8
// and US-ASCII and drops the rest, so a Japanese or Russian attachment
// lost its name and was saved as "attachment"), split into continuations
// or not, with a malformed %-escape kept as written rather than losing
// the whole name. As in Go (and RFC 2231), the extended form wins over a
// plain one. An extended value without its charset'language' is
// percent-decoded as text in no declared charset.
func TestRFC2231FileNamesInAnyCharset(t *testing.T) {
	for _, tc := range []struct{ disposition, want string }{
		{"attachment; filename*=koi8-r''%F0%D2%C9%CD%C5%D2.pdf", "Пример.pdf"},
		{"attachment; filename*=shift_jis'ja'%93%FA%96%7B.pdf", "日本.pdf"},
		{"attachment; filename*=ISO-2022-JP''%1B%24B%46%7C%4B%5C%1B%28B.txt", "日本.txt"},
		{"attachment; filename*=iso-8859-1''caf%E9.txt", "café.txt"},
		{"attachment;\r\n filename*0*=shift_jis''%93%FA;\r\n filename*1*=%96%7B;\r\n filename*2=\".pdf\"", "日本.pdf"},
		{"attachment; filename*=utf-8''a%ZZb%4.pdf", "a%ZZb%4.pdf"},
		{"attachment; filename*=x-unknown-cs''caf%E9.txt", "café.txt"},
		{"attachment; filename*=utf-8''R%C3%A9sum%C3%A9.pdf", "Résumé.pdf"},
		{"attachment; filename=\"plain.pdf\"; filename*=koi8-r''%F0%D2%C9.pdf", "При.pdf"},
		// No charset'language' (some mail libraries): percent-encoded
		// text in no declared charset; the name was lost.
		{"attachment; filename*=%E2%82%AC%20rates.pdf", "€ rates.pdf"},
		{"attachment; filename*=caf%E9.txt", "café.txt"},
		{"attachment; filename*0*=%E6%97%A5; filename*1*=%E6%9C%AC.pdf", "日本.pdf"},
	} {
		raw := []byte("From: a@example.com\r\nSubject: names\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
			"--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n" +
			"--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: " + tc.disposition + "\r\n\r\nx\r\n--b--\r\n")
		v := Parse(raw)
		if a := v.Attachments(); len(a) != 1 || a[0].Filename != tc.want {
			var got []string
			for _, p := range a {
				got = append(got, p.Filename)
			}
			t.Errorf("%q: file names %q, want %q", tc.disposition, got, tc.want)
		}
	}
	// The Content-Type's name is read the same way.
	_, params, _, err := parseMediaType("application/pdf; name*=windows-1251''%CF%F0%E8.pdf")
	if err != nil || params["name"] != "При.pdf" {
		t.Errorf("name = %q, %v", params["name"], err)
	}
}

// TestPartWithAnUnreadableTypeIsKept: enmime drops a part whose
// Content-Type does not parse ("app lication/pdf", a control byte in the
// subtype), content, file name and all, and the attachment count and the
// parts list lost it without a trace but a parser error. It is read as
// application/octet-stream (text/plain when it says text), named as its
// header names it, and the warning quotes the type.
func TestPartWithAnUnreadableTypeIsKept(t *testing.T) {
	for ct, want := range map[string]string{
		"app lication/pdf; name=n.pdf":    "application/octet-stream",
		"text/x\x1b[2Jevil; name=n.pdf":   "text/plain",
		"application/pdf\x00; name=n.pdf": "application/octet-stream",
	} {
		raw := []byte("From: a@example.com\r\nSubject: s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n" +
			"--B\r\nContent-Type: text/plain\r\n\r\nbody\r\n" +
			"--B\r\nContent-Type: " + ct + "\r\nContent-Disposition: attachment; filename=f.dat\r\n\r\nDATA\r\n--B--\r\n")
		v := Parse(raw)
		atts := v.Attachments()
		if len(atts) != 1 || atts[0].ContentType != want || atts[0].Filename != "f.dat" || string(atts[0].Content) != "DATA" {
			t.Errorf("%q: attachments %+v, want f.dat as %s", ct, atts, want)
		}
		if !containsWarning(v.Warnings, fmt.Sprintf("%q", strings.Split(ct, ";")[0])) {
			t.Errorf("%q: warnings %q do not quote the type", ct, v.Warnings)
		}
		if n, exact := CountAttachments(raw, int64(len(raw))); n != 1 || !exact {
			t.Errorf("%q: CountAttachments = %d, %v; want 1, exact", ct, n, exact)
		}
	}
}

// TestPartWithAnUnreadableParameterIsKept: a parameter Go's media type
// parser refuses (a control byte or DEL in an unquoted value, a name that
// is not a token) made enmime drop the whole part, content, file name and
// all, as an unreadable type did: the parts list, the attachment count
// and save lost it, with only "[E] Malformed child part: ... invalid media
// parameter" to show. Such a value is read as if quoted (the name keeps
// its bytes; what shows it sanitizes them), a parameter whose name cannot
// be read is left out, and a warning quotes the field.
func TestPartWithAnUnreadableParameterIsKept(t *testing.T) {
	for _, c := range []struct{ ctype, disp, name string }{
		{"application/pdf; name=a\x1b\x07b.pdf", "attachment", "a\x1b\x07b.pdf"},
		{"application/pdf; name=a\x7fb.pdf", "attachment", "a\x7fb.pdf"},
		{"application/pdf; n\xc3\xa9=x; name=n.pdf", "attachment", "n.pdf"},
		{"application/pdf; name=n.pdf; x=\x01", "attachment", "n.pdf"},
		{"application/pdf", "attachment; filename=a\x00b.pdf", "a\x00b.pdf"},
		{"application/pdf; name=\"n.pdf\"; x=\x01\"", "attachment; size=\x02", "n.pdf"},
	} {
		raw := []byte("From: a@example.com\r\nSubject: s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n" +
			"--B\r\nContent-Type: text/plain\r\n\r\nbody\r\n" +
			"--B\r\nContent-Type: " + c.ctype + "\r\nContent-Disposition: " + c.disp + "\r\n\r\nDATA\r\n--B--\r\n")
		v := Parse(raw)
		atts := v.Attachments()
		if len(atts) != 1 || atts[0].ContentType != "application/pdf" || atts[0].Filename != c.name || string(atts[0].Content) != "DATA" {
			t.Errorf("%q, %q: attachments %+v, want %q", c.ctype, c.disp, atts, c.name)
		}
		if !slices.ContainsFunc(v.Warnings, func(w string) bool { return strings.Contains(w, "parameters that do not parse") }) {
			t.Errorf("%q, %q: no warning: %q", c.ctype, c.disp, v.Warnings)
		}
		if n, exact := CountAttachments(raw, int64(len(raw))); n != 1 || !exact {
			t.Errorf("%q: CountAttachments = %d, %v; want 1, exact", c.ctype, n, exact)
		}
	}
	// A whole message whose Content-Type holds one still shows its body
	// in its charset.
	v := Parse([]byte("From: a@example.com\r\nSubject: s\r\nContent-Type: text/plain; charset=iso-8859-1; x=\x01\r\n\r\ncaf\xe9\r\n"))
	if !strings.Contains(v.Body(), "café") {
		t.Errorf("body %q, warnings %q", v.Body(), v.Warnings)
	}
}

// TestRFC2231ContinuationsCutAreSaid: a file name split into more RFC 2231
// continuations than maxMediaParams is cut there (the bound stays), and
// the cut shows: the name ends in "…" and a warning says the part's field
// was cut, where the name was silently the first pieces alone.
func TestRFC2231ContinuationsCutAreSaid(t *testing.T) {
	for _, form := range []string{"filename*%d=\"abcd\"", "filename*%d*=ab%%63d"} {
		var disp strings.Builder
		disp.WriteString("Content-Disposition: attachment")
		for i := range 150 {
			piece := fmt.Sprintf(form, i)
			if i == 0 {
				piece = strings.Replace(piece, "*=", "*=utf-8''", 1)
			}
			disp.WriteString(";\r\n " + piece)
		}
		disp.WriteString(";\r\n filename*150=\".pdf\"")
		raw := msg([]byte("--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b\r\nContent-Type: application/pdf\r\n"+disp.String()+"\r\n\r\n%PDF\r\n--b--\r\n"),
			"From: a@x.example", "Subject: s", "Content-Type: multipart/mixed; boundary=b")
		v := Parse(raw)
		att := v.Attachments()
		if len(att) != 1 {
			t.Fatalf("%q: %d attachments", form, len(att))
		}
		if want := strings.Repeat("abcd", maxMediaParams) + "…"; att[0].Filename != want {
			t.Errorf("%q: filename %q (%d bytes), want the first %d pieces and …", form, att[0].Filename, len(att[0].Filename), maxMediaParams)
		}
		if !slices.ContainsFunc(v.Warnings, func(w string) bool {
			return strings.Contains(w, "part 2: its Content-Disposition has more than 100 parameters") && strings.Contains(w, "its file name is cut")
		}) {
			t.Errorf("%q: no warning of the cut: %q", form, v.Warnings)
		}
	}
}

// TestRFC2231ContinuationsWithoutTheFirstAreJoined: a file name given
// only as continuations from the second on (filename*1=b; filename*2=c,
// no filename*0) was no name at all, since Go's parser starts at *0: the
// part is named with the pieces it has, in order, and a warning says the
// first is missing.
func TestRFC2231ContinuationsWithoutTheFirstAreJoined(t *testing.T) {
	for _, tc := range []struct{ disposition, want string }{
		{"attachment; filename*2=\".pdf\"; filename*1=report", "report.pdf"},
		{"attachment; filename*1*=caf%C3%A9; filename*2=\".txt\"", "café.txt"},
		{"attachment; filename*1*=caf%E9", "café"},
	} {
		raw := msg([]byte("--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: "+tc.disposition+"\r\n\r\nx\r\n--b--\r\n"),
			"From: a@x.example", "Subject: s", "Content-Type: multipart/mixed; boundary=b")
		v := Parse(raw)
		if a := v.Attachments(); len(a) != 1 || a[0].Filename != tc.want {
			t.Errorf("%q: attachments %+v, want one named %q", tc.disposition, a, tc.want)
		}
		if !slices.ContainsFunc(v.Warnings, func(w string) bool {
			return strings.Contains(w, "part 2: its Content-Disposition gives filename without its first piece")
		}) {
			t.Errorf("%q: no warning: %q", tc.disposition, v.Warnings)
		}
	}
	// A name from its first piece on is no warning.
	raw := msg([]byte("--b\r\nContent-Type: application/pdf; name*0=a; name*1=b.pdf\r\n\r\nx\r\n--b--\r\n"),
		"From: a@x.example", "Subject: s", "Content-Type: multipart/mixed; boundary=b")
	if v := Parse(raw); len(v.Attachments()) != 1 || v.Attachments()[0].Filename != "ab.pdf" || slices.ContainsFunc(v.Warnings, func(w string) bool { return strings.Contains(w, "first piece") }) {
		t.Errorf("parts %+v, warnings %q", v.Parts, v.Warnings)
	}
}

// TestEmptyParametersAreNotCounted: parameters that hold nothing (";;",
// "; ;") are left out before maxMediaParams counts, so a charset or a
// file name after thousands of them is still read, with no warning of a
// cut (nothing was lost), while a quoted value keeps its ';' and
// parameters past maxMediaParams are still cut and said to be.
func TestEmptyParametersAreNotCounted(t *testing.T) {
	empties := strings.Repeat(";", 5000) + strings.Repeat("; ", 500)
	raw := msg([]byte("--b\r\nContent-Type: text/plain; charset=koi8-r"+empties+"\r\n\r\n\xf0\xd2\xc9\xd7\xc5\xd4\r\n"+
		"--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment"+empties+"; filename=\"a;;b.pdf\"\r\n\r\n%PDF\r\n--b--\r\n"),
		"From: a@x.example", "Subject: s", "Content-Type: multipart/mixed"+empties+"; boundary=b")
	v := Parse(raw)
	if v.Source || !strings.Contains(v.Text, "Привет") {
		t.Errorf("text %q (source %v), warnings %q", v.Text, v.Source, v.Warnings)
	}
	if att := v.Attachments(); len(att) != 1 || att[0].Filename != "a;;b.pdf" {
		t.Errorf("attachments %+v", att)
	}
	if slices.ContainsFunc(v.Warnings, func(w string) bool { return strings.Contains(w, "parameters") }) {
		t.Errorf("a warning of a cut where nothing was lost: %q", v.Warnings)
	}
	if got := cutParams("a/b" + empties + "; x=\";;\"" + strings.Repeat("; y=1", 200)); got != "a/b; x=\";;\""+strings.Repeat("; y=1", maxMediaParams-3) {
		// The quoted value is three parameters: the bound counts every
		// separator, quoted or not.
		t.Errorf("cutParams = %q", got)
	}
	if cut, dropped := cutDrops("a/b"+empties+strings.Repeat("; y=1", 100)+"; Name*3*=x", "name"); !cut || !dropped {
		t.Errorf("cutDrops: cut %v, dropped %v", cut, dropped)
	}
}
