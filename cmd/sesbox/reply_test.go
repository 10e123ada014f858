package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/actionlog"
	"github.com/sesbox/sesbox/mailstore/demo"
	"github.com/sesbox/sesbox/mailstore/drafts"
	"github.com/sesbox/sesbox/mailstore/mime"
	"github.com/sesbox/sesbox/mailstore/s3store"
	"github.com/sesbox/sesbox/mailstore/sessend"
	"github.com/sesbox/sesbox/mailstore/testutil/fakes3"
)

// demoKey returns the key of the demo message whose subject contains s.
func demoKey(t *testing.T, s string) string {
	t.Helper()
	for k, raw := range demo.Messages() {
		if strings.Contains(mime.Parse(raw).Summary.Subject, s) {
			return k
		}
	}
	t.Fatalf("no demo message about %q", s)
	return ""
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func sentFiles(t *testing.T, dir string) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "data", "sesbox", "sent", "new", "*"))
	return files
}

func draftFiles(t *testing.T, dir string) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "state", "sesbox", "drafts", "*.txt"))
	return files
}

func logLines(t *testing.T, dir string) []actionlog.Action {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "state", "sesbox", "actions.jsonl"))
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []actionlog.Action
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var a actionlog.Action
		json.Unmarshal(sc.Bytes(), &a)
		out = append(out, a)
	}
	return out
}

var sesIDLine = regexp.MustCompile(`SES message id: (\S+)`)

func TestReplyCLISendsThreadedReply(t *testing.T) {
	dir := isolate(t)
	ses := startSES(t)
	key := demoKey(t, "WX-200 컨트롤러")
	body := writeFile(t, "body.txt", "안녕하세요,\n\n견적서를 첨부합니다.\n")
	att := writeFile(t, "견적서.pdf", "%PDF-1.4\n")
	out, errOut, code := sesbox(t, "--demo", "--ses-endpoint", ses.URL, "reply", key, "--body-file", body, "--attach", att, "--yes")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	m := sesIDLine.FindStringSubmatch(out)
	if m == nil || len(ses.Calls()) != 1 || m[1] != ses.Calls()[0].ID {
		t.Fatalf("no SES message id shown:\n%s", out)
	}
	calls := ses.Calls()
	if len(calls) != 1 {
		t.Fatalf("%d SendEmail calls", len(calls))
	}
	raw := calls[0].Content.Raw.Data
	if !slices.Equal(calls[0].Destination.ToAddresses, []string{"seoyeon.lee@daehan-logis.example"}) {
		t.Errorf("destinations %v", calls[0].Destination.ToAddresses)
	}
	// The Maildir copy is exactly what SES got; the draft is gone.
	sent := sentFiles(t, dir)
	if len(sent) != 1 {
		t.Fatalf("%d sent copies", len(sent))
	}
	if kept, _ := os.ReadFile(sent[0]); !bytes.Equal(kept, raw) {
		t.Error("the sent copy differs from the bytes SES received")
	}
	if d := draftFiles(t, dir); len(d) != 0 {
		t.Errorf("drafts left: %v", d)
	}
	orig := mime.Parse(demo.Messages()[key]).Summary
	v := mime.Parse(raw)
	if v.Summary.InReplyTo != orig.MessageID || v.Summary.References[len(v.Summary.References)-1] != orig.MessageID {
		t.Errorf("threading %q %v, want %q", v.Summary.InReplyTo, v.Summary.References, orig.MessageID)
	}
	if v.Summary.Subject != "Re: "+orig.Subject || v.Summary.From.Address != "info@acme-demo.example" {
		t.Errorf("subject %q from %q", v.Summary.Subject, v.Summary.From.Address)
	}
	if !strings.HasPrefix(v.Text, "안녕하세요,\n\n견적서를 첨부합니다.\n\nOn Thu, 5 Nov 2026 at 11:20, 이서연 wrote:\n> 담당자님께,") {
		t.Errorf("body:\n%s", v.Text)
	}
	if a := v.Attachments(); len(a) != 1 || a[0].Filename != "견적서.pdf" {
		t.Errorf("attachments %+v", a)
	}
	acts := logLines(t, dir)
	if len(acts) != 1 || acts[0].Command != "reply" || acts[0].Result != "sent" || acts[0].SESMessageID != ses.Calls()[0].ID || acts[0].Key != key {
		t.Errorf("action log %+v", acts)
	}
}

func TestReplyAllFromStdinWithConfig(t *testing.T) {
	dir := isolate(t)
	ses := startSES(t)
	flags, _, _ := demoBucket(t)
	cfg := filepath.Join(dir, "config", "sesbox", "config.toml")
	os.MkdirAll(filepath.Dir(cfg), 0o700)
	os.WriteFile(cfg, []byte(`[mailbox.support]
bucket = "mail"
prefix = "`+demo.Prefix+`"
endpoint = "`+flags[1]+`"
ses_endpoint = "`+ses.URL+`"
from = "Acme Support <support@acme-demo.example>"
identity_domains = ["acme-demo.example"]
`), 0o600)
	// A demo message with both To and Cc.
	var key string
	var orig *mime.View
	for k, raw := range demo.Messages() {
		v := mime.Parse(raw)
		if len(v.Summary.Cc) > 0 && len(v.Summary.To) > 0 {
			key, orig = k, v
			break
		}
	}
	if key == "" {
		t.Fatal("no demo message with Cc")
	}
	var outb, errb bytes.Buffer
	code := run(context.Background(), []string{"reply", "--all", "--body-file", "-", "--yes", key}, strings.NewReader("Noted, thanks.\n"), &outb, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	calls := ses.Calls()
	if len(calls) != 1 {
		t.Fatalf("%d calls", len(calls))
	}
	msg, err := mail.ReadMessage(bytes.NewReader(calls[0].Content.Raw.Data))
	if err != nil {
		t.Fatal(err)
	}
	if got := msg.Header.Get("From"); got != `"Acme Support" <support@acme-demo.example>` {
		t.Errorf("From %s", got)
	}
	var hdr []string
	for _, f := range []string{"To", "Cc"} {
		l, _ := msg.Header.AddressList(f)
		for _, a := range l {
			hdr = append(hdr, a.Address)
		}
	}
	if !slices.Equal(hdr, calls[0].Destination.ToAddresses) {
		t.Errorf("header recipients %v, destinations %v", hdr, calls[0].Destination.ToAddresses)
	}
	for _, d := range calls[0].Destination.ToAddresses {
		if strings.EqualFold(d, "support@acme-demo.example") {
			t.Errorf("our own address %s is a recipient", d)
		}
	}
	if len(calls[0].Destination.ToAddresses) < 2 {
		t.Errorf("reply-all to %v (original To %v Cc %v)", calls[0].Destination.ToAddresses, orig.Summary.To, orig.Summary.Cc)
	}
}

func TestReplyRefusesWithoutTerminalOrYes(t *testing.T) {
	dir := isolate(t)
	ses := startSES(t)
	key := demoKey(t, "WX-200 컨트롤러")
	body := writeFile(t, "body.txt", "Hello\n")
	_, errOut, code := sesbox(t, "--demo", "--ses-endpoint", ses.URL, "reply", key, "--body-file", body)
	if code == 0 || !strings.Contains(errOut, "--yes") {
		t.Fatalf("sent without --yes: exit %d %s", code, errOut)
	}
	if len(ses.Calls()) != 0 {
		t.Fatal("SES was called")
	}
	drafts := draftFiles(t, dir)
	if len(drafts) != 1 || !strings.Contains(errOut, drafts[0]) {
		t.Fatalf("draft not kept or not named: %v\n%s", drafts, errOut)
	}
	// No --body-file and no terminal: no editor either.
	_, errOut, code = sesbox(t, "--demo", "--ses-endpoint", ses.URL, "reply", key)
	if code == 0 || !strings.Contains(errOut, "no terminal") {
		t.Fatalf("exit %d %s", code, errOut)
	}
	// The kept draft can be sent later, named by the beginning of its id
	// as :drafts ID names it.
	id := strings.TrimSuffix(filepath.Base(drafts[0]), ".txt")
	out, errOut, code := sesbox(t, "--demo", "--ses-endpoint", ses.URL, "reply", "--draft", id[:len(id)-3], "--yes")
	if code != 0 || !strings.Contains(out, "SES message id:") {
		t.Fatalf("resend: exit %d %s", code, errOut)
	}
	if len(ses.Calls()) != 1 {
		t.Errorf("%d calls", len(ses.Calls()))
	}
	// Sent, the draft is no longer kept: --draft says when it went and
	// under which SES message id, hint first (it said only "no kept
	// draft"), and sends nothing; still exit 3, a draft id that names no
	// kept draft.
	sesID := strings.TrimSpace(out[strings.Index(out, "SES message id:")+len("SES message id:"):])
	sesID, _, _ = strings.Cut(sesID, "\n")
	for _, ask := range []string{id, id[:len(id)-3]} {
		_, errOut, code = sesbox(t, "--demo", "--ses-endpoint", ses.URL, "reply", "--draft", ask, "--yes")
		if want := "sesbox: nothing to send: draft " + id + " was sent "; code != exitNotFound || !strings.HasPrefix(errOut, want) ||
			!strings.Contains(errOut, "(SES message id "+sesID+")") || !strings.Contains(errOut, `no kept draft "`+ask+`"`) {
			t.Errorf("reply --draft %s after it was sent: exit %d, want %d, stderr starting %q with SES message id %q:\n%s", ask, code, exitNotFound, want, sesID, errOut)
		}
	}
	// An id that never named a draft says how to list them.
	if _, errOut, code = sesbox(t, "--demo", "reply", "--draft", "nosuch", "--yes"); code != exitNotFound || !strings.HasPrefix(errOut, "sesbox: sesbox drafts lists the kept drafts and their ids") {
		t.Errorf("reply --draft nosuch: exit %d %s", code, errOut)
	}
	if len(ses.Calls()) != 1 {
		t.Errorf("%d calls after asking for a sent draft", len(ses.Calls()))
	}
}

func TestReplyExplainsSESErrorsAndKeepsTheDraft(t *testing.T) {
	dir := isolate(t)
	ses := startSES(t)
	ses.Reject()
	key := demoKey(t, "WX-200 컨트롤러")
	body := writeFile(t, "body.txt", "Hello\n")
	_, errOut, code := sesbox(t, "--demo", "--ses-endpoint", ses.URL, "reply", key, "--body-file", body, "--yes")
	if code == 0 {
		t.Fatal("a rejected send succeeded")
	}
	for _, want := range []string{"MessageRejected", "sandbox", "verified", "draft is kept"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("the error does not say %q:\n%s", want, errOut)
		}
	}
	if d := draftFiles(t, dir); len(d) != 1 {
		t.Errorf("drafts %v", d)
	}
	if s := sentFiles(t, dir); len(s) != 0 {
		t.Errorf("a rejected reply was kept as sent: %v", s)
	}
	acts := logLines(t, dir)
	if len(acts) != 1 || !strings.HasPrefix(acts[0].Result, "failed: ") {
		t.Errorf("action log %+v", acts)
	}
}

func TestReplyNeedsAnIdentity(t *testing.T) {
	isolate(t)
	ses := startSES(t)
	flags, _, _ := demoBucket(t)
	key := demoKey(t, "WX-200 컨트롤러")
	body := writeFile(t, "body.txt", "Hello\n")
	_, errOut, code := sesbox(t, append(flags, "--ses-endpoint", ses.URL, "reply", key, "--body-file", body, "--yes")...)
	if code == 0 || !strings.Contains(errOut, "no verified identity") || !strings.Contains(errOut, "--from") || !strings.Contains(errOut, "identity_domains") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	out, errOut, code := sesbox(t, append(flags, "--ses-endpoint", ses.URL, "reply", key, "--body-file", body, "--yes", "--from", "Sales <sales@acme-demo.example>")...)
	if code != 0 || !strings.Contains(out, "SES message id") {
		t.Fatalf("--from: exit %d %s", code, errOut)
	}
}

func TestReplySentPrefix(t *testing.T) {
	dir := isolate(t)
	ses := startSES(t)
	srv := fakes3.Start(t, "mail")
	for k, b := range demo.Messages() {
		srv.Put(t, "mail", k, b)
	}
	cfg := filepath.Join(dir, "config", "sesbox", "config.toml")
	os.MkdirAll(filepath.Dir(cfg), 0o700)
	write := func(sentPrefix string) {
		os.WriteFile(cfg, []byte(`[mailbox.m]
bucket = "mail"
prefix = "`+demo.Prefix+`"
endpoint = "`+srv.URL+`"
ses_endpoint = "`+ses.URL+`"
identity_domains = ["acme-demo.example"]
sent_prefix = "`+sentPrefix+`"
`), 0o600)
	}
	key := demoKey(t, "WX-200 컨트롤러")
	body := writeFile(t, "body.txt", "Hello\n")
	for _, bad := range []string{demo.Prefix + "sent/", "inb"} {
		write(bad)
		_, errOut, code := sesbox(t, "reply", key, "--body-file", body, "--yes")
		if code == 0 || !strings.Contains(errOut, "overlaps") {
			t.Errorf("sent_prefix %q: exit %d %s", bad, code, errOut)
		}
	}
	if len(ses.Calls()) != 0 {
		t.Fatal("sent with a bad sent_prefix")
	}
	write("sent/")
	out, errOut, code := sesbox(t, "reply", key, "--body-file", body, "--yes")
	if code != 0 {
		t.Fatalf("exit %d %s", code, errOut)
	}
	copyLine := regexp.MustCompile(`Copied to: s3://mail/(\S+)`).FindStringSubmatch(out)
	if copyLine == nil || !strings.HasPrefix(copyLine[1], "sent/") {
		t.Fatalf("no copy reported:\n%s", out)
	}
	obj, err := srv.Admin.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("mail"), Key: aws.String(copyLine[1])})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(obj.Body)
	if !bytes.Equal(got, ses.Calls()[0].Content.Raw.Data) {
		t.Error("the bucket copy differs from what SES got")
	}
	// Never overwrite: a second PUT of the same key fails.
	c, err := s3store.NewSentCopier(srv.Admin, mailstore.Location{Bucket: "mail", Prefix: demo.Prefix}, "sent/")
	if err != nil {
		t.Fatal(err)
	}
	id := strings.TrimSuffix(strings.TrimPrefix(copyLine[1], "sent/"), ".eml")
	if _, err := c.CopySent(context.Background(), id, []byte("other")); err == nil {
		t.Error("an existing copy was overwritten")
	}
}

func TestReplySizeLimitsAgree(t *testing.T) {
	if drafts.MaxMessageSize != sessend.MaxMessageSize {
		t.Errorf("drafts.MaxMessageSize %d, sessend.MaxMessageSize %d", drafts.MaxMessageSize, sessend.MaxMessageSize)
	}
}

// TestReplyRefusalsLeadWithTheAction: a reply that cannot go on without a
// terminal says first what to give (--body-file, --yes with --draft), as
// every error does through mailstore.Explain; the action came last, after
// the reason and the draft's path.
func TestReplyRefusalsLeadWithTheAction(t *testing.T) {
	isolate(t)
	ses := startSES(t)
	key := demoKey(t, "WX-200 컨트롤러")
	body := writeFile(t, "body.txt", "Hello\n")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"reply", key}, "sesbox: give --body-file FILE, or edit the draft "},
		{[]string{"reply", key, "--body-file", body}, "sesbox: send it with sesbox reply --draft "},
		// The KEY of the reply's own command line kept beside --draft
		// (what a dry run's "send it with --draft ID" led to) said
		// "takes no KEY" after the usage of KEY alone.
		{[]string{"reply", key, "--draft", "20261204T1452", "--yes"}, `sesbox: leave out "` + key + `": sesbox reply --draft 20261204T1452 sends the kept draft`},
	} {
		_, errOut, code := sesbox(t, append([]string{"--demo", "--ses-endpoint", ses.URL}, c.args...)...)
		var last string
		for _, l := range strings.Split(strings.TrimSpace(errOut), "\n") {
			if strings.HasPrefix(l, "sesbox: ") && !strings.HasPrefix(l, "sesbox: warning") {
				last = l
			}
		}
		if code == 0 || !strings.HasPrefix(last, c.want) {
			t.Errorf("%v: exit %d, want a line starting %q:\n%s", c.args, code, c.want, errOut)
		}
	}
	if len(ses.Calls()) != 0 {
		t.Error("SES was called")
	}
}

// TestReplyOfABadDraftLeadsWithTheFix: a kept draft that cannot be built
// (its To line emptied) says first to fix it and how to send it then,
// the reason after; it said the reason first and the fix last.
func TestReplyOfABadDraftLeadsWithTheFix(t *testing.T) {
	dir := isolate(t)
	ses := startSES(t)
	key := demoKey(t, "WX-200 컨트롤러")
	body := writeFile(t, "body.txt", "Hello\n")
	sesbox(t, "--demo", "--ses-endpoint", ses.URL, "reply", key, "--body-file", body) // kept: no --yes
	drafts := draftFiles(t, dir)
	if len(drafts) != 1 {
		t.Fatalf("drafts %v", drafts)
	}
	text, _ := os.ReadFile(drafts[0])
	emptied := regexp.MustCompile(`(?m)^To:.*$`).ReplaceAll(text, []byte("To:"))
	if err := os.WriteFile(drafts[0], emptied, 0o600); err != nil {
		t.Fatal(err)
	}
	id := strings.TrimSuffix(filepath.Base(drafts[0]), ".txt")
	_, errOut, code := sesbox(t, "--demo", "--ses-endpoint", ses.URL, "reply", "--draft", id, "--yes")
	want := "sesbox: fix the draft " + drafts[0] + ", then send it with sesbox reply --draft " + id + " (the draft's To line is empty)"
	if code == 0 || !strings.Contains(errOut, want) {
		t.Errorf("exit %d, want %q:\n%s", code, want, errOut)
	}
	if len(ses.Calls()) != 0 {
		t.Error("SES was called")
	}
}

// TestReplyOffersTheKeptDraftBack: a reply kept with the user's words (its
// editor killed or hung up) is not passed over by `sesbox reply KEY`
// without --body-file, as the TUI's r does not pass it over: with no
// terminal to edit it in, the error leads with the command that sends it,
// and that command sends the kept words. --body-file still starts anew.
func TestReplyOffersTheKeptDraftBack(t *testing.T) {
	dir := isolate(t)
	ses := startSES(t)
	key := demoKey(t, "WX-200 컨트롤러")
	sesbox(t, "--demo", "--ses-endpoint", ses.URL, "reply", key) // no terminal: the template is written
	files := draftFiles(t, dir)
	if len(files) != 1 {
		t.Fatalf("drafts %v", files)
	}
	// What a hangup saves: the user's words above the quote.
	text, _ := os.ReadFile(files[0])
	i := bytes.Index(text, []byte("\n\n"))
	kept := append(append(append([]byte{}, text[:i+2]...), "words typed before the hangup\n"...), text[i+2:]...)
	if err := os.WriteFile(files[0], kept, 0o600); err != nil {
		t.Fatal(err)
	}
	id := strings.TrimSuffix(filepath.Base(files[0]), ".txt")

	_, errOut, code := sesbox(t, "--demo", "--ses-endpoint", ses.URL, "reply", key)
	want := "sesbox: send the reply you kept with: sesbox reply --draft " + id + " --yes"
	if code == 0 || !strings.Contains(errOut, want) || !strings.Contains(errOut, "kept with your words") {
		t.Fatalf("exit %d, want %q first:\n%s", code, want, errOut)
	}
	if d := draftFiles(t, dir); len(d) != 1 {
		t.Errorf("drafts %v: the kept draft was not the one offered", d)
	}
	out, errOut, code := sesbox(t, "--demo", "--ses-endpoint", ses.URL, "reply", "--draft", id, "--yes")
	if code != 0 || !strings.Contains(out, "SES message id:") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if c := ses.Calls(); len(c) != 1 || !strings.Contains(mime.Parse(c[0].Content.Raw.Data).Text, "words typed before the hangup") {
		t.Fatalf("the kept words were not sent: %d calls", len(c))
	}
}

// TestReplyWarnsOnceThatTheSuppressionListWasNotChecked: an SES account
// that could not be read was warned of twice (measured: `reply --dry-run`
// against an SES that refuses printed the same two-line warning twice),
// once as the reply was shown and again with the send's result; once is
// enough, the send still going to SES, which applies the list itself.
func TestReplyWarnsOnceThatTheSuppressionListWasNotChecked(t *testing.T) {
	isolate(t)
	flags, _, _ := demoBucket(t)
	body := filepath.Join(t.TempDir(), "body.txt")
	os.WriteFile(body, []byte("thanks\n"), 0o600)
	out, errOut, code := sesbox(t, append(flags, "--ses-endpoint", "http://127.0.0.1:9", "reply", "--from", "me@acme-demo.example",
		"--body-file", body, "--dry-run", "0vneinmetj3r4m9ltdtl5drpnghlppk2eqp3vjne")...)
	if code != 0 || out == "" {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	if n := strings.Count(errOut, "the suppression list was not checked"); n != 1 {
		t.Errorf("warned %d times:\n%s", n, errOut)
	}
}
