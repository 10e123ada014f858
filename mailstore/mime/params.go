package mime

import (
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jhillyerd/enmime/v2"
	"golang.org/x/text/encoding/charmap"
)

// Go's mime.ParseMediaType, which enmime's mediatype.Parse ends in, reads
// an RFC 2231 extended parameter (filename*=charset'lang'%XX...) only in
// UTF-8 or US-ASCII: in any other charset, or with one malformed
// %-escape, it drops the parameter, and a continuation whose first
// segment it dropped comes out as the raw bytes of the others. Mailers in
// Japan, Russia and elsewhere name attachments in their own charset
// (filename*=shift_jis''..., ISO-2022-JP, KOI8-R), so such an attachment
// lost its name. extendedParams reads those parameters again, in the
// charset they name.

// extendedSegment is one piece of an RFC 2231 parameter as written.
type extendedSegment struct {
	index    int  // continuation number; 0 for a parameter without one
	extended bool // "name*=..." or "name*N*=...": %-encoded, charset'lang' first
	value    string
}

// fixExtendedParams sets in params every RFC 2231 extended parameter of
// the media type value ctype, decoded in its own charset, and every
// parameter given only as continuations from the second on
// (filename*1=b; filename*2=c), which Go's parser, starting at *0, drops:
// the pieces there are, in order. Other parameters are left as they are.
func fixExtendedParams(ctype string, params map[string]string) {
	if params == nil || !strings.Contains(ctype, "*") {
		return
	}
	segments, hasExtended := paramSegments(ctype)
	for key, segs := range segments {
		base := strings.TrimSuffix(key, "*")
		if headless(segs) {
			_, whole := segments[base+"*"]
			if _, set := params[base]; set || whole {
				continue // a form Go or the loop reads wins
			}
		} else if !hasExtended[key] {
			continue // plain continuations: Go reads them
		}
		if key != base {
			if _, split := segments[base]; split && hasExtended[base] {
				continue // both forms: the continuations, as Go prefers
			}
		}
		// The warnings are said again where the part's name is read
		// (fileName): this parse is cached and shared by every message.
		if v, ok := decodeExtended(segs, &decoder{}); ok {
			params[base] = v
		}
	}
}

// paramSegments lists the RFC 2231 pieces of the media type value ctype
// by parameter ("name*=..." under "name*", "name*N=..." and "name*N*=..."
// under "name"), and which parameters have an extended piece.
func paramSegments(ctype string) (segments map[string][]extendedSegment, hasExtended map[string]bool) {
	segments, hasExtended = map[string][]extendedSegment{}, map[string]bool{}
	for _, p := range splitParams(ctype) {
		name, value, ok := strings.Cut(p, "=")
		if !ok {
			continue
		}
		name = strings.ToLower(strings.TrimSpace(name))
		value = strings.TrimSpace(value)
		if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
			value = unquote(value[1 : len(value)-1])
		}
		base, rest, ok := strings.Cut(name, "*")
		if !ok || base == "" {
			continue
		}
		seg := extendedSegment{value: value}
		switch {
		case rest == "":
			seg.extended = true
		default:
			num, star := strings.CutSuffix(rest, "*")
			n, err := strconv.Atoi(num)
			if err != nil || n < 0 || num != strconv.Itoa(n) {
				continue
			}
			seg.index, seg.extended = n, star
		}
		if rest == "" {
			// A single extended value stands for the whole parameter.
			segments[base+"*"] = []extendedSegment{seg}
			hasExtended[base+"*"] = true
			continue
		}
		segments[base] = append(segments[base], seg)
		hasExtended[base] = hasExtended[base] || seg.extended
	}
	return segments, hasExtended
}

// headless reports continuations without the first (no *0).
func headless(segs []extendedSegment) bool {
	return !slices.ContainsFunc(segs, func(s extendedSegment) bool { return s.index == 0 })
}

// noteHeadlessParams warns of a part (number index) whose file name is
// given only as continuations from the second on: fixExtendedParams
// joined the pieces there are, which may not be the whole name.
func noteHeadlessParams(p *enmime.Part, index int, d *decoder) {
	for _, f := range [...]struct{ field, param string }{{"Content-Disposition", "filename"}, {"Content-Type", "name"}} {
		v := p.Header.Get(f.field)
		if !strings.Contains(v, "*") {
			continue
		}
		if segs, _ := paramSegments(v); len(segs[f.param]) > 0 && headless(segs[f.param]) {
			d.warnf("part %d: its %s gives %s without its first piece (no RFC 2231 %s*0), so the name may be incomplete", index, f.field, f.param, f.param)
		}
	}
}

// noteParamCharsets warns of a file name (RFC 2231 filename*= or name*=)
// in a charset no decoder knows, in the words bytesIn uses for an
// encoded-word in one: decodeExtended reads it as bytesIn guesses, and
// said nothing of it.
func noteParamCharsets(p *enmime.Part, d *decoder) {
	for _, f := range [...]struct{ field, param string }{{"Content-Disposition", "filename"}, {"Content-Type", "name"}} {
		v := cutParams(p.Header.Get(f.field))
		if !strings.Contains(v, "'") {
			continue
		}
		segs, _ := paramSegments(v)
		for _, s := range append(segs[f.param+"*"], segs[f.param]...) {
			cs, rest, ok := strings.Cut(s.value, "'")
			if s.index == 0 && s.extended && ok && strings.Contains(rest, "'") && cs != "" && lookupCharset(cs) == nil {
				d.warnf("unknown charset %q", cs)
			}
		}
	}
}

// decodeExtended joins the segments of one parameter (from 0, up to the
// first missing number; all of them when 0 is missing) and decodes them
// in the charset the first names, what it had to guess told to d.
func decodeExtended(segs []extendedSegment, d *decoder) (string, bool) {
	sort.SliceStable(segs, func(i, j int) bool { return segs[i].index < segs[j].index })
	var b []byte
	charset := ""
	// Without the first piece, every piece there is, in order (and no
	// charset, which the first names).
	all := headless(segs)
	for i, s := range segs {
		if !all && s.index != i {
			break
		}
		v := s.value
		if s.index == 0 && s.extended {
			// charset'language'text (the language is not used). Without
			// the two quotes (filename*=%E2%82%AC.pdf, which some mail
			// libraries write) the name was lost: it is read as
			// percent-encoded text in no declared charset.
			if cs, rest, ok := strings.Cut(v, "'"); ok {
				if _, text, ok := strings.Cut(rest, "'"); ok {
					charset, v = cs, text
				}
			}
		}
		if s.extended {
			b = append(b, PercentDecode(v)...)
		} else {
			b = append(b, v...)
		}
	}
	if len(b) == 0 {
		return "", false
	}
	var s string
	if charset == "" || lookupCharset(charset) == nil {
		// No charset, or one no decoder knows: as bytesIn guesses.
		if utf8.Valid(b) {
			s = string(b)
		} else {
			s, _ = charmap.Windows1252.NewDecoder().String(string(b))
		}
	} else {
		s = d.bytesIn(charset, b)
	}
	return strings.ToValidUTF8(s, "\uFFFD"), true
}

// PercentDecode undoes %XX escapes; a '%' not followed by two hex digits
// stays as written, as a lenient reader leaves it.
func PercentDecode(s string) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			out = append(out, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		out = append(out, s[i])
	}
	return out
}

// quoting follows a media type value byte by byte: whether the byte read
// is in a quoted string, or the quote or backslash escape that opens,
// closes or escapes one. The scanners of parameters share it so that
// they agree on where a quoted string ends.
type quoting struct{ quoted, escaped bool }

// outside reads c and reports whether it stands outside every quoted
// string (and is no quote itself).
func (q *quoting) outside(c byte) bool {
	switch {
	case q.escaped:
		q.escaped = false
		return false
	case q.quoted && c == '\\':
		q.escaped = true
		return false
	case c == '"':
		q.quoted = !q.quoted
		return false
	}
	return !q.quoted
}

// splitParams splits a media type value at the ';' outside quoted
// strings, dropping the media type itself.
func splitParams(ctype string) []string {
	var out []string
	var q quoting
	start := -1 // the media type is not a parameter
	for i := 0; i < len(ctype); i++ {
		if c := ctype[i]; q.outside(c) && c == ';' {
			if start >= 0 {
				out = append(out, ctype[start:i])
			}
			start = i + 1
		}
	}
	if start >= 0 {
		out = append(out, ctype[start:])
	}
	return out
}

// unquote undoes the backslash escapes of a quoted string's content.
func unquote(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// noteCutParams warns of a part (number index) whose Content-Type or
// Content-Disposition has more parameters than parseMediaType reads, and
// marks its file name cut ("…") when a piece of it was among those
// dropped: a long name split into RFC 2231 continuations was silently
// its first pieces.
func noteCutParams(p *enmime.Part, index int, name string, d *decoder) string {
	for _, f := range [...]struct{ field, param string }{{"Content-Disposition", "filename"}, {"Content-Type", "name"}} {
		cut, dropped := cutDrops(p.Header.Get(f.field), f.param)
		if !cut {
			continue
		}
		what := "the rest were not read"
		if name != "" && !strings.HasSuffix(name, "…") && dropped {
			name += "…"
			what = "its file name is cut"
		}
		d.warnf("part %d: its %s has more than %d parameters; sesbox reads the first %d, so %s", index, f.field, maxMediaParams, maxMediaParams, what)
	}
	return name
}
