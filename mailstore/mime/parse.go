package mime

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"mime/quotedprintable"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/jhillyerd/enmime/v2"
	"github.com/jhillyerd/enmime/v2/mediatype"
	"github.com/sesbox/sesbox/mailstore"
	"golang.org/x/net/html"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
)

// parser is enmime set up for the mail a mailbox really receives:
// a malformed part is skipped (with an error recorded) instead of failing the
// message, a multipart without a boundary is read as one part, a text part
// with corrupt base64 keeps what decoded, and HTML is never down-converted
// into Text (enmime does that when there is no text/plain part; we render
// HTML ourselves, with link footnotes, into HTMLText).
var parser = enmime.NewParser(
	enmime.SkipMalformedParts(true),
	enmime.MultipartWOBoundaryAsSinglePart(true),
	enmime.SetReadPartErrorPolicy(keepPartialText),
	enmime.DisableTextConversion(true),
	enmime.SetCustomParseMediaType(parseMediaType),
)

// countParser is parser without charset detection (a quarter of the CPU
// of indexing) and without decoding content at all (RawContent: an
// undeclared charset was still detected, and every part's base64 or
// quoted-printable decoded; 18% of the bytes a count allocates):
// CountAttachments needs only the tree's shape, and which part is an
// attachment depends on its headers, not on its content or charset
// (FuzzCountAttachments holds the count to Parse's).
var countParser = enmime.NewParser(
	enmime.SkipMalformedParts(true),
	enmime.MultipartWOBoundaryAsSinglePart(true),
	enmime.SetReadPartErrorPolicy(enmime.AllowCorruptTextPartErrorPolicy),
	enmime.DisableTextConversion(true),
	enmime.DisableCharacterDetection(true),
	enmime.RawContent(true),
	enmime.SetCustomParseMediaType(parseMediaType),
)

// rawParser reads the same tree without decoding content, for the rare
// second look fixMislabelledUTF8 needs at a part's original bytes.
var rawParser = enmime.NewParser(
	enmime.SkipMalformedParts(true),
	enmime.MultipartWOBoundaryAsSinglePart(true),
	enmime.DisableTextConversion(true),
	enmime.RawContent(true),
	enmime.SetCustomParseMediaType(parseMediaType),
)

// Parse parses a whole raw message into a View. It never returns nil and
// never panics: a message enmime cannot read still yields its header
// fields and the body as text, with the problem in Warnings. It returns
// within ParseDeadline: a parse that takes longer (which the bounds in
// bounds.go should make impossible) is abandoned and the View holds the
// body as its source text (Source is set), with a warning.
func Parse(raw []byte) *View {
	v := parseWithin(raw, ParseDeadline, safeParse)
	// After the message's own parse, each nested message under its own
	// deadline: one that takes too long is not shown, and the message's
	// parts (what save writes) are never lost to it.
	openNested(v, topNesting(len(raw)))
	return v
}

// ParseDeadline is how long Parse waits for the MIME parser. Parsing
// takes milliseconds; the deadline only guards against an input the
// pre-scan does not bound. It is wall time, so it is generous: on a
// loaded machine (CI under the race detector ran a 0.2 s parse past an
// earlier 2 s deadline) a legitimate message must never lose its parts.
const ParseDeadline = 10 * time.Second

// maxAbandoned bounds the parses still running after their deadline.
//
// Go cannot stop a goroutine, and enmime takes no context, so a parse that
// misses its deadline runs on to its end in the background (it does end:
// the input is finite; the problem is only how long). Without a bound, a
// mailbox full of hostile messages opened one after another would pile up
// goroutines each burning a CPU. So at most maxAbandoned may run at once;
// while that many are running, Parse does not start enmime at all and
// returns the source view at once. Each abandoned parse holds two
// goroutines (the parse and the one that counts it back in); the count is
// checked before starting, so a burst of concurrent callers can exceed it
// by at most their number, never without bound.
const maxAbandoned = 2

var abandoned atomic.Int32

// parseWithin runs parse on raw in a goroutine and waits up to deadline.
func parseWithin(raw []byte, deadline time.Duration, parse func([]byte) *View) *View {
	v, err := within(deadline, func() *View { return parse(raw) })
	if err != nil {
		return sourceView(raw, err.Error())
	}
	return v
}

// within runs fn and waits for it at most deadline; a call it stops
// waiting for runs on (Go cannot stop it) and counts as abandoned until it
// ends. With maxAbandoned of them still running, fn is not started.
func within[T any](deadline time.Duration, fn func() T) (T, error) {
	var zero T
	if abandoned.Load() >= maxAbandoned {
		return zero, errors.New("the message parser is still busy with earlier messages that took too long; the body is shown as its source")
	}
	done := make(chan T, 1) // buffered: a late call never blocks
	go func() { done <- fn() }()
	timer := time.NewTimer(deadline)
	defer timer.Stop()
	select {
	case v := <-done:
		return v, nil
	case <-timer.C:
		abandoned.Add(1)
		go func() {
			<-done
			abandoned.Add(-1)
		}()
		return zero, fmt.Errorf("parsing took longer than %s and was abandoned; the body is shown as its source", deadline)
	}
}

// safeParse is parse with panics turned into a View.
func safeParse(raw []byte) *View { return safeParseWith(raw, parser) }

// safeParseWith is safeParse through the enmime parser p.
func safeParseWith(raw []byte, p *enmime.Parser) (v *View) {
	defer func() {
		if r := recover(); r != nil {
			v = headerOnlyView(raw, fmt.Sprintf("message parser failed: %v", r))
		}
	}()
	return parseMessage(raw, p, 0)
}

// sourceView is the View when the MIME structure was not read: the header
// fields and the body as its source text.
func sourceView(raw []byte, warning string) *View {
	return headerOnlyView(raw, warning)
}

// parseMessage parses raw with parser; depth counts the S/MIME
// signatures raw was found inside (see openSigned).
func parseMessage(raw []byte, parser *enmime.Parser, depth int) *View {
	h := scanHeader(raw)
	v := newView(h)
	d := v.setHeader(h)
	if len(h.Fields) == 0 {
		// Not mail: show what it holds rather than let enmime guess;
		// bytes that are not text become one part to save, described.
		if !describeForeign(v, raw) {
			v.Text = d.decodeBody("", raw[h.Body:])
		}
		v.finish(d)
		return v
	}
	bounds := boundMIME(enmimeInput(raw, h))
	v.Warnings = append(v.Warnings, bounds.warnings...)
	if bounds.refused {
		v.Text = d.decodeBody(charsetParam(h.first("content-type")), raw[h.Body:])
		v.Source = true
		v.finish(d)
		return v
	}
	input := bounds.input
	root, err := parser.ReadParts(bytes.NewReader(input))
	if err != nil {
		v.warn("cannot read the MIME structure: %v", err)
		v.Text = d.decodeBody(charsetParam(h.first("content-type")), raw[h.Body:])
		v.finish(d)
		return v
	}
	defaultPartTypes(root)
	fixMisspeltEncoding(root, d)
	twins := &rawTwins{input: input, leaves: leafList(root)}
	fixMislabelledASCII(twins, d)
	fixMislabelledUTF8(twins, d)
	fixOverriddenUTF8(twins)
	fixPartialText(twins, d)
	fixHTMLCharset(twins)
	fixUTF16Text(twins, d)
	originals := textOriginals(twins)
	fixUuencoded(root, d)
	fixUndecodedText(root, d)
	noteUnknownCharsets(root, d)
	fixFlowed(root)
	noteUnreadableTypes(root, d)
	env, err := parser.EnvelopeFromPart(root)
	if err != nil {
		v.warn("cannot sort the MIME parts: %v", err)
		v.Text = d.decodeBody(charsetParam(h.first("content-type")), raw[h.Body:])
		v.finish(d)
		return v
	}
	if env.HTML != "" && root.FirstChild == nil && undeclaredHTML(root) {
		// enmime decodes such a part again from its <meta> charset,
		// over text already decoded: fixHTMLCharset did it once.
		env.HTML = string(root.Content)
	}
	for _, e := range env.Errors {
		v.Warnings = append(v.Warnings, e.Error())
	}
	// Bodies are for reading and quoting: one kind of line ending.
	v.Text = toLF(strings.ToValidUTF8(env.Text, "\uFFFD"))
	v.HTML = toLF(strings.ToValidUTF8(env.HTML, "\uFFFD"))
	if v.HTML != "" {
		if v.HTMLText, v.Links, err = htmlToText(v.HTML); err != nil {
			v.warn("cannot render the HTML body: %v", err)
		}
	}
	if root.FirstChild == nil && strings.HasPrefix(root.ContentType, "multipart/") && v.Text == "" && v.HTML == "" {
		// A multipart with neither a boundary nor delimiter lines to
		// infer one from (boundMIME): enmime keeps its body as one part
		// no View lists; it is all the message says.
		body := root.Content
		if root.Boundary != "" {
			// A boundary none of whose delimiter lines is there (they were
			// lost on the way): enmime reads the whole body as the
			// preamble, and drops it.
			body = raw[h.Body:]
			v.warn("multipart whose body holds no delimiter line of its boundary: its body is shown as text")
		} else {
			v.warn("multipart with no boundary parameter and no delimiter lines: its body is shown as text")
		}
		v.Text = toLF(d.decodeBody(root.Charset, body))
	}
	v.Parts = leafParts(env, d, originals)
	v.Notices = notices(root, v.Text)
	openSigned(v, root, depth)
	files, text, notes := extractUuencoded(v.Text, len(v.Parts)+1, d)
	v.Text, v.Parts, v.Notices = text, append(v.Parts, files...), append(v.Notices, notes...)
	if depth == 0 {
		// At the top, with the parts of any S/MIME signature numbered
		// as the View lists them, which the notice names.
		openTNEF(v, d)
	}
	v.finish(d)
	return v
}

// newView starts a View from the scanned header: summary and fields.
func newView(h scannedHeader) *View {
	v := &View{}
	v.Summary = summarize(h)
	v.Warnings = append(v.Warnings, v.Summary.Warnings...)
	return v
}

// setHeader fills v.Header with the decoded fields and returns the decoder,
// which keeps the warnings decoding gave.
func (v *View) setHeader(h scannedHeader) *decoder {
	d := &decoder{fallback: lookupCharset(charsetParam(h.first("content-type")))}
	v.Header = make([]Field, 0, len(h.Fields))
	for _, f := range h.Fields {
		v.Header = append(v.Header, Field{Name: f.Name, Value: d.text(f.Value)})
	}
	return d
}

func (v *View) warn(format string, args ...any) {
	v.Warnings = append(v.Warnings, fmt.Sprintf(format, args...))
}

// finish settles the exact attachment count and the warnings.
func (v *View) finish(d *decoder) {
	if v.Source {
		// The parts were not read: nothing is known of the attachments.
		v.Summary.Attachments, v.Summary.AttachmentsExact = 0, false
	} else {
		v.Summary.Attachments = 0
		for _, p := range v.Attachments() {
			if !p.Embedded || p.uuencoded {
				v.Summary.Attachments++
			}
		}
		v.Summary.AttachmentsExact = true
	}
	if v.Text == "" && v.HTML == "" && v.Summary.Kind != mailstore.KindForeign && !v.holdsMessages() {
		v.warn("no text body")
	}
	v.Warnings = dedupe(append(v.Warnings, d.list()...))
}

// first returns the first raw value of a field, by case-insensitive name.
func (h scannedHeader) first(name string) string {
	for _, f := range h.Fields {
		if strings.EqualFold(f.Name, name) {
			return f.Value
		}
	}
	return ""
}

// enmimeInput is what enmime reads: the message without an mbox "From "
// line, with the blank line a header that ran into its body lacks, so
// enmime does not read the first body line as a folded header field, and
// with a blank line of extra CRs ("\r\r\n", which scanHeader ends the
// header at) made a plain one, so enmime ends the header there too. A
// message whose lines all end in a bare CR (classic Mac OS mailers) is
// given with CRLF line ends: enmime looks for delimiter lines after LFs
// only, so such a multipart showed nothing at all, no text and no parts
// (Python's email package, like sesbox's header reader, ends a line at a
// bare CR).
func enmimeInput(raw []byte, h scannedHeader) []byte {
	if msg := raw[h.Start:]; bytes.IndexByte(msg, '\n') < 0 && bytes.IndexByte(raw[h.Body:], '\r') >= 0 {
		return bytes.ReplaceAll(msg, []byte("\r"), []byte("\r\n"))
	}
	return enmimeHeaderInput(raw, h)
}

// enmimeHeaderInput is enmimeInput but for the body's line ends.
func enmimeHeaderInput(raw []byte, h scannedHeader) []byte {
	if hasBareCR(raw[h.Start:h.Body]) {
		return crlfHeader(raw, h)
	}
	if h.Stop == stopBlank {
		blank := bytes.LastIndexByte(raw[:h.Body-1], '\n') + 1
		if blank < h.Start || h.Body-blank <= 2 {
			return raw[h.Start:] // "\n" or "\r\n"
		}
		in := make([]byte, 0, len(raw)-h.Start)
		in = append(in, raw[h.Start:blank]...)
		in = append(in, "\r\n"...)
		return append(in, raw[h.Body:]...)
	}
	if h.Stop != stopNonField {
		return raw[h.Start:]
	}
	eol := "\n"
	if h.Body >= 2 && raw[h.Body-2] == '\r' {
		eol = "\r\n"
	}
	in := make([]byte, 0, len(raw)-h.Start+len(eol))
	in = append(in, raw[h.Start:h.Body]...)
	in = append(in, eol...)
	return append(in, raw[h.Body:]...)
}

// crlfHeader is enmimeInput for a header with a line ending enmime does
// not know (a bare CR, CRCRLF): every header line as scanHeader read it,
// ended by CRLF, then the blank line and the body as written.
func crlfHeader(raw []byte, h scannedHeader) []byte {
	in := make([]byte, 0, len(raw)-h.Start+64)
	for i := h.Start; i < h.Body; {
		line, next, _ := headerLine(raw, i)
		in = append(append(in, line...), "\r\n"...)
		i = next
	}
	if h.Stop != stopBlank {
		in = append(in, "\r\n"...)
	}
	return append(in, raw[h.Body:]...)
}

// isUuencoded reports a part whose Content-Transfer-Encoding is uuencode
// (x-uuencode, x-uue...: old Mac and Windows mailers, gateways).
func isUuencoded(p *enmime.Part) bool {
	switch strings.ToLower(strings.TrimSpace(p.Header.Get("Content-Transfer-Encoding"))) {
	case "x-uuencode", "uuencode", "x-uue", "uue":
		return true
	}
	return false
}

// encodingSeparators drops what normalEncoding ignores in a name
// ("quoted_printable", "base-64"); built once (a Replacer is safe for
// concurrent use): built at each call, it was the most of what
// normalEncoding allocated.
var encodingSeparators = strings.NewReplacer("-", "", "_", "")

// normalEncoding is the Content-Transfer-Encoding cte names, as senders
// write it: in any case, quoted, with a parameter or junk after it
// ("base64; charset=utf-8"), misspelt ("base-64", "Quoted_Printable").
func normalEncoding(cte string) string {
	v := strings.ToLower(strings.TrimSpace(cte))
	if i := strings.IndexAny(v, "; \t"); i >= 0 {
		v = v[:i]
	}
	v = strings.Trim(v, `"'`)
	switch encodingSeparators.Replace(v) {
	case "base64":
		return "base64"
	case "quotedprintable":
		return "quoted-printable"
	}
	return v
}

// fixMisspeltEncoding decodes each leaf whose Content-Transfer-Encoding
// enmime did not recognise but normalEncoding reads as base64 or
// quoted-printable: enmime kept its encoded text (a body shown as
// "R3LDvMOf...", an attachment saved as its base64), with a warning that
// no longer holds. A text part's bytes are then read in its charset.
func fixMisspeltEncoding(root *enmime.Part, d *decoder) {
	walkParts(root, func(p *enmime.Part) {
		cte := p.Header.Get("Content-Transfer-Encoding")
		if p.FirstChild != nil || !slices.ContainsFunc(p.Errors, func(e *enmime.Error) bool { return e.Name == enmime.ErrorContentEncoding }) {
			return
		}
		switch normalEncoding(cte) {
		case "base64", "quoted-printable":
		default:
			return
		}
		p.Content = transferDecode(cte, p.Content)
		if strings.HasPrefix(p.ContentType, "text/") {
			p.Content = []byte(d.decodeBody(p.Charset, p.Content))
		}
		p.Errors = slices.DeleteFunc(p.Errors, func(e *enmime.Error) bool { return e.Name == enmime.ErrorContentEncoding })
	})
}

// fixUuencoded decodes the isUuencoded parts, which enmime leaves as
// written, with a warning that no longer holds.
func fixUuencoded(root *enmime.Part, d *decoder) {
	walkParts(root, func(p *enmime.Part) {
		if !isUuencoded(p) {
			return
		}
		b, ok := uudecode(p.Content)
		if !ok {
			return
		}
		p.Content = b
		if strings.HasPrefix(p.ContentType, "text/") {
			p.Content = []byte(d.decodeBody(p.Charset, b))
		}
		p.Errors = slices.DeleteFunc(p.Errors, func(e *enmime.Error) bool { return e.Name == enmime.ErrorContentEncoding })
	})
}

// defaultPartTypes gives a part of a multipart that declares no
// Content-Type the type RFC 2045 (5.2) and RFC 2046 (5.1) give it:
// text/plain in US-ASCII ("implicitly typed plain ASCII text", RFC 2046's
// own example), or message/rfc822 in a multipart/digest (contentType).
// enmime gives the default to the message alone and leaves such a part
// untyped with a warning, and untyped it was an attachment of no name, its
// text missing from the body. Its content is as the transfer encoding left
// it: the passes after this one read its charset as for any text part
// that declares none. A part with neither header fields nor content (two
// delimiter lines in a row, a delimiter before the end of the message)
// holds nothing to read or save: it is taken out, rather than be an empty
// text joined to the body with a "--" line.
func defaultPartTypes(root *enmime.Part) {
	var empty []*enmime.Part
	walkParts(root, func(p *enmime.Part) {
		if p.Parent == nil || p.ContentType != "" || p.FirstChild != nil {
			return
		}
		if len(p.Header) == 0 && len(p.Content) == 0 {
			empty = append(empty, p)
			return
		}
		if p.Parent.ContentType != "multipart/digest" {
			p.ContentType = "text/plain"
		}
		p.Errors = slices.DeleteFunc(p.Errors, func(e *enmime.Error) bool { return e.Name == enmime.ErrorMissingContentType })
	})
	// Relinked one parent at a time, in one pass over its children: a
	// message of thousands of empty parts costs no more than their number.
	gone := make(map[*enmime.Part]bool, len(empty))
	for _, p := range empty {
		gone[p] = true
	}
	for _, p := range empty {
		parent := p.Parent
		if !gone[p] || parent == nil {
			continue
		}
		var first, last *enmime.Part
		for c := parent.FirstChild; c != nil; c = c.NextSibling {
			if gone[c] {
				delete(gone, c)
				continue
			}
			if last == nil {
				first = c
			} else {
				last.NextSibling = c
			}
			last = c
		}
		if last != nil {
			last.NextSibling = nil
		}
		parent.FirstChild = first
	}
}

// fixUndecodedText decodes text parts enmime left in their original bytes
// (a charset it does not know, or a failed conversion), so Text, HTML and
// text part contents are always UTF-8.
func fixUndecodedText(root *enmime.Part, d *decoder) {
	walkParts(root, func(p *enmime.Part) {
		if strings.HasPrefix(p.ContentType, "text/") && !utf8.Valid(p.Content) {
			p.Content = []byte(d.decodeBody(p.Charset, p.Content))
		}
	})
}

// noteUnreadableTypes warns of each part read as unreadableType says
// because its Content-Type does not parse (see parseMediaType).
//
// It also warns of each Content-Type or Content-Disposition whose
// parameters were read as readableParams says (refusedParams).
func noteUnreadableTypes(root *enmime.Part, d *decoder) {
	walkParts(root, func(p *enmime.Part) {
		ctype := p.Header.Get("Content-Type")
		typ, _, _ := strings.Cut(ctype, ";")
		if !strings.Contains(typ, "/") {
			return
		}
		if _, _, _, err := mediatype.Parse(typ); err != nil {
			d.warnf("Content-Type %q is not a media type: read as %s", strings.TrimSpace(typ), p.ContentType)
		}
		for _, field := range [...]string{"Content-Type", "Content-Disposition"} {
			v := p.Header.Get(field)
			if v = cutParams(v); refusedParams(v) {
				d.warnf("%s %q holds parameters that do not parse: read as well as they go", field, v)
			}
		}
	})
}

// keepPartialText is enmime's policy for a part whose content fails to
// decode: keep what decoded, with a warning, rather than drop the part.
// That is enmime's AllowCorruptTextPartErrorPolicy (corrupt base64 in
// text/plain or text/html), and any text part whose charset decoder
// failed: the strict UTF-7 decoder refuses a whole part for one stray "+",
// and with the part went the body (or, for a message of one part, every
// part). fixPartialText then decodes such a part again, leniently.
func keepPartialText(p *enmime.Part, err error) bool {
	return enmime.AllowCorruptTextPartErrorPolicy(p, err) || strings.HasPrefix(p.ContentType, "text/")
}

// partialDetail starts the Detail of the warning enmime gives a part
// whose content keepPartialText kept in part.
const partialDetail = "partial content: "

// isPartialText reports a text part whose charset decoder failed, so
// that enmime kept only what it decoded before the failure (corrupt
// base64 is not that: the decoded bytes are all there is).
func isPartialText(p *enmime.Part) bool {
	if !strings.HasPrefix(p.ContentType, "text/") {
		return false
	}
	for _, e := range p.Errors {
		if e.Name == enmime.ErrorMalformedChildPart && strings.HasPrefix(e.Detail, partialDetail) &&
			!strings.Contains(e.Detail, "base64") {
			return true
		}
	}
	return false
}

// fixPartialText decodes each isPartialText, inWebReplacedCharset or
// misreadByEnmime part again, whole, from its original bytes with the
// decoders of decodeBody, so a body reads as a Subject in its charset.
func fixPartialText(t *rawTwins, d *decoder) {
	misread := func(p *enmime.Part) bool {
		return isPartialText(p) || inWebReplacedCharset(p) || misreadByEnmime(p)
	}
	t.each(misread, func(p *enmime.Part, b []byte) {
		p.Content = []byte(d.decodeBody(p.Charset, b))
		p.Errors = slices.DeleteFunc(p.Errors, func(e *enmime.Error) bool { return e.Name == enmime.ErrorCharsetConversion })
	})
}

// misreadByEnmime reports a text part that enmime read otherwise than
// lookupCharset's decoder does, or without saying what it lost: in a
// label enmime does not know ("unicode-1-1-utf-7", a quoted label with
// blanks: it kept the bytes, with a conversion warning), or with a U+FFFD
// in what it decoded. That is a byte sequence the charset has no
// character for, which enmime replaces without a word (bytesIn says how
// many, as it does for a Subject in that charset: a body in EUC-KR or
// Shift_JIS lost letters silently), or the mark of a weaker decoder (GBK
// for GB18030, ISO-2022-JP through CRLFs; see lookupCharset and
// bytesIn). UTF-8 is not decoded by either (a U+FFFD in it is the
// sender's), so it takes no second look.
func misreadByEnmime(p *enmime.Part) bool {
	if !strings.HasPrefix(p.ContentType, "text/") {
		return false
	}
	e := lookupCharset(p.Charset)
	switch {
	case e == nil:
		return false
	case slices.ContainsFunc(p.Errors, func(e *enmime.Error) bool { return e.Name == enmime.ErrorCharsetConversion }):
		return true
	}
	return e != encoding.Nop && bytes.ContainsRune(p.Content, utf8.RuneError)
}

// noteUnknownCharsets says of each text part in a charset no decoder
// knows what the header's decoder says of an encoded-word in one
// (unknownCharset): the same words whichever path read the text. enmime
// said it in words of its own, a note even of bytes it could not read
// (sesbox warned of those too, when they were not UTF-8). The charset
// named is the one declared, also when enmime read the part in one it
// detected.
func noteUnknownCharsets(root *enmime.Part, d *decoder) {
	walkParts(root, func(p *enmime.Part) {
		label := cmp.Or(p.OrigCharset, p.Charset)
		if p.FirstChild != nil || !strings.HasPrefix(p.ContentType, "text/") || label == "" ||
			lookupCharset(label) != nil || utf16For(label, nil) != nil {
			return
		}
		d.unknownCharset(label, p.Content)
		p.Errors = slices.DeleteFunc(p.Errors, func(e *enmime.Error) bool { return e.Name == enmime.ErrorCharsetConversion })
	})
}

// inWebReplacedCharset reports a text part in a charset the WHATWG index
// (enmime's) maps to its "replacement" encoding, which made the whole
// part one U+FFFD: ISO-2022-KR, HZ-GB-2312, ISO-2022-CN. lookupCharset
// decodes the first two, and keeps the others' bytes.
func inWebReplacedCharset(p *enmime.Part) bool {
	if !strings.HasPrefix(p.ContentType, "text/") {
		return false
	}
	e, err := htmlindex.Get(strings.ToLower(strings.TrimSpace(p.Charset)))
	return err == nil && e == encoding.Replacement
}

// fixUTF16Text decodes each text part labelled UTF-16 again from its
// original bytes, in the byte order utf16For finds: enmime reads it
// little-endian (WHATWG), with the BOM as text, and knows no "unicode".
func fixUTF16Text(t *rawTwins, d *decoder) {
	isUTF16 := func(p *enmime.Part) bool {
		return strings.HasPrefix(p.ContentType, "text/") && utf16For(p.Charset, nil) != nil
	}
	t.each(isUTF16, func(p *enmime.Part, b []byte) {
		p.Content = []byte(d.decodeBody(p.Charset, b))
		p.Errors = slices.DeleteFunc(p.Errors, func(e *enmime.Error) bool { return e.Name == enmime.ErrorCharsetConversion })
	})
}

// textOriginals are the original bytes (transfer-decoded, in their own
// charset) of each text part with a file name whose content was converted
// to UTF-8: what Part.Bytes saves. Parts without a name are bodies, read
// and quoted, never saved by name.
func textOriginals(t *rawTwins) map[*enmime.Part][]byte {
	out := map[*enmime.Part][]byte{}
	named := func(p *enmime.Part) bool {
		return strings.HasPrefix(p.ContentType, "text/") && (p.FileName != "" || p.Disposition == "attachment") && !isUuencoded(p)
	}
	t.each(named, func(p *enmime.Part, b []byte) {
		if !bytes.Equal(b, p.Content) {
			out[p] = b
		}
	})
	return out
}

// rawTwins pairs the leaves of a message's tree with those of its input
// read again by rawParser (content as written), for the fixes that read a
// part from its original bytes. The second parse runs once, and only when
// a fix wants a part: each fix read it again before (three parses).
type rawTwins struct {
	input  []byte
	leaves []*enmime.Part
	raw    []*enmime.Part // nil until read, or when the trees do not pair
	read   bool
}

// each calls fix with each leaf that want accepts, in document order, and
// the transfer-decoded content of its twin, when the twin has the same
// Content-Type (else there is no safe way to pair them).
func (t *rawTwins) each(want func(*enmime.Part) bool, fix func(p *enmime.Part, orig []byte)) {
	if !slices.ContainsFunc(t.leaves, want) {
		return // the common case: no second parse
	}
	if !t.read {
		t.read = true
		if rawRoot, err := rawParser.ReadParts(bytes.NewReader(t.input)); err == nil {
			defaultPartTypes(rawRoot)
			if raw := leafList(rawRoot); len(raw) == len(t.leaves) {
				t.raw = raw
			}
		}
	}
	for i, rp := range t.raw {
		if p := t.leaves[i]; want(p) && rp.ContentType == p.ContentType {
			fix(p, transferDecode(rp.Header.Get("Content-Transfer-Encoding"), rp.Content))
		}
	}
}

// undeclaredHTML reports an HTML part whose Content-Type names no charset.
func undeclaredHTML(p *enmime.Part) bool {
	if p.ContentType != "text/html" {
		return false
	}
	_, params, _, err := parseMediaType(p.Header.Get("Content-Type"))
	return err == nil && params["charset"] == ""
}

// fixHTMLCharset reads each metaHTML part from its original bytes: as
// UTF-8 when they are that, else in the charset its <meta> declares,
// which is where bulk mailers declare it. enmime guessed (chardet) and
// ignored the <meta> in a multipart.
func fixHTMLCharset(t *rawTwins) {
	t.each(metaHTML, func(p *enmime.Part, b []byte) {
		if utf8.Valid(b) {
			p.Content, p.Charset = b, "utf-8"
			return
		}
		name := htmlMetaCharset(b)
		if e := lookupCharset(name); e != nil && e != encoding.Nop {
			if s, err := e.NewDecoder().Bytes(b); err == nil {
				p.Content, p.Charset = []byte(strings.ToValidUTF8(string(s), "\uFFFD")), name
			}
		}
	})
}

// metaHTML reports an undeclaredHTML part with a <meta> charset (ASCII,
// so found in the content whatever enmime decoded it from): without one
// enmime's reading stands, and the second parse is not needed.
func metaHTML(p *enmime.Part) bool {
	return undeclaredHTML(p) && htmlMetaCharset(p.Content) != ""
}

// htmlMetaCharset is the charset an HTML document's <meta charset> or
// <meta http-equiv="Content-Type" content="...; charset=..."> declares
// in its first 4 KB, or "".
func htmlMetaCharset(b []byte) string {
	z := html.NewTokenizer(bytes.NewReader(b[:min(len(b), 4096)]))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			if !hasAttr || !strings.EqualFold(string(name), "meta") {
				continue
			}
			var charset, content string
			contentType := false
			for more := true; more; {
				var k, v []byte
				k, v, more = z.TagAttr()
				switch strings.ToLower(string(k)) {
				case "charset":
					charset = strings.TrimSpace(string(v))
				case "content":
					content = string(v)
				case "http-equiv":
					contentType = strings.EqualFold(strings.TrimSpace(string(v)), "content-type")
				}
			}
			if charset != "" {
				return charset
			}
			if contentType {
				if _, params, _, err := parseMediaType(content); err == nil && params["charset"] != "" {
					return params["charset"]
				}
			}
		}
	}
}

// fixMislabelledUTF8 catches text declared in a legacy charset (GB2312,
// Shift_JIS, windows-1251...) whose bytes are really UTF-8, a common mistake
// of bulk mailers that enmime's charset detector misses in short parts,
// and 8-bit text declared US-ASCII or given no charset (scripts and cron
// mail), which enmime reads as windows-1252 (WHATWG's US-ASCII): "cafÃ©".
// Valid UTF-8 with multi-byte sequences practically never arises from
// legacy-encoded text, so such a part is read as UTF-8 instead.
func fixMislabelledUTF8(t *rawTwins, d *decoder) {
	t.each(isLegacyText, func(p *enmime.Part, b []byte) {
		if utf8.Valid(b) && !isASCII(b) {
			if charsetParam(p.Header.Get("Content-Type")) == "" {
				d.warnf("%s part declares no charset but holds UTF-8; read as UTF-8", p.ContentType)
			} else {
				d.warnf("%s part declared charset %q but holds UTF-8; read as UTF-8", p.ContentType, p.Charset)
			}
			p.OrigCharset, p.Charset, p.Content = p.Charset, "utf-8", b
		}
	})
}

// fixMislabelledASCII reads each text part declared US-ASCII that holds
// 8-bit bytes as mislabelledASCII reads any text so labelled (a header
// word, a file name): UTF-8 when it is valid UTF-8, else windows-1252.
// enmime read it as windows-1252, or as its detector guessed, with a note
// only when the detector failed.
func fixMislabelledASCII(t *rawTwins, d *decoder) {
	declaredASCII := func(p *enmime.Part) bool {
		return strings.HasPrefix(p.ContentType, "text/") && !isASCII(p.Content) &&
			isASCIILabel(charsetParam(p.Header.Get("Content-Type")))
	}
	t.each(declaredASCII, func(p *enmime.Part, b []byte) {
		if isASCII(b) {
			return
		}
		label := charsetParam(p.Header.Get("Content-Type"))
		p.Content = []byte(d.mislabelledASCII(p.ContentType+" part", label, b))
		p.OrigCharset, p.Charset = label, "windows-1252"
		if utf8.Valid(b) {
			p.Charset = "utf-8"
		}
		p.Errors = slices.DeleteFunc(p.Errors, func(e *enmime.Error) bool { return e.Name == enmime.ErrorCharsetDeclaration })
	})
}

// fixOverriddenUTF8 reads each text part declared UTF-8 whose charset
// enmime's detector replaced as UTF-8 again when its bytes are that:
// chardet takes mostly-ASCII text with a few multi-byte characters for
// windows-1252 (confidence 98 for an HTML body with one "漢字"), and the
// body showed as "æ¼¢å­—" with a note that the declaration was wrong.
// Bytes that are not valid UTF-8 keep the detector's reading.
func fixOverriddenUTF8(t *rawTwins) {
	overridden := func(p *enmime.Part) bool {
		return strings.HasPrefix(p.ContentType, "text/") && isUTF8Label(p.OrigCharset) && !isUTF8Label(p.Charset)
	}
	t.each(overridden, func(p *enmime.Part, b []byte) {
		if !utf8.Valid(b) {
			return
		}
		p.Content, p.Charset, p.OrigCharset = b, p.OrigCharset, ""
		p.Errors = slices.DeleteFunc(p.Errors, func(e *enmime.Error) bool { return e.Name == enmime.ErrorCharsetDeclaration })
	})
}

// isUTF8Label reports a charset label naming UTF-8.
func isUTF8Label(name string) bool {
	l := normalLabel(name)
	return l == "utf-8" || l == "utf8"
}

// isLegacyText reports a text part decoded from a declared charset other
// than UTF-8 (US-ASCII and no charset included: enmime reads their 8-bit
// bytes as windows-1252), where enmime's detector did not override it.
func isLegacyText(p *enmime.Part) bool {
	if !strings.HasPrefix(p.ContentType, "text/") || p.OrigCharset != "" || utf16For(p.Charset, nil) != nil {
		return false // UTF-16 has fixUTF16Text
	}
	switch strings.ToLower(strings.TrimSpace(p.Charset)) {
	case "", "us-ascii", "ascii":
		// Mislabelled only when it held 8-bit bytes (now read as
		// windows-1252); plain ASCII, the common case, needs no second look.
		return !isASCII(p.Content)
	}
	e := lookupCharset(p.Charset)
	return e != nil && e != encoding.Nop
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// transferDecode undoes a Content-Transfer-Encoding as leniently as enmime,
// and by the names it does not know (normalEncoding).
func transferDecode(cte string, b []byte) []byte {
	switch normalEncoding(cte) {
	case "base64":
		return decodeBase64Lenient(string(b))
	case "quoted-printable":
		out, _ := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(b)))
		return out
	default:
		return b
	}
}

// leafList returns the leaf parts under root in document order.
func leafList(root *enmime.Part) []*enmime.Part {
	var out []*enmime.Part
	walkParts(root, func(p *enmime.Part) {
		if p.FirstChild == nil {
			out = append(out, p)
		}
	})
	return out
}

// toLF gives a body one kind of line ending: a CRLF, a run of CRs before
// a LF (CRCRLF, as headerLine reads it) and each bare CR (the line ending
// of old Mac mailers, which the terminal would show as text written over
// its own line) become a LF.
func toLF(s string) string {
	if !strings.Contains(s, "\r") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '\r' {
			b.WriteByte(s[i])
			continue
		}
		j := i
		for j < len(s) && s[j] == '\r' {
			j++
		}
		if j < len(s) && s[j] == '\n' {
			b.WriteByte('\n')
		} else {
			b.WriteString(strings.Repeat("\n", j-i))
			j--
		}
		i = j
	}
	return b.String()
}

// walkParts calls fn for p and every part below it, in document order.
func walkParts(p *enmime.Part, fn func(*enmime.Part)) {
	for ; p != nil; p = p.NextSibling {
		fn(p)
		walkParts(p.FirstChild, fn)
	}
}

// leafParts lists every leaf part in document order, IsAttachment set on
// the attachedParts, and each part's original bytes when textOriginals
// has them.
func leafParts(env *enmime.Envelope, d *decoder, originals map[*enmime.Part][]byte) []Part {
	attached := attachedParts(env)
	var out []Part
	walkParts(env.Root, func(p *enmime.Part) {
		if !isLeaf(p) {
			return
		}
		name := fileName(p, d)
		name = noteCutParams(p, len(out)+1, name, d)
		noteHeadlessParams(p, len(out)+1, d)
		noteParamCharsets(p, d)
		out = append(out, Part{
			Index:        len(out) + 1,
			ContentType:  contentType(p),
			Charset:      p.Charset,
			Filename:     name,
			Disposition:  p.Disposition,
			ContentID:    p.ContentID,
			Size:         len(p.Content),
			IsAttachment: attached[p],
			Content:      p.Content,
			original:     originals[p],
		})
	})
	return out
}

// contentType is p's content type, with the default RFC 2046 (5.1.5)
// gives a part of a multipart/digest that declares none: message/rfc822,
// as the digests of mailing lists are written.
func contentType(p *enmime.Part) string {
	if p.ContentType == "" && p.Parent != nil && p.Parent.ContentType == "multipart/digest" {
		return "message/rfc822"
	}
	return p.ContentType
}

// fileName is p's file name, read again from the field as written:
// Content-Disposition's filename, then Content-Type's name (and file),
// as enmime reads them. enmime's FileName cannot be used as it is: its
// media type parser decodes the RFC 2047 words of every parameter until
// none is left, and it decodes the name once more, so a word whose text
// was itself a word ("=?us-ascii?Q?=0D=0ABcc:...?=") was a name with a
// line break, and an RFC 2231 name holding "=?" text was decoded as
// RFC 2047 after RFC 2231; and its parser turns each raw 8-bit byte into
// U+FFFD, where sesbox decodes them as raw8bitIn does. So a name is
// decoded exactly once here: an RFC 2231 name in its charset (with the
// warnings a body gets), any other's RFC 2047 words, which mailers write
// where RFC 2231 belongs.
func fileName(p *enmime.Part, d *decoder) string {
	for _, f := range [...]struct{ field, param string }{{"Content-Disposition", "filename"}, {"Content-Type", "name"}, {"Content-Type", "file"}} {
		raw := p.Header.Get(f.field)
		if raw == "" {
			continue
		}
		if !utf8.ValidString(raw) {
			raw = d.raw8bitIn(partCharset(p, d), raw)
		}
		_, params, _, err := parseMediaType(raw)
		name := params[f.param]
		plain, written := plainParam(raw, f.param)
		if err != nil || name == "" && (!written || plain == "") {
			// (enmime's value is empty, or blank, for a name that
			// decodes to white space alone: it is still the name.)
			continue
		}
		segs, extended := paramSegments(cutParams(raw))
		whole, split := segs[f.param+"*"], segs[f.param]
		switch {
		case len(whole) > 0 && (len(split) == 0 || !extended[f.param]), extended[f.param]:
			// RFC 2231 (fixExtendedParams decoded it for the parser,
			// whose cache keeps no warnings): decoded again to say them.
			if len(whole) == 0 || extended[f.param] {
				whole = split
			}
			decodeExtended(whole, d)
			return name
		case len(split) > 0:
			v, _ := decodeExtended(split, d) // plain continuations, joined
			return d.words(v)
		}
		if written {
			return d.words(plain)
		}
		return name // a shape only enmime's repairs read, decoded by them
	}
	return p.FileName
}

// plainParam is the value of the parameter name (neither RFC 2231 form)
// of the media type value ctype as written, unquoted, not decoded.
func plainParam(ctype, name string) (string, bool) {
	for _, p := range splitParams(cutParams(ctype)) {
		n, v, ok := strings.Cut(p, "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(n), name) {
			continue
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
			v = unquote(v[1 : len(v)-1])
		}
		return v, true
	}
	return "", false
}

// partCharset is the first guess for raw 8-bit bytes in a part's header:
// its own charset when it names one beyond ASCII, else the message's.
func partCharset(p *enmime.Part, d *decoder) encoding.Encoding {
	if e := lookupCharset(p.Charset); e != nil && e != encoding.Nop {
		return e
	}
	return d.fallback
}

// attachedParts is the set of parts leafParts marks IsAttachment (among
// its leaves): the parts enmime sorted into attachments, inlines and other
// parts, except the ones it chose as the text and HTML bodies; and every
// text leaf its sender gave a file name (Content-Type's name=, or a
// filename= with an inline disposition), body or not. Pine and old Outlook
// attach a text file as a part with a name and no Content-Disposition,
// which enmime reads as body text: mutt shows such a part and lists it as
// an attachment to save, and so does sesbox (save, the count, the parts
// list), the text still shown in the body.
func attachedParts(env *enmime.Envelope) map[*enmime.Part]bool {
	attached := map[*enmime.Part]bool{}
	for _, list := range [][]*enmime.Part{env.Attachments, env.Inlines, env.OtherParts} {
		for _, p := range list {
			attached[p] = true
		}
	}
	for _, p := range bodyParts(env.Root) {
		delete(attached, p)
	}
	walkParts(env.Root, func(p *enmime.Part) {
		if isLeaf(p) && p.FileName != "" && strings.HasPrefix(p.ContentType, "text/") {
			attached[p] = true
		}
	})
	return attached
}

// isLeaf reports whether p is one of the parts a View lists.
func isLeaf(p *enmime.Part) bool {
	return p.FirstChild == nil && !strings.HasPrefix(p.ContentType, "multipart/")
}

// bodyParts returns the parts enmime reads Text and HTML from, following
// its rules: in multipart/alternative the first text/plain (breadth first),
// otherwise every text/plain; and the first text/html (depth first); none
// of them with disposition attachment.
func bodyParts(root *enmime.Part) []*enmime.Part {
	if root == nil {
		return nil
	}
	isText := func(p *enmime.Part) bool {
		return p.ContentType == "text/plain" && p.Disposition != "attachment"
	}
	isHTML := func(p *enmime.Part) bool {
		return p.ContentType == "text/html" && p.Disposition != "attachment"
	}
	if root.FirstChild == nil {
		// A single part is either the body or, when binary, an attachment;
		// enmime never lists it as both.
		return nil
	}
	var bodies []*enmime.Part
	if root.ContentType == "multipart/alternative" {
		if p := root.BreadthMatchFirst(isText); p != nil {
			bodies = append(bodies, p)
		}
	} else {
		bodies = append(bodies, root.DepthMatchAll(isText)...)
	}
	if p := root.DepthMatchFirst(isHTML); p != nil {
		bodies = append(bodies, p)
	}
	return bodies
}

// headerOnlyView is the View of last resort (the parser panicked, missed
// its deadline, or was not started): the header fields and the body as its
// source text, Source set. It recovers from its own panic too, so Parse
// keeps its promise.
func headerOnlyView(raw []byte, warning string) (v *View) {
	defer func() {
		if r := recover(); r != nil {
			v = &View{Warnings: []string{warning, fmt.Sprintf("header parser failed: %v", r)}}
		}
	}()
	h := scanHeader(raw)
	v = newView(h)
	v.Warnings = append([]string{warning}, v.Warnings...)
	d := v.setHeader(h)
	v.Text = d.decodeBody(charsetParam(h.first("content-type")), raw[h.Body:])
	v.Source = true
	v.finish(d)
	return v
}

func dedupe(ws []string) []string {
	seen := make(map[string]bool, len(ws))
	out := ws[:0]
	for _, w := range ws {
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}
