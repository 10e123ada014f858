package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/demo"
	"github.com/sesbox/sesbox/mailstore/testutil/fakes3"
	"github.com/sesbox/sesbox/mailstore/testutil/faultproxy"
)

// TestMarkGoesOnPastABadKey: `mark` of several keys marks every one it
// can, names each it cannot, and exits non-zero (3: each of them names no
// message). It used to stop at the first bad key, leaving the keys after
// it unmarked and unmentioned.
func TestMarkGoesOnPastABadKey(t *testing.T) {
	isolate(t)
	flags, _, msgs := demoBucket(t)
	keys := sortedKeys(msgs)
	_, errOut, code := sesbox(t, append(flags, "mark", keys[0], "nosuch", mailstore.SESMessageID(keys[5]), "nosuch2")...)
	if code != 3 {
		t.Errorf("exit %d, want 3", code)
	}
	for _, k := range []string{`/nosuch"`, `/nosuch2"`} {
		if !strings.Contains(errOut, k+" in s3://") {
			t.Errorf("stderr does not name %s:\n%s", k, errOut)
		}
	}
	if !strings.Contains(errOut, "2 of 4 keys could not be marked") {
		t.Errorf("no summary of the failures:\n%s", errOut)
	}
	out, errOut, code := sesbox(t, append(flags, "ls", "--cached", "--query", "is:read", "--json")...)
	if code != 0 {
		t.Fatalf("ls: exit %d: %s", code, errOut)
	}
	var read []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var row struct{ Key string }
		if err := json.Unmarshal([]byte(line), &row); err != nil {
			t.Fatalf("bad JSON line %q: %v", line, err)
		}
		read = append(read, row.Key)
	}
	if strings.Join(read, " ") != keys[0]+" "+keys[5] && strings.Join(read, " ") != keys[5]+" "+keys[0] {
		t.Errorf("read: %v, want %s and %s", read, keys[0], keys[5])
	}
}

// TestMarkSaysTheHeadersCouldNotBeRead: mark of an object whose headers
// cannot be read (the refresh left it out of the index) says so, with the
// reason, and exits 1; it said "no message", as for a typo. A key that
// names no object still says "no message", and the others are marked.
func TestMarkSaysTheHeadersCouldNotBeRead(t *testing.T) {
	isolate(t)
	shortBackoff(t)
	srv := fakes3.Start(t, "mail")
	bad := demo.Prefix + "0vneinmetj3r4m9ltdtl5drpnghlppk2eqp3vjne"
	good := demo.Prefix + "1p2u57aqikkta3euhenv7lvl3qd3v1ijcav70stv"
	for _, k := range []string{bad, good} {
		srv.Put(t, "mail", k, []byte("Subject: s\r\n\r\nbody\r\n"))
	}
	p := faultproxy.Start(t, srv.URL, faultproxy.Config{Seed: 1, SlowDown: 1, Match: func(r *http.Request) bool {
		return r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/"+bad)
	}})
	flags := []string{"--endpoint", p.URL, "--bucket", "mail", "--prefix", demo.Prefix}
	_, errOut, code := sesbox(t, append(flags, "mark", bad, good, demo.Prefix+"nosuch")...)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	lines := strings.Split(errOut, "\n")
	var badLine, typoLine string
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "sesbox: warning:"):
		case strings.Contains(l, bad):
			badLine = l
		case strings.Contains(l, "nosuch"):
			typoLine = l
		}
	}
	if !strings.HasPrefix(badLine, "sesbox: its headers could not be read") || !strings.Contains(badLine, "SlowDown") || strings.Contains(badLine, "no message") {
		t.Errorf("unreadable headers: %q, want the reason, not 'no message':\n%s", badLine, errOut)
	}
	if !strings.Contains(typoLine, "no message") {
		t.Errorf("a key naming no object: %q, want 'no message':\n%s", typoLine, errOut)
	}
	out, _, _ := sesbox(t, append(flags, "ls", "--json")...)
	if !strings.Contains(out, `"read":true`) {
		t.Errorf("the readable key was not marked:\n%s", out)
	}
}

// TestMarkOfAKeyNeverReadSaysNoMessage: a key with a "." or ".." segment
// is never read (mailstore.ErrDotSegment) but is indexed when listed, so
// one the index does not hold names no object. mark said "its headers
// could not be read ... — try again", which no retry could change.
func TestMarkOfAKeyNeverReadSaysNoMessage(t *testing.T) {
	isolate(t)
	flags, _, _ := demoBucket(t)
	for _, k := range []string{demo.Prefix + "x/../nosuch", demo.Prefix + "./nosuch"} {
		_, errOut, code := sesbox(t, append(flags, "mark", k)...)
		if code != 3 || !strings.Contains(errOut, "sesbox: no message ") || strings.Contains(errOut, "try again") {
			t.Errorf("mark %s: exit %d, want 3 and 'no message', no 'try again':\n%s", k, code, errOut)
		}
	}
}

// TestMarkOfAnArchivedObjectSaysRestoreIt: an object in an archive
// storage class (a lifecycle rule moved it to Glacier) cannot be read
// until it is restored, however often sesbox tries: mark says to restore
// it. It said "its headers could not be read ... — try again".
func TestMarkOfAnArchivedObjectSaysRestoreIt(t *testing.T) {
	isolate(t)
	shortBackoff(t)
	srv := fakes3.Start(t, "mail")
	key := demo.Prefix + "0vneinmetj3r4m9ltdtl5drpnghlppk2eqp3vjne"
	srv.Put(t, "mail", key, []byte("Subject: s\r\n\r\nbody\r\n"))
	p := faultproxy.Start(t, srv.URL, faultproxy.Config{Seed: 1, Archived: 1, Match: func(r *http.Request) bool {
		return r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/"+key)
	}})
	_, errOut, code := sesbox(t, "--endpoint", p.URL, "--bucket", "mail", "--prefix", demo.Prefix, "mark", key)
	var line string
	for _, l := range strings.Split(errOut, "\n") {
		if strings.HasPrefix(l, "sesbox: ") && !strings.HasPrefix(l, "sesbox: warning") && strings.Contains(l, key) {
			line = l
		}
	}
	if code != 1 || !strings.HasPrefix(line, "sesbox: the object is archived") || !strings.Contains(line, "restore-object") || strings.Contains(line, "try again") {
		t.Errorf("exit %d, line %q, want the restore, not 'try again':\n%s", code, line, errOut)
	}
}

// TestMarkTakesKeysFromStdin: forward read its keys from --keys-from FILE
// or stdin, but mark took arguments only, so a script marking what a query
// listed had to go through xargs (and a key holding a space or a quote
// was split or refused there). mark --keys-from - reads them one a line,
// as forward does; keys and --keys-from together are a usage mistake.
func TestMarkTakesKeysFromStdin(t *testing.T) {
	isolate(t)
	flags, _, msgs := demoBucket(t)
	keys := sortedKeys(msgs)
	in := "# from a query\n" + keys[1] + "\n\n" + mailstore.SESMessageID(keys[7]) + "\n"
	var out, errb bytes.Buffer
	if code := run(context.Background(), append(flags, "mark", "--keys-from", "-"), strings.NewReader(in), &out, &errb); code != 0 {
		t.Fatalf("mark --keys-from -: exit %d\n%s", code, errb.String())
	}
	got, errOut, code := sesbox(t, append(flags, "ls", "--cached", "--query", "is:read", "--json")...)
	if code != 0 {
		t.Fatalf("ls: exit %d: %s", code, errOut)
	}
	var read []string
	for _, line := range strings.Split(strings.TrimSpace(got), "\n") {
		var row struct{ Key string }
		if err := json.Unmarshal([]byte(line), &row); err != nil {
			t.Fatalf("bad JSON line %q: %v", line, err)
		}
		read = append(read, row.Key)
	}
	slices.Sort(read)
	if want := []string{keys[1], keys[7]}; !slices.Equal(read, want) {
		t.Errorf("read: %v, want %v", read, want)
	}
	if _, errOut, code := sesbox(t, append(flags, "mark", "--keys-from", "-", keys[2])...); code != 64 || !strings.Contains(errOut, "one way") {
		t.Errorf("KEY and --keys-from: exit %d, want 64\n%s", code, errOut)
	}
}

// TestMarkThatCannotBeKeptFails: with the index refused (its cache
// directory a link: sesbox works in memory, saying so), mark marked the
// message in memory, exited 0, and the next ls showed it unread (sesbox
// mark against versitygw with $XDG_CACHE_HOME/sesbox a link). Nothing
// outlives the run there, so mark says so, hint first, marks nothing and
// exits 1.
func TestMarkThatCannotBeKeptFails(t *testing.T) {
	dir := isolate(t)
	flags, _, msgs := demoBucket(t)
	keys := sortedKeys(msgs)
	cache := filepath.Join(dir, "cache")
	if err := os.MkdirAll(filepath.Join(dir, "elsewhere"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(cache, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "elsewhere"), filepath.Join(cache, "sesbox")); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := sesbox(t, append(flags, "mark", keys[0])...)
	if code != 1 || !strings.Contains(errOut, "sesbox: nothing marked: the local index could not be opened (the warning above says why), and a mark kept only in memory is forgotten when sesbox ends") {
		t.Errorf("mark with the index in memory: exit %d, stderr:\n%s\nwant exit 1 and the reason", code, errOut)
	}
}
