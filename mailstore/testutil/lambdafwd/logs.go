package lambdafwd

import (
	_ "embed"
	"encoding/json"
	"slices"
	"testing"
	"time"
)

//go:embed logdriver.js
var logDriver []byte

// The outcomes a LogCase attempt can have (see logdriver.js).
const (
	Success            = "success"
	RejectedSize       = "rejected-size"       // SES MessageRejected: too large
	RejectedUnverified = "rejected-unverified" // SES MessageRejected: address not verified
	Throttled          = "throttled"           // SES TooManyRequestsException
	S3AccessDenied     = "s3-access-denied"    // CopyObject AccessDenied
	S3NoSuchKey        = "s3-no-such-key"      // CopyObject NoSuchKey
	Timeout            = "timeout"             // SendEmail never answers: the runtime's timeout
)

// LogCase is one SES event delivered to the Lambda, invoked once per
// attempt (retries get their own request id, one and three minutes after
// Start).
type LogCase struct {
	MessageID  string          `json:"messageId"`
	Raw        []byte          `json:"raw"`
	Recipients []string        `json:"recipients"`
	Config     json.RawMessage `json:"config"`
	Start      int64           `json:"start"` // ms since the epoch
	Attempts   []string        `json:"attempts"`
	// SESError replaces the message of an SES rejection (hostile text).
	SESError string `json:"sesError,omitempty"`
}

// StartAt is t as LogCase.Start.
func StartAt(t time.Time) int64 { return t.UnixMilli() }

// LogEvent is one CloudWatch Logs event, as FilterLogEvents returns it.
type LogEvent struct {
	Timestamp     int64  `json:"timestamp"`
	IngestionTime int64  `json:"ingestionTime"`
	LogStreamName string `json:"logStreamName"`
	EventID       string `json:"eventId"`
	Message       string `json:"message"`
}

// RunLogs runs the real Lambda on the cases under Node and returns the log
// events the Lambda service would store, sorted by time.
func RunLogs(t testing.TB, cases []LogCase) []LogEvent {
	t.Helper()
	cases = slices.Clone(cases)
	for i := range cases {
		if cases[i].Config == nil {
			cases[i].Config = json.RawMessage("null")
		}
	}
	sc, _ := runDriver(t, "logdriver.js", logDriver, cases)
	var events []LogEvent
	for sc.Scan() {
		var e LogEvent
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("node log driver output: %v: %.200s", err, sc.Bytes())
		}
		events = append(events, e)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return events
}
