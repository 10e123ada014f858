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
// without a fetch. HTML the parser refuses (more than 512 open elements:
// a mailer that never closes its <div> or <font> gets there) is made safe
// token by token instead (safeHTMLTokens), as its text is read.
func SafeHTML(src string, parts []Part) ([]byte, error) {
	byCID := map[string]Part{}
	for _, p := range parts {
		if id := strings.Trim(strings.TrimSpace(p.ContentID), "<>"); id != "" && strings.HasPrefix(p.ContentType, "image/") {
			byCID[strings.ToLower(id)] = p
		}
	}
	doc, err := html.Parse(strings.NewReader(src))
	if err != nil {
		return safeHTMLTokens(src, byCID), nil
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
				if metaToDrop(n.Attr) {
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
	first := head.FirstChild
	for _, attrs := range policyMetas {
		head.InsertBefore(&html.Node{Type: html.ElementNode, Data: "meta", DataAtom: atom.Meta, Attr: attrs}, first)
	}
	var b bytes.Buffer
	if err := html.Render(&b, doc); err != nil {
		return nil, fmt.Errorf("render HTML: %w", err)
	}
	return b.Bytes(), nil
}

// policyMetas are the attributes of the <meta> elements that open <head>.
var policyMetas = [][]html.Attribute{
	{{Key: "charset", Val: "utf-8"}},
	{{Key: "http-equiv", Val: "Content-Security-Policy"}, {Key: "content", Val: CSP}},
	{{Key: "name", Val: "referrer"}, {Key: "content", Val: "no-referrer"}},
}

// safeHTMLTokens is SafeHTML for HTML that html.Parse refuses, on its
// tokens: the policy metas come before every other tag (a browser puts a
// <meta> it meets before <html> into the <head> it makes, and ignores
// the <head> tag that follows), then the sender's tags with the same
// elements and attributes dropped. Without a tree the drops are by tag:
// the text of script, iframe, noscript, noembed and noframes (the
// tokenizer reads it as raw text up to the end tag, as a browser does)
// goes with its tags; the children of the other dropped elements stay,
// cleaned like the rest. Comments go too (conditional comments load
// things in old browsers).
func safeHTMLTokens(src string, byCID map[string]Part) []byte {
	z := html.NewTokenizer(strings.NewReader(src))
	var b bytes.Buffer
	policy := false
	writePolicy := func() {
		if policy {
			return
		}
		policy = true
		for _, attrs := range policyMetas {
			b.WriteString(html.Token{Type: html.SelfClosingTagToken, Data: "meta", Attr: attrs}.String())
		}
	}
	skip := atom.Atom(0) // inside an element dropped with its text, up to its end tag
	style := false       // the token is the raw text of a <style>
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		inStyle := style
		style = false
		if tt == html.TextToken && inStyle {
			// CSS as written (escaping would turn "a > b" into
			// "a &gt; b"), but no "<": inside <svg> or <math> a
			// browser reads <style> as markup, and CSS needs "<"
			// only in strings and comments, where \3c is the same.
			writePolicy()
			b.WriteString(strings.ReplaceAll(string(z.Raw()), "<", `\3c `))
			continue
		}
		tok := z.Token()
		switch {
		case skip != 0:
			if tt == html.EndTagToken && tok.DataAtom == skip {
				skip = 0
			}
			continue
		case tt == html.CommentToken:
			continue
		case tt == html.DoctypeToken:
			if !policy {
				b.WriteString(tok.String()) // a doctype after the metas would be ignored: quirks mode
			}
			continue
		case tt == html.TextToken:
			if policy || strings.TrimSpace(tok.Data) != "" {
				writePolicy()
			}
			b.WriteString(tok.String())
			continue
		}
		writePolicy()
		switch tok.DataAtom {
		case atom.Script, atom.Iframe, atom.Noscript, atom.Noembed, atom.Noframes:
			if tt != html.EndTagToken {
				skip = tok.DataAtom
			}
			continue
		case atom.Frame, atom.Frameset, atom.Object, atom.Embed, atom.Applet, atom.Base, atom.Link:
			continue
		case atom.Meta:
			if metaToDrop(tok.Attr) {
				continue
			}
		}
		if tt == html.EndTagToken {
			b.WriteString("</" + tok.Data + ">") // attributes on an end tag mean nothing
			continue
		}
		tok.Attr = safeAttrs(tok.Data, tok.Attr, byCID)
		style = tok.DataAtom == atom.Style
		b.WriteString(tok.String())
	}
	writePolicy()
	return b.Bytes()
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
func metaToDrop(attrs []html.Attribute) bool {
	for _, a := range attrs {
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
