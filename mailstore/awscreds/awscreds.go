// Package awscreds says where the AWS SDK took the credentials a service
// rejected from (the environment, a profile and its file, SSO, the
// instance's role), for the hint that leads the error: never the keys.
// The S3 store and the SES sender say it alike through Rejected.
package awscreds

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"
)

// Of names where p's credentials came from (From), profile being the
// shared config profile the configuration was loaded with ("": default).
// The clients hold p in a cache, so this is the credentials the rejected
// request was signed with, read without a request; "" when p is nil or
// has none.
func Of(p aws.CredentialsProvider, profile string) string {
	if p == nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	c, err := p.Retrieve(ctx)
	if err != nil {
		return ""
	}
	if c.Source == envSource && c.SessionToken != "" {
		// A stale token beside new keys is rejected as often as a key.
		return "the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN)"
	}
	return From(c.Source, profile)
}

// envSource is the Source of credentials from the environment.
const envSource = "EnvConfigCredentials"

// RejectedCode says whether an AWS error code is a service refusing the
// credentials themselves (an unknown key, a wrong signature, an expired
// token): no policy cures it.
func RejectedCode(code string) bool {
	switch code {
	case "InvalidClientTokenId", "UnrecognizedClientException", "SignatureDoesNotMatch", "ExpiredToken", "ExpiredTokenException":
		return true
	}
	return false
}

// Rejected is the hint for credentials a service refused (err, its
// answer): by names the service ("SES"; "" for S3, the mailbox's own),
// from where they came from (Of; "" when not known). Credentials that
// have expired (Expired) are told to be refreshed, and how: "check them"
// sent an SSO user to keys that were right the hour before. S3, SES,
// SQS, DynamoDB and CloudWatch Logs all say it through here.
func Rejected(by, from string, err error) string {
	h := "credentials rejected"
	if by != "" {
		h += " by " + by
	}
	if Expired(err) {
		h += " — they have expired: refresh them (aws sso login for an SSO profile; for temporary keys, new ones with their session token from what issued them, in AWS_SESSION_TOKEN or the profile's aws_session_token)"
		if from != "" {
			h += "; they came from " + from
		}
		return h
	}
	if from != "" {
		return h + " — they came from " + from + "; check them, or --profile or the AWS_* environment"
	}
	return h + " — check --profile or the AWS_* environment"
}

// Expired says whether err is a service refusing credentials because
// their session has expired: S3's and SQS's ExpiredToken, the JSON
// services' ExpiredTokenException, or another refusal of the token that
// says so ("The security token included in the request is expired").
func Expired(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch code := ae.ErrorCode(); {
	case code == "ExpiredToken", code == "ExpiredTokenException":
		return true
	case RejectedCode(code), code == "InvalidToken":
		return strings.Contains(strings.ToLower(ae.ErrorMessage()), "expired")
	}
	return false
}

// From names where the SDK took credentials from, by their Source
// (aws.Credentials.Source, as each provider sets it) and the profile the
// configuration was loaded with ("": default), for a person: "the
// environment (AWS_ACCESS_KEY_ID)", "profile work in
// /home/u/.aws/credentials", "SSO (profile work)". An unknown source is
// given as the SDK names it.
func From(source, profile string) string {
	if profile == "" {
		profile = "default"
	}
	if file, ok := strings.CutPrefix(source, "SharedConfigCredentials: "); ok {
		return fmt.Sprintf("profile %s in %s", profile, file)
	}
	switch source {
	case "":
		return ""
	case envSource:
		return "the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)"
	case "SSOProvider":
		return fmt.Sprintf("SSO (profile %s; aws sso login --profile %s renews them)", profile, profile)
	case "EC2RoleProvider":
		return "the EC2 instance's role (IMDS)"
	case "CredentialsEndpointProvider":
		return "the container credentials endpoint (AWS_CONTAINER_CREDENTIALS_*)"
	case "AssumeRoleProvider":
		return fmt.Sprintf("the role profile %s assumes", profile)
	case "WebIdentityCredentials":
		return "a web identity token (AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN)"
	case "ProcessProvider":
		return fmt.Sprintf("the credential_process of profile %s", profile)
	case "LoginProvider":
		return fmt.Sprintf("aws login (profile %s)", profile)
	case "StaticCredentials":
		return "static credentials given to sesbox"
	}
	return source
}
