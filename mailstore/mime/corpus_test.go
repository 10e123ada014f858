package mime

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore/testutil/cpubudget"
)

// corpusDir holds real messages from other mail libraries' test suites
// (see its README.md), stored byte-exact.
const corpusDir = "../../testdata/corpus"

// parseOnCPU parses raw as Parse does, but without Parse's wall-clock
// deadline on the message's own parse, and fails t if the parse took more
// of the process's CPU than that deadline: a test of what a real message
// says must not lose the message's parts to a loaded machine
// (TestCorpusEnvelope's torture message, 75 ms of CPU, 1.2 s under
// -race, was cut by the 10 s deadline under -race at load 39, its parts
// not read), while a parse that would miss the deadline on an idle
// machine is still caught.
func parseOnCPU(t *testing.T, raw []byte) *View {
	t.Helper()
	var v *View
	d := cpubudget.Used(func() {
		v = safeParse(raw)
		openNested(v, topNesting(len(raw)))
	})
	if d > ParseDeadline {
		t.Errorf("parsing took %v of CPU, more than Parse waits (%v)", d, ParseDeadline)
	}
	return v
}

func corpusFiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(corpusDir, "*.eml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus messages in %s: %v", corpusDir, err)
	}
	return files
}

// TestCorpusAll runs every corpus message through Summarize and Parse.
func TestCorpusAll(t *testing.T) {
	for _, f := range corpusFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			s := Summarize(raw)
			if s.Subject == "" && len(s.Warnings) == 0 {
				t.Error("no Subject and no warning")
			}
			v := Parse(raw)
			checkView(t, v)
			if v.Summary.Subject != s.Subject || v.Summary.From != s.From || !v.Summary.Date.Equal(s.Date) {
				t.Errorf("Parse and Summarize disagree: %q/%q, %v/%v, %v/%v",
					v.Summary.Subject, s.Subject, v.Summary.From, s.From, v.Summary.Date, s.Date)
			}
			if end := HeaderEnd(raw); end >= 0 {
				if h := Summarize(raw[:end]); h.Subject != s.Subject || h.From != s.From {
					t.Errorf("header block alone gives Subject %q From %v, whole message %q %v", h.Subject, h.From, s.Subject, s.From)
				}
			}
		})
	}
}

// TestCorpusDecoded checks what a few real messages say, decoded once by
// hand (with Python's codecs) to know the expected text.
func TestCorpusDecoded(t *testing.T) {
	tests := []struct {
		file        string
		subject     string
		fromName    string
		body        string   // a snippet of Body()
		attachments []string // attachment file names, in order
		warning     string
	}{
		{file: "mail-raw_email-euc-kr.eml", subject: "NOTE: 한국말로 하는 것", fromName: "Jamis Buck",
			body: "대부분의 마찬가지로, 우리는 하나님을 믿습니다.\n\n제 이름은 Jamis입니다."},
		{file: "mail-ks_c_5601-1987.eml", subject: "test", body: "스티해"},
		{file: "mail-japanese_iso_2022.eml", subject: "まみむめも", fromName: "Mikel Lindsaar", body: "すみません。"},
		{file: "mimekit-iso2022jp_subject_body.eml", subject: "日本語メールテスト (testing Japanese emails)",
			fromName: "Atsushi Eno", body: "日本語が\n正常に\n送れているか\nテスト."},
		{file: "mail-japanese_shift_jis.eml", subject: "test",
			body: "あいうえお\n\nこのメールはテスト用のメールです。\n\n今後ともよろしくお願い申し上げます！"},
		{file: "mimekit-tnef_winmail_koi8r.eml", subject: "rr test 7", fromName: "RR Tester 1",
			body: "шостий", attachments: []string{"winmail.dat"}},
		{file: "imaptools-windows1251_8bit_rfc822.eml", subject: "S19 IZM A7-342", fromName: "Каукин Владимир",
			body: "отдел расписания\nтел. (343) 072-00-00", attachments: []string{"Message01.eml"}},
		{file: "spamscope-gb2312_label_utf8_bytes.eml", subject: "代开各地增值税发票", fromName: "张先生",
			body: "你好！我公司可代开各类增值税发票", warning: "holds UTF-8"},
		{file: "flanker-bilingual_encoded_subject.eml", subject: "Simple text. How are you? Как ты поживаешь?",
			body: "А эта линия по-русски."},
		{file: "mail-rfc6532_utf8_headers.eml", subject: "Säying Hello", fromName: "Jöhn Doe", body: "body"},
		{file: "webklex-unknown_charset_encoded_words.eml", subject: "Submit your tax refund | Australian Taxation Office.",
			fromName: "myGov", warning: `unknown charset "X-IAS-German"`},
		{file: "mail-bad_encoded_subject.eml", subject: "TEST", body: "TEST", warning: `unknown charset "NONE"`},
		{file: "mime4j-koi8r_param_encoded_words.eml", subject: "A simple subject", attachments: []string{"Список.doc"}},
		{file: "mail-raw8bit_filename.eml", subject: "testing", body: "This is the first part.", attachments: []string{"ciële.txt"}},
		{file: "cpython-no_header_body_separator.eml", subject: "here's something interesting",
			body: "counter to RFC 5322, there's no separating newline here", warning: "not ended by a blank line"},
		{file: "mail-illegal_boundary.eml", subject: "Testing outlook", fromName: "Mikel Lindsaar", body: "This is an outlook test"},
		{file: "mimekit-smime_thunderbird_signed.eml", subject: "This is a test of signing with S/MIME",
			body: "signed by Thunderbird 24.1.0", attachments: []string{"signed.jpg", "smime.p7s"}},
		{file: "mail-x_uuencode_cte.eml", subject: "PGP Comments on RTO West Release of Dec. 14",
			attachments: []string{"PGP_Cmts_on_12-14-01_Pkg.doc"}, warning: "x-uuencode"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(corpusDir, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			v := parseOnCPU(t, raw)
			if v.Summary.Subject != tt.subject {
				t.Errorf("Subject = %q, want %q", v.Summary.Subject, tt.subject)
			}
			if tt.fromName != "" && v.Summary.From.Name != tt.fromName {
				t.Errorf("From name = %q, want %q", v.Summary.From.Name, tt.fromName)
			}
			if !strings.Contains(v.Body(), tt.body) {
				t.Errorf("Body lacks %q:\n%s", tt.body, v.Body())
			}
			var names []string
			for _, p := range v.Attachments() {
				names = append(names, p.Filename)
			}
			if strings.Join(names, "|") != strings.Join(tt.attachments, "|") {
				t.Errorf("attachments = %q, want %q", names, tt.attachments)
			}
			if tt.warning != "" && !containsWarning(v.Warnings, tt.warning) {
				t.Errorf("warnings %q lack %q", v.Warnings, tt.warning)
			}
		})
	}
}

// TestCorpusEnvelope checks fields beyond the subject on messages that
// carry them.
func TestCorpusEnvelope(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(corpusDir, "spamscope-gb2312_label_utf8_bytes.eml"))
	if err != nil {
		t.Fatal(err)
	}
	s := Summarize(raw)
	// Postfix's "for <danglüe@email.com>" is not an SES envelope: the
	// message was not stored by SES.
	if len(s.Recipients) != 0 {
		t.Errorf("Recipients = %q, want none (no SES receipt block)", s.Recipients)
	}
	// The same hop written by SES: its "for" is raw UTF-8 (RFC 6532).
	ses := append([]byte("Received: from hotmail.com (unknown [96.202.181.20])\r\n"+
		"\tby inbound-smtp.us-east-1.amazonaws.com with SMTP id 6EF7F2E0BAB\r\n"+
		"\tfor <danglüe@email.com>; Sun, 13 May 2018 04:32:23 +0000 (UTC)\r\n"), raw...)
	if r := Summarize(ses).Recipients; len(r) != 1 || r[0] != "danglüe@email.com" {
		t.Errorf("Recipients = %q", r)
	}
	if len(s.To) != 1 || s.To[0].Address != "danglüe@email.com" {
		t.Errorf("To = %+v", s.To)
	}
	if got := s.Date.UTC().Format("2006-01-02 15:04:05"); got != "2018-05-13 04:32:22" {
		t.Errorf("Date = %s", got)
	}

	raw, err = os.ReadFile(filepath.Join(corpusDir, "flanker-mime_torture.eml"))
	if err != nil {
		t.Fatal(err)
	}
	v := parseOnCPU(t, raw)
	if v.Summary.Subject != "Multi-media mail demonstration" || v.Summary.From.Address != "mrc@CAC.Washington.EDU" {
		t.Errorf("torture test: Subject %q From %v", v.Summary.Subject, v.Summary.From)
	}
	// Crispin's message nests audio, images and nine encapsulated messages
	// under one short text part.
	if len(v.Parts) < 10 {
		t.Fatalf("torture test parts: %d, want 10 or more (warnings %q)", len(v.Parts), v.Warnings)
	}
	if v.Parts[0].ContentType != "text/plain" || v.Parts[0].IsAttachment {
		t.Errorf("torture test parts: %d, first %+v", len(v.Parts), v.Parts[0])
	}
}
