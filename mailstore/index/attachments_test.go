package index

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/sesbox/sesbox/mailstore"
)

// Schemas 2 and 3 stored a guess where a count was not exact (1 for any
// multipart/mixed); schema 5 reads a count that is not exact as a lower
// bound. Migrating keeps the exact counts (messages opened) and marks the
// guesses stale, so they are counted again before they are listed: an
// old guess is never misread as "at least one attachment".
func TestMigrateMarksGuessedCountsStale(t *testing.T) {
	for _, from := range []struct {
		version int
		sql     string
	}{{3, dropV8}, {2, dropV3}} {
		t.Run(fmt.Sprint(from.version), func(t *testing.T) { migrateGuessedCounts(t, from.sql, from.version) })
	}
}

func migrateGuessedCounts(t *testing.T, downgrade string, version int) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "i.db")
	x, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	sums := []mailstore.Summary{
		{Object: mailstore.Object{Key: "p/guess", ETag: "e1"}, Attachments: 1},
		{Object: mailstore.Object{Key: "p/opened", ETag: "e2"}, Attachments: 2, AttachmentsExact: true},
	}
	if err := x.Put(ctx, "bk", sums); err != nil {
		t.Fatal(err)
	}
	x.Close()

	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(downgrade + fmt.Sprintf(`PRAGMA user_version=%d`, version)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	x, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if n := x.Notice(); n == "" {
		t.Error("no notice of the migration")
	}
	known, err := x.Known(ctx, mailstore.Location{Bucket: "bk", Prefix: "p/"})
	if err != nil {
		t.Fatal(err)
	}
	if len(known) != 2 || !known["p/guess"].Stale || known["p/opened"].Stale {
		t.Fatalf("after migration: %+v", known)
	}
	listed, err := x.Summaries(ctx, mailstore.Location{Bucket: "bk", Prefix: "p/"})
	if err != nil || len(listed) != 1 || listed[0].Key != "p/opened" || listed[0].Attachments != 2 || !listed[0].AttachmentsExact {
		t.Fatalf("listed after migration: %+v, %v", listed, err)
	}
	var now int
	if err := x.db.QueryRow(`PRAGMA user_version`).Scan(&now); err != nil || now != schemaVersion {
		t.Fatalf("user_version %d, %v", now, err)
	}
}
