package mime

// DecodeWords decodes the RFC 2047 encoded-words of a header value the way
// the parser does (leniently, never failing), for showing a raw header
// line to a person; the result still needs sanitize.Line.
func DecodeWords(value string) string {
	d := &decoder{}
	return d.words(value)
}
