package external

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	sesmime "github.com/sesbox/sesbox/mailstore/mime"
)

// mailtoRead is what a mail client makes of a mailto: link: the fields
// it fills in, the recipients, and the values it puts in header fields.
type mailtoRead struct {
	fields     []string
	recipients []string
	headers    []string
}

// readRFC6068 reads a link as RFC 6068 says: fields split at "&" (and
// ";", as some clients do), then each name and value percent-decoded once;
// the address and to= and cc= lists split at "," after decoding.
func readRFC6068(rest string) mailtoRead {
	return readMailto(rest, unescapeOnce)
}

// readDecodedFirst reads a link as a client that percent-decodes the whole
// link first, as often as it decodes, then splits it.
func readDecodedFirst(rest string) mailtoRead {
	return readMailto(unescapeAll(rest), func(s string) string { return s })
}

func readMailto(rest string, decode func(string) string) (r mailtoRead) {
	addr, query, _ := strings.Cut(rest, "?")
	addRecipients := func(list string) {
		r.headers = append(r.headers, list)
		for _, a := range strings.Split(list, ",") {
			if a = strings.TrimSpace(a); a != "" {
				r.recipients = append(r.recipients, a)
			}
		}
	}
	addRecipients(decode(addr))
	for _, f := range strings.FieldsFunc(query, func(r rune) bool { return r == '&' || r == ';' }) {
		name, value, ok := strings.Cut(f, "=")
		if !ok {
			continue // a name without a value fills in nothing
		}
		name, value = strings.ToLower(strings.TrimSpace(decode(name))), decode(value)
		r.fields = append(r.fields, name)
		switch name {
		case "to", "cc", "bcc":
			addRecipients(value)
		case "body":
		default:
			r.headers = append(r.headers, value)
		}
	}
	return r
}

// readXDGEmailThunderbird reads a link as xdg-email (xdg-utils 1.1.3)
// hands it to Thunderbird: fields split at "&", the to= and cc= values
// decoded (%XX, then echo -e's backslash escapes) and put between single
// quotes, subject= and body= passed as written, all joined by "," into
// Thunderbird's -compose argument, which Thunderbird splits at the ","
// outside quotes into name=value fields.
func readXDGEmailThunderbird(rest string) (r mailtoRead) {
	if q, ok := strings.CutPrefix(rest, "?"); ok {
		rest = q
	} else {
		rest = "to=" + strings.Replace(rest, "?", "&", 1)
	}
	var to, cc, subject, body string
	for _, f := range strings.Split(rest, "&") {
		switch {
		case strings.HasPrefix(f, "to="):
			to += echoE(unescapeOnce(f[len("to="):])) + ","
		case strings.HasPrefix(f, "cc="):
			cc += echoE(unescapeOnce(f[len("cc="):])) + ","
		case strings.HasPrefix(f, "subject="):
			subject = f
		case strings.HasPrefix(f, "body="):
			body = f
		}
	}
	var compose []string
	if to != "" {
		compose = append(compose, "to='"+to+"'")
	}
	if cc != "" {
		compose = append(compose, "cc='"+cc+"'")
	}
	for _, f := range []string{subject, body} {
		if f != "" {
			compose = append(compose, f)
		}
	}
	arg := strings.Join(compose, ",")
	for arg = strings.TrimLeft(arg, ","); arg != ""; arg = strings.TrimLeft(arg, ",") {
		name, value, ok := strings.Cut(arg, "=")
		if !ok {
			break
		}
		if c := strings.IndexByte(name, ','); c >= 0 { // a segment without "=" fills in nothing
			arg = arg[c+1:]
			continue
		}
		if strings.HasPrefix(value, "'") {
			v, after, _ := strings.Cut(value[1:], "'")
			value, arg = v, strings.TrimPrefix(after, ",")
		} else {
			v, after, _ := strings.Cut(value, ",")
			value, arg = v, after
		}
		name = strings.ToLower(strings.TrimSpace(name))
		r.fields = append(r.fields, name)
		switch name {
		case "to", "cc", "bcc":
			// xdg-email splits only at "&": a link's "cc=a;cc=b" is one
			// list of "a" and "cc=b" to it.
			r.headers = append(r.headers, value)
			for _, a := range strings.FieldsFunc(value, func(r rune) bool { return r == ',' || r == ';' }) {
				a = strings.TrimSpace(a)
				if _, addr, ok := strings.Cut(a, "="); ok {
					a = addr // "cc=b" of "cc=a;cc=b"
				}
				if a != "" {
					r.recipients = append(r.recipients, a)
				}
			}
		case "body":
		default:
			r.headers = append(r.headers, value)
		}
	}
	return r
}

// echoE is what bash's echo -e makes of the escapes that matter here.
func echoE(s string) string {
	return strings.NewReplacer(`\\`, `\`, `\n`, "\n", `\r`, "\r", `\x27`, "'", `\x2c`, ",", `\x2C`, ",").Replace(s)
}

func unescapeOnce(s string) string { return string(sesmime.PercentDecode(s)) }

// seenRecipients are what the link, as the links list shows it, may
// name as a recipient: each text between the separators written in it
// ("?", "&", ";", ","), after its "name=" if it has one, decoded. A
// recipient that only decoding makes ("a%2Cspy@evil.example") is none
// of them.
func seenRecipients(rest string) []string {
	var seen []string
	for _, piece := range strings.FieldsFunc(rest, func(r rune) bool { return strings.ContainsRune("?&;,", r) }) {
		if _, value, ok := strings.Cut(piece, "="); ok {
			piece = value
		}
		seen = append(seen, strings.TrimSpace(unescapeAll(piece)))
	}
	return seen
}

var (
	mailtoNames  = []string{"to", "cc", "subject", "body", "in-reply-to", "Subject", "CC"}
	mailtoTokens = []string{
		"a", "b@x.example", "spy@evil.example", "Hi", "Tom", "%20", "%3C", "%3E", "%zz", "%",
		",", "'", "\"", "=", "\\", "\\x27", "\\x2c", "\\n",
		"%0D%0A", "%0A", "%0D", "%09", "%26", "%3F", "%3B", "%2C", "%27", "%22", "%5C", "%3D", "%25",
		"%2526", "%252C", "%250A", "%25%32%36", "%5Cx27",
		"cc", "bcc", "attach", "attachment", "to", "Bcc:", "subject",
	}
)

func randomMailto(r *rand.Rand) string {
	value := func() string {
		var b strings.Builder
		for n := r.IntN(5); n >= 0; n-- {
			if r.IntN(3) > 0 { // the first ten are words and addresses
				b.WriteString(mailtoTokens[r.IntN(10)])
			} else {
				b.WriteString(mailtoTokens[r.IntN(len(mailtoTokens))])
			}
		}
		return b.String()
	}
	link := "mailto:" + value()
	if r.IntN(5) > 0 {
		var fields []string
		for n := r.IntN(3); n >= 0; n-- {
			fields = append(fields, mailtoNames[r.IntN(len(mailtoNames))]+"="+value())
		}
		link += "?" + strings.Join(fields, []string{"&", ";"}[r.IntN(2)])
	}
	return link
}

// TestMailtoLinkOpenedShowsAllItDoes: a mailto: link is opened (in the
// mail client xdg-open starts, which the user then sends from) only when
// no value holds what the link, as listed, does not show. For 50,000
// links of the fields sesbox opens, their values made of encoded
// separators (%0D%0A, %26, %3F, %3B, %2C, %27, encoded twice), quotes,
// backslashes and field names: for every link opened, each of three
// readings (RFC 6068's; a client that decodes the whole link first;
// xdg-email handing it to Thunderbird) fills in only to, cc, subject,
// body and in-reply-to, sends to no recipient the listed link does not
// show between its commas, and puts no line break in a header.
// "subject=x%0D%0ABcc:%20spy@evil.example", "to=a%2Cspy@evil.example",
// "subject=x%26cc%3Dspy@evil.example" and "subject=hi,attachment=..."
// were all opened.
func TestMailtoLinkOpenedShowsAllItDoes(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 3))
	allowed := []string{"to", "cc", "subject", "body", "in-reply-to"}
	opened := 0
	for range 50_000 {
		link := randomMailto(r)
		if NotOpenable(link) != "" {
			continue
		}
		opened++
		rest := link[len("mailto:"):]
		seen := seenRecipients(rest)
		for name, read := range map[string]mailtoRead{
			"RFC 6068": readRFC6068(rest), "decoded first": readDecodedFirst(rest), "xdg-email": readXDGEmailThunderbird(rest),
		} {
			for _, f := range read.fields {
				if !slices.Contains(allowed, f) {
					t.Fatalf("%s: %q is opened and fills in the field %q", name, link, f)
				}
			}
			for _, a := range read.recipients {
				if !slices.Contains(seen, strings.TrimSpace(unescapeAll(a))) {
					t.Fatalf("%s: %q is opened and sends to %q, not among %q", name, link, a, seen)
				}
			}
			for _, h := range read.headers {
				if strings.ContainsAny(h, "\r\n") {
					t.Fatalf("%s: %q is opened and puts a line break in a header: %q", name, link, h)
				}
			}
		}
	}
	if opened < 5_000 {
		t.Errorf("only %d of the links were opened: the test checks too little", opened)
	}
}
