package team

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/reforward"
	"github.com/sesbox/sesbox/mailstore/testutil/dynfault"
	"github.com/sesbox/sesbox/mailstore/testutil/faultproxy"
	"github.com/sesbox/sesbox/mailstore/testutil/peer"
)

// TestUnreachableTableSaysWhatToCheckFirst: the real SDK client against
// a closed port (dynalite restarting, a wrong --dynamodb-endpoint). A
// forward run stopped with "team table T: read claim: operation error
// DynamoDB: GetItem, exceeded maximum number of attempts, 2, ... connect:
// connection refused; stopped, nothing more is sent", nothing to check
// first; now the endpoint and the flag lead, for the first call and for
// the calls the store then refuses at once.
func TestUnreachableTableSaysWhatToCheckFirst(t *testing.T) {
	c, url := unreachableClient(t)
	s := New(c, "sesbox-team", Owner{Host: "h", User: "u", PID: 1})
	want := "cannot reach team table sesbox-team: connection refused: " + url + " — check --dynamodb-endpoint"
	_, _, first := s.Claim(context.Background(), reforward.SendRef{Bucket: "b", Key: "k", ETag: "e", Destinations: []string{"a@example.com"}}, false, false, false)
	then := s.SetRead(context.Background(), "b", "k", true)
	for _, err := range []error{first, then} {
		if got := mailstore.Explain(err); !strings.HasPrefix(got, want) {
			t.Errorf("Explain = %q, want it to start %q", got, want)
		}
	}
}

// TestInitOfAnUnreachableTableSaysWhatToCheckFirst: sesbox team init
// with no DynamoDB endpoint where one was meant said only the SDK's
// "create team table T: operation error DynamoDB: CreateTable, ...
// request send failed, ... no such host", where every other call on the
// table leads with what to check.
func TestInitOfAnUnreachableTableSaysWhatToCheckFirst(t *testing.T) {
	c, url := unreachableClient(t)
	_, err := Init(context.Background(), c, "sesbox-team")
	want := "cannot reach team table sesbox-team: connection refused: " + url + " — check --dynamodb-endpoint"
	if got := mailstore.Explain(err); !strings.HasPrefix(got, want) || !strings.Contains(got, "create team table sesbox-team") {
		t.Errorf("Explain = %q, want it to start %q", got, want)
	}
}

// TestRejectedCredentialsSayWhereTheyCameFrom: DynamoDB refusing the key
// (UnrecognizedClientException, from the fault proxy in front of a real
// dynalite) said only "team table T: read claim: ... api error
// UnrecognizedClientException", where S3's and SES's hints say the
// credentials were rejected and where they came from; it says both.
func TestRejectedCredentialsSayWhereTheyCameFrom(t *testing.T) {
	db := peer.StartDynamoDB(t)
	px := dynfault.Start(t, db.URL, func(int, string) dynfault.Fault { return dynfault.RejectCredentials })
	c := dynamodb.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("k", "s", "")},
		func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(px.URL) })
	s := New(c, "sesbox-team", Owner{Host: "h", User: "u", PID: 1}).WithProfile("work")
	err := s.SetRead(context.Background(), "b", "k", true)
	want := "credentials rejected by DynamoDB — they came from static credentials given to sesbox; check them"
	if got := mailstore.Explain(err); !strings.HasPrefix(got, want) || !strings.Contains(got, "team table sesbox-team") {
		t.Errorf("got %q\nwant %q first, then the table", got, want)
	}
}

// unreachableClient is a DynamoDB client of an endpoint nothing listens
// at (a port opened and closed again), and that endpoint's URL.
func unreachableClient(t *testing.T) (*dynamodb.Client, string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String()
	l.Close()
	c := dynamodb.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("k", "s", "")},
		func(o *dynamodb.Options) {
			o.BaseEndpoint = aws.String(url)
			o.Retryer = NewRetryer(2, 10*time.Millisecond)
		})
	return c, url
}

// TestAClockOffIsCorrectedOrNamed: DynamoDB's clock 20 minutes ahead of
// this machine's (the fault proxy refuses, as DynamoDB does, a request
// signed more than 15 minutes from it: 400 InvalidSignatureException
// "Signature not yet current"; dynalite itself checks no time). The SDK
// sets its clock by the refusal's Date and signs again: a claim is made.
// Without a Date the call fails, and the hint names the clock where it
// said "team table T: claim: ... InvalidSignatureException".
func TestAClockOffIsCorrectedOrNamed(t *testing.T) {
	db := peer.StartDynamoDB(t)
	if _, err := Init(context.Background(), db.Client(), "sesbox-team"); err != nil {
		t.Fatal(err)
	}
	px := faultproxy.Start(t, db.URL, faultproxy.Config{ServerClock: 20 * time.Minute})
	c := dynamodb.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("k", "s", "")},
		func(o *dynamodb.Options) {
			o.BaseEndpoint = aws.String(px.URL)
			o.Retryer = NewRetryer(3, 10*time.Millisecond)
		})
	s := New(c, "sesbox-team", Owner{Host: "h", User: "u", PID: 1})
	ref := reforward.SendRef{Bucket: "b", Key: "k", ETag: "e", Destinations: []string{"a@example.com"}}
	if _, _, err := s.Claim(context.Background(), ref, false, false, false); err != nil {
		t.Fatalf("claim with the table's clock 20 minutes ahead: %v", err)
	}
	if px.Stats().Skewed == 0 {
		t.Fatal("no request was refused for its time: the test proves nothing")
	}

	px.SetConfig(faultproxy.Config{ServerClock: 20 * time.Minute, NoDate: true})
	c = dynamodb.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("k", "s", "")},
		func(o *dynamodb.Options) {
			o.BaseEndpoint = aws.String(px.URL)
			o.Retryer = NewRetryer(3, 10*time.Millisecond)
		})
	s = New(c, "sesbox-team", Owner{Host: "h", User: "u", PID: 1})
	err := s.SetRead(context.Background(), "b", "k", true)
	if got := mailstore.Explain(err); !strings.HasPrefix(got, "AWS refused the request for the time it was signed at: this machine's clock is off") || !strings.Contains(got, "team table sesbox-team") {
		t.Errorf("got %q", got)
	}
}
