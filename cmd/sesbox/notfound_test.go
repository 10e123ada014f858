package main

import (
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore/demo"
)

// TestAKeyNamingNoMessageExitsNotFound: a KEY that names no message
// (a typo, a message gone) exited 1, as a bucket that cannot be read does,
// so a script could not tell "no such message" from "S3 is down" without
// parsing stderr. It exits 3 from every command that takes a KEY to read,
// and mark exits 3 when every key it could not mark named no message; a
// failed run is still 1.
func TestAKeyNamingNoMessageExitsNotFound(t *testing.T) {
	isolate(t)
	flags, _, msgs := demoBucket(t)
	var real string
	for k := range msgs {
		real = strings.TrimPrefix(k, demo.Prefix)
		break
	}
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"show", "nosuchkey"}, 3},
		{[]string{"show", "--headers", "nosuchkey"}, 3},
		{[]string{"show", "--raw", "nosuchkey"}, 3},
		{[]string{"show", "s3://mail/" + demo.Prefix + "nosuchkey"}, 3},
		{[]string{"save", "nosuchkey", "--dir", dir}, 3},
		{[]string{"reply", "nosuchkey", "--dry-run", "--body-file", "-"}, 3},
		{[]string{"mark", "nosuchkey"}, 3},
		{[]string{"mark", "nosuchkey", real, "alsonosuch"}, 3},
		{[]string{"show", real}, 0},
	} {
		_, errOut, code := sesbox(t, append(flags, tc.args...)...)
		if code != tc.code {
			t.Errorf("%s: exit %d, want %d\n%s", strings.Join(tc.args, " "), code, tc.code, errOut)
		}
		if tc.code == 3 && !strings.Contains(errOut, `sesbox: no message "`) {
			t.Errorf("%s: stderr %q", strings.Join(tc.args, " "), errOut)
		}
	}
	// A bucket that is not there is a failed run, not a missing message.
	bad := append([]string{}, flags...)
	bad[3] = "no-such-bucket"
	if _, errOut, code := sesbox(t, append(bad, "show", "nosuchkey")...); code != 1 {
		t.Errorf("show in a missing bucket: exit %d, want 1\n%s", code, errOut)
	}
}
