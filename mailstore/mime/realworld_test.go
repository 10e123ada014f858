package mime

import (
	"bytes"
	"encoding/base64"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"

	"github.com/sesbox/sesbox/mailstore"
)

// realWorldShape is a message in a shape real senders produce, and what
// list, show and save must make of it.
type realWorldShape struct {
	name    string
	raw     string
	subject string
	from    string // Address.String()
	text    []string
	files   map[string]string // attachment name -> its saved bytes ("": not compared)
	report  string
}

// realWorldShapes builds the shapes with nl as the line ending.
func realWorldShapes(nl string) []realWorldShape {
	b64 := func(s string) string {
		e := base64.StdEncoding.EncodeToString([]byte(s))
		var out strings.Builder
		for len(e) > 76 {
			out.WriteString(e[:76] + "\n")
			e = e[76:]
		}
		return out.String() + e + "\n"
	}
	latin1 := func(s string) string { b, _ := charmap.ISO8859_1.NewEncoder().String(s); return b }
	jis := func(s string) string { b, _ := japanese.ISO2022JP.NewEncoder().String(s); return b }
	head := "Received: from mx by inbound-smtp.us-east-1.amazonaws.com with SMTP id x1 for a@acme.example; Mon, 16 Nov 2026 09:12:33 +0000 (UTC)\n" +
		"MIME-Version: 1.0\nDate: Mon, 16 Nov 2026 09:12:33 +0100\nTo: a@acme.example\n"
	subject := jis("会議の議事録")
	png := "\x89PNG\r\n\x1a\n" + strings.Repeat("\x00", 100)
	tnef := "\x78\x9f\x3e\x22" + strings.Repeat("\x01", 200)
	shapes := []realWorldShape{
		{name: "Outlook with winmail.dat (TNEF)", raw: head + "From: \"Müller, Jörg\" <j@corp.example>\nSubject: RE: Angebot\nContent-Type: multipart/mixed;\n\tboundary=\"_000_AM0PR\"\nX-MS-TNEF-Correlator: <AM0PR@corp>\n\n" +
			"--_000_AM0PR\nContent-Type: text/plain; charset=\"iso-8859-1\"\nContent-Transfer-Encoding: quoted-printable\n\nHallo,=0D=0Asiehe Anhang. Gr=FC=DFe\n\n" +
			"--_000_AM0PR\nContent-Type: application/ms-tnef; name=\"winmail.dat\"\nContent-Transfer-Encoding: base64\nContent-Disposition: attachment; filename=\"winmail.dat\"\n\n" + b64(tnef) + "--_000_AM0PR--\n",
			subject: "RE: Angebot", from: "Müller, Jörg <j@corp.example>", text: []string{"siehe Anhang. Grüße"}, files: map[string]string{"winmail.dat": tnef}},
		{name: "Apple Mail: related inside alternative", raw: head + "From: Anna <anna@icloud.example>\nSubject: Photo\nContent-Type: multipart/alternative; boundary=\"Apple-Mail=_A\"\n\n" +
			"--Apple-Mail=_A\nContent-Transfer-Encoding: 7bit\nContent-Type: text/plain;\n\tcharset=us-ascii\n\nSee the photo.\n\n" +
			"--Apple-Mail=_A\nContent-Type: multipart/related;\n\ttype=\"text/html\";\n\tboundary=\"Apple-Mail=_B\"\n\n" +
			"--Apple-Mail=_B\nContent-Transfer-Encoding: 7bit\nContent-Type: text/html;\n\tcharset=us-ascii\n\n<html><body>See the photo.<img src=\"cid:F1@apple\"></body></html>\n" +
			"--Apple-Mail=_B\nContent-Transfer-Encoding: base64\nContent-Disposition: inline;\n\tfilename=IMG_0001.png\nContent-Type: image/png;\n\tx-unix-mode=0644;\n\tname=\"IMG_0001.png\"\nContent-Id: <F1@apple>\n\n" + b64(png) +
			"--Apple-Mail=_B--\n\n--Apple-Mail=_A--\n",
			subject: "Photo", from: "Anna <anna@icloud.example>", text: []string{"See the photo."}, files: map[string]string{"IMG_0001.png": png}},
		{name: "Gmail forwarding chain", raw: head + "From: Bob <bob@gmail.example>\nSubject: Fwd: Fwd: Quote\nContent-Type: multipart/alternative; boundary=\"000000g\"\n\n" +
			"--000000g\nContent-Type: text/plain; charset=\"UTF-8\"\nContent-Transfer-Encoding: quoted-printable\n\nFYI\n\n---------- Forwarded message ---------\nFrom: Carol <carol@x.example>\nSubject: Fwd: Quote\n\n" +
			"---------- Forwarded message ---------\nFrom: Dave <d@y.example>\nSubject: Quote\n\nPrice is 10 =E2=82=AC.\n\n" +
			"--000000g\nContent-Type: text/html; charset=\"UTF-8\"\nContent-Transfer-Encoding: quoted-printable\n\n<div>FYI</div><div class=3D\"gmail_quote\">Price is 10 =E2=82=AC.</div>\n\n--000000g--\n",
			subject: "Fwd: Fwd: Quote", from: "Bob <bob@gmail.example>", text: []string{"FYI", "From: Dave <d@y.example>", "Price is 10 €."}},
		{name: "mailing-list footer after the signature", raw: head + "From: Eve <eve@lists.example>\nSubject: [dev] release\nList-Id: dev.lists.example\nContent-Type: multipart/mixed; boundary=\"===============123==\"\n\n" +
			"--===============123==\nContent-Type: multipart/alternative; boundary=\"inner\"\n\n--inner\nContent-Type: text/plain; charset=utf-8\n\nShip it.\n-- \nEve\n" +
			"--inner\nContent-Type: text/html; charset=utf-8\n\n<p>Ship it.</p><p>-- <br>Eve</p>\n--inner--\n\n" +
			"--===============123==\nContent-Type: text/plain; charset=\"us-ascii\"\nMIME-Version: 1.0\nContent-Transfer-Encoding: 7bit\nContent-Disposition: inline\n\n" +
			"_______________________________________________\ndev mailing list\ndev@lists.example\n\n--===============123==--\n",
			subject: "[dev] release", from: "Eve <eve@lists.example>", text: []string{"Ship it.", "Eve", "dev mailing list"}},
		{name: "calendar cancellation", raw: head + "From: Org <org@corp.example>\nSubject: Canceled: Weekly sync\nContent-Type: multipart/mixed; boundary=\"m\"\n\n" +
			"--m\nContent-Type: multipart/alternative; boundary=\"a\"\n\n--a\nContent-Type: text/plain; charset=utf-8\n\nThe meeting is cancelled.\n" +
			"--a\nContent-Type: text/calendar; charset=\"utf-8\"; method=CANCEL\nContent-Transfer-Encoding: 7bit\n\n" +
			"BEGIN:VCALENDAR\nMETHOD:CANCEL\nBEGIN:VEVENT\nSUMMARY:Weekly sync\nSTATUS:CANCELLED\nDTSTART:20261120T100000Z\nEND:VEVENT\nEND:VCALENDAR\n--a--\n" +
			"--m\nContent-Type: application/ics; name=\"invite.ics\"\nContent-Disposition: attachment; filename=\"invite.ics\"\nContent-Transfer-Encoding: base64\n\n" + b64("BEGIN:VCALENDAR\nMETHOD:CANCEL\nEND:VCALENDAR\n") + "--m--\n",
			subject: "Canceled: Weekly sync", from: "Org <org@corp.example>", text: []string{"The meeting is cancelled."},
			files: map[string]string{"": "", "invite.ics": "BEGIN:VCALENDAR\nMETHOD:CANCEL\nEND:VCALENDAR\n"}},
		{name: "Postfix bounce as plain text", raw: head + "From: MAILER-DAEMON@mail.example (Mail Delivery System)\nSubject: Undelivered Mail Returned to Sender\n\n" +
			"This is the mail system at host mail.example.\n\n<nobody@y.example>: host mx.y.example said: 550 5.1.1 User unknown\n",
			subject: "Undelivered Mail Returned to Sender", from: "Mail Delivery System <MAILER-DAEMON@mail.example>", text: []string{"550 5.1.1 User unknown"}, report: mailstore.ReportBounce},
		{name: "qmail failure notice", raw: head + "From: MAILER-DAEMON@qmail.example\nSubject: failure notice\n\n" +
			"Hi. This is the qmail-send program at qmail.example.\nI'm afraid I wasn't able to deliver your message to the following addresses.\n\n<nobody@y.example>:\nSorry, no mailbox here by that name. (#5.1.1)\n",
			subject: "failure notice", from: "MAILER-DAEMON@qmail.example", text: []string{"(#5.1.1)"}, report: mailstore.ReportBounce},
		{name: "Exchange NDR without multipart/report", raw: head + "From: Microsoft Outlook <postmaster@corp.example>\nSubject: Undeliverable: Angebot\nContent-Type: multipart/mixed; boundary=\"x\"\n\n" +
			"--x\nContent-Type: text/plain; charset=\"us-ascii\"\n\nDelivery has failed to these recipients or groups:\nnobody@y.example\n" +
			"--x\nContent-Type: message/rfc822\n\nFrom: a@acme.example\nSubject: Angebot\n\nbody\n--x--\n",
			subject: "Undeliverable: Angebot", from: "Microsoft Outlook <postmaster@corp.example>", text: []string{"Delivery has failed"},
			files: map[string]string{"": ""}, report: mailstore.ReportBounce},
		{name: "a directory's Last, First unquoted", raw: head + "From: Müller, Jörg <j@corp.example>\nSubject: Termin\nContent-Type: text/plain; charset=utf-8\n\nMorgen?\n",
			subject: "Termin", from: "Müller, Jörg <j@corp.example>", text: []string{"Morgen?"}},
		{name: "a person's subject is no bounce", raw: head + "From: Frank <frank@x.example>\nSubject: Undeliverable packages at the dock\n\nThree of them.\n",
			subject: "Undeliverable packages at the dock", from: "Frank <frank@x.example>", text: []string{"Three of them."}},
		{name: "ISO-2022-JP encoded words split mid-character", raw: head + "From: =?ISO-2022-JP?B?" + base64.StdEncoding.EncodeToString([]byte(jis("山田"))) + "?= <yamada@jp.example>\n" +
			"Subject: =?ISO-2022-JP?B?" + base64.StdEncoding.EncodeToString([]byte(subject[:7])) + "?=\n =?ISO-2022-JP?B?" + base64.StdEncoding.EncodeToString([]byte(subject[7:])) + "?=\n" +
			"Content-Type: text/plain; charset=ISO-2022-JP\nContent-Transfer-Encoding: 7bit\n\n" + jis("よろしくお願いします。") + "\n",
			subject: "会議の議事録", from: "山田 <yamada@jp.example>", text: []string{"よろしくお願いします。"}},
		{name: "charset label quoted with blanks", raw: head + "From: x@y.example\nSubject: cs\nContent-Type: text/plain; charset=\" UTF-8 \"\nContent-Transfer-Encoding: 8bit\n\nGrüße\n",
			subject: "cs", from: "x@y.example", text: []string{"Grüße"}},
		{name: "charset label in single quotes", raw: head + "From: x@y.example\nSubject: cs\nContent-Type: text/plain; charset='iso-8859-1'\nContent-Transfer-Encoding: 8bit\n\n" + latin1("Grüße") + "\n",
			subject: "cs", from: "x@y.example", text: []string{"Grüße"}},
		{name: "8-bit UTF-8 header", raw: head + "From: Jürgen Groß <j@y.example>\nSubject: Größe und Gewicht\nContent-Type: text/plain; charset=utf-8\n\nbody\n",
			subject: "Größe und Gewicht", from: "Jürgen Groß <j@y.example>", text: []string{"body"}},
		{name: "8-bit latin1 header", raw: head + latin1("From: Jürgen Groß <j@y.example>\nSubject: Größe und Gewicht\n") + "Content-Type: text/plain; charset=iso-8859-1\n\nbody\n",
			subject: "Größe und Gewicht", from: "Jürgen Groß <j@y.example>", text: []string{"body"}},
		{name: "RFC 2231 names, both forms", raw: head + "From: x@y.example\nSubject: names\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nfiles\n" +
			"--b\nContent-Type: application/pdf; name=\"=?UTF-8?Q?=E2=82=AC_rates.pdf?=\"\nContent-Disposition: attachment; filename*=UTF-8''%E2%82%AC%20rates.pdf\nContent-Transfer-Encoding: base64\n\n" + b64("%PDF") +
			"--b\nContent-Type: application/octet-stream\nContent-Disposition: attachment;\n filename*0*=UTF-8''%E6%97%A5%E6%9C%AC%E8%AA%9E;\n filename*1*=%E3%81%AE%E3%83%95%E3%82%A1;\n filename*2=\"ile name.txt\"\nContent-Transfer-Encoding: base64\n\n" + b64("data") +
			"--b\nContent-Type: application/octet-stream; name*=iso-8859-1'de'Gr%FC%DFe.txt\nContent-Disposition: attachment\nContent-Transfer-Encoding: base64\n\n" + b64("more") + "--b--\n",
			subject: "names", from: "x@y.example", text: []string{"files"}, files: map[string]string{"€ rates.pdf": "%PDF", "日本語のファile name.txt": "data", "Grüße.txt": "more"}},
	}
	// Content-Transfer-Encodings as senders misspell them, on a text and
	// on an attachment.
	for _, cte := range []string{"base-64", "Base64; charset=utf-8", "\"base64\"", "BASE_64", "base64 (binary)"} {
		shapes = append(shapes, realWorldShape{name: "Content-Transfer-Encoding " + cte,
			raw: head + "From: x@y.example\nSubject: cte\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: " + cte + "\n\n" + b64(latin1("Grüße aus Köln")) +
				"--b\nContent-Type: application/pdf; name=a.pdf\nContent-Disposition: attachment; filename=a.pdf\nContent-Transfer-Encoding: " + cte + "\n\n" + b64("%PDF-1.4 hello") + "--b--\n",
			subject: "cte", from: "x@y.example", text: []string{"Grüße aus Köln"}, files: map[string]string{"a.pdf": "%PDF-1.4 hello"}})
	}
	for _, cte := range []string{"Quoted_Printable", "quoted-printable; x", "quotedprintable"} {
		shapes = append(shapes, realWorldShape{name: "Content-Transfer-Encoding " + cte,
			raw:     head + "From: x@y.example\nSubject: cte\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: " + cte + "\n\nGr=C3=BC=C3=9Fe aus K=C3=B6ln\n",
			subject: "cte", from: "x@y.example", text: []string{"Grüße aus Köln"}})
	}
	for i := range shapes {
		shapes[i].raw = strings.ReplaceAll(shapes[i].raw, "\n", nl)
	}
	return shapes
}

// TestRealWorldShapes: each shape real senders produce reads with its
// subject, sender, date and text, its attachments' names and saved bytes,
// the list's count equal to the viewer's, and its report kind (a bounce
// written as plain text by a mailer daemon is one; before, the
// misspelt transfer encodings showed their base64 and saved it, and
// the plain-text bounces had no [bounce]).
func TestRealWorldShapes(t *testing.T) {
	want := time.Date(2026, 11, 16, 9, 12, 33, 0, time.FixedZone("", 3600))
	for _, nl := range []string{"\r\n", "\n"} {
		for _, c := range realWorldShapes(nl) {
			raw := []byte(c.raw)
			v := Parse(raw)
			s := v.Summary
			if s.Subject != c.subject || s.From.String() != c.from || !s.Date.Equal(want) || s.Report != c.report {
				t.Errorf("%s: subject %q, from %q, date %v, report %q; want %q, %q, %v, %q", c.name, s.Subject, s.From.String(), s.Date, s.Report, c.subject, c.from, want, c.report)
			}
			for _, w := range c.text {
				if !strings.Contains(v.Text, w) {
					t.Errorf("%s: the text lacks %q:\n%s", c.name, w, v.Text)
				}
			}
			for _, w := range v.Warnings {
				if strings.Contains(w, "Content-Transfer-Encoding") || strings.Contains(w, "unknown charset") || strings.Contains(w, "cannot decode") {
					t.Errorf("%s: warning %q", c.name, w)
				}
			}
			att := v.Attachments()
			var names []string
			for _, p := range att {
				names = append(names, p.Filename)
				if content, ok := c.files[p.Filename]; ok && content != "" && !bytes.Equal(p.Bytes(), []byte(content)) {
					t.Errorf("%s: %q saves %q, want %q", c.name, p.Filename, p.Bytes(), content)
				}
			}
			var wantNames []string
			for name := range c.files {
				wantNames = append(wantNames, name)
			}
			slices.Sort(names)
			slices.Sort(wantNames)
			if !slices.Equal(names, wantNames) {
				t.Errorf("%s: attachments %q, want %q", c.name, names, wantNames)
			}
			if n, exact := CountAttachments(raw, int64(len(raw))); n != len(att) || !exact || s.Attachments != len(att) {
				t.Errorf("%s: the list counts %d (exact %v), the summary %d, the viewer lists %d", c.name, n, exact, s.Attachments, len(att))
			}
		}
	}
}
