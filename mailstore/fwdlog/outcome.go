package fwdlog

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/sanitize"
)

// Message is what Outcomes needs of a stored message.
type Message struct {
	Key string
	// Stored is when SES stored it (the object's LastModified): the Lambda
	// runs seconds after.
	Stored time.Time
	// Recipients are its SES envelope recipients.
	Recipients []string
}

// Coverage is the span of time the log read covers: from the later of the
// log group's creation and its retention limit, to the end of the read.
type Coverage struct {
	From, To time.Time
}

// Grace is how long after a message was stored its invocation may still be
// missing from the log read (running, or not yet delivered to CloudWatch):
// such a message is unknown, not none.
const Grace = 2 * time.Minute

// SkipWindow bounds how far from the time a message was stored an
// invocation that found no mapping (its log names the recipients, not the
// message) is taken as that message's.
const SkipWindow = 5 * time.Minute

// Outcomes decides, for each message, what the invocations say the Lambda
// did with it (see mailstore.Forward), by key. Invocations name their
// message by SES message id (the key's last segment); one that stopped for
// want of a mapping names only the recipients, and is matched to the
// message with those recipients stored closest to its start.
//
// A message forwarded by any invocation is forwarded, whatever failed
// before or after (a retry that succeeded, a duplicate delivery); one only
// failed is failed with the latest failure's reason; invocations still
// running decide nothing. Without an invocation a message is none when the
// log covers its time, else unknown.
func Outcomes(invs []Invocation, msgs []Message, cov Coverage) map[string]mailstore.Forward {
	byID := map[string][]*Invocation{}
	var skipped []*Invocation
	for i := range invs {
		inv := &invs[i]
		switch {
		case inv.MessageID != "":
			byID[inv.MessageID] = append(byID[inv.MessageID], inv)
		case inv.NoRecipients:
			skipped = append(skipped, inv)
		}
	}
	out := make(map[string]mailstore.Forward, len(msgs))
	var unmatched []int
	for i, m := range msgs {
		mine := byID[mailstore.SESMessageID(m.Key)]
		if len(mine) == 0 {
			unmatched = append(unmatched, i)
			continue
		}
		// Invocations none of which has ended leave it unknown.
		out[m.Key] = decide(mine)
	}
	// Skipped invocations: the closest message in time with the same
	// recipients, each message taken once.
	byRcpt := map[string][]int{}
	for _, i := range unmatched {
		if k := recipientKey(msgs[i].Recipients); k != "" {
			byRcpt[k] = append(byRcpt[k], i)
		}
	}
	taken := map[int]bool{}
	for _, inv := range skipped {
		best := -1
		var bestGap time.Duration
		for _, i := range byRcpt[recipientKey(inv.Original)] {
			gap := inv.Start.Sub(msgs[i].Stored).Abs()
			if taken[i] || gap > SkipWindow {
				continue
			}
			if best < 0 || gap < bestGap {
				best, bestGap = i, gap
			}
		}
		if best >= 0 {
			taken[best] = true
			out[msgs[best].Key] = mailstore.Forward{
				Status: mailstore.ForwardSkipped, Time: inv.Start.UTC(), Requests: []string{inv.RequestID},
				Error: sanitize.Line("no forward mapping for " + strings.Join(inv.Original, ", ")),
			}
		}
	}
	for _, i := range unmatched {
		m := msgs[i]
		if taken[i] {
			continue
		}
		status := mailstore.ForwardUnknown
		if !m.Stored.Before(cov.From) && m.Stored.Add(Grace).Before(cov.To) {
			status = mailstore.ForwardNone
		}
		out[m.Key] = mailstore.Forward{Status: status}
	}
	return out
}

// decide gives a message's outcome from its invocations (by start):
// unknown while none of them has ended.
func decide(invs []*Invocation) mailstore.Forward {
	var f mailstore.Forward
	var lastFail *Invocation
	for _, inv := range invs {
		switch inv.outcome() {
		case outcomeForwarded:
			at := inv.SentAt
			if at.IsZero() {
				at = inv.Start
			}
			f.Status, f.Time, f.Destinations = mailstore.ForwardForwarded, at.UTC(), slices.Clone(inv.Destinations)
		case outcomeFailed:
			lastFail = inv
		case outcomeSkipped:
			if f.Status == "" {
				f.Status, f.Time = mailstore.ForwardSkipped, inv.Start.UTC()
			}
		}
		f.Requests = append(f.Requests, inv.RequestID)
	}
	switch {
	case f.Status == mailstore.ForwardForwarded:
	case lastFail != nil:
		f.Status, f.Time = mailstore.ForwardFailed, lastFail.Start.UTC()
		f.Destinations = slices.Clone(lastFail.Destinations)
		f.Error = sanitize.Line(lastFail.Reason())
	case f.Status == "":
		f.Status = mailstore.ForwardUnknown
	}
	return f
}

// recipientKey is a recipient list as a set, case-insensitive: "" for
// none.
func recipientKey(l []string) string {
	if len(l) == 0 {
		return ""
	}
	low := make([]string, len(l))
	for i, a := range l {
		low[i] = strings.ToLower(a)
	}
	slices.Sort(low)
	return strings.Join(low, "\x00")
}

// Source reads a log group (cwlogs.Reader over CloudWatch Logs).
type Source interface {
	// DescribeGroup returns the group's creation time and retention; an
	// error wrapping ErrNoGroup when it does not exist.
	DescribeGroup(ctx context.Context, name string) (Group, error)
	// Fetch calls fn with the group's events from from to to (both
	// inclusive, to the millisecond), page by page.
	Fetch(ctx context.Context, name string, from, to time.Time, fn func([]Event) error) error
}

// Group is what the log service says of a log group.
type Group struct {
	Name    string
	Created time.Time
	// RetentionDays is how long events are kept; 0 is forever.
	RetentionDays int32
}

// CoveredFrom is the oldest time the group can still hold events for at
// now: its creation, or the retention limit when later.
func (g Group) CoveredFrom(now time.Time) time.Time {
	from := g.Created
	if g.RetentionDays > 0 {
		if r := now.AddDate(0, 0, -int(g.RetentionDays)); r.After(from) {
			from = r
		}
	}
	return from
}

// ErrNoGroup is returned (wrapped) when the log group does not exist.
var ErrNoGroup = errors.New("no such log group")
