package awscreds

import (
	"fmt"
	"testing"

	"github.com/aws/smithy-go"
)

// TestFromNamesTheSource: each SDK provider's Source is said in a
// person's words, with the profile where one is used.
func TestFromNamesTheSource(t *testing.T) {
	for _, tc := range []struct{ source, profile, want string }{
		{"EnvConfigCredentials", "", "the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)"},
		{"SharedConfigCredentials: /h/.aws/credentials", "", "profile default in /h/.aws/credentials"},
		{"SharedConfigCredentials: /h/.aws/config", "work", "profile work in /h/.aws/config"},
		{"SSOProvider", "work", "SSO (profile work; aws sso login --profile work renews them)"},
		{"EC2RoleProvider", "", "the EC2 instance's role (IMDS)"},
		{"SomethingNew", "", "SomethingNew"},
		{"", "", ""},
	} {
		if got := From(tc.source, tc.profile); got != tc.want {
			t.Errorf("From(%q, %q) = %q, want %q", tc.source, tc.profile, got, tc.want)
		}
	}
}

// TestExpiredCredentialsAreToldToBeRefreshed: an expired session (SSO,
// an assumed role, temporary keys) was "credentials rejected — ...;
// check them, or --profile or the AWS_* environment", which sent the
// user to keys that were right an hour before. Every service's way of
// saying it (S3's and SQS's ExpiredToken, the JSON services'
// ExpiredTokenException, a token refusal whose message says "expired")
// is told to refresh them, and how; other refusals keep "check them".
func TestExpiredCredentialsAreToldToBeRefreshed(t *testing.T) {
	const refresh = " — they have expired: refresh them (aws sso login for an SSO profile; for temporary keys, new ones with their session token from what issued them, in AWS_SESSION_TOKEN or the profile's aws_session_token)"
	sso := From("SSOProvider", "work")
	for _, tc := range []struct {
		by   string
		err  error
		want string
	}{
		{"", &smithy.GenericAPIError{Code: "ExpiredToken", Message: "The provided token has expired."}, "credentials rejected" + refresh + "; they came from " + sso},
		{"SQS", fmt.Errorf("receive from q: %w", &smithy.GenericAPIError{Code: "ExpiredToken"}), "credentials rejected by SQS" + refresh + "; they came from " + sso},
		{"SES", &smithy.GenericAPIError{Code: "ExpiredTokenException"}, "credentials rejected by SES" + refresh + "; they came from " + sso},
		{"DynamoDB", &smithy.GenericAPIError{Code: "ExpiredTokenException"}, "credentials rejected by DynamoDB" + refresh + "; they came from " + sso},
		{"CloudWatch Logs", &smithy.GenericAPIError{Code: "UnrecognizedClientException", Message: "The security token included in the request is expired"},
			"credentials rejected by CloudWatch Logs" + refresh + "; they came from " + sso},
		{"SES", &smithy.GenericAPIError{Code: "UnrecognizedClientException", Message: "The security token included in the request is invalid."},
			"credentials rejected by SES — they came from " + sso + "; check them, or --profile or the AWS_* environment"},
		{"", &smithy.GenericAPIError{Code: "SignatureDoesNotMatch"}, "credentials rejected — they came from " + sso + "; check them, or --profile or the AWS_* environment"},
	} {
		if got := Rejected(tc.by, sso, tc.err); got != tc.want {
			t.Errorf("Rejected(%q, %v) =\n%q, want\n%q", tc.by, tc.err, got, tc.want)
		}
	}
	if got, want := Rejected("SQS", "", &smithy.GenericAPIError{Code: "ExpiredToken"}), "credentials rejected by SQS"+refresh; got != want {
		t.Errorf("without a source: %q, want %q", got, want)
	}
}
