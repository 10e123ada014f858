package reforward

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/smithy-go"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/sessend"
)

func TestLimitsAndThrottleMatchSessend(t *testing.T) {
	if MaxMessageSize != sessend.MaxMessageSize || MaxDestinations != sessend.MaxDestinations {
		t.Errorf("limits %d/%d, sessend %d/%d", MaxMessageSize, MaxDestinations, sessend.MaxMessageSize, sessend.MaxDestinations)
	}
	for _, err := range []error{
		&types.TooManyRequestsException{Message: new(string)},
		&types.LimitExceededException{},
		&types.MessageRejected{},
		&types.SendingPausedException{},
		&smithy.GenericAPIError{Code: "Throttling"},
		&smithy.GenericAPIError{Code: "ThrottlingException"},
		&smithy.GenericAPIError{Code: "MaxSendRateExceeded"},
		&smithy.GenericAPIError{Code: "AccessDeniedException"},
		&httpErr{429, "TooManyRequestsException"},
		errors.New("connection reset"),
	} {
		// As the sender wraps it: a hint in front (sessend's explain).
		wrapped := fmt.Errorf("send: %w", &mailstore.HintError{Hint: "what to do", Err: err})
		if IsThrottle(wrapped) != sessend.IsThrottle(wrapped) {
			t.Errorf("%T %v: IsThrottle %v, sessend says %v", err, err, IsThrottle(wrapped), sessend.IsThrottle(wrapped))
		}
	}
}
