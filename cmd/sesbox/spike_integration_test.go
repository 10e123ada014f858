//go:build integration

package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore/demo"
	"github.com/sesbox/sesbox/mailstore/testutil/fakes3"
	"github.com/sesbox/sesbox/mailstore/testutil/faultproxy"
	"github.com/sesbox/sesbox/mailstore/testutil/peer"
	"github.com/sesbox/sesbox/mailstore/testutil/sesfault"
)

// shortReadTimeout scales the one-minute read timeout down to d, and
// the S3 retries' back-off by 1/1000, for the test: a 30 s spike is
// then a spike of a few times d.
func shortReadTimeout(t *testing.T, d time.Duration) {
	oldScale, oldTimeout := s3RetryBackoffScale, readTimeout
	s3RetryBackoffScale, readTimeout = 1e-3, d
	t.Cleanup(func() { s3RetryBackoffScale, readTimeout = oldScale, oldTimeout })
}

// TestALatencySpikeOnOneGETOfAColdIndex: one header read of a cold index
// (ls of the demo mailbox) answered nothing for three times the read
// timeout (a 30 s spike on a one-minute timeout... scaled: 3 s on 1 s),
// before its headers. sesbox hangs up on it, the SDK sends it again, and
// ls lists every message, the spiked one with its subject.
func TestALatencySpikeOnOneGETOfAColdIndex(t *testing.T) {
	isolate(t)
	shortReadTimeout(t, time.Second)
	srv := fakes3.Start(t, "mail")
	msgs := demo.Messages()
	for k, b := range msgs {
		srv.Put(t, "mail", k, b)
	}
	spiked := sortedKeys(msgs)[9]
	var mu sync.Mutex
	gets := 0
	p := faultproxy.Start(t, srv.URL, faultproxy.Config{Hang: 3 * time.Second, Match: func(r *http.Request) bool {
		if r.Method != http.MethodGet || r.URL.Path != "/mail/"+spiked {
			return false
		}
		mu.Lock()
		defer mu.Unlock()
		gets++
		return gets == 1
	}})
	out, errOut, code := sesbox(t, "--endpoint", p.URL, "--bucket", "mail", "--prefix", demo.Prefix, "ls", "--json")
	if code != 0 || strings.Count(out, "\n") != len(msgs) {
		t.Fatalf("ls --json: exit %d, %d lines of %d\n%s", code, strings.Count(out, "\n"), len(msgs), errOut)
	}
	var row lsRow
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, spiked) {
			if err := json.Unmarshal([]byte(l), &row); err != nil {
				t.Fatal(err)
			}
		}
	}
	st := p.Stats()
	if st.Hangs != 1 || st.HungUp != 1 || gets < 2 || row.Subject == "" {
		t.Errorf("%d spiked, %d hung up on by sesbox, %d GETs of the key, its subject %q: want 1, 1, at least 2 and the subject", st.Hangs, st.HungUp, gets, row.Subject)
	}
}

// TestALatencySpikeOnOneSESSend: the third SES send of a forward of six
// messages kept its answer back (aws-ses-v2-local took the message):
// under the read timeout the run waits for it and every message is sent
// once; past it (a 30 s spike on a shorter timeout, scaled: held until
// the test ends on a 2 s timeout) sesbox hangs up, the message is
// uncertain and not sent again, the others are sent, and a second run
// sends nothing. SES receives each message once either way.
func TestALatencySpikeOnOneSESSend(t *testing.T) {
	for _, tc := range []struct {
		name      string
		fault     sesfault.Fault
		uncertain int
	}{{"under the timeout", sesfault.Delay, 0}, {"past the timeout", sesfault.Hold, 1}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := isolate(t)
			shortReadTimeout(t, 2*time.Second)
			ses := peer.StartSES(t)
			proxy := sesfault.Start(t, ses.URL, func(n int) sesfault.Fault {
				if n == 3 {
					return tc.fault
				}
				return sesfault.Pass
			})
			if tc.fault == sesfault.Delay {
				go func() {
					<-proxy.Held
					time.Sleep(time.Second) // half the timeout
					proxy.Answer()
				}()
			}
			args := forwardOfSamples(t, dir, proxy.URL, "spiked", 6)
			stdout, stderr, _ := sesbox(t, args...)
			status := map[string]int{}
			for _, r := range forwardRows(t, stdout) {
				status[r["status"].(string)]++
			}
			if status["sent"] != 6-tc.uncertain || status["uncertain"] != tc.uncertain {
				t.Errorf("statuses %v, want %d sent and %d uncertain; stderr:\n%s", status, 6-tc.uncertain, tc.uncertain, stderr)
			}
			if n := len(proxy.Emails()); n != 6 {
				t.Errorf("SES received %d messages, want each of the 6 once", n)
			}
			before := proxy.Requests()
			sesbox(t, args...)
			if got := proxy.Requests() - before; got != 0 {
				t.Errorf("a second run made %d SendEmail requests, want none", got)
			}
		})
	}
}
