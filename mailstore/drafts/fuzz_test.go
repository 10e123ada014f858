package drafts

import (
	"slices"
	"strings"
	"testing"
)

// FuzzParse: Parse never panics, never lets a line break into the subject,
// and what it reads renders back to a text that reads the same.
func FuzzParse(f *testing.F) {
	f.Add([]byte("To: a@b.example\nCc: \"Kim, M\" <kim@example.kr>\nSubject: Re: x\n\nbody\n> quote\n"))
	f.Add([]byte("to: a@b.example,\r\n  c@d.example\r\nSUBJECT: x\r\n\r\n"))
	f.Add([]byte("To: a@b.example\nBcc: evil@attacker.example\n\nx"))
	f.Fuzz(func(t *testing.T, text []byte) {
		e, err := Parse(text)
		if err != nil {
			return
		}
		if strings.ContainsAny(e.Subject, "\r\n") {
			t.Fatalf("subject %q", e.Subject)
		}
		back, err := Parse(Render(e))
		if err != nil {
			t.Fatalf("a rendered draft does not parse: %v\n%s", err, Render(e))
		}
		if !slices.Equal(back.To, e.To) || !slices.Equal(back.Cc, e.Cc) || back.Subject != e.Subject {
			t.Fatalf("round trip changed the header: %+v -> %+v", e, back)
		}
	})
}
