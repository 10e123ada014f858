package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore/testutil/fakes3"
)

// TestStoredTermsChooseBySESTime: after:/before: compare the sender's
// Date, so an operator choosing what arrived during an outage by when SES
// stored it had no way to: a message dated 2016 and stored today is
// outside after:today (ops8). stored-after:/stored-before: compare the
// object's LastModified, and ls --json gives it as "stored".
func TestStoredTermsChooseBySESTime(t *testing.T) {
	isolate(t)
	s3 := fakes3.Start(t, "mail")
	raw, err := os.ReadFile("../../testdata/forwarder/message.txt")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), "\nDate: Fri, 11 Mar 2016 01:20:54 -0500\r\n") && !strings.Contains(string(raw), "\nDate: Fri, 11 Mar 2016 01:20:54 -0500\n") {
		t.Fatal("the sample is no longer dated 2016-03-11")
	}
	s3.Put(t, "mail", "inbox/m-2016", raw)
	base := []string{"--endpoint", s3.URL, "--bucket", "mail", "--prefix", "inbox/"}
	keys := func(q string) []string {
		out, errOut, code := sesbox(t, append(base, "ls", "--json", "--query", q)...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", q, code, errOut)
		}
		var ks []string
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			if line == "" {
				continue
			}
			var r map[string]any
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				t.Fatalf("%s: %q: %v", q, line, err)
			}
			ks = append(ks, r["key"].(string))
		}
		return ks
	}
	if got := keys("stored-after:today"); len(got) != 1 || got[0] != "inbox/m-2016" {
		t.Errorf("stored-after:today = %v, want the message stored today", got)
	}
	for _, q := range []string{"after:today", "stored-before:today", "-stored-after:1d"} {
		if got := keys(q); len(got) != 0 {
			t.Errorf("%s = %v, want none", q, got)
		}
	}
	if got := keys("before:2017-01-01 stored-after:1d"); len(got) != 1 {
		t.Errorf("dated 2016, stored today: %v", got)
	}
	rows := lsJSON(t, append(base, "--query", "")...)
	stored, err := time.Parse(time.RFC3339, rows[0]["stored"].(string))
	if err != nil || time.Since(stored) > time.Hour || time.Since(stored) < -time.Minute || !strings.HasPrefix(rows[0]["date"].(string), "2016-03-11") {
		t.Errorf("stored %q (%v), date %q", rows[0]["stored"], err, rows[0]["date"])
	}
}
