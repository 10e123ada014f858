package mime

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"golang.org/x/text/encoding"
	"golang.org/x/text/transform"
)

// TestMacCharsetsAreRead: text in the Mac OS charsets x/text lacks, in a
// body and in a Subject's encoded word, reads as its characters, with no
// "unknown charset" warning; it was read as windows-1252 ("Příliš"
// shown "PÞ’liä"). The bytes are Python 3's encodings of the text with
// the codec named.
func TestMacCharsetsAreRead(t *testing.T) {
	for _, c := range []struct{ label, bytes, want string }{
		{"x-mac-ce", "P\xde\x92li\xe4 \xeclu\xe9ou\x8bk\xf9 k\xf3\xcb", "Příliš žluťoučký kůň"},                       // mac_latin2
		{"x-mac-greek", "\xba\xe1\xec\xe8\xed\xdb\xf2\xe1 \xeb\xde\xf3\xed\xe5", "Καλημέρα κόσμε"},                    // mac_greek
		{"x-mac-turkish", "\xdcstanbul \xdfehri \xdb\x9fzel", "İstanbul şehri ğüzel"},                                 // mac_turkish
		{"x-mac-icelandic", "\xde\x97r og \xa0r", "Þór og Ýr"},                                                        // mac_iceland
		{"x-mac-croatian", "\xd0akovi\xe6 \xe8\xe6\xbe", "Đaković čćž"},                                               // mac_croatian
		{"x-mac-romanian", "\xaftiin\xdfe \xbfi \xdfar\xbe", "Științe și țară"},                                       // mac_romanian
		{"x-mac-arabic", "\xe5\xd1\xcd\xc8\xc7\xa0\xc8\xc7\xe4\xd9\xc7\xe4\xe5\xa0\xb1\xb2\xb3", "مرحبا بالعالم ١٢٣"}, // mac_arabic
		{"x-mac-farsi", "\xd3\xe4\xc7\xe5\xa0\xc8\xd1\xa0\xd4\xe5\xc7\xa0\xb1\xb2\xb3", "سلام بر شما ۱۲۳"},            // mac_farsi
		{"x-mac-hebrew", "\xf9\xec\xe5\xed \xf2\xe5\xec\xed \xa6\xb5", "שלום עולם ₪5"},                                // Java's x-MacHebrew
		{"x-mac-japanese", "\x82\xb1\x82\xf1\x82\xc9\x82\xbf\x82\xcd\x90\xa2\x8aE\xfd\xff", "こんにちは世界©…"},              // cp932, and Apple's 0xFD, 0xFF
	} {
		raw := msg([]byte(c.bytes+"\r\n"), "From: a@example.com",
			"Subject: =?"+c.label+"?B?"+base64.StdEncoding.EncodeToString([]byte(c.bytes))+"?=",
			"Content-Type: text/plain; charset="+c.label, "Content-Transfer-Encoding: 8bit")
		v := Parse(raw)
		if got := strings.TrimSuffix(v.Text, "\n"); got != c.want || v.Summary.Subject != c.want {
			t.Errorf("%s: text %q, Subject %q; want %q", c.label, got, v.Summary.Subject, c.want)
		}
		for _, w := range v.Warnings {
			if strings.Contains(w, "charset") {
				t.Errorf("%s: warning %q, yet the text was read", c.label, w)
			}
		}
	}
}

// TestSingleByteTablesRoundTrip: every byte of each Mac table decodes
// to one character that encodes back to it, so no two bytes share a
// character and the encoder writes what the decoder reads.
func TestSingleByteTablesRoundTrip(t *testing.T) {
	for _, c := range []*singleByte{macCentralEurope, macGreek, macTurkish, macIcelandic, macCroatian, macRomanian, macArabic, macFarsi, macHebrew} {
		all := make([]byte, 256)
		for i := range all {
			all[i] = byte(i)
		}
		text, err := c.NewDecoder().Bytes(all)
		if err != nil {
			t.Fatalf("%s: %v", c, err)
		}
		// Arabic and Hebrew have right-to-left copies of ASCII
		// punctuation, which read (and so encode) as the ASCII, and
		// Hebrew bytes with no Unicode character (U+FFFD, left out
		// here): the others come back.
		var want []byte
		for _, b := range all {
			switch r := rune(b); {
			case r < 0x80 || c.high[r-0x80] >= 0x80 && c.high[r-0x80] != 0xFFFD:
				want = append(want, b)
			case c.high[r-0x80] < 0x80:
				want = append(want, byte(c.high[r-0x80]))
			}
		}
		kept := strings.Map(func(r rune) rune {
			if r == 0xFFFD {
				return -1
			}
			return r
		}, string(text))
		if back, err := c.NewEncoder().String(kept); err != nil || back != string(want) {
			t.Errorf("%s: the bytes come back as %q, %v; want %q", c, back, err, want)
		}
		if _, err := c.NewEncoder().String("中"); err == nil {
			t.Errorf("%s: encodes a character it does not have", c)
		}
	}
}

// TestMacCharsetsMatchReference: each byte of x-mac-arabic, x-mac-farsi,
// x-mac-hebrew and x-mac-japanese, and each two-byte sequence of
// x-mac-japanese, decodes as testdata/charsets/reference.json (Python's
// codecs; Java's Mac Hebrew) says, but where macHebrew and macJapanese
// say why not; and the whole table read through a one-byte reader, each
// sequence on a line, decodes as its sequences one by one.
func TestMacCharsetsMatchReference(t *testing.T) {
	b, err := os.ReadFile("testdata/charsets/reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Single map[string]string
		Pairs  map[string]map[string]string
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	// differs is where sesbox is right and the reference is not.
	differs := func(label string, seq []byte, want rune) bool {
		switch label {
		case "x-mac-hebrew":
			// Apple's right-to-left punctuation, which Java leaves out.
			return want == 0xFFFD && len(seq) == 1 && (0xA0 <= seq[0] && seq[0] < 0xC0 || seq[0] >= 0xFB)
		case "x-mac-japanese":
			// Apple's single bytes, which cp932 maps to private
			// characters (0x80 to U+0080), and cp932's user-defined
			// rows 0xF0-0xF9, private characters too.
			return len(seq) == 1 && macJapaneseSingle[seq[0]] != "" || len(seq) == 2 && 0xF0 <= seq[0] && seq[0] <= 0xF9
		}
		return false
	}
	decode := func(e encoding.Encoding, seq []byte) string {
		s, err := e.NewDecoder().Bytes(seq)
		if err != nil {
			t.Fatalf("%s % X: %v", e, seq, err)
		}
		return string(s)
	}
	if len(ref.Single) != 4 || len(ref.Pairs["x-mac-japanese"]) != 0xA0-0x81+0x100-0xE0 {
		t.Fatalf("reference.json holds %d charsets, %d Japanese lead bytes", len(ref.Single), len(ref.Pairs["x-mac-japanese"]))
	}
	for label, want := range ref.Single {
		e := lookupCharset(label)
		if e == nil {
			t.Fatalf("%s: unknown", label)
		}
		var all []byte
		var each strings.Builder
		for i, w := range []rune(want) {
			seq := []byte{byte(i)}
			got := decode(e, seq)
			if got != string(w) && !differs(label, seq, w) {
				t.Errorf("%s %02X: %q, the reference %q", label, i, got, w)
			}
			all = append(append(all, seq...), '\n')
			each.WriteString(got + "\n")
		}
		for lead, row := range ref.Pairs[label] {
			l, _ := strconv.ParseUint(lead, 16, 8)
			for j, w := range []rune(row) {
				seq := []byte{byte(l), byte(0x40 + j)}
				got := decode(e, seq)
				if w != 0xFFFD && got != string(w) && !differs(label, seq, w) {
					t.Errorf("%s %02X: %q, the reference %q", label, seq, got, w)
				}
				all = append(append(all, seq...), '\n')
				each.WriteString(got + "\n")
			}
		}
		whole, err := io.ReadAll(transform.NewReader(iotest.OneByteReader(bytes.NewReader(all)), e.NewDecoder()))
		if err != nil || string(whole) != each.String() {
			t.Errorf("%s: the table read in one stream differs from its bytes read one by one (%v)", label, err)
		}
	}
}

// TestCharsetAliasesSeenInMail: labels real mail carries that neither
// index knows read as the charset they name, with no warning; they were
// read as UTF-8 or windows-1252 with "unknown charset".
func TestCharsetAliasesSeenInMail(t *testing.T) {
	for _, c := range []struct{ label, as, text string }{
		{"x-mac-chinesetrad", "big5", "中文郵件"},
		{"cp950", "big5", "中文郵件"},
		{"ms950", "big5", "中文郵件"},
		{"x-windows-950", "big5", "中文郵件"},
		{"x-mac-chinesesimp", "gb18030", "中文邮件"},
		{"euc-cn", "gb18030", "中文邮件"},
		{"x-euc-cn", "gb18030", "中文邮件"},
		{"x-mac-korean", "euc-kr", "한국어 메일"},
		{"uhc", "euc-kr", "똠방각하"},
		{"x-windows-949", "euc-kr", "똠방각하"},
		{"eucjp", "euc-jp", "日本語のメール"},
		{"x-eucjp", "euc-jp", "日本語のメール"},
		{"iso-2022-jp-1", "iso-2022-jp", "日本語のメール"},
		{"iso-2022-jp-2", "iso-2022-jp", "日本語のメール"},
		{"iso-2022-jp-3", "iso-2022-jp", "日本語のメール"},
		{"csiso2022jp2", "iso-2022-jp", "日本語のメール"},
		{"cp50220", "iso-2022-jp", "日本語のメール"},
		{"cp50221", "iso-2022-jp", "日本語のメール"},
		{"cp50222", "iso-2022-jp", "日本語のメール"},
		{"utf8mb4", "utf-8", "Grüße 😀"},
	} {
		raw, err := lookupCharset(c.as).NewEncoder().String(c.text)
		if err != nil {
			t.Fatalf("%s: %v", c.as, err)
		}
		v := Parse(msg([]byte(raw+"\r\n"), "From: a@example.com",
			"Subject: =?"+c.label+"?B?"+base64.StdEncoding.EncodeToString([]byte(raw))+"?=",
			"Content-Type: text/plain; charset="+c.label, "Content-Transfer-Encoding: 8bit"))
		if got := strings.TrimSuffix(v.Text, "\n"); got != c.text || v.Summary.Subject != c.text {
			t.Errorf("%s: text %q, Subject %q; want %q", c.label, got, v.Summary.Subject, c.text)
		}
		for _, w := range v.Warnings {
			if strings.Contains(w, "charset") {
				t.Errorf("%s: warning %q, yet the text was read", c.label, w)
			}
		}
	}
}
