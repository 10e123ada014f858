//go:build integration

package sessend

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/testutil/faultproxy"
	"github.com/sesbox/sesbox/mailstore/testutil/httprec"
	"github.com/sesbox/sesbox/mailstore/testutil/peer"
)

// Client returns an SES v2 client for endpoint (the recording proxy).
func client(endpoint string) *sesv2.Client {
	return sesv2.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(peer.AccessKey, peer.SecretKey, ""),
	}, func(o *sesv2.Options) { o.BaseEndpoint = aws.String(endpoint) })
}

func TestSendRawReachesSES(t *testing.T) {
	ses := peer.StartSES(t)
	url, rec := httprec.Proxy(t, ses.URL)
	s := New(client(url), "")
	raw := "From: Support <support@acme.example>\r\nTo: Kim <kim@example.kr>\r\nSubject: =?UTF-8?B?7JWI64WV?=\r\n" +
		"In-Reply-To: <orig@example.kr>\r\nReferences: <orig@example.kr>\r\nMessage-ID: <r1@acme.example>\r\n\r\nHello\r\n"
	id, err := s.SendRaw(context.Background(), []string{"kim@example.kr", "cc@example.kr"}, []byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if id == "" {
		t.Fatal("no message id")
	}
	var sent struct {
		Destination struct{ ToAddresses []string }
		Content     struct{ Raw struct{ Data []byte } }
	}
	var found bool
	for _, r := range rec.Requests() {
		if r.Method == "POST" && strings.HasSuffix(r.Path, "/v2/email/outbound-emails") {
			if err := json.Unmarshal(r.Body, &sent); err != nil {
				t.Fatal(err)
			}
			found = true
		}
	}
	if !found {
		t.Fatalf("no SendEmail call recorded: %v", rec.Requests())
	}
	if string(sent.Content.Raw.Data) != raw {
		t.Errorf("raw bytes changed on the way:\n%q\n%q", sent.Content.Raw.Data, raw)
	}
	if strings.Join(sent.Destination.ToAddresses, ",") != "kim@example.kr,cc@example.kr" {
		t.Errorf("destinations %v", sent.Destination.ToAddresses)
	}

	q, err := s.Quota(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if q.MaxSendRate <= 0 || q.Max24HourSend <= 0 {
		t.Errorf("quota %+v", q)
	}
}

func TestLimitsBeforeSending(t *testing.T) {
	s := New(nil, "") // never reaches the API
	if _, err := s.SendRaw(context.Background(), []string{"a@b"}, make([]byte, MaxMessageSize+1)); err == nil {
		t.Error("oversized message accepted")
	}
	many := make([]string, MaxDestinations+1)
	if _, err := s.SendRaw(context.Background(), many, []byte("x")); err == nil {
		t.Error("51 destinations accepted")
	}
}

// TestSendWithTheClockOffIsSentOnce: SES's clock 20 minutes behind this
// machine's (the fault proxy refuses what was signed more than 15 minutes
// from it, as SES does: 403 InvalidSignatureException "Signature
// expired"). Sends are never retried, so the first send of a run failed
// although the SDK had set its clock by the refusal's Date. A refusal for
// the time is no send: it is sent once more, at SES's time, and reaches
// aws-ses-v2-local once. Without a Date the send fails, the hint naming
// the clock, and stops the run (every send would meet it).
func TestSendWithTheClockOffIsSentOnce(t *testing.T) {
	ses := peer.StartSES(t)
	url, rec := httprec.Proxy(t, ses.URL)
	p := faultproxy.Start(t, url, faultproxy.Config{ServerClock: -20 * time.Minute})
	// As sesbox builds it for sends: one attempt each (cmd/sesbox).
	once := func(o *sesv2.Options) { o.RetryMaxAttempts = 1 }
	s := New(sesv2.New(client(p.URL).Options(), once), "")
	raw := []byte("From: a@acme.example\r\nTo: b@example.kr\r\nSubject: x\r\n\r\nHello\r\n")
	if _, err := s.SendRaw(context.Background(), []string{"b@example.kr"}, raw); err != nil {
		t.Fatalf("send with SES's clock 20 minutes behind: %v", err)
	}
	sent := 0
	for _, r := range rec.Requests() {
		if strings.HasSuffix(r.Path, "/v2/email/outbound-emails") {
			sent++
		}
	}
	if sent != 1 || p.Stats().Skewed != 1 {
		t.Fatalf("%d sends reached SES, %d refused for their time; want 1 and 1", sent, p.Stats().Skewed)
	}

	p.SetConfig(faultproxy.Config{ServerClock: -20 * time.Minute, NoDate: true})
	s = New(sesv2.New(client(p.URL).Options(), once), "")
	_, err := s.SendRaw(context.Background(), []string{"b@example.kr"}, raw)
	if h := mailstore.Hint(err); !strings.Contains(h, "this machine's clock is off") || !errors.Is(err, mailstore.ErrEverySendRefused) {
		t.Fatalf("send without a Date: hint %q, err %v", h, err)
	}
}
