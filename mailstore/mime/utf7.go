package mime

import (
	"strings"
	"unicode/utf16"
)

// decodeUTF7Lenient decodes UTF-7 (RFC 2152) as far as it is UTF-7: a
// "+" run of modified base64 that holds whole UTF-16 units with nothing
// left over but zero bits is decoded (its closing "-" dropped); anything
// else, a "+" before a digit in text labelled UTF-7 by a mailer that
// wrote plain ASCII ("+49 30 1234"), or 8-bit bytes, stays as written.
// The strict decoder (utf7.UTF7) fails the whole text on the first such
// byte.
func decodeUTF7Lenient(b []byte) string {
	var out strings.Builder
	out.Grow(len(b))
	for i := 0; i < len(b); {
		c := b[i]
		if c != '+' {
			out.WriteByte(c)
			i++
			continue
		}
		if i+1 < len(b) && b[i+1] == '-' {
			out.WriteByte('+') // "+-" is a plus sign
			i += 2
			continue
		}
		j := i + 1
		for j < len(b) && base64Value(b[j]) >= 0 {
			j++
		}
		units, ok := utf16Units(b[i+1 : j])
		if !ok {
			out.WriteByte('+')
			i++
			continue
		}
		out.WriteString(string(utf16.Decode(units)))
		if j < len(b) && b[j] == '-' {
			j++ // the "-" that ends the run is not text
		}
		i = j
	}
	return strings.ToValidUTF8(out.String(), "\uFFFD")
}

// utf16Units reads a run of modified base64 as UTF-16 units: ok when it
// holds at least one unit and the bits left over are all zero.
func utf16Units(run []byte) ([]uint16, bool) {
	var units []uint16
	acc, bits := uint32(0), 0
	for _, c := range run {
		acc = acc<<6 | uint32(base64Value(c))
		bits += 6
		if bits >= 16 {
			bits -= 16
			units = append(units, uint16(acc>>bits))
			acc &= 1<<bits - 1
		}
	}
	return units, len(units) > 0 && acc == 0
}

// base64Value is the value of a base64 digit, or -1.
func base64Value(c byte) int {
	switch {
	case 'A' <= c && c <= 'Z':
		return int(c - 'A')
	case 'a' <= c && c <= 'z':
		return int(c-'a') + 26
	case '0' <= c && c <= '9':
		return int(c-'0') + 52
	case c == '+':
		return 62
	case c == '/':
		return 63
	}
	return -1
}
