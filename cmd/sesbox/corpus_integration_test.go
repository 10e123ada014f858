//go:build integration

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sesbox/sesbox/mailstore/forward"
	"github.com/sesbox/sesbox/mailstore/testutil/cpubudget"
	"github.com/sesbox/sesbox/mailstore/testutil/mboxrd"
	"github.com/sesbox/sesbox/mailstore/testutil/peer"
)

// corpusReference is one message of testdata/corpus/reference.json: what
// Python's email package (policy.default) reads in it (see reference.py).
type corpusReference struct {
	Subject     *string  `json:"subject"`
	From        *string  `json:"from"`
	Date        *int64   `json:"date"`
	Body        *string  `json:"body"`
	Attachments []string `json:"attachments"`
}

// corpusDisagreements are where sesbox and Python's email package read a
// corpus message differently and sesbox is right, by file and field.
var corpusDisagreements = map[string]map[string]string{
	"mime4j-obsolete_header_syntax.eml": {
		// RFC 5322 4.5.1 (obs-optional) allows blanks before the colon;
		// Python drops the field, as mutt and aerc do not.
		"subject": `"Subject :" is the Subject`,
		"body":    `Python's body starts at "Subject :"`,
	},
	"spamscope-gb2312_label_utf8_bytes.eml": {
		// Labelled GB2312, written in UTF-8: Python decodes it as GB2312
		// (mojibake), sesbox sees valid UTF-8 and reads it so, with a
		// warning.
		"body": "UTF-8 under a GB2312 label",
	},
	"flanker-malformed_headers.eml": {
		// Bytes that are not UTF-8: Python keeps them as U+FFFD, sesbox
		// reads them in a fallback charset and warns.
		"subject": "invalid UTF-8, read as a legacy charset",
	},
	"mime4j-koi8r_param_encoded_words.eml": {
		// An RFC 2047 word as a parameter value (RFC 2047 5 forbids it,
		// Outlook and Thunderbird write it): Python gives no name; sesbox,
		// mutt and aerc decode it ("Список.doc").
		"attachments": "encoded word in filename=",
	},
}

// corpusKnownWrong are where Python's reading is the right one and
// sesbox's is not yet: the test checks they still differ, so that a fix
// removes the entry.
var corpusKnownWrong = map[string]map[string]string{
	// mime4j-misplaced_boundary.eml was here ("the --boundary" mid-line
	// ended the part in enmime v2.3.0) until rfcDelimiters gave enmime
	// boundaries only the real delimiter lines hold.
}

// TestCorpusAgainstReference stores every message of testdata/corpus as
// SES stores it (its receipt block first, no mbox "From " line) in
// versitygw, and runs each through the CLI: index, ls --json, show, show
// --raw, save, reply --dry-run, and all of them through forward --dry-run
// and export --mbox. Each message's commands stay within
// a CPU budget; nothing sends a terminal control byte to stdout; JSON
// round-trips; no line sesbox writes into mail passes 998 octets; saved
// files land in the directory; the export holds the stored bytes exactly;
// and From, Subject, Date and attachment names agree with
// testdata/corpus/reference.json (Python's email package), and show
// holds the first line of the text Python reads, except where
// corpusDisagreements says why sesbox is right.
func TestCorpusAgainstReference(t *testing.T) {
	dir := isolate(t)
	b, err := os.ReadFile("../../testdata/corpus/reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref map[string]corpusReference
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("../../testdata/corpus/*.eml")
	if len(files) != len(ref) || len(files) < 50 {
		t.Fatalf("%d messages, %d in reference.json: run testdata/corpus/reference.py", len(files), len(ref))
	}
	srv, c := versity(t, "inbound")
	ses := peer.StartSES(t)
	fwd := filepath.Join(dir, "forwarder.json")
	if err := os.WriteFile(fwd, []byte(`{"fromEmail": "forwarder@acme-demo.example", "forwardMapping": {"@acme-demo.example": ["desk@team.example"]}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "config", "sesbox", "config.toml")
	if err := os.MkdirAll(filepath.Dir(cfg), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, []byte("[mailbox.c]\nbucket = \"inbound\"\nprefix = \"inbox/\"\nendpoint = \""+srv.URL+
		"\"\nses_endpoint = \""+ses.URL+"\"\nforward_config = \""+fwd+"\"\nidentity_domains = [\"acme-demo.example\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	body := writeFile(t, "body.txt", "Thanks.\n")

	stored := map[string][]byte{} // by SES message id
	name := map[string]string{}   // file by SES message id
	for i, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.HasPrefix(raw, []byte("From ")) {
			raw = raw[bytes.IndexByte(raw, '\n')+1:]
		}
		id := fmt.Sprintf("corpus%04d%030d", i, 0)
		full := append([]byte(hostileReceipt(id)), raw...)
		if _, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("inbound"), Key: aws.String("inbox/" + id), Body: bytes.NewReader(full)}); err != nil {
			t.Fatal(err)
		}
		stored[id], name[id] = full, filepath.Base(f)
	}
	if _, errOut, code := sesbox(t, "--mailbox", "c", "index"); code != 0 {
		t.Fatalf("index: exit %d: %s", code, errOut)
	}
	out, errOut, code := sesbox(t, "--mailbox", "c", "ls", "--cached", "--json")
	if code != 0 {
		t.Fatalf("ls: exit %d: %s", code, errOut)
	}
	rows := map[string]lsRow{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var any1, any2 map[string]any
		if err := json.Unmarshal([]byte(line), &any1); err != nil {
			t.Fatalf("ls --json line %q: %v", line, err)
		}
		again, _ := json.Marshal(any1)
		if err := json.Unmarshal(again, &any2); err != nil || !reflect.DeepEqual(any1, any2) {
			t.Errorf("ls --json line does not round-trip: %s", line)
		}
		var r lsRow
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		rows[strings.TrimPrefix(r.Key, "inbox/")] = r
	}
	if len(rows) != len(stored) {
		t.Fatalf("ls listed %d of %d messages", len(rows), len(stored))
	}

	for id, full := range stored {
		file := name[id]
		t.Run(file, func(t *testing.T) {
			row, want, why := rows[id], ref[file], corpusDisagreements[file]
			var show, raw string
			used := cpubudget.Used(func() {
				for _, args := range [][]string{{"show", id}} {
					o, e, code := sesbox(t, append([]string{"--mailbox", "c"}, args...)...)
					if code != 0 || o == "" {
						t.Errorf("%s: exit %d: %s", strings.Join(args, " "), code, e)
					}
					if i := strings.IndexFunc(o, isTerminalControl); i >= 0 {
						t.Errorf("%s printed control %q: %.60q", strings.Join(args, " "), o[i], o[max(0, i-20):])
					}
					if !utf8.ValidString(o) {
						t.Errorf("%s printed invalid UTF-8", strings.Join(args, " "))
					}
					if args[1] == id {
						show = o
					}
				}
				raw, _, _ = sesbox(t, "--mailbox", "c", "show", "--raw", id)
				saveDir := filepath.Join(dir, "save", id)
				var o, e string
				var code int
				if row.Attachments > 0 {
					if o, e, code = sesbox(t, "--mailbox", "c", "save", id, "--dir", saveDir); code != 0 {
						t.Errorf("save: exit %d: %s", code, e)
					}
				}
				for _, p := range strings.Split(strings.TrimSpace(o), "\n") {
					if p != "" && filepath.Dir(p) != saveDir {
						t.Errorf("saved outside %s: %q", saveDir, p)
					}
				}
				o, e, code = sesbox(t, "--mailbox", "c", "reply", id, "--body-file", body, "--dry-run")
				if code == 0 {
					checkMailLines(t, "reply", o)
				} else if !strings.HasPrefix(e, "sesbox: send the reply to an address you name") {
					t.Errorf("reply --dry-run: exit %d without the hint: %s", code, e)
				}
			})
			if used > 20*time.Second {
				t.Errorf("its commands took %v of CPU", used)
			}
			if raw != string(full) {
				t.Errorf("show --raw gives %d bytes, %d stored", len(raw), len(full))
			}

			differ := map[string]string{}
			if want.Subject == nil && row.Subject != "" {
				differ["subject"] = fmt.Sprintf("Subject %q, Python reads none", row.Subject)
			} else if want.Subject != nil && strings.Join(strings.Fields(row.Subject), " ") != strings.Join(strings.Fields(*want.Subject), " ") {
				differ["subject"] = fmt.Sprintf("Subject %q, Python reads %q", row.Subject, *want.Subject)
			}
			if want.From != nil && !strings.EqualFold(row.FromAddress, *want.From) {
				differ["from"] = fmt.Sprintf("From address %q, Python reads %q", row.FromAddress, *want.From)
			}
			if want.Date != nil {
				if got, err := time.Parse(time.RFC3339, row.Date); err != nil || got.Unix() != *want.Date || row.DateSource == "s3" {
					differ["date"] = fmt.Sprintf("Date %s (%s), Python reads %s", row.Date, row.DateSource, time.Unix(*want.Date, 0).UTC().Format(time.RFC3339))
				}
			}
			if want.Body != nil && !strings.Contains(strings.Join(strings.Fields(show), " "), *want.Body) {
				differ["body"] = fmt.Sprintf("show lacks the text Python reads, %q:\n%s", *want.Body, show)
			}
			for _, a := range want.Attachments {
				if !strings.Contains(show, "] "+a+"  ") {
					differ["attachments"] += fmt.Sprintf("attachment %q, which Python reads, is not listed by show; ", a)
				}
			}
			for _, field := range []string{"subject", "from", "date", "body", "attachments"} {
				wrong := corpusKnownWrong[file][field]
				switch {
				case wrong != "":
					if differ[field] == "" {
						t.Errorf("corpusKnownWrong says sesbox reads the %s wrong (%s), but it agrees with Python now: remove the entry", field, wrong)
					}
				case differ[field] != "" && why[field] == "":
					t.Error(differ[field])
				case differ[field] == "" && why[field] != "":
					t.Errorf("corpusDisagreements says the %s differs (%s), but sesbox and Python agree", field, why[field])
				}
			}
			if row.AttachmentsExact && row.Attachments < len(want.Attachments) {
				t.Errorf("ls counts %d attachments (exact), Python reads %d", row.Attachments, len(want.Attachments))
			}
		})
	}

	// One forward --dry-run of them all writes each rewritten message but
	// those SES refuses (the corpus has messages without a From): they are
	// failed, with the reason, and the run exits 2.
	ids := make([]string, 0, len(stored))
	refused := 0
	for id, raw := range stored {
		ids = append(ids, id)
		if forward.CheckHeader(raw) != nil {
			refused++
		}
	}
	fwdDir := filepath.Join(dir, "fwd")
	fwdOut, e, code := sesbox(t, append([]string{"--mailbox", "c", "forward", "--dry-run", fwdDir, "--yes"}, ids...)...)
	if want := map[bool]int{false: 0, true: 2}[refused > 0]; code != want || strings.Count(fwdOut, `"reason":"send it from a mail client`) != refused {
		t.Errorf("forward --dry-run: exit %d, want %d, with %d refused for want of a From: %s %s", code, want, refused, fwdOut, e)
	}
	written, _ := filepath.Glob(filepath.Join(fwdDir, "*.eml"))
	if len(written) != len(stored)-refused || refused == len(stored) {
		t.Errorf("forward --dry-run wrote %d of %d messages, %d refused", len(written), len(stored), refused)
	}
	for _, w := range written {
		b, _ := os.ReadFile(w)
		checkMailLines(t, "forward", string(b[:headerLen(b)]))
	}

	mbox := filepath.Join(dir, "all.mbox")
	if _, errOut, code := sesbox(t, "--mailbox", "c", "export", "--mbox", mbox); code != 0 {
		t.Fatalf("export: exit %d: %s", code, errOut)
	}
	f, err := os.Open(mbox)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	msgs, err := mboxrd.Read(f)
	if err != nil {
		t.Fatal(err)
	}
	exported := map[string]bool{}
	for _, m := range msgs {
		exported[string(m)] = true
	}
	for id, full := range stored {
		if !exported[string(full)] && !exported[string(full)+"\n"] {
			t.Errorf("%s: not in the export byte for byte", name[id])
		}
	}
}

// isTerminalControl reports a C0 or C1 control other than tab and newline:
// what a terminal would act on.
func isTerminalControl(r rune) bool {
	return (r < 0x20 && r != '\t' && r != '\n') || r == 0x7f || (r >= 0x80 && r < 0xa0)
}

// checkMailLines fails t for a line of more than 998 octets (RFC 5322
// 2.1.1) in text sesbox wrote into mail.
func checkMailLines(t *testing.T, what, text string) {
	t.Helper()
	for _, l := range strings.Split(text, "\n") {
		if len(strings.TrimSuffix(l, "\r")) > 998 {
			t.Errorf("%s wrote a line of %d octets: %.60q", what, len(l), l)
		}
	}
}

// headerLen is the length of b's header block (to its blank line).
func headerLen(b []byte) int {
	if i := bytes.Index(b, []byte("\r\n\r\n")); i >= 0 {
		return i
	}
	if i := bytes.Index(b, []byte("\n\n")); i >= 0 {
		return i
	}
	return len(b)
}
