package sesaccount

import (
	"strings"
	"testing"
)

func TestFields(t *testing.T) {
	a := Account{Sandbox: true, ReviewStatus: "PENDING", EnforcementStatus: "PROBATION", Max24HourSend: 200, SentLast24Hours: 200,
		MaxSendRate: 1, SuppressedReasons: []string{"BOUNCE", "COMPLAINT"},
		Identities: []Identity{{Name: "acme.example", Type: "DOMAIN", Status: "PENDING"}, {Name: "x.example", Status: StatusNotFound}}}
	var b strings.Builder
	alarms := 0
	for _, f := range a.Fields() {
		b.WriteString(f.Label + ": " + f.Value + "\n")
		if f.Alarm {
			alarms++
		}
	}
	got := b.String()
	want := `Mode: sandbox: sends only to verified identities and the mailbox simulator (production access request: PENDING)
Sending: PAUSED: SES sends nothing for this account
Enforcement: PROBATION: bounce or complaint rate under review; keep sends low and clean
24-hour quota: 200 recipients: 200 sent in the last 24 hours, 0 left
Max send rate: 1 recipients per second
Suppression: addresses that bounce or complain are put on the account's list and skipped by sesbox
Identities: 
acme.example: domain, PENDING, NOT verified for sending
x.example: not an SES identity
`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if alarms != 6 { // sandbox, paused, probation, no quota left, two identities
		t.Errorf("%d alarms", alarms)
	}
	unl := Account{Max24HourSend: -1, SentLast24Hours: 12.5, SendingEnabled: true, EnforcementStatus: "HEALTHY"}.Fields()
	if unl[3].Value != "unlimited (12.5 sent in the last 24 hours)" || unl[3].Alarm || unl[0].Value != "production" {
		t.Errorf("%+v", unl)
	}
}
