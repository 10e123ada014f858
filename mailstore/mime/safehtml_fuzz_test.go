package mime

import (
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
			t.Fatalf("output does not parse: %v", err)
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
		switch n.Data {
		case "script", "iframe", "frame", "frameset", "object", "embed", "applet", "base", "link":
			t.Fatalf("a <%s> is left", n.Data)
		}
		for _, a := range n.Attr {
			k := strings.ToLower(a.Key)
			if a.Namespace != "" {
				k = strings.ToLower(a.Namespace) + ":" + k
			}
			v := strings.ToLower(strings.TrimSpace(a.Val))
			local := strings.HasPrefix(v, "data:") || strings.HasPrefix(v, "cid:")
			switch {
			case strings.HasPrefix(k, "on"):
				t.Fatalf("handler %s=%q left on <%s>", k, a.Val, n.Data)
			case (fetching[k] || k == "href" && n.Data != "a" && n.Data != "area") && !local:
				t.Fatalf("<%s %s=%q> can fetch", n.Data, k, a.Val)
			case k == "style" && strings.Contains(v, "url("):
				t.Fatalf("<%s style=%q> can fetch", n.Data, a.Val)
			}
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		checkNoFetch(t, c)
	}
}
