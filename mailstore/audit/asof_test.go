package audit

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/posture"
)

// pagedLister hands over fixed pages of versions, as ListObjectVersions
// through the SDK does: each page's versions, then its delete markers. A
// key marker's own key is listed again, as versitygw does.
type pagedLister struct {
	memBucket
	pages [][]Version
}

func (p pagedLister) ListVersions(_ context.Context, marker string, fn func([]Version) error) error {
	for _, page := range p.pages {
		var keep []Version
		for _, v := range page {
			if v.Key >= marker {
				keep = append(keep, v)
			}
		}
		if len(keep) > 0 {
			if err := fn(keep); err != nil {
				return err
			}
		}
	}
	return nil
}

func (pagedLister) Versioning(context.Context) (posture.Versioning, error) {
	return posture.Versioning{Status: "Enabled"}, nil
}

func jan(d int) time.Time { return time.Date(2026, 1, d, 0, 0, 0, 0, time.UTC) }

// TestAsOfListingAcrossPages: a key whose versions go on in the next
// page, delete markers handed over after a page's versions (k1's marker
// after k2's version), and a resume after k1 that lists k1 again: the
// listing as of each date names exactly the version current then.
func TestAsOfListingAcrossPages(t *testing.T) {
	l := pagedLister{pages: [][]Version{
		{
			{Key: "p/k1", VersionID: "k1-1", LastModified: jan(1)},
			{Key: "p/k2", VersionID: "k2-1", LastModified: jan(1)},
			{Key: "p/k1", VersionID: "k1-m", LastModified: jan(3), DeleteMarker: true},
		},
		{
			{Key: "p/k2", VersionID: "k2-2", LastModified: jan(4)},
			{Key: "p/k3", VersionID: "k3-1", LastModified: jan(2)},
			{Key: "p/k4", VersionID: "k4-1", LastModified: jan(6)},
		},
	}}
	list := func(at time.Time, after string) string {
		t.Helper()
		var got []string
		err := (&asOfBucket{VersionLister: l, at: at}).ListSorted(context.Background(), after, func(page []mailstore.Object) error {
			for _, o := range page {
				got = append(got, strings.TrimPrefix(o.Key, "p/")+"="+o.VersionID)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(got, " ")
	}
	for _, c := range []struct {
		at    time.Time
		after string
		want  string
	}{
		{jan(1), "", "k1=k1-1 k2=k2-1"},
		{jan(2), "", "k1=k1-1 k2=k2-1 k3=k3-1"},
		{jan(3), "", "k2=k2-1 k3=k3-1"},
		{jan(5), "", "k2=k2-2 k3=k3-1"},
		{jan(7), "", "k2=k2-2 k3=k3-1 k4=k4-1"},
		{jan(2), "p/k1", "k2=k2-1 k3=k3-1"},
		{jan(1).Add(-time.Second), "", ""},
	} {
		if got := list(c.at, c.after); got != c.want {
			t.Errorf("as of %s after %q: %q, want %q", c.at.Format(time.DateOnly), c.after, got, c.want)
		}
	}
	// A server listing keys out of order is named, not believed.
	bad := pagedLister{pages: [][]Version{{{Key: "p/k2", VersionID: "2", LastModified: jan(1)}}, {{Key: "p/k1", VersionID: "1", LastModified: jan(1)}}}}
	err := (&asOfBucket{VersionLister: bad, at: jan(5)}).ListSorted(context.Background(), "", func([]mailstore.Object) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "does not list in key order") {
		t.Errorf("keys out of order: %v", err)
	}
}
