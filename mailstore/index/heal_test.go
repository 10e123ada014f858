package index

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/xdg"
)

// filledIndex writes an index with one message at path and closes it.
func filledIndex(t *testing.T, path string) {
	t.Helper()
	x, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	sums := make([]mailstore.Summary, 300)
	for i := range sums {
		sums[i] = mailstore.Summary{Object: mailstore.Object{Key: "k" + strings.Repeat("x", i), ETag: "e"},
			Subject: strings.Repeat("subject ", 40)}
	}
	if err := x.Put(context.Background(), "b", sums); err != nil {
		t.Fatal(err)
	}
	x.Close()
}

// assertHealed opens path and checks that the index works (empty), that
// the notice names what was moved aside, and that the old bytes are there.
func assertHealed(t *testing.T, path string, old []byte) {
	t.Helper()
	x, err := Open(path)
	if err != nil {
		t.Fatalf("Open of a damaged index failed: %v", err)
	}
	defer x.Close()
	if !strings.Contains(x.Notice(), ".corrupt-") || !strings.Contains(x.Notice(), "the next refresh rebuilds it from S3") {
		t.Errorf("notice %q does not say what was done", x.Notice())
	}
	ctx := context.Background()
	if err := x.Put(ctx, "b", []mailstore.Summary{{Object: mailstore.Object{Key: "new", ETag: "e"}}}); err != nil {
		t.Fatal(err)
	}
	if s, err := x.Summaries(ctx, mailstore.Location{Bucket: "b"}); err != nil || len(s) != 1 {
		t.Fatalf("healed index: %d rows, %v", len(s), err)
	}
	aside, _ := filepath.Glob(path + ".corrupt-*")
	var found bool
	for _, a := range aside {
		if b, err := os.ReadFile(a); err == nil && bytes.Equal(b, old) {
			found = true
		}
	}
	if !found {
		t.Errorf("the damaged file was not kept aside (have %v)", aside)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("new index mode: %v %v", fi, err)
	}
	// Open again: healthy now, nothing to say.
	x.Close()
	y, err := Open(path)
	if err != nil || y.Notice() != "" {
		t.Fatalf("second open: %v, notice %q", err, y.Notice())
	}
	y.Close()
}

func TestHealTruncated(t *testing.T) {
	old := quickCheckMaxBytes
	t.Cleanup(func() { quickCheckMaxBytes = old })
	// With the quick check, and with only the cheap checks of a large file.
	for _, keep := range []int{100, 4096 + 50, 3 * 4096, -100, -4096 - 50, -3 * 4096} {
		quickCheckMaxBytes = old
		if keep < 0 {
			keep, quickCheckMaxBytes = -keep, 0
		}
		path := filepath.Join(t.TempDir(), "index-x.db")
		filledIndex(t, path)
		b, err := os.ReadFile(path)
		if err != nil || len(b) <= keep {
			t.Fatalf("index of %d bytes, %v", len(b), err)
		}
		if err := os.WriteFile(path, b[:keep], 0o600); err != nil {
			t.Fatal(err)
		}
		assertHealed(t, path, b[:keep])
	}
}

func TestHealGarbage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "index-x.db")
	garbage := bytes.Repeat([]byte("not a database \x00\xff"), 500)
	os.WriteFile(path, garbage, 0o600)
	assertHealed(t, path, garbage)
}

// moveAside keeps the -wal and -shm with the database they belong to.
func TestMoveAsideTakesSidecars(t *testing.T) {
	path := filepath.Join(t.TempDir(), "index-x.db")
	for _, s := range []string{"", "-wal", "-shm"} {
		os.WriteFile(path+s, []byte("content"+s), 0o600)
	}
	aside, err := moveAside(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"", "-wal", "-shm"} {
		if b, err := os.ReadFile(aside + s); err != nil || string(b) != "content"+s {
			t.Errorf("%s: %q %v", aside+s, b, err)
		}
		if _, err := os.Lstat(path + s); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s still there", path+s)
		}
	}
	if !strings.HasPrefix(filepath.Base(aside), "index-x.db.corrupt-") {
		t.Errorf("aside name %s", aside)
	}
}

// A page of a healthy index overwritten: SQLite opens the file, the quick
// check finds the damage.
func TestHealDamagedPage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "index-x.db")
	filledIndex(t, path)
	b, _ := os.ReadFile(path)
	for i := 2 * 4096; i < 3*4096 && i < len(b); i++ {
		b[i] = 0x5a
	}
	os.WriteFile(path, b, 0o600)
	assertHealed(t, path, b)
}

func TestHealForeignSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "index-x.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE moz_places(id INTEGER PRIMARY KEY, url TEXT); INSERT INTO moz_places(url) VALUES('https://example.com')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	old, _ := os.ReadFile(path)
	assertHealed(t, path, old)
}

// createV0 writes an index as the first release did (its schema, no
// application id, user_version 0) with one read message.
func createV0(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = db.Exec(`
CREATE TABLE IF NOT EXISTS messages(
	bucket TEXT NOT NULL, key TEXT NOT NULL, etag TEXT NOT NULL,
	size INTEGER NOT NULL, last_modified INTEGER NOT NULL,
	kind INTEGER NOT NULL, date INTEGER NOT NULL, date_from_store INTEGER NOT NULL,
	from_name TEXT NOT NULL, from_addr TEXT NOT NULL,
	to_list TEXT NOT NULL, cc_list TEXT NOT NULL, reply_to TEXT NOT NULL, recipients TEXT NOT NULL,
	subject TEXT NOT NULL, message_id TEXT NOT NULL, in_reply_to TEXT NOT NULL, refs TEXT NOT NULL,
	attachments INTEGER NOT NULL, attachments_exact INTEGER NOT NULL,
	spam TEXT NOT NULL, virus TEXT NOT NULL, spf TEXT NOT NULL, dkim TEXT NOT NULL, dmarc TEXT NOT NULL,
	warnings TEXT NOT NULL,
	read INTEGER NOT NULL DEFAULT 0,
	missing INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY(bucket, key)
);
CREATE VIRTUAL TABLE IF NOT EXISTS messages_fts USING fts5(subject, sender, recipients, tokenize='trigram');
INSERT INTO messages VALUES('mail','inbox/a','etag-a',10,0,0,0,0,'','x','` + "\uFFFDbilling@acme-demo.example" + `','','','','Hello','','','',0,0,'','','','','','',1,0);
INSERT INTO messages VALUES('mail','inbox/b','etag-b',10,0,0,0,0,'','y','','','','','Unread','','','',0,0,'','','','','','',0,0);
`)
	if err != nil {
		t.Fatal(err)
	}
}

// An index of the old schema is migrated, never misread: its rows are not
// listed until read again, the next refresh reads them again (Known says
// Stale), and the read mark survives that.
func TestMigrateV0KeepsReadState(t *testing.T) {
	path := filepath.Join(t.TempDir(), "index-x.db")
	createV0(t, path)
	x, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if !strings.Contains(x.Notice(), "schema 1") {
		t.Errorf("notice %q", x.Notice())
	}
	if m, _ := filepath.Glob(path + ".corrupt-*"); len(m) != 0 {
		t.Errorf("an old index was moved aside, not migrated: %v", m)
	}
	ctx := context.Background()
	loc := mailstore.Location{Bucket: "mail", Prefix: "inbox/"}
	if s, err := x.Summaries(ctx, loc); err != nil || len(s) != 0 {
		t.Fatalf("old rows listed before being read again: %v %v", s, err)
	}
	known, err := x.Known(ctx, loc)
	if err != nil || !known["inbox/a"].Stale || known["inbox/a"].ETag != "etag-a" {
		t.Fatalf("Known: %+v %v", known, err)
	}
	to := []mailstore.Address{{Address: "billing@acme-demo.example"}}
	if err := x.Put(ctx, "mail", []mailstore.Summary{
		{Object: mailstore.Object{Key: "inbox/a", ETag: "etag-a"}, To: to},
		{Object: mailstore.Object{Key: "inbox/b", ETag: "etag-b"}},
	}); err != nil {
		t.Fatal(err)
	}
	a, _, _ := x.Get(ctx, "mail", "inbox/a")
	b, _, _ := x.Get(ctx, "mail", "inbox/b")
	if !a.Read || b.Read || len(a.To) != 1 || a.To[0] != to[0] {
		t.Errorf("after re-read: a=%+v b=%+v", a, b)
	}
	x.Close()
	if y, err := Open(path); err != nil || y.Notice() != "" {
		t.Fatalf("reopen: %v %q", err, y.Notice())
	} else {
		y.Close()
	}
}

// An index of a newer sesbox is left alone: Open refuses it clearly and
// OpenCache works in memory.
func TestNewerSchemaIsLeftAlone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "index-x.db")
	filledIndex(t, path)
	db, _ := sql.Open("sqlite", path)
	if _, err := db.Exec(`PRAGMA user_version=99`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	before, _ := os.ReadFile(path)
	_, err := Open(path)
	if !errors.Is(err, ErrNewerSchema) || !strings.Contains(err.Error(), "99") {
		t.Fatalf("Open: %v", err)
	}
	x, notice, err := OpenCache(path)
	if err != nil || x.Path() != "" || !strings.Contains(notice, "newer sesbox") {
		t.Fatalf("OpenCache: %v %q %q", err, x.Path(), notice)
	}
	x.Close()
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Error("the newer index was changed")
	}
	if m, _ := filepath.Glob(path + ".corrupt-*"); len(m) != 0 {
		t.Errorf("moved aside: %v", m)
	}
}

// A symlink where the index belongs is never followed: the target is not
// chmod-ed, written or moved, and OpenCache works in memory.
func TestSymlinkIndexIsNotFollowed(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "precious")
	os.WriteFile(target, []byte("not yours"), 0o644)
	os.Chmod(target, 0o644)
	cache := filepath.Join(dir, "sesbox")
	os.Mkdir(cache, 0o700)
	for _, link := range []string{"index-x.db", "index-x.db-wal", "index-x.db-shm"} {
		path := filepath.Join(cache, "index-x.db")
		os.Remove(filepath.Join(cache, link))
		if err := os.Symlink(target, filepath.Join(cache, link)); err != nil {
			t.Fatal(err)
		}
		_, err := Open(path)
		if !errors.Is(err, xdg.ErrSymlink) {
			t.Errorf("%s: Open = %v, want ErrSymlink", link, err)
		}
		x, notice, err := OpenCache(path)
		if err != nil || !strings.Contains(notice, "symbolic link") || x.Path() != "" {
			t.Errorf("%s: OpenCache: %v %q", link, err, notice)
		}
		if x != nil {
			if err := x.Put(context.Background(), "b", []mailstore.Summary{{Object: mailstore.Object{Key: "k"}}}); err != nil {
				t.Error(err)
			}
			x.Close()
		}
		os.Remove(filepath.Join(cache, link))
		os.Remove(path)
		os.Remove(path + "-wal")
		os.Remove(path + "-shm")
	}
	fi, _ := os.Stat(target)
	b, _ := os.ReadFile(target)
	if fi.Mode().Perm() != 0o644 || string(b) != "not yours" {
		t.Errorf("the symlink's target was touched: %v %q", fi.Mode(), b)
	}
}

// A symlinked cache directory (sesbox's own) is refused the same way.
func TestSymlinkCacheDirIsNotFollowed(t *testing.T) {
	dir := t.TempDir()
	elsewhere := filepath.Join(dir, "elsewhere")
	os.Mkdir(elsewhere, 0o755)
	os.Symlink(elsewhere, filepath.Join(dir, "sesbox"))
	_, err := Open(filepath.Join(dir, "sesbox", "index-x.db"))
	if !errors.Is(err, xdg.ErrSymlink) {
		t.Fatalf("Open = %v", err)
	}
	if fi, _ := os.Stat(elsewhere); fi.Mode().Perm() != 0o755 {
		t.Errorf("target dir chmod-ed to %v", fi.Mode().Perm())
	}
	if e, _ := os.ReadDir(elsewhere); len(e) != 0 {
		t.Errorf("wrote into the link's target: %v", e)
	}
}

// A cache directory that cannot be made (a file in its place): OpenCache
// works in memory and says so.
func TestUnusableCacheDir(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "sesbox"), []byte("a file"), 0o600)
	x, notice, err := OpenCache(filepath.Join(dir, "sesbox", "index-x.db"))
	if err != nil || x.Path() != "" || !strings.Contains(notice, "without a saved index") {
		t.Fatalf("OpenCache: %v %q", err, notice)
	}
	defer x.Close()
	ctx := context.Background()
	if err := x.Put(ctx, "b", []mailstore.Summary{{Object: mailstore.Object{Key: "k", ETag: "e"}}}); err != nil {
		t.Fatal(err)
	}
	if s, ok, err := x.Get(ctx, "b", "k"); !ok || err != nil || s.ETag != "e" {
		t.Fatalf("memory index: %v %v %v", s, ok, err)
	}
}

// Damage past what Open checks (a large index skips the quick check) is
// healed when a query meets it: the query answers from the new, empty
// index, and the notify function is told.
func TestHealWhenAQueryMeetsDamage(t *testing.T) {
	old := quickCheckMaxBytes
	quickCheckMaxBytes = 0
	t.Cleanup(func() { quickCheckMaxBytes = old })
	path := filepath.Join(t.TempDir(), "index-x.db")
	filledIndex(t, path)
	b, _ := os.ReadFile(path)
	for i := 2 * 4096; i < len(b); i++ {
		b[i] = 0x5a
	}
	os.WriteFile(path, b, 0o600)
	x, err := Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer x.Close()
	var told []string
	x.SetNotify(func(s string) { told = append(told, s) })
	sums, err := x.Summaries(context.Background(), mailstore.Location{Bucket: "b"})
	if err != nil || len(sums) != 0 {
		t.Fatalf("Summaries on a damaged index: %d rows, %v", len(sums), err)
	}
	if len(told) != 1 || !strings.Contains(told[0], "the next refresh rebuilds it from S3") {
		t.Fatalf("told %q", told)
	}
	if m, _ := filepath.Glob(path + ".corrupt-*"); len(m) != 1 {
		t.Errorf("moved aside: %v", m)
	}
}
