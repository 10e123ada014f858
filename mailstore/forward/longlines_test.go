package forward

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore/headerfold"
)

// decodedParts reads a message as a reader would: each leaf part (nested
// messages included) decoded by its Content-Transfer-Encoding, in order.
func decodedParts(t *testing.T, raw []byte) [][]byte {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("read: %v\n%q", err, raw)
	}
	body, _ := io.ReadAll(m.Body)
	return decodeEntity(t, m.Header.Get("Content-Type"), m.Header.Get("Content-Transfer-Encoding"), body)
}

func decodeEntity(t *testing.T, ctype, cte string, body []byte) [][]byte {
	t.Helper()
	mt, params, _ := mime.ParseMediaType(ctype)
	switch {
	case strings.HasPrefix(mt, "multipart/"):
		var out [][]byte
		r := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		for {
			p, err := r.NextRawPart()
			if err == io.EOF {
				return out
			}
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(p)
			out = append(out, decodeEntity(t, p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), b)...)
		}
	case mt == "message/rfc822":
		return decodedParts(t, body)
	}
	switch strings.ToLower(cte) {
	case "base64":
		b, err := base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(string(body)))
		if err != nil {
			t.Fatal(err)
		}
		return [][]byte{b}
	case "quoted-printable":
		b, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body)))
		if err != nil {
			t.Fatal(err)
		}
		return [][]byte{b}
	}
	return [][]byte{body}
}

// TestRewriteReencodesLongLines: a body line over 998 octets was passed on
// as the Lambda passes it, and SES refused the message. Now each leaf part
// holding one is re-encoded (difference 31): every line is within 998
// octets, every part decodes to exactly the bytes it decoded to before, and
// a part without long lines is not touched.
func TestRewriteReencodesLongLines(t *testing.T) {
	long := strings.Repeat("a long line = with é and tabs\t", 60) + "  "
	b64 := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0, 1, 2, 0xff, '\n'}, 500))
	qp := strings.Repeat("=C3=A9t=C3=A9 ", 120) + "=20"
	short := "Content-Type: text/plain\r\n\r\nshort part, kept as it is =\r\n"
	cases := map[string]string{
		"plain message without MIME, LF": "From: A <a@x.com>\nSubject: s\n\n" + long + "\nnext line\n" + long,
		"multipart, CRLF": "From: A <a@x.com>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\npreamble\r\n--b1\r\n" + short +
			"\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + long + "\r\n" + long + "\r\n" +
			"\r\n--b1\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n" + strings.Repeat("\x00\r\xfe", 400) + "\r\n" +
			"\r\n--b1\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64 + "\r\n" +
			"\r\n--b1\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: Quoted-Printable\r\n\r\n" + qp + "\r\n" +
			"\r\n--b1\r\nContent-Type: message/rfc822\r\n\r\nFrom: inner@x.com\r\nContent-Type: multipart/alternative; boundary=b2\r\n\r\n--b2\r\n\r\n" + long + "\r\n--b2--\r\n" +
			"\r\n--b1--\r\nepilogue\r\n",
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			out, err := Rewrite(Config{}, []byte(in), "info@example.com")
			if err != nil {
				t.Fatal(err)
			}
			if n := headerfold.LongestLine(out); n > headerfold.Hard {
				t.Errorf("a line of %d octets", n)
			}
			want, got := decodedParts(t, []byte(in)), decodedParts(t, out)
			if len(got) != len(want) {
				t.Fatalf("%d parts, want %d\n%s", len(got), len(want), out)
			}
			for i := range want {
				if !bytes.Equal(got[i], want[i]) {
					t.Errorf("part %d decodes to %.80q…, want %.80q…", i, got[i], want[i])
				}
			}
			if strings.Contains(in, short) && !bytes.Contains(out, []byte(short)) {
				t.Error("a part without long lines was changed")
			}
			if m, _ := mail.ReadMessage(bytes.NewReader(out)); m.Header.Get("MIME-Version") != "1.0" {
				t.Error("no MIME-Version: readers would not decode the new encoding")
			}
		})
	}
	// A message without long lines is the Lambda's bytes.
	in := "From: A <a@x.com>\nContent-Type: text/plain\n\nshort =\n"
	if out := mustRewrite(t, Config{}, in); !strings.HasSuffix(out, "\n\nshort =\n") {
		t.Errorf("short body changed: %q", out)
	}
}

// TestRewriteListsReencodedParts: RewriteParts names each part whose
// Content-Transfer-Encoding it changed, by IMAP part number, with the old
// and new encodings, so that a preview or a dry run can say so (a signature
// over the part no longer holds); a base64 or quoted-printable part only
// wrapped again keeps its encoding and is not listed.
func TestRewriteListsReencodedParts(t *testing.T) {
	long := strings.Repeat("x", 1200)
	cases := []struct {
		in   string
		want []Reencoding
	}{
		{"From: a@x.com\n\n" + long + "\n", []Reencoding{{"1", "7bit", "quoted-printable"}}},
		{"From: a@x.com\n\nshort\n", nil},
		{"From: a@x.com\nContent-Type: multipart/mixed; boundary=b\n\n--b\n\nshort\n--b\nContent-Transfer-Encoding: 8bit\n\n" + long +
			"\n--b\nContent-Type: application/pdf\nContent-Transfer-Encoding: binary\n\n" + long +
			"\n--b\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n\n" + long +
			"\n--b\nContent-Type: multipart/alternative; boundary=c\n\n--c\n\n" + long + "\n--c--\n" +
			"\n--b\nContent-Type: message/rfc822\n\nFrom: i@x.com\n\n" + long +
			"\n--b--\n", []Reencoding{{"2", "8bit", "quoted-printable"}, {"3", "binary", "base64"}, {"5.1", "7bit", "quoted-printable"}, {"6.1", "7bit", "quoted-printable"}}},
		{"From: a@x.com\nContent-Type: message/rfc822\n\nFrom: i@x.com\nContent-Type: multipart/mixed; boundary=b\n\n--b\n\n" + long + "\n--b--\n",
			[]Reencoding{{"1.1", "7bit", "quoted-printable"}}},
	}
	for i, c := range cases {
		out, got, err := RewriteParts(Config{}, []byte(c.in), "info@example.com")
		if err != nil {
			t.Fatalf("#%d: %v", i, err)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("#%d: re-encoded %v, want %v", i, got, c.want)
		}
		if plain, _ := Rewrite(Config{}, []byte(c.in), "info@example.com"); !bytes.Equal(plain, out) {
			t.Errorf("#%d: RewriteParts and Rewrite differ", i)
		}
	}
}

// TestRewriteRefusesLongLinesItCannotReencode: a long line where no
// encoding can go (a multipart's preamble, a part's header, a part in
// an encoding other than the MIME ones) is refused, nothing is sent.
func TestRewriteRefusesLongLinesItCannotReencode(t *testing.T) {
	long := strings.Repeat("x", 1200)
	for _, in := range []string{
		"From: a@x.com\nContent-Type: multipart/mixed; boundary=b\n\n" + long + "\n--b\n\nshort\n--b--\n",
		"From: a@x.com\nContent-Type: multipart/mixed; boundary=b\n\n--b\nX-Long: " + long + "\n\nshort\n--b--\n",
		"From: a@x.com\nContent-Transfer-Encoding: x-uuencode\n\n" + long + "\n",
		"From: a@x.com\nContent-Type: multipart/mixed\n\n" + long + "\n",
		// A boundary in RFC 2231 sections is more than many readers follow.
		"From: a@x.com\nContent-Type: multipart/mixed; boundary=\"" + strings.Repeat("b", 990) + "\"\n\n--" + strings.Repeat("b", 990) + "\n\nx\n--" + strings.Repeat("b", 990) + "--\n",
	} {
		out, err := Rewrite(Config{}, []byte(in), "info@example.com")
		if !errors.Is(err, ErrLongLine) && !errors.Is(err, ErrUnfoldable) || out != nil {
			t.Errorf("%.70q: %v, want ErrLongLine or ErrUnfoldable", in, err)
		}
	}
}

// TestRewriteContinuesLongParameters: a file name of 1,600 octets made a
// Content-Disposition line no fold can shorten, in a part's header or the
// message's; passed on, SES refused the message. Such a field is written
// again with the long parameter in RFC 2231 sections, which read back as
// the same name.
func TestRewriteContinuesLongParameters(t *testing.T) {
	long := strings.Repeat("long", 400) + ".txt"
	wide := strings.Repeat("日本", 200) + ".pdf"
	for _, in := range []string{
		"From: a@x.com\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"" + long + "\"\r\n\r\nx\r\n--B--\r\n",
		"From: a@x.com\nContent-Type: text/plain; name=\"" + long + "\"\nContent-Disposition: attachment; filename*=utf-8''" + url.PathEscape(wide) + "\n\nx\n",
	} {
		out, err := Rewrite(Config{}, []byte(in), "info@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if n := headerfold.LongestLine(out); n > headerfold.Hard {
			t.Errorf("a line of %d octets", n)
		}
		want, got := dispositions(t, []byte(in)), dispositions(t, out)
		if len(want) == 0 || !slices.Equal(got, want) {
			t.Errorf("file names %q, want %q\n%s", got, want, out)
		}
	}
}

// dispositions lists the name and filename parameters of every header
// block in raw, as net/mail and mime.ParseMediaType read them.
func dispositions(t *testing.T, raw []byte) []string {
	var out []string
	for _, block := range strings.Split(strings.ReplaceAll(string(raw), "\r\n", "\n"), "\n--B\n") {
		m, err := mail.ReadMessage(strings.NewReader(block))
		if err != nil {
			continue
		}
		for _, f := range []string{"Content-Type", "Content-Disposition"} {
			if _, p, err := mime.ParseMediaType(m.Header.Get(f)); err == nil {
				out = append(out, p["name"]+p["filename"])
			}
		}
	}
	return out
}

// TestReencodedPartsDecodeTheSame: 500 seeded messages of parts in every
// encoding, with lines of any length made of any bytes (escapes, blanks at
// the ends, "=", bare CRs, 8-bit), LF and CRLF: every one is sent with
// lines within 998 octets and parts that decode to the same bytes.
func TestReencodedPartsDecodeTheSame(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 998))
	alphabet := []string{"a", "b", " ", "\t", "=", "=3D", "=C3=A9", "é", "\x00", "\r", "\xff", ".", "--", "?=", "=\n"}
	text := func(n int) string {
		var b strings.Builder
		for b.Len() < n {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		return b.String()
	}
	line := func() string {
		if r.IntN(3) == 0 {
			return text(999 + r.IntN(2500))
		}
		return text(r.IntN(120))
	}
	for i := range 500 {
		eol := []string{"\n", "\r\n"}[r.IntN(2)]
		var parts []string
		for range 1 + r.IntN(4) {
			var body []string
			for range 1 + r.IntN(4) {
				body = append(body, line())
			}
			b := strings.Join(body, "\n")
			var h string
			switch r.IntN(5) {
			case 0:
				h = "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n"
			case 1:
				h = "Content-Type: application/octet-stream\nContent-Transfer-Encoding: binary\n"
			case 2:
				h = "Content-Type: image/png\nContent-Transfer-Encoding: base64\n"
				b = base64.StdEncoding.EncodeToString([]byte(b))
			case 3:
				h = "Content-Type: text/html\nContent-Transfer-Encoding: quoted-printable\n"
				var q []string
				for range 1 + r.IntN(3) {
					var l strings.Builder
					for n := []int{40, 1200, 3000}[r.IntN(3)]; l.Len() < n; {
						l.WriteString([]string{"a", "b", " ", "\t", "=3D", "=C3=A9", "=0D", "=\n"}[r.IntN(8)])
					}
					q = append(q, strings.TrimRight(l.String(), " \t="))
				}
				b = strings.Join(q, "\n")
			default:
				h = "Content-Type: text/plain\n"
			}
			parts = append(parts, h+"\n"+b)
		}
		msg := "From: a@x.com\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"=_b\"\n\n--=_b\n" + strings.Join(parts, "\n--=_b\n") + "\n--=_b--\n"
		msg = strings.ReplaceAll(msg, "\n", eol)
		out, err := Rewrite(Config{}, []byte(msg), "info@example.com")
		if err != nil {
			t.Fatalf("#%d: %v", i, err)
		}
		if n := headerfold.LongestLine(out); n > headerfold.Hard {
			t.Fatalf("#%d: a line of %d octets", i, n)
		}
		want, got := decodedParts(t, []byte(msg)), decodedParts(t, out)
		for j := range want {
			if j >= len(got) || !bytes.Equal(got[j], want[j]) {
				t.Fatalf("#%d part %d decodes otherwise\n in: %q\nout: %q", i, j, msg, out)
			}
		}
	}
}

// TestRewriteReencodesLongRunsOfBlanks: a text line over 998 octets made of
// a run of blanks (a table padded with tabs, ASCII art) was refused with
// ErrLongLine, nothing sent: a soft line break never follows a blank (a
// strict decoder drops white space before it), and 75 blanks in a row left
// nowhere to break. The blank before the break is now escaped (=09, =20),
// and the part decodes to the same bytes.
func TestRewriteReencodesLongRunsOfBlanks(t *testing.T) {
	for name, run := range map[string]string{"tabs": strings.Repeat("\t", 2000), "spaces": strings.Repeat(" ", 1500) + "x", "mixed": strings.Repeat(" \t", 700) + "=\t"} {
		in := "From: A <a@x.com>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + run + "\r\nnext\r\n"
		out, err := Rewrite(Config{}, []byte(in), "info@example.com")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if n := headerfold.LongestLine(out); n > 78 {
			t.Errorf("%s: a line of %d octets", name, n)
		}
		if want, got := decodedParts(t, []byte(in)), decodedParts(t, out); !reflect.DeepEqual(want, got) {
			t.Errorf("%s: decodes to %q, want %q", name, got, want)
		}
	}
}

// TestRewriteFoldsGluedMessageIDs: an In-Reply-To of 2,017 octets whose
// message ids stand with no blank between them ("<a@x><b@x>...", as RFC
// 5322 3.6.4 allows) was refused with ErrUnfoldable, as a line that cannot
// be folded; the Lambda passes it on. A fold is allowed between two msg-ids
// (each is "[CFWS] < id > [CFWS]"), so Rewrite folds there: every line
// within 998 octets, and every reader finds the same ids in the same order.
// A single id over 998 octets has no place to fold and is still refused.
func TestRewriteFoldsGluedMessageIDs(t *testing.T) {
	var ids []string
	for i := 0; len(strings.Join(ids, "")) < 2017-len("In-Reply-To: "); i++ {
		ids = append(ids, fmt.Sprintf("<msg-%04d.%s@mail.example.com>", i, strings.Repeat("q", 20)))
	}
	for _, name := range []string{"In-Reply-To", "references", "References "} {
		for _, eol := range []string{"\r\n", "\n"} {
			in := "From: A <a@x.com>" + eol + name + ": " + strings.Join(ids, "") + eol + "Subject: s" + eol + eol + "body" + eol
			out, err := Rewrite(Config{}, []byte(in), "info@example.com")
			if err != nil {
				t.Fatalf("%s (%q): %v", name, eol, err)
			}
			if n := headerfold.LongestLine(out); n > 998 {
				t.Errorf("%s: a %d-octet line", name, n)
			}
			_, v, _ := strings.Cut(string(out), name+": ")
			v, _, _ = strings.Cut(v, eol+"Subject: s"+eol)
			// RFC 5322 unfolding removes each line break before a blank.
			if got := strings.ReplaceAll(v, eol+" ", " "); got != strings.Join(ids, " ") {
				t.Errorf("%s (%q): the ids read back are not the same:\n%q", name, eol, out)
			}
			if !bytes.HasSuffix(out, []byte(eol+eol+"body"+eol)) {
				t.Errorf("%s: the body changed:\n%q", name, out)
			}
		}
	}
	// Ids separated by commas alone (seen in the wild, RFC 822's obsolete
	// list form) get the blank after the comma.
	in := "From: a@x.com\r\nReferences: " + strings.Join(ids, ",") + "\r\n\r\nb\r\n"
	out, err := Rewrite(Config{}, []byte(in), "info@example.com")
	if _, v, _ := strings.Cut(string(out), "References: "); err != nil || headerfold.LongestLine(out) > 998 ||
		!strings.HasPrefix(strings.ReplaceAll(v, "\r\n ", " "), strings.Join(ids, ", ")+"\r\n") {
		t.Errorf("ids separated by commas: %v\n%q", err, out)
	}
	// "><" inside a quoted id-left is no boundary between two ids.
	quoted := `<"` + strings.Repeat("><", 600) + `"@x.com>`
	if _, err := Rewrite(Config{}, []byte("From: a@x.com\r\nReferences: "+quoted+"\r\n\r\nb\r\n"), "info@example.com"); !errors.Is(err, ErrUnfoldable) {
		t.Errorf("one quoted id of %d octets: %v, want ErrUnfoldable", len(quoted), err)
	}
	one := "<" + strings.Repeat("z", 1200) + "@x.com>"
	if _, err := Rewrite(Config{}, []byte("From: a@x.com\r\nIn-Reply-To: "+one+"\r\n\r\nb\r\n"), "info@example.com"); !errors.Is(err, ErrUnfoldable) {
		t.Errorf("one id of %d octets: %v, want ErrUnfoldable", len(one), err)
	}
}

// TestRewriteFoldsAddressListsWithoutBlanks: a To or Cc of 60 addresses
// written "a@x,b@x,..." (1,217 octets, no blank to fold at) was refused
// with ErrUnfoldable, the Lambda passing it on. RFC 5322 allows CFWS
// around an address list's commas: a blank goes after each comma, where
// the field folds, and net/mail reads the same addresses.
func TestRewriteFoldsAddressListsWithoutBlanks(t *testing.T) {
	var addrs []string
	for i := range 60 {
		addrs = append(addrs, fmt.Sprintf("someone%02d@example.com", i))
	}
	list := strings.Join(addrs, ",") + `,"Doe,Jane"<jane@example.com>`
	for _, name := range []string{"To", "Cc", "bcc", "Resent-To"} {
		in := "From: a@x.com\r\n" + name + ": " + list + "\r\nSubject: s\r\n\r\nbody\r\n"
		out, err := Rewrite(Config{}, []byte(in), "info@example.com")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if n := headerfold.LongestLine(out); n > 998 {
			t.Errorf("%s: a %d-octet line", name, n)
		}
		want, err1 := mail.ParseAddressList(list)
		m, err2 := mail.ReadMessage(bytes.NewReader(out))
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		got, err := m.Header.AddressList(name)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s reads %v (%v), want %v", name, got, err, want)
		}
	}
}
