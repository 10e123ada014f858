package inventory_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/inventory"
	"github.com/sesbox/sesbox/mailstore/testutil/invgen"
)

// memSource is the package's own Source interface over a map: the unit
// tests exercise the report format; s3store's Source is tested against a
// real S3 server in its own package.
type memSource map[string][]byte // "bucket/key" -> body

func (m memSource) Dirs(_ context.Context, bucket, prefix string) ([]string, error) {
	seen := map[string]bool{}
	for k := range m {
		k, ok := strings.CutPrefix(k, bucket+"/"+prefix)
		if !ok {
			continue
		}
		if i := strings.Index(k, "/"); i >= 0 {
			seen[prefix+k[:i+1]] = true
		}
	}
	var out []string
	for d := range seen {
		out = append(out, d)
	}
	sort.Strings(out)
	return out, nil
}

func (m memSource) Get(_ context.Context, bucket, key string) (io.ReadCloser, error) {
	b, ok := m[bucket+"/"+key]
	if !ok {
		return nil, fmt.Errorf("NoSuchKey: %s: %w", key, mailstore.ErrNotFound)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func (m memSource) put(bucket string) func(string, []byte) error {
	return func(k string, b []byte) error { m[bucket+"/"+k] = b; return nil }
}

func objects(n int, seed uint64) []invgen.Object {
	r := rand.New(rand.NewPCG(seed, 1))
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var out []invgen.Object
	for i := range n {
		prefix := "inbox/"
		if i%5 == 0 {
			prefix = "other/"
		}
		key := fmt.Sprintf("%s%040x", prefix, r.Uint64())
		if i%7 == 0 {
			key = prefix + "odd key + ü/%2F " + fmt.Sprint(i) // CSV keys are URL-encoded
		}
		out = append(out, invgen.Object{Key: key, Size: int64(r.IntN(1 << 20)),
			ETag: fmt.Sprintf("%032x", r.Uint64()), LastModified: base.Add(time.Duration(i) * time.Minute)})
	}
	return out
}

func TestReadsNewestReportBothFormats(t *testing.T) {
	for _, format := range []string{"CSV", "Parquet"} {
		t.Run(format, func(t *testing.T) {
			src := memSource{}
			objs := objects(2500, 7)
			old := invgen.Report{DestBucket: "inv", DestPrefix: "reports/", SourceBucket: "mail", ConfigID: "daily",
				Format: format, Created: time.Date(2026, 11, 30, 1, 0, 0, 0, time.UTC), PerFile: 1000}
			if err := invgen.Write(old, objs[:10], src.put("inv")); err != nil {
				t.Fatal(err)
			}
			newer := old
			newer.Created = old.Created.Add(24 * time.Hour)
			if err := invgen.Write(newer, objs, src.put("inv")); err != nil {
				t.Fatal(err)
			}
			// A report still being written has no checksum: passed over.
			src["inv/"+old.Root()+"2026-12-02T01-00Z/manifest.json"] = []byte("{}")

			u, err := inventory.ParseURL("s3://inv/" + old.Root())
			if err != nil {
				t.Fatal(err)
			}
			m, err := inventory.Latest(context.Background(), src, u)
			if err != nil {
				t.Fatal(err)
			}
			if !m.Created().Equal(newer.Created) || len(m.Files) != 3 {
				t.Fatalf("manifest %v with %d files, want %v with 3", m.Created(), len(m.Files), newer.Created)
			}
			want := map[string]invgen.Object{}
			for _, o := range objs {
				if strings.HasPrefix(o.Key, "inbox/") {
					want[o.Key] = o
				}
			}
			got := 0
			err = inventory.Read(context.Background(), src, m, inventory.Filter{Bucket: "mail", Prefix: "inbox/"}, t.TempDir(), func(r inventory.Row) error {
				w, ok := want[r.Key]
				if !ok {
					return fmt.Errorf("unexpected row %q", r.Key)
				}
				if r.Size != w.Size || r.ETag != w.ETag || !r.LastModified.Equal(w.LastModified) || r.Bucket != "mail" {
					return fmt.Errorf("row %+v, want %+v", r, w)
				}
				got++
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if got != len(want) {
				t.Fatalf("read %d rows, want %d", got, len(want))
			}
		})
	}
}

func TestVersionRowsAndDeleteMarkersAreSkipped(t *testing.T) {
	src := memSource{}
	at := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	objs := []invgen.Object{
		{Key: "inbox/a", Size: 1, ETag: "e1", LastModified: at, VersionID: "v2"},
		{Key: "inbox/a", Size: 2, ETag: "e0", LastModified: at, VersionID: "v1", NotLatest: true},
		{Key: "inbox/b", LastModified: at, VersionID: "v3", DeleteMarker: true},
	}
	r := invgen.Report{DestBucket: "inv", SourceBucket: "mail", ConfigID: "all", Format: "CSV", Created: at}
	if err := invgen.Write(r, objs, src.put("inv")); err != nil {
		t.Fatal(err)
	}
	m, err := inventory.Latest(context.Background(), src, inventory.URL{Bucket: "inv", Prefix: r.Root()})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	if err := inventory.Read(context.Background(), src, m, inventory.Filter{Prefix: "inbox/"}, t.TempDir(), func(r inventory.Row) error {
		keys = append(keys, r.Key+"/"+r.ETag)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if strings.Join(keys, ",") != "inbox/a/e1" {
		t.Fatalf("rows %v, want only the latest version of inbox/a", keys)
	}
}

func TestBadChecksumsAreRefused(t *testing.T) {
	at := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	r := invgen.Report{DestBucket: "inv", SourceBucket: "mail", ConfigID: "c", Format: "CSV", Created: at, BadChecksum: true}
	src := memSource{}
	if err := invgen.Write(r, objects(10, 1), src.put("inv")); err != nil {
		t.Fatal(err)
	}
	_, err := inventory.Latest(context.Background(), src, inventory.URL{Bucket: "inv", Prefix: r.Root()})
	if err == nil || !strings.Contains(err.Error(), "does not match manifest.checksum") {
		t.Fatalf("err = %v, want a checksum mismatch", err)
	}

	// A data file changed after the manifest was written.
	r.BadChecksum = false
	src = memSource{}
	if err := invgen.Write(r, objects(10, 1), src.put("inv")); err != nil {
		t.Fatal(err)
	}
	m, err := inventory.Latest(context.Background(), src, inventory.URL{Bucket: "inv", Prefix: r.Root()})
	if err != nil {
		t.Fatal(err)
	}
	other := memSource{}
	if err := invgen.Write(r, objects(11, 2), other.put("inv")); err != nil {
		t.Fatal(err)
	}
	src["inv/"+m.Files[0].Key] = other["inv/"+m.Files[0].Key]
	err = inventory.Read(context.Background(), src, m, inventory.Filter{}, t.TempDir(), func(inventory.Row) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "the manifest") {
		t.Fatalf("err = %v, want a data file MD5 mismatch", err)
	}
}

func TestErrorsSayWhatToDo(t *testing.T) {
	if _, err := inventory.ParseURL("https://x/y"); err == nil {
		t.Fatal("non-s3 URL accepted")
	}
	_, err := inventory.Latest(context.Background(), memSource{}, inventory.URL{Bucket: "inv", Prefix: "p/"})
	if err == nil || !strings.Contains(err.Error(), "no report yet") {
		t.Fatalf("err = %v", err)
	}
	at := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	src := memSource{}
	r := invgen.Report{DestBucket: "inv", SourceBucket: "mail", ConfigID: "c", Format: "ORC", Created: at}
	_ = invgen.Write(r, nil, src.put("inv"))
	_, err = inventory.Latest(context.Background(), src, inventory.URL{Bucket: "inv", Prefix: r.Root()})
	if err == nil || !strings.Contains(err.Error(), "ORC inventory reports are not supported") {
		t.Fatalf("err = %v", err)
	}
}

// Lister, the listing source index.Refresh takes, passes on the mailbox's
// rows in pages of at most PageSize, and refuses a report of another
// bucket.
func TestListerPagesTheMailboxRows(t *testing.T) {
	src := memSource{}
	objs := objects(2500, 11)
	r := invgen.Report{DestBucket: "inv", DestPrefix: "reports/", SourceBucket: "mail", ConfigID: "daily",
		Format: "CSV", Created: time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC), PerFile: 700}
	if err := invgen.Write(r, objs, src.put("inv")); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, o := range objs {
		if strings.HasPrefix(o.Key, "inbox/") {
			want[o.Key] = o.ETag
		}
	}
	u := inventory.URL{Bucket: "inv", Prefix: r.Root()}
	got := map[string]string{}
	pages := 0
	list := inventory.Lister(src, u, mailstore.Location{Bucket: "mail", Prefix: "inbox/"}, t.TempDir())
	if err := list(context.Background(), func(page []mailstore.Object) error {
		pages++
		if len(page) == 0 || len(page) > inventory.PageSize {
			t.Errorf("page of %d objects", len(page))
		}
		for _, o := range page {
			got[o.Key] = o.ETag
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) || pages != (len(want)+inventory.PageSize-1)/inventory.PageSize {
		t.Fatalf("%d objects in %d pages, want %d", len(got), pages, len(want))
	}
	for k, e := range want {
		if got[k] != e {
			t.Fatalf("%s: ETag %q, want %q", k, got[k], e)
		}
	}
	other := inventory.Lister(src, u, mailstore.Location{Bucket: "elsewhere", Prefix: "inbox/"}, t.TempDir())
	if err := other(context.Background(), func([]mailstore.Object) error { return nil }); err == nil || !strings.Contains(err.Error(), "not the mailbox's") {
		t.Fatalf("report of bucket mail for mailbox of bucket elsewhere: err %v", err)
	}
}

// TestNewestReportAmongManyFolders: forty daily reports, the hive/
// folder of symlink files AWS writes beside them (its dt= folders sort
// after every dated one), the data/ folder and a folder that only looks
// dated: the newest dated report with its checksum is read, the one still
// being written passed over.
func TestNewestReportAmongManyFolders(t *testing.T) {
	src := memSource{}
	base := invgen.Report{DestBucket: "inv", DestPrefix: "reports/", SourceBucket: "mail", ConfigID: "daily", Format: "CSV",
		Created: time.Date(2026, 10, 1, 1, 0, 0, 0, time.UTC), PerFile: 1000}
	objs := objects(20, 3)
	var newest invgen.Report
	for day := range 40 {
		r := base
		r.Created = base.Created.Add(time.Duration(day) * 24 * time.Hour)
		if err := invgen.Write(r, objs[:day%20+1], src.put("inv")); err != nil {
			t.Fatal(err)
		}
		newest = r
		src["inv/"+base.Root()+"hive/dt="+r.Created.Format("2006-01-02-15-04")+"/symlink.txt"] = []byte("s3://inv/" + r.Dir() + "data/x.csv.gz\n")
	}
	src["inv/"+base.Root()+"2026-11-20T01-00Z-old/manifest.json"] = []byte("{}")
	src["inv/"+base.Root()+"2026-12-31T01-00Z/manifest.json"] = []byte("{}") // no checksum yet
	m, err := inventory.Latest(context.Background(), src, inventory.URL{Bucket: "inv", Prefix: base.Root()})
	if err != nil {
		t.Fatal(err)
	}
	if m.Key != newest.Dir()+"manifest.json" || !m.Created().Equal(newest.Created) {
		t.Fatalf("read %s (%v), want %smanifest.json", m.Key, m.Created(), newest.Dir())
	}
}

// A data file the manifest names and the bucket lacks (deleted by a
// lifecycle rule, a report copied in part) is said to be missing, not
// "no such message".
func TestMissingDataFileSaysSo(t *testing.T) {
	src := memSource{}
	r := invgen.Report{DestBucket: "inv", SourceBucket: "mail", ConfigID: "c", Format: "CSV", Created: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), PerFile: 5}
	if err := invgen.Write(r, objects(10, 1), src.put("inv")); err != nil {
		t.Fatal(err)
	}
	m, err := inventory.Latest(context.Background(), src, inventory.URL{Bucket: "inv", Prefix: r.Root()})
	if err != nil {
		t.Fatal(err)
	}
	delete(src, "inv/"+m.Files[1].Key)
	err = inventory.Read(context.Background(), src, m, inventory.Filter{}, t.TempDir(), func(inventory.Row) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "is missing") || strings.Contains(err.Error(), "no such message") {
		t.Fatalf("err = %v", err)
	}
}
