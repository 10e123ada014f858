package s3store

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/sesbox/sesbox/mailstore"
)

// hint wraps a failed call's error in a mailstore.HintError that says
// what to check, by where each setting came from (WithOrigins; the flags'
// names by default): the CLI and the TUI both show it
// first, the SDK's detail after it. With nothing to say of its own, and a
// perm (the IAM permission the call needs), it gives Explain's note
// instead: both, and a missing bucket said "check --bucket and --region"
// twice.
func (s *Store) hint(err error, perm string) error {
	return s.hintAt(err, s.loc.Bucket, perm)
}

// hintAt is hint for a call on bucket: the mailbox's, or the one its S3
// Inventory reports are in (originsOf).
func (s *Store) hintAt(err error, bucket, perm string) error {
	if err == nil || mailstore.Hint(err) != "" {
		return err
	}
	region, endpoint, creds := "", "", ""
	if c, ok := s.api.(*s3.Client); ok {
		o := c.Options()
		region, endpoint = o.Region, mailstore.RedactURL(aws.ToString(o.BaseEndpoint))
		var ae smithy.APIError
		if errors.As(err, &ae) && rejected(ae.ErrorCode()) && o.Credentials != nil {
			// The credentials the request was signed with, from the
			// provider's cache (no request): only where they came from
			// is used, never the keys.
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			if c, err := o.Credentials.Retrieve(ctx); err == nil {
				creds = CredentialsFrom(c.Source, s.origins.Profile)
			}
			cancel()
		}
	}
	if h := hintFor(err, bucket, region, endpoint, creds, s.originsOf(bucket)); h != "" {
		return &mailstore.HintError{Hint: h, Err: err}
	}
	if perm != "" {
		return Explain(err, perm)
	}
	return err
}

// explain is Explain for a call on bucket, except that a bucket that is
// not there, or is in another region, or an endpoint that cannot be
// reached, is said first as hint says it, naming where the bucket, the
// region and the endpoint were set. Explain alone said "check --bucket
// and --region" to a user who had set neither flag (the bucket was in the
// config file, or in the inventory URL), and nothing of an endpoint down.
func (s *Store) explain(err error, bucket, perm string) error {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return s.hintAt(err, bucket, perm)
	}
	switch ae.ErrorCode() {
	case "NoSuchBucket", "PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException":
		return s.hintAt(err, bucket, perm)
	}
	return Explain(err, perm)
}

// originsOf says where bucket was set: the store reads the mailbox's
// bucket and, through InventorySource, the bucket its S3 Inventory
// reports are delivered to, named by the inventory URL.
func (s *Store) originsOf(bucket string) mailstore.Origins {
	o := s.origins
	if bucket != s.loc.Bucket {
		o.Bucket = o.InventoryBucketFrom()
	}
	return o
}

// hintFor classifies err, naming each setting to check where it was set
// (o); "" when there is nothing better to say.
// creds says where the credentials came from (CredentialsFrom; "" when
// not known).
func hintFor(err error, bucket, region, endpoint, creds string, o mailstore.Origins) string {
	if h := notS3(err, endpoint, o); h != "" {
		return h
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "NoSuchBucket":
			in := ""
			if region != "" {
				in = " in " + region
			}
			return fmt.Sprintf("no such bucket %q%s — check %s and %s", bucket, in, o.BucketFrom(), o.RegionFrom())
		case "AccessDenied", "Forbidden":
			if m := strings.ToLower(ae.ErrorMessage()); strings.Contains(m, "kms") || strings.Contains(m, "customer master key") {
				// An SSE-KMS object: S3 answers AccessDenied when the
				// credentials may not use its key, s3:GetObject or not.
				return fmt.Sprintf("access denied to the KMS key of s3://%s (SSE-KMS) — allow kms:Decrypt on it for these credentials", bucket)
			}
			return fmt.Sprintf("access denied to s3://%s — check the credentials' permissions (s3:ListBucket, s3:GetObject)", bucket)
		case "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken":
			if creds != "" {
				return "credentials rejected — they came from " + creds + "; check them, or --profile or the AWS_* environment"
			}
			return "credentials rejected — check --profile or the AWS_* environment"
		case "PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException":
			if r := bucketRegion(err); r != "" && r != region {
				return fmt.Sprintf("bucket %q is in %s, not %s — set %s to %s", bucket, r, region, o.RegionFrom(), r)
			}
			return fmt.Sprintf("bucket %q is in another region — check %s", bucket, o.RegionFrom())
		}
	}
	if endpoint == "" {
		endpoint = "the S3 endpoint"
	}
	if h := mailstore.ReachHint(err, endpoint, o.EndpointFrom(), o.RegionFrom()); h != "" {
		return h
	}
	return ""
}

// rejected says whether an S3 error code means the credentials were
// refused.
func rejected(code string) bool {
	return code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch" || code == "ExpiredToken"
}

// CredentialsFrom names where the SDK took credentials from, by their
// Source (aws.Credentials.Source, as each provider sets it) and the
// profile the configuration was loaded with ("": default), for a person:
// "the environment (AWS_ACCESS_KEY_ID)", "profile work in
// /home/u/.aws/credentials", "SSO (profile work)". An unknown source is
// given as the SDK names it.
func CredentialsFrom(source, profile string) string {
	if profile == "" {
		profile = "default"
	}
	if file, ok := strings.CutPrefix(source, "SharedConfigCredentials: "); ok {
		return fmt.Sprintf("profile %s in %s", profile, file)
	}
	switch source {
	case "":
		return ""
	case "EnvConfigCredentials":
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

// bucketRegion is the region S3 says the bucket is in, in the
// x-amz-bucket-region header of its answer to a request signed for
// another; "" when it says none.
func bucketRegion(err error) string {
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.Response == nil {
		return ""
	}
	return re.Response.Header.Get("X-Amz-Bucket-Region")
}

// notS3 recognizes an answer no S3 server gives to a listing: a body that
// is not S3's XML (a web server's HTML page), or an HTTP status without an
// S3 error code ("NotFound", "MovedPermanently" are the SDK's names for
// the bare status). The endpoint is then wrong, not the bucket.
func notS3(err error, endpoint string, o mailstore.Origins) string {
	var re *awshttp.ResponseError
	if !errors.As(err, &re) {
		return ""
	}
	var de *smithy.DeserializationError
	var se *xml.SyntaxError // an error answer's body, which the SDK only wraps
	var ae smithy.APIError
	bare := errors.As(err, &ae) && (ae.ErrorCode() == "NotFound" || ae.ErrorCode() == "MovedPermanently")
	if !errors.As(err, &de) && !errors.As(err, &se) && !bare {
		return ""
	}
	if endpoint == "" {
		endpoint = "the S3 endpoint"
	}
	return fmt.Sprintf("%s does not answer like S3 (HTTP %d) — check %s", endpoint, re.HTTPStatusCode(), o.EndpointFrom())
}
