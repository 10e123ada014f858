package mime

import "bytes"

// CountAttachments is the one rule for a summary's attachment count, used
// when a message is indexed from its first bytes and when it is opened
// whole, so the count (and the list's @ flag) cannot change on opening.
//
// head is the start of the stored message: its header block and whatever
// of the body the ranged read brought with it; size is the stored object's
// size. When head holds the whole message the count is exact: the
// attachments Parse finds. Otherwise it is a lower bound (exact is false):
// the attachments among the parts whose own header lies wholly in head.
// A part's header is all that decides whether it is an attachment, so a
// part whose body is cut still counts, and one whose header is cut does
// not.
func CountAttachments(head []byte, size int64) (n int, exact bool) {
	if int64(len(head)) >= size {
		return Parse(head).Summary.Attachments, true
	}
	return Parse(cutAtPartHeader(head)).Summary.Attachments, false
}

// cutAtPartHeader cuts a message prefix where no part header is left
// half-read: after the blank line that ends the header of the part begun
// by the last delimiter-like line ("--..."), or before that line when its
// header is incomplete. A "--" line that is not a delimiter (a signature
// separator) only moves the cut within a body, which decides nothing.
func cutAtPartHeader(head []byte) []byte {
	h := scanHeader(head)
	if h.Stop == stopEOF {
		return head
	}
	last := -1
	for i := h.Body; i < len(head); {
		line, next, _ := nextLine(head, i)
		if bytes.HasPrefix(line, []byte("--")) {
			last = i
		}
		i = next
	}
	if last < 0 {
		return head // a single part (or no delimiter yet): its header is the message's
	}
	_, i, complete := nextLine(head, last)
	for complete && i < len(head) {
		var line []byte
		line, i, complete = nextLine(head, i)
		if complete && len(line) == 0 {
			return head[:i] // the part's header ended: keep it, with no body
		}
	}
	return head[:last]
}
