package mime

import (
	"errors"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/transform"
)

// singleByte is a charset of one byte a character, ASCII below 0x80 and
// high above, that golang.org/x/text does not have: the Mac OS charsets
// other than Roman and Cyrillic (mactables.go), which old Apple Mail and
// Outlook for Mac label x-mac-ce, x-mac-greek and so on. Without them such
// mail was read as windows-1252 with a warning ("Příliš" came out
// "PÞ’liä").
type singleByte struct {
	name string
	high [128]rune
}

var _ encoding.Encoding = (*singleByte)(nil)

func (c *singleByte) String() string { return c.name }

// NewDecoder reads c's bytes as UTF-8.
func (c *singleByte) NewDecoder() *encoding.Decoder {
	return &encoding.Decoder{Transformer: singleByteDecoder{c}}
}

// NewEncoder writes UTF-8 in c; a character c does not have is an error.
func (c *singleByte) NewEncoder() *encoding.Encoder {
	low := make(map[rune]byte, len(c.high))
	for i, r := range c.high {
		low[r] = byte(0x80 + i)
	}
	return &encoding.Encoder{Transformer: singleByteEncoder{low}}
}

type singleByteDecoder struct{ c *singleByte }

func (singleByteDecoder) Reset() {}

func (d singleByteDecoder) Transform(dst, src []byte, _ bool) (nDst, nSrc int, err error) {
	for ; nSrc < len(src); nSrc++ {
		r := rune(src[nSrc])
		if r >= 0x80 {
			r = d.c.high[r-0x80]
		}
		if nDst+utf8.RuneLen(r) > len(dst) {
			return nDst, nSrc, transform.ErrShortDst
		}
		nDst += utf8.EncodeRune(dst[nDst:], r)
	}
	return nDst, nSrc, nil
}

type singleByteEncoder struct{ low map[rune]byte }

func (singleByteEncoder) Reset() {}

var errNotInCharset = errors.New("character not in the charset")

func (e singleByteEncoder) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	for nSrc < len(src) {
		if !atEOF && !utf8.FullRune(src[nSrc:]) {
			return nDst, nSrc, transform.ErrShortSrc
		}
		r, n := utf8.DecodeRune(src[nSrc:])
		b, ok := byte(r), r < 0x80
		if !ok {
			if b, ok = e.low[r]; !ok {
				return nDst, nSrc, errNotInCharset
			}
		}
		if nDst >= len(dst) {
			return nDst, nSrc, transform.ErrShortDst
		}
		dst[nDst] = b
		nDst, nSrc = nDst+1, nSrc+n
	}
	return nDst, nSrc, nil
}
