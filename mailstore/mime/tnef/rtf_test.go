package tnef

import (
	"encoding/binary"
	"hash/crc32"
	"strings"
	"testing"
)

// compressed is an LZFu stream of literals only, with its header.
func compressed(literal string, endMarker bool) []byte {
	var data []byte
	w := len(rtfPrefix)
	for i := 0; i < len(literal); i += 8 {
		chunk := literal[i:min(i+8, len(literal))]
		flags := byte(0)
		if endMarker && len(chunk) < 8 {
			flags = 1 << len(chunk)
		}
		data = append(data, flags)
		data = append(data, chunk...)
		w += len(chunk)
		if flags != 0 {
			data = append(data, byte((w&4095)>>4), byte((w&15)<<4))
		}
	}
	h := binary.LittleEndian.AppendUint32(nil, uint32(len(data)+12))
	h = binary.LittleEndian.AppendUint32(h, uint32(len(literal)))
	h = binary.LittleEndian.AppendUint32(h, magicCompressed)
	h = binary.LittleEndian.AppendUint32(h, ^crc32.Update(0xFFFFFFFF, crc32.IEEETable, data))
	return append(h, data...)
}

// TestDecompressRTFExampleOfTheSpec is [MS-OXRTFCP] 3.1.1's example:
// "{\rtf1\ansi\ansicpg1252\pard hello world}\r\n" in 43 bytes, which
// references the preloaded dictionary.
func TestDecompressRTFExampleOfTheSpec(t *testing.T) {
	in := []byte{0x2d, 0x00, 0x00, 0x00, 0x2b, 0x00, 0x00, 0x00, 0x4c, 0x5a, 0x46, 0x75, 0xf1, 0xc5, 0xc7, 0xa7,
		0x03, 0x00, 0x0a, 0x00, 0x72, 0x63, 0x70, 0x67, 0x31, 0x32, 0x35, 0x42, 0x32, 0x0a, 0xf3, 0x20,
		0x68, 0x65, 0x6c, 0x09, 0x00, 0x20, 0x62, 0x77, 0x05, 0xb0, 0x6c, 0x64, 0x7d, 0x0a, 0x80, 0x0f, 0xa0}
	out, err := DecompressRTF(in)
	if err != nil || string(out) != "{\\rtf1\\ansi\\ansicpg1252\\pard hello world}\r\n" {
		t.Errorf("%q, %v", out, err)
	}
	in[20] ^= 1
	if _, err := DecompressRTF(in); err == nil || !strings.Contains(err.Error(), "CRC") {
		t.Errorf("a changed byte passed the CRC: %v", err)
	}
}

// TestDecompressRTFIsBounded: the raw size of the header bounds the
// output, and a stream without an end marker ends with its bytes.
func TestDecompressRTFIsBounded(t *testing.T) {
	c := compressed(strings.Repeat("x", 100), false)
	binary.LittleEndian.PutUint32(c[4:], 10)
	if out, err := DecompressRTF(c); err != nil || len(out) != 10 {
		t.Errorf("%d bytes, %v", len(out), err)
	}
	if out, err := DecompressRTF(compressed("{\\rtf1 hi}", true)); err != nil || string(out) != "{\\rtf1 hi}" {
		t.Errorf("%q, %v", out, err)
	}
	mela := append(binary.LittleEndian.AppendUint32(nil, 17), 5, 0, 0, 0, 'M', 'E', 'L', 'A', 0, 0, 0, 0, '{', 'a', 'b', 'c', 'd', 'e', 'f')
	if out, err := DecompressRTF(mela); err != nil || string(out) != "{abcd" {
		t.Errorf("MELA: %q, %v", out, err)
	}
}

func TestRTFText(t *testing.T) {
	for _, c := range []struct {
		rtf, text string
		html      bool
	}{
		{`{\rtf1\ansi\ansicpg1251{\fonttbl{\f0 Arial;}}{\*\generator x;}\pard Hi \'cf\'f0\par next\tab x\u8364?\par}`, "Hi [1251:cf][1251:f0]\nnext\tx€\n", false},
		{`{\rtf1\ansi\fromhtml1 {\*\htmltag19 <html>}{\*\htmltag64 <p>}\htmlrtf {\b \htmlrtf0 bold\htmlrtf }\htmlrtf0  text&amp;\{\}{\*\htmltag72 </p>}\par}`, "<html><p>bold text&amp;{}</p>\n", true},
		{"{\\rtf1 a{\\info{\\title secret}}b{\\*\\unknown x}c\\bin3 \x00\x01\x02d}", "abcd", false},
		{strings.Repeat("{", 1000) + "deep" + strings.Repeat("}", 1000) + "{\\rtf1 after}", "after", false},
	} {
		text, html := RTFText([]byte(c.rtf), func(cp int, b []byte) string {
			s := ""
			for _, c := range b {
				if c < 0x80 {
					s += string(rune(c))
				} else {
					s += "[" + itoa(cp) + ":" + hexs([]byte{c}) + "]"
				}
			}
			return s
		})
		if text != c.text || html != c.html {
			t.Errorf("%q:\n%q, html %v\nwant %q, html %v", c.rtf, text, html, c.text, c.html)
		}
	}
}

func itoa(n int) string {
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}

func hexs(b []byte) string {
	const d = "0123456789abcdef"
	s := ""
	for _, c := range b {
		s += string(d[c>>4]) + string(d[c&15])
	}
	return s
}
