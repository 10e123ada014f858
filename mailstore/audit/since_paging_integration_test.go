//go:build integration

package audit_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/audit"
	"github.com/sesbox/sesbox/mailstore/s3store"
	"github.com/sesbox/sesbox/mailstore/testutil/vhist"
)

// randomHistory writes on h, for n keys, a random history on days 1 to
// 31 of January 2026: puts and deletes (a delete of a deleted key adds
// another marker), up to six per key, each key on days of its own. The
// first key is put on day 1, so that the versions speak for any date
// from then on. It returns the keys.
func randomHistory(h *vhist.History, rng *rand.Rand, n int) []string {
	var keys []string
	for i := range n {
		key := fmt.Sprintf("k%02d", i)
		if rng.IntN(4) == 0 {
			key += "+" // sorts between k03 and k04: keys of a page not all alike
		}
		keys = append(keys, key)
		d := 1 + rng.IntN(12)
		if i == 0 {
			d = 1
		}
		for op := range 1 + rng.IntN(6) {
			if d > 31 {
				break
			}
			if op == 0 || rng.IntN(3) > 0 {
				h.Put(key, vhist.Day(d), vhist.Message(fmt.Sprintf("%s %d", key, op)))
			} else {
				h.Delete(key, vhist.Day(d))
			}
			d += 1 + rng.IntN(5)
		}
	}
	return keys
}

// verifyReport is verify's report, results then summary, as JSON lines
// (the summary's run times left out), and its results.
func verifyReport(t *testing.T, b audit.Bucket, path string, asOf time.Time) (string, []audit.Result, audit.Summary) {
	t.Helper()
	out, results, sum, err := tryVerifyReport(b, path, asOf)
	if err != nil {
		t.Fatal(err)
	}
	return out, results, sum
}

// tryVerifyReport is verifyReport, or verify's error.
func tryVerifyReport(b audit.Bucket, path string, asOf time.Time) (string, []audit.Result, audit.Summary, error) {
	var out strings.Builder
	var results []audit.Result
	sum, err := audit.Verify(context.Background(), b, path, audit.VerifyOptions{AsOf: asOf, OnResult: func(r audit.Result) error {
		results = append(results, r)
		line, err := json.Marshal(r)
		out.Write(append(line, '\n'))
		return err
	}})
	if err != nil {
		return "", nil, sum, err
	}
	sum.Started, sum.Finished = time.Time{}, time.Time{}
	line, err := json.Marshal(sum)
	out.Write(line)
	return out.String(), results, sum, err
}

// countsMatch fails t unless every key is reported once and the
// summary's counts add up to the results reported.
func countsMatch(t *testing.T, what string, results []audit.Result, sum audit.Summary) {
	t.Helper()
	keys := map[string]audit.Status{}
	for _, r := range results {
		if s, twice := keys[r.Key]; twice {
			t.Errorf("%s: %s reported twice, %s and %s", what, r.Key, s, r.Status)
		}
		keys[r.Key] = r.Status
	}
	if n := sum.Unchanged + sum.Changed + sum.MetadataChanged + sum.Deleted + sum.DeletedSinceManifest + sum.New + sum.Errors; n != int64(len(results)) {
		t.Errorf("%s: the summary counts %d objects, %d reported: %+v", what, n, len(results), sum)
	}
}

// TestVerifyPagesThroughVersions: the walk for mail deleted since the
// manifest and the listing as of a date group the versions and delete
// markers of a key that ListObjectVersions hands over in two or more
// pages (a page's versions come before its delete markers). On
// versitygw v1.8.0 with versioning, over random histories (keys with
// several versions and markers), verify now and as of a later date
// reports byte for byte the same with pages of 2, 3 and 4 entries as
// with S3's 1,000, every key once, and counts what it reports. Pages of
// one entry: versitygw answers a current delete marker as the next
// marker again and again, so the listing stops with that said (as an
// error as of a date, a warning for the pass) instead of running
// without end, which it did (this test hung until its timeout).
func TestVerifyPagesThroughVersions(t *testing.T) {
	var seen audit.Summary // over every seed, page size 1,000
	straddling, stuckOnes := 0, 0
	const stuck = "with the same markers again, so the listing cannot go on"
	for seed := range uint64(4) {
		rng := rand.New(rand.NewPCG(seed, 14))
		h := vhist.New(t, fmt.Sprintf("pages%d", seed), "inbox/", true)
		keys := randomHistory(h, rng, 10+rng.IntN(6))
		for _, k := range keys {
			if len(h.VIDs[k]) >= 3 {
				straddling++
			}
		}
		path, _ := snapshot(t, store(h), audit.SnapshotOptions{AsOf: vhist.Day(9)})
		for _, asOf := range []time.Time{{}, vhist.Day(17)} {
			want, results, sum := verifyReport(t, store(h), path, asOf)
			what := fmt.Sprintf("seed %d as of %v", seed, asOf)
			countsMatch(t, what, results, sum)
			seen.New += sum.New
			seen.Deleted += sum.Deleted
			seen.DeletedSinceManifest += sum.DeletedSinceManifest
			for _, n := range []int32{1, 2, 3, 4} {
				c := s3.New(h.C.Options(), pagesOf(n))
				got, _, sum, err := tryVerifyReport(s3store.New(c, mailstore.Location{Bucket: h.Bucket, Prefix: h.Prefix}), path, asOf)
				if n == 1 && (err != nil && strings.Contains(err.Error(), stuck) || slices.ContainsFunc(sum.Warnings, func(w string) bool { return strings.Contains(w, stuck) })) {
					// versitygw v1.8.0, a page one entry long, answers
					// a current delete marker again and again: said,
					// not listed without end.
					stuckOnes++
					continue
				}
				if err != nil || got != want {
					t.Errorf("%s, %d a page: %v\n%s\nwant (1,000 a page):\n%s", what, n, err, got, want)
				}
			}
		}
	}
	// The histories hold what the test is about.
	if straddling < 10 || seen.New == 0 || seen.Deleted == 0 || seen.DeletedSinceManifest < 4 {
		t.Errorf("histories too plain: %d keys with 3 entries or more, summed %+v", straddling, seen)
	}
	t.Logf("pages of 1 entry: versitygw's listing stuck in %d of 8 verifies", stuckOnes)
}

// deleteBeforeVersions is a bucket whose keys in del are deleted (a
// delete marker now) just before its versions are first listed: mail
// that verify's walk listed as new and that is gone by the pass for
// mail deleted since the manifest.
type deleteBeforeVersions struct {
	*s3store.Store
	h   *vhist.History
	del []string
}

func (d *deleteBeforeVersions) ListVersions(ctx context.Context, keyMarker string, fn func([]audit.Version) error) error {
	for _, k := range d.del {
		d.h.Delete(k, time.Now().UTC().Truncate(time.Second))
	}
	d.del = nil
	return d.Store.ListVersions(ctx, keyMarker, fn)
}

// TestVerifyReportsNewMailDeletedBeforeThePassOnce: mail put since the
// manifest, listed by verify's walk as new and deleted before the pass
// over the versions, was reported twice, as new and as
// deleted-since-manifest, and counted in both (on versitygw v1.8.0: the
// summary counted more objects than were reported). Over random
// histories and random sets of new keys deleted then, each is now
// reported once, deleted since the manifest, with the version that
// holds it; the others new as before; every key once, the counts adding
// up to what is reported.
func TestVerifyReportsNewMailDeletedBeforeThePassOnce(t *testing.T) {
	for seed := range uint64(3) {
		rng := rand.New(rand.NewPCG(seed, 141))
		h := vhist.New(t, fmt.Sprintf("race%d", seed), "inbox/", true)
		randomHistory(h, rng, 12)
		path, _ := snapshot(t, store(h), audit.SnapshotOptions{AsOf: vhist.Day(9)})
		_, before, _ := verifyReport(t, store(h), path, time.Time{})
		var news, del []string
		for _, r := range before {
			if r.Status == audit.New {
				news = append(news, strings.TrimPrefix(r.Key, h.Prefix))
				if rng.IntN(2) == 0 || len(del) == 0 {
					del = append(del, strings.TrimPrefix(r.Key, h.Prefix))
				}
			}
		}
		if len(news) == 0 {
			t.Fatalf("seed %d: %d new objects, too few", seed, len(news))
		}
		b := &deleteBeforeVersions{Store: store(h), h: h, del: slices.Clone(del)}
		_, results, sum := verifyReport(t, b, path, time.Time{})
		what := fmt.Sprintf("seed %d, %v of %v deleted", seed, del, news)
		countsMatch(t, what, results, sum)
		got := map[string]audit.Result{}
		for _, r := range results {
			got[strings.TrimPrefix(r.Key, h.Prefix)] = r
		}
		for _, k := range news {
			r := got[k]
			vids := h.VIDs[k]
			switch {
			case !slices.Contains(del, k):
				if r.Status != audit.New {
					t.Errorf("%s: %s %+v, want new", what, k, r)
				}
			case r.Status != audit.DeletedSinceManifest || r.Recoverable != vids[len(vids)-2] || r.Versions[0].VersionID != vids[len(vids)-1]:
				t.Errorf("%s: %s %+v, want deleted-since-manifest, recoverable %s", what, k, r, vids[len(vids)-2])
			}
		}
		if sum.New != int64(len(news)-len(del)) {
			t.Errorf("%s: %d new, want %d", what, sum.New, len(news)-len(del))
		}
	}
}
