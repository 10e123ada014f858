package forward

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"mime"
	"slices"
	"strconv"
	"strings"

	"github.com/sesbox/sesbox/mailstore/headerfold"
)

// ErrLongLine is returned (wrapped) by Rewrite when the body has a line
// over RFC 5322's 998 octets in a place that cannot be re-encoded (a
// multipart's preamble or epilogue, a part whose Content-Type cannot be
// read; a part's header line is fitted as the message's are, or refused
// with ErrUnfoldable): SES would refuse the message, and
// cutting the line would change what the sender wrote. Nothing is sent.
var ErrLongLine = errors.New("a body line longer than 998 octets that cannot be re-encoded")

// maxPartDepth bounds the recursion into nested multiparts and messages;
// deeper long lines are refused (ErrLongLine), never walked for ever.
const maxPartDepth = 32

// fitLongLines returns raw with every line of its body within 998 octets,
// or raw itself when they already are (nearly all mail: the Lambda's bytes
// then, difference 31). The leaf parts that hold a longer line are
// re-encoded so that their decoded content is byte for byte what it was:
// a base64 part is wrapped again at 76 characters, a quoted-printable one
// gets soft line breaks, a 7bit, 8bit or binary text part becomes
// quoted-printable and any other base64, with its Content-Transfer-Encoding
// changed (and MIME-Version added to a message without one, without which
// no reader decodes). Parts without long lines are not touched, so a
// signed part stays verifiable.
//
// The parts whose Content-Transfer-Encoding changed are listed, in order.
func fitLongLines(raw []byte) ([]byte, []Reencoding, error) {
	header, body := splitMessage(raw)
	if headerfold.LongestLine(body) <= headerfold.Hard {
		return raw, nil, nil
	}
	eol := lineEnding(raw)
	var rec []Reencoding
	h, b, err := fitEntity(header, body, eol, 0, true, "", &rec)
	if err != nil {
		return nil, nil, err
	}
	// h may be raw's own header: appended to, it would overwrite raw.
	out := append(append(make([]byte, 0, len(h)+len(b)), h...), b...)
	if _, ob := splitMessage(out); headerfold.LongestLine(ob) > headerfold.Hard {
		return nil, nil, fmt.Errorf("rewrite: %w", ErrLongLine)
	}
	return out, rec, nil
}

// Reencoding is a part whose Content-Transfer-Encoding Rewrite changed to
// bring its lines within 998 octets (difference 31): its decoded content is
// the same, but a signature over the part's encoded form no longer holds.
type Reencoding struct {
	// Part is the part's number as IMAP numbers it ("1" for the body of a
	// message that is not multipart, "2.1" for the first part of the
	// second).
	Part string `json:"part"`
	// From and To are the encodings before ("7bit" when none was
	// declared) and after.
	From string `json:"from"`
	To   string `json:"to"`
}

// fitEntity fits the body of one MIME entity (the message, a part, or a
// message inside a message/rfc822 part) whose header is header; body
// starts with the empty line that ends the header, as splitMessage cuts
// it. top says the entity is the message itself, whose header needs a
// MIME-Version for its new encoding to be read. num is the entity's part
// number ("" for the message itself, or for an encapsulated message the
// number of its message/rfc822 part, with ".1" added for a body that is not
// multipart); a part whose encoding changes is added to rec.
func fitEntity(header, body []byte, eol string, depth int, top bool, num string, rec *[]Reencoding) ([]byte, []byte, error) {
	if !top && headerfold.LongestLine(header) > headerfold.Hard {
		// A part's header (Rewrite fits the message's own).
		var h []byte
		for _, f := range parseFields(header) {
			line, err := fitPassedField(f.raw, fieldEnd(&f, eol))
			if err != nil {
				return nil, nil, err
			}
			h = append(h, line...)
		}
		header = h
	}
	if headerfold.LongestLine(body) <= headerfold.Hard {
		return header, body, nil
	}
	if depth > maxPartDepth {
		return nil, nil, fmt.Errorf("rewrite: %w (parts nested over %d deep)", ErrLongLine, maxPartDepth)
	}
	sep, content := cutEmptyLine(body)
	ctype, cte := "text/plain", ""
	var params map[string]string
	for _, f := range parseFields(header) {
		name := strings.ToLower(strings.TrimRight(string(f.raw[:max(f.colon, 0)]), " \t"))
		switch {
		case f.colon < 0:
		case name == "content-type":
			t, p, err := mime.ParseMediaType(string(unfold(f.value())))
			if err != nil {
				return nil, nil, fmt.Errorf("rewrite: %w (Content-Type %q: %v)", ErrLongLine, clipValue(unfold(f.value())), err)
			}
			ctype, params = t, p
		case name == "content-transfer-encoding":
			cte = strings.ToLower(string(unfold(f.value())))
		}
	}
	switch {
	case strings.HasPrefix(ctype, "multipart/"):
		c, err := fitMultipart(content, params["boundary"], eol, depth, num, rec)
		if err != nil {
			return nil, nil, err
		}
		return header, append(bytes.Clone(sep), c...), nil
	case ctype == "message/rfc822" || ctype == "message/global":
		// Its content is a message of its own, which RFC 2046 allows in
		// 7bit, 8bit or binary only: its own parts are re-encoded.
		h, b := splitMessage(content)
		h, b, err := fitEntity(h, b, eol, depth+1, false, cmp.Or(num, "1")+".", rec)
		if err != nil {
			return nil, nil, err
		}
		return header, append(append(bytes.Clone(sep), h...), b...), nil
	}
	var newCTE string
	switch cte {
	case "base64":
		content = wrapBase64(content, eol)
	case "quoted-printable":
		content = softBreaks(content, eol)
	case "", "7bit", "8bit", "binary":
		if strings.HasPrefix(ctype, "text/") {
			content, newCTE = encodeQP(content, eol), "quoted-printable"
		} else {
			content, newCTE = wrapBase64([]byte(base64.StdEncoding.EncodeToString(content)), eol), "base64"
		}
	default:
		// Another encoding (x-uuencode): labelled quoted-printable or
		// base64, it would decode to other bytes than its reader's.
		return nil, nil, fmt.Errorf("rewrite: %w (a part in Content-Transfer-Encoding %q)", ErrLongLine, clipValue([]byte(cte)))
	}
	if newCTE != "" {
		header = setTransferEncoding(header, newCTE, eol, top)
		part := num
		switch {
		case part == "":
			part = "1"
		case strings.HasSuffix(part, "."):
			part += "1" // the body of an encapsulated message
		}
		*rec = append(*rec, Reencoding{Part: part, From: cmp.Or(cte, "7bit"), To: newCTE})
	}
	return header, append(bytes.Clone(sep), content...), nil
}

// cutEmptyLine splits a body as splitMessage returns it into the empty
// line that ends the header and the content after it.
func cutEmptyLine(body []byte) (sep, content []byte) {
	if nl := bytes.IndexByte(body, '\n'); nl >= 0 && nl <= 1 {
		return body[:nl+1], body[nl+1:]
	}
	return body, nil // "" or a lone "\r": no content
}

// fitMultipart fits each part of a multipart's content. A part runs from
// after its delimiter line to before the line break that precedes the
// next delimiter (RFC 2046 5.1.1: that break belongs to the delimiter);
// the preamble, the epilogue and the delimiters are kept as they are.
func fitMultipart(content []byte, boundary, eol string, depth int, num string, rec *[]Reencoding) ([]byte, error) {
	if boundary == "" {
		return nil, fmt.Errorf("rewrite: %w (a multipart without a boundary)", ErrLongLine)
	}
	dash := []byte("--" + boundary)
	isDelim := func(line []byte) (delim, closing bool) {
		line = bytes.TrimRight(line, " \t\r\n")
		if !bytes.HasPrefix(line, dash) {
			return false, false
		}
		rest := line[len(dash):]
		return len(rest) == 0 || string(rest) == "--", string(rest) == "--"
	}
	var out []byte
	parts := 0
	child := func() string {
		parts++
		return strings.TrimSuffix(num, ".") + "." + strconv.Itoa(parts)
	}
	if num == "" {
		child = func() string { parts++; return strconv.Itoa(parts) }
	}
	partStart := -1 // where the open part's content starts, -1 before the first delimiter
	emit := func(end int) error {
		// end is the start of the delimiter line: the part ends before
		// the line break in front of it.
		stop := end
		if stop > partStart && content[stop-1] == '\n' {
			stop--
			if stop > partStart && content[stop-1] == '\r' {
				stop--
			}
		}
		h, b := splitMessage(content[partStart:stop])
		h, b, err := fitEntity(h, b, eol, depth+1, false, child(), rec)
		if err != nil {
			return err
		}
		out = append(append(append(out, h...), b...), content[stop:end]...)
		return nil
	}
	for off := 0; off < len(content); {
		end := len(content)
		if nl := bytes.IndexByte(content[off:], '\n'); nl >= 0 {
			end = off + nl + 1
		}
		delim, closing := isDelim(content[off:end])
		if delim {
			if partStart < 0 {
				out = append(out, content[:off]...) // the preamble
			} else if err := emit(off); err != nil {
				return nil, err
			}
			out = append(out, content[off:end]...)
			partStart = end
			if closing {
				return append(out, content[end:]...), nil // the epilogue
			}
		}
		off = end
	}
	if partStart < 0 {
		return content, nil // no part: left to fitLongLines's last check
	}
	// Not closed: the last part runs to the end.
	h, b := splitMessage(content[partStart:])
	h, b, err := fitEntity(h, b, eol, depth+1, false, child(), rec)
	if err != nil {
		return nil, err
	}
	return append(append(out, h...), b...), nil
}

// wrapBase64 writes base64 text again in lines of 76 characters. Only
// line breaks are removed: decoders skip them, so what decodes is the same
// whatever else the text holds.
func wrapBase64(b []byte, eol string) []byte {
	flat := bytes.ReplaceAll(bytes.ReplaceAll(b, []byte("\n"), nil), []byte("\r"), nil)
	out := make([]byte, 0, len(flat)+len(flat)/76*len(eol)+len(eol))
	for len(flat) > 76 {
		out = append(append(out, flat[:76]...), eol...)
		flat = flat[76:]
	}
	out = append(out, flat...)
	if len(flat) > 0 && bytes.HasSuffix(b, []byte("\n")) {
		out = append(out, eol...)
	}
	return out
}

// softBreaks breaks the lines of quoted-printable text over 76 characters
// with soft line breaks ("=" and a line break), never inside an "=XX"
// escape: decoders remove them, so the decoded text is the same.
func softBreaks(b []byte, eol string) []byte {
	var out []byte
	for off := 0; off < len(b); {
		end := len(b)
		if nl := bytes.IndexByte(b[off:], '\n'); nl >= 0 {
			end = off + nl + 1
		}
		line, term := splitEOL(b[off:end])
		out = appendSoftBroken(out, line, eol)
		out = append(out, term...)
		off = end
	}
	return out
}

// appendSoftBroken appends a line of quoted-printable text, with soft
// line breaks so that no line is over 76 characters. A break never falls
// inside an escape, nor right after a literal blank (which a decoder would
// take for trailing white space and drop): in a run of blanks too long to
// break after something else, the blank before the break is escaped
// (=09, =20), which decodes to the same byte.
func appendSoftBroken(out, line []byte, eol string) []byte {
	const hex = "0123456789ABCDEF"
	for len(line) > 76 {
		cut := 75
		for cut > 1 && (line[cut-1] == '=' || line[cut-2] == '=' || line[cut-1] == ' ' || line[cut-1] == '\t') {
			cut--
		}
		if cut > 1 {
			out = append(append(append(out, line[:cut]...), '='), eol...)
			line = line[cut:]
			continue
		}
		// Only blanks and escapes: break after the last blank within 72
		// characters (the blank written as "=XX", then "=": at most 75),
		// escaped. A blank is never part of an escape.
		cut = 72
		for cut > 0 && line[cut-1] != ' ' && line[cut-1] != '\t' {
			cut--
		}
		if cut == 0 {
			return append(out, line...) // cannot be: left to the last check
		}
		c := line[cut-1]
		out = append(append(append(out, line[:cut-1]...), '=', hex[c>>4], hex[c&15], '='), eol...)
		line = line[cut:]
	}
	return append(out, line...)
}

// encodeQP encodes text as quoted-printable, keeping its line breaks
// (LF or CRLF, as written) as hard line breaks, so it decodes to the same
// bytes: "=", bytes outside printable ASCII and a bare CR are escaped, and
// so is a blank that ends a line, which decoders drop.
func encodeQP(b []byte, eol string) []byte {
	const hex = "0123456789ABCDEF"
	var out []byte
	for off := 0; off < len(b); {
		end := len(b)
		if nl := bytes.IndexByte(b[off:], '\n'); nl >= 0 {
			end = off + nl + 1
		}
		line, term := splitEOL(b[off:end])
		enc := make([]byte, 0, len(line)+len(line)/8)
		for i, c := range line {
			last := i == len(line)-1
			if c == '=' || c == '\r' || (c < ' ' && c != '\t') || c > '~' || (last && (c == ' ' || c == '\t')) {
				enc = append(enc, '=', hex[c>>4], hex[c&15])
			} else {
				enc = append(enc, c)
			}
		}
		out = appendSoftBroken(out, enc, eol)
		out = append(out, term...)
		off = end
	}
	return out
}

// splitEOL splits a line from its line break (LF or CRLF).
func splitEOL(l []byte) (line, term []byte) {
	switch {
	case bytes.HasSuffix(l, []byte("\r\n")):
		return l[:len(l)-2], l[len(l)-2:]
	case bytes.HasSuffix(l, []byte("\n")):
		return l[:len(l)-1], l[len(l)-1:]
	}
	return l, nil
}

// setTransferEncoding replaces the header's Content-Transfer-Encoding
// fields with one naming cte, where the first was (else at the end), and,
// when mimeVersion is set, adds MIME-Version when the header has none.
func setTransferEncoding(header []byte, cte, eol string, mimeVersion bool) []byte {
	var out []byte
	done, hasVersion := false, false
	fields := parseFields(header)
	for _, f := range fields {
		name := ""
		if f.colon >= 0 {
			name = strings.ToLower(strings.TrimRight(string(f.raw[:f.colon]), " \t"))
		}
		switch name {
		case "content-transfer-encoding":
			if !done {
				out = append(out, "Content-Transfer-Encoding: "+cte+fieldEnd(&f, eol)...)
				done = true
			}
			continue
		case "mime-version":
			hasVersion = true
		}
		out = append(out, f.raw...)
	}
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, eol...)
	}
	if !done {
		out = append(out, "Content-Transfer-Encoding: "+cte+eol...)
	}
	if mimeVersion && !hasVersion {
		out = append(out, "MIME-Version: 1.0"+eol...)
	}
	return out
}

// fieldEnd is f's line ending, eol when it has none.
func fieldEnd(f *field, eol string) string {
	if t := f.terminator(); t != "" {
		return t
	}
	return eol
}

// clip shortens a value quoted in an error.
func clipValue(b []byte) string {
	if len(b) > 60 {
		return string(b[:60]) + "…"
	}
	return string(b)
}

// fitPassedField is foldPassed, and for a Content-Type or
// Content-Disposition field that folding cannot fit (a long file name)
// the field written again with its long parameters as RFC 2231
// continuations, which decode to the same values.
func fitPassedField(f []byte, eol string) ([]byte, error) {
	line, err := foldPassed(f, eol)
	if err == nil {
		return line, nil
	}
	if line, ok := continuedParams(f, eol); ok {
		return line, nil
	}
	if spaced, ok := spacedList(f); ok {
		return foldPassed(spaced, eol)
	}
	return nil, err
}

// spacedList writes a field that is a list with no blank to fold at
// with a blank where RFC 5322 allows one (CFWS) and headerfold can then
// fold: in an In-Reply-To or References before each message id glued to
// the one before ("<a@x><b@x>", which RFC 5322 3.6.4 allows, or
// "<a@x>,<b@x>", RFC 822's list form seen in the wild), in an address
// list (To, Cc, Bcc and their Resent- forms) after each comma ("a@x,b@x").
// Readers find the same ids or addresses in the same order. A "<" or ","
// inside a quoted string or a comment is left alone. It reports false for
// another field, or when there is nothing to space.
func spacedList(f []byte) ([]byte, bool) {
	colon := bytes.IndexByte(f, ':')
	if colon < 0 {
		return nil, false
	}
	name := bytes.TrimRight(f[:colon], " \t")
	ids := asciiEqualFold(name, "in-reply-to") || asciiEqualFold(name, "references")
	addrs := false
	for _, n := range []string{"to", "cc", "bcc", "resent-to", "resent-cc", "resent-bcc"} {
		addrs = addrs || asciiEqualFold(name, n)
	}
	if !ids && !addrs {
		return nil, false
	}
	out := append(make([]byte, 0, len(f)+len(f)/16), f[:colon+1]...)
	quoted, comment, spaced := false, 0, false
	for i := colon + 1; i < len(f); i++ {
		c := f[i]
		switch {
		case c == '\\' && (quoted || comment > 0) && i+1 < len(f):
			out = append(out, c)
			i++
			c = f[i]
		case quoted:
			quoted = c != '"'
		case comment > 0 && c == ')':
			comment--
		case c == '(':
			comment++
		case comment > 0:
		case c == '"':
			quoted = true
		case ids && c == '<' && (out[len(out)-1] == '>' || out[len(out)-1] == ','):
			out = append(out, ' ')
			spaced = true
		case addrs && out[len(out)-1] == ',' && c != ' ' && c != '\t' && c != '\r' && c != '\n':
			out = append(out, ' ')
			spaced = true
		}
		out = append(out, c)
	}
	return out, spaced
}

// continuedParams writes a Content-Type or Content-Disposition field
// again with every parameter on a line of its own, a name or filename
// over 60 octets (or not ASCII) split into RFC 2231 sections. It reports false when the
// field is another one, does not parse, or would not read back the same.
func continuedParams(f []byte, eol string) ([]byte, bool) {
	name := strings.TrimRight(string(f[:max(bytes.IndexByte(f, ':'), 0)]), " \t")
	if !strings.EqualFold(name, "content-type") && !strings.EqualFold(name, "content-disposition") {
		return nil, false
	}
	value := unfold(f[len(name)+1:])
	mt, params, err := mime.ParseMediaType(string(value))
	if err != nil {
		return nil, false
	}
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := []byte(name + ": " + mt)
	for _, k := range keys {
		sections := paramSections(k, params[k])
		if len(sections) > 1 && k != "name" && k != "filename" {
			// Only file names are long in real mail, and RFC 2231 sections
			// of a boundary or charset are more than many readers follow.
			return nil, false
		}
		for _, p := range sections {
			out = append(append(append(out, ';'), eol...), " "+p...)
		}
	}
	out = append(out, eol...)
	mt2, params2, err := mime.ParseMediaType(string(unfold(out[len(name)+1:])))
	if err != nil || mt2 != mt || !maps.Equal(params, params2) || headerfold.LongestLine(out) > headerfold.Hard {
		return nil, false
	}
	return out, true
}

// paramSections writes one parameter as "k=v", or as RFC 2231 sections
// (k*0="…", k*1="…", or k*0*= with the charset and percent escapes)
// when v is long or not plain ASCII.
func paramSections(k, v string) []string {
	const size = 60
	plain := true
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7e {
			plain = false
		}
	}
	if plain && len(v) <= size {
		return []string{mime.FormatMediaType("x", map[string]string{k: v})[len("x; "):]}
	}
	var out []string
	if plain {
		for i := 0; len(v) > 0; i++ {
			n := min(size, len(v))
			q := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(v[:n])
			out = append(out, fmt.Sprintf("%s*%d=\"%s\"", k, i, q))
			v = v[n:]
		}
		return out
	}
	// Percent-encoded, cut only between whole escapes.
	var enc []string
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c > 0x20 && c < 0x7f && !strings.ContainsRune("*'%()<>@,;:\\\"/[]?=", rune(c)) {
			enc = append(enc, string(c))
		} else {
			enc = append(enc, fmt.Sprintf("%%%02X", c))
		}
	}
	for i := 0; len(enc) > 0; i++ {
		var b strings.Builder
		for len(enc) > 0 && b.Len()+len(enc[0]) <= size {
			b.WriteString(enc[0])
			enc = enc[1:]
		}
		if i == 0 {
			out = append(out, fmt.Sprintf("%s*0*=utf-8''%s", k, b.String()))
		} else {
			out = append(out, fmt.Sprintf("%s*%d*=%s", k, i, b.String()))
		}
	}
	return out
}
