package index

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/s3store"
	"github.com/sesbox/sesbox/mailstore/testutil/fakes3"
	"github.com/sesbox/sesbox/mailstore/testutil/httprec"
)

// globalDSN is a bounce under report-type=global-delivery-status (RFC
// 6533), which derivation 0 did not take for a report, larger than the
// header range: its count is read from the head.
func globalDSN() []byte {
	return []byte("From: Mail Delivery System <postmaster@mx.example>\r\nTo: support@acme.example\r\n" +
		"Subject: Undeliverable: invoice\r\nDate: Mon, 16 Nov 2026 09:12:33 +0000\r\nMessage-ID: <dsn1@mx.example>\r\n" +
		"Content-Type: multipart/report; report-type=global-delivery-status; boundary=r\r\n\r\n" +
		"--r\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n" +
		"--r\r\nContent-Type: message/global-delivery-status\r\n\r\n" +
		"Reporting-MTA: dns; mx.example\r\n\r\nFinal-Recipient: utf-8; jürgen@y.example\r\nAction: failed\r\nStatus: 5.1.1\r\n" +
		"--r\r\nContent-Type: message/global\r\n\r\nSubject: invoice\r\n\r\n" + strings.Repeat("the original message, returned whole\r\n", 1000) +
		"--r--\r\n")
}

// TestOldDerivationHealsOnRefresh: an index whose rows an older
// summaryDerivation wrote (schema 12: a global DSN indexed with no
// [bounce]) is moved to schema 13 on open with every row listed as it
// was; the next refresh reads again only the header range of the rows
// that may derive otherwise (one GET each: no message is downloaded
// whole), after which the DSN is a bounce, every read mark is kept, and
// a refresh after reads nothing.
func TestOldDerivationHealsOnRefresh(t *testing.T) {
	ctx := context.Background()
	srv, rec := fakes3.Start(t, "mail"), &httprec.Recorder{}
	loc := mailstore.Location{Bucket: "mail", Prefix: "inbox/"}
	st := s3store.New(srv.Client(rec), loc)
	srv.Put(t, "mail", "inbox/dsn", globalDSN())
	srv.Put(t, "mail", "inbox/plain", msg(1, "hello", "a@example.com"))
	srv.Put(t, "mail", "inbox/bounce", []byte("From: MAILER-DAEMON@mx.example\r\nSubject: Undelivered Mail\r\n"+
		"Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--\r\n"))
	path := filepath.Join(t.TempDir(), "index.db")
	refresh := func(x *Index) Progress {
		t.Helper()
		var last Progress
		if err := Refresh(ctx, x, st, Options{Workers: 2}, func(p Progress) { last = p }); err != nil {
			t.Fatal(err)
		}
		return last
	}
	byKey := func(x *Index) map[string]mailstore.Summary {
		t.Helper()
		sums, err := x.Summaries(ctx, loc)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]mailstore.Summary{}
		for _, s := range sums {
			out[s.Key] = s
		}
		return out
	}

	x, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	refresh(x)
	if got := byKey(x); got["inbox/dsn"].Report != mailstore.ReportBounce {
		t.Fatalf("a fresh index: the global DSN's report is %q", got["inbox/dsn"].Report)
	}
	for _, k := range []string{"inbox/dsn", "inbox/plain"} {
		if err := x.SetRead(ctx, "mail", k, true); err != nil {
			t.Fatal(err)
		}
	}
	x.Close()

	// As derivation 0 wrote it: the DSN no report, and schema 12.
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE messages SET report='' WHERE key='inbox/dsn'; ` + dropV13 + `PRAGMA user_version=12`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	x, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	before := byKey(x)
	if len(before) != 3 || before["inbox/dsn"].Report != "" || !before["inbox/dsn"].Read || before["inbox/plain"].Subject != "hello" {
		t.Fatalf("after the migration, before a refresh, the rows are not listed as they were: %+v", before)
	}
	gets := rec.ObjectGets()
	// The migration marks the bounce as derivation 1 wrote it; derivation 2
	// (localized dates, a report-type left out) reads it again too.
	if p := refresh(x); p.ToFetch != 3 || rec.ObjectGets()-gets != 3 {
		t.Fatalf("the refresh after the migration read %d messages in %d GETs; want the header range of each of the 3 rows", p.ToFetch, rec.ObjectGets()-gets)
	}
	after := byKey(x)
	if len(after) != 3 || after["inbox/dsn"].Report != mailstore.ReportBounce || after["inbox/bounce"].Report != mailstore.ReportBounce {
		t.Fatalf("after the refresh: %+v", after)
	}
	if !after["inbox/dsn"].Read || !after["inbox/plain"].Read || after["inbox/bounce"].Read {
		t.Errorf("read marks lost: dsn %v, plain %v, bounce %v", after["inbox/dsn"].Read, after["inbox/plain"].Read, after["inbox/bounce"].Read)
	}
	gets = rec.ObjectGets()
	if p := refresh(x); p.ToFetch != 0 || rec.ObjectGets() != gets {
		t.Errorf("a second refresh read %d messages", p.ToFetch)
	}
}
