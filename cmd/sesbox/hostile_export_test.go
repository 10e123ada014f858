package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestHostileMessagesThroughExportAndAudit: the hostile messages of
// TestHostileMessagesThroughTheCLI, under hostile keys too (a C1 control,
// a bidi override, a line break, a leading "-"; a "../" is never read,
// by design), through what the CLI has gained
// since: export --mbox and --maildir, audit verify-export, snapshot and
// verify, audit log, mark, and replies kept as drafts (reply --dry-run,
// drafts). Nothing printed acts on a terminal, every
// JSON line parses and gives back the keys exactly, and every file written
// is where it was asked to be, under a name that is safe to show.
func TestHostileMessagesThroughExportAndAudit(t *testing.T) {
	msgs := hostileMessages()
	keyed := map[string]string{}
	for id, raw := range msgs {
		keyed[id] = raw
	}
	// (A key of C0 controls other than line breaks cannot be listed by the
	// in-process S3 server, whose XML cannot hold them.)
	for _, id := range []string{"csi\u009b31mkey0001", "bidi\u202ekey0001", "line\nsesbox: key0001", "-rf key0001"} {
		keyed[id] = msgs["injection0001"]
	}
	startHostile(t, keyed)
	var keys []string
	for id := range keyed {
		keys = append(keys, "inbound/"+id)
	}
	slices.Sort(keys)

	run := func(args ...string) (string, string, int) {
		t.Helper()
		out, errOut, code := sesbox(t, args...)
		// reply --dry-run prints the message as it would be sent: its lines
		// end in CRLF.
		for name, s := range map[string]string{"stdout": strings.ReplaceAll(out, "\r\n", "\n"), "stderr": errOut} {
			if err := termSafe(s); err != nil {
				t.Errorf("%v: %s: %v", args, name, err)
			}
		}
		return out, errOut, code
	}
	// jsonKeys parses JSON Lines and gives the values of field, sorted.
	jsonKeys := func(what, out, field string) []string {
		t.Helper()
		var got []string
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			var r map[string]any
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				t.Fatalf("%s: %q: %v", what, line, err)
			}
			if k, ok := r[field].(string); ok {
				got = append(got, k)
			}
		}
		slices.Sort(got)
		return got
	}

	out, errOut, code := run("ls", "--json")
	if code != 0 {
		t.Fatalf("ls --json: exit %d: %s", code, errOut)
	}
	if got := jsonKeys("ls --json", out, "key"); !slices.Equal(got, keys) {
		t.Errorf("ls --json keys %q, want %q", got, keys)
	}

	dir := t.TempDir()
	mbox, maildir := filepath.Join(dir, "all.mbox"), filepath.Join(dir, "md")
	for _, args := range [][]string{{"export", "--mbox", mbox}, {"export", "--maildir", maildir}} {
		if _, errOut, code := run(args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
	}
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		name := filepath.Base(path)
		if strings.HasPrefix(rel, "..") || termSafe(name) != nil || len(name) > 255 || strings.HasPrefix(name, "-") {
			t.Errorf("export wrote %q", path)
		}
		if fi, err := os.Lstat(path); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("export wrote %q with mode %v", path, fi.Mode())
		}
		return nil
	})
	for _, target := range []string{mbox, maildir} {
		for _, args := range [][]string{{"audit", "verify-export", target + ".manifest.jsonl"}, {"audit", "verify-export", "--json", target + ".manifest.jsonl"}} {
			out, errOut, code := run(args...)
			if code != 0 {
				t.Errorf("%v: exit %d: %s %s", args, code, out, errOut)
			}
			if slices.Contains(args, "--json") {
				if got := jsonKeys("verify-export", out, "key"); !slices.Equal(got, keys) {
					t.Errorf("%v: keys %q, want %q", args, got, keys)
				}
			}
		}
	}

	snap := filepath.Join(dir, "snap.jsonl")
	if _, errOut, code := run("audit", "snapshot", "--out", snap); code != 0 {
		t.Fatalf("audit snapshot: exit %d: %s", code, errOut)
	}
	if _, errOut, code := run("audit", "verify", snap); code != 0 {
		t.Errorf("audit verify: exit %d: %s", code, errOut)
	}
	out, errOut, code = run("audit", "verify", "--json", snap)
	if code != 0 {
		t.Errorf("audit verify --json: exit %d: %s", code, errOut)
	}
	if got := jsonKeys("audit verify --json", out, "key"); !slices.Equal(got, keys) {
		t.Errorf("audit verify --json keys %q, want %q", got, keys)
	}
	if _, errOut, code := run(append([]string{"mark"}, keys...)...); code != 0 {
		t.Errorf("mark: exit %d: %s", code, errOut)
	}
	// A reply kept as a draft to each (--dry-run keeps it), listed.
	body := writeFile(t, "body.txt", "No.\n")
	var replied []string
	for _, k := range keys {
		out, errOut, code := run("reply", "--dry-run", "--body-file", body, k)
		if k == "inbound/ctlfields0001" { // its From is no address: refused, hint first
			if code != 1 || !strings.Contains(errOut, "sesbox reply --to ADDR") {
				t.Errorf("reply --dry-run %q: exit %d: %s", k, code, errOut)
			}
			continue
		}
		if code != 0 {
			t.Errorf("reply --dry-run %q: exit %d: %s", k, code, errOut)
			continue
		}
		replied = append(replied, k)
		checkWrittenHeader(t, "reply --dry-run "+k, []byte(out), "")
	}
	if _, errOut, code := run("drafts"); code != 0 {
		t.Errorf("drafts: exit %d: %s", code, errOut)
	}
	out, errOut, code = run("drafts", "--json")
	if code != 0 {
		t.Errorf("drafts --json: exit %d: %s", code, errOut)
	}
	if got := jsonKeys("drafts --json", out, "key"); !slices.Equal(got, replied) {
		t.Errorf("drafts --json keys %q, want %q", got, replied)
	}
	// Each draft sent again, read back from its text file: the
	// sender's values in it add no recipient and no header.
	for _, id := range jsonKeys("drafts --json", out, "id") {
		out, errOut, code := run("reply", "--draft", id, "--dry-run")
		if code != 0 {
			t.Errorf("reply --draft %s --dry-run: exit %d: %s", id, code, errOut)
			continue
		}
		checkWrittenHeader(t, "reply --draft "+id, []byte(out), "")
		_, to, _ := strings.Cut(errOut, "it would go to ")
		if to, _, _ = strings.Cut(to, ". The draft"); to == "" || strings.Contains(to, "else.example") {
			t.Errorf("reply --draft %s --dry-run: it would go to %q:\n%s", id, to, errOut)
		}
	}
	for _, args := range [][]string{{"audit", "log"}, {"audit", "log", "--json"}, {"audit", "log", "--verify"}} {
		if _, errOut, code := run(args...); code != 0 {
			t.Errorf("%v: exit %d: %s", args, code, errOut)
		}
	}
}
