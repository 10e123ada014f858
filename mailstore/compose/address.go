package compose

import (
	"fmt"
	"net/mail"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/sanitize"
)

// maxAddressBytes bounds one addr-spec (RFC 5321 allows 254 in a path).
const maxAddressBytes = 254

// CleanAddress turns an address taken from a message (or typed by the user)
// into one that is safe to write in a header and to hand to SES. a.Address
// is one bare addr-spec as it is written in a header or an SMTP envelope
// (an SES envelope recipient): a dot-atom or a quoted-string local part
// (`"john doe"@example.com`, `"a@b"@example.com`), "@", a domain, and
// nothing else: no name, no angle brackets, no second address, no group,
// no comment, no blank outside the quotes. The result holds the address
// decoded, as net/mail holds it (`john doe@example.com`): it compares with
// addresses net/mail parsed, and mail.Address.String (or AddrSpec) writes
// it quoted again. An address already decoded goes through cleanDecoded.
//
// The name passes through sanitize.HeaderValue. A local part with a
// control character (CR, LF) or a non-ASCII one (SES takes none) is
// refused; an internationalized domain is converted to its ASCII
// (punycode) form. The error says why an address is unusable.
func CleanAddress(a mailstore.Address) (mail.Address, error) {
	name := sanitize.HeaderValue(a.Name)
	raw := strings.TrimSpace(a.Address)
	if raw == "" {
		return mail.Address{}, fmt.Errorf("%q has no address", name)
	}
	if len(raw) > maxAddressBytes {
		return mail.Address{}, fmt.Errorf("address %q is longer than %d bytes", sanitize.Line(raw[:40])+"…", maxAddressBytes)
	}
	invalid := fmt.Errorf("%q is not a valid address", sanitize.Line(raw))
	// The addr-spec alone must parse as exactly itself: this refuses
	// anything that would carry a second address, a group, a comment or a
	// line break into the header.
	p, err := mail.ParseAddress(raw)
	if err != nil || p.Name != "" {
		return mail.Address{}, invalid
	}
	// The last "@": a quoted local part may hold one.
	at := strings.LastIndexByte(p.Address, '@')
	if at <= 0 || at == len(p.Address)-1 {
		return mail.Address{}, invalid
	}
	local, domain := p.Address[:at], p.Address[at+1:]
	if raw != p.Address {
		// Only a quoted local part is written otherwise than it decodes:
		// `"` quoted-string `"` "@" domain, exactly.
		if end := quotedStringEnd(raw); end < 0 || raw[end:] != p.Address[at:] {
			return mail.Address{}, invalid
		}
	}
	if err := checkLocal(local, raw); err != nil {
		return mail.Address{}, err
	}
	// Written as sesbox will write it, it must read back the same.
	if q, err := mail.ParseAddress(AddrSpec(p.Address)); err != nil || q.Address != p.Address {
		return mail.Address{}, invalid
	}
	ascii, err := idna.Lookup.ToASCII(domain)
	if err != nil || !isASCII(ascii) {
		return mail.Address{}, fmt.Errorf("%q has an invalid domain", sanitize.Line(raw))
	}
	return mail.Address{Name: name, Address: local + "@" + strings.ToLower(ascii)}, nil
}

// listSpecials are the characters that delimit address lists, groups,
// angle addresses and comments (RFC 5322 specials, less "@", ".", `"`,
// `\`, "[" and "]").
const listSpecials = ",;:<>()"

// checkLocal refuses a decoded local part SES cannot take or a reader
// could misread: a control character (CR, LF: a header line break), a
// non-ASCII one (SES takes none), or one of listSpecials. Quoted, the
// last would still be one address, but the text would read as two
// ("a@b.example, evil"@attacker.example), a group or a comment to a person
// and to the lax parsers that split on commas; no real mailbox needs them.
// A blank, "@", `"` and `\` are fine: quoted, they are plainly one local
// part ("john doe"@example.com, "a@b"@example.com); but not blanks at
// either end (" john"@example.com), which no reader can see and every
// trimming one drops, so the decoded address would name another mailbox.
func checkLocal(local, raw string) error {
	if !isASCII(local) {
		return fmt.Errorf("%q has a non-ASCII local part, which SES cannot send to", sanitize.Line(raw))
	}
	if strings.Trim(local, " \t") != local {
		return fmt.Errorf("%q has blanks at the ends of its local part", sanitize.Line(raw))
	}
	for i := 0; i < len(local); i++ {
		if c := local[i]; c < 0x20 || c == 0x7f || strings.IndexByte(listSpecials, c) >= 0 {
			return fmt.Errorf("%q is not a valid address", sanitize.Line(raw))
		}
	}
	return nil
}

// cleanDecoded is CleanAddress of an address net/mail (or mailstore.Summary,
// or CleanAddress itself) decoded: it is written again first. The local
// part is checked before: net/mail's quoting drops a CR or LF silently.
func cleanDecoded(a mailstore.Address) (mail.Address, error) {
	addr := strings.TrimSpace(a.Address)
	if at := strings.LastIndexByte(addr, '@'); at > 0 {
		if err := checkLocal(addr[:at], addr); err != nil {
			return mail.Address{}, err
		}
	}
	return CleanAddress(mailstore.Address{Name: a.Name, Address: AddrSpec(addr)})
}

// quotedStringEnd returns the index just past the quoted string s starts
// with, -1 when it does not start with a closed one.
func quotedStringEnd(s string) int {
	if !strings.HasPrefix(s, `"`) {
		return -1
	}
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return -1
}

// AddrSpec writes a decoded addr-spec as it goes in a header and to SES:
// the local part as a dot-atom when it is one, else as a quoted string
// with `"` and `\` escaped (net/mail's own quoting).
func AddrSpec(addr string) string {
	s := (&mail.Address{Address: addr}).String()
	return strings.TrimSuffix(strings.TrimPrefix(s, "<"), ">")
}

// ParseAddressList parses a list the user typed (a To or Cc line of a
// draft) with net/mail and cleans each address.
func ParseAddressList(s string) ([]mail.Address, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	list, err := mail.ParseAddressList(s)
	if err != nil {
		return nil, fmt.Errorf("cannot read the addresses %q: %w", sanitize.Line(s), err)
	}
	out := make([]mail.Address, 0, len(list))
	for _, a := range list {
		c, err := cleanDecoded(mailstore.Address{Name: a.Name, Address: a.Address})
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// ParseAddress parses one address ("Name <addr>" or "addr") given in the
// config or on the command line.
func ParseAddress(s string) (mail.Address, error) {
	list, err := ParseAddressList(s)
	if err != nil {
		return mail.Address{}, err
	}
	if len(list) != 1 {
		return mail.Address{}, fmt.Errorf("%q is not one address", sanitize.Line(s))
	}
	return list[0], nil
}

// FormatAddressList renders addresses for a draft's To or Cc line, the
// way they are written in a header (names RFC 2047 encoded when needed
// would be unreadable in an editor, so names are kept as UTF-8 and quoted).
func FormatAddressList(list []mail.Address) string {
	parts := make([]string, len(list))
	for i, a := range list {
		parts[i] = formatAddress(a)
	}
	return strings.Join(parts, ", ")
}

func formatAddress(a mail.Address) string {
	if a.Name == "" {
		return AddrSpec(a.Address)
	}
	// mail.Address.String quotes ASCII names correctly but encodes
	// non-ASCII ones; for editing we want them readable, and net/mail
	// parses a quoted UTF-8 name back (RFC 6532).
	if isASCII(a.Name) {
		return a.String()
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(a.Name) + `" <` + AddrSpec(a.Address) + `>`
}

// addrKey is how two addresses are compared: case-insensitively. The local
// part is case-sensitive in theory, never in practice.
func addrKey(addr string) string { return strings.ToLower(addr) }

// domainOf returns the lower-case domain of an addr-spec.
func domainOf(addr string) string {
	_, d, _ := strings.Cut(addr, "@")
	return strings.ToLower(d)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// addressSet collects addresses once each, in order, leaving out the ones
// in skip.
type addressSet struct {
	list []mail.Address
	seen map[string]bool
}

func newAddressSet(skip map[string]bool) *addressSet {
	s := &addressSet{seen: map[string]bool{}}
	for k := range skip {
		s.seen[k] = true
	}
	return s
}

func (s *addressSet) add(a mail.Address) {
	k := addrKey(a.Address)
	if s.seen[k] {
		return
	}
	s.seen[k] = true
	s.list = append(s.list, a)
}

func mailAddress(a mail.Address) mailstore.Address {
	return mailstore.Address{Name: a.Name, Address: a.Address}
}
