package mime

import (
	"strings"

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

// sesHop matches the Received field SES's own inbound servers add.
var sesHop = lazyregexp.New(`(?i)\bby\s+inbound-smtp\.[a-z0-9.-]*amazonaws\.com\b`)

// sesHost matches SES's inbound host name anywhere in a field; a Received
// below the block that names it looks like SES's hop.
var sesHost = lazyregexp.New(`(?i)\binbound-smtp\.[a-z0-9.-]*amazonaws\.com\b`)

// sesAuthServID is the authserv-id SES writes in Authentication-Results.
const sesAuthServID = "amazonses.com"

// receiptKindOf says which of SES's fields f is, judged by name and, for
// the names others write too, by content.
func receiptKindOf(f rawField) receiptKind {
	switch strings.ToLower(f.Name) {
	case "return-path":
		return receiptReturnPath
	case "received":
		if sesHop().MatchString(f.Value) {
			return receiptHop
		}
	case "x-ses-spam-verdict":
		return receiptSpam
	case "x-ses-virus-verdict":
		return receiptVirus
	case "received-spf":
		return receiptSPF
	case "authentication-results":
		if id, _ := parseAuthResults(f.Value); strings.EqualFold(id, sesAuthServID) {
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
	last := notReceipt
	for i, f := range fields {
		k := receiptKindOf(f)
		if k == notReceipt || k <= last || (k > receiptHop && last < receiptHop) {
			if last < receiptHop {
				return 0 // no SES hop at the top: nothing speaks for SES
			}
			return i
		}
		last = k
	}
	if last < receiptHop {
		return 0
	}
	return len(fields)
}

// looksLikeSES reports a field below the block that imitates one of SES's
// receipt fields. X-SES-Outgoing is left out: SES writes it on the mail it
// sends, so it is on most mail from SES senders and says nothing about
// receipt.
func looksLikeSES(f rawField) bool {
	name := strings.ToLower(f.Name)
	switch {
	case name == "received":
		return sesHost().MatchString(f.Value)
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
	end := receiptBlockEnd(fields)
	var (
		rcpts []string
		v     mailstore.Verdicts
		spf   string
		auth  map[string]string
	)
	for _, f := range fields[:end] {
		switch receiptKindOf(f) {
		case receiptHop:
			rcpts = receivedForAddrs(d.raw8bit(f.Value))
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

// receivedFor finds the envelope recipient clause of a Received field:
// "... by inbound-smtp... with SMTP id ... for info@example.com; date" or
// "for <info@example.com>;".
var receivedFor = lazyregexp.New(`(?i)(?:^|[\s(])for\s+<?([^\s<>;,()]+@[^\s<>;,()]+)`)

func receivedForAddrs(r string) []string {
	var out []string
	for _, m := range receivedFor().FindAllStringSubmatch(r, -1) {
		out = append(out, strings.TrimRight(m[1], ".>"))
	}
	return out
}
