package mime

import (
	"bytes"
	"io"
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
// multipart and its one part is no text Parse takes uuencoded files out
// of (mayHoldUuencodedFiles: an attachment or not by its header alone;
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
		if h := scanHeaderOf(head, keepContentType); h.Stop == stopBlank && h.N > 0 {
			// A one-part text cut short may hold a uuencoded file in the
			// bytes not read, which Parse counts: its count is a lower
			// bound, whatever its first bytes hold. (It was taken to be
			// exact when they held none, and a file 16 KiB into a text
			// was listed as no attachment, exactly.)
			t := h.first("content-type")
			exact = !strings.HasPrefix(mediaType(t), "multipart/") && !mayHoldUuencodedFiles(t)
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

// OnlyUuencodedMayFollow reports a message whose count from head (not
// the whole message) is a lower bound only because its one part is a
// plain text cut short: the bytes not read can hold no attachment but a
// uuencoded file Parse would take out of the text.
func OnlyUuencodedMayFollow(head []byte) bool {
	h := scanHeaderOf(head, keepContentType)
	if h.Stop != stopBlank || h.N == 0 {
		return false
	}
	t := h.first("content-type")
	return !strings.HasPrefix(mediaType(t), "multipart/") && mayHoldUuencodedFiles(t)
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
	// uuencoded: a leaf that may be text holds what may be a uuencoded
	// file (mayHoldUuencoded), which n does not count.
	uuencoded bool
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
// rendering HTML or building parts, nor reading the bodies of the leaf
// parts of a multipart whose structure is plain (elideLeafBodies).
// FuzzCountAttachments holds it to Parse's count.
func countParse(raw []byte) counted {
	h := scanHeaderOf(raw, keepNoFields)
	if h.N == 0 {
		if _, foreign := foreignType(raw); foreign {
			return counted{n: 1, read: true}
		}
		return counted{read: true}
	}
	in := enmimeInput(raw, h)
	if short, ok := elideLeafBodies(in); ok {
		in = short
	}
	return withUuencoded(countInput(in), raw)
}

// withUuencoded is c, the count of raw's MIME parts, with the files
// uuencoded in its text: when a text may hold one, Parse's count, which
// takes them out of the text it shows (extractUuencoded), so the list and
// the viewer count them alike.
func withUuencoded(c counted, raw []byte) counted {
	if c.read && c.uuencoded {
		c.n = safeParse(raw).Summary.Attachments
	}
	return c
}

// countInput is countParse of in, what enmime reads.
func countInput(in []byte) counted {
	bounds := boundMIME(in)
	if bounds.refused {
		return counted{}
	}
	root, err := countParser.ReadParts(contentFieldsOnly(bounds.input))
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
		if p.FirstChild == nil && mayBeText(p.ContentType) && !c.uuencoded {
			c.uuencoded = encodedMayHoldUuencoded(p.Header.Get("Content-Transfer-Encoding"), p.Content)
		}
	})
	return c
}

// mayHoldUuencodedFiles reports a message's one part that may be the
// plain text Parse shows and takes uuencoded files out of: text/plain or
// no type, or a type mayBeText cannot rule out. Not text/html: Parse takes
// files out of the plain text only (TestOnePartCountIsExactOnlyWhenItIs),
// and a long HTML newsletter of one part, common mail, is then counted
// from its header; nor another text/* type (text/calendar, say, is an
// attachment) or message/rfc822 (a message shown below the text).
func mayHoldUuencodedFiles(ctype string) bool {
	switch t := mediaType(ctype); {
	case t == "" || t == "text/plain":
		return true
	case strings.HasPrefix(t, "text/") || strings.HasPrefix(t, "message/"):
		return false
	}
	return mayBeText(ctype)
}

// mayBeText reports a part whose content may end up in the text Parse
// shows (and takes uuencoded files out of): all but images, sound,
// video and applications' files. (enmime's text body is text/plain, or
// the text of the text/html; a multipart without delimiters is read as
// text.)
func mayBeText(ctype string) bool {
	t, _, _ := strings.Cut(mediaType(ctype), "/")
	switch t {
	case "image", "audio", "video", "application", "font", "model":
		return false
	}
	return true
}

// contentFieldsOnly is in, what enmime reads, with its top header block
// cut to the Content-* fields: the only ones enmime reads of it to build
// the part tree and decide what is an attachment. The SES header block
// and the sender's (Received, DKIM-Signature, Authentication-Results)
// are most of a message's first range, and enmime's header reader was
// most of a count's instructions. Only a header enmime reads line by line
// as we do here is cut: every line a field ("name:" of the bytes enmime
// accepts in a name) or a fold of one, no CR but in a CRLF, and a blank
// line at its end; any other header goes to enmime whole. The kept
// fields are copied, the body is read where it is (it was copied too: a
// third of the bytes the count allocated).
func contentFieldsOnly(in []byte) io.Reader {
	var out []byte
	cut, keep := false, false
	for i := 0; i < len(in); {
		j := bytes.IndexByte(in[i:], '\n')
		if j < 0 {
			return bytes.NewReader(in)
		}
		next := i + j + 1
		line := bytes.TrimSuffix(in[i:i+j], []byte("\r"))
		if bytes.IndexByte(line, '\r') >= 0 {
			return bytes.NewReader(in)
		}
		switch {
		case len(line) == 0:
			if !cut {
				return bytes.NewReader(in) // no field to leave out
			}
			return io.MultiReader(bytes.NewReader(out), bytes.NewReader(in[i:]))
		case line[0] == ' ' || line[0] == '\t':
			if i == 0 {
				return bytes.NewReader(in)
			}
		default:
			colon := bytes.IndexByte(line, ':')
			if colon <= 0 {
				return bytes.NewReader(in)
			}
			for _, c := range line[:colon] {
				if !enmimeNameByte(c) {
					return bytes.NewReader(in)
				}
			}
			keep = colon >= len("content-") && bytes.EqualFold(line[:len("content-")], []byte("content-"))
			if !keep && !cut {
				out, cut = append(out, in[:i]...), true
			}
		}
		if keep && cut {
			out = append(out, in[i:next]...)
		}
		i = next
	}
	return bytes.NewReader(in)
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
	h := scanHeaderOf(head, keepNoFields)
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
	h := scanHeaderOf(head, keepNoFields)
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

// elideLeafBodies is in, a message as enmime reads it, with the body of
// every leaf part longer than elideAbove bytes replaced by one line ("x"
// and the body's last line end; the one body of a message that is no
// multipart is cut instead: elideSingleBody), when the message's structure
// is one that enmime and this scan cannot read two ways; ok is false
// (and nothing is replaced) otherwise. The count depends on the parts'
// headers and on whether a part's content is empty, not on its bytes (the
// count reads content raw, and which leaf is an attachment is decided by
// its header: attachedParts), and enmime's boundary reader went through
// every body byte by byte, peeking at each line end for a delimiter: a
// third of a count's instructions.
//
// Plain means: a top-level Content-Type with a boundary, no CR in the
// body but in a CRLF, and every occurrence, anywhere in the body, of "--"
// and a boundary declared so far is a whole line that is "--" and the
// boundary of the innermost open multipart, and "--" or nothing more,
// followed by a line end; each part's header ends in a blank line before
// any such occurrence; multiparts nest no deeper than maxMIMEDepth and
// hold no more than maxMIMEParts parts. Then the delimiters are those
// lines and no others, whichever way they are read (enmime looks for a
// boundary at each line start, also a few bytes into the line, and
// anywhere in a line of a preamble: no occurrence is anywhere else). The
// preambles and epilogues are kept as they are; a leaf body the data ends
// before its delimiter is elided like the others, as no delimiter can be
// read in it. TestElidedCountAgrees and FuzzElidedCountAgrees
// hold the count of the result to the count of in.
func elideLeafBodies(in []byte) (out []byte, ok bool) {
	s := &mimeScan{b: in}
	top := s.header(0)
	// A header ends at a blank line or at the end of the data.
	bd := topBoundary(top.ctype)
	if top.end == len(in) {
		return in, false
	}
	if bd == "" {
		return elideSingleBody(in, top)
	}
	body := in[top.end:]
	if hasBareCR(body) {
		return in, false
	}
	var (
		seen  []elisionBoundary // every boundary declared so far
		stack []int             // indexes into seen of the open multiparts
		parts int
		leaf  bool // the bytes from at to the next delimiter are a leaf body
		// leafType is the leaf's header: a body that may be text holding
		// a uuencoded file is kept, for countInput to find it.
		leafType partHeader
		at       = top.end
		copied   = 0 // in[:copied] is in out
	)
	declare := func(bd string, from int) bool {
		b := elisionBoundary{prefix: []byte("--" + bd)}
		b.next = indexFrom(in, from, b.prefix)
		seen = append(seen, b)
		stack = append(stack, len(seen)-1)
		return len(stack) <= maxMIMEDepth
	}
	// elide puts one line "x", ended by eol, in place of the leaf body
	// that runs from at to end, when it is longer than elideAbove.
	elide := func(end int, eol []byte) {
		if leaf && end-at > elideAbove && !(mayBeText(leafType.ctype) && encodedMayHoldUuencoded(leafType.cte, in[at:end])) {
			out = append(out, in[copied:at]...)
			out = append(out, 'x')
			out = append(out, eol...)
			copied = end
		}
	}
	declare(bd, top.end)
	for len(stack) > 0 {
		// The next occurrence of any boundary declared so far.
		j, k := len(in), -1
		for i := range seen {
			if seen[i].next < at {
				seen[i].next = indexFrom(in, at, seen[i].prefix)
			}
			if seen[i].next < j {
				j, k = seen[i].next, i
			}
		}
		if k < 0 {
			// The data ends inside the open multiparts: a range cut
			// short, or a closing delimiter misspelt (a scanner's
			// "--SCAN_BOUNDARY_2026103011100" for its boundary
			// "SCAN_BOUNDARY_20261030111000"), when enmime's boundary
			// reader, a byte at a time, read the whole rest of a message
			// read whole (1.9 MB took 37 ms). No delimiter is in that
			// rest, so it is one body either way.
			elide(len(in), lineEndOf(in))
			break
		}
		if k != stack[len(stack)-1] || j > 0 && in[j-1] != '\n' {
			return in, false
		}
		rest := in[j+len(seen[k].prefix):]
		final := bytes.HasPrefix(rest, []byte("--"))
		if final {
			rest = rest[2:]
		}
		var eol int
		switch {
		case bytes.HasPrefix(rest, []byte("\r\n")):
			eol = 2
		case bytes.HasPrefix(rest, []byte("\n")):
			eol = 1
		default:
			return in, false
		}
		next := len(in) - len(rest) + eol
		elide(j, lineEndOf(in[:j]))
		leaf = false
		at = next
		if final {
			stack = stack[:len(stack)-1]
			continue
		}
		if parts++; parts > maxMIMEParts {
			return in, false
		}
		h := s.header(next)
		if h.end == len(in) && !endsInBlankLine(in[next:]) {
			return in, false // a header the data ends
		}
		for i := range seen {
			if seen[i].next < h.end {
				seen[i].next = indexFrom(in, next, seen[i].prefix)
			}
			if seen[i].next < h.end {
				return in, false // a delimiter inside the header
			}
		}
		at = h.end
		if bd := partBoundary(h.ctype); bd != "" {
			if !declare(bd, h.end) {
				return in, false
			}
			continue
		}
		leaf, leafType = true, h
	}
	if out == nil {
		return in, false
	}
	return append(out, in[copied:]...), true
}

// endsInBlankLine reports a part header whose blank line is the last
// line of the data: a part begun just before a first range ends, as
// cutAtPartHeader leaves it (the padded multiparts of the bench: about a
// seventh of its messages, whose other bodies enmime then read whole).
// Its body is empty and nothing follows it, read either way.
func endsInBlankLine(h []byte) bool {
	h, ok := bytes.CutSuffix(h, []byte("\n"))
	h = bytes.TrimSuffix(h, []byte("\r"))
	return ok && (len(h) == 0 || h[len(h)-1] == '\n')
}

// elideSingleBody is elideLeafBodies of a message whose top Content-Type
// declares no multipart (most mail: a text or an HTML body alone), top
// its header, its body starting at top.end: the body, when longer than elideAbove bytes, is
// cut to its first elideAbove (a CRLF kept whole), a slice of in, so
// nothing is copied. enmime read every byte of it (io.ReadAll, from 512
// bytes up) for a count that depends on the header alone: one part, an
// attachment or not by its Content-Type and Content-Disposition
// (detectBinaryBody), and not empty either way. Only a body with no "--"
// anywhere, in a message with no CR but in a CRLF: no line of it can then
// be read as a delimiter, whether enmime or boundMIME reads a multipart
// there (an inferred boundary, a header read otherwise), so the parts are
// the same both ways. A body that may be text holding a uuencoded file
// is kept, for countInput to find it, as elideLeafBodies keeps a leaf's.
func elideSingleBody(in []byte, top partHeader) (out []byte, ok bool) {
	at := top.end
	body := in[at:]
	if len(body) <= elideAbove+1 || bytes.Contains(body, []byte("--")) ||
		mayBeText(top.ctype) && encodedMayHoldUuencoded(top.cte, body) {
		return in, false
	}
	if hasBareCR(in) {
		return in, false
	}
	n := elideAbove
	if body[n-1] == '\r' {
		n++
	}
	return in[:at+n], true
}

// hasBareCR reports a CR in b that no LF follows: whether
// bytes.Count(b, "\r") and bytes.Count(b, "\r\n") differ, in one pass.
// Count of the two-byte "\r\n" calls Index once for each line of a CRLF
// message, and the three tests of a count made that 1.7% of a cold
// index's instructions.
func hasBareCR(b []byte) bool {
	for {
		i := bytes.IndexByte(b, '\r')
		if i < 0 {
			return false
		}
		if i+1 == len(b) || b[i+1] != '\n' {
			return true
		}
		b = b[i+2:]
	}
}

// lineEndOf is the line end b ends in: CRLF, LF or none.
func lineEndOf(b []byte) []byte {
	switch {
	case bytes.HasSuffix(b, []byte("\r\n")):
		return []byte("\r\n")
	case bytes.HasSuffix(b, []byte("\n")):
		return []byte("\n")
	}
	return nil
}

// elideAbove is the longest leaf body elideLeafBodies keeps.
const elideAbove = 64

// elisionBoundary is a boundary elideLeafBodies knows: its delimiter's
// start ("--" and the boundary) and where it occurs next.
type elisionBoundary struct {
	prefix []byte
	next   int // index in the data, or its length for none
}

// indexFrom is the index of the first sep in b at or after i, or len(b).
func indexFrom(b []byte, i int, sep []byte) int {
	if j := bytes.Index(b[i:], sep); j >= 0 {
		return i + j
	}
	return len(b)
}
