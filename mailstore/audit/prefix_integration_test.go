//go:build integration

package audit_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/audit"
	"github.com/sesbox/sesbox/mailstore/s3store"
	"github.com/sesbox/sesbox/mailstore/testutil/vhist"
)

// TestPrefixWithoutSlashSaysWhatItReached: S3 takes a prefix as it is,
// and SES's own may lack a "/" (it then writes PREFIX+message id), so
// "inbound" is audited as S3 lists it; but it reached inbound2/ and
// inbound-old/ too and nothing said so: a snapshot and a verify of 5
// objects read as one mailbox's. On versitygw v1.8.0 the manifest's
// trailer now counts the objects under each folder it reached
// (prefixes), verify counts them too (prefixes) and warns, hint
// first, and a resumed snapshot counts the same; "inbound/" reaches
// one folder and says nothing.
func TestPrefixWithoutSlashSaysWhatItReached(t *testing.T) {
	h := vhist.New(t, "siblings", "", true)
	for _, k := range []string{"inbound/a", "inbound/b", "inbound2/c", "inbound-old/d", "inboundflat", "other/e"} {
		h.Put(k, vhist.Day(1), vhist.Message(k))
	}
	st := s3store.New(h.C, mailstore.Location{Bucket: "siblings", Prefix: "inbound"})
	path, tr := snapshot(t, st, audit.SnapshotOptions{})
	want := []audit.PrefixGroup{{Prefix: "inbound", Objects: 1}, {Prefix: "inbound-old/", Objects: 1}, {Prefix: "inbound/", Objects: 2}, {Prefix: "inbound2/", Objects: 1}}
	if tr.Count != 5 || fmt.Sprint(tr.Prefixes) != fmt.Sprint(want) {
		t.Errorf("snapshot: %d objects, prefixes %+v\nwant %+v", tr.Count, tr.Prefixes, want)
	}
	note := `to cover one folder only, give --prefix inbound/ (or a mailbox with that prefix): the prefix "inbound" has no trailing "/" and S3 takes it as it is, so this covered every key that begins with it: 1 object named "inbound"… with no further "/" (as SES writes them under a prefix without one), 1 object under "inbound-old/", 2 objects under "inbound/", 1 object under "inbound2/"`
	if got := audit.PrefixNote("inbound", tr.Prefixes); got != note {
		t.Errorf("note %q\nwant %q", got, note)
	}
	sum, err := audit.Verify(context.Background(), st, path, audit.VerifyOptions{})
	if err != nil || !sum.OK() || fmt.Sprint(sum.Prefixes) != fmt.Sprint(want) || len(sum.Warnings) != 1 || sum.Warnings[0] != note {
		t.Errorf("verify: %+v %v", sum, err)
	}

	// Resumed after two entries: the same counts.
	ls := lines(t, path)
	cut := t.TempDir() + "/cut.jsonl"
	if err := os.WriteFile(cut, []byte(strings.Join(ls[:3], "")), 0o600); err != nil {
		t.Fatal(err)
	}
	rtr, err := audit.WriteSnapshot(context.Background(), st, cut, audit.SnapshotOptions{Resume: true})
	if err != nil || fmt.Sprint(rtr.Prefixes) != fmt.Sprint(want) {
		t.Errorf("resumed: %+v %v", rtr.Prefixes, err)
	}

	// One folder: nothing to say.
	one := s3store.New(h.C, mailstore.Location{Bucket: "siblings", Prefix: "inbound/"})
	path, tr = snapshot(t, one, audit.SnapshotOptions{})
	sum, err = audit.Verify(context.Background(), one, path, audit.VerifyOptions{})
	if tr.Count != 2 || tr.Prefixes != nil || err != nil || sum.Prefixes != nil || len(sum.Warnings) != 0 {
		t.Errorf("inbound/: %d objects, %+v; verify %+v %v", tr.Count, tr.Prefixes, sum, err)
	}
	for _, l := range lines(t, path) {
		if strings.Contains(l, `"prefixes"`) {
			t.Errorf("a manifest of one folder holds prefixes: %s", l)
		}
	}
}
