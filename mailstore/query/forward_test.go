package query

import (
	"testing"

	"github.com/sesbox/sesbox/mailstore"
)

func TestMatchForward(t *testing.T) {
	fw := func(key, status string) mailstore.Summary {
		return mailstore.Summary{Object: mailstore.Object{Key: key}, Subject: "forward:failed", Forward: mailstore.Forward{Status: status}}
	}
	sums := []mailstore.Summary{
		fw("f", mailstore.ForwardFailed), fw("o", mailstore.ForwardForwarded), fw("s", mailstore.ForwardSkipped),
		fw("n", mailstore.ForwardNone), fw("u", mailstore.ForwardUnknown), fw("x", ""),
	}
	for _, tc := range []struct{ q, want string }{
		{"forward:failed", "f"},
		{"Forward:FAILED", "f"},
		{"forward:ok", "o"},
		{"forward:forwarded", "o"},
		{"forward:skipped", "s"},
		{"forward:none", "n"},
		{"forward:unknown", "u"},
		{"-forward:ok", "fsnux"},
		{"forward:failed subject:forward", "f"},
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
	for _, bad := range []string{"forward:", "forward:maybe", "forward:fail"} {
		if _, err := Parse(bad, now); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}
