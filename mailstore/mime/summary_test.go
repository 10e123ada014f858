package mime

import (
	"iter"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
)

// sesHeader is shaped like what SES stores: its receipt block first (its
// own Received with the envelope recipient, its verdict and authentication
// fields, a huge folded X-SES-RECEIPT, its signature), then the sender's
// fields, upstream relays' Received and Authentication-Results included.
func sesHeader(t *testing.T) string {
	t.Helper()
	lines := []string{
		"Return-Path: <bounce@sender.example>",
		"Received: from mail-wr1-f54.google.com (mail-wr1-f54.google.com [209.85.221.54])",
		" by inbound-smtp.us-east-1.amazonaws.com with SMTP id 8ufj2ei3b1u5v1m0f9s6ovq5b3onh2o4r2s8cg81",
		" for info@example.com;",
		" Tue, 12 Mar 2024 10:15:02 +0000 (UTC)",
		"X-SES-Spam-Verdict: PASS",
		"x-ses-virus-verdict: fail",
		"Received-SPF: pass (spfCheck: domain of sender.example designates 209.85.221.54 as permitted sender) client-ip=209.85.221.54;",
		"Authentication-Results: amazonses.com;",
		" spf=pass (spfCheck: domain of sender.example designates 209.85.221.54 as permitted sender) client-ip=209.85.221.54; envelope-from=bounce@sender.example; helo=mail-wr1-f54.google.com;",
		" dkim=pass header.i=@sender.example;",
		" dmarc=none header.from=sender.example;",
		"X-SES-RECEIPT: AEFBQUFBQUFBQUFGOTlKNmZ4ZTJVa1B",
	}
	for range 60 {
		lines = append(lines, " "+strings.Repeat("QUFBQUFB", 9))
	}
	lines = append(lines,
		"X-SES-DKIM-SIGNATURE: a=rsa-sha256; q=dns/txt; b=abc; c=relaxed/simple; s=224i4yxa5dv7c2xz3womw6peuasteono; d=amazonses.com; t=1710238502; v=1; bh=xyz; h=From:To:Cc:Bcc:Subject:Date:Message-ID:MIME-Version:Content-Type:X-SES-RECEIPT;",
		"Received: from relay.sender.example by mail-wr1-f54.google.com with ESMTPS id x",
		"\tfor <Sales@Example.com>; Tue, 12 Mar 2024 10:15:01 +0000",
		"Received: from relay2.sender.example by relay.sender.example",
		"\tfor <info@example.com>; Tue, 12 Mar 2024 10:15:00 +0000",
		"Received: from localhost by relay2 for multiple recipients; Tue, 12 Mar 2024 10:14:59 +0000",
		"Authentication-Results: mx.other.example; spf=fail; dkim=fail; dmarc=fail",
		"From: =?UTF-8?B?5bGx55Sw5aSq6YOO?= <taro@sender.example>",
		"To: \"Info Desk\" <info@example.com>, Sales <sales@example.com>",
		"Cc: =?iso-8859-1?q?J=F6rg?= <joerg@example.org>",
		"Reply-To: replies@sender.example",
		"Subject: =?UTF-8?Q?Quarterly_report_=E2=80=93_Q1?=",
		"Date: Tue, 12 Mar 2024 11:14:58 +0100",
		"Message-ID: <CAF=abc123@mail.gmail.com>",
		"In-Reply-To: <prev-1@example.com>",
		"References: <root-0@example.com>",
		" <prev-1@example.com>",
		"MIME-Version: 1.0",
		"Content-Type: multipart/mixed; boundary=\"000000000000b1\"",
		"", "")
	return strings.Join(lines, "\r\n")
}

func TestSummarizeSES(t *testing.T) {
	s := Summarize([]byte(sesHeader(t) + "--000000000000b1\r\n"))
	want := mailstore.Summary{
		Kind:    mailstore.KindMail,
		Date:    time.Date(2024, 3, 12, 10, 14, 58, 0, time.UTC),
		From:    mailstore.Address{Name: "山田太郎", Address: "taro@sender.example"},
		To:      []mailstore.Address{{Name: "Info Desk", Address: "info@example.com"}, {Name: "Sales", Address: "sales@example.com"}},
		Cc:      []mailstore.Address{{Name: "Jörg", Address: "joerg@example.org"}},
		ReplyTo: []mailstore.Address{{Address: "replies@sender.example"}},
		// Only SES's own hop counts: the relays' "for" clauses name the
		// envelope at their hop, which may hold addresses SES never got.
		Recipients: []string{"info@example.com"},
		Subject:    "Quarterly report – Q1",
		MessageID:  "CAF=abc123@mail.gmail.com",
		InReplyTo:  "prev-1@example.com",
		References: []string{"root-0@example.com", "prev-1@example.com"},
		// No guess from multipart/mixed: attachments are counted from
		// the body (CountAttachments).
		Verdicts: mailstore.Verdicts{Spam: "PASS", Virus: "FAIL", SPF: "PASS", DKIM: "PASS", DMARC: "NONE"},
	}
	if !s.Date.Equal(want.Date) {
		t.Errorf("Date = %v, want %v", s.Date, want.Date)
	}
	s.Date = want.Date
	if !reflect.DeepEqual(s, want) {
		t.Errorf("Summarize:\n got %+v\nwant %+v", s, want)
	}
}

// TestSummarizeHeaderOnly checks the S3 path: only the bytes up to
// HeaderEnd are summarized, and give the same result as the whole message.
func TestSummarizeHeaderOnly(t *testing.T) {
	msg := []byte(sesHeader(t) + "--000000000000b1\r\nContent-Type: text/plain\r\n\r\nhi\r\n--000000000000b1--\r\n")
	end := HeaderEnd(msg)
	if end < 0 {
		t.Fatal("HeaderEnd found no header block")
	}
	whole, head := Summarize(msg), Summarize(msg[:end])
	if !reflect.DeepEqual(whole, head) {
		t.Errorf("header block and whole message summarize differently:\n%+v\n%+v", head, whole)
	}
}

func TestSummarizeVerdictSources(t *testing.T) {
	const hop = "Received: from a by inbound-smtp.us-east-1.amazonaws.com with SMTP id q for info@example.com; Tue, 12 Mar 2024 10:15:02 +0000\r\n"
	tests := []struct {
		name   string
		header string
		want   mailstore.Verdicts
	}{
		{
			"received-spf only",
			hop + "Received-SPF: softfail (domain of x does not designate y) client-ip=1.2.3.4\r\n",
			mailstore.Verdicts{SPF: "SOFTFAIL"},
		},
		{
			"amazonses results win over Received-SPF",
			hop + "Received-SPF: fail\r\nAuthentication-Results: AmazonSES.com; spf=pass; dkim=temperror; dmarc=fail header.from=x\r\n",
			mailstore.Verdicts{SPF: "PASS", DKIM: "TEMPERROR", DMARC: "FAIL"},
		},
		{
			"verdicts upper-cased, comments ignored",
			hop + "X-SES-Spam-Verdict: gray\r\nX-SES-Virus-Verdict: (scanned) processing_failed\r\n",
			mailstore.Verdicts{Spam: "GRAY", Virus: "PROCESSING_FAILED"},
		},
		// Only SES's block speaks for SES: none of these are in one.
		{
			"no SES hop: received-spf ignored",
			"Received-SPF: softfail (domain of x does not designate y) client-ip=1.2.3.4\r\n",
			mailstore.Verdicts{},
		},
		{
			"another server's results are not SES's",
			hop + "Authentication-Results: mx.example.net; dkim=pass header.d=x; spf=neutral; dmarc=pass\r\n",
			mailstore.Verdicts{},
		},
		{
			"verdict above SES's hop",
			"X-SES-Spam-Verdict: PASS\r\n" + hop,
			mailstore.Verdicts{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Summarize([]byte(tt.header + "Subject: x\r\n\r\n"))
			if s.Verdicts != tt.want {
				t.Errorf("Verdicts = %+v, want %+v", s.Verdicts, tt.want)
			}
		})
	}
}

func TestSummarizeKinds(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want mailstore.Kind
	}{
		{"mail", "From: a@example.com\r\nSubject: hi\r\n\r\n", mailstore.KindMail},
		{"setup notification", "From: no-reply-aws@amazon.com\nSubject: Amazon SES Setup Notification\n\nThis is a notification", mailstore.KindSetupNotification},
		{"foreign: not a header", "PK\x03\x04\x14\x00binary zip data\n", mailstore.KindForeign},
		{"foreign: empty", "", mailstore.KindForeign},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Summarize([]byte(tt.in))
			if s.Kind != tt.want {
				t.Errorf("Kind = %v, want %v", s.Kind, tt.want)
			}
			if tt.want == mailstore.KindForeign && len(s.Warnings) == 0 {
				t.Error("a foreign object gave no warning")
			}
		})
	}
}

func TestSummarizeCaseInsensitiveNames(t *testing.T) {
	s := Summarize([]byte("SUBJECT: loud\nfrom: quiet@example.com\nmessage-id: <a@b>\n\n"))
	if s.Subject != "loud" || s.From.Address != "quiet@example.com" || s.MessageID != "a@b" {
		t.Errorf("got Subject %q From %q MessageID %q", s.Subject, s.From.Address, s.MessageID)
	}
}

func TestSummarizeDateWarnings(t *testing.T) {
	tests := []struct {
		name, header, warning string
	}{
		{"missing", "Subject: x\n\n", "no Date header"},
		{"unparsable", "Subject: x\nDate: next Tuesday-ish\n\n", "cannot parse Date"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Summarize([]byte(tt.header))
			if !s.Date.IsZero() {
				t.Errorf("Date = %v, want zero for the caller to replace", s.Date)
			}
			if !containsWarning(s.Warnings, tt.warning) {
				t.Errorf("warnings %q lack %q", s.Warnings, tt.warning)
			}
		})
	}
}

func containsWarning(ws []string, sub string) bool {
	for _, w := range ws {
		if strings.Contains(w, sub) {
			return true
		}
	}
	return false
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		want string // RFC 3339
	}{
		{"Tue, 12 Mar 2024 10:15:02 +0000", "2024-03-12T10:15:02Z"},
		{"Wed, 28 May 2014 17:18:19 +0900 (JST)", "2014-05-28T17:18:19+09:00"},
		{"27 Feb 2017 04:51:29 +0100", "2017-02-27T04:51:29+01:00"},
		{"Mon, 2 May 2005 16:07:05 -0600", "2005-05-02T16:07:05-06:00"},
		{"Thu,  7 Feb 2019 13:18:20 +0500", "2019-02-07T13:18:20+05:00"},
		{"Fri, 13 Jul 2012 10:06:49 EDT", "2012-07-13T10:06:49-04:00"},
		{"Fri, 13 Jul 2012 10:06:49 -0700 PDT", "2012-07-13T10:06:49-07:00"},
		{"Fri, 13 Jul 2012 10:06 GMT", "2012-07-13T10:06:00Z"},
		{"Friday, 13 July 2012 10:06:49 +0200", "2012-07-13T10:06:49+02:00"},
		{"13 Jul 12 10:06:49 +0200", "2012-07-13T10:06:49+02:00"},
		{"Fri, 13 Jul 2012 10:06:49 GMT+2", "2012-07-13T10:06:49+02:00"},
		{"Fri, 13 Jul 2012 10:06:49 +02:00", "2012-07-13T10:06:49+02:00"},
		{"Fri, 13 Jul 2012 10:06:49", "2012-07-13T10:06:49Z"},
		{"Fri Jul 13 10:06:49 2012", "2012-07-13T10:06:49Z"},
		{"Jul 13, 2012 10:06:49 AM +0000", "2012-07-13T10:06:49Z"},
		{"2012-07-13T10:06:49+02:00", "2012-07-13T10:06:49+02:00"},
		{"2012-07-13 10:06:49", "2012-07-13T10:06:49Z"},
		{"13-Jul-2012 10:06:49 +0000", "2012-07-13T10:06:49Z"},
		{"Sat, 6 Feb 1993 02:53:47 -0800 (PST)", "1993-02-06T02:53:47-08:00"},
		// Day names in the sender's language, and an offset written on
		// to the time (MIME-tools' viraldoc.msg, from a Portuguese mailer).
		{"qui, 14 Nov 2002 11:36:12+0000", "2002-11-14T11:36:12Z"},
		{"Mi., 3 Jun 2020 08:00:00 +0200", "2020-06-03T08:00:00+02:00"},
		{"Пн, 1 Mar 2021 09:30:00 +0300", "2021-03-01T09:30:00+03:00"},
		{"Nov 14, 2002 11:36:12 +0000", "2002-11-14T11:36:12Z"},
		{"Fri, 13 Jul 2012 10:06-0700", "2012-07-13T10:06:00-07:00"},
		// Localized mailers' months and zones (mime12): each was no date
		// at all, listed by the stored time, or read wrong.
		{"Mo, 7 Dez 2026 10:11:12 +0100", "2026-12-07T10:11:12+01:00"},
		{"Mi, 3 Mär 2026 10:11:12 MEZ", "2026-03-03T10:11:12+01:00"},
		{"7. Dezember 2026 10:11:12 MESZ", "2026-12-07T10:11:12+02:00"},
		{"Mon Dec  7 10:11:12 MEZ 2026", "2026-12-07T10:11:12+01:00"}, // was read as UTC
		{"lun., 7 déc. 2026 10:11:12 +0100", "2026-12-07T10:11:12+01:00"},
		{"7 févr. 2026 10:11:12 +0100", "2026-02-07T10:11:12+01:00"},
		{"sáb, 7 ene 2026 10:11:12 +0100", "2026-01-07T10:11:12+01:00"},
		{"mar, 7 dic 2026 10:11:12 +0100", "2026-12-07T10:11:12+01:00"}, // martes: was March 7
		{"mar., 3 mars 2026 10:11:12 +0100", "2026-03-03T10:11:12+01:00"},
		{"7 ott 2026 10:11:12 +0200", "2026-10-07T10:11:12+02:00"},
		{"7 maart 2026 10:11:12 +0100", "2026-03-07T10:11:12+01:00"},
		{"qua, 7 out 2026 10:11:12 -0300", "2026-10-07T10:11:12-03:00"},
		{"Mon, 7 Dec 2026 10:11:12 +01", "2026-12-07T10:11:12+01:00"}, // was read as UTC
		{"07.12.2026 10:11:12 +0100", "2026-12-07T10:11:12+01:00"},
		{"7.12.2026 10:11", "2026-12-07T10:11:00Z"},
		{"Wednesday, April 03, 2002 5:56 AM", "2002-04-03T05:56:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseDate(tt.in)
			if err != nil {
				t.Fatalf("parseDate: %v", err)
			}
			want, _ := time.Parse(time.RFC3339, tt.want)
			if !got.Equal(want) {
				t.Errorf("parseDate = %v, want %v", got, want)
			}
		})
	}
	for _, bad := range []string{"", "Malformed Date.", "yesterday", "99 Foo 2012 10:00:00",
		// Ambiguous: day or month first? Listed by the stored time.
		"12/07/2026 10:11:12",
		// tm_year printed as the year (2001 as 101).
		"Mon,  2 Apr 101 04:20:10 CST"} {
		if got, err := parseDate(bad); err == nil {
			t.Errorf("parseDate(%q) = %v, want an error", bad, got)
		}
	}
}

// TestParseDateLongValueIsCheap: a Date value far past any real one is
// refused before the per-token work (which allocated about 165 bytes per
// byte of it), and a real date with a comment up to the line limit is
// still read.
func TestParseDateLongValueIsCheap(t *testing.T) {
	long := strings.Repeat("1 ", 50_000)
	if allocs := testing.AllocsPerRun(5, func() { parseDate(long) }); allocs > 2 {
		t.Errorf("parseDate on a %d-byte value: %v allocations", len(long), allocs)
	}
	if _, err := parseDate(long); err == nil {
		t.Error("parseDate read a 100 KB value as a date")
	}
	commented := "Tue, 12 Mar 2024 10:15:02 +0000 (" + strings.Repeat("x", 900) + ")"
	if got, err := parseDate(commented); err != nil || got.Year() != 2024 {
		t.Errorf("parseDate(commented) = %v, %v", got, err)
	}
}

func TestSummarizeAddresses(t *testing.T) {
	sjis := string(encode(t, japanese.ShiftJIS, "営業部"))
	euckr := string(encode(t, korean.EUCKR, "김철수"))
	tests := []struct {
		name    string
		field   string
		want    []mailstore.Address
		warning string
	}{
		{"plain", "a@example.com", []mailstore.Address{{Address: "a@example.com"}}, ""},
		{"quoted encoded name", `"` + bWord("Shift_JIS", []byte(sjis)) + `" <sales@example.jp>`,
			[]mailstore.Address{{Name: "営業部", Address: "sales@example.jp"}}, ""},
		{"euc-kr name", bWord("euc-kr", []byte(euckr)) + " <kim@example.kr>",
			[]mailstore.Address{{Name: "김철수", Address: "kim@example.kr"}}, ""},
		{"unknown charset name, no space before <", "=?X-IAS-German?B?bXlHb3Y=?=<info@bla.bla>",
			[]mailstore.Address{{Name: "myGov", Address: "info@bla.bla"}}, "unknown charset"},
		{"comma in encoded name does not split", "=?utf-8?q?Smith=2C_John?= <js@example.com>, b@example.com",
			[]mailstore.Address{{Name: "Smith, John", Address: "js@example.com"}, {Address: "b@example.com"}}, ""},
		{"missing comma repaired", "a@example.com b@example.com",
			[]mailstore.Address{{Address: "a@example.com"}, {Address: "b@example.com"}}, ""},
		{"rfc 6532 utf-8", `"Jöhn Doe" <jdöe@mächine.example>`,
			[]mailstore.Address{{Name: "Jöhn Doe", Address: "jdöe@mächine.example"}}, ""},
		{"unparsable kept as name", "Undisclosed <<broken>>",
			[]mailstore.Address{{Name: "Undisclosed <<broken>>"}}, "cannot parse From address"},
		{"unquoted comma in a name", "Müller, Jörg <j@corp.example>, Ann <a@x.example>",
			[]mailstore.Address{{Name: "Müller, Jörg", Address: "j@corp.example"}, {Name: "Ann", Address: "a@x.example"}}, "unquoted comma"},
		{"unparsable with one address", "Bob [Sales] <bob@example.com>",
			[]mailstore.Address{{Name: "Bob [Sales]", Address: "bob@example.com"}}, "cannot parse From address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Summarize([]byte("From: " + tt.field + "\r\nTo: " + tt.field +
				"\r\nSubject: s\r\nDate: 1 Jan 2024 00:00:00 +0000\r\n\r\n"))
			if !reflect.DeepEqual(s.To, tt.want) {
				t.Errorf("To = %+v, want %+v", s.To, tt.want)
			}
			if s.From != tt.want[0] {
				t.Errorf("From = %+v, want %+v", s.From, tt.want[0])
			}
			if tt.warning != "" && !containsWarning(s.Warnings, tt.warning) {
				t.Errorf("warnings %q lack %q", s.Warnings, tt.warning)
			}
			warnings := s.Warnings
			if len(tt.want) > 1 {
				// The field is also the From: its other addresses are named.
				if !containsWarning(warnings, "From holds") {
					t.Errorf("warnings %q lack the From's addresses", warnings)
				}
				warnings = slices.DeleteFunc(slices.Clone(warnings), func(w string) bool { return strings.HasPrefix(w, "From holds") })
			}
			if tt.warning == "" && len(warnings) > 0 {
				t.Errorf("unexpected warnings %q", warnings)
			}
		})
	}
}

func TestSummarizeRawLegacyHeader(t *testing.T) {
	// Old mailers put raw 8-bit text in the body's charset into headers.
	subj := string(encode(t, korean.EUCKR, "회의 일정"))
	s := Summarize([]byte("Subject: " + subj + "\r\nContent-Type: text/plain; charset=ks_c_5601-1987\r\n\r\n"))
	if s.Subject != "회의 일정" {
		t.Errorf("Subject = %q, want it read in the body's charset", s.Subject)
	}
}

func TestSummarizeNoBlankLine(t *testing.T) {
	s := Summarize([]byte("From: a@example.com\nSubject: cut short"))
	if s.Subject != "cut short" || s.From.Address != "a@example.com" {
		t.Errorf("header with no blank line: Subject %q From %+v", s.Subject, s.From)
	}
}

func TestEnvelopeRecipientsOnlyFromSESHop(t *testing.T) {
	for _, tc := range []struct {
		received []string
		want     string
	}{
		// Not stored by SES: a relay's "for" is not an SES envelope.
		{[]string{"from a by mx.example.org with ESMTP id 1 for <x@example.org>; Mon, 1 Jan 2026", "from b by a for <y@example.net>;"}, ""},
		{[]string{"from a by inbound-smtp.eu-west-1.amazonaws.com with SMTP id q for p@example.eu;", "from b by a for <other@example.net>;"}, "p@example.eu"},
		{[]string{"from a by inbound-smtp.eu-west-1.amazonaws.com with SMTP id q for P@example.eu for <p@Example.eu>;"}, "P@example.eu"},
		{[]string{"from a by b"}, ""},
	} {
		var h strings.Builder
		for _, r := range tc.received {
			h.WriteString("Received: " + r + "\r\n")
		}
		h.WriteString("Subject: x\r\n\r\n")
		if got := strings.Join(Summarize([]byte(h.String())).Recipients, ","); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.received, got, tc.want)
		}
	}
}

// TestSummarizeMessageIDsInComments: RFC 5322 allows comments between the
// ids of Message-ID, In-Reply-To and References; an id inside a comment
// is text, not a message the reply threads to (In-Reply-To is the
// message's own id, not one its sender wrote in a comment).
func TestSummarizeMessageIDsInComments(t *testing.T) {
	s := Summarize([]byte("From: a@example.com\r\n" +
		"Message-ID: (was <fake@example.net>) <real@example.com>\r\n" +
		"In-Reply-To: (see <c1@example.net>) <parent@example.com> (and <c2@example.net>)\r\n" +
		"References: <root@example.com> (Thread: <c3@example.net>)\r\n" +
		" <parent@example.com> (a \"(quoted\" <c4@example.net>\\) <c5@example.net>)\r\n" +
		"Subject: s\r\n\r\nbody\r\n"))
	if s.MessageID != "real@example.com" || s.InReplyTo != "parent@example.com" ||
		!reflect.DeepEqual(s.References, []string{"root@example.com", "parent@example.com"}) {
		t.Errorf("MessageID %q, InReplyTo %q, References %q; want real@, parent@, [root@ parent@]", s.MessageID, s.InReplyTo, s.References)
	}
}

// TestSummarizeSeveralFromAddresses: a From of more than one address (two
// From fields, a list, or "ceo@bank.example <evil@x.example>", which
// enmime's repair splits in two) is shown by its first alone, so the
// others are named in a warning: the sender shown is not the whole truth.
func TestSummarizeSeveralFromAddresses(t *testing.T) {
	for _, header := range []string{
		"From: ceo@bank.example <evil@x.example>\r\n",
		"From: CEO <ceo@bank.example>, evil@x.example\r\n",
		"From: CEO <ceo@bank.example>\r\nFrom: evil@x.example\r\n",
	} {
		s := Summarize([]byte(header + "To: a@b.example\r\nSubject: s\r\n\r\nbody\r\n"))
		if !slices.ContainsFunc(s.Warnings, func(w string) bool {
			return strings.Contains(w, "From holds 2 addresses") && strings.Contains(w, "evil@x.example") && !IsNote(w)
		}) {
			t.Errorf("%q: warnings %q", header, s.Warnings)
		}
	}
	s := Summarize([]byte("From: CEO <ceo@bank.example>\r\nTo: a@b.example, c@d.example\r\n\r\nbody\r\n"))
	for _, w := range s.Warnings {
		if strings.Contains(w, "addresses") {
			t.Errorf("one From: warning %q", w)
		}
	}
}

// TestAddressItemsPassOverRunsAgrees: addressItems, which passes over
// runs of bytes that change no state, splits every list as the loop that
// looked at each byte did (addressItemsEachByte, kept here as the
// oracle): 20,000 generated lists of quotes, escapes, comments, angle
// brackets and commas in any order, nested or left open, and each of
// their prefixes' listPrefix at every limit.
func TestAddressItemsPassOverRunsAgrees(t *testing.T) {
	pieces := []string{`"`, `\`, `(`, `)`, `<`, `>`, `,`, ` `, "\t", "a", "bob@x.example", "é", `\"`, `\,`, ",,", " , "}
	r := rand.New(rand.NewPCG(13, 0))
	for n := range 20_000 {
		var b strings.Builder
		for range r.IntN(24) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		s := b.String()
		type item struct {
			end  int
			text string
		}
		var got, want []item
		for end, text := range addressItems(s) {
			got = append(got, item{end, text})
		}
		for end, text := range addressItemsEachByte(s) {
			want = append(want, item{end, text})
		}
		if !slices.Equal(got, want) {
			t.Fatalf("list %d %q: items %v, want %v", n, s, got, want)
		}
		limit := r.IntN(len(s) + 2)
		prefix, rest := listPrefix(s, limit)
		wantPrefix, wantRest := s, 0
		for i, it := range want {
			if it.end > limit {
				wantPrefix, wantRest = s[:it.end], len(want)-i-1
				break
			}
		}
		if limit <= 0 {
			wantPrefix, wantRest = "", len(want)
		}
		if prefix != wantPrefix || rest != wantRest {
			t.Fatalf("listPrefix(%q, %d) = %q, %d; want %q, %d", s, limit, prefix, rest, wantPrefix, wantRest)
		}
	}
}

// addressItemsEachByte is addressItems as it was, every byte through the
// switch: the oracle of TestAddressItemsPassOverRunsAgrees.
func addressItemsEachByte(s string) iter.Seq2[int, string] {
	return func(yield func(int, string) bool) {
		depthParen, inAngle, inQuote := 0, false, false
		start := 0
		for i := 0; i < len(s); i++ {
			switch c := s[i]; {
			case inQuote && c == '\\':
				i++
			case c == '"' && depthParen == 0:
				inQuote = !inQuote
			case inQuote:
			case c == '(':
				depthParen++
			case c == ')' && depthParen > 0:
				depthParen--
			case c == '<':
				inAngle = true
			case c == '>':
				inAngle = false
			case c == ',' && depthParen == 0 && !inAngle:
				if item := strings.TrimSpace(s[start:i]); item != "" && !yield(i, item) {
					return
				}
				start = i + 1
			}
		}
		if item := strings.TrimSpace(s[start:]); item != "" {
			yield(len(s), item)
		}
	}
}
