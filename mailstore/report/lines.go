package report

import (
	"fmt"
	"strings"

	"github.com/sesbox/sesbox/mailstore"
)

// maxListed bounds the recipients a summary lists.
const maxListed = 20

// Lines is the summary block the viewer and `sesbox show` put above a
// report's body: what happened to which recipient, why, and which message
// it is about. The values are the report's (untrusted): callers sanitize
// each line before showing it.
func (r *Report) Lines() []string {
	var out []string
	title := map[string]string{
		mailstore.ReportBounce:    "Bounce: delivery failed",
		mailstore.ReportDelay:     "Delay: delivery not done yet, still being tried",
		mailstore.ReportDelivered: "Delivery report: delivered",
		mailstore.ReportComplaint: "Complaint",
	}[r.Kind]
	if title == "" {
		title = "Delivery report"
	}
	if fb := r.Feedback; fb != nil {
		if fb.Type != "" {
			title += " (" + fb.Type + ")"
		}
		if fb.UserAgent != "" {
			title += " from " + fb.UserAgent
		}
	} else if r.ReportingMTA != "" {
		title += " (reported by " + r.ReportingMTA + ")"
	}
	out = append(out, title)
	for i, rc := range r.Recipients {
		if i == maxListed {
			out = append(out, fmt.Sprintf("  ... and %d more recipients", len(r.Recipients)-i))
			break
		}
		who := rc.FinalRecipient
		if who == "" {
			who = rc.OriginalRecipient
		}
		if rc.OriginalRecipient != "" && rc.OriginalRecipient != who {
			who += " (sent to " + rc.OriginalRecipient + ")"
		}
		line := "  " + who + ": " + firstNonEmpty(rc.Action, "?")
		if rc.Status != "" {
			line += " " + rc.Status
		}
		out = append(out, line)
		if rc.DiagnosticCode != "" {
			out = append(out, "    "+rc.DiagnosticCode)
		}
		if rc.WillRetryUntil != "" {
			out = append(out, "    retried until "+rc.WillRetryUntil)
		}
	}
	if fb := r.Feedback; fb != nil {
		if len(fb.OriginalRcptTo) > 0 {
			out = append(out, "  complained about mail to "+strings.Join(fb.OriginalRcptTo, ", "))
		}
		if fb.ArrivalDate != "" {
			out = append(out, "  which arrived "+fb.ArrivalDate)
		}
		if fb.SourceIP != "" {
			out = append(out, "  from IP "+fb.SourceIP)
		}
	}
	o := r.Original
	if o.MessageID != "" {
		out = append(out, "Original Message-ID: <"+o.MessageID+">")
	}
	if o.Subject != "" {
		out = append(out, "Original Subject: "+o.Subject)
	}
	if o.Date != "" {
		out = append(out, "Original Date: "+o.Date)
	}
	for _, w := range r.Warnings {
		out = append(out, "! "+w)
	}
	return out
}

// CleanLine applies clean (sanitize.Line) to a line of Lines, keeping its
// indentation, which the cleaner would trim.
func CleanLine(l string, clean func(string) string) string {
	body := strings.TrimLeft(l, " ")
	return l[:len(l)-len(body)] + clean(body)
}
