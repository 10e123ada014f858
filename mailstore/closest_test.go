package mailstore

import "testing"

// TestClosest: a typo of one or two edits names its word; a tie, a word
// too far off or too short to tell names none.
func TestClosest(t *testing.T) {
	among := []string{"bucket", "prefix", "region", "profile", "json", "from", "to"}
	for word, want := range map[string]string{
		"bukcet": "bucket", "josn": "json", "frm": "from", "prefx": "prefix",
		"regin": "region", "bucket": "bucket", "mailbox": "", "t": "", "xy": "", "pro": "",
	} {
		if got := Closest(word, among); got != want {
			t.Errorf("Closest(%q) = %q, want %q", word, got, want)
		}
	}
}
