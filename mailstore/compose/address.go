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
// into one that is safe to write in a header and to hand to SES: the name
// passes through sanitize.HeaderValue, the addr-spec must parse with
// net/mail as exactly one plain address, an internationalized domain is
// converted to its ASCII (punycode) form, and the local part must be ASCII
// (SES takes no other). The error says why an address is unusable.
func CleanAddress(a mailstore.Address) (mail.Address, error) {
	name := sanitize.HeaderValue(a.Name)
	raw := strings.TrimSpace(a.Address)
	if raw == "" {
		return mail.Address{}, fmt.Errorf("%q has no address", name)
	}
	if len(raw) > maxAddressBytes {
		return mail.Address{}, fmt.Errorf("address %q is longer than %d bytes", sanitize.Line(raw[:40])+"…", maxAddressBytes)
	}
	// The addr-spec alone must parse as exactly itself: this refuses
	// anything that would carry a second address, a group, a comment or a
	// line break into the header.
	p, err := mail.ParseAddress(raw)
	if err != nil || p.Name != "" || p.Address != raw {
		return mail.Address{}, fmt.Errorf("%q is not a valid address", sanitize.Line(raw))
	}
	local, domain, ok := strings.Cut(p.Address, "@")
	if !ok || local == "" || domain == "" {
		return mail.Address{}, fmt.Errorf("%q is not a valid address", sanitize.Line(raw))
	}
	if !isASCII(local) {
		return mail.Address{}, fmt.Errorf("%q has a non-ASCII local part, which SES cannot send to", sanitize.Line(raw))
	}
	ascii, err := idna.Lookup.ToASCII(domain)
	if err != nil || !isASCII(ascii) {
		return mail.Address{}, fmt.Errorf("%q has an invalid domain", sanitize.Line(raw))
	}
	return mail.Address{Name: name, Address: local + "@" + strings.ToLower(ascii)}, nil
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
		c, err := CleanAddress(mailstore.Address{Name: a.Name, Address: a.Address})
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
		return a.Address
	}
	// mail.Address.String quotes ASCII names correctly but encodes
	// non-ASCII ones; for editing we want them readable, and net/mail
	// parses a quoted UTF-8 name back (RFC 6532).
	if isASCII(a.Name) {
		return a.String()
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(a.Name) + `" <` + a.Address + `>`
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
