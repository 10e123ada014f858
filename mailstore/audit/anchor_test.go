package audit_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sesbox/sesbox/mailstore/actionlog"
	"github.com/sesbox/sesbox/mailstore/audit"
)

// reseal is the trailer line a forger writes after editing it: its own
// hash recomputed as docs/audit.md says (the line without its
// trailerSha256, hashed), which anyone can do.
func reseal(t *testing.T, trailer map[string]any) string {
	t.Helper()
	delete(trailer, "trailerSha256")
	tl, err := json.Marshal(trailer)
	if err != nil {
		t.Fatal(err)
	}
	line := string(tl) + "\n"
	return strings.TrimSuffix(line, "}\n") + `,"trailerSha256":"` + sha([]byte(line)) + "\"}\n"
}

// TestManifestWithRecomputedTrailerFailsAgainstTheLog: an object is
// deleted and its entry removed from the snapshot's manifest, whose
// trailer is recomputed (count and entries hash: sed and sha256sum do
// it). The manifest alone checks out and verify finds nothing deleted; the
// action log, where the snapshot logged its hash, shows the edit.
func TestManifestWithRecomputedTrailerFailsAgainstTheLog(t *testing.T) {
	st, _, srv, _ := bucket(t)
	ctx := context.Background()
	logPath := filepath.Join(t.TempDir(), "actions.jsonl")
	lg, err := actionlog.OpenLog(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer lg.Close()
	path, tr := snapshot(t, st, audit.SnapshotOptions{Log: lg})
	actions, problems, err := actionlog.VerifyLog(logPath)
	if err != nil || len(problems) != 0 || len(actions) != 1 {
		t.Fatalf("log: %+v %v %v", actions, problems, err)
	}
	if a := actions[0]; a.Command != "snapshot" || a.Bucket != "mail" || a.Export == nil || a.Export.Kind != "snapshot" ||
		a.Export.ManifestSHA256 != tr.EntriesSHA256 || a.Export.Count != tr.Count || a.Export.Started == "" {
		t.Fatalf("logged %+v %+v", a, a.Export)
	}
	sum, err := audit.Verify(ctx, st, path, audit.VerifyOptions{Actions: actions})
	if err != nil || !sum.OK() || !strings.Contains(sum.Anchor, "recorded this manifest") {
		t.Fatalf("untouched: %+v %v", sum, err)
	}

	// Delete the third object and cut its entry out; recompute the trailer.
	ls := lines(t, path)
	var gone struct{ Key string }
	if err := json.Unmarshal([]byte(ls[3]), &gone); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Client(nil).DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("mail"), Key: aws.String(gone.Key)}); err != nil {
		t.Fatal(err)
	}
	entries := append(append([]string{}, ls[1:3]...), ls[4:len(ls)-1]...)
	h := sha256.Sum256([]byte(strings.Join(entries, "")))
	var trailer map[string]any
	if err := json.Unmarshal([]byte(ls[len(ls)-1]), &trailer); err != nil {
		t.Fatal(err)
	}
	trailer["count"], trailer["entriesSha256"] = len(entries), hex.EncodeToString(h[:])
	edited := ls[0] + strings.Join(entries, "") + reseal(t, trailer)
	if err := os.WriteFile(path, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	sum, err = audit.Verify(ctx, st, path, audit.VerifyOptions{})
	if err != nil || !sum.OK() {
		t.Fatalf("without the log the edit passes (the documented limit): %+v %v", sum, err)
	}
	sum, err = audit.Verify(ctx, st, path, audit.VerifyOptions{Actions: actions})
	if err != nil {
		t.Fatal(err)
	}
	if sum.OK() || len(sum.Manifest.Problems) != 1 || !strings.Contains(sum.Manifest.Problems[0], "trailer recomputed") {
		t.Errorf("with the log: OK %v, problems %v, anchor %q", sum.OK(), sum.Manifest.Problems, sum.Anchor)
	}
	// A manifest the log knows nothing of is said to be so, not failed.
	sum, err = audit.Verify(ctx, st, path, audit.VerifyOptions{Actions: []actionlog.Action{}})
	if err != nil || !sum.OK() || !strings.Contains(sum.Anchor, "no action log entry") {
		t.Errorf("an unlogged manifest: %+v %v", sum, err)
	}
}

// TestTrailerFailedListIsAnchored: the entries hash does not cover the
// trailer's list of objects not read, nor its vanished count. Taking a
// key off that list hides its deletion from verify; the action log
// recorded the list's hash and the count, and the edit fails. The rest
// of the trailer (finished, bytes, resumed), under its own hash, is
// anchored by the log's copy of that hash; before, a trailer edited
// there and resealed checked out against the log.
func TestTrailerFailedListIsAnchored(t *testing.T) {
	st, _, _, _ := bucket(t)
	ctx := context.Background()
	logPath := filepath.Join(t.TempDir(), "actions.jsonl")
	lg, err := actionlog.OpenLog(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer lg.Close()
	path, tr := snapshot(t, st, audit.SnapshotOptions{Log: lg})
	actions, _, err := actionlog.VerifyLog(logPath)
	if err != nil || len(actions) != 1 || actions[0].Export.FailedSHA256 != audit.FailedDigest(tr.Failed) {
		t.Fatalf("logged %+v, %v", actions, err)
	}
	ls := lines(t, path)
	edit := func(change func(map[string]any)) {
		t.Helper()
		var trailer map[string]any
		if err := json.Unmarshal([]byte(ls[len(ls)-1]), &trailer); err != nil {
			t.Fatal(err)
		}
		change(trailer)
		if err := os.WriteFile(path, []byte(strings.Join(ls[:len(ls)-1], "")+reseal(t, trailer)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for name, change := range map[string]func(map[string]any){
		"a key listed as not read": func(tr map[string]any) {
			tr["failed"] = []map[string]string{{"key": "inbox/gone", "error": "503"}}
		},
		"vanished": func(tr map[string]any) { tr["vanished"] = 2 },
		// Covered by the trailer's own hash, which a forger recomputes,
		// and by the log's copy of it, which they cannot.
		"finished": func(tr map[string]any) { tr["finished"] = "2020-01-01T00:00:00Z" },
		"bytes":    func(tr map[string]any) { tr["bytes"] = 1 },
		"resumed":  func(tr map[string]any) { tr["resumed"] = true },
	} {
		edit(change)
		if sum, err := audit.Verify(ctx, st, path, audit.VerifyOptions{}); err != nil || !sum.Manifest.OK() {
			t.Fatalf("%s: without the log the trailer checks out (the documented limit): %+v %v", name, sum.Manifest, err)
		}
		sum, err := audit.Verify(ctx, st, path, audit.VerifyOptions{Actions: actions})
		if err != nil {
			t.Fatal(err)
		}
		if sum.OK() || len(sum.Manifest.Problems) != 1 || !strings.Contains(sum.Manifest.Problems[0], "its trailer was changed") {
			t.Errorf("%s: OK %v, problems %v", name, sum.OK(), sum.Manifest.Problems)
		}
	}
	// An entry written before the list's hash existed checks the count.
	old := actions[0]
	exp := *old.Export
	exp.FailedSHA256, exp.Vanished, exp.TrailerSHA256 = "", 0, ""
	old.Export = &exp
	edit(func(tr map[string]any) { tr["vanished"] = 2 })
	if sum, err := audit.Verify(ctx, st, path, audit.VerifyOptions{Actions: []actionlog.Action{old}}); err != nil || !sum.OK() {
		t.Errorf("an old entry, same count: %+v %v", sum.Manifest, err)
	}
}

// TestManifestHeaderIsAnchored: the entries hash does not cover the
// header line, and verify reads the header to decide what to report: a
// `query` added to a snapshot's header makes it an export's manifest,
// for which objects not in it are not "new". An object put into the
// bucket after the snapshot then went unreported, with "manifest:
// intact" and the action log's "recorded this manifest". The trailer's
// headerSha256 shows the edit; with that taken out of the trailer too,
// the action log's copy of it does.
func TestManifestHeaderIsAnchored(t *testing.T) {
	st, _, srv, _ := bucket(t)
	ctx := context.Background()
	logPath := filepath.Join(t.TempDir(), "actions.jsonl")
	lg, err := actionlog.OpenLog(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer lg.Close()
	path, tr := snapshot(t, st, audit.SnapshotOptions{Log: lg})
	actions, _, err := actionlog.VerifyLog(logPath)
	if err != nil || len(actions) != 1 {
		t.Fatalf("log: %+v %v", actions, err)
	}
	ls := lines(t, path)
	hh := sha256.Sum256([]byte(ls[0]))
	if tr.HeaderSHA256 != hex.EncodeToString(hh[:]) || actions[0].Export.HeaderSHA256 != tr.HeaderSHA256 {
		t.Fatalf("header sha256: trailer %q, logged %q, header line hashes to %x", tr.HeaderSHA256, actions[0].Export.HeaderSHA256, hh)
	}
	srv.Put(t, "mail", "inbox/planted", []byte("Subject: planted\n\nnot there when the snapshot was made\n"))
	header := strings.Replace(ls[0], `"kind":"snapshot"`, `"kind":"snapshot","export":"mbox","query":"from:nobody"`, 1)
	write := func(trailer string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(header+strings.Join(ls[1:len(ls)-1], "")+trailer), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(ls[len(ls)-1])
	for name, opt := range map[string]audit.VerifyOptions{"without the log": {}, "with the log": {Actions: actions}} {
		sum, err := audit.Verify(ctx, st, path, opt)
		if err != nil {
			t.Fatal(err)
		}
		if sum.OK() || !strings.Contains(strings.Join(sum.Manifest.Problems, "\n"), "the header line was edited") {
			t.Errorf("%s: OK %v, new %d, problems %v", name, sum.OK(), sum.New, sum.Manifest.Problems)
		}
	}
	// The trailer's headerSha256 taken out as well: the log still knows.
	var trailer map[string]any
	if err := json.Unmarshal([]byte(ls[len(ls)-1]), &trailer); err != nil {
		t.Fatal(err)
	}
	delete(trailer, "headerSha256")
	write(reseal(t, trailer))
	if sum, err := audit.Verify(ctx, st, path, audit.VerifyOptions{}); err != nil || !sum.Manifest.OK() {
		t.Fatalf("without the log a header and trailer both edited check out (the documented limit): %+v %v", sum.Manifest, err)
	}
	sum, err := audit.Verify(ctx, st, path, audit.VerifyOptions{Actions: actions})
	if err != nil {
		t.Fatal(err)
	}
	if sum.OK() || len(sum.Manifest.Problems) != 1 || !strings.Contains(sum.Manifest.Problems[0], "its header was changed") {
		t.Errorf("with the log: OK %v, problems %v, anchor %q", sum.OK(), sum.Manifest.Problems, sum.Anchor)
	}
}
