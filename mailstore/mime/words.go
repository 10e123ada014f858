package mime

import (
	"fmt"
	"io"
	"strings"
)

// DecodeWords decodes the RFC 2047 encoded-words of a header value the way
// the parser does (leniently, never failing), for showing a raw header
// line to a person; the result still needs sanitize.Line.
func DecodeWords(value string) string {
	d := &decoder{}
	return d.words(value)
}

// KnownCharsetReader is a mime.WordDecoder CharsetReader for every charset
// the parser reads (KOI8-R, ISO-2022-JP, GB18030, UTF-7...), decoding as
// it does. Unlike the parser's, it fails on a charset it does not know,
// so that a caller writing the text again (forward's re-encoded Subject
// and display names) can keep such a word as written instead of a guess.
func KnownCharsetReader(charset string, input io.Reader) (io.Reader, error) {
	if lookupCharset(charset) == nil {
		return nil, fmt.Errorf("unknown charset %q", charset)
	}
	b, err := io.ReadAll(input)
	if err != nil {
		return nil, err
	}
	d := &decoder{}
	return strings.NewReader(d.bytesIn(charset, b)), nil
}
