package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/sesbox/sesbox/internal/lockedbuf"
	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/demo"
	"github.com/sesbox/sesbox/mailstore/testutil/fakes3"
	"github.com/sesbox/sesbox/mailstore/testutil/httprec"
)

// isolate points every path sesbox reads or writes at a temp dir and gives
// the SDK test credentials (never a developer's real ones).
func isolate(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for k, v := range map[string]string{
		"XDG_CACHE_HOME": filepath.Join(dir, "cache"), "XDG_CONFIG_HOME": filepath.Join(dir, "config"),
		"XDG_STATE_HOME": filepath.Join(dir, "state"), "XDG_DATA_HOME": filepath.Join(dir, "data"),
		"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": "us-east-1",
		"AWS_CONFIG_FILE": filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "none"),
		"AWS_PROFILE": "", "AWS_ENDPOINT_URL": "", "AWS_ENDPOINT_URL_S3": "", "AWS_EC2_METADATA_DISABLED": "true",
	} {
		t.Setenv(k, v)
	}
	return dir
}

// sesbox runs the CLI in-process and returns stdout, stderr and the exit code.
func sesbox(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	// Written from several goroutines, as os.Stdout and os.Stderr may be
	// (a forward's planning line beside the --debug log).
	var out, errb lockedbuf.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), code
}

// demoBucket loads the demo messages into a gofakes3 behind a recording
// proxy and returns the flags that point sesbox at it.
func demoBucket(t *testing.T) ([]string, *httprec.Recorder, map[string][]byte) {
	t.Helper()
	srv := fakes3.Start(t, "mail")
	msgs := demo.Messages()
	for k, b := range msgs {
		srv.Put(t, "mail", k, b)
	}
	url, rec := httprec.Proxy(t, srv.URL)
	return []string{"--endpoint", url, "--bucket", "mail", "--prefix", demo.Prefix}, rec, msgs
}

func lsJSON(t *testing.T, flags ...string) []map[string]any {
	t.Helper()
	out, errOut, code := sesbox(t, append(flags, "ls", "--json")...)
	if code != 0 {
		t.Fatalf("ls --json: exit %d: %s", code, errOut)
	}
	var rows []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var r map[string]any
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("bad JSON line %q: %v", line, err)
		}
		rows = append(rows, r)
	}
	return rows
}

func TestLsJSONContract(t *testing.T) {
	isolate(t)
	flags, _, msgs := demoBucket(t)
	rows := lsJSON(t, flags...)
	if len(rows) != len(msgs) {
		t.Fatalf("%d rows for %d objects", len(rows), len(msgs))
	}
	fields := []string{"key", "messageId", "date", "from", "fromName", "fromAddress", "to", "recipient", "subject", "size",
		"attachments", "attachmentsExact", "spam", "virus", "spf", "dkim", "dmarc"}
	for _, r := range rows {
		for _, f := range fields {
			if _, ok := r[f]; !ok {
				t.Fatalf("row %v lacks %q", r["key"], f)
			}
		}
		if _, ok := r["to"].([]any); !ok {
			t.Fatalf("to is not an array: %v", r["to"])
		}
	}
	// The demo's hostile subjects and names keep their escape sequences
	// in the values (exact, as the contract asks), and the text
	// written holds none of them as they are: each is a \u escape.
	out, _, _ := sesbox(t, append(flags, "ls", "--json")...)
	if r, ok := termActive(out); ok && r != '\n' {
		t.Errorf("ls --json writes %U as it is", r)
	}
	hostile := 0
	for _, r := range rows {
		if strings.ContainsAny(r["subject"].(string)+r["fromName"].(string), "\x1b\x07") {
			hostile++
		}
	}
	if hostile == 0 {
		t.Error("no subject or name holds its escape sequence: values are not exact")
	}
	// Newest first.
	var dates []string
	for _, r := range rows {
		dates = append(dates, r["date"].(string))
	}
	if !sort.SliceIsSorted(dates, func(i, j int) bool { return dates[i] > dates[j] }) {
		t.Errorf("not newest first: %v", dates)
	}
	// Verdicts are upper-case and at least one message fails spam.
	spamFail := 0
	for _, r := range rows {
		if r["spam"] == "FAIL" {
			spamFail++
		}
		if v := r["spf"].(string); v != strings.ToUpper(v) {
			t.Errorf("verdict %q not upper-case", v)
		}
	}
	if spamFail == 0 {
		t.Error("no spam FAIL found in the demo mailbox")
	}
	// --query and --limit.
	q := lsJSON(t, append(flags, "--query", "spam:fail")...)
	if len(q) != spamFail {
		t.Errorf("--query spam:fail gave %d rows, want %d", len(q), spamFail)
	}
	out, _, code := sesbox(t, append(flags, "ls", "--limit", "3", "--cached")...)
	if code != 0 || strings.Count(out, "\n") != 3 {
		t.Errorf("ls --limit 3: exit %d, %q", code, out)
	}
}

func TestShowSaveAndNeverWrite(t *testing.T) {
	isolate(t)
	flags, rec, msgs := demoBucket(t)
	rows := lsJSON(t, flags...)
	var withAtt, any string
	for _, r := range rows {
		k := r["key"].(string)
		if r["spam"] != "" && any == "" {
			any = k
		}
		if r["attachments"].(float64) > 0 && withAtt == "" {
			withAtt = k
		}
	}
	// show by SES id alone.
	id := filepath.Base(any)
	out, errOut, code := sesbox(t, append(flags, "show", id)...)
	if code != 0 || !strings.Contains(out, "Subject:") {
		t.Fatalf("show %s: exit %d %s\n%s", id, code, errOut, out)
	}
	// --raw into a pipe is the exact stored bytes.
	out, _, code = sesbox(t, append(flags, "show", "--raw", any)...)
	if code != 0 || out != string(msgs[any]) {
		t.Fatalf("show --raw differs from the stored object (exit %d)", code)
	}
	out, _, code = sesbox(t, append(flags, "show", "--headers", any)...)
	if code != 0 || !strings.Contains(out, "X-SES-Spam-Verdict:") {
		t.Fatalf("show --headers: exit %d\n%s", code, out)
	}
	// save writes files inside the directory and never overwrites.
	dir := t.TempDir()
	out, errOut, code = sesbox(t, append(flags, "save", withAtt, "--dir", dir)...)
	if code != 0 || out == "" {
		t.Fatalf("save: exit %d %s", code, errOut)
	}
	first := strings.Split(strings.TrimSpace(out), "\n")
	out, _, _ = sesbox(t, append(flags, "save", withAtt, "--dir", dir)...)
	second := strings.Split(strings.TrimSpace(out), "\n")
	for i, p := range append(first, second...) {
		if filepath.Dir(p) != dir {
			t.Errorf("saved outside the directory: %s", p)
		}
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%d: %v", i, err)
		}
	}
	if len(second) != len(first) || second[0] == first[0] {
		t.Errorf("second save overwrote: %v then %v", first, second)
	}
	sesbox(t, append(flags, "index")...)
	sesbox(t, append(flags, "show", "does-not-exist")...)

	assertOnlyReads(t, rec)
}

// assertOnlyReads fails the test if sesbox sent anything but GET or HEAD
// to the bucket: it never writes there.
func assertOnlyReads(t *testing.T, rec *httprec.Recorder) {
	t.Helper()
	methods := rec.Methods()
	for m := range methods {
		if m != "GET" && m != "HEAD" {
			t.Errorf("sesbox sent %s to the bucket: %v", m, methods)
		}
	}
	if methods["GET"] == 0 {
		t.Error("recorder saw no requests")
	}
}

func TestErrorsAreClear(t *testing.T) {
	isolate(t)
	_, errOut, code := sesbox(t, "ls")
	if code == 0 || !strings.HasPrefix(errOut, "sesbox: no config file at ") {
		t.Errorf("no mailbox: exit %d, %q", code, errOut)
	}
	_, errOut, code = sesbox(t, "--config", "/nonexistent/sesbox.toml", "ls")
	if code == 0 || !strings.Contains(errOut, "/nonexistent/sesbox.toml") {
		t.Errorf("explicit missing config: exit %d, %q", code, errOut)
	}
	_, errOut, code = sesbox(t, "--demo", "ls", "--query", "after:someday")
	if code == 0 || !strings.Contains(errOut, "someday") {
		t.Errorf("bad query: exit %d, %q", code, errOut)
	}
	// A mistyped term is an error too (the TUI's filter says the same).
	_, errOut, code = sesbox(t, "--demo", "ls", "--query", "foo:bar")
	if code == 0 || !strings.HasPrefix(errOut, `sesbox: query "foo:bar": foo: is not a term`) {
		t.Errorf("unknown term: exit %d, %q", code, errOut)
	}
}

func TestDemoFlagWorksWithEveryCommand(t *testing.T) {
	isolate(t)
	rows := lsJSON(t, "--demo")
	if len(rows) < 40 {
		t.Fatalf("demo mailbox has %d messages", len(rows))
	}
	out, errOut, code := sesbox(t, "--demo", "show", rows[0]["key"].(string))
	if code != 0 || out == "" {
		t.Fatalf("--demo show: %d %s", code, errOut)
	}
}

func TestConfigMailboxes(t *testing.T) {
	dir := isolate(t)
	flags, _, _ := demoBucket(t)
	cfg := filepath.Join(dir, "config", "sesbox", "config.toml")
	os.MkdirAll(filepath.Dir(cfg), 0o700)
	os.WriteFile(cfg, []byte(`default = "support"
[mailbox.support]
bucket = "mail"
prefix = "`+demo.Prefix+`"
endpoint = "`+flags[1]+`"
region = "us-east-1"
`), 0o600)
	out, errOut, code := sesbox(t, "ls", "--limit", "1")
	if code != 0 || out == "" {
		t.Fatalf("ls from config: exit %d %s", code, errOut)
	}
	_, errOut, code = sesbox(t, "--mailbox", "nope", "ls")
	if code == 0 || !strings.Contains(errOut, `"nope"`) {
		t.Errorf("unknown mailbox: %d %q", code, errOut)
	}
	os.WriteFile(cfg, []byte("[mailbox.x]\nbucket = 1\n"), 0o600)
	_, errOut, code = sesbox(t, "ls")
	if code == 0 || !strings.Contains(errOut, "config") {
		t.Errorf("bad config: %d %q", code, errOut)
	}
	// A default naming no mailbox says so, not "no bucket".
	os.WriteFile(cfg, []byte("default = \"nope\"\n[mailbox.support]\nbucket = \"mail\"\n"), 0o600)
	_, errOut, code = sesbox(t, "ls")
	if code == 0 || !strings.Contains(errOut, `default = "nope": that mailbox is not defined`) || !strings.Contains(errOut, "defined: support") {
		t.Errorf("undefined default: %d %q", code, errOut)
	}
	os.WriteFile(cfg, []byte("refresh = \"soon\"\n"), 0o600)
	_, errOut, code = sesbox(t, "ls")
	if code == 0 || !strings.Contains(errOut, `refresh = "soon"`) {
		t.Errorf("bad refresh: %d %q", code, errOut)
	}
}

// TestListFailureHintFirst: a mailbox that cannot be listed says what to
// check first, the SDK's detail after it.
func TestListFailureHintFirst(t *testing.T) {
	isolate(t)
	_, errOut, code := sesbox(t, "--bucket", "b", "--endpoint", "http://127.0.0.1:9", "--region", "eu-west-1", "ls")
	if code == 0 || !strings.HasPrefix(errOut, "sesbox: connection refused: http://127.0.0.1:9 — check --endpoint (") {
		t.Errorf("no hint first: %d %q", code, errOut)
	}
}

func TestTableAlignsWideCharacters(t *testing.T) {
	sums := []mailstore.Summary{
		{Object: mailstore.Object{Key: "inbox/a"}, From: mailstore.Address{Name: "이서연"}, Subject: "[견적 요청] WX-200 컨트롤러 500대 납품 건 — 아주 긴 제목이 잘려야 합니다"},
		{Object: mailstore.Object{Key: "inbox/b"}, From: mailstore.Address{Name: "Plain Sender"}, Subject: "ascii\x1b[2J subject"},
	}
	var b bytes.Buffer
	if err := printTable(&b, sums); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if ansi.StringWidth(lines[0]) != ansi.StringWidth(lines[1]) {
		t.Errorf("rows differ in width:\n%s", b.String())
	}
	if strings.ContainsRune(b.String(), 0x1b) {
		t.Error("escape character reached the table")
	}
}

// TestErrorQuotingAKeyPrintsNoLineOfItsOwn: an error that quotes a key
// holding a line break (S3 keys may; so may a config value) printed the
// rest of the key as a line of its own on stderr, "sesbox: all good" as
// if sesbox had said it. The lines of an error after its first are
// indented.
func TestErrorQuotingAKeyPrintsNoLineOfItsOwn(t *testing.T) {
	isolate(t)
	flags, _, _ := demoBucket(t)
	for _, key := range []string{"inbox/nokey\nsesbox: all good", "inbox/nokey\u2028sesbox: all good", "inbox/nokey\r\nsesbox: all good"} {
		_, errOut, code := sesbox(t, append(flags, "show", key)...)
		lines := strings.Split(strings.TrimRight(errOut, "\n"), "\n")
		if code == 0 || !strings.HasPrefix(lines[0], "sesbox: ") {
			t.Fatalf("show %q: exit %d, %q", key, code, errOut)
		}
		for _, l := range lines[1:] {
			if !strings.HasPrefix(l, "  ") {
				t.Errorf("show %q: stderr line %q is not indented under the error", key, l)
			}
		}
	}
}
