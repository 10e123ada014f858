package reforward

import "testing"

func TestTotalsString(t *testing.T) {
	rs := []Result{{Status: StatusSent}, {Status: StatusSkipped}, {Status: StatusSent}, {Status: StatusUncertain}}
	if got, want := Count(rs).String(), "2 sent, 1 skipped, 1 uncertain"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := (Totals{DryRun: 3, Failed: 1}).String(), "3 written (dry run), 1 failed"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := Count(nil).String(); got != "" {
		t.Errorf("no results: %q", got)
	}
}
