package audit_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore/actionlog"
	"github.com/sesbox/sesbox/mailstore/audit"
)

// failingLog is an action log that cannot be written.
type failingLog struct{}

func (failingLog) Append(actionlog.Action) error { return errors.New("disk full") }

// TestExportIsLogged: every export that wrote its manifest appends one
// "export" action (what, destination kind, count, the manifest's entries
// hash, no local path) to the hash-chained action log, which verifies; an
// export that cannot be logged is an error, not a silent success.
func TestExportIsLogged(t *testing.T) {
	st, msgs, _, _ := bucket(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "actions.jsonl")
	lg, err := actionlog.OpenLog(path)
	if err != nil {
		t.Fatal(err)
	}
	defer lg.Close()
	ctx := context.Background()
	mtr, err := audit.ExportMbox(ctx, st, filepath.Join(dir, "all.mbox"), audit.ExportOptions{Log: lg})
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{}
	for k := range msgs {
		keys = append(keys, k)
		if len(keys) == 3 {
			break
		}
	}
	dtr, err := audit.ExportMaildir(ctx, st, filepath.Join(dir, "md"), audit.ExportOptions{Log: lg, Keys: keys, Query: "from:x"})
	if err != nil {
		t.Fatal(err)
	}
	actions, problems, err := actionlog.VerifyLog(path)
	if err != nil || len(problems) > 0 {
		t.Fatalf("log: %v %v", problems, err)
	}
	// started names the manifest: its header's time, and its header line hash.
	started := func(manifest string) (string, string) {
		c, err := audit.CheckManifest(manifest)
		if err != nil {
			t.Fatal(err)
		}
		return c.Header.Started.UTC().Format(time.RFC3339Nano), c.HeaderSHA256
	}
	mStarted, mHeader := started(audit.ManifestPath(filepath.Join(dir, "all.mbox")))
	dStarted, dHeader := started(audit.ManifestPath(filepath.Join(dir, "md")))
	want := []actionlog.ExportAction{
		{What: "", Kind: "mbox", Count: int64(len(msgs)), ManifestSHA256: mtr.EntriesSHA256,
			FailedSHA256: audit.FailedDigest(nil), Started: mStarted, HeaderSHA256: mHeader, TrailerSHA256: mtr.TrailerSHA256},
		{What: "from:x", Kind: "maildir", Count: 3, ManifestSHA256: dtr.EntriesSHA256,
			FailedSHA256: audit.FailedDigest(nil), Started: dStarted, HeaderSHA256: dHeader, TrailerSHA256: dtr.TrailerSHA256},
	}
	if len(actions) != len(want) {
		t.Fatalf("%d actions logged, want %d", len(actions), len(want))
	}
	for i, a := range actions {
		if a.Command != "export" || a.Bucket != "mail" || a.Result != "exported" || a.Export == nil || *a.Export != want[i] ||
			a.Key != "" || len(a.Destinations) != 0 || a.Seq != int64(i+1) {
			t.Errorf("action %d: %+v (export %+v), want %+v", i, a, a.Export, want[i])
		}
	}
	if mtr.EntriesSHA256 == "" || mtr.EntriesSHA256 == dtr.EntriesSHA256 || mtr.TrailerSHA256 == "" {
		t.Errorf("manifest hashes %q %q", mtr.EntriesSHA256, dtr.EntriesSHA256)
	}

	// A log that cannot be written fails the export (the files are there,
	// the error says the log is not).
	_, err = audit.ExportMbox(ctx, st, filepath.Join(dir, "again.mbox"), audit.ExportOptions{Log: failingLog{}})
	if err == nil || errors.Is(err, audit.ErrIncomplete) {
		t.Errorf("export with a broken log: %v", err)
	}
}
