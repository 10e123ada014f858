package mime

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/internal/lazyregexp"
	"github.com/sesbox/sesbox/mailstore/testutil/hostilemail"
)

var updateIndexRead = flag.Bool("update", false, "rewrite testdata/indexread.golden")

// indexReadRange and indexReadMax are s3store's first range and how far a
// header is read here (the store goes on to 8 MB; the hostile shapes'
// headers beyond 1 MB are no different in kind).
const (
	indexReadRange = 16 << 10
	indexReadMax   = 1 << 20
)

// indexHead is what a cold index reads of raw: its first range, doubled
// while the header block goes on (s3store.ReadHeader).
func indexHead(raw []byte) []byte {
	n := indexReadRange
	for HeaderEnd(raw[:min(n, len(raw))]) < 0 && n < len(raw) && n < indexReadMax {
		n *= 2
	}
	return raw[:min(n, len(raw))]
}

// TestIndexReadIsUnchanged holds what a cold index makes of a message's
// first range — every field of Summarize's summary, and CountAttachments'
// count, from that range and from the whole message — to what the code
// before its read was made cheaper made of it (testdata/indexread.golden,
// written by 0f34faa, main just before d5eaf02 was merged: 52f2690's
// untyped parts included), for the demo mailbox, the parser corpus, our
// samples and the hostile shapes: the cheaper scan (no copy of each value,
// names not allocated again), the attachment count that hands enmime only
// the top header's Content-* fields, the cached media types and the
// receipt's test before its expressions change nothing a listing shows.
// Messages are compared by name, and one added since is left out; a change
// meant to alter a summary rewrites the file with -update.
func TestIndexReadIsUnchanged(t *testing.T) {
	msgs := map[string][]byte{}
	for path, b := range countCorpus(t) {
		msgs[filepath.Base(path)] = b
	}
	for name, raw := range hostilemail.Shapes() {
		msgs["hostile:"+name] = raw
	}
	names := make([]string, 0, len(msgs))
	for n := range msgs {
		names = append(names, n)
	}
	slices.Sort(names)
	var got bytes.Buffer
	for _, name := range names {
		raw := msgs[name]
		head := indexHead(raw)
		s := Summarize(head)
		js, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		n, exact := CountAttachments(head, int64(len(raw)))
		whole, wholeExact := CountAttachments(raw, int64(len(raw)))
		if len(js) > 2000 {
			// The hostile shapes' summaries (up to 16 KB a list, and
			// their warnings) are kept as their hash.
			js = fmt.Appendf(nil, "sha256 %x", sha256.Sum256(js))
		}
		fmt.Fprintf(&got, "%s\t%d of %d: %d %v, whole %d %v\n\t%s\n", name, len(head), len(raw), n, exact, whole, wholeExact, js)
	}
	path := filepath.Join("testdata", "indexread.golden")
	if *updateIndexRead {
		if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	// Compared message by message: one the golden does not name (added
	// to the corpus since) is left out.
	entries := func(b []byte) map[string]string {
		m := map[string]string{}
		lines := strings.Split(string(b), "\n")
		for i := 0; i+1 < len(lines); i += 2 {
			name, _, _ := strings.Cut(lines[i], "\t")
			m[name] = lines[i] + "\n" + lines[i+1]
		}
		return m
	}
	gotBy, wantBy := entries(got.Bytes()), entries(want)
	compared := 0
	for _, name := range names {
		w, ok := wantBy[name]
		if !ok {
			continue
		}
		compared++
		if g := gotBy[name]; g != w {
			t.Errorf("%s differs from %s (an intended change: go test -run TestIndexReadIsUnchanged -update rewrites it):\n got %.2000s\nwant %.2000s", name, path, g, w)
		}
	}
	if compared < 150 {
		t.Fatalf("only %d messages compared", compared)
	}
}

// sesHop is the expression namesSESHop answers for, tried unanchored:
// the oracle of FuzzSESHostTest and TestNamesSESHopAgrees.
var sesHop = lazyregexp.New(`(?i)\bby\s+inbound-smtp\.[a-z0-9.-]*amazonaws\.com\b`)

// FuzzSESHostTest: the test run before sesHop and sesHost never turns
// away a value either matches, letters that fold to ASCII ones (ſ, K)
// included; namesSESHop says what sesHop says.
func FuzzSESHostTest(f *testing.F) {
	for _, s := range []string{
		"from mail.example by inbound-smtp.us-east-1.amazonaws.com with SMTP id x",
		"from a BY INBOUND-SMTP.EU-WEST-1.AMAZONAWS.COM",
		"by\tinbound-ſmtp.us-east-1.amazonaws.com",
		"by inbound-smtp.x.amazonaws.com",
		"by inbound-smtp.amazonaws.com",
		"from mx.example.org by mx2.example.org; Mon, 1 Jan 2024",
		"mtp.", "MTP.", "smtp", "",
		"abby inbound-smtp.x.amazonaws.com", "é by inbound-smtp.x.amazonaws.comé", "_by inbound-smtp.amazonaws.com",
		"by by inbound-smtp.amazonaws.com_", "bY\r\n inbound-smtp.a.amazonaws.com.", "by inbound-smtp..amazonaws.com",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := namesSESHop(s), sesHop().MatchString(s); got != want {
			t.Fatalf("%q: namesSESHop %v, sesHop %v", s, got, want)
		}
		if (sesHop().MatchString(s) || sesHost().MatchString(s)) && !mayNameSESHost(s) {
			t.Fatalf("%q matches, but mayNameSESHost turns it away", s)
		}
	})
}

// A media type from the cache is the parse's, and a copy: what one caller
// changes in it, the next does not see.
func TestCachedMediaTypeIsACopy(t *testing.T) {
	for _, v := range []string{"text/plain; charset=UTF-8", "multipart/mixed; boundary=\"b\"", "", "attachment; filename=a.pdf", "app lication/pdf; name=x", "text/plain; charset"} {
		m1, p1, i1, e1 := parseMediaTypeOnce(v)
		for range 2 {
			m, p, i, e := parseMediaType(v)
			if m != m1 || !maps.Equal(p, p1) || !slices.Equal(i, i1) || (e == nil) != (e1 == nil) || p == nil != (p1 == nil) {
				t.Fatalf("%q: cached %q %v %q %v, parsed %q %v %q %v", v, m, p, i, e, m1, p1, i1, e1)
			}
			if p != nil {
				p["boundary"] = "changed"
			}
		}
	}
}

// TestNamesSESHopAgrees: namesSESHop, which tries the expression only at
// a "by" starting a word, says what sesHop says of 50,000 generated
// Received values: the pieces of SES's hop in any case and with the
// letters that fold to ASCII ones, word bytes, 8-bit runes and blanks
// around them, in any order.
func TestNamesSESHopAgrees(t *testing.T) {
	pieces := []string{"by", "BY", "bY", "abby", "_", "é", "\u212a", " ", "\t", "\r\n ", "inbound-smtp.", "INBOUND-ſMTP.",
		"inbound-smtp", "us-east-1.", "eu-west-1", ".", "-", "amazonaws.com", "AMAZONAWS.COM", "amazonaws", "x", "9", "from mail.example ", ";"}
	r := rand.New(rand.NewPCG(12, 0))
	matched := 0
	for n := range 50_000 {
		var b strings.Builder
		some := func(k int) {
			for range r.IntN(k) {
				b.WriteString(pieces[r.IntN(len(pieces))])
			}
		}
		some(8)
		if r.IntN(2) == 0 { // a hop, pieces of it replaced now and then
			for _, alts := range [][]string{{"by", "BY", "bY"}, {" ", "\t", "\r\n ", "  "}, {"inbound-smtp.", "INBOUND-ſMTP.", "inbound-smtp"},
				{"us-east-1.", "eu-west-1.", "", ".", "-"}, {"amazonaws.com", "AMAZONAWS.COM", "amazonaws.co", "amazonaws.com_"}} {
				if r.IntN(10) == 0 {
					some(2)
				} else {
					b.WriteString(alts[r.IntN(len(alts))])
				}
			}
		}
		some(6)
		s := b.String()
		got, want := namesSESHop(s), sesHop().MatchString(s)
		if got != want {
			t.Fatalf("value %d %q: namesSESHop %v, sesHop %v", n, s, got, want)
		}
		if want {
			matched++
		}
	}
	if matched < 1_000 {
		t.Fatalf("only %d values matched: the test shows little", matched)
	}
	t.Logf("%d of 50,000 matched", matched)
}
