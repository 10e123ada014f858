//go:build integration

package team

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/index"
	"github.com/sesbox/sesbox/mailstore/mailbox"
	"github.com/sesbox/sesbox/mailstore/query"
	"github.com/sesbox/sesbox/mailstore/s3store"
	"github.com/sesbox/sesbox/mailstore/testutil/fakes3"
	"github.com/sesbox/sesbox/mailstore/testutil/peer"
)

// testMailboxesShareReadState: two operators' mailbox services (each its
// own index, as on two machines) over one bucket and one team table. What
// one marks, the other's list shows after its next Refresh, which is what
// the TUI calls before it reloads the list, and not before.
func testMailboxesShareReadState(t *testing.T, db *peer.DynamoDB) {
	_, table := newTable(t, db)
	ctx := context.Background()
	srv := fakes3.Start(t, "mail")
	for i := range 3 {
		srv.Put(t, "mail", "inbox/m"+string(rune('0'+i)), mail(i))
	}
	open := func(host string) *mailbox.Mailbox {
		idx, err := index.Open(filepath.Join(t.TempDir(), "index.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { idx.Close() })
		m := mailbox.New(host, s3store.New(srv.Client(nil), mailstore.Location{Bucket: "mail", Prefix: "inbox/"}), idx)
		m.ShareReadState(newStore(db.Client(), table, owner(host, 1)))
		if err := m.Refresh(ctx, nil); err != nil {
			t.Fatal(err)
		}
		return m
	}
	read := func(m *mailbox.Mailbox) map[string]bool {
		t.Helper()
		sums, err := m.Summaries(ctx, query.Query{}, query.ByDate, false)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for _, s := range sums {
			out[s.Key] = s.Read
		}
		return out
	}
	a, b := open("a"), open("b")
	if err := a.SetRead(ctx, "inbox/m1", true); err != nil {
		t.Fatal(err)
	}
	if r := read(a); !r["inbox/m1"] {
		t.Fatal("a's own mark is not in a's list")
	}
	if r := read(b); r["inbox/m1"] {
		t.Fatal("b's list changed before b refreshed")
	}
	if err := b.Refresh(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if r := read(b); !r["inbox/m1"] || r["inbox/m0"] || r["inbox/m2"] {
		t.Fatalf("b after refresh: %v", r)
	}
	if err := b.SetRead(ctx, "inbox/m1", false); err != nil {
		t.Fatal(err)
	}
	if err := a.Refresh(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if r := read(a); r["inbox/m1"] {
		t.Fatalf("a after b's unread: %v", r)
	}
}
