package index

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/sesbox/sesbox/mailstore"
)

func TestReportStoredAndMigrated(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "i.db")
	x, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	sums := []mailstore.Summary{
		{Object: mailstore.Object{Key: "p/a", ETag: "e1"}, Report: mailstore.ReportBounce},
		{Object: mailstore.Object{Key: "p/b", ETag: "e2"}},
	}
	if err := x.Put(ctx, "bk", sums); err != nil {
		t.Fatal(err)
	}
	got, err := x.Summaries(ctx, mailstore.Location{Bucket: "bk", Prefix: "p/"})
	if err != nil {
		t.Fatal(err)
	}
	reports := map[string]string{}
	for _, s := range got {
		reports[s.Key] = s.Report
	}
	if reports["p/a"] != mailstore.ReportBounce || reports["p/b"] != "" {
		t.Fatalf("reports %v", reports)
	}
	x.Close()

	// An index of schema 1, from before the column: reopening migrates it
	// to the current schema and marks every row stale, so the next refresh
	// summarizes every header again (and finds the reports).
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(dropV3 + `ALTER TABLE messages DROP COLUMN report; PRAGMA user_version=1`); err != nil {
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
	if len(known) != 2 || !known["p/a"].Stale || !known["p/b"].Stale {
		t.Fatalf("after migration: %+v", known)
	}
	var version int
	if err := x.db.QueryRow(`PRAGMA user_version`).Scan(&version); err != nil || version != schemaVersion {
		t.Fatalf("user_version %d, %v", version, err)
	}
}

// TestMigrateV5AddsTheDateIndex: an index of schema 5 (no date index) is
// upgraded in place to schema 7 with its rows and read marks as they were.
func TestMigrateV5AddsTheDateIndex(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "i.db")
	x, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	loc := mailstore.Location{Bucket: "bk", Prefix: "p/"}
	if err := x.Put(ctx, "bk", []mailstore.Summary{{Object: mailstore.Object{Key: "p/a", ETag: "e1"}, Subject: "kept"}}); err != nil {
		t.Fatal(err)
	}
	if err := x.SetRead(ctx, "bk", "p/a", true); err != nil {
		t.Fatal(err)
	}
	x.Close()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DROP INDEX messages_date; PRAGMA user_version=5`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if x, err = Open(path); err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	var version, indexes int
	if err := x.db.QueryRow(`PRAGMA user_version`).Scan(&version); err != nil || version != schemaVersion {
		t.Fatalf("user_version %d, %v", version, err)
	}
	if err := x.db.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE type='index' AND name='messages_date'`).Scan(&indexes); err != nil || indexes != 1 {
		t.Fatalf("date index: %d, %v", indexes, err)
	}
	got, err := x.Summaries(ctx, loc)
	if err != nil || len(got) != 1 || got[0].Subject != "kept" || !got[0].Read {
		t.Fatalf("after migration: %+v, %v", got, err)
	}
}
