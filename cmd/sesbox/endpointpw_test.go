package main

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore/demo"
	"github.com/sesbox/sesbox/mailstore/testutil/fakes3"
)

// TestEndpointPasswordNeverPrinted: an endpoint URL with a password in
// it (user:password@host) is shown without the password in errors and
// hints, and recorded without it in manifests. The "does not answer like
// S3" hint printed the URL as given, and export and audit snapshot wrote
// it into the manifest's header.
func TestEndpointPasswordNeverPrinted(t *testing.T) {
	isolate(t)
	const pw = "Sekr1tPassw0rd"
	withPW := func(raw string) string {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		u.User = url.UserPassword("ops", pw)
		return u.String()
	}
	// A web server, not S3: the hint names the endpoint.
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte("<html><head><meta charset=utf-8></head><body>no</body></html>"))
	}))
	t.Cleanup(web.Close)
	for _, cmd := range [][]string{{"ls"}, {"show", "k"}, {"export", "--mbox", filepath.Join(t.TempDir(), "x.mbox")}} {
		_, errOut, code := sesbox(t, append([]string{"--endpoint", withPW(web.URL), "--bucket", "mail"}, cmd...)...)
		if code != 1 || strings.Contains(errOut, pw) || !strings.Contains(errOut, "does not answer like S3") {
			t.Errorf("%s: exit %d, stderr:\n%s", cmd[0], code, errOut)
		}
	}

	srv := fakes3.Start(t, "mail")
	for k, b := range demo.Messages() {
		srv.Put(t, "mail", k, b)
	}
	dir := t.TempDir()
	flags := []string{"--endpoint", withPW(srv.URL), "--bucket", "mail", "--prefix", demo.Prefix}
	for _, cmd := range [][]string{{"export", "--mbox", filepath.Join(dir, "x.mbox")}, {"audit", "snapshot", "--out", filepath.Join(dir, "s.jsonl")}} {
		out, errOut, code := sesbox(t, append(flags, cmd...)...)
		if code != 0 || strings.Contains(out+errOut, pw) {
			t.Errorf("%s: exit %d\n%s\n%s", cmd[0], code, out, errOut)
		}
	}
	for _, f := range []string{"x.mbox.manifest.jsonl", "s.jsonl"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil || strings.Contains(string(b), pw) || !strings.Contains(string(b), `"endpoint":"http://ops:`) {
			t.Errorf("%s: %v, the endpoint recorded as:\n%.300s", f, err, b)
		}
	}
}
