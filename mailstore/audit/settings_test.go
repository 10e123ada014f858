package audit

import (
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore/posture"
)

// TestAsOfWarningIsOneAcrossADay: an as-of snapshot and the verify of
// it warned of a lifecycle rule expiring noncurrent versions from "now
// minus its days" to the second, so when the two ran either side of a
// second's boundary verify listed the manifest's warning and its own,
// which differed only in that second (TestAuditAsOfWarnsOfExpiringVersionsCLI
// failed so under load). S3 expires a version at the midnight (UTC)
// after its days: the warning counts from that midnight, the same all
// day, and a date from it on is complete.
func TestAsOfWarningIsOneAcrossADay(t *testing.T) {
	s := bucketSettings{bucket: "b", prefix: "inbox/", rules: []posture.LifecycleRule{{ID: "old", Enabled: true, Prefix: "inbox/", NoncurrentExpirationDays: 30}}}
	at := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
	first := s.asOfWarnings(at, time.Date(2026, 2, 14, 19, 30, 28, 900e6, time.UTC))
	later := s.asOfWarnings(at, time.Date(2026, 2, 14, 23, 59, 59, 0, time.UTC))
	if len(first) != 1 || len(later) != 1 || first[0] != later[0] {
		t.Fatalf("warnings of one day differ:\n%q\n%q", first, later)
	}
	// Versions replaced after January 15's midnight are all still
	// there on February 14: January 15 is complete, the 14th is not.
	if w := s.asOfWarnings(time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC), time.Date(2026, 2, 14, 19, 0, 0, 0, time.UTC)); w != nil {
		t.Errorf("as of the first complete date: %q", w)
	}
	if w := s.asOfWarnings(time.Date(2026, 1, 14, 23, 0, 0, 0, time.UTC), time.Date(2026, 2, 14, 19, 0, 0, 0, time.UTC)); len(w) != 1 {
		t.Errorf("as of an hour before it: %q", w)
	}
}
