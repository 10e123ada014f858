package main

import (
	"encoding/json"
	"os"
	"sync"
	"testing"

	"github.com/sesbox/sesbox/mailstore/testutil/peer"
	"github.com/sesbox/sesbox/mailstore/testutil/sesfault"
)

// sesCall is one SendEmail request as SES received it.
type sesCall struct {
	Destination struct{ ToAddresses []string }
	Content     struct{ Raw struct{ Data []byte } }
	// ID is the MessageId SES answered (not part of the request).
	ID string `json:"-"`
}

// sesPeer is the real SES v2 peer (aws-ses-v2-local) behind a sesfault
// proxy, which records each SendEmail SES accepted (envelope and raw
// bytes) and, while reject is set, answers SendEmail with that error
// instead of passing it on.
type sesPeer struct {
	URL    string
	proxy  *sesfault.Proxy
	mu     sync.Mutex
	reject bool
}

// startSES starts the peer with testdata/peers/ses-account.json as its
// account.
func startSES(t *testing.T) *sesPeer {
	t.Helper()
	return proxySES(t, peer.StartSES(t).URL)
}

// startSESWithQuota starts the peer with an account whose send quota is
// max24 a day (sent24 of it sent) at rate messages a second.
func startSESWithQuota(t *testing.T, max24, sent24, rate float64) *sesPeer {
	t.Helper()
	b, err := os.ReadFile("../../testdata/peers/ses-account.json")
	if err != nil {
		t.Fatal(err)
	}
	var acct map[string]any
	if err := json.Unmarshal(b, &acct); err != nil {
		t.Fatal(err)
	}
	acct["SendQuota"] = map[string]float64{"Max24HourSend": max24, "MaxSendRate": rate, "SentLast24Hours": sent24}
	b, _ = json.Marshal(acct)
	return proxySES(t, peer.StartSESWithAccount(t, string(b)).URL)
}

func proxySES(t *testing.T, target string) *sesPeer {
	s := &sesPeer{}
	s.proxy = sesfault.Start(t, target, func(int) sesfault.Fault {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.reject {
			return sesfault.Reject // MessageRejected: an unverified From
		}
		return sesfault.Pass
	})
	s.URL = s.proxy.URL
	return s
}

// Reject makes every later SendEmail fail with MessageRejected.
func (s *sesPeer) Reject() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reject = true
}

// Calls returns the SendEmail requests SES accepted, in order.
func (s *sesPeer) Calls() []sesCall {
	var out []sesCall
	for _, e := range s.proxy.Emails() {
		var c sesCall
		c.Destination.ToAddresses, c.Content.Raw.Data, c.ID = e.To, e.Raw, e.ID
		out = append(out, c)
	}
	return out
}
