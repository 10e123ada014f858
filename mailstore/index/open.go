package index

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/xdg"
)

// The file format. applicationID marks a database as sesbox's index (the
// header field SQLite reserves for that); schemaVersion is PRAGMA
// user_version. Schema 0 is the first release's: no application id, lists
// joined with control-character separators (which corrupted them). Bump
// schemaVersion with every change to the tables and add its migration to
// migrate.
const (
	applicationID = 0x53455342 // "SESB"
	schemaVersion = 13
)

// indexDate is the index schema 7 has (the tables are schema 5's): queries
// by date (after:, before:, newest first with a LIMIT) read the index
// instead of every row. key runs DESC, so that a scan in either direction
// is query.Compare's order by date (newest first, then key ascending), and
// stale and read are in it, so that the row ids of a whole mailbox in that
// order, and its unread count, are read from the index alone (IDs: the TUI
// at 1M messages). Schema 6 had it on (bucket, date, key).
const indexDate = `CREATE INDEX IF NOT EXISTS messages_date ON messages(bucket, date, key DESC, stale, read);`

// v7Steps move a schema 5 or 6 index to schema 7.
var v7Steps = []string{`DROP INDEX IF EXISTS messages_date`, indexDate}

// v8Steps move a schema 7 index to schema 8: a row may be a stub written
// from an S3 Inventory report (key, size, ETag, date) whose header block
// is read later (headers_pending); the partial index finds those rows,
// newest first, without scanning the others.
var v8Steps = []string{
	`ALTER TABLE messages ADD COLUMN headers_pending INTEGER NOT NULL DEFAULT 0`,
	indexPending,
}

const indexPending = `CREATE INDEX IF NOT EXISTS messages_pending ON messages(bucket, date, key) WHERE headers_pending=1;`

// v10Steps move a schema 9 index to schema 10, whose full-text rows hold
// their text lower-cased by Go (see ftsRow). The rows written before hold
// it as it came, which the trigram tokenizer folds by tables of its own:
// for ASCII the same as Go; for the rest not always ("İ" stays "İ", Go's
// lower case is "i"), so `/istanbul` or `/İstanbul` missed a subject
// "İstanbul" that q.Match finds. Only rows with a character past ASCII
// are written again: length() counts characters, of a blob bytes.
var v10Steps = []string{
	`CREATE TEMP TABLE refold AS SELECT rowid AS r, subject, sender, recipients FROM messages_fts
		WHERE length(subject||sender||recipients) <> length(CAST(subject||sender||recipients AS BLOB))`,
	`DELETE FROM messages_fts WHERE rowid IN (SELECT r FROM refold)`,
	`INSERT INTO messages_fts(rowid, subject, sender, recipients)
		SELECT r, ` + foldFunc + `(subject), ` + foldFunc + `(sender), ` + foldFunc + `(recipients) FROM refold`,
	`DROP TABLE temp.refold`,
}

// v11Steps move a schema 10 index to schema 11, whose summaries keep a
// Subject, a name or an address to 4 KB and an address list to 16 KB
// (mime's maxSummaryText, maxSummaryList): rows written before could hold
// a 4 MB Subject, which held every refresh that met it 22 s. Rows with a
// longer field are read again on the next refresh; a list's JSON longer
// than 16 KB may still be within the bound (many short addresses), and is
// read again too, once.
var v11Steps = []string{
	`UPDATE messages SET stale=1 WHERE length(CAST(subject AS BLOB)) > 4099 OR length(CAST(from_name AS BLOB)) > 4099
		OR length(CAST(from_addr AS BLOB)) > 4099 OR length(CAST(to_list AS BLOB)) > 16384
		OR length(CAST(cc_list AS BLOB)) > 16384 OR length(CAST(reply_to AS BLOB)) > 16384`,
}

// v12Steps move a schema 11 index to schema 12, which lists a message
// whose Date is more than a day after it was stored by its stored time
// (mailstore.Summary.SettleDate): rows written before with such a Date
// headed every list sorted newest first. They are read again on the next
// refresh. Times are Unix nanoseconds; the zero time is the smallest
// integer, so a row without a stored time is never compared.
var v12Steps = []string{
	`UPDATE messages SET stale=1 WHERE date_from_store=0 AND last_modified > -9223372036854775808
		AND date - last_modified > 86400000000000`,
}

// summaryDerivation is how this sesbox derives a row from a message's
// header block (mime.Summarize, report.KindOfHeader, mime.CountAttachments):
// each row holds the derivation it was written with, and a refresh reads
// the header block of every row of an older one again (Known.Outdated),
// listing the row as it is meanwhile. Bump it when what a header block
// gives changes, and say what changed. 1: a DSN under
// report-type=global-delivery-status is a bounce, and so is a bounce a
// mailer daemon writes as plain text (rows written before had no
// [bounce]); files uuencoded in a text count as attachments; a sender's
// unquoted "Last, First" is one name; Message-ID and In-Reply-To are cut
// at 4 KB and References kept to 100 ids (a row held an 8 MB header's
// 338,686 ids whole, read by every thread view). 2: a Date in a
// localized mailer's words (German, French, Spanish, Italian, Dutch or
// Portuguese months, MEZ/MESZ zones, "+01", 07.12.2026) is read (such rows
// were listed by the stored time, a Spanish "mar, 7 dic" as March 7), and
// a multipart/report that names no report-type is a report, as is a text
// bounce under more subjects ("Message Delivery Failure"); the same
// release (no sesbox of derivation 2 was out before them) counts a long
// one-part plain text a lower bound (a uuencoded file after the first
// range was listed as none, exactly), decodes an encoded word once
// (a sender's name whose decoded text is itself an encoded word was
// decoded again: fromName "\r\nBcc: x@x") and reads us-ascii text holding
// bytes that are not UTF-8 as windows-1252, as the viewer does.
const summaryDerivation = 2

// v13Steps move a schema 12 index to schema 13, whose rows hold the
// summaryDerivation they were written with. A row that is a delivery
// report already is as derivation 1 would write it; every other row is
// read again by the next refresh (its header block only, as indexing it
// did), which finds the bounces among them.
var v13Steps = []string{
	`ALTER TABLE messages ADD COLUMN derivation INTEGER NOT NULL DEFAULT 0`,
	`UPDATE messages SET derivation=1 WHERE report!=''`,
}

// indexSorts are schema 9's: one index per order the list sorts in other
// than by date (sender and subject on their fold keys, as sortCols sorts),
// each ending in date DESC, key and holding stale and read, as the date
// index does. A sort of 1M messages by sender read every row through the
// fold function and sorted them (4.7 s, 120 MB); with its index, its first
// screen is a LIMIT from either end of the index or from any message in
// it (IDsAround), and all of its ids one scan. The fold function is
// deterministic and registered on every connection sesbox opens (a
// connection without it can read the index but not write its rows).
var indexSorts = []string{
	`CREATE INDEX IF NOT EXISTS messages_from ON messages(bucket, ` + fromFold + `, date DESC, key, stale, read);`,
	`CREATE INDEX IF NOT EXISTS messages_subject ON messages(bucket, ` + subjectFold + `, date DESC, key, stale, read);`,
	`CREATE INDEX IF NOT EXISTS messages_size ON messages(bucket, size DESC, date DESC, key, stale, read);`,
}

var schema = `
CREATE TABLE messages(
	bucket TEXT NOT NULL, key TEXT NOT NULL, etag TEXT NOT NULL, version_id TEXT NOT NULL DEFAULT '',
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
	stale INTEGER NOT NULL DEFAULT 0,
	report TEXT NOT NULL DEFAULT '',
	forward_status TEXT NOT NULL DEFAULT '',
	forward_error TEXT NOT NULL DEFAULT '',
	forward_destinations TEXT NOT NULL DEFAULT '[]',
	forward_time INTEGER NOT NULL DEFAULT -9223372036854775808,
	forward_requests TEXT NOT NULL DEFAULT '[]',
	headers_pending INTEGER NOT NULL DEFAULT 0,
	derivation INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY(bucket, key)
);
CREATE VIRTUAL TABLE messages_fts USING fts5(subject, sender, recipients, tokenize='trigram');
` + forwardTables + indexDate + indexPending + strings.Join(indexSorts, "\n")

// forwardTables hold the forwarding Lambda's log (schema 3): the events
// read from each log group, and how far each group has been read.
const forwardTables = `
CREATE TABLE forward_events(
	grp TEXT NOT NULL, event_id TEXT NOT NULL, request_id TEXT NOT NULL, ts INTEGER NOT NULL, message TEXT NOT NULL,
	PRIMARY KEY(grp, event_id)
);
CREATE INDEX forward_events_request ON forward_events(grp, request_id);
CREATE TABLE forward_scans(
	grp TEXT NOT NULL PRIMARY KEY, scanned_from INTEGER NOT NULL, scanned_to INTEGER NOT NULL, covered_from INTEGER NOT NULL
);
`

// v3Steps upgrade a schema 2 messages table (and add the log tables).
var v3Steps = []string{
	`ALTER TABLE messages ADD COLUMN forward_status TEXT NOT NULL DEFAULT ''`,
	`ALTER TABLE messages ADD COLUMN forward_error TEXT NOT NULL DEFAULT ''`,
	`ALTER TABLE messages ADD COLUMN forward_destinations TEXT NOT NULL DEFAULT '[]'`,
	`ALTER TABLE messages ADD COLUMN forward_time INTEGER NOT NULL DEFAULT -9223372036854775808`,
	`ALTER TABLE messages ADD COLUMN forward_requests TEXT NOT NULL DEFAULT '[]'`,
	forwardTables,
}

// v5Steps move a schema 3 index to schema 5, where a count of attachments
// that is not exact is a lower bound. Before, it was a guess from the
// header (1 for any multipart/mixed, which may hold none), so those rows
// are marked stale: read again by the next refresh. Exact counts
// (messages opened) stay.
var v5Steps = []string{`UPDATE messages SET stale=1 WHERE attachments_exact=0`}

// columnsV0 and columnsV1 are the messages table's columns in each schema,
// to tell our own database from a foreign one that happens to be SQLite.
var (
	columnsV0 = []string{"attachments", "attachments_exact", "bucket", "cc_list", "date", "date_from_store", "dkim",
		"dmarc", "etag", "from_addr", "from_name", "in_reply_to", "key", "kind", "last_modified", "message_id",
		"missing", "read", "recipients", "refs", "reply_to", "size", "spam", "spf", "subject", "to_list", "virus", "warnings"}
	columnsV1 = sortedCopy(append(append([]string{}, columnsV0...), "version_id", "stale"))
	columnsV2 = sortedCopy(append(append([]string{}, columnsV1...), "report"))
	columnsV3 = sortedCopy(append(append([]string{}, columnsV2...),
		"forward_status", "forward_error", "forward_destinations", "forward_time", "forward_requests"))
	// Schema 5 has schema 3's columns; what changed is what a count that is
	// not exact means (v5Steps).
	columnsV5  = columnsV3
	columnsV8  = sortedCopy(append(append([]string{}, columnsV5...), "headers_pending"))
	columnsV13 = sortedCopy(append(append([]string{}, columnsV8...), "derivation"))
)

func sortedCopy(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }

// sidecars are the files SQLite keeps next to the database.
var sidecars = []string{"-wal", "-shm", "-journal"}

// ErrNewerSchema is returned (wrapped) by Open for an index written by a
// newer sesbox. It is left as it is: that sesbox can still use it.
var ErrNewerSchema = errors.New("written by a newer sesbox")

// Open opens the index database at path, creating it (directory 0700, file
// 0600: it holds subjects and addresses of private mail) if needed. Neither
// the directory nor the files are ever reached through a symlink.
//
// The index is a cache and heals itself: a file that is not a SQLite
// database, fails SQLite's quick check, or is some other application's
// database is moved aside (path.corrupt-<time>, with its -wal and -shm)
// and an empty index takes its place, filled again from S3 by the next
// refresh; an index of an older schema is migrated. Notice says what was
// done. An index of a newer sesbox is not touched: Open fails with
// ErrNewerSchema (OpenCache then works in memory).
func Open(path string) (*Index, error) {
	if err := xdg.MkdirPrivate(filepath.Dir(path)); err != nil {
		return nil, fmt.Errorf("open index: %w", err)
	}
	for _, s := range sidecars {
		if err := xdg.CheckNotSymlink(path + s); err != nil {
			return nil, fmt.Errorf("open index: %w", err)
		}
	}
	// One process at a time checks, creates, migrates or moves aside the
	// file: two sesbox opening a new index at the same moment (an index
	// run and the TUI) both found it empty and both created it, and the
	// second failed ("table messages already exists"; a migration: a
	// duplicate column) and worked without a saved index, reading every
	// header again. The lock is held only while the file is opened.
	if l, err := xdg.Lock(path); err != nil {
		return nil, fmt.Errorf("open index: %w", err)
	} else if err := l.Lock(); err == nil {
		defer l.Unlock()
	} else if !errors.Is(err, errors.ErrUnsupported) {
		return nil, fmt.Errorf("open index: lock %s: %w", l.Path(), err)
	}
	// Journal files with no database file are a deleted index's, perhaps
	// still open in another sesbox: a new file read them as its own
	// ("disk I/O error (522)") and emptied that sesbox's -wal. Their
	// names go (whoever has them open keeps them); the new index starts
	// clean.
	if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		dropJournals(path)
	}
	// Create the file ourselves so its mode is ours; SQLite gives its
	// journal and WAL files the database file's mode.
	if err := touchPrivate(path); err != nil {
		return nil, fmt.Errorf("open index: %w", err)
	}
	x, err := openFile(path)
	var bad *unusableError
	if !errors.As(err, &bad) {
		return x, err
	}
	aside, err := moveAside(path)
	if err != nil {
		return nil, fmt.Errorf("index %s is unusable (%s) and could not be moved aside: %w", path, bad.reason, err)
	}
	if err := touchPrivate(path); err != nil {
		return nil, fmt.Errorf("open index: %w", err)
	}
	if x, err = openFile(path); err != nil {
		return nil, err
	}
	x.notice = fmt.Sprintf("the index %s %s; moved it to %s; the next refresh rebuilds it from S3", path, bad.reason, filepath.Base(aside))
	return x, nil
}

// OpenCache opens the index at path (see Open) or, when that cannot be
// used at all (a cache directory that cannot be written, a symlink, an
// index of a newer sesbox; or path is empty), an empty index in memory,
// which this process fills and forgets: reading a message by key still
// works. notice is what to tell the user once (empty when all was well).
func OpenCache(path string) (x *Index, notice string, err error) {
	if path != "" {
		x, err := Open(path)
		if err == nil {
			return x, x.notice, nil
		}
		notice = fmt.Sprintf("%v; working without a saved index this time", err)
	} else {
		notice = "no cache directory; working without a saved index this time"
	}
	x, err = OpenMemory()
	if err != nil {
		return nil, "", err
	}
	return x, notice, nil
}

// OpenReadOnly opens the index at path for reading alone, for a reader
// of the index as it is (ls --cached) when Open cannot have it: a cache
// directory or an index file the user may read but not write, where
// Open's lock, journal and checks write, and OpenCache worked in memory,
// empty ("no messages"). It is read with its journal (the -wal), where
// another sesbox mid-index keeps the rows it committed until it
// checkpoints them (SQLite reads a read-only -shm, or the -wal itself).
// Only when that cannot be opened (a read-only directory with no -shm
// to make) is the file read in SQLite's immutable mode, which takes no
// lock, writes nothing and reads the file alone: then a -wal holding
// rows is said (Notice). Only an index of this sesbox's schema is read
// (moving another to it is a write); the Index heals and follows nothing.
func OpenReadOnly(path string) (*Index, error) {
	if err := xdg.CheckNotSymlink(path); err != nil {
		return nil, fmt.Errorf("open index: %w", err)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open index: %w", err)
	}
	f.Close()
	registerFunctions()
	db, err := openReadOnly(path, "mode=ro")
	if err == nil {
		return &Index{db: db}, nil
	}
	db, ierr := openReadOnly(path, "mode=ro&immutable=1")
	if ierr != nil {
		return nil, fmt.Errorf("open index %s read-only: %w", path, ierr)
	}
	x := &Index{db: db}
	if fi, serr := os.Stat(path + "-wal"); serr == nil && fi.Size() > 0 {
		x.notice = fmt.Sprintf("the index %s was read without its journal (%s), which holds rows another sesbox wrote and has not yet moved into it: the list may lack the newest messages until it does", path, err)
	}
	return x, nil
}

// openReadOnly opens path with the URI parameters params and checks that
// it is an index of this schema.
func openReadOnly(path, params string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", strings.Replace(dsn(path), "?", "?"+params+"&", 1))
	if err != nil {
		return nil, err
	}
	var appID, version int
	err = db.QueryRow(`PRAGMA application_id`).Scan(&appID)
	if err == nil {
		err = db.QueryRow(`PRAGMA user_version`).Scan(&version)
	}
	if err == nil && (appID != applicationID || version != schemaVersion) {
		err = fmt.Errorf("it is not an index of this sesbox's schema (%d; it holds %d), and moving it there is a write", schemaVersion, version)
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// with runs fn on the database. When SQLite reports the file damaged
// (damage the checks on open did not reach), the index heals then: the
// file is moved aside, an empty index takes its place, the notify function
// (SetNotify) is told, and fn runs once more on the new database.
//
// An fn that fails once ctx has ended fails with ctx's error: database/sql
// rolls a transaction back when its context ends, closing the statements
// prepared in it, so the statement fn ran next said "sql: statement is
// closed" (or that the transaction was done), and a Ctrl-C during an index
// read as a broken database (TestPutCancelledSaysCancelled).
func (x *Index) with(ctx context.Context, fn func(*sql.DB) error) error {
	x.follow(ctx)
	x.mu.RLock()
	db, gen := x.db, x.gen
	err := fn(db)
	x.mu.RUnlock()
	if err != nil && ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		return fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	if err == nil || x.path == "" {
		return err
	}
	if h := x.writeHint(err); h != "" {
		return &mailstore.HintError{Hint: h, Err: err}
	}
	if !isCorrupt(err) {
		return err
	}
	if herr := x.heal(gen, err); herr != nil {
		return fmt.Errorf("%w (and healing the index failed: %v)", err, herr)
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	return fn(x.db)
}

// heal replaces a damaged database (unless another call already did: gen
// is the generation the caller saw fail).
func (x *Index) heal(gen int, cause error) error {
	x.mu.Lock()
	if x.gen != gen {
		x.mu.Unlock()
		return nil
	}
	x.db.Close()
	aside, err := moveAside(x.path)
	if err == nil {
		err = touchPrivate(x.path)
	}
	var fresh *Index
	if err == nil {
		fresh, err = openFile(x.path)
	}
	if err != nil {
		// Keep a working database: one in memory for the rest of this run.
		fresh, _ = OpenMemory()
	}
	if fresh == nil {
		x.mu.Unlock()
		return err
	}
	x.db, x.gen, x.file = fresh.db, x.gen+1, fresh.file
	var msg string
	if err != nil {
		msg = fmt.Sprintf("the index %s is damaged (%v) and could not be replaced (%v); working without a saved index", x.path, cause, err)
	} else {
		msg = fmt.Sprintf("the index %s is damaged (%v); moved it to %s; the next refresh rebuilds it from S3", x.path, cause, filepath.Base(aside))
	}
	x.notice = msg
	notify := x.notify
	x.mu.Unlock()
	if notify != nil {
		notify(msg)
	}
	return nil
}

// SetNotify sets the function told when the index heals itself after Open
// (Notice covers what Open did). It is called at most once per healing,
// never while the index is locked.
func (x *Index) SetNotify(fn func(string)) {
	x.mu.Lock()
	x.notify = fn
	x.mu.Unlock()
}

// Notice says what Open did to heal the index (moved a corrupt one aside,
// migrated an old schema), to tell the user once; empty when nothing.
func (x *Index) Notice() string {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.notice
}

// Path is the database file; "" for an index in memory.
func (x *Index) Path() string { return x.path }

var memSeq atomic.Int64

// OpenMemory opens an empty index that lives in this process only.
func OpenMemory() (*Index, error) {
	// One connection: each connection to ":memory:" would be a database
	// of its own.
	name := fmt.Sprintf("file:sesbox-mem-%d?mode=memory", memSeq.Add(1))
	registerFunctions()
	db, err := sql.Open("sqlite", name)
	if err != nil {
		return nil, fmt.Errorf("open index in memory: %w", err)
	}
	db.SetMaxOpenConns(1)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	if err := create(context.Background(), db); err != nil {
		db.Close()
		return nil, fmt.Errorf("open index in memory: %w", err)
	}
	return &Index{db: db}, nil
}

// dropJournals removes the names of the journal files of the database at
// path, which is gone: no new file may read them (whoever has them open
// keeps them).
func dropJournals(path string) {
	for _, s := range sidecars {
		os.Remove(path + s)
	}
}

func touchPrivate(path string) error {
	f, err := xdg.OpenPrivate(path, os.O_RDWR|os.O_CREATE)
	if err != nil {
		return err
	}
	f.Close()
	for _, s := range sidecars {
		// Left by an older sesbox or a copy: make them private too.
		if f, err := xdg.OpenPrivate(path+s, os.O_RDWR); err == nil {
			f.Close()
		}
	}
	return nil
}

// unusableError says the file at path is not a usable sesbox index and
// should be moved aside.
type unusableError struct{ reason string }

func (e *unusableError) Error() string { return e.reason }

// dsn is the SQLite URI of the index file. The path is escaped: a "?" or
// "#" in a home directory must not end it.
func dsn(path string) string {
	u := url.URL{Scheme: "file", OmitHost: true, Path: path}
	if !strings.HasPrefix(path, "/") {
		u = url.URL{Scheme: "file", Opaque: url.PathEscape(path)}
	}
	// No journal_mode here: switching to WAL writes the file, and a file
	// is only written once it is known to be ours (prepare sets WAL then;
	// the mode is kept in the file). No mmap_size: a mapped file counts
	// in the process's RSS by the kernel's fault-around (64 KiB for every
	// page touched), so `ls --cached --query from:x` over 10^5 messages,
	// reading 183 rows, peaked at 50 MB instead of 33; loading every row
	// took as long through the page cache (2.8-3.3 s both); the TUI's ids
	// of 1M messages, a scan of the 91 MB date index, mapped 270 MB. An
	// 8 MB page cache (not 64): pages past it are read again from the
	// kernel's cache; writing 10^5 summaries took as long (12 s; 17 s at
	// SQLite's default 2 MB), loading every row 90 MB less, and a
	// free-text query of 10^4 matches 30 MB less.
	return u.String() + "?_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)&_pragma=cache_size(-8192)"
}

// openFile opens the database and checks that it is whole and ours,
// creating or migrating the schema. It returns an *unusableError for a
// file to move aside.
func openFile(path string) (*Index, error) {
	registerFunctions()
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		return nil, fmt.Errorf("open index %s: %w", path, err)
	}
	x := &Index{db: db, path: path}
	notice, err := prepare(context.Background(), db, path)
	if err != nil {
		db.Close()
		if isCorrupt(err) {
			return nil, &unusableError{reason: "is damaged (" + err.Error() + ")"}
		}
		var bad *unusableError
		if errors.As(err, &bad) || errors.Is(err, ErrNewerSchema) {
			return nil, err
		}
		return nil, fmt.Errorf("open index %s: %w", path, err)
	}
	// WAL lets a refresh write while the TUI and the CLI read.
	if _, err := db.Exec(`PRAGMA journal_mode=WAL`); err != nil {
		db.Close()
		return nil, fmt.Errorf("open index %s: %w", path, err)
	}
	x.notice = notice
	x.file, _ = os.Stat(path)
	return x, nil
}

// quickCheckMaxBytes bounds the file size up to which Open runs SQLite's
// quick check of every page. It reads the whole file: 8 s for an index of
// 100,000 messages (80 MB, mostly the full-text index) on a loaded
// machine, and 80 ms of CPU at 10,000 (5.6 MB), which was most of an
// `ls --cached`. Above it, Open checks only what is cheap (the header,
// the page count against the file size, the schema) and damage deeper in
// the file is healed when a query meets it (see with).
var quickCheckMaxBytes int64 = 1 << 20

// prepare checks the database (SQLite's header, size and, for a small
// file, quick check; then that it is sesbox's index of a schema this
// sesbox knows) and creates or migrates the schema.
func prepare(ctx context.Context, db *sql.DB, path string) (notice string, err error) {
	if problems, err := checkFile(ctx, db, path); err != nil {
		return "", err
	} else if len(problems) > 0 {
		return "", &unusableError{reason: "is damaged (" + strings.Join(problems, "; ") + ")"}
	}
	var appID, version int
	if err := db.QueryRowContext(ctx, `PRAGMA application_id`).Scan(&appID); err != nil {
		return "", err
	}
	if err := db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil {
		return "", err
	}
	tables, err := tableNames(ctx, db)
	if err != nil {
		return "", err
	}
	cols, err := columnNames(ctx, db, "messages")
	if err != nil {
		return "", err
	}
	hasFTS := slices.Contains(tables, "messages_fts")
	switch {
	case appID == 0 && version == 0 && len(tables) == 0:
		return "", create(ctx, db)
	case appID == 0 && version == 0 && hasFTS && slices.Equal(cols, columnsV0):
		if err := migrateV0(ctx, db); err != nil {
			return "", fmt.Errorf("migrate the index from schema 0: %w", err)
		}
		return "the index was upgraded to schema 1: every message's header is read again on the next refresh (read marks kept)", nil
	case appID != applicationID:
		return "", &unusableError{reason: fmt.Sprintf("is not a sesbox index (application id %#x, tables %s)", appID, strings.Join(tables, ", "))}
	case version > schemaVersion:
		return "", fmt.Errorf("index schema %d: %w (this one knows schema %d); left as it is", version, ErrNewerSchema, schemaVersion)
	case version == 1 && hasFTS && slices.Equal(cols, columnsV1):
		if err := migrateV1(ctx, db); err != nil {
			return "", fmt.Errorf("migrate the index from schema 1: %w", err)
		}
		return "the index was upgraded to schema 13 (delivery reports, forward statuses, attachment counts): every message's header is read again on the next refresh (read marks kept)", nil
	case version == 2 && hasFTS && slices.Equal(cols, columnsV2):
		if err := migrate(ctx, db, slices.Concat(v3Steps, v5Steps, v7Steps, v8Steps, indexSorts, v10Steps, v11Steps, v12Steps, v13Steps)); err != nil {
			return "", fmt.Errorf("migrate the index from schema 2: %w", err)
		}
		return "the index was upgraded to schema 13 (forward statuses, attachment counts): messages not yet opened are read again on the next refresh (read marks kept)", nil
	case version == 3 && hasFTS && slices.Equal(cols, columnsV3):
		if err := migrate(ctx, db, slices.Concat(v5Steps, v7Steps, v8Steps, indexSorts, v10Steps, v11Steps, v12Steps, v13Steps)); err != nil {
			return "", fmt.Errorf("migrate the index from schema 3: %w", err)
		}
		return "the index was upgraded to schema 13 (attachment counts): messages not yet opened are read again on the next refresh (read marks kept)", nil
	case (version == 5 || version == 6) && hasFTS && slices.Equal(cols, columnsV5) &&
		slices.Contains(tables, "forward_events") && slices.Contains(tables, "forward_scans"):
		if err := migrate(ctx, db, slices.Concat(v7Steps, v8Steps, indexSorts, v10Steps, v11Steps, v12Steps, v13Steps)); err != nil {
			return "", fmt.Errorf("migrate the index from schema %d: %w", version, err)
		}
		return "", nil
	case version == 7 && hasFTS && slices.Equal(cols, columnsV5) &&
		slices.Contains(tables, "forward_events") && slices.Contains(tables, "forward_scans"):
		if err := migrate(ctx, db, slices.Concat(v8Steps, indexSorts, v10Steps, v11Steps, v12Steps, v13Steps)); err != nil {
			return "", fmt.Errorf("migrate the index from schema 7: %w", err)
		}
		return "", nil
	case version == 8 && hasFTS && slices.Equal(cols, columnsV8) &&
		slices.Contains(tables, "forward_events") && slices.Contains(tables, "forward_scans"):
		if err := migrate(ctx, db, slices.Concat(indexSorts, v10Steps, v11Steps, v12Steps, v13Steps)); err != nil {
			return "", fmt.Errorf("migrate the index from schema 8: %w", err)
		}
		// Building them reads every row once: 34 s at 1M messages.
		return "the index was upgraded to schema 13 (an index for each sort order)", nil
	case version == 9 && hasFTS && slices.Equal(cols, columnsV8) &&
		slices.Contains(tables, "forward_events") && slices.Contains(tables, "forward_scans"):
		if err := migrate(ctx, db, slices.Concat(v10Steps, v11Steps, v12Steps, v13Steps)); err != nil {
			return "", fmt.Errorf("migrate the index from schema 9: %w", err)
		}
		return "", nil
	case version == 10 && hasFTS && slices.Equal(cols, columnsV8) &&
		slices.Contains(tables, "forward_events") && slices.Contains(tables, "forward_scans"):
		if err := migrate(ctx, db, slices.Concat(v11Steps, v12Steps, v13Steps)); err != nil {
			return "", fmt.Errorf("migrate the index from schema 10: %w", err)
		}
		return "", nil
	case version == 11 && hasFTS && slices.Equal(cols, columnsV8) &&
		slices.Contains(tables, "forward_events") && slices.Contains(tables, "forward_scans"):
		if err := migrate(ctx, db, slices.Concat(v12Steps, v13Steps)); err != nil {
			return "", fmt.Errorf("migrate the index from schema 11: %w", err)
		}
		return "", nil
	case version == 12 && hasFTS && slices.Equal(cols, columnsV8) &&
		slices.Contains(tables, "forward_events") && slices.Contains(tables, "forward_scans"):
		if err := migrate(ctx, db, v13Steps); err != nil {
			return "", fmt.Errorf("migrate the index from schema 12: %w", err)
		}
		return "", nil
	case version == schemaVersion && hasFTS && slices.Equal(cols, columnsV13) &&
		slices.Contains(tables, "forward_events") && slices.Contains(tables, "forward_scans"):
		return "", nil
	}
	return "", &unusableError{reason: fmt.Sprintf("has an unknown sesbox schema (version %d, columns %s)", version, strings.Join(cols, ","))}
}

// checkFile returns the problems found in the database file: one shorter
// than its header says (truncated), and for a small file whatever PRAGMA
// quick_check finds (the structure of every page; not the full integrity
// check's index cross-checks). A file that is not SQLite at all fails the
// first query with SQLITE_NOTADB.
func checkFile(ctx context.Context, db *sql.DB, path string) ([]string, error) {
	var pages, pageSize int64
	if err := db.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&pages); err != nil {
		return nil, err
	}
	if err := db.QueryRowContext(ctx, `PRAGMA page_size`).Scan(&pageSize); err != nil {
		return nil, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	// With a WAL, pages past the end of the file may live in the WAL.
	if wal, err := os.Stat(path + "-wal"); (err != nil || wal.Size() == 0) && fi.Size() < pages*pageSize {
		return []string{fmt.Sprintf("truncated: %d bytes of %d", fi.Size(), pages*pageSize)}, nil
	}
	if fi.Size() > quickCheckMaxBytes {
		return nil, nil
	}
	found, err := queryStrings(ctx, db, `PRAGMA quick_check(5)`)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range found {
		if s != "ok" {
			out = append(out, s)
		}
	}
	return out, nil
}

func tableNames(ctx context.Context, db *sql.DB) ([]string, error) {
	return queryStrings(ctx, db, `SELECT name FROM sqlite_schema WHERE type='table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'messages_fts_%' ORDER BY name`)
}

func columnNames(ctx context.Context, db *sql.DB, table string) ([]string, error) {
	return queryStrings(ctx, db, `SELECT name FROM pragma_table_info(?) ORDER BY name`, table)
}

// queryStrings returns the first column of every row of q.
func queryStrings(ctx context.Context, db *sql.DB, q string, args ...any) ([]string, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// create writes the current schema into an empty database.
func create(ctx context.Context, db *sql.DB) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, schema); err != nil {
		return err
	}
	if err := stamp(ctx, tx); err != nil {
		return err
	}
	return tx.Commit()
}

func stamp(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA application_id=%d; PRAGMA user_version=%d`, applicationID, schemaVersion))
	return err
}

// migrateV0 upgrades a schema 0 index in place. Its lists cannot be read
// back exactly, so every row is kept only for its read mark (stale=1:
// hidden from listings, read again by the next refresh, whose upsert keeps
// the mark).
func migrateV0(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, q := range append([]string{
		`ALTER TABLE messages ADD COLUMN version_id TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE messages ADD COLUMN stale INTEGER NOT NULL DEFAULT 0`,
		`ALTER TABLE messages ADD COLUMN report TEXT NOT NULL DEFAULT ''`,
		`UPDATE messages SET stale=1, to_list='[]', cc_list='[]', reply_to='[]', recipients='[]', refs='[]', warnings='[]'`,
		`DELETE FROM messages_fts`,
	}, slices.Concat(v3Steps, v7Steps, v8Steps, indexSorts, v10Steps, v13Steps)...) {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	if err := stamp(ctx, tx); err != nil {
		return err
	}
	return tx.Commit()
}

// migrateV1 adds the delivery-report column. Rows indexed before were
// summarized without it, so they are marked stale: read again by the next
// refresh, which finds the bounces and complaints among them.
func migrateV1(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, q := range append([]string{
		`ALTER TABLE messages ADD COLUMN report TEXT NOT NULL DEFAULT ''`,
		`UPDATE messages SET stale=1`,
	}, slices.Concat(v3Steps, v7Steps, v8Steps, indexSorts, v10Steps, v13Steps)...) {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	if err := stamp(ctx, tx); err != nil {
		return err
	}
	return tx.Commit()
}

// migrate runs steps on the database and stamps the current schema, in
// one transaction. From schema 2: the forward status columns and the log
// tables (v3Steps; the statuses come from the log group, read in full by
// the next index run that names one), then v5Steps, then v7Steps (the
// date index), then v8Steps (header stubs), then indexSorts. From schema
// 3: v5Steps on; from 5 and 6: v7Steps on; from 7: v8Steps on; from 8:
// indexSorts.
func migrate(ctx context.Context, db *sql.DB, steps []string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, q := range steps {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	if err := stamp(ctx, tx); err != nil {
		return err
	}
	return tx.Commit()
}

// isCorrupt reports SQLite's "database disk image is malformed" and "file
// is not a database" (SQLITE_CORRUPT, SQLITE_NOTADB, any extended code).
// Other errors (busy, permission, I/O) say nothing about the file and
// never get it moved aside.
func isCorrupt(err error) bool {
	var ce interface{ Code() int }
	if !errors.As(err, &ce) {
		return false
	}
	switch ce.Code() & 0xff {
	case 11, 26: // SQLITE_CORRUPT, SQLITE_NOTADB
		return true
	}
	return false
}

// writeHint says what to do when err is SQLite failing to write the file:
// a full disk (SQLITE_FULL), or a write, sync or truncate the system
// refused (over a quota or a file size limit: SQLite reports those as
// I/O errors). SQLite rolled the transaction back, so the index is kept
// as it was before it. "" for any other error.
func (x *Index) writeHint(err error) string {
	var ce interface{ Code() int }
	if !errors.As(err, &ce) {
		return ""
	}
	dir := filepath.Dir(x.path)
	switch c := ce.Code(); {
	case c&0xff == 13: // SQLITE_FULL
		return "no space left on the disk holding " + dir + " — free some space there; the index keeps what it held and the next run goes on from it"
	case c == 778, c == 1034, c == 1546: // SQLITE_IOERR_WRITE, _FSYNC, _TRUNCATE
		return "the index " + x.path + " could not be written — check the disk holding " + dir + " (free space, quota, a file size limit); the index keeps what it held and the next run goes on from it"
	}
	return ""
}

// moveAside renames path (and its -wal, -shm, -journal) to
// path.corrupt-<UTC time>[-N], keeping it for a look but out of the way.
// The sidecars keep their suffix after the new name, so SQLite opens the
// moved set as it was.
func moveAside(path string) (string, error) {
	base := path + ".corrupt-" + time.Now().UTC().Format("20060102T150405Z")
	aside := base
	for i := 1; ; i++ {
		if _, err := os.Lstat(aside); errors.Is(err, os.ErrNotExist) {
			break
		}
		aside = fmt.Sprintf("%s-%d", base, i)
	}
	if err := os.Rename(path, aside); err != nil {
		return "", err
	}
	for _, s := range sidecars {
		if err := os.Rename(path+s, aside+s); err != nil && !errors.Is(err, os.ErrNotExist) {
			return aside, err
		}
	}
	return aside, nil
}
