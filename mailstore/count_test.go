package mailstore

import "testing"

func TestCount(t *testing.T) {
	for _, tc := range []struct {
		n          int
		noun, want string
	}{
		{0, "match", "0 matches"}, {1, "match", "1 match"}, {2, "match", "2 matches"},
		{1, "message", "1 message"}, {12345, "message", "12,345 messages"}, {1234567, "entry", "1,234,567 entries"},
		{1, "entry", "1 entry"}, {3, "entry", "3 entries"}, {2, "day", "2 days"},
		{2, "mailbox", "2 mailboxes"}, {2, "address", "2 addresses"}, {2, "file", "2 files"},
	} {
		if got := Count(tc.n, tc.noun); got != tc.want {
			t.Errorf("Count(%d, %q) = %q, want %q", tc.n, tc.noun, got, tc.want)
		}
	}
}
