package reforward

import (
	"errors"

	"github.com/sesbox/sesbox/mailstore"
)

// SES v2's limits (the same as sessend's, which a test checks): this
// package stays free of the AWS SDK so the TUI can use it.
const (
	// MaxMessageSize is the largest raw message SES v2 sends.
	MaxMessageSize = 40 << 20
	// MaxDestinations is how many recipients one SendEmail call may carry.
	MaxDestinations = mailstore.MaxDestinations
)

// throttleCodes are the error codes with which SES asks a sender to slow
// down (TooManyRequestsException is SES v2's; the others are what the SDK
// and SES v1 use for the same thing).
var throttleCodes = map[string]bool{
	"TooManyRequestsException": true,
	"LimitExceededException":   true,
	"Throttling":               true,
	"ThrottlingException":      true,
	"MaxSendRateExceeded":      true,
}

// IsThrottle reports whether err is SES asking to slow down: worth a
// back-off and a retry. It reads the error code the way smithy.APIError
// exposes it, so it agrees with sessend.IsThrottle without importing it.
func IsThrottle(err error) bool {
	var ae interface{ ErrorCode() string }
	return errors.As(err, &ae) && throttleCodes[ae.ErrorCode()]
}
