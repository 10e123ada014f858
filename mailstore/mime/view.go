package mime

import (
	"strings"
	"sync"

	"github.com/sesbox/sesbox/mailstore"
)

// Field is one header field as it appears in the message, value unfolded and
// RFC 2047 decoded. Not sanitized: printers pass it through sanitize.
type Field struct {
	Name  string
	Value string
}

// Part is one leaf of the MIME tree.
type Part struct {
	// Index numbers parts from 1 in document order; `sesbox save --part N`
	// and the TUI refer to parts by it.
	Index       int
	ContentType string
	Charset     string
	// Filename is the name the sender gave (decoded, unsanitized); may be empty.
	Filename     string
	Disposition  string // "attachment", "inline" or ""
	ContentID    string
	Size         int  // decoded size in bytes
	IsAttachment bool // attachments and inlines other than the chosen bodies
	// Embedded marks a part that is not one of the message's own MIME
	// parts: a file uuencoded inside a text body, a part of the message
	// inside an opaque S/MIME signature, or a file inside a TNEF part
	// (winmail.dat). It is numbered after the MIME parts. The summary's
	// attachment count includes the uuencoded files (CountAttachments
	// reads them as Parse does), not the parts inside a signature nor the
	// files inside a TNEF part (which counts as one).
	Embedded bool `json:",omitempty"`
	// Within is the Index of the part an Embedded file was taken out of:
	// the TNEF part (winmail.dat) that holds it; 0 for the others.
	Within  int    `json:",omitempty"`
	Content []byte `json:"-"` // decoded content (a text part's in UTF-8)
	// Message is the message a message/rfc822 or message/global part
	// holds (or the header block of a text/rfc822-headers part), parsed
	// to be shown in the body (see Forwarded); nil for other parts, and
	// when NotShown says why it was not parsed.
	Message  *View  `json:"-"`
	NotShown string `json:",omitempty"`
	// original is a text part's content in its own charset, when that is
	// not UTF-8 (see Bytes).
	original []byte
	// uuencoded marks a file taken out of a text body (extractUuencoded).
	uuencoded bool
}

// Bytes is the part as its sender wrote it, transfer-decoded: what to
// save, or hand to another program. It is Content but for a text part in
// another charset than UTF-8, whose Content is converted for reading (a
// Shift_JIS CSV, an HTML file whose <meta> names its charset).
func (p Part) Bytes() []byte {
	if p.original != nil {
		return p.original
	}
	return p.Content
}

// View is a parsed message ready to be shown: the header fields, the best
// text body, the HTML body rendered as text, and the parts. A malformed
// message still yields a View; what went wrong is in Warnings.
type View struct {
	// Summary holds the same fields a listing shows, parsed from this message.
	Summary mailstore.Summary
	Header  []Field
	// Text is the text/plain body, decoded to UTF-8.
	Text string
	// HTML is the raw text/html body, decoded to UTF-8.
	HTML string
	// HTMLText is HTML rendered as readable text with links as numbered
	// footnotes ([1] ...), the footnotes listed at the end.
	HTMLText string
	// Links are the footnoted link targets of HTMLText, in order.
	Links []string
	// Parts lists every leaf part; attachments are those with IsAttachment.
	Parts []Part
	// Notices say what the structure means for reading the message that
	// its body does not: a signature not verified, an encrypted body, a
	// calendar invitation's what, when and who, a TNEF or partial part.
	// Partly the sender's text: printers sanitize it.
	Notices []string
	// Warnings are parse problems (enmime's errors and our own), never fatal.
	Warnings []string
	// Source is set when the MIME structure was not read (too many parts,
	// or the parser missed its deadline): Text is then the body's source,
	// undecoded, and Parts is empty.
	Source bool

	// links holds what AllLinks found, found once (linksOnce): the
	// viewer asks on the screen's goroutine at every open, and what reads
	// the message for it asks first, off that goroutine.
	linksOnce sync.Once
	links     []Link
	linksCut  bool
}

// Body is the best readable body: the text part, else the HTML as text.
// A text part of blanks only does not count: mailers that write HTML
// send one as the plain alternative, and it hid the HTML.
func (v *View) Body() string {
	if v.Text != "" && (v.HTMLText == "" || strings.TrimSpace(v.Text) != "") {
		return v.Text
	}
	return v.HTMLText
}

// Attachments returns the parts that are attachments.
func (v *View) Attachments() []Part {
	var out []Part
	for _, p := range v.Parts {
		if p.IsAttachment {
			out = append(out, p)
		}
	}
	return out
}

// DecodedText is a message as text: From, To, Cc, Date and Subject, a
// blank line and the body, all decoded to UTF-8 (not sanitized: it goes
// to a program, not the screen).
func DecodedText(v *View) []byte {
	var b strings.Builder
	for _, name := range []string{"From", "To", "Cc", "Date", "Subject"} {
		for _, f := range v.Header {
			if strings.EqualFold(f.Name, name) {
				b.WriteString(f.Name + ": " + f.Value + "\n")
			}
		}
	}
	b.WriteString("\n")
	b.WriteString(v.Body())
	if !strings.HasSuffix(b.String(), "\n") {
		b.WriteString("\n")
	}
	return []byte(b.String())
}
