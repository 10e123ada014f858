package mime

import (
	"regexp"
	"slices"
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
// stopped there, with words left that may hold more. The URLs are the
// sender's, unsanitized. They are found on the first call (0.2 µs a byte
// of the words holding ':' at worst: a second for 5 MB of them), and the
// later calls give the same slice, which callers must not change.
func (v *View) AllLinks() (links []Link, cut bool) {
	v.linksOnce.Do(func() { v.links, v.linksCut = v.findLinks() })
	return v.links, v.linksCut
}

// findLinks is AllLinks, done each time.
func (v *View) findLinks() (links []Link, cut bool) {
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
// looked for only in the blank-separated words that hold a ":" (a 6 MB
// body held the viewer for 5 s on every open), since a URL it matches
// always holds a ":" and never a blank; cut is set when it stopped at
// limit with such words left.
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
		out = append(out, wordLinks(text[start:end], limit-len(out))...)
		text = text[end:]
	}
}

// wordLinks is textURLs().FindAllString(word, limit), with the matcher
// run only where a scheme ends in a ':'. Searched for everywhere, it
// tries its hundreds of schemes at every byte of the word, 1.4 µs a byte:
// a word of 4 MB holding ':' ("a:a:...", or "https:" repeated) held the
// viewer's screen 6 s on every open. A match is a scheme, its ':' and
// what follows it, so what follows each ':' a scheme ends at is matched
// (afterScheme, anchored there, without the schemes), the leftmost
// scheme that is followed by a match taken first, as the search does.
func wordLinks(word string, limit int) (out []string) {
	pos := 0 // where the last match ended: a match starts at or after it
	for c := 0; len(out) < limit; c++ {
		i := strings.IndexByte(word[c:], ':')
		if i < 0 {
			return out
		}
		c += i
		after := [4]int{-1, -1, -1, -1} // by kind: what follows the ':' is matched once a kind
		for _, s := range schemeStarts(word, pos, c) {
			if after[s.kind] < 0 {
				after[s.kind] = afterSchemeMatch(word[c+1:], s.kind)
			}
			if n := after[s.kind]; n > 0 {
				out = append(out, word[s.at:c+1+n])
				pos = c + 1 + n
				c = pos - 1
				break
			}
		}
	}
	return out
}

// afterSchemeMatch is the length of the longest match of what textURLs
// matches after the ':' of a scheme of kind at the start of rest, 0 for
// none (a match is never empty).
func afterSchemeMatch(rest string, kind schemeKind) int {
	re := afterScheme()
	n := 0
	if kind&noAuthority != 0 {
		if m := re[0].FindStringIndex(rest); m != nil {
			n = m[1]
		}
	}
	if kind&withAuthority != 0 {
		if m := re[1].FindStringIndex(rest); m != nil {
			n = max(n, m[1])
		}
	}
	return n
}

// afterScheme is textURLs without its schemes, anchored: [0] matches
// what follows "scheme:", [1] what follows "scheme:" when the scheme
// takes an authority ("//" first). The schemes are the front of
// textURLs' expression, as xurls writes it (strictExp); a version of
// xurls that writes it otherwise fails here, on first use, in every test
// of the links.
var afterScheme = sync.OnceValue(func() [2]*regexp.Regexp {
	anyOf := func(list []string) string {
		quoted := make([]string, len(list))
		for i, s := range list {
			quoted[i] = regexp.QuoteMeta(s)
		}
		return "(?:" + strings.Join(quoted, "|") + ")"
	}
	schemes := `(?:(?i)(?:` + anyOf(xurls.Schemes) + `|` + anyOf(xurls.SchemesUnofficial) + `)://|` + anyOf(xurls.SchemesNoAuthority) + `:)`
	path, ok := strings.CutPrefix(textURLs().String(), schemes)
	if !ok {
		panic("mime: xurls.Strict does not start with its schemes as afterScheme expects")
	}
	var re [2]*regexp.Regexp
	for i, front := range []string{"^", "^//"} {
		re[i] = regexp.MustCompile(front + "(?:" + path + ")")
		re[i].Longest()
	}
	return re
})

// urlSchemes holds every scheme textURLs matches, lower-case (it
// matches them in any case), each with how it must go on after its ':'
// (a scheme may be both), and the longest one's length. Made on first
// use, as textURLs is.
var urlSchemes = sync.OnceValues(func() (map[string]schemeKind, int) {
	set, longest := map[string]schemeKind{}, 0
	add := func(kind schemeKind, lists ...[]string) {
		for _, list := range lists {
			for _, s := range list {
				set[strings.ToLower(s)] |= kind
				longest = max(longest, len(s))
			}
		}
	}
	add(withAuthority, xurls.Schemes, xurls.SchemesUnofficial)
	add(noAuthority, xurls.SchemesNoAuthority)
	return set, longest
})

type schemeKind uint8

// schemeStart is where a scheme begins, and how it may go on.
type schemeStart struct {
	at   int
	kind schemeKind
}

const (
	withAuthority schemeKind = 1 << iota // "scheme://"
	noAuthority                          // "scheme:"
)

// schemeStarts lists, in increasing order, the offsets s in [from, colon)
// where word[s:colon] is one of urlSchemes, with the kinds it may be
// given what follows the ':' at colon ("//" or not): where a URL whose
// scheme ends there may begin.
func schemeStarts(word string, from, colon int) []schemeStart {
	schemes, longest := urlSchemes()
	var lower [64]byte
	var starts []schemeStart
	slashes := strings.HasPrefix(word[colon+1:], "//")
	for s := colon - 1; s >= from && colon-s <= min(longest, len(lower)) && isSchemeByte(word[s]); s-- {
		n := colon - s
		for k := 0; k < n; k++ {
			lower[k] = toLowerASCII(word[s+k])
		}
		kind := schemes[string(lower[:n])]
		if !slashes {
			kind &= noAuthority
		}
		if kind != 0 {
			starts = append(starts, schemeStart{s, kind})
		}
	}
	slices.Reverse(starts)
	return starts
}

func isSchemeByte(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || b == '+' || b == '-' || b == '.'
}

func toLowerASCII(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}
