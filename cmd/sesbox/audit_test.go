package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alessio/shellescape"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/actionlog"
	"github.com/sesbox/sesbox/mailstore/audit"
	"github.com/sesbox/sesbox/mailstore/demo"
	"github.com/sesbox/sesbox/mailstore/posture"
	"github.com/sesbox/sesbox/mailstore/s3store"
	"github.com/sesbox/sesbox/mailstore/testutil/fakes3"
	"github.com/sesbox/sesbox/mailstore/testutil/httprec"
	"github.com/sesbox/sesbox/mailstore/testutil/mboxrd"
)

// auditBucket is demoBucket that also hands back the server, so a test
// can change the bucket behind sesbox's back.
func auditBucket(t *testing.T) ([]string, *httprec.Recorder, map[string][]byte, *fakes3.Server) {
	t.Helper()
	srv := fakes3.Start(t, "mail")
	msgs := demo.Messages()
	for k, b := range msgs {
		srv.Put(t, "mail", k, b)
	}
	url, rec := httprec.Proxy(t, srv.URL)
	return []string{"--endpoint", url, "--bucket", "mail", "--prefix", demo.Prefix}, rec, msgs, srv
}

func sortedKeys(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// hasRow reports whether a line of out has exactly the fields of row.
func hasRow(out, row string) bool {
	for _, l := range strings.Split(out, "\n") {
		if strings.Join(strings.Fields(l), " ") == row {
			return true
		}
	}
	return false
}

func TestAuditSnapshotVerifyCLI(t *testing.T) {
	isolate(t)
	flags, rec, msgs, srv := auditBucket(t)
	man := filepath.Join(t.TempDir(), "snap.jsonl")
	out, errOut, code := sesbox(t, append(flags, "audit", "snapshot", "--out", man)...)
	if code != 0 || !strings.Contains(out, "wrote "+man) || !strings.Contains(errOut, "objects read") {
		t.Fatalf("snapshot: exit %d\n%s\n%s", code, out, errOut)
	}
	_, errOut, code = sesbox(t, append(flags, "audit", "snapshot", "--out", man)...)
	if code == 0 || !strings.Contains(errOut, "--force") {
		t.Errorf("snapshot over a manifest: exit %d %s", code, errOut)
	}
	out, errOut, code = sesbox(t, append(flags, "audit", "verify", man)...)
	if code != 0 || !strings.Contains(out, "OK: nothing changed") || !strings.Contains(out, "manifest: intact") ||
		!strings.Contains(out, "action log: the action log recorded this manifest: snapshot by") {
		t.Fatalf("clean verify: exit %d\n%s\n%s", code, out, errOut)
	}

	keys := sortedKeys(msgs)
	changed, deleted := keys[2], keys[9]
	srv.Put(t, "mail", changed, []byte("Subject: \x1b[31mreplaced\n\nbody\n"))
	if _, err := srv.Admin.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String("mail"), Key: aws.String(deleted)}); err != nil {
		t.Fatal(err)
	}
	out, _, code = sesbox(t, append(flags, "audit", "verify", man)...)
	if code != 1 {
		t.Errorf("verify after changes: exit %d, want 1", code)
	}
	for _, want := range []string{"changed   " + changed, "deleted   " + deleted, "FAILED", "no earlier versions are kept"} {
		if !strings.Contains(out, want) {
			t.Errorf("verify output lacks %q:\n%s", want, out)
		}
	}
	for _, row := range []string{"changed 1", "deleted 1", "unchanged " + fmt.Sprint(len(msgs)-2)} {
		if !hasRow(out, row) {
			t.Errorf("summary table lacks the row %q:\n%s", row, out)
		}
	}
	if strings.Contains(out, "\x1b") {
		t.Error("verify printed a raw escape sequence")
	}

	out, _, code = sesbox(t, append(flags, "audit", "verify", "--json", man)...)
	if code != 1 {
		t.Errorf("verify --json: exit %d", code)
	}
	ls := strings.Split(strings.TrimSpace(out), "\n")
	if len(ls) != len(msgs)+1 {
		t.Fatalf("verify --json printed %d lines for %d objects", len(ls), len(msgs))
	}
	var sum struct {
		Record           string
		OK               bool
		Changed, Deleted int
		Manifest         struct{ OK bool }
	}
	if err := json.Unmarshal([]byte(ls[len(ls)-1]), &sum); err != nil || sum.Record != "summary" || sum.OK || sum.Changed != 1 ||
		sum.Deleted != 1 || !sum.Manifest.OK {
		t.Errorf("summary line %s (%v)", ls[len(ls)-1], err)
	}
	statuses := map[string]string{}
	for _, l := range ls[:len(ls)-1] {
		var r struct{ Record, Key, Status string }
		json.Unmarshal([]byte(l), &r)
		statuses[r.Key] = r.Status
	}
	if statuses[changed] != "changed" || statuses[deleted] != "deleted" || statuses[keys[0]] != "unchanged" {
		t.Errorf("statuses: %s %s %s", statuses[changed], statuses[deleted], statuses[keys[0]])
	}
	assertOnlyReads(t, rec)
}

func TestAuditVerifyTamperedManifestCLI(t *testing.T) {
	isolate(t)
	flags, _, _, _ := auditBucket(t)
	man := filepath.Join(t.TempDir(), "snap.jsonl")
	if _, errOut, code := sesbox(t, append(flags, "audit", "snapshot", "--out", man)...); code != 0 {
		t.Fatal(errOut)
	}
	data, _ := os.ReadFile(man)
	ls := strings.SplitAfter(string(data), "\n")
	for name, edit := range map[string]string{
		"edited":  strings.Join(ls[:3], "") + strings.Replace(ls[3], `"size":`, `"size":1`, 1) + strings.Join(ls[4:], ""),
		"removed": strings.Join(ls[:3], "") + strings.Join(ls[4:], ""),
	} {
		p := filepath.Join(t.TempDir(), name+".jsonl")
		os.WriteFile(p, []byte(edit), 0o600)
		out, _, code := sesbox(t, append(flags, "audit", "verify", p)...)
		if code != 1 || !strings.Contains(out, "manifest: FAILED its own check") || !strings.Contains(out, "checksum mismatch") {
			t.Errorf("%s manifest: exit %d\n%s", name, code, out)
		}
	}
	_, errOut, code := sesbox(t, append(flags, "audit", "verify", "/nonexistent/m.jsonl")...)
	if code == 0 || !strings.Contains(errOut, "/nonexistent/m.jsonl") {
		t.Errorf("missing manifest: exit %d %s", code, errOut)
	}
}

func TestAuditSnapshotResumeCLI(t *testing.T) {
	isolate(t)
	flags, _, _, _ := auditBucket(t)
	dir := t.TempDir()
	full := filepath.Join(dir, "full.jsonl")
	if _, errOut, code := sesbox(t, append(flags, "audit", "snapshot", "--out", full)...); code != 0 {
		t.Fatal(errOut)
	}
	// An interrupted run: no trailer, a torn last line.
	data, _ := os.ReadFile(full)
	ls := strings.SplitAfter(string(data), "\n")
	part := filepath.Join(dir, "part.jsonl")
	os.WriteFile(part, []byte(strings.Join(ls[:20], "")+ls[20][:30]), 0o600)
	out, errOut, code := sesbox(t, append(flags, "audit", "snapshot", "--out", part, "--resume")...)
	if code != 0 || !strings.Contains(errOut, "from before the resume") {
		t.Fatalf("resume: exit %d\n%s\n%s", code, out, errOut)
	}
	a, _ := audit.CheckManifest(full)
	b, _ := audit.CheckManifest(part)
	if !b.OK() || a.SHA256 != b.SHA256 || !b.Trailer.Resumed {
		t.Errorf("resumed manifest %+v, full %+v", b, a)
	}
}

func TestAuditPostureCLI(t *testing.T) {
	isolate(t)
	flags, rec, _, _ := auditBucket(t)
	out, _, code := sesbox(t, append(flags, "audit", "posture")...)
	// gofakes3 has versioning (off here) and nothing else: critical + unknowns.
	if code != 1 || !strings.Contains(out, "critical  versioning") || !strings.Contains(out, "unknown   lifecycle ") ||
		!strings.Contains(out, "fix: aws s3api put-bucket-versioning --bucket mail") {
		t.Errorf("posture: exit %d\n%s", code, out)
	}
	out, _, _ = sesbox(t, append(flags, "audit", "posture", "--json")...)
	n := 0
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var f posture.Finding
		if err := json.Unmarshal([]byte(l), &f); err != nil || f.Check == "" || f.Severity == "" {
			t.Errorf("bad finding line %q", l)
		}
		n++
	}
	if n != 6 {
		t.Errorf("%d findings, want one per check (6)", n)
	}
	assertOnlyReads(t, rec)
}

func TestAuditLogCLI(t *testing.T) {
	dir := isolate(t)
	out, _, code := sesbox(t, "audit", "log", "--verify")
	if code != 0 || !strings.Contains(out, "no actions logged") {
		t.Errorf("empty log: exit %d %q", code, out)
	}
	path, err := actionlog.DefaultLogPath()
	if err != nil || !strings.HasPrefix(path, filepath.Join(dir, "state")) {
		t.Fatalf("log path %s %v", path, err)
	}
	l, err := actionlog.OpenLog(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"reply", "forward", "forward"} {
		if err := l.Append(actionlog.Action{Command: cmd, Bucket: "mail", Key: "inbox/abc", Destinations: []string{"x@example.com"},
			SESMessageID: "0100", Result: "sent", SHA256: "00"}); err != nil {
			t.Fatal(err)
		}
	}
	l.Append(actionlog.Action{Command: "reply", Key: "inbox/\x1b]0;evil\x07", Result: "failed: \x1b[2J"})
	l.Close()

	out, _, code = sesbox(t, "audit", "log", "--verify")
	if code != 0 || !strings.Contains(out, "log intact: 4 entries") || !strings.Contains(out, "head: 4 entries, last sha256 ") ||
		strings.Count(out, "x@example.com") != 3 {
		t.Errorf("log --verify: exit %d\n%s", code, out)
	}
	if strings.ContainsAny(out, "\x1b\x07") {
		t.Errorf("log printed control characters: %q", out)
	}
	out, _, code = sesbox(t, "audit", "log", "--json")
	if code != 0 || strings.Count(out, "\n") != 4 || !strings.Contains(out, `"prev":"`) {
		t.Errorf("log --json: exit %d\n%s", code, out)
	}
	// The head the text output tells an auditor to record is in --json
	// too: it was not (the verify record held ok and problems only).
	data, _ := os.ReadFile(path)
	lines := strings.SplitAfter(strings.TrimSuffix(string(data), "\n"), "\n")
	lastHash := sha256.Sum256([]byte(strings.TrimSuffix(lines[len(lines)-1], "\n"))) // the line without its newline
	out, _, code = sesbox(t, "audit", "log", "--verify", "--json")
	if want := fmt.Sprintf(`"head":{"entries":4,"sha256":"%x"}`, lastHash); code != 0 || !strings.Contains(out, want) {
		t.Errorf("log --verify --json: exit %d, want %s in\n%s", code, want, out)
	}

	// Edit one entry: the chain breaks and --verify says where.
	os.WriteFile(path, bytes.Replace(data, []byte(`"command":"reply"`), []byte(`"command":"rEply"`), 1), 0o600)
	out, _, code = sesbox(t, "audit", "log", "--verify")
	if code != 1 || !strings.Contains(out, "log FAILED") || !strings.Contains(out, "line 1: edited") {
		t.Errorf("edited log: exit %d\n%s", code, out)
	}
	out, _, code = sesbox(t, "audit", "log", "--verify", "--json")
	if code != 1 || !strings.Contains(out, `"record":"verify","ok":false`) {
		t.Errorf("edited log --json: exit %d\n%s", code, out)
	}
	// Without --verify the log still prints, exit 0.
	if _, _, code = sesbox(t, "audit", "log"); code != 0 {
		t.Errorf("audit log: exit %d", code)
	}
	// Truncation is caught by the head file.
	os.WriteFile(path, data[:bytes.IndexByte(data, '\n')+1], 0o600)
	out, _, code = sesbox(t, "audit", "log", "--verify", "--log", path)
	if code != 1 || !strings.Contains(out, "the tail was removed") {
		t.Errorf("truncated log: exit %d\n%s", code, out)
	}
}

func TestExportCLI(t *testing.T) {
	isolate(t)
	flags, rec, msgs, _ := auditBucket(t)
	dir := t.TempDir()
	mbox := filepath.Join(dir, "all.mbox")
	out, errOut, code := sesbox(t, append(flags, "export", "--mbox", mbox)...)
	if code != 0 || !strings.Contains(out, "exported ") {
		t.Fatalf("export --mbox: exit %d\n%s\n%s", code, out, errOut)
	}
	f, _ := os.Open(mbox)
	got, err := mboxrd.Read(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	keys := sortedKeys(msgs)
	if len(got) != len(keys) {
		t.Fatalf("mbox holds %d of %d", len(got), len(keys))
	}
	for i, k := range keys {
		if want := msgs[k]; !bytes.Equal(got[i], want) && !bytes.Equal(got[i], append(slices.Clone(want), '\n')) {
			t.Errorf("%s differs from the stored object", k)
		}
	}
	if _, err := os.Stat(mbox + ".manifest.jsonl"); err != nil {
		t.Error(err)
	}
	_, errOut, code = sesbox(t, append(flags, "export", "--mbox", mbox)...)
	if code == 0 || !strings.Contains(errOut, "--force") {
		t.Errorf("export over an mbox: exit %d %s", code, errOut)
	}
	// The export's manifest verifies against the bucket.
	if out, _, code := sesbox(t, append(flags, "audit", "verify", mbox+".manifest.jsonl")...); code != 0 {
		t.Errorf("verify of the export manifest: exit %d\n%s", code, out)
	}

	// --query chooses through the index; Maildir keeps bytes exact.
	md := filepath.Join(dir, "spam")
	out, errOut, code = sesbox(t, append(flags, "export", "--maildir", md, "--query", "spam:fail")...)
	if code != 0 {
		t.Fatalf("export --maildir --query: exit %d\n%s\n%s", code, out, errOut)
	}
	c, err := audit.CheckManifest(md + ".manifest.jsonl")
	if err != nil || !c.OK() || c.Entries == 0 || c.Entries >= int64(len(msgs)) || c.Header.Query != "spam:fail" {
		t.Fatalf("query export manifest %+v %v", c, err)
	}
	files, _ := filepath.Glob(filepath.Join(md, "new", "*"))
	if int64(len(files)) != c.Entries {
		t.Errorf("%d files for %d entries", len(files), c.Entries)
	}
	data, _ := os.ReadFile(md + ".manifest.jsonl")
	for _, l := range strings.Split(string(data), "\n") {
		var e audit.Entry
		if json.Unmarshal([]byte(l), &e) != nil || e.Key == "" {
			continue
		}
		if e.Verdicts.Spam != "FAIL" {
			t.Errorf("%s exported for spam:fail with verdict %q", e.Key, e.Verdicts.Spam)
		}
		b, err := os.ReadFile(filepath.Join(md, e.File))
		if err != nil || !bytes.Equal(b, msgs[e.Key]) {
			t.Errorf("%s: maildir file differs from the stored object (%v)", e.File, err)
		}
	}

	for _, args := range [][]string{{"export"}, {"export", "--mbox", "a", "--maildir", "b"}} {
		if _, _, code := sesbox(t, append(flags, args...)...); code == 0 {
			t.Errorf("%v: exit 0", args)
		}
	}
	assertOnlyReads(t, rec)
}

// TestAuditSnapshotOutRefused: an empty --out says what is missing, and a
// symlink at --out is refused, with --force and --resume too.
func TestAuditSnapshotOutRefused(t *testing.T) {
	isolate(t)
	flags, _, _, _ := auditBucket(t)
	_, errOut, code := sesbox(t, append(flags, "audit", "snapshot", "--out", "")...)
	if code == 0 || !strings.Contains(errOut, "--out needs a file name") {
		t.Errorf("--out '': exit %d %s", code, errOut)
	}
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	if err := os.WriteFile(target, []byte("keep\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "snap.jsonl")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	for _, extra := range [][]string{nil, {"--force"}, {"--resume"}} {
		_, errOut, code := sesbox(t, append(append(flags, "audit", "snapshot", "--out", link), extra...)...)
		if code == 0 || !strings.Contains(errOut, "symbolic link") {
			t.Errorf("--out a symlink %v: exit %d %s", extra, code, errOut)
		}
	}
	if b, _ := os.ReadFile(target); string(b) != "keep\n" {
		t.Errorf("written through the symlink: %q", b)
	}
}

// TestAuditVerifyNamesRewrites: a message put again with the same bytes
// after the snapshot was left out of verify's text output (only changed,
// deleted and new objects were named); it is named with a note, counted
// as rewritten, and flagged in --json, and the run still exits 0: nothing
// was lost.
func TestAuditVerifyNamesRewrites(t *testing.T) {
	isolate(t)
	flags, _, msgs, srv := auditBucket(t)
	man := filepath.Join(t.TempDir(), "snap.jsonl")
	if out, errOut, code := sesbox(t, append(flags, "audit", "snapshot", "--out", man)...); code != 0 {
		t.Fatalf("snapshot: exit %d\n%s\n%s", code, out, errOut)
	}
	key := sortedKeys(msgs)[4]
	time.Sleep(1100 * time.Millisecond) // last-modified times have seconds only
	srv.Put(t, "mail", key, msgs[key])
	out, errOut, code := sesbox(t, append(flags, "audit", "verify", man)...)
	if code != 0 || !hasRow(out, "unchanged "+key) || !strings.Contains(out, "note: the same bytes, but written again since the manifest: last modified") ||
		!hasRow(out, "rewritten 1 unchanged, but written again since the manifest") {
		t.Errorf("verify: exit %d\n%s\n%s", code, out, errOut)
	}
	out, _, code = sesbox(t, append(flags, "audit", "verify", "--json", man)...)
	if code != 0 || !strings.Contains(out, `"key":"`+key+`","status":"unchanged"`) || strings.Count(out, `"rewritten":true`) != 1 ||
		!strings.Contains(out, `"rewritten":1`) {
		t.Errorf("verify --json: exit %d\n%s", code, out)
	}
}

// TestAuditVerifyShowsLookAlikeKeysApart: keys put under the prefix after
// the snapshot that look like a message's key (a trailing space, a
// Cyrillic "а" for the Latin "a", a left-to-right mark) were listed as
// new under the very name they imitate: the text output trimmed and
// dropped what told them apart. They are quoted, escaped, in printable
// ASCII; a plain key is shown as it is.
func TestAuditVerifyShowsLookAlikeKeysApart(t *testing.T) {
	isolate(t)
	flags, _, msgs, srv := auditBucket(t)
	man := filepath.Join(t.TempDir(), "snap.jsonl")
	if out, errOut, code := sesbox(t, append(flags, "audit", "snapshot", "--out", man)...); code != 0 {
		t.Fatalf("snapshot: exit %d\n%s\n%s", code, out, errOut)
	}
	key := sortedKeys(msgs)[0]
	i := strings.LastIndexByte(key, 'a')
	if i < 0 {
		t.Fatalf("no 'a' in %s", key)
	}
	for _, k := range []string{key + " ", key[:i] + "\u0430" + key[i+1:], key + "\u200e"} {
		srv.Put(t, "mail", k, msgs[key])
	}
	out, errOut, code := sesbox(t, append(flags, "audit", "verify", man)...)
	want := []string{
		"new       " + strconv.Quote(key+" "),
		"new       " + strconv.QuoteToASCII(key[:i]+"\u0430"+key[i+1:]),
		"new       " + strconv.QuoteToASCII(key+"\u200e"),
	}
	for _, w := range want {
		if !strings.Contains(out, w+"\n") {
			t.Errorf("verify lacks %q: exit %d\n%s\n%s", w, code, out, errOut)
		}
	}
	if strings.Contains(out, key+"\n") {
		t.Errorf("a new key shows as %s:\n%s", key, out)
	}
}

// TestAuditVerifyExportCLI: nothing compared an exported mbox with the
// hashes its manifest holds (audit verify compares the manifest with the
// bucket). verify-export does, with no bucket and no config: exit 0 for
// the export as written, 1 naming the message for an edited one, and
// --json lines; a Maildir export also checks with sha256sum -c, as the
// docs say.
func TestAuditVerifyExportCLI(t *testing.T) {
	isolate(t)
	flags, _, msgs, _ := auditBucket(t)
	dir := t.TempDir()
	mbox := filepath.Join(dir, "all.mbox")
	if out, errOut, code := sesbox(t, append(flags, "export", "--mbox", mbox)...); code != 0 {
		t.Fatalf("export --mbox: exit %d\n%s\n%s", code, out, errOut)
	}
	// No flags at all: no mailbox, no bucket is read.
	out, errOut, code := sesbox(t, "audit", "verify-export", mbox+".manifest.jsonl")
	if code != 0 || !hasRow(out, fmt.Sprintf("intact %d", len(msgs))) || !strings.Contains(out, "OK: the mbox export") ||
		!strings.Contains(errOut, fmt.Sprintf("%d of %d objects checked", len(msgs), len(msgs))) {
		t.Fatalf("verify-export: exit %d\n%s\n%s", code, out, errOut)
	}
	data, _ := os.ReadFile(mbox)
	i := bytes.Index(data, []byte("\nSubject: "))
	data[i+len("\nSubject: ")] ^= 0x20
	os.WriteFile(mbox, data, 0o600)
	out, errOut, code = sesbox(t, "audit", "verify-export", mbox+".manifest.jsonl")
	if code != 1 || !strings.Contains(out, "changed   message ") || !hasRow(out, "changed 1") || !strings.Contains(out, "FAILED") {
		t.Errorf("an edited mbox: exit %d\n%s\n%s", code, out, errOut)
	}
	out, _, code = sesbox(t, "audit", "verify-export", "--json", mbox+".manifest.jsonl")
	if code != 1 || strings.Count(out, `"record":"file"`) != len(msgs) || !strings.Contains(out, `"record":"summary","ok":false`) ||
		!strings.Contains(out, `"status":"changed"`) {
		t.Errorf("--json: exit %d\n%s", code, out)
	}

	md := filepath.Join(dir, "Mail")
	if out, errOut, code := sesbox(t, append(flags, "export", "--maildir", md, "--manifest", filepath.Join(dir, "evidence.jsonl"))...); code != 0 {
		t.Fatalf("export --maildir: exit %d\n%s\n%s", code, out, errOut)
	}
	if _, errOut, code := sesbox(t, "audit", "verify-export", filepath.Join(dir, "evidence.jsonl")); code != 64 || !strings.Contains(errOut, "--export") {
		t.Errorf("a manifest not named FILE.manifest.jsonl: exit %d\n%s", code, errOut)
	}
	// The recipe docs/audit.md gives for standard tools.
	recipe := `sed -n 's/.*"sha256":"\([0-9a-f]*\)".*"file":"\([^"]*\)".*/\1  \2/p' ` + filepath.Join(dir, "evidence.jsonl") + ` | (cd ` + md + ` && sha256sum -c)`
	sums, err := exec.Command("sh", "-c", recipe).CombinedOutput()
	if err != nil || strings.Count(string(sums), ": OK\n") != len(msgs) {
		t.Errorf("sha256sum -c: %v\n%s", err, sums)
	}
	files, _ := filepath.Glob(filepath.Join(md, "new", "*"))
	os.Remove(files[3])
	out, errOut, code = sesbox(t, "audit", "verify-export", "--export", md, filepath.Join(dir, "evidence.jsonl"))
	if code != 1 || !strings.Contains(out, "missing   new/"+filepath.Base(files[3])) || !hasRow(out, "missing 1") {
		t.Errorf("a file removed from the Maildir: exit %d\n%s\n%s", code, out, errOut)
	}
}

// TestAuditSnapshotInterruptedSaysResume: a snapshot stopped by Ctrl-C
// printed only "sesbox: interrupted" (exit 130): the library's "run it
// again with --resume" was dropped, and the manifest left without its
// trailer looked like any other file. The hint comes first, naming the
// file and how many objects it holds.
func TestAuditSnapshotInterruptedSaysResume(t *testing.T) {
	isolate(t)
	flags, _, _, _ := auditBucket(t)
	man := filepath.Join(t.TempDir(), "snap.jsonl")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb bytes.Buffer
	code := run(ctx, append(flags, "audit", "snapshot", "--out", man), strings.NewReader(""), &out, &errb)
	lines := strings.Split(strings.TrimSpace(errb.String()), "\n")
	last := len(lines) - 1
	if code != 130 || last < 1 || lines[last] != "sesbox: interrupted" ||
		!strings.Contains(lines[last-1], "sesbox: "+man+" is unfinished (0 objects, no trailer): run the same command with --resume to finish it") {
		t.Errorf("exit %d, stderr:\n%s", code, errb.String())
	}
	if c, err := audit.CheckManifest(man); err != nil || c.Trailer != nil {
		t.Errorf("the manifest left: %+v %v", c, err)
	}
}

// TestAuditSnapshotOverAFinishedOneSaysSo: a second snapshot to the same
// FILE said "manifest exists (use --resume to continue it or --force to
// start over)", and --resume then failed with "manifest is already
// complete": a finished snapshot is said as one, with what to do first (a
// new --out, or --force), and --resume on it says there is nothing to
// resume and succeeds, as wget -c does for a file fully retrieved (it
// exited 1, so snapshot's second --help example failed after the first,
// and a loop retrying --resume until it succeeds never ended).
func TestAuditSnapshotOverAFinishedOneSaysSo(t *testing.T) {
	isolate(t)
	flags, _, msgs, _ := auditBucket(t)
	man := filepath.Join(t.TempDir(), "snap.jsonl")
	if _, errOut, code := sesbox(t, append(flags, "audit", "snapshot", "--out", man)...); code != 0 {
		t.Fatalf("snapshot: exit %d\n%s", code, errOut)
	}
	before, _ := os.ReadFile(man)
	_, errOut, code := sesbox(t, append(flags, "audit", "snapshot", "--out", man)...)
	want := fmt.Sprintf("sesbox: %s is a finished snapshot (%d entries) — give a new --out FILE, or --force to replace it (", man, len(msgs))
	if code != 1 || !strings.Contains(errOut, want) {
		t.Errorf("again: exit %d, %q\nwant %q", code, errOut, want)
	}
	out, errOut, code := sesbox(t, append(flags, "audit", "snapshot", "--resume", "--out", man)...)
	if want := fmt.Sprintf("%s is finished already: %d objects, entries sha256 ", man, len(msgs)); code != 0 || !strings.HasPrefix(out, want) || !strings.HasSuffix(out, "; nothing to resume\n") {
		t.Errorf("--resume: exit %d, stdout %q, stderr %q\nwant exit 0 and %q", code, out, errOut, want)
	}
	if after, _ := os.ReadFile(man); !bytes.Equal(before, after) {
		t.Error("the finished snapshot changed")
	}
}

// TestExportMaildirInterruptedSaysRunAgain: a Maildir export stopped by
// Ctrl-C leaves the files it wrote and no manifest; it said only
// "interrupted", and running it again failed on the first file. It says
// first that the export is unfinished and to run it again, which now
// finishes it.
func TestExportMaildirInterruptedSaysRunAgain(t *testing.T) {
	isolate(t)
	flags, _, msgs, _ := auditBucket(t)
	md := filepath.Join(t.TempDir(), "Mail")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb bytes.Buffer
	code := run(ctx, append(flags, "export", "--maildir", md), strings.NewReader(""), &out, &errb)
	if code != 130 || !strings.Contains(errb.String(), "sesbox: the Maildir export to "+md+" is unfinished (no manifest): run the same command again to finish it") ||
		!strings.HasSuffix(errb.String(), "sesbox: interrupted\n") {
		t.Errorf("exit %d, stderr:\n%s", code, errb.String())
	}
	stdout, errOut, code := sesbox(t, append(flags, "export", "--maildir", md)...)
	if code != 0 || !strings.Contains(stdout, fmt.Sprintf("exported %d messages", len(msgs))) {
		t.Errorf("again: exit %d\n%s\n%s", code, stdout, errOut)
	}
}

// TestExportMboxInterruptedSaysNothingWasWritten: an mbox export stopped
// by Ctrl-C writes nothing (the partial file is removed, an existing FILE
// kept as it was), but its last progress line said "932 of 935+ objects
// exported" and then only "interrupted": it says first that nothing was
// written and to run it again.
func TestExportMboxInterruptedSaysNothingWasWritten(t *testing.T) {
	isolate(t)
	flags, _, _, _ := auditBucket(t)
	dir := t.TempDir()
	mbox := filepath.Join(dir, "support.mbox")
	os.WriteFile(mbox, []byte("old\n"), 0o600)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb bytes.Buffer
	code := run(ctx, append(flags, "export", "--force", "--mbox", mbox), strings.NewReader(""), &out, &errb)
	if code != 130 || !strings.Contains(errb.String(), "sesbox: the mbox export to "+mbox+" was stopped before its end: nothing was written (a file already there is as it was); run the same command again\n") ||
		!strings.HasSuffix(errb.String(), "sesbox: interrupted\n") {
		t.Errorf("exit %d, stderr:\n%s", code, errb.String())
	}
	if b, _ := os.ReadFile(mbox); string(b) != "old\n" {
		t.Errorf("the existing file now holds %q", b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("left in the directory: %v", ents)
	}
}

// TestAuditVerifyOtherBucketNamesTheFlags: verifying a manifest against
// another mailbox than the one it was made of said only "FILE is a
// manifest of s3://B/P, not of s3://X/Y", exit 1; it now says first which
// flags select the manifest's bucket and prefix, quoted for a shell.
func TestAuditVerifyOtherBucketNamesTheFlags(t *testing.T) {
	isolate(t)
	flags, _, _, _ := auditBucket(t)
	man := filepath.Join(t.TempDir(), "snap.jsonl")
	if out, errOut, code := sesbox(t, append(flags, "audit", "snapshot", "--out", man)...); code != 0 {
		t.Fatalf("snapshot: exit %d\n%s\n%s", code, out, errOut)
	}
	other := slices.Clone(flags)
	other[len(other)-1] = "other folder/"
	_, errOut, code := sesbox(t, append(other, "audit", "verify", man)...)
	want := "sesbox: verify with --bucket mail --prefix " + shellescape.Quote(flags[len(flags)-1]) + " (or the --mailbox of that bucket): " + man +
		" is a manifest of s3://mail/" + flags[len(flags)-1] + ", not of s3://mail/other folder/"
	if code != 1 || !strings.HasPrefix(errOut, want) {
		t.Errorf("exit %d, stderr:\n%s\nwant it to start\n%s", code, errOut, want)
	}
}

// vanishing is a bucket where one listed key cannot be read (deleted
// between the listing and the read).
type vanishing struct {
	audit.Bucket
	key string
}

func (v vanishing) Open(ctx context.Context, key, version string) (io.ReadCloser, mailstore.Object, error) {
	if key == v.key {
		return nil, mailstore.Object{Key: key}, mailstore.ErrNotFound
	}
	return v.Bucket.Open(ctx, key, version)
}

// TestAuditVerifySaysWhatTheManifestLacks: an object deleted while the
// snapshot ran is not in the manifest, only counted in its trailer's
// vanished; verify, run later, never said so (nor --json), and the
// auditor read "intact" as covering every object there was. It says
// how many the manifest lacks, in text and in --json's manifest.
func TestAuditVerifySaysWhatTheManifestLacks(t *testing.T) {
	isolate(t)
	flags, _, msgs, srv := auditBucket(t)
	key := sortedKeys(msgs)[3]
	man := filepath.Join(t.TempDir(), "snap.jsonl")
	st := s3store.New(srv.Admin, mailstore.Location{Bucket: "mail", Prefix: demo.Prefix})
	tr, err := audit.WriteSnapshot(context.Background(), vanishing{st, key}, man, audit.SnapshotOptions{})
	if err != nil || tr.Vanished != 1 {
		t.Fatalf("snapshot: %+v %v", tr, err)
	}
	if _, err := srv.Admin.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String("mail"), Key: aws.String(key)}); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := sesbox(t, append(flags, "audit", "verify", man)...)
	if code != 0 || !strings.Contains(out, "manifest: 1 object was deleted while the snapshot ran: it is not in the manifest and cannot be verified\n") {
		t.Errorf("verify: exit %d\n%s\n%s", code, out, errOut)
	}
	out, _, code = sesbox(t, append(flags, "audit", "verify", "--json", man)...)
	if code != 0 || !strings.Contains(out, `"vanished":1`) {
		t.Errorf("verify --json: exit %d\n%s", code, out)
	}
}

// TestAuditVerifyAgainstCollectedLogs: an auditor checks on their own
// machine a manifest an operator made, with the operator's action log
// (and a second operator's) collected as files. verify read only the
// auditor's own log, so the operator's record of the manifest was no
// anchor: "no action log entry records this manifest". --log FILE (as
// often as there are logs) reads those instead; a manifest edited with
// its trailer recomputed fails against them.
func TestAuditVerifyAgainstCollectedLogs(t *testing.T) {
	isolate(t)
	flags, _, msgs, srv := auditBucket(t)
	man := filepath.Join(t.TempDir(), "snap.jsonl")
	if out, errOut, code := sesbox(t, append(flags, "audit", "snapshot", "--out", man)...); code != 0 {
		t.Fatalf("snapshot: exit %d\n%s\n%s", code, out, errOut)
	}
	opLog, err := actionlog.DefaultLogPath()
	if err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(t.TempDir(), "bob.jsonl")
	bl, err := actionlog.OpenLog(other)
	if err != nil {
		t.Fatal(err)
	}
	bl.Append(actionlog.Action{Command: "reply", Bucket: "mail", Key: "inbox/x", Result: "sent"})
	bl.Close()
	isolate(t) // the auditor's machine: an empty log of its own
	out, _, code := sesbox(t, append(flags, "audit", "verify", man)...)
	if code != 0 || !strings.Contains(out, "action log: no action log entry records this manifest") {
		t.Fatalf("verify with the auditor's own log: exit %d\n%s", code, out)
	}
	out, errOut, code := sesbox(t, append(flags, "audit", "verify", "--log", other, "--log", opLog, man)...)
	if code != 0 || !strings.Contains(out, "action log: the action log recorded this manifest: snapshot by") {
		t.Errorf("verify --log: exit %d\n%s\n%s", code, out, errOut)
	}
	if _, errOut, code := sesbox(t, append(flags, "audit", "verify", "--log", opLog+".typo", man)...); code != 1 ||
		!strings.HasPrefix(errOut, "sesbox: check the --log path: ") {
		t.Errorf("a --log that is not there: exit %d\n%s", code, errOut)
	}
	// Cut an entry out, recompute the trailer: the collected log knows.
	key := sortedKeys(msgs)[2]
	if _, err := srv.Admin.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String("mail"), Key: aws.String(key)}); err != nil {
		t.Fatal(err)
	}
	ls := strings.SplitAfter(strings.TrimSuffix(readFile(t, man), "\n"), "\n")
	var entries []string
	for _, l := range ls[1 : len(ls)-1] {
		if !strings.Contains(l, `"key":"`+key+`"`) {
			entries = append(entries, l)
		}
	}
	var trailer map[string]any
	json.Unmarshal([]byte(ls[len(ls)-1]), &trailer)
	trailer["count"], trailer["entriesSha256"] = len(entries), fmt.Sprintf("%x", sha256.Sum256([]byte(strings.Join(entries, ""))))
	tl, _ := json.Marshal(trailer)
	os.WriteFile(man, []byte(ls[0]+strings.Join(entries, "")+string(tl)+"\n"), 0o600)
	out, _, code = sesbox(t, append(flags, "audit", "verify", "--log", opLog, man)...)
	if code != 1 || !strings.Contains(out, "its trailer recomputed") {
		t.Errorf("an edited manifest against the collected log: exit %d\n%s", code, out)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestAuditVerifyWarnsOfABrokenLog: verify took the action log's entries
// as its anchor whatever the log's own chain said; a log that fails its
// own check (an entry edited) is named on stderr, with the command that
// says what is wrong, while the manifest's result stands.
func TestAuditVerifyWarnsOfABrokenLog(t *testing.T) {
	isolate(t)
	flags, _, _, _ := auditBucket(t)
	man := filepath.Join(t.TempDir(), "snap.jsonl")
	if out, errOut, code := sesbox(t, append(flags, "audit", "snapshot", "--out", man)...); code != 0 {
		t.Fatalf("snapshot: exit %d\n%s\n%s", code, out, errOut)
	}
	path, _ := actionlog.DefaultLogPath()
	l, err := actionlog.OpenLog(path)
	if err != nil {
		t.Fatal(err)
	}
	l.Append(actionlog.Action{Command: "reply", Bucket: "mail", Key: "inbox/x", Result: "sent"})
	l.Close()
	if _, errOut, code := sesbox(t, append(flags, "audit", "verify", man)...); code != 0 || strings.Contains(errOut, "warning") {
		t.Fatalf("intact log: exit %d\n%s", code, errOut)
	}
	data := readFile(t, path)
	os.WriteFile(path, []byte(strings.Replace(data, `"result":"sent"`, `"result":"failed"`, 1)), 0o600)
	out, errOut, code := sesbox(t, append(flags, "audit", "verify", man)...)
	want := "sesbox: warning: run sesbox audit log --verify --log " + shellescape.Quote(path) + ": that action log fails its own check (1 problem), so what it records of this manifest is weaker evidence"
	if code != 0 || !strings.Contains(errOut, want) || !strings.Contains(out, "action log: the action log recorded this manifest") {
		t.Errorf("edited log: exit %d\n%s\n%s\nwant %s", code, out, errOut, want)
	}
}

// TestAuditVerifyReportsMetadataChanged: a message put again with the
// same bytes under another KMS key id and Content-Type was "unchanged"
// (the manifest recorded no metadata): verify now reports it as
// metadata-changed, naming both values, and exits 1; --json carries the
// status, both metadata maps and the count. A manifest written before
// metadata was recorded still verifies (exit 0), with a line saying its
// metadata was not recorded.
func TestAuditVerifyReportsMetadataChanged(t *testing.T) {
	isolate(t)
	flags, _, msgs, srv := auditBucket(t)
	key := sortedKeys(msgs)[4]
	put := func(keyID, ctype string) {
		t.Helper()
		if _, err := srv.Admin.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("mail"), Key: aws.String(key),
			Body: bytes.NewReader(msgs[key]), ContentType: aws.String(ctype), ServerSideEncryption: "aws:kms",
			SSEKMSKeyId: aws.String(keyID)}); err != nil {
			t.Fatal(err)
		}
	}
	put("arn:aws:kms:eu-west-1:111122223333:key/mail", "message/rfc822")
	man := filepath.Join(t.TempDir(), "snap.jsonl")
	if out, errOut, code := sesbox(t, append(flags, "audit", "snapshot", "--out", man)...); code != 0 {
		t.Fatalf("snapshot: exit %d\n%s\n%s", code, out, errOut)
	}
	if out, _, code := sesbox(t, append(flags, "audit", "verify", man)...); code != 0 || strings.Contains(out, "metadata was not recorded") {
		t.Fatalf("clean verify: exit %d\n%s", code, out)
	}
	put("arn:aws:kms:eu-west-1:444455556666:key/theirs", "text/html")
	out, _, code := sesbox(t, append(flags, "audit", "verify", man)...)
	for _, want := range []string{"metadata-changed " + key, "FAILED",
		`content-type "message/rfc822" -> "text/html"`,
		`x-amz-server-side-encryption-aws-kms-key-id "arn:aws:kms:eu-west-1:111122223333:key/mail" -> "arn:aws:kms:eu-west-1:444455556666:key/theirs"`} {
		if !strings.Contains(out, want) {
			t.Errorf("verify output lacks %q:\n%s", want, out)
		}
	}
	if code != 1 || !hasRow(out, "metadata-changed 1") || !hasRow(out, "changed 0") {
		t.Errorf("verify: exit %d, want 1, and the row metadata-changed 1:\n%s", code, out)
	}
	out, _, code = sesbox(t, append(flags, "audit", "verify", "--json", man)...)
	var obj struct {
		Status                     string
		Metadata, ManifestMetadata map[string]string
	}
	var sum struct {
		OK              bool
		MetadataChanged int
	}
	ls := strings.Split(strings.TrimSpace(out), "\n")
	for _, l := range ls[:len(ls)-1] {
		if strings.Contains(l, `"metadata-changed"`) {
			if err := json.Unmarshal([]byte(l), &obj); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := json.Unmarshal([]byte(ls[len(ls)-1]), &sum); err != nil {
		t.Fatal(err)
	}
	if code != 1 || sum.OK || sum.MetadataChanged != 1 || obj.Status != "metadata-changed" ||
		obj.Metadata["content-type"] != "text/html" || obj.ManifestMetadata["content-type"] != "message/rfc822" {
		t.Errorf("verify --json: exit %d, %+v, %+v\n%s", code, sum, obj, out)
	}

	// The manifest as sesbox wrote it before: no metadata in its
	// entries, its trailer's hash matching them; verified elsewhere (a
	// fresh action log, which does not record its entries hash).
	old := stripMetadata(t, man)
	isolate(t)
	out, _, code = sesbox(t, append(flags, "audit", "verify", old)...)
	if code != 0 || !strings.Contains(out, "manifest: intact") ||
		!strings.Contains(out, "manifest: object metadata was not recorded (a manifest written before sesbox recorded it): a change of Content-Type, x-amz-meta-* or encryption alone cannot be seen") {
		t.Errorf("verify of a manifest without metadata: exit %d\n%s", code, out)
	}
	out, _, _ = sesbox(t, append(flags, "audit", "verify", "--json", old)...)
	if !strings.Contains(out, fmt.Sprintf(`"noMetadata":%d`, len(msgs))) {
		t.Errorf("verify --json of a manifest without metadata lacks noMetadata:\n%s", out)
	}
}

// stripMetadata writes a copy of the manifest at path with the metadata
// field taken out of every entry and the trailer's entries hash
// recomputed, as sesbox wrote manifests before it recorded metadata.
func stripMetadata(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ls := strings.SplitAfter(string(data), "\n")
	ls = ls[:len(ls)-1] // after the last newline
	h := sha256.New()
	for i := 1; i < len(ls)-1; i++ {
		var e map[string]any
		if err := json.Unmarshal([]byte(ls[i]), &e); err != nil {
			t.Fatal(err)
		}
		if _, ok := e["metadata"]; !ok {
			t.Fatalf("entry %d records no metadata: %s", i, ls[i])
		}
		delete(e, "metadata")
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		ls[i] = string(b) + "\n"
		h.Write([]byte(ls[i]))
	}
	// Nor did it hash its trailer.
	var hd map[string]any
	if err := json.Unmarshal([]byte(ls[0]), &hd); err != nil {
		t.Fatal(err)
	}
	delete(hd, "trailerHashed")
	b, err := json.Marshal(hd)
	if err != nil {
		t.Fatal(err)
	}
	ls[0] = string(b) + "\n"
	var tr map[string]any
	if err := json.Unmarshal([]byte(ls[len(ls)-1]), &tr); err != nil {
		t.Fatal(err)
	}
	delete(tr, "trailerSha256")
	tr["entriesSha256"] = fmt.Sprintf("%x", h.Sum(nil))
	tr["headerSha256"] = fmt.Sprintf("%x", sha256.Sum256([]byte(ls[0])))
	b, err = json.Marshal(tr)
	if err != nil {
		t.Fatal(err)
	}
	ls[len(ls)-1] = string(b) + "\n"
	old := filepath.Join(t.TempDir(), "old.jsonl")
	if err := os.WriteFile(old, []byte(strings.Join(ls, "")), 0o600); err != nil {
		t.Fatal(err)
	}
	return old
}

// TestAuditLogMergesSeveralLogs: --log took one file, so two members'
// local logs (no team table) could only be read one after the other.
// Given more than once it merges them in time order, each entry naming
// its log (LOG column, "logs" in --json), an entry found in both once;
// --verify checks each and names the one that fails; a --log that is
// not there is an error.
func TestAuditLogMergesSeveralLogs(t *testing.T) {
	dir := isolate(t)
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	write := func(name string, acts ...actionlog.Action) string {
		t.Helper()
		p := filepath.Join(dir, name)
		l, err := actionlog.OpenLog(p)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		for _, a := range acts {
			if err := l.Append(a); err != nil {
				t.Fatal(err)
			}
		}
		return p
	}
	act := func(min int, user, key string) actionlog.Action {
		return actionlog.Action{Time: at.Add(time.Duration(min) * time.Minute), User: user, Host: user + "-pc", Command: "reply",
			Bucket: "mail", Key: "inbox/" + key, Destinations: []string{key + "@example.com"}, Result: "sent"}
	}
	both := act(5, "carol", "both")
	alice := write("alice.jsonl", act(1, "alice", "a1"), act(3, "alice", "a3"), both, act(7, "alice", "a7"))
	bob := write("bob.jsonl", act(2, "bob", "b2"), both, act(6, "bob", "b6"))

	out, errOut, code := sesbox(t, "audit", "log", "--verify", "--log", alice, "--log", bob)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	var order []string
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 6 && strings.HasSuffix(f[6], "@example.com") {
			order = append(order, f[0]+" "+strings.TrimSuffix(f[6], "@example.com"))
		}
	}
	want := []string{alice + " a1", bob + " b2", alice + " a3", alice + "," + bob + " both", bob + " b6", alice + " a7"}
	if !slices.Equal(order, want) || !strings.HasPrefix(out, "LOG") || strings.Count(out, "log intact: ") != 2 {
		t.Errorf("merged: %q, want %q\n%s", order, want, out)
	}
	// A log named twice is read once: its entries were shown twice.
	if again, _, code := sesbox(t, "audit", "log", "--verify", "--log", alice, "--log", bob, "--log", alice); code != 0 || again != out {
		t.Errorf("alice's log named twice: exit %d\n%s", code, again)
	}

	out, _, code = sesbox(t, "audit", "log", "--verify", "--json", "--log", alice, "--log", bob)
	ls := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(ls) != 8 {
		t.Fatalf("--json: exit %d\n%s", code, out)
	}
	var first actionlog.MergedAction
	var rec struct {
		Record, Log string
		OK          bool
	}
	if err := json.Unmarshal([]byte(ls[3]), &first); err != nil || first.Key != "inbox/both" || !slices.Equal(first.Logs, []string{alice, bob}) {
		t.Errorf("--json entry: %+v %v", first, err)
	}
	if err := json.Unmarshal([]byte(ls[7]), &rec); err != nil || rec.Record != "verify" || rec.Log != bob || !rec.OK {
		t.Errorf("--json verify record: %+v %v", rec, err)
	}

	// Bob's log edited: his check fails, Alice's does not.
	data, _ := os.ReadFile(bob)
	os.WriteFile(bob, bytes.Replace(data, []byte("b6@example.com"), []byte("b9@example.com"), 1), 0o600)
	out, _, code = sesbox(t, "audit", "log", "--verify", "--log", alice, "--log", bob)
	if code != 1 || !strings.Contains(out, alice+":\nlog intact: 4 entries") || !strings.Contains(out, bob+":\nlog FAILED its check") {
		t.Errorf("one log edited: exit %d\n%s", code, out)
	}
	_, errOut, code = sesbox(t, "audit", "log", "--log", alice, "--log", filepath.Join(dir, "nosuch.jsonl"))
	if code == 0 || !strings.Contains(errOut, "nosuch.jsonl") {
		t.Errorf("a --log that is not there: exit %d %s", code, errOut)
	}
}

// TestAuditLogJSONIsTheLogsLines: `audit log --json` of one log (an
// auditor's export of it) prints each entry as the very line the log
// holds, so the chain checks on the export with standard tools (each
// line's SHA-256 is the next one's prev) and `audit log --verify --log`
// of the export finds every line. Before, the log wrote a key's <, > and
// & as \u003c, \u003e, \u0026 and --json wrote them raw: the export of
// an entry about inbox/a<b>&c hashed to another prev.
func TestAuditLogJSONIsTheLogsLines(t *testing.T) {
	isolate(t)
	path, err := actionlog.DefaultLogPath()
	if err != nil {
		t.Fatal(err)
	}
	l, err := actionlog.OpenLog(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"inbox/a<b>&c", "inbox/\u2028x\u0085\u202e\x7f", "inbox/\x1b[2Jq\"\\\t", "inbox/плохой"} {
		if err := l.Append(actionlog.Action{Command: "forward", Bucket: "mail", Key: k, Destinations: []string{"<x@example.com>"}, Result: "sent"}); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out, _, code := sesbox(t, "audit", "log", "--json", "--reports=false")
	if code != 0 || out != string(data) {
		t.Errorf("log --json: exit %d\n%s\nthe log:\n%s", code, out, data)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	for i := 1; i < len(lines); i++ {
		var a actionlog.Action
		if err := json.Unmarshal([]byte(lines[i]), &a); err != nil {
			t.Fatal(err)
		}
		if h := fmt.Sprintf("%x", sha256.Sum256([]byte(lines[i-1]))); a.Prev != h {
			t.Errorf("line %d: prev %s, the exported line before hashes to %s", i+1, a.Prev, h)
		}
	}
}

// TestAuditLogVerdictAgreesInNumber: a log with one problem said "log
// FAILED its check (1 problems)".
func TestAuditLogVerdictAgreesInNumber(t *testing.T) {
	var out strings.Builder
	printLogVerdict(&out, "", 1, []actionlog.Problem{{Kind: "head", Detail: "missing"}})
	if !strings.Contains(out.String(), "log FAILED its check (1 problem):") {
		t.Errorf("%q", out.String())
	}
}

// TestAuditLogFilters: --after, --before (as ls's after: and before:),
// --command and --user choose the entries printed, in the text, --json
// and several-log views; --verify still checks every line of the log.
// Before, an auditor asking what one operator sent in one week read the
// whole log.
func TestAuditLogFilters(t *testing.T) {
	isolate(t)
	path, err := actionlog.DefaultLogPath()
	if err != nil {
		t.Fatal(err)
	}
	l, err := actionlog.OpenLog(path)
	if err != nil {
		t.Fatal(err)
	}
	day := func(d int) time.Time { return time.Date(2026, 3, d, 10, 0, 0, 0, time.UTC) }
	for _, a := range []actionlog.Action{
		{Time: day(1), User: "alice", Host: "a1", Command: "forward", Key: "inbox/one", Result: "sent"},
		{Time: day(2), User: "bob", Host: "b1", Command: "reply", Key: "inbox/two", Result: "sent"},
		{Time: day(3), User: "alice", Host: "a2", Command: "forward", Key: "inbox/three", Result: "sent"},
		{Time: day(4), User: "alice", Host: "a1", Command: "export", Result: "exported", Export: &actionlog.ExportAction{Kind: "mbox", Count: 2}},
	} {
		if err := l.Append(a); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	keys := func(args ...string) []string {
		t.Helper()
		out, errOut, code := sesbox(t, append([]string{"audit", "log", "--json", "--reports=false"}, args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, code, errOut)
		}
		var got []string
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			var a actionlog.Action
			if err := json.Unmarshal([]byte(line), &a); err != nil {
				t.Fatal(err)
			}
			got = append(got, a.Command+":"+strings.TrimPrefix(a.Key, "inbox/"))
		}
		return got
	}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--after", "2026-03-02T00:00:00Z"}, []string{"reply:two", "forward:three", "export:"}},
		{[]string{"--before", "2026-03-03T00:00:00Z"}, []string{"forward:one", "reply:two"}},
		{[]string{"--after", "2026-03-02T00:00:00Z", "--before", "2026-03-04T00:00:00Z", "--command", "forward"}, []string{"forward:three"}},
		{[]string{"--command", "reply", "--command", "export"}, []string{"reply:two", "export:"}},
		{[]string{"--user", "alice"}, []string{"forward:one", "forward:three", "export:"}},
		{[]string{"--user", "alice@a1"}, []string{"forward:one", "export:"}},
		{[]string{"--log", path, "--log", path + ".copy", "--command", "reply"}, []string{"reply:two"}},
	} {
		if strings.Contains(strings.Join(tc.args, " "), ".copy") {
			data, _ := os.ReadFile(path)
			os.WriteFile(path+".copy", data, 0o600)
		}
		if got := keys(tc.args...); !slices.Equal(got, tc.want) {
			t.Errorf("%v: %v, want %v", tc.args, got, tc.want)
		}
	}
	out, _, code := sesbox(t, "audit", "log", "--verify", "--reports=false", "--command", "reply")
	if code != 0 || !strings.Contains(out, "log intact: 4 entries") || strings.Count(out, "alice@") != 0 || !strings.Contains(out, "bob@b1") {
		t.Errorf("--verify --command reply: exit %d\n%s", code, out)
	}
	if _, errOut, code := sesbox(t, "audit", "log", "--after", "someday"); code != 64 || !strings.Contains(errOut, "--after") {
		t.Errorf("a bad date: exit %d\n%s", code, errOut)
	}
}

// TestAuditOfAMissingManifestSaysWhatToGiveFirst: `audit verify
// manifest.jsonl` (verify's --help example, a name no other example
// wrote) said "read manifest: open manifest.jsonl: no such file or
// directory" alone; verify and verify-export lead with what to give.
func TestAuditOfAMissingManifestSaysWhatToGiveFirst(t *testing.T) {
	isolate(t)
	flags, _, _, _ := auditBucket(t)
	for _, args := range [][]string{append(flags, "audit", "verify", "nosuch.jsonl"), {"audit", "verify-export", "nosuch.mbox.manifest.jsonl"}} {
		_, errOut, code := sesbox(t, args...)
		name := args[len(args)-1]
		if want := "sesbox: no manifest at " + name + " — check the path: give the file sesbox audit snapshot --out FILE or sesbox export wrote ("; code != 1 || !strings.HasPrefix(errOut, want) {
			t.Errorf("%v: exit %d, %q\nwant %q", args[len(args)-2:], code, errOut, want)
		}
	}
}

// TestExportOverAnExportSaysWhatToDoFirst: a second export to the same
// file said "export: F exists: refusing to overwrite (use --force to
// replace it)", the way out last; it leads with it, as every error does,
// and --force then replaces it.
func TestExportOverAnExportSaysWhatToDoFirst(t *testing.T) {
	dir := isolate(t)
	flags, _, _, _ := auditBucket(t)
	mbox := filepath.Join(dir, "x.mbox")
	if _, errOut, code := sesbox(t, append(flags, "export", "--mbox", mbox)...); code != 0 {
		t.Fatalf("export: exit %d\n%s", code, errOut)
	}
	_, errOut, code := sesbox(t, append(flags, "export", "--mbox", mbox)...)
	if want := "sesbox: give --force to replace " + mbox + ", or export somewhere else (export: " + mbox + " exists: refusing to overwrite)\n"; code != 1 || errOut != want {
		t.Errorf("again: exit %d, %q\nwant %q", code, errOut, want)
	}
	if _, errOut, code := sesbox(t, append(flags, "export", "--mbox", mbox, "--force")...); code != 0 {
		t.Errorf("--force: exit %d\n%s", code, errOut)
	}
}

// TestAuditLogOfOneMissingLogIsAnError: a --log given twice that is not
// there was an error, but given once it read as an empty log, and
// `audit log --verify --log alice.jsonl` of a mistyped path said "log
// intact: 0 entries, chain and head agree" and exited 0: an auditor
// checking an operator's collected log was told it was intact. One
// --log that is not there is an error too, the hint first; this
// machine's own log missing is still an empty log (nothing sent yet).
func TestAuditLogOfOneMissingLogIsAnError(t *testing.T) {
	dir := isolate(t)
	missing := filepath.Join(dir, "alice.jsonl")
	for _, args := range [][]string{
		{"audit", "log", "--reports=false", "--verify", "--log", missing},
		{"audit", "log", "--reports=false", "--log", missing},
		{"audit", "log", "--reports=false", "--json", "--verify", "--log", missing},
	} {
		out, errOut, code := sesbox(t, args...)
		if code != 1 || !strings.HasPrefix(errOut, "sesbox: check the --log path: ") || strings.Contains(out, "intact") {
			t.Errorf("%v: exit %d\n%s\n%s", args, code, out, errOut)
		}
	}
	out, errOut, code := sesbox(t, "audit", "log", "--reports=false", "--verify")
	if code != 0 || !strings.Contains(out, "log intact: 0 entries") {
		t.Errorf("this machine's log, none yet: exit %d\n%s\n%s", code, out, errOut)
	}
}

// TestAuditVerifyOfNoManifestSaysWhatToGive: verify given a message, or
// verify-export given the mbox instead of its manifest, said
// "sesbox: m.eml: not a sesbox manifest" alone; it says first what to
// give (exit status 1, as before).
func TestAuditVerifyOfNoManifestSaysWhatToGive(t *testing.T) {
	dir := isolate(t)
	flags, _, _ := demoBucket(t)
	eml := filepath.Join(dir, "m.eml")
	if err := os.WriteFile(eml, []byte("From: a@example.com\r\nSubject: hi\r\n\r\nbody\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	jsonl := filepath.Join(dir, "other.jsonl")
	if err := os.WriteFile(jsonl, []byte(`{"record":"entry","key":"inbox/a"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const hint = "sesbox: give the manifest sesbox audit snapshot --out FILE wrote, or the FILE.manifest.jsonl beside an export ("
	for _, args := range [][]string{
		append(append([]string{}, flags...), "audit", "verify", eml),
		append(append([]string{}, flags...), "audit", "verify", jsonl),
		{"audit", "verify-export", "--export", eml, eml},
	} {
		_, errOut, code := sesbox(t, args...)
		if code != 1 || !strings.HasPrefix(errOut, hint) || !strings.Contains(errOut, "not a sesbox manifest") {
			t.Errorf("%v: exit %d\n%s", args[len(args)-3:], code, errOut)
		}
	}
}

// TestGivenLogIsReadByOneRule: `audit verify --log` followed a symbolic
// link (os.Stat) while `audit log --log` did not (os.Lstat), so a log
// collected from an operator and linked into the auditor's case folder
// was "replaced" (exit 1) to one and the manifest's anchor to the
// other, and a link leading nowhere was an error to verify but an
// empty log to `audit log`. Both go through givenLog now: a --log given
// by path is the auditor's file, read where its link leads (the head
// beside that file); a link that leads nowhere, or a directory, is a
// path to check, in both; this machine's own log is sesbox's file and a
// link there is still "replaced".
func TestGivenLogIsReadByOneRule(t *testing.T) {
	isolate(t)
	flags, _, _, _ := auditBucket(t)
	man := filepath.Join(t.TempDir(), "snap.jsonl")
	if out, errOut, code := sesbox(t, append(flags, "audit", "snapshot", "--out", man)...); code != 0 {
		t.Fatalf("snapshot: exit %d\n%s\n%s", code, out, errOut)
	}
	own, err := actionlog.DefaultLogPath()
	if err != nil {
		t.Fatal(err)
	}
	collected := filepath.Join(t.TempDir(), "alice")
	if err := os.MkdirAll(collected, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{own, actionlog.HeadPath(own)} {
		if err := os.WriteFile(filepath.Join(collected, filepath.Base(p)), []byte(readFile(t, p)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	caseDir := t.TempDir()
	link := filepath.Join(caseDir, "alice.jsonl")
	if err := os.Symlink(filepath.Join(collected, "actions.jsonl"), link); err != nil {
		t.Fatal(err)
	}
	dangling := filepath.Join(caseDir, "bob.jsonl")
	if err := os.Symlink(filepath.Join(caseDir, "nowhere", "actions.jsonl"), dangling); err != nil {
		t.Fatal(err)
	}
	isolate(t) // the auditor's machine
	out, errOut, code := sesbox(t, "audit", "log", "--reports=false", "--verify", "--log", link)
	if code != 0 || !strings.Contains(out, "log intact: 1 entry") {
		t.Errorf("audit log --verify --log LINK: exit %d\n%s\n%s", code, out, errOut)
	}
	out, errOut, code = sesbox(t, append(flags, "audit", "verify", "--log", link, man)...)
	if code != 0 || strings.Contains(errOut, "warning") || !strings.Contains(out, "action log: the action log recorded this manifest: snapshot by") {
		t.Errorf("audit verify --log LINK: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, bad := range []struct{ path, says string }{
		{dangling, "sesbox: check the --log path: lstat " + filepath.Join(caseDir, "nowhere") + ": no such file or directory\n"},
		{collected, "sesbox: check the --log path: " + collected + " is not a regular file: give the actions.jsonl collected from an operator's machine\n"},
	} {
		for _, args := range [][]string{
			{"audit", "log", "--reports=false", "--log", bad.path},
			{"audit", "log", "--reports=false", "--verify", "--log", bad.path},
			append(append([]string{}, flags...), "audit", "verify", "--log", bad.path, man),
		} {
			if out, errOut, code := sesbox(t, args...); code != 1 || errOut != bad.says {
				t.Errorf("%v: exit %d\n%s%q\nwant %q", args, code, out, errOut, bad.says)
			}
		}
	}
	// This machine's own log made a link: replaced, given by its own
	// path or not.
	own, _ = actionlog.DefaultLogPath()
	if err := os.MkdirAll(filepath.Dir(own), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(collected, "actions.jsonl"), own); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"audit", "log", "--reports=false", "--verify"},
		{"audit", "log", "--reports=false", "--verify", "--log", own},
	} {
		if out, errOut, code := sesbox(t, args...); code != 1 || !strings.Contains(out, "replaced") {
			t.Errorf("%v (this machine's log a link): exit %d\n%s\n%s", args, code, out, errOut)
		}
	}
}
