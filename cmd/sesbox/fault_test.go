package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/audit"
	"github.com/sesbox/sesbox/mailstore/demo"
	"github.com/sesbox/sesbox/mailstore/index"
	"github.com/sesbox/sesbox/mailstore/testutil/fakes3"
	"github.com/sesbox/sesbox/mailstore/testutil/faultproxy"
)

// TestExportAndSnapshotReportUnreadableObjects: objects that fail after
// every retry do not stop export or snapshot; both finish, name them on
// stderr and in the manifest trailer, and only then exit 1.
func TestExportAndSnapshotReportUnreadableObjects(t *testing.T) {
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
	for _, tc := range []struct {
		args     []string
		manifest string
	}{
		{[]string{"export", "--mbox", filepath.Join(dir, "x.mbox")}, filepath.Join(dir, "x.mbox.manifest.jsonl")},
		{[]string{"audit", "snapshot", "--out", filepath.Join(dir, "s.jsonl")}, filepath.Join(dir, "s.jsonl")},
	} {
		out, errOut, code := sesbox(t, append(flags, tc.args...)...)
		if code != 1 {
			t.Errorf("%s: exit %d, want 1\n%s", tc.args[0], code, errOut)
		}
		if !strings.Contains(out, fmt.Sprintf(" %d ", len(msgs)-2)) {
			t.Errorf("%s: the summary does not count %d messages:\n%s", tc.args[0], len(msgs)-2, out)
		}
		for k := range bad {
			if !strings.Contains(errOut, "could not read "+mailstore.ObjectName("mail", k)) {
				t.Errorf("%s: %s not named:\n%s", tc.args[0], k, errOut)
			}
		}
		c, err := audit.CheckManifest(tc.manifest)
		if err != nil || !c.OK() || c.Trailer == nil || len(c.Trailer.Failed) != 2 || c.Entries != int64(len(msgs)-2) {
			t.Errorf("%s manifest: %+v %v", tc.args[0], c, err)
		}
	}
}

// TestExportSaysWhatWasDeletedWhileItRan: an object listed and then
// deleted before export read it was left out of the mbox and the
// manifest (its trailer counted it as vanished) while the summary said
// only "exported N messages", so a listing of N+1 gave N without a word;
// snapshot said it. Both now say it on stdout, as the TUI's e does.
func TestExportSaysWhatWasDeletedWhileItRan(t *testing.T) {
	isolate(t)
	srv := fakes3.Start(t, "mail")
	msgs := demo.Messages()
	for k, b := range msgs {
		srv.Put(t, "mail", k, b)
	}
	gone := sortedKeys(msgs)[3]
	target, _ := url.Parse(srv.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.TrimPrefix(r.URL.Path, "/mail/") == gone {
			// Deleted after the listing, before the read.
			if _, err := srv.Backend.DeleteObject("mail", gone); err != nil {
				t.Error(err)
			}
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	flags := []string{"--endpoint", front.URL, "--bucket", "mail", "--prefix", demo.Prefix}
	dir := t.TempDir()
	for run, args := range map[string][]string{
		"export":   {"export", "--mbox", filepath.Join(dir, "x.mbox")},
		"snapshot": {"audit", "snapshot", "--out", filepath.Join(dir, "s.jsonl")},
	} {
		srv.Put(t, "mail", gone, msgs[gone])
		out, errOut, code := sesbox(t, append(flags, args...)...)
		if code != 0 || !strings.Contains(out, "1 object was deleted while the "+run+" ran and is not in it\n") {
			t.Errorf("%s: exit %d\n%s%s", run, code, out, errOut)
		}
	}
}

// TestAuditVerifyExitStatusTellsChangedFromUnchecked: verify exits 1 for
// a finding (an object changed or deleted) and 2 when it found none but
// could not read some objects, as forward exits 2 for a run that did
// some but not all; a finding wins over objects not read. Before, both
// exited 1 and a script had to parse the summary to tell them apart.
func TestAuditVerifyExitStatusTellsChangedFromUnchecked(t *testing.T) {
	isolate(t)
	shortBackoff(t)
	srv := fakes3.Start(t, "mail")
	msgs := demo.Messages()
	for k, b := range msgs {
		srv.Put(t, "mail", k, b)
	}
	keys := sortedKeys(msgs)
	man := filepath.Join(t.TempDir(), "s.jsonl")
	if _, errOut, code := sesbox(t, "--endpoint", srv.URL, "--bucket", "mail", "--prefix", demo.Prefix, "audit", "snapshot", "--out", man); code != 0 {
		t.Fatalf("snapshot: exit %d\n%s", code, errOut)
	}
	p := faultproxy.Start(t, srv.URL, faultproxy.Config{Seed: 5, Reset: 1, Match: func(r *http.Request) bool {
		return r.Method == http.MethodGet && strings.TrimPrefix(r.URL.Path, "/mail/") == keys[4]
	}})
	flags := []string{"--endpoint", p.URL, "--bucket", "mail", "--prefix", demo.Prefix, "audit", "verify"}
	out, _, code := sesbox(t, append(flags, man)...)
	if code != 2 || !hasRow(out, "error 1") || !strings.Contains(out, "INCOMPLETE: 1 object could not be read; nothing read was changed or deleted") {
		t.Errorf("one object not read: exit %d, want 2\n%s", code, out)
	}
	srv.Put(t, "mail", keys[9], []byte("Subject: changed\n\nx\n"))
	out, _, code = sesbox(t, append(flags, man)...)
	if code != 1 || !hasRow(out, "changed 1") || !hasRow(out, "error 1") {
		t.Errorf("one changed, one not read: exit %d, want 1\n%s", code, out)
	}
}

// TestReportFailedAgreesInNumber: one object not read "is" not in the
// snapshot; before, "1 object could not be read and are not in the
// snapshot (the manifest trailer lists them ...)".
func TestReportFailedAgreesInNumber(t *testing.T) {
	for n, want := range map[int]string{
		1: `sesbox: 1 object could not be read and is not in the snapshot (the manifest trailer lists it under "failed")`,
		2: `sesbox: 2 objects could not be read and are not in the snapshot (the manifest trailer lists them under "failed")`,
	} {
		var errOut strings.Builder
		tr := audit.Trailer{}
		for i := range n {
			tr.Failed = append(tr.Failed, audit.FailedObject{Key: fmt.Sprintf("inbox/%d", i), Error: "connection reset"})
		}
		if err := (&app{stderr: &errOut}).reportFailed(tr, "mail", "snapshot"); err == nil || !strings.Contains(errOut.String(), want+"\n") {
			t.Errorf("%d failed: %v\n%s", n, err, errOut.String())
		}
	}
}

// TestIndexInterruptedMidFetchSaysWhatIsKept: `sesbox index` stopped by
// Ctrl-C while reading headers printed "indexed 9 new or changed of 54
// objects" before "sesbox: interrupted", as a finished run does. Stopped
// after its first headers are read, it says it was interrupted, how many are
// kept and to run it again, and the next run reads only the rest.
func TestIndexInterruptedMidFetchSaysWhatIsKept(t *testing.T) {
	isolate(t)
	srv := fakes3.Start(t, "mail")
	msgs := demo.Messages()
	for k, b := range msgs {
		srv.Put(t, "mail", k, b)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var gets atomic.Int64
	p := faultproxy.Start(t, srv.URL, faultproxy.Config{Match: func(r *http.Request) bool {
		if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/mail/"+demo.Prefix) && gets.Add(1) == index.DefaultWorkers+10 {
			cancel()
		}
		return false
	}})
	flags := []string{"--endpoint", p.URL, "--bucket", "mail", "--prefix", demo.Prefix}
	var out, errb bytes.Buffer
	code := run(ctx, append(flags, "index"), strings.NewReader(""), &out, &errb)
	lines := strings.Split(strings.TrimSpace(errb.String()), "\n")
	last := len(lines) - 1
	if code != 130 || last < 1 || lines[last] != "sesbox: interrupted" ||
		!strings.HasSuffix(lines[last-1], " listed), which are kept; run the same command again to index the rest") ||
		strings.Contains(errb.String(), "\nindexed ") || strings.HasPrefix(errb.String(), "indexed ") {
		t.Fatalf("exit %d, stderr:\n%s", code, errb.String())
	}
	var kept, toFetch, listed int
	if n, _ := fmt.Sscanf(lines[last-1], "interrupted: %d of %d new or changed objects indexed (%d listed)", &kept, &toFetch, &listed); n != 3 || kept < 1 || kept > toFetch || toFetch > listed {
		t.Fatalf("the closing line: %q", lines[last-1])
	}
	_, errOut, code := sesbox(t, append(flags, "index")...)
	if want := fmt.Sprintf("indexed %d new or changed of %d objects", len(msgs)-kept, len(msgs)); code != 0 || !strings.Contains(errOut, want) {
		t.Errorf("again: exit %d, %q; want %q", code, errOut, want)
	}
}
