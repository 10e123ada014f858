package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/actionlog"
	"github.com/sesbox/sesbox/mailstore/demo"
	"github.com/sesbox/sesbox/mailstore/forward"
	"github.com/sesbox/sesbox/mailstore/mime"
	"github.com/sesbox/sesbox/mailstore/reforward"
)

// writeForwardConfig writes a Lambda config: every demo recipient to one
// address, info@ to two.
func writeForwardConfig(t *testing.T, dir string) (string, forward.Config) {
	t.Helper()
	data := `{"fromEmail": "forwarder@acme-demo.example", "subjectPrefix": "[fwd] ",
  "emailBucket": "mail", "emailKeyPrefix": "` + demo.Prefix + `",
  "forwardMapping": {"info@acme-demo.example": ["ops@team.example", "lead@team.example"], "@acme-demo.example": ["desk@team.example"]}}`
	path := filepath.Join(dir, "forwarder.json")
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := forward.ParseConfig([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	return path, cfg
}

// forwardRows parses the JSON lines of `sesbox forward`, checking that
// each has exactly the fields.
func forwardRows(t *testing.T, out string) []map[string]any {
	t.Helper()
	var rows []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var r map[string]any
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("bad JSON line %q: %v", line, err)
		}
		var fields []string
		for k := range r {
			fields = append(fields, k)
		}
		sort.Strings(fields)
		want := []string{"key", "reason", "recipients", "status"}
		switch r["status"] {
		case "sent":
			want = []string{"key", "reason", "recipients", "sesMessageId", "status"}
		case "dry-run":
			want = []string{"file", "key", "reason", "recipients", "status"}
		case "skipped":
			if _, ok := r["sesMessageId"]; ok {
				want = []string{"key", "reason", "recipients", "sesMessageId", "status"}
			}
		case "failed":
			// "refused" is written only as true (omitempty): SES refused
			// the message itself.
			if v, ok := r["refused"]; ok && v == true {
				want = []string{"key", "reason", "recipients", "refused", "status"}
			}
		case "uncertain":
		default:
			t.Fatalf("unknown status in %s", line)
		}
		if _, ok := r["reencoded"]; ok && (r["status"] == "sent" || r["status"] == "dry-run") {
			want = append(want, "reencoded") // a part re-encoded (difference 31)
			sort.Strings(want)
		}
		if !slices.Equal(fields, want) {
			t.Fatalf("%s: fields %v, want %v", line, fields, want)
		}
		if _, ok := r["recipients"].([]any); !ok {
			t.Fatalf("%s: recipients is not an array", line)
		}
		rows = append(rows, r)
	}
	return rows
}

// expectedForward is what the Lambda would send for raw under cfg.
func expectedForward(t *testing.T, cfg forward.Config, raw []byte) ([]byte, []string) {
	t.Helper()
	s := mime.Summarize(raw)
	dests, orig, err := forward.Map(cfg, s.Recipients)
	if err != nil {
		return nil, nil
	}
	out, err := forward.Rewrite(cfg, raw, orig)
	if err != nil {
		t.Fatal(err)
	}
	return out, dests
}

func demoKeysFile(t *testing.T, msgs map[string][]byte) (string, []string) {
	t.Helper()
	var keys []string
	for k := range msgs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	path := filepath.Join(t.TempDir(), "keys.txt")
	var b strings.Builder
	b.WriteString("# pasted from the Lambda's log\n")
	for _, k := range keys {
		b.WriteString(mailstore.SESMessageID(k) + "\n") // SES ids, as the Lambda logs them
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, keys
}

func TestForwardDryRunWritesTheRewrite(t *testing.T) {
	dir := isolate(t)
	flags, rec, msgs := demoBucket(t)
	cfgPath, cfg := writeForwardConfig(t, dir)
	keysFile, keys := demoKeysFile(t, msgs)
	out := filepath.Join(dir, "out")

	stdout, stderr, code := sesbox(t, append(flags, "forward", "--forward-config", cfgPath, "--dry-run", out, "--keys-from", keysFile)...)
	rows := forwardRows(t, stdout)
	if len(rows) != len(keys) {
		t.Fatalf("%d rows for %d messages (exit %d, %s)", len(rows), len(keys), code, stderr)
	}
	counts := map[string]int{}
	for i, r := range rows {
		key := keys[i]
		if r["key"] != key {
			t.Fatalf("row %d is %v, want %s (input order)", i, r["key"], key)
		}
		counts[r["status"].(string)]++
		want, dests := expectedForward(t, cfg, msgs[key])
		s := mime.Summarize(msgs[key])
		switch r["status"] {
		case "dry-run":
			file := r["file"].(string)
			if file != filepath.Join(out, mailstore.SESMessageID(key)+".eml") {
				t.Errorf("%s: file %s", key, file)
			}
			got, err := os.ReadFile(file)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("%s: dry-run file differs from forward.Rewrite (%v)", key, err)
			}
			if fmt.Sprint(r["recipients"]) != fmt.Sprint(dests) {
				t.Errorf("%s: recipients %v, want %v", key, r["recipients"], dests)
			}
		case "skipped":
			if s.Verdicts.Failed() && !strings.Contains(r["reason"].(string), "verdict FAIL") {
				t.Errorf("%s: %v", key, r)
			}
		case "failed":
			if r["reason"] == "" {
				t.Errorf("%s failed without a reason", key)
			}
		}
		if s.Verdicts.Failed() && r["status"] != "skipped" {
			t.Errorf("%s has a FAIL verdict but is %v", key, r["status"])
		}
	}
	if counts["dry-run"] < 40 || counts["skipped"] < 3 {
		t.Errorf("statuses %v", counts)
	}
	if code != 0 && counts["failed"] == 0 {
		t.Errorf("exit %d without failures: %s", code, stderr)
	}
	if strings.Contains(stderr, "warning") {
		t.Errorf("a config for this very bucket and prefix got a warning: %s", stderr)
	}
	_, stderr, _ = sesbox(t, append(flags[:len(flags)-1:len(flags)-1], "other/", "forward", "--forward-config", cfgPath, "--dry-run", out, "x")...)
	if !strings.Contains(stderr, "warning: the forwarder config is for s3://mail/inbox/, the mailbox is s3://mail/other/") {
		t.Errorf("no warning for a config of another prefix: %s", stderr)
	}
	_, stderr, _ = sesbox(t, append(flags, "forward", "--forward-config", cfgPath, "--dry-run", out, "--keys-from", keysFile)...)
	if !strings.Contains(stderr, "written (dry run)") {
		t.Errorf("stderr %q", stderr)
	}
	// Nothing sent, nothing journaled, and the bucket was only read.
	if _, err := os.Stat(filepath.Join(dir, "state", "sesbox", "forward-journal.jsonl")); err == nil {
		t.Error("a dry run wrote the journal")
	}
	for m := range rec.Methods() {
		if m != "GET" && m != "HEAD" {
			t.Errorf("forward sent %s to the bucket", m)
		}
	}
}

func TestForwardSendsOnceAndReports(t *testing.T) {
	dir := isolate(t)
	flags, rec, msgs := demoBucket(t)
	cfgPath, cfg := writeForwardConfig(t, dir)
	ses := startSESWithQuota(t, 50000, 0, 100)
	flags = append(flags, "--ses-endpoint", ses.URL)
	var key string
	for k, raw := range msgs {
		if s := mime.Summarize(raw); len(s.Recipients) == 1 && s.Recipients[0] == "info@acme-demo.example" && !s.Verdicts.Failed() && (key == "" || k < key) {
			key = k
		}
	}
	id := mailstore.SESMessageID(key)

	stdout, stderr, code := sesbox(t, append(flags, "forward", "--forward-config", cfgPath, "--yes", id)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	rows := forwardRows(t, stdout)
	want, dests := expectedForward(t, cfg, msgs[key])
	calls := ses.Calls()
	if len(calls) != 1 || !bytes.Equal(calls[0].Content.Raw.Data, want) || !slices.Equal(calls[0].Destination.ToAddresses, dests) {
		t.Fatalf("SES got %+v", calls)
	}
	if len(rows) != 1 || rows[0]["status"] != "sent" || rows[0]["key"] != key || rows[0]["sesMessageId"] != calls[0].ID ||
		fmt.Sprint(rows[0]["recipients"]) != fmt.Sprint(dests) || rows[0]["reason"] != "" {
		t.Fatalf("rows %v", rows)
	}

	// Again: skipped, with when and which id.
	stdout, stderr, code = sesbox(t, append(flags, "forward", "--forward-config", cfgPath, "--yes", key)...)
	rows = forwardRows(t, stdout)
	if code != 0 || rows[0]["status"] != "skipped" || rows[0]["sesMessageId"] != ses.Calls()[0].ID ||
		!strings.Contains(rows[0]["reason"].(string), "already forwarded") || len(ses.Calls()) != 1 {
		t.Fatalf("second run: exit %d %s %v", code, stderr, rows)
	}
	stdout, _, _ = sesbox(t, append(flags, "forward", "--forward-config", cfgPath, "--yes", "--again", key)...)
	if rows = forwardRows(t, stdout); rows[0]["status"] != "sent" || len(ses.Calls()) != 2 {
		t.Fatalf("--again: %v", rows)
	}

	// The journal and the action log are private files under XDG_STATE_HOME.
	for _, name := range []string{"forward-journal.jsonl", "actions.jsonl"} {
		st, err := os.Stat(filepath.Join(dir, "state", "sesbox", name))
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v", name, err, st)
		}
	}
	actions, problems, err := actionlog.VerifyLog(filepath.Join(dir, "state", "sesbox", "actions.jsonl"))
	if err != nil || len(problems) != 0 || len(actions) != 2 || actions[0].Command != "forward" || actions[0].Key != key ||
		actions[0].SESMessageID != ses.Calls()[0].ID || actions[0].Result != "sent" {
		t.Errorf("action log %+v %v %v", actions, problems, err)
	}
	for m := range rec.Methods() {
		if m != "GET" && m != "HEAD" {
			t.Errorf("forward sent %s to the bucket", m)
		}
	}
}

func TestForwardRefusesWithoutTerminalOrQuota(t *testing.T) {
	dir := isolate(t)
	flags, _, msgs := demoBucket(t)
	cfgPath, _ := writeForwardConfig(t, dir)
	keysFile, _ := demoKeysFile(t, msgs)

	ses := startSESWithQuota(t, 50000, 0, 100)
	_, stderr, code := sesbox(t, append(flags, "--ses-endpoint", ses.URL, "forward", "--forward-config", cfgPath, "--keys-from", keysFile)...)
	// What to do first (it said it last, after "refusing to send ...").
	want := "sesbox: give --yes to send without being asked (check first with --dry-run DIR): stdin is not a terminal to ask on ("
	lines := strings.Split(stderr, "\n")
	if code != 1 || len(lines) < 2 || !strings.HasPrefix(lines[len(lines)-2], want) || !strings.Contains(stderr, "not a terminal") || len(ses.Calls()) != 0 {
		t.Errorf("no terminal, no --yes: exit %d %q, %d sends", code, stderr, len(ses.Calls()))
	}

	// 40-odd messages, some to two destinations: more than the 10 left.
	small := startSESWithQuota(t, 1000, 990, 10)
	stdout, stderr, code := sesbox(t, append(flags, "--ses-endpoint", small.URL, "forward", "--forward-config", cfgPath, "--yes", "--keys-from", keysFile)...)
	if code != 1 || stdout != "" || !strings.Contains(stderr, "24-hour sending quota") || !strings.Contains(stderr, "10 of 1000 left") || len(small.Calls()) != 0 {
		t.Errorf("quota: exit %d %q %q, %d sends", code, stdout, stderr, len(small.Calls()))
	}
}

func TestForwardArgumentErrors(t *testing.T) {
	dir := isolate(t)
	flags, _, _ := demoBucket(t)
	cfgPath, _ := writeForwardConfig(t, dir)
	for _, tc := range []struct {
		args []string
		want string
		code int
	}{
		{[]string{"forward", "--forward-config", cfgPath}, "name the messages one way", exitUsage},
		{[]string{"forward", "--forward-config", cfgPath, "--query", "spam:fail", "abc"}, "name the messages one way", exitUsage},
		// Hint first, as every error: it said "forward: no forwarder config: give ...".
		{[]string{"forward", "abc"}, "sesbox: give --forward-config FILE (the Lambda's config as JSON), set forward_config for the mailbox, or use --to ADDR (forward: no forwarder config", 1},
		{[]string{"forward", "--forward-config", filepath.Join(dir, "nope.json"), "abc"}, "nope.json", 1},
		{[]string{"forward", "--forward-config", cfgPath, "--keys-from", filepath.Join(dir, "none.txt")}, "none.txt", 1},
		{[]string{"forward", "--forward-config", cfgPath, "--query", "from:nobody-at-all"}, "no messages to forward", 1},
	} {
		_, stderr, code := sesbox(t, append(flags, tc.args...)...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d %q, want %q", tc.args, code, stderr, tc.want)
		}
	}
}

func TestForwardQueryToAndFailures(t *testing.T) {
	dir := isolate(t)
	flags, _, msgs := demoBucket(t)
	ses := startSESWithQuota(t, 50000, 0, 100)
	flags = append(flags, "--ses-endpoint", ses.URL)

	// --to without a config: explicit destinations; spam skipped; exit 0.
	stdout, stderr, code := sesbox(t, append(flags, "forward", "--to", "x@team.example", "--yes", "--query", "spam:fail")...)
	rows := forwardRows(t, stdout)
	if code != 0 || len(rows) == 0 {
		t.Fatalf("exit %d %s", code, stderr)
	}
	for _, r := range rows {
		if r["status"] != "skipped" || fmt.Sprint(r["recipients"]) != "[x@team.example]" {
			t.Errorf("%v", r)
		}
	}
	stdout, _, _ = sesbox(t, append(flags, "forward", "--to", "x@team.example", "--yes", "--include-spam", "--query", "spam:fail")...)
	for _, r := range forwardRows(t, stdout) {
		if r["status"] != "sent" {
			t.Errorf("--include-spam: %v", r)
		}
	}

	// A mapping that matches nothing: a failed line per message, exit 2.
	cfg := filepath.Join(dir, "narrow.json")
	os.WriteFile(cfg, []byte(`{"forwardMapping": {"nobody@acme-demo.example": ["x@team.example"]}}`), 0o600)
	var key string
	for k := range msgs {
		if s := mime.Summarize(msgs[k]); len(s.Recipients) > 0 && !s.Verdicts.Failed() {
			key = k
			break
		}
	}
	stdout, stderr, code = sesbox(t, append(flags, "forward", "--forward-config", cfg, "--yes", key)...)
	rows = forwardRows(t, stdout)
	if code != 2 || len(rows) != 1 || rows[0]["status"] != "failed" || !strings.Contains(rows[0]["reason"].(string), "no forward destinations") ||
		!strings.Contains(stderr, "1 failed") {
		t.Errorf("no mapping: exit %d %q %v", code, stderr, rows)
	}
}

func TestForwardConfirmPrompt(t *testing.T) {
	e := &reforward.Plan{
		Location: mailstore.Location{Bucket: "mail", Prefix: "inbox/"},
		Items: []reforward.Item{
			{Key: "inbox/a", Destinations: []string{"b@x.example", "a@x.example"}, Sends: []reforward.Send{{Destinations: []string{"b@x.example", "a@x.example"}}}},
			{Key: "inbox/b", Destinations: []string{"a@x.example"}, Sends: []reforward.Send{{Destinations: []string{"a@x.example"}}}},
			{Key: "inbox/c", Status: reforward.StatusSkipped, Reason: "spam"},
		},
	}
	for answer, want := range map[string]bool{"y\n": true, "YES\n": true, "n\n": false, "\n": false, "": false} {
		var out bytes.Buffer
		ok, err := confirmForward(strings.NewReader(answer), &out, e)
		if err != nil || ok != want {
			t.Errorf("%q: %v %v", answer, ok, err)
		}
		wantText := "About to forward 2 messages from s3://mail/inbox/ (2 sends, 3 recipients) to:\n  a@x.example\n  b@x.example\nNot sent: 1 skipped (reasons in the output).\nSend? [y/N] "
		if out.String() != wantText {
			t.Errorf("prompt:\n%s\nwant:\n%s", out.String(), wantText)
		}
	}
}

// TestForwardDryRunCollidingNames: two keys with the same SES id (one in
// a sub-folder) each get their own dry-run file; neither is reported
// failed, so the exit status is 0.
func TestForwardDryRunCollidingNames(t *testing.T) {
	dir := isolate(t)
	flags, _, msgs, srv := auditBucket(t)
	cfgPath, _ := writeForwardConfig(t, dir)
	key := demo.Prefix + "mia6ed18scmegblb58ddgd2hjqfhjqavs9m92esh"
	twin := demo.Prefix + "sub/mia6ed18scmegblb58ddgd2hjqfhjqavs9m92esh"
	srv.Put(t, "mail", twin, msgs[key])
	keysFile := filepath.Join(dir, "keys.txt")
	if err := os.WriteFile(keysFile, []byte(key+"\n"+twin+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	stdout, stderr, code := sesbox(t, append(flags, "forward", "--forward-config", cfgPath, "--dry-run", out, "--keys-from", keysFile)...)
	rows := forwardRows(t, stdout)
	if code != 0 || len(rows) != 2 {
		t.Fatalf("exit %d, %d rows\n%s\n%s", code, len(rows), stdout, stderr)
	}
	files := map[string]bool{}
	for _, r := range rows {
		f, _ := r["file"].(string)
		if r["status"] != "dry-run" || f == "" || files[f] {
			t.Errorf("%v", r)
		}
		files[f] = true
		if _, err := os.Stat(f); err != nil {
			t.Error(err)
		}
	}
	if ents, _ := os.ReadDir(out); len(ents) != 2 {
		t.Errorf("%d files in %s", len(ents), out)
	}
}

// A negative send_rate is a mistake in the config, said with what to
// write; it was taken for "the account's rate".
func TestForwardRefusesANegativeSendRate(t *testing.T) {
	dir := isolate(t)
	flags, _, msgs := demoBucket(t)
	cfgPath, _ := writeForwardConfig(t, dir)
	keysFile, _ := demoKeysFile(t, msgs)
	cfg := filepath.Join(dir, "config", "sesbox", "config.toml")
	os.MkdirAll(filepath.Dir(cfg), 0o700)
	os.WriteFile(cfg, []byte(`default = "support"
[mailbox.support]
bucket = "mail"
prefix = "`+demo.Prefix+`"
endpoint = "`+flags[1]+`"
region = "us-east-1"
send_rate = -2
`), 0o600)
	_, stderr, code := sesbox(t, "forward", "--forward-config", cfgPath, "--dry-run", filepath.Join(dir, "out"), "--keys-from", keysFile)
	if code != 1 || !strings.HasPrefix(stderr, "sesbox: fix mailbox.support.send_rate at line 7 of "+cfg+" — set it to 0 (the account's rate) or a positive number") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
}

// TestForwardRefusesAToThatIsNotOneAddress: --to took any text as a
// destination ("b@x.example, c@y.example" was one recipient to SES, a
// dry run wrote it); each --to is now checked as one plain ASCII address,
// a usage error before anything is read.
func TestForwardRefusesAToThatIsNotOneAddress(t *testing.T) {
	isolate(t)
	for _, c := range []struct{ to, want string }{
		{"b@x.example, c@y.example", `forward: --to: "b@x.example, c@y.example" is not one plain address (name@domain); one plain address each (--to a@x.example --to b@y.example)`},
		{"Bob <b@x.example>", `forward: --to: "Bob <b@x.example>" is not one plain address`},
		{"b@b\u00fccher.example", `forward: --to: write "b@xn--bcher-kva.example"`},
	} {
		out, errOut, code := sesbox(t, "--bucket", "b", "forward", "--to", "ok@x.example", "--to", c.to, "--dry-run", t.TempDir(), "k")
		if code != exitUsage || out != "" || !strings.HasPrefix(errOut, "sesbox: "+c.want) {
			t.Errorf("--to %q: exit %d, stdout %q, stderr:\n%s", c.to, code, out, errOut)
		}
	}
}
