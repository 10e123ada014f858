//go:build integration

package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore/sesaccount"
	"github.com/sesbox/sesbox/mailstore/testutil/peer"
	"github.com/sesbox/sesbox/mailstore/testutil/sesident"
)

// `sesbox account` against aws-ses-v2-local (GetAccount, with the shared
// production account JSON) behind sesident, which answers GetEmailIdentity
// since no emulator does.
func TestAccountCommand(t *testing.T) {
	isolate(t)
	ses := peer.StartSES(t)
	f := sesident.Start(t, ses.URL)
	f.SetIdentity("acme-demo.example", "DOMAIN", "SUCCESS", true)
	out, errOut, code := sesbox(t, "--demo", "--ses-endpoint", f.URL, "account", "--json")
	if code != 0 {
		t.Fatalf("account --json: exit %d: %s", code, errOut)
	}
	var acct sesaccount.Account
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&acct); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if acct.Sandbox || !acct.SendingEnabled || acct.EnforcementStatus != "HEALTHY" || acct.Max24HourSend != 50000 ||
		acct.MaxSendRate != 50 || acct.Remaining24Hours != 50000 || strings.Join(acct.SuppressedReasons, ",") != "BOUNCE,COMPLAINT" {
		t.Errorf("account %+v", acct)
	}
	if len(acct.Identities) != 1 || acct.Identities[0].Name != "acme-demo.example" || !acct.Identities[0].VerifiedForSending {
		t.Errorf("identities %+v", acct.Identities)
	}

	out, errOut, code = sesbox(t, "--demo", "--ses-endpoint", f.URL, "account")
	if code != 0 {
		t.Fatalf("account: exit %d: %s", code, errOut)
	}
	for _, want := range []string{"Mode:", "production", "50000 recipients: 0 sent in the last 24 hours, 50000 left",
		"50 recipients per second", "bounce or complain are put", "acme-demo.example", "domain, SUCCESS, verified for sending"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestAccountIdentityUnreadSaysWhatToCheckFirst: an identity SES could
// not be asked about showed the SDK's words alone ("could not read: read
// SES identity acme-demo.example: operation error SESv2: GetEmailIdentity,
// https response error StatusCode: 404, ... invalid character '<'"),
// though sessend had put a hint in front of them; it leads with the hint,
// as every other error does.
func TestAccountIdentityUnreadSaysWhatToCheckFirst(t *testing.T) {
	isolate(t)
	ses := peer.StartSES(t) // no GetEmailIdentity: a 404 that is not SES's
	out, errOut, code := sesbox(t, "--demo", "--ses-endpoint", ses.URL, "account")
	// In one line, without the SDK's detail of an HTML 404 (TestLocalSESWarnsOnceInALine).
	want := "acme-demo.example  could not read: the SES endpoint has no GetEmailIdentity\n"
	if code != 0 || !strings.Contains(out, want) {
		t.Errorf("exit %d, %s\n%s\nwant a line with %q", code, errOut, out, want)
	}
}
