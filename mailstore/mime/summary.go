package mime

import (
	"io"
	"iter"
	stdmime "mime"
	"net/mail"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/jhillyerd/enmime/v2"
	"github.com/sesbox/sesbox/internal/lazyregexp"
	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/report"
)

// SetupNotificationSubject is the subject of the test object SES writes
// when a receipt rule that stores to S3 is created.
const SetupNotificationSubject = "Amazon SES Setup Notification"

// Summarize parses a header block (or a whole message, of which it reads
// only the header) into the fields a listing shows. It never fails: what it
// cannot parse is left empty and described in Warnings. A missing or
// unparsable Date is left zero for the caller to replace with the object's
// LastModified. Object, Read and Missing are the caller's to fill.
func Summarize(header []byte) mailstore.Summary {
	return summarize(scanHeader(header))
}

// AddressFieldUpTo parses every name field (any case) of a header block,
// or of a whole message of which it reads only the header, as Summarize
// parses To and Cc, but whole: it is what a reply reads (To, Cc,
// Reply-To, and Mail-Followup-To and Mail-Reply-To, which the index does
// not keep). Past limit addresses together it parses nothing and returns
// nil. n is the count either way, made before any parse: parsing a list costs some 85 bytes a byte, which a
// message must not be able to spend (a To of 40 MB would take 3.4 GB).
func AddressFieldUpTo(header []byte, name string, limit int) (list []mailstore.Address, n int) {
	x := indexFields(scanHeader(header).Fields)
	name = strings.ToLower(name)
	for _, raw := range x[name] {
		for range addressItems(raw) {
			n++
		}
	}
	if n > limit {
		return nil, n
	}
	ctype, _ := x.first("content-type")
	d := &decoder{fallback: lookupCharset(charsetParam(ctype))}
	return d.addressField(x, name), n
}

// fieldIndex looks fields up by case-insensitive name, in order.
type fieldIndex map[string][]string

func indexFields(fields []rawField) fieldIndex {
	idx := make(fieldIndex, len(fields))
	for _, f := range fields {
		k := lowerFieldName(f.Name)
		idx[k] = append(idx[k], f.Value)
	}
	return idx
}

func (x fieldIndex) first(name string) (string, bool) {
	v := x[name]
	if len(v) == 0 {
		return "", false
	}
	return v[0], true
}

// summarize builds the Summary from a scanned header.
func summarize(h scannedHeader) (s mailstore.Summary) {
	s.Warnings = append(s.Warnings, h.Warnings...)
	if len(h.Fields) == 0 {
		s.Kind = mailstore.KindForeign
		s.Warnings = append(s.Warnings, "no header fields: not a mail message")
		return s
	}
	x := indexFields(h.Fields)
	ctype, _ := x.first("content-type")
	d := &decoder{fallback: lookupCharset(charsetParam(ctype))}

	if raw, ok := x.first("date"); !ok || strings.TrimSpace(raw) == "" {
		d.warnf("no Date header")
	} else if t, err := parseDate(d.text(raw)); err != nil {
		d.warnf("cannot parse Date %q", d.text(raw))
	} else {
		s.Date = t
	}

	if from, n := d.summaryList(x, "from"); len(from) > 0 {
		s.From = d.boundAddress("From", from[0])
		if n > 1 {
			// Only the first is shown as the sender: a second one,
			// or "ceo@bank.example <evil@x.example>" (enmime's repair
			// splits it), must not go unseen.
			var all []string
			for _, a := range from[:min(len(from), 5)] {
				all = append(all, a.String())
			}
			d.warnf("From holds %d addresses, shown as the first: %s", n, strings.Join(all, ", "))
		}
	} else {
		d.warnf("no From address")
	}
	for _, f := range []struct {
		list *[]mailstore.Address
		name string
	}{{&s.To, "to"}, {&s.Cc, "cc"}, {&s.ReplyTo, "reply-to"}} {
		l, n := d.summaryList(x, f.name)
		*f.list = d.boundList(headerName(f.name), l, n)
	}

	if raw, ok := x.first("subject"); ok {
		s.Subject = d.boundText("Subject", strings.TrimSpace(d.text(raw)))
	} else {
		d.warnf("no Subject header")
	}
	if raw, ok := x.first("message-id"); ok {
		if ids := msgIDs(d.raw8bit(raw)); len(ids) > 0 {
			s.MessageID = d.boundText("Message-ID", ids[0])
		}
	}
	if raw, ok := x.first("in-reply-to"); ok {
		if ids := msgIDs(d.raw8bit(raw)); len(ids) > 0 {
			s.InReplyTo = d.boundText("In-Reply-To", ids[0])
		}
	}
	var refs []string
	for _, raw := range x["references"] {
		refs = append(refs, msgIDs(d.raw8bit(raw))...)
	}
	s.References = d.boundRefs(refs)
	// Envelope recipients and verdicts come from SES's receipt block only
	// (see receipt.go).
	s.Recipients, s.Verdicts = d.receipt(h.Fields)

	// Attachments are counted from the body (CountAttachments), never
	// guessed from the header: a guess would change when the message is
	// opened.
	s.Report = report.KindOfMessage(ctype, s.Subject, s.From)
	if strings.EqualFold(s.Subject, SetupNotificationSubject) {
		s.Kind = mailstore.KindSetupNotification
	}
	s.Warnings = append(s.Warnings, d.list()...)
	return s
}

// A Summary is what the list shows, ls --json prints and the index keeps
// and searches, whose full-text table costs by the distinct trigrams it is
// given: a Subject of 4 MB of random letters held the first ls (and every
// TUI refresh that met it) 22 s and put 24 MB in the index, 200,000 To
// addresses 2.8 s. So a Subject, a name or an address keeps its first
// maxSummaryText bytes, and an address list its first addresses up to
// maxSummaryList bytes, each cut said in a warning. Real values are far
// shorter; the View's header fields (show --headers) keep them whole.
const (
	maxSummaryText = 4 << 10
	maxSummaryList = 16 << 10
)

// boundText is s cut to maxSummaryText bytes (at a rune's start, then
// "…"); field names it in the warning.
func (d *decoder) boundText(field, s string) string {
	if len(s) <= maxSummaryText {
		return s
	}
	d.warnf("%s is %s long: only its first %s is listed, indexed and searched", field, humanBytes(len(s)), humanBytes(maxSummaryText))
	cut := maxSummaryText
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// maxSummaryRefs is the most References ids a Summary keeps: the first
// (the thread's root) and the nearest, which threads are found by (the
// TUI's thread view, a reply's References, which keeps 20). A header of 8
// MB (what the index reads) held 338,686 ids and a 1 MB Message-ID: each
// row kept them, and every thread view read and linked them again.
const maxSummaryRefs = 100

// boundRefs is refs without an id over maxSummaryText bytes, then its
// first id and its last ones, up to maxSummaryRefs ids and
// maxSummaryList bytes, each cut said in a warning.
func (d *decoder) boundRefs(refs []string) []string {
	n := len(refs)
	kept := refs[:0]
	for _, id := range refs {
		if len(id) <= maxSummaryText {
			kept = append(kept, id)
		}
	}
	if len(kept) < n {
		d.warnf("References: %d of its ids are over %s long and left out", n-len(kept), humanBytes(maxSummaryText))
	}
	if len(kept) <= 1 {
		return kept
	}
	size, from := len(kept[0]), len(kept)
	for from > 1 && len(kept)-from < maxSummaryRefs-1 && size+len(kept[from-1]) <= maxSummaryList {
		from--
		size += len(kept[from])
	}
	if from == 1 {
		return kept
	}
	d.warnf("References holds %d ids: only the first and the last %d are kept", len(kept), len(kept)-from)
	return append([]string{kept[0]}, kept[from:]...)
}

// boundAddress is a with its name and address each bound by boundText.
func (d *decoder) boundAddress(field string, a mailstore.Address) mailstore.Address {
	return mailstore.Address{Name: d.boundText(field+" name", a.Name), Address: d.boundText(field+" address", a.Address)}
}

// boundList is a copy of the addresses of l that fit in maxSummaryList
// bytes (at least one), each bound by boundAddress; the field holds n.
func (d *decoder) boundList(field string, l []mailstore.Address, n int) []mailstore.Address {
	size := 0
	for i, a := range l {
		if size += len(a.Name) + len(a.Address); size > maxSummaryList && i > 0 {
			l = l[:i]
			break
		}
	}
	if len(l) < n {
		d.warnf("%s holds %d addresses: only its first %d are listed, indexed and searched", field, n, len(l))
	}
	var out []mailstore.Address
	for _, a := range l {
		out = append(out, d.boundAddress(field, a))
	}
	return out
}

// mediaType returns the lower-case type/subtype of a Content-Type value,
// without parsing parameters that are often malformed.
func mediaType(ctype string) string {
	t, _, _ := strings.Cut(ctype, ";")
	return strings.ToLower(strings.TrimSpace(t))
}

// charsetParam returns the charset parameter of a Content-Type value, or ""
// when there is none.
func charsetParam(ctype string) string {
	if ctype == "" {
		return ""
	}
	// The parameters parseMediaType reads, and no more: enmime reads the
	// body in that charset, and a value of a million parameters cost each
	// read here a second.
	ctype = cutParams(ctype)
	if _, params, err := stdmime.ParseMediaType(ctype); err == nil {
		return params["charset"]
	}
	// The parser rejects a whole value over one bad parameter; the charset
	// is usually still readable.
	if m := charsetRe().FindStringSubmatch(ctype); m != nil {
		return m[1]
	}
	return ""
}

var charsetRe = lazyregexp.New(`(?i)(?:^|;)\s*charset\s*=\s*"?([^";\s]*)`)

// maxListRead bounds how much of each address field a Summary's list is
// read from: Summarize runs on every header the index reads (up to 8 MB,
// 32 at a time), and parsing a list of 2,600,000 unreadable addresses
// ("<>, <>, ...", 7.8 MB) to keep its first maxSummaryList bytes
// allocated 1.2 GB. Four times what a Summary keeps, as items are written
// longer than they read (quotes, brackets, encoded-words).
const maxListRead = 4 * maxSummaryList

// summaryList parses the fields name of x as far as a Summary keeps them
// (the items within their first maxListRead bytes, all fields together),
// and counts every address they hold: those parsed and the items after.
func (d *decoder) summaryList(x fieldIndex, name string) (l []mailstore.Address, n int) {
	budget := maxListRead
	for _, raw := range x[name] {
		prefix, rest := listPrefix(raw, budget)
		budget -= len(prefix)
		got := d.addresses(name, prefix)
		l = append(l, got...)
		n += len(got) + rest
	}
	return l, n
}

// listPrefix is the start of an address list up to the end of its first
// item past limit bytes (none when limit is 0 or less), and the number of
// items after that.
func listPrefix(s string, limit int) (prefix string, rest int) {
	cut := -1 // where the prefix ends, once found
	if limit <= 0 {
		cut = 0
	}
	for end := range addressItems(s) {
		switch {
		case cut >= 0:
			rest++
		case end > limit:
			cut = end
		}
	}
	if cut < 0 {
		return s, 0
	}
	return s[:cut], rest
}

// addressField parses every field of one address header (a message may
// repeat To or Cc) into one list.
func (d *decoder) addressField(x fieldIndex, name string) []mailstore.Address {
	var out []mailstore.Address
	for _, raw := range x[name] {
		out = append(out, d.addresses(name, raw)...)
	}
	return out
}

// addresses parses an address list. It tries net/mail first, then enmime's
// repairs (missing commas), then each comma-separated item on its own;
// an item nothing can parse is kept as decoded text in Name, with a warning.
func (d *decoder) addresses(field, raw string) []mailstore.Address {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil
	}
	// Decode encoded-words with our lenient decoder and hand net/mail a
	// placeholder for each run of them, which it reads as one atom
	// wherever it stands (a quoted display name, where net/mail decodes
	// nothing, included), so that every run is decoded exactly once and
	// what it decodes to (a comma, a quote, text that looks like an
	// encoded-word) is never parsed as address syntax.
	prepared, runs := d.prepareAddresses(raw)
	p := mail.AddressParser{WordDecoder: &stdmime.WordDecoder{CharsetReader: runs.charsetReader}}
	list, err := p.ParseList(prepared)
	if err != nil && !strings.Contains(prepared, "=?") {
		// enmime's repairs decode every name twice (its parser's
		// decoder, then DecodeExtHeader): only where no word is left
		// for it to decode.
		if l2, err2 := enmime.ParseAddressList(prepared); err2 == nil {
			list, err = l2, nil
		}
	}
	if err == nil {
		return runs.convertAddresses(list)
	}
	items := splitAddressList(prepared)
	out := make([]mailstore.Address, 0, len(items))
	for i := 0; i < len(items); i++ {
		item := items[i]
		if a, err := p.Parse(item); err == nil {
			out = append(out, runs.convertAddresses([]*mail.Address{a})...)
			continue
		}
		if i+1 < len(items) && !strings.ContainsAny(item, `@<>"():;`) {
			// "Müller, Jörg <j@x.example>": a directory's "Last,
			// First" written unquoted (RFC 5322 wants quotes), which
			// the comma split into a name alone and a mailbox.
			if a, err := p.Parse(items[i+1]); err == nil && a.Name != "" && !strings.Contains(items[i+1], ",") {
				l := runs.convertAddresses([]*mail.Address{a})
				l[0].Name = runs.text(item) + ", " + l[0].Name
				d.warnf("%s holds a name with an unquoted comma, read as one name: %s", headerName(field), l[0].Name)
				out = append(out, l[0])
				i++
				continue
			}
		}
		text := runs.text(item)
		d.warnf("cannot parse %s address %q", headerName(field), text)
		out = append(out, looseAddress(text))
	}
	return out
}

// wordRuns are the runs of encoded-words of an address list, decoded,
// which prepareAddresses replaced with placeholders: marker, the run's
// number, marker again. marker is a word the list's other text does not
// hold, so every placeholder net/mail hands back is one of these.
type wordRuns struct {
	d       *decoder
	marker  string
	decoded []string
	raw     []string // each run as written
}

// prepareAddresses is raw with its 8-bit bytes decoded and each run of
// encoded-words a placeholder (wordRuns).
func (d *decoder) prepareAddresses(raw string) (string, *wordRuns) {
	runs := &wordRuns{d: d}
	if !strings.Contains(raw, "=?") {
		// Most lists: no word, so no run and no marker (net/mail
		// decodes only atoms that begin with "=?").
		if s := d.raw8bit(raw); !strings.Contains(s, "=?") {
			return s, runs
		}
	}
	type piece struct {
		text string
		run  int // the run a placeholder stands for; -1 for literal text
	}
	var pieces []piece
	var literal strings.Builder
	d.wordsWith(raw, func(s string) string {
		s = d.raw8bit(s)
		pieces = append(pieces, piece{s, -1})
		literal.WriteString(s)
		return ""
	}, func(decoded, raw string) string {
		pieces = append(pieces, piece{"", len(runs.decoded)})
		runs.decoded, runs.raw = append(runs.decoded, decoded), append(runs.raw, raw)
		return ""
	})
	runs.marker = placeholderMarker(literal.String())
	var out strings.Builder
	for _, p := range pieces {
		if p.run < 0 {
			out.WriteString(p.text)
		} else {
			out.WriteString(runs.placeholder(p.run))
		}
	}
	return out.String(), runs
}

// placeholderMarker is a marker for wordRuns that text does not hold,
// even with everything but its ASCII letters and digits taken out (as
// net/mail takes out quotes, backslashes and comments). Each candidate
// begins with an "s" and holds no other, so no candidate overlaps itself:
// a marker found in a list is a placeholder's, never one that begins in
// the text beside it.
func placeholderMarker(text string) string {
	alnum := strings.Map(func(r rune) rune {
		if 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' {
			return r
		}
		return -1
	}, text)
	marker := "sesboxword"
	for strings.Contains(alnum, marker) {
		marker += "q"
	}
	return marker
}

func (r *wordRuns) placeholder(i int) string {
	return r.marker + strconv.Itoa(i) + r.marker
}

// charsetReader reads, for net/mail, a word prepareAddresses did not
// decode (one whose charset RFC 2047 does not allow, which Go's
// decoder takes): decoded once, as a run of its own.
func (r *wordRuns) charsetReader(charset string, input io.Reader) (io.Reader, error) {
	b, err := io.ReadAll(input)
	if err != nil {
		return nil, err
	}
	r.decoded, r.raw = append(r.decoded, r.d.bytesIn(charset, b)), append(r.raw, "")
	return strings.NewReader(r.placeholder(len(r.decoded) - 1)), nil
}

// restore puts back in s each run a placeholder stands for: the decoded
// text, or the run as written when written is set.
func (r *wordRuns) restore(s string, written bool) string {
	if len(r.decoded) == 0 || !strings.Contains(s, r.marker) {
		return s
	}
	var out strings.Builder
	for {
		i := strings.Index(s, r.marker)
		if i < 0 {
			break
		}
		rest := s[i+len(r.marker):]
		n := len(rest) - len(strings.TrimLeft(rest, "0123456789"))
		run, err := strconv.Atoi(rest[:n])
		if n == 0 || err != nil || run >= len(r.decoded) || !strings.HasPrefix(rest[n:], r.marker) {
			// Not a placeholder (placeholderMarker rules this out).
			out.WriteString(s[:i+len(r.marker)])
			s = rest
			continue
		}
		out.WriteString(s[:i])
		if written && r.raw[run] != "" {
			out.WriteString(r.raw[run])
		} else {
			out.WriteString(r.decoded[run])
		}
		s = rest[n+len(r.marker):]
	}
	out.WriteString(s)
	return out.String()
}

// text is s (a piece of the prepared list) with its runs decoded.
func (r *wordRuns) text(s string) string { return r.restore(s, false) }

// convertAddresses turns net/mail's addresses into ours, each run in a
// display name decoded and one in an address as written (net/mail does
// not decode those either).
func (r *wordRuns) convertAddresses(list []*mail.Address) []mailstore.Address {
	out := make([]mailstore.Address, 0, len(list))
	for _, a := range list {
		out = append(out, mailstore.Address{Name: r.restore(a.Name, false), Address: r.restore(a.Address, true)})
	}
	return out
}

// headerName gives a lower-case field key its usual spelling for warnings.
func headerName(key string) string {
	switch key {
	case "reply-to":
		return "Reply-To"
	case "cc":
		return "Cc"
	default:
		return strings.ToUpper(key[:1]) + key[1:]
	}
}

// splitAddressList splits on commas outside quotes, comments and angle
// brackets, dropping empty items.
func splitAddressList(s string) []string {
	n := 0
	for range addressItems(s) {
		n++
	}
	out := make([]string, 0, n)
	for _, item := range addressItems(s) {
		out = append(out, item)
	}
	return out
}

// addressItems yields the items of splitAddressList with the offset
// each ends at.
func addressItems(s string) iter.Seq2[int, string] {
	// Bytes not in addressSpecial change no state: a run of them is
	// passed over in a tight loop. listPrefix counts the items of a whole
	// field, and tested each byte of the bench's 77 KB To lists against
	// every case of the switch (1.7% of a cold index's instructions).
	return func(yield func(int, string) bool) {
		depthParen, inAngle, inQuote := 0, false, false
		start := 0
		for i := 0; i < len(s); i++ {
			for i < len(s) && !addressSpecial[s[i]] {
				i++
			}
			if i == len(s) {
				break
			}
			switch c := s[i]; {
			case inQuote && c == '\\':
				i++
			case c == '"' && depthParen == 0:
				inQuote = !inQuote
			case inQuote:
			case c == '(':
				depthParen++
			case c == ')' && depthParen > 0:
				depthParen--
			case c == '<':
				inAngle = true
			case c == '>':
				inAngle = false
			case c == ',' && depthParen == 0 && !inAngle:
				if item := strings.TrimSpace(s[start:i]); item != "" && !yield(i, item) {
					return
				}
				start = i + 1
			}
		}
		if item := strings.TrimSpace(s[start:]); item != "" {
			yield(len(s), item)
		}
	}
}

// addressSpecial marks the bytes addressItems acts on.
var addressSpecial = [256]bool{'\\': true, '"': true, '(': true, ')': true, '<': true, '>': true, ',': true}

var angleAddr = lazyregexp.New(`<([^<>\s]+@[^<>\s]+)>`)

// looseAddress keeps an unparsable item as its text. When it holds exactly
// one <addr@domain> that part becomes the address, so a reply still has
// somewhere to go, and the rest is the name.
func looseAddress(s string) mailstore.Address {
	m := angleAddr().FindAllStringSubmatchIndex(s, -1)
	if len(m) != 1 {
		return mailstore.Address{Name: s}
	}
	name := strings.TrimSpace(s[:m[0][0]] + s[m[0][1]:])
	name = strings.TrimSpace(strings.Trim(name, `"`))
	return mailstore.Address{Name: name, Address: s[m[0][2]:m[0][3]]}
}

// msgIDs returns the message ids in a Message-ID, In-Reply-To or References
// value without their angle brackets. Comments between the ids (RFC 5322
// CFWS) and quoted strings (the obsolete phrases of In-Reply-To and
// References) are skipped: "(was <a@b>) <c@d>" is the id c@d, never a@b. A
// value without brackets (some mailers omit them) is split on white space
// instead, its comments left out.
func msgIDs(raw string) []string {
	var out []string
	depth := 0
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case depth > 0:
			switch c {
			case '\\':
				i++
			case '(':
				depth++
			case ')':
				depth--
			}
		case c == '(':
			depth = 1
		case c == '"':
			for i++; i < len(raw) && raw[i] != '"'; i++ {
				if raw[i] == '\\' {
					i++
				}
			}
		case c == '<':
			j := strings.IndexByte(raw[i:], '>')
			if j < 0 {
				i = len(raw)
				break
			}
			if id := strings.TrimSpace(raw[i+1 : i+j]); id != "" {
				out = append(out, id)
			}
			i += j
		}
	}
	if len(out) == 0 && !strings.ContainsAny(raw, "<>") {
		out = strings.Fields(stripComments(raw))
	}
	return out
}

func firstWordUpper(s string) string {
	f := strings.Fields(stripComments(s))
	if len(f) == 0 {
		return ""
	}
	return strings.ToUpper(strings.TrimRight(f[0], ";"))
}

// parseAuthResults parses an RFC 8601 Authentication-Results value into its
// authserv-id and the first result of each method ("spf" -> "PASS").
func parseAuthResults(raw string) (id string, results map[string]string) {
	id, items := authResultItems(raw)
	results = map[string]string{}
	for _, f := range items {
		method, result, ok := strings.Cut(f[0], "=")
		if !ok {
			continue
		}
		method = strings.ToLower(method)
		// "dkim/1=pass": a method may carry a version.
		method, _, _ = strings.Cut(method, "/")
		if _, done := results[method]; !done && result != "" {
			results[method] = strings.ToUpper(result)
		}
	}
	return id, results
}

// authServID is the authserv-id of an RFC 8601 Authentication-Results
// value, as parseAuthResults reads it, without reading its results.
func authServID(raw string) string {
	id := stripComments(raw)
	if i := strings.IndexByte(id, ';'); i >= 0 {
		id = id[:i]
	}
	id = strings.TrimLeftFunc(id, unicode.IsSpace)
	if i := strings.IndexFunc(id, unicode.IsSpace); i >= 0 {
		id = id[:i]
	}
	return id
}

// authResultItems splits an RFC 8601 Authentication-Results value, its
// comments removed, into its authserv-id and its results, each the words
// of one ("dkim=pass", "header.i=@example.com", ...); empty ones left out.
func authResultItems(raw string) (id string, items [][]string) {
	parts := strings.Split(stripComments(raw), ";")
	if f := strings.Fields(parts[0]); len(f) > 0 {
		id = f[0]
	}
	for _, p := range parts[1:] {
		if f := strings.Fields(p); len(f) > 0 {
			items = append(items, f)
		}
	}
	return id, items
}

// stripComments removes RFC 5322 comments "(...)", nested or not, leaving
// quoted strings alone.
func stripComments(s string) string {
	if !strings.Contains(s, "(") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	depth, inQuote := 0, false
	run := 0 // where the text outside comments being copied began
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && (inQuote || depth > 0):
			i++
		case c == '"' && depth == 0:
			inQuote = !inQuote
		case c == '(' && !inQuote:
			if depth == 0 {
				b.WriteString(s[run:i])
			}
			depth++
			b.WriteByte(' ')
		case c == ')' && depth > 0:
			if depth--; depth == 0 {
				run = i + 1
			}
		}
	}
	if depth == 0 {
		b.WriteString(s[run:])
	}
	return b.String()
}
