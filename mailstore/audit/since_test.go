package audit

import (
	"strings"
	"testing"
	"time"
)

// TestLostSince: which histories of a key the manifest does not hold
// are mail deleted since it, now and as of a later date; on versitygw
// TestVerifySeesMailDeletedSinceTheManifest.
func TestLostSince(t *testing.T) {
	day := func(n int) time.Time { return time.Date(2026, 1, n, 12, 0, 0, 0, time.UTC) }
	ver := func(id string, d int) Version { return Version{Key: "k", VersionID: id, LastModified: day(d)} }
	dm := func(id string, d int) Version {
		return Version{Key: "k", VersionID: id, LastModified: day(d), DeleteMarker: true}
	}
	latest := func(v Version) Version { v.IsLatest = true; return v }
	since := day(10).Add(-time.Hour)
	for _, c := range []struct {
		name    string
		entries []Version // listing order: versions, then delete markers
		until   time.Time
		kept    string // Recoverable; "-" for not lost
		note    string
	}{
		{"there now", []Version{latest(ver("v1", 11))}, time.Time{}, "-", ""},
		{"put since, deleted", []Version{ver("v1", 11), latest(dm("m1", 12))}, time.Time{}, "v1", "put 2026-01-11T12:00:00Z (version v1), after then (2026-01-10T11:00:00Z), and deleted 2026-01-12T12:00:00Z (delete marker m1)"},
		{"overwritten, deleted", []Version{ver("v2", 12), ver("v1", 11), latest(dm("m1", 13))}, time.Time{}, "v2", "version v2 still holds its bytes"},
		{"there then, deleted since", []Version{ver("v1", 3), latest(dm("m1", 12))}, time.Time{}, "v1", "its versions say it was there when then (2026-01-10T11:00:00Z: version v1, put 2026-01-03T12:00:00Z)"},
		{"a marker since alone", []Version{latest(dm("m1", 12))}, time.Time{}, "", "no version of it is kept"},
		{"a marker before alone", []Version{latest(dm("m1", 2))}, time.Time{}, "-", ""},
		{"deleted before", []Version{ver("v1", 1), latest(dm("m1", 2))}, time.Time{}, "-", ""},
		{"deleted, put back", []Version{latest(ver("v2", 13)), ver("v1", 11), dm("m1", 12)}, time.Time{}, "-", ""},
		{"as of a date it was there", []Version{ver("v1", 11), latest(dm("m1", 14))}, day(13), "-", ""},
		{"as of a date it was gone", []Version{ver("v1", 11), latest(ver("v2", 15)), dm("m1", 12)}, day(13), "v1", "(delete marker m1)"},
		{"put after the date", []Version{ver("v1", 15), latest(dm("m1", 16))}, day(13), "-", ""},
	} {
		r, lost := lostSince(c.entries, since, c.until, "then")
		if c.kept == "-" {
			if lost {
				t.Errorf("%s: lost %+v", c.name, r)
			}
			continue
		}
		if !lost || r.Status != DeletedSinceManifest || r.Recoverable != c.kept || !strings.Contains(r.Note, c.note) ||
			len(r.Versions) != len(c.entries) || r.Versions[0].LastModified.Before(r.Versions[len(r.Versions)-1].LastModified) {
			t.Errorf("%s: lost %v %+v", c.name, lost, r)
		}
	}
}
