package main

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/testutil/gensum"
)

// TestLsJSONForwardRoundTrip: for generated summaries whose forward fields
// hold separators, quotes, escape sequences and any script, the
// forwardStatus, forwardError, forwardDestinations and forwardTime a script
// decodes from `ls --json` are exactly the index's values, one line each,
// and absent when there is no status.
func TestLsJSONForwardRoundTrip(t *testing.T) {
	src := gensum.NewRand(16)
	for i := range 500 {
		s := gensum.Summary(src, i)
		if i%5 == 0 {
			s.Forward = mailstore.Forward{}
		}
		if i%7 == 0 {
			s.Forward.Status = []string{mailstore.ForwardFailed, mailstore.ForwardForwarded, mailstore.ForwardSkipped, mailstore.ForwardNone, mailstore.ForwardUnknown}[i%5]
		}
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(lsRowOf(&s)); err != nil {
			t.Fatal(err)
		}
		if bytes.Count(b.Bytes(), []byte("\n")) != 1 {
			t.Fatalf("row %d is not one line: %q", i, b.Bytes())
		}
		var got struct {
			ForwardStatus       *string  `json:"forwardStatus"`
			ForwardError        *string  `json:"forwardError"`
			ForwardDestinations []string `json:"forwardDestinations"`
			ForwardTime         *string  `json:"forwardTime"`
		}
		if err := json.Unmarshal(b.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		check := func(name string, p *string, want string) {
			switch {
			case want == "" && p != nil:
				t.Errorf("summary %d: %s %q present, want absent", i, name, *p)
			case want != "" && (p == nil || *p != want):
				t.Errorf("summary %d: %s %v, want %q", i, name, p, want)
			}
		}
		check("forwardStatus", got.ForwardStatus, s.Forward.Status)
		check("forwardError", got.ForwardError, s.Forward.Error)
		var wantTime string
		if !s.Forward.Time.IsZero() {
			wantTime = s.Forward.Time.UTC().Format(time.RFC3339)
		}
		check("forwardTime", got.ForwardTime, wantTime)
		wantDests := s.Forward.Destinations
		if len(wantDests) == 0 {
			wantDests = nil
		}
		if !slices.Equal(got.ForwardDestinations, wantDests) {
			t.Errorf("summary %d: forwardDestinations %q, want %q", i, got.ForwardDestinations, wantDests)
		}
	}
}
