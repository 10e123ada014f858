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
	Rows     []index.Row
	Matches  *index.Listing
	FSeq     int // the read of the filter's matches Matches answers
	Found    map[int64]bool
	SSeq     int // the read of the search's matches Found answers
	threads  *threadSet
	Err      error
}

// MatchesListedMsg is sent when the matches of filter reading Seq have
// been read.
type MatchesListedMsg struct {
	Box, Seq int
	Listing  index.Listing
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
	Err     error
}

func (m RowsListedMsg) PageKind() common.Kind    { return common.MailboxKind(m.Box) }
func (m MatchesListedMsg) PageKind() common.Kind { return common.MailboxKind(m.Box) }
func (m FoundMsg) PageKind() common.Kind         { return common.MailboxKind(m.Box) }
func (m ThreadsListedMsg) PageKind() common.Kind { return common.MailboxKind(m.Box) }
func (m SummariesReadMsg) PageKind() common.Kind { return common.MailboxKind(m.Box) }
func (m MarksFoundMsg) PageKind() common.Kind    { return common.MailboxKind(m.Box) }

// listing is what one read of the list asks for.
type listing struct {
	by             query.SortField
	rev            bool
	limit          int // the first page only; 0 for all
	filter, search *query.Query
	fseq, sseq     int
	threads        bool
	reread         []int64 // summaries to read again
}

// listCmd reads the list as l asks.
func listCmd(ctx context.Context, src Source, box, seq int, l listing) tea.Cmd {
	return func() tea.Msg {
		msg := RowsListedMsg{Box: box, Seq: seq, Partial: l.limit > 0, FSeq: l.fseq, SSeq: l.sseq}
		var err error
		if msg.All, err = src.IDs(ctx, query.Query{}, l.by, l.rev, l.limit); err != nil {
			msg.Err = err
			return msg
		}
		reread := l.reread
		if l.limit > 0 {
			reread = msg.All.IDs
		}
		if msg.Rows, err = src.Rows(ctx, reread); err != nil {
			msg.Err = err
			return msg
		}
		if l.filter != nil {
			f, err := src.IDs(ctx, *l.filter, l.by, l.rev, 0)
			if err != nil {
				msg.Err = err
				return msg
			}
			msg.Matches = &f
		}
		if l.search != nil {
			if msg.Found, err = found(ctx, src, *l.search, l.by, l.rev); err != nil {
				msg.Err = err
				return msg
			}
		}
		if l.threads {
			msg.threads, msg.Err = readThreads(ctx, src, l.by, l.rev)
		}
		return msg
	}
}

func matchCmd(ctx context.Context, src Source, box, seq int, q query.Query, by query.SortField, rev bool) tea.Cmd {
	return func() tea.Msg {
		l, err := src.IDs(ctx, q, by, rev, 0)
		return MatchesListedMsg{Box: box, Seq: seq, Listing: l, Err: err}
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
