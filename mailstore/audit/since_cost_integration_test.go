//go:build integration

package audit_test

import (
	"bytes"
	"context"
	"fmt"
	neturl "net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/audit"
	"github.com/sesbox/sesbox/mailstore/s3store"
	"github.com/sesbox/sesbox/mailstore/testutil/httprec"
	"github.com/sesbox/sesbox/mailstore/testutil/peer"
	"github.com/sesbox/sesbox/mailstore/testutil/vhist"
)

// noVersions is a bucket whose versions cannot be listed: verify skips
// its pass for mail deleted since the manifest (and warns so).
type noVersions struct{ audit.Bucket }

// BenchmarkVerifyDeletedSincePass is what the pass for mail deleted since
// the manifest costs verify on 5,000 keys in versitygw v1.8.0 (put 16 at
// a time) with versioning, 250 of them deleted since the manifest, 500
// put since and 250 of those deleted: verify with the pass and without
// it, time and requests (through a recording proxy). One run each:
//
//	go test -tags integration ./mailstore/audit/ -run '^$' -bench VerifyDeletedSincePass -benchtime 1x
func BenchmarkVerifyDeletedSincePass(b *testing.B) {
	const keys, gone, since, sinceGone = 5000, 250, 500, 250
	h := vhist.New(b, "cost", "inbox/", true)
	ctx := context.Background()
	do := func(n int, f func(i int) error) {
		var wg sync.WaitGroup
		errs := make(chan error, n)
		sem := make(chan struct{}, 16)
		for i := range n {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				if err := f(i); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
	put := func(key string) error {
		_, err := h.C.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(h.Bucket), Key: aws.String(h.Prefix + key), Body: bytes.NewReader(vhist.Message(key))})
		return err
	}
	del := func(key string) error {
		_, err := h.C.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(h.Bucket), Key: aws.String(h.Prefix + key)})
		return err
	}
	do(keys, func(i int) error { return put(fmt.Sprintf("m%05d", i)) })
	path := filepath.Join(b.TempDir(), "manifest.jsonl")
	if _, err := audit.WriteSnapshot(ctx, store(h), path, audit.SnapshotOptions{Parallel: 8}); err != nil {
		b.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // S3 dates to the second
	do(gone, func(i int) error { return del(fmt.Sprintf("m%05d", i*(keys/gone))) })
	do(since, func(i int) error { return put(fmt.Sprintf("n%05d", i)) })
	do(sinceGone, func(i int) error { return del(fmt.Sprintf("n%05d", i*(since/sinceGone))) })

	for _, c := range []struct {
		name string
		wrap func(audit.Bucket) audit.Bucket
		lost int64
	}{
		{"with", func(b audit.Bucket) audit.Bucket { return b }, sinceGone},
		{"without", func(b audit.Bucket) audit.Bucket { return noVersions{b} }, 0},
	} {
		b.Run(c.name, func(b *testing.B) {
			for range b.N {
				url, rec := httprec.Proxy(b, h.Srv.URL)
				st := c.wrap(s3store.New((&peer.S3{URL: url}).Client(), mailstore.Location{Bucket: h.Bucket, Prefix: h.Prefix}))
				start := time.Now()
				sum, err := audit.Verify(ctx, st, path, audit.VerifyOptions{})
				took := time.Since(start)
				if err != nil {
					b.Fatal(err)
				}
				if sum.Deleted != gone || sum.DeletedSinceManifest != c.lost || sum.New != since-sinceGone || sum.Unchanged != keys-gone {
					b.Fatalf("summary %+v", sum)
				}
				lists, kinds := 0, map[string]int{} // of requests other than reads of one object
				for _, q := range rec.Requests() {
					u, err := neturl.Parse(q.Path)
					if err != nil || u.RawQuery == "" {
						continue
					}
					if u.Query().Has("versions") && u.Query().Get("prefix") == h.Prefix {
						lists++
					}
					for k := range u.Query() {
						if k != "prefix" && k != "encoding-type" && !strings.Contains(k, "marker") && !strings.Contains(k, "-") && k != "delimiter" {
							kinds[k]++
						}
					}
				}
				b.ReportMetric(float64(len(rec.Requests())), "requests/op")
				b.ReportMetric(float64(lists), "prefix-version-lists/op")
				b.Logf("%s the pass: %v, %d requests (%v; with a query: %v), %d listings of the prefix's versions", c.name, took.Round(time.Millisecond), len(rec.Requests()), rec.Methods(), kinds, lists)
			}
		})
	}
}
