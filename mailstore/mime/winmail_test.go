package mime

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore/mime/tnef"
	"github.com/smallstep/pkcs7"
)

// withWinmail is an Outlook message: a multipart/mixed of text (none when
// text is "") and a winmail.dat holding dat, in base64 as Exchange writes it.
func withWinmail(text string, dat []byte) []byte {
	var b strings.Builder
	b.WriteString("From: Sender <s@corp.example>\r\nTo: r@example.com\r\nSubject: Quarterly\r\nDate: Mon, 07 Dec 2026 10:00:00 +0000\r\n" +
		"MIME-Version: 1.0\r\nX-MS-TNEF-Correlator: <x@corp>\r\nContent-Type: multipart/mixed; boundary=\"_000_B\"\r\n\r\n")
	if text != "" {
		b.WriteString("--_000_B\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n" + text + "\r\n")
	}
	b.WriteString("--_000_B\r\nContent-Type: application/ms-tnef; name=\"winmail.dat\"\r\nContent-Disposition: attachment; filename=\"winmail.dat\"\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	enc := base64.StdEncoding.EncodeToString(dat)
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n--_000_B--\r\n")
	return []byte(b.String())
}

func readTNEF(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("tnef/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestWinmailFilesAreListedAsParts: the files inside a real winmail.dat
// (tnef/testdata/README.md) are parts after the message's own, within
// the winmail.dat's, with their names, types, sizes and bytes; the
// winmail.dat stays a part; the attachment count is the MIME parts'
// (winmail.dat counts as one), in the list as in the viewer; with no
// text part, the RTF body inside is shown as text.
func TestWinmailFilesAreListedAsParts(t *testing.T) {
	dat := readTNEF(t, "attachments.dat")
	raw := withWinmail("", dat)
	v := Parse(raw)
	if len(v.Parts) != 3 {
		t.Fatalf("parts %+v", v.Parts)
	}
	if p := v.Parts[0]; p.Filename != "winmail.dat" || !p.IsAttachment || p.Embedded {
		t.Errorf("part 1: %+v", p)
	}
	m, err := tnef.Decode(dat, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range []struct {
		name, ctype string
		size        int
	}{{"zappa_av1.jpg", "image/jpeg", 2937}, {"bookmark.htm", "text/html", 85805}} {
		p := v.Parts[i+1]
		if p.Index != i+2 || p.Filename != w.name || p.ContentType != w.ctype || p.Size != w.size || !p.Embedded || p.Within != 1 || !p.IsAttachment ||
			!bytes.Equal(p.Bytes(), m.Attachments[i].Data) {
			t.Errorf("part %d: %+v, want %s %s %d within 1", i+2, p, w.name, w.ctype, w.size)
		}
	}
	if !strings.Contains(v.Body(), "Casdasdfasdfasd\nCasdasdfasdfasd\n") || strings.Contains(v.Body(), "Arial") {
		t.Errorf("body %q", v.Body())
	}
	wantNotice := "Part 1 is Outlook's TNEF wrapping (winmail.dat): the 2 files inside it are parts 2 to 3; the body shown is its RTF as text."
	if len(v.Notices) != 1 || v.Notices[0] != wantNotice {
		t.Errorf("notices %q\nwant %q", v.Notices, wantNotice)
	}
	for _, w := range v.Warnings {
		if strings.Contains(w, "TNEF") || w == "no text body" {
			t.Errorf("warning %q", w)
		}
	}
	if n, exact := CountAttachments(raw, int64(len(raw))); v.Summary.Attachments != 1 || n != 1 || !exact {
		t.Errorf("count: viewer %d, list %d (exact %v); want 1", v.Summary.Attachments, n, exact)
	}
}

// TestWinmailBodyOnlyWhenTheMessageHasNone: a text part is the body; the
// HTML inside a real Exchange winmail.dat (KOI8-R, its <meta> says) is
// the body of a message without one.
func TestWinmailBodyOnlyWhenTheMessageHasNone(t *testing.T) {
	dat := readTNEF(t, "ukr.dat")
	v := Parse(withWinmail("the sender's text", dat))
	if strings.TrimSpace(v.Body()) != "the sender's text" || v.HTML != "" {
		t.Errorf("body %q, HTML %q", v.Body(), v.HTML)
	}
	if len(v.Notices) != 1 || v.Notices[0] != "Part 2 is Outlook's TNEF wrapping (winmail.dat): it holds no files." {
		t.Errorf("notices %q", v.Notices)
	}
	v = Parse(withWinmail("", dat))
	if !strings.Contains(v.Body(), "шостий") || !strings.Contains(v.Body(), "RR Test 1") || !strings.Contains(v.HTML, "<p>шостий</p>") {
		t.Errorf("body %q", v.Body())
	}
	if len(v.Notices) != 1 || !strings.HasSuffix(v.Notices[0], "it holds no files; the body shown is its HTML.") {
		t.Errorf("notices %q", v.Notices)
	}
}

// tnefStream is a TNEF stream of the given attributes (each level, id
// and data), checksums right.
func tnefStream(attrs ...any) []byte {
	b := binary.LittleEndian.AppendUint32(nil, tnef.Signature)
	b = append(b, 0, 0)
	for i := 0; i < len(attrs); i += 3 {
		data := attrs[i+2].([]byte)
		b = append(b, byte(attrs[i].(int)))
		b = binary.LittleEndian.AppendUint32(b, attrs[i+1].(uint32))
		b = binary.LittleEndian.AppendUint32(b, uint32(len(data)))
		b = append(b, data...)
		var sum uint16
		for _, c := range data {
			sum += uint16(c)
		}
		b = binary.LittleEndian.AppendUint16(b, sum)
	}
	return b
}

// TestWinmailHostileNamesAndTypes: a title in the stream's code page is
// decoded (cp1251 here), a MIME tag that is no type gives way to the
// extension's, a name is cut to 255 bytes, and a stream cut short keeps
// the files before the cut, with a warning.
func TestWinmailHostileNamesAndTypes(t *testing.T) {
	long := strings.Repeat("n", 400) + ".txt"
	dat := tnefStream(
		1, uint32(0x00069007), []byte{0xE3, 0x04, 0, 0, 0, 0, 0, 0}, // 1251
		2, uint32(0x00069002), []byte{},
		2, uint32(0x00018010), []byte("\xCF\xF0\xE8\xE2\xE5\xF2.TXT\x00"),
		2, uint32(0x0006800F), []byte("hello"),
		2, uint32(0x00069002), []byte{},
		2, uint32(0x00018010), []byte("../../\x1b]0;x\x07"+long+"\x00"),
		2, uint32(0x0006800F), []byte("x"),
	)
	dat = append(dat, 2, 0x0f, 0x80, 6, 0, 0xff, 0xff, 0, 0, 0, 0) // an attribute longer than what is left
	v := Parse(withWinmail("body", dat))
	if len(v.Parts) != 4 {
		t.Fatalf("parts %+v", v.Parts)
	}
	if p := v.Parts[2]; p.Filename != "Привет.TXT" || p.ContentType != "text/plain" || string(p.Bytes()) != "hello" || p.Within != 2 {
		t.Errorf("part 3: %+v", p)
	}
	if p := v.Parts[3]; len(p.Filename) > 255+len("…") || !strings.HasPrefix(p.Filename, "../../\x1b]0;x\x07nnn") {
		t.Errorf("part 4: %q (%d bytes)", p.Filename, len(p.Filename))
	}
	found := false
	for _, w := range v.Warnings {
		found = found || strings.HasPrefix(w, "TNEF part 2: an attribute (0x800F) says it has")
	}
	if !found {
		t.Errorf("no warning of the cut: %q", v.Warnings)
	}
}

// TestWinmailInsideAnSMIMESignature: a winmail.dat in the message an
// opaque S/MIME signature holds is unpacked once the signature's parts
// are numbered after the outer message's: its files and its notice name
// it by that number (unpacked inside, the notice named it part 1).
func TestWinmailInsideAnSMIMESignature(t *testing.T) {
	sd, err := pkcs7.NewSignedData(withWinmail("", readTNEF(t, "attachments.dat")))
	if err != nil {
		t.Fatal(err)
	}
	der, err := sd.Finish()
	if err != nil {
		t.Fatal(err)
	}
	raw := "From: s@corp.example\r\nSubject: signed\r\nMIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; smime-type=signed-data; name=smime.p7m\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		base64.StdEncoding.EncodeToString(der) + "\r\n"
	v := Parse([]byte(raw))
	var got []string
	for _, p := range v.Parts {
		got = append(got, p.Filename+"@"+strconv.Itoa(p.Index)+"<"+strconv.Itoa(p.Within))
	}
	if strings.Join(got, " ") != "smime.p7m@1<0 winmail.dat@2<0 zappa_av1.jpg@3<2 bookmark.htm@4<2" {
		t.Errorf("parts %q", got)
	}
	if !strings.Contains(v.Body(), "Casdasdfasdfasd") {
		t.Errorf("body %q", v.Body())
	}
	want := "Part 2 is Outlook's TNEF wrapping (winmail.dat): the 2 files inside it are parts 3 to 4; the body shown is its RTF as text."
	if !slices.Contains(v.Notices, want) {
		t.Errorf("notices %q lack %q", v.Notices, want)
	}
}

// TestWinmailThatCannotBeRead: a part labelled TNEF without the
// signature, and a stream broken before its first file, each say so;
// the part stays, to save.
func TestWinmailThatCannotBeRead(t *testing.T) {
	for dat, want := range map[string]string{
		"not a stream": "Part 2 is Outlook's TNEF wrapping (winmail.dat): it does not hold a TNEF stream, so sesbox cannot unpack it (save it, then use tnef or ytnef).",
		"\x78\x9f\x3e\x22\x00\x00\x02\x0f\x80\x06\x00\xff\xff\x00\x00\x00\x00": "Part 2 is Outlook's TNEF wrapping (winmail.dat): sesbox could read no files from it (the warnings say why).",
	} {
		v := Parse(withWinmail("body", []byte(dat)))
		if len(v.Notices) != 1 || v.Notices[0] != want || len(v.Parts) != 2 || string(v.Parts[1].Bytes()) != dat {
			t.Errorf("%q: notices %q, parts %d", dat, v.Notices, len(v.Parts))
		}
	}
}
