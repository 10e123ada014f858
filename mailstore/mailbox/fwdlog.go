package mailbox

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/fwdlog"
	"github.com/sesbox/sesbox/mailstore/index"
	"github.com/sesbox/sesbox/mailstore/query"
)

// ForwarderLogs is the forwarding Lambda's CloudWatch log group, read by
// Refresh to mark each message forwarded, failed, skipped, none or
// unknown (mailstore.Forward).
type ForwarderLogs struct {
	API   fwdlog.Source
	Group string
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// LogOverlap is how far before the end of the previous read the next one
// starts: CloudWatch may take a while to deliver an event, which then
// arrives with its own, earlier, timestamp. Events read twice are stored
// once.
const LogOverlap = 10 * time.Minute

// LogError is returned (wrapped) by Refresh when the mailbox itself was
// refreshed but the forwarder's log could not be read.
type LogError struct{ Err error }

func (e *LogError) Error() string { return "forwarder log: " + e.Err.Error() }
func (e *LogError) Unwrap() error { return e.Err }

// ChosenFromAnUnreadLog says whether q chooses by forward: terms while
// refreshErr, the last refresh's, says the forwarder log could not be
// read: those terms then match the statuses last read from it (none, for
// a log never read). ls says its answer may lack messages; a forward
// chosen so is refused (ErrForwardTermsUnread), by the CLI and the TUI.
func ChosenFromAnUnreadLog(q query.Query, refreshErr error) bool {
	var le *LogError
	return errors.As(refreshErr, &le) && ChoosesByForwardTerms(q)
}

// ChoosesByForwardTerms says whether q has a forward: term, which matches
// what the forwarding Lambda's log says of each message.
func ChoosesByForwardTerms(q query.Query) bool {
	return slices.ContainsFunc(q.Terms(), func(t query.Term) bool { return t.Field == "forward" })
}

// RefuseForward is the one rule sesbox forward and the TUI's f apply to
// the messages of a forward: chosenBy are the queries that chose them
// (forward --query; in the TUI, the filter under which V marked them,
// even once it is cleared), none when they were named one by one
// (forward KEY..., --keys-from; the TUI's cursor and hand marks). It
// returns ErrForwardTermsUnread when one of those queries is
// ChosenFromAnUnreadLog, nil otherwise: a key is forwarded whatever
// filter it was seen under, as the CLI forwards it.
func RefuseForward(chosenBy []query.Query, refreshErr error) error {
	if slices.ContainsFunc(chosenBy, func(q query.Query) bool { return ChosenFromAnUnreadLog(q, refreshErr) }) {
		return ErrForwardTermsUnread
	}
	return nil
}

// ErrForwardTermsUnread is why a forward of messages ChosenFromAnUnreadLog
// is refused before planning: it would send again what the Lambda has
// delivered since the log was last read.
var ErrForwardTermsUnread = errors.New("forward: not planned: the forwarder log could not be read, so forward: terms would choose from the statuses last read from it (none, for a log never read)")

// ReadForwarderLogs makes Refresh read the forwarder's log group.
func (m *Mailbox) ReadForwarderLogs(l ForwarderLogs) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if l.Now == nil {
		l.Now = time.Now
	}
	m.logs = &l
}

// ForwarderGroup is the log group Refresh reads ("" when none).
func (m *Mailbox) ForwarderGroup() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.logs == nil {
		return ""
	}
	return m.logs.Group
}

// syncForwardLog reads the log group from where the last read ended (the
// first time: from the oldest indexed message), stores the new events, and
// decides every message's forward status again from all stored events.
func (m *Mailbox) syncForwardLog(ctx context.Context) error {
	m.mu.Lock()
	l := m.logs
	m.mu.Unlock()
	if l == nil {
		return nil
	}
	loc := m.Location()
	now := l.Now().UTC()
	g, err := l.API.DescribeGroup(ctx, l.Group)
	if err != nil {
		return err
	}
	covered := g.CoveredFrom(now)
	scan, scanned, err := m.idx.LogScanOf(ctx, l.Group)
	if err != nil {
		return err
	}
	from := now
	switch {
	case scanned:
		from = scan.To.Add(-LogOverlap)
	default:
		oldest, ok, err := m.idx.Oldest(ctx, loc)
		if err != nil {
			return err
		}
		if ok {
			from = oldest.Add(-fwdlog.SkipWindow)
		}
		scan.From = from
	}
	if from.Before(covered) {
		from = covered
	}
	if !scanned || from.Before(scan.From) {
		scan.From = from
	}
	err = l.API.Fetch(ctx, l.Group, from, now, func(page []fwdlog.Event) error {
		evs := make([]index.LogEvent, len(page))
		for i, e := range page {
			evs[i] = index.LogEvent{ID: e.ID, RequestID: fwdlog.RequestID(e.Message), Time: e.Time, Message: e.Message}
		}
		return m.idx.PutLogEvents(ctx, l.Group, evs)
	})
	if err != nil {
		return err
	}
	scan.To, scan.CoveredFrom = now, covered
	if err := m.idx.SetLogScan(ctx, l.Group, scan); err != nil {
		return err
	}
	stored, err := m.idx.LogEvents(ctx, l.Group)
	if err != nil {
		return err
	}
	events := make([]fwdlog.Event, len(stored))
	for i, e := range stored {
		events[i] = fwdlog.Event{ID: e.ID, Time: e.Time, Message: e.Message}
	}
	sums, err := m.idx.Summaries(ctx, loc)
	if err != nil {
		return err
	}
	msgs := make([]fwdlog.Message, 0, len(sums))
	for _, s := range sums {
		if s.Kind != mailstore.KindMail {
			continue
		}
		msgs = append(msgs, fwdlog.Message{Key: s.Key, Stored: s.LastModified, Recipients: s.Recipients})
	}
	cov := fwdlog.Coverage{From: scan.From, To: now}
	if covered.After(cov.From) {
		cov.From = covered
	}
	return m.idx.SetForward(ctx, loc.Bucket, fwdlog.Outcomes(fwdlog.Parse(events), msgs, cov))
}

// ForwardLog returns the log lines of the invocations that decided a
// message's forward status (unsanitized: the caller sanitizes for its
// screen); nil without a log group.
func (m *Mailbox) ForwardLog(ctx context.Context, s mailstore.Summary) ([]fwdlog.Line, error) {
	group := m.ForwarderGroup()
	if group == "" || len(s.Forward.Requests) == 0 {
		return nil, nil
	}
	evs, err := m.idx.LogEvents(ctx, group, s.Forward.Requests...)
	if err != nil {
		return nil, err
	}
	out := make([]fwdlog.Line, len(evs))
	for i, e := range evs {
		out[i] = fwdlog.Line{Time: e.Time, Text: e.Message}
	}
	return out, nil
}

// Forward returns what the forwarding Lambda's log (as last read into the
// index) says of the message at key; the zero Forward when nothing.
func (m *Mailbox) Forward(ctx context.Context, key string) (mailstore.Forward, error) {
	s, ok, err := m.idx.Get(ctx, m.Location().Bucket, key)
	if err != nil || !ok {
		return mailstore.Forward{}, err
	}
	return s.Forward, nil
}

// refreshLog runs syncForwardLog, wrapping its failure in a LogError.
func (m *Mailbox) refreshLog(ctx context.Context) error {
	if err := m.syncForwardLog(ctx); err != nil {
		if errors.Is(err, context.Canceled) {
			return err
		}
		return &LogError{Err: fmt.Errorf("%s: %w", m.ForwarderGroup(), err)}
	}
	return nil
}
