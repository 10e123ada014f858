// Package bounces links the delivery reports in a mailbox (DSNs and ARF
// complaints, see mailstore/report) to the sends sesbox made (the action
// log), so `sesbox audit log` can say "bounced" next to a send.
//
// A report names the message it is about by its Message-ID (in the
// returned message or its header) and, for complaints, the envelope
// sender. SES gives every message it sends the Message-ID
// <SES-message-id@region.amazonses.com> (or @email.amazonses.com) and the
// envelope sender SES-message-id@amazonses.com, so the SES message id the
// action log recorded finds the report; a reply's own Message-ID, which
// the log records too, is matched as well.
//
// Those ids are no secret: every recipient of a send sees its Message-ID,
// so anyone can mail the mailbox a report about it. SES forwards the
// bounces and complaints of what it sent as mail signed by amazonses.com
// (its feedback), and a report is Verified only when SES's own receipt
// header says that signature passed (mime.DKIMPassedBySES); any other
// report is still linked, marked unverified.
package bounces

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/actionlog"
	"github.com/sesbox/sesbox/mailstore/mailbox"
	"github.com/sesbox/sesbox/mailstore/mime"
	"github.com/sesbox/sesbox/mailstore/query"
	"github.com/sesbox/sesbox/mailstore/report"
)

// Found is one report read from the mailbox.
type Found struct {
	Key    string
	Date   time.Time
	Report *report.Report
	// Verified: SES's receipt header says the report carries a valid
	// DKIM signature of amazonses.com (see SignedBySES).
	Verified bool
}

// SignedBySES reports whether SES's own receipt header of the message raw
// says a DKIM signature of amazonses.com (or a subdomain) passed.
func SignedBySES(raw []byte) bool {
	for _, d := range mime.DKIMPassedBySES(raw) {
		if d == "amazonses.com" || strings.HasSuffix(d, ".amazonses.com") {
			return true
		}
	}
	return false
}

// MaxReports bounds how many reports Collect reads (the newest): each is a
// whole-object read.
const MaxReports = 1000

// Collect reads the reports the mailbox's index knows (is:report), newest
// first, at most limit (MaxReports when <= 0). A report that cannot be
// read is skipped and counted in skipped: the log is still printed.
func Collect(ctx context.Context, m *mailbox.Mailbox, limit int) (found []Found, skipped int, err error) {
	if limit <= 0 {
		limit = MaxReports
	}
	q, err := query.Parse("is:report", time.Now())
	if err != nil {
		return nil, 0, err
	}
	sums, err := m.Summaries(ctx, q, query.ByDate, false)
	if err != nil {
		return nil, 0, fmt.Errorf("list reports: %w", err)
	}
	for i, s := range sums {
		if i == limit {
			break
		}
		if ctx.Err() != nil {
			return found, skipped, ctx.Err()
		}
		msg, err := m.Open(ctx, s.Key)
		if err != nil || msg.Report == nil {
			skipped++
			continue
		}
		found = append(found, Found{Key: s.Key, Date: msg.Summary.Date, Report: msg.Report, Verified: SignedBySES(msg.Raw)})
	}
	return found, skipped, nil
}

// Link is a report about one logged send.
type Link struct {
	// Seq is the action's position in the log (actionlog.Action.Seq).
	Seq int64 `json:"seq"`
	// Kind is the report's kind: bounce, delay, delivered, complaint.
	Kind string `json:"kind"`
	// Key is the report's object key in the mailbox.
	Key  string    `json:"key"`
	Date time.Time `json:"date"`
	// Recipients are the recipients the report is about, each with its
	// status ("a@b.example 5.1.1"), or the complained-about addresses.
	Recipients []string `json:"recipients"`
	// Verified is Found.Verified: false for a report anyone could have
	// mailed, which the log marks as unverified.
	Verified bool `json:"verified"`
}

// Match returns, for each action a report is about, the reports, oldest
// first (in the order given for equal dates). Only sent actions are matched.
func Match(actions []actionlog.Action, found []Found) map[int64][]Link {
	bySES, byMsgID := map[string]int64{}, map[string]int64{}
	for _, a := range actions {
		if a.Result != "sent" {
			continue
		}
		for _, id := range strings.Split(a.SESMessageID, ",") {
			if id = strings.ToLower(strings.TrimSpace(id)); id != "" {
				bySES[id] = a.Seq
			}
		}
		if a.MessageID != "" {
			byMsgID[strings.ToLower(a.MessageID)] = a.Seq
		}
	}
	out := map[int64][]Link{}
	for _, f := range found {
		r := f.Report
		seq, ok := int64(0), false
		for _, cand := range candidates(r) {
			if s, hit := byMsgID[cand]; hit {
				seq, ok = s, true
				break
			}
			local, dom, _ := strings.Cut(cand, "@")
			if s, hit := bySES[local]; hit && (dom == "" || strings.HasSuffix(dom, "amazonses.com")) {
				seq, ok = s, true
				break
			}
		}
		if !ok {
			continue
		}
		out[seq] = append(out[seq], Link{Seq: seq, Kind: r.Kind, Key: f.Key, Date: f.Date, Recipients: about(r), Verified: f.Verified})
	}
	for _, ls := range out {
		// Oldest first: the story of the send in the order it happened.
		slices.SortStableFunc(ls, func(a, b Link) int { return a.Date.Compare(b.Date) })
	}
	return out
}

// candidates are the ids a report gives for the message it is about,
// lower-cased.
func candidates(r *report.Report) []string {
	var out []string
	if id := r.Original.MessageID; id != "" {
		out = append(out, strings.ToLower(id))
	}
	if fb := r.Feedback; fb != nil && fb.OriginalMailFrom != "" {
		out = append(out, strings.ToLower(fb.OriginalMailFrom))
	}
	return out
}

func about(r *report.Report) []string {
	out := []string{}
	for _, rc := range r.Recipients {
		s := rc.FinalRecipient
		if rc.Status != "" {
			s += " " + rc.Status
		}
		out = append(out, s)
	}
	if r.Feedback != nil {
		out = append(out, r.Feedback.OriginalRcptTo...)
	}
	return out
}

// Word is what the log shows for a kind: "bounced", "delayed",
// "delivered", "complained".
func Word(kind string) string {
	switch kind {
	case mailstore.ReportBounce:
		return "bounced"
	case mailstore.ReportDelay:
		return "delayed"
	case mailstore.ReportComplaint:
		return "complained"
	}
	return kind
}
