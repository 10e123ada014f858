package mime

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore/testutil/cpubudget"
)

// linkTokens are what the texts of the links' property test are made
// of: schemes of both kinds in any case, prefixes of them, what follows
// a scheme, the brackets the matcher balances, characters that end a URL
// or do not, and blanks.
var linkTokens = []string{
	"http", "HTTPS", "https", "mailto", "MailTo", "file", "xmpp", "tel", "ftp", "web+x", "z39.50r", "moz-extension",
	"ttps", "ailto", "s", "x", "a", "é", "日本", "1", "0",
	":", ":", ":", "//", "/", "?", "#", "@", "%", "%3F", "=", "&", ";", "+", "-", ".", ",", "!", "'", "*", "~", "\\",
	"(", ")", "[", "]", "{", "}", "<", ">", "\"", "|", "^", "`",
	"::1", "[::1]", "\u00a0", "\u3000", " ", "\n", "\t",
}

func randomLinkText(r *rand.Rand) string {
	var b strings.Builder
	for n := r.IntN(30); n >= 0; n-- {
		if r.IntN(4) == 0 { // a scheme and its ':' at once
			b.WriteString(linkTokens[r.IntN(12)] + []string{":", "://"}[r.IntN(2)])
		}
		b.WriteString(linkTokens[r.IntN(len(linkTokens))])
	}
	return b.String()
}

// TestTextLinksAreTheMatchersFinds: the links found from where schemes
// end (wordLinks) are exactly those the matcher finds searching the whole
// text, in their order, first limit of them, on 20,000 texts made of
// schemes in any case, brackets, separators and blanks.
func TestTextLinksAreTheMatchersFinds(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 1))
	found := 0
	for i := range 2_000 {
		text := randomLinkText(r)
		if i%2 == 0 { // half of them one word
			text = strings.Join(strings.Fields(text), "")
		}
		want := textURLs().FindAllString(text, -1)
		found += len(want)
		if got, cut := textLinks(text, len(want)+1); !reflect.DeepEqual(got, want) || cut {
			t.Fatalf("textLinks(%q) = %q (cut %v), want %q", text, got, cut, want)
		}
		if len(want) > 1 {
			if got, _ := textLinks(text, 1); !reflect.DeepEqual(got, want[:1]) {
				t.Fatalf("textLinks(%q, 1) = %q, want %q", text, got, want[:1])
			}
		}
	}
	if found < 1000 {
		t.Errorf("the texts held only %d links: the test compares too little", found)
	}
}

// FuzzTextLinks: textLinks finds what the matcher finds over the text.
func FuzzTextLinks(f *testing.F) {
	r := rand.New(rand.NewPCG(12, 2))
	for range 50 {
		f.Add(randomLinkText(r))
	}
	f.Fuzz(func(t *testing.T, text string) {
		want := textURLs().FindAllString(text, -1)
		if got, _ := textLinks(text, len(want)+1); !reflect.DeepEqual(got, want) {
			t.Errorf("textLinks(%q) = %q, want %q", text, got, want)
		}
	})
}

// TestTextLinksCostLinearCPU: a word holding ':' cost the matcher
// 1.4 µs a byte, searched at every byte for one of its hundreds of
// schemes: 2 MB of "a:" took 3 s of CPU, "https:" 3.3 s, and the viewer
// looks for links on the screen's goroutine at every open (SetMessage),
// so a message of 40 MB of such a word held the screen a minute (now
// at most 0.2 µs a byte: one URL of megabytes, or "http://[::1" again
// and again, each an unclosed bracket). The
// matcher now runs only after a ':' a scheme ends at. Each shape of
// words holding ':', at 256 and 512 KB: the double costs at most three
// times the single (plus 50 ms of measuring noise), and 512 KB at most
// 0.25 s of CPU (times 10 under -race; 0.75 s before, without).
func TestTextLinksCostLinearCPU(t *testing.T) {
	shapes := map[string]string{
		"colons":          "a:",
		"schemes":         "https:",
		"mailtos":         "mailto:<",
		"unclosed ipv6":   "http://[::1",
		"brackets":        "http://a[",
		"long scheme":     "machineProvisioningProgressReporter:",
		"space-separated": "tel: ",
	}
	for name, unit := range shapes {
		gen := func(n int) string { return strings.Repeat(unit, n/len(unit)) }
		one, two := gen(256<<10), gen(512<<10)
		var links1, links2 []string
		t1 := cpubudget.Used(func() { links1, _ = textLinks(one, MaxTextLinks) })
		t2 := cpubudget.Used(func() { links2, _ = textLinks(two, MaxTextLinks) })
		if t2 > 3*t1+50*time.Millisecond {
			t.Errorf("%s: 512 KB took %v of CPU, 256 KB %v: not linear", name, t2, t1)
		}
		if t2 > slowdown*250*time.Millisecond {
			t.Errorf("%s: 512 KB took %v of CPU", name, t2)
		}
		if len(links2) < len(links1) {
			t.Errorf("%s: %d links in 512 KB, %d in 256 KB", name, len(links2), len(links1))
		}
	}
}
