// Package hostilemail generates messages of at most 64 KB shaped to make a
// mail reader do too much work: thousands of header fields, encoded-words
// and addresses, deep and wide MIME trees, boundaries that are prefixes of
// each other, RFC 2231 continuations, quoted-printable soft breaks, base64
// padded with junk, deeply nested HTML, long lines without blanks, stacked
// combining marks, thousands of links or short lines. The mime package's
// benchmarks and fuzz seeds and the viewer's benchmarks read them, so the
// figures in docs/reliability.md are for the same inputs.
package hostilemail

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"strings"
)

// Size is the size each shape grows to, about: a small message.
const Size = 60 << 10

const header = "From: a@b.example\r\nTo: c@d.example\r\nSubject: s\r\n" +
	"Date: Mon, 1 Jan 2024 00:00:00 +0000\r\nMIME-Version: 1.0\r\n"

// repeat is head, then unit repeated until the message is about Size
// bytes, then tail.
func repeat(head, unit, tail string) []byte {
	n := max((Size-len(head)-len(tail))/max(len(unit), 1), 1)
	return []byte(head + strings.Repeat(unit, n) + tail)
}

// numbered is head, then unit formatted with 0, 1, 2... until the
// message is about Size bytes, then tail.
func numbered(head, unit, tail string) []byte {
	var b strings.Builder
	b.WriteString(head)
	for i := 0; b.Len() < Size-len(tail); i++ {
		fmt.Fprintf(&b, unit, i)
	}
	b.WriteString(tail)
	return []byte(b.String())
}

// Shapes returns each hostile message by a name saying its shape.
func Shapes() map[string][]byte {
	mixed := header + "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	plain := header + "Content-Type: text/plain; charset=utf-8\r\n\r\n"
	html := header + "Content-Type: text/html\r\n\r\n"
	m := map[string][]byte{
		"header-fields":       numbered(header, "X-H%d: v\r\n", "\r\nbody\r\n"),
		"received-fields":     repeat(header, "Received: from x by y.example; Mon, 1 Jan 2024 00:00:00 +0000\r\n", "\r\nbody\r\n"),
		"to-fields":           repeat("From: a@b.example\r\n", "To: x@y.example\r\n", "\r\nbody\r\n"),
		"encoded-words":       repeat("From: a@b.example\r\nSubject:", " =?utf-8?q?a?=", "\r\n\r\nbody\r\n"),
		"encoded-words-glued": repeat("From: a@b.example\r\nSubject: ", "=?utf-8?b?w6k=?=", "\r\n\r\nbody\r\n"),
		"encoded-words-open":  repeat("From: a@b.example\r\nSubject: ", "=?a?q?x", "\r\n\r\nbody\r\n"),
		"addresses":           repeat("From: a@b.example\r\nTo: ", "x@y.example, ", "z@y.example\r\n\r\nx\r\n"),
		"address-groups":      repeat("From: a@b.example\r\nTo: ", "g: x@y.example, z@y.example;, ", "z@y.example\r\n\r\nx\r\n"),
		"nested-comments":     []byte("From: a@b.example " + strings.Repeat("(", Size/2) + strings.Repeat(")", Size/2) + "\r\n\r\nx\r\n"),
		"unclosed-comments":   repeat("From: a@b.example\r\nTo: x@y.example ", "(", "\r\n\r\nx\r\n"),
		"quoted-names":        repeat("From: ", "\"a\\\" ", "<a@b.example>\r\n\r\nx\r\n"),
		"empty-parts":         repeat(mixed, "--b\r\n\r\n", "--b--\r\n"),
		"many-attachments":    repeat(mixed, "--b\r\nContent-Type: application/octet-stream; name=x.bin\r\n\r\nx\r\n", "--b--\r\n"),
		"boundary-run":        repeat(mixed, "--b", "\r\n"),
		"boundary-run-blank":  repeat(mixed+"--b\r\n\r\n", "--b ", "\r\n"),
		"boundary-run-cr":     repeat(mixed+"--b\r\n\r\n", "\r--b ", "\r\n"),
		"rfc2231-pieces":      numbered(mixed+"--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment", ";\r\n filename*%d=a", "\r\n\r\nx\r\n--b--\r\n"),
		"rfc2231-encoded":     numbered(mixed+"--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment", "; filename*%d*=utf-8''%%41", "\r\n\r\nx\r\n--b--\r\n"),
		"qp-soft-breaks":      repeat(header+"Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n", "a=\r\n", "\r\n"),
		"qp-empty-breaks":     repeat(header+"Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n", "=\n", "\r\n"),
		"base64-junk":         repeat(header+"Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n", "Q!", "\r\n"),
		"base64-junk-part":    repeat(mixed+"--b\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n", "Q!", "\r\n--b--\r\n"),
		"html-divs":           repeat(html, "<div>", "x\r\n"),
		"html-bold":           repeat(html, "<b>", "x\r\n"),
		"html-tables":         repeat(html, "<table><tr><td>", "x\r\n"),
		"html-lists":          repeat(html, "<ul><li>", "x\r\n"),
		"html-blockquotes":    repeat(html, "<blockquote>", "x\r\n"),
		"html-links":          numbered(html, "<a href=\"http://x.example/%d\">x</a> ", "\r\n"),
		"html-cells":          repeat(html+"<table><tr>", "<td>x</td>", "</tr></table>\r\n"),
		"html-rows":           repeat(html+"<table>", "<tr><td>x</td></tr>", "</table>\r\n"),
		"html-style":          repeat(html+"<div style=\"", "a:b;", "\">x</div>\r\n"),
		"html-entities":       repeat(html, "&amp;", "\r\n"),
		"long-line":           repeat(plain, "x", "\r\n"),
		"long-line-wide":      repeat(plain, "漢", "\r\n"),
		"short-lines":         repeat(plain, "x\n", ""),
		"blank-lines":         repeat(plain, "\r\n", ""),
		"tabs":                repeat(plain, "\t", "\r\n"),
		"deep-quotes":         repeat(plain, strings.Repeat(">", 200)+" x\r\n", ""),
		"combining-marks":     repeat(plain+"a", "\u0301", "\r\n"),
		"combining-subject":   repeat("From: a@b.example\r\nSubject: a", "\u0301", "\r\n\r\nx\r\n"),
		"text-links":          numbered(plain, "http://a.example/%d ", "\r\n"),
		"escapes":             repeat(plain, "\x1b[31mx", "\r\n"),
		"unterminated-osc":    repeat(plain, "\x1b]", "\r\n"),
		"flowed":              repeat(header+"Content-Type: text/plain; format=flowed; delsp=yes\r\n\r\n", "a \r\n", "\r\n"),
		"flowed-quotes":       repeat(header+"Content-Type: text/plain; format=flowed\r\n\r\n", ">", "\r\n"),
		"uuencode-begins":     repeat(plain, "begin 644 a\r\n", "\r\n"),
		"calendar-events":     repeat(header+"Content-Type: text/calendar\r\n\r\nBEGIN:VCALENDAR\r\n", "BEGIN:VEVENT\r\n", "\r\n"),
		"dsn-recipients":      numbered(header+"Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n", "Final-Recipient: rfc822; u%d@x.example\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n", "--b--\r\n"),
		"rfc822-nested":       repeat(header, "Content-Type: message/rfc822\r\n\r\n", "From: x\r\n\r\nx"),
		"tnef":                repeat(mixed+"--b\r\nContent-Type: application/ms-tnef; name=winmail.dat\r\nContent-Transfer-Encoding: base64\r\n\r\n", "eJ8+IgAA", "\r\n--b--\r\n"),
	}
	// 2026-12-07: uuencoded blocks taken out of the text, S/MIME blobs
	// opened, NUL bytes and mixed charsets in header fields, long folds.
	uu := "begin 644 a\r\n#86)C\r\n`\r\nend\r\n"
	smime := header + "Content-Type: application/pkcs7-mime; smime-type=signed-data\r\nContent-Transfer-Encoding: base64\r\n\r\n"
	m["uuencode-blocks"] = repeat(plain, uu, "")
	m["uuencode-long-block"] = repeat(plain+"begin 644 big.bin\r\n", "M"+strings.Repeat("86)C", 15)+"\r\n", "`\r\nend\r\n")
	m["uuencode-hostile-names"] = numbered(plain, "begin 644 ../\x1b]0;x\x07%d\u202e\x00/"+strings.Repeat("n", 300)+"\r\n#86)C\r\n`\r\nend\r\n", "")
	m["smime-der-junk"] = repeat(smime, "MIAGCSqGSIb3DQEHAqCAMIACAQEx", "\r\n")
	m["smime-der-deep"] = []byte(smime + base64.StdEncoding.EncodeToString(append(bytes.Repeat([]byte{0x30, 0x80}, Size/4), 0)) + "\r\n")
	m["header-nul"] = repeat("From: a\x00b@b.example\r\nSubject: s\x00t\r\n", "X-N: a\x00\x1b[2Jb\r\n", "\r\nbody\x00\r\n")
	m["header-mixed-charsets"] = repeat("From: a@b.example\r\nSubject:", " =?iso-2022-jp?b?GyRCJDMkcyRLJEEkTxsoQg==?= =?koi8-r?q?=F0=D2?= =?shift_jis?b?grGC8YLJgr+CzQ==?= =?utf-7?q?+AOk-?= =?x-unknown?q?=1B[31m?= \xff\xfe", "\r\n\r\nbody\r\n")
	m["header-folds"] = repeat("From: a@b.example\r\nSubject: s", "\r\n x", "\r\n\r\nbody\r\n")
	m["rfc822-multipart-alternating"] = nestedRFC822(Size / 200)
	// 2026-12-07: elements nested in their own kind, each walked once per
	// level around them (docs/reliability.md).
	m["html-pre-nested"] = repeat(html+"a"+strings.Repeat("<pre>", 500), "\n x", "\r\n")
	m["html-links-nested"] = repeat(html+"<svg>"+strings.Repeat(`<a href="https://x.example/">`, 500), "word ", "\r\n")
	// Values whose trigrams are all different, which the index's
	// full-text table costs most on (docs/reliability.md).
	m["subject-distinct"] = numbered("From: a@b.example\r\nSubject:", " w%x", "\r\n\r\nbody\r\n")
	m["to-distinct"] = numbered("From: a@b.example\r\nTo: ", "u%[1]x@h%[1]x.example, ", "z@y.example\r\n\r\nbody\r\n")
	// Addresses net/mail refuses, each its own warning (there were
	// as many, each compared with all before it: quadratic), and the
	// same one many times.
	m["to-unreadable"] = numbered("From: a@b.example\r\nTo: ", "<%x>, ", "z@y.example\r\n\r\nbody\r\n")
	m["to-empties"] = []byte("From: a@b.example\r\nTo: " + strings.Repeat("<>,", Size/3-20) + "z@y.example\r\n\r\nbody\r\n")
	// Parameters Go's media type parser refuses, which made enmime drop
	// the part (TestPartWithAnUnreadableParameterIsKept).
	m["params-unreadable"] = numbered(mixed, "--b\r\nContent-Type: application/pdf; n\xc3\xa9=1; name=a\x01%d.pdf; x=\x7f\r\nContent-Disposition: attachment; filename=\x1b\x07\r\n\r\nx\r\n", "--b--\r\n")
	// 2026-12-08: winmail.dat unpacked (mime/tnef): a stream of hundreds
	// of files with hostile names, and an RTF body of back references,
	// each two bytes making seventeen.
	tnefPart := mixed + "--b\r\nContent-Type: application/ms-tnef; name=winmail.dat\r\nContent-Transfer-Encoding: base64\r\n\r\n"
	m["tnef-files"] = []byte(tnefPart + base64.StdEncoding.EncodeToString(tnefFiles(Size*3/4)) + "\r\n--b--\r\n")
	m["tnef-rtf-references"] = []byte(tnefPart + base64.StdEncoding.EncodeToString(tnefRTF(Size*3/4)) + "\r\n--b--\r\n")
	m["deep-closed"] = nested(1000, true)
	m["deep-unclosed"] = nested(1000, false)
	var b strings.Builder
	b.WriteString(header + "Content-Type: multipart/mixed; boundary=a\r\n\r\n")
	for i := 2; b.Len() < Size-300; i++ {
		fmt.Fprintf(&b, "--%s\r\nContent-Type: multipart/mixed; boundary=%s\r\n\r\n", strings.Repeat("a", i-1), strings.Repeat("a", i))
	}
	m["prefix-boundaries"] = []byte(b.String())
	return m
}

// nestedRFC822 alternates a multipart and a message/rfc822 part depth
// times, each multipart closed.
func nestedRFC822(depth int) []byte {
	var b strings.Builder
	b.WriteString(header)
	for i := range depth {
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=r%d\r\n\r\n--r%d\r\nContent-Type: message/rfc822\r\n\r\nSubject: level %d\r\n", i, i, i)
	}
	b.WriteString("Content-Type: text/plain\r\n\r\nx\r\n")
	for i := depth - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "--r%d--\r\n", i)
	}
	return []byte(b.String())
}

// nested is a multipart nested depth levels deep, each level closed or
// none of them.
func nested(depth int, closed bool) []byte {
	var b strings.Builder
	b.WriteString(header + "Content-Type: multipart/mixed; boundary=b0\r\n\r\n")
	for i := 1; i < depth; i++ {
		fmt.Fprintf(&b, "--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n", i-1, i)
	}
	fmt.Fprintf(&b, "--b%d\r\nContent-Type: text/plain\r\n\r\nx\r\n", depth-1)
	for i := depth - 1; closed && i >= 0; i-- {
		fmt.Fprintf(&b, "--b%d--\r\n", i)
	}
	return []byte(b.String())
}

// tnefAttr is a TNEF attribute of the given level, id and data, with its
// checksum.
func tnefAttr(level byte, id uint32, data []byte) []byte {
	b := binary.LittleEndian.AppendUint32([]byte{level}, id)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(data)))
	b = append(b, data...)
	var sum uint16
	for _, c := range data {
		sum += uint16(c)
	}
	return binary.LittleEndian.AppendUint16(b, sum)
}

// tnefStart is the TNEF signature and a legacy key.
var tnefStart = []byte{0x78, 0x9f, 0x3e, 0x22, 0, 0}

// tnefFiles is a TNEF stream of about size bytes: files of one byte each,
// named with a path, escape sequences and a bidi override.
func tnefFiles(size int) []byte {
	b := append([]byte(nil), tnefStart...)
	for i := 0; len(b) < size; i++ {
		b = append(b, tnefAttr(2, 0x00069002, nil)...)
		b = append(b, tnefAttr(2, 0x00018010, fmt.Appendf(nil, "../\x1b]0;x\x07%d\u202e.txt\x00", i))...)
		b = append(b, tnefAttr(2, 0x0006800F, []byte("x"))...)
	}
	return b
}

// tnefRTF is a TNEF stream of about size bytes whose message holds a
// compressed RTF body (PR_RTF_COMPRESSED, CRC right, a raw size of 4 GB)
// of one letter, then back references to the byte before, 17 bytes each.
func tnefRTF(size int) []byte {
	data := []byte{0xFE, 'a'} // a literal, then seven references
	w := 208                  // the dictionary's write position: after its 207 bytes and the 'a'
	for refs := 7; len(data) < size; refs = 8 {
		if refs == 8 {
			data = append(data, 0xFF)
		}
		for range refs {
			ref := (w-1)&4095<<4 | 15
			data = append(data, byte(ref>>8), byte(ref))
			w += 17
		}
	}
	rtf := binary.LittleEndian.AppendUint32(nil, uint32(len(data)+12))
	rtf = binary.LittleEndian.AppendUint32(rtf, 0xFFFFFFFF)
	rtf = binary.LittleEndian.AppendUint32(rtf, 0x75465A4C)
	rtf = binary.LittleEndian.AppendUint32(rtf, ^crc32.Update(0xFFFFFFFF, crc32.IEEETable, data))
	rtf = append(rtf, data...)
	props := binary.LittleEndian.AppendUint32(nil, 1)
	props = binary.LittleEndian.AppendUint16(props, 0x0102) // PT_BINARY
	props = binary.LittleEndian.AppendUint16(props, 0x1009) // PR_RTF_COMPRESSED
	props = binary.LittleEndian.AppendUint32(props, 1)
	props = binary.LittleEndian.AppendUint32(props, uint32(len(rtf)))
	props = append(props, rtf...)
	for len(props)%4 != 0 {
		props = append(props, 0)
	}
	return append(append([]byte(nil), tnefStart...), tnefAttr(1, 0x00069003, props)...)
}
