package index

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/sesbox/sesbox/mailstore"
)

// LogEvent is one stored event of the forwarding Lambda's log group.
type LogEvent struct {
	ID        string
	RequestID string // the invocation it belongs to ("" when none)
	Time      time.Time
	Message   string
}

// LogScan is how far a log group has been read: events from From to To
// are stored; the group holds events from CoveredFrom on (its creation or
// retention).
type LogScan struct {
	From, To, CoveredFrom time.Time
}

// PutLogEvents stores events of a log group; an event already stored (same
// id) is kept as it is.
func (x *Index) PutLogEvents(ctx context.Context, group string, events []LogEvent) error {
	return x.with(ctx, func(db *sql.DB) error {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("index: %w", err)
		}
		defer tx.Rollback()
		st, err := tx.PrepareContext(ctx, `INSERT INTO forward_events(grp,event_id,request_id,ts,message) VALUES(?,?,?,?,?) ON CONFLICT DO NOTHING`)
		if err != nil {
			return fmt.Errorf("index: %w", err)
		}
		defer st.Close()
		for _, e := range events {
			if _, err := st.ExecContext(ctx, group, e.ID, e.RequestID, timeToInt(e.Time), e.Message); err != nil {
				return fmt.Errorf("index: log event %s: %w", e.ID, err)
			}
		}
		return tx.Commit()
	})
}

// LogEvents returns the stored events of a log group, in order of time;
// with requestIDs, only those invocations' events.
func (x *Index) LogEvents(ctx context.Context, group string, requestIDs ...string) (out []LogEvent, err error) {
	q := `SELECT event_id, request_id, ts, message FROM forward_events WHERE grp=?`
	args := []any{group}
	if len(requestIDs) > 0 {
		q += ` AND request_id IN (?` + strings.Repeat(`,?`, len(requestIDs)-1) + `)`
		for _, r := range requestIDs {
			args = append(args, r)
		}
	}
	q += ` ORDER BY ts, event_id`
	err = x.with(ctx, func(db *sql.DB) error {
		out = nil
		rows, err := db.QueryContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("index: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var e LogEvent
			var ts int64
			if err := rows.Scan(&e.ID, &e.RequestID, &ts, &e.Message); err != nil {
				return fmt.Errorf("index: %w", err)
			}
			e.Time = intToTime(ts)
			out = append(out, e)
		}
		return rows.Err()
	})
	return out, err
}

// LogScanOf returns how far a log group has been read; ok is false before
// the first read.
func (x *Index) LogScanOf(ctx context.Context, group string) (s LogScan, ok bool, err error) {
	err = x.with(ctx, func(db *sql.DB) error {
		var from, to, cov int64
		err := db.QueryRowContext(ctx, `SELECT scanned_from, scanned_to, covered_from FROM forward_scans WHERE grp=?`, group).Scan(&from, &to, &cov)
		if err == sql.ErrNoRows {
			return nil
		}
		if err != nil {
			return fmt.Errorf("index: %w", err)
		}
		s, ok = LogScan{From: intToTime(from), To: intToTime(to), CoveredFrom: intToTime(cov)}, true
		return nil
	})
	return s, ok, err
}

// SetLogScan records how far a log group has been read.
func (x *Index) SetLogScan(ctx context.Context, group string, s LogScan) error {
	return x.with(ctx, func(db *sql.DB) error {
		_, err := db.ExecContext(ctx, `INSERT INTO forward_scans(grp,scanned_from,scanned_to,covered_from) VALUES(?,?,?,?)
			ON CONFLICT(grp) DO UPDATE SET scanned_from=excluded.scanned_from, scanned_to=excluded.scanned_to, covered_from=excluded.covered_from`,
			group, timeToInt(s.From), timeToInt(s.To), timeToInt(s.CoveredFrom))
		if err != nil {
			return fmt.Errorf("index: %w", err)
		}
		return nil
	})
}

// SetForward stores the forward outcome of messages of bucket, by key (one
// transaction). Keys not indexed are ignored.
func (x *Index) SetForward(ctx context.Context, bucket string, fw map[string]mailstore.Forward) error {
	return x.with(ctx, func(db *sql.DB) error {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("index: %w", err)
		}
		defer tx.Rollback()
		st, err := tx.PrepareContext(ctx, `UPDATE messages SET forward_status=?, forward_error=?, forward_destinations=?, forward_time=?, forward_requests=?
			WHERE bucket=? AND key=?`)
		if err != nil {
			return fmt.Errorf("index: %w", err)
		}
		defer st.Close()
		for key, f := range fw {
			if _, err := st.ExecContext(ctx, f.Status, f.Error, jsonList(f.Destinations), timeToInt(f.Time), jsonList(f.Requests), bucket, key); err != nil {
				return fmt.Errorf("index %s: %w", mailstore.ObjectName(bucket, key), err)
			}
		}
		return tx.Commit()
	})
}

// HasForward reports whether a message under loc has a forward status,
// which only a read of the forwarding Lambda's log gives.
func (x *Index) HasForward(ctx context.Context, loc mailstore.Location) (has bool, err error) {
	err = x.with(ctx, func(db *sql.DB) error {
		err := db.QueryRowContext(ctx, `SELECT EXISTS(SELECT 1 FROM messages WHERE bucket=? AND substr(key,1,?)=? AND forward_status!='')`,
			loc.Bucket, len(loc.Prefix), loc.Prefix).Scan(&has)
		if err != nil {
			return fmt.Errorf("index: %w", err)
		}
		return nil
	})
	return has, err
}

// Oldest returns the earliest time a message under loc was stored; ok is
// false when none is indexed.
func (x *Index) Oldest(ctx context.Context, loc mailstore.Location) (t time.Time, ok bool, err error) {
	err = x.with(ctx, func(db *sql.DB) error {
		var n sql.NullInt64
		err := db.QueryRowContext(ctx, `SELECT min(last_modified) FROM messages WHERE bucket=? AND substr(key,1,?)=? AND last_modified!=?`,
			loc.Bucket, len(loc.Prefix), loc.Prefix, zeroTime).Scan(&n)
		if err != nil {
			return fmt.Errorf("index: %w", err)
		}
		if n.Valid {
			t, ok = intToTime(n.Int64), true
		}
		return nil
	})
	return t, ok, err
}
