//go:build integration

package sessend

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/sesaccount"
	"github.com/sesbox/sesbox/mailstore/testutil/peer"
	"github.com/sesbox/sesbox/mailstore/testutil/sesident"
)

// GetAccount comes from aws-ses-v2-local (with a sandbox account JSON);
// the identity and suppression calls from sesident's fake in front of it,
// since no emulator offers them.
func TestDescribeAgainstPeer(t *testing.T) {
	ses := peer.StartSESWithAccount(t, `{"DedicatedIpAutoWarmupEnabled":false,"Details":{"AdditionalContactEmailAddresses":[],"ContactLanguage":"EN","MailType":"TRANSACTIONAL","ReviewDetails":{"CaseId":"c1","Status":"PENDING"},"UseCaseDescription":"t","WebsiteURL":"https://example.com"},"EnforcementStatus":"PROBATION","ProductionAccessEnabled":false,"SendingEnabled":true,"SendQuota":{"Max24HourSend":200,"MaxSendRate":1,"SentLast24Hours":17},"SuppressionAttributes":{"SuppressedReasons":["BOUNCE"]}}`)
	f := sesident.Start(t, ses.URL)
	f.SetIdentity("support@acme.example", "EMAIL_ADDRESS", "SUCCESS", true)
	f.SetIdentity("acme.example", "DOMAIN", "PENDING", false)
	ctx := context.Background()
	a, err := sesaccount.Describe(ctx, NewAccountReader(client(f.URL)), sesaccount.IdentityNames([]string{"Support <support@acme.example>"}, []string{"acme.example", "other.example"}))
	if err != nil {
		t.Fatal(err)
	}
	if !a.Sandbox || !a.SendingEnabled || a.EnforcementStatus != "PROBATION" || a.Max24HourSend != 200 ||
		a.SentLast24Hours != 17 || a.Remaining24Hours != 183 || a.MaxSendRate != 1 || a.ReviewStatus != "PENDING" ||
		len(a.SuppressedReasons) != 1 || a.SuppressedReasons[0] != "BOUNCE" {
		t.Errorf("account %+v", a)
	}
	want := []sesaccount.Identity{
		{Name: "support@acme.example", Type: "EMAIL_ADDRESS", Status: "SUCCESS", VerifiedForSending: true, DKIMStatus: "SUCCESS"},
		{Name: "acme.example", Type: "DOMAIN", Status: "PENDING", DKIMStatus: "PENDING"},
		{Name: "other.example", Status: sesaccount.StatusNotFound},
	}
	if len(a.Identities) != len(want) {
		t.Fatalf("identities %+v", a.Identities)
	}
	for i := range want {
		if a.Identities[i] != want[i] {
			t.Errorf("identity %d: %+v, want %+v", i, a.Identities[i], want[i])
		}
	}
	if f.Count("GET /v2/email/account") != 1 {
		t.Errorf("GetAccount did not reach the peer: %v", f.Requests())
	}

	// A screen in the sandbox: the suppressed address is blocked with its
	// reason, the unverified one because of the sandbox, the simulator passes.
	f.Suppress("gone@customer.example", "COMPLAINT", time.Date(2026, 10, 30, 0, 0, 0, 0, time.UTC))
	f.SetIdentity("customer.example", "DOMAIN", "SUCCESS", true)
	sc, err := sesaccount.NewScreen(ctx, NewAccountReader(client(f.URL)))
	if err != nil {
		t.Fatal(err)
	}
	vs := sc.Check(ctx, []string{"gone@customer.example", "kim@unverified.example", "bounce@simulator.amazonses.com", "ok@customer.example"})
	if vs[0].Reason() != "suppressed: COMPLAINT since 2026-10-30" || !vs[1].Unverified || !vs[2].Simulator || vs[2].Blocked(false) || vs[3].Blocked(false) {
		t.Errorf("verdicts %+v", vs)
	}
}

// TestEndpointWithoutTheOperationSaysSo: aws-ses-v2-local has no
// GetSuppressedDestination and answers its path with an HTML 404. The
// preview said the SDK's detail alone ("deserialization failed, failed
// to decode response body, invalid character '<' ..."); it now leads
// with what that means.
func TestEndpointWithoutTheOperationSaysSo(t *testing.T) {
	ses := peer.StartSES(t)
	_, _, err := NewAccountReader(client(ses.URL)).Suppressed(context.Background(), "ops@team.example")
	if got := mailstore.Explain(err); !strings.HasPrefix(got, "the SES endpoint does not offer GetSuppressedDestination (HTTP 404, not an SES answer) — check --ses-endpoint") {
		t.Fatalf("%q", got)
	}
}

// TestDescribeChecksTheConfigurationSet: a configuration_set the region
// does not have fails every send, and `sesbox account` did not look at
// it. Describe now reads it (GetConfigurationSet, from sesident's fake:
// aws-ses-v2-local 2.10.2 does not implement it) and says hint first
// what to do.
func TestDescribeChecksTheConfigurationSet(t *testing.T) {
	ses := peer.StartSES(t)
	f := sesident.Start(t, ses.URL)
	f.AddConfigurationSet("tracked")
	ctx := context.Background()
	for _, tc := range []struct {
		set   string
		want  sesaccount.ConfigurationSet
		field string
		alarm bool
	}{
		{"tracked", sesaccount.ConfigurationSet{Name: "tracked", Region: "us-east-1", Found: true}, "tracked (exists)", false},
		{"missing-set", sesaccount.ConfigurationSet{Name: "missing-set", Region: "us-east-1"},
			"missing-set: not found in us-east-1 — create it (aws sesv2 create-configuration-set --configuration-set-name missing-set --region us-east-1) or remove configuration_set from the mailbox's config", true},
	} {
		a, err := sesaccount.Describe(ctx, NewAccountReader(client(f.URL)).WithConfigurationSet(tc.set), nil)
		if err != nil {
			t.Fatal(err)
		}
		if a.ConfigurationSet == nil || *a.ConfigurationSet != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.set, a.ConfigurationSet, tc.want)
		}
		var got *sesaccount.Field
		for _, fl := range a.Fields() {
			if fl.Label == "Configuration set" {
				got = &fl
			}
		}
		if got == nil || got.Value != tc.field || got.Alarm != tc.alarm {
			t.Errorf("%s: field %+v, want %q (alarm %v)", tc.set, got, tc.field, tc.alarm)
		}
	}
	// No configuration_set: nothing asked, nothing said.
	a, err := sesaccount.Describe(ctx, NewAccountReader(client(f.URL)), nil)
	if err != nil || a.ConfigurationSet != nil || f.Count("GetConfigurationSet") != 2 {
		t.Errorf("without a set: %v %+v, %d reads", err, a.ConfigurationSet, f.Count("GetConfigurationSet"))
	}
}
