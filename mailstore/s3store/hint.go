package s3store

import (
	"encoding/xml"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/sesbox/sesbox/internal/lazyregexp"
	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/awscreds"
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
		if errors.As(err, &ae) && rejected(ae.ErrorCode()) {
			// Only where they came from is said, never the keys.
			creds = awscreds.Of(o.Credentials, s.origins.Profile)
		}
	}
	prefix := "" // the keys a refused GetObject needs allowed: the mailbox's
	if bucket == s.loc.Bucket {
		prefix = s.loc.Prefix
	}
	if h := hintFor(err, bucket, prefix, perm, region, endpoint, creds, s.originsOf(bucket)); h != "" {
		return &mailstore.HintError{Hint: h, Err: err}
	}
	if perm != "" {
		return Explain(err, perm)
	}
	return err
}

// explain is Explain for a call on bucket, except that a bucket that is
// not there, or is in another region, an endpoint that cannot be
// reached, or credentials S3 rejected, is said first as hint says it,
// naming where the bucket, the region, the endpoint and the credentials
// came from. Explain alone said "check --bucket and --region" to a user
// who had set neither flag (the bucket was in the config file, or in the
// inventory URL), nothing of an endpoint down, and "credentials
// rejected: check the AWS profile or environment" last.
func (s *Store) explain(err error, bucket, perm string) error {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return s.hintAt(err, bucket, perm)
	}
	switch code := ae.ErrorCode(); {
	case code == "NoSuchBucket", code == "PermanentRedirect", code == "AuthorizationHeaderMalformed", code == "IllegalLocationConstraintException", rejected(code),
		mailstore.ClockHint(err) != "":
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
// creds says where the credentials came from (awscreds.Of; "" when
// not known); perm is the IAM permission the call needs ("" when not
// known), on the keys under prefix for s3:GetObject.
func hintFor(err error, bucket, prefix, perm, region, endpoint, creds string, o mailstore.Origins) string {
	if h := mailstore.ClockHint(err); h != "" {
		return h
	}
	if h := notS3(err, endpoint, o); h != "" {
		return h
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && rejected(ae.ErrorCode()) {
		return awscreds.Rejected("", creds, err)
	}
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
			// The permission the refused call needs, where it is known:
			// credentials that could list the bucket but not read its
			// objects were told to check both.
			switch perm {
			case "s3:GetObject":
				return fmt.Sprintf("access denied to s3://%s — allow s3:GetObject on arn:aws:s3:::%s/%s* for these credentials", bucket, bucket, prefix)
			case "s3:ListBucket":
				return fmt.Sprintf("access denied to s3://%s — allow s3:ListBucket on arn:aws:s3:::%s for these credentials", bucket, bucket)
			}
			return fmt.Sprintf("access denied to s3://%s — check the credentials' permissions (s3:ListBucket, s3:GetObject)", bucket)
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
// refused: an unknown key, a wrong secret, a session token expired or
// not S3's (InvalidToken: a stale AWS_SESSION_TOKEN beside new keys).
func rejected(code string) bool {
	switch code {
	case "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken":
		return true
	}
	return false
}

// everyRead marks a refusal every other read would meet too
// (mailstore.ErrEveryReadRefused).
type everyRead struct{ error }

func (e everyRead) Unwrap() error { return e.error }

func (everyRead) Is(target error) bool { return target == mailstore.ErrEveryReadRefused }

// bucketRegion is the region S3 says the bucket is in, in the
// x-amz-bucket-region header of its answer to a request signed for
// another, else in the words of an AuthorizationHeaderMalformed ("the
// region 'us-east-1' is wrong; expecting 'eu-west-1'"), which is all
// versitygw and other S3-compatible servers say: a config with the
// region of its AWS mailboxes for a local server was told only "is in
// another region"; "" when it says none.
func bucketRegion(err error) string {
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		if r := re.Response.Header.Get("X-Amz-Bucket-Region"); r != "" {
			return r
		}
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "AuthorizationHeaderMalformed" {
		if m := expectedRegion().FindStringSubmatch(ae.ErrorMessage()); m != nil {
			return m[1]
		}
	}
	return ""
}

// expectedRegion is the region an AuthorizationHeaderMalformed says the
// request should have been signed for, quoted as S3 ('...') or versitygw
// ("...") quote it.
var expectedRegion = lazyregexp.New(`expecting ['"]([a-z0-9-]{1,40})['"]`)

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
