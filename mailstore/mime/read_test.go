package mime

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore"
)

// readDir holds messages of the kinds an SES inbox gets that the public
// corpus lacks, written for these tests; they seed FuzzParse too.
const readDir = "testdata/read"

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(readDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestBareCRLineEndings: a header whose lines end in a bare CR (old Mac
// mailers, some gateways), or mixes CR, LF and CRLF, is read field by
// field, as Python's email package reads it; a bare CR was read as part
// of the value, so such a header became one field and lost its Subject,
// Date and body.
func TestBareCRLineEndings(t *testing.T) {
	tests := []struct {
		file, subject, date, body string
	}{
		{"bare-cr-header.eml", "bare cr", "2026-11-02", "Hello body\nline2"},
		{"mixed-eol-header.eml", "mixed", "2026-11-02", "Hello body"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			raw := readTestdata(t, tt.file)
			for name, s := range map[string]mailstore.Summary{"Summarize": Summarize(raw), "Parse": Parse(raw).Summary} {
				if s.Subject != tt.subject || s.From.Address != "a@x.example" || s.Date.Format("2006-01-02") != tt.date {
					t.Errorf("%s: subject %q, from %q, date %v; want %q, a@x.example, %s", name, s.Subject, s.From.Address, s.Date, tt.subject, tt.date)
				}
			}
			v := Parse(raw)
			if got := strings.TrimSpace(v.Body()); got != tt.body {
				t.Errorf("body = %q, want %q", got, tt.body)
			}
			if end := HeaderEnd(raw); end < 0 || !strings.HasPrefix(string(raw[end:]), "Hello") {
				t.Errorf("HeaderEnd = %d, want the start of the body", end)
			}
		})
	}
	// The ends a partial read must not take for a whole header.
	for _, in := range []string{"A: 1\r", "A: 1\r\r", "A: 1\rB: 2\r"} {
		if got := HeaderEnd([]byte(in)); got != -1 {
			t.Errorf("HeaderEnd(%q) = %d, want -1 (a LF may follow)", in, got)
		}
	}
}
