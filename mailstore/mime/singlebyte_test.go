package mime

import (
	"encoding/base64"
	"strings"
	"testing"
)

// TestMacCharsetsAreRead: text in the Mac OS charsets x/text lacks, in a
// body and in a Subject's encoded word, reads as its characters, with no
// "unknown charset" warning; it was read as windows-1252 ("Příliš"
// shown "PÞ’liä"). The bytes are Python 3's encodings of the text with
// the codec named.
func TestMacCharsetsAreRead(t *testing.T) {
	for _, c := range []struct{ label, bytes, want string }{
		{"x-mac-ce", "P\xde\x92li\xe4 \xeclu\xe9ou\x8bk\xf9 k\xf3\xcb", "Příliš žluťoučký kůň"},    // mac_latin2
		{"x-mac-greek", "\xba\xe1\xec\xe8\xed\xdb\xf2\xe1 \xeb\xde\xf3\xed\xe5", "Καλημέρα κόσμε"}, // mac_greek
		{"x-mac-turkish", "\xdcstanbul \xdfehri \xdb\x9fzel", "İstanbul şehri ğüzel"},              // mac_turkish
		{"x-mac-icelandic", "\xde\x97r og \xa0r", "Þór og Ýr"},                                     // mac_iceland
		{"x-mac-croatian", "\xd0akovi\xe6 \xe8\xe6\xbe", "Đaković čćž"},                            // mac_croatian
		{"x-mac-romanian", "\xaftiin\xdfe \xbfi \xdfar\xbe", "Științe și țară"},                    // mac_romanian
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
	for _, c := range []*singleByte{macCentralEurope, macGreek, macTurkish, macIcelandic, macCroatian, macRomanian} {
		all := make([]byte, 256)
		for i := range all {
			all[i] = byte(i)
		}
		text, err := c.NewDecoder().Bytes(all)
		if err != nil {
			t.Fatalf("%s: %v", c, err)
		}
		back, err := c.NewEncoder().Bytes(text)
		if err != nil || string(back) != string(all) {
			t.Errorf("%s: the 256 bytes come back as %q, %v", c, back, err)
		}
		if _, err := c.NewEncoder().String("中"); err == nil {
			t.Errorf("%s: encodes a character it does not have", c)
		}
	}
}
