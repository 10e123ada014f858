package index

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/query"
)

// Listing is the answer to a query as the TUI pages through it: the row id
// of every match in order, 8 bytes a message, and how many of them are
// unread. Summaries are then read by id (Rows) for the rows on screen
// only, so a list of 1M messages holds 8 MB of ids, not 1M summaries.
type Listing struct {
	IDs    []int64
	Unread int
}

// Row is one indexed message and its row id. Ids are stable while the
// index file is (a refresh updates a row in place); a healed index gets new
// ones, and reading an id that is gone returns no row for it.
type Row struct {
	ID int64
	mailstore.Summary
}

// Thread is what threads are built from, of one message: a Row would be
// ten times its size, times every message of the mailbox.
type Thread struct {
	ID                                 int64
	Key, Subject, MessageID, InReplyTo string
	References                         []string
	Date                               time.Time
}

// foldFunc is query.FoldKey in SQL: sorting by sender or subject orders
// by it, in the order `ls --sort` and the TUI promise. It is called once a
// row; a collation would be called for every comparison of the sort (1M
// rows by sender: 8 s with query.CompareFold as a collation, 3.8 s so).
// indexSorts index its values: a change to what query.FoldKey returns is a
// new schema whose migration rebuilds them (REINDEX).
const foldFunc = "sesbox_fold"

// fromFold and subjectFold are the keys the list sorts by sender and
// subject on, exactly as indexSorts index them (SQLite uses an index on an
// expression only for that same expression).
const (
	fromFold    = foldFunc + "(CASE WHEN from_name<>'' THEN from_name ELSE from_addr END)"
	subjectFold = foldFunc + "(subject)"
)

var registerFold sync.Once

// registerFunctions makes foldFunc known to every connection opened after
// it (the driver keeps functions for the life of the program).
func registerFunctions() {
	registerFold.Do(func() {
		sqlite.MustRegisterDeterministicScalarFunction(foldFunc, 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			s, _ := args[0].(string)
			return query.FoldKey(s), nil
		})
	})
}

// IDs returns the row ids of the messages under loc that q matches, in
// query.Compare's order of (by, reverse), at most limit of them (0: all),
// and how many of those are unread. Terms SQLite decides exactly never
// leave it (the whole mailbox by date is one scan of the date index, which
// holds the read flag too); the rest are decided by q.Match on the
// candidates, as in Query.
func (x *Index) IDs(ctx context.Context, loc mailstore.Location, q query.Query, by query.SortField, reverse bool, limit int) (out Listing, err error) {
	p := planQuery(q)
	err = x.with(ctx, func(db *sql.DB) error {
		out = Listing{}
		return p.collect(ctx, db, q, loc, by, reverse, limit, &out)
	})
	return out, err
}

// collect appends to out the row ids of p's matches under loc in the order
// of (by, reverse), at most limit of them (0: all), within bound.
func (p sqlPlan) collect(ctx context.Context, db *sql.DB, q query.Query, loc mailstore.Location, by query.SortField, reverse bool, limit int, out *Listing, bound ...cond) error {
	cols := "rowid,read"
	if !p.exact {
		cols = "rowid," + columns
	}
	stmt, args, err := p.statement(ctx, db, loc, cols, by, reverse, limit, bound...)
	if err != nil || stmt == "" {
		return err
	}
	n := 0
	add := func(id int64, read bool) bool {
		out.IDs = append(out.IDs, id)
		if !read {
			out.Unread++
		}
		n++
		return limit <= 0 || n < limit
	}
	if p.exact {
		return scanIDs(ctx, db, stmt, args, func(id int64, read bool) { add(id, read) })
	}
	return scanRows(ctx, db, stmt, args, func(id int64, s *mailstore.Summary) bool {
		return !q.Match(s) || add(id, s.Read)
	})
}

// IDsAround is IDs near one message: up to n of the matches before
// message anchor in the order of (by, reverse), then those at it and after
// it, up to n; At is the index in IDs of the first at or after it (the
// anchor itself when it matches). It is how a new sort or filter shows its
// rows around the cursor's message at once, from the order's index, while
// all of them are read (IDs): at 1M messages, milliseconds against
// seconds. An anchor no longer indexed gives the first n matches, at 0.
// Unread counts the rows returned only.
func (x *Index) IDsAround(ctx context.Context, loc mailstore.Location, q query.Query, by query.SortField, reverse bool, anchor int64, n int) (out Listing, at int, err error) {
	err = x.with(ctx, func(db *sql.DB) error {
		out, at = Listing{}, 0
		p, err := planQuery(q).lookUp(ctx, db)
		if err != nil {
			return err
		}
		order := sortCols(by, reverse)
		exprs := make([]string, len(order))
		for i, c := range order {
			exprs[i] = c.expr
		}
		vals := make([]any, len(order))
		ptrs := make([]any, len(order))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		err = db.QueryRowContext(ctx, `SELECT `+strings.Join(exprs, ",")+` FROM messages WHERE rowid=?`, anchor).Scan(ptrs...)
		if errors.Is(err, sql.ErrNoRows) {
			return p.collect(ctx, db, q, loc, by, reverse, n, &out)
		}
		if err != nil {
			return fmt.Errorf("index: %w", err)
		}
		// Before the anchor: nearest first, in the reverse order, each
		// query of a coarser column than the one before it.
		var before Listing
		for i := len(order) - 1; i >= 0 && len(before.IDs) < n; i-- {
			if err := p.collect(ctx, db, q, loc, by, !reverse, n-len(before.IDs), &before, beyond(order, vals, i, true)); err != nil {
				return err
			}
		}
		slices.Reverse(before.IDs)
		out, at = before, len(before.IDs)
		// At it (all columns equal: the key is unique in its bucket),
		// then after it, the same way.
		if err := p.collect(ctx, db, q, loc, by, reverse, 1, &out, equal(order, vals, len(order))); err != nil {
			return err
		}
		for i := len(order) - 1; i >= 0 && len(out.IDs)-at < n; i-- {
			if err := p.collect(ctx, db, q, loc, by, reverse, n-(len(out.IDs)-at), &out, beyond(order, vals, i, false)); err != nil {
				return err
			}
		}
		return nil
	})
	return out, at, err
}

// equal is the condition that the first k columns of order hold vals.
func equal(order []sortCol, vals []any, k int) cond {
	c := cond{sql: "1", equal: k}
	for i := range k {
		c.sql += " AND " + order[i].expr + "=?"
		c.args = append(c.args, vals[i])
	}
	return c
}

// beyond is the condition of the rows after vals in order (before them
// when back) that share its first i columns: column i is past vals[i].
func beyond(order []sortCol, vals []any, i int, back bool) cond {
	c := equal(order, vals, i)
	op := ">"
	if order[i].desc != back {
		op = "<"
	}
	c.sql += " AND " + order[i].expr + op + "?"
	c.args = append(c.args, vals[i])
	return c
}

// Rows returns the messages of ids that are still indexed, in the order
// of ids.
func (x *Index) Rows(ctx context.Context, ids []int64) ([]Row, error) {
	out, err := x.rows(ctx, `rowid IN (SELECT value FROM json_each(?))`, idList(ids))
	pos := make(map[int64]int, len(ids))
	for i, id := range ids {
		pos[id] = i
	}
	slices.SortFunc(out, func(a, b Row) int { return pos[a.ID] - pos[b.ID] })
	return out, err
}

// RowsByKey returns the messages of keys in bucket that are indexed, in
// the order of keys.
func (x *Index) RowsByKey(ctx context.Context, bucket string, keys []string) ([]Row, error) {
	out, err := x.rows(ctx, `bucket=? AND key IN (SELECT value FROM json_each(?))`, bucket, jsonList(keys))
	pos := make(map[string]int, len(keys))
	for i, k := range keys {
		pos[k] = i
	}
	slices.SortFunc(out, func(a, b Row) int { return pos[a.Key] - pos[b.Key] })
	return out, err
}

func (x *Index) rows(ctx context.Context, where string, args ...any) (out []Row, err error) {
	err = x.with(ctx, func(db *sql.DB) error {
		out = nil
		return scanRows(ctx, db, `SELECT rowid,`+columns+` FROM messages WHERE `+where, args, func(id int64, s *mailstore.Summary) bool {
			out = append(out, Row{ID: id, Summary: *s})
			return true
		})
	})
	return out, err
}

// Threading returns every message under loc in query.Compare's order of
// (by, reverse), with only what threads are built from.
func (x *Index) Threading(ctx context.Context, loc mailstore.Location, by query.SortField, reverse bool) ([]Thread, error) {
	var out []Thread
	err := x.with(ctx, func(db *sql.DB) error {
		out = nil
		stmt, args, err := planQuery(query.Query{}).statement(ctx, db, loc, "rowid,key,date,subject,message_id,in_reply_to,refs", by, reverse, 0)
		if err != nil {
			return err
		}
		rows, err := db.QueryContext(ctx, stmt, args...)
		if err != nil {
			return fmt.Errorf("index: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var r Thread
			var date int64
			var refs string
			if err := rows.Scan(&r.ID, &r.Key, &date, &r.Subject, &r.MessageID, &r.InReplyTo, &refs); err != nil {
				return fmt.Errorf("index: %w", err)
			}
			r.Date = intToTime(date)
			if err := parseList(refs, &r.References); err != nil {
				return fmt.Errorf("index: %s: %w", mailstore.ObjectName(loc.Bucket, r.Key), err)
			}
			out = append(out, r)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("index: %w", err)
		}
		return nil
	})
	return out, err
}

// yieldEvery is how many rows a long scan reads between yields of its
// thread: the ids of 1M messages are a second of a core, read while the
// TUI takes keys, and on two cores the goroutines that carry a key to the
// screen otherwise wait for the scheduler to preempt the scan (10 ms
// each; a sort's first page took 50–90 ms to show, 10 ms in-process).
const yieldEvery = 1024

func scanIDs(ctx context.Context, db *sql.DB, q string, args []any, fn func(id int64, read bool)) error {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("index: %w", err)
	}
	defer rows.Close()
	for n := 1; rows.Next(); n++ {
		var id int64
		var read bool
		if err := rows.Scan(&id, &read); err != nil {
			return fmt.Errorf("index: %w", err)
		}
		fn(id, read)
		if n%yieldEvery == 0 {
			runtime.Gosched()
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("index: %w", err)
	}
	return nil
}

func idList(ids []int64) string {
	b := make([]byte, 0, len(ids)*8+2)
	b = append(b, '[')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(append(b, ']'))
}
