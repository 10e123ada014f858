package compose

import (
	"bytes"
	"flag"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore/mime"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// fixedDate and seed make built messages byte-for-byte stable.
var fixedDate = time.Date(2026, 11, 6, 9, 30, 0, 0, time.FixedZone("", 9*3600))

const seed = 20261106

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// original is a stored message and its parse.
type original struct {
	raw  []byte
	view *mime.View
}

func readOriginal(t *testing.T, name string) original {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return original{raw, mime.Parse(raw)}
}

var acme = Identity{Domains: []string{"acme-demo.example"}}

// buildReply runs the whole path the CLI runs: identity, plan, the user's
// text above the quote, Build with a pinned date and seed.
func buildReply(t *testing.T, o original, all bool, text string, atts ...Attachment) (Reply, Built) {
	t.Helper()
	from, err := acme.ChooseFrom("", o.view.Summary)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewReply(o.raw, o.view, Options{All: all, From: from})
	if err != nil {
		t.Fatal(err)
	}
	s := int64(seed)
	b, err := Build(Message{
		From: r.From, To: r.To, Cc: r.Cc, Subject: r.Subject, Threading: r.Threading,
		Body: text + "\n\n" + r.Quote, Attachments: atts,
	}, BuildOptions{Date: fixedDate, Seed: &s})
	if err != nil {
		t.Fatal(err)
	}
	checkWellFormed(t, b.Raw)
	return r, b
}

// checkWellFormed asserts what every built message must be: CRLF only,
// lines within RFC 5322's limit, a header net/mail reads, a body enmime
// reads back.
func checkWellFormed(t *testing.T, raw []byte) {
	t.Helper()
	for i, line := range bytes.Split(raw, []byte("\r\n")) {
		if bytes.ContainsAny(line, "\r\n") {
			t.Fatalf("line %d holds a bare CR or LF: %q", i+1, line)
		}
		if len(line) > 998 {
			t.Fatalf("line %d is %d bytes long", i+1, len(line))
		}
		for _, c := range line {
			if c >= 0x80 {
				t.Fatalf("line %d holds 8-bit data: %q", i+1, line)
			}
		}
	}
	if _, err := mail.ReadMessage(bytes.NewReader(raw)); err != nil {
		t.Fatalf("net/mail cannot read the reply: %v", err)
	}
}

func TestReplyGoldens(t *testing.T) {
	for _, tc := range []struct {
		name, original string
		all            bool
		text           string
		atts           []Attachment
		to, cc         []string
		subject        string
		inReplyTo      string
	}{
		{name: "ascii", original: "ascii.eml", text: "Hi Dana,\n\nSorry about that: the credit note for 4 units is attached.\n\nMarcus",
			to: []string{"dana.whitfield@northwind.example"}, subject: "Re: Invoice 4471 lists the wrong quantity",
			inReplyTo: "CAF=dana.4471.3@mail.northwind.example"},
		{name: "korean", original: "korean.eml", text: "이서연 과장님께,\n\n견적서를 첨부합니다. 감사합니다.",
			to: []string{"seoyeon.lee@daehan-logis.example"}, subject: "Re: [견적 요청] WX-200 컨트롤러 500대 납품 건",
			inReplyTo: "SL2P216MB1203E4C1A9F0B2D3E4F5A6B7C8D9E0F1@SL2P216MB1203.KORP216.PROD.OUTLOOK.example"},
		{name: "japanese", original: "japanese.eml", text: "佐藤様\n\nお問い合わせありがとうございます。",
			to: []string{"ken.sato@sakura-denki.example"}},
		{name: "japanese-sjis", original: "japanese-sjis.eml", text: "山田様\n\nご応募ありがとうございます。",
			to: []string{"hanako.yamada@freemail.example"}},
		{name: "html-only", original: "html-only.eml", text: "Hi Priya, we are looking into it.",
			to: []string{"priya.raman@northwind.example"}, subject: "Re: Portal login loops back to the start page"},
		{name: "reply-all", original: "reply-all.eml", all: true, text: "Hi Ben, the refund left today.",
			to:      []string{"ben.okafor@student.example.edu", "finance@student.example.edu"},
			cc:      []string{"Nina.Patel@acme-demo.example", "tomas.ortega@globex.example", "priya.raman@northwind.example"},
			subject: "Re: Refund for order 99812"},
		{name: "reply-not-all", original: "reply-all.eml", text: "Hi Ben.",
			to: []string{"ben.okafor@student.example.edu", "finance@student.example.edu"}},
		{name: "long-refs", original: "long-refs.eml", text: "The dates are in the attached schedule.",
			to: []string{"dana.whitfield@northwind.example"}, subject: "Re: Quarterly shipping schedule",
			inReplyTo: "thread-41.long@northwind.example"},
		{name: "attachments", original: "ascii.eml", text: "Credit note attached.",
			atts: []Attachment{
				{Name: "credit-note-4471.pdf", Data: []byte("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n")},
				{Name: "../../메모 notes.txt", Data: []byte("line one\nline two\n")},
			},
			to: []string{"dana.whitfield@northwind.example"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, b := buildReply(t, readOriginal(t, tc.original), tc.all, tc.text, tc.atts...)
			golden(t, tc.name, b.Raw)
			if len(r.Warnings) > 0 {
				t.Errorf("warnings: %v", r.Warnings)
			}
			want := append(append([]string{}, tc.to...), tc.cc...)
			if strings.Join(b.Destinations, ",") != strings.Join(want, ",") {
				t.Errorf("destinations %v, want %v", b.Destinations, want)
			}
			if tc.subject != "" && r.Subject != tc.subject {
				t.Errorf("subject %q, want %q", r.Subject, tc.subject)
			}
			if tc.inReplyTo != "" && r.InReplyTo != tc.inReplyTo {
				t.Errorf("In-Reply-To %q, want %q", r.InReplyTo, tc.inReplyTo)
			}
			// Read it back the way a recipient's client would.
			back := mime.Parse(b.Raw)
			if back.Summary.Subject != r.Subject {
				t.Errorf("subject reads back as %q, want %q", back.Summary.Subject, r.Subject)
			}
			if !strings.Contains(back.Text, tc.text) {
				t.Errorf("the text reads back as %q", back.Text)
			}
			if back.Summary.InReplyTo != r.InReplyTo || strings.Join(back.Summary.References, " ") != strings.Join(r.References, " ") {
				t.Errorf("threading reads back as %q %q, want %q %q", back.Summary.InReplyTo, back.Summary.References, r.InReplyTo, r.References)
			}
			for _, w := range back.Warnings {
				// enmime guesses a charset from content and disagrees with
				// the declared UTF-8 when there is only one é in the text;
				// that is a reader's heuristic, not a fault of the message.
				if !strings.Contains(w, "Character Set Declaration Mismatch") {
					t.Errorf("the reply parses with a warning: %s", w)
				}
			}
			if got := len(back.Attachments()); got != len(tc.atts) {
				t.Errorf("%d attachments read back, want %d", got, len(tc.atts))
			}
		})
	}
}

func TestQuoteOfLegacyCharsets(t *testing.T) {
	// The quote is decoded text, not the original's bytes.
	_, b := buildReply(t, readOriginal(t, "korean.eml"), false, "x")
	back := mime.Parse(b.Raw)
	if !strings.Contains(back.Text, "> 대한로지스 이서연입니다.") {
		t.Errorf("Korean quote lost:\n%s", back.Text)
	}
	_, b = buildReply(t, readOriginal(t, "japanese.eml"), false, "x")
	if back := mime.Parse(b.Raw); !strings.Contains(back.Text, "wrote:\n> ") || !strings.Contains(back.Text, "佐藤") {
		t.Errorf("Japanese quote lost:\n%s", back.Text)
	}
}

func TestLongReferencesKeepRootAndParents(t *testing.T) {
	r, _ := buildReply(t, readOriginal(t, "long-refs.eml"), false, "x")
	if len(r.References) != MaxReferences {
		t.Fatalf("%d references, want %d", len(r.References), MaxReferences)
	}
	if r.References[0] != "thread-01.long@northwind.example" {
		t.Errorf("the thread root was dropped: %v", r.References[:2])
	}
	if r.References[1] != "thread-23.long@northwind.example" || r.References[MaxReferences-1] != "thread-41.long@northwind.example" {
		t.Errorf("not trimmed from the front: %v", r.References)
	}
	// The byte limit trims too, whatever the count.
	var long []string
	for i := range 10 {
		long = append(long, strings.Repeat("x", 200)+string(rune('a'+i))+"@example.com")
	}
	th := ThreadingFor("last@example.com", "", long)
	if n := len(angle(th.References)); n > MaxReferencesBytes {
		t.Errorf("References is %d bytes", n)
	}
	if th.References[0] != long[0] || th.References[len(th.References)-1] != "last@example.com" {
		t.Errorf("trimmed wrongly: %d ids", len(th.References))
	}
}

func TestSubjectNormalization(t *testing.T) {
	in := []string{
		"Invoice 4471",
		"Re: Invoice 4471",
		"Re: Re: Invoice 4471",
		"RE: Re: re: Invoice 4471",
		"Aw: Invoice 4471",
		"AW: Re: Invoice 4471",
		"Sv: SV: Invoice 4471",
		"Antw: Invoice 4471",
		"VS: Invoice 4471",
		"Re[2]: Invoice 4471",
		"Re(3): Re: Invoice 4471",
		"Re : Invoice 4471",
		"Re:Invoice 4471",
		"RE：Invoice 4471",
		"Fwd: Invoice 4471",
		"Re: Fwd: Invoice 4471",
		"Fw: Re: Invoice 4471",
		"WG: Invoice 4471",
		"[#4471] Re: Invoice",
		"회신: [견적 요청] WX-200",
		"답장: 회신: 문의",
		"返信: 見積もり",
		"回复: 报价",
		"Re: 【至急】納期の件",
		"Regarding the invoice",
		"Reply needed",
		"Re:",
		"",
		"  Re:   spaced   out  ",
		"Re: tab\there",
		"Re: line\r\nBcc: evil@attacker.example",
		"Re: \x1b[31mred\x1b[0m \u202eevil",
	}
	var b strings.Builder
	for _, s := range in {
		b.WriteString(strings.NewReplacer("\r", `\r`, "\n", `\n`, "\t", `\t`, "\x1b", `\e`).Replace(s))
		b.WriteString("\n\t-> " + ReplySubject(s) + "\n")
	}
	golden(t, "subjects", []byte(b.String()))
	for _, s := range in {
		if got := ReplySubject(s); strings.ContainsAny(got, "\r\n\x1b") || strings.HasPrefix(strings.ToLower(got), "re: re:") {
			t.Errorf("ReplySubject(%q) = %q", s, got)
		}
	}
}
