//go:build integration

package audit_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/audit"
	"github.com/sesbox/sesbox/mailstore/s3store"
	"github.com/sesbox/sesbox/mailstore/testutil/bucketconf"
	"github.com/sesbox/sesbox/mailstore/testutil/peer"
	"github.com/sesbox/sesbox/mailstore/testutil/vhist"
)

// lifecycleXML is a GetBucketLifecycleConfiguration answer with one
// enabled rule over prefix, as the S3 API reference writes it; rule is
// its expiration elements.
func lifecycleXML(id, prefix, rule string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ID>` + id +
		`</ID><Filter><Prefix>` + prefix + `</Prefix></Filter><Status>Enabled</Status>` + rule + `</Rule></LifecycleConfiguration>`
}

// behind is a store of h's bucket reached through a bucketconf proxy in
// front of its versitygw that answers the bucket configuration reads in
// bodies itself: versitygw v1.8.0 implements no lifecycle configuration
// (501) and reports no MFA delete, so those two reads are a fake; the
// objects, versions, versioning status and Object Lock are the real
// peer's.
func behind(t *testing.T, h *vhist.History, bodies map[string]string) *s3store.Store {
	p := bucketconf.Start(t, h.Srv.URL, bodies)
	t.Cleanup(func() {
		if p.Answered.Load() == 0 {
			t.Errorf("the fake configuration reads %v were never made", bodies)
		}
	})
	return s3store.New((&peer.S3{URL: p.URL}).Client(), mailstore.Location{Bucket: h.Bucket, Prefix: h.Prefix})
}

// TestAsOfWarnsWhenNoncurrentVersionsExpire: a lifecycle rule deleting
// noncurrent versions 30 days after they are replaced (NoncurrentDays)
// can have taken versions current on a date older than now minus 30
// days, leaving no trace; an as-of snapshot or verify of such a date said
// nothing and read as a complete proof. It now warns, hint first (the
// date from which the proof is complete), in the manifest's header and
// verify's summary; a date within the 30 days gets no warning, and a
// bucket whose lifecycle rules cannot be read (versitygw's 501) says
// that what they do is not known.
func TestAsOfWarnsWhenNoncurrentVersionsExpire(t *testing.T) {
	h := newHistory(t, true)
	td := vhist.WriteTwoDates(h)
	st := behind(t, h, map[string]string{"lifecycle": lifecycleXML("old-versions", "inbox/",
		`<NoncurrentVersionExpiration><NoncurrentDays>30</NoncurrentDays></NoncurrentVersionExpiration>`)})
	// Now is February 14: the rule has had 30 days since January 15.
	now := func() time.Time { return time.Date(2026, 2, 14, 0, 0, 0, 0, time.UTC) }
	const want = `give an --as-of from 2026-01-15T00:00:00Z on for a complete proof: lifecycle rule "old-versions" of asof-mail (all mail under inbox/) permanently deletes noncurrent versions 30 days after they are replaced or deleted (NoncurrentVersionExpiration), so a version current on 2026-01-10T00:00:00Z and replaced or deleted before 2026-01-15T00:00:00Z may be gone without a trace`

	var said audit.Header
	path1, _ := snapshot(t, st, audit.SnapshotOptions{AsOf: td.Date1, Now: now, OnHeader: func(h audit.Header) { said = h }})
	hdr, _ := manifestEntries(t, path1)
	if !strings.HasPrefix(hdr.Warning, want) || said.Warning != hdr.Warning {
		t.Errorf("as of %s, older than the rule keeps versions: warning %q (said %q)\nwant %q", td.Date1, hdr.Warning, said.Warning, want)
	}
	path2, _ := snapshot(t, st, audit.SnapshotOptions{AsOf: td.Date2, Now: now})
	if hdr, _ := manifestEntries(t, path2); hdr.Warning != "" {
		t.Errorf("as of %s, within the rule's 30 days: warning %q", td.Date2, hdr.Warning)
	}

	sum, err := audit.Verify(context.Background(), st, path1, audit.VerifyOptions{AsOf: td.Date1, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Warnings) != 1 || !strings.HasPrefix(sum.Warnings[0], want) || strings.Contains(sum.Warnings[0], "the manifest's own warning") {
		t.Errorf("verify --as-of %s of a manifest as of then: warnings %q (the same warning twice?)", td.Date1, sum.Warnings)
	}
	// A manifest as of a date within the rule's 30 days, verified as of
	// such a date, has nothing to warn of; verified as it is now, the
	// manifest's own warning is still said.
	if sum, err = audit.Verify(context.Background(), st, path2, audit.VerifyOptions{AsOf: td.Date2, Now: now}); err != nil || len(sum.Warnings) != 0 {
		t.Errorf("verify --as-of %s: %v, warnings %q", td.Date2, err, sum.Warnings)
	}
	if sum, err = audit.Verify(context.Background(), st, path1, audit.VerifyOptions{Now: now}); err != nil || len(sum.Warnings) != 1 ||
		!strings.HasPrefix(sum.Warnings[0], want) || !strings.HasSuffix(sum.Warnings[0], " (the manifest's own warning, written when it was made)") {
		t.Errorf("verify now of a manifest as of %s: %v, warnings %q", td.Date1, err, sum.Warnings)
	}

	// Straight to versitygw: its lifecycle read answers 501.
	path3, _ := snapshot(t, store(h), audit.SnapshotOptions{AsOf: td.Date2})
	hdr, _ = manifestEntries(t, path3)
	if !strings.HasPrefix(hdr.Warning, "read the lifecycle rules of asof-mail (aws s3api get-bucket-lifecycle-configuration --bucket asof-mail; s3:GetLifecycleConfiguration) to know whether this proof as of 2026-01-20T00:00:00Z is complete: they could not be read") {
		t.Errorf("rules unknown: warning %q", hdr.Warning)
	}
	// The bucket as it is now is not rebuilt from versions: no warning.
	path4, _ := snapshot(t, store(h), audit.SnapshotOptions{})
	if hdr, _ = manifestEntries(t, path4); hdr.Warning != "" {
		t.Errorf("snapshot now: warning %q", hdr.Warning)
	}
}

// TestVerifySaysALifecycleRuleMayHaveExpiredDeletedMail: a rule expiring
// mail 30 days after it is stored (Expiration) deletes it as a person
// would, and verify reported the object "deleted" with nothing to tell
// the two apart. A deleted object the rule was due to expire by now says
// so in its note, and the summary counts them (expired) with a warning;
// one a rule of 10 years was not due to expire says nothing of it.
func TestVerifySaysALifecycleRuleMayHaveExpiredDeletedMail(t *testing.T) {
	h := vhist.New(t, "expiring", "inbox/", false)
	h.Put("old", vhist.Day(1), vhist.Message("old"))
	h.Put("kept", vhist.Day(2), vhist.Message("kept"))
	path, _ := snapshot(t, store(h), audit.SnapshotOptions{})
	h.Delete("old", vhist.Day(3))

	verify := func(rule string) (audit.Summary, audit.Result) {
		t.Helper()
		st := behind(t, h, map[string]string{"lifecycle": lifecycleXML("expire", "inbox/", rule)})
		var deleted audit.Result
		sum, err := audit.Verify(context.Background(), st, path, audit.VerifyOptions{OnResult: func(r audit.Result) error {
			if r.Status == audit.Deleted {
				deleted = r
			}
			return nil
		}})
		if err != nil {
			t.Fatal(err)
		}
		return sum, deleted
	}
	// The bucket is not versioned: the last warning says what verify
	// cannot see (TestVerifyNamesRewritesUnversioned).
	const unversioned = "to see mail put after the manifest was made and deleted before this verify, enable versioning"
	sum, r := verify(`<Expiration><Days>30</Days></Expiration>`)
	const note = `lifecycle rule "expire" of expiring (all mail under inbox/) expires mail 30 days after it is stored (Expiration): this one was due by 2026-01-31T12:00:00Z, so the rule may have removed it`
	if r.Key != "inbox/old" || !strings.Contains(r.Note, note) || sum.Expired != 1 || sum.Deleted != 1 {
		t.Errorf("30 days: expired %d of %d, %s: note %q\nwant %q", sum.Expired, sum.Deleted, r.Key, r.Note, note)
	}
	if len(sum.Warnings) != 2 || !strings.HasPrefix(sum.Warnings[0], "see the notes of the deleted objects: 1 of 1 were due to expire under the bucket's lifecycle rules") ||
		!strings.HasPrefix(sum.Warnings[1], unversioned) {
		t.Errorf("30 days: warnings %q", sum.Warnings)
	}
	if sum.OK() {
		t.Error("30 days: an expired object is still gone: verify must not pass")
	}
	sum, r = verify(`<Expiration><Days>3650</Days></Expiration>`)
	if r.Key != "inbox/old" || strings.Contains(r.Note, "lifecycle") || sum.Expired != 0 || len(sum.Warnings) != 1 || !strings.HasPrefix(sum.Warnings[0], unversioned) {
		t.Errorf("10 years: expired %d, note %q, warnings %q", sum.Expired, r.Note, sum.Warnings)
	}
	// Rules that cannot be read (versitygw's 501): the deleted object
	// could be either.
	sum, err := audit.Verify(context.Background(), store(h), path, audit.VerifyOptions{})
	if err != nil || len(sum.Warnings) != 2 || !strings.HasPrefix(sum.Warnings[1], unversioned) || !strings.HasPrefix(sum.Warnings[0], "read the lifecycle rules of expiring (aws s3api get-bucket-lifecycle-configuration --bucket expiring; s3:GetLifecycleConfiguration) to know whether a rule expired the deleted objects") {
		t.Errorf("rules unknown: %v, warnings %q", err, sum.Warnings)
	}
}

// TestManifestAndVerifySayObjectLockAndMFADelete: a bucket with Object
// Lock (COMPLIANCE default retention, on versitygw) keeps its versions
// from anyone, which makes a proof from them stronger; neither the
// manifest nor verify said so. The header and the summary now name it,
// and MFA delete (reported by a fake of GetBucketVersioning: no local
// server can turn it on); a bucket with neither says nothing, with no
// error.
func TestManifestAndVerifySayObjectLockAndMFADelete(t *testing.T) {
	h := vhist.New(t, "plain", "inbox/", true)
	ctx := context.Background()
	if _, err := h.C.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("locked"), ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.C.PutObjectLockConfiguration(ctx, &s3.PutObjectLockConfigurationInput{Bucket: aws.String("locked"),
		ObjectLockConfiguration: &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled,
			Rule: &types.ObjectLockRule{DefaultRetention: &types.DefaultRetention{Mode: types.ObjectLockRetentionModeCompliance, Days: aws.Int32(365)}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.C.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("locked"), Key: aws.String("inbox/a"), Body: strings.NewReader("Subject: a\r\n\r\na\r\n")}); err != nil {
		t.Fatal(err)
	}
	locked := s3store.New(h.C, mailstore.Location{Bucket: "locked", Prefix: "inbox/"})
	path, _ := snapshot(t, locked, audit.SnapshotOptions{})
	if c, err := audit.CheckManifest(path); err != nil || c.Header.ObjectLock != "COMPLIANCE, 365 days" || c.Header.MFADelete {
		t.Errorf("locked: manifest header %+v, %v", c.Header, err)
	}
	sum, err := audit.Verify(ctx, locked, path, audit.VerifyOptions{})
	if err != nil || !sum.OK() || sum.ObjectLock != "COMPLIANCE, 365 days" ||
		sum.Protection() != "Object Lock COMPLIANCE, 365 days default retention: no one can delete a version before it ends" {
		t.Errorf("locked: verify %v, ok %v, object lock %q, protection %q", err, sum.OK(), sum.ObjectLock, sum.Protection())
	}

	h.Put("a", vhist.Day(1), vhist.Message("a"))
	path, _ = snapshot(t, store(h), audit.SnapshotOptions{})
	if c, err := audit.CheckManifest(path); err != nil || c.Header.ObjectLock != "" || c.Header.MFADelete || c.Header.Protection() != "" {
		t.Errorf("plain: manifest header %+v, %v", c.Header, err)
	}
	mfa := behind(t, h, map[string]string{"versioning": `<?xml version="1.0" encoding="UTF-8"?><VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status><MfaDelete>Enabled</MfaDelete></VersioningConfiguration>`})
	sum, err = audit.Verify(ctx, mfa, path, audit.VerifyOptions{})
	if err != nil || !sum.OK() || !sum.MFADelete || sum.Protection() != "MFA delete enabled: deleting a version takes the root account's MFA device" {
		t.Errorf("MFA delete: verify %v, %+v, protection %q", err, sum, sum.Protection())
	}
}
