//go:build integration

package sessend

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

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
