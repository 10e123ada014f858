package compose

import (
	"bytes"
	crand "crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"mime"
	"net/mail"
	"net/textproto"
	"path/filepath"
	"strings"
	"time"

	"github.com/jhillyerd/enmime/v2"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/headerfold"
	"github.com/sesbox/sesbox/mailstore/sanitize"
)

// Message is a reply as the user finished it, ready to build.
type Message struct {
	From    mail.Address
	To, Cc  []mail.Address
	Subject string
	Threading
	// Body is the whole text (the user's words and the quote), UTF-8.
	Body        string
	Attachments []Attachment
}

// Attachment is a file sent with the reply.
type Attachment struct {
	Name        string // the base name the recipient sees
	ContentType string // empty: from the name's extension
	Data        []byte
}

// BuildOptions pin what is otherwise taken from the clock and randomness,
// for tests and goldens.
type BuildOptions struct {
	// Date is the Date header; zero means now.
	Date time.Time
	// Seed, when not nil, makes the MIME boundaries and the Message-ID
	// depend on it alone (enmime's RandSeed and our own id).
	Seed *int64
}

// Built is a finished message.
type Built struct {
	Raw []byte
	// MessageID is the new Message-ID, without angle brackets.
	MessageID string
	// Destinations are the envelope recipients: To and Cc, in order.
	Destinations []string
}

// Build makes the raw message with enmime's Builder: UTF-8 text in
// quoted-printable, CRLF line ends, a fresh Message-ID on the From
// address's domain, Date, In-Reply-To and References. Every header value
// is checked again here, whatever produced the Message.
func Build(m Message, opts BuildOptions) (Built, error) {
	if m.From.Address == "" {
		return Built{}, errors.New("build reply: no From address")
	}
	from, err := reclean(m.From)
	if err != nil {
		return Built{}, fmt.Errorf("build reply: From: %w", err)
	}
	to, err := recleanAll(m.To)
	if err != nil {
		return Built{}, fmt.Errorf("build reply: To: %w", err)
	}
	cc, err := recleanAll(m.Cc)
	if err != nil {
		return Built{}, fmt.Errorf("build reply: Cc: %w", err)
	}
	if len(to) == 0 {
		return Built{}, errors.New("build reply: no To address")
	}
	if err := CheckRecipientCount(len(to) + len(cc)); err != nil {
		return Built{}, err
	}
	date := opts.Date
	if date.IsZero() {
		date = time.Now()
	}
	var rnd io.Reader = crand.Reader
	b := enmime.Builder()
	if opts.Seed != nil {
		rnd = rand.New(rand.NewSource(*opts.Seed))
		b = b.RandSeed(*opts.Seed)
	}
	id, err := newMessageID(rnd, domainOf(from.Address))
	if err != nil {
		return Built{}, fmt.Errorf("build reply: %w", err)
	}
	// From, To, Cc and Subject are written by ownFields, not by enmime (see
	// there); the builder still needs a From and recipients to build.
	b = b.From(from.Name, from.Address).
		ToAddrs(to).
		Date(date).
		Header("Message-ID", "<"+id+">")
	if len(cc) > 0 {
		b = b.CCAddrs(cc)
	}
	if ValidMessageID(m.InReplyTo) {
		b = b.Header("In-Reply-To", "<"+m.InReplyTo+">")
	}
	var refs []string
	for _, r := range m.References {
		if ValidMessageID(r) {
			refs = append(refs, r)
		}
	}
	if refs = trimReferences(refs); len(refs) > 0 {
		b = b.Header("References", angle(refs))
	}
	b = b.Text([]byte(normalizeBody(m.Body)))
	for _, a := range m.Attachments {
		name := sanitize.Filename(a.Name)
		ct := a.ContentType
		if ct == "" {
			ct = mime.TypeByExtension(filepath.Ext(name))
		}
		if mt, _, err := mime.ParseMediaType(ct); err == nil {
			// Parameters (a charset guessed from the extension) would stop
			// enmime from adding the name.
			ct = mt
		} else {
			ct = ""
		}
		if ct == "" {
			ct = "application/octet-stream"
		}
		b = b.AddAttachment(a.Data, ct, name)
	}
	root, err := b.Build()
	if err != nil {
		return Built{}, fmt.Errorf("build reply: %w", err)
	}
	// textproto spells these Message-Id and Mime-Version; write them the
	// way RFC 5322 and RFC 2045 do (the map key is written as it is).
	respell(root.Header, "Message-ID")
	respell(root.Header, "MIME-Version")
	// Text parts go out as quoted-printable whatever their script (enmime
	// would pick base64 for mostly non-ASCII text); that also makes their
	// line ends CRLF. Attachments that are not text stay base64.
	qp := enmime.NewEncoder(enmime.ForceQuotedPrintableCte(true))
	_ = root.DepthMatchAll(func(p *enmime.Part) bool {
		if strings.HasPrefix(p.ContentType, "text/") || p == root {
			p.WithEncoder(qp)
		}
		return false
	})
	for _, k := range []string{"From", "To", "Cc", "Subject"} {
		root.Header.Del(k)
	}
	var buf bytes.Buffer
	buf.Write(ownFields(from, to, cc, sanitize.HeaderValue(m.Subject)))
	if err := root.Encode(&buf); err != nil {
		return Built{}, fmt.Errorf("build reply: %w", err)
	}
	out := Built{Raw: buf.Bytes(), MessageID: id}
	for _, a := range append(append([]mail.Address{}, to...), cc...) {
		// As written in the header: a quoted local part keeps its quotes.
		out.Destinations = append(out.Destinations, AddrSpec(a.Address))
	}
	return out, nil
}

// CheckRecipientCount refuses more recipients than SES takes in one
// message, which SES would only refuse at the send, with what to do first.
// Build refuses such a reply; a plan warns of it before any text is typed.
func CheckRecipientCount(n int) error {
	if n <= mailstore.MaxDestinations {
		return nil
	}
	return &mailstore.HintError{
		Hint: fmt.Sprintf("remove %d of the %d recipients from the To and Cc lines", n-mailstore.MaxDestinations, n),
		Err:  fmt.Errorf("reply to %d recipients: SES takes at most %d in one message", n, mailstore.MaxDestinations),
	}
}

func respell(h textproto.MIMEHeader, name string) {
	canon := textproto.CanonicalMIMEHeaderKey(name)
	if v, ok := h[canon]; ok && canon != name {
		delete(h, canon)
		h[name] = v
	}
}

// reclean runs an address through CleanAddress again: a Message may come
// from anywhere (a draft file the user edited, a test).
func reclean(a mail.Address) (mail.Address, error) {
	return cleanDecoded(mailAddress(a))
}

func recleanAll(list []mail.Address) ([]mail.Address, error) {
	out := make([]mail.Address, 0, len(list))
	seen := map[string]bool{}
	for _, a := range list {
		c, err := reclean(a)
		if err != nil {
			return nil, err
		}
		if seen[addrKey(c.Address)] {
			continue
		}
		seen[addrKey(c.Address)] = true
		out = append(out, c)
	}
	return out, nil
}

// ownFields writes the From, To, Cc and Subject fields, folded. enmime's
// header writer folds at any blank near 76 columns, inside a display name
// as readily as between addresses, cannot shorten a long run without
// blanks (a 5,000-character Subject stayed one 5,000-octet line), and
// breaks inside a run of blanks, where it can leave a blank-only line.
// Here address lists fold between addresses first, every line is then
// folded with headerfold (single spaces only, near 78), and values are
// built so that no run without blanks is longer than an encoded word.
func ownFields(from mail.Address, to, cc []mail.Address, subject string) []byte {
	var out []byte
	field := func(name, value string) {
		out = append(out, headerfold.Created([]byte(name+": "+value+"\r\n"), "\r\n")...)
	}
	field("From", headerAddress(from, len("From: ")))
	field("To", addressList(len("To: "), to))
	if len(cc) > 0 {
		field("Cc", addressList(len("Cc: "), cc))
	}
	field("Subject", encodeSubject(subject))
	return out
}

// addressList joins formatted addresses with ", ", breaking the line
// between two addresses (before the blank after the comma) whenever the next
// one would not fit in 78 columns. col is where the value starts.
func addressList(col int, list []mail.Address) string {
	var b strings.Builder
	for i, a := range list {
		s := headerAddress(a, col)
		if i > 0 {
			s = headerAddress(a, 1) // after a blank Created can break at
			b.WriteByte(',')
			col++
			if col+1+len(s) > headerfold.Soft {
				b.WriteString("\r\n")
				col = 0
			}
			b.WriteByte(' ')
			col++
		}
		b.WriteString(s)
		col += len(s)
	}
	return b.String()
}

// headerAddress writes an address for the header: an ASCII display name
// as net/mail quotes it, any other as RFC 2047 Q words in the stricter
// alphabet a phrase needs (net/mail's own Address.String leaves a "\\" in
// such a word, which its parser then refuses). An ASCII name whose quoted
// form has a run without blanks too long to fold is written as words too,
// so the line folds between them. So is an ASCII name holding "=?": RFC
// 2047 forbids decoding words in a quoted name, but Python's email and most
// mail clients do, and a name that reads "=?utf-8?q?x=0D=0ABcc:_y?=" (what
// an original's doubly encoded name decodes to) would reach them as a line
// break and a Bcc field; as words it reads as the text it is.
//
// col is the column the address starts at, so that the first line of the
// field keeps to RFC 2047's 76 octets (headerfold.Words).
func headerAddress(a mail.Address, col int) string {
	if a.Name == "" {
		return a.String()
	}
	if s := a.String(); isASCII(a.Name) && !strings.Contains(a.Name, "=?") && headerfold.LongestRun(s) <= maxRun {
		return s
	}
	return headerfold.Words(a.Name, true, col) + " <" + AddrSpec(a.Address) + ">"
}

// maxRun is the longest run without blanks a value sesbox writes may have:
// one encoded word, so that folding can always bring a line near 78.
const maxRun = 75

// encodeSubject returns the subject as it is written in the header: as it
// is when it is plain ASCII, else RFC 2047 encoded (B for mostly non-ASCII
// text, Q otherwise, as enmime itself would choose). Text that merely
// looks like an encoded word ("=?...?="), and ASCII text with a run without
// blanks too long to fold, are encoded too: the recipient sees the subject
// as the sender wrote it, on lines near 78 octets.
func encodeSubject(s string) string {
	if isASCII(s) && !strings.Contains(s, "=?") && headerfold.LongestRun(s) <= maxRun-len("Subject: ") {
		return s
	}
	if isASCII(s) {
		// The WordEncoder leaves plain ASCII alone; force Q words.
		return headerfold.Words(s, true, len("Subject: "))
	}
	non := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			non++
		}
	}
	// Not mime's WordEncoder: its words of 75 octets made a first line of
	// 84, over RFC 2047's 76.
	return headerfold.Words(s, non*5 <= len(s), len("Subject: "))
}

// normalizeBody makes the text valid UTF-8 with LF line ends, free of
// terminal controls (the quote came from the original), and ending in one
// newline. The quoted-printable encoder turns LF into CRLF.
func normalizeBody(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = sanitize.Text(s)
	s = strings.ReplaceAll(s, "\r", "")
	return strings.TrimRight(s, "\n") + "\n"
}

var idEncoding = base32.NewEncoding("0123456789abcdefghijklmnopqrstuv").WithPadding(base32.NoPadding)

// newMessageID returns "<random>.sesbox@domain" without brackets: 120
// random bits, so ids never collide.
func newMessageID(rnd io.Reader, domain string) (string, error) {
	if domain == "" {
		return "", errors.New("no domain for the Message-ID")
	}
	var b [15]byte
	if _, err := io.ReadFull(rnd, b[:]); err != nil {
		return "", fmt.Errorf("make Message-ID: %w", err)
	}
	return idEncoding.EncodeToString(b[:]) + ".sesbox@" + domain, nil
}
