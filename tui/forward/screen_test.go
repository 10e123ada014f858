package forward

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/sesaccount"
)

// account is sesaccount.API (sesbox's own interface) with lead@ on the
// suppression list.
type account struct{}

func (account) Account(context.Context) (sesaccount.Account, error) {
	return sesaccount.Account{SendingEnabled: true, EnforcementStatus: "PROBATION", Max24HourSend: 1000, Remaining24Hours: 2, MaxSendRate: 10}, nil
}
func (account) Identity(_ context.Context, n string) (sesaccount.Identity, error) {
	return sesaccount.Identity{Name: n, Status: sesaccount.StatusNotFound}, nil
}
func (account) Suppressed(_ context.Context, a string) (sesaccount.Suppression, bool, error) {
	if a == "lead@team.example" {
		return sesaccount.Suppression{Address: a, Reason: "BOUNCE", Since: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)}, true, nil
	}
	return sesaccount.Suppression{}, false, nil
}

func TestConfirmShowsSuppressionAndQuota(t *testing.T) {
	r, s := newRunner(t)
	r.Account = account{}
	good, spam := demoKeys(t)
	keys := append(slices.Clone(good), mailstore.SESMessageID(spam))
	m := newScreen(t, r, keys, 100, 30)
	m, _ = pump(t, m, m.Init())
	v := m.View()
	for _, want := range []string{"2 sends to 2 recipients", "1 destination left out: on the account's suppression list",
		"1 message skipped as spam", "enforcement status PROBATION", "quota: fits (2 of 2 left today)"} {
		if !strings.Contains(v, want) {
			t.Errorf("confirmation lacks %q:\n%s", want, v)
		}
	}
	m, cmd := press(t, m, "y")
	pump(t, m, cmd)
	for _, d := range s.sent {
		if slices.Contains(d, "lead@team.example") {
			t.Errorf("suppressed address sent to: %v", d)
		}
	}
	if len(s.sent) != 2 {
		t.Errorf("sent %v", s.sent)
	}
}
