package tnef

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"strings"
	"unicode/utf8"
)

// rtfPrefix preloads the LZFu dictionary ([MS-OXRTFCP] 2.1.2.1): 207 bytes.
const rtfPrefix = "{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman \\fswiss \\fmodern \\fscript \\fdecor MS Sans SerifSymbolArialTimes New RomanCourier{\\colortbl\\red0\\green0\\blue0\r\n\\par \\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx"

// MaxRTF bounds a decompressed RTF body: a header that says more is
// believed only up to it.
const MaxRTF = 16 << 20

const (
	magicCompressed   = 0x75465A4C // "LZFu"
	magicUncompressed = 0x414C454D // "MELA"
)

// DecompressRTF decompresses PR_RTF_COMPRESSED ([MS-OXRTFCP]): a header
// of four uint32 (compressed size, raw size, magic, CRC), then the data,
// LZ77 over a 4096-byte ring dictionary preloaded with rtfPrefix. The
// output is at most the raw size the header gives and MaxRTF; the work is
// linear in the input and the output.
func DecompressRTF(b []byte) ([]byte, error) {
	if len(b) < 16 {
		return nil, errors.New("compressed RTF shorter than its header")
	}
	raw := binary.LittleEndian.Uint32(b[4:])
	magic := binary.LittleEndian.Uint32(b[8:])
	crc := binary.LittleEndian.Uint32(b[12:])
	in := b[16:]
	if comp := binary.LittleEndian.Uint32(b); uint64(comp) >= 12 && uint64(comp)-12 < uint64(len(in)) {
		in = in[:comp-12]
	}
	limit := int(min(uint64(raw), MaxRTF))
	switch magic {
	case magicUncompressed:
		return in[:min(len(in), limit)], nil
	case magicCompressed:
	default:
		return nil, fmt.Errorf("compressed RTF of unknown kind (magic 0x%08X)", magic)
	}
	if got := ^crc32.Update(0xFFFFFFFF, crc32.IEEETable, in); got != crc {
		return nil, fmt.Errorf("compressed RTF fails its CRC (0x%08X, header 0x%08X)", got, crc)
	}
	var dict [4096]byte
	copy(dict[:], rtfPrefix)
	w := len(rtfPrefix)
	out := make([]byte, 0, min(limit, 16*len(in)+16))
	for i := 0; i < len(in) && len(out) < limit; {
		flags := in[i]
		i++
		for bit := 0; bit < 8 && i < len(in) && len(out) < limit; bit++ {
			if flags&(1<<bit) == 0 {
				c := in[i]
				i++
				out = append(out, c)
				dict[w] = c
				w = (w + 1) & 4095
				continue
			}
			if i+1 >= len(in) {
				return out, errors.New("compressed RTF cut short inside a reference")
			}
			ref := int(in[i])<<8 | int(in[i+1])
			i += 2
			off, n := ref>>4, ref&15+2
			if off == w {
				return out, nil // the end marker
			}
			for k := 0; k < n && len(out) < limit; k++ {
				c := dict[(off+k)&4095]
				out = append(out, c)
				dict[w] = c
				w = (w + 1) & 4095
			}
		}
	}
	return out, nil
}

// maxRTFDepth bounds the groups RTFText follows: deeper ones are skipped.
const maxRTFDepth = 256

// skippedDestinations are the RTF groups that hold no text to read.
var skippedDestinations = map[string]bool{
	"fonttbl": true, "colortbl": true, "stylesheet": true, "info": true, "pict": true,
	"object": true, "header": true, "footer": true, "headerl": true, "headerr": true,
	"headerf": true, "footerl": true, "footerr": true, "footerf": true, "listtable": true,
	"listoverridetable": true, "rsidtbl": true, "generator": true, "themedata": true,
	"colorschememapping": true, "datastore": true, "latentstyles": true, "xmlnstbl": true,
	"fldinst": true, "filetbl": true, "revtbl": true, "pgdsctbl": true, "mmathPr": true,
	"nonshppict": true, "bkmkstart": true, "bkmkend": true, "falt": true,
}

// rtfState is what an RTF group sets and its inner groups inherit.
type rtfState struct {
	skip    bool // inside a destination with no text
	htmlrtf bool // encapsulated HTML: RTF-only text, not the HTML's
	uc      int  // characters standing for a \u character
}

// RTFText reads an RTF document as text. RTF that Outlook made from HTML
// (\fromhtml1, [MS-OXRTFEX]) gives back the HTML, with html true. The
// bytes of 8-bit characters (\'hh) are decoded with decode in the code
// page \ansicpg names. Groups nest at most maxRTFDepth deep (deeper ones
// are left out); the work is linear in the input.
func RTFText(rtf []byte, decode Decoder) (text string, html bool) {
	var b strings.Builder
	var pending []byte // 8-bit bytes waiting to be decoded
	cp := 0
	flush := func() {
		if len(pending) == 0 {
			return
		}
		if decode != nil {
			b.WriteString(decode(cp, pending))
		} else {
			b.WriteString(strings.ToValidUTF8(string(pending), "\uFFFD"))
		}
		pending = pending[:0]
	}
	st := rtfState{uc: 1}
	var stack []rtfState
	depthOver := 0 // groups open beyond maxRTFDepth
	skipChars := 0 // characters still to skip after a \u
	destination := false
	emit := func(s string) {
		if st.skip || (html && st.htmlrtf) {
			return
		}
		flush()
		b.WriteString(s)
	}
	emitByte := func(c byte) {
		if st.skip || (html && st.htmlrtf) {
			return
		}
		pending = append(pending, c)
	}
	for i := 0; i < len(rtf); {
		c := rtf[i]
		if depthOver > 0 && c != '{' && c != '}' && c != '\\' {
			i++
			continue
		}
		switch c {
		case '{':
			i++
			if depthOver > 0 || len(stack) == maxRTFDepth {
				depthOver++
				continue
			}
			stack = append(stack, st)
			destination = true
			continue
		case '}':
			i++
			if depthOver > 0 {
				depthOver--
				continue
			}
			if len(stack) > 0 {
				st = stack[len(stack)-1]
				stack = stack[:len(stack)-1]
			}
			destination, skipChars = false, 0
			continue
		case '\r', '\n':
			i++
			continue
		case '\\':
		default:
			i++
			if skipChars > 0 {
				skipChars--
				continue
			}
			destination = false
			emitByte(c)
			continue
		}
		// A control word or symbol.
		i++
		if i >= len(rtf) {
			break
		}
		first := destination
		destination = false
		c = rtf[i]
		if !isLetter(c) {
			i++
			if depthOver > 0 {
				if c == '\'' {
					i = min(i+2, len(rtf))
				}
				continue
			}
			switch c {
			case '\'':
				if i+1 < len(rtf) && isHex(rtf[i]) && isHex(rtf[i+1]) {
					v := unhex(rtf[i])<<4 | unhex(rtf[i+1])
					i += 2
					if skipChars > 0 {
						skipChars--
						continue
					}
					emitByte(v)
				}
			case '*':
				// An ignorable destination: read only the HTML tags of
				// encapsulated HTML.
				j := i
				for j < len(rtf) && rtf[j] == ' ' {
					j++
				}
				if !(html && strings.HasPrefix(string(rtf[j:min(len(rtf), j+8)]), "\\htmltag")) {
					st.skip = true
				}
			case '~':
				emit("\u00a0")
			case '_':
				emit("-")
			case '\\', '{', '}':
				if skipChars > 0 {
					skipChars--
					continue
				}
				emitByte(c)
			case '\r', '\n':
				emit("\n")
			}
			continue
		}
		start := i
		for i < len(rtf) && isLetter(rtf[i]) && i-start < 32 {
			i++
		}
		word := string(rtf[start:i])
		param, hasParam := 0, false
		neg := false
		if i < len(rtf) && rtf[i] == '-' {
			neg = true
			i++
		}
		for k := 0; i < len(rtf) && rtf[i] >= '0' && rtf[i] <= '9'; i++ {
			if k < 10 {
				param = param*10 + int(rtf[i]-'0')
				k++
			}
			hasParam = true
		}
		if neg {
			param = -param
		}
		if i < len(rtf) && rtf[i] == ' ' {
			i++
		}
		if depthOver > 0 {
			if word == "bin" && hasParam && param > 0 {
				i = min(i+param, len(rtf))
			}
			continue
		}
		switch word {
		case "bin":
			if hasParam && param > 0 {
				i = min(i+param, len(rtf))
			}
		case "fromhtml":
			html = true
		case "htmlrtf":
			st.htmlrtf = !hasParam || param != 0
		case "ansicpg":
			flush()
			cp = param
		case "uc":
			if hasParam && param >= 0 && param < 10 {
				st.uc = param
			}
		case "u":
			if hasParam {
				if param < 0 {
					param += 65536
				}
				r := rune(param)
				if !utf8.ValidRune(r) {
					r = utf8.RuneError
				}
				emit(string(r))
				skipChars = st.uc
			}
		case "par", "line", "sect", "page", "row":
			emit("\n")
		case "tab", "cell":
			emit("\t")
		case "emdash":
			emit("—")
		case "endash":
			emit("–")
		case "bullet":
			emit("•")
		case "lquote":
			emit("‘")
		case "rquote":
			emit("’")
		case "ldblquote":
			emit("“")
		case "rdblquote":
			emit("”")
		default:
			if first && skippedDestinations[word] {
				st.skip = true
			}
		}
	}
	flush()
	return b.String(), html
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}
