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

// TestHTMLReadsAsAMailClientShowsIt: the HTML body as text shows what a
// graphical client shows, and no more: an image by its alt text, as
// mature clients do ("[image: alt]"; it was dropped, and a mail of images
// read as nothing), each table row on its own line (rows ran together),
// and no text the HTML hides (a display:none preheader was shown) or that
// is not text (style, script). A link shows its label and, in a footnote,
// where it really goes.
func TestHTMLReadsAsAMailClientShowsIt(t *testing.T) {
	v := Parse(readTestdata(t, "html-newsletter.eml"))
	text := v.Body()
	for _, want := range []string{"[image: Company logo]", "\nItem Price\n", "\nBook $10\n", "https://paypal.com/login [1]",
		"[1] https://evil.example/login", "  code   line\n    indented"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	for _, unwanted := range []string{"PREHEADER", "alert", "color:red", "[image: ]", "p.gif"} {
		if strings.Contains(text, unwanted) {
			t.Errorf("text shows %q:\n%s", unwanted, text)
		}
	}
}

// TestFlatHTMLShowsImagesByAlt: HTML nested too deeply for the parser is
// read token by token, and shows an image by its alt text too.
func TestFlatHTMLShowsImagesByAlt(t *testing.T) {
	text, _, err := htmlToText(strings.Repeat("<div>", 600) + `x <img src="a.png" alt=" Sale  banner "><img alt="">y`)
	if err == nil || !strings.Contains(text, "x [image: Sale banner] y") {
		t.Errorf("flat text = %q (err %v), want the image's alt between x and y", text, err)
	}
}
