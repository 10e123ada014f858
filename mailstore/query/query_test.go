package query

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode"
	"unsafe"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/testutil/gensum"
)

var now = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func sample() []mailstore.Summary {
	return []mailstore.Summary{
		{Object: mailstore.Object{Key: "a", Size: 10}, Subject: "Invoice 42", From: mailstore.Address{Name: "Billing", Address: "billing@shop.example"},
			Date: now.Add(-time.Hour), To: []mailstore.Address{{Address: "info@acme.example"}}, Attachments: 1,
			Verdicts: mailstore.Verdicts{Spam: "PASS", SPF: "PASS", DKIM: "PASS", DMARC: "PASS"}},
		{Object: mailstore.Object{Key: "b", Size: 300}, Subject: "주문 확인 안내", From: mailstore.Address{Name: "김철수", Address: "kim@example.kr"},
			Date: now.AddDate(0, 0, -10), Read: true, Recipients: []string{"support@acme.example"},
			Verdicts: mailstore.Verdicts{Spam: "FAIL", SPF: "FAIL", DKIM: "FAIL", DMARC: "FAIL"}},
		{Object: mailstore.Object{Key: "c", Size: 20}, Subject: "Re: Invoice 42", From: mailstore.Address{Address: "zed@other.example"},
			Date: now.AddDate(0, 0, -3), Verdicts: mailstore.Verdicts{Virus: "FAIL"}},
	}
}

func keys(q string, t *testing.T) string {
	t.Helper()
	pq, err := Parse(q, now)
	if err != nil {
		t.Fatalf("Parse(%q): %v", q, err)
	}
	out := ""
	s := sample()
	for i := range s {
		if pq.Match(&s[i]) {
			out += s[i].Key
		}
	}
	return out
}

func TestMatch(t *testing.T) {
	for _, tc := range []struct{ q, want string }{
		{"", "abc"},
		{"invoice", "ac"},
		{"INVOICE -re:", "a"},
		{"-subject:re:", "ab"},
		{"from:billing", "a"},
		{"from:KIM@", "b"},
		{"to:support@", "b"},
		{"to:info@acme", "a"},
		{"주문", "b"},
		{"확인", "b"},
		{"김철", "b"},
		{"subject:\"invoice 42\"", "ac"},
		{`"re: invoice"`, "c"},
		{"after:7d", "ac"},
		{"before:7d", "b"},
		{"after:2026-11-19", "ac"},
		{"after:2026-11-20", "a"},
		{"after:today", "a"},
		{"has:attachment", "a"},
		{"-has:attachment", "bc"},
		{"is:unread", "ac"},
		{"is:read", "b"},
		{"spam:fail", "b"},
		{"virus:fail", "c"},
		{"spf:fail dkim:fail dmarc:fail", "b"},
		{"spf:pass", "a"},
		{"nothing-matches-this", ""},
		// Text that holds a colon without being a term.
		{`"re:invoice"`, ""},
		{"42 10:30", ""},
		{"https://shop.example", ""},
		{`"-re:"`, ""},
	} {
		if got := keys(tc.q, t); got != tc.want {
			t.Errorf("%q matched %q, want %q", tc.q, got, tc.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, q := range []string{"after:yesteryear", "before:7x", "has:wings", "is:happy", "spam:", "foo:bar", "-form:alice", "from:", `to:""`, "-subject:"} {
		if _, err := Parse(q, now); err == nil {
			t.Errorf("Parse(%q) accepted a bad term", q)
		}
	}
	_, err := Parse("invoice foo:bar", now)
	if want := `query "invoice foo:bar": foo: is not a term (terms: from: to: subject: after: before: stored-after: stored-before: has: is: spam: virus: spf: dkim: dmarc: forward:); "foo:bar" in double quotes matches the text`; err == nil || err.Error() != want {
		t.Errorf("foo:bar: %v\nwant %s", err, want)
	}
	if k := keys(`"foo:bar"`, t); k != "" {
		t.Errorf(`"foo:bar" matched %q`, k)
	}
}

// TestQueryOfTooManyTermsIsRefused: a query of MaxTerms terms parses, one
// more is refused saying what to do, without quoting the query.
func TestQueryOfTooManyTermsIsRefused(t *testing.T) {
	q := strings.TrimSpace(strings.Repeat("-from:a ", MaxTerms))
	if _, err := Parse(q, now); err != nil {
		t.Fatalf("%d terms: %v", MaxTerms, err)
	}
	_, err := Parse(q+` "x y"`, now)
	if want := fmt.Sprintf("leave out terms: a query takes at most %d, this one has %d", MaxTerms, MaxTerms+1); err == nil || err.Error() != want {
		t.Errorf("%d terms: %v, want %s", MaxTerms+1, err, want)
	}
}

func TestWords(t *testing.T) {
	q, _ := Parse(`invoice -spam from:x "two words"`, now)
	got := q.Words()
	if len(got) != 2 || got[0] != "invoice" || got[1] != "two words" {
		t.Fatalf("Words = %q", got)
	}
}

func TestSort(t *testing.T) {
	order := func(by SortField, rev bool) string {
		s := sample()
		Sort(s, by, rev)
		out := ""
		for _, x := range s {
			out += x.Key
		}
		return out
	}
	for _, tc := range []struct {
		by   SortField
		rev  bool
		want string
	}{
		{ByDate, false, "acb"}, {ByDate, true, "bca"},
		{ByFrom, false, "acb"}, // Billing, zed@, 김철수
		{BySubject, false, "acb"},
		{BySize, false, "bca"}, {BySize, true, "acb"},
	} {
		if got := order(tc.by, tc.rev); got != tc.want {
			t.Errorf("Sort(%s, %v) = %s, want %s", tc.by, tc.rev, got, tc.want)
		}
	}
	if _, err := ParseSort("color"); err == nil {
		t.Error("ParseSort accepted an unknown field")
	}
}

func BenchmarkMatch100k(b *testing.B) {
	base := sample()
	all := make([]mailstore.Summary, 0, 100000)
	for len(all) < 100000 {
		all = append(all, base...)
	}
	q, _ := Parse("invoice -spam:fail", now)
	b.ResetTimer()
	for range b.N {
		n := 0
		for i := range all {
			if q.Match(&all[i]) {
				n++
			}
		}
	}
}

// TestFoldKeyOrdersAsCompareFold: sorting by FoldKey bytes (what the index
// does in SQL) is sorting by CompareFold, for any strings.
func TestFoldKeyOrdersAsCompareFold(t *testing.T) {
	src := gensum.NewRand(7)
	for range 20000 {
		a, b := gensum.String(src, 6), gensum.String(src, 6)
		if src.IntN(3) == 0 {
			b = strings.ToUpper(a) + gensum.String(src, 2)
		}
		if got, want := strings.Compare(FoldKey(a), FoldKey(b)), CompareFold(a, b); got != want {
			t.Fatalf("FoldKey order %d, CompareFold %d for %q, %q", got, want, a, b)
		}
	}
}

// TestFoldKeyIsEveryRuneLowered: FoldKey, ASCII a byte at a time, is
// every rune through unicode.ToLower (foldEachRune, kept here as the
// oracle) for 20,000 generated strings of any script, cased ASCII and
// invalid bytes; a string with nothing to lower is returned as it is.
func TestFoldKeyIsEveryRuneLowered(t *testing.T) {
	src := gensum.NewRand(8)
	extra := []string{"ABC", "Zz", "\xff", "\xc3", "\xe2\x82", "İ", "K", "ẞ", "Σ", "@", " "}
	for range 20000 {
		s := gensum.String(src, 6)
		for range src.IntN(4) {
			s += extra[src.IntN(len(extra))] + gensum.String(src, 2)
		}
		if got, want := FoldKey(s), foldEachRune(s); got != want {
			t.Fatalf("FoldKey(%q) = %q, want %q", s, got, want)
		}
	}
	if s := "bob@x.example 1"; unsafe.StringData(FoldKey(s)) != unsafe.StringData(s) {
		t.Error("FoldKey copied a string with nothing to lower")
	}
}

// foldEachRune is FoldKey as it was: the oracle of
// TestFoldKeyIsEveryRuneLowered.
func foldEachRune(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// TestMistypedTermSuggestsTheClosest: a field one or two edits from a term
// names it, as a mistyped command names the command; one as far from
// every term, or as close to two, names none.
func TestMistypedTermSuggestsTheClosest(t *testing.T) {
	now := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	for in, want := range map[string]string{
		"frm:alice":        "did you mean from:?",
		"Form:alice":       "did you mean from:?",
		"subjct:invoice":   "did you mean subject:?",
		"spaam:fail":       "did you mean spam:?",
		"spm:fail":         "", // as close to spf: as to spam:
		"dkin:fail":        "did you mean dkim:?",
		"aftr:2026-01-01":  "did you mean after:?",
		"xyzzy:1":          "",
		"forwrd:failed":    "did you mean forward:?",
		"beforee:today -x": "did you mean before:?",
		"stored-aftr:1d":   "did you mean stored-after:?",
		"stored-befor:1d":  "did you mean stored-before:?",
	} {
		_, err := Parse(in, now)
		if err == nil {
			t.Errorf("%q parsed", in)
			continue
		}
		if got := err.Error(); want == "" && strings.Contains(got, "did you mean") || want != "" && !strings.Contains(got, want) {
			t.Errorf("%q: %s, want %q", in, got, want)
		}
	}
	// A hyphenated word far from every term is text, as before.
	for _, in := range []string{"e-mail:alice", "x-mailer:outlook"} {
		if _, err := Parse(in, now); err != nil {
			t.Errorf("%q: %v", in, err)
		}
	}
}

// TestParseDateTakesATime: after:2026-03-02T10:00:00Z and
// after:2026-03-02T10:00 were refused ("is not a date"): the value was
// lowercased before it was parsed, and no layout with its T and Z could
// match.
func TestParseDateTakesATime(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Time{
		"2026-03-02T10:00:00Z":      time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC),
		"2026-03-02T10:00:00+02:00": time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC),
		"2026-03-02T10:00":          time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC),
		// With seconds and no zone, as a person writes a time of the
		// action log: "is not a date" (audit log --before), until
		// 2026-12-07.
		"2026-03-02T10:00:30": time.Date(2026, 3, 2, 10, 0, 30, 0, time.UTC),
		"2026-03-02":          time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC),
		"Today":               time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC),
		"7D":                  time.Date(2026, 3, 3, 12, 0, 0, 0, time.UTC),
	} {
		if got, err := ParseDate(v, now); err != nil || !got.Equal(want) {
			t.Errorf("%s: %v %v, want %v", v, got, err, want)
		}
	}
	if _, err := Parse("after:2026-03-02T10:00:00Z", now); err != nil {
		t.Errorf("after: with a time: %v", err)
	}
	// A value refused is quoted as given, not lower-cased
	// ("2026-12-07t13:28:1x").
	if _, err := ParseDate("2026-03-02T10:00:3x", now); err == nil || !strings.Contains(err.Error(), `"2026-03-02T10:00:3x"`) {
		t.Errorf("refused: %v", err)
	}
}

// TestHelpNamesEveryDateForm: the syntax help (ls --help, export --help,
// the TUI's ?) names every date form a query takes, as the error for a
// date that is none lists them: it named only YYYY-MM-DD, today,
// yesterday and ages, so after:2026-11-01T09:30 was found only by
// mistyping a date.
func TestHelpNamesEveryDateForm(t *testing.T) {
	_, err := Parse("after:notadate", time.Now())
	if err == nil {
		t.Fatal("after:notadate parsed")
	}
	msg := err.Error()
	i, j := strings.Index(msg, "is not a date ("), strings.LastIndex(msg, ")")
	if i < 0 || j < i {
		t.Fatalf("error %q lists no date forms", msg)
	}
	list := strings.NewReplacer("or an age such as 7d", "", "or ", "").Replace(msg[i+len("is not a date (") : j])
	help := strings.Join(strings.Fields(Help), " ")
	for _, form := range strings.Split(list, ", ") {
		if form = strings.TrimSpace(form); form != "" && !strings.Contains(help, form) {
			t.Errorf("Help does not name the date form %q:\n%s", form, Help)
		}
	}
	for _, form := range []string{"2026-11-01T09:30", "2026-11-01T09:30:15", "2026-11-01T09:30:00Z", "today", "yesterday", "24h", "1y"} {
		if _, err := Parse("after:"+form, time.Now()); err != nil {
			t.Errorf("after:%s: %v", form, err)
		}
	}
}
