package sessend

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/sesbox/sesbox/mailstore/sesaccount"
	"github.com/sesbox/sesbox/mailstore/testutil/sesident"
)

func fakeClient(endpoint string) *sesv2.Client {
	return sesv2.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
	}, func(o *sesv2.Options) { o.BaseEndpoint = aws.String(endpoint) })
}

// GetSuppressedDestination and GetEmailIdentity through the real SDK
// against sesident's minimal fake: no emulator offers these two
// operations (GetAccount is tested against aws-ses-v2-local in the
// integration test).
func TestAccountReaderSuppressionAndIdentity(t *testing.T) {
	ctx := context.Background()
	f := sesident.Start(t, "")
	since := time.Date(2026, 11, 2, 7, 30, 0, 0, time.UTC)
	f.Suppress("gone@customer.example", "BOUNCE", since)
	f.SetIdentity("acme.example", "DOMAIN", "SUCCESS", true)
	f.SetIdentity("new@acme.example", "EMAIL_ADDRESS", "PENDING", false)
	r := NewAccountReader(fakeClient(f.URL))

	s, ok, err := r.Suppressed(ctx, "gone@customer.example")
	if err != nil || !ok {
		t.Fatalf("suppressed: %v %v", ok, err)
	}
	if s.Reason != "BOUNCE" || !s.Since.Equal(since) || s.String() != "suppressed: BOUNCE since 2026-11-02" {
		t.Errorf("got %+v (%s)", s, s)
	}
	// NotFoundException means "not on the list", not an error.
	if _, ok, err := r.Suppressed(ctx, "fine+tag@customer.example"); ok || err != nil {
		t.Errorf("not suppressed: %v %v", ok, err)
	}

	id, err := r.Identity(ctx, "acme.example")
	if err != nil {
		t.Fatal(err)
	}
	want := sesaccount.Identity{Name: "acme.example", Type: "DOMAIN", Status: "SUCCESS", VerifiedForSending: true, DKIMStatus: "SUCCESS"}
	if id != want {
		t.Errorf("identity %+v, want %+v", id, want)
	}
	if id, err := r.Identity(ctx, "new@acme.example"); err != nil || id.VerifiedForSending || id.Status != "PENDING" {
		t.Errorf("pending identity %+v %v", id, err)
	}
	if id, err := r.Identity(ctx, "nobody.example"); err != nil || id.Status != sesaccount.StatusNotFound {
		t.Errorf("unknown identity %+v %v", id, err)
	}
	if n := f.Count("GetSuppressedDestination fine+tag@customer.example"); n != 1 {
		t.Errorf("the address reached SES %d times, as %v", n, f.Requests())
	}
}
