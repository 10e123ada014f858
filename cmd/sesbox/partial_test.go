package main

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore/demo"
	"github.com/sesbox/sesbox/mailstore/testutil/fakes3"
	"github.com/sesbox/sesbox/mailstore/testutil/faultproxy"
)

// TestAnswersFromAPartialIndexExitNonZero: when the headers of some
// messages cannot be read (every GET of two keys reset), ls, export --query
// and forward --query answer with the others, say how many may be
// missing, and exit non-zero. ls printed 52 of 54 messages and exited 0,
// export --query and forward --query left the two out with exit 0: a
// script took the partial answer for the whole.
func TestAnswersFromAPartialIndexExitNonZero(t *testing.T) {
	isolate(t)
	shortBackoff(t)
	srv := fakes3.Start(t, "mail")
	msgs := demo.Messages()
	for k, b := range msgs {
		srv.Put(t, "mail", k, b)
	}
	keys := sortedKeys(msgs)
	bad := map[string]bool{keys[2]: true, keys[20]: true}
	p := faultproxy.Start(t, srv.URL, faultproxy.Config{Seed: 5, Reset: 1, Match: func(r *http.Request) bool {
		return r.Method == http.MethodGet && bad[strings.TrimPrefix(r.URL.Path, "/mail/")]
	}})
	flags := []string{"--endpoint", p.URL, "--bucket", "mail", "--prefix", demo.Prefix}
	dir := t.TempDir()
	const missing = "may lack 2 messages whose headers could not be read"
	for _, tc := range []struct {
		args  []string
		code  int
		lines int // stdout lines, -1: not counted
	}{
		{[]string{"ls", "--json"}, 1, len(msgs) - 2},
		{[]string{"ls"}, 1, len(msgs) - 2},
		{[]string{"export", "--mbox", filepath.Join(dir, "x.mbox"), "--query", "after:2000-01-01"}, 1, -1},
		{[]string{"forward", "--query", "after:2000-01-01", "--to", "ops@example.com", "--dry-run", filepath.Join(dir, "fwd")}, 2, -1},
	} {
		out, errOut, code := sesbox(t, append(flags, tc.args...)...)
		if code != tc.code || !strings.Contains(errOut, missing) {
			t.Errorf("%v: exit %d (want %d), stderr:\n%s", tc.args, code, tc.code, errOut)
		}
		if tc.lines >= 0 && strings.Count(out, "\n") != tc.lines {
			t.Errorf("%v: %d lines, want %d", tc.args, strings.Count(out, "\n"), tc.lines)
		}
		if strings.Join(tc.args, " ") == "ls --json" {
			for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
				if !json.Valid([]byte(l)) {
					t.Errorf("ls --json: invalid line %q", l)
				}
			}
		}
	}
	// The whole index: nothing left out, exit 0.
	p.SetConfig(faultproxy.Config{})
	if _, errOut, code := sesbox(t, append(flags, "ls", "--json")...); code != 0 || strings.Contains(errOut, "may lack") {
		t.Errorf("ls --json after the faults: exit %d\n%s", code, errOut)
	}
}
