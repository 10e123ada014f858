package mime

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-ical"
	"github.com/jhillyerd/enmime/v2"
)

// notices says what the message's structure means for reading it, where
// its body does not say it: a signature sesbox does not verify (the
// signature part looked like a seal of authenticity), a body encrypted
// for someone's key (it read as an empty message), a calendar invitation
// (it was an attachment without a word of what, when or who) and a
// message split into message/partial pieces. The
// text is partly the sender's: printers sanitize it.
func notices(root *enmime.Part, body string) []string {
	var out []string
	index := 0 // the Part.Index of the leaf being visited
	walkParts(root, func(p *enmime.Part) {
		if isLeaf(p) {
			index++
		}
		_, params, _, _ := parseMediaType(p.Header.Get("Content-Type"))
		switch ct := p.ContentType; {
		case ct == "multipart/signed":
			out = append(out, fmt.Sprintf("Signed with %s: sesbox does not verify signatures, so the signature says nothing here of who sent the message.",
				signatureKind(params["protocol"])))
		case ct == "multipart/encrypted":
			out = append(out, "Encrypted with OpenPGP: sesbox cannot decrypt it. Save the encrypted part (sesbox save) and decrypt it with your key.")
		case ct == "application/pkcs7-mime" || ct == "application/x-pkcs7-mime":
			if !isOpaqueSigned(p) { // opaque signatures are openSigned's
				out = append(out, fmt.Sprintf("Encrypted with S/MIME (part %d): sesbox cannot decrypt it. Save that part (sesbox save) and decrypt it with your key.", index))
			}
		case ct == "text/calendar":
			out = append(out, calendarNotice(index, p.Content)...)
		case ct == "message/partial":
			out = append(out, fmt.Sprintf("Piece %s of %s of a message the sender split (message/partial): sesbox does not join the pieces.",
				orUnknown(params["number"]), orUnknown(params["total"])))
		}
	})
	if strings.Contains(body, "-----BEGIN PGP MESSAGE-----") {
		out = append(out, "The text holds an OpenPGP encrypted block: sesbox cannot decrypt it.")
	}
	if strings.Contains(body, "-----BEGIN PGP SIGNED MESSAGE-----") {
		out = append(out, "The text is signed with OpenPGP: sesbox does not verify signatures.")
	}
	return out
}

func signatureKind(protocol string) string {
	switch p := strings.ToLower(protocol); {
	case strings.Contains(p, "pgp"):
		return "OpenPGP"
	case strings.Contains(p, "pkcs7"):
		return "S/MIME"
	}
	return "an unknown kind of signature"
}

func orUnknown(s string) string {
	if s == "" {
		return "?"
	}
	return s
}

// calendarNotice summarizes the first event of the calendar part index:
// what, when, where and who asks.
func calendarNotice(index int, content []byte) []string {
	cal, err := decodeCalendar(content)
	if err != nil {
		return []string{fmt.Sprintf("Calendar part %d cannot be read (%v); save it to open it in a calendar.", index, err)}
	}
	events := cal.Events()
	if len(events) == 0 {
		return []string{fmt.Sprintf("Calendar part %d holds no event.", index)}
	}
	what := "Calendar event"
	switch method, _ := cal.Props.Text(ical.PropMethod); strings.ToUpper(method) {
	case "REQUEST":
		what = "Invitation"
	case "CANCEL":
		what = "Cancelled event"
	case "REPLY":
		what = "Reply to an invitation"
	}
	e := events[0]
	summary, _ := e.Props.Text(ical.PropSummary)
	out := []string{fmt.Sprintf("%s (part %d): %s", what, index, summary)}
	if start := e.Props.Get(ical.PropDateTimeStart); start != nil {
		when := calendarTime(start)
		if end := e.Props.Get(ical.PropDateTimeEnd); end != nil {
			when += " to " + calendarTime(end)
		}
		out = append(out, "  When:  "+when)
	}
	if where, _ := e.Props.Text(ical.PropLocation); where != "" {
		out = append(out, "  Where: "+where)
	}
	if o := e.Props.Get(ical.PropOrganizer); o != nil {
		who := strings.TrimPrefix(strings.TrimPrefix(o.Value, "mailto:"), "MAILTO:")
		if cn := o.Params.Get(ical.ParamCommonName); cn != "" {
			who = cn + " <" + who + ">"
		}
		out = append(out, "  By:    "+who)
	}
	if len(events) > 1 {
		out = append(out, fmt.Sprintf("  and %d more events", len(events)-1))
	}
	return out
}

// decodeCalendar is go-ical's Decode with its panics made errors: it
// panics on a parameter value with a quote inside its quotes
// (CN="Bob \"the boss\""), and the panic took the whole message with it,
// which was shown as its header alone, without its body or parts.
func decodeCalendar(content []byte) (cal *ical.Calendar, err error) {
	defer func() {
		if r := recover(); r != nil {
			cal, err = nil, fmt.Errorf("%v", r)
		}
	}()
	return ical.NewDecoder(bytes.NewReader(content)).Decode()
}

// calendarTime is a DTSTART or DTEND as a reader wants it: UTC and the
// zone it was given in, or the value as written when it does not parse
// (a Windows zone name, which Go does not know).
func calendarTime(p *ical.Prop) string {
	t, err := p.DateTime(time.UTC)
	switch {
	case err != nil:
		return strings.TrimSpace(p.Value + " " + p.Params.Get(ical.PropTimezoneID))
	case p.ValueType() == ical.ValueDate || len(p.Value) == len("20060102"):
		return t.Format("Mon 2 Jan 2006") + " (all day)"
	case t.Location() == time.UTC:
		return t.Format("Mon 2 Jan 2006 15:04 UTC")
	default:
		return t.Format("Mon 2 Jan 2006 15:04 MST") + " (" + t.UTC().Format("15:04 UTC") + ")"
	}
}
