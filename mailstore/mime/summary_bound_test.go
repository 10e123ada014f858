package mime

import (
	"fmt"
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
	// A reply goes to every address: the View keeps the lists whole.
	if len(v.Addresses.To) != 200_001 || v.Addresses.To[200_000].Address != "last@x.example" || len(v.Addresses.Cc) != 1 {
		t.Errorf("the View's lists: %d To, %d Cc", len(v.Addresses.To), len(v.Addresses.Cc))
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
	if len(v.Addresses.To) != 20_001 || v.Addresses.To[20_000].Name != "<last>" {
		t.Errorf("the View's To: %d addresses", len(v.Addresses.To))
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
		if !slices.Equal(v.Summary.To, s.To) || v.Summary.From != s.From || len(v.Addresses.To) != 2*n {
			t.Errorf("%s: Parse and Summarize differ: %d and %d To, From %v and %v; the View's To holds %d", name, len(v.Summary.To), len(s.To), v.Summary.From, s.From, len(v.Addresses.To))
		}
	}
}

// TestParseOfUnreadableAddressesAllocatesLinearly: the View keeps every
// address for a reply, so Parse reads a list whole; the addresses nothing
// can parse were each read twice and gathered in slices grown by
// appending: a To of 2,600,000 "<>" (7.8 MB) allocated 1.3 GB (168
// bytes a byte; 143 for this one), and show of it held 620 MB. Now 85
// bytes a byte (107 under the race detector).
func TestParseOfUnreadableAddressesAllocatesLinearly(t *testing.T) {
	raw := []byte("From: a@b.example\r\nTo: " + strings.Repeat("<>, ", 250_000) + "z@b.example\r\nSubject: s\r\n\r\nbody\r\n")
	var v *View
	if a := allocatedBy(func() { v = Parse(raw) }); a > 125*uint64(len(raw)) {
		t.Errorf("Parse of %d bytes allocated %d: %d bytes a byte", len(raw), a, a/uint64(len(raw)))
	}
	if len(v.Addresses.To) != 250_001 {
		t.Errorf("the View's To: %d addresses", len(v.Addresses.To))
	}
}
