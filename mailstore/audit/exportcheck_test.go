package audit_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore/audit"
)

// checkExport runs CheckExport and returns its results by status.
func checkExport(t *testing.T, manifest, target string) (audit.ExportCheck, map[string][]audit.ExportFile) {
	t.Helper()
	got := map[string][]audit.ExportFile{}
	c, err := audit.CheckExport(context.Background(), manifest, target, audit.ExportCheckOptions{OnFile: func(f audit.ExportFile) error {
		got[f.Status] = append(got[f.Status], f)
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	return c, got
}

// TestCheckExportMbox: an export's manifest holds the SHA-256 of every
// message as stored, but nothing compared the exported mbox with it:
// `audit verify` compares the manifest with the bucket, and an mbox
// cannot be checked with sha256sum (From_ lines, >From quoting). An
// edited mbox went unnoticed. CheckExport reads it back and compares
// every message: intact as exported (including the tricky messages: no
// final newline, From lines, CRLF); one byte changed, a message cut out,
// a message added are each named.
func TestCheckExportMbox(t *testing.T) {
	st, msgs, _, _ := bucket(t)
	file := filepath.Join(t.TempDir(), "out.mbox")
	if _, err := audit.ExportMbox(context.Background(), st, file, audit.ExportOptions{}); err != nil {
		t.Fatal(err)
	}
	manifest := audit.ManifestPath(file)
	c, got := checkExport(t, manifest, file)
	if !c.OK() || c.Intact != int64(len(msgs)) || c.Kind != "mbox" {
		t.Fatalf("untouched: %+v %+v", c, got)
	}
	orig, _ := os.ReadFile(file)
	for name, tc := range map[string]struct {
		edit func([]byte) []byte
		want func(audit.ExportCheck) bool
	}{
		"one byte": {func(b []byte) []byte {
			return bytes.Replace(b, []byte("Subject: "), []byte("Subject:X"), 1)
		}, func(c audit.ExportCheck) bool { return c.Changed == 1 && c.Missing == 0 && c.Extra == 0 }},
		"a message cut off the end": {func(b []byte) []byte {
			return b[:bytes.LastIndex(b, []byte("\n\nFrom "))+2]
		}, func(c audit.ExportCheck) bool { return c.Changed == 0 && c.Missing == 1 && c.Extra == 0 }},
		"a message added": {func(b []byte) []byte {
			return append(bytes.Clone(b), []byte("From MAILER-DAEMON Thu Jan  1 00:00:00 2026\nSubject: planted\n\nhi\n\n")...)
		}, func(c audit.ExportCheck) bool { return c.Changed == 0 && c.Missing == 0 && c.Extra == 1 }},
	} {
		if err := os.WriteFile(file, tc.edit(bytes.Clone(orig)), 0o600); err != nil {
			t.Fatal(err)
		}
		c, got := checkExport(t, manifest, file)
		if c.OK() || !tc.want(c) {
			t.Errorf("%s: %+v %+v", name, c, got)
		}
	}
	// A snapshot's manifest names no export.
	snap, _ := snapshot(t, st, audit.SnapshotOptions{})
	if _, err := audit.CheckExport(context.Background(), snap, file, audit.ExportCheckOptions{}); err == nil || !strings.Contains(err.Error(), "not the manifest of an export") {
		t.Errorf("a snapshot's manifest: %v", err)
	}
}

// TestCheckExportMaildir: each file against the manifest, also after a
// mail client moved it to cur/ with flags; a changed file, a removed one
// and a planted one are named, and a manifest "file" edited to point
// outside the export is never opened.
func TestCheckExportMaildir(t *testing.T) {
	st, msgs, _, _ := bucket(t)
	dir := filepath.Join(t.TempDir(), "Mail")
	if _, err := audit.ExportMaildir(context.Background(), st, dir, audit.ExportOptions{}); err != nil {
		t.Fatal(err)
	}
	manifest := audit.ManifestPath(dir)
	files, _ := filepath.Glob(filepath.Join(dir, "new", "*"))
	if err := os.Rename(files[0], filepath.Join(dir, "cur", filepath.Base(files[0])+":2,S")); err != nil {
		t.Fatal(err)
	}
	c, got := checkExport(t, manifest, dir)
	if !c.OK() || c.Intact != int64(len(msgs)) || c.Kind != "maildir" {
		t.Fatalf("untouched: %+v %+v", c, got)
	}
	if err := os.WriteFile(files[1], []byte("Subject: changed\n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(files[2]); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "new", "1.planted.sesbox"), []byte("Subject: planted\n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, got = checkExport(t, manifest, dir)
	if c.OK() || c.Changed != 1 || c.Missing != 1 || c.Extra != 1 || c.Intact != int64(len(msgs))-2 ||
		got[audit.FileExtra][0].File != "new/1.planted.sesbox" || got[audit.FileChanged][0].File != "new/"+filepath.Base(files[1]) {
		t.Errorf("edited: %+v %+v", c, got)
	}
}

// TestExportMaildirFinishesAnInterruptedOne: a Maildir export stopped
// half-way (Ctrl-C) leaves its files in new/ and no manifest, and running
// it again failed at the first file ("exists: refusing to overwrite"),
// with --force too: the export could not be finished, only started over
// elsewhere. A file already there with the very bytes to write is kept
// and counted; one with other bytes still fails the export, naming what
// to do, and is never replaced.
func TestExportMaildirFinishesAnInterruptedOne(t *testing.T) {
	st, msgs, _, _ := bucket(t)
	dir := filepath.Join(t.TempDir(), "Mail")
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	_, err := audit.ExportMaildir(ctx, st, dir, audit.ExportOptions{Parallel: 1, Progress: func(p audit.Progress) {
		if n = int(p.Done); n >= 5 {
			cancel()
		}
	}})
	if err == nil {
		t.Fatal("the interrupted export succeeded")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "new", "*"))
	if len(files) == 0 || len(files) >= len(msgs) {
		t.Fatalf("%d files left by the interrupted export", len(files))
	}
	if _, err := os.Stat(audit.ManifestPath(dir)); err == nil {
		t.Fatal("an interrupted export left a manifest")
	}
	before, _ := os.Stat(files[0])
	tr, err := audit.ExportMaildir(context.Background(), st, dir, audit.ExportOptions{})
	if err != nil || tr.Count != int64(len(msgs)) {
		t.Fatalf("again: %+v %v", tr, err)
	}
	if after, _ := os.Stat(files[0]); !os.SameFile(before, after) {
		t.Error("a file already there was replaced")
	}
	if c, got := checkExport(t, audit.ManifestPath(dir), dir); !c.OK() || c.Intact != int64(len(msgs)) {
		t.Errorf("the finished export: %+v %+v", c, got)
	}
	// A file of the same name with other bytes is never replaced.
	os.Remove(audit.ManifestPath(dir))
	if err := os.WriteFile(files[1], []byte("Subject: not the stored bytes\n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = audit.ExportMaildir(context.Background(), st, dir, audit.ExportOptions{})
	if !errors.Is(err, audit.ErrExists) || !strings.Contains(err.Error(), "holds other bytes") {
		t.Errorf("a file with other bytes: %v", err)
	}
	if b, _ := os.ReadFile(files[1]); string(b) != "Subject: not the stored bytes\n\n" {
		t.Error("the file with other bytes was replaced")
	}
}

// TestCheckExportProgressAndCancel: a large export's check shows progress
// (of the manifest's entries, with bytes) and stops when cancelled
// (Ctrl-C), as snapshot, verify and export do.
func TestCheckExportProgressAndCancel(t *testing.T) {
	st, msgs, _, _ := bucket(t)
	file := filepath.Join(t.TempDir(), "out.mbox")
	tr, err := audit.ExportMbox(context.Background(), st, file, audit.ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var last audit.Progress
	reports := 0
	c, err := audit.CheckExport(context.Background(), audit.ManifestPath(file), file, audit.ExportCheckOptions{Progress: func(p audit.Progress) {
		last = p
		reports++
	}})
	if err != nil || !c.OK() || reports < len(msgs) || last.Listed != int64(len(msgs)) || last.Done != int64(len(msgs)) || last.Bytes != tr.Bytes || last.Listing {
		t.Errorf("progress: %d reports, last %+v (%d bytes exported), %v", reports, last, tr.Bytes, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := 0
	_, err = audit.CheckExport(ctx, audit.ManifestPath(file), file, audit.ExportCheckOptions{OnFile: func(audit.ExportFile) error {
		if done++; done == 3 {
			cancel()
		}
		return nil
	}})
	if !errors.Is(err, context.Canceled) || done != 3 {
		t.Errorf("cancelled after 3: %d files, %v", done, err)
	}
}

// TestVerifyExportNamesTheEditedLine: a manifest line whose subject was
// edited by hand (JSON still valid) failed verify-export only on the
// entries hash, naming no line. Each message found that hashes as its
// line records is compared with what the line says its bytes hold, so
// the edited line is named, for every line of an mbox export (the
// message mbox had to end with a newline included) and of a Maildir
// one; the manifest as written names none.
func TestVerifyExportNamesTheEditedLine(t *testing.T) {
	st, msgs, _, _ := bucket(t)
	dir := t.TempDir()
	mbox, maildir := filepath.Join(dir, "out.mbox"), filepath.Join(dir, "Mail")
	if _, err := audit.ExportMbox(context.Background(), st, mbox, audit.ExportOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := audit.ExportMaildir(context.Background(), st, maildir, audit.ExportOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{mbox, maildir} {
		manifest := audit.ManifestPath(target)
		if c, _ := checkExport(t, manifest, target); !c.OK() || len(c.Manifest.Problems) != 0 {
			t.Fatalf("%s as written: %+v", target, c)
		}
		orig := lines(t, manifest)
		if len(orig) != len(msgs)+2 {
			t.Fatalf("%d lines for %d messages", len(orig), len(msgs))
		}
		for i := 1; i < len(orig)-1; i++ {
			edited := append([]string(nil), orig...)
			edited[i] = strings.Replace(edited[i], `"subject":"`, `"subject":"X`, 1)
			if err := os.WriteFile(manifest, []byte(strings.Join(edited, "")), 0o600); err != nil {
				t.Fatal(err)
			}
			c, _ := checkExport(t, manifest, target)
			var named []string
			for _, p := range c.Manifest.Problems {
				if strings.HasPrefix(p, "line ") {
					named = append(named, p)
				}
			}
			want := fmt.Sprintf("line %d (key ", i+1)
			if c.OK() || c.Intact != int64(len(msgs)) || len(named) != 1 || !strings.HasPrefix(named[0], want) || !strings.Contains(named[0], `: subject "X`) {
				t.Errorf("%s, line %d edited: %d intact, named %q", filepath.Base(target), i+1, c.Intact, named)
			}
		}
		if err := os.WriteFile(manifest, []byte(strings.Join(orig, "")), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
