package mime

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

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
// written by 1429ee9), for the demo mailbox, the parser corpus, our
// samples and the hostile shapes: the cheaper scan (no copy of each value,
// names not allocated again), the attachment count that hands enmime only
// the top header's Content-* fields, the cached media types and the
// receipt's test before its expressions change nothing a listing shows.
func TestIndexReadIsUnchanged(t *testing.T) {
	msgs := map[string][]byte{}
	for _, glob := range []string{"../demo/messages/*.eml", "../../testdata/corpus/*.eml", filepath.Join(readDir, "*.eml")} {
		files, _ := filepath.Glob(glob)
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			msgs[filepath.Base(f)] = b
		}
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
	if len(names) < 150 {
		t.Fatalf("only %d messages", len(names))
	}
	gotLines, wantLines := strings.Split(got.String(), "\n"), strings.Split(string(want), "\n")
	for i := range max(len(gotLines), len(wantLines)) {
		var g, w string
		if i < len(gotLines) {
			g = gotLines[i]
		}
		if i < len(wantLines) {
			w = wantLines[i]
		}
		if g != w {
			t.Fatalf("line %d differs from %s:\n got %.2000s\nwant %.2000s", i+1, path, g, w)
		}
	}
}

// FuzzSESHostTest: the test run before sesHop and sesHost never turns
// away a value either matches, letters that fold to ASCII ones (ſ, K)
// included.
func FuzzSESHostTest(f *testing.F) {
	for _, s := range []string{
		"from mail.example by inbound-smtp.us-east-1.amazonaws.com with SMTP id x",
		"from a BY INBOUND-SMTP.EU-WEST-1.AMAZONAWS.COM",
		"by\tinbound-ſmtp.us-east-1.amazonaws.com",
		"by inbound-smtp.x.amazonaws.com",
		"by inbound-smtp.amazonaws.com",
		"from mx.example.org by mx2.example.org; Mon, 1 Jan 2024",
		"mtp.", "MTP.", "smtp", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
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
