package s3store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore/inventory"
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
	src := NewInventorySource(c)
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
