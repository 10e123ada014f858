package compose

import (
	"mime"
	"strings"
	"testing"
)

// An id is written back into In-Reply-To and References as it is. RFC 2047
// forbids encoded words in a msg-id, but readers decode them anyway
// (Python's email with policy.default reads References as unstructured
// text): an id that is an encoded word of "\r\nBcc: ..." would reach such a
// reader as a line break and a new field. ValidMessageID must refuse every
// id that a decoder reads differently from how it is written.
func TestValidMessageIDRefusesEncodedWords(t *testing.T) {
	for _, id := range []string{
		"=?utf-8?q?=0D=0ABcc:_evil@e.com?=",
		"x=?utf-8?b?DQpCY2M6IGV2aWxAZS5jb20=?=@example.com",
		"a@=?us-ascii?q?=0A?=",
	} {
		if ValidMessageID(id) {
			t.Errorf("ValidMessageID(%q) = true", id)
		}
	}
	th := ThreadingFor("m@x.example", "=?utf-8?q?=0D=0ABcc:_evil@e.com?=", nil)
	if strings.Join(th.References, " ") != "m@x.example" {
		t.Errorf("References = %q, want only the original's id", th.References)
	}
	for _, id := range []string{"CAF=3Dx@mail.gmail.com", "a?b=c@x.example", "1.2.3@host"} {
		if !ValidMessageID(id) {
			t.Errorf("ValidMessageID(%q) = false", id)
		}
	}
}

// FuzzValidMessageID: an id ValidMessageID accepts reads back, through an
// RFC 2047 decoder, exactly as it is written.
func FuzzValidMessageID(f *testing.F) {
	for _, s := range []string{"a@b", "=?utf-8?q?=0D=0A?=@x", "x=?utf-8?b?DQo=?=@y", "CAF=3Dx@mail.gmail.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		if !ValidMessageID(id) {
			return
		}
		w := "<" + id + ">"
		got, err := new(mime.WordDecoder).DecodeHeader(w)
		if err == nil && got != w {
			t.Fatalf("accepted id %q decodes to %q", id, got)
		}
	})
}

// TestThreadingFallsBackToInReplyTo: References that hold no id a reply can
// write back (every one refused by ValidMessageID) count as none, so the
// original's In-Reply-To still links the reply to the parent, as RFC 5322
// 3.6.4 says for a message without References.
func TestThreadingFallsBackToInReplyTo(t *testing.T) {
	th := ThreadingFor("m@x.example", "parent@x.example", []string{"bad id@x.example", "=?utf-8?q?x?=@y"})
	if got := strings.Join(th.References, " "); got != "parent@x.example m@x.example" {
		t.Errorf("References = %q, want the parent then the original", got)
	}
	th = ThreadingFor("m@x.example", "parent@x.example", []string{"root@x.example", "bad id@x.example"})
	if got := strings.Join(th.References, " "); got != "root@x.example m@x.example" {
		t.Errorf("References = %q, want the valid References then the original", got)
	}
}
