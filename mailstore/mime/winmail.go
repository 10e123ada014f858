package mime

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/mime/tnef"
)

// isTNEF reports a part that says it is Outlook's TNEF wrapping: its
// type, or the name Outlook gives it (a relay may have relabelled it
// application/octet-stream), or, whatever its name, the TNEF signature.
func isTNEF(p Part) bool {
	return p.ContentType == "application/ms-tnef" || p.ContentType == "application/vnd.ms-tnef" ||
		strings.EqualFold(p.Filename, "winmail.dat") ||
		(len(p.Content) >= 4 && binary.LittleEndian.Uint32(p.Content) == tnef.Signature)
}

// openTNEF unpacks each TNEF part of v (winmail.dat), one of its MIME
// parts or of the message inside an S/MIME signature (not a file inside
// another TNEF part: nothing recurses): the files inside are listed
// after v's parts, Embedded and Within that part, so the summary's count stays the MIME parts'
// (winmail.dat counts as one attachment, as the list counts it from the
// part headers); when v has no body of its own, the one inside (HTML,
// RTF or text) is v's. A notice says what was found, warnings what could
// not be read.
func openTNEF(v *View, d *decoder) {
	for i, n := 0, len(v.Parts); i < n; i++ {
		p := v.Parts[i]
		if p.Within > 0 || !isTNEF(p) {
			continue
		}
		head := fmt.Sprintf("Part %d is Outlook's TNEF wrapping (winmail.dat)", p.Index)
		m, err := tnef.Decode(p.Content, codepageDecoder(d))
		if err != nil {
			v.Notices = append(v.Notices, head+": it does not hold a TNEF stream, so sesbox cannot unpack it (save it, then use tnef or ytnef).")
			continue
		}
		first := len(v.Parts) + 1
		var unopened []string
		for _, a := range m.Attachments {
			if a.EmbeddedMessage() {
				unopened = append(unopened, orUnnamed(a.Name))
				continue
			}
			f := filePart(len(v.Parts)+1, cutName(a.Name), a.Data, d)
			if t, _, _, err := parseMediaType(a.MIMEType); err == nil && strings.Contains(t, "/") && len(t) <= maxUuName {
				f.ContentType = t
			}
			f.Within = p.Index
			v.Parts = append(v.Parts, f)
		}
		var says []string
		switch files := len(v.Parts) - first + 1; files {
		case 0:
			if len(m.Problems) > 0 {
				says = append(says, "sesbox could read no files from it (the warnings say why)")
			} else {
				says = append(says, "it holds no files")
			}
		case 1:
			says = append(says, fmt.Sprintf("the file inside it is part %d", first))
		default:
			says = append(says, fmt.Sprintf("the %d files inside it are parts %d to %d", files, first, len(v.Parts)))
		}
		if len(unopened) > 0 {
			says = append(says, fmt.Sprintf("it holds %s (%s), which sesbox does not open: save part %d and use tnef or ytnef",
				mailstore.Count(len(unopened), "attached Outlook message"), strings.Join(unopened, ", "), p.Index))
		}
		if m.Dropped > 0 {
			says = append(says, fmt.Sprintf("%d more files than sesbox lists (%d) are left in it: save part %d and use tnef or ytnef", m.Dropped, tnef.MaxAttachments, p.Index))
		}
		if strings.TrimSpace(v.Body()) == "" && !v.holdsMessages() {
			if kind := tnefBody(v, m, d); kind != "" {
				says = append(says, "the body shown is its "+kind)
			}
		}
		v.Notices = append(v.Notices, head+": "+strings.Join(says, "; ")+".")
		for _, pr := range m.Problems {
			v.warn("TNEF part %d: %s", p.Index, pr)
		}
		if m.BadChecksums > 0 {
			v.warn("TNEF part %d: %s fail their checksum (kept as they are)", p.Index, mailstore.Count(m.BadChecksums, "attribute"))
		}
	}
}

// tnefBody makes m's body v's: its HTML, else its RTF (the HTML Outlook
// encapsulated in it, or its text), else its plain text. It returns
// which it was, or "" when m has none.
func tnefBody(v *View, m *tnef.Message, d *decoder) string {
	if len(m.HTML) > 0 {
		charset := htmlMetaCharset(m.HTML)
		if charset == "" {
			charset = codepageCharset(m.HTMLCodepage)
		}
		setHTML(v, d.decodeBody(charset, m.HTML))
		return "HTML"
	}
	if len(m.RTF) > 0 {
		rtf, err := tnef.DecompressRTF(m.RTF)
		if err != nil {
			v.warn("TNEF: the RTF body: %v", err)
		}
		text, html := tnef.RTFText(rtf, codepageDecoder(d))
		switch {
		case html && strings.TrimSpace(text) != "":
			setHTML(v, text)
			return "HTML (from its RTF)"
		case strings.TrimSpace(text) != "":
			v.Text = toLF(text)
			return "RTF as text"
		}
	}
	if strings.TrimSpace(m.Body) != "" {
		v.Text = toLF(m.Body)
		return "text"
	}
	return ""
}

// setHTML makes html v's HTML body, rendered as text.
func setHTML(v *View, html string) {
	v.HTML = toLF(strings.ToValidUTF8(html, "\uFFFD"))
	var err error
	if v.HTMLText, v.Links, err = htmlToText(v.HTML); err != nil {
		v.warn("cannot render the HTML body: %v", err)
	}
}

// codepageDecoder decodes a Windows code page's bytes as d decodes a
// charset's (code page 0: UTF-8 if valid, else windows-1252).
func codepageDecoder(d *decoder) tnef.Decoder {
	return func(cp int, b []byte) string { return d.decodeBody(codepageCharset(cp), b) }
}

// codepageCharset is the charset label of a Windows code page, "" for
// 0 (unknown).
func codepageCharset(cp int) string {
	switch {
	case cp <= 0:
		return ""
	case cp == 65001:
		return "utf-8"
	case cp == 20127:
		return "us-ascii"
	case cp == 1200:
		return "utf-16le"
	case cp == 932:
		return "shift_jis"
	case cp == 936:
		return "gbk"
	case cp == 949:
		return "euc-kr"
	case cp == 950:
		return "big5"
	case cp == 20866:
		return "koi8-r"
	case cp == 21866:
		return "koi8-u"
	case cp == 50220:
		return "iso-2022-jp"
	case cp == 51932:
		return "euc-jp"
	case cp == 54936:
		return "gb18030"
	case 28591 <= cp && cp <= 28605:
		return "iso-8859-" + strconv.Itoa(cp-28590)
	case cp == 874 || 1250 <= cp && cp <= 1258:
		return "windows-" + strconv.Itoa(cp)
	}
	return "ibm" + strconv.Itoa(cp) // 437, 850, 852, 866...
}

// orUnnamed is a name, or "no name".
func orUnnamed(name string) string {
	if name == "" {
		return "no name"
	}
	return cutName(name)
}
