//go:build integration

package main

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore/demo"
	"github.com/sesbox/sesbox/mailstore/testutil/fakes3"
)

// holdingProxy forwards to the S3 peer at target and lets the first free
// object GETs through; every later one is held until the client hangs up,
// each announced on held: a command stopped mid-run, at a known point.
func holdingProxy(t *testing.T, target string, free int32, held chan<- struct{}) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	var gets atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		object := r.Method == http.MethodGet && strings.Count(strings.Trim(r.URL.Path, "/"), "/") >= 1
		if object && gets.Add(1) > free {
			select {
			case held <- struct{}{}:
			default:
			}
			<-r.Context().Done()
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestKillStopsACommandAsCtrlCDoes: sesbox handled only SIGINT outside
// the terminal UI, so kill's SIGTERM (a service manager, timeout(1), a CI
// job's time limit) and SIGHUP (a closed terminal) ended an mbox export
// at once, leaving its .partial files (14 MB of 19 in a 2,000-message
// export on versitygw) in the directory for good and saying nothing. Both
// now stop it as Ctrl-C does (nothing written, what to do said) and exit
// as a shell reports the signal: 143, 129.
func TestKillStopsACommandAsCtrlCDoes(t *testing.T) {
	bin := buildSesbox(t) // before isolate: its XDG_CACHE_HOME would hold a new Go build cache
	isolate(t)
	srv := fakes3.Start(t, "mail")
	for k, b := range demo.Messages() {
		srv.Put(t, "mail", k, b)
	}
	for _, tc := range []struct {
		sig  syscall.Signal
		code int
		word string
	}{{syscall.SIGTERM, 143, "SIGTERM"}, {syscall.SIGHUP, 129, "SIGHUP"}} {
		t.Run(tc.word, func(t *testing.T) {
			held := make(chan struct{}, 1)
			endpoint := holdingProxy(t, srv.URL, 10, held)
			dir := t.TempDir()
			mbox := filepath.Join(dir, "support.mbox")
			cmd := exec.Command(bin, "--endpoint", endpoint, "--bucket", "mail", "--prefix", demo.Prefix,
				"export", "--parallel", "1", "--mbox", mbox)
			var out, errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errb
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			select {
			case <-held:
			case <-time.After(60 * time.Second):
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("no object GET reached the proxy\n%s", errb.String())
			}
			if err := cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			err := cmd.Wait()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != tc.code {
				t.Errorf("exit %v, want status %d\nstderr:\n%s", err, tc.code, errb.String())
			}
			if want := "sesbox: the mbox export to " + mbox + " was stopped before its end: nothing was written"; !strings.Contains(errb.String(), want) ||
				!strings.HasSuffix(errb.String(), "sesbox: interrupted by "+tc.word+"\n") {
				t.Errorf("stderr:\n%s\nwant %q and 'sesbox: interrupted by %s' last", errb.String(), want, tc.word)
			}
			if out.Len() != 0 {
				t.Errorf("stdout: %q", out.String())
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 0 {
				var names []string
				for _, e := range ents {
					names = append(names, e.Name())
				}
				t.Errorf("left in the directory: %q", names)
			}
		})
	}
}
