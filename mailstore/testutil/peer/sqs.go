package peer

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// SQS is a running fauxqs (SQS and SNS on one endpoint).
type SQS struct {
	URL string
}

// StartSQS starts fauxqs 1.9.2 (the 2.x line needs Node >= 22.5) on a free
// port and stops it when t ends.
func StartSQS(t testing.TB) *SQS {
	t.Helper()
	bin := find(t, "fauxqs", "npm install fauxqs@1.9.2 (make peers)")
	port := freePort(t)
	start(t, bin, nil, []string{"FAUXQS_PORT=" + port, "FAUXQS_HOST=127.0.0.1", "LOG_LEVEL=warn"}, port)
	return &SQS{URL: "http://127.0.0.1:" + port}
}

// Client returns an SDK client for the server.
func (s *SQS) Client() *sqs.Client {
	return sqs.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""),
	}, func(o *sqs.Options) { o.BaseEndpoint = aws.String(s.URL) })
}
