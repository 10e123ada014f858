package mime

import (
	"bytes"
	"regexp"
	"strings"
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
// the count is exact: the attachments Parse finds. Otherwise it is a lower
// bound (exact is false): the attachments among the parts whose own header
// lies wholly in head. A part's header is all that decides whether it is
// an attachment, so a part whose body is cut still counts, and one whose
// header is cut does not. A message the parser gave up on (see Parse's
// deadline) counts 0, not exact.
func CountAttachments(head []byte, size int64) (n int, exact bool) {
	exact = int64(len(head)) >= size
	if h := scanHeader(head); !exact && h.Stop == stopBlank && len(h.Fields) > 0 {
		exact = !strings.HasPrefix(mediaType(h.first("content-type")), "multipart/")
	}
	if !exact {
		var parts bool
		if head, parts = cutAtPartHeader(head); !parts {
			// No part header read whole yet: nothing counts. (enmime reads
			// a multipart without delimiters its own way.)
			return 0, false
		}
	}
	v := parseWithin(head, ParseDeadline, func(b []byte) *View { return safeParseWith(b, countParser) })
	if v.Source {
		return 0, false
	}
	return v.Summary.Attachments, exact
}

// cutAtPartHeader cuts a message prefix where no part header is left
// half-read: after the blank line that ends the header of the part begun
// by the last delimiter line, or before that line when its header is
// incomplete. Delimiters are "--" and a boundary some Content-Type in head
// declares (then optionally "--" and blanks): a "--" line that is not one
// (a signature separator, a malformed delimiter enmime may read its own
// way) never cuts. parts is false when no part header is left whole.
func cutAtPartHeader(head []byte) (cut []byte, parts bool) {
	h := scanHeader(head)
	if h.Stop == stopEOF {
		return head, false
	}
	var boundaries [][]byte
	for _, m := range boundaryParam.FindAllSubmatch(head, -1) {
		boundaries = append(boundaries, append(m[1], m[2]...))
	}
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

// boundaryParam finds the boundary parameters of Content-Type fields,
// quoted or not.
var boundaryParam = regexp.MustCompile(`(?i)boundary[ \t]*=[ \t]*(?:"([^"\r\n]*)"|([^;"\s]+))`)

// isDelimiter reports whether line (without its line end) is "--" and one
// of boundaries, then nothing but an optional "--" and blanks.
func isDelimiter(line []byte, boundaries [][]byte) bool {
	rest, ok := bytes.CutPrefix(bytes.TrimRight(line, "\r"), []byte("--"))
	if !ok {
		return false
	}
	for _, b := range boundaries {
		if len(b) == 0 || !bytes.HasPrefix(rest, b) {
			continue
		}
		tail := bytes.TrimRight(rest[len(b):], " \t")
		if len(tail) == 0 || string(tail) == "--" {
			return true
		}
	}
	return false
}
