package mime

import (
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/transform"
)

// iso2022KR decodes ISO-2022-KR (RFC 1557), which old Korean mailers still
// write. Neither x/text nor the WHATWG index (which maps the label to its
// "replacement" encoding: a whole part became one U+FFFD) has a decoder.
// It is KS X 1001 as in EUC-KR, 7-bit: after the designator ESC $ ) C
// (once, at the start), SO shifts to two-byte Korean and SI back to ASCII.
var iso2022KR encoding.Encoding = iso2022KREncoding{}

type iso2022KREncoding struct{}

func (iso2022KREncoding) NewDecoder() *encoding.Decoder {
	return &encoding.Decoder{Transformer: &iso2022KRDecoder{}}
}

// NewEncoder is never used: sesbox reads this charset, never writes it.
func (iso2022KREncoding) NewEncoder() *encoding.Encoder {
	return encoding.Replacement.NewEncoder()
}

type iso2022KRDecoder struct{ korean bool }

func (d *iso2022KRDecoder) Reset() { d.korean = false }

const iso2022KRDesignator = "\x1b$)C"

func (d *iso2022KRDecoder) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	euc := korean.EUCKR.NewDecoder()
	for nSrc < len(src) {
		c := src[nSrc]
		size := 1
		var out []byte
		switch {
		case c == 0x1b && len(src)-nSrc < len(iso2022KRDesignator) && !atEOF &&
			iso2022KRDesignator[:len(src)-nSrc] == string(src[nSrc:]):
			return nDst, nSrc, transform.ErrShortSrc
		case c == 0x1b && string(src[nSrc:min(len(src), nSrc+len(iso2022KRDesignator))]) == iso2022KRDesignator:
			size = len(iso2022KRDesignator)
		case c == 0x0e:
			d.korean = true
		case c == 0x0f:
			d.korean = false
		case c == '\n' || c == '\r':
			d.korean = false // SO never lasts past a line (RFC 1557)
			out = src[nSrc : nSrc+1]
		case d.korean && c > 0x20 && c < 0x7f:
			if nSrc+1 == len(src) && !atEOF {
				return nDst, nSrc, transform.ErrShortSrc
			}
			size = 2
			out = []byte("\uFFFD")
			if nSrc+1 < len(src) {
				if r, e := euc.Bytes([]byte{c | 0x80, src[nSrc+1] | 0x80}); e == nil && utf8.Valid(r) {
					out = r
				}
			} else {
				size = 1
			}
		case c >= utf8.RuneSelf:
			out = []byte("\uFFFD")
		default:
			out = src[nSrc : nSrc+1]
		}
		if len(dst)-nDst < len(out) {
			return nDst, nSrc, transform.ErrShortDst
		}
		nDst += copy(dst[nDst:], out)
		nSrc += size
	}
	return nDst, nSrc, nil
}
