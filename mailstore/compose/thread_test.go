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

// TestReferencesEndWithTheParent: the original's own id written in its
// References (a looping mailer, or a sender who wants the reply threaded
// under another message) was kept where it stood and the repeat at the
// end dropped, so References ended with another id: "<b4@x> <p1@x>" for
// a reply to <b4@x>, which Thunderbird and the JWZ algorithm read as a
// reply to <p1@x>. RFC 5322 3.6.4: the parent's References, then the
// parent's id, last.
func TestReferencesEndWithTheParent(t *testing.T) {
	for _, c := range []struct {
		refs []string
		want string
	}{
		{[]string{"b4@x", "b4@x", "p1@x"}, "p1@x b4@x"},
		{[]string{"root@x", "b4@x", "p1@x"}, "root@x p1@x b4@x"},
		{[]string{"b4@x"}, "b4@x"},
		{nil, "b4@x"},
	} {
		th := ThreadingFor("b4@x", "", c.refs)
		if got := strings.Join(th.References, " "); got != c.want {
			t.Errorf("References of a reply to <b4@x> with References %q = %q, want %q", c.refs, got, c.want)
		}
	}
	if th := ThreadingFor("b4@x", "b4@x", nil); strings.Join(th.References, " ") != "b4@x" {
		t.Errorf("In-Reply-To naming the message itself: References = %q, want only b4@x", th.References)
	}
}

// FuzzThreadingEndsWithTheParent: whatever the original's References and
// In-Reply-To hold, a reply's References end with the original's id (when
// it can be written back), name no id twice, and stay within the limits.
func FuzzThreadingEndsWithTheParent(f *testing.F) {
	f.Add("b4@x", "", "b4@x b4@x p1@x")
	f.Add("m@x", "m@x", "")
	f.Add("m@x", "p@x", "r@x m@x q@x m@x")
	f.Fuzz(func(t *testing.T, id, inReplyTo, refs string) {
		th := ThreadingFor(id, inReplyTo, strings.Fields(refs))
		n := len(th.References)
		if ValidMessageID(id) && (n == 0 || th.References[n-1] != id) {
			t.Fatalf("References %q do not end with the original's id %q", th.References, id)
		}
		seen := map[string]bool{}
		for _, r := range th.References {
			if seen[r] {
				t.Fatalf("References %q name %q twice", th.References, r)
			}
			seen[r] = true
		}
		if n > MaxReferences || len(angle(th.References)) > MaxReferencesBytes+maxIDBytes+3 {
			t.Fatalf("References over the limits: %d ids, %d bytes", n, len(angle(th.References)))
		}
	})
}
