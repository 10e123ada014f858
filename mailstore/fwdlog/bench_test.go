package fwdlog

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// BenchmarkParseAndDecide: the real Lambda's fixture log repeated into
// 10,000 invocations (each with its own request id and message), parsed and
// decided against 10,000 messages, as every index run does with the whole
// stored log.
func BenchmarkParseAndDecide(b *testing.B) {
	base := fixtureEvents(b)
	var events []Event
	var msgs []Message
	invs := Parse(base)
	reps := 10000 / len(invs)
	for r := range reps {
		for _, e := range base {
			msg := e.Message
			for _, inv := range invs {
				msg = strings.ReplaceAll(msg, inv.RequestID, inv.RequestID[:24]+fmt.Sprintf("%012d", r))
			}
			msg = strings.ReplaceAll(msg, "inbound/msg-", fmt.Sprintf("inbound/r%d-msg-", r))
			events = append(events, Event{ID: fmt.Sprintf("%d-%s", r, e.ID), Time: e.Time.Add(time.Duration(r) * time.Hour), Message: msg})
		}
		for _, c := range fixtureCases(b) {
			msgs = append(msgs, Message{Key: fmt.Sprintf("inbound/r%d-%s", r, c.MessageID), Stored: time.UnixMilli(c.Start).Add(time.Duration(r) * time.Hour), Recipients: c.Recipients})
		}
	}
	cov := Coverage{From: fixtureBase.Add(-time.Hour), To: fixtureBase.Add(time.Duration(reps+1) * time.Hour)}
	b.ReportMetric(float64(len(events)), "events")
	b.ResetTimer()
	for range b.N {
		out := Outcomes(Parse(events), msgs, cov)
		if len(out) != len(msgs) {
			b.Fatalf("%d outcomes for %d messages", len(out), len(msgs))
		}
	}
}
