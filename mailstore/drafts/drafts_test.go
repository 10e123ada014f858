package drafts

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/actionlog"
	"github.com/sesbox/sesbox/mailstore/compose"
)

func reply() compose.Reply {
	return compose.Reply{
		From:      mail.Address{Name: "Acme Support", Address: "support@acme-demo.example"},
		To:        []mail.Address{{Name: "이서연", Address: "seoyeon.lee@daehan-logis.example"}},
		Cc:        []mail.Address{{Name: "Okafor, Ben", Address: "ben@student.example.edu"}},
		Subject:   "Re: [견적 요청] WX-200",
		Threading: compose.Threading{InReplyTo: "orig@daehan.example", References: []string{"root@daehan.example", "orig@daehan.example"}},
		Quote:     "On Thu, 5 Nov 2026 at 11:20, 이서연 wrote:\n> 안녕하세요\n",
	}
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Mode().Perm()
}

func TestDraftLifecycle(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "sesbox", "drafts")
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.NewReply(reply(), Meta{Bucket: "mail", Key: "inbox/abc", ETag: "e1"}, "")
	if err != nil {
		t.Fatal(err)
	}
	want := "To: \"이서연\" <seoyeon.lee@daehan-logis.example>\nCc: \"Okafor, Ben\" <ben@student.example.edu>\nSubject: Re: [견적 요청] WX-200\n\n\n\nOn Thu, 5 Nov 2026 at 11:20, 이서연 wrote:\n> 안녕하세요\n"
	if string(d.Text) != want {
		t.Errorf("draft text:\n%s\nwant:\n%s", d.Text, want)
	}
	if m := mode(t, dir); m != 0o700 {
		t.Errorf("drafts dir mode %v", m)
	}
	for _, p := range []string{d.Path(), d.metaPath()} {
		if m := mode(t, p); m != 0o600 {
			t.Errorf("%s mode %v", p, m)
		}
	}
	if !d.Unchanged() {
		t.Error("a fresh draft counts as changed")
	}
	// The editor writes the file; Reload sees it.
	edited := strings.Replace(string(d.Text), "\n\n\n\n", "\n\n견적서를 보내드립니다.\n\n", 1)
	if err := os.WriteFile(d.Path(), []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.Reload(d); err != nil || d.Unchanged() {
		t.Fatalf("reload: %v, unchanged %v", err, d.Unchanged())
	}
	back, err := s.Load(d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if back.Meta.From != `"Acme Support" <support@acme-demo.example>` || back.Meta.InReplyTo != "orig@daehan.example" || back.Meta.Key != "inbox/abc" {
		t.Errorf("meta %+v", back.Meta)
	}
	e, err := Parse(back.Text)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(e.To, reply().To) || !slices.Equal(e.Cc, reply().Cc) || e.Subject != reply().Subject || !strings.HasPrefix(e.Body, "견적서를") {
		t.Errorf("parsed %+v", e)
	}
	list, err := s.List()
	if err != nil || len(list) != 1 || list[0].ID != d.ID {
		t.Fatalf("list %v %v", list, err)
	}
	if err := s.Delete(d.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(d.ID); err == nil {
		t.Error("deleted draft loads")
	}
	for _, bad := range []string{"../../etc/passwd", "a/b", "", ".."} {
		if _, err := s.Load(bad); err == nil {
			t.Errorf("Load(%q) worked", bad)
		}
		if err := s.Delete(bad); err == nil {
			t.Errorf("Delete(%q) worked", bad)
		}
	}
}

func TestBodyFileTextGoesAboveTheQuote(t *testing.T) {
	s, _ := Open(t.TempDir())
	d, err := s.NewReply(reply(), Meta{}, "Thanks!\n\n")
	if err != nil {
		t.Fatal(err)
	}
	e, _ := Parse(d.Text)
	if e.Body != "Thanks!\n\nOn Thu, 5 Nov 2026 at 11:20, 이서연 wrote:\n> 안녕하세요\n" {
		t.Errorf("body %q", e.Body)
	}
}

func TestParseRefusesWhatItCannotSendSafely(t *testing.T) {
	for name, text := range map[string]string{
		"an extra header":     "To: a@b.example\nBcc: evil@attacker.example\nSubject: x\n\nbody",
		"a CRLF Bcc":          "To: a@b.example\r\nBcc: evil@attacker.example\r\nSubject: x\r\n\r\nbody",
		"two addresses glued": "To: a@b.example evil@attacker.example\nSubject: x\n\nbody",
		"no header":           "\nJust a body",
		"no blank line":       "To: a@b.example\nSubject: x\nbody starts here",
		"two To lines":        "To: a@b.example\nTo: c@d.example\n\nbody",
		"no To line":          "Subject: x\n\nbody",
		"From edited":         "From: evil@attacker.example\nTo: a@b.example\n\nbody",
		"bad Cc":              "To: a@b.example\nCc: <broken\n\nbody",
	} {
		if e, err := Parse([]byte(text)); err == nil {
			t.Errorf("%s: parsed as %+v", name, e)
		}
	}
	// Folded lines and CRLF are fine; the subject stays one line.
	e, err := Parse([]byte("to: a@b.example,\r\n  Kim <kim@example.kr>\r\nSUBJECT: Re: x\r\ncc:\r\n\r\nbody\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(e.To) != 2 || len(e.Cc) != 0 || e.Subject != "Re: x" || e.Body != "body\n" {
		t.Errorf("%+v", e)
	}
}

func TestMaildirDelivery(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sent")
	m, err := OpenMaildir(dir)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 6, 0, 30, 0, 123456000, time.UTC)
	a, err := m.Deliver([]byte("A\r\n"), now)
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.Deliver([]byte("B\r\n"), now)
	if err != nil {
		t.Fatal(err)
	}
	if a == b || filepath.Dir(a) != filepath.Join(dir, "new") {
		t.Fatalf("paths %s %s", a, b)
	}
	if !strings.HasPrefix(filepath.Base(a), "1793925000.M123456P") {
		t.Errorf("name %s", filepath.Base(a))
	}
	if got, _ := os.ReadFile(a); string(got) != "A\r\n" {
		t.Errorf("content %q", got)
	}
	if mode(t, a) != 0o600 || mode(t, dir) != 0o700 {
		t.Errorf("modes %v %v", mode(t, a), mode(t, dir))
	}
	if left, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(left) != 0 {
		t.Errorf("tmp not empty: %v", left)
	}
}

// fakeSender records what it is asked to send, or fails with err.
type fakeSender struct {
	err   error
	dests []string
	raw   []byte
}

func (f *fakeSender) SendRaw(_ context.Context, dests []string, raw []byte) (string, error) {
	if f.err != nil {
		return "", f.err
	}
	f.dests, f.raw = dests, raw
	return "0100018f-ses-id", nil
}

func (f *fakeSender) Quota(context.Context) (mailstore.Quota, error) { return mailstore.Quota{}, nil }

func readLog(t *testing.T, path string) []actionlog.Action {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []actionlog.Action
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var a actionlog.Action
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

func outbox(t *testing.T, s mailstore.Sender) (*Outbox, string) {
	t.Helper()
	root := t.TempDir()
	st, err := Open(filepath.Join(root, "drafts"))
	if err != nil {
		t.Fatal(err)
	}
	md, err := OpenMaildir(filepath.Join(root, "sent"))
	if err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(root, "actions.jsonl")
	lg, err := actionlog.OpenLog(logPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lg.Close() })
	seed := int64(7)
	return &Outbox{Sender: s, Drafts: st, Sent: md, Log: lg, Seed: &seed,
		Now: func() time.Time { return time.Date(2026, 11, 6, 9, 0, 0, 0, time.UTC) }}, logPath
}

func TestOutboxSendsKeepsAndLogs(t *testing.T) {
	fs := &fakeSender{}
	o, logPath := outbox(t, fs)
	d, err := o.Drafts.NewReply(reply(), Meta{Bucket: "mail", Key: "inbox/abc", ETag: "e1"}, "Thanks")
	if err != nil {
		t.Fatal(err)
	}
	p, err := o.Prepare(d)
	if err != nil {
		t.Fatal(err)
	}
	res, err := o.Send(context.Background(), d, p)
	if err != nil {
		t.Fatal(err)
	}
	if res.SESMessageID != "0100018f-ses-id" || len(res.Warnings) > 0 {
		t.Errorf("result %+v", res)
	}
	if !bytes.Equal(fs.raw, p.Raw) || !slices.Equal(fs.dests, []string{"seoyeon.lee@daehan-logis.example", "ben@student.example.edu"}) {
		t.Errorf("sent %v", fs.dests)
	}
	kept, err := os.ReadFile(res.SentPath)
	if err != nil || !bytes.Equal(kept, p.Raw) {
		t.Errorf("the sent copy differs from what was sent (%v)", err)
	}
	if _, err := o.Drafts.Load(d.ID); err == nil {
		t.Error("the draft of a sent reply is still there")
	}
	acts := readLog(t, logPath)
	sum := sha256.Sum256(p.Raw)
	if len(acts) != 1 {
		t.Fatalf("%d log lines", len(acts))
	}
	a := acts[0]
	if a.Command != "reply" || a.Result != "sent" || a.SESMessageID != "0100018f-ses-id" || a.Bucket != "mail" || a.Key != "inbox/abc" ||
		a.ETag != "e1" || a.SHA256 != hex.EncodeToString(sum[:]) || !slices.Equal(a.Destinations, fs.dests) {
		t.Errorf("log line %+v", a)
	}
}

// answered is an error SES answered with (HTTP 400): the message was
// certainly not accepted.
type answered struct{ error }

func (answered) HTTPStatusCode() int { return 400 }

func TestOutboxFailureKeepsTheDraft(t *testing.T) {
	boom := answered{errors.New("MessageRejected: Email address is not verified")}
	o, logPath := outbox(t, &fakeSender{err: boom})
	d, _ := o.Drafts.NewReply(reply(), Meta{Key: "inbox/abc"}, "Thanks")
	p, err := o.Prepare(d)
	if err != nil {
		t.Fatal(err)
	}
	_, err = o.Send(context.Background(), d, p)
	var se *SendError
	if !errors.As(err, &se) || !errors.Is(err, boom) || !strings.Contains(err.Error(), d.Path()) {
		t.Fatalf("err %v", err)
	}
	if _, err := o.Drafts.Load(d.ID); err != nil {
		t.Errorf("the draft is gone after a failed send: %v", err)
	}
	if files, _ := os.ReadDir(filepath.Join(o.Sent.Dir(), "new")); len(files) != 0 {
		t.Error("a failed send was kept as sent")
	}
	acts := readLog(t, logPath)
	if len(acts) != 1 || !strings.HasPrefix(acts[0].Result, "failed: MessageRejected") || acts[0].SESMessageID != "" {
		t.Errorf("log %+v", acts)
	}
}

func TestPrepareReadsAttachmentsAndRefusesBadDrafts(t *testing.T) {
	o, _ := outbox(t, &fakeSender{})
	d, _ := o.Drafts.NewReply(reply(), Meta{}, "see attached")
	att := filepath.Join(t.TempDir(), "quote.pdf")
	os.WriteFile(att, []byte("%PDF-1.4\n"), 0o600)
	d.Meta.Attachments = []string{att}
	p, err := o.Prepare(d)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.Attachments, []string{"quote.pdf"}) || !bytes.Contains(p.Raw, []byte("filename=quote.pdf")) {
		t.Errorf("attachment missing: %v", p.Attachments)
	}
	d.Meta.Attachments = []string{filepath.Join(t.TempDir(), "gone.pdf")}
	if _, err := o.Prepare(d); err == nil {
		t.Error("a missing attachment was not reported")
	}
	big := filepath.Join(t.TempDir(), "big.bin")
	os.WriteFile(big, make([]byte, 31<<20), 0o600) // 41 MB in base64
	d.Meta.Attachments = []string{big}
	if _, err := o.Prepare(d); err == nil || !strings.Contains(err.Error(), "40 MB") {
		t.Errorf("an oversized reply: %v", err)
	}
	d.Meta.Attachments = nil
	d.Text = []byte("To: \nSubject: x\n\nbody")
	if _, err := o.Prepare(d); err == nil || !strings.Contains(err.Error(), "To") {
		t.Errorf("empty To: %v", err)
	}
}

func TestEditorCommand(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "it's a \"draft\" $HOME.txt")
	os.WriteFile(path, []byte("old"), 0o600)
	script := filepath.Join(dir, "ed.sh")
	os.WriteFile(script, []byte("#!/bin/sh\nprintf 'new %s' \"$1\" > \"$2\"\n"), 0o700)
	cmd := EditorCommand(script+" --flag", path)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if got, _ := os.ReadFile(path); string(got) != "new --flag" {
		t.Errorf("the editor got %q", got)
	}
	t.Setenv("VISUAL", "")
	t.Setenv("EDITOR", "nano")
	if Editor() != "nano" {
		t.Error("EDITOR ignored")
	}
	t.Setenv("VISUAL", "vim")
	if Editor() != "vim" {
		t.Error("VISUAL does not win")
	}
}

// TestFindListAndHeading: Find takes an id or its unique beginning (as
// `reply --draft` and `:drafts` do), says when a beginning is ambiguous;
// List reads past a broken draft and names it; Heading reads To and
// Subject even from text that does not parse.
func TestFindListAndHeading(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	mk := func(id, text string) *Draft {
		d := &Draft{ID: id, Meta: Meta{Version: 1, Mailbox: "demo"}, Text: []byte(text)}
		if err := s.Save(d); err != nil {
			t.Fatal(err)
		}
		return d
	}
	a := mk("20261204T145200Z-aaaaaaaaaa", "To: A <a@example.com>,\n  B <b@example.com>\nSubject: Re: one\n\nbody\nSubject: not this\n")
	mk("20261204T145300Z-bbbbbbbbbb", "To: nonsense <<<\nCc:\nSubject: Re: two\n\nbody\n")
	if d, err := s.Find(a.ID); err != nil || d.ID != a.ID {
		t.Fatalf("Find(exact) = %v, %v", d, err)
	}
	if d, err := s.Find("20261204T1452"); err != nil || d.ID != a.ID {
		t.Fatalf("Find(prefix) = %v, %v", d, err)
	}
	if _, err := s.Find("20261204T14"); err == nil || !strings.Contains(err.Error(), "2 kept drafts begin with") {
		t.Fatalf("Find(ambiguous) = %v", err)
	}
	if _, err := s.Find("2027"); !errors.Is(err, mailstore.ErrNotFound) || !strings.Contains(err.Error(), "no kept draft") {
		t.Fatalf("Find(none) = %v", err)
	}
	if to, subj := a.Heading(); to != "A <a@example.com>, B <b@example.com>" || subj != "Re: one" {
		t.Fatalf("Heading = %q, %q", to, subj)
	}
	// A broken sidecar hides only its own draft.
	if err := os.WriteFile(filepath.Join(s.Dir(), "20261204T145100Z-cccccccccc.json"), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	all, err := s.List()
	if len(all) != 2 || err == nil || !strings.Contains(err.Error(), "cccccccccc") {
		t.Fatalf("List = %d drafts, %v", len(all), err)
	}
}

// TestPrepareRefusesOverFiftyRecipients: a draft whose To and Cc name
// more recipients than SES takes was built and refused by SES at the send;
// Prepare (the CLI's and the review screen's one step before sending)
// refuses it with what to do first.
func TestPrepareRefusesOverFiftyRecipients(t *testing.T) {
	o, _ := outbox(t, &fakeSender{})
	d, _ := o.Drafts.NewReply(reply(), Meta{}, "")
	var cc []string
	for i := range 51 {
		cc = append(cc, fmt.Sprintf("p%d@northwind.example", i))
	}
	d.Text = []byte("To: dana@northwind.example\nCc: " + strings.Join(cc, ", ") + "\nSubject: x\n\nbody")
	_, err := o.Prepare(d)
	if got := mailstore.Explain(err); !strings.HasPrefix(got, "remove 2 of the 52 recipients") {
		t.Errorf("Prepare: %q", got)
	}
}

// TestKeptReplyIsTheNewestWithTheUsersWords: a reply begun again goes on
// with the newest kept draft of a reply to the same message of the same
// mailbox that holds the user's words; a draft that is only the template
// NewReply wrote, another message's, or another mailbox's is not it.
func TestKeptReplyIsTheNewestWithTheUsersWords(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "drafts"))
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	add := func(mailbox, key string, at time.Time, words string) *Draft {
		d, err := s.NewReply(reply(), Meta{Mailbox: mailbox, Key: key, Created: at}, "")
		if err != nil {
			t.Fatal(err)
		}
		if words != "" { // typed in, then saved
			d.Text = append([]byte(words+"\n"), d.Text...)
			if err := s.Save(d); err != nil {
				t.Fatal(err)
			}
		}
		return d
	}
	if d := s.KeptReply("support", "inbox/a"); d != nil {
		t.Fatalf("an empty store kept %s", d.ID)
	}
	add("support", "inbox/a", day, "") // the template only
	if d := s.KeptReply("support", "inbox/a"); d != nil {
		t.Fatalf("a draft with no words of the user's was kept: %s", d.Text)
	}
	older := add("support", "inbox/a", day.Add(time.Minute), "first try")
	newer := add("support", "inbox/a", day.Add(time.Hour), "second try")
	add("support", "inbox/b", day.Add(2*time.Hour), "another message")
	add("sales", "inbox/a", day.Add(3*time.Hour), "another mailbox")
	add("support", "inbox/a", day.Add(4*time.Hour), "") // begun again, nothing typed
	if d := s.KeptReply("support", "inbox/a"); d == nil || d.ID != newer.ID {
		t.Fatalf("kept %v, want the newest with words, %s (not %s)", d, newer.ID, older.ID)
	}
	if d := s.KeptReply("support", ""); d != nil {
		t.Fatalf("a draft with no original was kept: %s", d.ID)
	}
}
