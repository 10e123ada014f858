package index

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/query"
)

// foldRunes are capitals and small letters whose case SQLite's trigram
// tokenizer and Go may fold apart (or together) differently: Turkish
// dotted and dotless I, Kelvin and Ångström signs, sharp s and its
// capital, final sigma, title-case digraphs, ligatures, Georgian Mtavruli
// (capitals since Unicode 11), Deseret, Roman numerals, circled letters,
// a combining accent, micro sign, long s.
var foldRunes = []rune("aAiIİıKkKßẞσΣςǅǄǆÅåÅﬀFfΐΪ̈éÉe\u0301ΩΩωⅫⅻⓐⒶ𐐀𐐨ĲĳſSsµΜμᲡᲐსა")

// textQueryAgrees checks that the index finds, for a term cut from a
// subject (as it is, upper-cased, lower-cased), exactly the rows q.Match
// finds among sums.
func textQueryAgrees(t *testing.T, x *Index, sums []mailstore.Summary, term string) {
	t.Helper()
	ctx := context.Background()
	loc := mailstore.Location{Bucket: "mail", Prefix: "inbox/"}
	for _, v := range []string{term, strings.ToUpper(term), strings.ToLower(term)} {
		for _, qs := range []string{`subject:"` + v + `"`, `"` + v + `"`} {
			q, err := query.Parse(qs, time.Time{})
			if err != nil {
				t.Fatalf("%q: %v", qs, err)
			}
			var want []string
			for i := range sums {
				if q.Match(&sums[i]) {
					want = append(want, sums[i].Key)
				}
			}
			got, err := x.Query(ctx, loc, q, query.ByDate, false, 0)
			if err != nil {
				t.Fatalf("%q: %v", qs, err)
			}
			var gk []string
			for _, s := range got {
				gk = append(gk, s.Key)
			}
			slices.Sort(gk)
			slices.Sort(want)
			if !slices.Equal(gk, want) {
				t.Fatalf("query %q: index %v, q.Match %v", qs, gk, want)
			}
		}
	}
}

func TestTextQueryFindsEveryCase(t *testing.T) {
	x, err := OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	r := rand.New(rand.NewPCG(1, 2))
	var sums []mailstore.Summary
	for i := range 300 {
		var b []rune
		for range 3 + r.IntN(6) {
			b = append(b, foldRunes[r.IntN(len(foldRunes))])
		}
		sums = append(sums, mailstore.Summary{Object: mailstore.Object{Key: fmt.Sprintf("inbox/%03d", i), ETag: "e"}, Subject: string(b)})
	}
	sums = append(sums, mailstore.Summary{Object: mailstore.Object{Key: "inbox/tr", ETag: "e"}, Subject: "İstanbul ofisi"},
		mailstore.Summary{Object: mailstore.Object{Key: "inbox/ka", ETag: "e"}, Subject: "ᲡᲐᲥᲐᲠᲗᲕᲔᲚᲝ"})
	if err := x.Put(context.Background(), "mail", sums); err != nil {
		t.Fatal(err)
	}
	textQueryAgrees(t, x, sums, "istanbul")
	textQueryAgrees(t, x, sums, "საქართველო")
	for _, s := range sums {
		rs := []rune(s.Subject)
		for i := 0; i+3 <= len(rs); i++ {
			textQueryAgrees(t, x, sums, string(rs[i:i+3]))
		}
	}
}

// FuzzTextQuery holds the index's text terms to q.Match: a term cut from
// a subject finds it, whatever its letters' cases.
func FuzzTextQuery(f *testing.F) {
	f.Add("İstanbul", "Ankara", 0, 4)
	f.Add("ᲡᲐᲥᲐᲠᲗᲕᲔᲚᲝ", "ßẞ", 2, 5)
	f.Fuzz(func(t *testing.T, a, b string, start, n int) {
		if !utf8.ValidString(a) || !utf8.ValidString(b) || strings.ContainsAny(a+b, "\"\x00") {
			return // outside the property: not a term cut from a subject
		}
		rs := []rune(a)
		if start < 0 || n < 3 || start+n > len(rs) || n > 12 {
			return // outside the property: not a term cut from a subject
		}
		x, err := OpenMemory()
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		sums := []mailstore.Summary{
			{Object: mailstore.Object{Key: "inbox/a", ETag: "e"}, Subject: a},
			{Object: mailstore.Object{Key: "inbox/b", ETag: "e"}, Subject: b},
		}
		if err := x.Put(context.Background(), "mail", sums); err != nil {
			t.Fatal(err)
		}
		textQueryAgrees(t, x, sums, string(rs[start:start+n]))
	})
}
