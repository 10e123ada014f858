// Package fwdlog reads the CloudWatch log of the SES forwarding Lambda
// (aws-lambda-ses-forwarder 6.0.0 on a Node.js runtime) and says, for each
// stored message, what the Lambda did with it: forwarded, failed (with the
// Lambda's or the runtime's reason), skipped (no mapping for its
// recipients), none (no invocation while the log covers its time) or
// unknown (older than the log's retention, or too recent to tell).
//
// Only the structure the Lambda runtime prints counts. A line is the
// Lambda's when it is a platform line (START, END, REPORT RequestId: <id>)
// or `<time>\t<request id>\tINFO\t<util.inspect of the log object>` whose
// object starts with the level and message properties as string literals,
// or `<time> <request id> Task timed out after N seconds`. Text inside a
// logged string (a recipient, an SES error) cannot pass for another line:
// util.inspect escapes it, and only the event's own start is read as a
// header.
package fwdlog

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sesbox/sesbox/internal/lazyregexp"
)

// Event is one CloudWatch Logs event.
type Event struct {
	ID      string
	Time    time.Time
	Message string
}

// Line is one event of an invocation, for showing.
type Line struct {
	Time time.Time
	Text string
}

// Invocation is what the log says about one run of the Lambda (one
// request id).
type Invocation struct {
	RequestID string
	// Start is the START line's time (else the first event's).
	Start time.Time
	// Bucket and Key are the stored message the invocation fetched
	// ("Fetching email at s3://BUCKET/KEY"); MessageID is the SES message
	// id, the key's last segment. Empty when it never got that far (no
	// mapping for the recipients: that step comes first).
	Bucket, Key, MessageID string
	// Original are the SES recipients, Destinations where they were
	// mapped (from the sendMessage line, or the no-recipients line).
	Original, Destinations []string
	// Sent is set by "SendEmailCommand() successful.", at SentAt.
	Sent   bool
	SentAt time.Time
	// Finished is set by "Process finished successfully.".
	Finished bool
	// NoRecipients is set by "Finishing process. No new recipients found".
	NoRecipients bool
	// StepError is the error of "Step returned error: ..."; Cause is the
	// first line of the error object a step logged before it ("...returned
	// error", e.g. the SES MessageRejected); InvokeError the runtime's
	// "Invoke Error" message.
	StepError, Cause, InvokeError string
	// TimedOut is the runtime's "Task timed out after N seconds" (or the
	// REPORT line's Status: timeout).
	TimedOut string
	// Ended is set by the REPORT line.
	Ended bool
	Lines []Line
}

// The outcome of one invocation.
const (
	outcomeNone = iota // still running, or its end is not in the log read
	outcomeForwarded
	outcomeFailed
	outcomeSkipped
)

func (inv *Invocation) outcome() int {
	switch {
	case inv.NoRecipients:
		// The Lambda calls back with success and then lets its chain run
		// on into a TypeError it logs as a step error: still skipped.
		return outcomeSkipped
	case inv.Sent || inv.Finished:
		return outcomeForwarded
	case inv.StepError != "" || inv.Cause != "" || inv.InvokeError != "" || inv.TimedOut != "" || inv.Ended:
		return outcomeFailed
	}
	return outcomeNone
}

// Reason is why a failed invocation failed, in the Lambda's or the
// runtime's words (unsanitized).
func (inv *Invocation) Reason() string {
	var parts []string
	if inv.TimedOut != "" {
		parts = append(parts, inv.TimedOut)
	}
	if inv.Cause != "" {
		parts = append(parts, inv.Cause)
	}
	if inv.StepError != "" {
		parts = append(parts, "Step returned error: "+inv.StepError)
	}
	if len(parts) == 0 && inv.InvokeError != "" {
		parts = append(parts, inv.InvokeError)
	}
	if len(parts) == 0 && inv.Ended {
		parts = append(parts, "the invocation ended without sending")
	}
	return strings.Join(parts, "; ")
}

const uuidRE = `[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`

var (
	platformRE = lazyregexp.New(`^(START|END|REPORT) RequestId: (` + uuidRE + `)(?:[ \t]|$)`)
	runtimeRE  = lazyregexp.New(`^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)\t(` + uuidRE + `)\t(INFO|ERROR|WARN|DEBUG|TRACE|FATAL)\t`)
	timeoutRE  = lazyregexp.New(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (` + uuidRE + `) (Task timed out after \d+(?:\.\d+)? seconds)\s*$`)
)

// Parse groups events into invocations by request id, ordered by start
// (then request id). Events that are none of the runtime's lines are
// left out. Events may come in any order and repeat (same ID); they are
// read in order of time, then ID (CloudWatch's event ids sort in the order
// of the stream).
func Parse(events []Event) []Invocation {
	events = slices.Clone(events)
	slices.SortStableFunc(events, func(a, b Event) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	byID := map[string]*Invocation{}
	seen := map[string]bool{}
	get := func(id string, t time.Time) *Invocation {
		inv := byID[id]
		if inv == nil {
			inv = &Invocation{RequestID: id, Start: t}
			byID[id] = inv
		}
		return inv
	}
	for _, e := range events {
		if e.ID != "" {
			if seen[e.ID] {
				continue
			}
			seen[e.ID] = true
		}
		msg := strings.TrimRight(e.Message, "\n")
		if m := platformRE().FindStringSubmatch(msg); m != nil {
			inv := get(m[2], e.Time)
			inv.Lines = append(inv.Lines, Line{e.Time, msg})
			switch m[1] {
			case "START":
				inv.Start = e.Time
			case "REPORT":
				inv.Ended = true
				if strings.Contains(msg, "\tStatus: timeout") && inv.TimedOut == "" {
					inv.TimedOut = "Task timed out"
				}
			}
			continue
		}
		if m := timeoutRE().FindStringSubmatch(msg); m != nil {
			inv := get(m[1], e.Time)
			inv.Lines = append(inv.Lines, Line{e.Time, msg})
			inv.TimedOut = m[2]
			continue
		}
		m := runtimeRE().FindStringSubmatch(msg)
		if m == nil {
			continue
		}
		inv := get(m[2], e.Time)
		inv.Lines = append(inv.Lines, Line{e.Time, msg})
		// The runtime's older stdout path wrote a multi-line message on
		// one line with each newline turned into a carriage return
		// (util.inspect escapes those inside strings, so a raw one is
		// always the layout's).
		payload := strings.ReplaceAll(msg[len(m[0]):], "\r", "\n")
		switch m[3] {
		case "INFO":
			if level, text, rest, ok := parseLogObject(payload); ok {
				inv.apply(e.Time, level, text, rest)
			}
		case "ERROR":
			if js, ok := strings.CutPrefix(payload, "Invoke Error \t"); ok {
				var ie struct {
					ErrorType    string `json:"errorType"`
					ErrorMessage string `json:"errorMessage"`
				}
				if json.Unmarshal([]byte(js), &ie) == nil && ie.ErrorMessage != "" {
					inv.InvokeError = ie.ErrorType + ": " + ie.ErrorMessage
				}
			}
		}
	}
	out := make([]Invocation, 0, len(byID))
	for _, inv := range byID {
		out = append(out, *inv)
	}
	slices.SortFunc(out, func(a, b Invocation) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return strings.Compare(a.RequestID, b.RequestID)
	})
	return out
}

// apply records what one of the Lambda's log objects says.
func (inv *Invocation) apply(t time.Time, level, text, rest string) {
	switch {
	case strings.HasPrefix(text, "Fetching email at s3://"):
		loc := strings.TrimPrefix(text, "Fetching email at s3://")
		bucket, key, ok := strings.Cut(loc, "/")
		if ok && inv.MessageID == "" {
			inv.Bucket, inv.Key = bucket, key
			inv.MessageID = key[strings.LastIndexByte(key, '/')+1:]
		}
	case strings.HasPrefix(text, "sendMessage: Sending email via SES. Original recipients: "):
		s := strings.TrimPrefix(text, "sendMessage: Sending email via SES. Original recipients: ")
		// The destinations come from the config; the original recipients
		// from the envelope: the last separator is the Lambda's.
		if i := strings.LastIndex(s, ". Transformed recipients: "); i >= 0 {
			inv.Original = splitList(s[:i])
			inv.Destinations = splitList(strings.TrimSuffix(s[i+len(". Transformed recipients: "):], "."))
		}
	case text == "SendEmailCommand() successful." && level == "info":
		inv.Sent, inv.SentAt = true, t
	case text == "Process finished successfully." && level == "info":
		inv.Finished = true
	case strings.HasPrefix(text, "Finishing process. No new recipients found for original destinations: ") && level == "info":
		inv.NoRecipients = true
		inv.Original = splitList(strings.TrimPrefix(text, "Finishing process. No new recipients found for original destinations: "))
	case strings.HasPrefix(text, "Step returned error: ") && level == "error":
		if inv.StepError == "" {
			inv.StepError = strings.TrimPrefix(text, "Step returned error: ")
		}
	case level == "error" && (strings.HasSuffix(text, "returned error:") || strings.HasSuffix(text, "returned error.")):
		if inv.Cause == "" {
			inv.Cause = errorLine(rest)
		}
	}
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ", ")
}

// errorLine is the first line of the top-level "error:" property in what
// follows the level and message properties of a log object: the error's
// name and message as util.inspect prints an Error.
func errorLine(rest string) string {
	i := strings.Index(rest, "\n  error: ")
	if i < 0 {
		return ""
	}
	s := rest[i+len("\n  error: "):]
	if j := strings.IndexByte(s, '\n'); j >= 0 {
		s = s[:j]
	}
	return strings.TrimSuffix(strings.TrimSuffix(strings.TrimSpace(s), " {"), ",")
}

// parseLogObject reads the start of util.inspect's rendering of the
// Lambda's log objects ({ level: '...', message: '...', ... } in either
// order): both properties must come first, as string literals. rest is what
// follows them.
func parseLogObject(s string) (level, message, rest string, ok bool) {
	p := &inspectParser{s: s}
	if !p.lit("{") {
		return "", "", "", false
	}
	var haveLevel, haveMessage bool
	for !haveLevel || !haveMessage {
		p.ws()
		key := p.ident()
		if !p.lit(":") {
			return "", "", "", false
		}
		p.ws()
		val, ok := p.stringChain()
		if !ok {
			return "", "", "", false
		}
		switch {
		case key == "level" && !haveLevel:
			level, haveLevel = val, true
		case key == "message" && !haveMessage:
			message, haveMessage = val, true
		default:
			return "", "", "", false
		}
		p.ws()
		if p.lit("}") {
			if !haveLevel || !haveMessage || strings.TrimSpace(p.s[p.i:]) != "" {
				return "", "", "", false
			}
			break
		}
		if !p.lit(",") {
			return "", "", "", false
		}
	}
	if level != "info" && level != "error" {
		return "", "", "", false
	}
	return level, message, p.s[p.i:], true
}

type inspectParser struct {
	s string
	i int
}

func (p *inspectParser) ws() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\n') {
		p.i++
	}
}

func (p *inspectParser) lit(t string) bool {
	if strings.HasPrefix(p.s[p.i:], t) {
		p.i += len(t)
		return true
	}
	return false
}

func (p *inspectParser) ident() string {
	j := p.i
	for j < len(p.s) {
		c := p.s[j]
		if c == '_' || c == '$' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || j > p.i && '0' <= c && c <= '9' {
			j++
			continue
		}
		break
	}
	id := p.s[p.i:j]
	p.i = j
	return id
}

// stringChain reads 'a' +\n 'b' ...: util.inspect splits a long string at
// its newlines.
func (p *inspectParser) stringChain() (string, bool) {
	var b strings.Builder
	for {
		s, ok := p.stringLit()
		if !ok {
			return "", false
		}
		b.WriteString(s)
		save := p.i
		p.ws()
		if !p.lit("+") {
			p.i = save
			return b.String(), true
		}
		p.ws()
	}
}

// stringLit reads one JavaScript string literal as util.inspect writes
// it: quoted with ', " or ` (whichever the text does not hold), with
// backslash escapes and no raw line break.
func (p *inspectParser) stringLit() (string, bool) {
	if p.i >= len(p.s) {
		return "", false
	}
	q := p.s[p.i]
	if q != '\'' && q != '"' && q != '`' {
		return "", false
	}
	var b strings.Builder
	for j := p.i + 1; j < len(p.s); {
		c := p.s[j]
		switch {
		case c == q:
			p.i = j + 1
			return b.String(), true
		case c == '\n' || c == '\r':
			return "", false
		case c != '\\':
			b.WriteByte(c)
			j++
			continue
		}
		if j+1 >= len(p.s) {
			return "", false
		}
		e := p.s[j+1]
		j += 2
		switch e {
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'v':
			b.WriteByte('\v')
		case '0':
			b.WriteByte(0)
		case 'x', 'u':
			n := 2
			if e == 'u' {
				n = 4
			}
			if j+n > len(p.s) {
				return "", false
			}
			v, err := strconv.ParseUint(p.s[j:j+n], 16, 32)
			if err != nil {
				return "", false
			}
			r := rune(v)
			if !utf8.ValidRune(r) {
				r = utf8.RuneError // a lone surrogate
			}
			b.WriteRune(r)
			j += n
		default:
			b.WriteByte(e) // \\ \' \" \`
		}
	}
	return "", false
}

// RequestID returns the request id of the invocation an event belongs to,
// read as Parse reads it; "" for an event of none (INIT_START, a line the
// runtime did not write).
func RequestID(message string) string {
	message = strings.TrimRight(message, "\n")
	if m := platformRE().FindStringSubmatch(message); m != nil {
		return m[2]
	}
	if m := timeoutRE().FindStringSubmatch(message); m != nil {
		return m[1]
	}
	if m := runtimeRE().FindStringSubmatch(message); m != nil {
		return m[2]
	}
	return ""
}
