package mime

import (
	"bytes"
	"strings"

	"github.com/jhillyerd/enmime/v2"

	"github.com/sesbox/sesbox/internal/lazyregexp"
)

// CountAttachments is the one rule for a summary's attachment count, used
// when a message is indexed from its first bytes and when it is opened
// whole, so the count (and the list's @ flag) cannot change on opening.
//
// head is the start of the stored message: its header block and whatever
// of the body the ranged read brought with it; size is the stored object's
// size. When head holds the whole message, or the message is not
// multipart (its one part is an attachment or not by its header alone;
// this needs a header that ends in a blank line: an object without header
// fields is not mail, and its bytes decide, and a header cut short by a
// line that is not a field is read by enmime its own way),
// the count is exact: the attachments Parse finds. It is exact too when
// head holds the closing delimiter of the outermost multipart and at least
// one byte after it: the rest is its epilogue, which holds no parts.
// Otherwise it is a lower bound (exact is false): the attachments among the parts whose own header
// lies wholly in head. A part's header is all that decides whether it is
// an attachment, so a part whose body is cut still counts, and one whose
// header is cut does not. A message the parser gave up on (see Parse's
// deadline) counts 0, not exact.
func CountAttachments(head []byte, size int64) (n int, exact bool) {
	exact = int64(len(head)) >= size
	if !exact {
		if h := scanHeader(head); h.Stop == stopBlank && len(h.Fields) > 0 {
			exact = !strings.HasPrefix(mediaType(h.first("content-type")), "multipart/")
		}
	}
	if !exact && mayBeClosed(head) {
		// The outermost multipart may have ended within head: then
		// everything after it is its epilogue, which holds no parts, and
		// the count is exact.
		if c := countWithin(head); c.read && c.closed {
			return c.n, true
		}
	}
	if !exact {
		var parts bool
		if head, parts = cutAtPartHeader(head); !parts {
			// No part header read whole yet: nothing counts. (enmime reads
			// a multipart without delimiters its own way.)
			return 0, false
		}
	}
	c := countWithin(head)
	if !c.read {
		return 0, false
	}
	return c.n, exact
}

// counted is what countParse found.
type counted struct {
	n int
	// read is false when the structure was not read (refused by the
	// bounds, abandoned at the deadline, or the parser failed).
	read bool
	// closed: the outermost multipart's closing delimiter was read, with
	// bytes after it (enmime kept them as its epilogue).
	closed bool
}

// countWithin is countParse within ParseDeadline (see within), with a
// panic a failure: read is false then.
func countWithin(raw []byte) counted {
	c, _ := within(ParseDeadline, func() (c counted) {
		defer func() {
			if recover() != nil {
				c = counted{}
			}
		}()
		return countParse(raw)
	})
	return c
}

// countParse is parse reduced to what the attachment count needs: the
// same header scan, bounds and enmime reading, and the same rule for which
// leaf is an attachment (attachedParts), without decoding header fields,
// rendering HTML or building parts. FuzzCountAttachments holds it to
// Parse's count.
func countParse(raw []byte) counted {
	h := scanHeaderOf(raw, false)
	if h.N == 0 {
		if _, foreign := foreignType(raw); foreign {
			return counted{n: 1, read: true}
		}
		return counted{read: true}
	}
	bounds := boundMIME(enmimeInput(raw, h))
	if bounds.refused {
		return counted{}
	}
	root, err := countParser.ReadParts(bytes.NewReader(contentFieldsOnly(bounds.input)))
	if err != nil {
		return counted{read: true}
	}
	closed := root.Boundary != "" && len(root.Epilogue) > 0
	defaultPartTypes(root)
	env, err := countParser.EnvelopeFromPart(root)
	if err != nil {
		return counted{read: true}
	}
	c := counted{read: true, closed: closed}
	attached := attachedParts(env)
	walkParts(env.Root, func(p *enmime.Part) {
		if isLeaf(p) && attached[p] {
			c.n++
		}
	})
	return c
}

// contentFieldsOnly is in, what enmime reads, with its top header block
// cut to the Content-* fields: the only ones enmime reads of it to build
// the part tree and decide what is an attachment. The SES header block
// and the sender's (Received, DKIM-Signature, Authentication-Results)
// are most of a message's first range, and enmime's header reader was
// most of a count's instructions. Only a header enmime reads line by line
// as we do here is cut: every line a field ("name:" of the bytes enmime
// accepts in a name) or a fold of one, no CR but in a CRLF, and a blank
// line at its end; any other header goes to enmime whole.
func contentFieldsOnly(in []byte) []byte {
	var out []byte
	keep := false
	for i := 0; i < len(in); {
		j := bytes.IndexByte(in[i:], '\n')
		if j < 0 {
			return in
		}
		next := i + j + 1
		line := bytes.TrimSuffix(in[i:i+j], []byte("\r"))
		if bytes.IndexByte(line, '\r') >= 0 {
			return in
		}
		switch {
		case len(line) == 0:
			if out == nil {
				return in // no field to leave out: nothing to copy
			}
			return append(out, in[i:]...)
		case line[0] == ' ' || line[0] == '\t':
			if i == 0 {
				return in
			}
		default:
			colon := bytes.IndexByte(line, ':')
			if colon <= 0 {
				return in
			}
			for _, c := range line[:colon] {
				if !enmimeNameByte(c) {
					return in
				}
			}
			keep = colon >= len("content-") && bytes.EqualFold(line[:len("content-")], []byte("content-"))
			if !keep && out == nil {
				out = make([]byte, 0, len(in))
				out = append(out, in[:i]...)
			}
		}
		if keep && out != nil {
			out = append(out, in[i:next]...)
		}
		i = next
	}
	return in
}

// enmimeNameByte reports a byte enmime's header reader takes in a field
// name as it is (its ValidEmailHeaderFieldByte: printable ASCII but the
// space and the colon).
func enmimeNameByte(c byte) bool {
	return c > ' ' && c < 0x7f && c != ':'
}

// mayBeClosed is a cheap test before a second parse: whether head holds a
// whole line that closes one of the boundaries it declares, followed by
// more bytes.
func mayBeClosed(head []byte) bool {
	h := scanHeaderOf(head, false)
	if h.Stop != stopBlank {
		return false
	}
	boundaries := boundaryParams(head[:h.Body])
	for i := h.Body; i < len(head); {
		line, next, complete := nextLine(head, i)
		if complete && next < len(head) && isTerminator(line, boundaries) {
			return true
		}
		i = next
	}
	return false
}

// cutAtPartHeader cuts a message prefix where no part header is left
// half-read: after the blank line that ends the header of the part begun
// by the last delimiter line, or before that line when its header is
// incomplete. Delimiters are "--" and a boundary some Content-Type in head
// declares (then optionally "--" and blanks): a "--" line that is not one
// (a signature separator, a malformed delimiter enmime may read its own
// way) never cuts. parts is false when no part header is left whole.
func cutAtPartHeader(head []byte) (cut []byte, parts bool) {
	h := scanHeaderOf(head, false)
	if h.Stop == stopEOF {
		return head, false
	}
	boundaries := boundaryParams(head)
	first, last := -1, -1
	for i := h.Body; i < len(head); {
		line, next, _ := nextLine(head, i)
		if isDelimiter(line, boundaries) {
			last = i
			if first < 0 {
				first = i
			}
		}
		i = next
	}
	if last < 0 {
		return head, false
	}
	_, i, complete := nextLine(head, last)
	for complete && i < len(head) {
		var line []byte
		line, i, complete = nextLine(head, i)
		if complete && len(line) == 0 {
			return head[:i], true // the part's header ended: keep it, with no body
		}
	}
	return head[:last], last > first
}

// boundaryParam is a boundary parameter of a Content-Type field, quoted or
// not, at the start of the text.
var boundaryParam = lazyregexp.New(`^(?i)boundary[ \t]*=[ \t]*(?:"([^"\r\n]*)"|([^;"\s]+))`)

// boundaryParams returns the value of every boundary parameter in b, as the
// unanchored expression's FindAll would, left to right and not
// overlapping. The expression runs only where "boundary" starts (any case;
// found by a byte search): run over every byte of a 16 KiB first range, it
// was 5% of the CPU of a cold index.
//
// The next "b" and "B" are each found by IndexByte and kept until passed
// (IndexAny tests one byte at a time).
func boundaryParams(b []byte) [][]byte {
	var out [][]byte
	lower, upper := -1, -1 // the next 'b' and 'B' at or after i; len(b) for none
	for i := 0; i < len(b); {
		if lower < i {
			lower = indexByteFrom(b, i, 'b')
		}
		if upper < i {
			upper = indexByteFrom(b, i, 'B')
		}
		at := min(lower, upper)
		if at == len(b) {
			break
		}
		if len(b)-at < len("boundary") || !bytes.EqualFold(b[at:at+len("boundary")], []byte("boundary")) {
			i = at + 1
			continue
		}
		m := boundaryParam().FindSubmatchIndex(b[at:])
		if m == nil {
			i = at + 1
			continue
		}
		var v []byte
		for k := 2; k < len(m); k += 2 {
			if m[k] >= 0 {
				v = append(v, b[at+m[k]:at+m[k+1]]...)
			}
		}
		out = append(out, v)
		i = at + m[1]
	}
	return out
}

// indexByteFrom is the index of the first c in b at or after i, or len(b).
func indexByteFrom(b []byte, i int, c byte) int {
	if j := bytes.IndexByte(b[i:], c); j >= 0 {
		return i + j
	}
	return len(b)
}

// isDelimiter reports whether line (without its line end) is "--" and one
// of boundaries, then nothing but an optional "--" and blanks.
func isDelimiter(line []byte, boundaries [][]byte) bool {
	return delimiterTail(line, boundaries, func(tail string) bool { return tail == "" || tail == "--" })
}

// isTerminator reports whether line (without its line end) is "--", one of
// boundaries and "--", then nothing but blanks.
func isTerminator(line []byte, boundaries [][]byte) bool {
	return delimiterTail(line, boundaries, func(tail string) bool { return tail == "--" })
}

// delimiterTail reports whether line is "--" and one of boundaries, then a
// tail (blanks trimmed) that ok accepts.
func delimiterTail(line []byte, boundaries [][]byte, ok func(tail string) bool) bool {
	rest, found := bytes.CutPrefix(bytes.TrimRight(line, "\r"), []byte("--"))
	if !found {
		return false
	}
	for _, b := range boundaries {
		if len(b) != 0 && bytes.HasPrefix(rest, b) && ok(string(bytes.TrimRight(rest[len(b):], " \t"))) {
			return true
		}
	}
	return false
}
