package mime

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"mvdan.cc/xurls/v2"
)

// Link is one link of a message, for a list to open or copy from.
type Link struct {
	URL string
	// Footnote is the [n] marker of an HTML link in HTMLText; 0 for a URL
	// found in the text.
	Footnote int
}

// textURLs finds URLs with a scheme (https://, mailto:...) in plain text;
// bare "example.com" is too often not a link. Compiled on first use: at
// package init it was part of every sesbox process's start
// (1 ms and 0.6 MB of it; `ls --cached` shows no links).
var textURLs = sync.OnceValue(xurls.Strict)

// AllLinks lists the links of the message: the HTML body's footnoted links
// first, in their numbering, then the URLs written in the text body, each
// URL once. The URLs are the sender's, unsanitized.
func (v *View) AllLinks() []Link {
	var out []Link
	seen := map[string]bool{}
	for i, u := range v.Links {
		if !seen[u] {
			seen[u] = true
			out = append(out, Link{URL: u, Footnote: i + 1})
		}
	}
	for _, text := range []string{v.Text, v.HTMLText} {
		for _, u := range textLinks(text) {
			u = strings.TrimRight(u, ".,;:!?")
			if !seen[u] {
				seen[u] = true
				out = append(out, Link{URL: u})
			}
		}
	}
	return out
}

// HTMLText renders an HTML part as text with numbered link footnotes, as
// the HTML body is rendered into View.HTMLText. HTML the parser refuses
// (nested too deeply) still gives its text, without layout, and no error.
func HTMLText(src string) (string, []string, error) {
	text, links, err := htmlToText(src)
	if err != nil && text != "" {
		err = nil
	}
	return text, links, err
}

// textLinks is textURLs().FindAllString(text, -1), run only on the
// blank-separated words that hold a ":". The matcher costs about 1 µs a
// byte (a 6 MB body held the viewer for 5 s on every open), and a URL it
// matches always holds a ":" and never a blank.
func textLinks(text string) []string {
	var out []string
	for {
		c := strings.IndexByte(text, ':')
		if c < 0 {
			return out
		}
		start := 0
		if i := strings.LastIndexFunc(text[:c], unicode.IsSpace); i >= 0 {
			_, n := utf8.DecodeRuneInString(text[i:])
			start = i + n
		}
		end := len(text)
		if i := strings.IndexFunc(text[c:], unicode.IsSpace); i >= 0 {
			end = c + i
		}
		out = append(out, textURLs().FindAllString(text[start:end], -1)...)
		text = text[end:]
	}
}
