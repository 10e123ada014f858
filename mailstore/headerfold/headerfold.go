// Package headerfold keeps the header lines sesbox writes within RFC 5322's
// limits: at most 998 octets (a MUST) and folded near 78 (a SHOULD), without
// changing what any reader decodes.
//
// Folding here only ever inserts a line break before white space that is
// already in the field: RFC 5322 unfolding removes exactly such a break, so
// the unfolded field is the same bytes, whatever the field's syntax (an
// address list, an unstructured Subject, a quoted string, a comment). It
// breaks only at a single space between two visible characters, so no line
// it makes is empty or blank-only, and readers that collapse the blanks
// around a fold read the same value too. A run of visible characters longer than a line is never cut:
// callers that build a value (Words) make it out of short pieces instead.
package headerfold

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Soft and Hard are RFC 5322's line lengths without the line ending: the
// one a line should keep to and the one it must.
const (
	Soft = 78
	Hard = 998
)

// Encoded is RFC 2047's limit (2) on a header line holding encoded words.
const Encoded = 76

// Fold folds the header field f (name, colon, value, with or without its
// final line ending, possibly folded already) so that each line is at most
// limit octets where a blank allows it. New breaks are written as eol. The
// field name, the colon and the blanks right after it are never broken.
// Lines already within limit are kept as they are.
func Fold(f []byte, eol string, limit int) []byte {
	if !needsFold(f, limit) {
		return f
	}
	out := make([]byte, 0, len(f)+len(f)/limit*len(eol)+8)
	first := true
	for len(f) > 0 {
		end := len(f)
		next := len(f)
		if nl := bytes.IndexByte(f, '\n'); nl >= 0 {
			next = nl + 1
			end = nl
			if end > 0 && f[end-1] == '\r' {
				end--
			}
		}
		line, term := f[:end], f[end:next]
		start := 0
		if first {
			start = valueStart(line)
			first = false
		}
		out = foldLine(out, line, start, eol, limit)
		out = append(out, term...)
		f = f[next:]
	}
	return out
}

func needsFold(f []byte, limit int) bool {
	for len(f) > 0 {
		nl := bytes.IndexByte(f, '\n')
		if nl < 0 {
			return len(f) > limit
		}
		l := nl
		if l > 0 && f[l-1] == '\r' {
			l--
		}
		if l > limit {
			return true
		}
		f = f[nl+1:]
	}
	return false
}

// valueStart is the offset after "Name:" and the blanks that follow it.
func valueStart(line []byte) int {
	c := bytes.IndexByte(line, ':')
	if c < 0 {
		return 0
	}
	i := c + 1
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	return i
}

// foldLine appends line (without its line ending) folded at blanks: each
// piece goes up to the last usable break at or before limit, or the first
// one after it when there is none earlier. A usable break is a single space
// between two visible characters, at or after min: breaking there is undone
// exactly both by RFC 5322 unfolding and by readers that, like Go's
// net/textproto, join a continuation line with one space after trimming it.
func foldLine(out, line []byte, min int, eol string, limit int) []byte {
	for len(line) > limit {
		best := -1
		for i := max(min, 1); i+1 < len(line); i++ {
			if !breakable(line, i) {
				continue
			}
			if i <= limit || best < 0 {
				best = i
			}
			if i >= limit {
				break
			}
		}
		if best < 0 {
			break
		}
		out = append(out, line[:best]...)
		out = append(out, eol...)
		line = line[best:]
		min = 1 // a continuation line starts with its blank
	}
	return append(out, line...)
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

// breakable reports whether line may be folded before line[i]: a single
// space (not a tab: a reader that joins a continuation with one space would
// turn it into a space) between two visible characters. A bare CR (the
// sender's, passed on by forward) is not one: a reader that ends lines at a
// bare CR too (Python's email, the SES forwarder Lambda) would read a fold
// after it, "x\r\r\n y", as an empty line that ends the header.
func breakable(line []byte, i int) bool {
	return i > 0 && i+1 < len(line) && line[i] == ' ' && !isBlank(line[i-1]) && !isBlank(line[i+1]) &&
		line[i-1] != '\r' && line[i+1] != '\r'
}

// LongestLine is the length of the longest line of b, line endings not
// counted.
func LongestLine(b []byte) int {
	longest := 0
	for len(b) > 0 {
		nl := bytes.IndexByte(b, '\n')
		l := len(b)
		if nl >= 0 {
			l = nl
			if l > 0 && b[l-1] == '\r' {
				l--
			}
		}
		longest = max(longest, l)
		if nl < 0 {
			break
		}
		b = b[nl+1:]
	}
	return longest
}

// LongestRun is the length of the longest run of bytes of s that are not
// blanks.
func LongestRun(s string) int {
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if isBlank(s[i]) {
			run = 0
			continue
		}
		run++
		longest = max(longest, run)
	}
	return longest
}

// maxWord is RFC 2047's limit on one encoded word.
const maxWord = 75

// Words writes UTF-8 text as RFC 2047 encoded words of at most 75 octets,
// separated by single spaces (which decoders drop between encoded words),
// each holding whole characters only: no UTF-8 sequence (nor a Q escape) is
// ever split between two words, so a decoder that decodes word by word gets
// valid text. The first word is at most Encoded-col octets (but room for at
// least one character), col being the column it starts at, so that the
// field's first line keeps to RFC 2047's 76 octets as the others do once
// Created has folded them. Q encoding keeps ASCII text readable; B suits
// mostly non-ASCII text. Invalid UTF-8 in text is written as it is, byte by
// byte, inside the words.
func Words(text string, q bool, col int) string {
	const head, tail = "=?utf-8?q?", "?="
	var words []string
	var cur []byte
	size := len(head) + len(tail)
	limit := min(maxWord, Encoded-col)
	flush := func() {
		if len(cur) == 0 {
			return
		}
		if q {
			words = append(words, head+string(cur)+tail)
		} else {
			words = append(words, "=?utf-8?b?"+base64.StdEncoding.EncodeToString(cur)+tail)
		}
		cur = cur[:0]
		size = len(head) + len(tail)
		limit = maxWord
	}
	for i := 0; i < len(text); {
		_, n := utf8.DecodeRuneInString(text[i:])
		ch := text[i : i+n]
		var enc []byte
		if q {
			enc = qEncode(ch)
		} else {
			enc = []byte(ch)
		}
		var grow int
		if q {
			grow = len(enc)
		} else {
			grow = base64.StdEncoding.EncodedLen(len(cur)+len(enc)) - base64.StdEncoding.EncodedLen(len(cur))
		}
		if size+grow > limit && len(cur) > 0 {
			flush()
			if !q {
				grow = base64.StdEncoding.EncodedLen(len(enc))
			}
		}
		cur = append(cur, enc...)
		size += grow
		i += n
	}
	flush()
	return strings.Join(words, " ")
}

// Created folds a field sesbox writes (see Fold) near 78 octets, and at 76
// when it holds encoded words: RFC 2047 2 limits such a line to 76.
func Created(f []byte, eol string) []byte {
	limit := Soft
	if bytes.Contains(f, []byte("=?")) {
		limit = Encoded
	}
	return Fold(f, eol, limit)
}

// qEncode Q-encodes the bytes of one character (RFC 2047 4.2, with the
// stricter set of 5.(3) so the word is also safe in a phrase).
func qEncode(ch string) []byte {
	var out []byte
	for i := 0; i < len(ch); i++ {
		c := ch[i]
		switch {
		case c == ' ':
			out = append(out, '_')
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9',
			c == '!', c == '*', c == '+', c == '-', c == '/':
			out = append(out, c)
		default:
			out = fmt.Appendf(out, "=%02X", c)
		}
	}
	return out
}
