package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sesbox/sesbox/mailstore/testutil/fakes3"
)

// hostileReceipt is SES's block, so that forward and reply have an
// envelope recipient and an identity (acme-demo.example).
func hostileReceipt(id string) string {
	return "Return-Path: <x@evil.example>\r\n" +
		"Received: from mx.evil.example by inbound-smtp.us-east-1.amazonaws.com with SMTP id " + id + "\r\n" +
		" for info@acme-demo.example;\r\n Tue, 03 Nov 2026 14:02:11 +0000 (UTC)\r\n" +
		"X-SES-Spam-Verdict: PASS\r\nX-SES-Virus-Verdict: PASS\r\n"
}

// controls are terminal control sequences an attacker puts in any field:
// a title set, a clipboard write (OSC 52), a screen clear, a bell, C1 CSI,
// a bidi override, a line separator and a bare CR that would overprint.
const controls = "\x1b]0;pwned\x07\x1b]52;c;ZXZpbA==\x07\x1b[2J\x07\u009b31m\u202e\u2028\rX"

// b64 is controls as an RFC 2047 encoded word: the decoder must not let
// them through either.
var b64 = "=?UTF-8?B?" + "G10wO3B3bmVkBxtbMkrigq4=" + "?="

// hostileMessages are messages written as an attacker would, none of them
// in the repository's corpus: control sequences in every field (raw and
// encoded), odd header forms, a huge header, deep nesting, attachment
// names that are paths, and header injection attempts in what a reply
// copies (Subject, Message-ID, References, Reply-To).
func hostileMessages() map[string]string {
	m := map[string]string{}
	add := func(id, header, body string) { m[id] = hostileReceipt(id) + header + "\r\n" + body }
	add("ctlfields0001",
		"From: \"Eve"+controls+"\" <eve@evil.example>\r\n"+
			"To: \"Bob"+controls+"\" <info@acme-demo.example>, "+b64+" <x@evil.example>\r\n"+
			"Cc: "+b64+" <c@evil.example>\r\n"+
			"Reply-To: \"R"+controls+"\" <r@evil.example>\r\n"+
			"Subject: Hello "+controls+" "+b64+"\r\n"+
			"Date: Tue, 3 Nov 2026 09:02:05 -0500"+controls+"\r\n"+
			"Message-ID: <id"+controls+"@evil.example>\r\n"+
			"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n",
		"--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nbody "+controls+"\r\n"+
			"--B\r\nContent-Type: text/html\r\n\r\n<p onclick=x>html "+controls+"</p><script>alert(1)</script>\r\n"+
			"--B\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"../../../../tmp/"+controls+"evil.sh\"\r\n\r\nrm -rf ~\r\n"+
			"--B\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"/etc/passwd\"\r\n\r\nroot\r\n"+
			"--B\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"..\\\\..\\\\Windows\\\\evil.exe\"\r\n\r\nMZ\r\n"+
			"--B\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename*=UTF-8''..%2F..%2F.bashrc\r\n\r\nalias\r\n"+
			"--B\r\nContent-Type: application/octet-stream; name=\"..\"\r\nContent-Disposition: attachment; filename=\".\"\r\n\r\ndot\r\n"+
			"--B\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\""+strings.Repeat("long", 400)+".txt\"\r\n\r\nlong\r\n"+
			"--B\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"=?UTF-8?B?Li4vLi4vZXZpbC5zaA==?=\"\r\n\r\nencoded\r\n"+
			"--B--\r\n")
	add("injection0001",
		"From: eve@evil.example\r\nTo: info@acme-demo.example\r\n"+
			"Subject: =?UTF-8?Q?hi=0D=0ABcc:_victim@else.example=0D=0A?=\r\n"+
			"Message-ID: <a@b>\r\n\tBcc: victim2@else.example\r\n"+
			"References: <r1@x> =?UTF-8?Q?=0D=0ABcc:_v3@else.example?= <r2@x>\r\n"+
			"Reply-To: \"x\r\n Bcc: v4@else.example\" <eve@evil.example>\r\n"+
			"Date: Tue, 3 Nov 2026 09:02:05 -0500\r\n",
		"hello\r\n")
	add("oddheader001",
		"From : spaced@evil.example\r\nFrom: second@evil.example\r\nTo: info@acme-demo.example\r\n"+
			"Subject:no-space\r\n \r\n\t\r\nX-Folded:\r\n\r\n",
		"body after a whitespace-only continuation and an empty field\r\n")
	add("bareCRLF0001",
		"From: eve@evil.example\rTo: info@acme-demo.example\rSubject: bare CRs\nX-Mixed: lf only\r\n",
		"body\r")
	add("hugehdr00001",
		"From: eve@evil.example\r\nTo: info@acme-demo.example\r\nDate: Tue, 3 Nov 2026 09:02:05 -0500\r\n"+
			"Subject: "+strings.Repeat("huge subject ", 80_000)+"\r\n"+
			strings.Repeat("X-Filler: "+strings.Repeat("f", 900)+"\r\n", 2_000),
		"small body\r\n")
	var deep strings.Builder
	deep.WriteString("From: eve@evil.example\r\nTo: info@acme-demo.example\r\nSubject: deep\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b0\r\n")
	var body strings.Builder
	for i := 1; i < 300; i++ {
		fmt.Fprintf(&body, "--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n", i-1, i)
	}
	body.WriteString("--b299\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"deep.bin\"\r\n\r\nx\r\n")
	add("deepnest0001", deep.String(), body.String())
	return m
}

// termSafe reports what in s would act on a terminal: C0 and C1 controls
// other than newline and tab, DEL, bidi overrides and isolates, and line
// and paragraph separators.
func termSafe(s string) error {
	for i, r := range s {
		switch {
		case r == '\n' || r == '\t':
		case r == utf8.RuneError && strings.HasPrefix(s[i:], "\xef\xbf\xbd"):
		case r == utf8.RuneError:
			return fmt.Errorf("invalid UTF-8 at %d", i)
		case unicode.IsControl(r), r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x2028, r == 0x2029:
			return fmt.Errorf("%U at %d: %q", r, i, s[max(0, i-20):min(len(s), i+20)])
		}
	}
	return nil
}

// startHostile puts msgs in a bucket and writes a config whose mailbox
// has an SES endpoint, a forwarder config and identity_domains.
func startHostile(t *testing.T, msgs map[string]string) *sesPeer {
	t.Helper()
	dir := isolate(t)
	srv := fakes3.Start(t, "mail")
	for id, raw := range msgs {
		srv.Put(t, "mail", "inbound/"+id, []byte(raw))
	}
	ses := startSES(t)
	fwd := filepath.Join(dir, "forwarder.json")
	os.WriteFile(fwd, []byte(`{"fromEmail": "forwarder@acme-demo.example", "forwardMapping": {"@acme-demo.example": ["desk@team.example"]}}`), 0o600)
	cfg := filepath.Join(dir, "config", "sesbox", "config.toml")
	os.MkdirAll(filepath.Dir(cfg), 0o700)
	os.WriteFile(cfg, []byte(`[mailbox.acme]
bucket = "mail"
prefix = "inbound/"
endpoint = "`+srv.URL+`"
ses_endpoint = "`+ses.URL+`"
forward_config = "`+fwd+`"
identity_domains = ["acme-demo.example"]
`), 0o600)

	return ses
}

// TestHostileMessagesThroughTheCLI runs messages written as an attacker
// would through ls --json, show (text, --headers, --html), save --dir,
// forward --dry-run and reply: every command ends in time, nothing that
// would act on a terminal reaches stdout or stderr, no file lands outside
// --dir or under a hidden name, every line sesbox writes into mail is at
// most 998 octets, and no header is injected into a forward or a reply.
func TestHostileMessagesThroughTheCLI(t *testing.T) {
	msgs := hostileMessages()
	ses := startHostile(t, msgs)

	run := func(args ...string) (string, string, int) {
		t.Helper()
		start := time.Now()
		out, errOut, code := sesbox(t, args...)
		// A guard against a message that pins the CPU, not a benchmark:
		// the slowest command takes about 4 s under -race on a quiet
		// machine, and helpers saw 21-39 s at a load average of 12-15,
		// so 20 s flaked. The bounds themselves are held by tests that
		// count bytes allocated (mime's TestBase64JunkIsBounded, ...).
		if d := time.Since(start); d > 90*time.Second {
			t.Errorf("%v took %v", args, d)
		}
		for name, s := range map[string]string{"stdout": out, "stderr": errOut} {
			if err := termSafe(s); err != nil {
				t.Errorf("%v: %s: %v", args, name, err)
			}
		}
		return out, errOut, code
	}

	out, errOut, code := run("ls", "--json")
	if code != 0 {
		t.Fatalf("ls --json: exit %d: %s", code, errOut)
	}
	rows := 0
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var r map[string]any
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("ls --json: %q: %v", line, err)
		}
		rows++
	}
	if rows != len(msgs) {
		t.Errorf("ls --json: %d rows for %d messages", rows, len(msgs))
	}
	if _, errOut, code := run("ls"); code != 0 {
		t.Errorf("ls: exit %d: %s", code, errOut)
	}

	body := writeFile(t, "body.txt", "No.\n")
	for id := range msgs {
		for _, args := range [][]string{{"show", id}, {"show", "--headers", id}, {"show", "--html", id}} {
			if _, errOut, code := run(args...); code != 0 {
				t.Errorf("%v: exit %d: %s", args, code, errOut)
			}
		}
		saveDir := filepath.Join(t.TempDir(), "att")
		run("save", id, "--dir", saveDir)
		filepath.WalkDir(filepath.Dir(saveDir), func(path string, d os.DirEntry, err error) error {
			if err != nil || path == filepath.Dir(saveDir) || path == saveDir {
				return err
			}
			name := filepath.Base(path)
			if filepath.Dir(path) != saveDir || d.IsDir() || strings.HasPrefix(name, ".") || termSafe(name) != nil || len(name) > 255 {
				t.Errorf("save %s wrote %q", id, path)
			}
			return nil
		})

		dry := t.TempDir()
		out, errOut, code := run("forward", "--dry-run", dry, id)
		// Two From fields are refused, with the reason in the report
		// (docs/forwarding.md, difference 29); the rest is written.
		if twoFrom := id == "oddheader001"; twoFrom != (code == 2) || code != 0 && !strings.Contains(out, `"status":"failed","reason":"rewrite: the message has more than one From field`) {
			t.Errorf("forward --dry-run %s: exit %d: %s %s", id, code, out, errOut)
		}
		files, _ := filepath.Glob(filepath.Join(dry, "*"))
		for _, f := range files {
			b, _ := os.ReadFile(f)
			checkWrittenHeader(t, "forward "+id, b, msgs[id])
		}

		before := len(ses.Calls())
		_, errOut, code = run("reply", id, "--body-file", body, "--yes")
		calls := ses.Calls()
		if code == 0 && len(calls) == before+1 {
			c := calls[len(calls)-1]
			checkWrittenHeader(t, "reply "+id, c.Content.Raw.Data, "")
			for _, to := range c.Destination.ToAddresses {
				if strings.Contains(to, "else.example") {
					t.Errorf("reply %s: sent to %s", id, to)
				}
			}
		} else if !strings.Contains(errOut, "reply") {
			t.Logf("reply %s: exit %d: %s", id, code, errOut)
		}
	}
	if len(ses.Calls()) == 0 {
		t.Error("no reply was sent at all: the reply checks proved nothing")
	}
}

// checkWrittenHeader checks the header of mail sesbox wrote: every line at
// most 998 octets, no field an attacker could have injected (Bcc, or a
// second To), no bare CR or LF. orig, when given, is the stored message a
// forward copies: fields it already had are not counted as injected.
func checkWrittenHeader(t *testing.T, what string, raw []byte, orig string) {
	t.Helper()
	end := bytes.Index(raw, []byte("\r\n\r\n"))
	if end < 0 {
		end = len(raw)
	}
	hdr := string(raw[:end])
	// Lines end at LF (after a CR or not, as in the stored message a
	// forward passes on); a CR anywhere else could start a line.
	for i, line := range strings.Split(string(raw), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if orig != "" && strings.Contains(orig, line) {
			continue // the sender's line, passed on as it was (as the Lambda does)
		}
		if len(line) > 998 {
			t.Errorf("%s: line %d is %d octets", what, i, len(line))
		}
		if i < strings.Count(hdr, "\n")+1 && strings.Contains(line, "\r") {
			t.Errorf("%s: a bare CR in the header line %q", what, line)
		}
	}
	for _, line := range strings.Split(hdr, "\n") {
		line = strings.TrimSuffix(line, "\r")
		name, _, ok := strings.Cut(line, ":")
		if !ok || strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t") {
			continue
		}
		if strings.EqualFold(strings.TrimSpace(name), "Bcc") && !strings.Contains(orig, line) {
			t.Errorf("%s: injected header %q", what, line)
		}
	}
	if strings.Contains(strings.ToLower(hdr), "\r\nbcc:") && orig == "" {
		t.Errorf("%s: a Bcc in the header", what)
	}
}
