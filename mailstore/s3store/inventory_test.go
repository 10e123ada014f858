package s3store

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/inventory"
	"github.com/sesbox/sesbox/mailstore/testutil/fakes3"
	"github.com/sesbox/sesbox/mailstore/testutil/faultproxy"
	"github.com/sesbox/sesbox/mailstore/testutil/invgen"
)

// The report files are AWS's documented layout, written by invgen into an
// S3 server and read back through the real SDK client.
func TestInventorySourceReadsReportsFromS3(t *testing.T) {
	c := fakeS3(t, "inv")
	at := time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC)
	r := invgen.Report{DestBucket: "inv", DestPrefix: "reports/", SourceBucket: "mail", ConfigID: "daily", Format: "Parquet", Created: at, PerFile: 40}
	var objs []invgen.Object
	for i := range 100 {
		objs = append(objs, invgen.Object{Key: fmt.Sprintf("inbox/%s", sesID('a', i)), Size: int64(i), ETag: fmt.Sprint(i), LastModified: at})
	}
	err := invgen.Write(r, objs, func(k string, b []byte) error { put(t, c, "inv", k, b); return nil })
	if err != nil {
		t.Fatal(err)
	}
	src := New(c, mailstore.Location{Bucket: "mail", Prefix: "inbox/"}).InventorySource()
	m, err := inventory.Latest(context.Background(), src, inventory.URL{Bucket: "inv", Prefix: r.Root()})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	err = inventory.Read(context.Background(), src, m, inventory.Filter{Bucket: "mail", Prefix: "inbox/"}, t.TempDir(), func(inventory.Row) error { n++; return nil })
	if err != nil || n != 100 {
		t.Fatalf("read %d rows, err %v; want 100", n, err)
	}
}

// inventoryBehindProxy writes two daily CSV reports of n objects each
// (the newer with every object, the older with the first ten) into a
// gofakes3 bucket and returns the store reaching it through a fault
// proxy, with the report's URL.
func inventoryBehindProxy(t *testing.T, n int, cfg faultproxy.Config) (*Store, *faultproxy.Proxy, inventory.URL) {
	t.Helper()
	srv := fakes3.Start(t, "inv", "mail")
	at := time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC)
	var objs []invgen.Object
	for i := range n {
		objs = append(objs, invgen.Object{Key: fmt.Sprintf("inbox/%s", sesID('a', i)), Size: int64(i), ETag: fmt.Sprint(i), LastModified: at})
	}
	old := invgen.Report{DestBucket: "inv", DestPrefix: "reports/", SourceBucket: "mail", ConfigID: "daily", Format: "CSV", Created: at, PerFile: 400}
	newer := old
	newer.Created = at.Add(24 * time.Hour)
	for _, w := range []struct {
		r    invgen.Report
		objs []invgen.Object
	}{{old, objs[:10]}, {newer, objs}} {
		if err := invgen.Write(w.r, w.objs, func(k string, b []byte) error { srv.Put(t, "inv", k, b); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	p := faultproxy.Start(t, srv.URL, cfg)
	client := s3.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("k", "s", "")},
		func(o *s3.Options) { o.BaseEndpoint = aws.String(p.URL); o.UsePathStyle = true })
	return New(client, mailstore.Location{Bucket: "mail", Prefix: "inbox/"}).WithRetry(testPolicy()), p, inventory.URL{Bucket: "inv", Prefix: old.Root()}
}

// TestInventoryReadsSurviveFaults: the report's listing, manifests and
// data files are read with the store's read policy (retries, bodies
// resumed where they broke), so 503 SlowDowns and connections reset in
// the middle of a data file cost no row. Before, the inventory reader
// had the SDK's three attempts and no resumption: a data file reset once
// midway failed the whole ingest.
func TestInventoryReadsSurviveFaults(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  faultproxy.Config
	}{
		{"slowdown40", faultproxy.Config{Seed: 5, SlowDown: 0.4}},
		{"reset40", faultproxy.Config{Seed: 6, Reset: 0.4}},
		{"truncate40", faultproxy.Config{Seed: 7, Truncate: 0.4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, p, u := inventoryBehindProxy(t, 2000, tc.cfg)
			src := st.InventorySource()
			for round := range 3 {
				m, err := inventory.Latest(context.Background(), src, u)
				if err != nil {
					t.Fatalf("round %d: %v", round, err)
				}
				n := 0
				err = inventory.Read(context.Background(), src, m, inventory.Filter{Bucket: "mail", Prefix: "inbox/"}, t.TempDir(), func(inventory.Row) error { n++; return nil })
				if err != nil || n != 2000 {
					t.Fatalf("round %d: read %d rows of 2000: %v", round, n, err)
				}
			}
			s := p.Stats()
			t.Logf("%s: %s; %d GETs resumed", tc.name, s, st.Resumed())
			if s.Faults() < 10 {
				t.Errorf("only %d faults injected: the test proves little", s.Faults())
			}
		})
	}
}

// TestInventoryNewestReportUnreadableIsAnError: a newest report whose
// manifest cannot be read (every GET of it fails: access denied, the
// server down) fails the ingest with that error. Before, any failure to
// read a manifest passed the report over, as for one still being written,
// and the day-older report was read in silence; only a manifest that is
// not there yet (NoSuchKey) is passed over now.
func TestInventoryNewestReportUnreadableIsAnError(t *testing.T) {
	st, _, u := inventoryBehindProxy(t, 20, faultproxy.Config{Seed: 8, SlowDown: 1, Match: func(r *http.Request) bool {
		return strings.Contains(r.URL.Path, "2026-12-02T01-00Z/manifest.json")
	}})
	m, err := inventory.Latest(context.Background(), st.InventorySource(), u)
	if err == nil || !strings.Contains(err.Error(), "2026-12-02T01-00Z/manifest.json") {
		t.Fatalf("Latest = report %s, err %v; want the newest report's error", m.Key, err)
	}
}
