package index

import (
	"context"
	"database/sql"
	"strings"
	"unicode/utf8"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/query"
)

// Query returns the messages under loc that q matches, in query.Compare's
// order of (by, reverse), at most limit of them (0: all).
//
// SQLite evaluates every term it can: dates, flags, verdicts and, for an
// ASCII needle, from: and subject: exactly (on the date index, and LIKE,
// which folds ASCII case as q.Match does); free text, from:, to: and
// subject: of three characters or more also narrow the candidates through
// the trigram index. q.Match decides whatever SQLite could not, so the
// answer is exactly what q.Match accepts. SQLite orders the rows (by
// sender and subject through foldFunc), so only the first limit
// matches are read; when it evaluated every term
// exactly, LIMIT goes to SQLite itself.
func (x *Index) Query(ctx context.Context, loc mailstore.Location, q query.Query, by query.SortField, reverse bool, limit int) (out []mailstore.Summary, err error) {
	stmt, args, exact := selectMatches(loc, q, by, reverse, limit, columns)
	err = x.with(ctx, func(db *sql.DB) error {
		out = nil
		return scanSummaries(ctx, db, stmt, args, func(s *mailstore.Summary) bool {
			if exact || q.Match(s) {
				out = append(out, *s)
			}
			// In SQL's order, the first limit matches are the answer.
			return limit <= 0 || len(out) < limit
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// orderBy is query.Compare as an ORDER BY clause: sender and subject fold
// case over all of Unicode through foldFunc.
func orderBy(by query.SortField, reverse bool) string {
	asc, desc := "ASC", "DESC"
	if reverse {
		asc, desc = desc, asc
	}
	tail := "date " + desc + ", key " + asc
	switch by {
	case query.BySize:
		return "size " + desc + ", " + tail
	case query.ByFrom:
		return foldFunc + "(CASE WHEN from_name<>'' THEN from_name ELSE from_addr END) " + asc + ", " + tail
	case query.BySubject:
		return foldFunc + "(subject) " + asc + ", " + tail
	}
	return tail
}

// sqlPlan is what SQLite evaluates of a query.
type sqlPlan struct {
	where []string // conditions, each exact
	args  []any
	fts   []string // FTS5 phrases that narrow the candidates (a superset)
	exact bool     // where decides every term: q.Match needs not run
}

func planQuery(q query.Query) sqlPlan {
	p := sqlPlan{exact: true}
	for _, t := range q.Terms() {
		if ph := ftsPhrase(t); ph != "" && !t.Neg {
			p.fts = append(p.fts, ph)
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

// ftsPhrase is the FTS5 query for a text term of three characters or more
// (the trigram index's shortest), restricted to its column; "" for other
// terms. It matches a superset of what q.Match accepts.
func ftsPhrase(t query.Term) string {
	if utf8.RuneCountInString(t.Text) < 3 {
		return ""
	}
	phrase := `"` + strings.ReplaceAll(t.Text, `"`, `""`) + `"`
	switch t.Field {
	case "":
		return phrase
	case "from":
		return "sender : " + phrase
	case "to":
		return "recipients : " + phrase
	case "subject":
		return "subject : " + phrase
	}
	return ""
}
