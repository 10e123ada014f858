// Package report reads delivery reports: DSNs (RFC 3464
// multipart/report; report-type=delivery-status, with RFC 6533's
// internationalized message/global-delivery-status) and complaint feedback
// reports (RFC 5965 ARF, report-type=feedback-report), the way SES, Gmail,
// Outlook/Exchange, Postfix and the Yahoo/AOL feedback loops send them.
//
// Everything in a report is written by whoever sent it: values are returned
// as found (decoded, not sanitized) and callers that print them pass them
// through sanitize. Parsing is bounded in time and memory: only the top
// level of the message is walked, a bounded number of parts and bytes.
package report

import (
	"bytes"
	"encoding/base64"
	"io"
	stdmime "mime"
	"mime/multipart"
	"net/textproto"
	"strconv"
	"strings"

	"github.com/sesbox/sesbox/internal/lazyregexp"
	"github.com/sesbox/sesbox/mailstore"
)

// Limits on what Parse reads of untrusted bytes.
const (
	maxParts       = 16        // top-level parts looked at
	maxStatusBytes = 1 << 20   // of a delivery-status or feedback-report part
	maxOrigBytes   = 256 << 10 // of the returned original (its header is all we need)
	maxRecipients  = 1000      // per-recipient groups kept
	maxFieldLen    = 4096      // one field value
)

// Recipient is one per-recipient block of a DSN.
type Recipient struct {
	// FinalRecipient is the address the report is about (the address
	// part, its type such as "rfc822;" removed and xtext decoded).
	FinalRecipient string `json:"finalRecipient"`
	// OriginalRecipient is the address as the sender gave it, when the
	// reporting MTA says.
	OriginalRecipient string `json:"originalRecipient,omitempty"`
	// Action is failed, delayed, delivered, relayed or expanded.
	Action string `json:"action"`
	// Status is the enhanced status code (RFC 3463), e.g. 5.1.1.
	Status string `json:"status"`
	// DiagnosticCode is the remote server's answer, its type ("smtp; ")
	// removed.
	DiagnosticCode string `json:"diagnosticCode,omitempty"`
	RemoteMTA      string `json:"remoteMta,omitempty"`
	LastAttempt    string `json:"lastAttemptDate,omitempty"`
	WillRetryUntil string `json:"willRetryUntil,omitempty"`
}

// Feedback is the machine-readable part of an ARF report.
type Feedback struct {
	// Type is the Feedback-Type: abuse, fraud, virus, other, not-spam, ...
	Type             string   `json:"feedbackType"`
	UserAgent        string   `json:"userAgent,omitempty"`
	OriginalMailFrom string   `json:"originalMailFrom,omitempty"`
	OriginalRcptTo   []string `json:"originalRcptTo,omitempty"`
	ArrivalDate      string   `json:"arrivalDate,omitempty"`
	SourceIP         string   `json:"sourceIp,omitempty"`
	ReportingMTA     string   `json:"reportingMta,omitempty"`
	ReportedDomain   string   `json:"reportedDomain,omitempty"`
}

// Original is what the report says of the message it is about, from the
// returned message or its header.
type Original struct {
	MessageID string `json:"messageId,omitempty"` // without angle brackets
	Subject   string `json:"subject,omitempty"`
	From      string `json:"from,omitempty"`
	To        string `json:"to,omitempty"`
	Date      string `json:"date,omitempty"`
}

// Report is a parsed delivery or feedback report.
type Report struct {
	// Kind is one of mailstore.ReportBounce, ReportDelay, ReportDelivered,
	// ReportComplaint.
	Kind string `json:"kind"`
	// ReportType is the report-type parameter: delivery-status,
	// global-delivery-status or feedback-report.
	ReportType   string      `json:"reportType"`
	ReportingMTA string      `json:"reportingMta,omitempty"`
	Recipients   []Recipient `json:"recipients,omitempty"`
	Feedback     *Feedback   `json:"feedback,omitempty"`
	Original     Original    `json:"original"`
	// Warnings are parse problems: the report is still what could be read.
	Warnings []string `json:"warnings,omitempty"`
}

// report-type values.
const (
	typeDSN      = "delivery-status"
	typeFeedback = "feedback-report"
	// typeGlobalDSN is the report-type of a DSN whose status part is
	// RFC 6533's message/global-delivery-status, by RFC 6522's rule (the
	// report-type is the second part's subtype); Postfix writes
	// delivery-status for it, other MTAs this.
	typeGlobalDSN = "global-delivery-status"
)

// KindOfHeader tells a report's kind from the message's Content-Type and
// Subject alone, for the list, which reads only headers: "" for anything
// but a multipart/report of a known report-type. A DSN's header does not
// say whether it reports a failure or a delay; the subject usually does
// (Gmail's "(Delay)", Postfix's "Delayed Mail", Exchange's "Delivery
// delayed:"), else it is taken for a bounce, by far the usual case.
//
// A multipart/report that names no report-type (older Exchange, Mirapoint
// and others leave it out) is taken for a DSN, by far the usual report;
// Parse tells from its parts.
func KindOfHeader(contentType, subject string) string {
	switch reportType(contentType) {
	case typeDSN, typeGlobalDSN, typeUnnamed:
		switch {
		case delayRe().MatchString(subject):
			return mailstore.ReportDelay
		case deliveredRe().MatchString(subject):
			return mailstore.ReportDelivered
		}
		return mailstore.ReportBounce
	case typeFeedback:
		return mailstore.ReportComplaint
	}
	return ""
}

// KindOfMessage is KindOfHeader, and for a message that is no
// multipart/report, KindOfPlainBounce: what a summary says it is.
func KindOfMessage(contentType, subject string, from mailstore.Address) string {
	if k := KindOfHeader(contentType, subject); k != "" {
		return k
	}
	return KindOfPlainBounce(from, subject)
}

// KindOfPlainBounce tells a delivery report written as plain text, which
// qmail ("failure notice") and many Postfix, Exchange and Exim setups
// send instead of a multipart/report, from its sender and subject: a
// mailer daemon or postmaster, and a subject saying delivery failed (or,
// as KindOfHeader reads it, was delayed). Either alone is not enough: a
// person's "Undeliverable?" is not a bounce, nor is a postmaster's
// newsletter. "" for other mail.
func KindOfPlainBounce(from mailstore.Address, subject string) string {
	local, _, _ := strings.Cut(strings.ToLower(from.Address), "@")
	if !daemonRe().MatchString(local) && !daemonNameRe().MatchString(from.Name) {
		return ""
	}
	switch {
	case delayRe().MatchString(subject):
		return mailstore.ReportDelay
	case plainBounceRe().MatchString(subject):
		return mailstore.ReportBounce
	}
	return ""
}

var (
	daemonRe     = lazyregexp.New(`^(mailer-daemon|mailer_daemon|mailerdaemon|mail-daemon|postmaster|mdaemon)$`)
	daemonNameRe = lazyregexp.New(`(?i)^\s*mail delivery (system|subsystem)\s*$`)
	// plainBounceRe's phrases lead the subject or, for those no other
	// mail uses, stand anywhere in it ("Message Delivery Failure",
	// "[Postmaster] Email Delivery Failure", AOL's "Mail Delivery
	// Problem", "Mail Not Delivered", SMTP32's "mail failed, returning to
	// sender", "Your message to x could not be delivered.", "Ваше
	// сообщение не доставлено").
	plainBounceRe = lazyregexp.New(`(?i)^\s*(undeliver(ed|able)|failure notice|returned mail|non remis|unzustellbar|nicht zustellbar|undeliverable mail)|mail delivery failed|delivery (status notification \(failure\)|failure|has failed|problem)|not delivered|could not be delivered|delivery status notification: (error|fail)|failure delivery|mail failed|не доставлено`)
)

var (
	delayRe     = lazyregexp.New(`(?i)\bdelay(ed)?\b|still being retried|could not send message for past|not yet been delivered`)
	deliveredRe = lazyregexp.New(`(?i)\(success\)|^\s*(delivered|relayed):|successful mail delivery report`)
)

// reportType returns the lower-cased report-type of a multipart/report
// Content-Type, or "".
func reportType(contentType string) string {
	mt, params, err := stdmime.ParseMediaType(contentType)
	if err != nil {
		// One broken parameter makes the whole value unparsable; the
		// media type and report-type usually survive.
		mt = strings.ToLower(strings.TrimSpace(strings.SplitN(contentType, ";", 2)[0]))
		if m := reportTypeRe().FindStringSubmatch(contentType); m != nil {
			params = map[string]string{"report-type": m[1]}
		}
	}
	if mt != "multipart/report" {
		return ""
	}
	if rt := strings.ToLower(strings.TrimSpace(params["report-type"])); rt != "" {
		return rt
	}
	return typeUnnamed
}

// typeUnnamed is what reportType gives a multipart/report without a
// report-type: Parse reads it by its status part, as RFC 6522 says the
// report-type names it.
const typeUnnamed = "(none)"

var reportTypeRe = lazyregexp.New(`(?i);\s*report-type\s*=\s*"?([a-z0-9-]+)`)

// Parse reads a whole stored message. ok is false when it is not a report
// sesbox understands (not multipart/report, or another report-type such as
// a read receipt). A report that is damaged still gives what could be read,
// with Warnings.
func Parse(raw []byte) (r *Report, ok bool) {
	hdr, body := splitHeader(raw)
	fields := parseFields(hdr)
	ctype := fields.get("content-type")
	rt := reportType(ctype)
	if rt != typeDSN && rt != typeGlobalDSN && rt != typeFeedback && rt != typeUnnamed {
		return nil, false
	}
	r = &Report{ReportType: rt}
	_, params, _ := stdmime.ParseMediaType(ctype)
	boundary := params["boundary"]
	if boundary == "" {
		if m := boundaryRe().FindStringSubmatch(ctype); m != nil {
			boundary = m[1]
		}
	}
	if boundary == "" {
		if rt == typeUnnamed {
			return nil, false // neither a type nor parts to tell it by
		}
		r.Warnings = append(r.Warnings, "multipart/report without a boundary")
		r.Kind = KindOfHeader(ctype, fields.get("subject"))
		return r, true
	}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	sawStatus := false
	for n := 0; n < maxParts; n++ {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			r.Warnings = append(r.Warnings, "report parts: "+err.Error())
			break
		}
		pt, _, _ := stdmime.ParseMediaType(p.Header.Get("Content-Type"))
		if pt == "" {
			pt = "text/plain"
		}
		if r.ReportType == typeUnnamed {
			// RFC 6522: the report-type is the status part's subtype.
			switch pt {
			case "message/delivery-status":
				r.ReportType = typeDSN
			case "message/global-delivery-status":
				r.ReportType = typeGlobalDSN
			case "message/feedback-report":
				r.ReportType = typeFeedback
			}
		}
		switch pt {
		case "message/delivery-status", "message/global-delivery-status":
			b := readPart(p, maxStatusBytes, r)
			r.readDeliveryStatus(b, pt == "message/global-delivery-status")
			sawStatus = true
		case "message/feedback-report":
			b := readPart(p, maxStatusBytes, r)
			r.readFeedback(b)
			sawStatus = true
		case "message/rfc822", "text/rfc822-headers", "message/rfc822-headers",
			"message/global", "message/global-headers", "text/rfc822":
			b := readPart(p, maxOrigBytes, r)
			if r.Original == (Original{}) {
				r.Original = readOriginal(b)
			}
		}
	}
	if r.ReportType == typeUnnamed {
		// No report-type and no status part to name it: a read receipt
		// or a report of a kind sesbox does not read.
		return nil, false
	}
	if !sawStatus {
		r.Warnings = append(r.Warnings, "no "+rt+" part")
	}
	r.Kind = r.kind(ctype, fields.get("subject"))
	return r, true
}

var boundaryRe = lazyregexp.New(`(?i);\s*boundary\s*=\s*"?([^";]+)`)

// kind decides from the per-recipient actions: any failure makes a bounce,
// else any delay a delay, else a success report. Without actions the
// status codes' classes decide, and without those the header.
func (r *Report) kind(ctype, subject string) string {
	if r.ReportType == typeFeedback {
		return mailstore.ReportComplaint
	}
	var failed, delayed, ok bool
	for _, rc := range r.Recipients {
		switch strings.ToLower(rc.Action) {
		case "failed":
			failed = true
		case "delayed":
			delayed = true
		case "delivered", "relayed", "expanded":
			ok = true
		default:
			switch {
			case strings.HasPrefix(rc.Status, "5"):
				failed = true
			case strings.HasPrefix(rc.Status, "4"):
				delayed = true
			case strings.HasPrefix(rc.Status, "2"):
				ok = true
			}
		}
	}
	switch {
	case failed:
		return mailstore.ReportBounce
	case delayed:
		return mailstore.ReportDelay
	case ok:
		return mailstore.ReportDelivered
	}
	return KindOfHeader(ctype, subject)
}

// readPart reads at most limit bytes of a part, decoding base64 (the
// multipart reader decodes quoted-printable itself).
func readPart(p *multipart.Part, limit int64, r *Report) []byte {
	b, err := io.ReadAll(io.LimitReader(p, limit))
	if err != nil {
		r.Warnings = append(r.Warnings, "report part: "+err.Error())
	}
	if strings.EqualFold(strings.TrimSpace(p.Header.Get("Content-Transfer-Encoding")), "base64") {
		clean := bytes.Map(func(c rune) rune {
			if c == '\r' || c == '\n' || c == ' ' || c == '\t' {
				return -1
			}
			return c
		}, b)
		dec := make([]byte, base64.StdEncoding.DecodedLen(len(clean)))
		n, err := base64.StdEncoding.Decode(dec, clean)
		if err != nil {
			r.Warnings = append(r.Warnings, "report part: bad base64")
		}
		b = dec[:n]
	}
	return b
}

// readDeliveryStatus reads RFC 3464's groups: the per-message fields, then
// one group per recipient, separated by blank lines.
func (r *Report) readDeliveryStatus(b []byte, global bool) {
	groups := splitGroups(b)
	if len(groups) == 0 {
		r.Warnings = append(r.Warnings, "empty delivery-status part")
		return
	}
	first := parseFields(groups[0])
	r.ReportingMTA = typedValue(first.get("reporting-mta"))
	start := 1
	if first.get("final-recipient") != "" || first.get("action") != "" {
		// Some MTAs leave out the blank line (or the per-message fields):
		// the first group is already a recipient.
		start = 0
	}
	for _, g := range groups[start:] {
		if len(r.Recipients) == maxRecipients {
			r.Warnings = append(r.Warnings, "more than "+strconv.Itoa(maxRecipients)+" recipients: the rest are not shown")
			break
		}
		f := parseFields(g)
		rc := Recipient{
			FinalRecipient:    address(f.get("final-recipient")),
			OriginalRecipient: address(f.get("original-recipient")),
			Action:            strings.ToLower(strings.TrimSpace(f.get("action"))),
			Status:            statusCode(f.get("status")),
			DiagnosticCode:    typedValue(f.get("diagnostic-code")),
			RemoteMTA:         typedValue(f.get("remote-mta")),
			LastAttempt:       strings.TrimSpace(f.get("last-attempt-date")),
			WillRetryUntil:    strings.TrimSpace(f.get("will-retry-until")),
		}
		if rc == (Recipient{}) {
			continue
		}
		r.Recipients = append(r.Recipients, rc)
	}
	_ = global // a global DSN differs only in allowing UTF-8, which the reader keeps as is
}

// readFeedback reads an ARF message/feedback-report part: one group of
// fields.
func (r *Report) readFeedback(b []byte) {
	f := parseFields(b)
	fb := &Feedback{
		Type:             strings.ToLower(strings.TrimSpace(f.get("feedback-type"))),
		UserAgent:        strings.TrimSpace(f.get("user-agent")),
		OriginalMailFrom: strings.Trim(strings.TrimSpace(f.get("original-mail-from")), "<>"),
		ArrivalDate:      strings.TrimSpace(firstNonEmpty(f.get("arrival-date"), f.get("received-date"))),
		SourceIP:         strings.TrimSpace(f.get("source-ip")),
		ReportingMTA:     typedValue(f.get("reporting-mta")),
		ReportedDomain:   strings.TrimSpace(f.get("reported-domain")),
	}
	for _, v := range f.all("original-rcpt-to") {
		if a := strings.Trim(strings.TrimSpace(v), "<>"); a != "" {
			fb.OriginalRcptTo = append(fb.OriginalRcptTo, a)
		}
	}
	if fb.Type == "" {
		r.Warnings = append(r.Warnings, "feedback report without Feedback-Type")
	}
	r.Feedback = fb
	r.ReportingMTA = fb.ReportingMTA
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

// readOriginal reads the returned message's header.
func readOriginal(b []byte) Original {
	hdr, _ := splitHeader(b)
	f := parseFields(hdr)
	o := Original{
		Subject: decodeWords(f.get("subject")),
		From:    decodeWords(f.get("from")),
		To:      decodeWords(f.get("to")),
		Date:    strings.TrimSpace(f.get("date")),
	}
	if m := msgIDRe().FindStringSubmatch(f.get("message-id")); m != nil {
		o.MessageID = m[1]
	} else {
		o.MessageID = strings.Trim(strings.TrimSpace(f.get("message-id")), "<>")
	}
	return o
}

var msgIDRe = lazyregexp.New(`<([^<>\s]+)>`)

var wordDecoder = stdmime.WordDecoder{CharsetReader: nil}

func decodeWords(s string) string {
	s = strings.TrimSpace(s)
	if d, err := wordDecoder.DecodeHeader(s); err == nil {
		return d
	}
	return s
}

// statusCode keeps the enhanced code of a Status field ("5.1.1 (bad
// mailbox)" -> "5.1.1").
func statusCode(v string) string {
	v = strings.TrimSpace(v)
	if m := statusRe().FindString(v); m != "" {
		return m
	}
	return v
}

var statusRe = lazyregexp.New(`^[245]\.\d{1,3}\.\d{1,3}`)

// typedValue removes the type of a "type; value" field (rfc822; dns;
// smtp; utf-8; x-...), decoding the value the type says is encoded.
func typedValue(v string) string {
	v = strings.TrimSpace(v)
	typ, rest, ok := strings.Cut(v, ";")
	if !ok || strings.ContainsAny(typ, " \t<>@") {
		return v
	}
	rest = strings.TrimSpace(rest)
	switch strings.ToLower(strings.TrimSpace(typ)) {
	case "utf-8":
		return decodeUTF8Xtext(rest)
	}
	return rest
}

// address is typedValue for an address field: rfc822 addresses are xtext
// (RFC 3461: "+2B" for "+"), utf-8 ones use RFC 6533's \x{HEX}.
func address(v string) string {
	v = strings.TrimSpace(v)
	typ, rest, ok := strings.Cut(v, ";")
	if !ok {
		return strings.Trim(v, "<>")
	}
	rest = strings.Trim(strings.TrimSpace(rest), "<>")
	switch strings.ToLower(strings.TrimSpace(typ)) {
	case "rfc822":
		return decodeXtext(rest)
	case "utf-8":
		return decodeUTF8Xtext(rest)
	}
	return rest
}

// decodeXtext undoes RFC 3461 xtext: "+HH" is the byte HH.
func decodeXtext(s string) string {
	if !strings.Contains(s, "+") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '+' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			n, _ := strconv.ParseUint(s[i+1:i+3], 16, 8)
			b.WriteByte(byte(n))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// decodeUTF8Xtext undoes RFC 6533's utf-8-addr-xtext: "\x{HEX}" is the
// code point HEX. Raw UTF-8 (utf-8-addr-unitext) passes as is.
func decodeUTF8Xtext(s string) string {
	if !strings.Contains(s, `\x{`) {
		return s
	}
	return xtextRe().ReplaceAllStringFunc(s, func(m string) string {
		n, err := strconv.ParseUint(m[3:len(m)-1], 16, 32)
		if err != nil || n > 0x10FFFF {
			return m
		}
		return string(rune(n))
	})
}

var xtextRe = lazyregexp.New(`\\x\{[0-9A-Fa-f]{1,6}\}`)

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// fields is a parsed group of header-style fields, names lower-cased.
type fields map[string][]string

func (f fields) get(name string) string {
	if v := f[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func (f fields) all(name string) []string { return f[name] }

// parseFields reads "Name: value" lines with folding, stopping at the
// first blank line. Lines that are not fields are skipped.
func parseFields(b []byte) fields {
	out := fields{}
	var name string
	var val strings.Builder
	flush := func() {
		if name != "" {
			v := val.String()
			if len(v) > maxFieldLen {
				v = v[:maxFieldLen]
			}
			out[name] = append(out[name], strings.TrimSpace(v))
		}
		name = ""
		val.Reset()
	}
	for _, line := range lines(b) {
		if len(bytes.TrimSpace(line)) == 0 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			if name != "" && val.Len() < maxFieldLen {
				val.WriteByte(' ')
				val.Write(bytes.TrimSpace(line))
			}
			continue
		}
		flush()
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		key := strings.ToLower(strings.TrimSpace(string(k)))
		if key == "" || strings.ContainsAny(key, " \t") {
			continue
		}
		name = textproto.TrimString(key)
		val.Write(bytes.TrimSpace(v))
	}
	flush()
	return out
}

// splitGroups splits a delivery-status body at blank lines.
func splitGroups(b []byte) [][]byte {
	var out [][]byte
	var cur []byte
	for _, line := range lines(b) {
		if len(bytes.TrimSpace(line)) == 0 {
			if len(cur) > 0 {
				out = append(out, cur)
				cur = nil
			}
			continue
		}
		cur = append(cur, line...)
		cur = append(cur, '\n')
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// lines splits at LF, dropping a CR before it.
func lines(b []byte) [][]byte {
	ls := bytes.Split(b, []byte("\n"))
	for i, l := range ls {
		ls[i] = bytes.TrimSuffix(l, []byte("\r"))
	}
	return ls
}

// splitHeader cuts a message at its first blank line.
func splitHeader(raw []byte) (hdr, body []byte) {
	for i := 0; i < len(raw); {
		j := bytes.IndexByte(raw[i:], '\n')
		if j < 0 {
			return raw, nil
		}
		line := bytes.TrimSuffix(raw[i:i+j], []byte("\r"))
		if len(line) == 0 {
			return raw[:i], raw[i+j+1:]
		}
		i += j + 1
	}
	return raw, nil
}

// Badge is the marker the list and `sesbox ls` put before the subject of a
// report: "[bounce] ", "[delay] ", "[complaint] ", "[delivered] ", or ""
// for other mail (and for a kind sesbox does not know, which comes only
// from a damaged index).
func Badge(kind string) string {
	switch kind {
	case mailstore.ReportBounce, mailstore.ReportDelay, mailstore.ReportDelivered, mailstore.ReportComplaint:
		return "[" + kind + "] "
	}
	return ""
}
