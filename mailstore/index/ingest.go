package index

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/sesbox/sesbox/mailstore"
)

// Ingest takes the objects of list (an S3 Inventory report: a snapshot of
// up to millions of keys) into x as rows without headers: key, size, ETag
// and the object's date, marked HeadersPending. Nothing is read from the
// bucket; FillHeaders reads the header blocks later. It holds one page at a
// time and nothing per key (no Known map: the upsert decides in SQL), so
// its memory does not grow with the report.
//
// A key indexed with the same ETag is left as it is (only no longer
// missing); a new key, a changed ETag or a stale row becomes a stub, its
// read state kept. Like any snapshot, the report marks nothing missing.
// progress, if not nil, gets Listed (rows of the report under the prefix),
// ToFetch and Fetched (stubs written) and New (the stubs of each page)
// per page.
func Ingest(ctx context.Context, x *Index, loc mailstore.Location, list Lister, progress func(Progress)) error {
	if progress == nil {
		progress = func(Progress) {}
	}
	p := Progress{Started: time.Now(), Listing: true}
	err := list(ctx, func(page []mailstore.Object) error {
		var stubs []mailstore.Summary
		err := x.with(ctx, func(db *sql.DB) (err error) {
			stubs, err = ingestPage(ctx, db, loc.Bucket, page)
			return err
		})
		if err != nil {
			return err
		}
		p.Listed += len(page)
		// A stub is a row indexed (without its header block).
		p.ToFetch += len(stubs)
		p.Fetched += len(stubs)
		p.New = stubs
		progress(p)
		return nil
	})
	if err != nil {
		return err
	}
	p.Listing, p.Done, p.New = false, true, nil
	progress(p)
	return nil
}

// ingestPage upserts one page of stubs in one transaction and returns
// those written (the page's new and changed keys). It runs a few
// statements per page, not per row (the rows go in as one JSON array):
// at a million rows, per-statement overhead was most of the time.
func ingestPage(ctx context.Context, db *sql.DB, bucket string, page []mailstore.Object) ([]mailstore.Summary, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	defer tx.Rollback()
	keys := make([]string, len(page))
	for i, o := range page {
		keys[i] = o.Key
	}
	type old struct {
		etag  string
		stale bool
	}
	have := map[string]old{}
	rows, err := tx.QueryContext(ctx, `SELECT key, etag, stale, missing FROM messages
		WHERE bucket=? AND key IN (SELECT value FROM json_each(?))`, bucket, jsonList(keys))
	if err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	var back []string // unchanged keys marked missing
	for rows.Next() {
		var k string
		var o old
		var missing bool
		if err := rows.Scan(&k, &o.etag, &o.stale, &missing); err != nil {
			rows.Close()
			return nil, fmt.Errorf("index: %w", err)
		}
		have[k] = o
		if missing {
			back = append(back, k)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	var fresh, changed []stubRow
	var out []mailstore.Summary
	for _, o := range page {
		h, ok := have[o.Key]
		if ok && h.etag == o.ETag && !h.stale {
			continue
		}
		s := Stub(o)
		r := stubRow{Key: s.Key, ETag: s.ETag, Size: s.Size, LastModified: timeToInt(s.LastModified), Kind: int(s.Kind)}
		if ok {
			changed = append(changed, r)
		} else {
			have[o.Key] = old{etag: o.ETag} // a key twice in a page goes in once
			fresh = append(fresh, r)
		}
		out = append(out, s)
	}
	if len(back) > 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE messages SET missing=0 WHERE bucket=? AND key IN (SELECT value FROM json_each(?))`,
			bucket, jsonList(back)); err != nil {
			return nil, fmt.Errorf("index: %w", err)
		}
	}
	if len(fresh) > 0 {
		if _, err := tx.ExecContext(ctx, `INSERT INTO messages(bucket,key,etag,size,last_modified,kind,date,date_from_store,
			from_name,from_addr,to_list,cc_list,reply_to,recipients,subject,message_id,in_reply_to,refs,
			attachments,attachments_exact,spam,virus,spf,dkim,dmarc,warnings,report,headers_pending)
			SELECT ?, value->>'k', value->>'e', value->>'s', value->>'m', value->>'t', value->>'m', 1,
				'','','[]','[]','[]','[]','','','','[]',0,0,'','','','','','[]','',1
			FROM json_each(?)`, bucket, jsonList(fresh)); err != nil {
			return nil, fmt.Errorf("index: %w", err)
		}
	}
	if len(changed) > 0 {
		// A changed row loses every header field (they described another
		// version of the object) and its full-text terms; it keeps its
		// read state.
		if _, err := tx.ExecContext(ctx, `DELETE FROM messages_fts WHERE rowid IN
			(SELECT rowid FROM messages WHERE bucket=? AND key IN (SELECT value->>'k' FROM json_each(?)))`,
			bucket, jsonList(changed)); err != nil {
			return nil, fmt.Errorf("index: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE messages SET etag=c.value->>'e',version_id='',size=c.value->>'s',
			last_modified=c.value->>'m',kind=c.value->>'t',date=c.value->>'m',date_from_store=1,
			from_name='',from_addr='',to_list='[]',cc_list='[]',reply_to='[]',recipients='[]',subject='',message_id='',
			in_reply_to='',refs='[]',attachments=0,attachments_exact=0,spam='',virus='',spf='',dkim='',dmarc='',
			warnings='[]',report='',headers_pending=1,missing=0,stale=0
			FROM json_each(?) AS c WHERE messages.bucket=? AND messages.key=c.value->>'k'`, jsonList(changed), bucket); err != nil {
			return nil, fmt.Errorf("index: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	return out, nil
}

// stubRow is one stub as ingestPage passes it to SQLite in bulk.
type stubRow struct {
	Key          string `json:"k"`
	ETag         string `json:"e"`
	Size         int64  `json:"s"`
	LastModified int64  `json:"m"`
	Kind         int    `json:"t"`
}

// Stub is the summary of an object whose header block is not read yet:
// the listing's key, size, ETag and date (DateFromStore), HeadersPending.
func Stub(o mailstore.Object) mailstore.Summary {
	s := mailstore.Summary{Object: o, Date: o.LastModified, DateFromStore: true, HeadersPending: true}
	if mailstore.SESMessageID(o.Key) == "AMAZON_SES_SETUP_NOTIFICATION" {
		s.Kind = mailstore.KindSetupNotification
	}
	return s
}

// Pending counts the rows under loc whose header block is not read yet.
func (x *Index) Pending(ctx context.Context, loc mailstore.Location) (n int, err error) {
	err = x.with(ctx, func(db *sql.DB) error {
		return db.QueryRowContext(ctx, `SELECT count(*) FROM messages INDEXED BY messages_pending
			WHERE headers_pending=1 AND bucket=? AND substr(key,1,?)=?`,
			loc.Bucket, len(loc.Prefix), loc.Prefix).Scan(&n)
	})
	if err != nil {
		return 0, fmt.Errorf("index: %w", err)
	}
	return n, nil
}

// FillOptions tune FillHeaders.
type FillOptions struct {
	// Workers is how many header reads run at once (0: DefaultWorkers).
	Workers int
	// Rate is how many header reads start per second at the most (0: as
	// many as the workers manage): a background fill stays polite to the
	// bucket and to the machine.
	Rate float64
	// Keys, when set, limits the fill to these keys (those still pending):
	// the rows on screen, read before the background fill reaches them.
	Keys []string
	// Every is how often progress is reported at the least.
	Every time.Duration
}

// fillPage is how many pending rows FillHeaders takes from the index at
// once: the newest first, so a list sorted by date fills from its top.
const fillPage = 500

// FillHeaders reads the header block of every row under loc that Ingest
// left pending (or of opt.Keys only), the newest first, and writes the
// summaries in place of the stubs, at opt.Rate. It stops when none is
// left, or when ctx ends (returning ctx's error): what was written stays,
// and the rest stays pending for the next call. Reads that fail are
// counted and reported as a *PartialError; those rows stay pending.
func FillHeaders(ctx context.Context, x *Index, st mailstore.Store, opt FillOptions, progress func(Progress)) error {
	loc := st.Location()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var n counters
	toRead := make(chan mailstore.Object, 64)
	headers := make(chan fetched, 64)
	listed := make(chan error, 1)
	go func() {
		listed <- pendingObjects(ctx, x, loc, opt, toRead, &n)
		close(toRead)
	}()
	go fetchHeaders(ctx, st, opt.Workers, toRead, headers)

	c := newCollector(x, loc.Bucket, Options{Workers: opt.Workers, Every: opt.Every}, &n, progress)
	if err := c.run(ctx, headers); err != nil {
		return err
	}
	if err := <-listed; err != nil {
		return err
	}
	if err := c.finish(ctx); err != nil {
		return err
	}
	if c.firstErr != nil {
		return &PartialError{Location: loc, Failed: c.p.Failed, Total: c.p.ToFetch, First: c.firstErr}
	}
	return nil
}

// pendingObjects is FillHeaders' lister: it sends the pending rows to out
// (opt.Keys' only, when set), page by page from the newest, no faster than
// opt.Rate. It does not close out.
func pendingObjects(ctx context.Context, x *Index, loc mailstore.Location, opt FillOptions, out chan<- mailstore.Object, n *counters) error {
	start := time.Now()
	send := func(o mailstore.Object) error {
		if opt.Rate > 0 {
			// The k-th read starts no earlier than k/Rate after the first.
			at := start.Add(time.Duration(float64(n.toFetch.Load()) / opt.Rate * float64(time.Second)))
			if d := time.Until(at); d > 0 {
				t := time.NewTimer(d)
				select {
				case <-t.C:
				case <-ctx.Done():
					t.Stop()
					return ctx.Err()
				}
			}
		}
		n.listed.Add(1)
		n.toFetch.Add(1)
		select {
		case out <- o:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if opt.Keys != nil {
		seen := map[string]bool{}
		for _, k := range opt.Keys {
			s, ok, err := x.Get(ctx, loc.Bucket, k)
			if err != nil {
				return err
			}
			if ok && s.HeadersPending && !seen[k] {
				seen[k] = true
				if err := send(s.Object); err != nil {
					return err
				}
			}
		}
		return nil
	}
	// Keyset paging over (date, key), newest first: rows filled meanwhile
	// leave the partial index, and a row that failed is not met again.
	after := struct {
		date int64
		key  string
	}{date: maxInt64}
	for {
		var page []mailstore.Object
		err := x.with(ctx, func(db *sql.DB) error {
			page = page[:0]
			rows, err := db.QueryContext(ctx, `SELECT key, etag, size, last_modified, date FROM messages INDEXED BY messages_pending
				WHERE headers_pending=1 AND bucket=? AND substr(key,1,?)=? AND (date<? OR (date=? AND key<?))
				ORDER BY date DESC, key DESC LIMIT ?`,
				loc.Bucket, len(loc.Prefix), loc.Prefix, after.date, after.date, after.key, fillPage)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var o mailstore.Object
				var lm int64
				if err := rows.Scan(&o.Key, &o.ETag, &o.Size, &lm, &after.date); err != nil {
					return err
				}
				o.LastModified = intToTime(lm)
				after.key = o.Key
				page = append(page, o)
			}
			return rows.Err()
		})
		if err != nil {
			return fmt.Errorf("index: %w", err)
		}
		if len(page) == 0 {
			return nil
		}
		for _, o := range page {
			if err := send(o); err != nil {
				return err
			}
		}
	}
}

const maxInt64 = 1<<63 - 1
