package index

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/testutil/gensum"
)

// putAndGet writes sums (with their read and missing state) and reads each
// back by key, failing on any difference from its normal form.
func putAndGet(t *testing.T, x *Index, sums []mailstore.Summary) {
	t.Helper()
	ctx := context.Background()
	if err := x.Put(ctx, "b", sums); err != nil {
		t.Fatal(err)
	}
	missing := map[bool][]string{}
	fw := map[string]mailstore.Forward{}
	for _, s := range sums {
		fw[s.Key] = s.Forward
		if s.Read {
			if err := x.SetRead(ctx, "b", s.Key, true); err != nil {
				t.Fatal(err)
			}
		}
		missing[s.Missing] = append(missing[s.Missing], s.Key)
	}
	if err := x.SetForward(ctx, "b", fw); err != nil {
		t.Fatal(err)
	}
	for m, keys := range missing {
		if err := x.SetMissing(ctx, "b", keys, m); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range sums {
		got, ok, err := x.Get(ctx, "b", s.Key)
		if err != nil || !ok {
			t.Fatalf("Get %q: %v %v", s.Key, ok, err)
		}
		if want := gensum.Normal(s); !reflect.DeepEqual(got, want) {
			t.Fatalf("round trip changed the summary:\n got %#v\nwant %#v", got, want)
		}
	}
}

// TestRoundTripProperty: any summary written to the index and read back is
// the same summary (in its normal form: nil for empty lists, UTC times).
// 500 generated summaries full of separators, quotes, controls, any
// script; the seed is fixed so a failure reproduces.
func TestRoundTripProperty(t *testing.T) {
	x, err := Open(filepath.Join(t.TempDir(), "i.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	src := gensum.NewRand(10)
	for batch := range 5 {
		sums := make([]mailstore.Summary, 100)
		for i := range sums {
			sums[i] = gensum.Summary(src, batch*1000+i)
		}
		putAndGet(t, x, sums)
	}
	// Summaries (the list path) agrees with Get.
	all, err := x.Summaries(context.Background(), mailstore.Location{Bucket: "b"})
	if err != nil || len(all) != 500 {
		t.Fatalf("Summaries: %d rows, %v", len(all), err)
	}
}

// FuzzRoundTrip is the same property over fuzz-chosen summaries
// (go test -fuzz FuzzRoundTrip ./mailstore/index).
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte("\x1e\x1f"), []byte("name \x1e with \x1f separators"))
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, []byte("\"quoted, name\" <a@b>"))
	f.Add([]byte("\xff\xfe\xfd\xfc"), []byte("이서연 \u202e ﺎﻠﻋﺮﺒﻳﺓ 😀"))
	x, err := Open(filepath.Join(f.TempDir(), "i.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { x.Close() })
	n := 0
	f.Fuzz(func(t *testing.T, choices, name []byte) {
		n++
		s := gensum.Summary(gensum.NewBytes(choices), n)
		if utf8Valid(name) {
			s.From.Name = string(name)
			s.To = append(s.To, mailstore.Address{Name: string(name), Address: string(name)})
			s.Recipients = append(s.Recipients, string(name))
		}
		putAndGet(t, x, []mailstore.Summary{s})
	})
}

func utf8Valid(b []byte) bool {
	for _, c := range b {
		if c == 0 {
			return false // NUL-free: the bound, and SQLite's text functions stop at NUL
		}
	}
	return string([]rune(string(b))) == string(b)
}

// TestOldSeparatorsWereLossy pins the bug this schema fixes: the v0
// encoding turned an address without a name into "\ufffd" + address.
func TestEmptyNameAddressRoundTrips(t *testing.T) {
	x, err := Open(filepath.Join(t.TempDir(), "i.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	s := mailstore.Summary{Object: mailstore.Object{Key: "k", ETag: "e"},
		To: []mailstore.Address{{Address: "billing@acme-demo.example"}}}
	putAndGet(t, x, []mailstore.Summary{s})
}
