// Package compose builds replies to stored messages: who they go to, the
// subject, the threading headers, the quoted original, and finally the raw
// bytes (with enmime's Builder) that are handed to SES.
//
// Everything taken from the original is attacker-controlled. Names and the
// subject pass through sanitize.HeaderValue, addresses through net/mail
// (one addr-spec, nothing else), message ids through ValidMessageID, and
// the body through sanitize.Text, so nothing in the original can end a
// header field, add one, or add a recipient.
package compose

import (
	"errors"
	"fmt"
	"index/suffixarray"
	"net/mail"
	"strings"

	"github.com/sesbox/sesbox/internal/lazyregexp"
	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/mime"
	"github.com/sesbox/sesbox/mailstore/sanitize"
)

// Identity is who we are in one mailbox: the configured From address and
// the SES-verified domains we may send from.
type Identity struct {
	// From is the mailbox's configured `from` ("Name <addr>" or "addr").
	From string
	// Domains are the mailbox's `identity_domains`: the SES-verified
	// domains whose addresses may be used as From.
	Domains []string
}

// ErrNoIdentity is returned (wrapped, with the details, under a
// mailstore.HintError naming the CLI's --from) when no From address can be
// chosen for a reply. A caller without --from (the TUI) puts its own
// HintError in front: Explain says the outermost hint.
var ErrNoIdentity = errors.New("no verified identity to send from")

// ErrNoRecipient is returned (wrapped, under a mailstore.HintError naming
// the CLI's --to) when the original names no address a reply can go to.
// The TUI, which has no --to flag, puts its own HintError in front.
var ErrNoRecipient = errors.New("the original names no address")

// ChooseFrom picks the From address of a reply to s: override (--from)
// when given, else the configured from, else the first SES envelope
// recipient of s whose domain is one of the identity domains, without a
// display name (nothing below SES's receipt block may name our From).
func (id Identity) ChooseFrom(override string, s mailstore.Summary) (mail.Address, error) {
	if strings.TrimSpace(override) != "" {
		a, err := ParseAddress(override)
		if err != nil {
			return mail.Address{}, fmt.Errorf("--from: %w", err)
		}
		return a, nil
	}
	if strings.TrimSpace(id.From) != "" {
		a, err := ParseAddress(id.From)
		if err != nil {
			return mail.Address{}, fmt.Errorf("the mailbox's from: %w", err)
		}
		return a, nil
	}
	for _, r := range s.Recipients {
		// As SES wrote it: a quoted local part keeps its quotes there,
		// not in s.To (net/mail's decoded form); both are compared
		// decoded.
		a, err := CleanAddress(mailstore.Address{Address: r})
		if err != nil {
			continue
		}
		if id.ownsDomain(a.Address) {
			// The address alone: a display name from the original's To or
			// Cc would be the sender's words in our From ("PayPal Security"
			// <support@…>), DKIM-signed for our domain and sent wherever
			// the sender's Reply-To points. The mailbox's from names it.
			a.Name = ""
			return a, nil
		}
	}
	recips := "none recorded"
	if len(s.Recipients) > 0 {
		recips = sanitize.Line(strings.Join(s.Recipients, ", "))
	}
	if len(id.Domains) > 0 {
		return mail.Address{}, &mailstore.HintError{Hint: "give --from ADDR or set from in the mailbox's config",
			Err: fmt.Errorf("%w: the message's SES envelope recipient (%s) is not in identity_domains (%s)", ErrNoIdentity, recips, strings.Join(id.Domains, ", "))}
	}
	return mail.Address{}, &mailstore.HintError{Hint: "give --from ADDR, set from = \"Name <addr>\" in the mailbox's config, or list your SES-verified domains in identity_domains so the address the message was sent to is used",
		Err: fmt.Errorf("%w: the message was sent to %s", ErrNoIdentity, recips)}
}

// ownsDomain reports whether addr is at one of the identity domains.
func (id Identity) ownsDomain(addr string) bool {
	d := domainOf(addr)
	for _, want := range id.Domains {
		if d != "" && d == strings.ToLower(strings.TrimSpace(want)) {
			return true
		}
	}
	return false
}

// Reply is the starting point of a reply, before the user edits it.
type Reply struct {
	From    mail.Address
	To, Cc  []mail.Address
	Subject string
	Threading
	// Quote is the attribution line and the quoted original, LF line ends.
	Quote string
	// Warnings say what was left out of the original (an address that
	// cannot be parsed or sent to), for the user to see before sending.
	Warnings []string
}

// Options are the user's choices for NewReply.
type Options struct {
	// All makes a reply-all: the original To and Cc join as Cc.
	All bool
	// From is the chosen sender (see Identity.ChooseFrom).
	From mail.Address
	// Own are more of our addresses, left out of a reply-all (the
	// configured from), decoded as mail.Address holds them; the SES
	// envelope recipients are added by NewReply.
	Own []string
	// To are recipients the user chose (reply --to) in place of the
	// original's: none is read from the original then, so an original
	// with no address a reply can go to can still be answered.
	To []mail.Address
}

// NewReply plans the reply to the stored message raw, whose parse is v:
//   - To is the original's Mail-Reply-To, else its Reply-To, else its From;
//     when that is us and so is its From (a reply to our own message, its
//     From not failed by SES's DMARC check), the original's To; when only
//     the Mail-Reply-To or Reply-To is us, its From.
//   - A reply-all goes to the original's Mail-Followup-To when it names
//     someone besides us (To only, no Cc); else it adds the original's To
//     and Cc as Cc. Either way without our own addresses and without
//     repeats.
//   - Subject and threading as ReplySubject and ThreadingFor say.
//   - The quote is the text body, or the HTML body as text.
//
// An address is taken only when it is written as an address in raw's
// header: one that appears only inside an encoded word (a display name
// that decodes to "x\r\nBcc: <evil@example>") is left out with a
// warning, whatever a lenient parser made of it.
//
// A list it needs (Mail-Reply-To, Reply-To; Mail-Followup-To, To and Cc
// for a reply-all) is counted before
// it is parsed, and one of more than maxReplyList addresses is refused:
// parsing costs some 85 bytes a header byte, and no reply can go to so
// many (SES takes mailstore.MaxDestinations).
//
// With opts.To it goes to those alone and reads no recipient from raw.
//
// It fails when no recipient is left (saying why, with the hint to name
// one) or a list is too long.
func NewReply(raw []byte, v *mime.View, opts Options) (Reply, error) {
	s := v.Summary
	literal := literalFields(raw)
	r := Reply{From: opts.From, Subject: ReplySubject(s.Subject)}
	r.Threading = ThreadingFor(s.MessageID, s.InReplyTo, s.References)
	r.Quote = Attribution(s.Date, s.DateFromStore, s.From) + "\n" + Quote(quotedText(v))
	if len(opts.To) > 0 {
		r.To = opts.To
		return r, nil
	}

	own := map[string]bool{addrKey(opts.From.Address): true}
	for _, a := range opts.Own {
		if c, err := cleanDecoded(mailstore.Address{Address: a}); err == nil {
			own[addrKey(c.Address)] = true
		}
	}
	for _, a := range s.Recipients {
		if c, err := CleanAddress(mailstore.Address{Address: a}); err == nil {
			own[addrKey(c.Address)] = true
		}
	}
	clean := func(field string, list []mailstore.Address) []mail.Address {
		var out []mail.Address
		// Indexed once: an original may name thousands of addresses, each
		// searched for in the whole field.
		lit := suffixarray.New([]byte(strings.ToLower(literal[strings.ToLower(field)])))
		for _, a := range list {
			if strings.TrimSpace(a.Address) == "" {
				// "From: foo", a name with no domain ("cannot parse From address").
				r.Warnings = append(r.Warnings, fmt.Sprintf("left out %s %q: it is not an address", field, sanitize.Line(a.Name)))
				continue
			}
			if addr := strings.TrimSpace(a.Address); !writtenIn(lit, addr) {
				r.Warnings = append(r.Warnings, fmt.Sprintf("left out %s address %q: it is not written as an address in the original", field, sanitize.Line(a.Address)))
				continue
			}
			c, err := cleanDecoded(a)
			if err != nil {
				r.Warnings = append(r.Warnings, fmt.Sprintf("left out %s address: %v", field, err))
				continue
			}
			out = append(out, c)
		}
		return out
	}

	// Mail-Reply-To is where the author wants replies to the author alone
	// (mutt reads it in place of Reply-To, for every reply).
	// whole reads the list field whole, or refuses it past maxReplyList
	// with hint.
	whole := func(field, hint string) ([]mail.Address, error) {
		list, n := mime.AddressFieldUpTo(raw, field, maxReplyList)
		if n > maxReplyList {
			return nil, &mailstore.HintError{
				Hint: hint,
				Err:  fmt.Errorf("reply: the original's %s names %d addresses, more than a reply reads (%d; SES takes %d in one message)", field, n, maxReplyList, mailstore.MaxDestinations),
			}
		}
		return clean(field, list), nil
	}
	const (
		newMessage  = "write to those you mean in a new message: no reply can go to them all"
		senderAlone = "reply to the sender alone: reply without --all (r, not R, in the viewer)"
	)
	field := "Mail-Reply-To"
	target, err := whole(field, newMessage)
	if err != nil {
		return r, err
	}
	if len(target) == 0 {
		field = "Reply-To"
		if target, err = whole(field, newMessage); err != nil {
			return r, err
		}
	}
	var from []mailstore.Address
	if s.From.Address != "" || s.From.Name != "" {
		from = []mailstore.Address{s.From}
	}
	if len(target) == 0 {
		field, target = "From", clean("From", from)
	}
	// A reply to a message we sent goes to whom we sent it, as mutt's
	// does: when its From is ours. A Reply-To naming only us is the
	// sender's words: taken for "our message" it sent a plain reply to
	// whomever the sender put in To, their text quoted, from our
	// address; the reply goes to the From instead. A From of ours that
	// SES's DMARC check failed (in SES's own block) is a forgery of our
	// domain: no recipient is taken from it.
	if allOwn(target, own) {
		sender := target
		if field != "From" {
			sender = clean("From", from)
		}
		switch {
		case !allOwn(sender, own):
			r.Warnings = append(r.Warnings, field+" names only your own address: replying to the From")
			target = sender
		case strings.EqualFold(s.Verdicts.DMARC, "FAIL"):
			r.Warnings = append(r.Warnings, "the From is your own address but SES's DMARC check failed it (a forgery of your domain): not replying to the recipients it names")
		default:
			// Whole: a Summary keeps the first 16 KB of a list, and a
			// reply-all goes to every address.
			if target, err = whole("To", newMessage); err != nil {
				return r, err
			}
		}
	}
	to := newAddressSet(own)
	for _, a := range target {
		to.add(a)
	}
	r.To = to.list
	followup := newAddressSet(own)
	if opts.All {
		// Mail-Followup-To is where the author wants a reply-all to go
		// (a list, without the author who reads it): honored as mutt's
		// honor_followup_to does, it replaces To and Cc.
		list, err := whole("Mail-Followup-To", senderAlone)
		if err != nil {
			return r, err
		}
		for _, a := range list {
			followup.add(a)
		}
		if len(followup.list) == 0 && strings.TrimSpace(literal["mail-followup-to"]) != "" {
			r.Warnings = append(r.Warnings, "Mail-Followup-To names no address to reply to but yours: replying to all the original's recipients instead")
		}
	}
	if len(followup.list) > 0 {
		r.To = followup.list
	} else if opts.All {
		skip := map[string]bool{}
		for k := range own {
			skip[k] = true
		}
		for _, a := range r.To {
			skip[addrKey(a.Address)] = true
		}
		cc := newAddressSet(skip)
		for _, field := range []string{"To", "Cc"} {
			list, err := whole(field, senderAlone)
			if err != nil {
				return r, err
			}
			for _, a := range list {
				cc.add(a)
			}
		}
		r.Cc = cc.list
	}
	if len(r.To) == 0 {
		if len(r.Cc) == 0 {
			// Say why: an address left out (one SES cannot send to) is
			// otherwise a warning no one sees.
			err := fmt.Errorf("reply: %w to reply to", ErrNoRecipient)
			if len(r.Warnings) > 0 {
				err = fmt.Errorf("reply: %w a reply can go to: %s", ErrNoRecipient, strings.Join(r.Warnings, "; "))
			}
			return r, &mailstore.HintError{Hint: "send the reply to an address you name: sesbox reply --to ADDR", Err: err}
		}
		r.To, r.Cc = r.Cc[:1], r.Cc[1:]
	}
	return r, nil
}

// maxReplyList is the most addresses NewReply reads of one list field:
// twenty times what SES takes, so a sendable reply-all is never refused
// for repeats or our own addresses, and few enough that parsing them is
// cheap.
const maxReplyList = 20 * mailstore.MaxDestinations

func allOwn(list []mail.Address, own map[string]bool) bool {
	if len(list) == 0 {
		return false
	}
	for _, a := range list {
		if !own[addrKey(a.Address)] {
			return false
		}
	}
	return true
}

// encodedWord matches an RFC 2047 encoded word.
var encodedWord = lazyregexp.New(`=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=`)

// literalFields returns the address fields (from, reply-to, to, cc,
// mail-reply-to, mail-followup-to; keys lower-case) of raw's header block as written: unfolded, repeated fields
// joined, every encoded word removed.
func literalFields(raw []byte) map[string]string {
	// Built up in pieces: a field may have thousands of lines.
	parts := map[string][]string{}
	end := mime.HeaderEnd(raw)
	if end < 0 {
		end = len(raw)
	}
	name := ""
	for _, line := range strings.Split(string(raw[:end]), "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" {
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			if name != "" {
				parts[name] = append(parts[name], " "+withoutWords(line))
			}
			continue
		}
		n, value, ok := strings.Cut(line, ":")
		name = strings.ToLower(strings.TrimSpace(n))
		switch name {
		case "from", "reply-to", "to", "cc", "mail-reply-to", "mail-followup-to":
		default:
			name = ""
			continue
		}
		if !ok {
			name = ""
			continue
		}
		parts[name] = append(parts[name], " "+withoutWords(value))
	}
	out := make(map[string]string, len(parts))
	for name, p := range parts {
		out[name] = strings.Join(p, "")
	}
	return out
}

// withoutWords is s with its encoded words replaced by a space. A line
// without "=?" is kept as is, before the regexp: a field may have
// thousands of lines, and each match allocates its state anew when the
// pool drops it (under the race detector, 250 bytes a header byte).
func withoutWords(s string) string {
	if !strings.Contains(s, "=?") {
		return s
	}
	return encodedWord().ReplaceAllString(s, " ")
}

// writtenIn reports whether the decoded addr-spec addr is written as an
// address in lit, the index of a header field's raw value in lower case: as
// it decodes (a dot-atom), as AddrSpec quotes it, or quoted whole
// ("john"@x).
func writtenIn(lit *suffixarray.Index, addr string) bool {
	contains := func(s string) bool { return len(lit.Lookup([]byte(s), 1)) > 0 }
	addr = strings.ToLower(addr)
	if contains(addr) || contains(AddrSpec(addr)) {
		return true
	}
	at := strings.LastIndexByte(addr, '@')
	return at > 0 && contains(`"`+addr[:at]+`"`+addr[at:])
}
