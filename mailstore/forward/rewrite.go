package forward

import (
	"bytes"
	"errors"
	"fmt"
	"mime"
	"net/mail"
	"strings"

	"github.com/sesbox/sesbox/mailstore/headerfold"
	sesmime "github.com/sesbox/sesbox/mailstore/mime"
)

// Rewrite returns the message the Lambda's processMessage would send for raw,
// with its bugs fixed (docs/forwarding.md). originalRecipient is the second
// result of Map; it is only used when cfg.FromEmail is unset.
//
// The message is split at its first empty line. The body (from that line on)
// is copied byte for byte, never decoded or re-encoded, unless a line of it
// is over 998 octets: SES would refuse the message, so the parts that hold
// one are re-encoded to the same decoded bytes (fitLongLines). In the
// header, which
// is handled as whole fields (a first line plus its indented continuation
// lines):
//
//   - the From field becomes one line: "Name <fromEmail>" when FromEmail is
//     set, else "Name at sender <originalRecipient>", without the control
//     characters of the old value;
//   - when there is no Reply-To (any case), "Reply-To: " plus the first
//     From's value as written, folding included, is added as the last
//     header line;
//   - SubjectPrefix is put at the start of every Subject value;
//   - every To field is replaced by "To: " + ToEmail when ToEmail is set;
//   - Return-Path, Sender, Message-ID and DKIM-Signature fields are removed.
//
// Every other field, and every line ending, is kept as it was, but for a
// bare CR, which ends a line for some readers: in the header it becomes a
// space (bareCRToBlank). Rewrite fails only on unusable arguments: a line
// break in a config value or in originalRecipient, no originalRecipient
// when FromEmail is unset, or an address to send as that is not one plain
// address (plainAddress); and on a message it must not send: more than one
// From field (ErrSeveralFrom), a line it cannot fold (ErrUnfoldable) or
// re-encode (ErrLongLine).
func Rewrite(cfg Config, raw []byte, originalRecipient string) ([]byte, error) {
	out, _, err := RewriteParts(cfg, raw, originalRecipient)
	return out, err
}

// RewriteParts is Rewrite (which calls it), also returning the parts whose
// Content-Transfer-Encoding it changed to bring a line within 998 octets
// (difference 31), for a preview or a dry run to say so.
func RewriteParts(cfg Config, raw []byte, originalRecipient string) ([]byte, []Reencoding, error) {
	var rec []Reencoding
	out, err := rewrite(cfg, raw, originalRecipient, &rec)
	if err != nil {
		return nil, nil, err
	}
	return out, rec, nil
}

func rewrite(cfg Config, raw []byte, originalRecipient string, rec *[]Reencoding) ([]byte, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("rewrite: %w", err)
	}
	if strings.ContainsAny(originalRecipient, "\r\n") {
		return nil, errors.New("rewrite: original recipient contains a line break")
	}
	if cfg.FromEmail == "" && originalRecipient == "" {
		return nil, errors.New("rewrite: no original recipient and no fromEmail to send from")
	}
	if cfg.FromEmail == "" {
		// The local part is the sender's choice (RCPT TO) wherever a
		// catch-all mapping matched it.
		if err := plainAddress(originalRecipient); err != nil {
			return nil, fmt.Errorf("rewrite: original recipient: %w", err)
		}
	}

	// A bare CR ends a header line for the Lambda's regular expressions
	// (and Python's email, JavaMail); it is written as a line ending, so
	// every reader finds the fields Rewrite saw (difference 5).
	raw = crLines(raw)
	// SES refuses a line over 998 octets; the Lambda sends the sender's
	// lines as they are (difference 31).
	var err error
	raw, *rec, err = fitLongLines(raw)
	if err != nil {
		return nil, err
	}
	header, body := splitMessage(raw)
	fields := parseFields(header)
	eol := lineEnding(raw)

	if err := checkFields(fields, eol); err != nil {
		return nil, err
	}

	out := make([]byte, 0, len(raw)+256)
	var firstFrom *field
	hasReplyTo := false
	for i := range fields {
		f := &fields[i]
		// A field Rewrite writes is folded near 78 octets; one it passes on
		// is only folded when it breaks the 998-octet limit (see foldCreated
		// and foldPassed).
		fe := f.terminator()
		if fe == "" {
			fe = eol
		}
		passed := f.kind == kindOther || f.kind == kindReplyTo ||
			f.kind == kindSubject && cfg.SubjectPrefix == "" || f.kind == kindTo && cfg.ToEmail == ""
		hasReplyTo = hasReplyTo || f.kind == kindReplyTo
		var line []byte
		var err error
		switch {
		case passed:
			line, err = fitPassedField(f.raw, fe)
			// A Subject or Reply-To with a run too long to fold is
			// written again as RFC 2047 words, which read the same.
			switch {
			case err == nil:
			case f.kind == kindSubject:
				line, err = subjectLine("", skipLeadingSpace(f.value()), fe)
			case f.kind == kindReplyTo:
				line, err = replyToLine(skipLeadingSpace(f.value()), fe)
			}
		case f.kind == kindFrom:
			if firstFrom == nil {
				firstFrom = f
			}
			line, err = fromLine(cfg, dropControls(f.value()), originalRecipient, fe)
			line = append(line, f.terminator()...)
		case f.kind == kindSubject:
			line, err = subjectLine(cfg.SubjectPrefix, dropControls(skipSeparator(f.value())), fe)
		case f.kind == kindTo:
			line, err = foldCreated([]byte("To: "+cfg.ToEmail), fe)
			if err != nil {
				err = fmt.Errorf("rewrite: toEmail: %w", err)
			}
			line = append(line, f.terminator()...)
		case f.kind == kindRemoved:
			// dropped whole, continuation lines included
		}
		if err != nil {
			return nil, err
		}
		out = append(out, line...)
	}

	if !hasReplyTo && firstFrom != nil {
		v := skipSeparator(dropControls(firstFrom.value()))
		if len(bytes.Trim(v, " \t\r\n")) > 0 {
			switch {
			case len(out) == 0 || out[len(out)-1] == '\n':
			case out[len(out)-1] == '\r':
				// The last line ends in a bare CR: a LF alone would turn that CR
				// into a CRLF and change the line; keep the CR as content.
				out = append(out, "\r\n"...)
			default:
				out = append(out, eol...)
			}
			line, err := replyToLine(v, eol)
			if err != nil {
				return nil, err
			}
			out = append(out, line...)
			// Judge by the line written, not by v: replyToLine leaves out a
			// blank-only last continuation line, so a From ending in an
			// unterminated " " gives a line that already ends in its line
			// ending, and a second one would be an empty line.
			if len(line) == 0 || line[len(line)-1] != '\n' {
				out = append(out, eol...)
			}
		}
	}
	return append(out, body...), nil
}

// ErrSeveralFrom is returned (wrapped) by Rewrite for a header with more
// than one From field. RFC 5322 allows one; SES refuses the message (the
// Lambda rewrites both and fails there), and which one a reader shows as
// the sender differs from reader to reader, which is why forgers write
// two. Forwarding it under one of them would have sesbox choose the
// sender for the recipient; nothing is sent, the stored message stays
// for `sesbox show`, which names every From (difference 29).
var ErrSeveralFrom = errors.New("the message has more than one From field, which RFC 5322 forbids and SES refuses; read it with sesbox show KEY, which names every From")

// ErrNoFrom is returned (wrapped) by CheckHeader for a header without a
// From field (none at all, or a message that starts with its empty line,
// whose header is empty). The Lambda sends such a message as it is (no
// From to rewrite, no Reply-To to add), and Rewrite does the same; SES
// refuses it ("Missing required header 'From'", aws-ses-v2-local "Raw
// content must have a from address"), on every run again. So a plan
// fails it before anything is sent, and a rerun reports it again without
// a request to SES.
var ErrNoFrom = errors.New(sendElsewhere + ": it has no From field, which SES requires (SES refuses it: Missing required header 'From'); " + saveIt)

// ErrEmptyFieldName is returned (wrapped) by CheckHeader for a header
// line that starts with its colon: a field without a name, which the
// Lambda and Rewrite pass on and SES refuses ("Empty header names are
// illegal").
var ErrEmptyFieldName = errors.New(sendElsewhere + ": a line of its header starts with a colon, a field without a name, which SES refuses (Empty header names are illegal); " + saveIt)

// sendElsewhere is what to do with a message SES refuses as it is, and
// saveIt how. It leads the reason, and is short, so that the cause
// still shows in a result row of the TUI.
const (
	sendElsewhere = "send it from a mail client, as an attachment"
	saveIt        = "sesbox show KEY --raw > message.eml saves it"
)

// ErrDuplicateField is returned (wrapped) by CheckHeader for a header
// that holds twice a field SES takes once (sesOnce), left twice by the
// rewrite: SES refuses the message ("Duplicate header 'Subject'"), as
// the Lambda sends it. The Lambda removes every DKIM-Signature for this
// reason alone.
var ErrDuplicateField = errors.New("SES refuses a message with that field twice")

// sesOnce are the header fields SES refuses to find more than once in a
// message it sends (docs.aws.amazon.com/ses/latest/dg/header-fields.html),
// in lower case, but for From (ErrSeveralFrom) and those Rewrite removes
// (Return-Path, Sender, Message-ID, DKIM-Signature).
var sesOnce = map[string]bool{}

func init() {
	for _, n := range strings.Fields(`accept-language acceptlanguage archived-at auto-submitted bounces-to
		comments content-alternative content-base content-class content-description content-disposition
		content-duration content-id content-language content-length content-location content-md5
		content-transfer-encoding content-type date delivered-to disposition-notification-options
		disposition-notification-to domainkey-signature errors-to importance in-reply-to keywords
		list-archive list-help list-id list-owner list-post list-subscribe list-unsubscribe
		list-unsubscribe-post message-context mime-version organization original-from
		original-message-id original-recipient original-subject precedence priority references reply-to
		return-receipt-to solicitation sensitivity subject thread-index thread-topic user-agent vbr-info`) {
		sesOnce[n] = true
	}
}

// CheckHeader says what Rewrite refuses in a message's header alone,
// whatever the config: more than one From field (ErrSeveralFrom), or a
// field it passes on as it is that cannot be folded within 998 octets
// (ErrUnfoldable); and what SES refuses in the message Rewrite makes of
// it, which Rewrite passes on as the Lambda does: no From field
// (ErrNoFrom), a field without a name (ErrEmptyFieldName), or a field
// SES takes once written twice (ErrDuplicateField). header may be the
// whole message or its header block; a plan, which reads headers only,
// asks it so that it counts such a message as failing before anything is
// sent.
func CheckHeader(header []byte) error {
	h, _ := splitMessage(crLines(header))
	fields := parseFields(h)
	if err := checkFields(fields, lineEnding(header)); err != nil {
		return err
	}
	if countKind(fields, kindFrom) == 0 {
		return ErrNoFrom
	}
	seen := map[string]bool{}
	for i := range fields {
		f := &fields[i]
		if f.colon < 0 {
			continue
		}
		name := strings.ToLower(string(bytes.TrimRight(f.raw[:f.colon], " \t")))
		if name == "" {
			return ErrEmptyFieldName
		}
		if !sesOnce[name] {
			continue
		}
		if seen[name] {
			return fmt.Errorf("read it with sesbox show KEY, which shows both: it has two %s fields, and %w", fieldName(f.raw), ErrDuplicateField)
		}
		seen[name] = true
	}
	return nil
}

func checkFields(fields []field, eol string) error {
	if n := countKind(fields, kindFrom); n > 1 {
		return fmt.Errorf("rewrite: %w (it has %d)", ErrSeveralFrom, n)
	}
	for i := range fields {
		f := &fields[i]
		if f.kind != kindOther {
			continue
		}
		fe := f.terminator()
		if fe == "" {
			fe = eol
		}
		if _, err := fitPassedField(f.raw, fe); err != nil {
			return err
		}
	}
	return nil
}

func countKind(fields []field, k fieldKind) int {
	n := 0
	for i := range fields {
		if fields[i].kind == k {
			n++
		}
	}
	return n
}

// dropControls removes the control characters of a field value Rewrite
// writes again (the From and the Reply-To made from it, a prefixed
// Subject), but for tab and the CR and LF of its line structure: a NUL,
// an escape or a DEL in a display name is nothing a reader can show,
// some refuse the line, and in the From a verified identity sends they
// are sesbox's to keep out (difference 30). Fields passed on are the
// sender's and stay as they are.
func dropControls(v []byte) []byte {
	keep := func(c byte) bool { return c >= 0x20 && c != 0x7f || c == '\t' || c == '\r' || c == '\n' }
	i := 0
	for i < len(v) && keep(v[i]) {
		i++
	}
	if i == len(v) {
		return v
	}
	out := append(make([]byte, 0, len(v)), v[:i]...)
	for _, c := range v[i:] {
		if keep(c) {
			out = append(out, c)
		}
	}
	return out
}

// splitMessage splits raw before its first empty line ("\n" or "\r\n"). The
// body keeps that empty line. Without one the whole message is header.
// Lines end at "\n" only: a bare CR is an ordinary byte of its line, except
// that a lone "\r" ending the message is taken for an empty line cut short
// (net/mail reads it so, and a line ending added after it would make it one).
func splitMessage(raw []byte) (header, body []byte) {
	for off := 0; off < len(raw); {
		nl := bytes.IndexByte(raw[off:], '\n')
		if nl < 0 {
			if len(raw)-off == 1 && raw[off] == '\r' {
				return raw[:off], raw[off:]
			}
			break
		}
		if nl == 0 || (nl == 1 && raw[off] == '\r') {
			return raw[:off], raw[off:]
		}
		off += nl + 1
	}
	return raw, nil
}

// lineEnding is the message's line ending style, taken from its first line:
// CRLF or LF. A message without any line break gets CRLF, RFC 5322's.
func lineEnding(raw []byte) string {
	nl := bytes.IndexByte(raw, '\n')
	if nl == 0 || (nl > 0 && raw[nl-1] != '\r') {
		return "\n"
	}
	return "\r\n"
}

type fieldKind int

const (
	kindOther fieldKind = iota
	kindFrom
	kindReplyTo
	kindSubject
	kindTo
	kindRemoved // Return-Path, Sender, Message-ID, DKIM-Signature
)

// field is one header field as written: its first line and any continuation
// lines (starting with a space or tab), each with its own line ending.
type field struct {
	raw   []byte
	colon int // index of the first colon in raw, -1 when the first line has none
	kind  fieldKind
}

// value is everything after the colon, continuation lines and the final line
// ending included.
func (f *field) value() []byte {
	if f.colon < 0 {
		return nil
	}
	return f.raw[f.colon+1:]
}

// terminator is the line ending of the field's last line, empty when the
// field is the unterminated end of a header-only message.
func (f *field) terminator() string {
	switch {
	case bytes.HasSuffix(f.raw, []byte("\r\n")):
		return "\r\n"
	case bytes.HasSuffix(f.raw, []byte("\n")):
		return "\n"
	}
	return ""
}

// parseFields cuts a header into fields. Lines before the first field that
// start with a blank, and lines without a colon, become fields of kindOther
// and are copied as they are.
func parseFields(header []byte) []field {
	var fields []field
	for off := 0; off < len(header); {
		end := len(header)
		if nl := bytes.IndexByte(header[off:], '\n'); nl >= 0 {
			end = off + nl + 1
		}
		line := header[off:end]
		if (line[0] == ' ' || line[0] == '\t') && len(fields) > 0 {
			last := &fields[len(fields)-1]
			last.raw = header[off-len(last.raw) : end]
		} else {
			fields = append(fields, newField(line))
		}
		off = end
	}
	return fields
}

func newField(first []byte) field {
	f := field{raw: first, colon: -1}
	content := bytes.TrimRight(first, "\r\n")
	colon := bytes.IndexByte(content, ':')
	if colon < 0 || first[0] == ' ' || first[0] == '\t' {
		return f
	}
	f.colon = colon
	// RFC 5322's obsolete syntax allows blanks before the colon; a field
	// written "From :" is still the From field to every reader that accepts it.
	name := bytes.TrimRight(first[:colon], " \t")
	switch {
	case asciiEqualFold(name, "from"):
		f.kind = kindFrom
	case asciiEqualFold(name, "reply-to"):
		f.kind = kindReplyTo
	case asciiEqualFold(name, "subject"):
		f.kind = kindSubject
	case asciiEqualFold(name, "to"):
		f.kind = kindTo
	case asciiEqualFold(name, "return-path"), asciiEqualFold(name, "sender"),
		asciiEqualFold(name, "message-id"), asciiEqualFold(name, "dkim-signature"):
		f.kind = kindRemoved
	}
	return f
}

// asciiEqualFold compares a field name case-insensitively in ASCII only, as
// the Lambda's /i regular expressions do (no Unicode folding: "ſubject" is not
// "subject").
func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// skipLeadingSpace drops the blanks at the start of a field value, and any
// fold met before its first visible character, so a prefix put in front of
// the result starts the value even when the value starts on a continuation
// line ("Subject:\r\n\tHello").
func skipLeadingSpace(v []byte) []byte {
	for {
		v = bytes.TrimLeft(v, " \t")
		rest := v
		if bytes.HasPrefix(rest, []byte("\r\n")) {
			rest = rest[2:]
		} else if bytes.HasPrefix(rest, []byte("\n")) {
			rest = rest[1:]
		} else {
			return v
		}
		if len(rest) == 0 || (rest[0] != ' ' && rest[0] != '\t') {
			return v // the line break ends the field: keep it
		}
		v = rest
	}
}

// skipSeparator drops the one blank after a field's colon that the Lambda
// takes as the separator (its /^subject:[\t ]?(.*)/): further blanks and a
// fold are the value's, and are kept, as they set an encoded word apart
// from a subjectPrefix that does not end in a blank ("[P]" then
// "\r\n =?utf-8?Q?caf=C3=A9?=" reads "[P] café"; glued, it reads as written).
func skipSeparator(v []byte) []byte {
	if len(v) > 0 && (v[0] == ' ' || v[0] == '\t') {
		return v[1:]
	}
	return v
}

// crLines returns raw with the bare CRs (a CR not before a LF) of its
// header read as the Lambda's regular expressions, Python's email and
// JavaMail read them, where a bare CR ends a line, and written so that
// readers that end lines at LF only (net/mail, mailparser, SES's) read
// the same fields: a bare CR before a field name and its colon, a blank
// (a continuation line), another line ending or the end of the message
// is written as the message's line ending (lineEnding); a bare CR that
// starts a line ends the header there, that empty line written as a line
// ending too (the body after it is not touched). A bare CR before other
// text, which no reader takes for a field, stays in its line as a blank
// (dropped next to a blank, so the field still folds where the text had
// one space). So "X-A: 1\rFrom: boss@bank.example", a second From to a
// reader that ends lines at CR, is a From to Rewrite and to every reader
// of what it sends, and a message whose lines all end in a bare CR
// (classic Mac OS) keeps every field and its body: before, its whole
// header was one From field to Rewrite, and Subject and body were lost in
// it (difference 5). raw is returned as it is when its header holds no
// bare CR; a lone CR ending the message after a line ending stays, an
// empty line cut short (splitMessage).
func crLines(raw []byte) []byte {
	if h, _ := splitMessage(raw); !hasBareCR(h) {
		return raw
	}
	eol := lineEnding(raw)
	out := make([]byte, 0, len(raw)+64)
	lineStart := true
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		crlf := c == '\r' && i+1 < len(raw) && raw[i+1] == '\n'
		if lineStart && (c == '\n' || crlf || c == '\r' && i+1 == len(raw)) {
			return append(out, raw[i:]...) // the empty line: the body from it on
		}
		if lineStart && c == '\r' {
			return append(append(out, eol...), raw[i+1:]...) // an empty line ended by a bare CR
		}
		switch {
		case crlf:
			out = append(out, "\r\n"...)
			i++
			lineStart = true
		case c == '\n':
			out = append(out, c)
			lineStart = true
		case c == '\r':
			next := raw[i+1:]
			if len(next) == 0 || next[0] == '\r' || next[0] == '\n' || next[0] == ' ' || next[0] == '\t' || startsField(next) {
				out = append(out, eol...)
				lineStart = true
			} else if last := out[len(out)-1]; last != ' ' && last != '\t' {
				out = append(out, ' ')
			}
		default:
			out = append(out, c)
			lineStart = false
		}
	}
	return out
}

// hasBareCR reports whether b holds a CR that is not before a LF.
func hasBareCR(b []byte) bool {
	for i := bytes.IndexByte(b, '\r'); i >= 0; {
		if i+1 == len(b) || b[i+1] != '\n' {
			return true
		}
		j := bytes.IndexByte(b[i+1:], '\r')
		if j < 0 {
			return false
		}
		i += 1 + j
	}
	return false
}

// startsField reports whether b starts with a field name (RFC 5322:
// printable ASCII but the colon), blanks (its obsolete syntax) and a colon.
func startsField(b []byte) bool {
	i := 0
	for i < len(b) && b[i] > ' ' && b[i] < 0x7f && b[i] != ':' {
		i++
	}
	if i == 0 {
		return false
	}
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	return i < len(b) && b[i] == ':'
}

// fromValue builds the new From value (without "From: " and line ending)
// from the old one. It is always a single line: the old value is unfolded and
// bare CRs become spaces, so nothing from the message can start a new line.
//
// Only the first mailbox of the old value is used. Its display name is kept
// as written; a mailbox without a display name, or whose display name is
// itself an address ("a@x.com" <a@x.com>) or blank (""), is shown as its address with "@"
// written " at ", so the phrase never reads as a second address.
func fromValue(cfg Config, old []byte, originalRecipient string) []byte {
	v := unfold(old)
	name, addr := firstMailbox(v)
	target := cfg.FromEmail
	if target == "" {
		target = originalRecipient
	}

	var phrase []byte
	nameless := blankName(name) || addressLike(name)
	switch {
	case nameless:
		phrase = bytes.ReplaceAll(addr, []byte("@"), []byte(" at "))
	case cfg.QuoteFromName:
		phrase = unquote(name)
	default:
		phrase = name
	}
	if !nameless && cfg.FromEmail == "" && len(addr) > 0 {
		phrase = append(append(bytes.Clone(phrase), " at "...), addr...)
	}

	out := make([]byte, 0, len(phrase)+len(target)+8)
	if !cfg.QuoteFromName {
		phrase = bytes.TrimSpace(balancedPhrase(phrase))
	}
	if len(phrase) > 0 {
		if cfg.QuoteFromName && !nameless {
			if text := decodeUnquoted(name); !bytes.Equal(text, unquote(name)) {
				// RFC 2047 words may not stand in a quoted string (5
				// (3)), where readers show them as written: the phrase
				// is written as words of its decoded text instead.
				if cfg.FromEmail == "" && len(addr) > 0 {
					text = append(append(text, " at "...), addr...)
				}
				return []byte(headerfold.Words(string(text), true, len("From: ")) + " <" + target + ">")
			}
		}
		if cfg.QuoteFromName {
			out = appendQuoted(out, phrase)
		} else {
			out = append(out, phrase...)
		}
		out = append(out, ' ')
	}
	out = append(out, '<')
	out = append(out, target...)
	return append(out, '>')
}

// balancedPhrase makes the phrase of the new From (kept as the sender wrote
// it) safe to stand before the one angle address Rewrite writes after it:
// a quoted string or comment the sender left open is closed (else it would
// swallow that address), and every "<" and ">" outside a quoted string is
// dropped, in a comment too (with the backslash that escapes it), as are a
// backslash outside both (RFC 5322 gives it no meaning there, and readers
// differ on whether it escapes the quote after it) and the ":", ";" and ","
// that would make the phrase a group or a list ("Team: a@x.com, b@y.com;"
// gave "Team: a at x.com <info@…>", a group). So the new From holds
// exactly one mailbox, whatever the old one held: "Name
// <<ceo@bank.example>>" no longer becomes "Name at <ceo@bank.example
// <info@…>", where a lax reader finds the forged address, and "\"Name <a@x"
// no longer hides the address Rewrite writes inside an open quoted string.
// Inside a quoted string every byte stays (difference 24).
func balancedPhrase(p []byte) []byte {
	out := make([]byte, 0, len(p)+2)
	quoted, comment := false, 0
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case quoted || comment > 0:
			if c == '\\' {
				if i+1 == len(p) {
					continue // a dangling backslash would escape the closing quote
				}
				i++
				if n := p[i]; quoted || (n != '<' && n != '>') {
					out = append(out, c, n)
				}
				continue
			}
			switch {
			case comment > 0 && (c == '<' || c == '>'):
				continue
			case quoted && c == '"':
				quoted = false
			case !quoted && c == '(':
				comment++
			case !quoted && c == ')':
				comment--
			}
			out = append(out, c)
		case c == '<' || c == '>' || c == '\\' || c == ':' || c == ';' || c == ',':
		case c == '"':
			quoted = true
			out = append(out, c)
		case c == '(':
			comment = 1
			out = append(out, c)
		default:
			out = append(out, c)
		}
	}
	if quoted {
		out = append(out, '"')
	}
	for ; comment > 0; comment-- {
		out = append(out, ')')
	}
	return out
}

// unfold joins a field value onto one line: every line break goes (in a
// field each one is a fold or the final line ending), bare CRs become spaces,
// and blanks at both ends are trimmed.
func unfold(v []byte) []byte {
	out := make([]byte, 0, len(v))
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '\n':
		case c == '\r' && i+1 < len(v) && v[i+1] == '\n':
		case c == '\r':
			out = append(out, ' ')
		default:
			out = append(out, c)
		}
	}
	return bytes.Trim(out, " \t")
}

// firstMailbox returns the display name and address of the first mailbox in
// an unfolded address list, both as written and trimmed. It understands
// quoted strings, comments and angle brackets well enough to find the right
// "<" and ","; a mailbox without angle brackets is all address.
func firstMailbox(v []byte) (name, addr []byte) {
	v = bytes.TrimLeft(v, ", \t") // RFC 5322's obsolete lists may start with empty members
	lt, gt := -1, -1
	quoted, comment := false, 0
scan:
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case quoted || comment > 0:
			switch {
			case c == '\\':
				i++
			case quoted && c == '"':
				quoted = false
			case !quoted && c == '(':
				comment++
			case !quoted && c == ')':
				comment--
			}
		case c == '"':
			quoted = true
		case c == '(':
			comment = 1
		case c == '<' && lt < 0:
			lt = i
		case c == '>' && lt >= 0:
			gt = i
			break scan
		case c == ',' && lt < 0:
			v = v[:i] // the next mailbox starts here
			break scan
		}
	}
	switch {
	case lt < 0:
		return nil, bytes.Trim(v, " \t")
	case gt < 0:
		return bytes.Trim(v[:lt], " \t"), bytes.Trim(v[lt+1:], " \t")
	default:
		return bytes.Trim(v[:lt], " \t"), bytes.Trim(v[lt+1:gt], " \t")
	}
}

// addressLike reports whether a display name is really an address: it has an
// "@" and, read as a reader shows it (unquoted, RFC 2047 words decoded,
// blanks at the ends trimmed), no blanks. "=?utf-8?q?boss=40bank.example?="
// and "boss@bank.example " show as an address as plainly as
// "boss@bank.example" does.
func addressLike(name []byte) bool {
	u := shownName(name)
	return strings.IndexByte(u, '@') >= 0 && !strings.ContainsAny(u, " \t")
}

// blankName reports whether a display name shows as nothing: "", or RFC
// 2047 words of blanks.
func blankName(name []byte) bool {
	return shownName(name) == ""
}

// shownName is a display name as a reader shows it: unquoted, its RFC 2047
// words decoded, blanks (Unicode ones too) at both ends trimmed.
func shownName(name []byte) string {
	return strings.TrimSpace(string(decodeText(unquote(name))))
}

// unquote removes the quotes of the quoted strings in a phrase and undoes
// their backslash escapes; everything outside them is kept as written.
func unquote(p []byte) []byte {
	if bytes.IndexByte(p, '"') < 0 {
		return p
	}
	out := make([]byte, 0, len(p))
	quoted := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '"':
			quoted = !quoted
		case quoted && c == '\\' && i+1 < len(p):
			i++
			out = append(out, p[i])
		default:
			out = append(out, c)
		}
	}
	return out
}

// decodeUnquoted is a display name as a reader shows it before trimming:
// the quotes of its quoted strings removed (their text kept as written, as
// RFC 2047 5 (3) has it), the RFC 2047 words outside them decoded.
func decodeUnquoted(p []byte) []byte {
	var out, plain []byte
	flush := func() {
		out = append(out, decodeText(plain)...)
		plain = plain[:0]
	}
	quoted := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '"':
			flush()
			quoted = !quoted
		case quoted && c == '\\' && i+1 < len(p):
			i++
			out = append(out, p[i])
		case quoted:
			out = append(out, c)
		default:
			plain = append(plain, c)
		}
	}
	flush()
	return out
}

// appendQuoted writes text as an RFC 5322 quoted string, escaping '"' and
// '\'. Other bytes, 8-bit ones included, are written as they are.
func appendQuoted(out, text []byte) []byte {
	out = append(out, '"')
	for _, c := range text {
		if c == '"' || c == '\\' {
			out = append(out, '\\')
		}
		out = append(out, c)
	}
	return append(out, '"')
}

// ErrUnfoldable is returned (wrapped) by Rewrite when a header line it
// writes cannot be brought within RFC 5322's 998 octets without changing
// what it says: a run without blanks that long in a value that cannot be
// re-encoded. Nothing is sent; the message is left as it is.
var ErrUnfoldable = errors.New("header line longer than 998 octets that cannot be folded")

// foldCreated folds a field Rewrite builds (without its final line ending)
// near 78 octets (76 with encoded words), with eol for the new breaks, and fails if a line is still
// over 998.
func foldCreated(f []byte, eol string) ([]byte, error) {
	out := headerfold.Created(f, eol)
	if n := headerfold.LongestLine(out); n > headerfold.Hard {
		return nil, fmt.Errorf("%w (%s: %d octets)", ErrUnfoldable, fieldName(f), n)
	}
	return out, nil
}

// foldPassed folds a field Rewrite passes on only when a line is over 998
// octets: other fields stay byte for byte what the sender wrote (and what
// the Lambda sends). A field that folding cannot bring within 998 octets
// (a run without blanks that long) is refused with ErrUnfoldable (Rewrite
// writes a Subject or Reply-To again instead): SES refuses such a line,
// and every line sesbox sends keeps to RFC 5322 (difference 26; the
// Lambda passes it on).
func foldPassed(f []byte, eol string) ([]byte, error) {
	out := headerfold.Fold(f, eol, headerfold.Hard)
	if n := headerfold.LongestLine(out); n > headerfold.Hard {
		return nil, fmt.Errorf("%w (%s: %d octets)", ErrUnfoldable, fieldName(f), n)
	}
	return out, nil
}

func fieldName(f []byte) string {
	name, _, _ := bytes.Cut(f, []byte(":"))
	if len(name) > 40 {
		name = name[:40]
	}
	return string(bytes.TrimSpace(name))
}

// fromLine writes the new From field (without its line ending): one line
// when it fits in 78 octets, else folded at the blanks of the phrase. When
// even that leaves a line over 998 octets (a name with no blank in it), the
// phrase is written as RFC 2047 words of its decoded text instead, which
// fold and read the same.
func fromLine(cfg Config, old []byte, originalRecipient, eol string) ([]byte, error) {
	v := fromValue(cfg, old, originalRecipient)
	line, err := foldCreated(append([]byte("From: "), v...), eol)
	if err == nil {
		return line, nil
	}
	lt := bytes.LastIndexByte(v, '<')
	if lt < 0 {
		return nil, fmt.Errorf("rewrite: From: %w", err)
	}
	phrase := decodeText(unquote(bytes.TrimSpace(v[:lt])))
	words := headerfold.Words(string(phrase), true, len("From: "))
	line, err = foldCreated([]byte("From: "+words+" "+string(v[lt:])), eol)
	if err != nil {
		return nil, fmt.Errorf("rewrite: From: %w", err)
	}
	return line, nil
}

// subjectLine writes "Subject: " + prefix + value, value being the rest of
// the field as written (continuation lines and line ending included, but
// not blank-only lines, which RFC 5322 forbids writing), folded near 78. A value with a run too long to fold is written as RFC
// 2047 words of its decoded text; one that cannot be decoded (an unknown
// charset) is refused.
func subjectLine(prefix string, value []byte, eol string) ([]byte, error) {
	f := append([]byte("Subject: "+prefix), dropBlankLines(value)...)
	body, term := trimEOL(f)
	line, err := foldCreated(body, eol)
	if err == nil {
		return append(line, term...), nil
	}
	// An encoded word must stand apart from other text (RFC 2047 5):
	// after a prefix that does not end in a blank ("[P]") the prefix is
	// encoded with the text, which reads the same. So is a prefix that
	// holds encoded words itself ("=?utf-8?Q?[R=C3=A9]?= "), decoded with
	// the text as a reader decodes the Lambda's line: kept as it is, a
	// blank after it would go between two words, where readers drop it.
	lead, joined := "Subject: "+prefix, string(unfold(value))
	if decoded, _ := wordDecoder.DecodeHeader(prefix); decoded != prefix ||
		prefix != "" && !strings.HasSuffix(prefix, " ") && !strings.HasSuffix(prefix, "\t") {
		lead, joined = "Subject: ", prefix+joined
	}
	text, derr := wordDecoder.DecodeHeader(joined)
	if derr != nil {
		return nil, fmt.Errorf("rewrite: Subject: %w; its encoded words cannot be re-encoded: %v", err, derr)
	}
	line, err = foldCreated([]byte(lead+headerfold.Words(string(decodedNoControls(text)), true, len(lead))), eol)
	if err != nil {
		return nil, fmt.Errorf("rewrite: Subject: %w", err)
	}
	return append(line, term...), nil
}

// replyToLine writes "Reply-To: " + the first From's value as written
// (line ending included when it has one, blank-only lines left out), folded
// near 78. When a run in it
// is too long to fold, the value is parsed as an address list and written
// again with every display name as RFC 2047 words (a value net/mail cannot
// parse keeps only its first mailbox, and is refused if even that has no
// usable address).
func replyToLine(value []byte, eol string) ([]byte, error) {
	body, term := trimEOL(append([]byte("Reply-To: "), dropBlankLines(value)...))
	line, err := foldCreated(body, eol)
	if err == nil {
		return append(line, term...), nil
	}
	var parts []string
	if list, perr := mail.ParseAddressList(string(unfold(value))); perr == nil {
		for _, a := range list {
			parts = append(parts, mailbox(a.Name, a.Address, len(parts) == 0))
		}
	} else {
		// Not RFC 5322: keep the first mailbox, found as fromValue finds it.
		name, addr := firstMailbox(unfold(value))
		if len(addr) == 0 || bytes.ContainsAny(addr, " \t<>") {
			return nil, fmt.Errorf("rewrite: Reply-To: %w; the From it copies does not parse: %v", err, perr)
		}
		parts = append(parts, mailbox(string(decodeText(unquote(name))), string(addr), true))
	}
	line, err = foldCreated([]byte("Reply-To: "+strings.Join(parts, ", ")), eol)
	if err != nil {
		return nil, fmt.Errorf("rewrite: Reply-To: %w", err)
	}
	return append(line, term...), nil
}

// dropBlankLines removes the continuation lines of a field value that hold
// only blanks: RFC 5322 forbids writing them, and unfolded they are only
// blanks between tokens, which the lines around them keep.
func dropBlankLines(v []byte) []byte {
	nl := bytes.IndexByte(v, '\n')
	if nl < 0 {
		return v
	}
	out := bytes.Clone(v[:nl+1])
	for rest := v[nl+1:]; len(rest) > 0; {
		end := len(rest)
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			end = i + 1
		}
		if len(bytes.Trim(rest[:end], " \t\r\n")) > 0 {
			out = append(out, rest[:end]...)
		}
		rest = rest[end:]
	}
	return out
}

// mailbox writes "words <addr>", or "<addr>" without a name; first says
// it is the first of Reply-To's value, right after "Reply-To: " (the others
// follow a blank foldCreated breaks at).
func mailbox(name, addr string, first bool) string {
	if strings.TrimSpace(name) == "" {
		return "<" + addr + ">"
	}
	col := 1
	if first {
		col = len("Reply-To: ")
	}
	return headerfold.Words(name, true, col) + " <" + addr + ">"
}

// trimEOL splits the final line ending off f.
func trimEOL(f []byte) (body, term []byte) {
	switch {
	case bytes.HasSuffix(f, []byte("\r\n")):
		return f[:len(f)-2], f[len(f)-2:]
	case bytes.HasSuffix(f, []byte("\n")):
		return f[:len(f)-1], f[len(f)-1:]
	}
	return f, nil
}

// wordDecoder decodes RFC 2047 words in every charset sesbox reads
// (Go's own knows only UTF-8, ISO-8859-1 and US-ASCII: a KOI8-R name
// stayed undecoded, and a long KOI8-R Subject was refused), failing on a
// charset it does not know.
var wordDecoder = &mime.WordDecoder{CharsetReader: sesmime.KnownCharsetReader}

// decodeText decodes the RFC 2047 words of a display name; a name it cannot
// decode (an unknown charset) is kept as written. Bytes that are not UTF-8
// are kept as they are: Words carries them byte for byte.
func decodeText(b []byte) []byte {
	if s, err := wordDecoder.DecodeHeader(string(b)); err == nil {
		return decodedNoControls(s)
	}
	return b
}

// decodedNoControls is text decoded from RFC 2047 words without the
// control characters words can decode to (a UTF-16 NUL, CR, LF), which
// Rewrite keeps out of every line it writes (difference 30): decoded, a
// header value holds no line break either.
func decodedNoControls(s string) []byte {
	return bytes.ReplaceAll(bytes.ReplaceAll(dropControls([]byte(s)), []byte("\r"), nil), []byte("\n"), nil)
}
