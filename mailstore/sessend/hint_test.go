package sessend

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/smithy-go"

	"github.com/sesbox/sesbox/mailstore"
)

// TestHintsLeadWithTheAction: the SES errors people meet are shown with
// what to do first (mailstore.Explain), the SES error kept in the chain.
func TestHintsLeadWithTheAction(t *testing.T) {
	tests := []struct {
		name string
		err  error
		hint string
	}{
		{"rejected", &types.MessageRejected{Message: aws.String("Email address is not verified.")}, "SES rejected the message — verify the From identity"},
		{"mail from", &types.MailFromDomainNotVerifiedException{}, "the MAIL FROM domain is not verified"},
		{"paused", &types.SendingPausedException{}, "sending is paused"},
		{"throttled", &types.TooManyRequestsException{}, "throttled by SES"},
		{"daily quota", &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Daily message quota exceeded."}, "the account's 24-hour sending quota is used up"},
		{"daily quota (v2 type)", &types.TooManyRequestsException{Message: aws.String("Daily message quota exceeded.")}, "the account's 24-hour sending quota is used up"},
		{"denied", &smithy.GenericAPIError{Code: "AccessDeniedException"}, "access denied by SES — the credentials need ses:SendRawEmail"},
		{"bad key", &smithy.GenericAPIError{Code: "UnrecognizedClientException"}, "credentials rejected by SES — check --profile"},
	}
	for _, tt := range tests {
		err := explain(tt.err, sendPermission, nil, "")
		if got := mailstore.Explain(err); !strings.HasPrefix(got, tt.hint) {
			t.Errorf("%s: Explain = %q, want it to start %q", tt.name, got, tt.hint)
		}
		if !errors.Is(err, tt.err) {
			t.Errorf("%s: the SES error is not in the chain of %v", tt.name, err)
		}
	}
	if err := errors.New("other"); explain(err, sendPermission, nil, "") != err {
		t.Errorf("an unknown error was wrapped: %v", explain(err, sendPermission, nil, ""))
	}
}

// TestUnreachableSESNamesItsFlag: the real SDK client against a closed
// port says the endpoint and --ses-endpoint first, for a send and a read.
func TestUnreachableSESNamesItsFlag(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String()
	l.Close()
	c := fakeClient(url)
	ctx := context.Background()
	_, sendErr := New(c, "").SendRaw(ctx, []string{"a@example.com"}, []byte("Subject: x\r\n\r\nx\r\n"))
	_, readErr := NewAccountReader(c).Account(ctx)
	for _, err := range []error{sendErr, readErr} {
		want := "connection refused: " + url + " — check --ses-endpoint"
		if got := mailstore.Explain(err); !strings.HasPrefix(got, want) {
			t.Errorf("Explain = %q, want it to start %q", got, want)
		}
	}
}

// TestSendRefusalsAreClassed: each SES refusal of a send is marked by
// class, as the run acts on it: the message's own (sent again, SES
// refuses it again) or every send's (the run stops); throttling and
// other errors neither. SES v1's codes and a suspended account's
// MessageRejected, which only their text tells apart, count too.
func TestSendRefusalsAreClassed(t *testing.T) {
	s := New(nil, "")
	for _, tc := range []struct {
		name  string
		err   error
		class error // nil: neither
	}{
		{"rejected", &types.MessageRejected{Message: aws.String("Illegal address")}, mailstore.ErrMessageRefused},
		{"not verified", &types.MessageRejected{Message: aws.String("Email address is not verified. The following identities failed the check in region US-EAST-1: a@x.example")}, mailstore.ErrMessageRefused},
		{"malformed", &types.BadRequestException{Message: aws.String("Duplicate header 'Subject'.")}, mailstore.ErrMessageRefused},
		{"v1 malformed", &smithy.GenericAPIError{Code: "InvalidParameterValue", Message: "Illegal header"}, mailstore.ErrMessageRefused},
		{"suspended", &types.MessageRejected{Message: aws.String("Sending suspended for this account. For more information, please check the inbox of the email address associated with your AWS account.")}, mailstore.ErrEverySendRefused},
		{"paused", &types.SendingPausedException{Message: aws.String("paused")}, mailstore.ErrEverySendRefused},
		{"v1 paused", &smithy.GenericAPIError{Code: "AccountSendingPausedException", Message: "Email sending is disabled for this account."}, mailstore.ErrEverySendRefused},
		{"v1 configuration set paused", &smithy.GenericAPIError{Code: "ConfigurationSetSendingPausedException", Message: "paused"}, mailstore.ErrEverySendRefused},
		{"v1 mail from", &smithy.GenericAPIError{Code: "MailFromDomainNotVerifiedException", Message: "not verified"}, mailstore.ErrEverySendRefused},
		{"throttled", &types.TooManyRequestsException{Message: aws.String("Maximum sending rate exceeded.")}, nil},
		{"other", errors.New("connection reset"), nil},
	} {
		err := s.explainSend(tc.err)
		for _, class := range []error{mailstore.ErrMessageRefused, mailstore.ErrEverySendRefused} {
			if got := errors.Is(err, class); got != (class == tc.class) {
				t.Errorf("%s: errors.Is(%v) = %v", tc.name, class, got)
			}
		}
		if tc.class != nil && mailstore.Hint(err) == "" {
			t.Errorf("%s: no hint (%v)", tc.name, err)
		}
	}
}
