package mime

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// FuzzSafeHTML checks SafeHTML on what a browser would see: its output
// parsed again. Whatever the sender wrote, the policy metas open <head>,
// and no element left can fetch: no script, frame, object, link or base,
// no event handler, and every fetching attribute is data: or cid:.
func FuzzSafeHTML(f *testing.F) {
	f.Add(hostileHTML)
	f.Add(`<table><form><tr><td><img src=//x.example/a></form></table>`)
	f.Add(`<svg><image xlink:href="https://x.example/i.png"/><use href="https://x.example/#a"/></svg>`)
	f.Add(`<math><mtext><table><mglyph><style><img src=https://x.example/m>`)
	f.Add(`<noscript><p title="</noscript><img src=https://x.example/n>">`)
	f.Add(`<head><meta http-equiv="Content-Security-Policy" content="default-src *"></head><img src=https://x.example>`)
	f.Add(strings.Repeat("<div>", 600) + hostileHTML)
	files, _ := filepath.Glob("../demo/messages/*.eml")
	for _, p := range files {
		raw, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		if v := Parse(raw); v.HTML != "" {
			f.Add(v.HTML)
		}
	}
	f.Fuzz(func(t *testing.T, src string) {
		out, err := SafeHTML(src, nil)
		if err != nil {
			return // a refusal loads nothing either
		}
		doc, err := html.Parse(strings.NewReader(string(out)))
		if err != nil {
			if _, deep := html.Parse(strings.NewReader(src)); deep == nil {
				t.Fatalf("output does not parse: %v", err)
			}
			checkTokens(t, out) // nested too deeply for a tree
			return
		}
		checkNoFetch(t, doc)
		var metas []*html.Node
		var find func(n *html.Node)
		find = func(n *html.Node) {
			if n.Type == html.ElementNode && n.Data == "head" && metas == nil {
				for c := n.FirstChild; c != nil && len(metas) < 3; c = c.NextSibling {
					metas = append(metas, c)
				}
				return
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				find(c)
			}
		}
		find(doc)
		if len(metas) < 2 || metas[1].Data != "meta" || attr(metas[1], "content") != CSP {
			t.Fatalf("the CSP does not open <head>:\n%s", out)
		}
	})
}

func checkNoFetch(t *testing.T, n *html.Node) {
	t.Helper()
	if n.Type == html.ElementNode {
		checkElement(t, n.Data, n.Attr)
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		checkNoFetch(t, c)
	}
}

// checkElement fails on an element that can fetch: by its name, a
// handler, or a fetching attribute that is not data: or cid:.
func checkElement(t *testing.T, name string, attrs []html.Attribute) {
	t.Helper()
	switch name {
	case "script", "iframe", "frame", "frameset", "object", "embed", "applet", "base", "link":
		t.Fatalf("a <%s> is left", name)
	}
	for _, a := range attrs {
		k := strings.ToLower(a.Key)
		if a.Namespace != "" {
			k = strings.ToLower(a.Namespace) + ":" + k
		}
		v := strings.ToLower(strings.TrimSpace(a.Val))
		local := strings.HasPrefix(v, "data:") || strings.HasPrefix(v, "cid:")
		switch {
		case strings.HasPrefix(k, "on"):
			t.Fatalf("handler %s=%q left on <%s>", k, a.Val, name)
		case (fetching[k] || k == "href" && name != "a" && name != "area") && !local:
			t.Fatalf("<%s %s=%q> can fetch", name, k, a.Val)
		case k == "style" && strings.Contains(v, "url("):
			t.Fatalf("<%s style=%q> can fetch", name, a.Val)
		}
	}
}

// checkTokens is the check of output nested too deeply for html.Parse: no
// start tag can fetch, and the three policy metas come before any other.
func checkTokens(t *testing.T, out []byte) {
	t.Helper()
	z := html.NewTokenizer(bytes.NewReader(out))
	var first []html.Token
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		if tok := z.Token(); tt == html.StartTagToken || tt == html.SelfClosingTagToken {
			checkElement(t, tok.Data, tok.Attr)
			first = append(first, tok)
		}
	}
	if len(first) < 3 || first[0].Data != "meta" || attr(&html.Node{Attr: first[1].Attr}, "content") != CSP || first[2].Data != "meta" {
		t.Fatalf("the policy metas do not come first:\n%.500s", out)
	}
}
