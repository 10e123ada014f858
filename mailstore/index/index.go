// Package index is the local SQLite cache of message summaries: what makes a
// second start on a large bucket cost list calls only, and what free-text
// search runs on (FTS5, trigram tokenizer so any script matches mid-word).
package index

import (
	"context"
	"database/sql"
	"hash/fnv"

	"github.com/sesbox/sesbox/mailstore/xdg"

	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // database/sql driver "sqlite"

	"github.com/sesbox/sesbox/mailstore"
)

// Index is an open cache database. It is safe for concurrent use.
type Index struct {
	db *sql.DB
}

const schema = `
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
`

// Open opens (creating if needed) the index database at path. The
// directory is made 0700 and the file 0600: it holds subjects and
// addresses of private mail.
func Open(path string) (*Index, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open index: %w", err)
	}
	// Create the file ourselves so its mode is ours; SQLite gives its
	// journal and WAL files the database file's mode.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open index: %w", err)
	}
	f.Close()
	if err := os.Chmod(path, 0o600); err != nil {
		return nil, fmt.Errorf("open index: %w", err)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=cache_size(-65536)&_pragma=mmap_size(268435456)")
	if err != nil {
		return nil, fmt.Errorf("open index %s: %w", path, err)
	}
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("open index %s: %w", path, err)
	}
	if err := addReportColumn(db); err != nil {
		db.Close()
		return nil, fmt.Errorf("open index %s: %w", path, err)
	}
	return &Index{db: db}, nil
}

// DefaultPath is where the index for an S3 endpoint lives:
// $XDG_CACHE_HOME/sesbox/index-<name>.db. Buckets of different endpoints
// (AWS, a local test server) never share rows.
func DefaultPath(endpoint string) (string, error) {
	name := "aws"
	if endpoint != "" {
		h := fnv.New64a() // only needs to tell endpoints apart in a file name
		h.Write([]byte(endpoint))
		name = fmt.Sprintf("%x", h.Sum64())
	}
	return xdg.Cache("index-" + name + ".db")
}

// Close closes the database.
func (x *Index) Close() error { return x.db.Close() }

// Known is what the index remembers of a key, to decide what to re-read.
type Known struct {
	ETag    string
	Missing bool
	// Undecrypted is set for a client-side encrypted object indexed
	// without its header (the placeholder Refresh writes).
	Undecrypted bool
}

// encryptedSubject is the subject of the placeholder summary of an object
// that is encrypted and could not be decrypted; it has no sender and no
// Message-ID, which is how Known tells it from a message with that subject.
const encryptedSubject = "(encrypted with KMS)"

// Known returns every indexed key under loc.
func (x *Index) Known(ctx context.Context, loc mailstore.Location) (map[string]Known, error) {
	rows, err := x.db.QueryContext(ctx, `SELECT key, etag, missing, (subject=? AND from_addr='' AND message_id='')
		FROM messages WHERE bucket=? AND substr(key,1,?)=?`,
		encryptedSubject, loc.Bucket, len(loc.Prefix), loc.Prefix)
	if err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	defer rows.Close()
	out := map[string]Known{}
	for rows.Next() {
		var k string
		var v Known
		if err := rows.Scan(&k, &v.ETag, &v.Missing, &v.Undecrypted); err != nil {
			return nil, fmt.Errorf("index: %w", err)
		}
		out[k] = v
	}
	return out, rows.Err()
}

// Put stores summaries (one transaction), replacing earlier versions of the
// same keys but keeping their read state.
func (x *Index) Put(ctx context.Context, bucket string, sums []mailstore.Summary) error {
	tx, err := x.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("index: %w", err)
	}
	defer tx.Rollback()
	up, err := tx.PrepareContext(ctx, `INSERT INTO messages(bucket,key,etag,size,last_modified,kind,date,date_from_store,
		from_name,from_addr,to_list,cc_list,reply_to,recipients,subject,message_id,in_reply_to,refs,
		attachments,attachments_exact,spam,virus,spf,dkim,dmarc,warnings,report,missing)
		VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,0)
		ON CONFLICT(bucket,key) DO UPDATE SET etag=excluded.etag,size=excluded.size,last_modified=excluded.last_modified,
		kind=excluded.kind,date=excluded.date,date_from_store=excluded.date_from_store,from_name=excluded.from_name,
		from_addr=excluded.from_addr,to_list=excluded.to_list,cc_list=excluded.cc_list,reply_to=excluded.reply_to,
		recipients=excluded.recipients,subject=excluded.subject,message_id=excluded.message_id,in_reply_to=excluded.in_reply_to,
		refs=excluded.refs,attachments=excluded.attachments,attachments_exact=excluded.attachments_exact,spam=excluded.spam,
		virus=excluded.virus,spf=excluded.spf,dkim=excluded.dkim,dmarc=excluded.dmarc,warnings=excluded.warnings,report=excluded.report,missing=0
		RETURNING rowid`)
	if err != nil {
		return fmt.Errorf("index: %w", err)
	}
	defer up.Close()
	delFTS, err := tx.PrepareContext(ctx, `DELETE FROM messages_fts WHERE rowid=?`)
	if err != nil {
		return fmt.Errorf("index: %w", err)
	}
	defer delFTS.Close()
	insFTS, err := tx.PrepareContext(ctx, `INSERT INTO messages_fts(rowid,subject,sender,recipients) VALUES(?,?,?,?)`)
	if err != nil {
		return fmt.Errorf("index: %w", err)
	}
	defer insFTS.Close()
	for i := range sums {
		s := &sums[i]
		var rowid int64
		err := up.QueryRowContext(ctx, bucket, s.Key, s.ETag, s.Size, s.LastModified.UnixNano(), int(s.Kind),
			s.Date.UnixNano(), s.DateFromStore, s.From.Name, s.From.Address,
			joinAddrs(s.To), joinAddrs(s.Cc), joinAddrs(s.ReplyTo), joinList(s.Recipients),
			s.Subject, s.MessageID, s.InReplyTo, joinList(s.References),
			s.Attachments, s.AttachmentsExact, s.Verdicts.Spam, s.Verdicts.Virus, s.Verdicts.SPF,
			s.Verdicts.DKIM, s.Verdicts.DMARC, joinList(s.Warnings), s.Report).Scan(&rowid)
		if err != nil {
			return fmt.Errorf("index %s: %w", s.Key, err)
		}
		if _, err := delFTS.ExecContext(ctx, rowid); err != nil {
			return fmt.Errorf("index %s: %w", s.Key, err)
		}
		var to []string
		for _, a := range append(append([]mailstore.Address{}, s.To...), s.Cc...) {
			to = append(to, a.String())
		}
		to = append(to, s.Recipients...)
		if _, err := insFTS.ExecContext(ctx, rowid, s.Subject, s.From.String(), strings.Join(to, " ")); err != nil {
			return fmt.Errorf("index %s: %w", s.Key, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("index: %w", err)
	}
	return nil
}

// SetMissing marks keys as vanished from (or back in) the bucket. Vanished
// messages are kept: an index is also a record of what was there.
func (x *Index) SetMissing(ctx context.Context, bucket string, keys []string, missing bool) error {
	if len(keys) == 0 {
		return nil
	}
	tx, err := x.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("index: %w", err)
	}
	defer tx.Rollback()
	st, err := tx.PrepareContext(ctx, `UPDATE messages SET missing=? WHERE bucket=? AND key=?`)
	if err != nil {
		return fmt.Errorf("index: %w", err)
	}
	defer st.Close()
	for _, k := range keys {
		if _, err := st.ExecContext(ctx, missing, bucket, k); err != nil {
			return fmt.Errorf("index: %w", err)
		}
	}
	return tx.Commit()
}

// SetRead records whether a message was read.
func (x *Index) SetRead(ctx context.Context, bucket, key string, read bool) error {
	res, err := x.db.ExecContext(ctx, `UPDATE messages SET read=? WHERE bucket=? AND key=?`, read, bucket, key)
	if err != nil {
		return fmt.Errorf("index: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("index: s3://%s/%s: %w", bucket, key, mailstore.ErrNotFound)
	}
	return nil
}

const columns = `key,etag,size,last_modified,kind,date,date_from_store,from_name,from_addr,to_list,cc_list,reply_to,
	recipients,subject,message_id,in_reply_to,refs,attachments,attachments_exact,spam,virus,spf,dkim,dmarc,warnings,read,missing,coalesce(report,'')`

// Summaries returns every indexed message under loc (missing ones
// included, marked), in no particular order.
func (x *Index) Summaries(ctx context.Context, loc mailstore.Location) ([]mailstore.Summary, error) {
	return x.query(ctx, `SELECT `+columns+` FROM messages WHERE bucket=? AND substr(key,1,?)=?`,
		loc.Bucket, len(loc.Prefix), loc.Prefix)
}

// Get returns one indexed message.
func (x *Index) Get(ctx context.Context, bucket, key string) (mailstore.Summary, bool, error) {
	s, err := x.query(ctx, `SELECT `+columns+` FROM messages WHERE bucket=? AND key=?`, bucket, key)
	if err != nil || len(s) == 0 {
		return mailstore.Summary{}, false, err
	}
	return s[0], true, nil
}

// KeysBySuffix returns the keys under loc that end with suffix (an SES
// message id given alone on the command line).
func (x *Index) KeysBySuffix(ctx context.Context, loc mailstore.Location, suffix string) ([]string, error) {
	rows, err := x.db.QueryContext(ctx, `SELECT key FROM messages WHERE bucket=? AND substr(key,1,?)=? AND substr(key,-?)=?`,
		loc.Bucket, len(loc.Prefix), loc.Prefix, len(suffix), suffix)
	if err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// Search returns the messages under loc whose subject, sender or
// recipients contain every one of words (case-insensitive). Words shorter
// than three characters cannot use the trigram index; callers filter those
// themselves.
func (x *Index) Search(ctx context.Context, loc mailstore.Location, words []string) ([]mailstore.Summary, error) {
	var match []string
	for _, w := range words {
		match = append(match, `"`+strings.ReplaceAll(w, `"`, `""`)+`"`)
	}
	if len(match) == 0 {
		return x.Summaries(ctx, loc)
	}
	return x.query(ctx, `SELECT `+columns+` FROM messages WHERE rowid IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?)
		AND bucket=? AND substr(key,1,?)=?`, strings.Join(match, " AND "), loc.Bucket, len(loc.Prefix), loc.Prefix)
}

func (x *Index) query(ctx context.Context, q string, args ...any) ([]mailstore.Summary, error) {
	rows, err := x.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	defer rows.Close()
	var out []mailstore.Summary
	for rows.Next() {
		var s mailstore.Summary
		var lm, date int64
		var kind int
		var to, cc, rt, rcpt, refs, warn string
		if err := rows.Scan(&s.Key, &s.ETag, &s.Size, &lm, &kind, &date, &s.DateFromStore, &s.From.Name, &s.From.Address,
			&to, &cc, &rt, &rcpt, &s.Subject, &s.MessageID, &s.InReplyTo, &refs, &s.Attachments, &s.AttachmentsExact,
			&s.Verdicts.Spam, &s.Verdicts.Virus, &s.Verdicts.SPF, &s.Verdicts.DKIM, &s.Verdicts.DMARC, &warn,
			&s.Read, &s.Missing, &s.Report); err != nil {
			return nil, fmt.Errorf("index: %w", err)
		}
		s.LastModified = time.Unix(0, lm).UTC()
		s.Date = time.Unix(0, date).UTC()
		s.Kind = mailstore.Kind(kind)
		s.To, s.Cc, s.ReplyTo = splitAddrs(to), splitAddrs(cc), splitAddrs(rt)
		s.Recipients, s.References, s.Warnings = splitList(rcpt), splitList(refs), splitList(warn)
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	return out, nil
}

// Lists are stored as unit-separated text: cheaper to load than JSON at
// 100k rows. A separator inside an item (hostile headers can hold any
// control character) is replaced so items never split differently.
const (
	sepItem = "\x1f"
	sepPair = "\x1e"
)

var sepEscaper = strings.NewReplacer(sepItem, "\uFFFD", sepPair, "\uFFFD")

func joinList(l []string) string {
	esc := make([]string, len(l))
	for i, s := range l {
		esc[i] = sepEscaper.Replace(s)
	}
	return strings.Join(esc, sepItem)
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, sepItem)
}

func joinAddrs(l []mailstore.Address) string {
	parts := make([]string, len(l))
	for i, a := range l {
		parts[i] = sepEscaper.Replace(a.Name) + sepPair + sepEscaper.Replace(a.Address)
	}
	return joinList(parts)
}

func splitAddrs(s string) []mailstore.Address {
	var out []mailstore.Address
	for _, p := range splitList(s) {
		name, addr, _ := strings.Cut(p, sepPair)
		out = append(out, mailstore.Address{Name: name, Address: addr})
	}
	return out
}
