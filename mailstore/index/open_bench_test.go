package index

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore"
)

// BenchmarkOpen100k measures Open (with its quick check) of an index of
// 100,000 messages: the price of a self-check on every start.
func BenchmarkOpen100k(b *testing.B) {
	const n = 100000
	path := filepath.Join(b.TempDir(), "i.db")
	x, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	sums := make([]mailstore.Summary, n)
	for i := range sums {
		sums[i] = mailstore.Summary{Object: mailstore.Object{Key: fmt.Sprintf("inbox/%07d", i), ETag: "e", Size: 3000},
			Date: time.Unix(int64(1.7e9)+int64(i), 0), From: mailstore.Address{Name: "Alice Example", Address: "alice@example.com"},
			To: []mailstore.Address{{Address: "support@example.org"}}, Recipients: []string{"support@example.org"},
			Subject: fmt.Sprintf("Order %d: your invoice and shipping confirmation", i), MessageID: fmt.Sprintf("%d@mail.example.com", i)}
	}
	if err := x.Put(context.Background(), "b", sums); err != nil {
		b.Fatal(err)
	}
	x.Close()
	for b.Loop() {
		x, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		x.Close()
	}
}
