package mime

import (
	"strings"
	"sync"

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
		for _, u := range textURLs().FindAllString(text, -1) {
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
