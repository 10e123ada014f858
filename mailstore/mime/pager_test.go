package mime

import (
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/sesbox/sesbox/mailstore/testutil/cpubudget"
)

func TestAllLinks(t *testing.T) {
	v := &View{
		Text: "See https://example.com/a, and (mailto:help@example.org). Again https://example.com/a.\n" +
			"Not a link: example.net. Also http://x.example/p?q=1&r=2#f.",
		Links: []string{"https://shop.example/buy", "https://example.com/a", "https://shop.example/buy"},
	}
	v.HTMLText = "Buy [1]\n\n[1] https://shop.example/buy\n[2] https://example.com/a"
	got, cut := v.AllLinks()
	if cut {
		t.Error("cut, yet every link was listed")
	}
	want := []Link{
		{URL: "https://shop.example/buy", Footnote: 1},
		{URL: "https://example.com/a", Footnote: 2},
		{URL: "mailto:help@example.org"},
		{URL: "http://x.example/p?q=1&r=2#f"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v\nwant %#v", got, want)
	}
}

func TestAllLinksOfADemoNewsletter(t *testing.T) {
	raw, err := os.ReadFile("../demo/messages/nq31hrpsnr23r3g1d1i0rv6v2rpv24msu90nsnfk.eml")
	if err != nil {
		t.Fatal(err)
	}
	v := Parse(raw)
	links, _ := v.AllLinks()
	if len(v.Links) == 0 || len(links) < len(v.Links) {
		t.Fatalf("%d footnotes, %d links", len(v.Links), len(links))
	}
	for i, l := range links[:len(v.Links)] {
		if l.Footnote != i+1 || !strings.Contains(v.HTMLText, l.URL) {
			t.Errorf("link %d: %#v", i, l)
		}
	}
}

func TestIsNote(t *testing.T) {
	for w, want := range map[string]bool{
		"[W] Plain Text from HTML: Message did not contain a text/plain part":                                                   true,
		"[W] Character Set Declaration Mismatch: declared ISO-8859-1, detected UTF-8":                                           true,
		`text/plain part declared charset "gb2312" but holds UTF-8; read as UTF-8`:                                              true,
		"[E] Malformed Base64: illegal base64 data at input byte 4":                                                             false,
		"[W] Malformed Base64: unexpected '!' in base64 stream":                                                                 true,
		`[W] Character Set Conversion: failed to get reader for charset "x-unknown-8bit": unsupported charset "x-unknown-8bit"`: true,
		fmt.Sprintf(ForgedSESWarning, "X-SES-Spam-Verdict"):                                                                     false,
		"no text body":   false,
		"no Date header": false,
	} {
		if IsNote(w) != want {
			t.Errorf("IsNote(%q) != %v", w, want)
		}
	}
	raw, _ := os.ReadFile("../demo/messages/51q3q5f6re1oui0b9i8uifaetjtfuhhc92evfqoa.eml")
	notes := 0
	for _, w := range Parse(raw).Warnings {
		if IsNote(w) {
			notes++
		}
	}
	if notes != 1 {
		t.Fatalf("an HTML-only message should carry one note: %q", Parse(raw).Warnings)
	}
}

const hostileHTML = `<html><head><meta charset="iso-8859-1"><meta http-equiv="refresh" content="0;url=https://evil.example/">
<link rel="stylesheet" href="https://evil.example/s.css"><script src="https://evil.example/x.js"></script>
<base href="https://evil.example/"></head>
<body background="https://evil.example/bg.png" onload="alert(1)">
<img src="https://track.example/pixel.gif?u=me" srcset="https://track.example/2x.gif 2x" alt="pixel">
<img src="data:image/png;base64,iVBORw0KGgo=" alt="inline">
<img src="cid:logo@x"><img src="cid:unknown@x">
<img SRC="//protocol-relative.example/a.png">
<div style="background:url(https://track.example/css.png)">styled</div><svg><image href="https://track.example/svg.png"/></svg>
<video poster="https://evil.example/p.jpg"><source src="https://evil.example/v.mp4"></video>
<iframe src="https://evil.example/frame"></iframe>
<form action="https://evil.example/post"><button formaction="https://evil.example/b">go</button></form>
<a href="https://shop.example/ok">a link stays</a> <p style="color:red">red</p>
</body></html>`

func TestSafeHTMLLoadsNothingRemote(t *testing.T) {
	out, err := SafeHTML(hostileHTML, []Part{{ContentType: "image/png", ContentID: "<logo@x>", Content: []byte("PNG")}, {ContentType: "image/png", ContentID: "other@x", Content: []byte("no")}})
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	// The policy comes first in head, before anything that could fetch.
	doc, err := html.Parse(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	var metas []map[string]string
	var walk func(n *html.Node)
	remote := []string{}
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			attrs := map[string]string{}
			for _, a := range n.Attr {
				attrs[strings.ToLower(a.Key)] = a.Val
				v := strings.ToLower(a.Val)
				if !(a.Key == "href" && n.Data == "a") && a.Key != "content" && (strings.Contains(v, "//") || strings.Contains(v, "url(")) {
					remote = append(remote, n.Data+" "+a.Key+"="+a.Val)
				}
				if strings.HasPrefix(strings.ToLower(a.Key), "on") {
					remote = append(remote, "handler "+a.Key)
				}
			}
			if n.Data == "meta" {
				metas = append(metas, attrs)
			}
			if n.Data == "script" || n.Data == "iframe" || n.Data == "link" || n.Data == "base" {
				remote = append(remote, "element "+n.Data)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if len(remote) > 0 {
		t.Errorf("remote loads left: %q", remote)
	}
	if len(metas) != 3 || metas[0]["charset"] != "utf-8" ||
		metas[1]["http-equiv"] != "Content-Security-Policy" || metas[1]["content"] != CSP ||
		metas[2]["content"] != "no-referrer" {
		t.Errorf("metas: %v", metas)
	}
	for _, want := range []string{"default-src 'none'", "img-src data: cid:", "style-src 'unsafe-inline'"} {
		if !strings.Contains(CSP, want) {
			t.Errorf("CSP lacks %q", want)
		}
	}
	for _, keep := range []string{`src="data:image/png;base64,iVBORw0KGgo="`, `src="data:image/png;base64,UE5H"`, `src="cid:unknown@x"`, `href="https://shop.example/ok"`, `style="color:red"`, "a link stays"} {
		if !strings.Contains(s, keep) {
			t.Errorf("lost %q:\n%s", keep, s)
		}
	}
}

func TestSafeHTMLWithoutHead(t *testing.T) {
	out, err := SafeHTML(`<img src="https://t.example/p.gif">hi`, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	if !strings.Contains(s, "<head><meta charset=\"utf-8\"/><meta http-equiv=\"Content-Security-Policy\"") || strings.Contains(s, "t.example") {
		t.Fatalf("got %s", s)
	}
}

// HTML nested deeper than html.Parse takes (512 open elements) is made
// safe token by token: it was refused, so v in the viewer could not open
// it at all. What the tree version keeps, this keeps; what it drops, this
// drops.
func TestSafeHTMLNestedDeeperThanTheParser(t *testing.T) {
	src := "<!DOCTYPE html>\n" + strings.Repeat("<div>", 600) + hostileHTML +
		`<style>p > b { color: red }</style><svg><style><img src="https://evil.example/svg-style"></style></svg>` +
		"<script>never()</script><noscript><img src=https://evil.example/ns></noscript><!--[if IE]><img src=https://evil.example/ie><![endif]-->deep text"
	if _, err := html.Parse(strings.NewReader(src)); err == nil {
		t.Fatal("the test HTML is not too deep for html.Parse")
	}
	out, err := SafeHTML(src, []Part{{ContentType: "image/png", ContentID: "<logo@x>", Content: []byte("PNG")}})
	if err != nil {
		t.Fatal(err)
	}
	checkTokens(t, out)
	s := string(out)
	if !strings.HasPrefix(s, "<!DOCTYPE html>\n<meta charset=\"utf-8\"/>") {
		t.Errorf("the doctype and the metas do not open it:\n%.300s", s)
	}
	for _, keep := range []string{`src="data:image/png;base64,iVBORw0KGgo="`, `src="data:image/png;base64,UE5H"`, `href="https://shop.example/ok"`,
		`style="color:red"`, "a link stays", "deep text", "p > b { color: red }"} {
		if !strings.Contains(s, keep) {
			t.Errorf("lost %q", keep)
		}
	}
	if n := strings.Count(s, "<div>"); n != 601 {
		t.Errorf("%d <div>s, want 601: the layout is lost", n)
	}
	// (The <img> in the <style> in the <svg> is CSS text now: "\3c img".)
	for _, gone := range []string{"evil.example/x.js", "evil.example/ns", "evil.example/ie", "evil.example/frame", "track.example", "never()", "protocol-relative", "[if IE]", "<img src=\"https"} {
		if strings.Contains(s, gone) {
			t.Errorf("%q is left:\n%s", gone, s)
		}
	}
}

// TestTextLinksReadOnlyWhereALinkCanBe: the URL matcher is slow (about
// 1 µs a byte: a 6 MB body held the viewer for 5 s on every open), and
// a URL always holds a ":" and never a blank, so it runs only on the
// blank-separated words that hold a ":". What it finds is what it found
// over the whole text, on the corpus and on odd text.
func TestTextLinksReadOnlyWhereALinkCanBe(t *testing.T) {
	texts := []string{
		"See https://example.com/a, and (mailto:help@example.org). x:y http://x.example/p?q=1&r=2#f.",
		"<https://a.example/x>\u00a0https://b.example/y\u3000https://c.example/\tftp://d.example\nhttps://e.example:8443/p",
		"日本https://jp.example/パス 'https://q.example/' \"http://dq.example\" [https://br.example/]",
		"https://例え.テスト/ xmpp:a@b.example tel:+1-555 magnet:?xt=urn:x",
	}
	files, _ := os.ReadDir("../../testdata/corpus")
	for _, f := range files {
		raw, err := os.ReadFile("../../testdata/corpus/" + f.Name())
		if err == nil {
			v := Parse(raw)
			texts = append(texts, v.Text, v.HTMLText)
		}
	}
	for _, text := range texts {
		want := textURLs().FindAllString(text, -1)
		if got, cut := textLinks(text, len(want)+1); !reflect.DeepEqual(got, want) || cut {
			t.Errorf("textLinks(%.80q) = %q, want %q", text, got, want)
		}
	}
	big := strings.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit.\n", 100_000) // 5.7 MB
	var got []string
	if el := cpubudget.Used(func() { got, _ = textLinks(big+"https://end.example/", MaxTextLinks) }); el > 10*time.Second { // it took 30 s; milliseconds now
		t.Errorf("5.7 MB of text without links took %v of CPU", el)
	}
	if len(got) != 1 {
		t.Errorf("links %q", got)
	}
}

// TestTextLinksAreBounded: each URL the matcher finds costs it 15 to
// 70 µs, so 64 KB of distinct URLs (3,400 of them) held the viewer 0.1 to
// 0.4 s on every open. The text's links are listed up to a cap, and the
// list says it was cut; the HTML footnotes are all kept.
func TestTextLinksAreBounded(t *testing.T) {
	var text strings.Builder
	for i := range 3400 {
		fmt.Fprintf(&text, "http://a.example/%d ", i)
	}
	v := &View{Text: text.String(), Links: []string{"https://shop.example/buy"}}
	links, cut := v.AllLinks()
	if len(links) != 1+MaxTextLinks || links[0].Footnote != 1 || links[MaxTextLinks].URL != fmt.Sprintf("http://a.example/%d", MaxTextLinks-1) || !cut {
		t.Errorf("%d links (cut %v), want the footnote and the first %d of the text, cut", len(links), cut, MaxTextLinks)
	}
	// Exactly the cap, with no word left that may hold another: not cut.
	v = &View{Text: strings.Join(strings.Fields(text.String())[:MaxTextLinks], " ") + " the end."}
	if links, cut := v.AllLinks(); len(links) != MaxTextLinks || cut {
		t.Errorf("%d links, cut %v; want %d, not cut", len(links), cut, MaxTextLinks)
	}
}
