package mime

import (
	"bytes"
	"fmt"
	gomime "mime"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/sesbox/sesbox/mailstore"
)

// Bounds on the uuencoded files taken out of a text body, which is the
// sender's: at most maxUuencoded files (more stay text, with a notice), of
// at most maxUuBytes decoded in all, each name cut to maxUuName bytes.
const (
	maxUuencoded = 64
	maxUuBytes   = 32 << 20
	maxUuName    = 255
)

// extractUuencoded takes the uuencoded files out of text (old mailers and
// scripts wrote them into the body, not into parts of their own): each
// "begin MODE NAME" line followed by at least one line of uuencoded data,
// to the "end" line (after the zero-length line, which a mailer may have
// stripped to an empty one), or to the last data line when the end was
// lost. Each becomes a Part (numbered from next, Embedded, an attachment)
// holding what it decodes to, and the text shows one line in its place.
// notes say what the text cannot: a file cut short, files left as text.
func extractUuencoded(text string, next int, d *decoder) (files []Part, shown string, notes []string) {
	if !strings.Contains(text, "begin ") {
		return nil, text, nil
	}
	lines := strings.SplitAfter(text, "\n")
	var b strings.Builder
	total, left := 0, 0
	for i := 0; i < len(lines); {
		name, ok := uuBegin(lines[i])
		end := i + 1
		for end < len(lines) && uuDataLine(lines[end]) {
			end++
		}
		if !ok || end == i+1 {
			b.WriteString(lines[i])
			i++
			continue
		}
		stop, closed := end, false
		if k := end; k < len(lines) {
			if z := strings.TrimRight(lines[k], "\r\n"); z == "" || z == "`" || z == " " {
				k++
			}
			if k < len(lines) && strings.TrimRight(lines[k], "\r\n") == "end" {
				stop, closed = k+1, true
			}
		}
		content, _ := uudecode([]byte(strings.Join(lines[i:end], "")))
		if len(files) == maxUuencoded || total+len(content) > maxUuBytes {
			left++
			b.WriteString(strings.Join(lines[i:stop], ""))
			i = stop
			continue
		}
		total += len(content)
		p := uuPart(next+len(files), name, content, d)
		files = append(files, p)
		cut := ""
		if !closed {
			cut = ", cut short (no end line)"
			notes = append(notes, fmt.Sprintf("The uuencoded file %s (part %d) is cut short: the text ends its data without an end line, so the part holds only what came.", p.Filename, p.Index))
		}
		fmt.Fprintf(&b, "[uuencoded file %s, %s%s: part %d]\n", p.Filename, mailstore.FormatSize(int64(p.Size)), cut, p.Index)
		i = stop
	}
	if left > 0 {
		notes = append(notes, fmt.Sprintf("The text holds %d more uuencoded files than sesbox takes out of a text (%d files, %s): they are shown as text; to save them, pipe sesbox show --raw into uudecode.",
			left, maxUuencoded, mailstore.FormatSize(maxUuBytes)))
	}
	return files, b.String(), notes
}

// uuBegin reads a "begin MODE NAME" line: MODE three or four octal
// digits, NAME the rest of the line (blanks trimmed), cut to maxUuName
// bytes with an ellipsis.
func uuBegin(line string) (name string, ok bool) {
	rest, ok := strings.CutPrefix(strings.TrimRight(line, "\r\n"), "begin ")
	if !ok {
		return "", false
	}
	mode, name, ok := strings.Cut(rest, " ")
	name = strings.TrimSpace(name)
	if !ok || len(mode) < 3 || len(mode) > 4 || strings.Trim(mode, "01234567") != "" || name == "" {
		return "", false
	}
	return cutName(name), true
}

// cutName is a sender's file name cut to maxUuName bytes, with an
// ellipsis when cut.
func cutName(name string) string {
	if len(name) > maxUuName {
		cut := maxUuName
		for cut > 0 && !utf8.RuneStart(name[cut]) {
			cut--
		}
		name = name[:cut] + "…"
	}
	return name
}

// uuDataLine reports a line of uuencoded data: a length character for
// 1 to 63 bytes, then as many groups of four characters as that takes,
// every character between ' ' and '`'. A mailer may have stripped
// trailing blanks (zeros, in the space-for-zero encoding), so up to three
// characters may lack; an encoder may have added a check character or two.
// Prose always fails it: its lower-case letters are beyond '`'.
func uuDataLine(line string) bool {
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return false
	}
	n := int((line[0] - ' ') & 63)
	if line[0] < ' ' || line[0] > '`' || n == 0 {
		return false
	}
	want, got := (n+2)/3*4, len(line)-1
	if got < want-3 || got > want+2 {
		return false
	}
	for i := 1; i < len(line); i++ {
		if line[i] < ' ' || line[i] > '`' {
			return false
		}
	}
	return true
}

// uuPart is the Part of a uuencoded file named name (see filePart).
func uuPart(index int, name string, content []byte, d *decoder) Part {
	p := filePart(index, name, content, d)
	p.uuencoded = true
	return p
}

// filePart is the Part of a file taken out of another part (uuencoded in
// a text, inside a TNEF wrapping): an Embedded attachment, its type from
// the name's extension, a text file's Content in UTF-8 as a text part's
// is (Bytes saves it as it came).
func filePart(index int, name string, content []byte, d *decoder) Part {
	ct := "application/octet-stream"
	if ext := path.Ext(strings.ReplaceAll(name, `\`, "/")); ext != "" && !strings.ContainsAny(ext, "\x00 ") {
		if t, _, err := gomime.ParseMediaType(gomime.TypeByExtension(ext)); err == nil {
			ct = t
		}
	}
	p := Part{Index: index, ContentType: ct, Filename: name, Disposition: "attachment", Size: len(content),
		IsAttachment: true, Embedded: true, Content: content}
	if strings.HasPrefix(ct, "text/") && !utf8.Valid(content) {
		p.original = content
		p.Content = []byte(d.decodeBody("", content))
	}
	return p
}

// uudecode decodes uuencoded data: from the line after "begin MODE NAME"
// to "end" or a line of length 0 (or the end of the data), each line a
// length character and groups of four 6-bit characters ("`" is 0). It is
// lenient as transferDecode is: a line shorter than its length gives what
// it holds. ok is false without a begin line.
func uudecode(b []byte) (out []byte, ok bool) {
	lines := strings.Split(string(b), "\n")
	i := 0
	for ; i < len(lines); i++ {
		if strings.HasPrefix(lines[i], "begin ") {
			break
		}
	}
	if i == len(lines) {
		return nil, false
	}
	six := func(c byte) byte { return (c - ' ') & 63 }
	for _, line := range lines[i+1:] {
		line = strings.TrimRight(line, "\r")
		if line == "" || line == "end" {
			if line == "end" {
				break
			}
			continue
		}
		n := int(six(line[0]))
		if n == 0 {
			break
		}
		data := line[1:]
		for j := 0; n > 0 && j < len(data); j += 4 {
			var g [4]byte
			for k := range g {
				if j+k < len(data) {
					g[k] = six(data[j+k])
				}
			}
			for _, c := range [3]byte{g[0]<<2 | g[1]>>4, g[1]<<4 | g[2]>>2, g[2]<<6 | g[3]} {
				if n > 0 {
					out = append(out, c)
					n--
				}
			}
		}
	}
	return out, true
}

// mayHoldUuencoded reports bytes where extractUuencoded may find a file:
// a "begin" and an octal mode, as uuBegin reads them (not only at a
// line's start: a body rendered from HTML may start a line there). It is
// CountAttachments' sign that the text must be read as Parse reads it.
func mayHoldUuencoded(b []byte) bool {
	for {
		i := bytes.Index(b, []byte("begin "))
		if i < 0 {
			return false
		}
		b = b[i+len("begin "):]
		mode := 0
		for mode < len(b) && mode < 5 && '0' <= b[mode] && b[mode] <= '7' {
			mode++
		}
		if 3 <= mode && mode <= 4 && mode < len(b) && b[mode] == ' ' {
			return true
		}
	}
}

// encodedMayHoldUuencoded is mayHoldUuencoded(transferDecode(cte, b)),
// the check CountAttachments makes of every text's first bytes, without
// decoding b when its encoded bytes already show that what they decode
// to holds no "begin" (qpMayHoldBegin, base64MayHoldBegin): decoding the
// quoted-printable first range of a text through mime/quotedprintable
// took about 6% of a cold index's instructions, for a "begin" almost no
// text holds.
func encodedMayHoldUuencoded(cte string, b []byte) bool {
	switch normalEncoding(cte) {
	case "quoted-printable":
		if !qpMayHoldBegin(b) {
			return false
		}
	case "base64":
		if !base64MayHoldBegin(b) {
			return false
		}
	default:
		return mayHoldUuencoded(b)
	}
	return mayHoldUuencoded(transferDecode(cte, b))
}

// qpMayHoldBegin reports whether the quoted-printable b may decode
// (transferDecode) to bytes holding "begin". Each of its letters is a
// byte of b or an escape "=6X" (they are 0x62-0x6e), and a soft line
// break ("=" at a line's end) may join them: so "begin" is in b, or an
// escape "=6" is, or a "=" follows one of "b", "be", "beg", "begi".
// Nothing else the decoder does makes letters meet: it drops blanks at a
// line's end (before its line break, which no letter of "begin" is) and
// stops at bytes it refuses.
func qpMayHoldBegin(b []byte) bool {
	if bytes.Contains(b, []byte("begin")) || bytes.Contains(b, []byte("=6")) {
		return true
	}
	for i := indexByteFrom(b, 0, '='); i < len(b); i = indexByteFrom(b, i+1, '=') {
		for _, p := range [...]string{"b", "be", "beg", "begi"} {
			if bytes.HasSuffix(b[:i], []byte(p)) {
				return true
			}
		}
	}
	return false
}

// base64MayHoldBegin reports whether the base64 b may decode
// (decodeBase64Lenient) to bytes holding "begin": b without the blanks,
// line breaks and "=" the decoder drops holds the characters that encode
// "begin" at one of its three offsets in a group of three bytes
// (b64Begin; the characters it shares with its neighbours left out).
// The decoder stops at the first byte it refuses, so what it gives is
// the decoding of a prefix of those characters.
func base64MayHoldBegin(b []byte) bool {
	kept := make([]byte, 0, len(b))
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if bytes.IndexByte(line, '=') < 0 && bytes.IndexByte(line, ' ') < 0 &&
			bytes.IndexByte(line, '\t') < 0 && bytes.IndexByte(line, '\r') < 0 {
			kept = append(kept, line...)
			continue
		}
		for _, c := range line {
			if c != '=' && c != ' ' && c != '\t' && c != '\r' {
				kept = append(kept, c)
			}
		}
	}
	for _, p := range b64Begin {
		if bytes.Contains(kept, []byte(p)) {
			return true
		}
	}
	return false
}

// b64Begin is what base64 makes of "begin" at each offset in a group of
// three bytes: "beg" "in?" -> "YmVn" "aW?"; "?be" "gin" -> "??Jl" "Z2lu";
// "??b" "egi" "n??" -> "???i" "ZWdp" "b???" (TestBase64OfBegin).
var b64Begin = [...]string{"YmVnaW", "JlZ2lu", "iZWdpb"}
