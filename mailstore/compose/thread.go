package compose

import (
	"strings"
)

// Limits for the References field. Mail clients thread by the first id
// (the thread's root) and the last ones (the parents), so trimming drops
// from the front but keeps the root, as RFC 5322 3.6.4 suggests and
// Thunderbird and Gmail do.
const (
	// MaxReferences is how many ids References keeps.
	MaxReferences = 20
	// MaxReferencesBytes bounds the field's length so the header stays well
	// under the 998-byte line limit per folded line and small overall.
	MaxReferencesBytes = 2000
	// maxIDBytes is the longest message id accepted from an original.
	maxIDBytes = 250
)

// ValidMessageID reports whether id (without angle brackets) is safe to
// write back into In-Reply-To or References: printable ASCII, one "@" with
// something on each side, and none of the characters that would end the
// id or the field (space, angle brackets, quotes, parentheses, comma,
// semicolon, backslash). Real-world ids that fail this are rare and only
// cost a thread link; writing them could cost a header.
//
// An id holding "=?" is refused too: RFC 2047 forbids encoded words in a
// msg-id, yet decoders read them there (Python's email with
// policy.default decodes References and In-Reply-To as unstructured
// text, and Go's mime.WordDecoder decodes a word inside a token), so an id
// such as "=?utf-8?q?=0D=0ABcc:_x@y?=" would reach them as a line break
// and a new field. Without "=?" no decoder finds a word to decode.
func ValidMessageID(id string) bool {
	if id == "" || len(id) > maxIDBytes || strings.Contains(id, "=?") {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`<>"(),;\[]`, c) >= 0 {
			return false
		}
	}
	left, right, ok := strings.Cut(id, "@")
	return ok && left != "" && right != "" && !strings.Contains(right, "@")
}

// Threading is the reply's In-Reply-To and References (ids without angle
// brackets).
type Threading struct {
	InReplyTo  string
	References []string
}

// ThreadingFor returns the threading of a reply to a message with the
// given Message-ID, In-Reply-To and References: In-Reply-To is the
// message's id; References is its References (or, lacking valid ones, its
// In-Reply-To) plus its id, without invalid or repeated ids, trimmed from
// the front (keeping the root) to MaxReferences and MaxReferencesBytes.
func ThreadingFor(messageID, inReplyTo string, references []string) Threading {
	var t Threading
	if ValidMessageID(messageID) {
		t.InReplyTo = messageID
	}
	// References that hold no id we can write back count as none: the
	// parent named by In-Reply-To still threads the reply.
	var refs []string
	for _, id := range references {
		if ValidMessageID(id) {
			refs = append(refs, id)
		}
	}
	if len(refs) == 0 && inReplyTo != "" {
		refs = []string{inReplyTo}
	}
	// The original's own id goes last whatever its References say: one
	// written among them (a looping mailer, or a sender steering the
	// thread) kept its place there and left another id last, which
	// clients read as the parent.
	seen := map[string]bool{t.InReplyTo: true}
	var ids []string
	for _, id := range refs {
		if !ValidMessageID(id) || seen[id] {
			continue
		}
		seen[id] = true
		ids = append(ids, id)
	}
	if t.InReplyTo != "" {
		ids = append(ids, t.InReplyTo)
	}
	t.References = trimReferences(ids)
	return t
}

// trimReferences keeps the first id and as many of the last ones as fit
// the limits (at least the last one): what dropping ids from the front,
// after the first, would leave, found in one pass from the end, so that a
// References of 100,000 ids costs no more than reading it.
func trimReferences(ids []string) []string {
	if len(ids) <= 2 {
		return ids
	}
	size := len(ids[0]) + 3 + len(ids[len(ids)-1]) + 3 // "<" id ">" and a space
	start := len(ids) - 1
	for start > 1 && len(ids)-start+1 < MaxReferences && size+len(ids[start-1])+3 <= MaxReferencesBytes {
		start--
		size += len(ids[start]) + 3
	}
	if start == 1 {
		return ids
	}
	return append(ids[:1:1], ids[start:]...)
}

// angle joins ids as they are written in a header: "<a@b> <c@d>".
func angle(ids []string) string {
	var b strings.Builder
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("<" + id + ">")
	}
	return b.String()
}
