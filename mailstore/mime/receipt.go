package mime

import (
	"cmp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sesbox/sesbox/internal/lazyregexp"
	"github.com/sesbox/sesbox/mailstore"
)

// Only SES's own header block speaks for SES. When SES stores a message it
// prepends one block of fields, always in this order:
//
//	Return-Path: <envelope sender>                (when there is one)
//	Received: from ... by inbound-smtp.<region>.amazonaws.com ... for <rcpt>; date
//	X-SES-Spam-Verdict: PASS                     (when scanning is on)
//	X-SES-Virus-Verdict: PASS                    (when scanning is on)
//	Received-SPF: pass (spfCheck: ...) ...
//	Authentication-Results: amazonses.com; spf=...; dkim=...; dmarc=...
//	X-SES-RECEIPT: ...
//	X-SES-DKIM-SIGNATURE: ...
//
// (the demo mailbox, the upstream SES samples and every stored message we
// have seen agree). Everything after it was written by the sender, who can
// write any field, SES-looking ones included: a forged "Received: ... by
// inbound-smtp.us-east-1.amazonaws.com ... for <ceo@...>" further down must
// not make ceo@ an envelope recipient (forward maps recipients to
// destinations, reply picks its From from them), and a forged
// "X-SES-Spam-Verdict: PASS" must not hide a FAIL.
//
// So the receipt block is read by position: the run of fields from the top
// that are SES's own kinds in SES's order, each at most once, starting with
// the optional Return-Path and then SES's Received hop. It ends at the first
// field that is not one SES writes, or that SES would not write at that
// point (a second hop, a verdict after the signature): a sender whose first
// field is "X-SES-Spam-Verdict" cannot extend the block even when SES wrote
// no verdict (scanning off), because SES's own X-SES-RECEIPT and
// X-SES-DKIM-SIGNATURE already came last. A message whose top is not SES's
// hop (not stored by SES) has no block: no envelope recipients, no
// verdicts. Trusting a little less than SES wrote is the safe side: a
// verdict we fail to see is shown as absent, a forged one is never shown.

// receiptKind is a field SES writes into its block; the values are in the
// order SES writes them.
type receiptKind int

const (
	notReceipt receiptKind = iota
	receiptReturnPath
	receiptHop
	receiptSpam
	receiptVirus
	receiptSPF
	receiptAuth
	receiptID
	receiptDKIM
)

// sesHopAt matches the Received field SES's own inbound servers add,
// from the "by" its match begins with; namesSESHop checks the word
// boundary before it.
var sesHopAt = lazyregexp.New(`(?i)^by\s+inbound-smtp\.[a-z0-9.-]*amazonaws\.com\b`)

// namesSESHop reports a match of `(?i)\bby\s+inbound-smtp\.[a-z0-9.-]*amazonaws\.com\b`
// (sesHop in the tests) in s, the expression tried only where a match can
// begin: at a "by" (in any case: no other letter folds to b or y) that
// starts a word. Unanchored, it was tried at every byte of the SES
// Received field every message holds, 43,000 instructions a message
// (1.5% of a cold index).
func namesSESHop(s string) bool {
	for i := 0; i+1 < len(s); i++ {
		if s[i]|0x20 != 'b' || s[i+1]|0x20 != 'y' {
			continue
		}
		// \b: the byte before is no ASCII word byte (a byte of a longer
		// UTF-8 sequence is none: the expression's word runes are ASCII).
		if i > 0 && isASCIIWordByte(s[i-1]) {
			continue
		}
		if sesHopAt().MatchString(s[i:]) {
			return true
		}
	}
	return false
}

// isASCIIWordByte reports the bytes \b counts as word characters.
func isASCIIWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// sesHost matches SES's inbound host name anywhere in a field; a Received
// below the block that names it looks like SES's hop.
var sesHost = lazyregexp.New(`(?i)\binbound-smtp\.[a-z0-9.-]*amazonaws\.com\b`)

// mayNameSESHost is a cheap test before namesSESHop and sesHost, run on every
// Received field: whether s holds "mtp." in any case, which every match of
// theirs does ("inbound-smtp."; no other letter folds to m, t or p), as
// most senders' Received fields do not. The expressions are case-folding
// backtrackers, and were most of the instructions of reading a receipt.
func mayNameSESHost(s string) bool {
	for i := 3; i < len(s); i++ {
		j := strings.IndexByte(s[i:], '.')
		if j < 0 {
			return false
		}
		i += j
		if i >= 3 && s[i-3]|0x20 == 'm' && s[i-2]|0x20 == 't' && s[i-1]|0x20 == 'p' {
			return true
		}
	}
	return false
}

// sesAuthServID is the authserv-id SES writes in Authentication-Results.
const sesAuthServID = "amazonses.com"

// receiptKindOf says which of SES's fields f is, judged by name and, for
// the names others write too, by content.
func receiptKindOf(f rawField) receiptKind {
	switch lowerFieldName(f.Name) {
	case "return-path":
		return receiptReturnPath
	case "received":
		if mayNameSESHost(f.Value) && namesSESHop(f.Value) {
			return receiptHop
		}
	case "x-ses-spam-verdict":
		return receiptSpam
	case "x-ses-virus-verdict":
		return receiptVirus
	case "received-spf":
		return receiptSPF
	case "authentication-results":
		if strings.EqualFold(authServID(f.Value), sesAuthServID) {
			return receiptAuth
		}
	case "x-ses-receipt":
		return receiptID
	case "x-ses-dkim-signature":
		return receiptDKIM
	}
	return notReceipt
}

// receiptBlockEnd returns how many fields from the top form SES's receipt
// block (0 when there is none), by the rules above.
func receiptBlockEnd(fields []rawField) int {
	end, _ := receiptBlock(fields)
	return end
}

// receiptBlock is receiptBlockEnd, with the kind of each field of the
// block.
func receiptBlock(fields []rawField) (int, []receiptKind) {
	var kinds []receiptKind
	last := notReceipt
	for i, f := range fields {
		k := receiptKindOf(f)
		if k == notReceipt || k <= last || (k > receiptHop && last < receiptHop) {
			if last < receiptHop {
				return 0, nil // no SES hop at the top: nothing speaks for SES
			}
			return i, kinds
		}
		last = k
		kinds = append(kinds, k)
	}
	if last < receiptHop {
		return 0, nil
	}
	return len(fields), kinds
}

// looksLikeSES reports a field below the block that imitates one of SES's
// receipt fields. X-SES-Outgoing is left out: SES writes it on the mail it
// sends, so it is on most mail from SES senders and says nothing about
// receipt.
func looksLikeSES(f rawField) bool {
	name := lowerFieldName(f.Name)
	switch {
	case name == "received":
		return mayNameSESHost(f.Value) && sesHost().MatchString(f.Value)
	case name == "received-spf":
		return true
	case name == "authentication-results":
		return receiptKindOf(f) == receiptAuth
	case name == "x-ses-outgoing":
		return false
	}
	return strings.HasPrefix(name, "x-ses-")
}

// ForgedSESWarning is the parse warning for an SES-looking field found
// below the receipt block; %s is the field name as written.
const ForgedSESWarning = "forged SES header below the receipt block: %s"

// receipt is what SES's block says: the envelope recipients and the five
// verdicts. Fields below the block are ignored; each SES-looking one adds
// a warning.
func (d *decoder) receipt(fields []rawField) ([]string, mailstore.Verdicts) {
	end, kinds := receiptBlock(fields)
	var (
		rcpts []string
		v     mailstore.Verdicts
		spf   string
		auth  map[string]string
	)
	for i, f := range fields[:end] {
		switch kinds[i] {
		case receiptHop:
			// SES's own line: bytes that are not UTF-8 are no address
			// it received, never a guess from the sender's charset.
			rcpts = receivedForAddrs(strings.ToValidUTF8(f.Value, "\uFFFD"))
		case receiptSpam:
			v.Spam = firstWordUpper(f.Value)
		case receiptVirus:
			v.Virus = firstWordUpper(f.Value)
		case receiptSPF:
			spf = firstWordUpper(f.Value)
		case receiptAuth:
			_, auth = parseAuthResults(f.Value)
		}
	}
	// SES's Authentication-Results states SPF too; it wins over its
	// Received-SPF when both are there.
	v.SPF = auth["spf"]
	if v.SPF == "" {
		v.SPF = spf
	}
	v.DKIM, v.DMARC = auth["dkim"], auth["dmarc"]

	for _, f := range fields[end:] {
		if looksLikeSES(f) {
			d.warnf(ForgedSESWarning, f.Name) // warnf says each once
		}
	}
	return dedupeFold(rcpts), v
}

// EnvelopeRecipients keeps the items of list that are each one mailbox as
// RFC 5321 spells an envelope recipient (the syntax SES's Received line is
// read with), once each; bad holds the rest. SES's S3 notification states
// the recipients as a list of such strings (receipt.recipients): what is
// not one, a line break or a second address included, did not come from
// SES, and reply and forward act on these addresses.
func EnvelopeRecipients(list []string) (kept, bad []string) {
	for _, r := range list {
		if addr, ok := parsePath(r); ok && addr == r {
			kept = append(kept, r)
		} else {
			bad = append(bad, r)
		}
	}
	return dedupeFold(kept), bad
}

// dedupeFold drops repeated addresses, compared without case.
func dedupeFold(addrs []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, a := range addrs {
		if k := strings.ToLower(a); !seen[k] {
			seen[k] = true
			out = append(out, a)
		}
	}
	return out
}

// receivedForAddrs returns the envelope recipient of SES's Received field:
// the path of its "for" clause (RFC 5321 section 4.4), after SES's own "by
// inbound-smtp..." clause and before the ";" that starts the date.
//
// Only the first "by" clause counts, and it must name SES's host: what
// comes before it is the sender's HELO name (one word, skipped) and a
// comment with the reverse DNS name, which SES copies but does not write.
// The recipient itself is the sender's too: a quoted local part may hold
// blanks, ";", "for <...>" and anything else printable, so it is read as
// RFC 5321 spells it (quoted-string with quoted pairs, or dot-string;
// RFC 6531 UTF-8 in either) and never searched for clauses. The address is
// returned as written, quotes included: that is the mailbox SES accepted.
// Anything that does not parse yields no recipient, which is the safe side.
func receivedForAddrs(r string) []string {
	sesBy := false
	for i := 0; i < len(r); {
		switch c := r[i]; {
		case isBlank(c):
			i++
			continue
		case c == ';':
			return nil
		case c == '(':
			i = skipComment(r, i)
			continue
		}
		w, next := receivedWord(r, i)
		switch {
		case strings.EqualFold(w, "from") && !sesBy:
			// The HELO name: one word whatever it says ("by", "for").
			next = skipBlanks(r, next)
			_, next = receivedWord(r, next)
		case strings.EqualFold(w, "by") && !sesBy:
			next = skipBlanks(r, next)
			var host string
			host, next = receivedWord(r, next)
			if h := strings.ToLower(host); !strings.HasPrefix(h, "inbound-smtp.") || !strings.HasSuffix(h, ".amazonaws.com") {
				return nil
			}
			sesBy = true
		case strings.EqualFold(w, "for") && sesBy:
			if addr, ok := parsePath(r[skipBlanks(r, next):]); ok {
				return []string{addr}
			}
			return nil
		}
		i = next
	}
	return nil
}

// receivedWord returns the word of a Received field that starts at i: up to
// a blank, a comment or the ";" before the date.
func receivedWord(r string, i int) (string, int) {
	j := i
	for j < len(r) && !isBlank(r[j]) && r[j] != '(' && r[j] != ';' {
		j++
	}
	return r[i:j], j
}

func skipBlanks(r string, i int) int {
	for i < len(r) && isBlank(r[i]) {
		i++
	}
	return i
}

// isBlank reports folding white space; CR and LF count in case a folded
// line break is left in.
func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// skipComment returns the index just past the comment that starts at
// r[i] == '(' (nested, with quoted pairs), or len(r) when it is not closed.
func skipComment(r string, i int) int {
	depth := 0
	for ; i < len(r); i++ {
		switch r[i] {
		case '\\':
			i++
		case '(':
			depth++
		case ')':
			if depth--; depth == 0 {
				return i + 1
			}
		}
	}
	return len(r)
}

// parsePath reads an RFC 5321 Path ("<" [A-d-l ":"] Mailbox ">") or a bare
// Mailbox at the start of s, as a for clause holds it, and returns the
// mailbox as written. It must be followed by the end, a blank, a comment
// or ";".
func parsePath(s string) (string, bool) {
	i, angle := 0, strings.HasPrefix(s, "<")
	if angle {
		i++
		if strings.HasPrefix(s[i:], "@") { // a source route, obsolete: skip it
			colon := strings.IndexByte(s[i:], ':')
			if colon < 0 {
				return "", false
			}
			i += colon + 1
		}
	}
	start := i
	n := localPartLen(s[i:])
	if n == 0 || !strings.HasPrefix(s[i+n:], "@") {
		return "", false
	}
	i += n + 1
	n = domainLen(s[i:])
	if n == 0 {
		return "", false
	}
	i += n
	addr := s[start:i]
	if strings.HasPrefix(s[i:], ".") && !strings.HasPrefix(s[i-1:], "]") {
		i++ // a fully qualified domain's root dot
	}
	if angle {
		if !strings.HasPrefix(s[i:], ">") {
			return "", false
		}
		i++
	}
	if i < len(s) && !isBlank(s[i]) && s[i] != '(' && s[i] != ';' {
		return "", false
	}
	return addr, true
}

// localPartLen is the length of the RFC 5321 Local-part (with RFC 6531's
// UTF-8) at the start of s, 0 when there is none.
func localPartLen(s string) int {
	if !strings.HasPrefix(s, "\"") {
		return dotStringLen(s, isAtext)
	}
	for i := 1; i < len(s); {
		c := s[i]
		switch {
		case c == '"':
			return i + 1
		case c == '\\':
			// quoted-pairSMTP: a backslash and one printable ASCII.
			if i+1 >= len(s) || s[i+1] < ' ' || s[i+1] > '~' {
				return 0
			}
			i += 2
		case c >= ' ' && c <= '~':
			i++
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if !isUTF8NonASCII(r) {
				return 0
			}
			i += size
		}
	}
	return 0 // not closed
}

// domainLen is the length of the Domain (with U-labels) or
// address-literal at the start of s, 0 when there is none. A trailing
// dot, which some servers write after a fully qualified name, is not
// part of it.
func domainLen(s string) int {
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return 0
		}
		for _, c := range []byte(s[1:end]) {
			if c <= ' ' || c > '~' || c == '[' || c == '\\' {
				return 0
			}
		}
		return end + 1
	}
	return dotStringLen(s, isLetDigHyphen)
}

// dotStringLen is the length of atoms of ok bytes (or UTF-8 non-ASCII)
// joined by single dots at the start of s.
func dotStringLen(s string, ok func(byte) bool) int {
	end, atom := 0, 0
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '.':
			if atom == 0 {
				return end
			}
			atom = 0
			i++
		case c < utf8.RuneSelf && ok(c):
			atom++
			i++
			end = i
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRuneInString(s[i:])
			if !isUTF8NonASCII(r) {
				return end
			}
			atom++
			i += size
			end = i
		default:
			return end
		}
	}
	return end
}

// isAtext reports RFC 5321's atext in ASCII.
func isAtext(c byte) bool {
	return isLetDigHyphen(c) || strings.IndexByte("!#$%&'*+/=?^_`{|}~", c) >= 0
}

func isLetDigHyphen(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-'
}

// isUTF8NonASCII reports a rune RFC 6531 allows in an address: valid
// UTF-8 beyond ASCII, C1 controls excluded. U+FFFD is excluded too: here it
// stands for bytes that are not UTF-8, so the address is not the one
// SES received.
func isUTF8NonASCII(r rune) bool {
	return r >= utf8.RuneSelf && r != utf8.RuneError && !unicode.IsControl(r)
}

// DKIMPassedBySES returns the signing domains, lower-cased, of the DKIM
// signatures that SES's own Authentication-Results (in its receipt block)
// says passed: each result's header.d, else the domain of its header.i.
// A result written anywhere below the block is the sender's word and is
// not read. Delivery reports are linked to sends by ids every recipient of
// the send has seen; only such a signature (amazonses.com's, on the
// bounce and complaint feedback SES sends) tells SES's report from a
// forged one.
func DKIMPassedBySES(raw []byte) []string {
	fields := scanHeader(raw).Fields
	var out []string
	for _, f := range fields[:receiptBlockEnd(fields)] {
		if receiptKindOf(f) != receiptAuth {
			continue
		}
		_, items := authResultItems(f.Value)
		for _, words := range items {
			if !strings.EqualFold(words[0], "dkim=pass") {
				continue
			}
			var d, i string
			for _, w := range words[1:] {
				prop, v, _ := strings.Cut(w, "=")
				switch strings.ToLower(prop) {
				case "header.d":
					d = v
				case "header.i":
					_, i, _ = strings.Cut(v, "@")
				}
			}
			if d = strings.ToLower(strings.Trim(cmp.Or(d, i), `"`)); d != "" && !slices.Contains(out, d) {
				out = append(out, d)
			}
		}
	}
	return out
}
