package index

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/query"
)

// TestQueryAgreesWithMatch is the property that makes SQL evaluation safe:
// for random summaries and random queries (every field, negations, short
// and non-ASCII needles, LIKE's wildcards), Query returns exactly what
// q.Match accepts, in query.Sort's order, cut at the limit.
func TestQueryAgreesWithMatch(t *testing.T) {
	t.Run("lists", func(t *testing.T) { queryAgreesWithMatch(t) })
	// Every full-text term that is in one row of 16 is dense: dropped,
	// and decided by q.Match on the rows read in order.
	t.Run("dense", func(t *testing.T) {
		defer func(v int64) { minDense = v }(minDense)
		minDense = 16
		queryAgreesWithMatch(t)
	})
}

func queryAgreesWithMatch(t *testing.T) {
	ctx := context.Background()
	x, err := OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	r := rand.New(rand.NewPCG(4, 2))
	pick := func(l []string) string { return l[r.IntN(len(l))] }
	names := []string{"Alice Smith", "BOB", "Ärger Ölund", "ÉCOLE", "carol_x", "100% Dave", ""}
	addrs := []string{"alice@example.com", "Bob@Example.COM", "ärger@bücher.example", "x_y@z.example", "percent%@a.example"}
	subjects := []string{"Invoice 42", "invoice overdue", "Ärger mit Bücher", "100% off_sale", "re: hello", "ÉCOLE report", ""}
	verdicts := []string{"PASS", "FAIL", "GRAY", ""}
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	loc := mailstore.Location{Bucket: "mail", Prefix: "inbox/"}
	var sums []mailstore.Summary
	for i := range 300 {
		s := mailstore.Summary{Object: mailstore.Object{Key: fmt.Sprintf("inbox/%03d", i), ETag: "e", Size: int64(r.IntN(5) * 1000)},
			From:    mailstore.Address{Name: pick(names), Address: pick(addrs)},
			To:      []mailstore.Address{{Name: pick(names), Address: pick(addrs)}},
			Subject: pick(subjects), Attachments: r.IntN(2), Report: pick([]string{"", "", mailstore.ReportBounce, mailstore.ReportComplaint}),
			Verdicts: mailstore.Verdicts{Spam: pick(verdicts), Virus: pick(verdicts), SPF: pick(verdicts), DKIM: pick(verdicts), DMARC: pick(verdicts)},
		}
		s.Forward.Status = pick([]string{"", mailstore.ForwardForwarded, mailstore.ForwardFailed, mailstore.ForwardNone})
		if r.IntN(10) > 0 {
			s.Date = base.Add(time.Duration(r.IntN(20)) * 24 * time.Hour) // ties on purpose
		}
		s.LastModified = base.Add(time.Duration(r.IntN(12)) * 24 * time.Hour)
		sums = append(sums, s)
	}
	sums = append(sums, mailstore.Summary{Object: mailstore.Object{Key: "other/x", ETag: "e"}, Subject: "Invoice 42"})
	if err := x.Put(ctx, "mail", sums); err != nil {
		t.Fatal(err)
	}
	for i := range sums {
		if i%3 == 0 {
			if err := x.SetRead(ctx, "mail", sums[i].Key, true); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := x.SetMissing(ctx, "mail", []string{"inbox/007", "inbox/100"}, true); err != nil {
		t.Fatal(err)
	}
	all, err := x.Summaries(ctx, loc)
	if err != nil {
		t.Fatal(err)
	}
	terms := []string{"invoice", "INV", "in", "from:alice", "from:ärger", "from:ÄRGER", "from:%", "from:_", "from:x_y", "from:bob@example.com",
		"to:alice", "to:ärger", "to:bo", "subject:invoice", "subject:100%", "subject:off_", "subject:écol", "after:2026-11-10", "before:2026-11-05", "stored-after:2026-11-08", "stored-before:2026-11-04",
		"has:attachment", "is:unread", "is:read", "is:missing", "is:bounce", "is:report", "spam:fail", "dkim:pass", "virus:gray", "bücher", "hello", "smith", "école", "forward:failed", "forward:ok", "forward:none"}
	sorts := []query.SortField{query.ByDate, query.BySize, query.ByFrom, query.BySubject}
	for i := range 400 {
		var parts []string
		for range 1 + r.IntN(3) {
			tm := pick(terms)
			if r.IntN(4) == 0 {
				tm = "-" + tm
			}
			parts = append(parts, tm)
		}
		qs := strings.Join(parts, " ")
		q, err := query.Parse(qs, base)
		if err != nil {
			t.Fatal(err)
		}
		by, reverse, limit := sorts[r.IntN(len(sorts))], r.IntN(2) == 0, []int{0, 1, 5, 50}[r.IntN(4)]
		var want []mailstore.Summary
		for _, s := range all {
			if q.Match(&s) {
				want = append(want, s)
			}
		}
		query.Sort(want, by, reverse)
		if limit > 0 && len(want) > limit {
			want = want[:limit]
		}
		got, err := x.Query(ctx, loc, q, by, reverse, limit)
		if err != nil {
			t.Fatalf("%q: %v", qs, err)
		}
		key := func(s mailstore.Summary) string { return s.Key }
		if gk, wk := mapKeys(got, key), mapKeys(want, key); !slices.Equal(gk, wk) {
			t.Fatalf("query %d %q by %s reverse=%v limit %d:\n got %v\nwant %v", i, qs, by, reverse, limit, gk, wk)
		}
		// The TUI's way to the same answer: the ids, then their rows.
		l, err := x.IDs(ctx, loc, q, by, reverse, limit)
		if err != nil {
			t.Fatalf("%q: %v", qs, err)
		}
		rows, err := x.Rows(ctx, l.IDs)
		if err != nil {
			t.Fatal(err)
		}
		unread := 0
		for _, s := range want {
			if !s.Read {
				unread++
			}
		}
		if gk, wk := rowKeys(rows), mapKeys(want, key); !slices.Equal(gk, wk) || l.Unread != unread {
			t.Fatalf("ids of query %d %q by %s reverse=%v limit %d:\n got %v (%d unread)\nwant %v (%d unread)", i, qs, by, reverse, limit, gk, l.Unread, wk, unread)
		}
		checkAround(t, x, loc, q, by, reverse, r)
	}
}

// checkAround checks IDsAround against IDs: around a random message of the
// mailbox (one that matches q or not) or a row id that is not there, the
// matches just before it in the whole mailbox's order and those at and
// after it.
func checkAround(t *testing.T, x *Index, loc mailstore.Location, q query.Query, by query.SortField, reverse bool, r *rand.Rand) {
	t.Helper()
	ctx := context.Background()
	every, err := x.IDs(ctx, loc, query.Query{}, by, reverse, 0)
	if err != nil {
		t.Fatal(err)
	}
	matches, err := x.IDs(ctx, loc, q, by, reverse, 0)
	if err != nil {
		t.Fatal(err)
	}
	match := map[int64]bool{}
	for _, id := range matches.IDs {
		match[id] = true
	}
	n := []int{1, 3, 50}[r.IntN(3)]
	pos := r.IntN(len(every.IDs) + 1)
	anchor := int64(1 << 40) // no such row: the first n matches
	if pos < len(every.IDs) {
		anchor = every.IDs[pos]
	} else {
		pos = 0
	}
	var before, after []int64
	for _, id := range every.IDs[:pos] {
		if match[id] {
			before = append(before, id)
		}
	}
	for _, id := range every.IDs[pos:] {
		if match[id] && len(after) < n {
			after = append(after, id)
		}
	}
	if anchor == 1<<40 {
		before = nil
	}
	before = before[max(0, len(before)-n):]
	got, at, err := x.IDsAround(ctx, loc, q, by, reverse, anchor, n)
	if err != nil {
		t.Fatal(err)
	}
	if want := append(slices.Clone(before), after...); !slices.Equal(got.IDs, want) || at != len(before) {
		t.Fatalf("around %d (at %d of the mailbox) of %q by %s reverse=%v, %d each way:\n got %v at %d\nwant %v at %d", anchor, pos, q, by, reverse, n, got.IDs, at, want, len(before))
	}
}

func rowKeys(rows []Row) []string {
	out := make([]string, len(rows))
	for i := range rows {
		out[i] = rows[i].Key
	}
	return out
}

// TestRowsByIDKeyAndThreading: rows come back in the order asked (ids or
// keys gone are left out), and Threading is every message in sort order
// with the fields threads are built from.
func TestRowsByIDKeyAndThreading(t *testing.T) {
	ctx := context.Background()
	x, err := OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	loc := mailstore.Location{Bucket: "mail", Prefix: "inbox/"}
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var sums []mailstore.Summary
	for i := range 5 {
		sums = append(sums, mailstore.Summary{Object: mailstore.Object{Key: fmt.Sprintf("inbox/%d", i), ETag: "e"},
			Date: base.Add(time.Duration(i) * time.Hour), Subject: fmt.Sprintf("Re: s%d", i), MessageID: fmt.Sprintf("<%d@x>", i),
			InReplyTo: fmt.Sprintf("<%d@x>", i-1), References: []string{"<0@x>", fmt.Sprintf("<%d@x>", i-1)}})
	}
	if err := x.Put(ctx, "mail", sums); err != nil {
		t.Fatal(err)
	}
	l, err := x.IDs(ctx, loc, query.Query{}, query.ByDate, true, 0) // oldest first
	if err != nil || len(l.IDs) != 5 || l.Unread != 5 {
		t.Fatalf("ids %v, %d unread, %v", l.IDs, l.Unread, err)
	}
	ask := []int64{l.IDs[3], 999, l.IDs[1]}
	rows, err := x.Rows(ctx, ask)
	if got := rowKeys(rows); err != nil || !slices.Equal(got, []string{"inbox/3", "inbox/1"}) || rows[0].ID != l.IDs[3] {
		t.Fatalf("rows of %v: %v, %v", ask, got, err)
	}
	rows, err = x.RowsByKey(ctx, "mail", []string{"inbox/4", "inbox/none", "inbox/0"})
	if got := rowKeys(rows); err != nil || !slices.Equal(got, []string{"inbox/4", "inbox/0"}) || rows[0].Subject != "Re: s4" {
		t.Fatalf("rows by key: %v, %v", got, err)
	}
	th, err := x.Threading(ctx, loc, query.ByDate, false)
	var order []string
	for _, r := range th {
		order = append(order, r.Key)
	}
	if err != nil || !slices.Equal(order, []string{"inbox/4", "inbox/3", "inbox/2", "inbox/1", "inbox/0"}) {
		t.Fatalf("threading order %v, %v", order, err)
	}
	want := sums[4]
	if g := th[0]; g.ID != l.IDs[4] || g.MessageID != want.MessageID || g.InReplyTo != want.InReplyTo || !slices.Equal(g.References, want.References) ||
		g.Subject != want.Subject || !g.Date.Equal(want.Date) {
		t.Fatalf("threading row %+v, want the fields of %+v", g, want)
	}
}

func mapKeys(s []mailstore.Summary, f func(mailstore.Summary) string) []string {
	out := make([]string, len(s))
	for i := range s {
		out[i] = f(s[i])
	}
	return out
}

// TestQueryUsesTheDateIndex: a newest-first page and a date range are read
// through the date index, not by scanning the table.
func TestQueryUsesTheDateIndex(t *testing.T) {
	x, err := OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	for _, q := range []string{
		`SELECT key FROM messages WHERE stale=0 AND bucket=? AND substr(key,1,?)=? ORDER BY date DESC, key ASC LIMIT 50`,
		`SELECT key FROM messages WHERE stale=0 AND bucket=? AND substr(key,1,?)=? AND date>=?`,
	} {
		if p := queryPlan(t, x, q, "mail", 6, "inbox/", 0); !strings.Contains(p, "messages_date") {
			t.Errorf("%s\nplan: %s", q, p)
		}
	}
}

// TestSortsUseTheirIndex: every order the list sorts in is read from its
// index, from either end and from any message (IDsAround's bounds),
// without sorting: the ids of a mailbox of 1M messages by sender were a
// sort of every row through the fold function (4.7 s).
func TestSortsUseTheirIndex(t *testing.T) {
	ctx := context.Background()
	x, err := OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	loc := mailstore.Location{Bucket: "mail", Prefix: "inbox/"}
	names := map[query.SortField]string{query.ByDate: "messages_date", query.ByFrom: "messages_from", query.BySubject: "messages_subject", query.BySize: "messages_size"}
	for by, name := range names {
		for _, reverse := range []bool{false, true} {
			order := sortCols(by, reverse)
			vals := make([]any, len(order))
			for i, c := range order {
				vals[i] = any("x")
				if c.expr == "date" || c.expr == "size" {
					vals[i] = 5
				}
			}
			// All columns equal is one message: by its key, as it should.
			bounds := []cond{{sql: "1"}}
			for i := range order {
				bounds = append(bounds, beyond(order, vals, i, false), beyond(order, vals, i, true))
			}
			for _, b := range bounds {
				stmt, args, err := planQuery(query.Query{}).statement(ctx, x.db, loc, "rowid,read", by, reverse, 300, b)
				if err != nil {
					t.Fatal(err)
				}
				plan := queryPlan(t, x, stmt, args...)
				if !strings.Contains(plan, name) || strings.Contains(plan, "TEMP B-TREE") {
					t.Errorf("by %s reverse=%v where %s: plan %s", by, reverse, b.sql, plan)
				}
			}
		}
	}
}

func queryPlan(t *testing.T, x *Index, q string, args ...any) string {
	t.Helper()
	rows, err := x.db.Query(`EXPLAIN QUERY PLAN `+q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	return strings.Join(plan, "; ")
}

// TestTextQueryReadsOnlyItsMatches: a text term is looked up by its rare
// trigram, never with a common one, even when it is in more rows than the
// first probes count to; and the plan follows the matches: a few are read
// by rowid (not through the date index over every row), a newest-first
// page of many, or nearly every row, walk the date index.
func TestTextQueryReadsOnlyItsMatches(t *testing.T) {
	ctx := context.Background()
	x, err := OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var sums []mailstore.Summary
	for i := range 1000 {
		addr := fmt.Sprintf("user%d@common.example", i%7)
		if i%10 < 3 { // 300 rows, past the first probes' cap
			addr = "q@common.example"
		}
		sums = append(sums, mailstore.Summary{Object: mailstore.Object{Key: fmt.Sprintf("inbox/%03d", i), ETag: "e"},
			From: mailstore.Address{Address: addr}, Subject: "invoice", Date: base.Add(time.Duration(i) * time.Minute)})
	}
	if err := x.Put(ctx, "mail", sums); err != nil {
		t.Fatal(err)
	}
	loc := mailstore.Location{Bucket: "mail", Prefix: "inbox/"}
	plan := func(qs string, limit int) (match, detail string) {
		t.Helper()
		q, err := query.Parse(qs, base)
		if err != nil {
			t.Fatal(err)
		}
		p := planQuery(q)
		if match, err = ftsMatch(ctx, x.db, p.fts); err != nil {
			t.Fatal(err)
		}
		stmt, args, err := p.statement(ctx, x.db, loc, "key", query.ByDate, false, limit)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := x.db.Query(`EXPLAIN QUERY PLAN `+stmt, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var steps []string
		for rows.Next() {
			var id, parent, notused int
			var d string
			if err := rows.Scan(&id, &parent, &notused, &d); err != nil {
				t.Fatal(err)
			}
			steps = append(steps, d)
		}
		return match, strings.Join(steps, "; ")
	}

	match, detail := plan("from:q@common.example", 0)
	if want := `sender : ("q@c")`; match != want {
		t.Errorf("from:q@common.example looked up by %s, want its one rare trigram alone: %s", match, want)
	}
	if !strings.Contains(detail, "INTEGER PRIMARY KEY") || strings.Contains(detail, "messages_date") {
		t.Errorf("300 matches of 1000 read through %s, want by rowid", detail)
	}
	got, err := x.Query(ctx, loc, mustParse(t, "from:q@common.example", base), query.ByDate, false, 0)
	if err != nil || len(got) != 300 || got[0].Key != "inbox/992" {
		t.Errorf("from:q@common.example: %d rows, %v; want 300, the newest inbox/992", len(got), err)
	}

	if _, detail := plan("invoice", 10); !strings.Contains(detail, "messages_date") {
		t.Errorf("the newest 10 of 1000 matches read through %s, want the date index", detail)
	}
	// Every row matches: sorting them all (the list's plan) is the
	// walk of the index with no sort.
	if _, detail := plan("invoice", 0); !strings.Contains(detail, "messages_date") || strings.Contains(detail, "TEMP B-TREE") {
		t.Errorf("all 1000 of 1000 matches read through %s, want the date index", detail)
	}
}

func mustParse(t *testing.T, s string, now time.Time) query.Query {
	t.Helper()
	q, err := query.Parse(s, now)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// TestQueryOfMaxTermsRuns: the longest query query.Parse takes, each term
// of the kind SQLite nests deepest (a negated from:, NOT (a OR b)), runs
// on the index: 1,000 terms failed with "Expression tree is too large".
func TestQueryOfMaxTermsRuns(t *testing.T) {
	ctx := context.Background()
	x, err := OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	sums := []mailstore.Summary{
		{Object: mailstore.Object{Key: "inbox/a", ETag: "e"}, From: mailstore.Address{Address: "a@x.example"}, Subject: "one", Date: base},
		{Object: mailstore.Object{Key: "inbox/b", ETag: "e"}, From: mailstore.Address{Address: "b@y.example"}, Subject: "two", Date: base},
	}
	if err := x.Put(ctx, "mail", sums); err != nil {
		t.Fatal(err)
	}
	loc := mailstore.Location{Bucket: "mail", Prefix: "inbox/"}
	for _, term := range []string{"-from:x.example", "spf:fail", "subject:o", "is:unread"} {
		q := mustParse(t, strings.TrimSpace(strings.Repeat(term+" ", query.MaxTerms)), base)
		got, err := x.Query(ctx, loc, q, query.ByDate, false, 0)
		if err != nil {
			t.Fatalf("%d x %s: %v", query.MaxTerms, term, err)
		}
		var want []string
		for _, s := range sums {
			if q.Match(&s) {
				want = append(want, s.Key)
			}
		}
		if k := mapKeys(got, func(s mailstore.Summary) string { return s.Key }); !slices.Equal(k, want) {
			t.Errorf("%d x %s: %v, want %v", query.MaxTerms, term, k, want)
		}
	}
}
