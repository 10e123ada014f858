// Package bucketconf answers a bucket configuration read that the real S3
// peer does not implement, in front of it: versitygw v1.8.0 answers
// GetBucketLifecycleConfiguration (and its Put) with 501 NotImplemented,
// so no lifecycle rule can be stored there, and no local server reports
// MFA delete (only a root account with an MFA device can turn it on). A
// test that needs one starts this proxy with the XML body S3 would send
// for that sub-resource (GET /BUCKET?lifecycle, GET /BUCKET?versioning);
// every other request, objects and versions included, goes to the real
// peer unchanged. It is a fake of those reads alone, and a test using it
// says so.
package bucketconf

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

// Proxy is a running proxy.
type Proxy struct {
	URL string
	// Answered counts the requests it answered itself.
	Answered atomic.Int64
}

// Start starts a proxy to target that answers a GET of a bucket's
// sub-resource named in bodies (a query parameter of that name, as the
// SDK sends it: "lifecycle", "versioning") with 200 and the body, and passes
// every other request to target.
func Start(t testing.TB, target string, bodies map[string]string) *Proxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bucketOnly := !strings.Contains(strings.Trim(r.URL.Path, "/"), "/")
		q := r.URL.Query()
		for sub, body := range bodies {
			if _, ok := q[sub]; ok && r.Method == http.MethodGet && bucketOnly {
				p.Answered.Add(1)
				w.Header().Set("Content-Type", "application/xml")
				w.Write([]byte(body))
				return
			}
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}
