package sanitize

import (
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/net/idna"
	"golang.org/x/text/unicode/norm"
)

// NamePosesAsAddress reports a display name that holds an "@" (or a
// character a reader takes for one: fullwidth, small, after NFKC
// folding), or a word that reads as a domain name ("bank.example",
// "ｂａｎｋ．ｅｘａｍｐｌｅ") that address's domain is not, nor a subdomain
// of: "Amazon.com" <auto-confirm@amazon.com> is its own domain,
// "PayPal.com" <x@evil.example> is not. Invisible characters are taken
// out first, as a terminal does not show them.
func NamePosesAsAddress(name, address string) bool {
	folded := strings.ToLower(norm.NFKC.String(strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Cf, r) || isInvisible(r) {
			return -1
		}
		return r
	}, name)))
	if strings.ContainsRune(folded, '@') {
		return true
	}
	_, domain, _ := strings.Cut(strings.ToLower(norm.NFKC.String(address)), "@")
	for _, word := range strings.FieldsFunc(folded, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune(`"'()<>[]{},;:`, r)
	}) {
		d := strings.Trim(word, ".")
		if looksLikeDomain(d) && domain != d && !strings.HasSuffix(domain, "."+d) {
			return true
		}
	}
	return false
}

// looksLikeDomain reports a word of at least two labels of letters,
// digits and hyphens whose last label is two or more letters: what a
// reader takes for a host name ("bank.example", "paypal.com"), not
// initials ("J.R.R.") or a version ("v1.2").
func looksLikeDomain(w string) bool {
	labels := strings.Split(w, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" {
			return false
		}
		for _, r := range l {
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.Mn, r) && r != '-' {
				return false
			}
		}
	}
	tld := []rune(labels[len(labels)-1])
	if len(tld) < 2 {
		return false
	}
	for _, r := range tld {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return true
}

// Address is an address made safe to show (Line) with every label of its
// domain that could pass for another written in its ASCII form
// ("xn--bnk-8cd.example"), as browsers show such host names: a label
// that mixes Latin, Cyrillic and Greek letters ("bаnk" with a Cyrillic
// "а"), one of Cyrillic or Greek letters alone under an ASCII top-level
// domain ("аррӏе.com"), or one holding anything else than letters,
// marks, digits and hyphens (a zero-width space, which the list's cells
// drop, or a soft hyphen). Other non-ASCII domains ("bücher.example",
// "例え.jp", "пример.рф") are shown as written. --json keeps the address
// exact; this is only what a person reads.
func Address(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return Line(addr)
	}
	local, domain := addr[:at], addr[at+1:]
	labels := strings.Split(domain, ".")
	tldASCII := isASCII(labels[len(labels)-1])
	changed := false
	for i, l := range labels {
		if isASCII(l) || !labelMayPass(l, tldASCII) {
			continue
		}
		if a, err := idna.Punycode.ToASCII(l); err == nil {
			labels[i], changed = a, true
		}
	}
	if changed {
		domain = strings.Join(labels, ".")
	}
	return Line(local + "@" + domain)
}

// labelMayPass reports a non-ASCII domain label that could pass for
// another one (see Address).
func labelMayPass(l string, tldASCII bool) bool {
	var latin, cyrillic, greek bool
	for _, r := range l {
		switch {
		case r == '-' || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r):
		case unicode.Is(unicode.Latin, r):
			latin = true
		case unicode.Is(unicode.Cyrillic, r):
			cyrillic = true
		case unicode.Is(unicode.Greek, r):
			greek = true
		case !unicode.IsLetter(r):
			return true
		}
	}
	scripts := 0
	for _, b := range []bool{latin, cyrillic, greek} {
		if b {
			scripts++
		}
	}
	return scripts > 1 || (tldASCII && (cyrillic || greek))
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// Mailbox is a name and address as a header line shows them, safe to
// print: "Name <addr>", the address through Address, the name through
// Line and quoted (strconv.Quote) when it could be read as an address or
// a domain other than the sender's (NamePosesAsAddress), so that a name
// of `security@bank.example <security@bank.example>` reads as the name it
// is: "security@bank.example <security@bank.example>" <x@evil.example>.
func Mailbox(name, address string) string {
	n := Line(name)
	switch {
	case n == "":
		return Address(address)
	case NamePosesAsAddress(name, address):
		n = strconv.Quote(n)
	}
	if address == "" {
		return n
	}
	return n + " <" + Address(address) + ">"
}
