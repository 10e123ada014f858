// Package query is the one search syntax shared by `sesbox ls --query` and
// the TUI filter: free text, field terms (from:, to:, subject:, after:,
// before:, stored-after:, stored-before:, has:attachment, is:unread,
// spam:fail, ...) and "-" negation.
package query

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sesbox/sesbox/mailstore"
)

// Query is a parsed search. The zero Query matches everything.
type Query struct {
	terms []term
	raw   string
}

type term struct {
	neg   bool
	field string // "" for free text
	text  string // lower-cased needle for text fields
	t     time.Time
}

// Help describes the syntax, for --help and the TUI.
const Help = `free text matches subject, sender and recipients; terms:
  from:X  to:X  subject:X  after:DATE  before:DATE  has:attachment
  stored-after:DATE  stored-before:DATE (when SES stored it, not its Date)
  is:unread  is:read  spam:fail  virus:fail  spf:fail  dkim:fail  dmarc:fail
  is:bounce  is:delay  is:delivered  is:complaint  is:report (delivery reports)
  forward:failed  forward:ok  forward:skipped  forward:none  forward:unknown
  (what the forwarding Lambda's log says: see forwarder_logs)
  (verdict terms take any verdict, e.g. spf:pass); DATE is YYYY-MM-DD,
  YYYY-MM-DDTHH:MM[:SS] (local time), RFC 3339, today, yesterday, or an age
  such as 24h, 7d, 2w, 3m, 1y; "-" before a term negates it; "double quotes"
  group words`

// MaxTerms is the most terms a query takes. The index hands SQLite one
// condition a term, joined by AND, and SQLite refuses an expression
// nested 1,000 deep: 1,000 terms failed with "SQL logic error:
// Expression tree is too large", and 20,000 free-text terms, matched in
// Go, cost every message read 20,000 searches.
const MaxTerms = 256

// Parse parses s relative to now (for relative dates such as after:7d).
func Parse(s string, now time.Time) (Query, error) {
	q := Query{raw: s}
	toks := tokens(s)
	if len(toks) > MaxTerms {
		// Not quoted: a query this long is a screenful.
		return Query{}, fmt.Errorf("leave out terms: a query takes at most %d, this one has %d", MaxTerms, len(toks))
	}
	for _, tk := range toks {
		var t term
		tok := tk.text
		if len(tok) > 1 && tok[0] == '-' && !tk.quoted {
			t.neg, tok = true, tok[1:]
		}
		field, val, ok := strings.Cut(tok, ":")
		field = strings.ToLower(field)
		if ok && !tk.quoted && !knownField(field) && looksLikeTerm(field, val) {
			return Query{}, fmt.Errorf("query %q: %s: is not a term%s (terms: %s:); \"%s\" in double quotes matches the text",
				s, field, didYouMean(field), strings.Join(fields, ": "), tok)
		}
		if !ok || tk.quoted || !knownField(field) {
			t.text = strings.ToLower(tok)
			q.terms = append(q.terms, t)
			continue
		}
		t.field = field
		val = strings.Trim(val, `"`)
		switch field {
		case "after", "before", "stored-after", "stored-before":
			d, err := ParseDate(val, now)
			if err != nil {
				return Query{}, fmt.Errorf("query %q: %s: %w", s, field, err)
			}
			t.t = d
		case "has":
			if !strings.EqualFold(val, "attachment") && !strings.EqualFold(val, "attachments") {
				return Query{}, fmt.Errorf("query %q: has: takes attachment", s)
			}
		case "is":
			v := strings.ToLower(val)
			if v != "unread" && v != "read" && v != "missing" && !isReport(v) {
				return Query{}, fmt.Errorf("query %q: is: takes unread, read, missing, bounce, delay, delivered, complaint or report", s)
			}
			t.text = v
		case "forward":
			v, ok := forwardStatus(strings.ToLower(val))
			if !ok {
				return Query{}, fmt.Errorf("query %q: forward: takes failed, ok, skipped, none or unknown", s)
			}
			t.text = v
		case "spam", "virus", "spf", "dkim", "dmarc":
			if val == "" {
				return Query{}, fmt.Errorf("query %q: %s: needs a verdict such as fail", s, field)
			}
			t.text = strings.ToUpper(val)
		default:
			// Empty, from: would match every message: a script that
			// built from:$addr with an empty $addr would act on all.
			if val == "" {
				return Query{}, fmt.Errorf("query %q: %s: needs text to look for, such as %s:alice", s, field, field)
			}
			t.text = strings.ToLower(val)
		}
		q.terms = append(q.terms, t)
	}
	return q, nil
}

// didYouMean names the term a mistyped field is closest to (one or two
// edits: frm, form, subjct), as the command line does for a mistyped
// command; "" when none is that close, or two are.
func didYouMean(field string) string {
	if best := mailstore.Closest(field, fields); best != "" {
		return " — did you mean " + best + ":?"
	}
	return ""
}

// fields are the term names, in the order the errors list them.
var fields = []string{"from", "to", "subject", "after", "before", "stored-after", "stored-before", "has", "is", "spam", "virus", "spf", "dkim", "dmarc", "forward"}

func knownField(f string) bool { return slices.Contains(fields, f) }

// looksLikeTerm tells a mistyped term (foo:bar, form:alice) from text that
// happens to hold a colon (10:30, re:, https://...): a word of ASCII
// letters, a colon, then a value that is not a path.
func looksLikeTerm(field, val string) bool {
	if len(field) < 2 || val == "" || strings.HasPrefix(val, "/") {
		return false
	}
	hyphen := false
	for i, r := range field {
		switch {
		case r == '-' && i > 0:
			hyphen = true
		case r < 'a' || r > 'z':
			return false
		}
	}
	// A hyphenated word (e-mail:x, x-mailer:y) is text unless it is a
	// mistyped stored-after: or stored-before:, which would otherwise
	// match nothing and say nothing.
	return !hyphen || mailstore.Closest(field, fields) != ""
}

// token is a word of a query; quoted when it began with a double quote
// (then it is text, whatever it holds).
type token struct {
	text   string
	quoted bool
}

// tokens splits on white space, keeping "quoted phrases" (also after a
// field name, as in subject:"two words") together.
func tokens(s string) []token {
	var out []token
	var cur strings.Builder
	inQuote, quoted := false, false
	for _, r := range s {
		switch {
		case r == '"':
			inQuote = !inQuote
			quoted = quoted || cur.Len() == 0
		case !inQuote && (r == ' ' || r == '\t' || r == '\n'):
			if cur.Len() > 0 {
				out = append(out, token{cur.String(), quoted})
				cur.Reset()
			}
			quoted = false
		default:
			cur.WriteRune(r)
		}
	}
	if cur.Len() > 0 {
		out = append(out, token{cur.String(), quoted})
	}
	return out
}

// ParseDate reads an absolute date (in now's location) or an age
// (7d, 2w, 1m, 1y, 12h): what after: and before: take, and the
// --after and --before of `sesbox audit log`.
func ParseDate(v string, now time.Time) (time.Time, error) {
	// Keywords and ages in any case; dates with their T and Z upper, as
	// the layouts have them.
	given := strings.TrimSpace(v)
	v = strings.ToLower(given)
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	switch v {
	case "today":
		return day, nil
	case "yesterday":
		return day.AddDate(0, 0, -1), nil
	}
	for _, layout := range []string{"2006-01-02", "2006-01-02T15:04:05Z07:00", "2006-01-02T15:04:05", "2006-01-02T15:04", "2006/01/02"} {
		if t, err := time.ParseInLocation(layout, strings.ToUpper(v), now.Location()); err == nil {
			return t, nil
		}
	}
	if len(v) >= 2 {
		n, err := strconv.Atoi(v[:len(v)-1])
		if err == nil && n >= 0 {
			switch v[len(v)-1] {
			case 'h':
				return now.Add(-time.Duration(n) * time.Hour), nil
			case 'd':
				return now.AddDate(0, 0, -n), nil
			case 'w':
				return now.AddDate(0, 0, -7*n), nil
			case 'm':
				return now.AddDate(0, -n, 0), nil
			case 'y':
				return now.AddDate(-n, 0, 0), nil
			}
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date (YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS], RFC 3339, today, yesterday, or an age such as 7d)", given)
}

// IsZero reports whether the query has no terms.
func (q Query) IsZero() bool { return len(q.terms) == 0 }

// String returns the query as typed.
func (q Query) String() string { return q.raw }

// Words returns the positive free-text words, for an index to narrow the
// candidates before Match decides.
func (q Query) Words() []string {
	var out []string
	for _, t := range q.terms {
		if !t.neg && t.field == "" {
			out = append(out, t.text)
		}
	}
	return out
}

// Term is one term of a query, for an index that evaluates what it can
// itself (see index.Query); Match stays the definition.
type Term struct {
	Neg bool
	// Field is the field name (from, to, subject, after, before, has, is,
	// spam, virus, spf, dkim, dmarc), "" for free text.
	Field string
	// Text is the needle, lower-cased for text fields and is:, upper-cased
	// for verdicts.
	Text string
	// Time is the bound of after:, before:, stored-after: and stored-before:.
	Time time.Time
}

// Terms returns the query's terms in order.
func (q Query) Terms() []Term {
	out := make([]Term, len(q.terms))
	for i, t := range q.terms {
		out[i] = Term{Neg: t.neg, Field: t.field, Text: t.text, Time: t.t}
	}
	return out
}

// Match reports whether the summary satisfies every term.
func (q Query) Match(s *mailstore.Summary) bool {
	for i := range q.terms {
		if q.terms[i].match(s) == q.terms[i].neg {
			return false
		}
	}
	return true
}

func (t *term) match(s *mailstore.Summary) bool {
	switch t.field {
	case "":
		return containsFold(s.Subject, t.text) || matchAddr(s.From, t.text) ||
			matchAddrs(s.To, t.text) || matchAddrs(s.Cc, t.text) || matchList(s.Recipients, t.text)
	case "from":
		return matchAddr(s.From, t.text)
	case "to":
		return matchAddrs(s.To, t.text) || matchAddrs(s.Cc, t.text) || matchList(s.Recipients, t.text)
	case "subject":
		return containsFold(s.Subject, t.text)
	case "after":
		return !s.Date.Before(t.t)
	case "before":
		return s.Date.Before(t.t)
	// When SES stored the message (the object's LastModified): an outage's
	// window, whatever the sender's clock wrote in Date.
	case "stored-after":
		return !s.LastModified.Before(t.t)
	case "stored-before":
		return s.LastModified.Before(t.t)
	case "has":
		return s.Attachments > 0
	case "is":
		switch t.text {
		case "unread":
			return !s.Read
		case "read":
			return s.Read
		case "missing":
			return s.Missing
		case "report":
			return s.Report != ""
		default:
			return s.Report == t.text
		}
	case "forward":
		return s.Forward.Status == t.text
	case "spam":
		return s.Verdicts.Spam == t.text
	case "virus":
		return s.Verdicts.Virus == t.text
	case "spf":
		return s.Verdicts.SPF == t.text
	case "dkim":
		return s.Verdicts.DKIM == t.text
	case "dmarc":
		return s.Verdicts.DMARC == t.text
	}
	return false
}

func matchAddr(a mailstore.Address, n string) bool {
	return containsFold(a.Name, n) || containsFold(a.Address, n)
}

func matchAddrs(l []mailstore.Address, n string) bool {
	for _, a := range l {
		if matchAddr(a, n) {
			return true
		}
	}
	return false
}

func matchList(l []string, n string) bool {
	for _, s := range l {
		if containsFold(s, n) {
			return true
		}
	}
	return false
}

// containsFold reports whether h contains the lower-case needle n, ignoring
// case. The ASCII path allocates nothing: it runs over every summary on
// every filter keystroke.
func containsFold(h, n string) bool {
	if n == "" {
		return true
	}
	ascii := true
	for i := 0; i < len(n); i++ {
		if n[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if !ascii {
		return strings.Contains(strings.ToLower(h), n)
	}
	for i := 0; i+len(n) <= len(h); i++ {
		j := 0
		for ; j < len(n); j++ {
			c := h[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != n[j] {
				break
			}
		}
		if j == len(n) {
			return true
		}
	}
	return false
}

// SortField names a column to sort by.
type SortField string

const (
	ByDate    SortField = "date"
	ByFrom    SortField = "from"
	BySubject SortField = "subject"
	BySize    SortField = "size"
)

// ParseSort checks a sort field name.
func ParseSort(s string) (SortField, error) {
	switch f := SortField(strings.ToLower(s)); f {
	case ByDate, ByFrom, BySubject, BySize:
		return f, nil
	case "":
		return ByDate, nil
	}
	return "", fmt.Errorf("sort by %q: want date, from, subject or size", s)
}

// Compare orders two summaries as Sort does: by date newest first, by the
// other fields ascending (size: largest first); reverse flips the order.
// Ties fall back to newest first, then key, so the order is total and
// stable across runs.
func Compare(a, b *mailstore.Summary, by SortField, reverse bool) int {
	var c int
	switch by {
	case ByFrom:
		c = CompareFold(fromKey(a), fromKey(b))
	case BySubject:
		c = CompareFold(a.Subject, b.Subject)
	case BySize:
		c = cmp.Compare(b.Size, a.Size)
	}
	if c == 0 {
		c = b.Date.Compare(a.Date)
	}
	if c == 0 {
		c = strings.Compare(a.Key, b.Key)
	}
	if reverse {
		return -c
	}
	return c
}

// Sort orders summaries in place by Compare.
func Sort(s []mailstore.Summary, by SortField, reverse bool) {
	slices.SortFunc(s, func(a, b mailstore.Summary) int { return Compare(&a, &b, by, reverse) })
}

// CompareFold compares case-insensitively without allocating: it runs
// n log n times over 100k summaries.
func CompareFold(a, b string) int {
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if ra != rb {
			if la, lb := unicode.ToLower(ra), unicode.ToLower(rb); la != lb {
				return cmp.Compare(la, lb)
			}
		}
		a, b = a[na:], b[nb:]
	}
	return cmp.Compare(len(a), len(b))
}

// FoldKey is s with every rune lower-cased: byte order of FoldKeys is
// CompareFold's order, so the index sorts by sender and subject in SQL
// with one call a row, not one a comparison.
//
// ASCII is lowered a byte at a time, and a string with nothing to lower
// is returned as it is: the index folds the full-text text of every
// summary it writes, most of it lower-case addresses, and WriteRune and
// ToLower for each rune were 1.3% of a cold index's instructions. Other
// runes (and each invalid byte, as U+FFFD) go through ToLower as before.
func FoldKey(s string) string {
	i := 0
	for i < len(s) && s[i] < utf8.RuneSelf && (s[i] < 'A' || s[i] > 'Z') {
		i++
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for i < len(s) {
		if c := s[i]; c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b.WriteByte(c)
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		b.WriteRune(unicode.ToLower(r))
		i += n
	}
	return b.String()
}

func fromKey(s *mailstore.Summary) string {
	if s.From.Name != "" {
		return s.From.Name
	}
	return s.From.Address
}

// isReport reports an is: value naming a delivery report kind
// (mailstore.Summary.Report), or "report" for any of them.
func isReport(v string) bool {
	switch v {
	case "report", mailstore.ReportBounce, mailstore.ReportDelay, mailstore.ReportDelivered, mailstore.ReportComplaint:
		return true
	}
	return false
}

// forwardStatus maps a forward: value to the status it matches
// (mailstore.Forward.Status); ok and forwarded are the same.
func forwardStatus(v string) (string, bool) {
	switch v {
	case "ok", mailstore.ForwardForwarded:
		return mailstore.ForwardForwarded, true
	case mailstore.ForwardFailed, mailstore.ForwardSkipped, mailstore.ForwardNone, mailstore.ForwardUnknown:
		return v, true
	}
	return "", false
}
