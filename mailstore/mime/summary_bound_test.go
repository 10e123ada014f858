package mime

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sesbox/sesbox/mailstore"
)

// randomText is n bytes of letters and digits that repeat no trigram
// often: the text a full-text index costs most on.
func randomText(r *rand.Rand, n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

// TestSummaryTextIsBounded: the list, ls --json and the index keep what
// Summarize reads, and the index's full-text table costs by the distinct
// trigrams it is given: a message with a Subject of 4 MB of random
// letters held the first ls (and every TUI refresh that met it) 22 s and
// put 24 MB in the index; 200,000 To addresses, 3.6 MB, 2.8 s. A
// Subject, a name or an address is kept to its first maxSummaryText
// bytes, an address list to its first maxSummaryList bytes of
// addresses, each cut said in a warning; show --headers still prints
// the fields whole.
func TestSummaryTextIsBounded(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var to strings.Builder
	for i := range 200_000 {
		fmt.Fprintf(&to, "%s%d@x.example, ", randomText(r, 8), i)
	}
	huge := randomText(r, 4<<20)
	raw := []byte("From: \"" + randomText(r, 1<<20) + "\" <a@b.example>\r\n" +
		"To: " + to.String() + "last@x.example\r\n" +
		"Cc: <" + randomText(r, 1<<20) + "@x.example>\r\n" +
		"Subject: =?utf-8?q?caf=C3=A9?= " + huge + "\r\n\r\nbody\r\n")
	s := Summarize(raw)
	if len(s.Subject) > maxSummaryText+len("…") || !utf8.ValidString(s.Subject) || !strings.HasPrefix(s.Subject, "café "+huge[:100]) || !strings.HasSuffix(s.Subject, "…") {
		t.Errorf("Subject of %d bytes: %.40q", len(s.Subject), s.Subject)
	}
	if n := len(s.From.Name) + len(s.From.Address); n > 2*(maxSummaryText+len("…")) || s.From.Address != "a@b.example" {
		t.Errorf("From of %d bytes, address %q", n, s.From.Address)
	}
	listBytes := func(l []mailstore.Address) (n int) {
		for _, a := range l {
			n += len(a.Name) + len(a.Address)
		}
		return n
	}
	if to, cc := listBytes(s.To), listBytes(s.Cc); to > maxSummaryList || len(s.To) < 100 || cc > maxSummaryList+len("…") {
		t.Errorf("To of %d bytes (%d addresses), Cc of %d", to, len(s.To), cc)
	}
	for _, field := range []string{"Subject", "From", "To", "Cc"} {
		if !slices.ContainsFunc(s.Warnings, func(w string) bool { return strings.HasPrefix(w, field+" ") && strings.Contains(w, "only its first") }) {
			t.Errorf("no warning says %s was cut: %.300q", field, s.Warnings)
		}
	}
	v := Parse(raw)
	// A reply reads the lists whole.
	if to, cc := wholeList(raw, "to"), wholeList(raw, "cc"); len(to) != 200_001 || to[200_000].Address != "last@x.example" || len(cc) != 1 {
		t.Errorf("the whole lists: %d To, %d Cc", len(to), len(cc))
	}
	if v.Summary.Subject != s.Subject || len(v.Summary.To) != len(s.To) {
		t.Errorf("Parse and Summarize differ: %d and %d bytes of Subject, %d and %d To", len(v.Summary.Subject), len(s.Subject), len(v.Summary.To), len(s.To))
	}
	// Ordinary values are untouched.
	s = Summarize([]byte("From: Ann <a@b.example>\r\nTo: c@d.example, e@f.example\r\nSubject: " + strings.Repeat("é", 1000) + "\r\n\r\n"))
	if s.Subject != strings.Repeat("é", 1000) || len(s.To) != 2 || s.From.Name != "Ann" || len(s.Warnings) != 1 {
		t.Errorf("an ordinary header changed: %q %v %v %q", s.Subject, s.To, s.From, s.Warnings)
	}
}

// TestHeaderWarningsAreBounded: each value decoding cannot read gives its
// own warning (an address net/mail refuses, an unknown charset), and each
// new warning was compared with every one before it: a To of 120,000
// unreadable addresses (1.1 MB) took ls 25 s and show 51 s of CPU, and
// show printed 120,011 lines before the body. The warnings are kept to
// maxHeaderWarnings, then one line saying more were left out; the values
// themselves are all still read (a reply goes to every address).
func TestHeaderWarningsAreBounded(t *testing.T) {
	var to, subject strings.Builder
	for i := range 20_000 {
		fmt.Fprintf(&to, "<b%d>, ", i)
		fmt.Fprintf(&subject, "=?x-cs-%d?q?a?= ", i)
	}
	raw := []byte("From: a@b.example\r\nTo: " + to.String() + "<last>\r\n" +
		"Subject: " + subject.String() + "\r\nDate: Tue, 3 Nov 2026 09:02:05 -0500\r\n\r\nbody\r\n")
	s := Summarize(raw)
	v := Parse(raw)
	for name, ws := range map[string][]string{"Summarize": s.Warnings, "Parse": v.Warnings} {
		if len(ws) > 2*(maxHeaderWarnings+1)+1 {
			t.Errorf("%s: %d warnings", name, len(ws))
		}
		if n := slices.Index(ws, moreWarnings); n < 0 || slices.Contains(ws[n+1:], moreWarnings) {
			t.Errorf("%s: not one warning says some were left out: %.200q", name, ws[len(ws)-min(len(ws), 3):])
		}
		if !slices.Contains(ws, `cannot parse To address "<b0>"`) {
			t.Errorf("%s: the first unreadable address is not named", name)
		}
	}
	if to := wholeList(raw, "to"); len(to) != 20_001 || to[20_000].Name != "<last>" {
		t.Errorf("the whole To: %d addresses", len(to))
	}
}

// TestSummarizeReadsTheAddressesItKeeps: Summarize (the index's read of
// every new message, 32 at a time) parsed every address of a list and
// kept the first 16 KB of them: a To of 2,600,000 unreadable addresses
// ("<>", 7.8 MB, within the 8 MB an index reads of a header) allocated
// 1.2 GB, and ls of four such messages reached 1.7 GB of RSS. It reads
// the addresses it keeps and counts the rest: a list twice as long costs
// a few bytes more per byte (the header scan's copy), not 150.
func TestSummarizeReadsTheAddressesItKeeps(t *testing.T) {
	header := func(item string, n int) []byte {
		// One To field of n items, and a Cc of as many in fields of
		// 64 KB each.
		field := strings.Repeat(item+", ", (64<<10)/(len(item)+2))
		return []byte("From: " + strings.Repeat(item+", ", n/10) + "a@b.example\r\nTo: " +
			strings.Repeat(item+", ", n-1) + "last@b.example\r\n" +
			strings.Repeat("Cc: "+field+"c@b.example\r\n", n/strings.Count(field, ",")) +
			"Subject: s\r\n\r\nbody\r\n")
	}
	for name, item := range map[string]string{"unreadable": "<>", "readable": "u@b.example", "group": "g: u@b.example;"} {
		n := (1 << 20) / (len(item) + 2)
		small, large := header(item, n), header(item, 2*n)
		var s mailstore.Summary
		a1 := allocatedBy(func() { Summarize(small) })
		a2 := allocatedBy(func() { s = Summarize(large) })
		if perByte := float64(a2-a1) / float64(len(large)-len(small)); a2 < a1 || perByte > 4 {
			t.Errorf("%s: Summarize allocated %d for %d bytes, %d for %d: %.0f bytes per byte more", name, a1, len(small), a2, len(large), perByte)
		}
		want := fmt.Sprintf("To holds %d addresses: only its first %d are listed", 2*n, len(s.To))
		if !slices.ContainsFunc(s.Warnings, func(w string) bool { return strings.HasPrefix(w, want) }) {
			t.Errorf("%s: no warning %q: %q", name, want, s.Warnings)
		}
		v := Parse(large)
		if !slices.Equal(v.Summary.To, s.To) || v.Summary.From != s.From {
			t.Errorf("%s: Parse and Summarize differ: %d and %d To, From %v and %v", name, len(v.Summary.To), len(s.To), v.Summary.From, s.From)
		}
	}
}

// TestUnreadableAddressesAllocateLinearly: a reply reads a list whole;
// the addresses nothing can parse were each read twice and gathered in
// slices grown by appending: a To of 2,600,000 "<>" (7.8 MB) allocated
// 1.3 GB (168 bytes a byte; 143 for this one), and show of it held
// 620 MB. Now 85 bytes a byte (107 under the race detector), and only
// for a reply that asks (TestParseKeepsAddressListsBounded).
func TestUnreadableAddressesAllocateLinearly(t *testing.T) {
	raw := []byte("From: a@b.example\r\nTo: " + strings.Repeat("<>, ", 250_000) + "z@b.example\r\nSubject: s\r\n\r\nbody\r\n")
	var to []mailstore.Address
	if a := allocatedBy(func() { to = wholeList(raw, "to") }); a > 125*uint64(len(raw)) {
		t.Errorf("AddressFieldUpTo of %d bytes allocated %d: %d bytes a byte", len(raw), a, a/uint64(len(raw)))
	}
	if len(to) != 250_001 {
		t.Errorf("the whole To: %d addresses", len(to))
	}
}

// TestParseKeepsAddressListsBounded: show and the viewer parsed every
// address of To and Cc for a reply-all they may never make: 85 bytes a
// header byte, so a To of 7.8 MB held show 2.7 s and 419 MB, and one of
// 40 MB would take 3.4 GB. Parse keeps the Summary's bounded lists (the
// first 16 KB, the rest counted); a reply reads the lists it needs itself
// (AddressFieldUpTo). A list twice as long cost Parse 58 bytes a byte
// more; now 16 (most of it enmime's read of the header, growing each
// line as it goes).
func TestParseKeepsAddressListsBounded(t *testing.T) {
	header := func(n int) []byte {
		return []byte("From: a@b.example\r\nTo: " + strings.Repeat("<>, ", n) + "z@b.example\r\nCc: " +
			strings.Repeat("u@b.example, ", n/4) + "c@b.example\r\nSubject: s\r\n\r\nbody\r\n")
	}
	small, large := header(250_000), header(500_000)
	a1 := allocatedBy(func() { Parse(small) })
	a2 := allocatedBy(func() { Parse(large) })
	if perByte := float64(a2-a1) / float64(len(large)-len(small)); a2 < a1 || perByte > 32 {
		t.Errorf("Parse allocated %d for %d bytes, %d for %d: %.0f bytes per byte more", a1, len(small), a2, len(large), perByte)
	}
}

// TestAddressFieldUpToCountsBeforeParsing: a reply reads a whole list only
// when it holds at most limit addresses; past that it gets the count and
// nothing parsed, at the cost of the header scan.
func TestAddressFieldUpToCountsBeforeParsing(t *testing.T) {
	raw := []byte("From: a@b.example\r\nTo: " + strings.Repeat("<>, ", 500_000) + "z@b.example\r\nTo: y@b.example\r\nCc: Ann <c@b.example>, d@b.example\r\n\r\nbody\r\n")
	var list []mailstore.Address
	var n int
	if a := allocatedBy(func() { list, n = AddressFieldUpTo(raw, "to", 1000) }); a > 4*uint64(len(raw)) || n != 500_002 || list != nil {
		t.Errorf("a To of %d addresses: %d parsed, count %d, %d bytes allocated for %d", 500_002, len(list), n, a, len(raw))
	}
	list, n = AddressFieldUpTo(raw, "cc", 2)
	if n != 2 || !slices.Equal(list, []mailstore.Address{{Name: "Ann", Address: "c@b.example"}, {Address: "d@b.example"}}) {
		t.Errorf("Cc: %d counted, %v", n, list)
	}
	if list, n = AddressFieldUpTo(raw, "cc", 1); n != 2 || list != nil {
		t.Errorf("Cc past its limit: %d counted, %v", n, list)
	}
}

// wholeList is name's addresses, however many.
func wholeList(raw []byte, name string) []mailstore.Address {
	l, _ := AddressFieldUpTo(raw, name, math.MaxInt)
	return l
}

// TestSummaryThreadIDsAreBounded: a header of 8 MB (what the index reads
// of one) of References gave a Summary of 338,686 ids, and a Message-ID
// of 1 MB was kept whole: the index kept each row so, and every thread
// view read and linked them all again. Message-ID and In-Reply-To are
// cut as a Subject is, References keep their first id and the nearest,
// up to maxSummaryRefs and maxSummaryList bytes, an id over
// maxSummaryText left out; each cut said in a warning. A References of
// maxSummaryRefs ids is kept whole.
func TestSummaryThreadIDsAreBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("From: a@b.example\r\nSubject: s\r\nMessage-ID: <" + strings.Repeat("m", 1<<20) + "@x>\r\n" +
		"In-Reply-To: <" + strings.Repeat("i", 1<<20) + "@x>\r\nReferences: <root@x.example>\r\n <" + strings.Repeat("l", maxSummaryText+1) + "@x>")
	n := 1
	for ; b.Len() < 8<<20; n++ {
		fmt.Fprintf(&b, "\r\n <r%d@x.example>", n)
	}
	b.WriteString("\r\n\r\nbody\r\n")
	s := Summarize([]byte(b.String()))
	for name, id := range map[string]string{"Message-ID": s.MessageID, "In-Reply-To": s.InReplyTo} {
		if len(id) > maxSummaryText+len("…") || !strings.HasSuffix(id, "…") {
			t.Errorf("%s of %d bytes", name, len(id))
		}
	}
	size := 0
	for _, id := range s.References {
		size += len(id)
	}
	if len(s.References) > maxSummaryRefs || size > maxSummaryList+maxSummaryText || len(s.References) < 10 ||
		s.References[0] != "root@x.example" || s.References[len(s.References)-1] != fmt.Sprintf("r%d@x.example", n-1) {
		t.Fatalf("%d References (%d bytes): first %q, last %q", len(s.References), size, s.References[0], s.References[len(s.References)-1])
	}
	for i, id := range s.References[1:] {
		if want := fmt.Sprintf("r%d@x.example", n-len(s.References)+1+i); id != want {
			t.Fatalf("reference %d is %q, want %q: not the nearest", i+1, id, want)
		}
	}
	for _, want := range []string{"Message-ID is 1.0 MB long", "In-Reply-To is 1.0 MB long", "References: 1 of its ids are over 4 KB long and left out", fmt.Sprintf("References holds %d ids: only the first and the last %d are kept", n, len(s.References)-1)} {
		if !slices.ContainsFunc(s.Warnings, func(w string) bool { return strings.Contains(w, want) }) {
			t.Errorf("no warning %q in %q", want, s.Warnings)
		}
	}

	// maxSummaryRefs short ids: kept whole, no warning.
	b.Reset()
	b.WriteString("From: a@b.example\r\nSubject: s\r\nReferences:")
	var want []string
	for i := range maxSummaryRefs {
		want = append(want, fmt.Sprintf("r%d@x.example", i))
		b.WriteString(" <" + want[i] + ">")
	}
	s = Summarize([]byte(b.String() + "\r\n\r\nbody\r\n"))
	if !slices.Equal(s.References, want) || slices.ContainsFunc(s.Warnings, func(w string) bool { return strings.Contains(w, "References") }) {
		t.Errorf("%d References kept of %d, warnings %q", len(s.References), maxSummaryRefs, s.Warnings)
	}
}
