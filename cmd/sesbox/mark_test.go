package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore"
)

// TestMarkGoesOnPastABadKey: `mark` of several keys marks every one it
// can, names each it cannot, and exits 1. It used to stop at the first bad
// key, leaving the keys after it unmarked and unmentioned.
func TestMarkGoesOnPastABadKey(t *testing.T) {
	isolate(t)
	flags, _, msgs := demoBucket(t)
	keys := sortedKeys(msgs)
	_, errOut, code := sesbox(t, append(flags, "mark", keys[0], "nosuch", mailstore.SESMessageID(keys[5]), "nosuch2")...)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	for _, k := range []string{`/nosuch"`, `/nosuch2"`} {
		if !strings.Contains(errOut, k+" in s3://") {
			t.Errorf("stderr does not name %s:\n%s", k, errOut)
		}
	}
	if !strings.Contains(errOut, "2 of 4 keys could not be marked") {
		t.Errorf("no summary of the failures:\n%s", errOut)
	}
	out, errOut, code := sesbox(t, append(flags, "ls", "--cached", "--query", "is:read", "--json")...)
	if code != 0 {
		t.Fatalf("ls: exit %d: %s", code, errOut)
	}
	var read []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var row struct{ Key string }
		if err := json.Unmarshal([]byte(line), &row); err != nil {
			t.Fatalf("bad JSON line %q: %v", line, err)
		}
		read = append(read, row.Key)
	}
	if strings.Join(read, " ") != keys[0]+" "+keys[5] && strings.Join(read, " ") != keys[5]+" "+keys[0] {
		t.Errorf("read: %v, want %s and %s", read, keys[0], keys[5])
	}
}
