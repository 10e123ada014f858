package mime

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// nestedWord is an encoded-word whose decoded text is itself an
// encoded-word: "=?us-ascii?Q?=0D=0ABcc:_x@x?=", which decoded again
// would be CR LF "Bcc: x@x".
const (
	nestedWord = "=?us-ascii?Q?=3D=3Fus-ascii=3FQ=3F=3D0D=3D0ABcc=3A=5Fx=40x=3F=3D?="
	innerWord  = "=?us-ascii?Q?=0D=0ABcc:_x@x?="
)

// TestWordsAreDecodedOnce: a decoded word is text (RFC 2047 §6.1). The
// display names were decoded twice (the From below was "\r\nBcc: x@x" in
// ls --json's fromName), in every address field, quoted or not.
func TestWordsAreDecodedOnce(t *testing.T) {
	raw := "From: " + nestedWord + " <a@x.example>\r\n" +
		"To: \"" + nestedWord + "\" <b@x.example>, " + nestedWord + " <c@x.example>\r\n" +
		"Cc: " + nestedWord + " <d@x.example>\r\n" +
		"Reply-To: " + nestedWord + " <e@x.example>\r\n" +
		"Sender: " + nestedWord + " <f@x.example>\r\n" +
		"Subject: " + nestedWord + "\r\n" +
		"Date: Mon, 7 Dec 2026 10:00:00 +0000\r\n\r\nbody\r\n"
	for _, s := range []struct {
		how string
		sum func() (from, to0, to1, cc, replyTo, subject string)
	}{
		{"Summarize", func() (string, string, string, string, string, string) {
			s := Summarize([]byte(raw))
			return s.From.Name, s.To[0].Name, s.To[1].Name, s.Cc[0].Name, s.ReplyTo[0].Name, s.Subject
		}},
		{"Parse", func() (string, string, string, string, string, string) {
			s := Parse([]byte(raw)).Summary
			return s.From.Name, s.To[0].Name, s.To[1].Name, s.Cc[0].Name, s.ReplyTo[0].Name, s.Subject
		}},
	} {
		from, to0, to1, cc, replyTo, subject := s.sum()
		for what, got := range map[string]string{"From": from, "To (quoted)": to0, "To": to1, "Cc": cc, "Reply-To": replyTo, "Subject": subject} {
			if got != innerWord {
				t.Errorf("%s: %s = %q, want %q", s.how, what, got, innerWord)
			}
		}
	}
	for _, f := range Parse([]byte(raw)).Header {
		if strings.Contains(f.Value, "\n") || strings.Contains(f.Value, "Bcc: ") {
			t.Errorf("header %s decoded twice: %q", f.Name, f.Value)
		}
	}
	addrs, _ := AddressFieldUpTo([]byte(raw), "sender", 10)
	if len(addrs) != 1 || addrs[0].Name != innerWord || addrs[0].Address != "f@x.example" {
		t.Errorf("Sender = %+v, want %q <f@x.example>", addrs, innerWord)
	}
}

// qWord encodes t as one RFC 2047 Q word, every byte escaped but letters
// and digits (so t is never left as it is, as mime.QEncoding leaves text
// that needs no encoding).
func qWord(t string) string {
	var b strings.Builder
	b.WriteString("=?utf-8?q?")
	for i := 0; i < len(t); i++ {
		c := t[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "=%02X", c)
		}
	}
	b.WriteString("?=")
	return b.String()
}

// FuzzWordDecodedOnce: text encoded once as an RFC 2047 word reads back
// exactly, wherever it stands: a Subject, a display name bare or quoted,
// a file name. Text that looks like an encoded-word, CR, LF and other
// controls included (the viewer sanitizes them for the screen later).
func FuzzWordDecodedOnce(f *testing.F) {
	for _, s := range []string{innerWord, "plain", "a, b <c@d>", `"quoted"`, "\r\nBcc: x@x", "=?utf-8?b?eA==?= =?x?q?y?=",
		"\x00\x1b[31m", "\r", `"\`, "sesboxword0sesboxword", "sesboxwordstart", "Jörg =?iso-8859-1?q?=E9?=", "=?", "?="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if !utf8.ValidString(text) || len(text) > 200 {
			return
		}
		for _, w := range []string{bWord("utf-8", []byte(text)), qWord(text)} {
			raw := "From: " + w + " <a@x.example>\r\nTo: \"" + w + "\" <b@x.example>\r\nSubject: " + w +
				"\r\nDate: Mon, 7 Dec 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
				"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b\r\nContent-Type: application/octet-stream\r\n" +
				"Content-Disposition: attachment; filename=\"" + w + "\"\r\n\r\nx\r\n--b--\r\n"
			v := Parse([]byte(raw))
			s := v.Summary
			if s.From.Name != text || s.From.Address != "a@x.example" {
				t.Errorf("%s: From = %q <%s>, want %q", w, s.From.Name, s.From.Address, text)
			}
			if len(s.To) != 1 || s.To[0].Name != text {
				t.Errorf("%s: To = %+v, want %q", w, s.To, text)
			}
			if want := strings.TrimSpace(text); s.Subject != want {
				t.Errorf("%s: Subject = %q, want %q", w, s.Subject, want)
			}
			if len(v.Parts) != 2 || v.Parts[1].Filename != text {
				t.Errorf("%s: parts %+v, want the file named %q", w, v.Parts, text)
			}
		}
	})
}

// TestExtendedFileNameWarns: an RFC 2231 name with bytes its charset has
// no character for was shown with U+FFFD and no warning (the decoder
// that saw them was thrown away); it warns as a body does.
func TestExtendedFileNameWarns(t *testing.T) {
	for _, tc := range []struct{ param, want, warning string }{
		{`filename*=utf-8''caf%E9.txt`, "caf\uFFFD.txt", `text in charset "utf-8" holds 1 byte sequences it has no character for, shown as ` + "\uFFFD"},
		{`filename*=euc-kr''%FF%FF.txt`, "\uFFFD\uFFFD.txt", `text in charset "euc-kr" holds 2 byte sequences it has no character for, shown as ` + "\uFFFD"},
		{`filename*0*=utf-8''caf%E9; filename*1=.txt`, "caf\uFFFD.txt", `text in charset "utf-8" holds 1 byte sequences it has no character for, shown as ` + "\uFFFD"},
		// Decoded by RFC 2231 alone: its "=?" text is not a word.
		{`filename*=utf-8''%3D%3Futf-8%3Fq%3Fx%3F%3D`, "=?utf-8?q?x?=", ""},
		// A word's '"' and ';' are text, not the end of the value.
		{`filename="=?utf-8?q?x=22=3B_name=3Devil?="`, `x"; name=evil`, ""},
	} {
		raw := "From: a@x.example\r\nDate: Mon, 7 Dec 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n" +
			"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nx\r\n" +
			"--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; " + tc.param + "\r\n\r\nx\r\n--b--\r\n"
		v := Parse([]byte(raw))
		if len(v.Parts) != 2 || v.Parts[1].Filename != tc.want {
			t.Errorf("%s: parts %+v, want a file named %q", tc.param, v.Parts, tc.want)
		}
		if tc.warning != "" && !slices.Contains(v.Warnings, tc.warning) {
			t.Errorf("%s: warnings %q lack %q", tc.param, v.Warnings, tc.warning)
		}
	}
}

// TestMislabelledASCIIIsReadAlike: text labelled US-ASCII holding 8-bit
// bytes was read as windows-1252 in a body and as UTF-8 with U+FFFD in a
// Subject's word. Every position now reads it one way (valid UTF-8 as
// UTF-8, else windows-1252) and says so in the same words.
func TestMislabelledASCIIIsReadAlike(t *testing.T) {
	for _, tc := range []struct {
		bytes, how string
	}{
		{"caf\xe9", "but holds 8-bit bytes that are not UTF-8; read as windows-1252"},
		{"caf\xc3\xa9", "but holds UTF-8; read as UTF-8"},
	} {
		q := strings.NewReplacer("\xe9", "=E9", "\xc3", "=C3", "\xa9", "=A9").Replace(tc.bytes)
		pct := strings.NewReplacer("\xe9", "%E9", "\xc3", "%C3", "\xa9", "%A9").Replace(tc.bytes)
		head := "From: a@x.example\r\nDate: Mon, 7 Dec 2026 10:00:00 +0000\r\nSubject: =?US-ASCII?Q?" + q + "?=\r\nMIME-Version: 1.0\r\n"
		single := head + "Content-Type: text/plain; charset=US-ASCII\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + tc.bytes + "\r\n"
		multi := head + "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=us-ascii\r\n" +
			"Content-Transfer-Encoding: 8bit\r\n\r\n" + tc.bytes + "\r\n--b\r\nContent-Type: application/octet-stream\r\n" +
			"Content-Disposition: attachment; filename*=us-ascii''" + pct + ".txt\r\n\r\nx\r\n--b--\r\n"
		for _, m := range []struct{ name, raw, body string }{{"one part", single, "text/plain part"}, {"multipart", multi, "text/plain part"}} {
			v := Parse([]byte(m.raw))
			if !strings.Contains(v.Text, "café") {
				t.Errorf("%s %q: body %q, want café", m.name, tc.bytes, v.Text)
			}
			if v.Summary.Subject != "café" || Summarize([]byte(m.raw)).Subject != "café" {
				t.Errorf("%s %q: Subject %q, want café", m.name, tc.bytes, v.Summary.Subject)
			}
			want := []string{m.body + ` declared charset "us-ascii" ` + tc.how, `text declared charset "us-ascii" ` + tc.how}
			for _, w := range want {
				if !slices.Contains(v.Warnings, w) {
					t.Errorf("%s %q: warnings %q lack %q", m.name, tc.bytes, v.Warnings, w)
				}
			}
			if m.name == "multipart" && (len(v.Parts) != 2 || v.Parts[1].Filename != "café.txt") {
				t.Errorf("%s %q: parts %+v, want café.txt", m.name, tc.bytes, v.Parts)
			}
		}
	}
}
