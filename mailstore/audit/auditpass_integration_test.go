//go:build integration

package audit_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/audit"
	"github.com/sesbox/sesbox/mailstore/s3store"
	"github.com/sesbox/sesbox/mailstore/testutil/faultproxy"
	"github.com/sesbox/sesbox/mailstore/testutil/peer"
	"github.com/sesbox/sesbox/mailstore/testutil/vhist"
)

// smallPages makes every listing the client sends ask for 3 keys a
// page, so that a few objects take many pages (a test setting: sesbox
// asks S3's default of 1,000).
var smallPages = pagesOf(3)

// pagesOf makes every listing (ListObjectsV2, ListObjectVersions) the
// client sends ask for n keys (versions and delete markers) a page.
func pagesOf(n int32) func(*s3.Options) {
	return func(o *s3.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Initialize.Add(middleware.InitializeMiddlewareFunc("pagesOf",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					switch p := in.Parameters.(type) {
					case *s3.ListObjectsV2Input:
						p.MaxKeys = aws.Int32(n)
					case *s3.ListObjectVersionsInput:
						p.MaxKeys = aws.Int32(n)
					}
					return next.HandleInitialize(ctx, in)
				}), middleware.After)
		})
	}
}

// TestVerifyOfOddKeysThroughCutListings is an auditor's pass on
// versitygw v1.8.0 (versioned): keys with spaces, '+', '%', unicode and
// a key of the same name in another mailbox's prefix; one deleted (a
// delete marker) and put again with the very same bytes; the listings
// cut, reset and refused mid-page by a fault proxy, three keys a page.
// Verify must find every object unchanged (the re-put one rewritten),
// none deleted or new, with its version ids read back exactly, and the
// other prefix's object in neither manifest.
func TestVerifyOfOddKeysThroughCutListings(t *testing.T) {
	h := vhist.New(t, "odd", "inbox/", true)
	ctx := context.Background()
	keys := []string{"a b", "a+b", "a%2Bb", "a%b", "é文 +", "plus+", "space ", "tab\tx", "a=b&c?d#e", "zz"}
	for i, k := range keys {
		h.Put(k, vhist.Day(1+i%5), vhist.Message(k))
	}
	// The same name under another mailbox's prefix, other bytes.
	if _, err := h.C.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("odd"), Key: aws.String("inbox2/a b"), Body: strings.NewReader("Subject: other\r\n\r\nx\r\n")}); err != nil {
		t.Fatal(err)
	}
	plain := s3store.New(h.C, mailstore.Location{Bucket: "odd", Prefix: "inbox/"})
	path, tr := snapshot(t, plain, audit.SnapshotOptions{})
	if tr.Count != int64(len(keys)) {
		t.Fatalf("snapshot: %d entries, want %d", tr.Count, len(keys))
	}
	// Deleted (a delete marker), then put again with the same bytes.
	h.Delete("a+b", vhist.Day(10))
	h.Put("a+b", vhist.Day(11), vhist.Message("a+b"))

	for _, cfg := range []faultproxy.Config{
		{Seed: 1, ShortLength: 0.5},
		{Seed: 2, Truncate: 0.5},
		{Seed: 3, Reset: 0.3, InternalError: 0.3},
	} {
		cfg.Match = func(r *http.Request) bool {
			return r.Method == http.MethodGet && r.URL.Query().Has("list-type") || r.URL.Query().Has("versions")
		}
		p := faultproxy.Start(t, h.Srv.URL, cfg)
		pol := s3store.DefaultRetryPolicy()
		pol.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })
		client := s3.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(peer.AccessKey, peer.SecretKey, "")},
			func(o *s3.Options) {
				o.BaseEndpoint = aws.String(p.URL)
				o.UsePathStyle = true
			}, smallPages)
		st := s3store.New(client, mailstore.Location{Bucket: "odd", Prefix: "inbox/"}).WithRetry(pol)
		got := map[string]audit.Result{}
		sum, err := audit.Verify(ctx, st, path, audit.VerifyOptions{OnResult: func(r audit.Result) error { got[r.Key] = r; return nil }})
		if err != nil {
			t.Errorf("seed %d: verify: %v", cfg.Seed, err)
			continue
		}
		s := p.Stats()
		if s.ShortLengths+s.Truncations+s.Resets+s.InternalErrors == 0 {
			t.Errorf("seed %d: no listing was cut: the test proves little", cfg.Seed)
		}
		if !sum.OK() || sum.Unchanged != int64(len(keys)) || sum.Deleted+sum.New+sum.Changed+sum.Errors != 0 || sum.Rewritten != 1 {
			t.Errorf("seed %d: %+v", cfg.Seed, sum)
		}
		for _, k := range keys {
			r, ok := got["inbox/"+k]
			want := h.VIDs[k]
			switch {
			case !ok || r.Status != audit.Unchanged:
				t.Errorf("seed %d: %q: %+v", cfg.Seed, k, r)
			case k == "a+b" && (!r.Rewritten || r.VersionID != want[len(want)-1] || r.ManifestVersionID != want[0]):
				t.Errorf("seed %d: the re-put %q: %+v, versions %q", cfg.Seed, k, r, want)
			case k != "a+b" && r.VersionID != want[0]:
				t.Errorf("seed %d: %q read version %q, want %q", cfg.Seed, k, r.VersionID, want[0])
			}
		}
	}
}

// TestVerifyNamesTheEditedLine: one byte of one entry line edited by hand
// (JSON still valid) failed verify with "checksum mismatch: ... the
// manifest was edited", naming no line: the entries hash covers them
// all. Verify reads every version the manifest names, so it now names
// the line that disagrees with it: a field the bytes determine
// (subject, size, messageId), the hash, ETag or time of the very
// version the line records, or a key the versioned bucket never held.
func TestVerifyNamesTheEditedLine(t *testing.T) {
	h := vhist.New(t, "edits", "inbox/", true)
	names := []string{"k1", "k3", "k5", "k7"}
	for i, k := range names {
		h.Put(k, vhist.Day(1+i), vhist.Message("message "+k))
	}
	st := store(h)
	path, _ := snapshot(t, st, audit.SnapshotOptions{})
	orig := lines(t, path)
	for _, tc := range []struct {
		name      string
		line      int // 1-based, in the file
		from, to  string
		key, says string // the problem names key, and says
	}{
		{"subject", 2, `"subject":"message k1"`, `"subject":"message k2"`, "inbox/k1", `subject "message k2" (the version read gives "message k1")`},
		{"messageId", 3, `"messageId":"message.k3@example.com"`, `"messageId":"message.k4@example.com"`, "inbox/k3", `messageId "message.k4@example.com" (the version read gives "message.k3@example.com")`},
		{"size", 4, `"size":`, `"size":1`, "inbox/k5", `size "1`},
		{"sha256", 5, `"sha256":"`, `"sha256":"0`, "inbox/k7", "sha256 \"0"},
		{"etag", 2, `"etag":"`, `"etag":"f`, "inbox/k1", "etag \"f"},
		{"lastModified", 3, `"lastModified":"2026-01-02T`, `"lastModified":"2026-01-03T`, "inbox/k3", `lastModified "2026-01-03T`},
		{"key", 3, `"key":"inbox/k3"`, `"key":"inbox/k4"`, "inbox/k4", "the bucket holds no version or delete marker of this key"},
	} {
		edited := append([]string(nil), orig...)
		if !strings.Contains(edited[tc.line-1], tc.from) {
			t.Fatalf("%s: line %d lacks %s: %s", tc.name, tc.line, tc.from, edited[tc.line-1])
		}
		edited[tc.line-1] = strings.Replace(edited[tc.line-1], tc.from, tc.to, 1)
		p := t.TempDir() + "/edited.jsonl"
		if err := os.WriteFile(p, []byte(strings.Join(edited, "")), 0o600); err != nil {
			t.Fatal(err)
		}
		sum, err := audit.Verify(context.Background(), st, p, audit.VerifyOptions{})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		want := fmt.Sprintf("line %d (key %q)", tc.line, tc.key)
		named := 0
		for _, pr := range sum.Manifest.Problems {
			if strings.HasPrefix(pr, "line ") {
				named++
				if !strings.HasPrefix(pr, want) || !strings.Contains(pr, tc.says) {
					t.Errorf("%s: problem %q\nwant %s ... %s", tc.name, pr, want, tc.says)
				}
			}
		}
		if sum.OK() || named != 1 {
			t.Errorf("%s: ok %v, %d lines named in %q", tc.name, sum.OK(), named, sum.Manifest.Problems)
		}
	}
	// The manifest as written names no line.
	if sum, err := audit.Verify(context.Background(), st, path, audit.VerifyOptions{}); err != nil || !sum.OK() || len(sum.Manifest.Problems) != 0 {
		t.Errorf("intact: %+v %v", sum, err)
	}
}

// TestVerifyHashesWhatTheETagHides: verify must not trust an ETag. On
// versitygw v1.8.0 (unversioned) one object is overwritten with other
// bytes of the same size, and a proxy in front of the real server
// answers its GETs and listings with the ETag it had (as a multipart
// copy or an SSE-KMS object keeps an ETag that is no MD5 of the
// bytes); another object is left as it was, its ETag answered as an
// SSE-KMS object's (no MD5 of its bytes). The first is changed, the
// second unchanged with its ETag named as no MD5, which alone fails
// nothing.
func TestVerifyHashesWhatTheETagHides(t *testing.T) {
	h := vhist.New(t, "etags", "inbox/", false)
	h.Put("a", vhist.Day(1), []byte("Subject: a\r\n\r\nthe original\r\n"))
	h.Put("b", vhist.Day(2), vhist.Message("b"))
	path, _ := snapshot(t, store(h), audit.SnapshotOptions{})
	var etagA string
	for _, l := range lines(t, path) {
		if strings.Contains(l, `"key":"inbox/a"`) {
			_, rest, _ := strings.Cut(l, `"etag":"`)
			etagA, _, _ = strings.Cut(rest, `"`)
		}
	}
	h.Put("a", vhist.Day(3), []byte("Subject: a\r\n\r\nthe forgery!\r\n"))
	const kmsETag = "7b1d9a3f4c2e8b6a0d5f1e3c9a7b2d4f"
	u, _ := url.Parse(h.Srv.URL)
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = func(resp *http.Response) error {
		switch {
		case strings.HasSuffix(resp.Request.URL.Path, "/inbox/a"):
			resp.Header.Set("ETag", `"`+etagA+`"`)
		case strings.HasSuffix(resp.Request.URL.Path, "/inbox/b"):
			resp.Header.Set("ETag", `"`+kmsETag+`"`)
		}
		return nil
	}
	proxy := httptest.NewServer(rp)
	t.Cleanup(proxy.Close)
	st := s3store.New((&peer.S3{URL: proxy.URL}).Client(), mailstore.Location{Bucket: "etags", Prefix: "inbox/"})
	got := map[string]audit.Result{}
	sum, err := audit.Verify(context.Background(), st, path, audit.VerifyOptions{OnResult: func(r audit.Result) error { got[r.Key] = r; return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if a := got["inbox/a"]; a.Status != audit.Changed || a.ETag != etagA {
		t.Errorf("a, other bytes under its old ETag: %+v", a)
	}
	if b := got["inbox/b"]; b.Status != audit.Unchanged || b.ETagCheck != audit.ETagMismatch || b.Note == "" {
		t.Errorf("b, its ETag no MD5: %+v", b)
	}
	if sum.OK() || sum.Changed != 1 || sum.ETagMismatches != 2 { // a's old ETag is no MD5 of its new bytes either
		t.Errorf("summary %+v", sum)
	}
}
