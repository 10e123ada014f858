package list

import (
	"context"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/sesbox/sesbox/mailstore/index"
	"github.com/sesbox/sesbox/mailstore/query"
	"github.com/sesbox/sesbox/tui/common"
)

// RowsListedMsg is sent when the list of mailbox page Box has been read
// (reading Seq): All is every message in order, Partial for the first page
// only; Rows are the summaries read with it (the first screen, or the rows
// that were on screen, read again); Matches, Found and threads are the
// filter's matches, the search's and the threads, when asked for.
type RowsListedMsg struct {
	Box, Seq int
	All      index.Listing
	Partial  bool
	At       int // of a partial read around a message: its row in All, or the next's
	Rows     []index.Row
	Matches  *index.Listing
	FSeq     int // the read of the filter's matches Matches answers
	Found    map[int64]bool
	SSeq     int // the read of the search's matches Found answers
	threads  *threadSet
	Err      error
}

// MatchesListedMsg is sent when the matches of filter reading Seq have
// been read: all of them, or (Partial) those around the cursor's message
// (the first ones when it does not match).
type MatchesListedMsg struct {
	Box, Seq int
	Listing  index.Listing
	Partial  bool
	Err      error
}

// FoundMsg is sent when the matches of search reading Seq have been read.
type FoundMsg struct {
	Box, Seq int
	Found    map[int64]bool
	Err      error
}

// ThreadsListedMsg is sent when the threads of every message have been
// read and built for list reading Seq.
type ThreadsListedMsg struct {
	Box, Seq int
	threads  *threadSet
	Err      error
}

// SummariesReadMsg is sent when the summaries of IDs (the rows near the
// screen) have been read: Rows, of those still indexed.
type SummariesReadMsg struct {
	Box  int
	IDs  []int64
	Rows []index.Row
	Err  error
}

// MarksFoundMsg is sent when the messages to mark have been read: Rows
// (their keys and ids) are marked, after the other marks are dropped with
// Replace; Why, when set, is said with how many are marked.
type MarksFoundMsg struct {
	Box     int
	Rows    []index.Row
	Why     string
	Replace bool
	// Awaited is set on the answers Settling waits for: V's (mark all
	// shown), and the marks a page sets (SetMarked).
	Awaited bool
	// By is the filter V marked Rows under (nil without one).
	By  *query.Query
	Err error
}

func (m RowsListedMsg) PageKind() common.Kind    { return common.MailboxKind(m.Box) }
func (m MatchesListedMsg) PageKind() common.Kind { return common.MailboxKind(m.Box) }
func (m FoundMsg) PageKind() common.Kind         { return common.MailboxKind(m.Box) }
func (m ThreadsListedMsg) PageKind() common.Kind { return common.MailboxKind(m.Box) }
func (m SummariesReadMsg) PageKind() common.Kind { return common.MailboxKind(m.Box) }
func (m MarksFoundMsg) PageKind() common.Kind    { return common.MailboxKind(m.Box) }

// listing is what one read of the list asks for.
type listing struct {
	by     query.SortField
	rev    bool
	limit  int   // the first page only; 0 for all
	anchor int64 // with limit: the page around this message (0: from the top)
	// near, with limit: the summaries read with the page are those of the
	// rows this near the anchor's (a screenful either side); the others
	// come by Fetch once the page is shown. Reading all 300 took 4-13 ms
	// at 1M messages, the screen's 0.3 ms: a sort key's frame.
	near           int
	filter, search *query.Query
	fseq, sseq     int
	threads        bool
	// reuse, with threads, is the thread view before a sort (see
	// Model.resorted): put in the new order rather than read again.
	reuse  *threadSet
	reread []int64 // summaries to read again
}

// ptr is a pointer to a copy of q, for a listing: a pointer to the
// model's own field was read by the listing's tea.Cmd while the program
// wrote the model it sits in (a data race -race found in make test).
func ptr(q query.Query) *query.Query { return &q }

// listCmd reads the list as l asks. A read stopped by a newer one (its
// ctx cancelled) says nothing: its error is no news.
func listCmd(ctx context.Context, src Source, box, seq int, l listing) tea.Cmd {
	return func() tea.Msg {
		msg := readList(ctx, src, box, seq, l)
		if ctx.Err() != nil {
			return nil
		}
		return msg
	}
}

func readList(ctx context.Context, src Source, box, seq int, l listing) RowsListedMsg {
	msg := RowsListedMsg{Box: box, Seq: seq, Partial: l.limit > 0, FSeq: l.fseq, SSeq: l.sseq}
	var err error
	if msg.All, msg.At, err = page(ctx, src, query.Query{}, l); err != nil {
		msg.Err = err
		return msg
	}
	reread := l.reread
	if l.limit > 0 {
		ids := msg.All.IDs
		reread = ids[max(0, min(len(ids), msg.At-l.near)):min(len(ids), msg.At+l.near+1)]
	}
	if msg.Rows, err = src.Rows(ctx, reread); err != nil {
		msg.Err = err
		return msg
	}
	if l.filter != nil {
		f, at, err := page(ctx, src, *l.filter, l)
		if err != nil {
			msg.Err = err
			return msg
		}
		msg.Matches, msg.At = &f, at // the rows shown are the matches
	}
	if l.search != nil {
		if msg.Found, err = found(ctx, src, *l.search, l.by, l.rev); err != nil {
			msg.Err = err
			return msg
		}
	}
	switch {
	case !l.threads:
	case l.reuse != nil && l.by == query.ByDate:
		// Threads by date are ordered by their newest message: the
		// first page's read is enough.
		msg.threads = l.reuse.reorder(l.by, l.rev, nil)
	case l.limit > 0:
		// The order of the threads is where their first message is in
		// the whole new order: the full read brings it.
	case l.reuse != nil:
		if msg.threads = l.reuse.reorder(l.by, l.rev, msg.All.IDs); msg.threads != nil {
			break
		}
		fallthrough // the messages changed: read them again
	default:
		msg.threads, msg.Err = readThreads(ctx, src, l.by, l.rev)
	}
	return msg
}

// page reads the ids of q's matches as l asks: all of them, the first
// limit, or limit either side of l.anchor (and At, its row).
func page(ctx context.Context, src Source, q query.Query, l listing) (index.Listing, int, error) {
	if l.limit > 0 && l.anchor != 0 {
		return src.IDsAround(ctx, q, l.by, l.rev, l.anchor, l.limit)
	}
	ids, err := src.IDs(ctx, q, l.by, l.rev, l.limit)
	return ids, 0, err
}

// matchCmd reads the matches of filter q as l asks (by, rev, and a limit
// around an anchor for the first of two reads).
func matchCmd(ctx context.Context, src Source, box, seq int, q query.Query, l listing) tea.Cmd {
	return func() tea.Msg {
		ids, at, err := page(ctx, src, q, l)
		if err == nil && l.limit > 0 && l.anchor != 0 && (at >= len(ids.IDs) || ids.IDs[at] != l.anchor) {
			// The anchor does not match, so the cursor goes to the
			// first match: the first page is the one to show.
			l.anchor = 0
			ids, _, err = page(ctx, src, q, l)
		}
		return MatchesListedMsg{Box: box, Seq: seq, Listing: ids, Partial: l.limit > 0, Err: err}
	}
}

func searchCmd(ctx context.Context, src Source, box, seq int, q query.Query, by query.SortField, rev bool) tea.Cmd {
	return func() tea.Msg {
		f, err := found(ctx, src, q, by, rev)
		return FoundMsg{Box: box, Seq: seq, Found: f, Err: err}
	}
}

func found(ctx context.Context, src Source, q query.Query, by query.SortField, rev bool) (map[int64]bool, error) {
	l, err := src.IDs(ctx, q, by, rev, 0)
	if err != nil {
		return nil, err
	}
	f := make(map[int64]bool, len(l.IDs))
	for _, id := range l.IDs {
		f[id] = true
	}
	return f, nil
}

func threadCmd(ctx context.Context, src Source, box, seq int, by query.SortField, rev bool) tea.Cmd {
	return func() tea.Msg {
		t, err := readThreads(ctx, src, by, rev)
		return ThreadsListedMsg{Box: box, Seq: seq, threads: t, Err: err}
	}
}
