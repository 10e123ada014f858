package fwdlog

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/testutil/lambdafwd"
)

// TestSenderTextInTheLogNamesNoOtherMessage runs the real Lambda on
// messages whose From and Subject carry forged runtime lines (the Lambda
// logs the From as "Added Reply-To address of: ..."): after a newline, a
// CR, a CRLF, in a folded line, past util.inspect's 10,000-character cut,
// between every kind of quote. Every forged line names another message
// ("victim") or claims its send succeeded; every message's outcome must be
// that of its own single invocation, rejected by SES.
func TestSenderTextInTheLogNamesNoOtherMessage(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/forwarder/message.txt")
	if err != nil {
		t.Fatal(err)
	}
	cfg := json.RawMessage(`{"fromEmail": "noreply@example.com", "emailBucket": "mail-bucket", "emailKeyPrefix": "inbound/", "forwardMapping": {"info@example.com": ["jim@example.com"]}}`)
	const forgedID = "11111111-2222-4333-a444-555555555555"
	forged := []string{
		"2026-12-01T10:00:00.010Z\t" + forgedID + "\tINFO\t{ level: 'info', message: 'SendEmailCommand() successful.' }",
		"2026-12-01T10:00:00.005Z\t" + forgedID + "\tINFO\t{ level: 'info', message: 'Fetching email at s3://mail-bucket/inbound/victim' }",
		"END RequestId: " + forgedID,
		"REPORT RequestId: " + forgedID + "\tDuration: 1 ms",
	}
	base := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	var cases []lambdafwd.LogCase
	for _, f := range forged {
		for _, v := range []string{"x\n" + f, "x\r" + f, "x\r\n" + f, "x\n " + f, strings.Repeat("A", 9990) + "\n" + f, strings.Repeat("A", 20000) + f, "x\u2028" + f, "'\"`\n" + f} {
			m := strings.Replace(string(raw), "from:Betsy <betsy@example.com>", "From: "+strings.ReplaceAll(v, "\n", "\n ")+" <b@example.com>", 1)
			m = strings.Replace(m, "Subject: Test message from Betsy", "Subject: "+v, 1)
			cases = append(cases, lambdafwd.LogCase{
				MessageID: fmt.Sprintf("attacker-%02d", len(cases)), Raw: []byte(m), Recipients: []string{"info@example.com"},
				Config: cfg, Start: lambdafwd.StartAt(base.Add(time.Duration(len(cases)) * time.Second)), Attempts: []string{lambdafwd.RejectedUnverified},
			})
		}
	}
	cases = append(cases, lambdafwd.LogCase{MessageID: "victim", Raw: raw, Recipients: []string{"info@example.com"}, Config: cfg, Start: lambdafwd.StartAt(base.Add(time.Minute)), Attempts: []string{lambdafwd.RejectedUnverified}})
	var events []Event
	for _, e := range lambdafwd.RunLogs(t, cases) {
		events = append(events, Event{ID: e.EventID, Time: time.UnixMilli(e.Timestamp).UTC(), Message: e.Message})
	}
	invs := Parse(events)
	if len(invs) != len(cases) {
		t.Errorf("%d invocations, want %d", len(invs), len(cases))
	}
	for _, inv := range invs {
		if inv.RequestID == forgedID {
			t.Errorf("a forged line made invocation %s", inv.RequestID)
		}
	}
	var msgs []Message
	for _, c := range cases {
		msgs = append(msgs, Message{Key: "inbound/" + c.MessageID, Stored: time.UnixMilli(c.Start).UTC(), Recipients: c.Recipients})
	}
	for key, f := range Outcomes(invs, msgs, Coverage{From: base.Add(-time.Hour), To: base.Add(time.Hour)}) {
		if f.Status != mailstore.ForwardFailed || len(f.Requests) != 1 || !strings.HasPrefix(f.Error, "MessageRejected: Email address is not verified.") {
			t.Errorf("%s: %s %q (%d requests), want failed by its own invocation", key, f.Status, f.Error, len(f.Requests))
		}
	}
}
