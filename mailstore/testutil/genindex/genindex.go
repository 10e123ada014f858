// Package genindex fills an index with generated messages straight in SQL,
// for measuring what reads a large index (the TUI at 1M messages) without
// indexing a bucket that large first: a million rows take seconds, where
// index.Put (one parsed summary at a time) takes minutes.
package genindex

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	_ "modernc.org/sqlite" // database/sql driver "sqlite"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/index"
)

// Fill adds n messages under loc to the index at path (created if need
// be): keys loc.Prefix+"gen%010d", one a minute back from now, from 97
// senders, subjects "Message number i about topic i%89", a third of them
// unread, one in five a reply to the message before it, and the full-text
// rows of every one, as index.Put writes them.
func Fill(ctx context.Context, path string, loc mailstore.Location, n int, now time.Time) error {
	x, err := index.Open(path) // the schema, exactly as sesbox makes it
	if err != nil {
		return err
	}
	if err := x.Close(); err != nil {
		return err
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	start, err := nextRow(ctx, tx)
	if err != nil {
		return err
	}
	// Row i: date now - i minutes, so the newest is i = 0.
	if _, err := tx.ExecContext(ctx, `WITH RECURSIVE g(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM g WHERE i+1<?)
		INSERT INTO messages(bucket,key,etag,version_id,size,last_modified,kind,date,date_from_store,
			from_name,from_addr,to_list,cc_list,reply_to,recipients,subject,message_id,in_reply_to,refs,
			attachments,attachments_exact,spam,virus,spf,dkim,dmarc,warnings,read)
		SELECT ?, ?||printf('gen%010d', i), printf('%032x', i), '', 800+(i*7919)%60000, ?-i*60000000000, 0, ?-i*60000000000, 0,
			printf('Sender %d', i%97), printf('sender%d@example.com', i%97),
			'[{"Name":"Ops","Address":"ops@example.org"}]', '[]', '[]', '["ops@example.org"]',
			CASE WHEN i%5=1 THEN 'Re: ' ELSE '' END || printf('Message number %d about topic %d', i, i%89),
			printf('<gen%d@example.com>', i),
			CASE WHEN i%5=1 THEN printf('<gen%d@example.com>', i+1) ELSE '' END,
			CASE WHEN i%5=1 THEN printf('["<gen%d@example.com>"]', i+1) ELSE '[]' END,
			(i%11=0), 1, 'PASS', 'PASS', 'PASS', CASE WHEN i%13=0 THEN 'FAIL' ELSE 'PASS' END, 'PASS', '[]', (i%3<>0)
		FROM g`, n, loc.Bucket, loc.Prefix, now.UnixNano(), now.UnixNano()); err != nil {
		return fmt.Errorf("genindex: messages: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO messages_fts(rowid,subject,sender,recipients)
		SELECT rowid, subject, from_name||' <'||from_addr||'>', 'Ops <ops@example.org> ops@example.org' FROM messages WHERE rowid>=?`, start); err != nil {
		return fmt.Errorf("genindex: full text: %w", err)
	}
	return tx.Commit()
}

func nextRow(ctx context.Context, tx *sql.Tx) (int64, error) {
	var n int64
	err := tx.QueryRowContext(ctx, `SELECT coalesce(max(rowid),0)+1 FROM messages`).Scan(&n)
	return n, err
}
