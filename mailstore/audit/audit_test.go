package audit_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/audit"
	"github.com/sesbox/sesbox/mailstore/demo"
	"github.com/sesbox/sesbox/mailstore/s3store"
	"github.com/sesbox/sesbox/mailstore/testutil/fakes3"
	"github.com/sesbox/sesbox/mailstore/testutil/httprec"
	"github.com/sesbox/sesbox/mailstore/testutil/mboxrd"
)

// tricky are messages that test the exact-bytes promise: mbox From-lines,
// already-quoted lines, CRLF, and no final newline.
var tricky = map[string][]byte{
	demo.Prefix + "zz0fromlines": []byte("From: a@example.com\nSubject: from lines\n\nFrom here on\n>From quoted\n>>From twice\nFromage\n\nFrom the end\n"),
	demo.Prefix + "zz1crlf":      []byte("From: b@example.com\r\nSubject: crlf\r\n\r\nline one\r\nFrom two\r\n\r\n"),
	demo.Prefix + "zz2empty":     []byte("Subject: empty body\n\n"),
}

// bucket fills a gofakes3 with the demo mailbox plus the tricky messages
// and returns a store over it, the stored bytes, the server and a recorder
// of every request the store sent.
func bucket(t *testing.T) (*s3store.Store, map[string][]byte, *fakes3.Server, *httprec.Recorder) {
	t.Helper()
	srv := fakes3.Start(t, "mail")
	msgs := demo.Messages()
	for k, v := range tricky {
		msgs[k] = v
	}
	for k, b := range msgs {
		srv.Put(t, "mail", k, b)
	}
	// A foreign object outside the prefix must never appear.
	srv.Put(t, "mail", "other/x", []byte("x"))
	rec := &httprec.Recorder{}
	st := s3store.New(srv.Client(rec), mailstore.Location{Bucket: "mail", Prefix: demo.Prefix})
	return st, msgs, srv, rec
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func snapshot(t *testing.T, b audit.Bucket, opt audit.SnapshotOptions) (string, audit.Trailer) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "manifest.jsonl")
	tr, err := audit.WriteSnapshot(context.Background(), b, path, opt)
	if err != nil {
		t.Fatal(err)
	}
	return path, tr
}

func lines(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ls := strings.SplitAfter(string(data), "\n")
	return ls[:len(ls)-1] // the "" after the last newline
}

func TestSnapshotManifest(t *testing.T) {
	st, msgs, _, rec := bucket(t)
	var last audit.Progress
	path, tr := snapshot(t, st, audit.SnapshotOptions{Region: "us-east-1", SesboxVersion: "test", Parallel: 3,
		Progress: func(p audit.Progress) { last = p }})
	if tr.Count != int64(len(msgs)) {
		t.Fatalf("trailer counts %d, bucket holds %d", tr.Count, len(msgs))
	}
	if last.Done != int64(len(msgs)) || last.Listing {
		t.Errorf("last progress %+v", last)
	}
	ls := lines(t, path)
	if len(ls) != len(msgs)+2 {
		t.Fatalf("%d lines for %d objects", len(ls), len(msgs))
	}
	var h audit.Header
	if err := json.Unmarshal([]byte(ls[0]), &h); err != nil || h.Record != "header" || h.Bucket != "mail" || h.Prefix != demo.Prefix ||
		h.Region != "us-east-1" || h.SesboxVersion != "test" || h.Started.IsZero() || h.Versioning != "Off" {
		t.Errorf("header %+v (%v)", h, err)
	}
	// The trailer's checksum is the SHA-256 of the entry lines as written.
	if want := sha([]byte(strings.Join(ls[1:len(ls)-1], ""))); tr.EntriesSHA256 != want {
		t.Errorf("trailer sha %s, entry lines hash to %s", tr.EntriesSHA256, want)
	}
	var keys []string
	sawVerdict := false
	for _, l := range ls[1 : len(ls)-1] {
		var e audit.Entry
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, e.Key)
		raw, ok := msgs[e.Key]
		if !ok {
			t.Fatalf("entry for unknown key %s", e.Key)
		}
		if e.SHA256 != sha(raw) || e.Size != int64(len(raw)) || e.ETagCheck != audit.ETagMD5 || e.LastModified.IsZero() ||
			e.SESMessageID != mailstore.SESMessageID(e.Key) {
			t.Errorf("entry %+v", e)
		}
		if e.Verdicts.Spam != "" {
			sawVerdict = true
		}
		for _, f := range []string{`"key"`, `"versionId"`, `"size"`, `"etag"`, `"sha256"`, `"lastModified"`, `"sesMessageId"`,
			`"messageId"`, `"date"`, `"from"`, `"subject"`, `"verdicts"`} {
			if !strings.Contains(l, f) {
				t.Errorf("entry line lacks %s: %s", f, l)
			}
		}
	}
	if !slices.IsSorted(keys) {
		t.Error("entries are not in key order")
	}
	if !sawVerdict {
		t.Error("no entry carries SES verdicts")
	}
	c, err := audit.CheckManifest(path)
	if err != nil || !c.OK() || c.Entries != tr.Count {
		t.Errorf("CheckManifest = %+v, %v", c, err)
	}
	assertReadOnly(t, rec)
}

func assertReadOnly(t *testing.T, rec *httprec.Recorder) {
	t.Helper()
	for m := range rec.Methods() {
		if m != "GET" && m != "HEAD" {
			t.Errorf("the audit sent %s to the bucket: %v", m, rec.Methods())
		}
	}
}

func TestVerifyCleanChangedDeletedNew(t *testing.T) {
	st, msgs, srv, rec := bucket(t)
	path, _ := snapshot(t, st, audit.SnapshotOptions{})
	var results []audit.Result
	collect := audit.VerifyOptions{Parallel: 4, OnResult: func(r audit.Result) error { results = append(results, r); return nil }}
	sum, err := audit.Verify(context.Background(), st, path, collect)
	if err != nil {
		t.Fatal(err)
	}
	if !sum.OK() || sum.Unchanged != int64(len(msgs)) || sum.Changed+sum.Deleted+sum.New+sum.Errors != 0 {
		t.Fatalf("clean verify: %+v", sum)
	}
	if len(results) != len(msgs) || !slices.IsSortedFunc(results, func(a, b audit.Result) int { return strings.Compare(a.Key, b.Key) }) {
		t.Fatalf("%d results, or out of order", len(results))
	}

	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range msgs {
			if !yield(k) {
				return
			}
		}
	})
	changed, deleted := keys[3], keys[7]
	srv.Put(t, "mail", changed, append(slices.Clone(msgs[changed]), "tampered\n"...))
	if _, err := srv.Admin.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String("mail"), Key: aws.String(deleted)}); err != nil {
		t.Fatal(err)
	}
	srv.Put(t, "mail", demo.Prefix+"0000new", []byte("Subject: new\n\nhi\n"))
	results = nil
	sum, err = audit.Verify(context.Background(), st, path, collect)
	if err != nil {
		t.Fatal(err)
	}
	if sum.OK() || sum.Changed != 1 || sum.Deleted != 1 || sum.New != 1 || sum.Unchanged != int64(len(msgs)-2) {
		t.Fatalf("after tampering: %+v", sum)
	}
	got := map[string]audit.Result{}
	for _, r := range results {
		got[r.Key] = r
	}
	if r := got[changed]; r.Status != audit.Changed || r.SHA256 == r.ManifestSHA256 || r.Recoverable != "" ||
		!strings.Contains(r.Note, "no earlier versions are kept") {
		t.Errorf("changed: %+v", r)
	}
	if r := got[deleted]; r.Status != audit.Deleted || r.Subject == "" {
		t.Errorf("deleted: %+v", r)
	}
	if r := got[demo.Prefix+"0000new"]; r.Status != audit.New {
		t.Errorf("new: %+v", r)
	}
	assertReadOnly(t, rec)
}

func TestManifestTampering(t *testing.T) {
	st, _, _, _ := bucket(t)
	path, _ := snapshot(t, st, audit.SnapshotOptions{})
	orig := lines(t, path)
	tests := []struct {
		name    string
		edit    func([]string) []string
		problem string
		verify  audit.Status // what verify then says about the touched object
	}{
		{"edited line", func(ls []string) []string {
			var e map[string]any
			json.Unmarshal([]byte(ls[5]), &e)
			e["sha256"] = strings.Repeat("0", 64)
			b, _ := json.Marshal(e)
			ls[5] = string(b) + "\n"
			return ls
		}, "checksum mismatch", audit.Changed},
		{"edited subject only", func(ls []string) []string {
			ls[5] = strings.Replace(ls[5], `"subject":"`, `"subject":"X`, 1)
			return ls
		}, "checksum mismatch", audit.Unchanged},
		{"removed line", func(ls []string) []string {
			return append(ls[:5:5], ls[6:]...)
		}, "lines were removed", audit.New},
		{"removed trailer", func(ls []string) []string {
			return ls[:len(ls)-1]
		}, "no trailer", ""},
		{"swapped lines", func(ls []string) []string {
			ls[5], ls[6] = ls[6], ls[5]
			return ls
		}, "out of order", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "m.jsonl")
			ls := tt.edit(slices.Clone(orig))
			os.WriteFile(p, []byte(strings.Join(ls, "")), 0o600)
			c, err := audit.CheckManifest(p)
			if err != nil {
				t.Fatal(err)
			}
			if c.OK() || !strings.Contains(strings.Join(c.Problems, "\n"), tt.problem) {
				t.Fatalf("problems %q, want one about %q", c.Problems, tt.problem)
			}
			var touched audit.Result
			var key struct{ Key string }
			json.Unmarshal([]byte(orig[5]), &key)
			sum, err := audit.Verify(context.Background(), st, p, audit.VerifyOptions{OnResult: func(r audit.Result) error {
				if r.Key == key.Key {
					touched = r
				}
				return nil
			}})
			if err != nil {
				t.Fatal(err)
			}
			if sum.OK() {
				t.Error("verify passed a tampered manifest")
			}
			if tt.verify != "" && touched.Status != tt.verify {
				t.Errorf("verify says %q about the touched entry, want %q", touched.Status, tt.verify)
			}
		})
	}
}

// cancelAfter wraps a Bucket and cancels the run after n objects were opened.
type cancelAfter struct {
	audit.Bucket
	n      int64
	opened atomic.Int64
	cancel context.CancelFunc
}

func (c *cancelAfter) Open(ctx context.Context, key, v string) (io.ReadCloser, mailstore.Object, error) {
	if c.opened.Add(1) > c.n {
		c.cancel()
		return nil, mailstore.Object{}, context.Canceled
	}
	return c.Bucket.Open(ctx, key, v)
}

func TestSnapshotResume(t *testing.T) {
	st, msgs, _, _ := bucket(t)
	full, fullTr := snapshot(t, st, audit.SnapshotOptions{})

	path := filepath.Join(t.TempDir(), "m.jsonl")
	ctx, cancel := context.WithCancel(context.Background())
	_, err := audit.WriteSnapshot(ctx, &cancelAfter{Bucket: st, n: 17, cancel: cancel}, path, audit.SnapshotOptions{Parallel: 2})
	if err == nil || !strings.Contains(err.Error(), "--resume") {
		t.Fatalf("interrupted snapshot: %v", err)
	}
	c, _ := audit.CheckManifest(path)
	if c.Trailer != nil || c.Entries == 0 || c.Entries >= int64(len(msgs)) {
		t.Fatalf("interrupted manifest: %d entries, trailer %v", c.Entries, c.Trailer)
	}
	// A crash can leave half a line: resume cuts it off.
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`{"key":"inbox/zzz","versio`)
	f.Close()

	if _, err := audit.WriteSnapshot(context.Background(), st, path, audit.SnapshotOptions{}); !errors.Is(err, audit.ErrManifestExists) {
		t.Errorf("snapshot over an existing manifest: %v", err)
	}
	var prog audit.Progress
	tr, err := audit.WriteSnapshot(context.Background(), st, path, audit.SnapshotOptions{Resume: true, Progress: func(p audit.Progress) { prog = p }})
	if err != nil {
		t.Fatal(err)
	}
	if !tr.Resumed || tr.Count != fullTr.Count || tr.EntriesSHA256 != fullTr.EntriesSHA256 {
		t.Errorf("resumed trailer %+v, full %+v", tr, fullTr)
	}
	if prog.Skipped != c.Entries || prog.Done != int64(len(msgs))-c.Entries {
		t.Errorf("resume progress %+v after %d entries", prog, c.Entries)
	}
	a, b := lines(t, full), lines(t, path)
	if !slices.Equal(a[1:len(a)-1], b[1:len(b)-1]) {
		t.Error("resumed entries differ from a full snapshot's")
	}
	if hc, err := audit.CheckManifest(path); err != nil || !hc.OK() || tr.HeaderSHA256 == "" || hc.HeaderSHA256 != tr.HeaderSHA256 {
		t.Errorf("resumed manifest: header sha256 %q in the trailer, the header line's %q, problems %v, %v", tr.HeaderSHA256, hc.HeaderSHA256, hc.Problems, err)
	}
	if _, err := audit.WriteSnapshot(context.Background(), st, path, audit.SnapshotOptions{Resume: true}); !errors.Is(err, audit.ErrManifestComplete) {
		t.Errorf("resume of a complete manifest: %v", err)
	}
	other := s3store.New(nil, mailstore.Location{Bucket: "elsewhere", Prefix: "x/"})
	os.WriteFile(path, []byte(strings.Join(b[:len(b)-1], "")), 0o600)
	if _, err := audit.WriteSnapshot(context.Background(), other, path, audit.SnapshotOptions{Resume: true}); err == nil || !strings.Contains(err.Error(), "not of") {
		t.Errorf("resume against another bucket: %v", err)
	}
	if _, err := audit.WriteSnapshot(context.Background(), st, path, audit.SnapshotOptions{Force: true}); err != nil {
		t.Errorf("--force: %v", err)
	}
}

// badETag reports a wrong single-part ETag for one key.
type badETag struct {
	audit.Bucket
	key string
}

func (b badETag) Open(ctx context.Context, key, v string) (io.ReadCloser, mailstore.Object, error) {
	rc, obj, err := b.Bucket.Open(ctx, key, v)
	if key == b.key {
		obj.ETag = strings.Repeat("a", 32)
	}
	return rc, obj, err
}

func TestVerifyChecksETagAgainstMD5(t *testing.T) {
	st, msgs, _, _ := bucket(t)
	path, _ := snapshot(t, st, audit.SnapshotOptions{})
	var key string
	for k := range msgs {
		key = k
		break
	}
	var got audit.Result
	sum, err := audit.Verify(context.Background(), badETag{st, key}, path, audit.VerifyOptions{OnResult: func(r audit.Result) error {
		if r.Key == key {
			got = r
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if sum.ETagMismatches != 1 || got.ETagCheck != audit.ETagMismatch || !strings.Contains(got.Note, "MD5") {
		t.Errorf("summary %+v, result %+v", sum, got)
	}
}

func TestExportMboxRoundTrip(t *testing.T) {
	st, msgs, _, rec := bucket(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "out.mbox")
	tr, err := audit.ExportMbox(context.Background(), st, file, audit.ExportOptions{SesboxVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Count != int64(len(msgs)) {
		t.Fatalf("exported %d of %d", tr.Count, len(msgs))
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := mboxrd.Read(f)
	if err != nil {
		t.Fatal(err)
	}
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range msgs {
			if !yield(k) {
				return
			}
		}
	})
	if len(got) != len(keys) {
		t.Fatalf("mbox holds %d messages, want %d", len(got), len(keys))
	}
	for i, k := range keys {
		want := msgs[k]
		if !bytes.HasSuffix(want, []byte("\n")) {
			want = append(slices.Clone(want), '\n') // documented: mbox adds the final newline
		}
		if !bytes.Equal(got[i], want) {
			t.Errorf("%s: mbox message differs from the stored bytes\n got %.200q\nwant %.200q", k, got[i], want)
		}
	}
	data, _ := os.ReadFile(file)
	if !bytes.Contains(data, []byte("\n>From here on\n>>From quoted\n>>>From twice\nFromage\n")) {
		t.Error("mboxrd quoting is wrong")
	}
	// The manifest beside it is a manifest of the bucket: verify passes.
	sum, err := audit.Verify(context.Background(), st, audit.ManifestPath(file), audit.VerifyOptions{})
	if err != nil || !sum.OK() || sum.Unchanged != int64(len(msgs)) {
		t.Errorf("verify of the export manifest: %+v %v", sum, err)
	}
	// Never replaced without Force.
	if _, err := audit.ExportMbox(context.Background(), st, file, audit.ExportOptions{}); !errors.Is(err, audit.ErrExists) {
		t.Errorf("second export: %v", err)
	}
	if _, err := audit.ExportMbox(context.Background(), st, file, audit.ExportOptions{Force: true, Keys: keys[:2], Query: "q"}); err != nil {
		t.Errorf("forced export: %v", err)
	}
	c, _ := audit.CheckManifest(audit.ManifestPath(file))
	if c.Entries != 2 || c.Header.Query != "q" || c.Header.Export != "mbox" {
		t.Errorf("forced export manifest: %+v", c)
	}
	// A query export's manifest does not call the rest of the bucket new.
	sum, err = audit.Verify(context.Background(), st, audit.ManifestPath(file), audit.VerifyOptions{})
	if err != nil || !sum.OK() || sum.New != 0 || sum.Unchanged != 2 {
		t.Errorf("verify of a query export: %+v %v", sum, err)
	}
	assertReadOnly(t, rec)
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".*partial"))
	if len(leftovers) > 0 {
		t.Errorf("temp files left: %v", leftovers)
	}
}

func TestExportMaildirRoundTrip(t *testing.T) {
	st, msgs, _, _ := bucket(t)
	dir := filepath.Join(t.TempDir(), "Mail")
	tr, err := audit.ExportMaildir(context.Background(), st, dir, audit.ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Count != int64(len(msgs)) {
		t.Fatalf("exported %d of %d", tr.Count, len(msgs))
	}
	files, _ := filepath.Glob(filepath.Join(dir, "new", "*"))
	if len(files) != len(msgs) {
		t.Fatalf("%d files in new/", len(files))
	}
	// Every file is byte for byte the stored object the manifest names.
	err = func() error {
		for _, l := range lines(t, audit.ManifestPath(dir)) {
			var e audit.Entry
			json.Unmarshal([]byte(l), &e)
			if e.Key == "" {
				continue
			}
			b, err := os.ReadFile(filepath.Join(dir, e.File))
			if err != nil {
				return err
			}
			if !bytes.Equal(b, msgs[e.Key]) {
				t.Errorf("%s (%s) differs from the stored object", e.File, e.Key)
			}
		}
		return nil
	}()
	if err != nil {
		t.Fatal(err)
	}
	if tmp, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(tmp) != 0 {
		t.Errorf("files left in tmp/: %d", len(tmp))
	}
	// A second export never replaces a message file: one holding the
	// same bytes is kept (TestExportMaildirFinishesAnInterruptedOne), one
	// holding others fails the export.
	if err := os.WriteFile(files[0], []byte("edited\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = audit.ExportMaildir(context.Background(), st, dir, audit.ExportOptions{Force: true})
	if !errors.Is(err, audit.ErrExists) {
		t.Errorf("second maildir export: %v", err)
	}
	if b, _ := os.ReadFile(files[0]); string(b) != "edited\n" {
		t.Error("a message file was replaced")
	}
}

// TestSnapshotRefusesSymlinkAndDirectory: a manifest path that is a
// symlink (to a regular file, or to nothing yet) or a directory is
// refused, with --force and --resume too, and nothing is written through
// the link.
func TestSnapshotRefusesSymlinkAndDirectory(t *testing.T) {
	st, _, _, _ := bucket(t)
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	const keep = "not a manifest, keep me\n"
	if err := os.WriteFile(target, []byte(keep), 0o644); err != nil {
		t.Fatal(err)
	}
	toFile := filepath.Join(dir, "to-file.jsonl")
	dangling := filepath.Join(dir, "dangling.jsonl")
	if err := os.Symlink(target, toFile); err != nil {
		t.Fatal("symlink:", err)
	}
	if err := os.Symlink(filepath.Join(dir, "nowhere"), dangling); err != nil {
		t.Fatal(err)
	}
	// A complete manifest behind the link: --resume would otherwise read
	// it and refuse for another reason.
	partial, _ := snapshot(t, st, audit.SnapshotOptions{})
	toManifest := filepath.Join(dir, "to-manifest.jsonl")
	if err := os.Symlink(partial, toManifest); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(partial)
	sub := filepath.Join(dir, "a-directory")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{toFile, dangling, toManifest, sub} {
		for _, opt := range []audit.SnapshotOptions{{}, {Force: true}, {Resume: true}} {
			_, err := audit.WriteSnapshot(context.Background(), st, path, opt)
			want := "is not a regular file"
			if path != sub {
				want = "symbolic link"
			}
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("snapshot to %s (force %v, resume %v): %v, want an error saying %q", filepath.Base(path), opt.Force, opt.Resume, err, want)
			}
		}
	}
	if b, _ := os.ReadFile(target); string(b) != keep {
		t.Errorf("the symlink's target was written (%d bytes)", len(b))
	}
	if after, _ := os.ReadFile(partial); !bytes.Equal(after, before) {
		t.Error("the manifest behind a symlink was changed")
	}
	if _, err := os.Lstat(filepath.Join(dir, "nowhere")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a dangling symlink's target was created: %v", err)
	}
	if ents, _ := os.ReadDir(sub); len(ents) != 0 {
		t.Errorf("files written in the directory: %v", ents)
	}
}

// TestVerifyOfAQueryExportCountsItsOwnObjects: the progress of verifying a
// query export's manifest counts the objects the manifest holds, as the
// summary does. It counted the whole bucket's listing: "2 of 57 objects
// verified" at the end of a run that verified 2.
func TestVerifyOfAQueryExportCountsItsOwnObjects(t *testing.T) {
	st, msgs, _, _ := bucket(t)
	keys := slices.Sorted(maps.Keys(msgs))
	file := filepath.Join(t.TempDir(), "x.mbox")
	chosen := []string{keys[3], keys[len(keys)-2]}
	if _, err := audit.ExportMbox(context.Background(), st, file, audit.ExportOptions{Keys: chosen, Query: "q"}); err != nil {
		t.Fatal(err)
	}
	var last audit.Progress
	sum, err := audit.Verify(context.Background(), st, audit.ManifestPath(file), audit.VerifyOptions{Progress: func(p audit.Progress) {
		if p.Listed < p.Done+p.Skipped {
			t.Errorf("progress past its total: %d done of %d", p.Done+p.Skipped, p.Listed)
		}
		last = p
	}})
	if err != nil || !sum.OK() || sum.Unchanged != 2 {
		t.Fatalf("verify: %+v %v", sum, err)
	}
	if last.Listing || last.Listed != 2 || last.Done != 2 {
		t.Errorf("last progress: %d of %d objects (listing %v), want 2 of 2", last.Done, last.Listed, last.Listing)
	}
}
