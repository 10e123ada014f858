package compose

import (
	"fmt"
	"strings"
	"time"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/mime"
	"github.com/sesbox/sesbox/mailstore/sanitize"
)

// MaxQuoteBytes bounds how much of the original is quoted: replying to a
// megabyte log pasted into a mail should not send it back.
const MaxQuoteBytes = 256 << 10

// Attribution is the line above the quote: "On Thu, 5 Nov 2026 at 11:20,
// Name wrote:", the date in the original's own zone (the sender's time).
// Without a trustworthy date it is "Name wrote:".
func Attribution(date time.Time, dateFromStore bool, from mailstore.Address) string {
	who := sanitize.Line(from.Name)
	if who == "" {
		who = sanitize.Line(from.Address)
	}
	if who == "" {
		who = "someone"
	}
	if date.IsZero() || dateFromStore {
		return who + " wrote:"
	}
	return fmt.Sprintf("On %s, %s wrote:", date.Format("Mon, 2 Jan 2006 at 15:04"), who)
}

// quotedText is what a reply quotes of v: what show shows of it, its
// body and then each message shown after the body (a forwarded
// message/rfc822, a bounce's returned header: mime.View.Forwarded), under
// the line that says where it is, with its From, To, Cc, Date and Subject
// and its own body, as mutt quotes what it shows. It stops adding
// messages once MaxQuoteBytes are gathered, which Quote cuts to. Not
// sanitized but for the field values, which are made one line each: Quote
// sanitizes the rest.
func quotedText(v *mime.View) string {
	var b strings.Builder
	b.WriteString(strings.TrimRight(v.Body(), "\n"))
	for _, n := range v.Forwarded() {
		if b.Len() > MaxQuoteBytes {
			break
		}
		if b.Len() > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString("----- " + n.Title() + " -----\n")
		if n.View == nil {
			b.WriteString("(not shown: " + n.NotShown + ")")
			continue
		}
		for _, f := range n.View.Fields() {
			fmt.Fprintf(&b, "%-9s %s\n", sanitize.Line(f.Name)+":", sanitize.Line(f.Value))
		}
		if body := strings.TrimRight(n.View.Body(), "\n"); body != "" {
			b.WriteString("\n" + body)
		}
	}
	return b.String()
}

// Quote prefixes every line of body with "> " (">" alone on an empty line,
// and ">" without a space before a line that is already quoted, so nested
// quotes read ">>"). body is sanitized first: it comes from the original.
// Trailing blank lines are dropped, and the result ends with a newline.
func Quote(body string) string {
	body = sanitize.Text(body)
	body = strings.ReplaceAll(body, "\r", "")
	body = strings.TrimRight(body, "\n \t")
	cut := false
	if len(body) > MaxQuoteBytes {
		body = strings.ToValidUTF8(body[:MaxQuoteBytes], "")
		if i := strings.LastIndexByte(body, '\n'); i > 0 {
			body = body[:i]
		}
		cut = true
	}
	var b strings.Builder
	b.Grow(len(body) + len(body)/20 + 64)
	for _, line := range strings.Split(body, "\n") {
		line = strings.TrimRight(line, " \t")
		switch {
		case line == "":
			b.WriteString(">\n")
		case strings.HasPrefix(line, ">"):
			b.WriteString(">" + line + "\n")
		default:
			b.WriteString("> " + line + "\n")
		}
	}
	if cut {
		b.WriteString("> [...]\n")
	}
	return b.String()
}
