//go:build integration

package audit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/audit"
	"github.com/sesbox/sesbox/mailstore/s3store"
	"github.com/sesbox/sesbox/mailstore/testutil/mboxrd"
	"github.com/sesbox/sesbox/mailstore/testutil/vhist"
)

const prefix = "inbox/"

func newHistory(t *testing.T, versioned bool) *vhist.History {
	return vhist.New(t, "asof-mail", prefix, versioned)
}

func store(h *vhist.History) *s3store.Store {
	return s3store.New(h.C, mailstore.Location{Bucket: h.Bucket, Prefix: h.Prefix})
}

var (
	day     = vhist.Day
	message = vhist.Message
	hashOf  = vhist.SHA256
)

// manifestEntries is a manifest's entries, by key without the prefix:
// version id and sha256.
func manifestEntries(t *testing.T, path string) (audit.Header, map[string][2]string) {
	t.Helper()
	c, err := audit.CheckManifest(path)
	if err != nil || !c.OK() {
		t.Fatalf("manifest %s: %v %v", path, err, c.Problems)
	}
	got := map[string][2]string{}
	for _, l := range lines(t, path)[1 : len(lines(t, path))-1] {
		var e audit.Entry
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatal(err)
		}
		got[strings.TrimPrefix(e.Key, prefix)] = [2]string{e.VersionID, e.SHA256}
	}
	return c.Header, got
}

// TestAsOfAgainstVersityGW: objects written, overwritten, deleted (a
// delete marker) and written again around two dates; the snapshots as of
// each date hold exactly the versions current then, verify of the first
// as of the second names exactly what changed between them (and the
// version still holding the original), verify against now what changed
// since, and an export as of the first date holds those versions' bytes.
func TestAsOfAgainstVersityGW(t *testing.T) {
	h := newHistory(t, true)
	ctx := context.Background()
	td := vhist.WriteTwoDates(h)
	v, date1, date2 := td.V, td.Date1, td.Date2

	st := store(h)
	path1, tr1 := snapshot(t, st, audit.SnapshotOptions{AsOf: date1})
	hdr, got := manifestEntries(t, path1)
	if !hdr.AsOf.Equal(date1) || hdr.Kind != "snapshot" || hdr.Versioning != "Enabled" {
		t.Errorf("header: %+v", hdr)
	}
	want := map[string][2]string{
		"a": {v["a1"], hashOf(message("a 1"))},
		"b": {v["b2"], hashOf(message("b 2 longer"))},
		"c": {v["c1"], hashOf(message("c 1"))},
		"d": {v["d2"], hashOf(message("d 2"))},
		"h": {v["h1"], hashOf(message("h 1"))},
	}
	if !mapsEqual(got, want) || tr1.Count != 5 {
		t.Errorf("as of %s:\n got %v\nwant %v", date1, got, want)
	}
	path2, _ := snapshot(t, st, audit.SnapshotOptions{AsOf: date2})
	_, got = manifestEntries(t, path2)
	want = map[string][2]string{
		"a": {v["a1"], hashOf(message("a 1"))},
		"b": {v["b3"], hashOf(message("b 3"))},
		"d": {v["d2"], hashOf(message("d 2"))},
		"e": {v["e1"], hashOf(message("e 1"))},
		"h": {v["h2"], hashOf(message("h 1"))},
		"i": {v["i2"], hashOf(message("i 2"))},
	}
	if !mapsEqual(got, want) {
		t.Errorf("as of %s:\n got %v\nwant %v", date2, got, want)
	}

	// Between the two dates.
	results := func(opt audit.VerifyOptions) (audit.Summary, map[string]audit.Result) {
		t.Helper()
		rs := map[string]audit.Result{}
		opt.OnResult = func(r audit.Result) error { rs[strings.TrimPrefix(r.Key, prefix)] = r; return nil }
		sum, err := audit.Verify(ctx, st, path1, opt)
		if err != nil {
			t.Fatal(err)
		}
		return sum, rs
	}
	sum, rs := results(audit.VerifyOptions{AsOf: date2})
	type outcome struct {
		status      audit.Status
		recoverable string
		rewritten   bool
	}
	check := func(rs map[string]audit.Result, want map[string]outcome) {
		t.Helper()
		for k, w := range want {
			r := rs[k]
			if r.Status != w.status || r.Recoverable != w.recoverable || r.Rewritten != w.rewritten {
				t.Errorf("%s: got %s recoverable %q rewritten %v (%s), want %+v", k, r.Status, r.Recoverable, r.Rewritten, r.Note, w)
			}
		}
		if len(rs) != len(want) {
			t.Errorf("results for %d keys, want %d: %v", len(rs), len(want), rs)
		}
	}
	check(rs, map[string]outcome{
		"a": {audit.Unchanged, "", false},
		"b": {audit.Changed, v["b2"], false},
		"c": {audit.Deleted, v["c1"], false},
		"d": {audit.Unchanged, "", false},
		"e": {audit.New, "", false},
		// Put on day 11 and deleted on day 13, between the dates: in
		// neither manifest, only in the versions.
		"g": {audit.DeletedSinceManifest, v["g1"], false},
		"h": {audit.Unchanged, "", true},
		"i": {audit.New, "", false},
	})
	if rs["b"].VersionID != v["b3"] || rs["h"].VersionID != v["h2"] {
		t.Errorf("versions read as of %s: b %s, h %s", date2, rs["b"].VersionID, rs["h"].VersionID)
	}
	if sum.OK() || !sum.AsOf.Equal(date2) || sum.Changed != 1 || sum.Deleted != 1 || sum.New != 2 || sum.Unchanged != 3 || sum.Rewritten != 1 || sum.Recoverable != 2 || sum.DeletedSinceManifest != 1 {
		t.Errorf("summary as of %s: %+v", date2, sum)
	}
	// The first date's manifest against the bucket now.
	sum, rs = results(audit.VerifyOptions{})
	check(rs, map[string]outcome{
		"a": {audit.Unchanged, "", false},
		"b": {audit.Changed, v["b2"], false},
		"c": {audit.Deleted, v["c1"], false},
		"d": {audit.Deleted, v["d2"], false},
		"e": {audit.New, "", false},
		"g": {audit.DeletedSinceManifest, v["g1"], false},
		"h": {audit.Unchanged, "", true},
		"i": {audit.New, "", false},
	})
	if !sum.AsOf.IsZero() || rs["b"].VersionID != v["b4"] {
		t.Errorf("verify now: as of %v, b read %s", sum.AsOf, rs["b"].VersionID)
	}
	// A date before the manifest's is refused.
	if _, err := audit.Verify(ctx, st, path2, audit.VerifyOptions{AsOf: date1}); err == nil || !strings.Contains(mailstore.Explain(err), "give an --as-of from") {
		t.Errorf("verify as of a date before the manifest's: %v", err)
	}

	// The export as of the first date holds those versions' bytes.
	mbox := filepath.Join(t.TempDir(), "then.mbox")
	etr, err := audit.ExportMbox(ctx, st, mbox, audit.ExportOptions{AsOf: date1})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(mbox)
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := mboxrd.Read(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	var wantMsgs [][]byte
	for _, n := range []string{"a 1", "b 2 longer", "c 1", "d 2", "h 1"} {
		wantMsgs = append(wantMsgs, message(n))
	}
	if !slices.EqualFunc(msgs, wantMsgs, bytes.Equal) {
		t.Errorf("mbox as of %s: %q", date1, msgs)
	}
	ehdr, eentries := manifestEntries(t, audit.ManifestPath(mbox))
	_, sentries := manifestEntries(t, path1)
	if !ehdr.AsOf.Equal(date1) || !mapsEqual(eentries, sentries) || etr.EntriesSHA256 != tr1.EntriesSHA256 {
		t.Errorf("export manifest %+v %v, snapshot's %v", ehdr, eentries, sentries)
	}
	if c, err := audit.CheckExport(ctx, audit.ManifestPath(mbox), mbox, audit.ExportCheckOptions{}); err != nil || !c.OK() || c.Intact != 5 {
		t.Errorf("verify-export: %+v %v", c, err)
	}
	// A Maildir likewise.
	dir := filepath.Join(t.TempDir(), "Mail")
	if _, err := audit.ExportMaildir(ctx, st, dir, audit.ExportOptions{AsOf: date2}); err != nil {
		t.Fatal(err)
	}
	if c, err := audit.CheckExport(ctx, audit.ManifestPath(dir), dir, audit.ExportCheckOptions{}); err != nil || !c.OK() || c.Intact != 6 {
		t.Errorf("verify-export of the Maildir: %+v %v", c, err)
	}
	// Keys chosen now cannot be exported as of then.
	if _, err := audit.ExportMbox(ctx, st, filepath.Join(t.TempDir(), "x.mbox"), audit.ExportOptions{AsOf: date1, Keys: []string{prefix + "a"}}); err == nil {
		t.Error("an export of chosen keys as of a date was not refused")
	}
}

// TestAsOfSnapshotResumes: an as-of snapshot stopped after its first
// entries and resumed is entry for entry the one run uninterrupted;
// resuming it as of another date is refused.
func TestAsOfSnapshotResumes(t *testing.T) {
	h := newHistory(t, true)
	for i := range 12 {
		k := fmt.Sprintf("m%02d", i)
		h.Put(k, day(1+i%3), message(k+" 1"))
		if i%2 == 0 {
			h.Put(k, day(6), message(k+" 2"))
		}
	}
	st := store(h)
	date := day(4)
	whole, _ := snapshot(t, st, audit.SnapshotOptions{AsOf: date})
	path := filepath.Join(t.TempDir(), "part.jsonl")
	ctx, cancel := context.WithCancel(context.Background())
	_, err := audit.WriteSnapshot(ctx, st, path, audit.SnapshotOptions{AsOf: date, Parallel: 1, Progress: func(p audit.Progress) {
		if p.Done >= 4 {
			cancel()
		}
	}})
	cancel()
	if err == nil {
		t.Fatal("the stopped snapshot finished")
	}
	if _, err := audit.WriteSnapshot(context.Background(), st, path, audit.SnapshotOptions{AsOf: day(5), Resume: true}); err == nil || !strings.Contains(mailstore.Explain(err), "as of 2026-01-04T12:00:00Z, not as of 2026-01-05T12:00:00Z: resume it with --as-of 2026-01-04T12:00:00Z") {
		t.Errorf("resumed as of another date: %v", mailstore.Explain(err))
	}
	tr, err := audit.WriteSnapshot(context.Background(), st, path, audit.SnapshotOptions{AsOf: date, Resume: true})
	if err != nil || !tr.Resumed {
		t.Fatal(tr, err)
	}
	a, b := lines(t, whole), lines(t, path)
	if !slices.Equal(a[1:len(a)-1], b[1:len(b)-1]) || len(a) != 14 {
		t.Errorf("resumed entries differ from the whole run's:\n%q\n%q", a, b)
	}
}

// TestAsOfRefusesWhatVersionsCannotShow: an unversioned bucket; a date
// before the first version written with versioning on, where objects
// written before it (version id null) show it was off; and a date
// before a write made while versioning was suspended. Each is refused
// with what can be proved, and writes nothing.
func TestAsOfRefusesWhatVersionsCannotShow(t *testing.T) {
	ctx := context.Background()
	refused := func(st audit.Bucket, at time.Time, hint string) {
		t.Helper()
		out := filepath.Join(t.TempDir(), "m.jsonl")
		_, err := audit.WriteSnapshot(ctx, st, out, audit.SnapshotOptions{AsOf: at})
		if !errors.Is(err, audit.ErrNotProvable) || !strings.Contains(mailstore.Hint(err), hint) {
			t.Errorf("as of %s: %v, want a hint with %q", at, mailstore.Explain(err), hint)
		}
		if _, serr := os.Stat(out); serr == nil {
			t.Errorf("as of %s: refused, yet %s was written", at, out)
		}
		mbox := filepath.Join(t.TempDir(), "m.mbox")
		if _, err := audit.ExportMbox(ctx, st, mbox, audit.ExportOptions{AsOf: at}); !errors.Is(err, audit.ErrNotProvable) {
			t.Errorf("export as of %s: %v", at, err)
		}
		if ents, _ := os.ReadDir(filepath.Dir(mbox)); len(ents) != 0 {
			t.Errorf("export as of %s: refused, yet it left %v", at, ents)
		}
	}
	u := newHistory(t, false)
	u.Put("a", day(1), message("a 1"))
	refused(store(u), day(5), "asof-mail is not versioned")

	h := newHistory(t, false)
	h.Put("a", day(1), message("a 1"))
	h.Put("b", day(2), message("b 1"))
	h.Versioning(types.BucketVersioningStatusEnabled)
	h.Put("a", day(10), message("a 2"))
	h.Put("c", day(12), message("c 1"))
	refused(store(h), day(5), "the first version written with it under s3://asof-mail/inbox/ is from 2026-01-10T12:00:00Z")
	path, _ := snapshot(t, store(h), audit.SnapshotOptions{AsOf: day(11)})
	_, got := manifestEntries(t, path)
	if want := map[string][2]string{"a": {h.VIDs["a"][1], hashOf(message("a 2"))}, "b": {"null", hashOf(message("b 1"))}}; !mapsEqual(got, want) {
		t.Errorf("as of day 11: %v, want %v", got, want)
	}

	h.Versioning(types.BucketVersioningStatusSuspended)
	h.Put("b", day(15), message("b 2"))
	refused(store(h), day(13), "versioning of asof-mail was off or suspended after 2026-01-13T12:00:00Z")
	path, _ = snapshot(t, store(h), audit.SnapshotOptions{AsOf: day(16)})
	_, got = manifestEntries(t, path)
	if len(got) != 3 || got["b"] != [2]string{"null", hashOf(message("b 2"))} {
		t.Errorf("as of day 16: %v", got)
	}
	// The future is no date to prove.
	if _, err := audit.WriteSnapshot(ctx, store(h), filepath.Join(t.TempDir(), "f.jsonl"), audit.SnapshotOptions{AsOf: time.Now().Add(time.Hour)}); !errors.Is(err, audit.ErrNotProvable) {
		t.Errorf("as of the future: %v", err)
	}
}

func mapsEqual(a, b map[string][2]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
