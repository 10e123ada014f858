//go:build integration

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/sesbox/sesbox/mailstore/testutil/bucketconf"
	"github.com/sesbox/sesbox/mailstore/testutil/httprec"
	"github.com/sesbox/sesbox/mailstore/testutil/peer"
	"github.com/sesbox/sesbox/mailstore/testutil/vhist"
)

// TestAuditAsOfCLI is the auditor's question without a snapshot taken
// on the first date: audit snapshot --as-of each of two dates, audit
// verify of the first as of the second (what changed between them, and
// the version still holding the original), export --as-of and
// verify-export; each logged; nothing but GET, HEAD and List sent; a
// date the versions cannot speak for refused with the date they can.
func TestAuditAsOfCLI(t *testing.T) {
	isolate(t)
	t.Setenv("AWS_ACCESS_KEY_ID", peer.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", peer.SecretKey)
	h := vhist.New(t, "asof-cli", "inbox/", true)
	td := vhist.WriteTwoDates(h)
	url, rec := httprec.Proxy(t, h.Srv.URL)
	flags := []string{"--endpoint", url, "--bucket", "asof-cli", "--prefix", "inbox/"}
	dir := t.TempDir()
	m1, m2 := filepath.Join(dir, "jan10.jsonl"), filepath.Join(dir, "jan20.jsonl")

	out, errOut, code := sesbox(t, append(flags, "audit", "snapshot", "--as-of", "2026-01-10T00:00:00Z", "--out", m1)...)
	if code != 0 || !strings.Contains(out, "5 objects as of 2026-01-10T00:00:00Z") {
		t.Fatalf("snapshot --as-of: exit %d\n%s\n%s", code, out, errOut)
	}
	if _, _, code = sesbox(t, append(flags, "audit", "snapshot", "--as-of", "2026-01-20T00:00:00Z", "--out", m2)...); code != 0 {
		t.Fatalf("snapshot --as-of the second date: exit %d", code)
	}

	out, errOut, code = sesbox(t, append(flags, "audit", "verify", "--json", "--as-of", "2026-01-20T00:00:00Z", m1)...)
	if code != 1 {
		t.Errorf("verify --as-of: exit %d, want 1 (changed and deleted)\n%s", code, errOut)
	}
	got := map[string]string{}
	var sum map[string]any
	objects := 0 // object lines
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var r map[string]any
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		if r["record"] == "summary" {
			sum = r
			continue
		}
		objects++
		k := strings.TrimPrefix(r["key"].(string), "inbox/")
		got[k], _ = r["status"].(string)
		if rv, _ := r["recoverable"].(string); rv != "" {
			got[k] += " " + rv
		}
		if rw, _ := r["rewritten"].(bool); rw {
			got[k] += " rewritten"
		}
	}
	// g was put and deleted between the dates: only its versions hold it.
	want := map[string]string{"a": "unchanged", "b": "changed " + td.V["b2"], "c": "deleted " + td.V["c1"], "d": "unchanged",
		"e": "new", "g": "deleted-since-manifest " + td.V["g1"], "h": "unchanged rewritten", "i": "new"}
	if len(got) != len(want) {
		t.Errorf("verify --as-of: %v, want %v", got, want)
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("verify --as-of: %s is %q, want %q", k, got[k], w)
		}
	}
	if sum == nil || sum["asOf"] != "2026-01-20T00:00:00Z" || sum["changed"] != 1.0 || sum["deleted"] != 1.0 || sum["new"] != 2.0 || sum["deletedSinceManifest"] != 1.0 {
		t.Errorf("verify --as-of summary: %v", sum)
	}
	// Every key once, and the counts add up to the object lines.
	counted := 0.0
	for _, c := range []string{"unchanged", "changed", "metadataChanged", "deleted", "deletedSinceManifest", "new", "errors"} {
		n, _ := sum[c].(float64)
		counted += n
	}
	if objects != len(got) || counted != float64(objects) {
		t.Errorf("verify --as-of --json: %d object lines, %d keys, the summary counts %v", objects, len(got), counted)
	}
	out, _, _ = sesbox(t, append(flags, "audit", "verify", "--as-of", "2026-01-20T00:00:00Z", m1)...)
	for _, s := range []string{"manifest: the bucket as of 2026-01-10T00:00:00Z, rebuilt from its versions",
		"compared with: the bucket as of 2026-01-20T00:00:00Z", "recoverable: version " + td.V["b2"],
		"deleted-since-manifest inbox/g\n", "restore: aws s3api copy-object --bucket asof-cli --key inbox/g --copy-source 'asof-cli/inbox/g?versionId=" + td.V["g1"] + "'",
		"note: put 2026-01-11T12:00:00Z (version " + td.V["g1"] + "), after the time the manifest is as of (2026-01-10T00:00:00Z), and deleted 2026-01-13T12:00:00Z",
		"\ndeleted-since-manifest  1\n"} {
		if !strings.Contains(out, s) {
			t.Errorf("verify --as-of text lacks %q:\n%s", s, out)
		}
	}
	// The second date's manifest is what the first one becomes.
	if _, errOut, code = sesbox(t, append(flags, "audit", "verify", "--as-of", "2026-01-20T00:00:00Z", m2)...); code != 0 {
		t.Errorf("verify of the second date's manifest as of that date: exit %d\n%s", code, errOut)
	}

	mbox := filepath.Join(dir, "jan10.mbox")
	out, errOut, code = sesbox(t, append(flags, "export", "--mbox", mbox, "--as-of", "2026-01-10T00:00:00Z")...)
	if code != 0 || !strings.Contains(out, "exported 5 messages as of 2026-01-10T00:00:00Z") {
		t.Fatalf("export --as-of: exit %d\n%s\n%s", code, out, errOut)
	}
	if out, errOut, code = sesbox(t, "audit", "verify-export", mbox+".manifest.jsonl"); code != 0 {
		t.Errorf("verify-export of the as-of export: exit %d\n%s\n%s", code, out, errOut)
	}
	data, err := os.ReadFile(mbox)
	if err != nil || !strings.Contains(string(data), "Subject: b 2 longer") || strings.Contains(string(data), "Subject: b 4 latest") {
		t.Errorf("the mbox as of January 10 lacks b's second version or holds its latest: %v", err)
	}

	// Each as-of run is in the action log with its date.
	out, _, _ = sesbox(t, "audit", "log", "--json", "--reports=false")
	if n := strings.Count(out, `"asOf":"2026-01-10T00:00:00Z"`); n != 2 || !strings.Contains(out, `"asOf":"2026-01-20T00:00:00Z"`) {
		t.Errorf("action log: %d entries as of January 10, want 2 (snapshot, export):\n%s", n, out)
	}

	// Mistakes in the command line, and dates the versions cannot speak for.
	for _, args := range [][]string{
		{"audit", "snapshot", "--as-of", "last tuesday", "--out", filepath.Join(dir, "x.jsonl")},
		{"export", "--mbox", filepath.Join(dir, "x.mbox"), "--as-of", "2026-01-10", "--query", "from:x"},
		{"audit", "verify", "--as-of", "someday", m1},
	} {
		if _, errOut, code := sesbox(t, append(flags, args...)...); code != 64 {
			t.Errorf("%v: exit %d, want 64\n%s", args, code, errOut)
		}
	}
	_, errOut, code = sesbox(t, append(flags, "audit", "snapshot", "--as-of", "2025-12-01T00:00:00Z", "--out", filepath.Join(dir, "early.jsonl"))...)
	if code != 1 || !strings.HasPrefix(errOut, "sesbox: versioning of asof-cli may have been enabled after 2025-12-01T00:00:00Z") ||
		!strings.Contains(errOut, "as of a date from 2026-01-01T12:00:00Z on") {
		t.Errorf("snapshot as of a date before any version: exit %d\n%s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "early.jsonl")); err == nil {
		t.Error("a refused snapshot wrote its manifest")
	}
	_, errOut, code = sesbox(t, append(flags, "audit", "verify", "--as-of", "2026-01-05T00:00:00Z", m1)...)
	if code != 1 || !strings.HasPrefix(errOut, "sesbox: give an --as-of from 2026-01-10T00:00:00Z on") {
		t.Errorf("verify as of a date before the manifest's: exit %d\n%s", code, errOut)
	}
	h.Versioning(types.BucketVersioningStatusSuspended)
	h.Put("z", vhist.Day(26), vhist.Message("z 1"))
	_, errOut, code = sesbox(t, append(flags, "audit", "verify", "--as-of", "2026-01-20T00:00:00Z", m1)...)
	if code != 1 || !strings.Contains(errOut, "was off or suspended after 2026-01-20T00:00:00Z") {
		t.Errorf("verify as of a date before a write without versioning: exit %d\n%s", code, errOut)
	}
	for m, n := range rec.Methods() {
		if m != "GET" && m != "HEAD" {
			t.Errorf("sesbox sent %d %s requests; audits only read", n, m)
		}
	}
}

// TestAuditAsOfWarnsOfExpiringVersionsCLI: on a bucket whose lifecycle
// rule deletes noncurrent versions 30 days after they are replaced (a
// fake of GetBucketLifecycleConfiguration alone, in front of versitygw,
// which answers it 501), snapshot, verify and export --as-of a date
// older than that said nothing, and their output read as a complete
// proof. Each says it, hint first: snapshot and export on stderr before
// they read (the manifest's header keeps it), verify under its summary,
// and in its --json summary's warnings; the exit statuses are as before.
func TestAuditAsOfWarnsOfExpiringVersionsCLI(t *testing.T) {
	isolate(t)
	t.Setenv("AWS_ACCESS_KEY_ID", peer.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", peer.SecretKey)
	h := vhist.New(t, "asof-rules", "inbox/", true)
	vhist.WriteTwoDates(h)
	p := bucketconf.Start(t, h.Srv.URL, map[string]string{"lifecycle": `<?xml version="1.0" encoding="UTF-8"?><LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ID>old-versions</ID><Filter><Prefix>inbox/</Prefix></Filter><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>30</NoncurrentDays></NoncurrentVersionExpiration></Rule></LifecycleConfiguration>`})
	flags := []string{"--endpoint", p.URL, "--bucket", "asof-rules", "--prefix", "inbox/"}
	dir := t.TempDir()
	m1 := filepath.Join(dir, "jan10.jsonl")
	const warning = "sesbox: warning: give an --as-of from "
	const rule = `for a complete proof: lifecycle rule "old-versions" of asof-rules (all mail under inbox/) permanently deletes noncurrent versions 30 days after they are replaced or deleted`

	out, errOut, code := sesbox(t, append(flags, "audit", "snapshot", "--as-of", "2026-01-10T00:00:00Z", "--out", m1)...)
	if code != 0 || !strings.HasPrefix(errOut, warning) || !strings.Contains(errOut, rule) || !strings.Contains(out, "5 objects as of 2026-01-10T00:00:00Z") {
		t.Errorf("snapshot --as-of: exit %d\n%s\n%s", code, out, errOut)
	}
	var hdr struct{ Warning string }
	if data, err := os.ReadFile(m1); err != nil {
		t.Fatal(err)
	} else if first, _, _ := strings.Cut(string(data), "\n"); json.Unmarshal([]byte(first), &hdr) != nil || !strings.Contains(hdr.Warning, rule) {
		t.Errorf("manifest header: %s", first)
	}

	out, errOut, code = sesbox(t, append(flags, "audit", "verify", "--as-of", "2026-01-10T00:00:00Z", m1)...)
	if code != 0 || !strings.Contains(out, "\nwarning: give an --as-of from ") || !strings.Contains(out, rule) {
		t.Errorf("verify --as-of: exit %d\n%s\n%s", code, out, errOut)
	}
	out, errOut, code = sesbox(t, append(flags, "audit", "verify", "--json", "--as-of", "2026-01-10T00:00:00Z", m1)...)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var sum struct {
		Record   string
		OK       bool
		Warnings []string
	}
	if code != 0 || json.Unmarshal([]byte(lines[len(lines)-1]), &sum) != nil || sum.Record != "summary" || !sum.OK ||
		len(sum.Warnings) != 1 || !strings.Contains(sum.Warnings[0], rule) {
		t.Errorf("verify --json --as-of: exit %d, summary %+v\n%s\n%s", code, sum, out, errOut)
	}

	out, errOut, code = sesbox(t, append(flags, "export", "--mbox", filepath.Join(dir, "jan10.mbox"), "--as-of", "2026-01-10T00:00:00Z")...)
	if code != 0 || !strings.HasPrefix(errOut, warning) || !strings.Contains(errOut, rule) {
		t.Errorf("export --as-of: exit %d\n%s\n%s", code, out, errOut)
	}
	// As it is now: nothing is rebuilt from versions, nothing to warn of.
	_, errOut, code = sesbox(t, append(flags, "audit", "snapshot", "--out", filepath.Join(dir, "now.jsonl"))...)
	if code != 0 || strings.Contains(errOut, "warning") {
		t.Errorf("snapshot now: exit %d\n%s", code, errOut)
	}
}
