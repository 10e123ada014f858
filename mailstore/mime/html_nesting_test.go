package mime

import (
	"strings"
	"testing"
)

// TestNestedHTMLIsLaidOutInLinearWork: the HTML-to-text step walked the
// subtree of every <pre> (to keep its indentation) and of every link (to
// read its label), so elements nested in elements of the same kind
// repeated the walk once per level: 500 nested <pre> around 60 KB of
// lines took 7 s and 1 GB (each level also added a blank to every line,
// which the text then kept), 500 nested links (inside <svg>, where links
// nest) around 1 MB of words 1.7 s and 500 MB. The work is bounded by
// the bytes allocated (the machine's load does not change them), against
// the same HTML unnested: at most 16 times that (the race detector's
// allocations make 7 of it), where the walks took 21 to 1,750 times.
func TestNestedHTMLIsLaidOutInLinearWork(t *testing.T) {
	lines, words, word := strings.Repeat("\n x", 20_000), strings.Repeat("word ", 20_000), strings.Repeat("w", 100_000)
	for _, c := range []struct{ name, nested, flat string }{
		{"pre", "a" + strings.Repeat("<pre>", 500) + lines, "a<pre>" + lines},
		{"svg-links", "<svg>" + strings.Repeat(`<a href="https://x.example/">`, 500) + words, `<svg><a href="https://x.example/">` + words},
		{"svg-one-word", "<svg>" + strings.Repeat(`<a href="https://x.example/">`, 500) + word, `<svg><a href="https://x.example/">` + word},
	} {
		var text string
		nested := allocatedBy(func() { text, _, _ = HTMLText(c.nested) })
		flat := allocatedBy(func() { _, _, _ = HTMLText(c.flat) })
		t.Logf("%s: %d bytes nested, %d flat", c.name, nested, flat)
		if nested > 16*flat {
			t.Errorf("%s: %d bytes of HTML nested allocated %d bytes to lay out, %d unnested", c.name, len(c.nested), nested, flat)
		}
		if c.name == "pre" && (strings.Count(text, "\nx") > 1 || strings.Count(text, "\n x") < 19_999 || strings.Contains(text, "  x")) {
			t.Errorf("pre: the lines did not keep their one blank: %.100q", text)
		}
	}
}

// TestLinkLabelsStillWarn: a link whose label names another site than
// the one it leads to is still marked with where it goes when the label
// is split over elements, nested in another link, or long.
func TestLinkLabelsStillWarn(t *testing.T) {
	for _, html := range []string{
		`<a href="https://evil.example/">pay<b>pal</b>.com</a>`,
		`<svg><a href="https://x.example/"><a href="https://evil.example/">paypal.com</a></a></svg>`,
		`<a href="https://evil.example/">https://paypal.com/` + strings.Repeat("x", 10_000) + `</a>`,
	} {
		if text, _, _ := HTMLText(html); !strings.Contains(text, "(goes to evil.example)") {
			t.Errorf("%.80s: %.200q", html, text)
		}
	}
	if text, _, _ := HTMLText(`<a href="https://evil.example/">pay at paypal.com</a>`); strings.Contains(text, "goes to") {
		t.Errorf("a label of words warned: %q", text)
	}
}
