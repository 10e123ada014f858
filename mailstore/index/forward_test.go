package index

import (
	"context"
	"database/sql"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore"
)

// dropV13 turns a schema 13 database back into schema 12's (and 10's
// and 11's: they differ only in what a migration marks stale).
const dropV13 = `ALTER TABLE messages DROP COLUMN derivation; `

// dropV9 turns a schema 9 database back into schema 8's.
const dropV9 = dropV13 + `DROP INDEX messages_from; DROP INDEX messages_subject; DROP INDEX messages_size; `

// dropV8 turns a schema 9 database back into schema 7's tables.
const dropV8 = dropV9 + `DROP INDEX messages_pending; ALTER TABLE messages DROP COLUMN headers_pending; `

// dropV3 turns a schema 9 database back into schema 2's tables.
const dropV3 = dropV8 + `DROP TABLE forward_events; DROP TABLE forward_scans;
ALTER TABLE messages DROP COLUMN forward_status; ALTER TABLE messages DROP COLUMN forward_error;
ALTER TABLE messages DROP COLUMN forward_destinations; ALTER TABLE messages DROP COLUMN forward_time;
ALTER TABLE messages DROP COLUMN forward_requests; `

func TestForwardStoredAndMigratedFromV2(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "i.db")
	x, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	loc := mailstore.Location{Bucket: "bk", Prefix: "p/"}
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	sums := []mailstore.Summary{
		// Exact attachment counts: schema 5 re-reads only guessed ones
		// (TestMigrateMarksGuessedCountsStale).
		{Object: mailstore.Object{Key: "p/a", ETag: "e1", LastModified: t0}, Report: mailstore.ReportBounce, AttachmentsExact: true},
		{Object: mailstore.Object{Key: "p/b", ETag: "e2", LastModified: t0.Add(time.Hour)}, AttachmentsExact: true},
	}
	if err := x.Put(ctx, "bk", sums); err != nil {
		t.Fatal(err)
	}
	x.SetRead(ctx, "bk", "p/b", true)
	x.Close()

	// A schema 2 index: reopening migrates it in place, keeping rows and
	// read marks, without marking anything stale.
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(dropV3 + `PRAGMA user_version=2`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if x, err = Open(path); err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	known, err := x.Known(ctx, loc)
	if err != nil || len(known) != 2 || known["p/a"].Stale {
		t.Fatalf("after migration: %+v, %v", known, err)
	}
	var version int
	if err := x.db.QueryRow(`PRAGMA user_version`).Scan(&version); err != nil || version != schemaVersion {
		t.Fatalf("user_version %d, %v", version, err)
	}
	var dateIndex int
	if err := x.db.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE type='index' AND name='messages_date'`).Scan(&dateIndex); err != nil || dateIndex != 1 {
		t.Fatalf("schema 4's date index after migrating from 2: %d, %v", dateIndex, err)
	}

	fa := mailstore.Forward{Status: mailstore.ForwardFailed, Error: "MessageRejected: Email address is not verified.",
		Destinations: []string{"jim@example.com", "ja,ne\"@example.com"}, Time: t0.Add(time.Second), Requests: []string{"r1", "r2"}}
	if err := x.SetForward(ctx, "bk", map[string]mailstore.Forward{"p/a": fa, "p/b": {Status: mailstore.ForwardNone}, "p/gone": {Status: "none"}}); err != nil {
		t.Fatal(err)
	}
	// A refresh that puts the summary again keeps the forward status.
	if err := x.Put(ctx, "bk", sums[:1]); err != nil {
		t.Fatal(err)
	}
	got, err := x.Summaries(ctx, loc)
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]mailstore.Summary{}
	for _, s := range got {
		byKey[s.Key] = s
	}
	if !reflect.DeepEqual(byKey["p/a"].Forward, fa) {
		t.Errorf("forward of p/a: %+v, want %+v", byKey["p/a"].Forward, fa)
	}
	if f := byKey["p/b"].Forward; f.Status != mailstore.ForwardNone || !f.Time.IsZero() || f.Destinations != nil || !byKey["p/b"].Read {
		t.Errorf("p/b: %+v", byKey["p/b"])
	}
	if old, ok, err := x.Oldest(ctx, loc); err != nil || !ok || !old.Equal(t0) {
		t.Errorf("oldest: %v %v %v", old, ok, err)
	}
}

func TestLogEventsAndScan(t *testing.T) {
	ctx := context.Background()
	x, err := OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	const g = "/aws/lambda/Fwd"
	ev := []LogEvent{
		{ID: "2", RequestID: "r1", Time: t0.Add(time.Millisecond), Message: "b"},
		{ID: "1", RequestID: "r1", Time: t0, Message: "a"},
		{ID: "3", RequestID: "r2", Time: t0, Message: "c"},
	}
	if err := x.PutLogEvents(ctx, g, ev); err != nil {
		t.Fatal(err)
	}
	// An overlapping read delivers the same events again.
	if err := x.PutLogEvents(ctx, g, append(ev[:1:1], LogEvent{ID: "4", Time: t0, Message: "d"})); err != nil {
		t.Fatal(err)
	}
	all, err := x.LogEvents(ctx, g)
	if err != nil || len(all) != 4 || all[0].ID != "1" || all[3].ID != "2" {
		t.Fatalf("events: %+v, %v", all, err)
	}
	r1, err := x.LogEvents(ctx, g, "r1")
	if err != nil || len(r1) != 2 || r1[0].Message != "a" || r1[1].Message != "b" {
		t.Fatalf("events of r1: %+v, %v", r1, err)
	}
	if other, _ := x.LogEvents(ctx, "/aws/lambda/Other"); len(other) != 0 {
		t.Fatalf("another group: %+v", other)
	}
	if _, ok, err := x.LogScanOf(ctx, g); ok || err != nil {
		t.Fatalf("scan before any: %v %v", ok, err)
	}
	s := LogScan{From: t0, To: t0.Add(time.Hour), CoveredFrom: t0.Add(-time.Hour)}
	for range 2 {
		if err := x.SetLogScan(ctx, g, s); err != nil {
			t.Fatal(err)
		}
		s.To = s.To.Add(time.Hour)
	}
	got, ok, err := x.LogScanOf(ctx, g)
	if err != nil || !ok || !got.To.Equal(t0.Add(2*time.Hour)) || !got.From.Equal(t0) || !got.CoveredFrom.Equal(t0.Add(-time.Hour)) {
		t.Fatalf("scan: %+v %v %v", got, ok, err)
	}
}
