package tnef

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"os"
	"strings"
	"testing"
)

func read(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDecodeRealSamples reads real winmail.dat files (testdata/README.md
// says where each comes from) and compares what it finds with what the
// tnef program (Debian's tnef 1.4.18) wrote out of them.
func TestDecodeRealSamples(t *testing.T) {
	m, err := Decode(read(t, "attachments.dat"), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ name, sha string }{
		{"zappa_av1.jpg", "bea844f30e0fcc20fad419a0d11032a6465da93c1da185a1196949955994409a"},
		{"bookmark.htm", "1e08d6e23c75ff80ac992eebc24c2943c7843b7dfee235966b37de5eb4362599"},
	}
	if len(m.Attachments) != len(want) {
		t.Fatalf("%d attachments, want %d: %+v", len(m.Attachments), len(want), m.Attachments)
	}
	for i, w := range want {
		a := m.Attachments[i]
		sum := sha256.Sum256(a.Data)
		if a.Name != w.name || hex.EncodeToString(sum[:]) != w.sha {
			t.Errorf("attachment %d: %q, sha256 %x; want %q, %s", i, a.Name, sum, w.name, w.sha)
		}
	}
	if m.BadChecksums != 0 || len(m.Problems) != 0 {
		t.Errorf("bad checksums %d, problems %q", m.BadChecksums, m.Problems)
	}
	rtf, err := DecompressRTF(m.RTF)
	if err != nil {
		t.Fatal(err)
	}
	if golden := read(t, "attachments.rtf"); !bytes.Equal(rtf, golden) {
		t.Errorf("decompressed RTF differs from tnef's:\n%q\nwant\n%q", rtf, golden)
	}
	text, html := RTFText(rtf, nil)
	if html || !strings.Contains(text, "Casdasdfasdfasd\nCasdasdfasdfasd\n") || strings.Contains(text, "Arial") || strings.Contains(text, "Riched20") {
		t.Errorf("RTF as text (html %v):\n%q", html, text)
	}

	m, err = Decode(read(t, "ukr.dat"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Attachments) != 0 || !bytes.Contains(m.HTML, []byte(`charset=koi8-r`)) || !bytes.Contains(m.HTML, []byte("{EMAILSIGNATURE}")) {
		t.Errorf("ukr.dat: %d attachments, HTML %q", len(m.Attachments), m.HTML)
	}
}

// TestDecodeHostileSamples: a stream whose signature is wrong is refused;
// one tnef's assertion stops on (panic.dat) is read as far as it goes.
func TestDecodeHostileSamples(t *testing.T) {
	b := read(t, "attachments.dat")
	bad := append([]byte(nil), b...)
	bad[3] = 0x32
	if _, err := Decode(bad, nil); err != ErrNotTNEF {
		t.Errorf("bad signature: %v", err)
	}
	m, err := Decode(read(t, "panic.dat"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Problems) == 0 {
		t.Errorf("panic.dat read without a problem: %+v", m.Attachments)
	}
	for cut := 7; cut < len(b); cut += 997 {
		m, err := Decode(b[:cut], nil)
		if err != nil || m == nil {
			t.Fatalf("cut at %d: %v", cut, err)
		}
		if len(m.Problems) == 0 && cut < len(b)-11 {
			t.Errorf("cut at %d: no problem said", cut)
		}
	}
}

// attr is one TNEF attribute with its checksum.
func attr(level byte, id uint32, data []byte) []byte {
	b := []byte{level}
	b = binary.LittleEndian.AppendUint32(b, id)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(data)))
	b = append(b, data...)
	return binary.LittleEndian.AppendUint16(b, checksum(data))
}

func stream(attrs ...[]byte) []byte {
	b := binary.LittleEndian.AppendUint32(nil, Signature)
	b = append(b, 0, 0)
	for _, a := range attrs {
		b = append(b, a...)
	}
	return b
}

// unicodeProp is a PT_UNICODE property of a property list.
func unicodeProp(id uint16, s string) []byte {
	b := binary.LittleEndian.AppendUint16(nil, ptUnicode)
	b = binary.LittleEndian.AppendUint16(b, id)
	b = binary.LittleEndian.AppendUint32(b, 1)
	var v []byte
	for _, r := range s {
		v = binary.LittleEndian.AppendUint16(v, uint16(r))
	}
	v = append(v, 0, 0)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(v)))
	b = append(b, v...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func propList(props ...[]byte) []byte {
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(props)))
	for _, p := range props {
		b = append(b, p...)
	}
	return b
}

// TestLongNameTypeAndCodepage: the long name and the MIME tag win over
// the 8.3 title; a title is decoded in the stream's OEM code page; a
// named property before them is stepped over; an attached message is
// listed without data; a bad checksum is counted, the data kept.
func TestLongNameTypeAndCodepage(t *testing.T) {
	named := binary.LittleEndian.AppendUint16(nil, ptLong)
	named = binary.LittleEndian.AppendUint16(named, 0x8005)
	named = append(named, make([]byte, 16)...)         // GUID
	named = binary.LittleEndian.AppendUint32(named, 1) // MNID_STRING
	named = binary.LittleEndian.AppendUint32(named, 6) // "ab\0" in UTF-16
	named = append(named, 'a', 0, 'b', 0, 0, 0, 0, 0)  // padded to 8
	named = binary.LittleEndian.AppendUint32(named, 7) // the value
	method := binary.LittleEndian.AppendUint16(nil, ptLong)
	method = binary.LittleEndian.AppendUint16(method, prAttachMethod)
	method = binary.LittleEndian.AppendUint32(method, methodEmbeddedMsg)
	badSum := attr(levelAttachment, 0x0006800F, []byte("data"))
	badSum[len(badSum)-1] ^= 1
	s := stream(
		attr(levelMessage, 0x00069007, []byte{0xE4, 0x04, 0, 0, 0, 0, 0, 0}), // 1252
		attr(levelAttachment, 0x00069002, make([]byte, 14)),
		attr(levelAttachment, 0x00018010, []byte("R\xc9SUM\xc9~1.PDF\x00")),
		badSum,
		attr(levelAttachment, 0x00069005, propList(named, unicodeProp(prAttachLongName, "Résumé 2026.pdf"), unicodeProp(prAttachMIMETag, "application/pdf"))),
		attr(levelAttachment, 0x00069002, make([]byte, 14)),
		attr(levelAttachment, 0x00018010, []byte("SHORT.TXT\x00")),
		attr(levelAttachment, 0x00069002, make([]byte, 14)),
		attr(levelAttachment, 0x00069005, propList(unicodeProp(prDisplayName, "Meeting notes"), method)),
	)
	var cps []int
	m, err := Decode(s, func(cp int, b []byte) string {
		cps = append(cps, cp)
		return strings.ToLower(string(b))
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Attachments) != 3 {
		t.Fatalf("%+v", m.Attachments)
	}
	if a := m.Attachments[0]; a.Name != "Résumé 2026.pdf" || a.MIMEType != "application/pdf" || string(a.Data) != "data" {
		t.Errorf("first: %+v", a)
	}
	if a := m.Attachments[1]; a.Name != "short.txt" || a.Data != nil {
		t.Errorf("second: %+v", a)
	}
	if a := m.Attachments[2]; a.Name != "Meeting notes" || !a.EmbeddedMessage() || a.Data != nil {
		t.Errorf("third: %+v", a)
	}
	if m.Codepage != 1252 || m.BadChecksums != 1 || len(m.Problems) != 0 {
		t.Errorf("codepage %d, bad checksums %d, problems %q", m.Codepage, m.BadChecksums, m.Problems)
	}
	for _, cp := range cps {
		if cp != 1252 {
			t.Errorf("decoded in code page %d", cp)
		}
	}
}

// TestAttachmentsAreCapped: attachments beyond MaxAttachments are
// counted, not kept, and none of their attributes reaches a kept one.
func TestAttachmentsAreCapped(t *testing.T) {
	var attrs [][]byte
	for i := 0; i < MaxAttachments+3; i++ {
		attrs = append(attrs, attr(levelAttachment, 0x00069002, nil), attr(levelAttachment, 0x00018010, []byte("A.TXT\x00")))
	}
	attrs = append(attrs, attr(levelAttachment, 0x0006800F, []byte("late")))
	m, _ := Decode(stream(attrs...), nil)
	if len(m.Attachments) != MaxAttachments || m.Dropped != 3 || m.Attachments[MaxAttachments-1].Data != nil {
		t.Errorf("%d kept, %d dropped, last %+v", len(m.Attachments), m.Dropped, m.Attachments[MaxAttachments-1])
	}
}

// TestPropertyCountsAreChecked: a count larger than the bytes can hold
// is refused before anything is allocated for it.
func TestPropertyCountsAreChecked(t *testing.T) {
	for _, list := range [][]byte{
		binary.LittleEndian.AppendUint32(nil, 0xFFFFFFFF),
		append(binary.LittleEndian.AppendUint32(nil, 1), 0x02, 0x11, 0x01, 0x37, 0xFF, 0xFF, 0xFF, 0x7F),             // PT_MV_BINARY of 2^31 values
		append(binary.LittleEndian.AppendUint32(nil, 1), 0x02, 0x01, 0x01, 0x37, 1, 0, 0, 0, 0xFC, 0xFF, 0xFF, 0xFF), // a length near 2^32
	} {
		n := 0
		if err := props(list, func(uint16, uint16, []byte) { n++ }); err == nil || n != 0 {
			t.Errorf("%x: %d values, %v", list, n, err)
		}
	}
}
