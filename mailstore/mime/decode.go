package mime

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/cention-sany/utf7"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/encoding/unicode"
)

// extraCharsets are labels seen in real mail that neither the WHATWG index
// (what browsers and enmime use) nor IANA's MIME names know.
var extraCharsets = map[string]encoding.Encoding{
	"cp1250":    charmap.Windows1250,
	"cp1251":    charmap.Windows1251,
	"cp1252":    charmap.Windows1252,
	"cp1253":    charmap.Windows1253,
	"cp1254":    charmap.Windows1254,
	"cp1255":    charmap.Windows1255,
	"cp1256":    charmap.Windows1256,
	"cp1257":    charmap.Windows1257,
	"cp1258":    charmap.Windows1258,
	"cp932":     japanese.ShiftJIS,
	"cp936":     simplifiedchinese.GBK,
	"cp949":     korean.EUCKR,
	"ks_c_5601": korean.EUCKR,
	"ksc5601":   korean.EUCKR,
	"x-sjis":    japanese.ShiftJIS,
	"sjis":      japanese.ShiftJIS,
	"gb_2312":   simplifiedchinese.GBK,
	"x-euc-kr":  korean.EUCKR,
	// UTF-7 (RFC 2152), still written by old Outlook and some webmail in
	// headers; the decoder is the one enmime reads bodies with.
	"utf-7":               utf7.UTF7,
	"utf7":                utf7.UTF7,
	"unicode-1-1-utf-7":   utf7.UTF7,
	"csunicode11utf7":     utf7.UTF7,
	"x-unicode-2-0-utf-7": utf7.UTF7,
	// The Mac OS charsets x/text does not have (singleByte).
	"x-mac-ce":              macCentralEurope,
	"x-mac-centraleurroman": macCentralEurope,
	"x-mac-centraleurope":   macCentralEurope,
	"maccentraleurope":      macCentralEurope,
	"x-mac-greek":           macGreek,
	"macgreek":              macGreek,
	"x-mac-turkish":         macTurkish,
	"macturkish":            macTurkish,
	"x-mac-icelandic":       macIcelandic,
	"macicelandic":          macIcelandic,
	"x-mac-croatian":        macCroatian,
	"maccroatian":           macCroatian,
	"x-mac-romanian":        macRomanian,
	"macromanian":           macRomanian,
	"x-mac-arabic":          macArabic,
	"macarabic":             macArabic,
	"x-mac-farsi":           macFarsi,
	"macfarsi":              macFarsi,
	"x-mac-hebrew":          macHebrew,
	"machebrew":             macHebrew,
	"x-mac-japanese":        macJapanese,
	"macjapanese":           macJapanese,
	// The other Mac OS charsets Outlook for Mac names, read as the
	// Windows charset each extends (Apple adds a few single bytes).
	"x-mac-chinesetrad": traditionalchinese.Big5,
	"x-mac-chinesesimp": simplifiedchinese.GBK,
	"x-mac-korean":      korean.EUCKR,
	// Other labels real mail carries that the indexes lack: ISO-2022-JP's
	// extensions (Emacs, mutt and .NET's code pages 50220-50222 write
	// them; what they add beyond ISO-2022-JP is rare in Japanese text),
	// Java's and Microsoft's names for the East Asian code pages, and
	// MySQL's name for UTF-8, which web forms copy into their mail.
	"iso-2022-jp-1": japanese.ISO2022JP,
	"iso-2022-jp-2": japanese.ISO2022JP,
	"iso-2022-jp-3": japanese.ISO2022JP,
	"csiso2022jp2":  japanese.ISO2022JP,
	"cp50220":       japanese.ISO2022JP,
	"cp50221":       japanese.ISO2022JP,
	"cp50222":       japanese.ISO2022JP,
	"eucjp":         japanese.EUCJP,
	"x-eucjp":       japanese.EUCJP,
	"cp950":         traditionalchinese.Big5,
	"ms950":         traditionalchinese.Big5,
	"x-windows-950": traditionalchinese.Big5,
	"euc-cn":        simplifiedchinese.GBK,
	"x-euc-cn":      simplifiedchinese.GBK,
	"uhc":           korean.EUCKR,
	"x-windows-949": korean.EUCKR,
	// Thai Windows text as Python and Java label it; the WHATWG index
	// knows only windows-874 (and tis-620, its subset).
	"cp874":   charmap.Windows874,
	"ms874":   charmap.Windows874,
	"utf8mb4": encoding.Nop,
	// The rest of the labels enmime's own table decodes (a body so
	// labelled read, a Subject an unknown charset), as it decodes them;
	// its "8859-N" spellings are read in charsetByLabel.
	"cp-850":       charmap.CodePage850,
	"136":          traditionalchinese.Big5,
	"238":          charmap.Windows1250,
	"we8iso8859p1": charmap.Windows1252,
	"iso: western": charmap.Windows1252,
}

// lookupCharset finds a decoder for a charset label, or nil when no known
// encoding has that name. UTF-8 and US-ASCII return encoding.Nop. The
// GBK labels (gb2312, gbk, cp936...) get the GB18030 decoder, as in the
// WHATWG encoding standard: mailers label GB18030 text gb2312, and x/text's
// GBK decoder turns each four-byte sequence into U+FFFD and two letters.
func lookupCharset(label string) encoding.Encoding {
	if e := charsetByLabel(label); e != simplifiedchinese.GBK {
		return e
	}
	return simplifiedchinese.GB18030
}

// charsetByLabel is lookupCharset as the indexes answer.
func charsetByLabel(label string) encoding.Encoding {
	label = normalLabel(label)
	switch label {
	case "", "none", "unknown", "unknown-8bit", "x-unknown", "default", "charset":
		return nil
	case "utf-8", "utf8", "us-ascii", "ascii":
		// WHATWG maps us-ascii to windows-1252, which is right for mislabelled
		// 8-bit text but would be a needless transform for real ASCII.
		return encoding.Nop
	}
	switch label {
	case "iso-2022-kr", "csiso2022kr":
		return iso2022KR
	case "hz-gb-2312":
		return simplifiedchinese.HZGB2312
	}
	if e, err := htmlindex.Get(label); err == nil && e != nil {
		if e == encoding.Replacement {
			// The labels WHATWG replaces wholesale (ISO-2022-CN...):
			// unknown, so the caller keeps the bytes with a warning.
			return nil
		}
		return e
	}
	if e, err := ianaindex.MIME.Encoding(label); err == nil && e != nil {
		return e
	}
	if e, err := ianaindex.IANA.Encoding(label); err == nil && e != nil {
		return e
	}
	if e := extraCharsets[label]; e != nil {
		return e
	}
	// ISO 8859 spelt without its "iso-" ("8859-2", "8859_2", "iso8859_2"),
	// as enmime's own table knows it: a body so labelled was decoded, a
	// Subject in it was an unknown charset.
	for _, prefix := range [...]string{"8859-", "8859_", "iso8859_"} {
		if n, ok := strings.CutPrefix(label, prefix); ok && n != "" && strings.Trim(n, "0123456789") == "" {
			return charsetByLabel("iso-8859-" + n)
		}
	}
	return nil
}

// normalLabel is a charset label as the indexes know it.
func normalLabel(label string) string {
	label = strings.ToLower(strings.Trim(strings.TrimSpace(label), `"'`))
	// RFC 2231 allows a language after the charset: "us-ascii*en".
	label, _, _ = strings.Cut(label, "*")
	return label
}

// utf16For is the decoder of b when label names UTF-16, else nil. A BOM
// gives the byte order; without one, an explicit label does, else the
// bytes: text is mostly characters below U+0100, whose high byte is zero,
// so the zeros fall on the even bytes in big-endian, the odd ones in
// little-endian. (RFC 2781 says big-endian; the WHATWG index says
// little-endian, and Windows writes that; each alone garbles the other.)
// The BOM is not text.
func utf16For(label string, b []byte) encoding.Encoding {
	var order unicode.Endianness
	switch normalLabel(label) {
	case "utf-16le", "utf16le":
		order = unicode.LittleEndian
	case "utf-16be", "utf16be", "unicodefffe":
		order = unicode.BigEndian
	case "utf-16", "utf16", "unicode", "ucs-2", "iso-10646-ucs-2", "csunicode":
		var even, odd int
		for i, c := range b[:min(len(b), 4096)] {
			if c == 0 && i%2 == 0 {
				even++
			} else if c == 0 {
				odd++
			}
		}
		order = unicode.BigEndian
		if odd > even {
			order = unicode.LittleEndian
		}
	default:
		return nil
	}
	return unicode.UTF16(order, unicode.UseBOM)
}

// decoder turns header bytes into UTF-8 text and remembers what it had to
// guess, so the caller can report it as warnings.
type decoder struct {
	// fallback decodes raw 8-bit header bytes that are not UTF-8: the
	// charset of the message's top-level Content-Type, which is what old
	// mailers that put raw 8-bit in headers used. Nil when unknown.
	fallback encoding.Encoding
	warnings []string
	// cut says warnings were left out past maxHeaderWarnings.
	cut bool
}

// maxHeaderWarnings bounds the warnings one decoder keeps. Each value it
// cannot read gives its own (an address net/mail refuses, an unknown
// charset), and each was compared with every one before it: a To of
// 120,000 unreadable addresses (1.1 MB) took ls 25 s and show 51 s of
// CPU, and show printed 120,011 warning lines before the body.
const maxHeaderWarnings = 50

// warnf keeps a warning once, up to maxHeaderWarnings; past that it
// notes that some were left out, which list says. (It does not count
// them: the same field is read more than once, by Summarize's lists and
// the View's, and a count of what was left out would count it twice.)
func (d *decoder) warnf(format string, args ...any) {
	w := fmt.Sprintf(format, args...)
	if slices.Contains(d.warnings, w) {
		return
	}
	if len(d.warnings) == maxHeaderWarnings {
		d.cut = true
		return
	}
	d.warnings = append(d.warnings, w)
}

// moreWarnings ends a list of warnings cut at maxHeaderWarnings.
const moreWarnings = "more warnings like these are left out"

// list is the warnings kept, then one saying more were left out.
func (d *decoder) list() []string {
	if !d.cut {
		return d.warnings
	}
	return append(slices.Clip(d.warnings), moreWarnings)
}

// text decodes a raw, unfolded header value: raw 8-bit bytes to UTF-8, then
// RFC 2047 encoded-words. It never fails; what it could not decode stays as
// written or becomes U+FFFD.
func (d *decoder) text(raw string) string {
	return d.wordsWith(raw, d.raw8bit, func(decoded, _ string) string { return decoded })
}

// raw8bit converts header bytes to valid UTF-8. RFC 6532 allows UTF-8 in
// headers; anything else is a guess: first the body's charset, then
// windows-1252, as bytesIn guesses for an unknown label (and as
// Thunderbird's default does): raw 8-bit headers come mostly from old
// Western European mailers, and a guessed "Jürgen" reads better than
// "J\uFFFDrgen". The warning says it was a guess.
func (d *decoder) raw8bit(raw string) string {
	return d.raw8bitIn(d.fallback, raw)
}

// raw8bitIn is raw8bit with fallback as the first guess: a part's own
// charset, for a file name in that part's header.
func (d *decoder) raw8bitIn(fallback encoding.Encoding, raw string) string {
	if utf8.ValidString(raw) {
		return raw
	}
	if fallback != nil && fallback != encoding.Nop {
		// x/text decoders replace what is not in their charset with
		// U+FFFD rather than fail: a new one means the guess was wrong.
		if s, err := fallback.NewDecoder().String(raw); err == nil && utf8.ValidString(s) &&
			strings.Count(s, "\uFFFD") <= strings.Count(raw, "\uFFFD") {
			d.warnf("header holds raw 8-bit bytes; decoded with the body charset")
			return s
		}
	}
	d.warnf("header holds raw 8-bit bytes in no declared charset; read as windows-1252")
	s, _ := charmap.Windows1252.NewDecoder().String(raw)
	return strings.ToValidUTF8(s, "\uFFFD")
}

// bytesIn decodes b from the named charset, falling back (with a warning) to
// UTF-8 when b is valid UTF-8 and to windows-1252 otherwise: that
// superset of Latin-1 decodes any byte, and unknown labels in the wild
// (x-ias-german, unknown-8bit) are most often Western European.
func (d *decoder) bytesIn(charset string, b []byte) string {
	if isASCIILabel(charset) && !isASCII(b) {
		return d.mislabelledASCII("text", charset, b)
	}
	if e := utf16For(charset, b); e != nil {
		s, _ := e.NewDecoder().Bytes(b) // never fails: U+FFFD for a lone surrogate
		return strings.ToValidUTF8(string(s), "\uFFFD")
	}
	if e := lookupCharset(charset); e != nil {
		if e == japanese.ISO2022JP {
			// A line left in JIS X 0208 (no ESC ( B before its end, which
			// RFC 1468 requires) ends there only at a bare LF: the decoder
			// paired a CR with it, and every line after was garbled.
			b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
		}
		if s, err := e.NewDecoder().Bytes(b); err == nil {
			out := strings.ToValidUTF8(string(s), "\uFFFD")
			if n := strings.Count(out, "\uFFFD") - bytes.Count(b, []byte("\uFFFD")); n > 0 {
				// Bytes the charset has no character for (Mac Hebrew's
				// private ones, a byte sequence EUC-KR does not define):
				// each is shown as U+FFFD; say so, not garble silently.
				d.warnf("text in charset %q holds %d byte sequences it has no character for, shown as \uFFFD", charset, n)
			}
			return out
		}
		if e == utf7.UTF7 {
			// Mailers label plain ASCII UTF-7 ("+49 30 ..."), which
			// the strict decoder refuses outright.
			return decodeUTF7Lenient(b)
		}
		d.warnf("cannot decode text in charset %q", charset)
	} else {
		d.unknownCharset(charset, b)
	}
	if utf8.Valid(b) {
		return string(b)
	}
	s, _ := charmap.Windows1252.NewDecoder().Bytes(b)
	return string(s)
}

// isASCIILabel reports a charset label naming US-ASCII.
func isASCIILabel(label string) bool {
	l := normalLabel(label)
	return l == "us-ascii" || l == "ascii"
}

// mislabelledASCII reads b, text (what: "text", "text/plain part")
// labelled US-ASCII (charset) that holds 8-bit bytes, as
// browsers and mutt read it: as UTF-8 when it is valid UTF-8, else as
// windows-1252, saying which. Every text so labelled goes through it (a
// body, a part, a header word, a file name): a body read "café" and a
// Subject in the same bytes "caf\uFFFD".
func (d *decoder) mislabelledASCII(what, charset string, b []byte) string {
	if utf8.Valid(b) {
		d.warnf("%s declared charset %q but holds UTF-8; read as UTF-8", what, normalLabel(charset))
		return string(b)
	}
	d.warnf("%s declared charset %q but holds 8-bit bytes that are not UTF-8; read as windows-1252", what, normalLabel(charset))
	s, _ := charmap.Windows1252.NewDecoder().Bytes(b)
	return string(s)
}

// unknownCharset says that b, text in charset, is in a charset no
// decoder knows: a warning when b holds bytes beyond ASCII (they are a
// guess, see bytesIn), a note (IsNote) when it does not (ASCII reads the
// same in practically every charset mail uses). Every text goes through
// it, a header field's and a body's (noteUnknownCharsets), so the words
// are the same whichever decoder read the text.
func (d *decoder) unknownCharset(charset string, b []byte) {
	if isASCII(b) {
		d.warnf("unknown charset %q"+asciiInUnknownCharset, charset)
		return
	}
	d.warnf("unknown charset %q", charset)
}

// asciiInUnknownCharset ends the note of a text in an unknown charset
// that holds nothing but ASCII.
const asciiInUnknownCharset = ": the text is ASCII, read as it is"

// encodedWord is one parsed "=?charset?enc?text?=".
type encodedWord struct {
	charset string
	data    []byte // transfer-decoded bytes, still in charset
	end     int    // index just past "?=" in the input
}

// parseEncodedWord parses an encoded-word starting at s[i:] (which begins
// with "=?"). It is lenient where senders are sloppy: any case, spaces in
// the text, missing or extra base64 padding, a stray "=" in Q text.
func parseEncodedWord(s string, i int) (encodedWord, bool) {
	rest := s[i+2:]
	q1 := strings.IndexByte(rest, '?')
	if q1 <= 0 || q1+2 >= len(rest) || rest[q1+2] != '?' {
		return encodedWord{}, false
	}
	charset := rest[:q1]
	if len(charset) > 2 && charset[0] == '"' && charset[len(charset)-1] == '"' {
		// Quoted as a parameter would be (mailers that quote every
		// value); RFC 2047 does not allow it, and the word stayed as
		// written.
		charset = charset[1 : len(charset)-1]
	}
	if strings.ContainsAny(charset, " \t()<>@,;:\"/[]=") {
		return encodedWord{}, false
	}
	enc := rest[q1+1]
	text := rest[q1+3:]
	stop := wordEnd(text)
	if stop < 0 {
		return encodedWord{}, false
	}
	text = text[:stop]
	end := i + 2 + q1 + 3 + stop + 2
	var data []byte
	switch enc {
	case 'B', 'b':
		data = decodeBase64Lenient(text)
	case 'Q', 'q':
		data = decodeQ(text)
	default:
		return encodedWord{}, false
	}
	return encodedWord{charset: charset, data: data, end: end}, true
}

// wordEnd returns where the "?=" that ends an encoded-word's text is, or
// -1 when another word starts first ("=?" not followed by "=", which is
// base64 padding before the end) or nothing ends it. A raw "?" in the
// text, which sloppy mailers write ("Really??="), is kept. Stopping at
// the next word bounds the search: a header of many unclosed openings
// ("=?a?q?x" repeated) made each search the rest of the header, which
// was quadratic, seconds for a 1 MB Subject.
func wordEnd(text string) int {
	for i := 0; i+1 < len(text); i++ {
		switch {
		case text[i] == '?' && text[i+1] == '=':
			return i
		case text[i] == '=' && text[i+1] == '?' && (i+2 >= len(text) || text[i+2] != '='):
			return -1
		}
	}
	return -1
}

// decodeBase64Lenient decodes what it can: whitespace and padding are
// ignored, and decoding stops at the first byte that is not base64.
func decodeBase64Lenient(s string) []byte {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' || r == '=' {
			return -1
		}
		return r
	}, s)
	// A trailing single character carries no whole byte.
	if len(s)%4 == 1 {
		s = s[:len(s)-1]
	}
	out := make([]byte, base64.RawStdEncoding.DecodedLen(len(s)))
	n, _ := base64.RawStdEncoding.Decode(out, []byte(s))
	return out[:n]
}

// decodeQ decodes the RFC 2047 "Q" encoding; malformed escapes are kept
// literally.
func decodeQ(s string) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '_':
			out = append(out, ' ')
		case c == '=' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			out = append(out, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		default:
			out = append(out, c)
		}
	}
	return out
}

func isHex(c byte) bool {
	return ('0' <= c && c <= '9') || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	default:
		return c - '0'
	}
}

// words decodes the RFC 2047 encoded-words in s. Whitespace between two
// encoded-words is dropped (RFC 2047 §6.2), and consecutive words in the same
// charset are joined before charset decoding, because mailers split a
// multi-byte character (or an ISO-2022-JP escape) across two words.
func (d *decoder) words(s string) string {
	return d.wordsWith(s, func(s string) string { return s }, func(decoded, _ string) string { return decoded })
}

// wordsWith is words with the text outside encoded-words passed through
// literal and each run of decoded words through emit, with the run as
// written. Raw 8-bit bytes inside an encoded-word are in its charset
// (mailers write them there), so a caller decodes raw bytes in literal,
// never before the words. A decoded run is text: neither wordsWith nor
// a caller decodes it again (RFC 2047 §6.1), or a word whose text reads
// "=?us-ascii?Q?=0D=0ABcc:...?=" became that inner word's CR LF.
func (d *decoder) wordsWith(s string, literal func(string) string, emit func(decoded, raw string) string) string {
	if !strings.Contains(s, "=?") {
		return literal(s)
	}
	var out strings.Builder
	var pending []byte
	pendingCharset := ""
	runStart, runEnd := 0, 0 // the pending run as written: s[runStart:runEnd]
	flush := func() {
		if pending != nil {
			out.WriteString(emit(d.bytesIn(pendingCharset, pending), s[runStart:runEnd]))
			pending, pendingCharset = nil, ""
		}
	}
	i := 0
	for i < len(s) {
		j := strings.Index(s[i:], "=?")
		if j < 0 {
			break
		}
		j += i
		w, ok := parseEncodedWord(s, j)
		if !ok {
			flush()
			out.WriteString(literal(s[i : j+2]))
			i = j + 2
			continue
		}
		between := s[i:j]
		if pending == nil || strings.Trim(between, " \t\r\n") != "" {
			flush()
			out.WriteString(literal(between))
		}
		if pending != nil && !strings.EqualFold(pendingCharset, w.charset) {
			flush()
		}
		if pending == nil {
			pending, pendingCharset, runStart = []byte{}, w.charset, j
		}
		pending = append(pending, w.data...)
		i, runEnd = w.end, w.end
	}
	flush()
	out.WriteString(literal(s[i:]))
	return out.String()
}

// decodeBody best-effort decodes text content in charset to valid UTF-8.
func (d *decoder) decodeBody(charset string, b []byte) string {
	if charset == "" {
		if utf8.Valid(b) {
			return string(b)
		}
		charset = "windows-1252"
	}
	return d.bytesIn(charset, b)
}
