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

	// An index from before the column: dropping it stands in for the old
	// schema. Reopening adds it and clears the ETags so the next refresh
	// summarizes every header again.
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`ALTER TABLE messages DROP COLUMN report`); err != nil {
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
	if len(known) != 2 || known["p/a"].ETag != "" || known["p/b"].ETag != "" {
		t.Fatalf("after migration: %+v", known)
	}
	// Opening again changes nothing more.
	if err := addReportColumn(x.db); err != nil {
		t.Fatal(err)
	}
}
