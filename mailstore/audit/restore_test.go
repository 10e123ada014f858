package audit

import (
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"testing/quick"

	"github.com/sesbox/sesbox/mailstore/sanitize"
)

// TestRestoreCommandQuotesEveryKey: the restore command audit verify
// prints for a recoverable object, run by a real shell, hands the AWS CLI
// exactly the bucket, the key and a copy source that URL-decodes to
// bucket/key?versionId=version, whatever the key holds (quotes, $(...),
// spaces, '?', '%', non-ASCII); a key the screen would not show as it is
// (a control character) gets no command.
func TestRestoreCommandQuotesEveryKey(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal(err)
	}
	check := func(key, version string) bool {
		cmd := RestoreCommand("mail", key, version)
		if cmd == "" {
			// Only for what the screen would not show as it is.
			return sanitize.Line(key) != key || sanitize.Line(version) != version
		}
		// The shell prints each argument the AWS CLI would get, NUL-ended.
		out, err := exec.Command(sh, "-c", "printf '%s\\0' "+strings.TrimPrefix(cmd, "aws s3api copy-object ")).Output()
		if err != nil {
			t.Logf("%q: %v", cmd, err)
			return false
		}
		args := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
		if len(args) != 6 || args[0] != "--bucket" || args[1] != "mail" || args[2] != "--key" || args[3] != key || args[4] != "--copy-source" {
			t.Logf("%q: args %q", cmd, args)
			return false
		}
		src, query, _ := strings.Cut(args[5], "?")
		k, err := url.PathUnescape(strings.TrimPrefix(src, "mail/"))
		v, _ := url.ParseQuery(query)
		if err != nil || k != key || v.Get("versionId") != version {
			t.Logf("%q: copy source %q decodes to %q, %q", cmd, args[5], k, v.Get("versionId"))
			return false
		}
		return true
	}
	for _, k := range []string{"inbox/abc", "inbox/it's $(rm -rf ~) `x` \"q\"", "inbox/a b?c=d&e#f%20", "inbox/jörg/…", "inbox/\x1b[2J"} {
		if !check(k, "3/L4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY") {
			t.Errorf("key %q", k)
		}
	}
	if err := quick.Check(check, &quick.Config{MaxCount: 300}); err != nil {
		t.Error(err)
	}
}
