package mime

import (
	"fmt"
	"strings"

	"github.com/inbucket/html2text"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/sesbox/sesbox/internal/lazyregexp"
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
		return "", nil, fmt.Errorf("parse HTML: %w", err)
	}
	number := map[string]int{} // the same target keeps the same number
	var anchors []*html.Node
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.DataAtom == atom.A {
			anchors = append(anchors, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	for _, a := range anchors {
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
		marker := &html.Node{Type: html.TextNode, Data: fmt.Sprintf("[%d]", n)}
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
	text = spaceComma().ReplaceAllString(text, "$1,")
	if len(links) > 0 {
		var b strings.Builder
		b.WriteString(text)
		b.WriteString("\n\n")
		for i, l := range links {
			fmt.Fprintf(&b, "[%d] %s\n", i+1, l)
		}
		text = strings.TrimRight(b.String(), "\n")
	}
	return text, links, nil
}

var spaceComma = lazyregexp.New(`(\S) ,`)
