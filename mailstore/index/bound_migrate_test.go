package index

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore"
)

// Schema 11's summaries keep a Subject, a name or an address to 4 KB and
// an address list to 16 KB. Rows a schema 10 sesbox wrote whole (a 4 MB
// Subject held every refresh that met it 22 s) are marked stale by the
// migration, so the next refresh reads them again, bound; rows within the
// bound, and their read marks, are kept as they are.
func TestMigrateMarksUnboundSummariesStale(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "i.db")
	x, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	many := make([]mailstore.Address, 2000)
	for i := range many {
		many[i] = mailstore.Address{Name: "Recipient Name", Address: "someone@example.com"}
	}
	sums := []mailstore.Summary{
		{Object: mailstore.Object{Key: "p/subject", ETag: "e1"}, Subject: strings.Repeat("x", 5000)},
		{Object: mailstore.Object{Key: "p/from", ETag: "e2"}, From: mailstore.Address{Name: strings.Repeat("n", 4100), Address: "a@example.com"}},
		{Object: mailstore.Object{Key: "p/to", ETag: "e3"}, To: many},
		{Object: mailstore.Object{Key: "p/plain", ETag: "e4"}, Subject: strings.Repeat("y", 4096) + "…", To: many[:10]},
	}
	if err := x.Put(ctx, "bk", sums); err != nil {
		t.Fatal(err)
	}
	x.Close()

	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(dropV13 + `PRAGMA user_version=10`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	x, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	known, err := x.Known(ctx, mailstore.Location{Bucket: "bk", Prefix: "p/"})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"p/subject", "p/from", "p/to"} {
		if !known[k].Stale {
			t.Errorf("%s: not marked to be read again: %+v", k, known[k])
		}
	}
	if len(known) != 4 || known["p/plain"].Stale {
		t.Errorf("a summary within the bound was marked to be read again: %+v", known)
	}
	var now int
	if err := x.db.QueryRow(`PRAGMA user_version`).Scan(&now); err != nil || now != schemaVersion {
		t.Fatalf("user_version %d, %v", now, err)
	}
}

// Schema 12 lists a message whose Date is more than a day after it was
// stored by its stored time (mailstore.Summary.SettleDate). Rows a schema
// 11 sesbox wrote with such a Date (which headed every list sorted newest
// first) are marked stale by the migration, so the next refresh settles
// their date; other rows, and rows listed by their stored time already,
// are kept as they are.
func TestMigrateRereadsDatesAfterTheStoredTime(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "i.db")
	x, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	stored := time.Date(2026, 11, 3, 14, 2, 11, 0, time.UTC)
	obj := func(key string) mailstore.Object {
		return mailstore.Object{Key: key, ETag: "e", LastModified: stored}
	}
	sums := []mailstore.Summary{
		{Object: obj("p/pinned"), Date: time.Date(2199, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Object: obj("p/fast-clock"), Date: stored.Add(5 * time.Hour)},
		{Object: obj("p/plain"), Date: stored.Add(-time.Hour)},
		{Object: obj("p/settled"), Date: stored, DateFromStore: true},
	}
	if err := x.Put(ctx, "bk", sums); err != nil {
		t.Fatal(err)
	}
	x.Close()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(dropV13 + `PRAGMA user_version=11`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	x, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	known, err := x.Known(ctx, mailstore.Location{Bucket: "bk", Prefix: "p/"})
	if err != nil {
		t.Fatal(err)
	}
	for k, h := range known {
		if h.Stale != (k == "p/pinned") {
			t.Errorf("%s: stale %v", k, h.Stale)
		}
	}
	var now int
	if err := x.db.QueryRow(`PRAGMA user_version`).Scan(&now); err != nil || now != schemaVersion || len(known) != 4 {
		t.Fatalf("user_version %d, %v; %d rows", now, err, len(known))
	}
}
