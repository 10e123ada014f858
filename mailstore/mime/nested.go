package mime

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// A forwarded message travels as a part of its own: message/rfc822 (or
// message/global, its RFC 6532 twin), or only its header block
// (text/rfc822-headers, message/rfc822-headers, message/global-headers,
// as a bounce returns it). mutt shows such a part in the body, whatever
// its disposition ($honor_disposition is off by default): the forwarded
// message's From, To, Cc, Date and Subject, then its own body, its own
// forwarded messages in turn, and its attachments listed. So does sesbox;
// the part stays an attachment too, which save writes as a .eml.
//
// A message can nest messages without end, and each level is parsed again,
// so what is opened is bounded: maxNestedDepth levels, and at most
// nestedBudget bytes of nested messages in all per Parse (a chain of
// forwards of one big attachment holds that attachment once per level).
// Past either bound the part is listed and saved as before, and its place
// in the body says why it is not shown. A size the sender declares
// (Content-Length, a size= parameter) is never read: only the bytes the
// part holds count.
const maxNestedDepth = 8

// nestedBudget is how many bytes of nested messages one Parse of a
// message of size bytes opens: four times the message, and 1 MiB more so
// that small messages always show their levels.
func nestedBudget(size int) int { return 4*size + 1<<20 }

// topNesting is the nesting of a message of size bytes parsed on its own.
func topNesting(size int) nesting {
	left := nestedBudget(size)
	return nesting{left: &left}
}

// isMessageType reports a part that holds a message, or its header block.
func isMessageType(ct string) bool {
	switch strings.ToLower(ct) {
	case "message/rfc822", "message/global":
		return true
	}
	return isHeadersType(ct)
}

// isHeadersType reports a part that holds a message's header block only.
func isHeadersType(ct string) bool {
	switch strings.ToLower(ct) {
	case "text/rfc822-headers", "message/rfc822-headers", "message/global-headers":
		return true
	}
	return false
}

// nesting is where a parse is among nested messages: how deep, and how
// many bytes the whole Parse may still open (shared by every level).
type nesting struct {
	depth int
	left  *int
}

// openNested parses the message of each message part of v (see above),
// and the messages in those, setting Part.Message, or Part.NotShown when a
// bound stops it. Each is parsed within ParseDeadline of its own.
func openNested(v *View, n nesting) {
	for i := range v.Parts {
		p := &v.Parts[i]
		if !isMessageType(p.ContentType) {
			continue
		}
		switch {
		case n.depth >= maxNestedDepth:
			p.NotShown = fmt.Sprintf("nested deeper than %d messages", maxNestedDepth)
			continue
		case len(p.Content) > *n.left:
			p.NotShown = "the nested messages of this message are too large to show together"
			continue
		}
		*n.left -= len(p.Content)
		if isHeadersType(p.ContentType) {
			p.Message = headerView(p.Content)
			continue
		}
		inner, err := within(ParseDeadline, func() *View { return safeParse(p.Content) })
		if err != nil {
			p.NotShown = err.Error()
			continue
		}
		// A forwarded message without a Date or a Subject is no problem
		// of the message shown: what its summary lacks is left out.
		inner.Warnings = slices.DeleteFunc(inner.Warnings, func(w string) bool { return slices.Contains(inner.Summary.Warnings, w) })
		p.Message = inner
		openNested(inner, nesting{depth: n.depth + 1, left: n.left})
	}
}

// headerView is the View of a header block alone (a bounce often returns
// it cut short): its fields, decoded, and nothing of a body.
func headerView(raw []byte) *View {
	h := scanHeader(raw)
	v := &View{Summary: summarize(h)}
	d := v.setHeader(h)
	v.Warnings = dedupe(d.list())
	return v
}

// holdsMessages reports a View with a message part, which is shown in its
// body.
func (v *View) holdsMessages() bool {
	return slices.ContainsFunc(v.Parts, func(p Part) bool { return isMessageType(p.ContentType) })
}

// Nested is one message shown in the body of the message that holds it
// (see Forwarded).
type Nested struct {
	// Path numbers it as `sesbox save --part` and the viewer's parts
	// list do: "3" is part 3 of the message, "3.2" part 2 of the message
	// in part 3.
	Path string
	// Depth is 1 for a part of the message itself, 2 for one inside it...
	Depth int
	// Part is the part of the message itself (Depth 1) it is in or under:
	// what `sesbox save --part` saves as a .eml.
	Part int
	// ContentType is the part's type (message/rfc822, text/rfc822-headers...).
	ContentType string
	// View is the message parsed; nil when NotShown says why it is not.
	View     *View
	NotShown string
}

// Fields are the header fields shown of a nested message, as mutt shows
// them: From, To, Cc, Date and Subject, in that order. Values are the
// sender's: printers sanitize them.
func (v *View) Fields() []Field {
	var out []Field
	for _, name := range []string{"From", "To", "Cc", "Date", "Subject"} {
		for _, f := range v.Header {
			if strings.EqualFold(f.Name, name) {
				out = append(out, f)
			}
		}
	}
	return out
}

// Forwarded lists the messages shown after v's own body, depth first in
// document order: each message part of v, then the message parts of that
// message, and so on.
func (v *View) Forwarded() []Nested {
	var out []Nested
	var walk func(v *View, path string, depth, top int)
	walk = func(v *View, path string, depth, top int) {
		for _, p := range v.Parts {
			if p.Message == nil && p.NotShown == "" {
				continue
			}
			n := Nested{Path: path + strconv.Itoa(p.Index), Depth: depth, Part: top, ContentType: p.ContentType, View: p.Message, NotShown: p.NotShown}
			if depth == 1 {
				n.Part = p.Index
			}
			out = append(out, n)
			if p.Message != nil {
				walk(p.Message, n.Path+".", depth+1, n.Part)
			}
		}
	}
	walk(v, "", 1, 0)
	return out
}

// Title heads a nested message where it is shown: "message in part 3",
// "message header in part 3.1".
func (n Nested) Title() string {
	what := "message"
	if isHeadersType(n.ContentType) {
		what = "message header"
	}
	return what + " in part " + n.Path
}
