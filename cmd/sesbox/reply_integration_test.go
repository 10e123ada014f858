//go:build integration

package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore/demo"
	"github.com/sesbox/sesbox/mailstore/mime"
	"github.com/sesbox/sesbox/mailstore/testutil/fakes3"
	"github.com/sesbox/sesbox/mailstore/testutil/httprec"
	"github.com/sesbox/sesbox/mailstore/testutil/peer"
	"github.com/sesbox/sesbox/mailstore/testutil/sesfault"
)

// recordedSends returns the SendEmail calls the proxy saw, in order.
func recordedSends(t *testing.T, rec *httprec.Recorder) []sesCall {
	t.Helper()
	var out []sesCall
	for _, r := range rec.Requests() {
		if r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/v2/email/outbound-emails") {
			var c sesCall
			if err := json.Unmarshal(r.Body, &c); err != nil {
				t.Fatal(err)
			}
			out = append(out, c)
		}
	}
	return out
}

// emulatorStore is what aws-ses-v2-local made of each message with its own
// MIME parser (mailparser): an independent reading of our bytes.
type emulatorStore struct {
	Emails []struct {
		MessageID   string `json:"messageId"`
		From        string `json:"from"`
		Subject     string `json:"subject"`
		Destination struct {
			To, Cc, Bcc []string
		} `json:"destination"`
		Body struct {
			Text string `json:"text"`
		} `json:"body"`
	} `json:"emails"`
}

func readEmulatorStore(t *testing.T, url string) emulatorStore {
	t.Helper()
	resp, err := http.Get(url + "/store")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var s emulatorStore
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestReplyThroughSESEmulator runs `sesbox --demo reply KEY --body-file F
// --yes` against the aws-ses-v2-local process, through a recording proxy,
// for an ASCII, a Korean (ks_c_5601) and two Japanese (ISO-2022-JP,
// Shift_JIS) originals.
func TestReplyThroughSESEmulator(t *testing.T) {
	dir := isolate(t)
	ses := peer.StartSES(t)
	url, rec := httprec.Proxy(t, ses.URL)
	msgs := demo.Messages()
	cases := []struct {
		subject, text, to string
	}{
		{"WX-200 컨트롤러", "이서연 과장님께,\n\n견적서를 보내드립니다.\n", "seoyeon.lee@daehan-logis.example"},
		{"資料請求", "佐藤様\n\n資料をお送りします。\n", "ken.sato@sakura-denki.example"},
		{"エンジニア", "山田様\n\nご応募ありがとうございます。\n", "hanako.yamada@freemail.example"},
	}
	for i, tc := range cases {
		key := demoKey(t, tc.subject)
		orig := mime.Parse(msgs[key])
		body := writeFile(t, "body.txt", tc.text)
		out, errOut, code := sesbox(t, "--demo", "--ses-endpoint", url, "reply", key, "--body-file", body, "--yes")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", tc.subject, code, errOut)
		}
		m := sesIDLine.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no SES message id:\n%s", out)
		}
		sends := recordedSends(t, rec)
		if len(sends) != i+1 {
			t.Fatalf("%d SendEmail calls after %d replies", len(sends), i+1)
		}
		got := sends[i]
		// The exact bytes: SES received what sesbox built and kept.
		sent := sentFiles(t, dir)
		var kept []byte
		for _, p := range sent {
			b, _ := os.ReadFile(p)
			if bytes.Equal(b, got.Content.Raw.Data) {
				kept = b
			}
		}
		if kept == nil {
			t.Fatalf("%s: the bytes SES received are not the Maildir copy", tc.subject)
		}
		if !slices.Equal(got.Destination.ToAddresses, []string{tc.to}) {
			t.Errorf("%s: destinations %v", tc.subject, got.Destination.ToAddresses)
		}
		hdr, err := mail.ReadMessage(bytes.NewReader(kept))
		if err != nil {
			t.Fatal(err)
		}
		if hdr.Header.Get("In-Reply-To") != "<"+orig.Summary.MessageID+">" {
			t.Errorf("%s: In-Reply-To %q", tc.subject, hdr.Header.Get("In-Reply-To"))
		}
		if !strings.HasSuffix(hdr.Header.Get("References"), "<"+orig.Summary.MessageID+">") {
			t.Errorf("%s: References %q", tc.subject, hdr.Header.Get("References"))
		}
		if hdr.Header.Get("Bcc") != "" {
			t.Errorf("%s: a Bcc header", tc.subject)
		}
		back := mime.Parse(kept)
		if back.Summary.Subject != "Re: "+orig.Summary.Subject {
			t.Errorf("subject %q, want %q", back.Summary.Subject, "Re: "+orig.Summary.Subject)
		}
		firstLine, _, _ := strings.Cut(strings.TrimSpace(orig.Text), "\n")
		if !strings.HasPrefix(back.Text, tc.text) || !strings.Contains(back.Text, "\n> "+strings.TrimSpace(firstLine)+"\n") {
			t.Errorf("%s: body does not quote the original:\n%s", tc.subject, back.Text)
		}
		// The emulator's own parser agrees.
		st := readEmulatorStore(t, ses.URL)
		var found bool
		for _, e := range st.Emails {
			if e.MessageID == m[1] {
				found = true
				if e.Subject != back.Summary.Subject || len(e.Destination.Bcc) != 0 || !strings.Contains(e.Body.Text, strings.TrimSpace(firstLine)) {
					t.Errorf("%s: the emulator read %+v", tc.subject, e)
				}
			}
		}
		if !found {
			t.Errorf("%s: the emulator did not store message %s", tc.subject, m[1])
		}
	}
	acts := logLines(t, dir)
	if len(acts) != len(cases) {
		t.Errorf("%d action log lines for %d replies", len(acts), len(cases))
	}
}

// TestReplyInjectionNeverReachesSES replies (to all) to a hostile original
// stored in a bucket, through the emulator, and checks what SES received:
// no header beyond the reply's own and no recipient the original did not
// name as an address.
func TestReplyInjectionNeverReachesSES(t *testing.T) {
	dir := isolate(t)
	ses := peer.StartSES(t)
	url, rec := httprec.Proxy(t, ses.URL)
	srv := fakes3.Start(t, "mail")
	b64 := func(s string) string { return "=?utf-8?b?" + base64.StdEncoding.EncodeToString([]byte(s)) + "?=" }
	inj := "\r\nBcc: evil@attacker.example\r\nX-Injected: 1"
	raw := "Received: from mx.attacker.example by inbound-smtp.us-east-1.amazonaws.com with SMTP id hostile\r\n" +
		" for support@acme-demo.example; Tue, 03 Nov 2026 14:02:11 +0000\r\n" +
		"From: " + b64("Mallory"+inj) + " <mallory@attacker.example>\r\n" +
		"Reply-To: " + b64("Help"+inj+"\r\nCc: <evil2@attacker.example>") + " <help@attacker.example>, " + b64("x\r\nBcc: <evil3@attacker.example>") + "\r\n" +
		"To: support@acme-demo.example, " + b64("Ops"+inj) + " <ops@northwind.example>\r\n" +
		"Cc: =?utf-8?q?Fin=0D=0ABcc:_evil4@attacker.example?= <finance@northwind.example>\r\n" +
		"Subject: " + b64("Invoice"+inj) + "\r\n" +
		"Date: Tue, 3 Nov 2026 09:02:05 -0500\r\n" +
		"Message-ID: <hostile-1@attacker.example>\r\n" +
		"References: <a@b.example> <bad id@x> <c@d.example>\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		"Hello\r\nBcc: evil5@attacker.example\r\n.\r\n\x1b]52;c;ZXZpbA==\x07\r\n"
	srv.Put(t, "mail", "inbox/hostile0000000000000000000000000000000", []byte(raw))
	body := writeFile(t, "body.txt", "We will look into it.\n")
	_, errOut, code := sesbox(t, "--endpoint", srv.URL, "--bucket", "mail", "--prefix", "inbox/", "--ses-endpoint", url,
		"reply", "--all", "--from", "Acme Support <support@acme-demo.example>", "--body-file", body, "--yes", "hostile0000000000000000000000000000000")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "not written as an address") {
		t.Errorf("the left-out Reply-To address was not reported:\n%s", errOut)
	}
	sends := recordedSends(t, rec)
	if len(sends) != 1 {
		t.Fatalf("%d sends", len(sends))
	}
	want := []string{"help@attacker.example", "ops@northwind.example", "finance@northwind.example"}
	if !slices.Equal(sends[0].Destination.ToAddresses, want) {
		t.Errorf("destinations %v, want %v", sends[0].Destination.ToAddresses, want)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(sends[0].Content.Raw.Data))
	if err != nil {
		t.Fatal(err)
	}
	for k := range msg.Header {
		switch k {
		case "Cc", "Content-Transfer-Encoding", "Content-Type", "Date", "From", "In-Reply-To", "Message-Id", "Mime-Version", "References", "Subject", "To":
		default:
			t.Errorf("header %s reached SES", k)
		}
	}
	var hdr []string
	for _, f := range []string{"To", "Cc", "Bcc"} {
		l, _ := msg.Header.AddressList(f)
		for _, a := range l {
			hdr = append(hdr, a.Address)
		}
	}
	if !slices.Equal(hdr, want) {
		t.Errorf("header recipients %v", hdr)
	}
	if msg.Header.Get("References") != "<a@b.example> <c@d.example> <hostile-1@attacker.example>" {
		t.Errorf("References %q", msg.Header.Get("References"))
	}
	st := readEmulatorStore(t, ses.URL)
	if len(st.Emails) != 1 || len(st.Emails[0].Destination.Bcc) != 0 || strings.ContainsAny(st.Emails[0].Subject, "\r\n") {
		t.Errorf("the emulator read %+v", st.Emails)
	}
	if bytes.Contains(sends[0].Content.Raw.Data, []byte("\x1b")) {
		t.Error("an escape sequence reached SES")
	}
	_ = dir
}

// TestReplyQuotedAddressesThroughSES: mail SES received for the quoted
// local part "john doe"@acme-demo.example, from "jane q"@northwind.example.
// The reply is sent from the address it was sent to (identity_domains),
// to the sender, both quoted as written, in the header and in what SES is
// given; it failed with "no verified identity" before.
func TestReplyQuotedAddressesThroughSES(t *testing.T) {
	dir := isolate(t)
	ses := peer.StartSES(t)
	url, rec := httprec.Proxy(t, ses.URL)
	srv := fakes3.Start(t, "mail")
	raw := "Received: from mx.northwind.example by inbound-smtp.us-east-1.amazonaws.com with SMTP id q1\r\n" +
		" for \"john doe\"@acme-demo.example; Tue, 03 Nov 2026 14:02:11 +0000\r\n" +
		"From: Jane Q <\"jane q\"@northwind.example>\r\n" +
		"To: John Doe <\"john doe\"@acme-demo.example>\r\n" +
		"Subject: Quote\r\nDate: Tue, 3 Nov 2026 09:02:05 -0500\r\nMessage-ID: <q-1@northwind.example>\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello\r\n"
	srv.Put(t, "mail", "inbox/quoted000000000000000000000000000000000", []byte(raw))
	cfg := filepath.Join(dir, "config", "sesbox", "config.toml")
	os.MkdirAll(filepath.Dir(cfg), 0o700)
	os.WriteFile(cfg, []byte(fmt.Sprintf("[mailbox.m]\nbucket = \"mail\"\nprefix = \"inbox/\"\nendpoint = %q\nses_endpoint = %q\nidentity_domains = [\"acme-demo.example\"]\n", srv.URL, url)), 0o600)
	body := writeFile(t, "body.txt", "Thanks.\n")
	out, errOut, code := sesbox(t, "reply", "--body-file", body, "--yes", "quoted000000000000000000000000000000000")
	if code != 0 {
		t.Fatalf("exit %d:\n%s\n%s", code, out, errOut)
	}
	sends := recordedSends(t, rec)
	if len(sends) != 1 || !slices.Equal(sends[0].Destination.ToAddresses, []string{`"jane q"@northwind.example`}) {
		t.Fatalf("sends %+v", sends)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(sends[0].Content.Raw.Data))
	if err != nil {
		t.Fatal(err)
	}
	// No display name: the sender's "John Doe" in To does not name our
	// From (docs/reply.md).
	if f := msg.Header.Get("From"); f != `<"john doe"@acme-demo.example>` {
		t.Errorf("From %q", f)
	}
	if to := msg.Header.Get("To"); to != `"Jane Q" <"jane q"@northwind.example>` {
		t.Errorf("To %q", to)
	}
	if !strings.Contains(out, `Sent to "jane q"@northwind.example`) {
		t.Errorf("output:\n%s", out)
	}
}

// TestReplyDryRunSendsNothing: `reply --dry-run` prints on stdout the
// message it would send, headers and body as SES would get them, screens
// the recipients as a send does, and sends, keeps and logs nothing: the
// draft stays, and sending it later with --draft ID sends that reply.
// reply had no --dry-run.
func TestReplyDryRunSendsNothing(t *testing.T) {
	dir := isolate(t)
	ses := peer.StartSES(t)
	url, rec := httprec.Proxy(t, ses.URL)
	key := demoKey(t, "WX-200 컨트롤러")
	orig := mime.Parse(demo.Messages()[key])
	body := writeFile(t, "body.txt", "이서연 과장님께,\n\n견적서를 보내드립니다.\n")
	// No --yes and no terminal: a dry run asks nothing.
	out, errOut, code := sesbox(t, "--demo", "--ses-endpoint", url, "reply", key, "--body-file", body, "--dry-run")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if n := len(recordedSends(t, rec)); n != 0 {
		t.Fatalf("%d SendEmail calls in a dry run", n)
	}
	if st := readEmulatorStore(t, ses.URL); len(st.Emails) != 0 {
		t.Fatalf("the emulator holds %d messages after a dry run", len(st.Emails))
	}
	if s := sentFiles(t, dir); len(s) != 0 {
		t.Errorf("a dry run was kept as sent: %v", s)
	}
	if acts := logLines(t, dir); len(acts) != 0 {
		t.Errorf("a dry run was logged: %+v", acts)
	}
	drafts := draftFiles(t, dir)
	if len(drafts) != 1 || !strings.Contains(errOut, drafts[0]) || !strings.Contains(errOut, "seoyeon.lee@daehan-logis.example") {
		t.Fatalf("the draft is not kept and named, or the destination not said: %v\n%s", drafts, errOut)
	}
	// stdout is the message: CRLF lines of at most 998 octets, threaded.
	for _, l := range strings.SplitAfter(out, "\r\n") {
		if len(l) > 1000 || (strings.Contains(l, "\n") && !strings.HasSuffix(l, "\r\n")) {
			t.Fatalf("not a message line: %.80q", l)
		}
	}
	hdr, err := mail.ReadMessage(strings.NewReader(out))
	if err != nil {
		t.Fatalf("stdout is not a message: %v\n%.300s", err, out)
	}
	if hdr.Header.Get("In-Reply-To") != "<"+orig.Summary.MessageID+">" || hdr.Header.Get("To") == "" {
		t.Errorf("headers %v", hdr.Header)
	}
	v := mime.Parse([]byte(out))
	if v.Summary.Subject != "Re: "+orig.Summary.Subject || !strings.HasPrefix(v.Text, "이서연 과장님께,\n\n견적서를 보내드립니다.\n") {
		t.Errorf("subject %q, body:\n%s", v.Summary.Subject, v.Text)
	}

	// The kept draft is that reply: sent, it reaches SES with the same
	// text and recipients.
	id := strings.TrimSuffix(filepath.Base(drafts[0]), ".txt")
	if _, errOut, code := sesbox(t, "--demo", "--ses-endpoint", url, "reply", "--draft", id, "--yes"); code != 0 {
		t.Fatalf("sending the kept draft: exit %d: %s", code, errOut)
	}
	sends := recordedSends(t, rec)
	if len(sends) != 1 || !slices.Equal(sends[0].Destination.ToAddresses, []string{"seoyeon.lee@daehan-logis.example"}) {
		t.Fatalf("sends %+v", sends)
	}
	if sent := mime.Parse(sends[0].Content.Raw.Data); sent.Text != v.Text || sent.Summary.Subject != v.Summary.Subject {
		t.Errorf("the reply sent differs from the dry run's:\n%s\n---\n%s", sent.Text, v.Text)
	}
}

// TestReplyToWhenTheOriginalNamesNoSendableAddress: an original whose
// only address is one SES cannot send to (RFC 6532's "jdöe@mächine.example",
// the Ruby mail gem's utf8_headers.eml), or that has no From at all
// (Python's msg_05.txt, MIME-tools' uu-zeegee.msg: "From: foo"), could not
// be answered even with --to: the plan failed on the original's recipients
// before --to replaced them ("the original names no address to reply to"),
// and the address left out, and why, was never said. Now --to answers it,
// and without --to the error says what was left out, the hint first.
func TestReplyToWhenTheOriginalNamesNoSendableAddress(t *testing.T) {
	dir := isolate(t)
	ses := peer.StartSES(t)
	srv := fakes3.Start(t, "mail")
	msgs := map[string]string{
		"utf8from0001": "From: Jöhn Doe <jdöe@mächine.example>\r\n",
		"nofrom000001": "From: foo\r\n",
	}
	for id, from := range msgs {
		srv.Put(t, "mail", "inbox/"+id, []byte(hostileReceipt(id)+from+"To: info@acme-demo.example\r\n"+
			"Subject: hello\r\nDate: Tue, 3 Nov 2026 09:02:05 -0500\r\nMessage-ID: <"+id+"@origin.example>\r\n\r\nHi.\r\n"))
	}
	cfg := filepath.Join(dir, "config", "sesbox", "config.toml")
	if err := os.MkdirAll(filepath.Dir(cfg), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, []byte("[mailbox.m]\nbucket = \"mail\"\nprefix = \"inbox/\"\nendpoint = \""+srv.URL+
		"\"\nses_endpoint = \""+ses.URL+"\"\nidentity_domains = [\"acme-demo.example\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	body := writeFile(t, "body.txt", "Thanks.\n")
	for id, why := range map[string]string{"utf8from0001": `"jdöe@mächine.example" has a non-ASCII local part`, "nofrom000001": `left out From "foo": it is not an address`} {
		t.Run(id, func(t *testing.T) {
			_, errOut, code := sesbox(t, "reply", id, "--body-file", body, "--dry-run")
			if code == 0 || !strings.HasPrefix(errOut, "sesbox: send the reply to an address you name: sesbox reply --to ADDR") || !strings.Contains(errOut, why) {
				t.Errorf("without --to: exit %d, stderr %q", code, errOut)
			}
			out, errOut, code := sesbox(t, "reply", id, "--to", "desk@team.example", "--body-file", body, "--dry-run")
			if code != 0 {
				t.Fatalf("with --to: exit %d: %s", code, errOut)
			}
			m, err := mail.ReadMessage(strings.NewReader(out))
			if err != nil {
				t.Fatal(err)
			}
			if to, err := mail.ParseAddress(m.Header.Get("To")); err != nil || to.Address != "desk@team.example" || m.Header.Get("In-Reply-To") != "<"+id+"@origin.example>" || m.Header.Get("Subject") != "Re: hello" {
				t.Errorf("reply header %v", m.Header)
			}
		})
	}
}

// TestReplyWhoseAnswerIsLostIsNotSentAgain: SES takes the reply and the
// connection drops before its answer (sesfault.Drop, aws-ses-v2-local
// behind it). sesbox said "reply not sent" and kept the draft, and
// `reply --draft ID --yes` sent it a second time. Now the reply is said
// to be perhaps sent, hint first, logged "uncertain", and the draft is
// not sent again without --retry-uncertain.
func TestReplyWhoseAnswerIsLostIsNotSentAgain(t *testing.T) {
	dir := isolate(t)
	ses := peer.StartSES(t)
	px := sesfault.Start(t, ses.URL, func(n int) sesfault.Fault {
		if n == 1 {
			return sesfault.Drop
		}
		return sesfault.Pass
	})
	key := demoKey(t, "WX-200 컨트롤러")
	body := writeFile(t, "body.txt", "견적서를 보내드립니다.\n")
	_, errOut, code := sesbox(t, "--demo", "--ses-endpoint", px.URL, "reply", key, "--body-file", body, "--yes")
	if code == 0 || len(px.Emails()) != 1 {
		t.Fatalf("exit %d, %d messages at SES: %s", code, len(px.Emails()), errOut)
	}
	if want := "\nsesbox: SES may have accepted the reply: its answer was lost — check the recipients' mail"; !strings.Contains(errOut, want) || strings.Contains(errOut, "not sent:") {
		t.Errorf("stderr does not say the reply is in doubt:\n%s", errOut)
	}
	if acts := logLines(t, dir); len(acts) != 1 || !strings.HasPrefix(acts[0].Result, "uncertain: ") {
		t.Errorf("action log %+v, want one uncertain send", acts)
	}
	drafts := draftFiles(t, dir)
	if len(drafts) != 1 {
		t.Fatalf("drafts %v", drafts)
	}
	id := strings.TrimSuffix(filepath.Base(drafts[0]), ".txt")
	if !strings.Contains(errOut, "sesbox reply --draft "+id+" --retry-uncertain") {
		t.Errorf("stderr does not say how to send it if it did not arrive:\n%s", errOut)
	}

	_, errOut, code = sesbox(t, "--demo", "--ses-endpoint", px.URL, "reply", "--draft", id, "--yes")
	if code == 0 || len(px.Emails()) != 1 || px.Requests() != 1 {
		t.Fatalf("the draft was sent again blindly: exit %d, %d SendEmail requests: %s", code, px.Requests(), errOut)
	}
	if !strings.Contains(errOut, "\nsesbox: the send of this draft at ") {
		t.Errorf("the refusal does not lead with the send in doubt:\n%s", errOut)
	}

	if _, errOut, code := sesbox(t, "--demo", "--ses-endpoint", px.URL, "reply", "--draft", id, "--retry-uncertain", "--yes"); code != 0 {
		t.Fatalf("--retry-uncertain: exit %d: %s", code, errOut)
	}
	if len(px.Emails()) != 2 || len(draftFiles(t, dir)) != 0 || len(sentFiles(t, dir)) != 1 {
		t.Errorf("--retry-uncertain: %d messages at SES, drafts %v, sent %v", len(px.Emails()), draftFiles(t, dir), sentFiles(t, dir))
	}
}

// TestReplyToAnSESNeverReachedIsNotInDoubt: a send whose connection was
// never opened (nothing listens at --ses-endpoint) certainly did not
// reach SES: "reply not sent", and the kept draft is sent later without
// --retry-uncertain. The SDK's error for it carries an HTTP status of 0,
// which the first NotAccepted took for "in doubt" before looking at the
// dial.
func TestReplyToAnSESNeverReachedIsNotInDoubt(t *testing.T) {
	dir := isolate(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	key := demoKey(t, "WX-200 컨트롤러")
	body := writeFile(t, "body.txt", "견적서를 보내드립니다.\n")
	_, errOut, code := sesbox(t, "--demo", "--ses-endpoint", closed, "reply", key, "--body-file", body, "--yes")
	if code == 0 || !strings.Contains(errOut, "reply not sent") || strings.Contains(errOut, "may have accepted") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if acts := logLines(t, dir); len(acts) != 1 || !strings.HasPrefix(acts[0].Result, "failed: ") {
		t.Errorf("action log %+v, want one failed send", acts)
	}
	drafts := draftFiles(t, dir)
	if len(drafts) != 1 {
		t.Fatalf("drafts %v", drafts)
	}
	ses := peer.StartSES(t)
	id := strings.TrimSuffix(filepath.Base(drafts[0]), ".txt")
	if _, errOut, code := sesbox(t, "--demo", "--ses-endpoint", ses.URL, "reply", "--draft", id, "--yes"); code != 0 {
		t.Fatalf("sending the kept draft: exit %d: %s", code, errOut)
	}
	if st := readEmulatorStore(t, ses.URL); len(st.Emails) != 1 {
		t.Errorf("%d messages at SES, want 1", len(st.Emails))
	}
}

// TestReplyPrintsItsPathsAndIdsSanitized: what reply prints of its own
// files (the draft a dry run keeps, the copy a send keeps: paths under
// $XDG_STATE_HOME and $XDG_DATA_HOME, whatever those hold) reached the
// terminal as it was, "Kept in: .../x<ESC>]0;pwned<BEL>..." retitling the
// window, where every other path sesbox prints goes through sanitize.Line.
func TestReplyPrintsItsPathsAndIdsSanitized(t *testing.T) {
	dir := isolate(t)
	t.Setenv("XDG_STATE_HOME", filepath.Join(dir, "state"+hostileValue))
	t.Setenv("XDG_DATA_HOME", filepath.Join(dir, "data"+hostileValue))
	ses := peer.StartSES(t)
	key := demoKey(t, "WX-200 컨트롤러")
	body := writeFile(t, "body.txt", "견적서를 보내드립니다.\n")
	for _, args := range [][]string{{"--dry-run"}, {"--yes"}} {
		out, errOut, code := sesbox(t, append([]string{"--demo", "--ses-endpoint", ses.URL, "reply", key, "--body-file", body}, args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		if strings.ContainsAny(out+errOut, "\x1b\x07\u009b") {
			t.Errorf("%v: control sequence printed: %q", args, out+errOut)
		}
		if !strings.Contains(out+errOut, dir) {
			t.Errorf("%v: no path named: %q", args, out+errOut)
		}
	}
}
