package main

import (
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore/demo"
	"github.com/sesbox/sesbox/mailstore/testutil/fakes3"
	"github.com/sesbox/sesbox/mailstore/testutil/faultproxy"
)

// TestStalledReadsAreCutAndRetried: an S3 answer that stops midway on a
// connection that stays open (no reset, no FIN) is given up after the
// read timeout and read again, for the listing, the header reads and the
// full reads; it used to hold the command until the server let go, which
// a stalled connection never does. The proxy stalls the first GET of
// each of a few keys and the first listing, for 15 s each: a client
// that does not hang up on its own waits for every one of them.
func TestStalledReadsAreCutAndRetried(t *testing.T) {
	isolate(t)
	oldScale, oldTimeout := s3RetryBackoffScale, readTimeout
	// A second, not less: under -race on two busy cores a healthy GET
	// went 200 ms without a byte, and its retries ran out.
	s3RetryBackoffScale, readTimeout = 1e-3, time.Second
	t.Cleanup(func() { s3RetryBackoffScale, readTimeout = oldScale, oldTimeout })
	srv := fakes3.Start(t, "mail")
	msgs := demo.Messages()
	for k, b := range msgs {
		srv.Put(t, "mail", k, b)
	}
	keys := sortedKeys(msgs)
	stalled := []string{keys[3], keys[17], keys[40]}
	var mu sync.Mutex
	seen := map[string]bool{}
	p := faultproxy.Start(t, srv.URL, faultproxy.Config{Stall: 1, StallFor: 15 * time.Second, Match: func(r *http.Request) bool {
		if r.Method != http.MethodGet {
			return false
		}
		what := strings.TrimPrefix(r.URL.Path, "/mail/")
		if r.URL.Query().Has("list-type") {
			what = "list"
		} else if !slices.Contains(stalled, what) {
			return false
		}
		mu.Lock()
		defer mu.Unlock()
		first := !seen[what]
		seen[what] = true
		return first
	}})
	flags := []string{"--endpoint", p.URL, "--bucket", "mail", "--prefix", demo.Prefix}
	out, errOut, code := sesbox(t, append(flags, "ls", "--json")...)
	if code != 0 || strings.Count(out, "\n") != len(msgs) {
		t.Fatalf("ls --json: exit %d, %d lines of %d\n%s", code, strings.Count(out, "\n"), len(msgs), errOut)
	}
	// The header reads stalled the first GETs: the full reads get fresh
	// stalls.
	mu.Lock()
	clear(seen)
	seen["list"] = true
	mu.Unlock()
	for _, k := range stalled {
		out, errOut, code := sesbox(t, append(flags, "show", "--raw", k)...)
		if code != 0 || out != string(msgs[k]) {
			t.Errorf("show --raw %s: exit %d, %d of %d bytes, same: %v\n%s", k, code, len(out), len(msgs[k]), out == string(msgs[k]), errOut)
		}
	}
	st := p.Stats()
	if st.Stalls < int64(2*len(stalled)) || st.HungUp != st.Stalls {
		t.Errorf("%s: want at least %d stalls, every one hung up on by sesbox", st, 2*len(stalled))
	}
}
