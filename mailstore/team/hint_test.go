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
)

// TestUnreachableTableSaysWhatToCheckFirst: the real SDK client against
// a closed port (dynalite restarting, a wrong --dynamodb-endpoint). A
// forward run stopped with "team table T: read claim: operation error
// DynamoDB: GetItem, exceeded maximum number of attempts, 2, ... connect:
// connection refused; stopped, nothing more is sent", nothing to check
// first; now the endpoint and the flag lead, for the first call and for
// the calls the store then refuses at once.
func TestUnreachableTableSaysWhatToCheckFirst(t *testing.T) {
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
	s := New(c, "sesbox-team", Owner{Host: "h", User: "u", PID: 1})
	want := "cannot reach team table sesbox-team: connection refused: " + url + " — check --dynamodb-endpoint"
	_, _, first := s.Claim(context.Background(), reforward.SendRef{Bucket: "b", Key: "k", ETag: "e", Destinations: []string{"a@example.com"}}, false, false)
	then := s.SetRead(context.Background(), "b", "k", true)
	for _, err := range []error{first, then} {
		if got := mailstore.Explain(err); !strings.HasPrefix(got, want) {
			t.Errorf("Explain = %q, want it to start %q", got, want)
		}
	}
}
