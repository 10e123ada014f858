package main

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/testutil/fakes3"
	"github.com/sesbox/sesbox/mailstore/testutil/httprec"
)

// A key with a "." or ".." segment is kept as it is by S3, but a gateway
// that cleans paths (versitygw) reads another object for it: "inbox/../x"
// is "x", outside the mailbox. Such keys are listed, and every action on
// one fails before any request, saying why.
func TestDotSegmentKeysAreListedButNeverRead(t *testing.T) {
	isolate(t)
	srv := fakes3.Start(t, "mail")
	msg := func(subject string) []byte {
		return []byte("From: a@example.com\r\nTo: b@example.com\r\nSubject: " + subject + "\r\nMessage-ID: <" + subject + "@example.com>\r\n\r\nbody\r\n")
	}
	srv.Put(t, "mail", "inbox/plain", msg("plain"))
	srv.Put(t, "mail", "x", msg("outside the mailbox"))
	dotKeys := []string{"inbox/../x", "inbox/./a", "inbox/a/./b", "inbox/a/.."}
	for _, k := range dotKeys {
		srv.Put(t, "mail", k, msg("dot"))
	}
	endpoint, rec := httprec.Proxy(t, srv.URL)
	flags := []string{"--endpoint", endpoint, "--bucket", "mail", "--prefix", "inbox/"}
	ses := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("SES was called: %s %s", r.Method, r.URL)
		http.Error(w, "no", http.StatusInternalServerError)
	}))
	t.Cleanup(ses.Close)

	// dotGets counts the requests for an object whose key has a dot
	// segment, from the n-th request on.
	dotGets := func(n int) int {
		c := 0
		for _, q := range rec.Requests()[n:] {
			p, _, _ := strings.Cut(q.Path, "?")
			if p, err := url.PathUnescape(p); err != nil || mailstore.HasDotSegment(strings.TrimPrefix(p, "/mail/")) {
				c++
			}
		}
		return c
	}

	listed := map[string]string{}
	for _, r := range lsJSON(t, flags...) {
		listed[r["key"].(string)] = r["subject"].(string)
	}
	for _, k := range dotKeys {
		if s, ok := listed[k]; !ok || strings.Contains(s, "outside") {
			t.Errorf("ls: %q listed %v with subject %q; want listed, not read", k, ok, s)
		}
	}
	if _, ok := listed["inbox/plain"]; !ok {
		t.Errorf("ls lost the plain message: %v", listed)
	}
	if n := dotGets(0); n != 0 {
		t.Errorf("indexing sent %d requests for dot-segment keys", n)
	}

	body := writeFile(t, "body.txt", "Hello\n")
	for _, k := range dotKeys {
		for name, args := range map[string][]string{
			"show":              {"show", k},
			"show --raw":        {"show", "--raw", k},
			"show --headers":    {"show", "--headers", k},
			"save":              {"save", k, "--dir", t.TempDir()},
			"forward --dry-run": {"forward", "--to", "c@example.com", "--dry-run", t.TempDir(), k},
			"reply":             {"--ses-endpoint", ses.URL, "reply", k, "--body-file", body, "--yes", "--from", "b@example.com"},
		} {
			before := len(rec.Requests())
			// forward says why on its result row (stdout), the others on stderr.
			out, errOut, code := sesbox(t, append(flags, args...)...)
			if code == 0 || !strings.Contains(out+errOut, "path segment, which an S3 gateway that cleans paths") {
				t.Errorf("%s %q: exit %d, stdout %q, stderr %q; want a failure saying why", name, k, code, out, errOut)
			}
			if n := dotGets(before); n != 0 {
				t.Errorf("%s %q: %d requests for the key", name, k, n)
			}
		}
	}
	// The plain message still reads.
	if out, errOut, code := sesbox(t, append(flags, "show", "inbox/plain")...); code != 0 || !strings.Contains(out, "plain") {
		t.Errorf("show inbox/plain: exit %d %s", code, errOut)
	}
}
