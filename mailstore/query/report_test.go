package query

import (
	"testing"

	"github.com/sesbox/sesbox/mailstore"
)

func TestMatchReports(t *testing.T) {
	sums := []mailstore.Summary{
		{Object: mailstore.Object{Key: "b"}, Report: mailstore.ReportBounce, Subject: "Undelivered Mail Returned to Sender"},
		{Object: mailstore.Object{Key: "d"}, Report: mailstore.ReportDelay},
		{Object: mailstore.Object{Key: "c"}, Report: mailstore.ReportComplaint},
		{Object: mailstore.Object{Key: "s"}, Report: mailstore.ReportDelivered},
		{Object: mailstore.Object{Key: "m"}, Subject: "bounce", Missing: true},
	}
	for _, tc := range []struct{ q, want string }{
		{"is:bounce", "b"},
		{"IS:Bounce", "b"},
		{"is:delay", "d"},
		{"is:complaint", "c"},
		{"is:delivered", "s"},
		{"is:report", "bdcs"},
		{"-is:report", "m"},
		{"-is:bounce -is:complaint", "dsm"},
		{"is:missing", "m"},
		{"bounce", "m"},
	} {
		q, err := Parse(tc.q, now)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.q, err)
		}
		got := ""
		for i := range sums {
			if q.Match(&sums[i]) {
				got += sums[i].Key
			}
		}
		if got != tc.want {
			t.Errorf("%q matched %q, want %q", tc.q, got, tc.want)
		}
	}
}
