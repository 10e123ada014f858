package mime

import (
	"fmt"
	"net/url"
	"strings"
	"unicode"

	"github.com/inbucket/html2text"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/publicsuffix"

	"github.com/sesbox/sesbox/internal/lazyregexp"
	"github.com/sesbox/sesbox/mailstore"
)

// htmlToText renders an HTML body as readable text with each link marked by
// a numbered footnote ("click here [1]") and the targets listed at the end,
// so a reader sees where a link really goes instead of its label.
//
// html2text prints links inline as "text ( url )", which hides long tracking
// URLs badly and is hard to undo. Rewriting the parsed tree first is
// cleaner: each <a href> gets a " [n]" text node after it and loses its href,
// so html2text prints only the label and the marker.
func htmlToText(src string) (text string, links []string, err error) {
	doc, err := html.Parse(strings.NewReader(src))
	if err != nil {
		// x/net/html refuses a document of more than 512 open
		// elements (a mailer that never closes its <div> or <font> gets
		// there): its text is still the message.
		text, links = flatHTMLText(src)
		return withFootnotes(text, links), links, fmt.Errorf("parse HTML: %w; its text is shown without layout", err)
	}
	number := map[string]int{} // the same target keeps the same number
	for _, a := range asShown(doc) {
		href := ""
		attrs := a.Attr[:0]
		for _, at := range a.Attr {
			if at.Namespace == "" && strings.EqualFold(at.Key, "href") {
				href = strings.TrimSpace(at.Val)
				continue
			}
			attrs = append(attrs, at)
		}
		a.Attr = attrs
		if href == "" || strings.HasPrefix(href, "#") {
			continue // same-document anchors lead nowhere outside
		}
		n, ok := number[href]
		if !ok {
			links = append(links, href)
			n = len(links)
			number[href] = n
		}
		label := fmt.Sprintf("[%d]", n)
		if host, ok := otherSite(linkLabel(a), href); ok {
			label += " (goes to " + host + ")"
		}
		marker := &html.Node{Type: html.TextNode, Data: label}
		if a.Parent != nil {
			a.Parent.InsertBefore(marker, a.NextSibling)
		} else {
			a.AppendChild(marker)
		}
	}
	text, err = html2text.FromHTMLNode(doc, html2text.Options{})
	if err != nil {
		return "", nil, fmt.Errorf("render HTML: %w", err)
	}
	// html2text puts a space between every two text runs, so "<a>x</a>, y"
	// comes out as "x , y". No script writes a space before a comma.
	if len(text) > maxLayoutGrowth*len(src)+layoutSlack {
		// Deep nesting repeats its indentation on every line.
		text, links = flatHTMLText(src)
		return withFootnotes(text, links), links, fmt.Errorf("HTML nested so deeply that its layout is over %d times its size; its text is shown without layout", maxLayoutGrowth)
	}
	text = spaceComma().ReplaceAllString(text, "$1,")
	// The <pre> blank lines asShown held open are blank again; a body's
	// trailing ones mean nothing.
	text = strings.TrimRight(strings.ReplaceAll(text, preBlank, ""), "\n")
	return withFootnotes(text, links), links, nil
}

// preBlank holds a blank line of a <pre> open through html2text, which
// trims the whole text and folds every run of blank lines into one: an
// HTML body starting with <pre>\n\n lost its blank first line. A private
// use character: no text means anything by it, and htmlToText removes
// every one.
const preBlank = "\uE000"

// otherSite says where href leads when label reads as the address of a
// site (a URL, or a bare host name) other than the one href leads to, as
// a phishing link's label does: the host of an http(s) href, compared by
// registrable domain (mail.google.com and accounts.google.com are one
// site), or the scheme of any other ("a javascript: link"), which leads
// to no site at all. A relative href names no scheme and gets no note.
func otherSite(label, href string) (string, bool) {
	label = strings.TrimSpace(label)
	if label == "" || strings.ContainsAny(label, " \t\n@") {
		return "", false
	}
	if !strings.Contains(label, "://") {
		label = "http://" + label
	}
	shown, err := url.Parse(label)
	if err != nil {
		return "", false
	}
	site := func(host string) string {
		host = strings.TrimSuffix(strings.ToLower(host), ".")
		tld := host[strings.LastIndexByte(host, '.')+1:]
		if !strings.Contains(host, ".") || len(tld) < 2 || strings.Trim(tld, "abcdefghijklmnopqrstuvwxyz") != "" {
			return "" // not a host name: "version 1.2", "v1.2"
		}
		if d, err := publicsuffix.EffectiveTLDPlusOne(host); err == nil {
			return d
		}
		return host
	}
	a := site(shown.Hostname())
	if a == "" {
		return "", false
	}
	switch scheme := hrefScheme(href); scheme {
	case "":
		return "", false
	case "http", "https":
		target, err := url.Parse(href)
		if err != nil {
			return "", false
		}
		if b := site(target.Hostname()); b == "" || a == b {
			return "", false
		}
		return target.Hostname(), true
	default:
		return "a " + scheme + ": link", true
	}
}

// maxSchemeBytes bounds the scheme a note names: RFC 3986 sets no length.
const maxSchemeBytes = 32

// hrefScheme is href's URL scheme in lower case ("" when it has none) as
// a browser reads it: the tabs and line breaks it drops anywhere in a URL
// dropped first ("java\tscript:"), and without url.Parse, which refuses
// "javascript:alert('%zz')" that a browser still runs.
func hrefScheme(href string) string {
	href = strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(href)
	i := strings.IndexByte(href, ':')
	if i <= 0 {
		return ""
	}
	for j, c := range href[:i] {
		letter := 'a' <= c|0x20 && c|0x20 <= 'z'
		if !letter && (j == 0 || !strings.ContainsRune("0123456789+-.", c)) {
			return ""
		}
	}
	scheme := strings.ToLower(href[:i])
	if len(scheme) > maxSchemeBytes {
		scheme = scheme[:maxSchemeBytes] + "…"
	}
	return scheme
}

// Bounds on the label linkLabel reads: a label that reads as a site's
// address is a host name or a URL, whose host comes first.
const (
	maxLabelBytes = 2048
	maxLabelNodes = 1024
)

// linkLabel is the text under the link a, as otherSite reads it, or ""
// when it cannot read as a site's address (words, an '@'). Links nest
// (in <svg>, or in a table cell inside a link), so reading every label
// whole read the text under the outermost once per level below it: 500
// levels around 1 MB of words made 500 MB. The walk stops where the
// label can no longer be an address (the blank between two words, as
// otherSite reads them, or an '@'), and after maxLabelBytes of text or
// maxLabelNodes nodes: a label that long is read by its start, where an
// address's host is.
func linkLabel(a *html.Node) string {
	var b strings.Builder
	nodes := 0
	// started: text other than blanks seen; blank: a blank after it.
	started, blank, words := false, false, false
	var walk func(*html.Node) bool // false: stop
	walk = func(n *html.Node) bool {
		if nodes++; nodes > maxLabelNodes {
			return false
		}
		if n.Type == html.TextNode {
			for _, r := range n.Data {
				switch {
				case b.Len() >= maxLabelBytes:
					return false
				case r == '@':
					words = true
					return false
				case r == ' ' || r == '\t' || r == '\n':
					blank = started
				case unicode.IsSpace(r):
				case blank:
					words = true
					return false
				default:
					started = true
				}
				b.WriteRune(r)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if !walk(c) {
				return false
			}
		}
		return true
	}
	walk(a)
	if words {
		return ""
	}
	return b.String()
}

// asShown rewrites doc into what a graphical client shows, for html2text,
// and returns its links (<a>) in document order:
//   - an element the HTML hides (display:none, visibility:hidden, the
//     hidden attribute) goes: bulk mailers hide a preheader (the inbox
//     preview) and text meant only for spam filters, which the reader
//     never sees elsewhere;
//   - an image with alt text becomes "[image: alt]", as mature clients
//     show it when they load no images (html2text drops it);
//   - a table row ends in a line break (html2text runs rows together
//     unless it draws every layout table as a grid);
//   - <pre> text starts and ends a line and keeps its indentation
//     (html2text removes one blank after every line break) and its blank
//     lines (preBlank).
func asShown(doc *html.Node) (anchors []*html.Node) {
	var hidden, images, rows, pres []*html.Node
	outer := map[*html.Node]bool{} // the <pre>s inside no other
	below := fontSizeBelow{}
	inPre := false
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			if isHidden(n, below) {
				hidden = append(hidden, n)
				return
			}
			switch n.DataAtom {
			case atom.A:
				anchors = append(anchors, n)
			case atom.Img:
				images = append(images, n)
			case atom.Tr:
				rows = append(rows, n)
			case atom.Pre:
				pres = append(pres, n)
				if !inPre {
					outer[n] = true
					inPre = true
					defer func() { inPre = false }()
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	for _, n := range hidden {
		if n.Parent != nil {
			n.Parent.RemoveChild(n)
		}
	}
	for _, img := range images {
		if alt := strings.Join(strings.Fields(attr(img, "alt")), " "); alt != "" && img.Parent != nil {
			img.Parent.InsertBefore(&html.Node{Type: html.TextNode, Data: "[image: " + alt + "]"}, img)
			img.Parent.RemoveChild(img)
		}
	}
	for _, tr := range rows {
		tr.AppendChild(&html.Node{Type: html.ElementNode, DataAtom: atom.Br, Data: "br"})
	}
	for _, pre := range pres {
		if c := pre.FirstChild; c != nil && c.Type == html.TextNode {
			c.Data = "\n" + c.Data // so its first line keeps its blanks too
		} else {
			pre.InsertBefore(&html.Node{Type: html.TextNode, Data: "\n"}, c)
		}
		// html2text removes one blank a line however many <pre> it is
		// in: the text under the outermost gets one more, once (each
		// level adding its own made 500 nested <pre> around 60 KB of
		// lines 1 GB and 7 s of work, and 500 blanks a line).
		var indent func(n *html.Node)
		indent = func(n *html.Node) {
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				if c.Type == html.TextNode {
					c.Data = strings.ReplaceAll(c.Data, "\n ", "\n  ")
					// Twice: "\n\n\n" has two blank lines.
					for range 2 {
						c.Data = strings.ReplaceAll(c.Data, "\n\n", "\n"+preBlank+"\n")
					}
				}
				indent(c)
			}
		}
		if outer[pre] {
			indent(pre)
		}
		pre.AppendChild(&html.Node{Type: html.TextNode, Data: "\n"})
	}
	return anchors
}

// isHidden reports an element its own markup hides from view.
func isHidden(n *html.Node, below fontSizeBelow) bool {
	if n.DataAtom == atom.Template {
		return true // its content is for scripts: no browser draws it
	}
	for _, a := range n.Attr {
		switch strings.ToLower(a.Key) {
		case "hidden":
			return true
		case "style":
			if hides, fontZero := hidingStyle(a.Val); hides || fontZero && !below.of(n) {
				return true
			}
		}
	}
	return false
}

// fontSizeBelow reports whether an element under n has a font size of its
// own: a zero font size on a wrapper is the common layout trick that
// removes the gaps between inline-block columns, whose text sets its own
// size and shows. Each node's answer is kept, so that wrappers nested in
// wrappers do not search the same subtree again (quadratic).
type fontSizeBelow map[*html.Node]bool

func (m fontSizeBelow) of(n *html.Node) bool {
	if v, ok := m[n]; ok {
		return v
	}
	v := false
	for c := n.FirstChild; c != nil && !v; c = c.NextSibling {
		v = c.Type == html.ElementNode && (strings.Contains(strings.ToLower(attr(c, "style")), "font-size") || m.of(c))
	}
	m[n] = v
	return v
}

// hidingStyle reports an inline style that hides its element (hides):
// display:none, visibility:hidden, opacity 0, or no height or no width
// with the overflow hidden (how bulk mailers hide a preheader from
// clients that ignore display:none); and one that hides only the text
// that does not set its own size (fontZero).
func hidingStyle(style string) (hides, fontZero bool) {
	decl := map[string]string{}
	for _, d := range strings.Split(strings.ToLower(style), ";") {
		k, v, ok := strings.Cut(d, ":")
		if ok {
			v = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "!important"))
			decl[strings.TrimSpace(k)] = v
		}
	}
	zero := func(v string) bool {
		n := strings.TrimRight(v, "abcdefghijklmnopqrstuvwxyz%")
		return n != "" && strings.Trim(n, "0.") == "" && strings.Contains(n, "0")
	}
	noBox := zero(decl["max-height"]) || zero(decl["height"]) || zero(decl["max-width"]) || zero(decl["width"])
	return decl["display"] == "none" || decl["visibility"] == "hidden" || zero(decl["opacity"]) ||
		(noBox && decl["overflow"] == "hidden"), zero(decl["font-size"])
}

// attr is the value of n's attribute key (any case), or "".
func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Namespace == "" && strings.EqualFold(a.Key, key) {
			return a.Val
		}
	}
	return ""
}

// A layout may be this many times the size of its HTML, plus
// layoutSlack. Laid out, text is smaller than its HTML (the tags go) but
// for the indentation of blockquotes and lists, which html2text repeats
// on every line: 500 nested blockquotes made 66 KB of HTML 6.4 MB of
// text, which the viewer wrapped and searched for links for 14 s.
const (
	maxLayoutGrowth = 4
	layoutSlack     = 64 << 10
)

// maxDataFootnote is the longest data: URI footnoted whole.
const maxDataFootnote = 100

// withFootnotes appends the numbered link targets to text.
func withFootnotes(text string, links []string) string {
	if len(links) == 0 {
		return text
	}
	var b strings.Builder
	b.WriteString(text)
	b.WriteString("\n\n")
	for i, l := range links {
		if strings.HasPrefix(strings.ToLower(l), "data:") && len(l) > maxDataFootnote {
			// The content is no address to read: its type and size.
			head, _, _ := strings.Cut(l, ",")
			l = fmt.Sprintf("%s,… (%s)", head[:min(len(head), maxDataFootnote)], mailstore.FormatSize(int64(len(l)-len(head)-1)))
		}
		fmt.Fprintf(&b, "[%d] %s\n", i+1, l)
	}
	return strings.TrimRight(b.String(), "\n")
}

// flatHTMLText is the text of HTML the parser refused, read token by
// token: no layout, a line break where a block starts or ends, whitespace
// collapsed, script, style and head left out, and each link's target
// footnoted after its label as htmlToText does.
func flatHTMLText(src string) (string, []string) {
	z := html.NewTokenizer(strings.NewReader(src))
	var b strings.Builder
	var links []string
	number := map[string]int{}
	skip := atom.Atom(0) // inside script, style, head, title: up to its end
	pending := 0         // the footnote of the open link, written when it ends
	space := false       // a blank is owed before the next text
	// write writes t's words, after a blank where one is owed.
	write := func(t string) {
		for _, word := range strings.Fields(t) {
			if s := b.String(); space && s != "" && !strings.HasSuffix(s, "\n") {
				b.WriteByte(' ')
			}
			b.WriteString(word)
			space = true
		}
	}
	closeLink := func() {
		if pending > 0 {
			fmt.Fprintf(&b, " [%d]", pending)
			pending = 0
		}
	}
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		name, _ := z.TagName()
		a := atom.Lookup(name)
		switch tt {
		case html.TextToken:
			if skip != 0 {
				continue
			}
			t := html.UnescapeString(string(z.Text()))
			if strings.TrimLeft(t, " \t\r\n\f") == "" {
				space = space || t != ""
				continue
			}
			space = space || isHTMLSpace(t[0])
			write(t)
			space = isHTMLSpace(t[len(t)-1])
		case html.StartTagToken, html.SelfClosingTagToken:
			switch a {
			case atom.Img:
				for more := true; more && skip == 0; {
					var k, v []byte
					k, v, more = z.TagAttr()
					if alt := strings.Join(strings.Fields(string(v)), " "); strings.EqualFold(string(k), "alt") && alt != "" {
						write("[image: " + alt + "]")
						space = true
					}
				}
			case atom.Script, atom.Style, atom.Head, atom.Title:
				if tt == html.StartTagToken && skip == 0 {
					skip = a
				}
			case atom.A:
				closeLink()
				for {
					k, v, more := z.TagAttr()
					if strings.EqualFold(string(k), "href") {
						if href := strings.TrimSpace(string(v)); href != "" && !strings.HasPrefix(href, "#") {
							n, ok := number[href]
							if !ok {
								links = append(links, href)
								n = len(links)
								number[href] = n
							}
							pending = n
						}
					}
					if !more {
						break
					}
				}
			}
			if isBlock(a) {
				newline(&b)
			}
		case html.EndTagToken:
			switch {
			case a == skip:
				skip = 0
			case a == atom.A:
				closeLink()
			case isBlock(a):
				newline(&b)
			}
		}
	}
	closeLink()
	return strings.TrimSpace(b.String()), links
}

func isHTMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' }

// newline ends the line in b, unless it is empty or already ended.
func newline(b *strings.Builder) {
	if s := b.String(); s != "" && !strings.HasSuffix(s, "\n") {
		b.WriteByte('\n')
	}
}

// isBlock reports the elements that start a line of their own.
func isBlock(a atom.Atom) bool {
	switch a {
	case atom.Br, atom.P, atom.Div, atom.Tr, atom.Li, atom.Table, atom.Blockquote, atom.Pre, atom.Hr,
		atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Ul, atom.Ol, atom.Dl, atom.Dt, atom.Dd,
		atom.Section, atom.Article, atom.Header, atom.Footer, atom.Center, atom.Body:
		return true
	}
	return false
}

var spaceComma = lazyregexp.New(`(\S) ,`)
