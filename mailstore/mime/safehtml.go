package mime

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// CSP is the Content-Security-Policy an HTML body is shown under in a
// browser: nothing is fetched (no remote images, tracking pixels, scripts,
// fonts, frames or form posts); inline styles and data: images still work.
const CSP = "default-src 'none'; img-src data: cid:; style-src 'unsafe-inline'; font-src data:; form-action 'none'; base-uri 'none'"

// SafeHTML rewrites an HTML body (decoded to UTF-8) so that a browser
// opening it loads nothing remote: a strict CSP meta tag first in <head>,
// a no-referrer policy, and, in case a browser ignores the CSP, every
// attribute that fetches something (src, srcset, background, poster, data,
// <link href>, CSS url() in style attributes) removed unless it is data:
// or cid:. Scripts, frames, objects, <base> and meta refreshes are
// dropped, and the charset is declared UTF-8 (the text was decoded).
// Images the message carries (cid: references to parts, by Content-ID)
// are put inline as data: URLs, so the message looks as its sender meant
// without a fetch.
func SafeHTML(src string, parts []Part) ([]byte, error) {
	byCID := map[string]Part{}
	for _, p := range parts {
		if id := strings.Trim(strings.TrimSpace(p.ContentID), "<>"); id != "" && strings.HasPrefix(p.ContentType, "image/") {
			byCID[strings.ToLower(id)] = p
		}
	}
	doc, err := html.Parse(strings.NewReader(src))
	if err != nil {
		return nil, fmt.Errorf("parse HTML: %w", err)
	}
	var head *html.Node
	var drop []*html.Node
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.DataAtom {
			case atom.Head:
				if head == nil {
					head = n
				}
			case atom.Script, atom.Iframe, atom.Frame, atom.Frameset, atom.Object, atom.Embed,
				atom.Applet, atom.Base, atom.Noscript:
				drop = append(drop, n)
				return
			case atom.Meta:
				if metaToDrop(n) {
					drop = append(drop, n)
					return
				}
			case atom.Link:
				drop = append(drop, n) // stylesheets, preloads, prefetches: all fetch
				return
			}
			n.Attr = safeAttrs(n.Data, n.Attr, byCID)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	for _, n := range drop {
		if n.Parent != nil {
			n.Parent.RemoveChild(n)
		}
	}
	if head == nil {
		// html.Parse always makes one; keep the promise if it ever does not.
		head = &html.Node{Type: html.ElementNode, Data: "head", DataAtom: atom.Head}
		if root := findElement(doc, atom.Html); root != nil {
			root.InsertBefore(head, root.FirstChild)
		} else {
			doc.InsertBefore(head, doc.FirstChild)
		}
	}
	meta := func(attrs ...html.Attribute) *html.Node {
		return &html.Node{Type: html.ElementNode, Data: "meta", DataAtom: atom.Meta, Attr: attrs}
	}
	first := head.FirstChild
	for _, m := range []*html.Node{
		meta(html.Attribute{Key: "charset", Val: "utf-8"}),
		meta(html.Attribute{Key: "http-equiv", Val: "Content-Security-Policy"}, html.Attribute{Key: "content", Val: CSP}),
		meta(html.Attribute{Key: "name", Val: "referrer"}, html.Attribute{Key: "content", Val: "no-referrer"}),
	} {
		head.InsertBefore(m, first)
	}
	var b bytes.Buffer
	if err := html.Render(&b, doc); err != nil {
		return nil, fmt.Errorf("render HTML: %w", err)
	}
	return b.Bytes(), nil
}

func findElement(n *html.Node, a atom.Atom) *html.Node {
	if n.Type == html.ElementNode && n.DataAtom == a {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := findElement(c, a); f != nil {
			return f
		}
	}
	return nil
}

// metaToDrop: the sender's charset (the text is UTF-8 now), refreshes and
// redirects, and any CSP of theirs (which could only loosen ours by
// confusion).
func metaToDrop(n *html.Node) bool {
	for _, a := range n.Attr {
		k := strings.ToLower(a.Key)
		if k == "charset" {
			return true
		}
		if k == "http-equiv" {
			switch strings.ToLower(strings.TrimSpace(a.Val)) {
			case "refresh", "content-type", "content-security-policy", "set-cookie", "link":
				return true
			}
		}
	}
	return false
}

// fetching are attributes a browser loads a resource from.
var fetching = map[string]bool{
	"src": true, "srcset": true, "background": true, "poster": true, "data": true,
	"lowsrc": true, "dynsrc": true, "codebase": true, "archive": true, "longdesc": true,
	"formaction": true, "action": true, "ping": true, "xlink:href": true, "imagesrcset": true,
}

// safeAttrs drops what fetches from an element's attributes; href stays
// only on links (a, area), where it is followed only on a click.
func safeAttrs(elem string, attrs []html.Attribute, byCID map[string]Part) []html.Attribute {
	link := elem == "a" || elem == "area"
	out := attrs[:0]
	for _, a := range attrs {
		k := strings.ToLower(a.Key)
		if a.Namespace != "" {
			k = strings.ToLower(a.Namespace) + ":" + k
		}
		switch {
		case strings.HasPrefix(k, "on"):
			continue // event handlers: script
		case fetching[k] || (k == "href" && !link):
			v := strings.ToLower(strings.TrimSpace(a.Val))
			if k == "srcset" {
				continue
			}
			if id, ok := strings.CutPrefix(v, "cid:"); ok {
				if p, ok := byCID[id]; ok && !strings.ContainsAny(p.ContentType, "\"'<> ;,") {
					a.Val = "data:" + p.ContentType + ";base64," + base64.StdEncoding.EncodeToString(p.Content)
				}
				out = append(out, a)
				continue
			}
			if strings.HasPrefix(v, "data:") {
				out = append(out, a)
			}
			continue
		case k == "style" && strings.Contains(strings.ToLower(a.Val), "url("):
			continue
		}
		out = append(out, a)
	}
	return out
}
