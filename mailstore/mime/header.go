package mime

import (
	"bytes"
	"strings"
	"sync"
)

// rawField is one header field as scanned: the name as written and the
// value unfolded but not yet decoded (it may hold 8-bit bytes).
type rawField struct {
	Name  string
	Value string
}

// headerStop says what ended a scanned header block.
type headerStop int

const (
	// stopBlank: the blank line RFC 5322 requires.
	stopBlank headerStop = iota
	// stopNonField: a line that is neither a field nor a continuation.
	// The header is taken to end before it (Python's email package does
	// the same); the line belongs to the body.
	stopNonField
	// stopEOF: the data ended inside the header.
	stopEOF
)

// scannedHeader is the result of scanHeader.
type scannedHeader struct {
	Fields []rawField
	// Start is where the header begins: 0, or just past an mbox "From "
	// line some stored messages begin with.
	Start int
	// Body is the index where the body begins (len(b) when there is none).
	Body int
	Stop headerStop
	// N is how many fields the header holds, counted also by a scan
	// that does not keep them (scanHeaderOf with keepNoFields).
	N int
	// Warnings are problems with the header's shape.
	Warnings []string
}

// nextLine returns the line starting at i without its line ending, and the
// index of the next line. complete is false when the data ends before a LF.
func nextLine(b []byte, i int) (line []byte, next int, complete bool) {
	j := bytes.IndexByte(b[i:], '\n')
	if j < 0 {
		return b[i:], len(b), false
	}
	line = b[i : i+j]
	// Tolerate CRLF, LF and the odd CRCRLF some gateways write.
	line = bytes.TrimRight(line, "\r")
	return line, i + j + 1, true
}

// headerLine is nextLine for header lines, which also end at a bare CR
// (a CR that no LF follows), as Python's email package reads them: old
// Mac mailers and some gateways end every header line so, and others mix
// a stray CR-ended line into an LF or CRLF header; read as part of the
// value, such a line and every field after it became one field. A run of
// CRs before a LF is one line ending (CRCRLF, which gateways write); a
// run at the end of the data is incomplete, since a LF may follow.
// Bodies keep nextLine: enmime reads their lines at LF only.
//
// The line's end is found with two IndexByte searches (the LF, then a CR
// before it), not IndexAny: IndexAny tests one byte at a time, and every
// header scan of a cold index (five of each message) spent a twentieth of
// the process's instructions in it. Both search one window of
// lineEndWindow bytes at a time (lineEnd): a search for the LF over the
// whole rest of the data read, for each bare-CR line, every byte up to
// the first LF, so a header of 100,000 CR-ended fields (700 KB) took
// 0.63 s of CPU to scan and twice as many 2.5 s.
func headerLine(b []byte, i int) (line []byte, next int, complete bool) {
	rest := b[i:]
	j := lineEnd(rest)
	if j == len(rest) {
		return rest, len(b), false
	}
	j += i
	if b[j] == '\n' {
		return b[i:j], j + 1, true
	}
	k := j
	for k < len(b) && b[k] == '\r' {
		k++
	}
	switch {
	case k == len(b):
		return b[i:j], len(b), false
	case b[k] == '\n':
		return b[i:j], k + 1, true
	default:
		return b[i:j], j + 1, true // a bare CR; a CR after it is a blank line
	}
}

// lineEndWindow is how many bytes lineEnd searches at once: longer than
// most header lines, so that a line costs its own bytes and one search of
// each byte.
const lineEndWindow = 512

// lineEnd returns the index of the first CR or LF in b, len(b) when there
// is none, in time proportional to that index (not to len(b)).
func lineEnd(b []byte) int {
	for start := 0; start < len(b); start += lineEndWindow {
		w := b[start:min(start+lineEndWindow, len(b))]
		j := bytes.IndexByte(w, '\n')
		if j < 0 {
			j = len(w)
		}
		if k := bytes.IndexByte(w[:j], '\r'); k >= 0 {
			j = k
		}
		if j < len(w) {
			return start + j
		}
	}
	return len(b)
}

// isMboxFromLine reports the "From sender date" separator line of the mbox
// format, which some tools leave at the top of a message.
func isMboxFromLine(line []byte) bool {
	return bytes.HasPrefix(line, []byte("From "))
}

// fieldName returns the field name of a header line and the index of its
// colon, or ok=false when the line is not a field. It accepts what real mail
// holds beyond RFC 5322: whitespace before the colon ("Subject :") and 8-bit
// bytes in the name; it rejects names with inner whitespace, which are
// body text or an mbox line.
func fieldName(line []byte) (name []byte, colon int, ok bool) {
	colon = bytes.IndexByte(line, ':')
	if colon <= 0 {
		return nil, 0, false
	}
	n := bytes.TrimRight(line[:colon], " \t")
	if len(n) == 0 {
		return nil, 0, false
	}
	for _, c := range n {
		if c <= ' ' || c == 0x7f {
			return nil, 0, false
		}
	}
	return n, colon, true
}

// IsFieldName reports whether name reads as a field's name where a header
// line starts with it and a colon: one that does not ends the header
// block there (or, starting with a blank, continues the field before).
func IsFieldName(name string) bool {
	n, colon, ok := fieldName([]byte(name + ":"))
	return ok && colon == len(name) && len(n) == len(name)
}

// scanHeader reads the header block at the start of b. It never fails: the
// worst case is a header with no fields, the whole input being body.
func scanHeader(b []byte) scannedHeader { return scanHeaderOf(b, keepAllFields) }

// fieldsKept says which fields (and warnings) scanHeaderOf keeps.
type fieldsKept int

const (
	// keepNoFields: only where the block ends and how many fields it has.
	keepNoFields fieldsKept = iota
	// keepAllFields: every field and the warnings (scanHeader).
	keepAllFields
	// keepContentType: the Content-Type and Content-Transfer-Encoding
	// fields (any case) alone, no warnings: what CountAttachments reads
	// of a header.
	keepContentType
)

// scanHeaderOf is scanHeader, which keeps the fields and the warnings only
// as keep says: HeaderEnd, which runs on every range an index reads,
// needs only where the block ends (a third of scanHeader's CPU in a cold
// index went to fields it dropped), and the attachment count only the
// Content-Type (copying every other value was a tenth of the bytes the
// count allocated).
func scanHeaderOf(b []byte, keep fieldsKept) scannedHeader {
	var h scannedHeader
	i := 0
	if line, next, complete := headerLine(b, 0); complete && isMboxFromLine(line) {
		i = next
		h.Start = next
	}
	// value is the value of the field being read: a slice of b until a
	// fold, then unfolded in folded, which every folded field reuses (a
	// copy a field was a third of the bytes a cold index allocated).
	var value, folded []byte
	unfolding := false
	name := ""
	inField := false // a field is being read
	kept := false    // and is kept
	flush := func() {
		if inField {
			h.N++
		}
		if inField && kept {
			h.Fields = append(h.Fields, rawField{Name: name, Value: string(bytes.TrimSpace(value))})
		}
		name, value, inField, kept = "", nil, false, false
	}
	for i < len(b) {
		line, next, complete := headerLine(b, i)
		switch {
		case len(line) == 0 && complete:
			flush()
			h.Body, h.Stop = next, stopBlank
			return h
		case len(line) == 0:
			// A lone CR at the very end: the blank line may be arriving.
			i = next
			continue
		case line[0] == ' ' || line[0] == '\t':
			if !inField {
				if keep == keepAllFields {
					h.Warnings = append(h.Warnings, "header begins with a continuation line")
				}
				break
			}
			if !kept {
				break
			}
			// Unfold. RFC 5322 only removes the line break, but the white
			// space around a fold is layout, not content (Outlook folds with
			// a tab, obsolete syntax allows blank folded lines), so the
			// whole run becomes one space.
			if !unfolding {
				folded, unfolding = append(folded[:0], value...), true
			}
			folded = append(bytes.TrimRight(folded, " \t"), ' ')
			folded = append(folded, bytes.TrimLeft(line, " \t")...)
			value = folded
		default:
			n, colon, ok := fieldName(line)
			if !ok && !complete {
				// A line cut short by the end of the data may be a field
				// whose colon is still unread: no verdict yet.
				i = next
				continue
			}
			if !ok {
				flush()
				if keep == keepAllFields && len(h.Fields) > 0 {
					h.Warnings = append(h.Warnings, "header not ended by a blank line")
				}
				h.Body, h.Stop = i, stopNonField
				return h
			}
			flush()
			inField = true
			if keep == keepAllFields || keep == keepContentType &&
				(bytes.EqualFold(n, []byte("content-type")) || bytes.EqualFold(n, []byte("content-transfer-encoding"))) {
				kept = true
				name = fieldNameString(n)
				value, unfolding = line[colon+1:], false
			}
		}
		i = next
	}
	flush()
	h.Body, h.Stop = len(b), stopEOF
	return h
}

// commonNames are field names as mail spells them most often, so that a
// header scan finds these strings rather than allocating each name again.
var commonNames = sync.OnceValue(func() map[string]string { return commonFields().names })

// commonFields maps the common field names (commonNames) to themselves
// and to their lower case.
var commonFields = sync.OnceValue(func() (f struct{ names, lower map[string]string }) {
	f.names, f.lower = map[string]string{}, map[string]string{}
	for _, n := range []string{"Received", "From", "To", "Cc", "CC", "Subject", "Date",
		"Message-ID", "Message-Id", "MIME-Version", "Mime-Version", "Content-Type",
		"Content-Transfer-Encoding", "Content-Disposition", "Content-ID", "Content-Language",
		"Return-Path", "Received-SPF", "Authentication-Results", "DKIM-Signature",
		"X-SES-Spam-Verdict", "X-SES-Virus-Verdict", "X-SES-RECEIPT", "X-SES-DKIM-SIGNATURE",
		"X-SES-Outgoing", "Feedback-ID", "Reply-To", "In-Reply-To", "References", "X-Mailer",
		"List-Unsubscribe", "List-Unsubscribe-Post", "List-Id", "Precedence", "Auto-Submitted",
		"User-Agent", "Thread-Topic", "Thread-Index", "Accept-Language", "X-Priority",
		"ARC-Seal", "ARC-Message-Signature", "ARC-Authentication-Results", "X-Original-To",
		"Delivered-To", "Sender", "X-Originating-IP"} {
		f.names[n], f.lower[n] = n, strings.ToLower(n)
	}
	return f
})

// lowerFieldName is strings.ToLower(name), which allocates a string for
// every name it changes, without that for the common names.
func lowerFieldName(name string) string {
	if l, ok := commonFields().lower[name]; ok {
		return l
	}
	return strings.ToLower(name)
}

// fieldNameString is the name n as a string, its bytes that are not UTF-8
// replaced.
func fieldNameString(n []byte) string {
	if s, ok := commonNames()[string(n)]; ok { // no allocation for the lookup
		return s
	}
	return strings.ToValidUTF8(string(n), "\uFFFD")
}

// HeaderEnd returns the index just past the blank line that ends the header
// block at the start of b (LF, CRLF or a mix), or -1 when b holds no complete
// header block yet, so a reader of the first bytes of an object knows to read
// more. When the header ends without a blank line, at a line that cannot be
// a header field, HeaderEnd returns the start of that line: reading more
// would not find a blank line that belongs to the header (so for data that
// does not begin with a header at all it returns 0).
func HeaderEnd(b []byte) int {
	h := scanHeaderOf(b, keepNoFields)
	switch h.Stop {
	case stopBlank:
		return h.Body
	case stopNonField:
		return h.Body
	default:
		return -1
	}
}

// HeaderBlock returns the header block b starts with (the blank line
// included), or all of b when the header does not end in it.
func HeaderBlock(b []byte) []byte {
	if end := HeaderEnd(b); end >= 0 {
		return b[:end]
	}
	return b
}
