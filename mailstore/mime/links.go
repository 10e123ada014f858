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

// MaxTextLinks bounds the URLs looked for in a message's text: each one
// the matcher finds costs it 15 to 70 µs, so 64 KB of distinct URLs
// (3,400) held the viewer 0.1 to 0.4 s on every open. A newsletter holds
// about a hundred. The HTML body's footnoted links are not counted: the
// HTML renderer finds them at no such cost.
const MaxTextLinks = 1000

// AllLinks lists the links of the message: the HTML body's footnoted links
// first, in their numbering, then the URLs written in the text body, each
// URL once, the first MaxTextLinks found; cut is set when the search
// stopped there, with words left that may hold more. The URLs are the sender's, unsanitized.
func (v *View) AllLinks() (links []Link, cut bool) {
	seen := map[string]bool{}
	for i, u := range v.Links {
		if !seen[u] {
			seen[u] = true
			links = append(links, Link{URL: u, Footnote: i + 1})
		}
	}
	left := MaxTextLinks
	for _, text := range []string{v.Text, v.HTMLText} {
		var found []string
		found, cut = textLinks(text, left)
		left -= len(found)
		for _, u := range found {
			u = strings.TrimRight(u, ".,;:!?")
			if !seen[u] {
				seen[u] = true
				links = append(links, Link{URL: u})
			}
		}
		if cut {
			break
		}
	}
	return links, cut
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

// textLinks is the first limit URLs of textURLs().FindAllString(text, -1),
// run only on the blank-separated words that hold a ":"; cut is set when
// it stopped at limit with such words left. The matcher costs about 1 µs a byte (a 6 MB body held
// the viewer for 5 s on every open), and a URL it matches always holds a
// ":" and never a blank.
func textLinks(text string, limit int) (out []string, cut bool) {
	for {
		c := strings.IndexByte(text, ':')
		if c < 0 {
			return out, false
		}
		if len(out) >= limit {
			// A word with a ":" is left, which may hold a URL: to know,
			// the matcher would run on it, and on every one after it.
			return out, true
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
		out = append(out, textURLs().FindAllString(text[start:end], limit-len(out))...)
		text = text[end:]
	}
}
