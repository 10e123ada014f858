package index

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/query"
)

// orderStore is a pagedStore that records the order of header reads.
type orderStore struct {
	pagedStore
	mu   sync.Mutex
	read []string
	at   []time.Time
}

func (s *orderStore) ReadHeader(ctx context.Context, key string) ([]byte, mailstore.Object, error) {
	s.mu.Lock()
	s.read, s.at = append(s.read, key), append(s.at, time.Now())
	s.mu.Unlock()
	return s.pagedStore.ReadHeader(ctx, key)
}

func stubObj(i int, etag string) mailstore.Object {
	return mailstore.Object{Key: fmt.Sprintf("inbox/m%04d", i), ETag: etag, Size: int64(100 + i),
		LastModified: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Hour)}
}

// wholeStub is o's message: header, then a body of 'x' to o.Size bytes.
// ReadHeader's first range holds an object this small whole, and a
// header read short of a plain text's end is counted by reading it all
// (countAttachments), which these stores do not serve.
func wholeStub(o mailstore.Object, header string) []byte {
	return []byte(header + strings.Repeat("x", max(int(o.Size)-len(header), 0)))
}

// TestIngestThenFill: Ingest writes rows without headers (S3 date and
// size, HeadersPending, invisible to a header query); a second Ingest of
// the same report changes nothing; FillHeaders of the keys on screen reads
// only those, then the rest is read newest first and no row is left
// pending; an Ingest with
// a changed ETag makes the row a stub again, its read mark kept and its
// old words out of the full-text index.
func TestIngestThenFill(t *testing.T) {
	ctx := context.Background()
	x, err := OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	st := &orderStore{pagedStore: pagedStore{hdr: map[string][]byte{}}}
	loc := st.Location()
	var objs []mailstore.Object
	for i := range 1200 {
		o := stubObj(i, "e1")
		objs = append(objs, o)
		st.hdr[o.Key] = wholeStub(o, fmt.Sprintf("From: Sender %d <s%d@example.com>\r\nSubject: hello %d\r\nDate: Mon, 2 Nov 2026 10:00:00 +0000\r\n\r\n", i, i, i))
	}
	list := func(ctx context.Context, fn func([]mailstore.Object) error) error {
		for i := 0; i < len(objs); i += 500 {
			if err := fn(objs[i:min(i+500, len(objs))]); err != nil {
				return err
			}
		}
		return nil
	}
	var last Progress
	if err := Ingest(ctx, x, loc, list, func(p Progress) { last = p }); err != nil {
		t.Fatal(err)
	}
	if !last.Done || last.Listed != 1200 || last.ToFetch != 1200 || len(st.read) != 0 {
		t.Fatalf("ingest: %+v, %d reads", last, len(st.read))
	}
	if n, err := x.Pending(ctx, loc); err != nil || n != 1200 {
		t.Fatalf("pending %d, %v", n, err)
	}
	s, ok, err := x.Get(ctx, loc.Bucket, objs[7].Key)
	if err != nil || !ok || !s.HeadersPending || s.Size != 107 || !s.Date.Equal(objs[7].LastModified) || !s.DateFromStore || s.Subject != "" {
		t.Fatalf("stub %+v %v %v", s, ok, err)
	}
	q, _ := query.Parse("from:s7@example.com", time.Now())
	if got, err := x.Query(ctx, loc, q, query.ByDate, false, 0); err != nil || len(got) != 0 {
		t.Fatalf("from: matched a pending row: %v %v", got, err)
	}
	if err := x.SetMissing(ctx, loc.Bucket, []string{objs[5].Key}, true); err != nil {
		t.Fatal(err)
	}
	if err := Ingest(ctx, x, loc, list, func(p Progress) { last = p }); err != nil || last.ToFetch != 0 {
		t.Fatalf("second ingest wrote %d stubs, %v", last.ToFetch, err)
	}
	if s, _, _ := x.Get(ctx, loc.Bucket, objs[5].Key); s.Missing {
		t.Fatal("a key in the report is still marked missing")
	}

	onScreen := []string{objs[3].Key, objs[900].Key, objs[3].Key}
	var got []mailstore.Summary
	if err := FillHeaders(ctx, x, st, FillOptions{Workers: 1, Keys: onScreen}, func(p Progress) { got = append(got, p.New...) }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(st.read, onScreen[:2]) || len(got) != 2 || got[0].Subject != "hello 3" || got[0].HeadersPending {
		t.Fatalf("fill of the rows on screen read %v, reported %d", st.read, len(got))
	}
	if err := FillHeaders(ctx, x, st, FillOptions{Workers: 1}, nil); err != nil {
		t.Fatal(err)
	}
	if len(st.read) != 1200 || st.read[2] != objs[1199].Key || st.read[1199] != objs[0].Key || slices.Contains(st.read[2:], objs[900].Key) {
		t.Fatalf("read %d headers, order %v ... %v", len(st.read), st.read[:3], st.read[len(st.read)-1])
	}
	if n, err := x.Pending(ctx, loc); err != nil || n != 0 {
		t.Fatalf("pending after fill %d, %v", n, err)
	}
	if got, err := x.Query(ctx, loc, q, query.ByDate, false, 0); err != nil || len(got) != 1 || got[0].Subject != "hello 7" || got[0].HeadersPending {
		t.Fatalf("from: after fill: %+v %v", got, err)
	}

	if err := x.SetRead(ctx, loc.Bucket, objs[7].Key, true); err != nil {
		t.Fatal(err)
	}
	objs[7].ETag = "e2"
	if err := Ingest(ctx, x, loc, list, func(p Progress) { last = p }); err != nil || last.ToFetch != 1 {
		t.Fatalf("ingest of one changed key wrote %d stubs, %v", last.ToFetch, err)
	}
	s, _, _ = x.Get(ctx, loc.Bucket, objs[7].Key)
	if !s.HeadersPending || !s.Read || s.Subject != "" || s.ETag != "e2" {
		t.Fatalf("changed key: %+v", s)
	}
	var terms int
	if err := x.db.QueryRow(`SELECT count(*) FROM messages_fts WHERE messages_fts MATCH '"s7@example.com"'`).Scan(&terms); err != nil || terms != 0 {
		t.Fatalf("the changed key's old words are still in the full-text index: %d rows, %v", terms, err)
	}
}

// TestFillHeadersRate: the reads start no faster than Rate.
func TestFillHeadersRate(t *testing.T) {
	ctx := context.Background()
	x, err := OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	st := &orderStore{pagedStore: pagedStore{hdr: map[string][]byte{}}}
	var objs []mailstore.Object
	for i := range 6 {
		objs = append(objs, stubObj(i, "e1"))
		st.hdr[objs[i].Key] = wholeStub(objs[i], "Subject: x\r\n\r\n")
	}
	if err := Ingest(ctx, x, st.Location(), func(ctx context.Context, fn func([]mailstore.Object) error) error { return fn(objs) }, nil); err != nil {
		t.Fatal(err)
	}
	if err := FillHeaders(ctx, x, st, FillOptions{Workers: 8, Rate: 20}, nil); err != nil {
		t.Fatal(err)
	}
	// Six reads at 20/s: the sixth starts 250 ms after the first; without
	// the limit, within a few ms. Each time is taken after the read's
	// slot is granted, so a worker the scheduler runs late moves its time:
	// the first one late by 17 ms read 233 ms under -race at a load of 20.
	if d := st.at[5].Sub(st.at[0]); d < 150*time.Millisecond {
		t.Fatalf("6 reads within %v at 20/s", d)
	}
}

// TestMigrateV7AddsPendingHeaders: an index of schema 7 is upgraded in
// place: its rows and read marks kept, none of them pending, and the
// partial index of pending rows there.
func TestMigrateV7AddsPendingHeaders(t *testing.T) {
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
	if _, err := db.Exec(dropV8 + `PRAGMA user_version=7`); err != nil {
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
	if err := x.db.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE type='index' AND name='messages_pending'`).Scan(&indexes); err != nil || indexes != 1 {
		t.Fatalf("pending index: %d, %v", indexes, err)
	}
	got, err := x.Summaries(ctx, loc)
	if err != nil || len(got) != 1 || got[0].Subject != "kept" || !got[0].Read || got[0].HeadersPending {
		t.Fatalf("after migration: %+v, %v", got, err)
	}
	if n, err := x.Pending(ctx, loc); err != nil || n != 0 {
		t.Fatalf("pending after migration: %d, %v", n, err)
	}
}

func TestMigrateV8AddsTheSortIndexes(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "i.db")
	x, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	loc := mailstore.Location{Bucket: "bk", Prefix: "p/"}
	if err := x.Put(ctx, "bk", []mailstore.Summary{
		{Object: mailstore.Object{Key: "p/a", ETag: "e1"}, From: mailstore.Address{Address: "zed@example.com"}},
		{Object: mailstore.Object{Key: "p/b", ETag: "e2"}, From: mailstore.Address{Name: "ALICE"}},
	}); err != nil {
		t.Fatal(err)
	}
	x.Close()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(dropV9 + `PRAGMA user_version=8`); err != nil {
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
	if n := x.Notice(); !strings.Contains(n, "schema 13") {
		t.Errorf("notice %q: the upgrade is not said (it reads every row)", n)
	}
	if err := x.db.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE type='index' AND name IN ('messages_from','messages_subject','messages_size')`).Scan(&indexes); err != nil || indexes != 3 {
		t.Fatalf("sort indexes: %d, %v", indexes, err)
	}
	// The rows indexed before are in the new index, in its order.
	var check string
	if err := x.db.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check: %s, %v", check, err)
	}
	l, err := x.IDs(ctx, loc, query.Query{}, query.ByFrom, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := x.Rows(ctx, l.IDs)
	if err != nil || !slices.Equal(rowKeys(rows), []string{"p/b", "p/a"}) {
		t.Fatalf("by sender after migration: %v, %v", rowKeys(rows), err)
	}
}
