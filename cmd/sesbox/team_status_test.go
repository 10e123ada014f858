package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore/team"
)

// TestTeamStatusBoundsWhatAWriterMadeUp: every item of the team table is
// anyone's with write access to it. A claim whose owner is 300 KB with
// escape sequences and tabs, and a hundred kinds sesbox never writes, make
// a table of short lines, the same every time; the key stays whole (an
// operator passes it back).
func TestTeamStatusBoundsWhatAWriterMadeUp(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	st := team.Status{Table: "t", State: "ACTIVE", Billing: "PAY_PER_REQUEST", Counts: map[string]int{"claim": 1}}
	for i := range 100 {
		st.Counts[strings.Repeat(string(rune('a'+i%26)), 1+i)+"\x1b]0;x\x07"] = i
	}
	key := "inbox/" + strings.Repeat("k", 300)
	st.Claims = []team.ClaimInfo{{Bucket: "mail", Key: key, State: "uncertain", Owner: "mallory\x1b[2J\t" + strings.Repeat("o", 300<<10),
		Destinations: []string{strings.Repeat("d", 10<<10) + "@x.example"}, ClaimedAt: t0, LeaseUntil: t0.Add(5 * time.Minute)}}
	var first string
	for range 3 {
		var out bytes.Buffer
		printTeamStatus(&app{stdout: &out}, st)
		if first == "" {
			first = out.String()
		} else if out.String() != first {
			t.Fatalf("the status differs between two runs:\n%s\n%s", first, out.String())
		}
	}
	if strings.ContainsAny(first, "\x1b\x07") {
		t.Errorf("an escape sequence reached the terminal: %q", first)
	}
	if !strings.Contains(first, key) {
		t.Errorf("the key was cut")
	}
	for _, l := range strings.Split(first, "\n") {
		if len(l) > 6000 {
			t.Errorf("a line of %d bytes: %.120q", len(l), l)
		}
	}
}

// TestTeamStatusSaysWhatToCheckFirst: a claim no sesbox wrote and a sent
// claim the shared log lacks are each named on a line of their own, what
// to do first, with the values a writer made up sanitized.
func TestTeamStatusSaysWhatToCheckFirst(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	st := team.Status{Table: "t", State: "ACTIVE", Billing: "PAY_PER_REQUEST", Counts: map[string]int{"claim": 2},
		Claims: []team.ClaimInfo{{Bucket: "mail", Key: "inbox/forged", State: "uncertain", Owner: "mallory@x pid 7",
			Suspect: "its lease runs until 2261-01-01T00:00:00Z\x1b[2J", ClaimedAt: t0, LeaseUntil: t0}},
		Unlogged: []team.ClaimInfo{{Bucket: "mail", Key: "inbox/unlogged", State: "sent", Owner: "op@a pid 1", SESMessageID: "0100\x1b]0;x\x07id", ClaimedAt: t0}}}
	var out bytes.Buffer
	printTeamStatus(&app{stdout: &out}, st)
	got := out.String()
	for _, want := range []string{
		"! inbox/forged: check whether it was forwarded, then forward --retry-uncertain sends it: not written by a sesbox (its lease runs until 2261-01-01T00:00:00Z",
		"! inbox/unlogged: check whether it was forwarded, then forward --retry-uncertain sends it: the claim says sent by op@a pid 1",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("status lacks %q:\n%s", want, got)
		}
	}
	if strings.ContainsAny(got, "\x1b\x07") {
		t.Errorf("an escape sequence reached the terminal: %q", got)
	}
}
