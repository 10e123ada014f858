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
		if code != 1 || !strings.HasPrefix(errOut, want) {
			t.Errorf("%v: exit %d, want a line starting %q:\n%s", tc.args, code, want, errOut)
		}
		if took > 6*time.Second {
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
