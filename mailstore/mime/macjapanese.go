package mime

import (
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/transform"
)

// macJapanese is the Mac OS Japanese charset (x-mac-japanese, which old
// Apple Mail and Outlook for Mac wrote): Shift_JIS as Windows writes it
// (x/text's ShiftJIS, Python's cp932), and five single bytes Shift_JIS
// leaves out, which Apple's table (VENDORS/APPLE/JAPANESE.TXT) maps: 0x80
// a backslash, 0xA0 a no-break space, 0xFD (C), 0xFE TM and 0xFF an
// ellipsis. (Apple's own two-byte extensions, rows 0x85-0x88 and
// 0xEB-0xED, are read as cp932's.)
var macJapanese encoding.Encoding = macJapaneseEncoding{}

type macJapaneseEncoding struct{}

func (macJapaneseEncoding) String() string { return "x-mac-japanese" }

// NewDecoder reads x-mac-japanese as UTF-8.
func (macJapaneseEncoding) NewDecoder() *encoding.Decoder {
	return &encoding.Decoder{Transformer: &macJapaneseDecoder{sjis: japanese.ShiftJIS.NewDecoder()}}
}

// NewEncoder is never used: sesbox reads this charset, never writes it.
func (macJapaneseEncoding) NewEncoder() *encoding.Encoder {
	return encoding.Replacement.NewEncoder()
}

// macJapaneseSingle are the single bytes Apple adds to Shift_JIS.
var macJapaneseSingle = map[byte]string{0x80: `\`, 0xA0: "\u00A0", 0xFD: "\u00A9", 0xFE: "\u2122", 0xFF: "\u2026"}

// isSJISLead reports a Shift_JIS lead byte, the first of two.
func isSJISLead(c byte) bool { return 0x81 <= c && c <= 0x9F || 0xE0 <= c && c <= 0xFC }

type macJapaneseDecoder struct{ sjis transform.Transformer }

func (d *macJapaneseDecoder) Reset() { d.sjis.Reset() }

// Transform hands each run of src without Apple's single bytes to the
// Shift_JIS decoder, and writes those bytes itself. A run ends only on a
// character's boundary (after a lead byte comes its trail, whatever it
// is), so the Shift_JIS decoder sees the run's end as its end of input.
func (d *macJapaneseDecoder) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	start := 0
	for i := 0; i < len(src); {
		if isSJISLead(src[i]) {
			i += 2
			continue
		}
		single, ok := macJapaneseSingle[src[i]]
		if !ok {
			i++
			continue
		}
		n, m, err := d.sjis.Transform(dst[nDst:], src[start:i], true)
		nDst, nSrc = nDst+n, nSrc+m
		if err != nil {
			return nDst, nSrc, err
		}
		if nDst+len(single) > len(dst) {
			return nDst, nSrc, transform.ErrShortDst
		}
		nDst += copy(dst[nDst:], single)
		nSrc++
		i++
		start = i
	}
	n, m, err := d.sjis.Transform(dst[nDst:], src[start:], atEOF)
	return nDst + n, nSrc + m, err
}
