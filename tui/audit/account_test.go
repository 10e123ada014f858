package audit

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/sesbox/sesbox/mailstore/sesaccount"
	"github.com/sesbox/sesbox/tui/internal/fixture"
)

// acct is sesaccount.API, sesbox's own interface (the SES side is tested
// in sessend and cmd/sesbox against aws-ses-v2-local and sesident).
type acct struct{ err error }

func (a acct) Account(context.Context) (sesaccount.Account, error) {
	if a.err != nil {
		return sesaccount.Account{}, a.err
	}
	return sesaccount.Account{Sandbox: true, SendingEnabled: true, EnforcementStatus: "HEALTHY", Max24HourSend: 200,
		SentLast24Hours: 12, Remaining24Hours: 188, MaxSendRate: 1, SuppressedReasons: []string{"BOUNCE"}}, nil
}

func (acct) Identity(_ context.Context, n string) (sesaccount.Identity, error) {
	return sesaccount.Identity{Name: n, Type: "DOMAIN", Status: "SUCCESS", VerifiedForSending: true}, nil
}

func (acct) Suppressed(context.Context, string) (sesaccount.Suppression, bool, error) {
	return sesaccount.Suppression{}, false, nil
}

func TestAccountPanel(t *testing.T) {
	b := newBucket()
	m := New(fixture.Common(100, 50), Env{Bucket: b, Config: b, Account: acct{}, Identities: []string{"acme.example"}})
	m.SetSize(100, 50)
	if !strings.Contains(ansi.Strip(m.View()), "reading the SES account") {
		t.Errorf("no loading line:\n%s", m.View())
	}
	m, _ = drive(t, m, m.Init())
	v := ansi.Strip(m.View())
	for _, want := range []string{"SES account", "Mode           sandbox: sends only to verified identities",
		"24-hour quota  200 recipients: 12 sent in the last 24 hours, 188 left", "Max send rate  1 recipients per second",
		"addresses that bounce are put on the account's list", "acme.example  domain, SUCCESS, verified for sending"} {
		if !strings.Contains(v, want) {
			t.Errorf("panel lacks %q:\n%s", want, v)
		}
	}
	// The posture is there as before.
	if !strings.Contains(v, "versioning") {
		t.Errorf("posture gone:\n%s", v)
	}

	m = New(fixture.Common(100, 50), Env{Bucket: b, Config: b, Account: acct{err: errors.New("read the SES account: AccessDeniedException")}})
	m.SetSize(100, 50)
	m, _ = drive(t, m, m.Init())
	if v := ansi.Strip(m.View()); !strings.Contains(v, "AccessDeniedException") || !strings.Contains(v, "versioning") {
		t.Errorf("error panel:\n%s", v)
	}
	// Without an account, no panel.
	m = New(fixture.Common(100, 50), Env{Bucket: b, Config: b})
	m.SetSize(100, 50)
	m, _ = drive(t, m, m.Init())
	if strings.Contains(ansi.Strip(m.View()), "SES account") {
		t.Error("panel without an account")
	}
}

func (acct) ConfigurationSet(context.Context) (sesaccount.ConfigurationSet, bool, error) {
	return sesaccount.ConfigurationSet{}, false, nil
}
