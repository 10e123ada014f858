package main

import (
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore/demo"
)

// TestRefusedEndpointFailsFast: with the production retry back-off, ls and
// export against an S3 endpoint where nothing listens, and account and
// forward against such an SES endpoint, end within seconds (a refused
// connection is tried twice) with the hint first. ls took 50 s and export
// 1m49: each request was sent 10 times, up to 8 s apart.
func TestRefusedEndpointFailsFast(t *testing.T) {
	isolate(t)
	dead := deadEndpoint(t)
	out := t.TempDir()
	key := demo.Prefix + "9654fpu9mcqevtjmtg6bhd7d9jlr34udr0ifb8ba"
	for _, tc := range []struct {
		args []string
		flag string
	}{
		{[]string{"--endpoint", dead, "--bucket", "mail", "ls"}, "--endpoint"},
		{[]string{"--endpoint", dead, "--bucket", "mail", "export", "--mbox", filepath.Join(out, "x.mbox")}, "--endpoint"},
		{[]string{"--demo", "--ses-endpoint", dead, "account"}, "--ses-endpoint"},
		{[]string{"--demo", "--ses-endpoint", dead, "forward", "--yes", "--to", "a@b.example", key}, "--ses-endpoint"},
	} {
		start := time.Now()
		_, errOut, code := sesbox(t, tc.args...)
		took := time.Since(start)
		want := "sesbox: connection refused: " + dead + " — check " + tc.flag
		if code != 1 || !strings.HasPrefix(withoutWaiting(errOut), want) {
			t.Errorf("%v: exit %d, want a line starting %q:\n%s", tc.args, code, want, errOut)
		}
		// Two attempts take a second or two; a loaded machine (load 17)
		// made export's run pass 5 s and print its progress line first.
		// Ten attempts took 50 s and more: 20 s still tells them apart.
		if took > 20*time.Second {
			t.Errorf("%v: took %s, want a few seconds", tc.args, took)
		}
	}
}

// deadEndpoint is the URL of a port nothing listens at: a connection to it
// is refused.
func deadEndpoint(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return "http://" + l.Addr().String()
}

// withoutWaiting is a command's standard error without the progress
// lines a slow start prints ("waiting for S3: no object exported yet, 5s"),
// which may come before the error on a loaded machine.
func withoutWaiting(errOut string) string {
	var kept []string
	for _, l := range strings.SplitAfter(errOut, "\n") {
		if !strings.Contains(l, "waiting for S3:") {
			kept = append(kept, l)
		}
	}
	return strings.Join(kept, "")
}
