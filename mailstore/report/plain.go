package report

import (
	"strings"

	"github.com/sesbox/sesbox/internal/lazyregexp"
	"github.com/sesbox/sesbox/mailstore"
)

// typePlain is the ReportType of a report read from its text, one that
// has no machine-readable part.
const typePlain = "text"

// maxPlainText bounds what ParsePlain reads of a report's text: the
// notice comes first and is short; what follows is the returned message.
const maxPlainText = 64 << 10

// PlainNote is the warning a report read from its text carries: the
// per-recipient lines are sesbox's reading of prose, not fields.
const PlainNote = "read from the report's text: it has no delivery-status part"

// ParsePlain reads the per-recipient summary of a delivery report written
// as text, as qmail, Exim, older Postfix and Sendmail, Exchange's text
// NDR, Yahoo and many others send it: kind is what KindOfPlainBounce said
// (a bounce or a delay) and text the report's decoded body. A recipient is
// an address alone on its line or leading it ("<a@x.example>:",
// "<a@x.example>: host mx said: 550 5.1.1 ...", "a@x.example on DATE",
// "a@x.example... User unknown"); the lines under it, up to a blank line
// or the next recipient as far out, are its diagnostic, and the enhanced
// status code (RFC 3463) found there its status. Reading stops where the
// returned message starts ("--- Below this line is a copy of the
// message.", "------ This is a copy of the message, including all the
// headers. ------", a header block), whose Subject, Date and Message-ID
// say which message it was. nil when kind is no bounce or delay, or the
// text names no recipient: the text then speaks alone, as before.
func ParsePlain(kind, text string) *Report {
	if kind != mailstore.ReportBounce && kind != mailstore.ReportDelay {
		return nil
	}
	if len(text) > maxPlainText {
		text = text[:maxPlainText]
	}
	action := "failed"
	if kind == mailstore.ReportDelay {
		action = "delayed"
	}
	r := &Report{Kind: kind, ReportType: typePlain}
	ls := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	cur := -1   // index in r.Recipients of the recipient being read
	curInd := 0 // its line's indentation
	var diag []string
	flush := func() {
		if cur >= 0 && len(diag) > 0 {
			rc := &r.Recipients[cur]
			d := strings.Join(strings.Fields(strings.Join(append([]string{rc.DiagnosticCode}, diag...), " ")), " ")
			if len(d) > maxFieldLen {
				d = d[:maxFieldLen]
			}
			rc.DiagnosticCode = d
			if rc.Status == "" {
				rc.Status = plainStatus(d)
			}
		}
		diag = nil
	}
	seen := map[string]int{}
	for i, line := range ls {
		trimmed := strings.TrimSpace(line)
		if copyMarkerRe().MatchString(trimmed) || (cur >= 0 && returnedHeaderRe().MatchString(line)) {
			flush()
			if r.Original == (Original{}) {
				r.Original = readOriginal([]byte(strings.TrimLeft(strings.Join(ls[i+1:], "\n"), "\n")))
			}
			break
		}
		if r.ReportingMTA == "" {
			if m := plainMTARe().FindStringSubmatch(trimmed); m != nil {
				r.ReportingMTA = strings.TrimSuffix(m[1], ".")
			}
		}
		if trimmed == "" {
			flush()
			cur = -1
			continue
		}
		ind := len(line) - len(strings.TrimLeft(line, " \t"))
		m := plainRecipientRe().FindStringSubmatch(trimmed)
		if m == nil {
			// "Delivery failed 20 attempts: a@x.example" (SMTP32),
			// "Undeliverable Address: a@x.example", "Error-for: a@x":
			// the failure named before the address.
			if t := plainTrailingRe().FindStringSubmatch(trimmed); t != nil && failureWordRe().MatchString(t[1]) {
				m = []string{trimmed, t[2], t[1], ""}
			}
		}
		if m != nil && (cur < 0 || ind <= curInd) {
			flush()
			addr := m[1]
			key := strings.ToLower(addr)
			if j, ok := seen[key]; ok {
				cur = j
			} else {
				if len(r.Recipients) == maxRecipients {
					break
				}
				seen[key] = len(r.Recipients)
				cur = len(r.Recipients)
				r.Recipients = append(r.Recipients, Recipient{FinalRecipient: addr, Action: action})
			}
			curInd = ind
			if rest := strings.TrimSpace(m[2] + m[3]); rest != "" {
				diag = append(diag, rest)
			}
			continue
		}
		if cur >= 0 {
			diag = append(diag, trimmed)
		}
	}
	flush()
	if len(r.Recipients) == 0 {
		return nil
	}
	r.Warnings = append(r.Warnings, PlainNote)
	return r
}

// plainStatus is the enhanced status code in a diagnostic (not one inside
// an IP address such as 10.5.1.1), or "".
func plainStatus(d string) string {
	if m := plainStatusRe().FindStringSubmatch(d); m != nil {
		return m[1]
	}
	return ""
}

var (
	// plainRecipientRe is an address alone on a line (a bullet may lead
	// it), or leading it before a colon, three dots, " on DATE" or a
	// parenthesis.
	plainRecipientRe = lazyregexp.New(`^(?:[*•-]\s+)?<?([A-Za-z0-9!#$%&'*+/=?^_` + "`" + `{|}~.-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)>?\s*(?:$|:\s*(.*)$|\.\.\.\s*(.*)$|\s+on\s+|\s*\()`)
	plainTrailingRe  = lazyregexp.New(`^([^@<>:]{1,60}):\s*<?([A-Za-z0-9!#$%&'*+/=?^_` + "`" + `{|}~.-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)>?\.?$`)
	failureWordRe    = lazyregexp.New(`(?i)fail|invalid|undeliver|unknown|error|reject|full|quota|denied|not |bad `)
	plainStatusRe    = lazyregexp.New(`(?:^|[^\d.])([245]\.\d{1,3}\.\d{1,3})(?:[^\d.]|$)`)
	copyMarkerRe     = lazyregexp.New(`(?i)^-{2,}.*(below this line is a copy|copy of the message|original message|message header follows|returned message|undelivered message|headers of the message|message text follows)|^(?i)original message follows`)
	// returnedHeaderRe is the first line of a returned header block.
	returnedHeaderRe = lazyregexp.New(`^(?i)(return-path|received|dkim-signature|message-id):\s`)
	plainMTARe       = lazyregexp.New(`(?i)(?:program|mail system|mailer) at (?:host )?([A-Za-z0-9][A-Za-z0-9.-]*[A-Za-z0-9])`)
)
