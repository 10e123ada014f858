// Package index is the local SQLite cache of message summaries: what makes a
// second start on a large bucket cost list calls only, and what free-text
// search runs on (FTS5, trigram tokenizer so any script matches mid-word).
package index

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // database/sql driver "sqlite"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/query"
	"github.com/sesbox/sesbox/mailstore/xdg"
)

// Index is an open cache database. It is safe for concurrent use.
type Index struct {
	path string // "" for an index in memory

	mu     sync.RWMutex // guards db, gen and notice; heal replaces db
	db     *sql.DB
	gen    int // how many times db was replaced
	notice string
	notify func(string)
	// file is the file db was opened from, to notice it deleted or
	// replaced (follow); nil for none to follow. replacedSaid is set once
	// the user was told another file took its place.
	file         os.FileInfo
	replacedSaid bool
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
func (x *Index) Close() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.db.Close()
}

// Known is what the index remembers of a key, to decide what to re-read.
type Known struct {
	ETag    string
	Missing bool
	// Stale is set for a row kept from an older schema only for its read
	// state: its summary must be read again.
	Stale bool
	// Undecrypted is set for a client-side encrypted object indexed
	// without its header (the placeholder Refresh writes).
	Undecrypted bool
	// Pending is set for a stub written from an inventory (Ingest) whose
	// header block is not read yet.
	Pending bool
	// Outdated is set for a row an older summaryDerivation wrote: its
	// header block is read again, the row listed as it is meanwhile.
	Outdated bool
}

// encryptedSubject is the subject of the placeholder summary of an object
// that is encrypted and could not be decrypted; it has no sender and no
// Message-ID, which is how Known tells it from a message with that subject.
const encryptedSubject = "(encrypted with KMS)"

// dotSegmentSubject is the subject of the placeholder summary of an
// object whose key the store refuses to read (mailstore.ErrDotSegment).
const dotSegmentSubject = `(not read: "." or ".." in the key)`

// Known returns every indexed key under loc.
func (x *Index) Known(ctx context.Context, loc mailstore.Location) (out map[string]Known, err error) {
	err = x.with(ctx, func(db *sql.DB) error {
		out, err = known(ctx, db, loc)
		return err
	})
	return out, err
}

func known(ctx context.Context, db *sql.DB, loc mailstore.Location) (map[string]Known, error) {
	rows, err := db.QueryContext(ctx, `SELECT key, etag, missing, stale, (subject=? AND from_addr='' AND message_id=''), headers_pending,
		derivation<?
		FROM messages WHERE bucket=? AND substr(key,1,?)=?`,
		encryptedSubject, summaryDerivation, loc.Bucket, len(loc.Prefix), loc.Prefix)
	if err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	defer rows.Close()
	out := map[string]Known{}
	for rows.Next() {
		var k string
		var v Known
		if err := rows.Scan(&k, &v.ETag, &v.Missing, &v.Stale, &v.Undecrypted, &v.Pending, &v.Outdated); err != nil {
			return nil, fmt.Errorf("index: %w", err)
		}
		out[k] = v
	}
	return out, rows.Err()
}

// Put stores summaries (one transaction), replacing earlier versions of the
// same keys but keeping their read state. Read and Missing are the index's
// own state (see SetRead, SetMissing) and are not taken from sums; a put
// key is no longer missing.
func (x *Index) Put(ctx context.Context, bucket string, sums []mailstore.Summary) error {
	return x.with(ctx, func(db *sql.DB) error { return put(ctx, db, bucket, sums) })
}

func put(ctx context.Context, db *sql.DB, bucket string, sums []mailstore.Summary) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("index: %w", err)
	}
	defer tx.Rollback()
	up, err := tx.PrepareContext(ctx, `INSERT INTO messages(bucket,key,etag,version_id,size,last_modified,kind,date,date_from_store,
		from_name,from_addr,to_list,cc_list,reply_to,recipients,subject,message_id,in_reply_to,refs,
		attachments,attachments_exact,spam,virus,spf,dkim,dmarc,warnings,report,headers_pending,missing,stale,derivation)
		VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,0,0,`+strconv.Itoa(summaryDerivation)+`)
		ON CONFLICT(bucket,key) DO UPDATE SET etag=excluded.etag,version_id=excluded.version_id,size=excluded.size,last_modified=excluded.last_modified,
		kind=excluded.kind,date=excluded.date,date_from_store=excluded.date_from_store,from_name=excluded.from_name,
		from_addr=excluded.from_addr,to_list=excluded.to_list,cc_list=excluded.cc_list,reply_to=excluded.reply_to,
		recipients=excluded.recipients,subject=excluded.subject,message_id=excluded.message_id,in_reply_to=excluded.in_reply_to,
		refs=excluded.refs,attachments=excluded.attachments,attachments_exact=excluded.attachments_exact,spam=excluded.spam,
		virus=excluded.virus,spf=excluded.spf,dkim=excluded.dkim,dmarc=excluded.dmarc,warnings=excluded.warnings,report=excluded.report,
		headers_pending=excluded.headers_pending,missing=0,stale=0,derivation=excluded.derivation
		RETURNING rowid`)
	if err != nil {
		return fmt.Errorf("index: %w", err)
	}
	defer up.Close()
	// The full-text rows go in after every messages row, in one
	// statement each for the whole batch: FTS5 writes its pending terms
	// out as a new segment at every statement savepoint once it has been
	// written in a transaction, so a statement per row made a segment per
	// row (and the merges that follow: a third of the CPU of a cold index).
	fts := make([]ftsRow, len(sums))
	for i := range sums {
		s := &sums[i]
		err := up.QueryRowContext(ctx, bucket, s.Key, s.ETag, s.VersionID, s.Size, timeToInt(s.LastModified), int(s.Kind),
			timeToInt(s.Date), s.DateFromStore, s.From.Name, s.From.Address,
			jsonList(s.To), jsonList(s.Cc), jsonList(s.ReplyTo), jsonList(s.Recipients),
			s.Subject, s.MessageID, s.InReplyTo, jsonList(s.References),
			s.Attachments, s.AttachmentsExact, s.Verdicts.Spam, s.Verdicts.Virus, s.Verdicts.SPF,
			s.Verdicts.DKIM, s.Verdicts.DMARC, jsonList(s.Warnings), s.Report, s.HeadersPending).Scan(&fts[i].RowID)
		if err != nil {
			return fmt.Errorf("index %s: %w", mailstore.ObjectName(bucket, s.Key), err)
		}
		fts[i].Subject, fts[i].Sender, fts[i].Recipients = query.FoldKey(s.Subject), query.FoldKey(s.From.String()), query.FoldKey(ftsRecipients(s))
	}
	// A key put twice in one batch has one row: its last summary wins.
	last := make(map[int64]int, len(fts))
	for i, r := range fts {
		last[r.RowID] = i
	}
	uniq := fts[:0:0]
	for i, r := range fts {
		if last[r.RowID] == i {
			uniq = append(uniq, r)
		}
	}
	rows := jsonList(uniq)
	if _, err := tx.ExecContext(ctx, `DELETE FROM messages_fts WHERE rowid IN (SELECT value->>'r' FROM json_each(?))`, rows); err != nil {
		return fmt.Errorf("index: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO messages_fts(rowid,subject,sender,recipients)
		SELECT value->>'r', value->>'s', value->>'f', value->>'t' FROM json_each(?)`, rows); err != nil {
		return fmt.Errorf("index: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("index: %w", err)
	}
	return nil
}

// ftsRow is one row of messages_fts, as put passes it in bulk. Its text
// is lower-cased as q.Match lower-cases what it looks in (query.FoldKey,
// a rune for a rune), and the terms looked up are lower-cased the same
// way: the tokenizer's own folding then meets the same runes on both
// sides. Left to it alone, a row with a capital it does not fold as Go
// does ("İ", Georgian Mtavruli) was not found by a term q.Match finds in
// it (schema 10).
type ftsRow struct {
	RowID      int64  `json:"r"`
	Subject    string `json:"s"`
	Sender     string `json:"f"`
	Recipients string `json:"t"`
}

// ftsRecipients is the recipients column of the full-text index: every
// To and Cc address and the envelope recipients.
func ftsRecipients(s *mailstore.Summary) string {
	var to []string
	for _, a := range append(append([]mailstore.Address{}, s.To...), s.Cc...) {
		to = append(to, a.String())
	}
	return strings.Join(append(to, s.Recipients...), " ")
}

// SetMissing marks keys as vanished from (or back in) the bucket. Vanished
// messages are kept: an index is also a record of what was there.
func (x *Index) SetMissing(ctx context.Context, bucket string, keys []string, missing bool) error {
	if len(keys) == 0 {
		return nil
	}
	return x.with(ctx, func(db *sql.DB) error { return setMissing(ctx, db, bucket, keys, missing) })
}

func setMissing(ctx context.Context, db *sql.DB, bucket string, keys []string, missing bool) error {
	tx, err := db.BeginTx(ctx, nil)
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
	var res sql.Result
	err := x.with(ctx, func(db *sql.DB) (err error) {
		res, err = db.ExecContext(ctx, `UPDATE messages SET read=? WHERE bucket=? AND key=?`, read, bucket, key)
		return err
	})
	if err != nil {
		return fmt.Errorf("index: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("index: %s: %w", mailstore.ObjectName(bucket, key), mailstore.ErrNotFound)
	}
	return nil
}

const columns = `key,etag,version_id,size,last_modified,kind,date,date_from_store,from_name,from_addr,to_list,cc_list,reply_to,
	recipients,subject,message_id,in_reply_to,refs,attachments,attachments_exact,spam,virus,spf,dkim,dmarc,warnings,read,missing,report,
	forward_status,forward_error,forward_destinations,forward_time,forward_requests,headers_pending`

// Summaries returns every indexed message under loc (missing ones
// included, marked), in no particular order. Rows kept from an older
// schema only for their read state are left out until read again.
func (x *Index) Summaries(ctx context.Context, loc mailstore.Location) ([]mailstore.Summary, error) {
	return x.query(ctx, `SELECT `+columns+` FROM messages WHERE stale=0 AND bucket=? AND substr(key,1,?)=?`,
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
func (x *Index) KeysBySuffix(ctx context.Context, loc mailstore.Location, suffix string) (out []string, err error) {
	err = x.with(ctx, func(db *sql.DB) error {
		out, err = keysBySuffix(ctx, db, loc, suffix)
		return err
	})
	return out, err
}

// KeysWithPrefix returns at most limit keys under loc that start with p
// (which starts with loc's prefix), in key order: what a shell completes.
func (x *Index) KeysWithPrefix(ctx context.Context, loc mailstore.Location, p string, limit int) (out []string, err error) {
	err = x.with(ctx, func(db *sql.DB) error {
		// A range on the key, so the index stops where the prefix ends;
		// U+10FFFF sorts after every character a key can hold there.
		rows, err := db.QueryContext(ctx, `SELECT key FROM messages WHERE bucket=? AND key>=? AND key<? AND substr(key,1,?)=? AND substr(key,1,?)=? ORDER BY key LIMIT ?`,
			loc.Bucket, p, p+"\U0010FFFF", len(p), p, len(loc.Prefix), loc.Prefix, limit)
		if err != nil {
			return fmt.Errorf("index: %w", err)
		}
		defer rows.Close()
		out = out[:0]
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				return err
			}
			out = append(out, k)
		}
		return rows.Err()
	})
	return out, err
}

func keysBySuffix(ctx context.Context, db *sql.DB, loc mailstore.Location, suffix string) ([]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT key FROM messages WHERE bucket=? AND substr(key,1,?)=? AND substr(key,-?)=?`,
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

func (x *Index) query(ctx context.Context, q string, args ...any) (out []mailstore.Summary, err error) {
	err = x.with(ctx, func(db *sql.DB) error {
		out, err = querySummaries(ctx, db, q, args...)
		return err
	})
	return out, err
}

func querySummaries(ctx context.Context, db *sql.DB, q string, args ...any) ([]mailstore.Summary, error) {
	var out []mailstore.Summary
	err := scanSummaries(ctx, db, q, args, func(s *mailstore.Summary) bool { out = append(out, *s); return true })
	return out, err
}

// scanSummaries runs q (a SELECT of columns) and calls fn with each row
// until fn returns false.
func scanSummaries(ctx context.Context, db *sql.DB, q string, args []any, fn func(*mailstore.Summary) bool) error {
	return scan(ctx, db, q, args, false, func(_ int64, s *mailstore.Summary) bool { return fn(s) })
}

// scanRows is scanSummaries for a SELECT of rowid then columns.
func scanRows(ctx context.Context, db *sql.DB, q string, args []any, fn func(int64, *mailstore.Summary) bool) error {
	return scan(ctx, db, q, args, true, fn)
}

func scan(ctx context.Context, db *sql.DB, q string, args []any, withID bool, fn func(int64, *mailstore.Summary) bool) error {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("index: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var s mailstore.Summary
		var lm, date, fwTime int64
		var kind int
		var to, cc, rt, rcpt, refs, warn, fwDests, fwReqs string
		dst := []any{&s.Key, &s.ETag, &s.VersionID, &s.Size, &lm, &kind, &date, &s.DateFromStore, &s.From.Name, &s.From.Address,
			&to, &cc, &rt, &rcpt, &s.Subject, &s.MessageID, &s.InReplyTo, &refs, &s.Attachments, &s.AttachmentsExact,
			&s.Verdicts.Spam, &s.Verdicts.Virus, &s.Verdicts.SPF, &s.Verdicts.DKIM, &s.Verdicts.DMARC, &warn,
			&s.Read, &s.Missing, &s.Report,
			&s.Forward.Status, &s.Forward.Error, &fwDests, &fwTime, &fwReqs, &s.HeadersPending}
		if withID {
			dst = append([]any{&id}, dst...)
		}
		if err := rows.Scan(dst...); err != nil {
			return fmt.Errorf("index: %w", err)
		}
		s.LastModified = intToTime(lm)
		s.Date = intToTime(date)
		s.Kind = mailstore.Kind(kind)
		s.Forward.Time = intToTime(fwTime)
		for _, l := range []struct {
			col string
			dst any
		}{{to, &s.To}, {cc, &s.Cc}, {rt, &s.ReplyTo}, {rcpt, &s.Recipients}, {refs, &s.References}, {warn, &s.Warnings},
			{fwDests, &s.Forward.Destinations}, {fwReqs, &s.Forward.Requests}} {
			if err := parseList(l.col, l.dst); err != nil {
				return fmt.Errorf("index: %q: %w", s.Key, err)
			}
		}
		if !fn(id, &s) {
			return nil
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("index: %w", err)
	}
	return nil
}

// Lists (addresses, recipients, references, warnings) are stored as JSON
// arrays: a structure no value can break out of, whatever separators,
// quotes or control characters a hostile header holds, and one SQLite's
// JSON functions can query. An empty list is stored as [] and read back
// as nil: the one normal form of "none" in a Summary from the index.
// Strings must be UTF-8 (what the parser produces); an invalid byte is
// stored as U+FFFD, as encoding/json writes it.
func jsonList[T any](l []T) string {
	if len(l) == 0 {
		return "[]"
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(l); err != nil {
		// Strings and Addresses always encode.
		panic(fmt.Sprintf("index: encode list: %v", err))
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// parseList decodes a JSON list column into dst (a *[]T), leaving nil for
// an empty list.
func parseList(col string, dst any) error {
	if col == "" || col == "[]" || col == "null" {
		return nil
	}
	if err := json.Unmarshal([]byte(col), dst); err != nil {
		return fmt.Errorf("list column %.40q: %w", col, err)
	}
	return nil
}

// zeroTime stands for the zero time.Time, whose UnixNano is out of range.
// Other times are stored as Unix nanoseconds (1678 to 2262: wider than
// any date the parser accepts).
const zeroTime = math.MinInt64

func timeToInt(t time.Time) int64 {
	if t.IsZero() {
		return zeroTime
	}
	return t.UnixNano()
}

func intToTime(n int64) time.Time {
	if n == zeroTime {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}
