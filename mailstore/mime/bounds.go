package mime

import (
	"bytes"
	"fmt"
	"maps"
	stdmime "mime"
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/jhillyerd/enmime/v2/mediatype"
)

// Parsing is bounded in time, not only in memory.
//
// enmime v2.3.0 reads a multipart through a chain of boundary readers, one
// per open level. When many levels end at once (their boundaries never
// closed, or all closed by an outer one), every reader asks the one above
// it again for each byte it tries to read, and the cost roughly doubles per
// level: a 1 KB message nesting 20 levels takes seconds, 24 levels a
// minute (docs/reliability.md has the figures and the reproducer). So
// before enmime sees untrusted bytes, boundMIME walks the message once,
// following enmime's own rules for where a part starts and ends, and
//   - flattens every multipart nested deeper than maxMIMEDepth: its
//     Content-Type becomes application/octet-stream, so enmime reads it as
//     one opaque part (the bytes are all still there, in that part);
//   - refuses a message with more than maxMIMEParts parts, or whose
//     levels end together so often that enmime's cost (maxMIMECost) would
//     still be too high: the View then shows the body as source text;
//   - drops the stray bytes of a base64 body that holds more than
//     maxBase64Junk of them (see there).
//
// Why this holds: enmime only nests into a part whose header has a
// Content-Type with a boundary, so a message with at most maxMIMEDepth such
// fields (practically all mail) cannot nest deeper, whatever the scan
// thinks. Past that, the scan follows enmime's reading of delimiter lines
// (below); where it could still differ on some contrived input, the
// deadline in Parse stops the wait.
const (
	// maxMIMEDepth is the deepest multipart nesting enmime is given. Real
	// mail nests 2 to 5 levels (mixed > related > alternative, signed
	// around that); enmime needs about 3 ms for 12 unclosed levels.
	maxMIMEDepth = 12
	// maxMIMEParts bounds the parts in one message: enough for any real
	// message (a mailing-list digest holds tens to a few hundred messages,
	// one part each: the messages inside are parsed on their own, each
	// under this bound), few enough that enmime's per-part work stays
	// small. Measured (2026-12-07, a loaded 2-core machine, without the race
	// detector): a digest of 1,000 messages parses in 0.12 s and
	// allocates 40 MB, each message shown; 10,000 took 1.5 s and 408 MB,
	// 50,000 23 s and 2 GB (enmime appends each part by walking its
	// siblings, and keeps some 20 KB a part), which a 10 MB message holds.
	maxMIMEParts = 1000
	// maxMIMECost bounds the work enmime does when levels end together. A
	// boundary that ends n open levels inside the one it belongs to (an
	// outer delimiter, or the end of the data) costs enmime about 2^n
	// reads of every reader in the chain; sound mail closes each level
	// itself (n = 0). One unit measured 2 to 9 µs, so 2^13 units stay
	// under about 0.1 s: two collapsing 12-level chains pass (the 40-deep
	// shape, flattened, is one), many do not.
	maxMIMECost = 1 << 13
)

// maxBase64Junk bounds the bytes enmime's base64 cleaner reports one by
// one in a part. enmime v2.3.0 skips each byte outside the base64
// alphabet, but keeps an error value for each and then a warning: about
// 500 bytes allocated and 3 µs per stray byte, so a 1 MB body of "!@#$"
// took 3 s and 500 MB, and the 40 MB SES accepts would hold gigabytes
// live. Past this many, the scan drops them itself (the decoded bytes are
// the same: these are exactly the bytes the cleaner skips) and says so
// once. Below it, enmime's own warnings stay as they were.
const maxBase64Junk = 64

// maxMediaParams bounds the parameters of one Content-Type or
// Content-Disposition value that are parsed. enmime v2.3.0 repairs such a
// value (mediatype.fixMangledMediaType) by appending its parameters one by
// one to a string it searches for each next one, which is quadratic in
// their number: a single field of 2,000 parameters (11 KB) took over a
// second, 4,000 three, on every parse and every attachment count. Real
// values hold a handful; a long file name split by RFC 2231 into
// continuations holds a few dozen.
const maxMediaParams = 100

// parseMediaType is enmime's mediatype.Parse on at most maxMediaParams
// parameters: the value is cut before its (maxMediaParams+1)th ';', quoted
// or not (quoting does not matter to the bound: enmime splits on no more
// separators than there are). Every parse of a media type, by enmime
// (SetCustomParseMediaType) and by the pre-scan, goes through it, so the
// two read the same parameters.
func parseMediaType(ctype string) (mtype string, params map[string]string, invalid []string, err error) {
	if len(ctype) > maxCachedMediaType {
		return parseMediaTypeOnce(ctype)
	}
	r, ok := mediaTypes.get(ctype)
	if !ok {
		r.mtype, r.params, r.invalid, r.err = parseMediaTypeOnce(ctype)
		mediaTypes.put(ctype, r)
	}
	// Copies: a caller may change what it is given.
	return r.mtype, maps.Clone(r.params), slices.Clone(r.invalid), r.err
}

// maxCachedMediaType is the longest value mediaTypes keeps.
const maxCachedMediaType = 256

// mediaTypes holds the latest media types parsed. One part's Content-Type
// is parsed six to ten times (the pre-scan, enmime's part setup, its
// multipart and attachment tests), the same few values recur from
// message to message, and enmime's parse (its repairs, then Go's) cost
// 17 allocations for "text/plain; charset=UTF-8": a fifth of the
// instructions of an attachment count.
var mediaTypes = mediaTypeCache{m: map[string]mediaTypeResult{}}

type mediaTypeResult struct {
	mtype   string
	params  map[string]string
	invalid []string
	err     error
}

// mediaTypeCache is a map of at most 1,024 results, emptied when full.
type mediaTypeCache struct {
	mu sync.Mutex
	m  map[string]mediaTypeResult
}

func (c *mediaTypeCache) get(ctype string) (mediaTypeResult, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.m[ctype]
	return r, ok
}

func (c *mediaTypeCache) put(ctype string, r mediaTypeResult) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= 1024 {
		clear(c.m)
	}
	c.m[ctype] = r
}

// parseMediaTypeOnce is parseMediaType without the cache.
func parseMediaTypeOnce(ctype string) (mtype string, params map[string]string, invalid []string, err error) {
	ctype = cutParams(ctype)
	in := ctype
	if refusedParams(in) {
		// No parser reads it as it is, and each of enmime's errors costs
		// a stack trace (a message of 500 such parts took a second).
		in, _ = readableParams(in)
	}
	mtype, params, invalid, err = parseKeepingWords(in)
	if err != nil {
		// enmime skips a part whose Content-Type does not parse ("app
		// lication/pdf", a control byte in the subtype), and its content
		// and file name were lost from sight. A value whose type has a
		// slash is a Content-Type (a disposition has none), so it is
		// read as unreadableType says, with its parameters;
		// noteUnreadableTypes warns.
		typ, rest, _ := strings.Cut(ctype, ";")
		if strings.Contains(typ, "/") {
			mtype, params, invalid, err = parseKeepingWords(unreadableType(typ) + ";" + rest)
		}
	}
	if err != nil {
		if fixed, ok := readableParams(ctype); ok {
			mtype, params, invalid, err = parseKeepingWords(fixed)
		}
	}
	if err == nil {
		fixExtendedParams(ctype, params)
	}
	if mtype == "text" {
		// "Content-Type: text" with no subtype (elm, mailtool and other
		// old mailers): text/plain, as mutt reads it and RFC 2045 (5.2)
		// has an invalid Content-Type read. It was an attachment named
		// "text", and the message had no text body.
		mtype = "text/plain"
	}
	return mtype, params, invalid, err
}

// parseKeepingWords is mediatype.Parse with the RFC 2047 words of the
// value left as written. enmime's parser decodes the words of every
// parameter, again and again until none is left, before it splits the
// value: a file name whose word decoded to a quote and a ';' ("=22=3B")
// ended the quoted string there and made a parameter of the rest, and a
// word whose text was a word was decoded twice. The caller decodes a
// name once (fileName); other parameters (charset, boundary) are not
// text to decode.
func parseKeepingWords(ctype string) (mtype string, params map[string]string, invalid []string, err error) {
	if !strings.Contains(ctype, "=?") {
		return mediatype.Parse(ctype)
	}
	// A marker no text holds: each candidate begins with an "s" and has
	// no other "s" a suffix begins with, so none overlaps itself.
	marker := "sesboxwordstart"
	for strings.Contains(ctype, marker) {
		marker += "q"
	}
	mtype, params, invalid, err = mediatype.Parse(hideWordStarts(ctype, marker))
	unhide := func(s string) string { return strings.ReplaceAll(s, marker, "=?") }
	if params != nil {
		shown := make(map[string]string, len(params))
		for k, v := range params {
			shown[unhide(k)] = unhide(v)
		}
		params = shown
	}
	for i := range invalid {
		invalid[i] = unhide(invalid[i])
	}
	return unhide(mtype), params, invalid, err
}

// hideWordStarts is ctype with each "=?" that may begin an encoded-word
// (all but a parameter's own '=' before a '?') replaced by marker.
func hideWordStarts(ctype, marker string) string {
	var b strings.Builder
	var q quoting
	named := false // this parameter's '=' is read
	for i := 0; i < len(ctype); i++ {
		c := ctype[i]
		if q.outside(c) {
			switch {
			case c == ';':
				named = false
			case c == '=' && !named:
				named = true
				b.WriteByte(c)
				continue
			}
		}
		if c == '=' && i+1 < len(ctype) && ctype[i+1] == '?' {
			b.WriteString(marker)
			i++
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// quoteEscaper escapes what a quoted string must escape.
var quoteEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`)

// refusedParams reports a media type value with parameters Go's parser
// and enmime's refuse: a control byte or DEL outside its quoted strings,
// or a parameter name with one or with a byte outside ASCII.
func refusedParams(v string) bool {
	var q quoting
	inName := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !q.outside(c) {
			continue
		}
		switch {
		case c < ' ' && c != '\t' || c == 0x7f:
			return true
		case c == ';':
			inName = true
		case c == '=':
			inName = false
		case inName && c >= 0x80:
			return true
		}
	}
	return false
}

// readableParams is a media type value whose parameters Go's parser
// refuses, rewritten to one it reads: a parameter that does not parse on
// its own is read with its value quoted (a control byte or DEL unquoted
// made enmime drop the whole part, content and file name with it), and
// left out when that does not parse either (a name that is no token). ok
// is false when nothing was rewritten. noteUnreadableTypes warns.
func readableParams(ctype string) (fixed string, ok bool) {
	typ, _, _ := strings.Cut(ctype, ";")
	if _, _, _, err := mediatype.Parse(typ); err != nil && strings.Contains(typ, "/") {
		typ = unreadableType(typ)
	}
	// Go's own parser, not enmime's: enmime's errors carry a stack trace,
	// and probing each parameter of 500 parts with it took a second.
	parses := func(p string) bool {
		_, _, err := stdmime.ParseMediaType("a/b;" + p)
		return err == nil
	}
	var b strings.Builder
	b.WriteString(typ)
	for _, p := range splitParams(ctype) {
		name, value, _ := strings.Cut(p, "=")
		value = strings.TrimSpace(value)
		quoted := name + `="` + quoteEscaper.Replace(strings.Trim(value, `"`)) + `"`
		switch {
		case parses(p):
		case value != "" && parses(quoted):
			p, ok = quoted, true
		default:
			ok = true
			continue
		}
		b.WriteString(";" + p)
	}
	return b.String(), ok
}

// cutParams is a media type value as parseMediaType reads it: as it is
// when it has at most maxMediaParams separators (';'), else without its
// empty parameters (nothing but blanks between two separators, outside
// a quoted string: they hold nothing to lose) and cut before its
// (maxMediaParams+1)th parameter. 2 MB of ';' after "text/plain" had each
// of the dozen parses of the value (enmime's and sesbox's) walk and split
// all of them: 1.5 µs of CPU a byte, where other header shapes cost 0.05.
func cutParams(ctype string) string {
	kept, _ := cutParamsAt(ctype)
	return kept
}

// cutParamsAt is cutParams(ctype), and rest, what it drops of ctype from
// the separator before the first parameter dropped ("" when none is).
//
// A separator counts whether quoted or not (enmime splits on no more
// separators than there are, so the bound holds either way); only an
// empty parameter outside quotes is left out, so a quoted value keeps
// its bytes up to the cut.
func cutParamsAt(ctype string) (kept, rest string) {
	if strings.Count(ctype, ";") <= maxMediaParams {
		return ctype, ""
	}
	var b strings.Builder
	n := 0
	var q quoting
	start := 0 // where the piece being read starts
	for i := 0; i <= len(ctype); i++ {
		if i < len(ctype) {
			c := ctype[i]
			q.outside(c) // a ';' in a quoted string ends a piece too
			if c != ';' {
				continue
			}
		}
		piece := ctype[start:i]
		switch {
		case start == 0:
			b.WriteString(piece) // the media type
		case strings.TrimSpace(piece) == "" && !q.quoted:
		case n == maxMediaParams:
			return b.String(), ctype[start-1:]
		default:
			n++
			b.WriteString(";" + piece)
		}
		start = i + 1
	}
	return b.String(), ""
}

// cutDrops reports whether cutParams drops a parameter of ctype, and
// whether one named param (any case, with or without an RFC 2231 "*N*"
// suffix) is among those dropped. It looks at them one by one without
// keeping them (a list of a million empty names was half the CPU of
// reading a value of 2 MB of ';').
func cutDrops(ctype, param string) (cut, dropped bool) {
	_, rest := cutParamsAt(ctype)
	if rest == "" {
		return false, false
	}
	rest = rest[1:]
	for more := true; more && !dropped; {
		var p string
		p, rest, more = strings.Cut(rest, ";")
		name, _, _ := strings.Cut(p, "=")
		name, _, _ = strings.Cut(strings.TrimSpace(name), "*")
		dropped = strings.EqualFold(name, param)
	}
	return true, dropped
}

// unreadableType is the media type a part whose Content-Type typ does not
// parse is read as: text/plain when it says text (shown, sanitized, as
// any text), else application/octet-stream (listed, to save).
func unreadableType(typ string) string {
	if major, _, _ := strings.Cut(strings.TrimSpace(typ), "/"); strings.EqualFold(major, "text") {
		return "text/plain"
	}
	return "application/octet-stream"
}

// mimeBounds is the outcome of boundMIME.
type mimeBounds struct {
	// input is what enmime reads: the message, with the too-deep
	// multiparts' Content-Type fields replaced and the stray bytes of
	// very broken base64 bodies dropped.
	input []byte
	// refused is set when the message has too many parts to parse.
	refused  bool
	warnings []string
}

// boundMIME scans in (the message as enmime would read it) in one pass.
func boundMIME(in []byte) mimeBounds {
	s := &mimeScan{b: in}
	top := s.header(0)
	out := mimeBounds{input: in}
	if b, ok := s.inferredBoundary(top); ok {
		s = &mimeScan{b: s.withBoundary(top, b)}
		top = s.header(0)
		out.input = s.b
		out.warnings = append(out.warnings, fmt.Sprintf("multipart with no boundary parameter: its parts were read at the delimiter lines its body holds (--%s)", b))
	}
	if rewritten, changed := rfcDelimiters(s.b); changed {
		s = &mimeScan{b: rewritten}
		top = s.header(0)
		out.input = s.b
	}
	if !isTopContainer(top.ctype) {
		s.openLeaf(top)
	} else {
		s.push(top.ctype)
		s.body(top.end)
		// The end of the data ends every level still open.
		s.addCost(len(s.stack))
	}
	s.closeLeaf(len(s.b))
	switch {
	case s.parts > maxMIMEParts:
		out.refused = true
		out.warnings = append(out.warnings, fmt.Sprintf("more than %d MIME parts (a guard against messages made to exhaust the parser): not read as MIME; the body is shown as its source, which sesbox show --raw writes whole for a mail client to read", maxMIMEParts))
		return out
	case s.cost > maxMIMECost:
		out.refused = true
		out.warnings = append(out.warnings, "MIME structure too costly to read (many multiparts left unclosed): not read as MIME; the body is shown as its source")
		return out
	}
	if len(s.edits) > 0 {
		out.input = s.rewrite()
	}
	if s.deep > 0 {
		out.warnings = append(out.warnings, fmt.Sprintf("MIME parts nested deeper than %d levels: %d multipart(s) flattened into opaque parts", maxMIMEDepth, s.deep))
	}
	if s.junk > 0 {
		// Spelt as enmime spells its own warning for the same thing, so
		// that it is a note (IsNote) like the ones it replaces.
		out.warnings = append(out.warnings, fmt.Sprintf("[W] Malformed Base64: %d bytes that are not base64 skipped", s.junk))
	}
	return out
}

// inferredBoundary is the boundary of a top-level multipart whose
// Content-Type names none, taken from its body: the first line that
// starts with "--", when another delimiter of the same boundary follows.
// enmime reads such a multipart as one opaque part, which no View shows:
// the body and every attachment were lost from sight.
func (s *mimeScan) inferredBoundary(top partHeader) (string, bool) {
	mtype, params, _, err := parseMediaType(top.ctype)
	if err != nil || !strings.HasPrefix(mtype, "multipart/") || params["boundary"] != "" || len(top.fields) == 0 {
		return "", false
	}
	for i := top.end; i < len(s.b); {
		line, next := s.line(i)
		if !bytes.HasPrefix(line, []byte("--")) {
			i = next
			continue
		}
		b := string(bytes.TrimRight(line[2:], " \t\r\n"))
		// RFC 2046's limits, and what a quoted parameter can hold.
		if b == "" || len(b) > 70 || strings.HasSuffix(b, "--") || strings.ContainsAny(b, "\"\\\r") {
			return "", false
		}
		return b, bytes.Contains(s.b[next:], []byte("\n--"+b))
	}
	return "", false
}

// withBoundary is the data with the first Content-Type field of the top
// header given the boundary b.
func (s *mimeScan) withBoundary(top partHeader, b string) []byte {
	f := top.fields[0]
	eol := "\n"
	if bytes.HasSuffix(s.b[f.start:f.end], []byte("\r\n")) {
		eol = "\r\n"
	}
	out := make([]byte, 0, len(s.b)+len(b)+32)
	out = append(out, s.b[:f.start]...)
	out = append(out, "Content-Type: "+top.ctype+"; boundary=\""+b+"\""+eol...)
	return append(out, s.b[f.end:]...)
}

// mimeLevel is one open multipart.
type mimeLevel struct {
	prefix, final []byte // "--boundary" and "--boundary--"
	parts         int    // parts begun so far
	// nextMode is set while enmime's boundaryReader.Next, not Read, looks
	// at this level's lines: in the preamble, and after Read stopped at a
	// line Next then skips (one holding a lone CR).
	nextMode bool
}

type mimeScan struct {
	b     []byte
	stack []mimeLevel
	parts int
	cost  int // see maxMIMECost
	deep  int
	edits []span // in order: too-deep Content-Type fields, junky base64 bodies
	// leaf is where the body of the leaf part being read starts, when its
	// header declared base64 (leaf.base64).
	leaf span
	junk int // stray base64 bytes dropped
}

// span is a range of the input; base64 marks a body to drop stray bytes
// from, otherwise it is a field to replace.
type span struct {
	start, end int
	base64     bool
}

// partHeader is what the scan needs of a header block.
type partHeader struct {
	ctype string // the first Content-Type field's value, unfolded
	// fields are the byte ranges of every field enmime might take for
	// Content-Type, continuation lines included.
	fields []span
	cte    string // the first Content-Transfer-Encoding field's value
	end    int    // index of the first byte after the header
}

func (s *mimeScan) push(ctype string) {
	_, params, _, _ := parseMediaType(ctype)
	p := []byte("--" + params["boundary"])
	s.stack = append(s.stack, mimeLevel{prefix: p, final: append(p[:len(p):len(p)], '-', '-'), nextMode: true})
}

// isTopContainer is enmime's test for a multipart message.
func isTopContainer(ctype string) bool { return topBoundary(ctype) != "" }

// topBoundary is the boundary of a message whose Content-Type is ctype
// when enmime reads it as a multipart, else "".
func topBoundary(ctype string) string {
	mtype, params, _, err := parseMediaType(ctype)
	if err != nil || !strings.HasPrefix(mtype, "multipart/") {
		return ""
	}
	return params["boundary"]
}

// isPartContainer is enmime's test for a part it descends into: any part
// with a boundary parameter, except text/plain and text/html.
func isPartContainer(ctype string) bool { return partBoundary(ctype) != "" }

// partBoundary is the boundary of a part whose Content-Type is ctype when
// enmime descends into it (isPartContainer), else "".
func partBoundary(ctype string) string {
	if ctype == "" {
		return ""
	}
	mtype, params, _, err := parseMediaType(ctype)
	if err != nil || mtype == "text/plain" || mtype == "text/html" {
		return ""
	}
	return params["boundary"]
}

// line returns the line at i (with its LF, if any) and the next index.
func (s *mimeScan) line(i int) ([]byte, int) {
	j := bytes.IndexByte(s.b[i:], '\n')
	if j < 0 {
		return s.b[i:], len(s.b)
	}
	return s.b[i : i+j+1], i + j + 1
}

func isBlankLine(line []byte) bool {
	return len(line) == 0 || line[0] == '\r' || line[0] == '\n'
}

// body follows the open levels from i to the end of the data.
func (s *mimeScan) body(i int) {
	for i < len(s.b) && len(s.stack) > 0 {
		line, next := s.line(i)
		atEOF := !bytes.HasSuffix(line, []byte("\n"))
		if k, at, ok := s.readStop(i, line); ok {
			s.closeLeaf(at)
			s.addCost(len(s.stack) - (k + 1))
			s.stack = s.stack[:k+1]
			if at > i {
				// Read stopped at a CR inside the line; Next takes the rest
				// of the line for a blank one and goes on line by line.
				s.stack[k].nextMode = true
				i = next
				continue
			}
			i = s.boundary(k, line, next, atEOF)
			continue
		}
		top := len(s.stack) - 1
		if lv := &s.stack[top]; lv.nextMode && !isBlankLine(line) {
			switch {
			case bytes.Contains(line, lv.final) || (!atEOF && delimiterAt(line, lv.prefix)):
				i = s.boundary(top, line, next, atEOF)
				continue
			case lv.parts > 0:
				// Next wanted a boundary and found none: enmime gives up on
				// this multipart; its parent reads on to its own boundary.
				s.stack = s.stack[:top]
			}
		}
		i = next
	}
}

// addCost counts a boundary that ends n levels besides its own.
func (s *mimeScan) addCost(n int) {
	if n > 0 {
		s.cost += 1 << min(n, 30)
	}
}

// boundary handles a line that level k's Next classifies, and returns
// where the scan goes on.
func (s *mimeScan) boundary(k int, line []byte, next int, atEOF bool) int {
	lv := &s.stack[k]
	if bytes.Contains(line, lv.final) || atEOF {
		// The rest, up to an outer boundary, is this level's epilogue.
		s.stack = s.stack[:k]
		return next
	}
	lv.nextMode = false
	lv.parts++
	s.parts++
	if s.parts > maxMIMEParts {
		return len(s.b)
	}
	h := s.header(next)
	switch {
	case !isPartContainer(h.ctype):
		s.openLeaf(h)
	case len(s.stack) >= maxMIMEDepth:
		s.edits = append(s.edits, h.fields...)
		s.deep++
	default:
		s.push(h.ctype)
	}
	return h.end
}

// openLeaf starts the body of a leaf part with header h.
func (s *mimeScan) openLeaf(h partHeader) {
	s.leaf = span{start: h.end, base64: strings.EqualFold(h.cte, "base64")}
}

// closeLeaf ends the leaf body being read at end: when it is base64 with
// more than maxBase64Junk stray bytes, they are to be dropped. Only the
// cleaner's stray bytes go, and '-' is one of them, so no delimiter line
// can appear or vanish where the scan saw none.
func (s *mimeScan) closeLeaf(end int) {
	leaf := s.leaf
	s.leaf = span{}
	if !leaf.base64 || end <= leaf.start {
		return
	}
	n := 0
	for _, c := range s.b[leaf.start:end] {
		if isBase64Junk(c) {
			n++
		}
	}
	if n > maxBase64Junk {
		s.edits = append(s.edits, span{start: leaf.start, end: end, base64: true})
		s.junk += n
	}
}

// isBase64Junk reports a byte enmime's base64 cleaner skips with an error:
// ASCII outside the alphabet, '=' and blanks. It looks at the low seven
// bits only, so bytes from 0x80 pass it (and fail in the decoder); they
// are left to enmime as they are.
func isBase64Junk(c byte) bool {
	switch {
	case c >= 0x80, 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		return false
	}
	return !strings.ContainsRune("+/= \t\r\n", rune(c))
}

// readStop finds where enmime's chain of boundaryReader.Read calls stops
// in the line at i, and for which level (the outermost one that sees its
// boundary: the readers are chained from the outside in). Read looks at
// each line start, and after every CR, through a window of len(prefix)+2
// bytes: the terminator at its start, or the first occurrence of the
// prefix followed by white space. After a CR it assumes a CRLF and looks
// two bytes on. The innermost level, while in nextMode, does not Read.
func (s *mimeScan) readStop(i int, line []byte) (k, at int, ok bool) {
	levels := s.stack
	if n := len(levels); n > 0 && levels[n-1].nextMode {
		levels = levels[:n-1]
	}
	if len(levels) == 0 {
		return 0, 0, false
	}
	check := func(w int) int {
		for k, lv := range levels {
			end := w + len(lv.prefix) + 2
			if end > len(s.b) {
				continue // near the end Read does not look
			}
			win := s.b[w:end]
			if bytes.HasPrefix(win, lv.final) || delimiterAt(win, lv.prefix) {
				return k
			}
		}
		return -1
	}
	if len(line) > 0 && line[0] != '\r' {
		if k := check(i); k >= 0 {
			return k, i, true
		}
	}
	for p := 0; p < len(line); p++ {
		if line[p] != '\r' || (p+1 < len(line) && line[p+1] == '\n') {
			continue // a CRLF: the next line start is looked at anyway
		}
		if k := check(i + p + 2); k >= 0 {
			return k, i + p, true
		}
	}
	return 0, 0, false
}

// delimiterAt is enmime's isDelimiter: the first occurrence of prefix in
// b is followed by white space.
func delimiterAt(b, prefix []byte) bool {
	j := bytes.Index(b, prefix)
	if j < 0 || j+len(prefix) >= len(b) {
		return false
	}
	return unicode.IsSpace(rune(b[j+len(prefix)]))
}

// header reads a header block at i the way enmime's ReadHeader does: it
// ends at an empty line, at the end of the data, or (inside a multipart)
// where an open level's Read stops. Lines starting with white space, and
// lines without a colon, continue the previous field.
func (s *mimeScan) header(i int) partHeader {
	var h partHeader
	cur := -1 // index into h.fields of the Content-Type being read, or -1
	var value strings.Builder
	cte := false // the first Content-Transfer-Encoding is being read
	for i < len(s.b) {
		line, next := s.line(i)
		cut := false
		if _, at, ok := s.readStop(i, line); ok {
			if at == i {
				break
			}
			line, next, cut = line[:at-i], i, true
		}
		text := trimLineEnd(line)
		if len(text) == 0 {
			if !cut {
				i = next
			}
			break
		}
		colon := bytes.IndexByte(text, ':')
		switch {
		case text[0] == ' ' || text[0] == '\t' || text[0] == '\r' || colon < 0:
			if cte {
				h.cte += string(bytes.TrimSpace(text))
			}
			if cur >= 0 {
				h.fields[cur].end = max(h.fields[cur].end, next)
				if cur == 0 {
					value.WriteByte(' ')
					value.Write(bytes.TrimSpace(text))
				}
			}
		case colon == 0:
			// enmime skips the line; the field before goes on.
		default:
			cur, cte = -1, false
			name := strings.TrimRight(string(text[:colon]), " \t")
			if h.cte == "" && strings.EqualFold(name, "content-transfer-encoding") {
				h.cte, cte = string(bytes.TrimSpace(text[colon+1:])), true
			}
			if strings.EqualFold(name, "content-type") {
				h.fields = append(h.fields, span{start: i, end: max(next, i+len(line))})
				cur = len(h.fields) - 1
				if cur == 0 {
					value.Write(bytes.TrimSpace(text[colon+1:]))
				}
			}
		}
		i = next
		if cut {
			break
		}
	}
	h.ctype = strings.TrimSpace(value.String())
	h.end = i
	return h
}

// rewrite returns a copy of the input with every field in s.edits
// replaced by a Content-Type enmime reads as one opaque part, and the stray
// bytes of every base64 body in it dropped.
func (s *mimeScan) rewrite() []byte {
	out := make([]byte, 0, len(s.b))
	at := 0
	for _, f := range s.edits {
		if f.start < at {
			continue
		}
		if f.base64 {
			out = append(out, s.b[at:f.start]...)
			for _, c := range s.b[f.start:f.end] {
				if !isBase64Junk(c) {
					out = append(out, c)
				}
			}
			at = f.end
			continue
		}
		eol := ""
		if s.b[f.end-1] == '\n' {
			eol = "\n"
			if f.end >= 2 && s.b[f.end-2] == '\r' {
				eol = "\r\n"
			}
		}
		out = append(out, s.b[at:f.start]...)
		out = append(out, "Content-Type: application/octet-stream"+eol...)
		at = f.end
	}
	return append(out, s.b[at:]...)
}

// trimLineEnd is bytes.TrimRight(b, "\r\n"), which builds its set of
// bytes anew at every call: mimeScan.header trims every line of every
// header it reads with it, 0.9% of a cold index's instructions.
func trimLineEnd(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}
