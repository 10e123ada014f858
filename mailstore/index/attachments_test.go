package index

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
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

// TestLateUuencodedFileIsNotCountedExactly: a plain text message whose
// uuencoded file starts past the first range the index reads (16 KiB) was
// listed with no attachment, exactly (attachmentsExact true), and gained
// one when opened. Its count is a lower bound now, said so, and the text
// is not read whole for it (countAttachments says why). An HTML message
// as long is counted exactly from its header (Parse takes no files out of
// HTML).
func TestLateUuencodedFileIsNotCountedExactly(t *testing.T) {
	f := newFixture(t)
	head := "Received: from mx by inbound-smtp.us-east-1.amazonaws.com with SMTP id x for support@acme.example; Mon, 16 Nov 2026 09:12:33 +0000 (UTC)\r\n" +
		"From: a@example.com\r\nTo: support@acme.example\r\nSubject: report\r\nDate: Mon, 16 Nov 2026 09:00:00 +0000\r\n"
	filler := strings.Repeat("a line of the report, no file in it\r\n", 1000) // 37 KB
	f.srv.Put(t, "mail", "inbox/text", []byte(head+"Content-Type: text/plain\r\n\r\n"+filler+"begin 644 late.bin\r\n#86)C\r\n`\r\nend\r\n"))
	f.srv.Put(t, "mail", "inbox/html", []byte(head+"Content-Type: text/html\r\n\r\n<p>"+filler+"</p>\r\n"))
	f.refresh(t)
	ctx := context.Background()
	text, _, err := f.idx.Get(ctx, "mail", "inbox/text")
	if err != nil || text.Attachments != 0 || text.AttachmentsExact {
		t.Errorf("text with a file at 37 KB: %d attachments (exact %v), %v; want 0, not exact (a lower bound: the rest is not read)", text.Attachments, text.AttachmentsExact, err)
	}
	html, _, err := f.idx.Get(ctx, "mail", "inbox/html")
	if err != nil || html.Attachments != 0 || !html.AttachmentsExact {
		t.Errorf("long HTML: %d attachments (exact %v), %v; want 0, exact", html.Attachments, html.AttachmentsExact, err)
	}
	// Two ranged reads of the first 16 KiB: neither is read again.
	if gets := f.rec.ObjectGets(); gets != 2 {
		t.Errorf("%d object GETs, want 2", gets)
	}
}
