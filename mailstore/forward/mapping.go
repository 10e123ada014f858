package forward

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrNoRecipients is returned (wrapped) by Map when no receipt recipient maps
// to a destination. The Lambda stops there and sends nothing.
var ErrNoRecipients = errors.New("no forward destinations")

// Map returns the forward destinations for the receipt recipients
// (ses.receipt.recipients), exactly as the Lambda's transformRecipients
// computes them: in recipient order, lists concatenated, duplicates kept.
// original is the recipient used in From when fromEmail is unset: the last
// recipient that matched, as written (original case, +tag kept).
//
// For each recipient the key is the address lower-cased the way JavaScript's
// toLowerCase does it, with a "+tag" before the "@" removed when
// AllowPlusSign is set. The first of these mapping keys that exists wins:
//
//  1. the whole key ("info@example.com")
//  2. "@" + the domain ("@example.com"), when the key has an "@"
//  3. the mailbox part before the last "@" (or the whole key when it has
//     no "@"), when it is not empty ("info")
//  4. the catch-all "@"
//
// A key that exists with an empty list matches (and stops the search) but
// adds nothing. Mapping keys themselves are never lower-cased, so a key with
// upper-case letters never matches. Only explicit lookups happen, so the
// result never depends on the order of the JSON object.
func Map(cfg Config, recipients []string) (dests []string, original string, err error) {
	matched := false
	for _, rcpt := range recipients {
		key := jsLower(rcpt)
		if cfg.AllowPlusSign {
			key = dropPlusTag(key)
		}
		list, ok := lookup(cfg.ForwardMapping, key)
		if !ok {
			user, domain, hasAt := key, "", false
			if at := strings.LastIndexByte(key, '@'); at >= 0 {
				user, domain, hasAt = key[:at], key[at:], true
			}
			switch {
			case hasAt && has(cfg.ForwardMapping, domain):
				list, ok = cfg.ForwardMapping[domain], true
			case user != "" && has(cfg.ForwardMapping, user):
				list, ok = cfg.ForwardMapping[user], true
			case has(cfg.ForwardMapping, "@"):
				list, ok = cfg.ForwardMapping["@"], true
			}
		}
		if ok {
			dests = append(dests, list...)
			original = rcpt
			matched = true
		}
	}
	if len(dests) == 0 {
		if matched {
			return nil, original, fmt.Errorf("%w: the matching mapping entries are empty for %s", ErrNoRecipients, strings.Join(recipients, ", "))
		}
		return nil, "", fmt.Errorf("%w for %s", ErrNoRecipients, strings.Join(recipients, ", "))
	}
	return dests, original, nil
}

func lookup(m map[string][]string, key string) ([]string, bool) {
	l, ok := m[key]
	return l, ok
}

func has(m map[string][]string, key string) bool {
	_, ok := m[key]
	return ok
}

// dropPlusTag does what the Lambda's key.replace(/\+.*?@/, '@') does: remove
// the text from the first "+" up to the next "@" on the same line. JavaScript's
// "." does not match line terminators, so a "+" separated from every later "@"
// by one is skipped in favour of the next "+".
func dropPlusTag(key string) string {
	for i := 0; i < len(key); i++ {
		if key[i] != '+' {
			continue
		}
		rest := key[i+1:]
		at := strings.IndexByte(rest, '@')
		if at < 0 {
			return key // no "@" after this "+", so none after a later one either
		}
		if strings.ContainsAny(rest[:at], "\n\r\u2028\u2029") {
			continue
		}
		return key[:i] + rest[at:]
	}
	return key
}

// jsLower lower-cases s like JavaScript's String.prototype.toLowerCase, which
// differs from strings.ToLower in two places: U+0130 (capital I with dot)
// becomes "i" + U+0307, and a capital sigma at the end of a word becomes the
// final form ς (Unicode's Final_Sigma condition).
func jsLower(s string) string {
	if !strings.ContainsAny(s, "\u0130\u03a3") {
		return strings.ToLower(s)
	}
	var b strings.Builder
	b.Grow(len(s) + 4)
	for i, r := range s {
		switch r {
		case '\u0130':
			b.WriteString("i\u0307")
		case '\u03a3':
			if finalSigma(s, i) {
				b.WriteRune('\u03c2')
			} else {
				b.WriteRune('\u03c3')
			}
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// finalSigma reports whether the capital sigma at byte offset i of s is
// preceded by a cased letter and not followed by one, case-ignorable
// characters skipped on both sides.
func finalSigma(s string, i int) bool {
	before := false
	for j := i; j > 0; {
		r, size := utf8.DecodeLastRuneInString(s[:j])
		j -= size
		if caseIgnorable(r) {
			continue
		}
		before = cased(r)
		break
	}
	if !before {
		return false
	}
	for j := i + utf8.RuneLen('\u03a3'); j < len(s); {
		r, size := utf8.DecodeRuneInString(s[j:])
		j += size
		if caseIgnorable(r) {
			continue
		}
		return !cased(r)
	}
	return true
}

func cased(r rune) bool {
	return unicode.IsUpper(r) || unicode.IsLower(r) || unicode.IsTitle(r) ||
		unicode.Is(unicode.Other_Lowercase, r) || unicode.Is(unicode.Other_Uppercase, r)
}

// caseIgnorable approximates Unicode's Case_Ignorable property: marks,
// format characters, modifier letters and symbols, and the word-internal
// punctuation of Word_Break MidLetter, MidNumLet and Single_Quote.
func caseIgnorable(r rune) bool {
	switch r {
	case '\'', '.', ':', '\u00b7', '\u0387', '\u055f', '\u05f4', '\u2018', '\u2019',
		'\u2024', '\u2027', '\ufe13', '\ufe52', '\ufe55', '\uff07', '\uff0e', '\uff1a':
		return true
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Lm, unicode.Sk)
}
