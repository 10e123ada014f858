package mime

import (
	"errors"
	"net/mail"
	"strings"
	"time"
	"unicode"

	"github.com/sesbox/sesbox/internal/lazyregexp"
	"github.com/sesbox/sesbox/mailstore"
)

// dateLayouts are the shapes of Date values seen in real mail beyond what
// net/mail.ParseDate reads, after normalizeDate has removed comments,
// commas and the day name, and turned zone names into offsets.
var dateLayouts = []string{
	"2 Jan 2006 15:04:05 -0700",
	"2 Jan 2006 15:04 -0700",
	"2 Jan 06 15:04:05 -0700",
	"2 Jan 06 15:04 -0700",
	"2 Jan 2006 15:04:05",
	"2 Jan 2006 15:04",
	"2 January 2006 15:04:05 -0700",
	"2 January 2006 15:04:05",
	"2-Jan-2006 15:04:05 -0700",
	"Jan 2 15:04:05 2006",       // asctime, as mbox lines and some scripts write
	"Jan 2 15:04:05 -0700 2006", // date(1)
	"Jan 2 2006 15:04:05 -0700",
	"Jan 2 2006 15:04:05",
	"Jan 2 2006 3:04:05 PM -0700",
	"Jan 2 2006 3:04 PM -0700",
	"January 2 2006 15:04:05 -0700",
	"2006-01-02T15:04:05Z07:00",
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05",
	"2006/01/02 15:04:05 -0700",
	"2006/01/02 15:04:05",
	// Dotted dates are day first wherever they are written (German,
	// Russian, Polish, Czech mailers): 07.12.2026.
	"2.1.2006 15:04:05 -0700",
	"2.1.2006 15:04 -0700",
	"2.1.2006 15:04:05",
	"2.1.2006 15:04",
	"2.1.2006",
	// Outlook's US form, after the day name and commas are gone:
	// "Wednesday, April 03, 2002 5:56 AM".
	"January 2 2006 3:04 PM -0700",
	"January 2 2006 3:04 PM",
	"Jan 2 2006 3:04 PM",
	"2 Jan 2006",
	"2006-01-02",
}

// zoneOffsets maps the zone names mailers still write to offsets; Go's
// time.Parse would otherwise give an unknown abbreviation offset zero.
// Ambiguous names (IST, CST in China) take their RFC 822 or most common
// meaning.
var zoneOffsets = map[string]string{
	"UT": "+0000", "UTC": "+0000", "GMT": "+0000", "Z": "+0000", "WET": "+0000",
	"EST": "-0500", "EDT": "-0400", "CST": "-0600", "CDT": "-0500",
	"MST": "-0700", "MDT": "-0600", "PST": "-0800", "PDT": "-0700",
	"AKST": "-0900", "AKDT": "-0800", "HST": "-1000",
	"BST": "+0100", "CET": "+0100", "CEST": "+0200", "MET": "+0100", "MEST": "+0200",
	"WEST": "+0100", "EET": "+0200", "EEST": "+0300", "MSK": "+0300",
	"IST": "+0530", "HKT": "+0800", "SGT": "+0800", "AWST": "+0800",
	"JST": "+0900", "KST": "+0900", "AEST": "+1000", "AEDT": "+1100",
	"NZST": "+1200", "NZDT": "+1300",
	// German and Austrian mailers (Outlook, Thunderbird set to German)
	// name the zone in German.
	"MEZ": "+0100", "MESZ": "+0200", "OEZ": "+0200", "OESZ": "+0300",
	"WEZ": "+0000", "WESZ": "+0100",
}

// localMonths maps month names and abbreviations in the languages of
// localized mailers (German, French, Spanish, Italian, Dutch, Portuguese),
// lower-cased and without a closing dot, to the English abbreviation the
// layouts read. No name means one month in one language and another in a
// second ("mar" is March in all that write it, "mai" May), so the table
// needs no language. English names are not in it: the layouts read them.
var localMonths = map[string]string{
	"januar": "Jan", "jänner": "Jan", "jän": "Jan", "janv": "Jan", "janvier": "Jan",
	"ene": "Jan", "enero": "Jan", "gen": "Jan", "gennaio": "Jan", "januari": "Jan", "janeiro": "Jan",
	"februar": "Feb", "févr": "Feb", "fév": "Feb", "février": "Feb", "fevr": "Feb", "fevrier": "Feb",
	"febrero": "Feb", "febbraio": "Feb", "februari": "Feb", "fev": "Feb", "fevereiro": "Feb",
	"mär": "Mar", "märz": "Mar", "mrz": "Mar", "mars": "Mar", "marzo": "Mar", "mrt": "Mar", "maart": "Mar", "março": "Mar", "marco": "Mar",
	"avr": "Apr", "avril": "Apr", "abr": "Apr", "abril": "Apr", "aprile": "Apr",
	"mai": "May", "mayo": "May", "mag": "May", "maggio": "May", "mei": "May", "maio": "May",
	"juni": "Jun", "juin": "Jun", "junio": "Jun", "giu": "Jun", "giugno": "Jun", "junho": "Jun",
	"juli": "Jul", "juil": "Jul", "juillet": "Jul", "julio": "Jul", "lug": "Jul", "luglio": "Jul", "julho": "Jul",
	"août": "Aug", "aout": "Aug", "aoû": "Aug", "ago": "Aug", "agosto": "Aug", "augustus": "Aug",
	"septembre": "Sep", "septiembre": "Sep", "set": "Sep", "settembre": "Sep", "setembro": "Sep",
	"okt": "Oct", "oktober": "Oct", "octobre": "Oct", "octubre": "Oct", "ott": "Oct", "ottobre": "Oct", "out": "Oct", "outubro": "Oct",
	"novembre": "Nov", "noviembre": "Nov", "novembro": "Nov",
	"dez": "Dec", "dezember": "Dec", "déc": "Dec", "décembre": "Dec", "dic": "Dec", "diciembre": "Dec", "dicembre": "Dec", "dezembro": "Dec",
}

// monthToken gives the English abbreviation of a month name in English
// or a localized mailer's language, or "".
func monthToken(tok string) string {
	l := strings.ToLower(strings.TrimSuffix(tok, "."))
	if m, ok := localMonths[l]; ok {
		return m
	}
	for _, layout := range []string{"Jan", "January"} {
		if t, err := time.Parse(layout, l); err == nil {
			return t.Format("Jan")
		}
	}
	if l == "sept" {
		return "Sep"
	}
	return ""
}

var (
	errNoDate      = errors.New("empty date")
	errUnknownDate = errors.New("unrecognised date format")
	zoneSuffixRe   = lazyregexp.New(`^(?i:GMT|UTC|UT)([+-]\d{1,2}(?::?\d{2})?)$`)
	colonOffsetRe  = lazyregexp.New(`^([+-]\d{2}):(\d{2})$`)
	shortOffsetRe  = lazyregexp.New(`^([+-])(\d{1,2})$`)
	// hourOffsetRe is an offset of hours alone ("+01", "-5"), as some
	// mailers and strftime's %z on a few systems write it; no other
	// token of a date has a sign.
	hourOffsetRe    = shortOffsetRe
	numericOffsetRe = lazyregexp.New(`^[+-]\d{4}$`)
	// gluedOffsetRe is a time with its offset written on to it
	// ("11:36:12+0000"), as some mailers do.
	gluedOffsetRe = lazyregexp.New(`^(\d{1,2}:\d{2}(?::\d{2})?)([+-]\d{4})$`)
)

// maxDateLen bounds the Date values parseDate tries: RFC 5322's line
// limit, which a date with its comment fills many times over. Reading a
// value costs about 165 bytes allocated per byte (a regexp per token, 26
// layouts), and Summarize runs on every header an index reads (up to 8 MB
// each): an 8 MB Date of "1 1 1 ..." cost 1.3 GB and seconds per listing.
const maxDateLen = 998

// parseDate reads a Date value leniently: net/mail (RFC 5322 and its
// obsolete forms), then the layouts real mail uses.
func parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, errNoDate
	}
	if len(s) > maxDateLen {
		return time.Time{}, errUnknownDate
	}
	// Normalize first: net/mail accepts zone names such as "EDT" or
	// "GMT+2" but reads them as offset zero.
	n := normalizeDate(s)
	if t, err := mail.ParseDate(n); err == nil && mailstore.PlausibleTime(t) {
		return t, nil
	}
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, n); err == nil && mailstore.PlausibleTime(t) {
			return t, nil
		}
	}
	return time.Time{}, errUnknownDate
}

// normalizeDate removes comments, commas, the day name and trailing dots,
// and rewrites zone names and odd offsets ("GMT+2", "+09:00") as -0700.
func normalizeDate(s string) string {
	s = stripComments(s)
	s = dropLocalDayName(s)
	s = strings.NewReplacer(",", " ").Replace(s)
	f := strings.Fields(s)
	if len(f) > 0 && isDayName(f[0]) {
		f = f[1:]
	}
	out := f[:0]
	hasOffset := false
	for _, tok := range f {
		tok = strings.TrimSuffix(tok, ".")
		if m := gluedOffsetRe().FindStringSubmatch(tok); m != nil {
			out = append(out, m[1])
			tok = m[2]
		}
		if m := monthToken(tok); m != "" {
			tok = m // "Dez", "déc.", "März": the layouts read English
		}
		switch {
		case numericOffsetRe().MatchString(tok):
			hasOffset = true
		case hourOffsetRe().MatchString(tok):
			tok, hasOffset = offsetFrom(tok), true
		case colonOffsetRe().MatchString(tok):
			tok = colonOffsetRe().ReplaceAllString(tok, "$1$2")
			hasOffset = true
		case zoneSuffixRe().MatchString(tok):
			tok = offsetFrom(zoneSuffixRe().FindStringSubmatch(tok)[1])
			hasOffset = true
		case isZoneName(tok):
			if hasOffset {
				continue // "-0700 PDT": the offset already says it
			}
			off, ok := zoneOffsets[strings.ToUpper(tok)]
			if !ok {
				continue // unknown zone: read the time as UTC
			}
			tok, hasOffset = off, true
		}
		out = append(out, tok)
	}
	return strings.Join(out, " ")
}

// offsetFrom turns "+2", "-11", "+0530" or "+05:30" into "+0200" form.
func offsetFrom(s string) string {
	s = strings.ReplaceAll(s, ":", "")
	if m := shortOffsetRe().FindStringSubmatch(s); m != nil {
		h := m[2]
		if len(h) == 1 {
			h = "0" + h
		}
		return m[1] + h + "00"
	}
	if len(s) == 4 { // "+530"
		return s[:1] + "0" + s[1:]
	}
	return s
}

// dropLocalDayName removes a day name in any language before the comma
// that ends it ("qui, 14 Nov 2002", "Mi., 3 Jun 2020", "Пн, 1 Mar 2021"):
// localized mailers write one, and the day adds nothing to the date. Only
// one word of letters (a dot may end it) is taken for a day name.
func dropLocalDayName(s string) string {
	day, rest, ok := strings.Cut(s, ",")
	if !ok {
		return s
	}
	day = strings.TrimSuffix(strings.TrimSpace(day), ".")
	if day == "" {
		return s
	}
	for _, r := range day {
		if !unicode.IsLetter(r) {
			return s
		}
	}
	if monthToken(day) != "" && !hasMonth(rest) {
		// "Nov, 14 2002": a month, not a day. Spanish "mar, 7 dic 2026"
		// is Tuesday (martes) before the month: it was read as March 7.
		return s
	}
	return rest
}

// hasMonth says whether s has a token naming a month.
func hasMonth(s string) bool {
	for _, tok := range strings.Fields(s) {
		if monthToken(tok) != "" {
			return true
		}
	}
	return false
}

func isDayName(s string) bool {
	s = strings.ToLower(strings.TrimSuffix(s, ","))
	if len(s) < 3 {
		return false
	}
	switch s[:3] {
	case "mon", "tue", "wed", "thu", "fri", "sat", "sun":
		// "Monday", "Tues", "Thu": a day name however it is spelled out.
		return !strings.ContainsAny(s, "0123456789")
	}
	return false
}

// isZoneName reports an alphabetic token of zone-name length that is not a
// month name or AM/PM.
func isZoneName(s string) bool {
	if len(s) == 0 || len(s) > 5 {
		return false
	}
	for _, c := range s {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	switch strings.ToLower(s) {
	case "am", "pm", "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug",
		"sep", "sept", "oct", "nov", "dec", "june", "july", "march", "april":
		return false
	}
	return true
}
