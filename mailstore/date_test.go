package mailstore

import (
	"strings"
	"testing"
	"time"
)

// TestSettleDate: a message is listed by its Date header unless that is
// missing, unparsable or more than a day after SES stored the message: a
// Date in 2199 kept a message at the top of every list sorted newest
// first, above all mail that came after it. Such a message is listed by
// its stored time, with a warning naming the Date it gave.
func TestSettleDate(t *testing.T) {
	stored := time.Date(2026, 11, 3, 14, 2, 11, 0, time.UTC)
	for _, tt := range []struct {
		name      string
		date      time.Time
		stored    time.Time
		want      time.Time
		fromStore bool
		warns     bool
	}{
		{"no Date", time.Time{}, stored, stored, true, false},
		{"far ahead", time.Date(2199, 1, 1, 0, 0, 0, 0, time.UTC), stored, stored, true, true},
		{"two days ahead", stored.Add(49 * time.Hour), stored, stored, true, true},
		{"a clock a few hours fast", stored.Add(14 * time.Hour), stored, stored.Add(14 * time.Hour), false, false},
		{"sent before it was stored", stored.Add(-time.Hour), stored, stored.Add(-time.Hour), false, false},
		{"no stored time to compare", time.Date(2199, 1, 1, 0, 0, 0, 0, time.UTC), time.Time{}, time.Date(2199, 1, 1, 0, 0, 0, 0, time.UTC), false, false},
	} {
		s := Summary{Object: Object{LastModified: tt.stored}, Date: tt.date}
		s.SettleDate()
		warned := len(s.Warnings) == 1 && strings.Contains(s.Warnings[0], tt.date.Format(time.RFC1123Z))
		if !s.Date.Equal(tt.want) || s.DateFromStore != tt.fromStore || warned != tt.warns || (!tt.warns && len(s.Warnings) > 0) {
			t.Errorf("%s: date %v (from store %v), warnings %q", tt.name, s.Date, s.DateFromStore, s.Warnings)
		}
	}
}
