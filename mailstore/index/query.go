package index

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/query"
)

// Query returns the messages under loc that q matches, in query.Compare's
// order of (by, reverse), at most limit of them (0: all): Each's, in a
// slice.
func (x *Index) Query(ctx context.Context, loc mailstore.Location, q query.Query, by query.SortField, reverse bool, limit int) ([]mailstore.Summary, error) {
	var out []mailstore.Summary
	err := x.Each(ctx, loc, q, by, reverse, limit, func(s *mailstore.Summary) error {
		out = append(out, *s)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Each calls fn with each message under loc that q matches, in
// query.Compare's order of (by, reverse), at most limit of them (0: all),
// until fn returns an error, which Each returns. SQLite orders the rows
// (by sender and subject through foldFunc), so each row is passed on as
// it is read and a caller that prints them holds none (`ls --cached` of
// 10^4 matches held them all: 29 MB of heap). A damaged index found
// midway heals (see with) and is read again, empty: fn has seen the rows
// read before.
//
// SQLite evaluates every term it can: dates, flags, verdicts and, for an
// ASCII needle, from: and subject: exactly (on the date index, and LIKE,
// which folds ASCII case as q.Match does); free text, from:, to: and
// subject: of three characters or more also narrow the candidates through
// the trigram index. q.Match decides whatever SQLite could not, so the
// answer is exactly what q.Match accepts. Only the first limit matches
// are read; when SQLite evaluated every term exactly, LIMIT goes to
// SQLite itself.
func (x *Index) Each(ctx context.Context, loc mailstore.Location, q query.Query, by query.SortField, reverse bool, limit int, fn func(*mailstore.Summary) error) error {
	p := planQuery(q)
	var fnErr error
	err := x.with(ctx, func(db *sql.DB) error {
		stmt, args, err := p.statement(ctx, db, loc, columns, by, reverse, limit)
		if err != nil || stmt == "" {
			return err
		}
		n := 0
		return scanSummaries(ctx, db, stmt, args, func(s *mailstore.Summary) bool {
			if !p.exact && !q.Match(s) {
				return true
			}
			if fnErr = fn(s); fnErr != nil {
				return false
			}
			// In SQL's order, the first limit matches are the answer.
			n++
			return limit <= 0 || n < limit
		})
	})
	if err != nil {
		return err
	}
	return fnErr
}

// statement is the SELECT of cols of p's candidates under loc in
// query.Compare's order of (by, reverse) ("" when the full-text index
// matches nothing).
//
// The full-text terms are matched first (ftsMatch), into a list of
// rowids, and the list chooses how the rows are read: each row of the
// list by its rowid and sorted (few matches: only the matching rows are
// read, which at 10^5 messages is the difference between reading a few
// hundred rows and all of them), or the order's index (indexDate,
// indexSorts) from its start, each entry checked against the list. With
// a limit, the walk is chosen when it should stop sooner than the list is
// read: about limit*rows/matches entries against matches rows, where rows
// is the largest rowid (at least the number of rows: an overestimate only
// favours reading the list). Without one, when most rows match: the list
// plan would sort nearly every row (free text in every sender, sorted by
// sender at 1M messages: a sort of 1M rows for each statement).
//
// bound, when set, is one more condition (IDsAround's rows before or after
// a message).
func (p sqlPlan) statement(ctx context.Context, db *sql.DB, loc mailstore.Location, cols string, by query.SortField, reverse bool, limit int, bound ...cond) (string, []any, error) {
	where := append([]string{"stale=0", "bucket=?", "substr(key,1,?)=?"}, p.where...)
	args := append([]any{loc.Bucket, len(loc.Prefix), loc.Prefix}, p.args...)
	order := sortCols(by, reverse)
	for _, b := range bound {
		where = append(where, b.sql)
		args = append(args, b.args...)
		order = order[min(b.equal, len(order)):]
	}
	p, err := p.lookUp(ctx, db)
	if err != nil {
		return "", nil, err
	}
	if len(p.fts) > 0 {
		ids := p.ids
		if len(ids) == 0 {
			return "", nil, nil
		}
		var rows int64
		if err := db.QueryRowContext(ctx, `SELECT coalesce(max(rowid),0) FROM messages`).Scan(&rows); err != nil {
			return "", nil, err
		}
		walk := 2*int64(len(ids)) > rows
		if limit > 0 {
			walk = int64(limit)*rows < int64(len(ids))*int64(len(ids))
		}
		// A unary + keeps SQLite from using the term it prefixes for an
		// index, which is how each plan is chosen: +rowid walks the
		// order's index, +bucket reads the rows of the list.
		in := "rowid IN (SELECT value FROM json_each(?))"
		if walk {
			in = "+" + in
		} else {
			where[1] = "+bucket=?"
		}
		where = append(where, in)
		args = append(args, "["+strings.Join(ids, ",")+"]")
	}
	stmt := `SELECT ` + cols + ` FROM messages WHERE ` + strings.Join(where, " AND ") + orderOf(order)
	if p.exact && limit > 0 {
		stmt += fmt.Sprintf(" LIMIT %d", limit)
	}
	return stmt, args, nil
}

// sortCol is one column (or expression) of an order, and whether it runs
// descending.
type sortCol struct {
	expr string
	desc bool
}

// sortCols is query.Compare's order of (by, reverse) as the columns SQLite
// sorts on: sender and subject fold case over all of Unicode through
// foldFunc, and each order has its index (indexSorts, indexDate).
func sortCols(by query.SortField, reverse bool) []sortCol {
	cols := []sortCol{{"date", true}, {"key", false}}
	switch by {
	case query.BySize:
		cols = append([]sortCol{{"size", true}}, cols...)
	case query.ByFrom:
		cols = append([]sortCol{{fromFold, false}}, cols...)
	case query.BySubject:
		cols = append([]sortCol{{subjectFold, false}}, cols...)
	}
	if reverse {
		for i := range cols {
			cols[i].desc = !cols[i].desc
		}
	}
	return cols
}

// orderOf is an ORDER BY clause of cols ("" for none).
func orderOf(cols []sortCol) string {
	var parts []string
	for _, c := range cols {
		dir := " ASC"
		if c.desc {
			dir = " DESC"
		}
		parts = append(parts, c.expr+dir)
	}
	if len(parts) == 0 {
		return ""
	}
	return " ORDER BY " + strings.Join(parts, ", ")
}

// cond is a condition of a WHERE and its arguments; equal is how many of
// the first columns of the order it holds equal, which the ORDER BY leaves
// out (SQLite sorts rows whose fold expression is held equal instead of
// reading them in the index's order).
type cond struct {
	sql   string
	args  []any
	equal int
}

// sqlPlan is what SQLite evaluates of a query.
type sqlPlan struct {
	where []string // conditions, each exact
	args  []any
	fts   []ftsTerm // text terms the full-text index narrows the candidates by
	exact bool      // where decides every term: q.Match needs not run
	// ids are the rowids the full-text index gives for fts, once looked
	// up (lookUp); nil before.
	ids []string
}

// lookUp returns p with the rowids of its full-text terms looked up
// (none: an empty, non-nil ids), so that a plan run as several statements
// (IDsAround's) matches them once. Terms that match more than one row in
// denseShare are dropped instead: they would narrow little, and their
// list costs more than what it saves ("sender" in every sender of 1M
// messages: 1 s to read 1M rowids, then 1.2–1.6 s for each statement to
// make a set of them, against a count capped at the share, 50–100 ms).
// The rows are then read in the order's index and q.Match (or LIKE)
// decides, which for a page of them reads at most denseShare times its
// size.
func (p sqlPlan) lookUp(ctx context.Context, db *sql.DB) (sqlPlan, error) {
	if len(p.fts) == 0 || p.ids != nil {
		return p, nil
	}
	match, err := ftsMatch(ctx, db, p.fts)
	if err != nil {
		return p, err
	}
	var rows, n int64
	if err := db.QueryRowContext(ctx, `SELECT coalesce(max(rowid),0) FROM messages`).Scan(&rows); err != nil {
		return p, err
	}
	if limit := max(rows/denseShare, minDense); rows > minDense {
		err := db.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ? LIMIT ?)`, match, limit).Scan(&n)
		if err != nil {
			return p, err
		}
		if n >= limit {
			p.fts = nil
			return p, nil
		}
	}
	ids, err := queryStrings(ctx, db, `SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?`, match)
	if err != nil {
		return p, err
	}
	p.ids = append([]string{}, ids...)
	return p, nil
}

// A full-text lookup is dense when it matches one row in denseShare or
// more, and at least minDense rows (below that a list is cheap; a test
// lowers it).
const denseShare = 16

var minDense int64 = 8192

func planQuery(q query.Query) sqlPlan {
	p := sqlPlan{exact: true}
	for _, t := range q.Terms() {
		if ft, ok := ftsTermOf(t); ok && !t.Neg {
			p.fts = append(p.fts, ft)
		}
		cond, args := exactSQL(t)
		if cond == "" {
			p.exact = false
			continue
		}
		if t.Neg {
			cond = "NOT (" + cond + ")"
		}
		p.where = append(p.where, cond)
		p.args = append(p.args, args...)
	}
	return p
}

// exactSQL is the condition that holds exactly when q.Match's term does
// (before negation); "" when SQLite cannot tell exactly.
func exactSQL(t query.Term) (string, []any) {
	switch t.Field {
	case "after":
		return "date>=?", []any{timeToInt(t.Time)}
	case "before":
		return "date<?", []any{timeToInt(t.Time)}
	case "stored-after":
		return "last_modified>=?", []any{timeToInt(t.Time)}
	case "stored-before":
		return "last_modified<?", []any{timeToInt(t.Time)}
	case "has":
		return "attachments>0", nil
	case "is":
		switch t.Text {
		case "unread":
			return "read=0", nil
		case "read":
			return "read<>0", nil
		case "missing":
			return "missing<>0", nil
		case "report":
			return "report<>''", nil
		}
		return "report=?", []any{t.Text}
	case "spam", "virus", "spf", "dkim", "dmarc":
		return t.Field + "=?", []any{t.Text}
	case "forward":
		return "forward_status=?", []any{t.Text}
	case "from":
		if like, ok := likeASCII(t.Text); ok {
			return `(from_name LIKE ? ESCAPE '\' OR from_addr LIKE ? ESCAPE '\')`, []any{like, like}
		}
	case "subject":
		if like, ok := likeASCII(t.Text); ok {
			return `subject LIKE ? ESCAPE '\'`, []any{like}
		}
	}
	return "", nil
}

// likeASCII is the LIKE pattern for "contains n": LIKE folds the case of
// ASCII letters only, so only an ASCII needle is matched exactly as
// q.Match does.
func likeASCII(n string) (string, bool) {
	for i := 0; i < len(n); i++ {
		if n[i] >= utf8.RuneSelf {
			return "", false
		}
	}
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(n) + "%", true
}

// ftsTerm is a text term of three characters or more (the trigram
// index's shortest) and the full-text column it is looked for in ("":
// every column).
type ftsTerm struct{ column, text string }

func ftsTermOf(t query.Term) (ftsTerm, bool) {
	if utf8.RuneCountInString(t.Text) < 3 {
		return ftsTerm{}, false
	}
	switch t.Field {
	case "":
		return ftsTerm{"", t.Text}, true
	case "from":
		return ftsTerm{"sender", t.Text}, true
	case "to":
		return ftsTerm{"recipients", t.Text}, true
	case "subject":
		return ftsTerm{"subject", t.Text}, true
	}
	return ftsTerm{}, false
}

// Each term is looked up by its rarest trigrams, not as a phrase: a row
// holding the phrase holds each of its trigrams, so any of them narrow to
// a superset, and q.Match or LIKE decides the rest. A phrase costs the
// position lists of all its trigrams, and the common ones ("com", "exa",
// "der" in every address) hold a position in most rows: `from:` an
// address of 28 characters took 50 ms over 10^5 rows as a phrase, its
// rarest trigram 0.3 ms. Rarity is probed with counts capped at
// probeCaps[0], all in one statement, for up to maxProbes trigrams a term.
const (
	maxProbes  = 16
	rarestUsed = 2
)

// probeCaps are the caps of the rounds of probes. A round runs only when
// every trigram reached the cap of the one before: where the rarest is in
// more rows than the first cap (one sender's hundreds of messages at 10^5
// are thousands at 10^6), the first round would rank none, and two common
// trigrams chosen blindly made `from:` an address of 183 rows read 10^5
// rowids (0.46 s instead of 0.04).
var probeCaps = []int{256, 8192}

// ftsMatch is the FTS5 query for terms: for each, its rarest trigrams
// (rarest), all of them required.
func ftsMatch(ctx context.Context, db *sql.DB, terms []ftsTerm) (string, error) {
	var parts []string
	for _, t := range terms {
		tris := trigrams(t.text, maxProbes)
		if len(tris) > rarestUsed {
			var err error
			if tris, err = rarest(ctx, db, t.column, tris); err != nil {
				return "", err
			}
		}
		quoted := make([]string, len(tris))
		for i, tri := range tris {
			quoted[i] = ftsString(tri)
		}
		parts = append(parts, ftsColumn(t.column, "("+strings.Join(quoted, " AND ")+")"))
	}
	return strings.Join(parts, " AND "), nil
}

// rarest returns the rarestUsed trigrams of tris found in the fewest rows
// of column, by counts capped at probeCaps. When one is under the last
// cap, the others join it only when they are under the first: a common
// trigram next to a rare one only slows the rare one down (its list is
// walked to the rare one's rowids).
func rarest(ctx context.Context, db *sql.DB, column string, tris []string) ([]string, error) {
	counts := make([]int, len(tris))
	dst := make([]any, len(tris))
	args := make([]any, len(tris))
	for i, tri := range tris {
		dst[i] = &counts[i]
		args[i] = ftsColumn(column, ftsString(tri))
	}
	var limit int
	for _, limit = range probeCaps {
		probe := fmt.Sprintf("(SELECT count(*) FROM (SELECT 1 FROM messages_fts WHERE messages_fts MATCH ? LIMIT %d))", limit)
		probes := slices.Repeat([]string{probe}, len(tris))
		if err := db.QueryRowContext(ctx, "SELECT "+strings.Join(probes, ","), args...).Scan(dst...); err != nil {
			return nil, err
		}
		if slices.Min(counts) < limit {
			break
		}
	}
	idx := make([]int, len(tris))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return counts[a] - counts[b] })
	rare := make([]string, 0, rarestUsed)
	for k, i := range idx[:rarestUsed] {
		if k > 0 && counts[i] >= probeCaps[0] && counts[idx[0]] < limit {
			break
		}
		rare = append(rare, tris[i])
	}
	return rare, nil
}

// trigrams returns the distinct trigrams of s (by rune, as the trigram
// tokenizer cuts it), at most max of them, in order.
func trigrams(s string, max int) []string {
	runes := []rune(s)
	var out []string
	for i := 0; i+3 <= len(runes) && len(out) < max; i++ {
		if tri := string(runes[i : i+3]); !slices.Contains(out, tri) {
			out = append(out, tri)
		}
	}
	return out
}

// ftsString quotes s as an FTS5 string.
func ftsString(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// ftsColumn restricts the FTS5 expression e to column ("": every column).
func ftsColumn(column, e string) string {
	if column == "" {
		return e
	}
	return column + " : " + e
}
